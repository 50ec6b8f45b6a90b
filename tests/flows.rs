//! Flows that do what the user meant, driven through the real `App` on a `TestBackend`:
//! a prefilled date replaced by what is typed, the quit question during a call, a
//! skipped step, a reason for Red or Yellow, length limits shown as one types.

mod common;

use attuned::ui::App;
use common::screen::{key, open, press, shown};
use crossterm::event::KeyCode;

fn setup(dir: &tempfile::TempDir) -> App {
    unsafe { std::env::set_var("XDG_CONFIG_HOME", "/nonexistent-attuned-test-config") };
    let store = common::build(&dir.path().join("book.db"));
    open(store, 80, 24)
}

#[test]
fn a_reschedule_replaces_its_prefilled_date_with_what_is_typed() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = setup(&dir);
    press(&mut app, "fr");
    assert!(shown(&app, 80, 24).contains("New date: 2026-11-21"));
    press(&mut app, "fri");
    key(&mut app, KeyCode::Enter);
    let text = shown(&app, 80, 24);
    // Monday 2026-11-23: "fri" is the 27th.
    assert!(text.contains("moved to Fri Nov 27"), "{text}");
    // A cursor key keeps the prefill and edits it.
    press(&mut app, "r");
    key(&mut app, KeyCode::End);
    key(&mut app, KeyCode::Backspace);
    press(&mut app, "5");
    let text = shown(&app, 80, 24);
    assert!(text.contains("New date: 2026-11-25▏"), "{text}");
}

/// Starts a call on the first account (Northwind) from the portfolio.
fn in_a_call(dir: &tempfile::TempDir) -> App {
    let mut app = setup(dir);
    press(&mut app, "c");
    key(&mut app, KeyCode::Enter);
    assert!(shown(&app, 80, 24).contains("ASSESS"));
    app
}

const QUESTION: &str = "Quit during a call?";

#[test]
fn the_quit_question_during_a_call_swallows_no_key() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = in_a_call(&dir);
    // Esc answers "stay": the question goes, and the next key works.
    press(&mut app, "q");
    assert!(shown(&app, 80, 24).contains(QUESTION));
    key(&mut app, KeyCode::Esc);
    assert!(!shown(&app, 80, 24).contains(QUESTION));
    let before = shown(&app, 80, 24);
    press(&mut app, "g");
    assert_ne!(shown(&app, 80, 24), before, "g (Green) took effect");
    // Any other key answers "stay" and does what it does.
    press(&mut app, "q");
    press(&mut app, "n");
    let text = shown(&app, 80, 24);
    assert!(!text.contains(QUESTION), "{text}");
    assert!(text.contains("Step 2/6"), "{text}");
    // A key bound to nothing answers it too.
    press(&mut app, "q");
    key(&mut app, KeyCode::F(9));
    assert!(!shown(&app, 80, 24).contains(QUESTION));
    press(&mut app, "q");
    key(&mut app, KeyCode::Esc);
    press(&mut app, "x");
    let text = shown(&app, 80, 24);
    assert!(text.contains("ended"), "x ended the call: {text}");
    assert!(!app.should_quit());
}

#[test]
fn a_step_passed_with_n_at_0_00_is_not_marked_done() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = in_a_call(&dir);
    // The fixture's clock stands still: step 1 gets 0:00.
    press(&mut app, "n");
    let text = shown(&app, 80, 24);
    assert!(!text.contains("✓1"), "{text}");
    assert!(text.contains("·1 Assess"), "{text}");
    // A note on a step makes it done, whatever the time.
    press(&mut app, "a");
    press(&mut app, "Upset about the outage");
    key(&mut app, KeyCode::Esc);
    press(&mut app, "n");
    let text = shown(&app, 80, 24);
    assert!(text.contains("✓2"), "{text}");
}

fn latest_pulse(dir: &tempfile::TempDir, account: &str) -> (String, Option<String>) {
    let store = attuned::store::Store::open_read_only(&dir.path().join("book.db")).unwrap();
    let id = common::id_of(&store, "accounts", account);
    store
        .conn()
        .query_row(
            "SELECT pulse, reason FROM pulse_history WHERE account_id = ?1
             ORDER BY set_at DESC, id DESC LIMIT 1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
}

#[test]
fn red_or_yellow_needs_a_reason_green_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = setup(&dir);
    // Northwind, Red already: the form opens on Red.
    key(&mut app, KeyCode::Enter);
    press(&mut app, "s");
    assert!(shown(&app, 80, 24).contains("Set CSM sentiment"));
    key(&mut app, KeyCode::Enter);
    let text = shown(&app, 80, 24);
    assert!(text.contains("Red needs a reason"), "{text}");
    assert!(text.contains("Set CSM sentiment"), "the form stays: {text}");
    // Spaces are no reason either.
    press(&mut app, "   ");
    key(&mut app, KeyCode::Enter);
    assert!(shown(&app, 80, 24).contains("Red needs a reason"));
    press(&mut app, "Exec sponsor left");
    key(&mut app, KeyCode::Enter);
    assert_eq!(
        latest_pulse(&dir, "Northwind Logistics"),
        ("red".into(), Some("Exec sponsor left".into()))
    );
    // Green may have none.
    press(&mut app, "s");
    key(&mut app, KeyCode::Left); // Red → Yellow
    key(&mut app, KeyCode::Enter);
    assert!(shown(&app, 80, 24).contains("Yellow needs a reason"));
    key(&mut app, KeyCode::Left); // Yellow → Green
    key(&mut app, KeyCode::Enter);
    assert_eq!(
        latest_pulse(&dir, "Northwind Logistics"),
        ("green".into(), None)
    );
}

#[test]
fn a_title_longer_than_its_limit_is_refused_as_it_is_typed() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = setup(&dir);
    key(&mut app, KeyCode::Enter);
    press(&mut app, "i");
    press(&mut app, "Dana Lee");
    key(&mut app, KeyCode::Tab);
    // A 500-character paste: the title keeps 120, the box keeps its fields.
    press(&mut app, &"Head of Customer Operations ".repeat(18)[..500]);
    let text = shown(&app, 80, 24);
    assert!(text.contains("120/120"), "{text}");
    assert!(
        text.contains("At most 120 characters in the title"),
        "{text}"
    );
    for label in ["Name", "Email", "Role", "Notes"] {
        assert!(text.contains(label), "{label} pushed out: {text}");
    }
    // Nearing the limit shows the count; far from it, nothing.
    key(&mut app, KeyCode::Tab);
    press(&mut app, "dana@example.com");
    let text = shown(&app, 80, 24);
    assert!(!text.contains("/254"), "{text}");
    key(&mut app, KeyCode::Enter);
    let store = attuned::store::Store::open_read_only(&dir.path().join("book.db")).unwrap();
    let title: String = store
        .conn()
        .query_row(
            "SELECT title FROM personas WHERE name = 'Dana Lee'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let typed = "Head of Customer Operations ".repeat(5);
    assert_eq!(title, typed[..120].trim());
}

#[test]
fn the_wrap_up_action_stops_at_its_limit_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = setup(&dir);
    press(&mut app, "lr");
    key(&mut app, KeyCode::Tab);
    press(&mut app, "2");
    for _ in 0..12 {
        if shown(&app, 100, 30).contains("▶ Action") {
            break;
        }
        key(&mut app, KeyCode::Tab);
    }
    assert!(shown(&app, 100, 30).contains("▶ Action"));
    press(&mut app, &"x".repeat(395));
    assert!(
        !shown(&app, 100, 30).contains("/500"),
        "far from it: no count"
    );
    press(&mut app, &"x".repeat(10));
    assert!(shown(&app, 100, 30).contains("405/500"));
    press(&mut app, &"x".repeat(200));
    let text = shown(&app, 100, 30);
    assert!(text.contains("500/500"), "{text}");
    assert!(
        text.contains("At most 500 characters in the action"),
        "{text}"
    );
}

/// Back on the portfolio after working on an account, the cursor is on that account even
/// though the work moved it out of view (Enter then opens it again, not another).
#[test]
fn back_on_the_portfolio_the_cursor_is_on_the_account_just_worked_on() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.db");
    let mut store = attuned::store::Store::open(&path).unwrap();
    let opts = attuned::demo::DemoOptions {
        accounts: 120,
        seed: 7,
    };
    attuned::demo::generate(&mut store, &opts, &common::clock()).unwrap();
    let mut app = open(store, 80, 16);
    // By CSM sentiment the Reds come first; one turned Green goes far down.
    press(&mut app, ":sort CSM sentiment");
    key(&mut app, KeyCode::Enter);
    let rows = |app: &App| -> Vec<String> {
        shown(app, 80, 16)
            .lines()
            .map(|l| l.trim_matches('"').to_string())
            .filter(|l| l.contains('$') && !l.contains("contract value"))
            .collect()
    };
    let top = rows(&app)[0].clone();
    let name: String = top
        .trim_start_matches('▶')
        .trim()
        .split("  ")
        .next()
        .unwrap()
        .to_string();
    key(&mut app, KeyCode::Enter);
    press(&mut app, "s");
    key(&mut app, KeyCode::Left);
    key(&mut app, KeyCode::Left);
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Esc);
    let after = rows(&app);
    let selected = after.iter().find(|l| l.starts_with('▶')).unwrap();
    assert!(selected.contains(&name), "{name} in {after:#?}");
    key(&mut app, KeyCode::Enter);
    assert!(
        shown(&app, 80, 16).contains(&format!("Portfolio › {name}")),
        "Enter opens {name} again"
    );
}
