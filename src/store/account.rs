//! One account in full, for the account screen.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension};

use super::summary::{self, AsOf};
use super::{parse_day, parse_name, parse_timestamp};
use crate::domain::completeness::{self, AccountFacts, Missing};
use crate::domain::coverage::{self, Coverage, Finding};
use crate::domain::model::{Pulse, Role, Segment, Sentiment, SignalKind, Strength};
use crate::domain::risk::{self, Risk, RiskInputs};
use crate::error::{Error, Result};

#[derive(Debug, Clone)]
pub struct AccountDetail {
    pub id: i64,
    pub name: String,
    pub segment: Segment,
    pub tier: u8,
    pub industry: Option<String>,
    pub contract_value: i64,
    pub renewal_date: Option<NaiveDate>,
    pub owner: Option<String>,
    pub parent: Option<String>,
    /// Newest first.
    pub pulse_history: Vec<PulseEntry>,
    pub personas: Vec<PersonaLine>,
    /// Newest first, at most `RECENT_TOUCHES`.
    pub touches: Vec<TouchLine>,
    pub touch_count: i64,
    pub open_followups: Vec<FollowupLine>,
    pub signals: Vec<SignalReading>,
    pub inputs: RiskInputs,
    pub risk: Risk,
    pub coverage: Coverage,
    pub findings: Vec<Finding>,
}

impl AccountDetail {
    /// What the account lacks for its risk score to be trusted (`domain::completeness`).
    pub fn missing(&self) -> Missing {
        completeness::missing(&AccountFacts {
            contract_value: self.contract_value,
            has_renewal_date: self.renewal_date.is_some(),
            rated_personas: self
                .inputs
                .personas
                .iter()
                .filter(|t| t.strength != Strength::None)
                .count() as u32,
            has_pulse: self.inputs.pulse.is_some(),
        })
    }
}

#[derive(Debug, Clone)]
pub struct PulseEntry {
    pub pulse: Pulse,
    pub reason: Option<String>,
    pub set_at: DateTime<Utc>,
    /// The touch whose tags set it; None when set on purpose (`s`) or imported.
    pub touch_id: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct PersonaLine {
    pub id: i64,
    pub name: String,
    pub title: Option<String>,
    pub role: Role,
    /// Guessed from the title on import, not set by a CSM (shown with a `?`).
    pub role_guessed: bool,
    pub reports_to: Option<String>,
    pub strength: Strength,
    pub sentiment: Sentiment,
    pub last_contact_at: Option<DateTime<Utc>>,
}

/// One touch in the account's timeline (read page by page in `timeline.rs`).
pub use super::timeline::TouchLine;

#[derive(Debug, Clone)]
pub struct FollowupLine {
    pub id: i64,
    pub due_on: NaiveDate,
    pub action: String,
}

#[derive(Debug, Clone)]
pub struct SignalReading {
    pub kind: SignalKind,
    pub value: f64,
    pub note: Option<String>,
    pub observed_at: DateTime<Utc>,
}

pub const RECENT_TOUCHES: i64 = 50;

pub fn load(conn: &Connection, id: i64, at: &AsOf) -> Result<AccountDetail> {
    let head = conn
        .prepare_cached(
            "SELECT a.name, a.segment, a.tier, a.industry, a.contract_value, a.renewal_date,
                    c.name, p.name
             FROM accounts a
             LEFT JOIN csms c ON c.id = a.owner_csm_id
             LEFT JOIN accounts p ON p.id = a.parent_id
             WHERE a.id = ?1",
        )?
        .query_row([id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                parse_name::<Segment>(&r.get::<_, String>(1)?)?,
                r.get::<_, u8>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, Option<String>>(6)?,
                r.get::<_, Option<String>>(7)?,
            ))
        })
        .optional()?
        .ok_or(Error::NoSuch {
            what: "account",
            id,
        })?;
    let inputs = summary::risk_inputs(conn, id, at)?;
    let risk = risk::assess(&inputs);
    let coverage = Coverage::of(&inputs.personas);
    let findings = coverage::findings(&inputs.personas);
    Ok(AccountDetail {
        id,
        name: head.0,
        segment: head.1,
        tier: head.2,
        industry: head.3,
        contract_value: head.4,
        renewal_date: head.5.as_deref().and_then(parse_day),
        owner: head.6,
        parent: head.7,
        pulse_history: pulse_history(conn, id)?,
        personas: personas(conn, id)?,
        touches: super::timeline::touches_after(conn, id, None, RECENT_TOUCHES as usize)?,
        touch_count: conn
            .prepare_cached("SELECT count(*) FROM touches WHERE account_id = ?1")?
            .query_row([id], |r| r.get(0))?,
        open_followups: open_followups(conn, id)?,
        signals: signals(conn, id)?,
        inputs,
        risk,
        coverage,
        findings,
    })
}

fn ts(v: Option<String>) -> Option<DateTime<Utc>> {
    v.as_deref().and_then(parse_timestamp)
}

fn pulse_history(conn: &Connection, id: i64) -> Result<Vec<PulseEntry>> {
    let mut stmt = conn.prepare_cached(
        "SELECT pulse, reason, set_at, touch_id FROM pulse_history WHERE account_id = ?1
         ORDER BY set_at DESC, id DESC LIMIT 24",
    )?;
    let rows = stmt
        .query_map([id], |r| {
            Ok(PulseEntry {
                pulse: parse_name(&r.get::<_, String>(0)?)?,
                reason: r.get(1)?,
                set_at: ts(r.get(2)?).unwrap_or_default(),
                touch_id: r.get(3)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

fn personas(conn: &Connection, id: i64) -> Result<Vec<PersonaLine>> {
    let mut stmt = conn.prepare_cached(
        "SELECT p.id, p.name, p.title, p.role, m.name, p.strength, p.sentiment, p.last_contact_at,
                p.role_guessed
         FROM personas p LEFT JOIN personas m ON m.id = p.reports_to_id
         WHERE p.account_id = ?1 AND p.archived_at IS NULL
         ORDER BY CASE p.role WHEN 'executive_sponsor' THEN 0 WHEN 'economic_buyer' THEN 1
                  WHEN 'champion' THEN 2 WHEN 'decision_maker' THEN 3 ELSE 4 END, p.name",
    )?;
    let rows = stmt
        .query_map([id], |r| {
            Ok(PersonaLine {
                id: r.get(0)?,
                name: r.get(1)?,
                title: r.get(2)?,
                role: parse_name(&r.get::<_, String>(3)?)?,
                reports_to: r.get(4)?,
                strength: parse_name(&r.get::<_, String>(5)?)?,
                sentiment: parse_name(&r.get::<_, String>(6)?)?,
                last_contact_at: ts(r.get(7)?),
                role_guessed: r.get(8)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

fn open_followups(conn: &Connection, id: i64) -> Result<Vec<FollowupLine>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, due_on, action FROM followups
         WHERE account_id = ?1 AND done_at IS NULL ORDER BY due_on, id",
    )?;
    let rows = stmt
        .query_map([id], |r| {
            Ok(FollowupLine {
                id: r.get(0)?,
                due_on: r
                    .get::<_, String>(1)
                    .map(|s| parse_day(&s).unwrap_or_default())?,
                action: r.get(2)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

fn signals(conn: &Connection, id: i64) -> Result<Vec<SignalReading>> {
    let mut stmt = conn.prepare_cached(
        "SELECT kind, value, note, observed_at FROM signals WHERE account_id = ?1
         ORDER BY observed_at DESC, id DESC LIMIT 60",
    )?;
    let rows = stmt
        .query_map([id], |r| {
            Ok(SignalReading {
                kind: parse_name(&r.get::<_, String>(0)?)?,
                value: r.get(1)?,
                note: r.get(2)?,
                observed_at: ts(r.get(3)?).unwrap_or_default(),
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}
