//! The derived columns of an account (CSM sentiment, coverage, risk, last touch, next
//! follow-up), recomputed from its records in the same transaction as each write.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rusqlite::{Connection, params};

use super::{day, parse_day, parse_name, parse_timestamp, timestamp};
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
        .map(|t| (at.now - t).num_days());
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
        i.pulse_age_days = parse_timestamp(set_at).map(|t| (at.now - t).num_days());
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
        let kind = parse_name::<SignalKind>(&r.get::<_, String>(0)?)?;
        let value: f64 = r.get(1)?;
        let observed: String = r.get(2)?;
        match kind {
            SignalKind::Nps if i.nps.is_none() => i.nps = Some(value),
            SignalKind::Nps if i.previous_nps.is_none() => i.previous_nps = Some(value),
            SignalKind::Csat if i.csat.is_none() => i.csat = Some(value),
            SignalKind::OpenTickets if i.open_tickets.is_none() => {
                i.open_tickets = Some(value as i64)
            }
            SignalKind::UsageTrend if i.usage_trend_pct.is_none() => {
                i.usage_trend_pct = Some(value)
            }
            SignalKind::CompetitorMention if observed >= since => i.competitor_mentions_90d += 1,
            _ => {}
        }
    }
    Ok(())
}

/// Recomputes an account's derived columns; returns its risk.
pub fn refresh_account(conn: &Connection, account_id: i64, at: &AsOf) -> Result<Risk> {
    let inputs = risk_inputs(conn, account_id, at)?;
    let risk = risk::assess(&inputs);
    let coverage = Coverage::of(&inputs.personas);
    let missing = coverage
        .missing_roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(",");
    conn.prepare_cached(
        "UPDATE accounts SET
            pulse = (SELECT pulse FROM pulse_history WHERE account_id = ?1
                     ORDER BY set_at DESC, id DESC LIMIT 1),
            pulse_at = (SELECT set_at FROM pulse_history WHERE account_id = ?1
                        ORDER BY set_at DESC, id DESC LIMIT 1),
            pulse_prev = ?2,
            personas_total = ?3, personas_strong = ?4, coverage_pct = ?5, missing_roles = ?6,
            risk = ?7, risk_as_of = ?8,
            last_touch_at = (SELECT max(occurred_at) FROM touches WHERE account_id = ?1),
            next_followup_on = (SELECT min(due_on) FROM followups
                                WHERE account_id = ?1 AND done_at IS NULL),
            overdue_followups = ?9
         WHERE id = ?1",
    )?
    .execute(params![
        account_id,
        inputs.previous_pulse.map(Pulse::as_str),
        coverage.personas,
        coverage.strong,
        coverage.percent(),
        missing,
        risk.score,
        day(at.today),
        inputs.overdue_followups
    ])?;
    Ok(risk)
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
