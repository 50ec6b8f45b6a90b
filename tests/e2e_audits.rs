//! End to end: an audit scored in a real terminal, the comment typed and the process
//! killed with `kill -9` before leaving the form; every score and character is in the file.

mod common;

use common::tmux::{Tmux, demo, kill_9, open_command_in};

#[test]
fn an_audit_comment_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("book.db");
    demo(&db, 200);
    let first = dir.path().join("first");
    std::fs::create_dir(&first).unwrap();
    let tmux = Tmux::start(&first, 100, 30, &open_command_in(dir.path(), &db));
    tmux.wait_for("accounts · ");
    tmux.keys(&["A"]);
    tmux.wait_for("Nothing drawn for");
    tmux.keys(&["d"]);
    tmux.wait_for("Drew 10 touches for 1 CSM");
    tmux.keys(&["Enter"]);
    tmux.wait_for("Score (to score");
    tmux.keys(&["4"]);
    tmux.wait_for("Adaptability 4 Adapting");
    tmux.keys(&["2"]);
    tmux.keys(&["Enter"]);
    tmux.wait_for("saved as you type");
    tmux.type_text("Validated; plan generic ü ✓");
    tmux.wait_for("plan generic ü ✓");
    kill_9(tmux);

    let store = attuned::store::Store::open_read_only(&db).unwrap();
    let (rubric, personalization, comment): (i64, i64, String) = store
        .conn()
        .query_row(
            "SELECT rubric, personalization, comment FROM audits WHERE rubric IS NOT NULL",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!((rubric, personalization), (4, 2));
    assert_eq!(comment, "Validated; plan generic ü ✓");
    drop(store);

    // Opened again, the audit shows as scored with its comment.
    let second = dir.path().join("second");
    std::fs::create_dir(&second).unwrap();
    let tmux = Tmux::start(&second, 100, 30, &open_command_in(dir.path(), &db));
    tmux.wait_for("accounts · ");
    tmux.keys(&["A"]);
    tmux.wait_for("10 drawn, 1 scored");
    tmux.keys(&["Enter"]);
    tmux.wait_for("plan generic ü ✓");
    tmux.keys(&["Escape"]);
    tmux.keys(&["Escape"]);
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_until_exited(), "0");
}
