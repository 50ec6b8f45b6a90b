//! Store tests on a temp file: keyset pages, filters, counts and totals agree with plain
//! SQL over the whole table, in every sort order.

mod common;

use attuned::demo::{self, DemoOptions};
use attuned::store::Store;
use attuned::store::portfolio::{self, Direction, PortfolioQuery, QuickFilters, Sort, SortColumn};
use rusqlite::Connection;

fn demo_store(dir: &tempfile::TempDir, accounts: usize) -> Store {
    let mut store = Store::open(&dir.path().join("book.db")).unwrap();
    let opts = DemoOptions { accounts, seed: 3 };
    demo::generate(&mut store, &opts, &common::clock()).unwrap();
    store
}

fn query(sort: Sort) -> PortfolioQuery {
    PortfolioQuery {
        sort,
        name_contains: String::new(),
        quick: QuickFilters::default(),
        now: common::now(),
        today: common::today(),
        stale_after_days: 14,
        owners: None,
    }
}

/// Every account id, walking the table page by page in `direction`.
fn walk(conn: &Connection, q: &PortfolioQuery, direction: Direction, page: usize) -> Vec<i64> {
    let mut ids = Vec::new();
    let mut cursor = None;
    loop {
        let rows = portfolio::page(conn, q, cursor.as_ref(), direction, page).unwrap();
        if rows.is_empty() {
            return ids;
        }
        let edge = match direction {
            Direction::Forward => rows.last(),
            Direction::Backward => rows.first(),
        };
        cursor = edge.map(|r| r.cursor.clone());
        let mut page_ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        if direction == Direction::Backward {
            page_ids.reverse();
        }
        ids.extend(page_ids);
    }
}

/// The expected order, computed with one plain query over the whole table.
fn expected(conn: &Connection, key: &str, descending: bool, filter: &str) -> Vec<i64> {
    let dir = if descending { "DESC" } else { "ASC" };
    let sql = format!(
        "SELECT id FROM accounts WHERE archived_at IS NULL {filter} ORDER BY {key} {dir}, id {dir}"
    );
    let mut stmt = conn.prepare(&sql).unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<Vec<i64>>>()
        .unwrap()
}

const KEYS: [(SortColumn, &str); 9] = [
    (SortColumn::Name, "name COLLATE NOCASE"),
    (SortColumn::Segment, "seg_tier_key"),
    (SortColumn::Value, "contract_value"),
    (SortColumn::Renewal, "ifnull(renewal_date, '9999-12-31')"),
    (SortColumn::Pulse, "pulse_key"),
    (SortColumn::Coverage, "coverage_pct"),
    (SortColumn::Risk, "risk_rank"),
    (SortColumn::LastTouch, "ifnull(last_touch_at, '')"),
    (
        SortColumn::NextFollowup,
        "ifnull(next_followup_on, '9999-12-31')",
    ),
];

#[test]
fn paging_visits_every_account_once_in_order_both_ways() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store(&dir, 120);
    let conn = store.conn();
    for (column, key) in KEYS {
        for descending in [false, true] {
            let q = query(Sort { column, descending });
            let want = expected(conn, key, descending, "");
            assert_eq!(want.len(), 120);
            assert_eq!(
                walk(conn, &q, Direction::Forward, 7),
                want,
                "{column:?} desc={descending}"
            );
            let mut back = walk(conn, &q, Direction::Backward, 7);
            back.reverse();
            assert_eq!(back, want, "backward {column:?} desc={descending}");
        }
    }
}

#[test]
fn filters_and_counts_match_plain_sql() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store(&dir, 150);
    let conn = store.conn();
    let base = query(Sort::default());
    let cutoff = attuned::store::timestamp(base.stale_cutoff());
    let cases: Vec<(QuickFilters, &str, String)> = vec![
        (
            QuickFilters {
                at_risk: true,
                ..Default::default()
            },
            "",
            "AND risk >= 50".into(),
        ),
        (
            QuickFilters {
                renewal_90: true,
                ..Default::default()
            },
            "",
            "AND renewal_date <= '2027-02-21'".into(),
        ),
        (
            QuickFilters {
                stale: true,
                ..Default::default()
            },
            "",
            format!("AND (pulse_at IS NULL OR pulse_at <= '{cutoff}')"),
        ),
        (
            QuickFilters {
                overdue: true,
                ..Default::default()
            },
            "",
            "AND next_followup_on < '2026-11-23'".into(),
        ),
        (
            QuickFilters {
                at_risk: true,
                overdue: true,
                ..Default::default()
            },
            "",
            "AND risk >= 50 AND next_followup_on < '2026-11-23'".into(),
        ),
        // Short text walks the sort index; longer text goes through the trigram index.
        (QuickFilters::default(), "an", "AND name LIKE '%an%'".into()),
        (
            QuickFilters::default(),
            "STONE",
            "AND name LIKE '%stone%'".into(),
        ),
        (QuickFilters::default(), "no such name", "AND 0".into()),
    ];
    for (quick, text, sql) in cases {
        let q = PortfolioQuery {
            quick,
            name_contains: text.into(),
            ..base.clone()
        };
        let want = expected(conn, "risk_rank", true, &sql);
        assert_eq!(
            want.is_empty(),
            text == "no such name",
            "{quick:?} {text:?}"
        );
        assert_eq!(
            walk(conn, &q, Direction::Forward, 9),
            want,
            "{quick:?} {text:?}"
        );
        assert_eq!(
            portfolio::count_matching(conn, &q, 10_000).unwrap(),
            want.len(),
            "{quick:?} {text:?}"
        );
        assert_eq!(
            portfolio::count_matching(conn, &q, 3).unwrap(),
            want.len().min(3)
        );
    }
}

#[test]
fn totals_are_kept_by_the_same_transactions_as_the_accounts() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store(&dir, 80);
    let conn = store.conn();
    let t = portfolio::totals(conn, common::today()).unwrap();
    let (n, value, at_risk, red): (i64, i64, i64, i64) = conn
        .query_row(
            "SELECT count(*), total(contract_value),
                    total(CASE WHEN risk >= 50 THEN contract_value END),
                    total(pulse = 'red')
             FROM accounts WHERE archived_at IS NULL",
            [],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get::<_, f64>(1)? as i64,
                    r.get::<_, f64>(2)? as i64,
                    r.get::<_, f64>(3)? as i64,
                ))
            },
        )
        .unwrap();
    assert_eq!(
        (t.accounts, t.contract_value, t.value_at_risk, t.red),
        (n, value, at_risk, red)
    );
    assert_eq!(t.red + t.yellow + t.green + t.unrated, n);
    let due_today: i64 = conn
        .query_row(
            "SELECT count(*) FROM followups WHERE done_at IS NULL AND due_on = '2026-11-23'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(t.followups_due_today, due_today);
    // Archiving an account takes it out of every figure at once.
    let (id, value_of): (i64, i64) = conn
        .query_row("SELECT id, contract_value FROM accounts LIMIT 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    conn.execute(
        "UPDATE accounts SET archived_at = '2026-11-23T12:00:00Z' WHERE id = ?1",
        [id],
    )
    .unwrap();
    let after = portfolio::totals(conn, common::today()).unwrap();
    assert_eq!(after.accounts, n - 1);
    assert_eq!(after.contract_value, value - value_of);
    let q = query(Sort::default());
    assert!(!walk(conn, &q, Direction::Forward, 50).contains(&id));
}

#[test]
fn a_fresh_file_is_private_and_reopens() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested").join("book.db");
    let origin = Store::open(&path).unwrap().origin();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(path.parent().unwrap()), 0o700);
    assert_eq!(
        Store::open(&path).unwrap().origin(),
        origin,
        "origin is stable"
    );
}

/// A second connection in the same process (the match counter, the risk refresher) must
/// not drop the first one's locks: if it did, another program closing the file would
/// think it was the last one, checkpoint and delete the WAL, and later writes would be
/// lost.
#[test]
fn a_second_connection_keeps_the_first_ones_locks() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("book.db");
    drop(demo_store(&dir, 3));
    let mut live = Store::open(&path).unwrap();
    live.write(|tx| tx.set_meta("first", "1")).unwrap();
    let _counter = Store::open_read_only(&path).unwrap();
    // Another program reads the file and closes it again (.ci/run installs sqlite3).
    let other = std::process::Command::new("sqlite3")
        .arg(&path)
        .arg("SELECT count(*) FROM accounts")
        .output()
        .expect("sqlite3 is installed");
    assert!(other.status.success());
    // A write after that must be visible to other processes while we keep running.
    live.write(|tx| {
        tx.conn().execute(
            "UPDATE accounts SET name = 'Renamed Ltd' WHERE id = (SELECT min(id) FROM accounts)",
            [],
        )?;
        Ok(())
    })
    .unwrap();
    let export = std::process::Command::new(common::tmux::BIN)
        .args(["export", "--format", "json", "--db"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(export.status.success());
    let seen = String::from_utf8_lossy(&export.stdout);
    assert!(
        seen.contains("Renamed Ltd"),
        "another process lost sight of our write"
    );
}

#[test]
fn the_timeline_shows_the_first_line_of_a_touchs_notes() {
    use attuned::domain::model::TouchKind;
    use attuned::store::timeline;
    use attuned::store::write::NewTouch;
    let dir = tempfile::tempdir().unwrap();
    let mut store = common::build(&dir.path().join("book.db"));
    let account: i64 = store
        .conn()
        .query_row("SELECT min(id) FROM accounts", [], |r| r.get(0))
        .unwrap();
    store
        .write(|tx| {
            tx.insert_touch(&NewTouch {
                summary: Some("Sent the plan"),
                notes: Some("They want it by Friday\nCC the CFO"),
                no_followup: true,
                ..NewTouch::new(account, TouchKind::Email, common::now())
            })
        })
        .unwrap();
    let newest = timeline::touches_after(store.conn(), account, None, 5).unwrap();
    assert_eq!(newest[0].summary.as_deref(), Some("Sent the plan"));
    assert_eq!(
        newest[0].notes_first_line.as_deref(),
        Some("They want it by Friday")
    );
    assert!(newest[1..].iter().all(|t| t.notes_first_line.is_none()));
}
