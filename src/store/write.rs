//! Writes, always inside one transaction (`Store::write`).

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::{day, timestamp};
use crate::domain::model::{
    CallType, Intervention, Pulse, Role, Segment, Sentiment, SignalKind, Strength, TouchKind,
    TouchStatus,
};
use crate::error::Result;

/// The inserts the import also runs, on statements it holds for a whole load.
pub(super) const INSERT_ACCOUNT: &str = "INSERT INTO accounts (id, name, segment, tier,
    industry, contract_value, renewal_date, owner_csm_id, parent_id, created_at)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
pub(super) const INSERT_PERSONA: &str = "INSERT INTO personas (id, account_id, name, title,
    email, role, reports_to_id, strength, sentiment, created_at)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
pub(super) const INSERT_PERSONA_CHANGE: &str = "INSERT INTO persona_changes (id, persona_id,
    changed_at, strength, sentiment, reason, touch_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

/// An open write transaction, with this file's id origin.
pub struct Tx<'a> {
    conn: &'a Connection,
    origin: i64,
    /// The last id handed out per table in this transaction (see `next_id`).
    next_ids: std::cell::RefCell<Vec<(&'static str, i64)>>,
}

pub struct NewCsm<'a> {
    pub name: &'a str,
    pub email: Option<&'a str>,
    pub region: Option<&'a str>,
    pub team_lead_id: Option<i64>,
    pub is_team_lead: bool,
    /// The CSM who owns this file.
    pub is_me: bool,
}

pub struct NewAccount<'a> {
    pub name: &'a str,
    pub segment: Segment,
    pub tier: u8,
    pub industry: Option<&'a str>,
    pub contract_value_cents: i64,
    pub renewal_date: Option<NaiveDate>,
    pub owner_csm_id: Option<i64>,
    pub parent_id: Option<i64>,
    pub created_at: DateTime<Utc>,
}

pub struct NewPersona<'a> {
    pub account_id: i64,
    pub name: &'a str,
    pub title: Option<&'a str>,
    pub email: Option<&'a str>,
    pub role: Role,
    pub reports_to_id: Option<i64>,
    pub strength: Strength,
    pub sentiment: Sentiment,
    pub created_at: DateTime<Utc>,
}

pub struct NewTouch<'a> {
    pub account_id: i64,
    pub csm_id: Option<i64>,
    pub kind: TouchKind,
    pub call_type: Option<CallType>,
    pub status: TouchStatus,
    pub occurred_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub summary: Option<&'a str>,
    pub notes: Option<&'a str>,
    pub sentiment: Option<Pulse>,
    pub intervention: Option<Intervention>,
    pub followup_on: Option<NaiveDate>,
    pub no_followup: bool,
    pub outcome: Option<&'a str>,
    pub csat: Option<u8>,
    pub escalated: bool,
    pub participants: &'a [i64],
}

impl<'a> NewTouch<'a> {
    /// A finished touch with nothing tagged yet; set the fields that apply on top.
    pub fn new(account_id: i64, kind: TouchKind, occurred_at: DateTime<Utc>) -> NewTouch<'a> {
        NewTouch {
            account_id,
            csm_id: None,
            kind,
            call_type: None,
            status: TouchStatus::Done,
            occurred_at,
            ended_at: None,
            summary: None,
            notes: None,
            sentiment: None,
            intervention: None,
            followup_on: None,
            no_followup: false,
            outcome: None,
            csat: None,
            escalated: false,
            participants: &[],
        }
    }
}

pub struct NewFollowup<'a> {
    pub account_id: i64,
    pub touch_id: Option<i64>,
    pub persona_id: Option<i64>,
    pub due_on: NaiveDate,
    pub action: &'a str,
    pub created_at: DateTime<Utc>,
    pub done_at: Option<DateTime<Utc>>,
}

impl<'a> Tx<'a> {
    pub(crate) fn new(conn: &'a Connection, origin: i64) -> Tx<'a> {
        Tx {
            conn,
            origin,
            next_ids: Default::default(),
        }
    }

    pub fn conn(&self) -> &Connection {
        self.conn
    }

    /// The next id of `table` in this file's range (origin in the high 32 bits).
    ///
    /// The range's max() is read once per table and transaction, then counted up: the
    /// transaction holds the write lock, and only this API creates ids in the range.
    /// (Bulk loads such as `attuned demo` spend a tenth of their time on the max()
    /// otherwise.)
    pub(crate) fn next_id(&self, table: &'static str) -> Result<i64> {
        let mut cache = self.next_ids.borrow_mut();
        if let Some(entry) = cache.iter_mut().find(|(t, _)| *t == table) {
            entry.1 += 1;
            return Ok(entry.1);
        }
        let id = self.read_next_id(table)?;
        cache.push((table, id));
        Ok(id)
    }

    fn read_next_id(&self, table: &str) -> Result<i64> {
        let low = self.origin << 32;
        let high = low | 0xffff_ffff;
        let sql = format!("SELECT max(id) FROM {table} WHERE id BETWEEN ?1 AND ?2");
        let max: Option<i64> = self
            .conn
            .prepare_cached(&sql)?
            .query_row([low, high], |r| r.get(0))?;
        Ok(max.map_or(low + 1, |m| m + 1))
    }

    pub fn insert_csm(&self, c: &NewCsm<'_>, now: DateTime<Utc>) -> Result<i64> {
        let id = self.next_id("csms")?;
        self.conn
            .prepare_cached(
                "INSERT INTO csms (id, name, email, region, team_lead_id, is_team_lead, is_me, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                id,
                c.name,
                c.email,
                c.region,
                c.team_lead_id,
                c.is_team_lead,
                c.is_me,
                timestamp(now)
            ])?;
        Ok(id)
    }

    pub fn insert_account(&self, a: &NewAccount<'_>) -> Result<i64> {
        let id = self.next_id("accounts")?;
        self.conn.prepare_cached(INSERT_ACCOUNT)?.execute(params![
            id,
            a.name,
            a.segment.as_str(),
            a.tier,
            a.industry,
            a.contract_value_cents,
            a.renewal_date.map(day),
            a.owner_csm_id,
            a.parent_id,
            timestamp(a.created_at)
        ])?;
        Ok(id)
    }

    pub fn add_external_id(
        &self,
        entity: &str,
        local_id: i64,
        system: &str,
        external_id: &str,
    ) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT OR REPLACE INTO external_ids (entity, local_id, system, external_id)
                 VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![entity, local_id, system, external_id])?;
        Ok(())
    }

    /// Adds a persona. Its starting strength and sentiment are its history until they
    /// first change: only then is the opening entry written (see `open_history`), so a
    /// large import writes one row per contact instead of two.
    pub fn insert_persona(&self, p: &NewPersona<'_>) -> Result<i64> {
        let id = self.next_id("personas")?;
        self.conn.prepare_cached(INSERT_PERSONA)?.execute(params![
            id,
            p.account_id,
            p.name,
            p.title,
            p.email,
            p.role.as_str(),
            p.reports_to_id,
            p.strength.as_str(),
            p.sentiment.as_str(),
            timestamp(p.created_at)
        ])?;
        Ok(id)
    }

    /// Changes a persona's strength and sentiment and keeps the change in its history.
    pub fn set_persona_tie(
        &self,
        persona_id: i64,
        strength: Strength,
        sentiment: Sentiment,
        at: DateTime<Utc>,
        reason: Option<&str>,
        touch_id: Option<i64>,
    ) -> Result<()> {
        self.open_history(persona_id, None)?;
        self.conn
            .prepare_cached("UPDATE personas SET strength = ?2, sentiment = ?3 WHERE id = ?1")?
            .execute(params![persona_id, strength.as_str(), sentiment.as_str()])?;
        self.record_persona_change(persona_id, strength, sentiment, at, reason, touch_id)
    }

    /// Writes a persona's opening history entry (its strength and sentiment since it was
    /// added, with `reason`) unless it has one; returns whether it wrote it.
    pub(crate) fn open_history(&self, persona_id: i64, reason: Option<&str>) -> Result<bool> {
        let has_history: bool = self
            .conn
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM persona_changes WHERE persona_id = ?1)")?
            .query_row([persona_id], |r| r.get(0))?;
        if has_history {
            return Ok(false);
        }
        let id = self.next_id("persona_changes")?;
        let n = self
            .conn
            .prepare_cached(
                "INSERT INTO persona_changes (id, persona_id, changed_at, strength, sentiment, reason)
                 SELECT ?1, id, created_at, strength, sentiment, ?3 FROM personas WHERE id = ?2",
            )?
            .execute(params![id, persona_id, reason])?;
        Ok(n > 0)
    }

    fn record_persona_change(
        &self,
        persona_id: i64,
        strength: Strength,
        sentiment: Sentiment,
        at: DateTime<Utc>,
        reason: Option<&str>,
        touch_id: Option<i64>,
    ) -> Result<()> {
        let id = self.next_id("persona_changes")?;
        self.conn
            .prepare_cached(INSERT_PERSONA_CHANGE)?
            .execute(params![
                id,
                persona_id,
                timestamp(at),
                strength.as_str(),
                sentiment.as_str(),
                reason,
                touch_id
            ])?;
        Ok(())
    }

    /// Records a CSM sentiment (Red/Yellow/Green) for an account.
    pub fn set_pulse(
        &self,
        account_id: i64,
        pulse: Pulse,
        reason: Option<&str>,
        at: DateTime<Utc>,
        csm_id: Option<i64>,
        touch_id: Option<i64>,
    ) -> Result<i64> {
        let id = self.next_id("pulse_history")?;
        self.conn
            .prepare_cached(
                "INSERT INTO pulse_history (id, account_id, pulse, reason, set_at, csm_id, touch_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                id,
                account_id,
                pulse.as_str(),
                reason,
                timestamp(at),
                csm_id,
                touch_id
            ])?;
        Ok(id)
    }

    /// Adds a touch with its participants, whose last contact moves up to it.
    pub fn insert_touch(&self, t: &NewTouch<'_>) -> Result<i64> {
        let id = self.next_id("touches")?;
        let at = timestamp(t.occurred_at);
        self.conn
            .prepare_cached(
                "INSERT INTO touches (id, account_id, csm_id, kind, call_type, status, occurred_at,
                     ended_at, summary, notes, sentiment, intervention, followup_on, no_followup,
                     outcome, csat, escalated, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                     ?17, ?7, ?7)",
            )?
            .execute(params![
                id,
                t.account_id,
                t.csm_id,
                t.kind.as_str(),
                t.call_type.map(CallType::as_str),
                t.status.as_str(),
                at,
                t.ended_at.map(timestamp),
                t.summary,
                t.notes,
                t.sentiment.map(Pulse::as_str),
                t.intervention.map(Intervention::as_str),
                t.followup_on.map(day),
                t.no_followup,
                t.outcome,
                t.csat,
                t.escalated
            ])?;
        let mut add = self.conn.prepare_cached(
            "INSERT OR IGNORE INTO touch_participants (touch_id, persona_id) VALUES (?1, ?2)",
        )?;
        let mut contact = self.conn.prepare_cached(
            "UPDATE personas SET last_contact_at = ?2
             WHERE id = ?1 AND (last_contact_at IS NULL OR last_contact_at < ?2)",
        )?;
        for persona in t.participants {
            add.execute(params![id, persona])?;
            contact.execute(params![persona, at])?;
        }
        Ok(id)
    }

    /// Records the note and timing of one checklist step of a call.
    pub fn upsert_step(
        &self,
        touch_id: i64,
        step: u8,
        started_at: Option<DateTime<Utc>>,
        elapsed_ms: i64,
        note: &str,
        skipped_reason: Option<&str>,
    ) -> Result<()> {
        let existing: Option<i64> = self
            .conn
            .prepare_cached("SELECT id FROM touch_steps WHERE touch_id = ?1 AND step = ?2")?
            .query_row(params![touch_id, step], |r| r.get(0))
            .optional()?;
        let id = match existing {
            Some(id) => id,
            None => self.next_id("touch_steps")?,
        };
        self.conn
            .prepare_cached(
                "INSERT INTO touch_steps (id, touch_id, step, started_at, elapsed_ms, note, skipped_reason)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (touch_id, step) DO UPDATE SET
                     started_at = coalesce(touch_steps.started_at, excluded.started_at),
                     elapsed_ms = excluded.elapsed_ms,
                     note = excluded.note,
                     skipped_reason = excluded.skipped_reason",
            )?
            .execute(params![
                id,
                touch_id,
                step,
                started_at.map(timestamp),
                elapsed_ms,
                note,
                skipped_reason
            ])?;
        Ok(())
    }

    /// Records a prompt shown on a step of a call, and whether the CSM used it.
    pub fn insert_prompt(
        &self,
        touch_id: i64,
        step: u8,
        key: &str,
        shown_at: DateTime<Utc>,
        used: bool,
    ) -> Result<()> {
        let id = self.next_id("touch_prompts")?;
        self.conn
            .prepare_cached(
                "INSERT INTO touch_prompts (id, touch_id, step, prompt_key, shown_at, used)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![id, touch_id, step, key, timestamp(shown_at), used])?;
        Ok(())
    }

    /// Archives an account (a former customer): it leaves the portfolio, its history stays.
    pub fn archive_account(&self, account_id: i64, at: DateTime<Utc>) -> Result<()> {
        self.conn
            .prepare_cached(
                "UPDATE accounts SET archived_at = ?2 WHERE id = ?1 AND archived_at IS NULL",
            )?
            .execute(params![account_id, timestamp(at)])?;
        Ok(())
    }

    pub fn insert_followup(&self, f: &NewFollowup<'_>) -> Result<i64> {
        let id = self.next_id("followups")?;
        self.conn
            .prepare_cached(
                "INSERT INTO followups (id, account_id, touch_id, persona_id, due_on, action, created_at, done_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                id,
                f.account_id,
                f.touch_id,
                f.persona_id,
                day(f.due_on),
                f.action,
                timestamp(f.created_at),
                f.done_at.map(timestamp)
            ])?;
        Ok(id)
    }

    pub fn insert_signal(
        &self,
        account_id: i64,
        kind: SignalKind,
        value: f64,
        note: Option<&str>,
        observed_at: DateTime<Utc>,
    ) -> Result<i64> {
        let id = self.next_id("signals")?;
        self.conn
            .prepare_cached(
                "INSERT INTO signals (id, account_id, kind, value, note, observed_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                id,
                account_id,
                kind.as_str(),
                value,
                note,
                timestamp(observed_at)
            ])?;
        Ok(id)
    }

    /// Records a fact about the file itself (e.g. that it holds a demo portfolio).
    pub fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.conn
            .prepare_cached("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)")?
            .execute([key, value])?;
        Ok(())
    }

    /// The CSM who owns this file, if one is recorded.
    pub fn my_csm_id(&self) -> Result<Option<i64>> {
        let id = self
            .conn
            .prepare_cached("SELECT id FROM csms WHERE is_me = 1 ORDER BY id LIMIT 1")?
            .query_row([], |r| r.get(0))
            .optional()?;
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    #[test]
    fn ids_carry_the_file_origin_and_increase() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("a.db")).unwrap();
        let origin = store.origin();
        let now = Utc::now();
        let (a, b) = store
            .write(|tx| {
                let csm = NewCsm {
                    name: "Ana",
                    email: None,
                    region: None,
                    team_lead_id: None,
                    is_team_lead: false,
                    is_me: true,
                };
                Ok((tx.insert_csm(&csm, now)?, tx.insert_csm(&csm, now)?))
            })
            .unwrap();
        assert_eq!(a >> 32, origin);
        assert_eq!(b, a + 1);
    }
}
