//! Nothing lost, nothing leaked: every file attuned writes is built aside and renamed
//! into place, never through a symbolic link; a killed or failed command leaves nothing
//! half-made at the user's name, and what it left aside goes with the next run; a file
//! that cannot be used is refused in one line naming it and why.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::cli::{BIN, attuned, demo};

fn arg(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The command failed with one line on stderr, which is returned.
fn one_line_error(o: &Output) -> String {
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(!o.status.success(), "succeeded: {err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    err
}

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Names starting with a dot: what a command built aside and left behind.
fn hidden(dir: &Path) -> Vec<String> {
    names(dir)
        .into_iter()
        .filter(|n| n.starts_with('.'))
        .collect()
}

fn check_ok(home: &Path, db: &Path) {
    let o = attuned(home, &["check", "--db", arg(db)]);
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn no_output_is_written_through_a_symbolic_link() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let db = demo(home, "a.db", 3, 7);
    let real = home.join("real.txt");
    fs::write(&real, b"someone's notes").unwrap();
    fs::set_permissions(&real, fs::Permissions::from_mode(0o644)).unwrap();
    let link = home.join("link.out");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let dangling = home.join("dangling.out");
    std::os::unix::fs::symlink(home.join("nowhere.txt"), &dangling).unwrap();
    let csv = home.join("rows.csv");
    fs::write(&csv, "Account ID,Account Name\n001000000000001,Acme\n").unwrap();
    for target in [&link, &dangling] {
        let t = arg(target);
        let mut runs: Vec<Vec<&str>> = ["json", "csv", "md", "ics"]
            .iter()
            .map(|f| vec!["export", "--db", arg(&db), "--format", f, "--out", t])
            .collect();
        runs.push(vec!["backup", "--db", arg(&db), t]);
        // A database reached through a link is the user's own and opened where it is
        // (here it is no database); a new one is never created through a link.
        if target == &dangling {
            runs.push(vec!["import", "--db", t, arg(&csv)]);
            runs.push(vec!["demo", "--db", t, "--accounts", "2"]);
            runs.push(vec!["team", "merge", "--into", t, arg(&db)]);
        }
        for args in runs {
            let err = one_line_error(&attuned(home, &args));
            assert!(
                err.contains(&format!(
                    "{t} is a symbolic link; attuned does not write through links"
                )),
                "{args:?}: {err}"
            );
        }
    }
    assert_eq!(fs::read(&real).unwrap(), b"someone's notes");
    assert_eq!(
        fs::metadata(&real).unwrap().permissions().mode() & 0o777,
        0o644
    );
    assert!(!home.join("nowhere.txt").exists());
    assert!(hidden(home).is_empty(), "{:?}", hidden(home));
    // A link to a terminal or a pipe is no file to protect: `--out /dev/stdout` works.
    let o = attuned(
        home,
        &[
            "export",
            "--db",
            arg(&db),
            "--format",
            "csv",
            "--out",
            "/dev/stdout",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("id,name"));
}

/// Starts `attuned ARGS` in `home` and kills it (SIGKILL) after `after`; true when it
/// had already finished by then.
fn kill_after(home: &Path, args: &[&str], after: Duration) -> bool {
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(home)
        .env_remove("ATTUNED_DB")
        .env("HOME", home)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while started.elapsed() < after {
        if child.try_wait().unwrap().is_some() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    false
}

#[test]
fn a_killed_team_merge_demo_or_backup_leaves_nothing_at_the_name_and_the_next_run_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let a = demo(home, "a.db", 1500, 1);
    let b = demo(home, "b.db", 1500, 2);
    let team = home.join("team.db");
    let fresh = home.join("fresh.db");
    let copy = home.join("copy.db");
    let mut finished = 0;
    for ms in [3, 10, 30, 80, 200, 500, 1200] {
        let after = Duration::from_millis(ms);
        let merge = ["team", "merge", "--into", arg(&team), arg(&a), arg(&b)];
        let demo = ["demo", "--db", arg(&fresh), "--accounts", "1500"];
        let backup = ["backup", "--db", arg(&a), arg(&copy)];
        for (args, target) in [
            (&merge[..], &team),
            (&demo[..], &fresh),
            (&backup[..], &copy),
        ] {
            if kill_after(home, args, after) {
                finished += 1;
                check_ok(home, target);
                fs::remove_file(target).unwrap();
            }
            // Nothing at the name: a later run is not stopped by a half-made file.
            assert!(
                !target.exists(),
                "killed after {ms} ms: {target:?} is there"
            );
        }
    }
    assert!(
        finished < 14,
        "nothing was killed midway; the files are too small"
    );
    let o = attuned(home, &["team", "merge", "--into", arg(&team), arg(&a)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    demo(home, "fresh.db", 3, 7);
    check_ok(home, &team);
    check_ok(home, &fresh);
    // What the killed runs left aside went with the next ones.
    assert!(hidden(home).is_empty(), "{:?}", hidden(home));
}

#[test]
fn what_a_killed_backup_left_goes_with_the_next_backup_there() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let db = demo(home, "a.db", 3, 7);
    // A process that no longer runs (pid beyond the kernel's limit) left its copy and
    // SQLite's journal of it.
    let dead = ".copy.db.999999999.tmp";
    for suffix in ["", "-journal", "-wal", "-shm"] {
        fs::write(home.join(format!("{dead}{suffix}")), b"half a copy").unwrap();
    }
    let o = attuned(home, &["backup", "--db", arg(&db), "copy.db"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(names(home), ["a.db", "copy.db"]);
    check_ok(home, &home.join("copy.db"));
}

/// `sh -c 'trap "" XFSZ; ulimit -f BLOCKS; exec attuned ARGS'`: writes beyond BLOCKS
/// (512-byte) fail with EFBIG, as on a full disk.
fn with_file_size_limit(home: &Path, blocks: u32, args: &[&str]) -> Output {
    let script = format!("trap '' XFSZ; ulimit -f {blocks}; exec \"$0\" \"$@\"");
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(BIN)
        .args(args)
        .current_dir(home)
        .env_remove("ATTUNED_DB")
        .env("HOME", home)
        .output()
        .unwrap()
}

#[test]
fn a_demo_or_import_that_fills_the_disk_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let o = with_file_size_limit(
        home,
        1024,
        &["demo", "--db", "full.db", "--accounts", "2000"],
    );
    let err = one_line_error(&o);
    assert!(err.contains("full.db"), "{err}");
    assert_eq!(names(home), Vec::<String>::new());
    // An attuned JSON export into a new file.
    let db = demo(home, "a.db", 500, 7);
    let o = attuned(
        home,
        &[
            "export",
            "--db",
            arg(&db),
            "--format",
            "json",
            "--out",
            "a.json",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = with_file_size_limit(home, 1024, &["import", "--db", "new.db", "a.json"]);
    let err = one_line_error(&o);
    assert!(
        err.contains("new.db") || err.contains("disk I/O error"),
        "{err}"
    );
    assert_eq!(names(home), ["a.db", "a.json"]);
    // A JSON file that turns out broken, into a new file: no empty database left.
    fs::write(
        home.join("broken.json"),
        "{\"schema_version\": 3, \"accounts\": [",
    )
    .unwrap();
    let o = attuned(home, &["import", "--db", "new.db", "broken.json"]);
    one_line_error(&o);
    assert!(!home.join("new.db").exists());
    assert!(hidden(home).is_empty(), "{:?}", hidden(home));
}

#[test]
fn an_empty_file_is_refused_by_every_command_and_left_empty() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let a = demo(home, "a.db", 3, 7);
    let empty = home.join("empty.db");
    fs::write(&empty, b"").unwrap();
    let e = arg(&empty);
    let csv = home.join("rows.csv");
    fs::write(&csv, "Account ID,Account Name\n001000000000001,Acme\n").unwrap();
    for args in [
        &["audit", "draw", "--db", e][..],
        &["audit", "summary", "--db", e],
        &["check", "--db", e],
        &["export", "--db", e, "--format", "json"],
        &["backup", "--db", e, "copy.db"],
        &["followups", "--db", e],
        &["report", "--db", e],
        &["demo", "--db", e, "--accounts", "2"],
        &["import", "--db", e, arg(&csv)],
        &["team", "merge", "--into", e, arg(&a)],
        &["team", "merge", "--into", "team.db", e],
    ] {
        let err = one_line_error(&attuned(home, args));
        assert!(
            err.contains(&format!("{e} is empty, not an attuned database")),
            "{args:?}: {err}"
        );
        assert_eq!(fs::metadata(&empty).unwrap().len(), 0, "{args:?}");
    }
    assert_eq!(names(home), ["a.db", "empty.db", "rows.csv"]);
}

#[test]
fn a_directory_given_as_a_file_is_named_as_one() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let a = demo(home, "a.db", 3, 7);
    let d = home.join("folder");
    fs::create_dir(&d).unwrap();
    let d = arg(&d);
    for args in [
        &["import", "--db", "new.db", d][..],
        &["export", "--db", arg(&a), "--format", "csv", "--out", d],
        &["team", "merge", "--into", d, arg(&a)],
        // (A folder of CSMs' files is a source `team merge` takes: see `shell.rs`.)
        &["check", "--db", d],
    ] {
        let err = one_line_error(&attuned(home, args));
        assert!(
            err.contains(&format!("{d} is a directory")),
            "{args:?}: {err}"
        );
    }
}

/// Runs `attuned ARGS` as a user who cannot write in root-owned folders: `nobody`
/// (through `setpriv`) when the tests run as root, whom permission bits do not stop.
fn as_unprivileged(home: &Path, args: &[&str]) -> Output {
    let root = fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
        .unwrap();
    let mut cmd = if root {
        // A copy beside the files: the build folder may be where `nobody` cannot reach
        // (a checkout under /root).
        let bin = home.join(".attuned-bin");
        if !bin.exists() {
            fs::copy(BIN, &bin).unwrap();
            fs::set_permissions(&bin, fs::Permissions::from_mode(0o755)).unwrap();
        }
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&bin);
        c
    } else {
        Command::new(BIN)
    };
    cmd.args(args)
        .current_dir(home)
        .env_remove("ATTUNED_DB")
        .env("HOME", home)
        .output()
        .unwrap()
}

#[test]
fn a_folder_that_cannot_be_written_is_named_with_the_users_file() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    fs::set_permissions(home, fs::Permissions::from_mode(0o755)).unwrap();
    let a = demo(home, "a.db", 3, 7);
    let o = attuned(
        home,
        &[
            "export",
            "--db",
            arg(&a),
            "--format",
            "json",
            "--out",
            "a.json",
        ],
    );
    assert!(o.status.success());
    let csv = home.join("rows.csv");
    fs::write(&csv, "Account ID,Account Name\n001000000000001,Acme\n").unwrap();
    for f in [&a, &csv, &home.join("a.json")] {
        fs::set_permissions(f, fs::Permissions::from_mode(0o644)).unwrap();
    }
    // Writable by its owner only (not "write-protected"), and its owner is not us.
    let shared = home.join("shared");
    fs::create_dir(&shared).unwrap();
    fs::set_permissions(&shared, fs::Permissions::from_mode(0o755)).unwrap();
    let run = |args: &[&str]| -> String { one_line_error(&as_unprivileged(home, args)) };
    let new = "shared/new.db";
    for args in [
        &["import", "--db", new, "rows.csv"][..],
        &["import", "--db", new, "a.json"],
        &["demo", "--db", new, "--accounts", "2"],
        &["team", "merge", "--into", new, "a.db"],
        &["backup", "--db", "a.db", new],
        &["export", "--db", "a.db", "--format", "csv", "--out", new],
        &["export", "--db", "a.db", "--format", "json", "--out", new],
    ] {
        let err = run(args);
        assert_eq!(
            err.trim_end(),
            format!("attuned: cannot write in shared: permission denied ({new} was not written)"),
            "{args:?}"
        );
    }
    assert!(names(&shared).is_empty());
}
