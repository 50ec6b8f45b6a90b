//! End to end in a real terminal (tmux): a true (bracketed) paste of 5,000 mixed
//! characters into a call note and 3,000 more typed at once are all on screen and in the
//! file, with no further key, so a `kill -9` right after loses nothing; a paste on the
//! portfolio runs no command. A file that cannot be written at open (a full or failing
//! disk) opens read-only and says why.

mod common;

use std::path::Path;
use std::time::Duration;

use common::tmux::{Tmux, demo, export_json, kill_9, open_command_in};

/// Pastes `text` the way a terminal does: tmux wraps it in bracketed-paste markers
/// (`paste-buffer -p`) when the program asked for them.
fn paste(tmux: &Tmux, dir: &Path, text: &str) {
    let file = dir.join("clipboard.txt");
    std::fs::write(&file, text).unwrap();
    tmux.run(&["load-buffer", "-b", "clip", &file.display().to_string()]);
    tmux.run(&["paste-buffer", "-p", "-d", "-b", "clip", "-t", "e2e"]);
}

fn mixed(chars: usize) -> String {
    let piece = "Renewal at risk é ✓ 日本語 مرحبا\nnext: 42 ";
    piece.chars().cycle().take(chars).collect()
}

#[test]
fn a_long_paste_into_a_call_note_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("book.db");
    demo(&db, 300);
    let tmux = Tmux::start(dir.path(), 100, 30, &open_command_in(dir.path(), &db));
    tmux.wait_for("300 accounts");

    // A paste where no text field has the cursor is ignored: "qqq" does not quit.
    paste(&tmux, dir.path(), "qqq");
    tmux.wait_for("Paste ignored");
    std::thread::sleep(Duration::from_millis(300));
    assert!(tmux.screen().contains("300 accounts"), "{}", tmux.screen());
    assert!(!tmux.app_pid().is_empty(), "still running");

    tmux.keys(&["c"]);
    tmux.wait_for("New call with");
    tmux.keys(&["Enter"]);
    tmux.wait_for("● live");
    tmux.keys(&["a"]);
    tmux.wait_for("saved as you type");

    // A true paste, then a burst of typing (not a paste): both appear whole with no
    // other key; the note ends with a marker only the last characters carry.
    let pasted = mixed(5_000);
    paste(&tmux, dir.path(), &pasted);
    let typed: String = "typed fast 0123456789 "
        .chars()
        .cycle()
        .take(3_000)
        .collect();
    tmux.type_text(&format!("{typed}THE-END"));
    tmux.wait_for("THE-END█");
    kill_9(tmux);

    let json = export_json(&db);
    let call = json["touches"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["status"] == "in_progress" && t["kind"] == "call")
        .expect("the interrupted call is in the file")
        .clone();
    let note = call["steps"][0]["note"].as_str().unwrap();
    assert_eq!(note.chars().count(), 5_000 + 3_000 + "THE-END".len());
    assert_eq!(note, format!("{pasted}{typed}THE-END"));
}

#[test]
fn a_file_that_cannot_be_written_at_open_opens_read_only_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("book.db");
    demo(&db, 50);
    // No file may grow past 0 bytes: every write fails with an I/O error, as on a full
    // or failing disk (SIGXFSZ ignored, so the write fails rather than the process).
    let command = format!(
        "(trap '' XFSZ; ulimit -f 0; {})",
        open_command_in(dir.path(), &db)
    );
    let tmux = Tmux::start(dir.path(), 120, 30, &command);
    tmux.wait_for("[read-only]");
    // The frame may still be arriving when the title shows: wait for its last line.
    let screen = tmux.wait_for("opened read-only");
    assert!(screen.contains("50 accounts"), "{screen}");
    assert!(
        screen.contains("cannot be written now (disk I/O error): opened read-only"),
        "{screen}"
    );
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_until_exited(), "0");
}

/// A terminal that never answers a cursor-position query (here a pseudo-terminal behind
/// `script` with no input) still gets the workstation: the app does not ask at start
/// (it used to, and quit after two seconds with "The cursor position could not be read").
#[test]
fn a_terminal_that_does_not_answer_queries_still_opens_the_workstation() {
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        return common::missing("script (util-linux) is not installed", "not tested");
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("book.db");
    demo(&db, 20);
    let command = format!("exec {} --db '{}'", common::tmux::BIN, db.display());
    let mut child = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("TERM", "xterm-256color")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // crossterm gives up on an unanswered query after two seconds.
    std::thread::sleep(Duration::from_secs(3));
    let exited = child.try_wait().unwrap();
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    assert!(
        exited.is_none(),
        "the app quit: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
