//! The command-line contract, tested on the built binary.

mod common;

use common::cli::{BIN, attuned};

use std::collections::HashSet;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use attuned::json_id::id_of;
use attuned::store::Store;
use serde_json::Value;

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts the contract for failures: non-zero status, exactly one `attuned:` line.
fn assert_one_line_error(o: &Output, expected: &str) {
    let err = stderr(o);
    assert!(!o.status.success(), "should fail; stderr: {err}");
    assert_eq!(err.lines().count(), 1, "one line on stderr, got: {err:?}");
    assert!(err.starts_with("attuned: "), "got: {err:?}");
    assert!(
        err.to_lowercase().contains(expected),
        "expected {expected:?} in {err:?}"
    );
}

fn db_arg(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn demo(home: &Path, db: &Path, accounts: &str) {
    let o = attuned(home, &["demo", "--db", db_arg(db), "--accounts", accounts]);
    assert!(o.status.success(), "demo failed: {}", stderr(&o));
}

fn export_json(home: &Path, db: &Path) -> Value {
    let o = attuned(home, &["export", "--db", db_arg(db), "--format", "json"]);
    assert!(o.status.success(), "export failed: {}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn count(db: &Path, table: &str) -> u64 {
    let store = Store::open_read_only(db).unwrap();
    store
        .conn()
        .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| {
            r.get::<_, i64>(0)
        })
        .unwrap() as u64
}

fn mode(p: &Path) -> u32 {
    fs::metadata(p).unwrap().permissions().mode() & 0o777
}

fn sidecar(db: &Path, suffix: &str) -> PathBuf {
    PathBuf::from(format!("{}{suffix}", db.display()))
}

fn array<'a>(v: &'a Value, key: &str) -> &'a Vec<Value> {
    v[key]
        .as_array()
        .unwrap_or_else(|| panic!("{key} is not an array"))
}

fn ids(records: &[Value]) -> HashSet<i64> {
    records.iter().map(|r| id_of(&r["id"]).unwrap()).collect()
}

#[test]
fn linked_sqlite_has_the_wal_reset_fix() {
    let v: Vec<u32> = attuned::store::sqlite_version()
        .split('.')
        .map(|p| p.parse().unwrap())
        .collect();
    assert!(v >= vec![3, 51, 3], "SQLite {v:?} is older than 3.51.3");
}

#[test]
fn demo_then_export_json_holds_every_record() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    demo(dir.path(), &db, "12");
    let json = export_json(dir.path(), &db);

    assert_eq!(json["schema_version"], attuned::store::schema::LATEST);
    assert!(json["exported_at"].as_str().unwrap().ends_with('Z'));
    for (key, table) in [
        ("csms", "csms"),
        ("accounts", "accounts"),
        ("personas", "personas"),
        ("persona_changes", "persona_changes"),
        ("pulse_history", "pulse_history"),
        ("touches", "touches"),
        ("followups", "followups"),
        ("signals", "signals"),
    ] {
        assert_eq!(array(&json, key).len() as u64, count(&db, table), "{key}");
    }
    let accounts = ids(array(&json, "accounts"));
    // 12 live accounts, plus the demo's former customers (archived, with their history).
    let live = array(&json, "accounts")
        .iter()
        .filter(|a| a["archived_at"].is_null())
        .count();
    assert_eq!(live, 12);
    let personas = array(&json, "personas");
    assert!(!personas.is_empty());
    for p in personas {
        assert!(accounts.contains(&id_of(&p["account_id"]).unwrap()));
    }
    let persona_ids = ids(personas);
    let touches = array(&json, "touches");
    assert!(
        touches
            .iter()
            .any(|t| !t["participants"].as_array().unwrap().is_empty())
    );
    for t in touches {
        assert!(accounts.contains(&id_of(&t["account_id"]).unwrap()));
        for p in t["participants"].as_array().unwrap() {
            assert!(persona_ids.contains(&id_of(p).unwrap()));
        }
        for field in [
            "sentiment",
            "intervention",
            "followup_on",
            "outcome",
            "csat",
            "retro_worked",
        ] {
            assert!(t.get(field).is_some(), "touch lacks {field}");
        }
        assert!(t["no_followup"].is_boolean() && t["escalated"].is_boolean());
    }
    let participants: usize = touches
        .iter()
        .map(|t| t["participants"].as_array().unwrap().len())
        .sum();
    assert_eq!(participants as u64, count(&db, "touch_participants"));
    let steps: usize = touches
        .iter()
        .map(|t| t["steps"].as_array().unwrap().len())
        .sum();
    assert_eq!(steps as u64, count(&db, "touch_steps"));
    let prompts: usize = touches
        .iter()
        .map(|t| t["prompts"].as_array().unwrap().len())
        .sum();
    assert_eq!(prompts as u64, count(&db, "touch_prompts"));
    for a in array(&json, "accounts") {
        assert!(a["external_ids"].is_array() && a["summary"].is_object());
    }
}

#[test]
fn export_matches_stored_children_record_for_record() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    demo(dir.path(), &db, "8");
    // A step note with everything JSON must escape, on the newest touch.
    let note = "She said \"we're done\"\n\tthen: ünïcode, \\ and \u{1F600}";
    let mut store = Store::open(&db).unwrap();
    let touch_id: i64 = store
        .conn()
        .query_row("SELECT max(id) FROM touches", [], |r| r.get(0))
        .unwrap();
    store
        .write(|tx| tx.upsert_step(touch_id, 2, None, 1500, note, None))
        .unwrap();
    let mut stmt = store
        .conn()
        .prepare(
            "SELECT persona_id FROM touch_participants WHERE touch_id = ?1 ORDER BY persona_id",
        )
        .unwrap();
    let stored: Vec<i64> = stmt
        .query_map([touch_id], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    drop(stmt);
    drop(store);

    let json = export_json(dir.path(), &db);
    let touch = array(&json, "touches")
        .iter()
        .find(|t| id_of(&t["id"]) == Some(touch_id))
        .unwrap();
    let step = touch["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step"] == 2)
        .unwrap();
    assert_eq!(step["note"], note);
    assert_eq!(step["elapsed_ms"], 1500);
    let exported: Vec<i64> = touch["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| id_of(p).unwrap())
        .collect();
    assert_eq!(exported, stored);
}

#[test]
fn attuned_db_stands_in_for_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("env.db");
    let o = Command::new(BIN)
        .args(["demo", "--accounts", "3"])
        .env("ATTUNED_DB", &db)
        .env("HOME", dir.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(db.exists());
    let o = Command::new(BIN)
        .args(["export", "--format", "json"])
        .env("ATTUNED_DB", &db)
        .env("HOME", dir.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let json: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(array(&json, "accounts").len(), 3);
    // --db wins over the environment.
    let other = dir.path().join("other.db");
    let o = Command::new(BIN)
        .args(["demo", "--accounts", "2", "--db", db_arg(&other)])
        .env("ATTUNED_DB", &db)
        .env("HOME", dir.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(count(&other, "accounts"), 2);
    assert_eq!(count(&db, "accounts"), 3);
}

#[test]
fn a_new_database_is_private() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("fresh").join("attuned.db");
    demo(dir.path(), &db, "2");
    assert_eq!(mode(&db), 0o600);
    assert_eq!(mode(db.parent().unwrap()), 0o700);
}

#[test]
fn the_default_database_lives_in_the_local_data_dir() {
    let home = tempfile::tempdir().unwrap();
    let o = attuned(home.path(), &["demo", "--accounts", "2"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let db = home.path().join(".local/share/attuned/attuned.db");
    assert_eq!(mode(&db), 0o600);
    assert_eq!(mode(db.parent().unwrap()), 0o700);
    assert!(stdout(&o).contains("2 accounts"));
}

/// Every command that opens a database, as arguments after `--db PATH`.
const OPENING_COMMANDS: &[&[&str]] = &[
    &[],
    &["--read-only"],
    &["check"],
    &["export", "--format", "json"],
    &["demo", "--accounts", "1"],
];

fn assert_refused_untouched(db: &Path, expected: &str) {
    let before = fs::read(db).unwrap();
    let home = db.parent().unwrap();
    for extra in OPENING_COMMANDS {
        let mut args = vec!["--db", db_arg(db)];
        args.extend_from_slice(extra);
        let o = attuned(home, &args);
        assert_one_line_error(&o, expected);
        assert_eq!(fs::read(db).unwrap(), before, "{extra:?} changed the file");
        assert!(!sidecar(db, "-wal").exists(), "{extra:?} left a -wal");
        assert!(!sidecar(db, "-shm").exists(), "{extra:?} left a -shm");
    }
}

#[test]
fn a_file_of_random_bytes_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("noise.db");
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let noise: Vec<u8> = (0..8192)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    fs::write(&db, &noise).unwrap();
    assert_refused_untouched(&db, "not an attuned database");
}

#[test]
fn a_newer_schema_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("future.db");
    drop(Store::open(&db).unwrap());
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    assert_refused_untouched(&db, "newer");
}

#[test]
fn a_directory_is_not_a_database() {
    let dir = tempfile::tempdir().unwrap();
    for extra in OPENING_COMMANDS {
        let mut args = vec!["--db", db_arg(dir.path())];
        args.extend_from_slice(extra);
        assert_one_line_error(&attuned(dir.path(), &args), "is a directory");
    }
}

#[test]
fn an_impossible_path_fails_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plain");
    fs::write(&file, b"x").unwrap();
    // Works as root too, where permission bits would not stop us.
    for db in [file.join("a.db"), PathBuf::from("/proc/attuned-test/a.db")] {
        let o = attuned(
            dir.path(),
            &["demo", "--db", db_arg(&db), "--accounts", "1"],
        );
        let parent = db.parent().unwrap().display().to_string();
        assert_one_line_error(&o, &parent.to_lowercase());
    }
}

#[test]
fn reading_commands_never_create_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("missing.db");
    for args in [
        &["check"][..],
        &["export", "--format", "json"][..],
        &["--read-only"][..],
    ] {
        let mut all = vec!["--db", db_arg(&db)];
        all.extend_from_slice(args);
        assert_one_line_error(&attuned(dir.path(), &all), "no such database");
        assert!(!db.exists());
    }
}

#[test]
fn check_says_healthy_on_a_demo() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    demo(dir.path(), &db, "5");
    let o = attuned(dir.path(), &["check", "--db", db_arg(&db)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains(&format!("SQLite {}", attuned::store::sqlite_version())));
    // The demo's 5 accounts and any former customers it archived.
    let all = count(&db, "accounts");
    assert!(out.contains(&format!("{all} accounts")), "{out}");
    assert_eq!(out.lines().last(), Some("healthy"));
}

#[test]
fn check_reports_problems_with_status_one() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    demo(dir.path(), &db, "3");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute("UPDATE portfolio_totals SET accounts = accounts + 1", [])
        .unwrap();
    drop(conn);
    let o = attuned(dir.path(), &["check", "--db", db_arg(&db)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("portfolio totals disagree"));
    assert!(!stdout(&o).contains("healthy"));
    assert_one_line_error(&o, "1 problem");
}

#[test]
fn a_demo_never_mixes_into_a_book_of_business() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("real.db");
    demo(dir.path(), &db, "4");
    // Running the demo again on its own file keeps it, and says so.
    let again = attuned(
        dir.path(),
        &["demo", "--db", db_arg(&db), "--accounts", "9"],
    );
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(stdout(&again).contains("already holds a demo portfolio"));
    assert_eq!(count(&db, "accounts"), 4);
    // Without the demo mark, the same accounts are a real book of business.
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute("DELETE FROM meta WHERE key = 'demo'", [])
        .unwrap();
    drop(conn);
    let o = attuned(
        dir.path(),
        &["demo", "--db", db_arg(&db), "--accounts", "4"],
    );
    assert_one_line_error(&o, "already holds 4 accounts");
    assert_eq!(count(&db, "accounts"), 4);

    // An attuned file without accounts is fair game.
    let empty = dir.path().join("empty.db");
    drop(Store::open(&empty).unwrap());
    demo(dir.path(), &empty, "2");
    assert_eq!(count(&empty, "accounts"), 2);
}

#[test]
fn demo_refuses_read_only() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ro.db");
    let o = attuned(dir.path(), &["--read-only", "demo", "--db", db_arg(&db)]);
    assert_one_line_error(&o, "read-only");
    assert!(!db.exists());
}

#[test]
fn export_to_a_file_is_private_and_complete() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    demo(dir.path(), &db, "4");
    let out = dir.path().join("export.json");
    // An existing, world-readable file is replaced, not written through.
    fs::write(&out, b"old").unwrap();
    fs::set_permissions(&out, fs::Permissions::from_mode(0o644)).unwrap();
    let o = attuned(
        dir.path(),
        &[
            "export",
            "--db",
            db_arg(&db),
            "--format",
            "json",
            "--out",
            db_arg(&out),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(mode(&out), 0o600);
    let json: Value = serde_json::from_slice(&fs::read(&out).unwrap()).unwrap();
    assert_eq!(array(&json, "accounts").len(), 4);
    let names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.ends_with(".tmp")), "{names:?}");
}

#[test]
fn a_failed_export_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    demo(dir.path(), &db, "2");
    let out = dir.path().join("no-such-dir").join("export.json");
    let o = attuned(
        dir.path(),
        &[
            "export",
            "--db",
            db_arg(&db),
            "--format",
            "json",
            "--out",
            db_arg(&out),
        ],
    );
    assert_one_line_error(&o, "no-such-dir: no such folder");
    assert!(!out.exists());
    // Naming the database as the output must not replace it.
    let before = fs::read(&db).unwrap();
    let o = attuned(
        dir.path(),
        &[
            "export",
            "--db",
            db_arg(&db),
            "--format",
            "json",
            "--out",
            db_arg(&db),
        ],
    );
    assert_one_line_error(&o, "database itself");
    assert_eq!(fs::read(&db).unwrap(), before);
}

#[test]
fn a_read_only_export_leaves_no_trace() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    demo(dir.path(), &db, "6");
    assert!(!sidecar(&db, "-wal").exists());
    let bytes = fs::read(&db).unwrap();
    let mtime = fs::metadata(&db).unwrap().modified().unwrap();
    let out = dir.path().join("ro.json");
    for args in [
        vec![
            "--read-only",
            "export",
            "--db",
            db_arg(&db),
            "--format",
            "json",
        ],
        vec![
            "export",
            "--read-only",
            "--db",
            db_arg(&db),
            "--format",
            "json",
            "--out",
            db_arg(&out),
        ],
        vec!["check", "--db", db_arg(&db)],
    ] {
        let o = attuned(dir.path(), &args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    }
    assert_eq!(fs::read(&db).unwrap(), bytes);
    assert_eq!(fs::metadata(&db).unwrap().modified().unwrap(), mtime);
    assert!(!sidecar(&db, "-wal").exists());
    assert!(!sidecar(&db, "-shm").exists());
}

#[test]
fn export_works_on_a_write_protected_copy() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    demo(dir.path(), &db, "3");
    fs::set_permissions(&db, fs::Permissions::from_mode(0o400)).unwrap();
    let json = export_json(dir.path(), &db);
    assert_eq!(array(&json, "accounts").len(), 3);
}

#[test]
fn usage_mistakes_exit_two() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["export", "--format", "xls"][..],
        &["export"][..],
        &["demo", "--accounts", "0"][..],
        &["demo", "--accounts", "many"][..],
        &["frobnicate"][..],
    ] {
        let o = attuned(dir.path(), args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
    }
}

#[test]
fn export_sees_what_a_running_app_has_written() {
    use attuned::domain::model::Segment;
    use attuned::store::write::NewAccount;

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("live.db");
    demo(dir.path(), &db, "2");
    // The app stays open with its last write still in the WAL.
    let mut app = Store::open(&db).unwrap();
    app.write(|tx| {
        tx.insert_account(&NewAccount {
            name: "Written a moment ago",
            segment: Segment::Smb,
            tier: 2,
            industry: None,
            contract_value_cents: 0,
            renewal_date: None,
            owner_csm_id: None,
            parent_id: None,
            created_at: chrono::Utc::now(),
        })
    })
    .unwrap();
    let json = export_json(dir.path(), &db);
    let accounts = array(&json, "accounts");
    assert_eq!(accounts.len(), 3);
    assert!(accounts.iter().any(|a| a["name"] == "Written a moment ago"));
    drop(app);
}

#[test]
fn export_writes_into_a_pipe_without_replacing_it() {
    use std::os::unix::fs::FileTypeExt;

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    demo(dir.path(), &db, "2");
    let fifo = dir.path().join("pipe");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || fs::read(fifo).unwrap())
    };
    let o = attuned(
        dir.path(),
        &[
            "export",
            "--db",
            db_arg(&db),
            "--format",
            "json",
            "--out",
            db_arg(&fifo),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let json: Value = serde_json::from_slice(&reader.join().unwrap()).unwrap();
    assert_eq!(array(&json, "accounts").len(), 2);
    assert!(fs::metadata(&fifo).unwrap().file_type().is_fifo());
}

/// Every field named `id` or `…_id` is a string or null, and `participants` hold strings,
/// wherever they sit; returns how many ids it saw.
fn assert_ids_are_strings(v: &Value, at: &str) -> usize {
    match v {
        Value::Object(map) => map
            .iter()
            .map(|(k, x)| {
                let here = format!("{at}.{k}");
                let is_id = k == "id" || (k.ends_with("_id") && k != "external_id");
                if is_id {
                    assert!(x.is_string() || x.is_null(), "{here} is {x}");
                    usize::from(x.is_string())
                } else if k.ends_with("_ids") || k == "participants" {
                    let list = x.as_array().unwrap_or_else(|| panic!("{here} is {x}"));
                    list.iter()
                        .map(|p| {
                            if p.is_object() {
                                assert_ids_are_strings(p, &here)
                            } else {
                                assert!(p.is_string(), "{here} holds {p}");
                                1
                            }
                        })
                        .sum()
                } else {
                    assert_ids_are_strings(x, &here)
                }
            })
            .sum(),
        Value::Array(list) => list.iter().map(|x| assert_ids_are_strings(x, at)).sum(),
        _ => 0,
    }
}

#[test]
fn every_id_in_json_output_is_a_string() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    demo(dir.path(), &db, "20");
    let json = export_json(dir.path(), &db);
    assert!(assert_ids_are_strings(&json, "export") > 1000);
    // The ids are above 2^53: as numbers, a reader holding doubles would merge them.
    let accounts = ids(array(&json, "accounts"));
    assert!(accounts.iter().all(|id| id.unsigned_abs() > 1 << 53));
    assert!(array(&json, "touches").iter().any(|t| {
        let p = t["participants"].as_array().unwrap();
        p.len() > 1 && p[0] != p[1]
    }));

    let o = attuned(dir.path(), &["followups", "--db", db_arg(&db), "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let list = array(&v, "followups");
    assert!(!list.is_empty());
    assert!(assert_ids_are_strings(&v, "followups") >= 2 * list.len());
    let distinct: HashSet<&str> = list.iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert_eq!(distinct.len(), list.len());
}

/// The benchmark's probes (env-var driven, writing a file of their own) are not in the
/// binary a CSM runs: they exist only with `--features bench-probe`.
#[cfg(not(feature = "bench-probe"))]
#[test]
fn the_binary_has_no_benchmark_probes() {
    let binary = fs::read(BIN).unwrap();
    for name in [
        "ATTUNED_BENCH_OUT",
        "ATTUNED_BENCH_FIRST_FRAME",
        "ATTUNED_BENCH_T0",
    ] {
        let found = binary.windows(name.len()).any(|w| w == name.as_bytes());
        assert!(!found, "{name} is in the binary");
    }
}
