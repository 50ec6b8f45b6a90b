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
        attuned::export::md::account_brief(store.conn(), id, &AsOf::new(&common::clock())).unwrap();
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
    // Among the accounts at 100 the larger contract value comes first (Northwind's).
    assert!(rows.iter().any(|r| r.id == id), "{rows:?}");
    // One with no renewal date, or a year away, is not renewing.
    let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
    assert!(!names.contains(&"Quarry & Vale Outfitters"), "{names:?}");
    assert_eq!(
        portfolio::count_matching(store.conn(), &q, 100).unwrap(),
        rows.len()
    );
}

/// The portfolio brief's renewals section is the same set: a renewal 24 days overdue is
/// listed, and first.
#[test]
fn the_portfolio_brief_lists_a_renewal_that_passed_first() {
    let dir = tempfile::tempdir().unwrap();
    let store = common::build(&dir.path().join("a.db"));
    let id = common::id_of(&store, "accounts", "Bluepeak Analytics");
    let overdue = common::today() - chrono::Duration::days(24);
    store
        .conn()
        .execute(
            "UPDATE accounts SET renewal_date = ?2 WHERE id = ?1",
            rusqlite::params![id, overdue.to_string()],
        )
        .unwrap();
    let brief =
        attuned::export::md::portfolio_brief(store.conn(), &AsOf::new(&common::clock())).unwrap();
    let section = brief
        .split("## Renewing in the next 90 days, or passed")
        .nth(1)
        .unwrap_or_else(|| panic!("no renewals section:\n{brief}"));
    let first_row = section
        .lines()
        .find(|l| l.starts_with("| ") && !l.starts_with("| Account"))
        .unwrap_or_default();
    assert!(first_row.contains("Bluepeak Analytics"), "{section}");
}

/// Ages follow the machine's time zone: run in a child process with `TZ` set (a POSIX
/// rule, so no time zone database is needed), 2026-11-27 23:30 UTC is already the 28th
/// at UTC+1, and on the 3rd of December both touches of the local 28th are 5 days old.
#[test]
fn ages_follow_the_time_zone_of_the_machine() {
    if std::env::var("ATTUNED_TZ_CHILD").is_ok() {
        return ages_in_utc_plus_one();
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "ages_follow_the_time_zone_of_the_machine",
            "--nocapture",
        ])
        .env("TZ", "CET-1")
        .env("ATTUNED_TZ_CHILD", "1")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains("1 passed"), "{said}");
}

fn ages_in_utc_plus_one() {
    use attuned::domain::clock::{days_since, local_day};
    use attuned::domain::{Clock, FixedClock};
    let at = |s: &str| {
        chrono::DateTime::parse_from_rfc3339(s)
            .unwrap()
            .with_timezone(&chrono::Utc)
    };
    let early = at("2026-11-27T23:30:00Z"); // 00:30 on the 28th at UTC+1
    let late = at("2026-11-28T22:30:00Z"); // 23:30 on the 28th
    assert_eq!(local_day(early).to_string(), "2026-11-28");
    // 23:30 UTC on the 2nd is already the 3rd here: so is the clock's today.
    let clock = FixedClock(at("2026-12-02T23:30:00Z"));
    assert_eq!(clock.today().to_string(), "2026-12-03");
    assert_eq!(days_since(early, clock.today()), 5);
    assert_eq!(days_since(late, clock.today()), 5);
}
