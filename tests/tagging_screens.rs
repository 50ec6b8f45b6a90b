//! The wrap-up form and the follow-up queue driven through the real `App` on a
//! `TestBackend`: the keystrokes of a minimal tag, inline validation that keeps what was
//! typed, logging a touch, correcting one, the queue's moves, snapshots, tiny sizes.

mod common;

use attuned::store::Store;
use attuned::ui::App;
use common::screen::{key, open, shown as render};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

fn setup(dir: &tempfile::TempDir) -> App {
    unsafe { std::env::set_var("XDG_CONFIG_HOME", "/nonexistent-attuned-test-config") };
    let store = common::build(&dir.path().join("book.db"));
    open(store, 80, 24)
}

/// Sends keys and counts them.
struct Keys<'a> {
    app: &'a mut App,
    count: usize,
}

impl Keys<'_> {
    fn text(&mut self, s: &str) -> &mut Self {
        for c in s.chars() {
            self.code(KeyCode::Char(c));
        }
        self
    }

    fn code(&mut self, code: KeyCode) -> &mut Self {
        key(self.app, code);
        self.count += 1;
        self
    }

    fn ctrl(&mut self, c: char) -> &mut Self {
        self.app
            .handle_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL));
        self.count += 1;
        self
    }
}

fn keys(app: &mut App) -> Keys<'_> {
    Keys { app, count: 0 }
}

fn store_of(dir: &tempfile::TempDir) -> Store {
    Store::open_read_only(&dir.path().join("book.db")).unwrap()
}

#[test]
fn a_minimal_call_tag_takes_four_keys_from_the_end_of_the_call() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = setup(&dir);
    keys(&mut app).text("c").code(KeyCode::Enter);
    assert!(render(&app, 80, 24).contains("ASSESS"));
    let mut k = keys(&mut app);
    // x ends the call, g picks Green, Enter hands over to the wrap-up, Enter saves.
    k.text("x").text("g").code(KeyCode::Enter);
    let form = render(k.app, 80, 24);
    assert!(form.contains("Wrap-up of the call"), "{form}");
    insta::assert_snapshot!("wrap_up_after_a_call_80x24", form);
    assert!(
        form.contains("Follow-up *   2026-11-30"),
        "prefilled +1 week: {form}"
    );
    k.code(KeyCode::Enter);
    assert_eq!(k.count, 4);
    let text = render(&app, 120, 30);
    assert!(text.contains("tagged Green"), "{text}");
    let store = store_of(&dir);
    let (status, sentiment, followups, pulses): (String, String, i64, i64) = store
        .conn()
        .query_row(
            "SELECT status, sentiment,
                    (SELECT count(*) FROM followups f WHERE f.touch_id = t.id AND done_at IS NULL),
                    (SELECT count(*) FROM pulse_history p WHERE p.touch_id = t.id)
             FROM touches t WHERE kind = 'call' ORDER BY created_at DESC, id DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!(
        (status.as_str(), sentiment.as_str(), followups, pulses),
        ("retro_pending", "green", 1, 1)
    );
}

#[test]
fn esc_in_the_wrap_up_goes_back_to_the_call_and_keeps_it_open() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = setup(&dir);
    keys(&mut app)
        .text("c")
        .code(KeyCode::Enter)
        .text("xy")
        .code(KeyCode::Enter)
        .code(KeyCode::Esc);
    let text = render(&app, 80, 24);
    assert!(text.contains("DOCUMENT"), "{text}");
    let open: i64 = store_of(&dir)
        .conn()
        .query_row(
            "SELECT count(*) FROM touches WHERE status = 'in_progress'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(open, 1, "the call waits for its tags");
}

#[test]
fn logging_an_email_validates_inline_and_keeps_what_was_typed() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = setup(&dir);
    let mut k = keys(&mut app);
    k.text("l");
    assert!(render(k.app, 80, 24).contains("Log a touch"));
    // Save at once: sentiment and intervention are required.
    k.code(KeyCode::Enter);
    let text = render(k.app, 80, 24);
    assert!(text.contains("required: r Red"), "{text}");
    assert!(text.contains("required: ←/→"), "{text}");
    // Sentiment, intervention, then a follow-up in the past and a bad CSAT.
    k.text("y")
        .code(KeyCode::Tab)
        .code(KeyCode::Right)
        .code(KeyCode::Tab)
        .ctrl('u')
        .text("2020-01-01")
        .code(KeyCode::Tab)
        .text("Send the recap")
        .code(KeyCode::Tab)
        .text("Agreed on next steps")
        .code(KeyCode::Tab)
        .text("9")
        .code(KeyCode::Enter);
    let text = render(k.app, 80, 30);
    assert!(text.contains("2020-01-01 is in the past"), "{text}");
    assert!(text.contains("CSAT is 1 to 5"), "{text}");
    assert!(
        text.contains("Send the recap"),
        "nothing typed is lost: {text}"
    );
    assert!(text.contains("2020-01-01"), "{text}");
    insta::assert_snapshot!("wrap_up_with_errors_80x30", text);
    // An unparseable date says so too.
    // The failed save put the cursor on the first problem: the follow-up.
    k.ctrl('u').text("someday").code(KeyCode::Enter);
    let text = render(k.app, 80, 30);
    assert!(text.contains("'someday' is not a date"), "{text}");
    // Fix both: the follow-up on Friday, CSAT 4, a note on two lines.
    k.ctrl('u').text("fri");
    for _ in 0..3 {
        k.code(KeyCode::Tab);
    }
    k.code(KeyCode::Backspace).text("4");
    k.code(KeyCode::Tab).code(KeyCode::Tab);
    k.text("first line")
        .code(KeyCode::Enter)
        .text("second line");
    k.ctrl('s');
    let text = render(k.app, 120, 30);
    assert!(
        text.contains("Email with") && text.contains("logged Yellow, follow-up Fri Nov 27"),
        "{text}"
    );
    let store = store_of(&dir);
    let (kind, notes, csat, outcome): (String, String, i64, String) = store
        .conn()
        .query_row(
            "SELECT kind, notes, csat, outcome FROM touches ORDER BY created_at DESC, id DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!(kind, "email");
    assert_eq!(notes, "first line\nsecond line");
    assert_eq!(csat, 4);
    assert_eq!(outcome, "Agreed on next steps");
    let action: String = store
        .conn()
        .query_row(
            "SELECT action FROM followups WHERE due_on = '2026-11-27' ORDER BY id DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(action, "Send the recap");
}

#[test]
fn a_participant_update_and_no_followup() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = setup(&dir);
    let mut k = keys(&mut app);
    // The first account in risk order, its first persona from the bottom of the form.
    k.text("l").code(KeyCode::BackTab).text("n"); // kind: note
    k.code(KeyCode::Tab).text("g").code(KeyCode::Tab).text("1");
    k.code(KeyCode::Tab).ctrl('u').text("none");
    k.code(KeyCode::BackTab)
        .code(KeyCode::BackTab)
        .code(KeyCode::BackTab); // back to Touch, then up wraps to the last participant
    k.code(KeyCode::Up).text(" +]");
    let text = render(k.app, 100, 40);
    assert!(text.contains("[x]"), "{text}");
    k.code(KeyCode::Enter);
    let text = render(k.app, 120, 30);
    assert!(
        text.contains("Note with") && text.contains("no follow-up"),
        "{text}"
    );
    let store = store_of(&dir);
    let (changes, no_followup): (i64, bool) = store
        .conn()
        .query_row(
            "SELECT (SELECT count(*) FROM persona_changes c WHERE c.touch_id = t.id), no_followup
             FROM touches t ORDER BY created_at DESC, id DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(changes, 1);
    assert!(no_followup);
}

#[test]
fn the_queue_groups_and_acts() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = setup(&dir);
    let mut k = keys(&mut app);
    k.text("f");
    let text = render(k.app, 80, 24);
    assert!(text.contains("Overdue"), "{text}");
    assert!(text.contains("Today"), "{text}");
    insta::assert_snapshot!("followup_queue_80x24", text);
    // A bad date keeps what was typed.
    k.text("r").ctrl('u').text("someday").code(KeyCode::Enter);
    let text = render(k.app, 80, 24);
    assert!(text.contains("'someday' is not a date"), "{text}");
    assert!(text.contains("someday▏"), "{text}");
    k.ctrl('u').text("+3d").code(KeyCode::Enter);
    assert!(render(k.app, 80, 24).contains("moved to Thu Nov 26"));
    k.text("z");
    assert!(render(k.app, 80, 24).contains("Snoozed"));
    k.text("d");
    assert!(render(k.app, 80, 24).contains("Done:"));
    // Enter opens the account; Esc comes back to the queue, a second Esc to the portfolio.
    k.code(KeyCode::Enter);
    assert!(render(k.app, 80, 24).contains("Follow-ups › "));
    k.code(KeyCode::Esc);
    assert!(render(k.app, 80, 24).contains("┌ Follow-ups"));
    k.code(KeyCode::Esc);
    let text = render(k.app, 80, 24);
    assert!(
        text.contains("Portfolio") && !text.contains("┌ Follow-ups"),
        "{text}"
    );
}

#[test]
fn the_form_and_the_queue_render_at_every_small_size() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = setup(&dir);
    let sizes = |app: &App| {
        for w in (1..=81).step_by(4) {
            for h in 1..=25 {
                render(app, w, h);
            }
        }
    };
    // Each step checks it reached the screen it sweeps.
    keys(&mut app).text("l");
    assert!(render(&app, 100, 30).contains("› Log a touch"));
    sizes(&app);
    keys(&mut app).code(KeyCode::Enter);
    assert!(render(&app, 100, 30).contains("Not saved: see the marked fields"));
    sizes(&app);
    keys(&mut app).code(KeyCode::Esc).text("f");
    assert!(render(&app, 100, 30).contains("┌ Follow-ups"));
    sizes(&app);
}

#[test]
fn a_correction_from_the_touch_view_keeps_the_earlier_values() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = setup(&dir);
    let mut k = keys(&mut app);
    k.text("l").text("r").code(KeyCode::Tab).text("2");
    k.code(KeyCode::Enter);
    // Open the account, the touches pane, the newest touch, and correct it.
    k.code(KeyCode::Enter)
        .code(KeyCode::Tab)
        .code(KeyCode::Enter);
    let text = render(k.app, 120, 40);
    assert!(text.contains("Email"), "{text}");
    k.text("e");
    let text = render(k.app, 120, 40);
    assert!(text.contains("Correct the touch"), "{text}");
    k.text("g").code(KeyCode::Enter);
    let text = render(k.app, 120, 40);
    assert!(text.contains("Touch corrected"), "{text}");
    let store = store_of(&dir);
    let previous: String = store
        .conn()
        .query_row("SELECT previous FROM touch_revisions", [], |r| r.get(0))
        .unwrap();
    assert!(previous.contains("\"sentiment\":\"red\""), "{previous}");
}

#[test]
fn question_mark_shows_the_form_keys_except_where_it_is_text() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = setup(&dir);
    let mut k = keys(&mut app);
    k.text("l").text("?");
    let text = render(k.app, 100, 40);
    assert!(text.contains("Save from any field"), "{text}");
    // Any key closes help and the form is as it was.
    k.code(KeyCode::Esc);
    let text = render(k.app, 100, 40);
    assert!(text.contains("Log a touch"), "{text}");
    // In a text field `?` is a character.
    k.text("y").code(KeyCode::Tab).code(KeyCode::Right);
    k.code(KeyCode::Tab).code(KeyCode::Tab).text("why?");
    let text = render(k.app, 100, 40);
    assert!(text.contains("why?"), "{text}");
}

#[test]
fn the_notes_edit_anywhere_and_arrows_leave_them_at_their_ends() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = setup(&dir);
    let mut k = keys(&mut app);
    k.text("l")
        .text("g")
        .code(KeyCode::Tab)
        .code(KeyCode::Right);
    for _ in 0..6 {
        k.code(KeyCode::Tab);
    }
    k.text("first").code(KeyCode::Enter).text("third");
    // Up to the first line, to its end, a new line in between.
    k.code(KeyCode::Up)
        .code(KeyCode::End)
        .code(KeyCode::Enter)
        .text("second");
    let text = render(k.app, 100, 40);
    assert!(text.contains("Notes         first"), "{text}");
    assert!(text.contains("second▏"), "{text}");
    assert!(text.contains("third"), "{text}");
    // ↑ on the first line leaves the notes for the field above (Escalated), one more
    // reaches CSAT: typing goes there.
    k.code(KeyCode::Up).code(KeyCode::Up);
    assert!(render(k.app, 100, 40).contains("▶ Escalated"));
    k.code(KeyCode::Up).text("4");
    let text = render(k.app, 100, 40);
    assert!(text.contains("CSAT (1-5)    4"), "{text}");
    k.ctrl('s');
    let store = store_of(&dir);
    let notes: String = store
        .conn()
        .query_row(
            "SELECT notes FROM touches WHERE csat = 4 ORDER BY created_at DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(notes, "first\nsecond\nthird");
}

#[test]
fn the_wrap_up_says_when_saving_overturns_the_csm_sentiment() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = setup(&dir);
    // Northwind's CSM sentiment is Red (set 2026-11-20, "regular review"); the call is
    // tagged Green on step 5.
    keys(&mut app)
        .text("c")
        .code(KeyCode::Enter)
        .text("xg")
        .code(KeyCode::Enter);
    let form = render(&app, 120, 35);
    assert!(
        form.contains(
            "Saving changes CSM sentiment Red → Green (Red since 2026-11-20: regular review)"
        ),
        "{form}"
    );
    insta::assert_snapshot!("wrap_up_after_a_call_120x35", form);
    // r on the sentiment: the Red stays, said quietly.
    keys(&mut app).text("r");
    let form = render(&app, 120, 35);
    assert!(!form.contains("Saving changes"), "{form}");
    assert!(
        form.contains("CSM sentiment stays Red since 2026-11-20: regular review"),
        "{form}"
    );
    // At 80 columns the line wraps under its field, never to the box's edge.
    keys(&mut app).text("g");
    let form = render(&app, 80, 24);
    assert!(
        form.contains("│                Saving changes CSM sentiment Red → Green"),
        "{form}"
    );
    assert!(
        form.contains("│                  2026-11-20: regular review)"),
        "{form}"
    );
}

#[test]
fn a_wide_wrap_up_keeps_the_call_notes_in_view() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = setup(&dir);
    keys(&mut app).text("c").code(KeyCode::Enter).text("a");
    keys(&mut app)
        .text("Upset about the rollout delays")
        .code(KeyCode::Esc)
        .text("nnn")
        .text("a")
        .text("Remediation session within 48h")
        .code(KeyCode::Esc)
        .text("xg")
        .code(KeyCode::Enter);
    let form = render(&app, 120, 35);
    for want in [
        "Noted during the call",
        "1 Assess signals",
        "Upset about the rollout delays",
        "4 Propose a fix and a follow-up",
        "Remediation session within 48h",
    ] {
        assert!(form.contains(want), "{want}\n{form}");
    }
    insta::assert_snapshot!("wrap_up_with_call_notes_120x35", form);
    // At 80 columns the form keeps the whole width.
    let narrow = render(&app, 80, 24);
    assert!(!narrow.contains("Noted during the call"), "{narrow}");
}
