//! `attuned import` at PRODUCT.md's size, measured on the real binary: a Salesforce
//! Account export of 100,000 accounts (a tenth with a parent) and a Contact export of
//! 500,000 contacts (four in five reporting to another), into a fresh database, then the
//! same files again (every record found by its CRM id, nothing changed).
//!
//! `cargo bench --bench import` (ATTUNED_BENCH_ACCOUNTS for another size, five contacts
//! per account; ATTUNED_BENCH_RUNS for the number of runs, default 3).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const BIN: &str = env!("CARGO_BIN_EXE_attuned");

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
    for run in 0..runs {
        let db = dir.join(format!("import-{run}.db"));
        remove_db(&db);
        fresh.push(import(&db, &acc, &con));
        again.push(import(&db, &acc, &con));
        remove_db(&db);
    }
    println!(
        "import {accounts} accounts + {} contacts into a new database: median {:.2} s over {runs} runs ({})",
        accounts * 5,
        median(&mut fresh),
        list(&fresh)
    );
    println!(
        "the same files again (all unchanged): median {:.2} s ({})",
        median(&mut again),
        list(&again)
    );
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

fn import(db: &Path, acc: &Path, con: &Path) -> f64 {
    let started = Instant::now();
    let out = Command::new(BIN)
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
    secs
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
