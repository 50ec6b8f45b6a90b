//! Long commands in the shell: progress on a terminal and nothing elsewhere, Ctrl-C
//! leaving everything as it was, `team merge` of any number of files (and folders), shell
//! completions and the manual page.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::cli::{BIN, attuned};
use common::tmux::Tmux;
use rusqlite::Connection;

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn demo(dir: &Path, name: &str, accounts: u32, seed: u64) -> PathBuf {
    let db = dir.join(name);
    let a = accounts.to_string();
    let s = seed.to_string();
    ok(&attuned(
        dir,
        &[
            "demo",
            "--db",
            db.to_str().unwrap(),
            "--accounts",
            &a,
            "--seed",
            &s,
        ],
    ));
    db
}

fn count(db: &Path, table: &str) -> i64 {
    let conn = Connection::open_with_flags(
        format!("file:{}?immutable=1", db.display()),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_URI,
    )
    .unwrap();
    conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// `n` CSMs' files of 20 accounts each (seeds 1..=n) in `dir`.
fn csm_files(dir: &Path, n: u64) -> Vec<PathBuf> {
    (1..=n)
        .map(|seed| demo(dir, &format!("csm{seed:02}.db"), 20, seed))
        .collect()
}

fn merge(dir: &Path, team: &Path, sources: &[PathBuf]) -> Output {
    let mut args = vec!["team", "merge", "--into", team.to_str().unwrap()];
    args.extend(sources.iter().map(|s| s.to_str().unwrap()));
    attuned(dir, &args)
}

#[test]
fn twenty_five_files_merge_in_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let files = csm_files(dir.path(), 25);
    let team = dir.path().join("team.db");
    let out = ok(&merge(dir.path(), &team, &files));
    assert_eq!(out.matches("Merged ").count(), 25, "{out}");
    assert_eq!(count(&team, "accounts"), 25 * 20);
    let touches: i64 = files.iter().map(|f| count(f, "touches")).sum();
    assert_eq!(count(&team, "touches"), touches);
    // Again, with one file newer: still 500 accounts, nothing duplicated.
    let conn = Connection::open(&files[7]).unwrap();
    conn.execute(
        "DELETE FROM accounts WHERE id = (SELECT max(id) FROM accounts)",
        [],
    )
    .unwrap();
    drop(conn);
    ok(&merge(dir.path(), &team, &files));
    assert_eq!(count(&team, "accounts"), 25 * 20 - 1);
}

/// The team file's records, as `export --format json` gives them (minus its time stamp).
fn records(dir: &Path, db: &Path) -> serde_json::Value {
    let out = ok(&attuned(
        dir,
        &["export", "--format", "json", "--db", db.to_str().unwrap()],
    ));
    let mut v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v.as_object_mut().unwrap().remove("exported_at");
    v
}

#[test]
fn merging_a_folder_again_copies_only_the_files_that_changed() {
    let dir = tempfile::tempdir().unwrap();
    let shared = dir.path().join("shared");
    fs::create_dir(&shared).unwrap();
    let files = csm_files(&shared, 4);
    let team = dir.path().join("team.db");
    ok(&merge(dir.path(), &team, std::slice::from_ref(&shared)));
    // One CSM works on: an account gone, another renamed.
    let conn = Connection::open(&files[2]).unwrap();
    conn.execute_batch(
        "DELETE FROM accounts WHERE id = (SELECT max(id) FROM accounts);
         UPDATE accounts SET name = 'Renamed Inc' WHERE id = (SELECT min(id) FROM accounts);",
    )
    .unwrap();
    drop(conn);
    let out = ok(&merge(dir.path(), &team, std::slice::from_ref(&shared)));
    assert_eq!(out.matches("— as merged before").count(), 3, "{out}");
    assert_eq!(out.matches("Merged ").count(), 1, "{out}");
    assert!(out.contains("csm03.db"), "{out}");
    assert_eq!(count(&team, "accounts"), 79);
    // The same records as a team file merged afresh from the same files.
    let fresh = dir.path().join("fresh.db");
    ok(&merge(dir.path(), &fresh, std::slice::from_ref(&shared)));
    assert_eq!(records(dir.path(), &team), records(dir.path(), &fresh));
}

#[test]
fn a_folder_merges_every_db_file_in_it_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let shared = dir.path().join("shared");
    fs::create_dir(&shared).unwrap();
    csm_files(&shared, 3);
    // What a folder also holds: notes, a file being built by a running command, and the
    // team file itself.
    fs::write(shared.join("notes.txt"), "not a database").unwrap();
    fs::write(shared.join(".csm04.db.99999.tmp"), "half written").unwrap();
    let team = shared.join("team.db");
    let out = ok(&merge(dir.path(), &team, std::slice::from_ref(&shared)));
    assert_eq!(out.matches("Merged ").count(), 3, "{out}");
    assert_eq!(count(&team, "accounts"), 60);
    // The team file now in the folder is left out of the next merge, not refused.
    let out = ok(&merge(dir.path(), &team, std::slice::from_ref(&shared)));
    assert_eq!(out.matches("— as merged before").count(), 3, "{out}");
    assert!(!out.contains("team.db ("), "{out}");
    assert_eq!(count(&team, "accounts"), 60);
    // An empty folder is a mistake, said as such.
    let empty = dir.path().join("empty");
    fs::create_dir(&empty).unwrap();
    let o = merge(dir.path(), &dir.path().join("t2.db"), &[empty]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("no .db files"));
}

#[test]
fn one_bad_file_among_25_stops_the_merge_with_nothing_written() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = csm_files(dir.path(), 25);
    let team = dir.path().join("team.db");
    // The 13th file is not a database.
    fs::write(&files[12], "Account Name,Owner\nAcme,Dana\n").unwrap();
    let before = listing(dir.path());
    let o = merge(dir.path(), &team, &files);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("csm13.db"));
    assert!(!team.exists());
    assert_eq!(listing(dir.path()), before);
    // Into an existing team file: byte for byte as it was.
    let good: Vec<PathBuf> = files.drain(..3).collect();
    ok(&merge(dir.path(), &team, &good));
    let bytes = fs::read(&team).unwrap();
    let before = listing(dir.path());
    let o = merge(dir.path(), &team, &files);
    assert!(!o.status.success());
    assert_eq!(fs::read(&team).unwrap(), bytes);
    assert_eq!(listing(dir.path()), before);
}

// ---- Ctrl-C ----

/// A file of 4,000 accounts and its JSON export, made once for the Ctrl-C tests.
fn big() -> &'static (PathBuf, PathBuf) {
    static BIG: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    BIG.get_or_init(|| {
        // Under target/, made again each run.
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("shell-big");
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let db = demo(&dir, "big.db", 4000, 3);
        let json = dir.join("big.json");
        ok(&attuned(
            &dir,
            &[
                "export",
                "--format",
                "json",
                "--db",
                db.to_str().unwrap(),
                "--out",
                json.to_str().unwrap(),
            ],
        ));
        (db, json)
    })
}

fn spawn(home: &Path, args: &[&str]) -> Child {
    Command::new(BIN)
        .args(args)
        .env_remove("ATTUNED_DB")
        .env_remove("RUST_BACKTRACE")
        .env("HOME", home)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Sends SIGINT 300 ms after the start, or once `ready` holds if later, and returns what
/// the command did.
fn interrupt(child: Child, ready: impl Fn() -> bool) -> Output {
    interrupt_after(child, Duration::from_millis(300), ready)
}

fn interrupt_after(mut child: Child, after: Duration, ready: impl Fn() -> bool) -> Output {
    let started = Instant::now();
    while !ready() || started.elapsed() < after {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "never got going"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "finished before it could be stopped"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let stopped = Instant::now();
    let out = child.wait_with_output().unwrap();
    assert!(
        stopped.elapsed() < Duration::from_secs(2),
        "took {:?} to stop",
        stopped.elapsed()
    );
    out
}

fn cancelled(out: &Output) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert_eq!(err, "attuned: cancelled; nothing was changed\n");
}

/// A hidden file being built beside `dest` (the work has begun).
fn building(dest: &Path) -> bool {
    let name = dest.file_name().unwrap().to_string_lossy().into_owned();
    listing(dest.parent().unwrap())
        .iter()
        .any(|n| n.starts_with(&format!(".{name}.")))
}

fn no_leftovers(dir: &Path) {
    let hidden: Vec<String> = listing(dir)
        .into_iter()
        .filter(|n| n.starts_with('.') || n.ends_with("-journal"))
        .collect();
    assert!(hidden.is_empty(), "left behind: {hidden:?}");
}

#[test]
fn ctrl_c_stops_a_demo_and_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let child = spawn(
        dir.path(),
        &["demo", "--accounts", "20000", "--db", db.to_str().unwrap()],
    );
    let out = interrupt(child, || building(&db));
    cancelled(&out);
    assert!(out.stdout.is_empty());
    assert!(!db.exists());
    no_leftovers(dir.path());
}

#[test]
fn ctrl_c_stops_an_import_and_leaves_the_file_as_it_was() {
    let (_, json) = big();
    let dir = tempfile::tempdir().unwrap();
    // Into a new file: none.
    let db = dir.path().join("new.db");
    let args = [
        "import",
        json.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
    ];
    let out = interrupt(spawn(dir.path(), &args), || building(&db));
    cancelled(&out);
    assert!(!db.exists());
    no_leftovers(dir.path());
    // Into an existing file: byte for byte as it was.
    let db = demo(dir.path(), "mine.db", 20, 9);
    let bytes = fs::read(&db).unwrap();
    let before = listing(dir.path());
    let args = [
        "import",
        json.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
    ];
    let out = interrupt(spawn(dir.path(), &args), || true);
    cancelled(&out);
    assert_eq!(fs::read(&db).unwrap(), bytes);
    assert_eq!(listing(dir.path()), before);
}

#[test]
fn ctrl_c_stops_a_csv_import_while_it_reads() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("accounts.csv");
    let mut text = String::from("Id,Name,ParentId,AnnualRevenue,OwnerId,Industry\r\n");
    for i in 0..300_000 {
        text.push_str(&format!("001A{i:08},Company {i},,120000,005A01,Retail\r\n"));
    }
    fs::write(&csv, text).unwrap();
    let db = dir.path().join("new.db");
    let args = [
        "import",
        csv.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
    ];
    let out = interrupt(spawn(dir.path(), &args), || true);
    cancelled(&out);
    assert!(!db.exists());
    no_leftovers(dir.path());
}

#[test]
fn ctrl_c_stops_a_merge_and_leaves_the_team_file_as_it_was() {
    let (big_db, _) = big();
    let dir = tempfile::tempdir().unwrap();
    let team = dir.path().join("team.db");
    let source = [big_db.to_str().unwrap()];
    let args = |team: &Path| -> Vec<String> {
        ["team", "merge", "--into", team.to_str().unwrap()]
            .iter()
            .chain(source.iter())
            .map(|s| s.to_string())
            .collect()
    };
    let run = |a: &[String]| {
        spawn(
            dir.path(),
            &a.iter().map(String::as_str).collect::<Vec<_>>(),
        )
    };
    let out = interrupt(run(&args(&team)), || building(&team));
    cancelled(&out);
    assert!(!team.exists());
    no_leftovers(dir.path());
    // An existing team file.
    let small = demo(dir.path(), "small.db", 20, 5);
    ok(&merge(dir.path(), &team, &[small]));
    let bytes = fs::read(&team).unwrap();
    let before = listing(dir.path());
    let out = interrupt(run(&args(&team)), || true);
    cancelled(&out);
    assert_eq!(fs::read(&team).unwrap(), bytes);
    assert_eq!(listing(dir.path()), before);
}

#[test]
fn ctrl_c_stops_an_export_and_a_backup_and_leaves_what_was_there() {
    let (big_db, _) = big();
    let dir = tempfile::tempdir().unwrap();
    let db = big_db.to_str().unwrap();
    // An export over an older one: the older one stays.
    let out_file = dir.path().join("all.json");
    fs::write(&out_file, "the export of yesterday").unwrap();
    let args = ["export", "--format", "json", "--db", db, "--out"];
    let mut a = args.to_vec();
    a.push(out_file.to_str().unwrap());
    let out = interrupt(spawn(dir.path(), &a), || building(&out_file));
    cancelled(&out);
    assert_eq!(
        fs::read_to_string(&out_file).unwrap(),
        "the export of yesterday"
    );
    no_leftovers(dir.path());
    // A backup to a new name: none.
    let copy = dir.path().join("copy.db");
    // (As soon as the copy is begun: it takes well under a second.)
    let out = interrupt_after(
        spawn(dir.path(), &["backup", "--db", db, copy.to_str().unwrap()]),
        Duration::ZERO,
        || building(&copy),
    );
    cancelled(&out);
    assert!(!copy.exists());
    no_leftovers(dir.path());
}

#[test]
fn without_a_terminal_nothing_but_the_summary_is_printed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("d.db");
    let d = db.to_str().unwrap();
    let o = attuned(dir.path(), &["demo", "--accounts", "300", "--db", d]);
    let out = ok(&o);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.starts_with("demo: 300 accounts"));
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let copy = dir.path().join("b.db");
    for args in [
        vec!["backup", "--db", d, copy.to_str().unwrap()],
        vec!["check", "--db", d],
        vec!["report", "--db", d],
        vec!["audit", "draw", "--db", d],
    ] {
        let o = attuned(dir.path(), &args);
        ok(&o);
        assert!(
            o.stderr.is_empty(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let json = dir.path().join("e.json");
    let o = attuned(
        dir.path(),
        &[
            "export",
            "--format",
            "json",
            "--db",
            d,
            "--out",
            json.to_str().unwrap(),
        ],
    );
    ok(&o);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("exported "), "{err}");
    let o = attuned(dir.path(), &["import", json.to_str().unwrap(), "--db", d]);
    ok(&o);
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn a_demo_in_a_terminal_shows_its_progress_and_stops_on_ctrl_c() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let tmux = Tmux::start(
        dir.path(),
        120,
        10,
        &format!("{BIN} demo --accounts 20000 --db '{}'", db.display()),
    );
    let screen = tmux.wait_for("Generating accounts");
    assert!(screen.contains("/20,000"), "{screen}");
    assert!(screen.contains('['), "{screen}");
    // Ctrl-C as the terminal sends it to the program (the pane's `sh` would die of a key).
    let pid = tmux.app_pid();
    assert!(
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    assert_eq!(tmux.wait_until_exited(), "130");
    let screen = tmux.wait_for("cancelled; nothing was changed");
    assert!(!screen.contains("Generating accounts"), "{screen}");
    assert!(!db.exists());
    let names: Vec<String> = listing(dir.path())
        .into_iter()
        .filter(|n| n.starts_with(".demo.db"))
        .collect();
    assert!(names.is_empty(), "{names:?}");
}

// ---- completions and the manual ----

#[test]
fn completions_and_the_manual_page_name_the_commands() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish"] {
        let out = ok(&attuned(dir.path(), &["completions", shell]));
        for sub in ["demo", "import", "merge", "report"] {
            assert!(out.contains(sub), "{shell}: no {sub}");
        }
    }
    let man = ok(&attuned(dir.path(), &["man"]));
    assert!(
        man.starts_with(".ie") || man.contains(".TH attuned"),
        "{man}"
    );
    for sub in ["demo", "import", "team", "backup", "completions"] {
        assert!(man.contains(sub), "no {sub}");
    }
    // Neither needs or makes a database.
    assert!(listing(dir.path()).is_empty());
}
