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

/// GNU time, for the peak resident memory (`apt-get install time`).
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
    let mut fresh = Vec::new();
    let mut again = Vec::new();
    let mut floor = Vec::new();
    let (mut peak_fresh, mut peak_again) = (Vec::new(), Vec::new());
    for run in 0..runs {
        floor.push(sqlite_floor(&dir, &acc, &con));
        let db = dir.join(format!("import-{run}.db"));
        remove_db(&db);
        let (secs, peak) = import(&db, &acc, &con);
        fresh.push(secs);
        peak_fresh.extend(peak);
        let (secs, peak) = import(&db, &acc, &con);
        again.push(secs);
        peak_again.extend(peak);
        remove_db(&db);
    }
    let (fresh_median, floor_median) = (median(&mut fresh), median(&mut floor));
    println!(
        "import {accounts} accounts + {} contacts into a new database: median {fresh_median:.2} s over {runs} runs ({})",
        accounts * 5,
        list(&fresh)
    );
    println!(
        "sqlite3 floor (.import of both files + indexes on the ids and the account link): median {floor_median:.2} s ({})",
        list(&floor)
    );
    println!(
        "ratio to the floor: {:.2}x",
        fresh_median / floor_median.max(f64::EPSILON)
    );
    println!(
        "the same files again (all unchanged): median {:.2} s ({})",
        median(&mut again),
        list(&again)
    );
    if !peak_fresh.is_empty() {
        println!(
            "peak resident memory: import {} MB, again {} MB (medians)",
            median_u64(&mut peak_fresh) / 1024,
            median_u64(&mut peak_again) / 1024
        );
    }
}

/// SQLite's floor for the same rows: the sqlite3 shell imports both files into a new
/// database as plain tables and indexes the ids and the account link.
fn sqlite_floor(dir: &Path, acc: &Path, con: &Path) -> f64 {
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
    let started = Instant::now();
    let mut child = Command::new("sqlite3")
        .arg(&db)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("run sqlite3 (apt-get install sqlite3)");
    {
        use std::io::Write as _;
        let mut stdin = child.stdin.take().expect("sqlite3 stdin");
        stdin.write_all(script.as_bytes()).expect("sqlite3 script");
    }
    let status = child.wait().expect("sqlite3");
    let secs = started.elapsed().as_secs_f64();
    assert!(status.success(), "sqlite3 failed");
    remove_db(&db);
    secs
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

/// Seconds, and the peak resident memory in KB when `/usr/bin/time` can tell it.
fn import(db: &Path, acc: &Path, con: &Path) -> (f64, Option<u64>) {
    let timed = Path::new(TIME).exists();
    let mut cmd = if timed {
        let mut c = Command::new(TIME);
        c.args(["-f", "peak-kb %M", BIN]);
        c
    } else {
        Command::new(BIN)
    };
    let started = Instant::now();
    let out = cmd
        .arg("import")
        .arg("--db")
        .arg(db)
        .arg(acc)
        .arg(con)
        .output()
        .expect("run attuned");
    let secs = started.elapsed().as_secs_f64();
    assert!(
        out.status.success(),
        "import failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let peak = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter_map(|l| l.strip_prefix("peak-kb "))
        .find_map(|kb| kb.trim().parse().ok());
    (secs, peak)
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

fn median_u64(v: &mut [u64]) -> u64 {
    v.sort_unstable();
    v[v.len() / 2]
}

fn list(v: &[f64]) -> String {
    v.iter()
        .map(|x| format!("{x:.2} s"))
        .collect::<Vec<_>>()
        .join(", ")
}
