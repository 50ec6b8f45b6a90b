//! The quality bars of PRODUCT.md, measured on the real binary (not a pass/fail test):
//! exec to first frame, keystroke to frame, and peak memory, on a 100k-account demo.
//!
//! `cargo bench --bench workstation --features bench-probe` (the binary's probes; set
//! ATTUNED_BENCH_ACCOUNTS for another size).
//! Needs `tmux` and `script` (util-linux) for a real terminal.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_attuned");

fn main() {
    // Without the feature the binary has no probes and would never write its figures.
    if !cfg!(feature = "bench-probe") {
        eprintln!("run it as: cargo bench --bench workstation --features bench-probe");
        std::process::exit(2);
    }
    // ATTUNED_BENCH_ONLY_ACCOUNT=1: only the big-account workspace measure (no 100k demo).
    if std::env::var_os("ATTUNED_BENCH_ONLY_ACCOUNT").is_some() {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bench");
        std::fs::create_dir_all(&dir).expect("bench dir");
        return big_account(&dir);
    }
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
    // ATTUNED_BENCH_ONLY_KPIS=1: only the KPI screen, report and touch-write measures.
    if std::env::var_os("ATTUNED_BENCH_ONLY_KPIS").is_some() {
        return kpis_and_report(&db);
    }
    run_ok(Command::new(BIN).args(["check", "--db"]).arg(&db));
    first_frame(&dir, &db);
    keystrokes(&dir, &db);
    kpis_and_report(&db);
    big_account(&dir);
}

/// A touch logged on an account and taken back: each write counts its KPI groups again
/// in its transaction (the account's CSM, this month).
fn touch_writes(db: &Path) {
    use attuned::domain::model::TouchKind;
    use attuned::store::write::NewTouch;
    let mut store = attuned::store::Store::open(db).expect("open");
    let (account, csm): (i64, Option<i64>) = store
        .conn()
        .query_row(
            "SELECT id, owner_csm_id FROM accounts WHERE archived_at IS NULL ORDER BY id LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("an account");
    let mut runs = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let id = store
            .write(|tx| {
                tx.insert_touch(&NewTouch {
                    csm_id: csm,
                    ..NewTouch::new(account, TouchKind::Email, chrono::Utc::now())
                })
            })
            .expect("log a touch");
        runs.push(started.elapsed());
        store
            .write(|tx| {
                tx.conn()
                    .execute("DELETE FROM touches WHERE id = ?1", [id])?;
                Ok(())
            })
            .expect("take it back");
    }
    println!(
        "a touch logged (write with its KPI recount): {:.1} ms median",
        ms(median(&runs))
    );
}

/// Opening the coaching KPIs (what the screen reads: the kept per-month figures, added
/// up for everyone) and `attuned report`, warm and on a cold page cache; and, for
/// comparison, the full pass over every touch that both made before schema 8.
fn kpis_and_report(db: &Path) {
    use attuned::domain::kpi::Window;
    use attuned::store::kpi::{self, Who};
    let window = Window::ending(chrono::Utc::now().date_naive(), 12);
    let open_kpis = || {
        let started = Instant::now();
        let store = attuned::store::Store::open_read_only(db).expect("open");
        let scan = kpi::scan(store.conn(), window).expect("kpis");
        let k = scan.kpis(Who::All);
        assert!(k.total.touches > 0);
        started.elapsed()
    };
    let report = || {
        let started = Instant::now();
        run_ok(Command::new(BIN).args(["report", "--db"]).arg(db));
        started.elapsed()
    };
    let warm = |f: &dyn Fn() -> Duration| {
        f();
        let runs: Vec<Duration> = (0..7).map(|_| f()).collect();
        median(&runs)
    };
    println!(
        "KPI screen read, warm: {:.1} ms median",
        ms(warm(&open_kpis))
    );
    println!("attuned report, warm: {:.1} ms median", ms(warm(&report)));
    let full = {
        let store = attuned::store::Store::open_read_only(db).expect("open");
        let started = Instant::now();
        kpi::scan_touches(store.conn(), window).expect("full pass");
        started.elapsed()
    };
    println!("(the full pass over every touch: {:.1} ms)", ms(full));
    touch_writes(db);
    // Cold: the page cache emptied before each run (needs root; otherwise said so).
    let drop_caches = || {
        Command::new("sync").status().ok();
        std::fs::write("/proc/sys/vm/drop_caches", "3")
    };
    if let Err(e) = drop_caches() {
        println!("cold runs not measured: cannot empty the page cache ({e})");
        return;
    }
    let cold = |f: &dyn Fn() -> Duration| {
        let runs: Vec<Duration> = (0..3)
            .map(|_| {
                let _ = drop_caches();
                f()
            })
            .collect();
        median(&runs)
    };
    println!(
        "KPI screen read, cold: {:.1} ms median of 3",
        ms(cold(&open_kpis))
    );
    println!(
        "attuned report, cold: {:.1} ms median of 3",
        ms(cold(&report))
    );
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
    let (mut lat, text) = drive(dir, db, "accounts", &keys, &[]);
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

/// Runs the workstation on `db` in tmux, waits for `ready` on screen, sends `keys` (and
/// then `closing` and `q`) as a CSM would, and returns the app's time from each key to its
/// frame (in the order sent) with everything else it recorded.
fn drive(
    dir: &Path,
    db: &Path,
    ready: &str,
    keys: &[&str],
    closing: &[&str],
) -> (Vec<Duration>, String) {
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
        String::from_utf8_lossy(&screen.stdout).contains(ready)
    });
    for key in keys.iter().chain(closing) {
        tmux(&["send-keys", "-t", "bench", key]);
        std::thread::sleep(Duration::from_millis(25));
    }
    tmux(&["send-keys", "-t", "bench", "q"]);
    wait_for(|| out.exists());
    std::thread::sleep(Duration::from_millis(100));
    tmux(&["kill-server"]);
    let text = std::fs::read_to_string(&out).unwrap_or_default();
    let lat = text
        .lines()
        .filter_map(|l| l.strip_prefix("key_us "))
        .filter_map(|v| v.parse().ok())
        .map(Duration::from_micros)
        .collect();
    (lat, text)
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

/// An account with 200 personas and 5,000 touches, written with the store's API: time
/// to open it (in process: the workspace's reads plus one frame; and in the real binary:
/// Enter to the finished frame), and scrolling its timeline.
fn big_account(dir: &Path) {
    use attuned::domain::FixedClock;
    use attuned::domain::model::{
        Intervention, Pulse, Role, Segment, Sentiment, SignalKind, Strength, TouchKind, TouchStatus,
    };
    use attuned::store::Store;
    use attuned::store::summary::{self, AsOf};
    use attuned::store::write::{NewAccount, NewCsm, NewPersona, NewTouch};
    use chrono::{Duration as Days, NaiveDate};

    let db = dir.join("big-account.db");
    let _ = std::fs::remove_file(&db);
    let today = NaiveDate::from_ymd_opt(2026, 11, 23).expect("date");
    let clock = FixedClock::on(today);
    let at = AsOf::new(&clock);
    let now = clock.0;
    let mut store = Store::open(&db).expect("open");
    let account = store
        .write(|tx| {
            let me = tx.insert_csm(
                &NewCsm {
                    name: "Bench CSM",
                    email: None,
                    region: None,
                    team_lead_id: None,
                    is_team_lead: false,
                    is_me: true,
                },
                now,
            )?;
            let id = tx.insert_account(&NewAccount {
                name: "Bigcorp Holdings",
                segment: Segment::Enterprise,
                tier: 1,
                industry: Some("Conglomerate"),
                contract_value_cents: 250_000_000,
                renewal_date: Some(today + Days::days(40)),
                owner_csm_id: Some(me),
                parent_id: None,
                created_at: now - Days::days(900),
            })?;
            let roles = Role::ALL;
            let mut personas: Vec<i64> = Vec::new();
            for i in 0..200usize {
                let name = format!("Person {i:03} Example");
                let title = format!("Title {}", i % 17);
                let p = tx.insert_persona(&NewPersona {
                    account_id: id,
                    name: &name,
                    title: Some(&title),
                    email: None,
                    role: roles[i % roles.len()],
                    reports_to_id: (i > 0).then(|| personas[(i - 1) / 4]),
                    strength: Strength::ALL[i % 4],
                    sentiment: Sentiment::ALL[(i / 4) % 3],
                    created_at: now - Days::days(800),
                })?;
                personas.push(p);
            }
            for t in 0..5000usize {
                let who = [personas[t % 200], personas[(t * 7 + 3) % 200]];
                let summary = format!("Touch {t}: reviewed adoption and open items");
                tx.insert_touch(&NewTouch {
                    account_id: id,
                    csm_id: Some(me),
                    kind: TouchKind::ALL[t % TouchKind::ALL.len()],
                    call_type: None,
                    status: TouchStatus::Done,
                    occurred_at: now - Days::hours(4 * t as i64 + 1),
                    ended_at: None,
                    summary: Some(&summary),
                    notes: Some("Notes line one\nline two"),
                    sentiment: Some(Pulse::ALL[t % 3]),
                    intervention: Some(Intervention::ALL[t % 4]),
                    followup_on: None,
                    no_followup: true,
                    outcome: None,
                    csat: None,
                    escalated: false,
                    participants: &who,
                })?;
            }
            for k in 0..12 {
                let when = now - Days::days(30 * k);
                tx.insert_signal(id, SignalKind::Nps, (k % 10) as f64, None, when)?;
                tx.insert_signal(id, SignalKind::Csat, 3.0 + (k % 3) as f64 * 0.5, None, when)?;
                tx.set_pulse(
                    id,
                    Pulse::ALL[k as usize % 3],
                    Some("bench"),
                    when,
                    Some(me),
                    None,
                )?;
            }
            summary::refresh_account(tx.conn(), id, &at)?;
            Ok(id)
        })
        .expect("write the big account");
    store.optimize().expect("optimize");

    // In process: the workspace's reads and one frame at 120×35.
    let mut opens = Vec::new();
    for _ in 0..41 {
        let started = Instant::now();
        let view = attuned::ui::account::AccountView::open(&store, account, &at)
            .expect("open the account");
        let mut terminal =
            ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 35)).expect("term");
        let criteria = attuned::domain::criteria::Criteria::builtin();
        terminal
            .draw(|f| {
                view.draw(
                    f,
                    f.area(),
                    &attuned::ui::Theme::plain(),
                    today,
                    14,
                    &criteria,
                )
            })
            .expect("draw");
        opens.push(started.elapsed());
    }
    opens.sort();
    println!(
        "open an account with 200 personas and 5,000 touches (reads + one frame, in process): median {:.2} ms, max {:.2} ms",
        ms(median(&opens)),
        ms(*opens.last().unwrap_or(&Duration::ZERO))
    );
    drop(store);

    // The real binary: Enter, scroll the timeline, open a touch, back.
    let mut keys: Vec<&str> = Vec::new();
    for _ in 0..5 {
        keys.extend(["Enter", "Escape"]);
    }
    keys.push("Enter");
    keys.push("Tab");
    keys.extend(["j"; 60]);
    keys.extend(["PageDown"; 40]);
    keys.extend(["Enter", "Escape", "j", "k"]);
    keys.extend(["Tab", "+", "-", "]", "["]);
    let (lat, _) = drive(dir, &db, "1 account", &keys, &["Escape"]);
    let by_key: Vec<(Duration, &str)> = lat.iter().copied().zip(keys.iter().copied()).collect();
    let pick = |f: &dyn Fn(usize, &str) -> bool| -> Vec<Duration> {
        by_key
            .iter()
            .enumerate()
            .filter(|(i, (_, k))| f(*i, k))
            .map(|(_, (d, _))| *d)
            .collect()
    };
    let opens = pick(&|i, k| k == "Enter" && i <= 10);
    let scroll = pick(&|i, k| (k == "j" || k == "PageDown") && i > 11 && i < 112);
    let edits = pick(&|_, k| matches!(k, "+" | "-" | "]" | "["));
    let mut sorted = scroll.clone();
    sorted.sort();
    println!(
        "big account in the binary: open (Enter) median {:.2} ms, max {:.2} ms; timeline scroll {} keys median {:.2} ms, max {:.2} ms; strength/sentiment key (write + refresh + frame) median {:.2} ms",
        ms(median(&opens)),
        ms(opens.iter().copied().max().unwrap_or_default()),
        scroll.len(),
        ms(median(&scroll)),
        ms(*sorted.last().unwrap_or(&Duration::ZERO)),
        ms(median(&edits)),
    );
}
