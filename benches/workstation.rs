//! The quality bars of PRODUCT.md, measured on the real binary (not a pass/fail test):
//! exec to first frame, keystroke to frame, and peak memory, on a 100k-account demo.
//!
//! `cargo bench --bench workstation` (set ATTUNED_BENCH_ACCOUNTS for another size).
//! Needs `tmux` and `script` (util-linux) for a real terminal.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_attuned");

fn main() {
    let accounts: usize = std::env::var("ATTUNED_BENCH_ACCOUNTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bench");
    std::fs::create_dir_all(&dir).expect("bench dir");
    let db = std::env::var_os("ATTUNED_BENCH_DB")
        .map(PathBuf::from)
        .unwrap_or_else(|| dir.join(format!("demo-{accounts}.db")));
    if !db.exists() {
        let started = Instant::now();
        run_ok(
            Command::new(BIN)
                .args(["demo", "--accounts", &accounts.to_string(), "--db"])
                .arg(&db),
        );
        println!(
            "demo --accounts {accounts}: {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
    run_ok(Command::new(BIN).args(["check", "--db"]).arg(&db));
    first_frame(&dir, &db);
    keystrokes(&dir, &db);
}

fn run_ok(cmd: &mut Command) {
    let out = cmd.output().expect("run attuned");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Time from just before `exec` of `attuned` (stamped by the shell in a pseudo-terminal)
/// to its first frame on the terminal, as the app itself measures it.
fn first_frame(dir: &Path, db: &Path) {
    let out = dir.join("first-frame.txt");
    let mut runs = Vec::new();
    for i in 0..26 {
        let _ = std::fs::remove_file(&out);
        let cmd = format!(
            "ATTUNED_BENCH_T0=$(date +%s%N) exec {BIN} --db '{}'",
            db.display()
        );
        let status = Command::new("script")
            .args(["-qec", &cmd, "/dev/null"])
            .env("TERM", "xterm-256color")
            .env("ATTUNED_BENCH_FIRST_FRAME", "1")
            .env("ATTUNED_BENCH_OUT", &out)
            .output()
            .expect("script (util-linux) is installed");
        assert!(status.status.success());
        let text = std::fs::read_to_string(&out).unwrap_or_default();
        let us: u64 = text
            .lines()
            .find_map(|l| l.strip_prefix("first_frame_us "))
            .and_then(|v| v.parse().ok())
            .expect("the app reported its first frame");
        if i > 0 {
            runs.push(Duration::from_micros(us));
        }
    }
    runs.sort();
    println!(
        "exec to first frame: median {:.1} ms, min {:.1} ms, max {:.1} ms ({} runs)",
        ms(median(&runs)),
        ms(runs[0]),
        ms(*runs.last().unwrap_or(&Duration::ZERO)),
        runs.len()
    );
}

/// Sends a CSM's worth of keys to the workstation in tmux; the app records each key's
/// time from arrival to the finished frame, and its peak resident memory.
fn keystrokes(dir: &Path, db: &Path) {
    let out = dir.join("keys.txt");
    let _ = std::fs::remove_file(&out);
    let socket = dir.join("tmux.sock");
    let tmux = |args: &[&str]| {
        Command::new("tmux")
            .arg("-S")
            .arg(&socket)
            .args(args)
            .env_remove("TMUX")
            .output()
            .expect("tmux is installed")
    };
    let cmd = format!(
        "ATTUNED_BENCH_OUT='{}' {BIN} --db '{}'",
        out.display(),
        db.display()
    );
    tmux(&[
        "new-session",
        "-d",
        "-s",
        "bench",
        "-x",
        "120",
        "-y",
        "35",
        &cmd,
    ]);
    wait_for(|| {
        let screen = tmux(&["capture-pane", "-p", "-t", "bench"]);
        String::from_utf8_lossy(&screen.stdout).contains("accounts")
    });
    let mut keys: Vec<&str> = Vec::new();
    keys.extend(["j"; 40]);
    keys.extend(["PageDown"; 10]);
    keys.extend(["G", "g", "k", "PageUp"]);
    keys.extend(["s"; 9]);
    keys.extend(["S", "1", "2", "3", "4", "0", "1", "4", "0"]);
    keys.extend(["/", "n", "o", "r", "t", "h", "BSpace", "BSpace", "Escape"]);
    for _ in 0..5 {
        keys.extend(["Enter", "j", "Tab", "j", "Escape", "j"]);
    }
    for key in &keys {
        tmux(&["send-keys", "-t", "bench", key]);
        std::thread::sleep(Duration::from_millis(25));
    }
    tmux(&["send-keys", "-t", "bench", "q"]);
    wait_for(|| out.exists());
    std::thread::sleep(Duration::from_millis(100));
    tmux(&["kill-server"]);
    let text = std::fs::read_to_string(&out).unwrap_or_default();
    let mut lat: Vec<Duration> = text
        .lines()
        .filter_map(|l| l.strip_prefix("key_us "))
        .filter_map(|v| v.parse().ok())
        .map(Duration::from_micros)
        .collect();
    // Keys arrive in the order sent (the last one, q, draws no frame).
    let mut slowest: Vec<(Duration, &str)> =
        lat.iter().copied().zip(keys.iter().copied()).collect();
    slowest.sort_by_key(|(d, _)| std::cmp::Reverse(*d));
    let worst: Vec<String> = slowest
        .iter()
        .take(8)
        .map(|(d, k)| format!("{k} {:.1}", ms(*d)))
        .collect();
    println!("slowest keys (ms): {}", worst.join(", "));
    let opens: Vec<Duration> = slowest
        .iter()
        .filter(|(_, k)| *k == "Enter")
        .map(|(d, _)| *d)
        .collect();
    println!(
        "open an account (Enter): median {:.2} ms",
        ms(median(&opens))
    );
    lat.sort();
    let peak: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("peak_rss_kb "))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    let p95 = lat.get(lat.len() * 95 / 100).copied().unwrap_or_default();
    println!(
        "keystroke to frame: {} keys, median {:.2} ms, p95 {:.2} ms, max {:.2} ms",
        lat.len(),
        ms(median(&lat)),
        ms(p95),
        ms(*lat.last().unwrap_or(&Duration::ZERO))
    );
    println!("peak RSS: {:.1} MB", peak / 1024.0);
}

fn wait_for(mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ready() {
        assert!(Instant::now() < deadline, "timed out");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn median(v: &[Duration]) -> Duration {
    let mut v = v.to_vec();
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
