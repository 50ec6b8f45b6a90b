//! A mutational fuzz of `attuned import`'s CSV and JSON paths.
//!
//! Seeds are valid files of every recognised kind (Salesforce accounts, contacts and
//! report labels, HubSpot companies and contacts, Maven's three tables, a CSV read with
//! `--map`, and an `attuned export --format json` of a small demo). Each case mutates one
//! (bit flips, truncation, inserted quotes, delimiters, NULs, invalid UTF-8, ESC bytes,
//! BOMs, huge fields, CRLF, duplicated or swapped lines, splices; for JSON also
//! structural edits: keys removed, values of the wrong type, ids duplicated or turned
//! into strings) and imports it into a copy of a small demo file or a new file, all or
//! nothing, `--keep-good` or `--dry-run`.
//!
//! Most cases call the library's import in process (as `attuned import` does) in a
//! thread: a panic or more than 10 s is counted. One case in ten runs the real binary.
//! Every case: a refused import (an error, rejected rows, a dry run) leaves the target's
//! bytes and its `-wal` exactly as they were (a new file: no file and nothing beside it);
//! an accepted one leaves a file that passes the `check` invariants. The inputs of
//! failing cases are kept under `target/tmp/fuzz-failures/`.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use attuned::domain::SystemClock;
use attuned::import::{self, MapRule};
use attuned::progress::Silent;
use attuned::store::import::Mode;
use attuned::store::{self, Store};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::common::cli::{BIN, attuned};

const HANG: Duration = Duration::from_secs(10);

/// What the cases found.
#[derive(Debug, Default)]
pub struct Report {
    cases: usize,
    accepted: usize,
    refused: usize,
    panics: usize,
    hangs: usize,
    changed_on_refusal: usize,
    /// Accepted, but the file fails `check`.
    unhealthy: usize,
    /// The binary wrote more than one line on stderr.
    noisy: usize,
    in_process: usize,
    binary: usize,
    failures: Vec<String>,
}

impl Report {
    pub fn summary(&self) -> String {
        format!(
            "fuzz: {} cases ({} in process, {} through the binary), {} accepted, {} refused, {} panics, {} hangs, {} changed-on-refusal, {} accepted-but-unhealthy, {} with more than one stderr line",
            self.cases,
            self.in_process,
            self.binary,
            self.accepted,
            self.refused,
            self.panics,
            self.hangs,
            self.changed_on_refusal,
            self.unhealthy,
            self.noisy
        )
    }

    /// Every case ran to its verdict (whatever it found).
    pub fn assert_harness_worked(&self, cases: usize) {
        assert_eq!(self.cases, cases);
        assert_eq!(self.in_process + self.binary, cases);
    }

    pub fn assert_clean(&self) {
        assert!(
            self.failures.is_empty(),
            "{}\n{}",
            self.summary(),
            self.failures.join("\n")
        );
    }
}

struct Seed {
    name: &'static str,
    bytes: Vec<u8>,
    maps: &'static [&'static str],
    /// Another seed imported with this one (contacts with their accounts).
    partner: Option<usize>,
}

/// One case, ready to import.
struct Case {
    files: Vec<(String, Vec<u8>)>,
    maps: Vec<String>,
    mode: Mode,
    new_file: bool,
    binary: bool,
}

/// The result of one import, in process or through the binary.
enum Ran {
    Accepted,
    Refused,
    Panicked(String),
    Hung,
}

static LAST_PANIC: Mutex<Option<String>> = Mutex::new(None);

pub fn run(cases: usize, seed: u64) -> Report {
    eprintln!("fuzz: seed {seed} (ATTUNED_FUZZ_SEED={seed} repeats the cases)");
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let base = home.join("base.db");
    let o = attuned(
        home,
        &["demo", "--db", base.to_str().unwrap(), "--accounts", "12"],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let seeds = seeds(home, &base);
    let json_seed: serde_json::Value =
        serde_json::from_slice(&seeds.last().unwrap().bytes).unwrap();
    let keep = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz-failures");
    let base_bytes = fs::read(&base).unwrap();
    let previous_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|info| {
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let msg = info
            .payload()
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| info.payload().downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        *LAST_PANIC.lock().unwrap_or_else(|e| e.into_inner()) = Some(format!("{msg}{place}"));
    }));
    let mut report = Report::default();
    let started = Instant::now();
    let mut work = home.join("w0");
    fs::create_dir(&work).unwrap();
    for n in 0..cases {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ (n as u64).wrapping_mul(0x2545_f491));
        let case = make_case(&seeds, &json_seed, &mut rng, n);
        // A fresh copy of the demo file, unless the last case left it as it was.
        let target = work.join("book.db");
        if case.new_file {
            let _ = fs::remove_file(&target);
        } else if fs::read(&target).ok().as_deref() != Some(&base_bytes[..]) {
            fs::write(&target, &base_bytes).unwrap();
        }
        let before = snapshot(&work);
        let ran = if case.binary {
            report.binary += 1;
            run_binary(home, &target, &case, &mut report, n)
        } else {
            report.in_process += 1;
            run_in_process(&work, &target, &case)
        };
        report.cases += 1;
        let mut failed = None;
        match ran {
            Ran::Accepted => {
                report.accepted += 1;
                if let Some(why) = unhealthy(&target, case.mode) {
                    report.unhealthy += 1;
                    failed = Some(format!("accepted, but {why}"));
                }
            }
            Ran::Refused => {
                report.refused += 1;
                let after = snapshot(&work);
                if after != before {
                    report.changed_on_refusal += 1;
                    failed = Some(format!(
                        "refused, and the folder changed: {}",
                        describe_change(&before, &after)
                    ));
                }
            }
            Ran::Panicked(msg) => {
                report.panics += 1;
                failed = Some(format!("panic: {msg}"));
            }
            Ran::Hung => {
                report.hangs += 1;
                failed = Some(format!("no answer in {HANG:?}"));
                // The hung import may still hold its file: carry on in a new folder.
                work = home.join(format!("w{n}"));
                fs::create_dir_all(&work).unwrap();
            }
        }
        if let Some(why) = failed {
            let kept = keep_case(&keep, seed, n, &case);
            let line = format!(
                "case {n} ({}, {:?}, {}, {}): {why}; input kept as {kept}",
                case.files
                    .iter()
                    .map(|f| f.0.as_str())
                    .collect::<Vec<_>>()
                    .join(" + "),
                case.mode,
                if case.new_file {
                    "new file"
                } else {
                    "existing file"
                },
                if case.binary { "binary" } else { "in process" },
            );
            eprintln!("fuzz FAIL {line}");
            report.failures.push(line);
            // Whatever the failure left, the next case starts from a clean folder.
            let _ = fs::remove_dir_all(&work);
            fs::create_dir_all(&work).unwrap();
        }
        if (n + 1) % 1000 == 0 {
            eprintln!(
                "fuzz: {} cases in {:.0} s; {} failures so far",
                n + 1,
                started.elapsed().as_secs_f64(),
                report.failures.len()
            );
        }
    }
    std::panic::set_hook(previous_hook);
    eprintln!(
        "{} (seed {seed}, {:.0} s)",
        report.summary(),
        started.elapsed().as_secs_f64()
    );
    report
}

/// Every file in the folder with its bytes.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                fs::read(e.path()).unwrap_or_default(),
            )
        })
        .collect();
    v.sort();
    v
}

fn describe_change(before: &[(String, Vec<u8>)], after: &[(String, Vec<u8>)]) -> String {
    let mut said = Vec::new();
    for (name, bytes) in after {
        match before.iter().find(|(n, _)| n == name) {
            None => said.push(format!("{name} appeared ({} bytes)", bytes.len())),
            Some((_, was)) if was != bytes => {
                let at = was.iter().zip(bytes).position(|(a, b)| a != b);
                said.push(format!(
                    "{name} changed ({} -> {} bytes, first difference at {at:?})",
                    was.len(),
                    bytes.len()
                ));
            }
            _ => {}
        }
    }
    for (name, _) in before {
        if !after.iter().any(|(n, _)| n == name) {
            said.push(format!("{name} disappeared"));
        }
    }
    said.join("; ")
}

/// Why an accepted import's file is not healthy, if it is not.
fn unhealthy(target: &Path, mode: Mode) -> Option<String> {
    if mode == Mode::DryRun {
        return None;
    }
    let store = match Store::open_read_only(target) {
        Ok(s) => s,
        Err(e) => return Some(format!("it cannot be opened: {e}")),
    };
    match store::check::run(store.conn()) {
        Ok(r) if r.problems.is_empty() => None,
        Ok(r) => Some(format!("check: {}", r.problems.join(" | "))),
        Err(e) => Some(format!("check failed: {e}")),
    }
}

fn keep_case(keep: &Path, seed: u64, n: usize, case: &Case) -> String {
    let dir = keep.join(format!("seed{seed}-case{n}"));
    let _ = fs::create_dir_all(&dir);
    for (name, bytes) in &case.files {
        let _ = fs::write(dir.join(name), bytes);
    }
    let _ = fs::write(
        dir.join("how.txt"),
        format!(
            "mode {:?}, maps {:?}, {}\n",
            case.mode,
            case.maps,
            if case.new_file {
                "into a new file"
            } else {
                "into a 12-account demo (attuned demo --accounts 12)"
            }
        ),
    );
    dir.display().to_string()
}

/// `attuned import` in process, as `cli::import` runs it, in a thread with a time limit.
fn run_in_process(work: &Path, target: &Path, case: &Case) -> Ran {
    let (tx, rx) = mpsc::channel();
    let files: Vec<(String, Vec<u8>)> = case
        .files
        .iter()
        .map(|(n, b)| (work.join(n).display().to_string(), b.clone()))
        .collect();
    let maps = case.maps.clone();
    let mode = case.mode;
    let target = target.to_path_buf();
    *LAST_PANIC.lock().unwrap_or_else(|e| e.into_inner()) = None;
    std::thread::spawn(move || {
        let _ = tx.send(import_like_the_cli(&target, &files, &maps, mode));
    });
    match rx.recv_timeout(HANG) {
        Ok(Ok(true)) => Ran::Accepted,
        Ok(Ok(false)) | Ok(Err(_)) => Ran::Refused,
        Err(mpsc::RecvTimeoutError::Timeout) => Ran::Hung,
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            // The sender went away without a word: the thread panicked.
            std::thread::sleep(Duration::from_millis(5));
            let msg = LAST_PANIC
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take()
                .unwrap_or_default();
            Ran::Panicked(msg)
        }
    }
}

/// What `cli::import` does with the files' bytes (through the same library calls):
/// whether the import was kept.
fn import_like_the_cli(
    target: &Path,
    files: &[(String, Vec<u8>)],
    maps: &[String],
    mode: Mode,
) -> attuned::Result<bool> {
    let maps = maps
        .iter()
        .map(|m| MapRule::parse(m))
        .collect::<attuned::Result<Vec<_>>>()?;
    let mut parsed = Vec::new();
    for (name, bytes) in files {
        if import::looks_like_json(bytes) {
            if files.len() > 1 {
                return Ok(false);
            }
            let dry_run = mode == Mode::DryRun;
            store::import::json_into_path(target, name, bytes, dry_run, &Silent)?;
            return Ok(!dry_run);
        }
        parsed.push(import::parse_file(name, bytes, &maps)?);
    }
    if mode != Mode::DryRun && parsed.iter().any(|p| p.guessed) {
        return Ok(false);
    }
    let out = store::import::into_path(target, &parsed, mode, &SystemClock, &Silent)?;
    Ok(out.committed)
}

/// The real binary on the case's files (written beside the home, not in the target's
/// folder), killed after the time limit.
fn run_binary(home: &Path, target: &Path, case: &Case, report: &mut Report, n: usize) -> Ran {
    let inputs = home.join("inputs");
    let _ = fs::remove_dir_all(&inputs);
    fs::create_dir(&inputs).unwrap();
    let mut args: Vec<String> = vec!["import".into(), "--db".into(), s(target)];
    for (name, bytes) in &case.files {
        let p = inputs.join(name);
        fs::write(&p, bytes).unwrap();
        args.push(s(&p));
    }
    for m in &case.maps {
        args.push("--map".into());
        args.push(m.clone());
    }
    match case.mode {
        Mode::DryRun => args.push("--dry-run".into()),
        Mode::KeepGood => args.push("--keep-good".into()),
        Mode::AllOrNothing => {}
    }
    let out_path = inputs.join("stderr");
    let mut child = Command::new(BIN)
        .args(&args)
        .env_remove("ATTUNED_DB")
        .env_remove("RUST_BACKTRACE")
        .env("HOME", home)
        .stdout(Stdio::null())
        .stderr(fs::File::create(&out_path).unwrap())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + HANG;
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break Some(st);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let Some(status) = status else {
        return Ran::Hung;
    };
    let err = fs::read_to_string(&out_path).unwrap_or_default();
    if err.contains("internal error") || err.contains("panicked") || status.code().is_none() {
        return Ran::Panicked(format!("status {status:?}: {}", err.trim()));
    }
    if err.lines().count() > 1 {
        report.noisy += 1;
        let line = format!("case {n}: more than one stderr line: {err:?}");
        eprintln!("fuzz FAIL {line}");
        report.failures.push(line);
    }
    if status.success() && case.mode != Mode::DryRun {
        Ran::Accepted
    } else {
        Ran::Refused
    }
}

fn s(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

/// The valid files mutations start from; the JSON export is last.
fn seeds(home: &Path, base: &Path) -> Vec<Seed> {
    let text = |s: &str| s.as_bytes().to_vec();
    let mut v = vec![
        Seed {
            name: "Account.csv",
            bytes: text(
                "Id,Name,ParentId,AnnualRevenue,OwnerId,Industry\r\n\
                 001000000000001AAA,Acme,,\"$2,000,000,000\",005000000000001,Manufacturing\r\n\
                 001000000000002AAA,Acme Europe,001000000000001AAA,\"$60,000,000.50 \",005000000000001,\r\n\
                 001000000000003AAA,Globex,,1500000,005000000000002,Energy\r\n",
            ),
            maps: &[],
            partner: None,
        },
        Seed {
            name: "Contact.csv",
            bytes: text(
                "Id,AccountId,FirstName,LastName,Title,ReportsToId,Email\n\
                 003000000000001,001000000000001AAA,Ann,Lee,CFO,,ann@acme.com\n\
                 003000000000002,001000000000001,Bo,Chen,IT Director,003000000000001,bo@acme.com\n\
                 003000000000003,001000000000003AAA,Hank,Scorpio,CEO,,hank@globex.com\n",
            ),
            maps: &[],
            partner: Some(0),
        },
        Seed {
            name: "report.csv",
            bytes: text(
                "Account ID,Account Name,Parent Account ID,Account Owner,Annual Revenue,Industry\n\
                 0015000000ABCDE,Globex,,Kim Park,\"1,500,000\",Energy\n\
                 0015000000ABCDF,Globex East,0015000000ABCDE,Kim Park,\"200,000\",Energy\n",
            ),
            maps: &[],
            partner: None,
        },
        Seed {
            name: "hubspot-companies.csv",
            bytes: text(
                "Record ID,Company name,Company owner,Annual Revenue,Industry\n\
                 9001,Initech,Kim Park,250000000,COMPUTER_SOFTWARE\n\
                 9002,Umbrella,Lee Ray,1000,BIOTECH\n",
            ),
            maps: &[],
            partner: None,
        },
        Seed {
            name: "hubspot-contacts.csv",
            bytes: text(
                "Record ID,First Name,Last Name,Email,Associated Company,Job Title,Lead Status\n\
                 501,Bill,Lumbergh,bill@initech.com,Initech,VP,Open\n\
                 502,Peter,Gibbons,peter@initech.com,initech,Engineer,\n",
            ),
            maps: &[],
            partner: Some(3),
        },
        Seed {
            name: "accounts.csv",
            bytes: text(
                "account,sector,year_established,revenue,employees,office_location,subsidiary_of\n\
                 Acme Corporation,technolgy,1996,1100.04,2822,United States,\n\
                 Codehow,software,1998,2714.90,2641,United States,Acme Corporation\n\
                 Betasoloin,medical,1999,251.41,495,United States,\n",
            ),
            maps: &[],
            partner: None,
        },
        Seed {
            name: "sales_teams.csv",
            bytes: text(
                "sales_agent,manager,regional_office\n\
                 Anna Snelling,Dustin Brinkmann,Central\n\
                 Moses Frase,Dustin Brinkmann,Central\n",
            ),
            maps: &[],
            partner: None,
        },
        Seed {
            name: "sales_pipeline.csv",
            bytes: text(
                "opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value\n\
                 1C1I7A6R,Moses Frase,GTX Plus Basic,Codehow,Won,2016-10-20,2017-03-01,1054\n\
                 Z063OYW0,Anna Snelling,GTXPro,Acme Corporation,Lost,2016-10-25,2017-03-11,0\n\
                 EC4QE1BX,Anna Snelling,MG Special,Betasoloin,Engaging,2016-10-25,,\n",
            ),
            maps: &[],
            partner: Some(5),
        },
        Seed {
            name: "book.csv",
            bytes: text(
                "\u{feff} Customer ; ARR ;Renewal Date; Notes \r\n\"Umbrella\r\nCorp\";\"$1,100.04 \";2027-01-31;x\r\nStark;;;\r\n",
            ),
            maps: &[
                "Customer=account_name",
                "ARR=contract_value",
                "Renewal Date=renewal_date",
            ],
            partner: None,
        },
    ];
    let o = attuned(
        home,
        &["export", "--db", base.to_str().unwrap(), "--format", "json"],
    );
    assert!(o.status.success());
    v.push(Seed {
        name: "export.json",
        bytes: o.stdout,
        maps: &[],
        partner: None,
    });
    v
}

fn make_case(seeds: &[Seed], json: &serde_json::Value, rng: &mut ChaCha8Rng, n: usize) -> Case {
    let json_case = rng.random_bool(0.3);
    let i = if json_case {
        seeds.len() - 1
    } else {
        rng.random_range(0..seeds.len() - 1)
    };
    let seed = &seeds[i];
    let mut bytes = if json_case && rng.random_bool(0.7) {
        let mut v = json.clone();
        for _ in 0..rng.random_range(1..=3) {
            mutate_json(&mut v, rng);
        }
        if rng.random_bool(0.5) {
            serde_json::to_vec_pretty(&v).unwrap()
        } else {
            serde_json::to_vec(&v).unwrap()
        }
    } else {
        seed.bytes.clone()
    };
    let byte_mutations = if json_case {
        rng.random_range(0..=2)
    } else {
        rng.random_range(1..=4)
    };
    for _ in 0..byte_mutations {
        mutate_bytes(&mut bytes, seeds, rng);
    }
    let mut files = vec![(seed.name.to_string(), bytes)];
    if let Some(p) = seed.partner
        && rng.random_bool(0.4)
    {
        // The partner first, as a CRM export's accounts would be named.
        files.insert(0, (seeds[p].name.to_string(), seeds[p].bytes.clone()));
    }
    let mode = match rng.random_range(0..10) {
        0 => Mode::DryRun,
        1 | 2 => Mode::KeepGood,
        _ => Mode::AllOrNothing,
    };
    Case {
        files,
        maps: seed.maps.iter().map(|m| m.to_string()).collect(),
        mode,
        new_file: rng.random_bool(0.25),
        binary: n % 10 == 9,
    }
}

/// Byte sequences that trouble parsers.
const INSERTS: &[&[u8]] = &[
    b"\"",
    b"\"\"",
    b",",
    b",,,,",
    b";",
    b"\t",
    b"\n",
    b"\r\n",
    b"\r",
    b"\0",
    b"\xff\xfe",
    b"\xc3",
    b"\xed\xa0\x80",
    b"\xef\xbb\xbf",
    b"\x1b[31m",
    b"\x1b]0;title\x07",
    b"-1",
    b"$-1,000.00",
    b"99999999999999999999999",
    b"1e308",
    b"NaN",
    b"2027-02-30",
    b"0000-00-00",
    b"{",
    b"}",
    b"[",
    b"]",
    b":",
    b"null",
    b"\\u0000",
    b"\\ud800",
];

fn mutate_bytes(bytes: &mut Vec<u8>, seeds: &[Seed], rng: &mut ChaCha8Rng) {
    let len = bytes.len();
    let at = if len == 0 {
        0
    } else {
        rng.random_range(0..=len)
    };
    match rng.random_range(0..14) {
        0 if len > 0 => {
            let i = rng.random_range(0..len);
            bytes[i] ^= 1 << rng.random_range(0..8);
        }
        1 if len > 0 => {
            let i = rng.random_range(0..len);
            bytes[i] = rng.random();
        }
        2 => bytes.truncate(at),
        3 | 4 => {
            let ins = INSERTS[rng.random_range(0..INSERTS.len())];
            bytes.splice(at..at, ins.iter().copied());
        }
        5 if len > 0 => {
            let end = (at + rng.random_range(1..64)).min(len);
            bytes.drain(at.min(end)..end);
        }
        6 => {
            // A huge field: 100 KB to 1 MB of one character, sometimes quoted.
            let size = rng.random_range(100_000..1_000_000);
            let mut field = vec![b'x'; size];
            if rng.random_bool(0.5) {
                field.insert(0, b'"');
                field.push(b'"');
            }
            bytes.splice(at..at, field);
        }
        7 => duplicate_line(bytes, rng),
        8 => swap_lines(bytes, rng),
        9 => {
            let mut v = b"\xef\xbb\xbf".to_vec();
            v.extend_from_slice(bytes);
            *bytes = v;
        }
        10 => {
            let crlf = bytes.windows(2).any(|w| w == b"\r\n");
            let text = std::mem::take(bytes);
            *bytes = if crlf {
                replace(&text, b"\r\n", b"\n")
            } else {
                replace(&text, b"\n", b"\r\n")
            };
        }
        11 => {
            let to: &[u8] = [b";" as &[u8], b"\t", b"|", b"\""][rng.random_range(0..4)];
            let text = std::mem::take(bytes);
            *bytes = replace(&text, b",", to);
        }
        12 => {
            // Splice in a piece of another seed.
            let other = &seeds[rng.random_range(0..seeds.len())].bytes;
            if !other.is_empty() {
                let from = rng.random_range(0..other.len());
                let to = (from + rng.random_range(1..200)).min(other.len());
                bytes.splice(at..at, other[from..to].iter().copied());
            }
        }
        _ => {
            // Many columns on one line.
            let many = ",a".repeat(rng.random_range(100..5000));
            bytes.splice(at..at, many.into_bytes());
        }
    }
}

fn lines(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut v = Vec::new();
    let mut start = 0;
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'\n' {
            v.push((start, i + 1));
            start = i + 1;
        }
    }
    if start < bytes.len() {
        v.push((start, bytes.len()));
    }
    v
}

fn duplicate_line(bytes: &mut Vec<u8>, rng: &mut ChaCha8Rng) {
    let ls = lines(bytes);
    if ls.is_empty() {
        return;
    }
    let (a, b) = ls[rng.random_range(0..ls.len())];
    let copy = bytes[a..b].to_vec();
    bytes.splice(b..b, copy);
}

fn swap_lines(bytes: &mut Vec<u8>, rng: &mut ChaCha8Rng) {
    let ls = lines(bytes);
    if ls.len() < 2 {
        return;
    }
    let mut order: Vec<usize> = (0..ls.len()).collect();
    let i = rng.random_range(0..ls.len());
    let j = rng.random_range(0..ls.len());
    order.swap(i, j);
    let mut out = Vec::with_capacity(bytes.len());
    for k in order {
        out.extend_from_slice(&bytes[ls[k].0..ls[k].1]);
    }
    *bytes = out;
}

fn replace(text: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        if text[i..].starts_with(from) {
            out.extend_from_slice(to);
            i += from.len();
        } else {
            out.push(text[i]);
            i += 1;
        }
    }
    out
}

/// A structural edit somewhere in the export: a value of the wrong type, a key gone, an
/// element duplicated, an id turned into a string or into another record's id.
fn mutate_json(v: &mut serde_json::Value, rng: &mut ChaCha8Rng) {
    use serde_json::{Value, json};
    let Some(top) = v.as_object_mut() else { return };
    let keys: Vec<String> = top.keys().cloned().collect();
    let key = &keys[rng.random_range(0..keys.len())];
    let odd = |rng: &mut ChaCha8Rng| -> Value {
        match rng.random_range(0..10) {
            0 => Value::Null,
            1 => json!(""),
            2 => json!(-1),
            3 => json!(i64::MAX),
            4 => json!(1e300),
            5 => json!(3.5),
            6 => json!(true),
            7 => json!([]),
            8 => json!({}),
            _ => json!("x".repeat(rng.random_range(1..100_000))),
        }
    };
    let slot = top.get_mut(key).unwrap();
    match slot {
        Value::Array(items) if !items.is_empty() && rng.random_bool(0.85) => {
            let i = rng.random_range(0..items.len());
            match rng.random_range(0..6) {
                0 => {
                    let copy = items[i].clone();
                    items.push(copy);
                }
                1 => {
                    items.remove(i);
                }
                2 => items[i] = odd(rng),
                _ => {
                    let other_id = items[rng.random_range(0..items.len())].get("id").cloned();
                    let Some(rec) = items[i].as_object_mut() else {
                        return;
                    };
                    let fields: Vec<String> = rec.keys().cloned().collect();
                    if fields.is_empty() {
                        return;
                    }
                    let f = fields[rng.random_range(0..fields.len())].clone();
                    match rng.random_range(0..5) {
                        0 => {
                            rec.remove(&f);
                        }
                        1 => {
                            // An id written as a string (or a string id as a number).
                            let val = rec[&f].clone();
                            rec[&f] = match val {
                                Value::Number(n) => json!(n.to_string()),
                                Value::String(s) => {
                                    s.parse::<i64>().map(|n| json!(n)).unwrap_or(json!(s.len()))
                                }
                                other => other,
                            };
                        }
                        2 => {
                            if let Some(id) = other_id {
                                rec[&f] = id;
                            }
                        }
                        _ => rec[&f] = odd(rng),
                    }
                }
            }
        }
        _ => {
            if rng.random_bool(0.3) {
                top.remove(key);
            } else {
                *top.get_mut(key).unwrap() = odd(rng);
            }
        }
    }
}
