//! `kill -9` rounds, cycling through five kinds of work, each killed after a random
//! delay (uniform over the work's own measured length, so every phase gets hit):
//!
//! - **import** of a Salesforce Account and Contact export, into an existing file or a
//!   new one: afterwards the file passes `attuned check` and holds all of the import or
//!   none of it (a new file: absent, or complete); the same import run again succeeds and
//!   leaves nothing else in the folder;
//! - **backup** to a new or an existing destination: the destination is absent, the old
//!   copy or a complete new one, each passing `check`; the next backup succeeds and
//!   leaves nothing else in the folder;
//! - **merge** of two CSMs' files into a new or an existing team file: absent, or passing
//!   `check` with the counts before or after; the sources unchanged; a later merge
//!   succeeds with the full counts and leaves nothing else in the folder;
//! - **note**: a note typed during a call in the real binary under tmux, chunk by chunk,
//!   each chunk acknowledged once the screen shows it (the app saves on every key before
//!   it draws), then killed while the next chunk is typed: the note in `attuned export
//!   --format json` starts with everything acknowledged;
//! - **draft**: the same in the form that logs a touch (the wrap-up draft kept in `meta`).
//!
//! Every round ends with `attuned check` on the file, which must exit 0.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::process::ExitStatusExt;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::common::cli::{BIN, attuned};
use crate::common::tmux::{Tmux, export_json, kill_9, open_command_in};

/// Fixture sizes: the full run's, and the smoke run's (small, for a debug build).
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    /// Accounts in the file imported into, and the backup's source.
    base: u32,
    backup_source: u32,
    merge_source: u32,
    /// Accounts (and as many contacts) in the imported export.
    import: u32,
    call_file: u32,
}

impl Sizes {
    pub const FULL: Sizes = Sizes {
        base: 50,
        backup_source: 2000,
        merge_source: 400,
        import: 1500,
        call_file: 20,
    };
    pub const SMOKE: Sizes = Sizes {
        base: 10,
        backup_source: 100,
        merge_source: 20,
        import: 50,
        call_file: 10,
    };
}

const KINDS: [&str; 5] = ["import", "backup", "merge", "note", "draft"];

/// What the rounds found.
#[derive(Debug, Default)]
pub struct Report {
    rounds: BTreeMap<&'static str, usize>,
    /// Acknowledged data missing (a note, a draft, a completed command's records) or a
    /// partial result (half an import).
    lost: usize,
    /// Typed rounds by how much of the chunk on its way at the kill was kept: all of it,
    /// part of it, none of it (evidence that kills land mid-typing).
    in_flight: [usize; 3],
    check_failures: usize,
    /// Files left in the folder after the next run of the same command.
    leftovers: usize,
    /// The next run of the same command failed or gave the wrong counts.
    later_failures: usize,
    /// The harness itself could not drive a round (e.g. a screen never showed).
    harness_errors: usize,
    killed: usize,
    finished_first: usize,
    failures: Vec<String>,
    kinds_of_failure: Vec<(String, usize)>,
}

impl Report {
    fn fail(&mut self, what: &str, round: &Round, detail: String) {
        let line = format!(
            "round {} {}({}) delay {} ms{}: {what}: {detail}",
            round.n,
            round.kind,
            round.variant,
            round.delay.as_millis(),
            if round.killed { " killed" } else { "" },
        );
        eprintln!("soak FAIL {line}");
        self.failures.push(line);
        // Grouped by what failed and why, without the names and paths of this round.
        let why: String = detail
            .split(", e.g.")
            .next()
            .unwrap_or_default()
            .chars()
            .filter(|c| !c.is_ascii_digit())
            .take(90)
            .collect();
        self.kinds_of_failure.push((
            format!("{} ({}): {what}: {why}", round.kind, round.variant),
            round.n,
        ));
    }

    pub fn summary(&self) -> String {
        let total: usize = self.rounds.values().sum();
        let kinds: Vec<String> = KINDS
            .iter()
            .map(|k| format!("{k} {}", self.rounds.get(k).copied().unwrap_or(0)))
            .collect();
        format!(
            "soak: {total} rounds ({}), {} killed mid-work, {} finished before the kill; typed text on its way at the kill kept whole {}, in part {}, not at all {}; {} lost or partial, {} check failures, {} leftovers, {} later-run failures, {} harness errors",
            kinds.join(", "),
            self.killed,
            self.finished_first,
            self.in_flight[0],
            self.in_flight[1],
            self.in_flight[2],
            self.lost,
            self.check_failures,
            self.leftovers,
            self.later_failures,
            self.harness_errors
        )
    }

    /// Every round ran to its verdict (whatever it found).
    pub fn assert_harness_worked(&self, rounds: usize) {
        assert_eq!(self.rounds.values().sum::<usize>(), rounds);
        assert_eq!(self.harness_errors, 0, "{}", self.failures.join("\n"));
    }

    /// Each kind of failure with how many rounds it happened in.
    fn tally(&self) -> String {
        let mut by: BTreeMap<&str, usize> = BTreeMap::new();
        for (what, _) in &self.kinds_of_failure {
            *by.entry(what.as_str()).or_default() += 1;
        }
        by.iter()
            .map(|(w, n)| format!("  {n:>5} × {w}"))
            .collect::<Vec<_>>()
            .join("\n")
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

/// One round as it ran.
struct Round {
    n: usize,
    kind: &'static str,
    variant: &'static str,
    delay: Duration,
    killed: bool,
}

/// The files every round starts from, built once.
struct Fixtures {
    home: PathBuf,
    base: PathBuf,
    base_accounts: i64,
    base_personas: i64,
    accounts_csv: PathBuf,
    contacts_csv: PathBuf,
    backup_source: PathBuf,
    backup_accounts: i64,
    old_backup: PathBuf,
    sources: [PathBuf; 2],
    source_accounts: [i64; 2],
    team_of_first: PathBuf,
    call_file: PathBuf,
    /// How long each CLI kind takes unkilled: the kill delay is drawn below 1.2 times it.
    lengths: BTreeMap<&'static str, Duration>,
}

pub fn run(rounds: usize, seed: u64, sizes: Sizes) -> Report {
    eprintln!("soak: seed {seed} (ATTUNED_SOAK_SEED={seed} repeats the draws), {sizes:?}");
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let fx = Fixtures::build(dir.path(), sizes);
    eprintln!(
        "soak: fixtures in {:.1} s; unkilled lengths {:?}",
        started.elapsed().as_secs_f64(),
        fx.lengths
    );
    let mut report = Report::default();
    let started = Instant::now();
    for n in 0..rounds {
        let kind = KINDS[n % KINDS.len()];
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ (n as u64).wrapping_mul(0x9e37_79b9));
        let variant_new = (n / KINDS.len()).is_multiple_of(2);
        let work = dir.path().join(format!("r{n}"));
        fs::create_dir(&work).unwrap();
        let mut round = Round {
            n,
            kind,
            variant: "",
            delay: Duration::ZERO,
            killed: false,
        };
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| match kind {
            "import" => import_round(&fx, &work, variant_new, &mut rng, &mut round, &mut report),
            "backup" => backup_round(&fx, &work, variant_new, &mut rng, &mut round, &mut report),
            "merge" => merge_round(&fx, &work, variant_new, &mut rng, &mut round, &mut report),
            "note" => typed_round(&fx, &work, false, &mut rng, &mut round, &mut report),
            _ => typed_round(&fx, &work, true, &mut rng, &mut round, &mut report),
        }));
        if let Err(e) = outcome {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            report.harness_errors += 1;
            let first = msg.lines().take(3).collect::<Vec<_>>().join(" | ");
            report.fail("the harness could not drive the round", &round, first);
        }
        *report.rounds.entry(kind).or_default() += 1;
        if round.killed {
            report.killed += 1;
        } else {
            report.finished_first += 1;
        }
        let _ = fs::remove_dir_all(&work);
        if (n + 1) % 50 == 0 {
            eprintln!(
                "soak: {} rounds in {:.0} s; {} failures so far",
                n + 1,
                started.elapsed().as_secs_f64(),
                report.failures.len()
            );
        }
    }
    eprintln!(
        "{} (seed {seed}, {:.0} s)",
        report.summary(),
        started.elapsed().as_secs_f64()
    );
    if !report.failures.is_empty() {
        eprintln!("soak: failures by kind:\n{}", report.tally());
    }
    report
}

impl Fixtures {
    fn build(home: &Path, sizes: Sizes) -> Fixtures {
        let base = demo(home, "base.db", sizes.base, 1);
        let (base_accounts, base_personas) = counts(home, &base).expect("a healthy demo");
        let (accounts_csv, contacts_csv) = salesforce_export(home, sizes.import);
        let backup_source = demo(home, "source.db", sizes.backup_source, 2);
        let backup_accounts = counts(home, &backup_source).unwrap().0;
        let old_backup = demo(home, "old-backup.db", sizes.base, 3);
        let sources = [
            demo(home, "csm1.db", sizes.merge_source, 4),
            demo(home, "csm2.db", sizes.merge_source, 5),
        ];
        let source_accounts = [
            counts(home, &sources[0]).unwrap().0,
            counts(home, &sources[1]).unwrap().0,
        ];
        let team_of_first = home.join("team1.db");
        ok(&merge_args(&team_of_first, &sources[..1]), home);
        let call_file = demo(home, "call.db", sizes.call_file, 6);
        let mut fx = Fixtures {
            home: home.to_path_buf(),
            base,
            base_accounts,
            base_personas,
            accounts_csv,
            contacts_csv,
            backup_source,
            backup_accounts,
            old_backup,
            sources,
            source_accounts,
            team_of_first,
            call_file,
            lengths: BTreeMap::new(),
        };
        fx.measure();
        fx
    }

    /// Times each CLI kind once, unkilled, in a scratch folder.
    fn measure(&mut self) {
        let scratch = self.home.join("measure");
        fs::create_dir(&scratch).unwrap();
        let target = scratch.join("new.db");
        let t = Instant::now();
        ok(&self.import_args(&target), &self.home);
        self.lengths.insert("import", t.elapsed());
        let t = Instant::now();
        ok(
            &backup_args(&self.backup_source, &scratch.join("b.db")),
            &self.home,
        );
        self.lengths.insert("backup", t.elapsed());
        let t = Instant::now();
        ok(
            &merge_args(&scratch.join("t.db"), &self.sources),
            &self.home,
        );
        self.lengths.insert("merge", t.elapsed());
        fs::remove_dir_all(&scratch).unwrap();
    }

    fn import_args(&self, target: &Path) -> Vec<String> {
        vec![
            "import".into(),
            "--db".into(),
            s(target),
            s(&self.accounts_csv),
            s(&self.contacts_csv),
        ]
    }
}

fn s(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

fn backup_args(source: &Path, dest: &Path) -> Vec<String> {
    vec!["backup".into(), "--db".into(), s(source), s(dest)]
}

fn merge_args(team: &Path, sources: &[PathBuf]) -> Vec<String> {
    let mut a = vec!["team".into(), "merge".into(), "--into".into(), s(team)];
    a.extend(sources.iter().map(|p| s(p)));
    a
}

fn demo(home: &Path, name: &str, accounts: u32, seed: u64) -> PathBuf {
    let db = home.join(name);
    ok(
        &[
            "demo".into(),
            "--db".into(),
            s(&db),
            "--accounts".into(),
            accounts.to_string(),
            "--seed".into(),
            seed.to_string(),
        ],
        home,
    );
    db
}

/// A Salesforce Account export of `n` accounts and a Contact export of one contact each.
fn salesforce_export(home: &Path, n: u32) -> (PathBuf, PathBuf) {
    let mut accounts = String::from("Id,Name,ParentId,AnnualRevenue,OwnerId,Industry\n");
    let mut contacts = String::from("Id,AccountId,FirstName,LastName,Title,ReportsToId,Email\n");
    for i in 0..n {
        accounts.push_str(&format!(
            "001SOAK{i:08},Soak Account {i},,\"${},000\",005SOAK{:04},Retail\n",
            100 + i,
            i % 7
        ));
        contacts.push_str(&format!(
            "003SOAK{i:08},001SOAK{i:08},Pat,Soak{i},CFO,,pat{i}@soak.example\n"
        ));
    }
    let a = home.join("Account.csv");
    let c = home.join("Contact.csv");
    fs::write(&a, accounts).unwrap();
    fs::write(&c, contacts).unwrap();
    (a, c)
}

/// Runs `attuned ARGS` to the end and insists it succeeds.
fn ok(args: &[String], home: &Path) {
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = attuned(home, &refs);
    assert!(
        o.status.success(),
        "attuned {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// `attuned check`: the accounts and personas it counted, or why it failed.
fn counts(home: &Path, db: &Path) -> Result<(i64, i64), String> {
    let o = attuned(home, &["check", "--db", db.to_str().unwrap()]);
    let out = String::from_utf8_lossy(&o.stdout);
    if !o.status.success() {
        // The problems it listed, or its one-line error.
        let problems: Vec<&str> = out
            .lines()
            .skip_while(|l| !l.contains("problem(s):"))
            .skip(1)
            .map(str::trim)
            .collect();
        let why = if problems.is_empty() {
            String::from_utf8_lossy(&o.stderr).trim().to_string()
        } else {
            problems.join(" | ")
        };
        return Err(format!("check exited {:?}: {why}", o.status.code()));
    }
    let line = out
        .lines()
        .find(|l| l.contains(" accounts, "))
        .ok_or_else(|| format!("no counts in {out:?}"))?;
    let mut words = line.split_whitespace();
    let accounts = words.next().and_then(|w| w.parse().ok());
    let personas = words.nth(1).and_then(|w| w.parse().ok());
    match (accounts, personas) {
        (Some(a), Some(p)) => Ok((a, p)),
        _ => Err(format!("unreadable counts {line:?}")),
    }
}

/// Starts `attuned ARGS`, kills it with SIGKILL after `delay`; whether it was still
/// running then (killed) or had finished (and with which status).
fn run_killed(home: &Path, args: &[String], delay: Duration) -> (bool, Option<i32>) {
    let mut child = Command::new(BIN)
        .args(args)
        .env_remove("ATTUNED_DB")
        .env_remove("XDG_DATA_HOME")
        .env("HOME", home)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(delay);
    let _ = child.kill();
    let status = child.wait().unwrap();
    (status.signal() == Some(9), status.code())
}

fn random_delay(fx: &Fixtures, kind: &str, rng: &mut ChaCha8Rng) -> Duration {
    let length = fx.lengths[kind].as_micros() as u64;
    Duration::from_micros(rng.random_range(0..=length * 6 / 5))
}

/// The names in `dir` other than `keep`, sorted.
fn others_in(dir: &Path, keep: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !keep.contains(&n.as_str()))
        .collect();
    v.sort();
    v
}

/// Runs the command again, unkilled, then checks the file's counts and the folder.
fn later_run(
    fx: &Fixtures,
    args: &[String],
    file: &Path,
    want: (i64, Option<i64>),
    round: &Round,
    report: &mut Report,
) {
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = attuned(&fx.home, &refs);
    if !o.status.success() {
        report.later_failures += 1;
        report.fail(
            "the next run failed",
            round,
            String::from_utf8_lossy(&o.stderr).trim().to_string(),
        );
        return;
    }
    match counts(&fx.home, file) {
        Ok((a, p)) if a == want.0 && want.1.is_none_or(|w| w == p) => {}
        Ok(got) => {
            report.later_failures += 1;
            report.fail(
                "the next run left the wrong counts",
                round,
                format!("{got:?}, expected {want:?}"),
            );
        }
        Err(e) => {
            report.check_failures += 1;
            report.fail("check failed after the next run", round, e);
        }
    }
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    let left = others_in(file.parent().unwrap(), &[&name]);
    if !left.is_empty() {
        report.leftovers += 1;
        report.fail(
            "left in the folder after the next run",
            round,
            format!("{left:?}"),
        );
    }
}

fn import_round(
    fx: &Fixtures,
    work: &Path,
    new_file: bool,
    rng: &mut ChaCha8Rng,
    round: &mut Round,
    report: &mut Report,
) {
    round.variant = if new_file {
        "new file"
    } else {
        "existing file"
    };
    let target = work.join("book.db");
    let before = if new_file {
        None
    } else {
        fs::copy(&fx.base, &target).unwrap();
        Some((fx.base_accounts, fx.base_personas))
    };
    let n = fx.accounts_csv_rows();
    let (b_acc, b_per) = before.unwrap_or((0, 0));
    let all = (b_acc + n, b_per + n);
    round.delay = random_delay(fx, "import", rng);
    let args = fx.import_args(&target);
    let (killed, code) = run_killed(&fx.home, &args, round.delay);
    round.killed = killed;
    if !killed && code != Some(0) {
        report.lost += 1;
        report.fail(
            "the import failed unkilled",
            round,
            format!("status {code:?}"),
        );
    }
    if new_file && !target.exists() {
        if !killed {
            report.lost += 1;
            report.fail("a finished import left no file", round, String::new());
        }
    } else {
        match counts(&fx.home, &target) {
            Err(e) => {
                report.check_failures += 1;
                report.fail("check failed", round, e);
            }
            Ok(got) if got == all => {}
            Ok(got) if Some(got) == before && killed => {}
            Ok(got) => {
                report.lost += 1;
                let none = before.map_or("no file".to_string(), |b| format!("{b:?}"));
                report.fail(
                    "not all or nothing",
                    round,
                    format!("{got:?}; all is {all:?}, nothing is {none}"),
                );
            }
        }
    }
    later_run(fx, &args, &target, (all.0, Some(all.1)), round, report);
}

fn backup_round(
    fx: &Fixtures,
    work: &Path,
    new_dest: bool,
    rng: &mut ChaCha8Rng,
    round: &mut Round,
    report: &mut Report,
) {
    round.variant = if new_dest { "new dest" } else { "replacing" };
    let dest = work.join("copy.db");
    let old = (!new_dest).then(|| {
        fs::copy(&fx.old_backup, &dest).unwrap();
        fx.base_accounts
    });
    round.delay = random_delay(fx, "backup", rng);
    let args = backup_args(&fx.backup_source, &dest);
    let (killed, code) = run_killed(&fx.home, &args, round.delay);
    round.killed = killed;
    if !killed && code != Some(0) {
        report.lost += 1;
        report.fail(
            "the backup failed unkilled",
            round,
            format!("status {code:?}"),
        );
    }
    if dest.exists() {
        match counts(&fx.home, &dest) {
            Err(e) => {
                report.check_failures += 1;
                report.fail("check failed on the destination", round, e);
            }
            Ok((a, _)) if a == fx.backup_accounts => {}
            Ok((a, _)) if Some(a) == old && killed => {}
            Ok(got) => {
                report.lost += 1;
                report.fail(
                    "the destination is neither the old copy nor the new one",
                    round,
                    format!("{got:?}"),
                );
            }
        }
    } else if !killed || old.is_some() {
        report.lost += 1;
        report.fail("no destination", round, String::new());
    }
    if let Err(e) = counts(&fx.home, &fx.backup_source) {
        report.check_failures += 1;
        report.fail("check failed on the source", round, e);
    }
    later_run(fx, &args, &dest, (fx.backup_accounts, None), round, report);
}

fn merge_round(
    fx: &Fixtures,
    work: &Path,
    new_team: bool,
    rng: &mut ChaCha8Rng,
    round: &mut Round,
    report: &mut Report,
) {
    round.variant = if new_team {
        "new team file"
    } else {
        "existing team file"
    };
    let team = work.join("team.db");
    let before = (!new_team).then(|| {
        fs::copy(&fx.team_of_first, &team).unwrap();
        fx.source_accounts[0]
    });
    let all = fx.source_accounts[0] + fx.source_accounts[1];
    let sources_before: Vec<Vec<u8>> = fx.sources.iter().map(|p| fs::read(p).unwrap()).collect();
    round.delay = random_delay(fx, "merge", rng);
    let args = merge_args(&team, &fx.sources);
    let (killed, code) = run_killed(&fx.home, &args, round.delay);
    round.killed = killed;
    if !killed && code != Some(0) {
        report.lost += 1;
        report.fail(
            "the merge failed unkilled",
            round,
            format!("status {code:?}"),
        );
    }
    if team.exists() {
        match counts(&fx.home, &team) {
            Err(e) => {
                report.check_failures += 1;
                report.fail("check failed on the team file", round, e);
            }
            Ok((a, _)) if a == all => {}
            Ok((a, _)) if Some(a) == before && killed => {}
            Ok(got) => {
                report.lost += 1;
                report.fail("the team file is half merged", round, format!("{got:?}"));
            }
        }
    } else if !killed || before.is_some() {
        report.lost += 1;
        report.fail("no team file", round, String::new());
    }
    for (p, was) in fx.sources.iter().zip(&sources_before) {
        if fs::read(p).unwrap() != *was {
            report.lost += 1;
            report.fail("a CSM's file changed", round, s(p));
        }
    }
    later_run(fx, &args, &team, (all, None), round, report);
}

impl Fixtures {
    fn accounts_csv_rows(&self) -> i64 {
        let text = fs::read_to_string(&self.accounts_csv).unwrap();
        text.lines().count() as i64 - 1
    }
}

const WORDS: &[&str] = &[
    "Zendesk ü",
    "pilot ✓",
    "renewal Q1",
    "SSO é",
    "budget cut",
    "new VP",
    "churn risk",
    "wants demo",
];

/// A note (or a wrap-up draft) typed in chunks in the real binary, killed while the
/// next chunk is on its way; what the screen showed must be in the file.
fn typed_round(
    fx: &Fixtures,
    work: &Path,
    draft: bool,
    rng: &mut ChaCha8Rng,
    round: &mut Round,
    report: &mut Report,
) {
    round.variant = if draft { "log form" } else { "call note" };
    let db = work.join("book.db");
    fs::copy(&fx.call_file, &db).unwrap();
    let pane = work.join("pane");
    fs::create_dir(&pane).unwrap();
    let tmux = Tmux::start(&pane, 120, 35, &open_command_in(work, &db));
    tmux.wait_for(" accounts · ");
    if draft {
        tmux.keys(&["l"]);
        tmux.wait_for("Log a touch");
        tmux.keys(&["y", "Tab", "Right", "Right"]);
        tmux.wait_for("Coaching");
        for _ in 0..6 {
            tmux.keys(&["Tab"]);
        }
    } else {
        tmux.keys(&["c"]);
        tmux.wait_for("New call with");
        tmux.keys(&["Enter"]);
        tmux.wait_for("ASSESS SIGNALS");
        tmux.keys(&["a"]);
        tmux.wait_for("saved as you type");
    }
    let chunks: Vec<String> = (0..=rng.random_range(1..5))
        .map(|i| {
            format!(
                "r{}.{i} {}",
                round.n,
                WORDS[rng.random_range(0..WORDS.len())]
            )
        })
        .collect();
    let (acked, in_flight) = chunks.split_at(chunks.len() - 1);
    for (i, c) in acked.iter().enumerate() {
        if i > 0 {
            tmux.keys(&["Enter"]);
        }
        tmux.type_text(c);
        tmux.wait_for(c);
    }
    let acknowledged = acked.join("\n");
    let typed = chunks.join("\n");
    if !acked.is_empty() {
        tmux.keys(&["Enter"]);
    }
    tmux.type_text(&in_flight[0]);
    round.delay = Duration::from_micros(rng.random_range(0..=40_000));
    std::thread::sleep(round.delay);
    kill_9(tmux);
    round.killed = true;
    let kept = if draft {
        draft_notes(&db)
    } else {
        call_note(&db)
    };
    match kept {
        Ok(kept) if kept.starts_with(&acknowledged) && typed.starts_with(&kept) => {
            let whole = kept == typed;
            report.in_flight[if whole {
                0
            } else if kept.len() > acknowledged.len() {
                1
            } else {
                2
            }] += 1;
        }
        Ok(kept) => {
            report.lost += 1;
            report.fail(
                "typed text lost",
                round,
                format!("acknowledged {acknowledged:?}, kept {kept:?}"),
            );
        }
        Err(e) => {
            report.lost += 1;
            report.fail("typed text not found", round, e);
        }
    }
    if let Err(e) = counts(&fx.home, &db) {
        report.check_failures += 1;
        report.fail("check failed", round, e);
    }
}

/// Step 1's note of the call in progress, from the JSON export.
fn call_note(db: &Path) -> Result<String, String> {
    let json = export_json(db);
    let calls: Vec<&serde_json::Value> = json["touches"]
        .as_array()
        .ok_or("no touches")?
        .iter()
        .filter(|t| t["status"] == "in_progress" && t["kind"] == "call")
        .collect();
    let [call] = calls[..] else {
        return Err(format!("{} calls in progress", calls.len()));
    };
    let note = call["steps"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["step"] == 1))
        .map(|s| s["note"].as_str().unwrap_or_default().to_string());
    Ok(note.unwrap_or_default())
}

/// The notes of the unsaved log form, from its draft.
fn draft_notes(db: &Path) -> Result<String, String> {
    let store = attuned::store::Store::open_read_only(db).map_err(|e| e.to_string())?;
    let Some(draft) = attuned::store::tagging::draft(&store).map_err(|e| e.to_string())? else {
        return Ok(String::new());
    };
    let v: serde_json::Value = serde_json::from_str(&draft).map_err(|e| e.to_string())?;
    Ok(v["notes"].as_str().unwrap_or_default().to_string())
}
