//! Issue 18: missing data is not risk, and saturated scores are ordered by what is at
//! stake. The store's generated `missing_key` agrees with `domain::completeness`, the
//! per-book counts add up, and the portfolio's risk order breaks ties.

mod common;

use attuned::domain::completeness::{self, AccountFacts, Gap};
use attuned::domain::model::{Pulse, Role, Segment, Sentiment, Strength};
use attuned::domain::risk::{AtStake, riskiest_first};
use attuned::store::Store;
use attuned::store::completeness::{incomplete_accounts, missing_counts, missing_of};
use attuned::store::portfolio::{self, Direction, PortfolioQuery, QuickFilters, Sort};
use attuned::store::summary::{self, AsOf};
use attuned::store::write::{NewAccount, NewPersona};
use chrono::{Duration, NaiveDate};

fn query(quick: QuickFilters) -> PortfolioQuery {
    PortfolioQuery {
        sort: Sort::default(),
        name_contains: String::new(),
        quick,
        now: common::now(),
        today: common::today(),
        stale_after_days: 14,
        owners: None,
    }
}

/// One account per combination of the four facts (16), named by its bits.
fn every_combination(store: &mut Store) -> Vec<(i64, AccountFacts)> {
    let at = AsOf::new(&common::clock());
    store
        .write(|tx| {
            let mut out = Vec::new();
            for bits in 0..16u8 {
                let facts = AccountFacts {
                    contract_value: if bits & 1 != 0 { 0 } else { 5_000_000 },
                    has_renewal_date: bits & 2 == 0,
                    rated_personas: u32::from(bits & 4 == 0),
                    has_pulse: bits & 8 == 0,
                };
                let id = tx.insert_account(&NewAccount {
                    name: &format!("Combo {bits:02}"),
                    segment: Segment::MidMarket,
                    tier: 2,
                    industry: None,
                    contract_value_cents: facts.contract_value,
                    renewal_date: facts
                        .has_renewal_date
                        .then(|| common::today() + Duration::days(200)),
                    owner_csm_id: None,
                    parent_id: None,
                    created_at: common::now(),
                })?;
                // Every account has a persona; only the rated ones have a strength.
                tx.insert_persona(&NewPersona {
                    account_id: id,
                    name: "Pat",
                    title: None,
                    email: None,
                    role: Role::Champion,
                    reports_to_id: None,
                    strength: if facts.rated_personas > 0 {
                        Strength::Weak
                    } else {
                        Strength::None
                    },
                    sentiment: Sentiment::Neutral,
                    created_at: common::now(),
                })?;
                if facts.has_pulse {
                    tx.set_pulse(id, Pulse::Green, None, common::now(), None, None)?;
                }
                summary::refresh_account(tx.conn(), id, &at)?;
                out.push((id, facts));
            }
            Ok(out)
        })
        .unwrap()
}

#[test]
fn the_stored_gaps_agree_with_the_domain_rule_for_every_combination() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("a.db")).unwrap();
    for (id, facts) in every_combination(&mut store) {
        let stored = missing_of(store.conn(), id).unwrap().unwrap();
        assert_eq!(stored, completeness::missing(&facts), "{facts:?}");
    }
}

#[test]
fn the_book_counts_what_is_missing_and_the_quick_filter_lists_those_accounts() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("a.db")).unwrap();
    every_combination(&mut store);
    let conn = store.conn();
    let counts = missing_counts(conn, None).unwrap();
    // Each fact is missing in half of the 16 combinations; all but one lack something.
    assert_eq!(counts.incomplete, 15);
    for gap in Gap::ALL {
        assert_eq!(counts.of(gap), 8, "{gap:?}");
    }
    assert_eq!(
        counts
            .lines()
            .next()
            .map(|(g, n)| g.count_line(n))
            .as_deref(),
        Some("8 accounts have no contract value")
    );
    // Nobody owns these: an owner's portfolio has nothing missing.
    assert_eq!(missing_counts(conn, Some(&[42])).unwrap().incomplete, 0);
    // The value at risk scored on incomplete accounts, which the header calls provisional.
    let provisional: i64 = conn
        .query_row(
            "SELECT ifnull(sum(contract_value), 0) FROM accounts
             WHERE archived_at IS NULL AND missing_key != 0 AND risk >= 50",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        provisional > 0,
        "the fixture has value at risk on incomplete accounts"
    );
    assert_eq!(counts.value_at_risk, provisional);

    let q = query(QuickFilters {
        incomplete: true,
        ..QuickFilters::default()
    });
    let rows = portfolio::page(conn, &q, None, Direction::Forward, 100).unwrap();
    assert_eq!(rows.len(), 15);
    assert!(rows.iter().all(|r| !r.missing.is_complete()));
    assert!(rows.iter().all(|r| r.name != "Combo 00"));
    assert_eq!(portfolio::count_matching(conn, &q, 100).unwrap(), 15);
    assert_eq!(incomplete_accounts(conn, 100).unwrap().len(), 15);
    let t = portfolio::totals_for(conn, &q).unwrap();
    assert_eq!(t.missing, counts);
}

/// Many accounts at 100: the first screen shows the biggest and soonest first, in the
/// order `domain::risk::riskiest_first` gives, page by page both ways.
#[test]
fn tied_scores_are_ordered_by_value_then_renewal_on_every_page() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("a.db")).unwrap();
    let today = common::today();
    let specs: Vec<(String, u32, i64, Option<NaiveDate>)> = (0..40)
        .map(|i: i64| {
            let score = if i % 5 == 0 { 80 } else { 100 };
            let value = [0, 1_000_000, 25_000_000, 7_500_000][(i % 4) as usize];
            let renewal = (i % 3 != 0).then(|| today + Duration::days((i * 37) % 300 - 20));
            (format!("Tied {i:02}"), score as u32, value, renewal)
        })
        .collect();
    let ids: Vec<i64> = store
        .write(|tx| {
            specs
                .iter()
                .map(|(name, _, value, renewal)| {
                    tx.insert_account(&NewAccount {
                        name,
                        segment: Segment::Enterprise,
                        tier: 1,
                        industry: None,
                        contract_value_cents: *value,
                        renewal_date: *renewal,
                        owner_csm_id: None,
                        parent_id: None,
                        created_at: common::now(),
                    })
                })
                .collect()
        })
        .unwrap();
    // Saturated scores as the risk model would leave them.
    for (id, (_, score, _, _)) in ids.iter().zip(&specs) {
        store
            .conn()
            .execute(
                "UPDATE accounts SET risk = ?1 WHERE id = ?2",
                [i64::from(*score), *id],
            )
            .unwrap();
    }
    let mut want: Vec<&(String, u32, i64, Option<NaiveDate>)> = specs.iter().collect();
    want.sort_by(|a, b| {
        let stake = |s: &(String, u32, i64, Option<NaiveDate>)| AtStake {
            score: s.1,
            contract_value: s.2,
            renewal_date: s.3,
            name: "",
        };
        // Full ties (same score, value and day) fall back to the id, as in the table.
        riskiest_first(&stake(a), &stake(b))
    });
    let want: Vec<&str> = want.iter().map(|s| s.0.as_str()).collect();
    let conn = store.conn();
    let q = query(QuickFilters::default());
    let mut got = Vec::new();
    let mut cursor = None;
    loop {
        let rows = portfolio::page(conn, &q, cursor.as_ref(), Direction::Forward, 7).unwrap();
        let Some(last) = rows.last() else { break };
        cursor = Some(last.cursor.clone());
        got.extend(rows.iter().map(|r| r.name.clone()));
    }
    // Same-stake ties come out by descending id in a descending walk: compare as sets
    // of equal keys, then the exact order where keys differ.
    let key = |name: &str| {
        let s = specs.iter().find(|s| s.0 == name).unwrap();
        (s.1, s.2, s.3)
    };
    let got_keys: Vec<_> = got.iter().map(|n| key(n)).collect();
    let want_keys: Vec<_> = want.iter().map(|n| key(n)).collect();
    assert_eq!(got_keys, want_keys);
    // The top of the first screen: 100, the largest value, the soonest renewal.
    let top = key(&got[0]);
    assert_eq!((top.0, top.1), (100, 25_000_000));
    assert!(
        specs
            .iter()
            .filter(|s| s.1 == 100 && s.2 == 25_000_000)
            .all(|s| s.3.is_none_or(|d| top.2.is_some_and(|t| t <= d))),
        "soonest renewal first: {got:?}"
    );
}

/// A file from before schema V8 opened read-only is not migrated: the gaps are computed
/// from the columns they come from, with the same counts, filter and exports, and the
/// risk order is the plain score's.
#[test]
fn a_file_older_than_the_completeness_columns_reads_the_same_gaps() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let mut store = Store::open(&path).unwrap();
    every_combination(&mut store);
    let want = missing_counts(store.conn(), None).unwrap();
    drop(store);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let v7_indexes: String = [
        ("name", "name COLLATE NOCASE"),
        ("segment", "seg_tier_key"),
        ("value", "contract_value"),
        ("pulse", "pulse_key"),
        ("coverage", "coverage_pct"),
        ("risk", "risk"),
        ("touch", "touch_key"),
    ]
    .iter()
    .map(|(n, k)| {
        format!(
            "DROP INDEX accounts_by_{n}; CREATE INDEX accounts_by_{n} ON accounts({k}, id,
             risk, renewal_key, pulse_at_key, followup_key, owner_csm_id) WHERE archived_at IS NULL;"
        )
    })
    .collect();
    conn.execute_batch(&format!(
        "DROP INDEX accounts_incomplete; {v7_indexes}
         DROP INDEX accounts_by_renewal; CREATE INDEX accounts_by_renewal ON accounts(renewal_key,
             id, risk, pulse_at_key, followup_key, owner_csm_id) WHERE archived_at IS NULL;
         DROP INDEX accounts_by_followup; CREATE INDEX accounts_by_followup ON accounts(
             followup_key, id, risk, renewal_key, pulse_at_key, owner_csm_id)
             WHERE archived_at IS NULL;
         ALTER TABLE accounts DROP COLUMN risk_rank; ALTER TABLE accounts DROP COLUMN missing_key;
         ALTER TABLE accounts DROP COLUMN personas_rated;
         PRAGMA user_version = 7; PRAGMA wal_checkpoint(TRUNCATE);"
    ))
    .unwrap();
    drop(conn);
    let old = Store::open_read_only(&path).unwrap();
    let conn = old.conn();
    assert_eq!(missing_counts(conn, None).unwrap(), want);
    let q = query(QuickFilters {
        incomplete: true,
        ..QuickFilters::default()
    });
    let rows = portfolio::page(conn, &q, None, Direction::Forward, 100).unwrap();
    assert_eq!(rows.len(), 15);
    let all = portfolio::page(
        conn,
        &query(QuickFilters::default()),
        None,
        Direction::Forward,
        100,
    )
    .unwrap();
    assert_eq!(all.len(), 16);
    assert!(all.windows(2).all(|w| w[0].risk >= w[1].risk));
    assert_eq!(incomplete_accounts(conn, 100).unwrap().len(), 15);
    let brief = attuned::export::md::portfolio_brief(conn, &AsOf::new(&common::clock())).unwrap();
    assert!(brief.contains("8 accounts have no renewal date"), "{brief}");
}
