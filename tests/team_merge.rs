//! `attuned team merge`: idempotent, a newer copy replaces the older one, all or nothing,
//! older schemas migrated in a copy, the CSMs' files never written.

mod common;

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use attuned::store::Store;
use attuned::store::merge::{self, KEPT_TABLES, MERGED_TABLES};
use attuned::store::schema;
use common::cli::{attuned, demo};
use common::tmux::export_json;
use rusqlite::Connection;

fn merge_cli(home: &Path, team: &Path, sources: &[&Path]) -> std::process::Output {
    let mut args = vec!["team", "merge", "--into", team.to_str().unwrap()];
    args.extend(sources.iter().map(|s| s.to_str().unwrap()));
    attuned(home, &args)
}

fn merged(home: &Path, team: &Path, sources: &[&Path]) -> String {
    let o = merge_cli(home, team, sources);
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    out
}

/// The export minus its time stamp.
fn export(db: &Path) -> serde_json::Value {
    let mut v = export_json(db);
    v.as_object_mut().unwrap().remove("exported_at");
    v
}

fn count(db: &Path, table: &str) -> i64 {
    let conn = read_only(db);
    conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

/// Reads a closed file without creating anything beside it (no -wal, no -shm).
fn read_only(db: &Path) -> Connection {
    Connection::open_with_flags(
        format!("file:{}?immutable=1", db.display()),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_URI,
    )
    .unwrap()
}

/// The names in a directory, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A file's bytes, its modification time, and what its directory holds.
fn fingerprint(db: &Path) -> (Vec<u8>, i64, i64, Vec<String>) {
    let m = fs::metadata(db).unwrap();
    let names = listing(db.parent().unwrap());
    (fs::read(db).unwrap(), m.mtime(), m.mtime_nsec(), names)
}

/// How many rows each merged table holds.
fn table_counts(db: &Path) -> Vec<(&'static str, i64)> {
    MERGED_TABLES
        .iter()
        .map(|(t, _)| (*t, count(db, t)))
        .collect()
}

/// Deletes the account added last, as a CSM would in their own file.
fn delete_last_account(db: &Path) {
    let conn = Connection::open(db).unwrap();
    conn.execute(
        "DELETE FROM accounts WHERE id = (SELECT max(id) FROM accounts)",
        [],
    )
    .unwrap();
}

/// The name search's own integrity check (an error, and so a panic, where it is broken).
fn check_name_search(conn: &Connection) {
    conn.execute(
        "INSERT INTO account_names (account_names) VALUES ('integrity-check')",
        [],
    )
    .unwrap();
}

fn healthy(home: &Path, db: &Path) {
    let o = attuned(home, &["check", "--db", db.to_str().unwrap()]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success() && out.contains("healthy"), "{out}");
}

#[test]
fn every_table_is_merged_or_kept_on_purpose() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("t.db")).unwrap();
    let uncovered = merge::uncovered_tables(store.conn()).unwrap();
    assert!(
        uncovered.is_empty(),
        "tables team merge does not know: {uncovered:?}; add each to MERGED_TABLES (with the column telling whose row it is) or KEPT_TABLES (with why) in src/store/merge.rs"
    );
    for (table, column) in MERGED_TABLES {
        let n: i64 = store
            .conn()
            .query_row(
                "SELECT count(*) FROM pragma_table_xinfo(?1) WHERE name = ?2",
                [table, column],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 1, "{table}.{column} does not exist");
    }
    // (Tables added by later schemas, such as audits, may be listed before they land.)
    for (table, _) in KEPT_TABLES
        .iter()
        .filter(|(t, _)| ["meta", "portfolio_totals", "account_names"].contains(t))
    {
        let n: i64 = store
            .conn()
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = ?1",
                [table],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 1, "kept table {table} does not exist");
    }
}

#[test]
fn merging_twice_changes_nothing_and_the_sources_are_only_read() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let src = home.join("csms");
    fs::create_dir(&src).unwrap();
    let a = demo(&src, "a.db", 40, 1);
    let b = demo(&src, "b.db", 30, 2);
    let (a_before, b_before) = (fingerprint(&a), fingerprint(&b));
    let team = home.join("TEAM.db");

    let out = merged(home, &team, &[&a, &b]);
    let lines: Vec<&str> = out.lines().filter(|l| l.starts_with("Merged ")).collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines[0].contains("a.db (") && lines[0].contains(": 40 accounts, "),
        "{out}"
    );
    assert!(lines[0].ends_with("new in the team file"), "{out}");
    assert!(lines[1].contains(": 30 accounts, "), "{out}");
    let first = export(&team);
    let tables = table_counts(&team);
    for (t, n) in &tables {
        assert_eq!(*n, count(&a, t) + count(&b, t), "{t}");
    }

    // Files not modified since are kept as merged (see `shell.rs` for one that was).
    let out = merged(home, &team, &[&a, &b]);
    assert_eq!(out.matches("— as merged before").count(), 2, "{out}");
    assert_eq!(export(&team), first, "a second merge changed the team file");
    let again = table_counts(&team);
    assert_eq!(again, tables);
    healthy(home, &team);

    // The CSMs' files: not a byte, not a time stamp, nothing created beside them.
    assert!(fingerprint(&a) == a_before, "a.db changed");
    assert!(fingerprint(&b) == b_before, "b.db changed");

    // What was merged is recorded in the team file.
    let t = Store::open_read_only(&team).unwrap();
    assert_eq!(t.meta("team").unwrap().as_deref(), Some("1"));
    let a_origin = Store::open_read_only(&a).unwrap().origin();
    let record: serde_json::Value =
        serde_json::from_str(&t.meta(&format!("merged:{a_origin}")).unwrap().unwrap()).unwrap();
    assert_eq!(record["accounts"], 40);
}

#[test]
fn a_newer_copy_replaces_the_older_one() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let a = demo(home, "a.db", 30, 1);
    let b = demo(home, "b.db", 20, 2);
    let team = home.join("TEAM.db");
    merged(home, &team, &[&a, &b]);
    let b_export = |team: &Path| {
        let v = export(team);
        let b_names: Vec<serde_json::Value> = export(&b)["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["id"].clone())
            .collect();
        v["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|x| b_names.contains(&x["id"]))
            .cloned()
            .collect::<Vec<_>>()
    };
    let b_before = b_export(&team);
    let personas_before = count(&team, "personas");

    // The CSM renames one account and deletes another (its personas and touches go too).
    let conn = Connection::open(&a).unwrap();
    let (renamed, gone, gone_personas): (i64, i64, i64) = conn
        .query_row(
            "SELECT min(id), max(id), (SELECT count(*) FROM personas WHERE account_id = (SELECT max(id) FROM accounts)) FROM accounts",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    conn.execute(
        "UPDATE accounts SET name = 'Zanzibar Quillworks' WHERE id = ?1",
        [renamed],
    )
    .unwrap();
    conn.execute("DELETE FROM accounts WHERE id = ?1", [gone])
        .unwrap();
    drop(conn);

    let out = merged(home, &team, &[&a]);
    assert!(out.contains("29 accounts"), "{out}");
    let names: Vec<String> = export(&team)["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names.len(), 49);
    assert!(names.contains(&"Zanzibar Quillworks".to_string()));
    let conn = Connection::open(&team).unwrap();
    let left: i64 = conn
        .query_row(
            "SELECT (SELECT count(*) FROM accounts WHERE id = ?1) + (SELECT count(*) FROM personas WHERE account_id = ?1) + (SELECT count(*) FROM touches WHERE account_id = ?1)",
            [gone],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(left, 0, "the deleted account left records behind");
    // The name search knows the new name, and not the old one of the deleted account.
    let found: Vec<i64> = conn
        .prepare("SELECT rowid FROM account_names WHERE account_names MATCH '\"Quillworks\"'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(found, vec![renamed]);
    check_name_search(&conn);
    drop(conn);
    assert_eq!(count(&team, "personas"), personas_before - gone_personas);
    // The other CSM's records are untouched.
    assert_eq!(b_export(&team), b_before);
    healthy(home, &team);
}

#[test]
fn portfolio_totals_and_search_are_right_after_a_merge() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let a = demo(home, "a.db", 25, 3);
    let b = demo(home, "b.db", 25, 4);
    let team = home.join("TEAM.db");
    merged(home, &team, &[&a, &b]);
    merged(home, &team, &[&b, &a]);
    healthy(home, &team);
    let totals = |db: &Path| -> (i64, i64, i64) {
        let conn = read_only(db);
        conn.query_row(
            "SELECT accounts, contract_value, value_at_risk FROM portfolio_totals",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap()
    };
    let (ta, tb, tt) = (totals(&a), totals(&b), totals(&team));
    assert_eq!(tt, (ta.0 + tb.0, ta.1 + tb.1, ta.2 + tb.2));
    // Per-CSM totals kept by triggers, where the schema has them, agree with the records.
    let conn = read_only(&team);
    let has_csm_totals: bool = conn
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'csm_totals')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    if has_csm_totals {
        let kept: Vec<(i64, i64, i64, i64)> = conn
            .prepare(
                "SELECT csm_id, accounts, contract_value, calls FROM csm_totals
                 WHERE accounts <> 0 OR calls <> 0 ORDER BY csm_id",
            )
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let actual: Vec<(i64, i64, i64, i64)> = conn
            .prepare(
                "SELECT c, sum(n), sum(v), sum(calls) FROM (
                     SELECT ifnull(owner_csm_id, 0) AS c, count(*) AS n, sum(contract_value) AS v, 0 AS calls
                     FROM accounts WHERE archived_at IS NULL GROUP BY 1
                     UNION ALL
                     SELECT csm_id, 0, 0, count(*) FROM touches
                     WHERE kind = 'call' AND csm_id IS NOT NULL GROUP BY 1)
                 GROUP BY c ORDER BY c",
            )
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(kept, actual, "csm_totals disagree with the records");
    }
    drop(conn);
    // Every account of both files is found by a piece of its name.
    let conn = Connection::open(&team).unwrap();
    for db in [&a, &b] {
        let name = export(db)["accounts"][3]["name"]
            .as_str()
            .unwrap()
            .to_string();
        let piece: String = name.chars().take(5).collect();
        let hits: Vec<String> = conn
            .prepare(
                "SELECT a.name FROM account_names JOIN accounts a ON a.id = account_names.rowid
                 WHERE account_names MATCH ?1",
            )
            .unwrap()
            .query_map([format!("\"{piece}\"")], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(
            hits.contains(&name),
            "{piece:?} did not find {name:?}: {hits:?}"
        );
    }
    check_name_search(&conn);
}

#[test]
fn a_bad_source_leaves_the_team_file_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let a = demo(home, "a.db", 20, 1);
    let b = demo(home, "b.db", 20, 2);
    let team = home.join("TEAM.db");
    merged(home, &team, &[&a]);

    let notes = home.join("notes.db");
    fs::write(&notes, "not a database at all, just notes\n".repeat(200)).unwrap();
    let newer = home.join("newer.db");
    drop(Store::open(&newer).unwrap());
    Connection::open(&newer)
        .unwrap()
        .pragma_update(None, "user_version", schema::LATEST + 1)
        .unwrap();
    let empty = home.join("empty.db");
    fs::write(&empty, "").unwrap();
    let other = home.join("other.db");
    Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
        .unwrap();
    let before = fingerprint(&team);

    for (bad, says) in [
        (&notes, "not an attuned database"),
        (&newer, "newer attuned"),
        (&empty, "not an attuned database"),
        (&other, "not an attuned database"),
        (&team, "team file itself"),
    ] {
        let o = merge_cli(home, &team, &[&a, bad, &b]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{bad:?} was accepted");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(says), "{bad:?}: {err}");
        assert!(
            fingerprint(&team) == before,
            "{bad:?}: the team file changed"
        );
    }
    // A team file is not a CSM's file.
    let team2 = home.join("TEAM2.db");
    merged(home, &team2, &[&b]);
    let before = fingerprint(&team);
    let o = merge_cli(home, &team, &[&team2]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("is a team file"));
    assert!(fingerprint(&team) == before);
    // Nor is a CSM's own file a team file.
    let o = merge_cli(home, &a, &[&b]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a team file"));
    // A failed merge into a new file leaves no file behind.
    let fresh = home.join("fresh.db");
    assert!(!merge_cli(home, &fresh, &[&a, &notes]).status.success());
    assert!(!fresh.exists());
}

#[test]
fn records_pointing_at_nothing_roll_the_merge_back() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let a = demo(home, "a.db", 20, 1);
    let b = demo(home, "b.db", 20, 2);
    let team = home.join("TEAM.db");
    merged(home, &team, &[&a]);
    let before = export(&team);
    // A damaged copy: a persona of an account that is not in the file.
    let conn = Connection::open(&b).unwrap();
    conn.pragma_update(None, "foreign_keys", false).unwrap();
    conn.execute(
        "UPDATE personas SET account_id = 42 WHERE id = (SELECT min(id) FROM personas)",
        [],
    )
    .unwrap();
    drop(conn);
    let o = merge_cli(home, &team, &[&b]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(err.contains("nothing was merged"), "{err}");
    assert_eq!(export(&team), before);
}

#[test]
fn the_same_csm_given_twice_merges_the_last_copy() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let a = demo(home, "a.db", 20, 1);
    let copy = home.join("a-monday.db");
    fs::copy(&a, &copy).unwrap();
    delete_last_account(&a);
    let team = home.join("TEAM.db");
    let out = merged(home, &team, &[&copy, &a]);
    assert!(out.contains("Skipped "), "{out}");
    assert_eq!(out.lines().filter(|l| l.starts_with("Merged ")).count(), 1);
    assert_eq!(count(&team, "accounts"), 19);
}

/// A CSM's file at schema 1, made by hand.
fn schema_1_file(path: &Path) {
    let mut conn = Connection::open(path).unwrap();
    schema::MIGRATIONS.to_version(&mut conn, 1).unwrap();
    let origin: i64 = 4242;
    let id = |seq: i64| (origin << 32) | seq;
    conn.execute_batch(&format!(
        "INSERT INTO meta (key, value) VALUES ('origin', '{origin}'), ('created_at', '2026-01-05T09:00:00Z');
         INSERT INTO csms (id, name, is_me, created_at) VALUES ({}, 'Old Timer', 1, '2026-01-05T09:00:00Z');
         INSERT INTO accounts (id, name, segment, contract_value, owner_csm_id, created_at,
                               personas_total, missing_roles)
             VALUES ({}, 'Vintage Ventures', 'smb', 1200000, {}, '2026-01-05T09:00:00Z',
                     1, 'champion,economic_buyer,executive_sponsor');
         INSERT INTO personas (id, account_id, name, created_at)
             VALUES ({}, {}, 'Ada Archer', '2026-01-05T09:00:00Z');
         INSERT INTO external_ids (entity, local_id, system, external_id)
             VALUES ('account', {}, 'salesforce', '001OLD');",
        id(1),
        id(2),
        id(1),
        id(3),
        id(2),
        id(2)
    ))
    .unwrap();
}

#[test]
fn an_older_schema_is_migrated_in_a_copy() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let src = home.join("csms");
    fs::create_dir(&src).unwrap();
    let old = src.join("old.db");
    schema_1_file(&old);
    let before = fingerprint(&old);
    let a = demo(home, "a.db", 10, 1);
    let team = home.join("TEAM.db");
    let out = merged(home, &team, &[&old, &a]);
    assert!(
        out.contains("Merged") && out.contains("(Old Timer): 1 accounts, 1 personas, 0 touches"),
        "{out}"
    );
    assert!(out.contains("schema 1, migrated in a copy"), "{out}");
    // The old file is untouched and no backup or copy was left anywhere.
    assert!(fingerprint(&old) == before, "the schema-1 file changed");
    assert_eq!(listing(home), ["TEAM.db", "a.db", "csms"]);
    assert_eq!(count(&team, "accounts"), 11);
    assert_eq!(count(&team, "external_ids"), 1);
    healthy(home, &team);
}

#[test]
#[ignore = "slow (five 2,000-account demos); cargo test --release --test team_merge -- --ignored"]
fn five_files_of_2000_accounts_merge_in_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let files: Vec<PathBuf> = (1..=5)
        .map(|i| demo(home, &format!("c{i}.db"), 2000, i))
        .collect();
    let refs: Vec<&Path> = files.iter().map(|p| p.as_path()).collect();
    let team = home.join("TEAM.db");
    let started = std::time::Instant::now();
    merged(home, &team, &refs);
    let first = started.elapsed();
    let started = std::time::Instant::now();
    merged(home, &team, &refs);
    eprintln!("first merge {first:?}, again {:?}", started.elapsed());
    assert_eq!(count(&team, "accounts"), 10_000);
}

#[test]
fn a_file_open_in_the_app_is_merged_with_its_latest_writes() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let a = demo(home, "a.db", 10, 1);
    // The CSM is working: a connection holds the file, its last change still in the WAL.
    let mut live = Store::open(&a).unwrap();
    live.write(|tx| {
        tx.conn().execute(
            "UPDATE accounts SET name = 'Written A Second Ago' WHERE id = (SELECT min(id) FROM accounts)",
            [],
        )?;
        Ok(())
    })
    .unwrap();
    let team = home.join("TEAM.db");
    merged(home, &team, &[&a]);
    let names = export(&team)["accounts"].to_string();
    assert!(names.contains("Written A Second Ago"));
    // The CSM keeps working undisturbed.
    live.write(|tx| tx.set_meta("still", "writable")).unwrap();
    drop(live);
    healthy(home, &team);
}

#[test]
fn a_file_moved_to_a_new_laptop_replaces_its_old_self() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let old = demo(home, "old.db", 15, 1);
    let b = demo(home, "b.db", 10, 2);
    let team = home.join("TEAM.db");
    merged(home, &team, &[&old, &b]);
    // The CSM moves: export, import into a new file (new origin, the records keep their
    // ids), then deletes an account there.
    let json = home.join("move.json");
    let o = attuned(
        home,
        &[
            "export",
            "--format",
            "json",
            "--db",
            old.to_str().unwrap(),
            "--out",
            json.to_str().unwrap(),
        ],
    );
    assert!(o.status.success());
    let new = home.join("new.db");
    let o = attuned(
        home,
        &[
            "import",
            "--db",
            new.to_str().unwrap(),
            json.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    delete_last_account(&new);
    assert_ne!(
        Store::open_read_only(&new).unwrap().origin(),
        Store::open_read_only(&old).unwrap().origin()
    );

    merged(home, &team, &[&new]);
    assert_eq!(
        count(&team, "accounts"),
        14 + 10,
        "the old copy's records stayed"
    );
    let team_store = Store::open_read_only(&team).unwrap();
    let old_origin = Store::open_read_only(&old).unwrap().origin();
    assert!(
        team_store
            .meta(&format!("merged:{old_origin}"))
            .unwrap()
            .is_none()
    );
    drop(team_store);
    healthy(home, &team);
}

#[test]
fn a_team_file_explains_that_csm_records_change_only_by_merging() {
    use common::screen::{key, open, shown};
    use crossterm::event::KeyCode;
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let a = demo(home, "a.db", 20, 1);
    let b = demo(home, "b.db", 20, 2);
    let team = home.join("TEAM.db");
    merged(home, &team, &[&a, &b]);
    let touches = count(&team, "touches");
    let store = Store::open(&team).unwrap();
    let mut app = open(store, 100, 30);
    assert!(shown(&app, 100, 30).contains("[team file]"));
    // Into a portfolio, then the keys that would log a touch and start a call.
    for code in [KeyCode::Enter, KeyCode::Char('l'), KeyCode::Char('c')] {
        key(&mut app, code);
        if code != KeyCode::Enter {
            let text = shown(&app, 100, 30);
            assert!(
                text.contains("this is a team file, where CSMs' records change only by merging"),
                "{text}"
            );
        }
    }
    drop(app);
    assert_eq!(count(&team, "touches"), touches);
}
