//! `attuned check`: the app's own invariants beside SQLite's integrity check.

mod common;

use common::cli::attuned;

use rusqlite::Connection;

#[test]
fn check_finds_broken_invariants_a_demo_does_not_have() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let db = home.join("a.db");
    let d = db.to_str().unwrap();
    assert!(
        attuned(home, &["demo", "--db", d, "--accounts", "30"])
            .status
            .success()
    );
    let o = attuned(home, &["check", "--db", d]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{out}");
    assert!(out.contains("healthy"));

    let conn = Connection::open(&db).unwrap();
    conn.execute_batch(
        "UPDATE accounts SET personas_total = personas_total + 7
             WHERE id = (SELECT min(id) FROM accounts);
         INSERT OR IGNORE INTO touch_participants (touch_id, persona_id)
             SELECT t.id, p.id FROM touches t JOIN personas p ON p.account_id <> t.account_id LIMIT 1;
         UPDATE accounts SET parent_id = id WHERE id = (SELECT max(id) FROM accounts);
         UPDATE csm_totals SET calls = calls + 1 WHERE csm_id = (SELECT min(csm_id) FROM csm_totals);",
    )
    .unwrap();
    drop(conn);
    let o = attuned(home, &["check", "--db", d]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(!o.status.success(), "{out}");
    assert!(
        out.contains("touch participants are personas of another account"),
        "{out}"
    );
    assert!(out.contains("summary"), "{out}");
    assert!(out.contains("own parent"), "{out}");
    assert!(
        out.contains("team totals disagree with the accounts for 1 CSM(s)"),
        "{out}"
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.lines().count(), 1);
}
