//! End to end: the built binary in a real terminal (tmux), driven by keys as a CSM would.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_attuned");

/// A detached tmux session on its own server socket, killed on drop.
///
/// The program runs under `sh`, which writes its exit status to a file and then keeps
/// the pane open: whether the program restored the terminal is then read from the live
/// pane, and tmux's own exit detection (which can lag under load) is not relied on.
struct Tmux {
    socket: PathBuf,
    session: String,
    status: PathBuf,
}

impl Tmux {
    fn start(dir: &Path, width: u16, height: u16, command: &str) -> Tmux {
        let t = Tmux {
            socket: dir.join("tmux.sock"),
            session: "e2e".into(),
            status: dir.join("exit-status"),
        };
        let wrapped = format!(
            "sh -c \"{command}; echo \\$? > '{}'; sleep 120\"",
            t.status.display()
        );
        t.run(&[
            "new-session",
            "-d",
            "-s",
            &t.session,
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
            &wrapped,
        ]);
        t
    }

    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(args)
            .env_remove("TMUX")
            .output()
            .expect("tmux is installed (.ci/run installs it)");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", &self.session];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    /// Types text literally (no key-name lookup).
    fn type_text(&self, text: &str) {
        self.run(&["send-keys", "-t", &self.session, "-l", text]);
    }

    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", &self.session])
    }

    fn format(&self, f: &str) -> String {
        self.run(&["display-message", "-p", "-t", &self.session, f])
            .trim()
            .to_string()
    }

    /// Polls the screen until `want` is on it.
    fn wait_for(&self, want: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let screen = self.screen();
            if screen.contains(want) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "never saw {want:?}; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The pid of the program (the child of the pane's shell).
    fn app_pid(&self) -> String {
        let shell = self.format("#{pane_pid}");
        std::fs::read_to_string(format!("/proc/{shell}/task/{shell}/children"))
            .unwrap_or_default()
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string()
    }

    /// Waits for the program to end and returns its exit status.
    fn wait_until_exited(&self) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let status = std::fs::read_to_string(&self.status).unwrap_or_default();
            if !status.trim().is_empty() {
                return status.trim().to_string();
            }
            assert!(
                Instant::now() < deadline,
                "still running:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.run(&["kill-server"]);
    }
}

fn wait_gone(tmux: &Tmux, text: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while tmux.screen().contains(text) {
        assert!(Instant::now() < deadline, "{text:?} stayed on screen");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn demo(db: &Path, accounts: usize) {
    let out = Command::new(BIN)
        .args(["demo", "--accounts", &accounts.to_string(), "--db"])
        .arg(db)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn first_account_name(db: &Path) -> String {
    let out = Command::new(BIN)
        .args(["export", "--format", "json", "--db"])
        .arg(db)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    json["accounts"][0]["name"].as_str().unwrap().to_string()
}

fn open_command(db: &Path) -> String {
    format!("{BIN} --db '{}'", db.display())
}

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
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for(&format!("Filter: {name}"));
    assert!(screen.contains(&name), "{screen}");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for(&format!("Portfolio › {name}"));
    for expected in ["Personas:", "Risk", "Recent touches", "Esc back"] {
        assert!(screen.contains(expected), "missing {expected}:\n{screen}");
    }
    tmux.keys(&["Escape"]);
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
