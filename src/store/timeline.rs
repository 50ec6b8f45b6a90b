//! The account workspace's timeline: touches page by page (keyset on occurred_at, id)
//! and one touch in full.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::{parse_day, parse_name, parse_timestamp, timestamp};
use crate::domain::model::{CallType, Intervention, Pulse, TouchKind, TouchStatus};
use crate::error::{Error, Result};

/// One line of the timeline.
#[derive(Debug, Clone)]
pub struct TouchLine {
    pub id: i64,
    pub kind: TouchKind,
    pub call_type: Option<CallType>,
    pub status: TouchStatus,
    pub occurred_at: DateTime<Utc>,
    pub participants: Vec<String>,
    pub sentiment: Option<Pulse>,
    pub intervention: Option<Intervention>,
    pub followup_on: Option<NaiveDate>,
    pub summary: Option<String>,
    /// The first line of the touch's notes, if it has any.
    pub notes_first_line: Option<String>,
}

/// Touches older than `after` (the last one shown; None for the newest), newest first,
/// at most `limit`.
pub fn touches_after(
    conn: &Connection,
    account_id: i64,
    after: Option<(DateTime<Utc>, i64)>,
    limit: usize,
) -> Result<Vec<TouchLine>> {
    // With no cursor, start past the newest possible touch.
    let (at, id) = after.map_or(("9999".to_string(), i64::MAX), |(t, id)| (timestamp(t), id));
    let mut stmt = conn.prepare_cached(
        "SELECT t.id, t.kind, t.call_type, t.status, t.occurred_at, t.sentiment, t.intervention,
                t.followup_on, t.summary,
                (SELECT group_concat(p.name, ', ') FROM touch_participants tp
                 JOIN personas p ON p.id = tp.persona_id WHERE tp.touch_id = t.id),
                nullif(substr(t.notes, 1, instr(t.notes || char(10), char(10)) - 1), '')
         FROM touches t
         WHERE t.account_id = ?1 AND (t.occurred_at < ?2 OR (t.occurred_at = ?2 AND t.id < ?3))
         ORDER BY t.occurred_at DESC, t.id DESC LIMIT ?4",
    )?;
    let opt = |v: Option<String>| v.filter(|s| !s.is_empty());
    let rows = stmt
        .query_map(params![account_id, at, id, limit as i64], |r| {
            Ok(TouchLine {
                id: r.get(0)?,
                kind: parse_name(&r.get::<_, String>(1)?)?,
                call_type: opt(r.get(2)?).as_deref().map(parse_name).transpose()?,
                status: parse_name(&r.get::<_, String>(3)?)?,
                occurred_at: r
                    .get::<_, String>(4)
                    .map(|s| parse_timestamp(&s).unwrap_or_default())?,
                sentiment: opt(r.get(5)?).as_deref().map(parse_name).transpose()?,
                intervention: opt(r.get(6)?).as_deref().map(parse_name).transpose()?,
                followup_on: r
                    .get::<_, Option<String>>(7)?
                    .as_deref()
                    .and_then(parse_day),
                summary: r.get(8)?,
                participants: r
                    .get::<_, Option<String>>(9)?
                    .map(|s| s.split(", ").map(str::to_string).collect())
                    .unwrap_or_default(),
                notes_first_line: r.get(10)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// A touch in full: every tag, the notes, each checklist step and the retrospective.
#[derive(Debug, Clone, PartialEq)]
pub struct TouchDetail {
    pub id: i64,
    pub kind: TouchKind,
    pub call_type: Option<CallType>,
    pub status: TouchStatus,
    pub occurred_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub participants: Vec<String>,
    pub summary: Option<String>,
    pub notes: Option<String>,
    pub sentiment: Option<Pulse>,
    pub intervention: Option<Intervention>,
    pub followup_on: Option<NaiveDate>,
    pub no_followup: bool,
    pub outcome: Option<String>,
    pub csat: Option<u8>,
    pub escalated: bool,
    pub retro_worked: Option<String>,
    pub retro_failed: Option<String>,
    pub steps: Vec<StepNote>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StepNote {
    pub step: u8,
    pub elapsed_ms: i64,
    pub skipped_reason: Option<String>,
    pub note: String,
}

pub fn touch(conn: &Connection, touch_id: i64) -> Result<TouchDetail> {
    let opt = |v: Option<String>| v.filter(|s| !s.is_empty());
    let ts = |v: Option<String>| v.as_deref().and_then(parse_timestamp);
    let mut detail = conn
        .prepare_cached(
            "SELECT id, kind, call_type, status, occurred_at, ended_at, summary, notes, sentiment,
                    intervention, followup_on, no_followup, outcome, csat, escalated,
                    retro_worked, retro_failed
             FROM touches WHERE id = ?1",
        )?
        .query_row([touch_id], |r| {
            Ok(TouchDetail {
                id: r.get(0)?,
                kind: parse_name(&r.get::<_, String>(1)?)?,
                call_type: opt(r.get(2)?).as_deref().map(parse_name).transpose()?,
                status: parse_name(&r.get::<_, String>(3)?)?,
                occurred_at: ts(r.get(4)?).unwrap_or_default(),
                ended_at: ts(r.get(5)?),
                participants: Vec::new(),
                summary: r.get(6)?,
                notes: r.get(7)?,
                sentiment: opt(r.get(8)?).as_deref().map(parse_name).transpose()?,
                intervention: opt(r.get(9)?).as_deref().map(parse_name).transpose()?,
                followup_on: r
                    .get::<_, Option<String>>(10)?
                    .as_deref()
                    .and_then(parse_day),
                no_followup: r.get(11)?,
                outcome: r.get(12)?,
                csat: r.get(13)?,
                escalated: r.get(14)?,
                retro_worked: r.get(15)?,
                retro_failed: r.get(16)?,
                steps: Vec::new(),
            })
        })
        .optional()?
        .ok_or(Error::NoSuch {
            what: "touch",
            id: touch_id,
        })?;
    detail.participants = conn
        .prepare_cached(
            "SELECT p.name FROM touch_participants tp JOIN personas p ON p.id = tp.persona_id
             WHERE tp.touch_id = ?1 ORDER BY p.name",
        )?
        .query_map([touch_id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    detail.steps = conn
        .prepare_cached(
            "SELECT step, elapsed_ms, skipped_reason, note FROM touch_steps
             WHERE touch_id = ?1 ORDER BY step",
        )?
        .query_map([touch_id], |r| {
            Ok(StepNote {
                step: r.get(0)?,
                elapsed_ms: r.get(1)?,
                skipped_reason: r.get(2)?,
                note: r.get(3)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(detail)
}
