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
         UPDATE csm_totals SET calls = calls + 1 WHERE csm_id = (SELECT min(csm_id) FROM csm_totals);
         UPDATE kpi_tallies SET tagged = tagged + 1 WHERE (month, csm_id, segment) =
             (SELECT month, csm_id, segment FROM kpi_tallies ORDER BY month DESC LIMIT 1);",
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
    assert!(
        out.contains("coaching KPI figures disagree with the touches for 1 CSM month(s)"),
        "{out}"
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.lines().count(), 1);
}

/// A call in progress is a normal state of the file: right after it starts, with a note
/// written, and after the app quits (or is killed) and the file is opened again.
#[test]
fn a_call_in_progress_is_healthy() {
    use attuned::domain::model::CallType;
    use attuned::store::Store;
    use attuned::store::call::{self, NewCall};
    use attuned::store::check;

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("book.db");
    let mut store = common::build(&db);
    let healthy = |store: &Store, when: &str| {
        let report = check::run(store.conn()).unwrap();
        assert!(report.problems.is_empty(), "{when}: {:?}", report.problems);
    };
    healthy(&store, "before the call");
    // An account last touched weeks ago: the call is its newest touch.
    let account = common::id_of(&store, "accounts", "Halcyon Health");
    let people: Vec<i64> = store
        .conn()
        .prepare("SELECT id FROM personas WHERE account_id = ?1")
        .unwrap()
        .query_map([account], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let touch = call::start(
        &mut store,
        &NewCall {
            account_id: account,
            call_type: CallType::CheckIn,
            participants: &people,
            at: common::now(),
        },
    )
    .unwrap();
    healthy(&store, "the call just started");
    call::save_note(&mut store, touch, 1, "they sound worried", common::now()).unwrap();
    healthy(&store, "a note written");
    drop(store);
    let store = Store::open(&db).unwrap();
    healthy(&store, "opened again with the call kept");
}
