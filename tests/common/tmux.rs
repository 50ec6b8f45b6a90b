//! Driving the built binary in a real terminal (tmux), as a CSM would.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

pub use super::cli::BIN;

/// A detached tmux session on its own server socket, killed on drop.
///
/// The program runs under `sh`, which writes its exit status to a file and then keeps
/// the pane open: whether the program restored the terminal is then read from the live
/// pane, and tmux's own exit detection (which can lag under load) is not relied on.
pub struct Tmux {
    socket: PathBuf,
    session: String,
    status: PathBuf,
}

impl Tmux {
    pub fn start(dir: &Path, width: u16, height: u16, command: &str) -> Tmux {
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

    pub fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(args)
            .env_remove("TMUX")
            .output()
            .expect("tmux is installed (.ci/run installs it)");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", &self.session];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    /// Types text literally (no key-name lookup).
    pub fn type_text(&self, text: &str) {
        self.run(&["send-keys", "-t", &self.session, "-l", text]);
    }

    pub fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", &self.session])
    }

    pub fn format(&self, f: &str) -> String {
        self.run(&["display-message", "-p", "-t", &self.session, f])
            .trim()
            .to_string()
    }

    /// Polls the screen until `want` is on it.
    pub fn wait_for(&self, want: &str) -> String {
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
    pub fn app_pid(&self) -> String {
        let shell = self.format("#{pane_pid}");
        std::fs::read_to_string(format!("/proc/{shell}/task/{shell}/children"))
            .unwrap_or_default()
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string()
    }

    /// Waits for the program to end and returns its exit status.
    pub fn wait_until_exited(&self) -> String {
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

pub fn wait_gone(tmux: &Tmux, text: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while tmux.screen().contains(text) {
        assert!(Instant::now() < deadline, "{text:?} stayed on screen");
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub fn demo(db: &Path, accounts: usize) {
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

/// The database read back through `attuned export --format json`.
pub fn export_json(db: &Path) -> serde_json::Value {
    serde_json::from_str(&run_ok(&["export", "--format", "json"], db)).unwrap()
}

/// `attuned ARGS --db DB`, which must succeed: its standard output.
pub fn run_ok(args: &[&str], db: &Path) -> String {
    let out = Command::new(BIN)
        .args(args)
        .arg("--db")
        .arg(db)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "attuned {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn first_account_name(db: &Path) -> String {
    export_json(db)["accounts"][0]["name"]
        .as_str()
        .unwrap()
        .to_string()
}

pub fn open_command(db: &Path) -> String {
    format!("{BIN} --db '{}'", db.display())
}

/// `open_command` with `dir/config` as the config folder: none of the user's own
/// configuration (the built-in prompt library and criteria), only what the test writes
/// there.
pub fn open_command_in(dir: &Path, db: &Path) -> String {
    format!(
        "XDG_CONFIG_HOME='{}' {}",
        dir.join("config").display(),
        open_command(db)
    )
}

/// Kills the program with `kill -9` and waits for its shell to report it.
pub fn kill_9(tmux: Tmux) {
    let pid = tmux.app_pid();
    assert!(!pid.is_empty());
    assert!(
        Command::new("kill")
            .args(["-9", &pid])
            .status()
            .unwrap()
            .success()
    );
    assert_eq!(tmux.wait_until_exited(), "137");
}
