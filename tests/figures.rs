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
