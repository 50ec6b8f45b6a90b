//! Figures that are right: the latest sentiment in briefs, calendar-day ages, renewals
//! that passed in the "renewing" filter, overdue follow-ups on today in the calendar.

mod common;

use attuned::store::summary::AsOf;

#[test]
fn the_account_brief_shows_the_latest_csm_sentiment() {
    let dir = tempfile::tempdir().unwrap();
    let store = common::build(&dir.path().join("a.db"));
    // Northwind went Green (90 days ago), Yellow (40), Red (3).
    let id = common::id_of(&store, "accounts", "Northwind Logistics");
    let brief =
        attuned::export_md::account_brief(store.conn(), id, &AsOf::new(&common::clock())).unwrap();
    let line = brief
        .lines()
        .find(|l| l.starts_with("| CSM sentiment |"))
        .unwrap();
    let three_days_ago = common::today() - chrono::Duration::days(3);
    assert!(
        line.starts_with(&format!("| CSM sentiment | Red (set {three_days_ago}")),
        "{line}"
    );
}

/// A renewal 24 days overdue at risk 100 is the most urgent row of "renewing".
#[test]
fn the_renewing_filter_keeps_a_renewal_that_passed() {
    use attuned::store::portfolio::{self, Direction, PortfolioQuery, QuickFilters, Sort};
    let dir = tempfile::tempdir().unwrap();
    let store = common::build(&dir.path().join("a.db"));
    let id = common::id_of(&store, "accounts", "Bluepeak Analytics");
    let overdue = common::today() - chrono::Duration::days(24);
    store
        .conn()
        .execute(
            "UPDATE accounts SET renewal_date = ?2, risk = 100 WHERE id = ?1",
            rusqlite::params![id, overdue.to_string()],
        )
        .unwrap();
    let q = PortfolioQuery {
        sort: Sort::default(),
        name_contains: String::new(),
        quick: QuickFilters {
            renewal_90: true,
            ..QuickFilters::default()
        },
        now: common::now(),
        today: common::today(),
        stale_after_days: 14,
        owners: None,
    };
    let rows = portfolio::page(store.conn(), &q, None, Direction::Forward, 10).unwrap();
    assert_eq!(rows.first().map(|r| r.id), Some(id), "{rows:?}");
    // One with no renewal date, or a year away, is not renewing.
    let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
    assert!(!names.contains(&"Quarry & Vale Outfitters"), "{names:?}");
    assert_eq!(
        portfolio::count_matching(store.conn(), &q, 100).unwrap(),
        rows.len()
    );
}
