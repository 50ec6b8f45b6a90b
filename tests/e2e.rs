//! End to end: the built binary in a real terminal (tmux), driven by keys as a CSM would.

mod common;

use std::process::Command;

use common::tmux::{Tmux, demo, first_account_name, open_command, wait_gone};

#[test]
fn filter_open_an_account_and_quit() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("book.db");
    demo(&db, 300);
    let name = first_account_name(&db);
    let tmux = Tmux::start(dir.path(), 120, 35, &open_command(&db));
    tmux.wait_for("300 accounts");
    tmux.keys(&["/"]);
    tmux.type_text(&name);
    let screen = tmux.wait_for(&format!("Filter: {name}"));
    assert!(screen.contains(&name), "{screen}");
    tmux.keys(&["Enter"]);
    tmux.wait_for(&format!("Portfolio › {name}"));
    // A frame can reach tmux in pieces; the status bar, its last row, is written last.
    let screen = tmux.wait_for("Esc back");
    for expected in ["Personas:", "Risk", "Recent touches", "Esc back"] {
        assert!(screen.contains(expected), "missing {expected}:\n{screen}");
    }
    tmux.keys(&["Escape"]);
    // "Enter open" is on the account's status bar too: wait for the account to go.
    wait_gone(&tmux, "Recent touches");
    tmux.wait_for("Enter open");
    tmux.keys(&["?"]);
    tmux.wait_for("Keys on the portfolio screen");
    // Esc and q sent together would arrive as Alt-q; wait for the help to close.
    tmux.keys(&["Escape"]);
    wait_gone(&tmux, "Keys on the portfolio screen");
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_until_exited(), "0");
    assert_eq!(
        tmux.format("#{alternate_on}"),
        "0",
        "left the alternate screen"
    );
    // Every connection closed in order: the WAL is folded back, nothing left beside.
    for side in ["book.db-wal", "book.db-shm"] {
        assert!(
            !dir.path().join(side).exists(),
            "{side} left after quitting"
        );
    }
}

#[test]
fn sigterm_and_sighup_restore_the_terminal() {
    for signal in ["TERM", "HUP"] {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("book.db");
        demo(&db, 20);
        let tmux = Tmux::start(dir.path(), 100, 30, &open_command(&db));
        tmux.wait_for("20 accounts");
        assert_eq!(tmux.format("#{alternate_on}"), "1");
        let pid = tmux.app_pid();
        let status = Command::new("kill")
            .args([format!("-{signal}"), pid])
            .status()
            .unwrap();
        assert!(status.success());
        tmux.wait_until_exited();
        assert_eq!(tmux.format("#{alternate_on}"), "0", "after SIG{signal}");
        assert!(
            !tmux.screen().contains("Enter open"),
            "UI left on screen after SIG{signal}"
        );
    }
}

#[test]
fn a_tiny_terminal_gets_a_notice() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("book.db");
    demo(&db, 20);
    let tmux = Tmux::start(dir.path(), 30, 8, &open_command(&db));
    tmux.wait_for("Terminal too small");
    tmux.run(&["resize-window", "-t", "e2e", "-x", "100", "-y", "30"]);
    tmux.wait_for("20 accounts");
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_until_exited(), "0");
}
