//! Flows that do what the user meant, driven through the real `App` on a `TestBackend`:
//! a prefilled date replaced by what is typed, the quit question during a call, a
//! skipped step, a reason for Red or Yellow, length limits shown as one types.

mod common;

use attuned::ui::App;
use common::screen::{key, open, press, shown};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

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
