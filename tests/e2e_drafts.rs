//! End to end in tmux: text typed into the wrap-up form survives `kill -9`, for a logged
//! touch (the form opens again by itself) and for a call's wrap-up (it comes back when
//! the interrupted call is resumed and handed over again).

mod common;

use std::path::Path;

use common::tmux::{Tmux, demo, export_json, kill_9, open_command_in};

fn fresh_pane(dir: &Path, name: &str, db: &Path) -> Tmux {
    let at = dir.join(name);
    std::fs::create_dir(&at).unwrap();
    Tmux::start(&at, 120, 35, &open_command_in(dir, db))
}

#[test]
fn a_logged_touch_typed_before_kill_9_opens_again_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("book.db");
    demo(&db, 200);
    let tmux = fresh_pane(dir.path(), "first", &db);
    tmux.wait_for(" accounts · ");

    // `l`: Yellow, coaching, then a two-line note; killed before saving.
    tmux.keys(&["l"]);
    tmux.wait_for("Log a touch");
    tmux.keys(&["y", "Tab", "Right", "Right"]);
    tmux.wait_for("Coaching");
    for _ in 0..6 {
        tmux.keys(&["Tab"]);
    }
    tmux.type_text("Asked about SSO");
    tmux.keys(&["Enter"]);
    tmux.type_text("wants a demo ✓");
    tmux.wait_for("wants a demo ✓");
    kill_9(tmux);

    // The next start reopens the form with everything typed.
    let tmux = fresh_pane(dir.path(), "second", &db);
    tmux.wait_for("Restored the unsaved form");
    tmux.wait_for("wants a demo ✓");
    tmux.wait_for("Asked about SSO");
    tmux.wait_for("Coaching");
    tmux.keys(&["C-s"]);
    tmux.wait_for("logged Yellow");
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_until_exited(), "0");
    drop(tmux);

    let json = export_json(&db);
    let touch = json["touches"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["notes"] == "Asked about SSO\nwants a demo ✓")
        .expect("the logged touch with its notes");
    assert_eq!(touch["sentiment"], "yellow");
    assert_eq!(touch["intervention"], "coaching");

    // Saved: the next start opens on the portfolio, no form.
    let tmux = fresh_pane(dir.path(), "third", &db);
    let screen = tmux.wait_for(" accounts · ");
    assert!(!screen.contains("Log a touch"), "{screen}");
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_until_exited(), "0");
}

#[test]
fn a_call_wrap_up_typed_before_kill_9_comes_back_on_resume() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("book.db");
    demo(&db, 200);
    let tmux = fresh_pane(dir.path(), "first", &db);
    tmux.wait_for(" accounts · ");
    tmux.keys(&["c"]);
    tmux.wait_for("New call with");
    tmux.keys(&["Enter"]);
    tmux.wait_for("ASSESS SIGNALS");
    tmux.keys(&["x"]);
    tmux.wait_for("■ ended");
    tmux.keys(&["r"]);
    tmux.keys(&["Enter"]);
    tmux.wait_for("Wrap-up of the call");
    // The outcome, typed and not saved.
    tmux.keys(&["Down", "Down", "Down", "Down", "C-u"]);
    tmux.type_text("Agreed to a pilot in Q1");
    tmux.wait_for("Agreed to a pilot in Q1");
    kill_9(tmux);

    let tmux = fresh_pane(dir.path(), "second", &db);
    tmux.wait_for("A call was interrupted");
    tmux.keys(&["Enter"]);
    tmux.wait_for("■ ended");
    tmux.keys(&["Enter"]);
    tmux.wait_for("Wrap-up of the call");
    tmux.wait_for("Agreed to a pilot in Q1");
    tmux.wait_for("Restored the wrap-up");
    tmux.keys(&["Enter"]);
    tmux.wait_for("retrospective is pending");
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_until_exited(), "0");
    drop(tmux);

    let json = export_json(&db);
    let call = json["touches"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["outcome"] == "Agreed to a pilot in Q1")
        .expect("the tagged call");
    assert_eq!(call["sentiment"], "red");
    assert_eq!(call["status"], "retro_pending");
}
