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

/// Schema V8's count of rated personas (behind "no rated persona") is checked like the
/// rest of the summary.
#[test]
fn a_wrong_count_of_rated_personas_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let db = home.join("book.db");
    let d = db.to_str().unwrap();
    assert!(
        attuned(home, &["demo", "--db", d, "--accounts", "30"])
            .status
            .success()
    );
    let conn = Connection::open(&db).unwrap();
    conn.execute(
        "UPDATE accounts SET personas_rated = personas_rated + 2
         WHERE id = (SELECT min(id) FROM accounts)",
        [],
    )
    .unwrap();
    drop(conn);
    let o = attuned(home, &["check", "--db", d]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(!o.status.success(), "{out}");
    assert!(out.contains("rated personas"), "{out}");
}

/// Every row of every table, as text, so two states of the file can be compared.
fn dump(conn: &rusqlite::Connection) -> Vec<String> {
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut out = Vec::new();
    for table in tables {
        let mut stmt = conn.prepare(&format!("SELECT * FROM \"{table}\"")).unwrap();
        let n = stmt.column_count();
        let rows = stmt
            .query_map([], |r| {
                let cells: Vec<String> = (0..n)
                    .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
                    .collect();
                Ok(format!("{table}: {}", cells.join(" | ")))
            })
            .unwrap()
            .map(Result::unwrap);
        let mut rows: Vec<String> = rows.collect();
        rows.sort();
        out.extend(rows);
    }
    out
}

#[test]
fn a_discarded_call_leaves_the_file_as_it_was() {
    use attuned::domain::model::{CallType, Intervention, Pulse};
    use attuned::store::call::{self, NewCall};
    use attuned::store::{check, tagging};

    let dir = tempfile::tempdir().unwrap();
    let mut store = common::build(&dir.path().join("book.db"));
    let account = common::id_of(&store, "accounts", "Halcyon Health");
    let people: Vec<i64> = store
        .conn()
        .prepare("SELECT id FROM personas WHERE account_id = ?1")
        .unwrap()
        .query_map([account], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(!people.is_empty(), "the fixture's account has personas");
    let before = dump(store.conn());
    let at = common::now() + chrono::Duration::minutes(5);
    let touch = call::start(
        &mut store,
        &NewCall {
            account_id: account,
            call_type: CallType::Escalation,
            participants: &people,
            at,
        },
    )
    .unwrap();
    // What a call writes as it runs: a note, a prompt, the times, the draft tags, the
    // wrap-up form's draft.
    call::save_note(&mut store, touch, 1, "started by mistake", at).unwrap();
    call::prompt_shown(&mut store, touch, 1, "assess.open", at).unwrap();
    call::save_progress(&mut store, touch, 2, &[], at).unwrap();
    call::save_draft_tags(
        &mut store,
        touch,
        Some(Pulse::Red),
        Intervention::Empathy,
        None,
    )
    .unwrap();
    tagging::save_draft(
        &mut store,
        &format!(r#"{{"mode":{{"Call":{touch}}},"x":1}}"#),
    )
    .unwrap();
    assert_ne!(dump(store.conn()), before, "the call wrote to the file");

    call::discard(&mut store, touch, &common::clock()).unwrap();
    assert_eq!(dump(store.conn()), before, "nothing of the call is left");
    let report = check::run(store.conn()).unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}

#[test]
fn only_a_call_in_progress_can_be_discarded() {
    use attuned::store::call;
    use attuned::store::tagging;

    let dir = tempfile::tempdir().unwrap();
    let mut store = common::build(&dir.path().join("book.db"));
    // A touch that is done (the fixture's history) stays, and so does another form's draft.
    let done: i64 = store
        .conn()
        .query_row(
            "SELECT id FROM touches WHERE status = 'done' LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    tagging::save_draft(&mut store, r#"{"mode":"Log","account_id":1}"#).unwrap();
    let before = dump(store.conn());
    let err = call::discard(&mut store, done, &common::clock()).unwrap_err();
    assert!(err.to_string().contains("in progress"), "{err}");
    assert_eq!(dump(store.conn()), before);
}
