//! The derived columns of an account (CSM sentiment, coverage, risk, last touch, next
//! follow-up), recomputed from its records in the same transaction as each write.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rusqlite::{Connection, params};

use super::{day, parse_day, parse_name, parse_timestamp, timestamp};
use crate::domain::clock::days_since;
use crate::domain::coverage::{Coverage, PersonaTie};
use crate::domain::model::{Pulse, Role, Sentiment, SignalKind, Strength};
use crate::domain::risk::{self, Risk, RiskInputs};
use crate::error::Result;

/// What "now" means for a refresh: the instant, the CSM's day, and the staleness window.
#[derive(Debug, Clone, Copy)]
pub struct AsOf {
    pub now: DateTime<Utc>,
    pub today: NaiveDate,
    pub stale_after_days: i64,
}

impl AsOf {
    pub fn new(clock: &dyn crate::domain::Clock) -> AsOf {
        AsOf {
            now: clock.now(),
            today: clock.today(),
            stale_after_days: risk::DEFAULT_STALE_AFTER_DAYS,
        }
    }

    /// "Now" is `now`, and today is its day where the CSM is (as every clock has it).
    pub fn at(now: DateTime<Utc>) -> AsOf {
        AsOf {
            now,
            today: crate::domain::clock::local_day(now),
            stale_after_days: risk::DEFAULT_STALE_AFTER_DAYS,
        }
    }
}

/// Reads what risk needs to know about one account.
pub fn risk_inputs(conn: &Connection, account_id: i64, at: &AsOf) -> Result<RiskInputs> {
    let mut inputs = RiskInputs {
        stale_after_days: at.stale_after_days,
        ..RiskInputs::default()
    };
    let renewal: Option<String> = conn
        .prepare_cached("SELECT renewal_date FROM accounts WHERE id = ?1")?
        .query_row([account_id], |r| r.get(0))?;
    inputs.days_to_renewal = renewal
        .as_deref()
        .and_then(parse_day)
        .map(|d| (d - at.today).num_days());
    inputs.personas = persona_ties(conn, account_id)?;
    read_pulse(conn, account_id, at, &mut inputs)?;
    read_signals(conn, account_id, at, &mut inputs)?;
    let last_touch: Option<String> = conn
        .prepare_cached("SELECT max(occurred_at) FROM touches WHERE account_id = ?1")?
        .query_row([account_id], |r| r.get(0))?;
    inputs.days_since_last_touch = last_touch
        .as_deref()
        .and_then(parse_timestamp)
        .map(|t| days_since(t, at.today));
    inputs.overdue_followups = conn
        .prepare_cached(
            "SELECT count(*) FROM followups
             WHERE account_id = ?1 AND done_at IS NULL AND due_on < ?2",
        )?
        .query_row(params![account_id, day(at.today)], |r| r.get(0))?;
    Ok(inputs)
}

/// The active personas of an account, as the coverage model sees them.
pub fn persona_ties(conn: &Connection, account_id: i64) -> Result<Vec<PersonaTie>> {
    let mut stmt = conn.prepare_cached(
        "SELECT role, strength, sentiment, last_contact_at IS NOT NULL FROM personas
         WHERE account_id = ?1 AND archived_at IS NULL",
    )?;
    let ties = stmt
        .query_map([account_id], |r| {
            Ok(PersonaTie {
                role: parse_name::<Role>(&r.get::<_, String>(0)?)?,
                strength: parse_name::<Strength>(&r.get::<_, String>(1)?)?,
                sentiment: parse_name::<Sentiment>(&r.get::<_, String>(2)?)?,
                contacted: r.get(3)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(ties)
}

fn read_pulse(conn: &Connection, account_id: i64, at: &AsOf, i: &mut RiskInputs) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "SELECT pulse, set_at FROM pulse_history WHERE account_id = ?1
         ORDER BY set_at DESC, id DESC LIMIT 2",
    )?;
    let latest: Vec<(Pulse, String)> = stmt
        .query_map([account_id], |r| {
            Ok((parse_name::<Pulse>(&r.get::<_, String>(0)?)?, r.get(1)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    if let Some((pulse, set_at)) = latest.first() {
        i.pulse = Some(*pulse);
        i.pulse_age_days = parse_timestamp(set_at).map(|t| days_since(t, at.today));
    }
    i.previous_pulse = latest.get(1).map(|(p, _)| *p);
    Ok(())
}

fn read_signals(conn: &Connection, account_id: i64, at: &AsOf, i: &mut RiskInputs) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "SELECT kind, value, observed_at FROM signals WHERE account_id = ?1
         ORDER BY kind, observed_at DESC",
    )?;
    let mut rows = stmt.query([account_id])?;
    let since = timestamp(at.now - Duration::days(90));
    while let Some(r) = rows.next()? {
        add_signal(i, r, 0, &since)?;
    }
    Ok(())
}

/// Takes one signal (`kind, value, observed_at` from column `first` on), newest first per
/// kind, into the inputs.
fn add_signal(i: &mut RiskInputs, r: &rusqlite::Row<'_>, first: usize, since: &str) -> Result<()> {
    let kind = parse_name::<SignalKind>(&r.get::<_, String>(first)?)?;
    let value: f64 = r.get(first + 1)?;
    let observed: String = r.get(first + 2)?;
    match kind {
        SignalKind::Nps if i.nps.is_none() => i.nps = Some(value),
        SignalKind::Nps if i.previous_nps.is_none() => i.previous_nps = Some(value),
        SignalKind::Csat if i.csat.is_none() => i.csat = Some(value),
        SignalKind::OpenTickets if i.open_tickets.is_none() => i.open_tickets = Some(value as i64),
        SignalKind::UsageTrend if i.usage_trend_pct.is_none() => i.usage_trend_pct = Some(value),
        SignalKind::CompetitorMention if observed.as_str() >= since => {
            i.competitor_mentions_90d += 1
        }
        _ => {}
    }
    Ok(())
}

/// Recomputes an account's derived columns; returns its risk.
pub fn refresh_account(conn: &Connection, account_id: i64, at: &AsOf) -> Result<Risk> {
    let inputs = risk_inputs(conn, account_id, at)?;
    let mut write = conn.prepare_cached(WRITE_SUMMARY)?;
    write_summary(&mut write, account_id, &inputs, at)
}

/// `refresh_account` for many accounts at once (a large import): the same inputs, read in
/// one pass over each table instead of six queries per account. Cheaper than the one by
/// one refresh once `ids` are a good part of the accounts.
pub fn refresh_accounts(conn: &Connection, ids: &[i64], at: &AsOf) -> Result<()> {
    let mut inputs: std::collections::HashMap<i64, RiskInputs> = ids
        .iter()
        .map(|id| {
            let i = RiskInputs {
                stale_after_days: at.stale_after_days,
                ..RiskInputs::default()
            };
            (*id, i)
        })
        .collect();
    scan(
        conn,
        &mut inputs,
        "SELECT id, renewal_date FROM accounts",
        &[],
        |i, r| {
            i.days_to_renewal = r
                .get::<_, Option<String>>(1)?
                .as_deref()
                .and_then(parse_day)
                .map(|d| (d - at.today).num_days());
            Ok(())
        },
    )?;
    // In `persona_ties`' order (its index is by account, then id): by id within each
    // account. Read in the table's own order, not through that index.
    scan(
        conn,
        &mut inputs,
        "SELECT account_id, role, strength, sentiment, last_contact_at IS NOT NULL FROM personas
         WHERE archived_at IS NULL ORDER BY id",
        &[],
        |i, r| {
            i.personas.push(PersonaTie {
                role: parse_name::<Role>(&r.get::<_, String>(1)?)?,
                strength: parse_name::<Strength>(&r.get::<_, String>(2)?)?,
                sentiment: parse_name::<Sentiment>(&r.get::<_, String>(3)?)?,
                contacted: r.get(4)?,
            });
            Ok(())
        },
    )?;
    // `read_pulse`: the latest two.
    let mut seen = 0usize;
    let mut last = None;
    scan(
        conn,
        &mut inputs,
        "SELECT account_id, pulse, set_at FROM pulse_history
         ORDER BY account_id, set_at DESC, id DESC",
        &[],
        |i, r| {
            let account: i64 = r.get(0)?;
            if last != Some(account) {
                (last, seen) = (Some(account), 0);
            }
            seen += 1;
            let pulse = parse_name::<Pulse>(&r.get::<_, String>(1)?)?;
            if seen == 1 {
                i.pulse = Some(pulse);
                i.pulse_age_days =
                    parse_timestamp(&r.get::<_, String>(2)?).map(|t| days_since(t, at.today));
            } else if seen == 2 {
                i.previous_pulse = Some(pulse);
            }
            Ok(())
        },
    )?;
    let since = timestamp(at.now - Duration::days(90));
    scan(
        conn,
        &mut inputs,
        "SELECT account_id, kind, value, observed_at FROM signals
         ORDER BY account_id, kind, observed_at DESC",
        &[],
        |i, r| add_signal(i, r, 1, &since),
    )?;
    scan(
        conn,
        &mut inputs,
        "SELECT account_id, max(occurred_at) FROM touches GROUP BY account_id",
        &[],
        |i, r| {
            i.days_since_last_touch = r
                .get::<_, Option<String>>(1)?
                .as_deref()
                .and_then(parse_timestamp)
                .map(|t| days_since(t, at.today));
            Ok(())
        },
    )?;
    let today = day(at.today);
    scan(
        conn,
        &mut inputs,
        "SELECT account_id, count(*) FROM followups
         WHERE done_at IS NULL AND due_on < ?1 GROUP BY account_id",
        &[&today],
        |i, r| {
            i.overdue_followups = r.get(1)?;
            Ok(())
        },
    )?;
    // Prepared once: the cache would hash this long statement's text twice per account.
    let mut write = conn.prepare(WRITE_SUMMARY)?;
    for id in ids {
        if let Some(i) = inputs.get(id) {
            write_summary(&mut write, *id, i, at)?;
        }
    }
    Ok(())
}

/// Runs `sql` (the account id first) and hands each row of the wanted accounts to `take`.
fn scan(
    conn: &Connection,
    inputs: &mut std::collections::HashMap<i64, RiskInputs>,
    sql: &str,
    args: &[&dyn rusqlite::ToSql],
    mut take: impl FnMut(&mut RiskInputs, &rusqlite::Row<'_>) -> Result<()>,
) -> Result<()> {
    let mut stmt = conn.prepare(sql)?;
    let mut rows = stmt.query(args)?;
    while let Some(r) = rows.next()? {
        if let Some(i) = inputs.get_mut(&r.get::<_, i64>(0)?) {
            take(i, r)?;
        }
    }
    Ok(())
}

/// The derived columns read from other tables, as `WRITE_SUMMARY` sets and compares them.
macro_rules! latest_pulse {
    ($col:literal) => {
        concat!(
            "(SELECT ",
            $col,
            " FROM pulse_history WHERE account_id = ?1
              ORDER BY set_at DESC, id DESC LIMIT 1)"
        )
    };
}
macro_rules! last_touch {
    () => {
        "(SELECT max(occurred_at) FROM touches WHERE account_id = ?1)"
    };
}
macro_rules! next_followup {
    () => {
        "(SELECT min(due_on) FROM followups WHERE account_id = ?1 AND done_at IS NULL)"
    };
}

/// Sets an account's derived columns, leaving a row that already holds them untouched:
/// rewriting it would rewrite its entry in each of the dozen sort indexes (a re-import of
/// unchanged accounts spent most of its time there).
const WRITE_SUMMARY: &str = concat!(
    "UPDATE accounts SET pulse = ",
    latest_pulse!("pulse"),
    ", pulse_at = ",
    latest_pulse!("set_at"),
    ", pulse_prev = ?2, personas_total = ?3, personas_strong = ?4, coverage_pct = ?5,
     missing_roles = ?6, risk = ?7, risk_as_of = ?8, last_touch_at = ",
    last_touch!(),
    ", next_followup_on = ",
    next_followup!(),
    ", overdue_followups = ?9, personas_rated = ?10
    WHERE id = ?1 AND (personas_rated IS NOT ?10 OR pulse_prev IS NOT ?2 OR personas_total IS NOT ?3
        OR personas_strong IS NOT ?4 OR coverage_pct IS NOT ?5 OR missing_roles IS NOT ?6
        OR risk IS NOT ?7 OR risk_as_of IS NOT ?8 OR overdue_followups IS NOT ?9
        OR pulse IS NOT ",
    latest_pulse!("pulse"),
    " OR pulse_at IS NOT ",
    latest_pulse!("set_at"),
    " OR last_touch_at IS NOT ",
    last_touch!(),
    " OR next_followup_on IS NOT ",
    next_followup!(),
    ")"
);

/// The derived columns computed from an account's inputs (the rest are read by SQL).
pub(super) struct Derived {
    pub coverage: Coverage,
    /// The key roles nobody fills, as stored (`champion,economic_buyer`).
    pub missing_roles: String,
    /// Active personas whose strength was rated (completeness wants at least one).
    pub rated: u32,
    pub risk: Risk,
}

impl Derived {
    pub(super) fn of(inputs: &RiskInputs) -> Derived {
        let coverage = Coverage::of(&inputs.personas);
        let missing_roles = coverage
            .missing_roles
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(",");
        let rated = inputs
            .personas
            .iter()
            .filter(|t| t.strength != Strength::None)
            .count() as u32;
        Derived {
            risk: risk::assess(inputs),
            rated,
            coverage,
            missing_roles,
        }
    }
}

/// Writes an account's derived columns from its inputs (`write` is `WRITE_SUMMARY`);
/// returns its risk.
fn write_summary(
    write: &mut rusqlite::Statement<'_>,
    account_id: i64,
    inputs: &RiskInputs,
    at: &AsOf,
) -> Result<Risk> {
    let d = Derived::of(inputs);
    write.execute(params![
        account_id,
        inputs.previous_pulse.map(Pulse::as_str),
        d.coverage.personas,
        d.coverage.strong,
        d.coverage.percent(),
        d.missing_roles,
        d.risk.score,
        day(at.today),
        inputs.overdue_followups,
        d.rated
    ])?;
    Ok(d.risk)
}

/// Accounts whose risk was last computed before `today` (renewals and staleness move
/// with the calendar), at most `limit` of them.
pub fn accounts_needing_refresh(
    conn: &Connection,
    today: NaiveDate,
    limit: usize,
) -> Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id FROM accounts WHERE risk_as_of IS NULL OR risk_as_of < ?1 LIMIT ?2",
    )?;
    let ids = stmt
        .query_map(params![day(today), limit as i64], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<i64>>>()?;
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::FixedClock;
    use crate::store::Store;

    #[test]
    fn a_summary_that_holds_already_is_not_written_again() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("a.db")).unwrap();
        let clock = FixedClock::on(NaiveDate::from_ymd_opt(2026, 11, 23).unwrap_or_default());
        let opts = crate::demo::DemoOptions {
            accounts: 20,
            ..Default::default()
        };
        crate::demo::generate(&mut store, &opts, &clock).unwrap();
        let later = FixedClock::on(NaiveDate::from_ymd_opt(2027, 2, 1).unwrap_or_default());
        let at = AsOf::new(&later);
        let conn = store.conn();
        let id: i64 = conn
            .query_row("SELECT min(id) FROM accounts", [], |r| r.get(0))
            .unwrap();
        // (Changes count the totals' triggers too.)
        let before = conn.total_changes();
        refresh_account(conn, id, &at).unwrap();
        let moved = conn.total_changes();
        assert!(moved > before, "a new day moves it");
        refresh_account(conn, id, &at).unwrap();
        assert_eq!(conn.total_changes(), moved, "nothing moved since");
    }
}
