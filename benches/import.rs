//! `attuned import` at PRODUCT.md's size, measured on the real binary: a Salesforce
//! Account export of 100,000 accounts (a tenth with a parent) and a Contact export of
//! 500,000 contacts (four in five reporting to another), into a fresh database, then the
//! same files again (every record found by its CRM id, nothing changed).
//!
//! Beside it, in the same runs (interleaved, so the machine's drift hits both alike),
//! SQLite's own floor for the same rows: the sqlite3 shell's `.import` of both files into
//! plain tables, plus indexes on the ids and the account link. The figure to watch is the
//! ratio of the medians; timings drift ±20% on the shared machine. Peak resident memory
//! is read through `/usr/bin/time` when it is installed.
//!
//! `cargo bench --bench import` (ATTUNED_BENCH_ACCOUNTS for another size, five contacts
//! per account, e.g. 300000 for 3x; ATTUNED_BENCH_RUNS for the number of runs, default 3).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const BIN: &str = env!("CARGO_BIN_EXE_attuned");

/// GNU time, for CPU time and peak resident memory (`apt-get install time`).
const TIME: &str = "/usr/bin/time";

fn main() {
    let accounts: usize = std::env::var("ATTUNED_BENCH_ACCOUNTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let runs: usize = std::env::var("ATTUNED_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
        .max(1);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bench-import");
    std::fs::create_dir_all(&dir).expect("bench dir");
    let (acc, con) = generate(&dir, accounts);
    let (mut fresh, mut again, mut floor) = (Vec::new(), Vec::new(), Vec::new());
    for run in 0..runs {
        floor.push(sqlite_floor(&dir, &acc, &con));
        let db = dir.join(format!("import-{run}.db"));
        remove_db(&db);
        fresh.push(import(&db, &acc, &con));
        again.push(import(&db, &acc, &con));
        remove_db(&db);
    }
    println!(
        "import {accounts} accounts + {} contacts into a new database, over {runs} runs:",
        accounts * 5
    );
    report("attuned import", &fresh);
    report(
        "sqlite3 floor (.import of both files + indexes on the ids and the account link)",
        &floor,
    );
    let ratio = |of: fn(&Measure) -> Option<f64>| {
        let (a, f) = (median_of(&fresh, of)?, median_of(&floor, of)?);
        Some(format!("{:.2}x", a / f.max(f64::EPSILON)))
    };
    println!(
        "ratio to the floor: {} in wall-clock time, {} in CPU time",
        ratio(|m| Some(m.secs)).unwrap_or_default(),
        ratio(|m| m.cpu).unwrap_or_else(|| "?".into())
    );
    report("the same files again (all unchanged)", &again);
}

/// One run: wall-clock seconds, and CPU seconds (user + system) and peak resident memory
/// when `/usr/bin/time` can tell them.
struct Measure {
    secs: f64,
    cpu: Option<f64>,
    peak_kb: Option<u64>,
}

fn report(what: &str, runs: &[Measure]) {
    let mut line = format!(
        "{what}: median {:.2} s ({})",
        median_of(runs, |m| Some(m.secs)).unwrap_or_default(),
        list(&runs.iter().map(|m| m.secs).collect::<Vec<_>>())
    );
    if let Some(cpu) = median_of(runs, |m| m.cpu) {
        let _ = write!(line, ", CPU {cpu:.2} s");
    }
    if let Some(kb) = median_of(runs, |m| m.peak_kb.map(|k| k as f64)) {
        let _ = write!(line, ", peak memory {:.0} MB", kb / 1024.0);
    }
    println!("{line}");
}

fn median_of(runs: &[Measure], of: impl Fn(&Measure) -> Option<f64>) -> Option<f64> {
    let mut v: Vec<f64> = runs.iter().filter_map(of).collect();
    (!v.is_empty()).then(|| median(&mut v))
}

/// Runs `program` with `args` (and `stdin`), under `/usr/bin/time` when installed.
fn measure(program: &str, args: &[&std::ffi::OsStr], stdin: Option<&str>) -> Measure {
    let timed = Path::new(TIME).exists();
    let mut cmd = if timed {
        let mut c = Command::new(TIME);
        c.args(["-f", "bench-time %U %S %M", program]);
        c
    } else {
        Command::new(program)
    };
    cmd.args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    let started = Instant::now();
    let mut child = cmd.spawn().expect("run the benchmarked program");
    {
        use std::io::Write as _;
        let mut input = child.stdin.take().expect("stdin");
        input
            .write_all(stdin.unwrap_or_default().as_bytes())
            .expect("write stdin");
    }
    let out = child.wait_with_output().expect("wait");
    let secs = started.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{program} failed: {stderr}");
    let fields: Vec<f64> = stderr
        .lines()
        .filter_map(|l| l.strip_prefix("bench-time "))
        .flat_map(|l| l.split_whitespace().filter_map(|x| x.parse().ok()))
        .collect();
    match fields[..] {
        [user, sys, kb] => Measure {
            secs,
            cpu: Some(user + sys),
            peak_kb: Some(kb as u64),
        },
        _ => Measure {
            secs,
            cpu: None,
            peak_kb: None,
        },
    }
}

/// SQLite's floor for the same rows: the sqlite3 shell imports both files into a new
/// database as plain tables and indexes the ids and the account link.
fn sqlite_floor(dir: &Path, acc: &Path, con: &Path) -> Measure {
    let db = dir.join("floor.db");
    remove_db(&db);
    let script = format!(
        ".import --csv '{}' accounts\n.import --csv '{}' contacts\n\
         CREATE INDEX accounts_id ON accounts (Id);\n\
         CREATE INDEX contacts_id ON contacts (Id);\n\
         CREATE INDEX contacts_account ON contacts (AccountId);\n",
        acc.display(),
        con.display()
    );
    let m = measure("sqlite3", &[db.as_os_str()], Some(&script));
    remove_db(&db);
    m
}

fn generate(dir: &Path, accounts: usize) -> (PathBuf, PathBuf) {
    let acc = dir.join(format!("Account-{accounts}.csv"));
    let con = dir.join(format!("Contact-{accounts}.csv"));
    if acc.exists() && con.exists() {
        return (acc, con);
    }
    let mut s = String::from("Id,Name,ParentId,AnnualRevenue,OwnerId,Industry\r\n");
    for i in 0..accounts {
        let parent = if i % 10 == 0 || i < 10 {
            String::new()
        } else {
            format!("001{:012}AAA", i / 10 * 10)
        };
        let _ = write!(
            s,
            "001{i:012}AAA,\"Account {i}, Inc.\",{parent},\"${},000\",005{:012},Industry {}\r\n",
            (i * 7919) % 5_000_000 + 1,
            i % 40,
            i % 20
        );
    }
    std::fs::write(&acc, s).expect("accounts csv");
    let mut s = String::from("Id,AccountId,FirstName,LastName,Title,ReportsToId,Email\r\n");
    for j in 0..accounts * 5 {
        let a = j / 5;
        let boss = if j % 5 == 0 {
            String::new()
        } else {
            format!("003{:012}", a * 5)
        };
        let _ = write!(
            s,
            "003{j:012},001{a:012}AAA,First{j},Last{j},Title {},{boss},p{j}@example.com\r\n",
            j % 7
        );
    }
    std::fs::write(&con, s).expect("contacts csv");
    (acc, con)
}

fn import(db: &Path, acc: &Path, con: &Path) -> Measure {
    let args = [
        "import".as_ref(),
        "--db".as_ref(),
        db.as_os_str(),
        acc.as_os_str(),
        con.as_os_str(),
    ];
    measure(BIN, &args, None)
}

fn remove_db(db: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = db.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn list(v: &[f64]) -> String {
    v.iter()
        .map(|x| format!("{x:.2} s"))
        .collect::<Vec<_>>()
        .join(", ")
}
