//! Saving a touch's tags with every effect in one transaction: the touch's fields, the
//! account's CSM sentiment history, the participants' strength and sentiment history,
//! the follow-up queue and the account's derived columns. A correction of an earlier
//! touch keeps the values it replaces in `touch_revisions`.

use chrono::NaiveDate;
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::summary::{self, AsOf};
use super::write::{NewFollowup, NewTouch, Tx};
use super::{Store, day, timestamp};
use crate::domain::model::{Intervention, Pulse, Sentiment, Strength, TouchKind};
use crate::domain::text::clean_text;
use crate::error::{Error, Result};

/// The tags of one touch, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub sentiment: Pulse,
    pub intervention: Intervention,
    /// None: an explicit "no follow-up".
    pub followup_on: Option<NaiveDate>,
    pub followup_action: String,
    pub outcome: String,
    pub notes: String,
    pub csat: Option<u8>,
    pub escalated: bool,
}

/// A participant's strength and sentiment as the wrap-up leaves them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tie {
    pub persona_id: i64,
    pub strength: Strength,
    pub sentiment: Sentiment,
}

/// Which touch the tags go onto.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A call that just ended (it then waits for its retrospective).
    Call(i64),
    /// A new touch without the checklist: email, meeting, QBR, note.
    Log {
        account_id: i64,
        kind: TouchKind,
        participants: Vec<i64>,
    },
    /// A correction of a touch tagged earlier.
    Correct(i64),
}

/// The fields a correction may change, as kept in `touch_revisions.previous`.
#[derive(Debug, Clone, Serialize, PartialEq)]
struct Previous {
    sentiment: Option<String>,
    intervention: Option<String>,
    followup_on: Option<String>,
    no_followup: bool,
    outcome: Option<String>,
    notes: Option<String>,
    csat: Option<i64>,
    escalated: bool,
    followup_action: Option<String>,
}

const DEFAULT_ACTION: &str = "Follow up";

/// Where the wrap-up form keeps what is typed but not yet saved (one form at a time).
const DRAFT_KEY: &str = "wrapup_draft";

/// Saves `tag` (and the participants' `ties`) onto `target`; returns the touch id. The
/// form's draft goes in the same transaction: saved tags never come back as a draft.
pub fn save(store: &mut Store, target: &Target, tag: &Tag, ties: &[Tie], at: &AsOf) -> Result<i64> {
    store.write(|tx| {
        let id = save_in(tx, target, tag, ties, at)?;
        clear_draft(tx)?;
        Ok(id)
    })
}

/// Keeps the wrap-up form's state (JSON) as it is typed, so a crash or a closed terminal
/// loses nothing.
pub fn save_draft(store: &mut Store, json: &str) -> Result<()> {
    store.write(|tx| tx.set_meta(DRAFT_KEY, json))
}

/// The unsaved wrap-up form a previous run left, if any.
pub fn draft(store: &Store) -> Result<Option<String>> {
    store.meta(DRAFT_KEY)
}

/// Forgets the draft (the CSM cancelled the form).
pub fn discard_draft(store: &mut Store) -> Result<()> {
    store.write(clear_draft)
}

/// Forgets the wrap-up draft of one call (the call was discarded). The form's `Mode`
/// is kept as `{"mode":{"Call":<touch id>}}` (serde's tagging of `ui::wrapup::Mode`); a
/// draft that is not JSON is left alone rather than failing the discard.
pub(super) fn clear_call_draft(tx: &Tx<'_>, touch_id: i64) -> Result<()> {
    tx.conn()
        .prepare_cached(
            "DELETE FROM meta WHERE key = ?1
               AND CASE WHEN json_valid(value) THEN json_extract(value, '$.mode.Call') END = ?2",
        )?
        .execute(params![DRAFT_KEY, touch_id])?;
    Ok(())
}

fn clear_draft(tx: &Tx<'_>) -> Result<()> {
    tx.conn()
        .prepare_cached("DELETE FROM meta WHERE key = ?1")?
        .execute([DRAFT_KEY])?;
    Ok(())
}

fn save_in(tx: &Tx<'_>, target: &Target, tag: &Tag, ties: &[Tie], at: &AsOf) -> Result<i64> {
    let conn = tx.conn();
    let now = at.now;
    let opt = |s: &str| {
        let t = clean_text(s.trim()).into_owned();
        (!t.is_empty()).then_some(t)
    };
    let outcome = opt(&tag.outcome);
    let notes = opt(&tag.notes);
    let action = opt(&tag.followup_action).unwrap_or_else(|| DEFAULT_ACTION.to_string());
    let csm = tx.my_csm_id()?;
    let (touch_id, account_id, kind) = match target {
        Target::Log {
            account_id,
            kind,
            participants,
        } => {
            let id = tx.insert_touch(&NewTouch {
                csm_id: csm,
                participants,
                ..NewTouch::new(*account_id, *kind, now)
            })?;
            (id, *account_id, *kind)
        }
        Target::Call(id) | Target::Correct(id) => {
            let (account_id, kind): (i64, String) = conn
                .prepare_cached("SELECT account_id, kind FROM touches WHERE id = ?1")?
                .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?
                .ok_or(Error::NoSuch {
                    what: "touch",
                    id: *id,
                })?;
            let kind = kind.parse().unwrap_or(TouchKind::Call);
            (*id, account_id, kind)
        }
    };
    let correcting = matches!(target, Target::Correct(_));
    if correcting {
        let previous = previous_of(tx, touch_id)?;
        let json = serde_json::to_string(&previous).map_err(Error::Correction)?;
        let id = tx.next_id("touch_revisions")?;
        conn.prepare_cached(
            "INSERT INTO touch_revisions (id, touch_id, revised_at, previous) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![id, touch_id, timestamp(now), json])?;
    }
    let status_sql = match target {
        // A checklist call waits for its retrospective; a correction keeps the status.
        Target::Call(_) => "'retro_pending'",
        Target::Log { .. } => "'done'",
        Target::Correct(_) => "status",
    };
    let sql = format!(
        "UPDATE touches SET status = {status_sql},
             ended_at = CASE WHEN kind = 'call' THEN coalesce(ended_at, ?2) ELSE ended_at END,
             sentiment = ?3, intervention = ?4, followup_on = ?5, no_followup = ?6,
             outcome = ?7, notes = ?8, csat = ?9, escalated = ?10, updated_at = ?2
         WHERE id = ?1"
    );
    conn.prepare_cached(&sql)?.execute(params![
        touch_id,
        timestamp(now),
        tag.sentiment.as_str(),
        tag.intervention.as_str(),
        tag.followup_on.map(day),
        tag.followup_on.is_none(),
        outcome,
        notes,
        tag.csat,
        tag.escalated,
    ])?;

    // The CSM sentiment: one history entry per touch; a correction amends its own.
    let reason = format!("tagged after {}", kind_words(kind));
    let amended = if correcting {
        conn.prepare_cached(
            "UPDATE pulse_history SET pulse = ?2 WHERE id =
                 (SELECT id FROM pulse_history WHERE touch_id = ?1 ORDER BY set_at DESC, id DESC LIMIT 1)",
        )?
        .execute(params![touch_id, tag.sentiment.as_str()])?
    } else {
        0
    };
    if amended == 0 {
        tx.set_pulse(
            account_id,
            tag.sentiment,
            Some(&reason),
            now,
            csm,
            Some(touch_id),
        )?;
    }

    // The participants' relationship history, only where something moved.
    for tie in ties {
        let current: Option<(String, String)> = conn
            .prepare_cached(
                "SELECT strength, sentiment FROM personas WHERE id = ?1 AND account_id = ?2",
            )?
            .query_row(params![tie.persona_id, account_id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        let Some((strength, sentiment)) = current else {
            continue;
        };
        if strength != tie.strength.as_str() || sentiment != tie.sentiment.as_str() {
            tx.set_persona_tie(
                tie.persona_id,
                tie.strength,
                tie.sentiment,
                now,
                Some(&reason),
                Some(touch_id),
            )?;
        }
    }

    // The follow-up queue: this touch's open follow-up follows its tags.
    let open: Option<i64> = conn
        .prepare_cached(
            "SELECT id FROM followups WHERE touch_id = ?1 AND done_at IS NULL ORDER BY id LIMIT 1",
        )?
        .query_row([touch_id], |r| r.get(0))
        .optional()?;
    match (tag.followup_on, open) {
        (Some(due), Some(id)) => {
            conn.prepare_cached("UPDATE followups SET due_on = ?2, action = ?3 WHERE id = ?1")?
                .execute(params![id, day(due), action])?;
        }
        (Some(due), None) => {
            tx.insert_followup(&NewFollowup {
                account_id,
                touch_id: Some(touch_id),
                persona_id: None,
                due_on: due,
                action: &action,
                created_at: now,
                done_at: None,
            })?;
        }
        (None, Some(_)) => {
            // "No follow-up" after all: the open one was never due.
            conn.prepare_cached("DELETE FROM followups WHERE touch_id = ?1 AND done_at IS NULL")?
                .execute([touch_id])?;
        }
        (None, None) => {}
    }
    summary::refresh_account(conn, account_id, at)?;
    Ok(touch_id)
}

fn previous_of(tx: &Tx<'_>, touch_id: i64) -> Result<Previous> {
    let conn = tx.conn();
    let mut p = conn
        .prepare_cached(
            "SELECT sentiment, intervention, followup_on, no_followup, outcome, notes, csat, escalated
             FROM touches WHERE id = ?1",
        )?
        .query_row([touch_id], |r| {
            Ok(Previous {
                sentiment: r.get(0)?,
                intervention: r.get(1)?,
                followup_on: r.get(2)?,
                no_followup: r.get(3)?,
                outcome: r.get(4)?,
                notes: r.get(5)?,
                csat: r.get(6)?,
                escalated: r.get(7)?,
                followup_action: None,
            })
        })?;
    p.followup_action = conn
        .prepare_cached(
            "SELECT action FROM followups WHERE touch_id = ?1 ORDER BY id DESC LIMIT 1",
        )?
        .query_row([touch_id], |r| r.get(0))
        .optional()?;
    Ok(p)
}

fn kind_words(kind: TouchKind) -> &'static str {
    match kind {
        TouchKind::Call => "a call",
        TouchKind::Meeting => "a meeting",
        TouchKind::Email => "an email",
        TouchKind::Qbr => "a QBR",
        TouchKind::Note => "a note",
    }
}

/// A touch's tags as they stand, to prefill a correction.
#[derive(Debug, Clone)]
pub struct Tagged {
    pub touch_id: i64,
    pub account_id: i64,
    pub kind: TouchKind,
    pub sentiment: Option<Pulse>,
    pub intervention: Option<Intervention>,
    pub followup_on: Option<NaiveDate>,
    pub no_followup: bool,
    pub followup_action: Option<String>,
    pub outcome: String,
    pub notes: String,
    pub csat: Option<u8>,
    pub escalated: bool,
    pub participants: Vec<i64>,
    pub revisions: i64,
}

pub fn tagged(conn: &rusqlite::Connection, touch_id: i64) -> Result<Tagged> {
    let mut t = conn
        .prepare_cached(
            "SELECT account_id, kind, sentiment, intervention, followup_on, no_followup,
                    outcome, notes, csat, escalated
             FROM touches WHERE id = ?1",
        )?
        .query_row([touch_id], |r| {
            Ok(Tagged {
                touch_id,
                account_id: r.get(0)?,
                kind: r.get::<_, String>(1)?.parse().unwrap_or(TouchKind::Note),
                sentiment: parsed(r.get(2)?),
                intervention: parsed(r.get(3)?),
                followup_on: r
                    .get::<_, Option<String>>(4)?
                    .as_deref()
                    .and_then(super::parse_day),
                no_followup: r.get(5)?,
                followup_action: None,
                outcome: r.get::<_, Option<String>>(6)?.unwrap_or_default(),
                notes: r.get::<_, Option<String>>(7)?.unwrap_or_default(),
                csat: r.get(8)?,
                escalated: r.get(9)?,
                participants: Vec::new(),
                revisions: 0,
            })
        })?;
    t.followup_action = conn
        .prepare_cached(
            "SELECT action FROM followups WHERE touch_id = ?1 ORDER BY id DESC LIMIT 1",
        )?
        .query_row([touch_id], |r| r.get(0))
        .optional()?;
    let mut stmt = conn.prepare_cached(
        "SELECT persona_id FROM touch_participants WHERE touch_id = ?1 ORDER BY persona_id",
    )?;
    t.participants = stmt
        .query_map([touch_id], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<i64>>>()?;
    t.revisions = conn
        .prepare_cached("SELECT count(*) FROM touch_revisions WHERE touch_id = ?1")?
        .query_row([touch_id], |r| r.get(0))?;
    Ok(t)
}

fn parsed<T: std::str::FromStr>(s: Option<String>) -> Option<T> {
    s.and_then(|s| s.parse().ok())
}
