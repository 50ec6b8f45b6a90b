//! `attuned backup` and the copy kept before a schema migration.

mod common;

use common::cli::attuned;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use attuned::store::{Store, schema};
use rusqlite::Connection;

fn mode(p: &Path) -> u32 {
    fs::metadata(p).unwrap().permissions().mode() & 0o777
}

fn export(home: &Path, db: &Path) -> serde_json::Value {
    let o = attuned(
        home,
        &["export", "--db", db.to_str().unwrap(), "--format", "json"],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    v["exported_at"] = serde_json::Value::Null;
    v
}

#[test]
fn a_backup_is_private_complete_and_made_while_the_app_holds_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let db = home.join("a.db");
    let o = attuned(
        home,
        &["demo", "--db", db.to_str().unwrap(), "--accounts", "20"],
    );
    assert!(o.status.success());
    // A live writer: the app keeps its connection open and is in the middle of a write.
    let live = Store::open(&db).unwrap();
    let conn = live.conn();
    conn.execute_batch("BEGIN IMMEDIATE; UPDATE accounts SET name = 'half-written' WHERE rowid IN (SELECT rowid FROM accounts LIMIT 1);")
        .unwrap();
    let dest = home.join("copy.db");
    let o = attuned(
        home,
        &[
            "backup",
            "--db",
            db.to_str().unwrap(),
            dest.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    live.conn().execute_batch("ROLLBACK").unwrap();
    drop(live);
    assert_eq!(mode(&dest), 0o600);
    assert_eq!(export(home, &db), export(home, &dest));
    let o = attuned(home, &["check", "--db", dest.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    // A directory gets a time-stamped file; the database itself is refused.
    let o = attuned(
        home,
        &[
            "backup",
            "--db",
            db.to_str().unwrap(),
            home.to_str().unwrap(),
        ],
    );
    assert!(o.status.success());
    let o = attuned(
        home,
        &["backup", "--db", db.to_str().unwrap(), db.to_str().unwrap()],
    );
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("attuned: "));
    // A missing database is an error, not a new empty backup.
    let o = attuned(
        home,
        &[
            "backup",
            "--db",
            home.join("none.db").to_str().unwrap(),
            home.join("b.db").to_str().unwrap(),
        ],
    );
    assert!(!o.status.success());
    assert!(!home.join("b.db").exists());
}

#[test]
fn migrating_an_older_schema_keeps_a_private_copy_of_the_old_file_first() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("old.db");
    {
        let mut conn = Connection::open(&db).unwrap();
        schema::MIGRATIONS.to_version(&mut conn, 1).unwrap();
        conn.execute_batch(
            "INSERT INTO meta VALUES ('origin', '42'), ('created_at', '2026-01-01T00:00:00Z');
             INSERT INTO accounts (id, name, segment, created_at) VALUES (1, 'Old Co', 'smb', '2026-01-01T00:00:00Z');
             INSERT INTO external_ids VALUES ('account', 1, 'salesforce', '001A');",
        )
        .unwrap();
        fs::set_permissions(&db, fs::Permissions::from_mode(0o600)).unwrap();
    }
    let store = Store::open(&db).unwrap();
    let version: i64 = store
        .conn()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, schema::LATEST);
    let kept: i64 = store
        .conn()
        .query_row("SELECT count(*) FROM external_ids", [], |r| r.get(0))
        .unwrap();
    assert_eq!(kept, 1, "the migration keeps the CRM ids");
    drop(store);
    let backups: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.to_string_lossy().contains(".schema1-") && p.to_string_lossy().ends_with(".bak")
        })
        .collect();
    assert_eq!(backups.len(), 1, "{backups:?}");
    assert_eq!(mode(&backups[0]), 0o600);
    let old = Connection::open(&backups[0]).unwrap();
    let v: i64 = old
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, 1);
    let name: String = old
        .query_row("SELECT name FROM accounts", [], |r| r.get(0))
        .unwrap();
    assert_eq!(name, "Old Co");
    // Opening the migrated file again makes no further copy.
    drop(Store::open(&db).unwrap());
    let n = fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .to_string_lossy()
                .ends_with(".bak")
        })
        .count();
    assert_eq!(n, 1);
}
