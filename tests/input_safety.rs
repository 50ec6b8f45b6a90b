//! Nothing lost, nothing leaked, on the workstation's side: a paste of any length lands
//! whole in the field with focus (and never runs commands), a full disk keeps every
//! typed character on screen until it can be written, and wide text (CJK, emoji,
//! Arabic) never overlaps a column nor leaves a stray glyph behind.

mod common;

use attuned::store::Store;
use attuned::ui::App;
use common::screen::{key, open, press, render, shown};
use crossterm::event::{Event, KeyCode};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use unicode_width::UnicodeWidthStr;

const W: u16 = 100;
const H: u16 = 30;

fn isolate_config() {
    // The built-in prompt library, whatever the machine's config dir holds (the same
    // value as the other screen tests, so parallel tests agree).
    unsafe { std::env::set_var("XDG_CONFIG_HOME", "/nonexistent-attuned-test-config") };
}

/// 50,000 characters of mixed text: ASCII, é, ✓, 日本語, مرحبا and newlines.
fn mixed(chars: usize) -> String {
    let piece = "Renewal at risk é ✓ 日本語 مرحبا\nnext line: 42 ";
    piece.chars().cycle().take(chars).collect()
}

fn step_note(store: &Store, step: u8) -> String {
    store
        .conn()
        .query_row(
            "SELECT note FROM touch_steps WHERE step = ?1 ORDER BY touch_id DESC LIMIT 1",
            [step],
            |r| r.get(0),
        )
        .unwrap()
}

fn setup(dir: &tempfile::TempDir) -> App {
    isolate_config();
    let store = common::build(&dir.path().join("book.db"));
    open(store, W, H)
}

/// `c`, Enter: a live call on the selected account, its step-1 note open.
fn call_with_note_open(app: &mut App) {
    press(app, "c");
    key(app, KeyCode::Enter);
    assert!(shown(app, W, H).contains("● live"));
    press(app, "a");
    assert!(shown(app, W, H).contains("saved as you type"));
}

#[test]
fn a_50k_paste_into_a_call_note_is_saved_whole_in_one_write() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = setup(&dir);
    call_with_note_open(&mut app);
    press(&mut app, "A");
    let changes = app.store().conn().total_changes();
    press(&mut app, "B");
    let one_key = app.store().conn().total_changes() - changes;

    let pasted = mixed(50_000);
    let before = app.store().conn().total_changes();
    app.handle_event(&Event::Paste(pasted.clone()));
    let writes = app.store().conn().total_changes() - before;
    assert_eq!(
        writes, one_key,
        "the paste is one save, as one key is ({one_key} rows changed)"
    );
    assert_eq!(step_note(app.store(), 1), format!("AB{pasted}"));
    // The end of it, where one types, is on screen with the cursor.
    let text = shown(&app, W, H);
    assert!(
        text.contains("next line: 42 Renewal at risk é ✓ 日本語 مرحبا"),
        "{text}"
    );
    assert!(!app.should_quit());
}

#[test]
fn a_burst_of_typed_keys_is_written_once_before_the_frame() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = setup(&dir);
    call_with_note_open(&mut app);
    let changes = app.store().conn().total_changes();
    press(&mut app, "A");
    let one_key = app.store().conn().total_changes() - changes;
    assert_eq!(
        step_note(app.store(), 1),
        "A",
        "a single key is written at once"
    );

    // What the loop does with 5,000 keys already waiting: handle all, write once, draw.
    let typed: String = "typed fast é ✓ 日本語 "
        .chars()
        .cycle()
        .take(5_000)
        .collect();
    let before = app.store().conn().total_changes();
    app.begin_burst();
    press(&mut app, &typed);
    app.end_burst();
    assert_eq!(app.store().conn().total_changes() - before, one_key);
    assert_eq!(step_note(app.store(), 1), format!("A{typed}"));
}

#[test]
fn a_paste_never_runs_commands() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = setup(&dir);
    // On the portfolio nothing takes text: "qqq" neither quits nor moves.
    let before = shown(&app, W, H);
    app.handle_event(&Event::Paste("qqq".into()));
    assert!(!app.should_quit());
    let text = shown(&app, W, H);
    assert!(text.contains("Paste ignored: no text field"), "{text}");
    let body = |t: &str| -> Vec<String> {
        t.lines()
            .skip(1)
            .take(H as usize - 2)
            .map(str::to_string)
            .collect()
    };
    assert_eq!(body(&text), body(&before), "the portfolio did not change");

    // The name filter takes it and filters by it.
    press(&mut app, "/");
    app.handle_event(&Event::Paste("Bluepeak".into()));
    let text = shown(&app, W, H);
    assert!(text.contains("Bluepeak Analytics"), "{text}");
    assert!(!text.contains("Northwind Logistics"), "{text}");
    key(&mut app, KeyCode::Enter);

    // In a call with no field open, a pasted "x" does not end the call, nor "q" quit.
    press(&mut app, "c");
    key(&mut app, KeyCode::Enter);
    app.handle_event(&Event::Paste("x".into()));
    app.handle_event(&Event::Paste("qq".into()));
    let text = shown(&app, W, H);
    assert!(text.contains("● live"), "{text}");
    assert!(!text.contains("■ ended"), "{text}");
    assert!(!app.should_quit());
    // Opened, the note takes it.
    press(&mut app, "a");
    app.handle_event(&Event::Paste("x".into()));
    assert_eq!(step_note(app.store(), 1), "x");
}

#[test]
fn a_paste_goes_into_the_forms_text_fields() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = setup(&dir);
    // `l` logs a touch: the notes field takes a multi-line paste, saved in the draft.
    press(&mut app, "l");
    for _ in 0..8 {
        if shown(&app, W, H).contains("▶ Notes") {
            break;
        }
        key(&mut app, KeyCode::Tab);
    }
    app.handle_event(&Event::Paste("first line\r\nsecond 日本語".into()));
    let draft = attuned::store::tagging::draft(app.store())
        .unwrap()
        .unwrap();
    assert!(draft.contains("first line\\nsecond 日本語"), "{draft}");
    // On a choice field (the sentiment) a paste is not a key: "r" does not pick Red.
    key(&mut app, KeyCode::Esc);
    press(&mut app, "l");
    app.handle_event(&Event::Paste("r".into()));
    let text = shown(&app, W, H);
    assert!(text.contains("— r/y/g"), "{text}");
    assert!(text.contains("Paste ignored"), "{text}");
}

/// Makes every write that grows the file fail with SQLITE_FULL ("database or disk is
/// full"), as a full disk does, or lifts that limit again.
fn disk_full(app: &App, full: bool) {
    let conn = app.store().conn();
    let pages: i64 = conn
        .query_row("PRAGMA page_count", [], |r| r.get(0))
        .unwrap();
    let limit = if full { pages } else { 1_000_000 };
    let _: i64 = conn
        .query_row(&format!("PRAGMA max_page_count = {limit}"), [], |r| {
            r.get(0)
        })
        .unwrap();
}

#[test]
fn a_full_disk_keeps_the_note_on_screen_and_saves_it_once_it_can() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = setup(&dir);
    call_with_note_open(&mut app);
    press(&mut app, "Start: ");
    disk_full(&app, true);
    // A long note (a paste and then typing) cannot be written.
    let long = mixed(20_000);
    app.handle_event(&Event::Paste(long.clone()));
    press(&mut app, " and more");
    let text = shown(&app, W, H);
    assert!(text.contains("NOT SAVED"), "the note pane says so:\n{text}");
    assert!(text.contains("your text is"), "{text}");
    assert!(!text.contains("saved as you type"), "{text}");
    assert!(text.contains("مرحبا\nnext line: 42 Renewal at".lines().last().unwrap()));
    assert!(text.contains(" and more█"), "{text}");
    assert_eq!(step_note(app.store(), 1), "Start: ");
    // Leaving the call would lose it: refused while it is not written.
    key(&mut app, KeyCode::Esc);
    press(&mut app, "q");
    press(&mut app, "q");
    assert!(!app.should_quit(), "quitting waits for the note");
    assert!(app.tick_in().is_some(), "the loop wakes to try again");

    // Space freed: the next tick (no key needed) writes all of it.
    disk_full(&app, false);
    app.tick();
    assert_eq!(
        step_note(app.store(), 1),
        format!("Start: {long} and more"),
        "every typed character is in the file"
    );
    let text = shown(&app, W, H);
    assert!(!text.contains("NOT SAVED"), "{text}");
}

#[test]
fn a_full_disk_keeps_the_wrap_up_form_and_says_so_in_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = setup(&dir);
    press(&mut app, "l");
    disk_full(&app, true);
    for _ in 0..8 {
        if shown(&app, W, H).contains("▶ Notes") {
            break;
        }
        key(&mut app, KeyCode::Tab);
    }
    let long = mixed(20_000);
    app.handle_event(&Event::Paste(long.clone()));
    let text = shown(&app, W, H);
    assert!(text.contains("NOT SAVED"), "{text}");
    assert!(app.tick_in().is_some());
    disk_full(&app, false);
    app.tick();
    assert!(!shown(&app, W, H).contains("NOT SAVED"));
    let draft = attuned::store::tagging::draft(app.store())
        .unwrap()
        .unwrap();
    let json = serde_json::to_string(&long).unwrap();
    assert!(
        draft.contains(json.trim_matches('"')),
        "the whole note is in the draft"
    );
}

/// The display column where `needle` starts in the row of `screen` that holds `row_has`.
fn column_of(screen: &str, row_has: &str, needle: &str) -> usize {
    let line = screen
        .lines()
        .find(|l| l.contains(row_has))
        .unwrap_or_else(|| panic!("no row with {row_has:?}:\n{screen}"));
    let at = line
        .find(needle)
        .unwrap_or_else(|| panic!("no {needle:?} in {line:?}"));
    // TestBackend writes a wide character followed by a blank for its second cell.
    line[..at].width()
}

/// A terminal's screen fed with ratatui's diffs, as a real terminal takes them: a wide
/// character covers the cell after it, and writing over either half of a wide character
/// blanks the other half (TestBackend does neither, so it cannot show leftovers).
struct Screen {
    shown: Buffer,
    last: Buffer,
}

impl Screen {
    fn new() -> Screen {
        let blank = Buffer::empty(Rect::new(0, 0, W, H));
        Screen {
            shown: blank.clone(),
            last: blank,
        }
    }

    /// Draws the app's next frame and checks the screen holds exactly that frame: nothing
    /// of an earlier one stays behind.
    fn draw(&mut self, app: &App) {
        let next = render(app, W, H).backend().buffer().clone();
        for (x, y, cell) in self.last.diff(&next) {
            if x > 0 && self.shown[(x - 1, y)].symbol().width() > 1 {
                self.shown[(x - 1, y)].set_symbol(" ");
            }
            if self.shown[(x, y)].symbol().width() > 1 && x + 1 < W {
                self.shown[(x + 1, y)].set_symbol(" ");
            }
            self.shown[(x, y)] = cell.clone();
            if cell.symbol().width() > 1 && x + 1 < W {
                self.shown[(x + 1, y)].set_symbol(" ");
            }
        }
        let mut stray = Vec::new();
        for y in 0..H {
            let mut covered = 0;
            for x in 0..W {
                let (a, b) = (self.shown[(x, y)].symbol(), next[(x, y)].symbol());
                if covered > 0 {
                    covered -= 1;
                } else if a != b {
                    stray.push(format!("({x},{y}) {a:?} instead of {b:?}"));
                }
                covered = covered.max(b.width().saturating_sub(1));
            }
        }
        assert!(
            stray.is_empty(),
            "cells of an earlier frame stayed on screen: {stray:?}\n{}",
            render(app, W, H).backend()
        );
        self.last = next;
    }

    fn text(&self) -> String {
        (0..H)
            .map(|y| {
                let mut line = String::new();
                let mut covered = 0;
                for x in 0..W {
                    let s = self.shown[(x, y)].symbol();
                    if covered > 0 {
                        covered -= 1;
                        continue;
                    }
                    covered = s.width().saturating_sub(1);
                    line.push_str(s);
                }
                line + "\n"
            })
            .collect()
    }
}

#[test]
fn wide_names_keep_their_columns_and_leave_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    isolate_config();
    let store = common::build(&dir.path().join("book.db"));
    let cjk = "日本語の物流会社ノースウィンド株式会社グループ";
    store
        .conn()
        .execute(
            "UPDATE accounts SET name = ?1 WHERE name = 'Bluepeak Analytics'",
            [cjk],
        )
        .unwrap();
    store
        .conn()
        .execute(
            "UPDATE personas SET name = '山田太郎 ✓ مرحبا' WHERE name = 'Dana Whitfield'",
            [],
        )
        .unwrap();
    let mut app = open(store, W, H);
    let mut t = Screen::new();
    t.draw(&app);

    // The follow-up queue: the action column starts at the same place on every row.
    press(&mut app, "f");
    t.draw(&app);
    let screen = t.text();
    let actions: Vec<(String, String)> = {
        let conn = app.store().conn();
        let mut stmt = conn
            .prepare(
                "SELECT a.name, f.action FROM followups f JOIN accounts a ON a.id = f.account_id
                 WHERE f.done_at IS NULL",
            )
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert!(actions.len() >= 2);
    let columns: Vec<usize> = actions
        .iter()
        .map(|(name, action)| {
            let row = if name == cjk { "日本語" } else { &name[..6] };
            column_of(&screen, row, &action[..action.len().min(12)])
        })
        .collect();
    assert!(
        columns.windows(2).all(|w| w[0] == w[1]),
        "action columns {columns:?}:\n{screen}"
    );

    // Back to the portfolio, then the log form of Northwind with its wide persona name.
    key(&mut app, KeyCode::Esc);
    t.draw(&app);
    press(&mut app, "/");
    for c in "Northwind".chars() {
        press(&mut app, &c.to_string());
        t.draw(&app);
    }
    key(&mut app, KeyCode::Enter);
    press(&mut app, "l");
    t.draw(&app);
    let screen = t.text();
    let strength = column_of(&screen, "山田太郎", "Weak");
    let other = column_of(&screen, "Leo Brandt", "Weak");
    assert_eq!(strength, other, "{screen}");
    for _ in 0..12 {
        key(&mut app, KeyCode::Tab);
        t.draw(&app);
    }
    key(&mut app, KeyCode::Esc);
    t.draw(&app);
    key(&mut app, KeyCode::Esc);
    t.draw(&app);
}
