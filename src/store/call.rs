//! Every SQL statement of a live call: starting it, saving its steps and notes as they
//! happen, finding an interrupted one, tagging it, the prompts it showed, and its
//! retrospective. Each write is one transaction (`Store::write`).
//!
//! Where a call stands is kept in `touch_steps`: the current step is the one that has
//! started and not ended; a call whose touch has an `ended_at` but is still
//! `in_progress` was ended and awaits its tags.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::summary::{self, AsOf};
use super::write::{NewFollowup, NewTouch, Tx};
use super::{Store, day, parse_day, parse_name, parse_timestamp, timestamp};
use crate::domain::model::{CallType, Intervention, Pulse, TouchKind, TouchStatus};
use crate::domain::text::clean_text;
use crate::error::Result;

/// What a CSM chose to start a call with.
pub struct NewCall<'a> {
    pub account_id: i64,
    pub call_type: CallType,
    pub participants: &'a [i64],
    pub at: DateTime<Utc>,
}

/// One step as saved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StepRecord {
    pub step: u8,
    pub started: bool,
    pub elapsed_ms: i64,
    pub note: String,
    pub skipped_reason: Option<String>,
}

/// A call read back from the file.
#[derive(Debug, Clone)]
pub struct SavedCall {
    pub touch_id: i64,
    pub account_id: i64,
    pub account_name: String,
    pub call_type: Option<CallType>,
    pub occurred_at: DateTime<Utc>,
    pub ended: bool,
    /// The step that had started and not ended; 1 if none.
    pub current: u8,
    /// Always six, steps 1..=6 in order.
    pub steps: Vec<StepRecord>,
    pub participants: Vec<i64>,
    /// The last moment anything of this call was saved.
    pub last_saved: Option<DateTime<Utc>>,
    /// Tags chosen before they were saved (step 5 in progress).
    pub draft_sentiment: Option<Pulse>,
    pub draft_intervention: Option<Intervention>,
    pub draft_followup: Option<NaiveDate>,
}

/// The tags of step 5.
#[derive(Debug, Clone)]
pub struct CallTags<'a> {
    pub sentiment: Pulse,
    pub intervention: Intervention,
    pub followup_on: Option<NaiveDate>,
    /// The proposed fix of step 4: the follow-up's action.
    pub proposed_fix: &'a str,
}

/// A call that ended and awaits its retrospective.
#[derive(Debug, Clone)]
pub struct PendingRetro {
    pub touch_id: i64,
    pub account_name: String,
    pub call_type: Option<CallType>,
    pub occurred_at: DateTime<Utc>,
    pub sentiment: Option<Pulse>,
}

/// A prompt shown during a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownPrompt {
    pub step: u8,
    pub key: String,
    pub used: bool,
}

/// Starts a call: the touch (in progress), its participants and step 1 running.
///
/// The call is a touch from its first second (the CSM is talking to the customer), so
/// the account's summary (last touch, coverage, risk) counts it in the same transaction,
/// as `check` and the CSM's totals do, whether the call is later tagged, kept for later
/// or interrupted.
pub fn start(store: &mut Store, call: &NewCall<'_>) -> Result<i64> {
    let at = AsOf::at(call.at);
    store.write(|tx| {
        let csm = tx.my_csm_id()?;
        let touch_id = tx.insert_touch(&NewTouch {
            csm_id: csm,
            call_type: Some(call.call_type),
            status: TouchStatus::InProgress,
            participants: call.participants,
            ..NewTouch::new(call.account_id, TouchKind::Call, call.at)
        })?;
        for step in 1..=6u8 {
            insert_step(tx, touch_id, step)?;
        }
        enter_step(tx.conn(), touch_id, 1, call.at)?;
        summary::refresh_account(tx.conn(), call.account_id, &at)?;
        Ok(touch_id)
    })
}

fn insert_step(tx: &Tx<'_>, touch_id: i64, step: u8) -> Result<()> {
    let id = tx.next_id("touch_steps")?;
    tx.conn()
        .prepare_cached(
            "INSERT OR IGNORE INTO touch_steps (id, touch_id, step) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![id, touch_id, step])?;
    Ok(())
}

fn enter_step(conn: &Connection, touch_id: i64, step: u8, at: DateTime<Utc>) -> Result<()> {
    let at = timestamp(at);
    conn.prepare_cached(
        "UPDATE touch_steps SET ended_at = ?3
         WHERE touch_id = ?1 AND step <> ?2 AND started_at IS NOT NULL AND ended_at IS NULL",
    )?
    .execute(params![touch_id, step, at])?;
    conn.prepare_cached(
        "UPDATE touch_steps SET started_at = coalesce(started_at, ?3), ended_at = NULL
         WHERE touch_id = ?1 AND step = ?2",
    )?
    .execute(params![touch_id, step, at])?;
    Ok(())
}

/// Saves the note typed so far on one step (called as it is typed).
pub fn save_note(
    store: &mut Store,
    touch_id: i64,
    step: u8,
    note: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    store.write(|tx| {
        tx.conn()
            .prepare_cached(
                "UPDATE touch_steps SET note = ?3, note_saved_at = ?4
                 WHERE touch_id = ?1 AND step = ?2 AND note <> ?3",
            )?
            .execute(params![touch_id, step, clean_text(note), timestamp(at)])?;
        Ok(())
    })
}

/// Saves where the call stands: every step's time and skip, and the current step.
pub fn save_progress(
    store: &mut Store,
    touch_id: i64,
    current: u8,
    steps: &[StepRecord],
    at: DateTime<Utc>,
) -> Result<()> {
    store.write(|tx| {
        let mut update = tx.conn().prepare_cached(
            "UPDATE touch_steps SET elapsed_ms = ?3, skipped_reason = ?4
             WHERE touch_id = ?1 AND step = ?2
               AND (elapsed_ms <> ?3 OR skipped_reason IS NOT ?4)",
        )?;
        for s in steps {
            update.execute(params![touch_id, s.step, s.elapsed_ms, s.skipped_reason])?;
        }
        enter_step(tx.conn(), touch_id, current, at)?;
        Ok(())
    })
}

/// Keeps the tags as they are picked, so a crash during tagging loses none of them.
pub fn save_draft_tags(
    store: &mut Store,
    touch_id: i64,
    sentiment: Option<Pulse>,
    intervention: Intervention,
    followup_on: Option<NaiveDate>,
) -> Result<()> {
    store.write(|tx| {
        tx.conn()
            .prepare_cached(
                "UPDATE touches SET sentiment = ?2, intervention = ?3, followup_on = ?4
                 WHERE id = ?1 AND status = 'in_progress'",
            )?
            .execute(params![
                touch_id,
                sentiment.map(Pulse::as_str),
                intervention.as_str(),
                followup_on.map(day)
            ])?;
        Ok(())
    })
}

/// Marks the conversation over (`x`); the touch stays in progress until it is tagged.
pub fn mark_ended(store: &mut Store, touch_id: i64, at: DateTime<Utc>) -> Result<()> {
    store.write(|tx| {
        tx.conn()
            .prepare_cached(
                "UPDATE touches SET ended_at = ?2, updated_at = ?2 WHERE id = ?1 AND ended_at IS NULL",
            )?
            .execute(params![touch_id, timestamp(at)])?;
        Ok(())
    })
}

/// Step 5: tags the call, records the sentiment and the follow-up, and leaves the
/// touch waiting for its retrospective.
pub fn tag(
    store: &mut Store,
    touch_id: i64,
    tags: &CallTags<'_>,
    clock: &dyn crate::domain::Clock,
) -> Result<()> {
    let now = clock.now();
    let at = AsOf::new(clock);
    store.write(|tx| {
        let conn = tx.conn();
        let account_id: i64 = conn.query_row(
            "SELECT account_id FROM touches WHERE id = ?1",
            [touch_id],
            |r| r.get(0),
        )?;
        let fix = clean_text(tags.proposed_fix.trim());
        let fix = fix.as_ref();
        conn.prepare_cached(
            "UPDATE touches SET status = 'retro_pending', ended_at = coalesce(ended_at, ?2),
                 sentiment = ?3, intervention = ?4, followup_on = ?5, no_followup = ?6,
                 escalated = ?7, outcome = coalesce(?8, outcome), updated_at = ?2
             WHERE id = ?1",
        )?
        .execute(params![
            touch_id,
            timestamp(now),
            tags.sentiment.as_str(),
            tags.intervention.as_str(),
            tags.followup_on.map(day),
            tags.followup_on.is_none(),
            tags.intervention == Intervention::Escalation,
            (!fix.is_empty()).then_some(fix),
        ])?;
        let csm = tx.my_csm_id()?;
        tx.set_pulse(
            account_id,
            tags.sentiment,
            Some("tagged after a call"),
            now,
            csm,
            Some(touch_id),
        )?;
        if let Some(due) = tags.followup_on {
            let action = if fix.is_empty() {
                "Follow up on the call"
            } else {
                fix
            };
            tx.insert_followup(&NewFollowup {
                account_id,
                touch_id: Some(touch_id),
                persona_id: None,
                due_on: due,
                action,
                created_at: now,
                done_at: None,
            })?;
        }
        summary::refresh_account(conn, account_id, &at)?;
        Ok(())
    })
}

/// Discards a call started by mistake: the touch and everything it wrote (steps and
/// notes, participants, prompts, draft tags) go in one transaction, and the account's
/// summary and the participants' last contact are recomputed without it, so the call
/// counts nowhere (KPIs, touches, timeline, last touch). Only a call still in progress
/// can go: a tagged call is a record of the conversation.
pub fn discard(store: &mut Store, touch_id: i64, clock: &dyn crate::domain::Clock) -> Result<()> {
    let at = AsOf::new(clock);
    store.write(|tx| {
        let conn = tx.conn();
        let found: Option<(i64, String)> = conn
            .query_row(
                "SELECT account_id, occurred_at FROM touches
                 WHERE id = ?1 AND kind = 'call' AND status = 'in_progress'",
                [touch_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((account_id, occurred_at)) = found else {
            return Err(crate::error::Error::NotInProgress);
        };
        let participants: Vec<i64> = conn
            .prepare_cached("SELECT persona_id FROM touch_participants WHERE touch_id = ?1")?
            .query_map([touch_id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        // Steps, participants and prompts cascade; these rows name the touch without a
        // foreign key and would outlive it.
        for sql in [
            "DELETE FROM audits WHERE touch_id = ?1",
            "DELETE FROM external_ids WHERE entity = 'touch' AND local_id = ?1",
            "DELETE FROM touches WHERE id = ?1",
        ] {
            conn.prepare_cached(sql)?.execute([touch_id])?;
        }
        // The call set these personas' last contact; give back the one before it.
        let mut contact = conn.prepare_cached(
            "UPDATE personas SET last_contact_at = (
                 SELECT max(t.occurred_at) FROM touches t
                 JOIN touch_participants tp ON tp.touch_id = t.id
                 WHERE tp.persona_id = ?1)
             WHERE id = ?1 AND last_contact_at = ?2",
        )?;
        for persona in participants {
            contact.execute(params![persona, occurred_at])?;
        }
        super::tagging::clear_call_draft(tx, touch_id)?;
        summary::refresh_account(conn, account_id, &at)?;
        Ok(())
    })
}

/// The most recent call left in progress (interrupted or never tagged), if any.
pub fn interrupted(conn: &Connection) -> Result<Option<SavedCall>> {
    let id: Option<i64> = conn
        .prepare_cached(
            // `status <> 'done'` lets SQLite use the partial index of open touches.
            "SELECT id FROM touches
             WHERE status <> 'done' AND status = 'in_progress' AND kind = 'call'
             ORDER BY occurred_at DESC, id DESC LIMIT 1",
        )?
        .query_row([], |r| r.get(0))
        .optional()?;
    match id {
        Some(id) => load(conn, id).map(Some),
        None => Ok(None),
    }
}

/// A call with its steps, notes and participants.
pub fn load(conn: &Connection, touch_id: i64) -> Result<SavedCall> {
    let (account_id, account_name, call_type, occurred_at, ended_at, updated_at): (
        i64,
        String,
        Option<String>,
        String,
        Option<String>,
        String,
    ) = conn.query_row(
        "SELECT t.account_id, a.name, t.call_type, t.occurred_at, t.ended_at, t.updated_at
         FROM touches t JOIN accounts a ON a.id = t.account_id WHERE t.id = ?1",
        [touch_id],
        |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        },
    )?;
    let mut steps: Vec<StepRecord> = (1..=6)
        .map(|step| StepRecord {
            step,
            ..StepRecord::default()
        })
        .collect();
    let mut current = 1u8;
    let mut last_saved = parse_timestamp(&updated_at);
    let mut stmt = conn.prepare_cached(
        "SELECT step, started_at, ended_at, elapsed_ms, note, skipped_reason, note_saved_at
         FROM touch_steps WHERE touch_id = ?1 ORDER BY step",
    )?;
    let mut rows = stmt.query([touch_id])?;
    while let Some(r) = rows.next()? {
        let step: u8 = r.get(0)?;
        let started: Option<String> = r.get(1)?;
        let ended: Option<String> = r.get(2)?;
        let saved: Option<String> = r.get(6)?;
        if let Some(t) = saved.as_deref().and_then(parse_timestamp) {
            last_saved = Some(last_saved.map_or(t, |l| l.max(t)));
        }
        if started.is_some() && ended.is_none() {
            current = step;
        }
        if let Some(slot) = steps.get_mut(usize::from(step).saturating_sub(1)) {
            *slot = StepRecord {
                step,
                started: started.is_some(),
                elapsed_ms: r.get(3)?,
                note: r.get(4)?,
                skipped_reason: r.get(5)?,
            };
        }
    }
    let (sentiment, intervention, followup): (Option<String>, Option<String>, Option<String>) =
        conn.query_row(
            "SELECT sentiment, intervention, followup_on FROM touches WHERE id = ?1",
            [touch_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
    let participants = conn
        .prepare_cached("SELECT persona_id FROM touch_participants WHERE touch_id = ?1")?
        .query_map([touch_id], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<i64>>>()?;
    Ok(SavedCall {
        touch_id,
        account_id,
        account_name,
        call_type: call_type.as_deref().map(parse_name).transpose()?,
        occurred_at: parse_timestamp(&occurred_at).unwrap_or_default(),
        ended: ended_at.is_some(),
        current,
        steps,
        participants,
        last_saved,
        draft_sentiment: sentiment.as_deref().map(parse_name).transpose()?,
        draft_intervention: intervention.as_deref().map(parse_name).transpose()?,
        draft_followup: followup.as_deref().and_then(parse_day),
    })
}

/// Records that a prompt was shown on a step (once per call, step and prompt).
pub fn prompt_shown(
    store: &mut Store,
    touch_id: i64,
    step: u8,
    key: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    store.write(|tx| {
        let seen: Option<i64> = tx
            .conn()
            .prepare_cached(
                "SELECT id FROM touch_prompts WHERE touch_id = ?1 AND step = ?2 AND prompt_key = ?3",
            )?
            .query_row(params![touch_id, step, key], |r| r.get(0))
            .optional()?;
        if seen.is_none() {
            tx.insert_prompt(touch_id, step, key, at, false)?;
        }
        Ok(())
    })
}

/// Marks a shown prompt as used (or not) on this call.
pub fn prompt_used(store: &mut Store, touch_id: i64, key: &str, used: bool) -> Result<()> {
    store.write(|tx| {
        tx.conn()
            .prepare_cached(
                "UPDATE touch_prompts SET used = ?3 WHERE touch_id = ?1 AND prompt_key = ?2",
            )?
            .execute(params![touch_id, key, used])?;
        Ok(())
    })
}

/// On how many other calls this prompt was used.
pub fn prompt_use_count(conn: &Connection, key: &str, except_touch: i64) -> Result<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT count(DISTINCT touch_id) FROM touch_prompts
             WHERE prompt_key = ?1 AND used = 1 AND touch_id <> ?2",
        )?
        .query_row(params![key, except_touch], |r| r.get(0))?)
}

/// The prompts shown on a call, in order.
pub fn prompts_of(conn: &Connection, touch_id: i64) -> Result<Vec<ShownPrompt>> {
    let rows = conn
        .prepare_cached(
            "SELECT step, prompt_key, used FROM touch_prompts WHERE touch_id = ?1 ORDER BY id",
        )?
        .query_map([touch_id], |r| {
            Ok(ShownPrompt {
                step: r.get(0)?,
                key: r.get(1)?,
                used: r.get(2)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Calls waiting for their retrospective, oldest first.
pub fn pending_retros(conn: &Connection, limit: usize) -> Result<Vec<PendingRetro>> {
    let rows = conn
        .prepare_cached(
            "SELECT t.id, a.name, t.call_type, t.occurred_at, t.sentiment
             FROM touches t JOIN accounts a ON a.id = t.account_id
             WHERE t.status <> 'done' AND t.status = 'retro_pending'
             ORDER BY t.occurred_at, t.id LIMIT ?1",
        )?
        .query_map([limit as i64], |r| {
            let call_type: Option<String> = r.get(2)?;
            let occurred: String = r.get(3)?;
            let sentiment: Option<String> = r.get(4)?;
            Ok(PendingRetro {
                touch_id: r.get(0)?,
                account_name: r.get(1)?,
                call_type: call_type.as_deref().map(parse_name).transpose()?,
                occurred_at: parse_timestamp(&occurred).unwrap_or_default(),
                sentiment: sentiment.as_deref().map(parse_name).transpose()?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Step 6: what worked, what failed, which prompts helped; the touch is done.
pub fn save_retro(
    store: &mut Store,
    touch_id: i64,
    worked: &str,
    failed: &str,
    helped: &[String],
    at: DateTime<Utc>,
) -> Result<()> {
    let (worked, failed) = (clean_text(worked), clean_text(failed));
    let (worked, failed) = (worked.as_ref(), failed.as_ref());
    store.write(|tx| {
        let conn = tx.conn();
        conn.prepare_cached(
            "UPDATE touches SET status = 'done', retro_worked = ?2, retro_failed = ?3,
                 retro_at = ?4, updated_at = ?4
             WHERE id = ?1",
        )?
        .execute(params![touch_id, worked, failed, timestamp(at)])?;
        let mut mark = conn.prepare_cached(
            "UPDATE touch_prompts SET used = 1 WHERE touch_id = ?1 AND prompt_key = ?2",
        )?;
        for key in helped {
            mark.execute(params![touch_id, key])?;
        }
        conn.prepare_cached(
            "UPDATE touch_steps SET
                 note = CASE WHEN note = '' THEN ?2 ELSE note || char(10) || char(10) || ?2 END,
                 note_saved_at = ?3
             WHERE touch_id = ?1 AND step = 6",
        )?
        .execute(params![
            touch_id,
            retro_note(worked, failed, helped),
            timestamp(at)
        ])?;
        Ok(())
    })
}

fn retro_note(worked: &str, failed: &str, helped: &[String]) -> String {
    let mut s = format!("Worked: {}\nFailed: {}", worked.trim(), failed.trim());
    if !helped.is_empty() {
        s.push_str(&format!("\nPrompts that helped: {}", helped.join(", ")));
    }
    s
}

/// Parses a typed or stored day, for the follow-up field.
pub fn parse_followup_day(s: &str) -> Option<NaiveDate> {
    parse_day(s.trim())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::FixedClock;
    use crate::domain::model::{Role, Segment, Sentiment, Strength};
    use crate::store::write::{NewAccount, NewPersona};
    use chrono::TimeZone;

    fn setup() -> (tempfile::TempDir, Store, i64, i64) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("c.db")).unwrap();
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap();
        let (a, p) = store
            .write(|tx| {
                let a = tx.insert_account(&NewAccount {
                    name: "Acme",
                    segment: Segment::Enterprise,
                    tier: 1,
                    industry: None,
                    contract_value_cents: 100,
                    renewal_date: None,
                    owner_csm_id: None,
                    parent_id: None,
                    created_at: now,
                })?;
                let p = tx.insert_persona(&NewPersona {
                    account_id: a,
                    name: "Dana",
                    title: None,
                    email: None,
                    role: Role::Champion,
                    reports_to_id: None,
                    strength: Strength::Okay,
                    sentiment: Sentiment::Neutral,
                    created_at: now,
                })?;
                Ok((a, p))
            })
            .unwrap();
        (dir, store, a, p)
    }

    #[test]
    fn a_call_is_saved_as_it_happens_and_found_after_a_crash() {
        let (_dir, mut store, account, persona) = setup();
        let t = Utc.with_ymd_and_hms(2026, 11, 23, 11, 0, 0).unwrap();
        let id = start(
            &mut store,
            &NewCall {
                account_id: account,
                call_type: CallType::Escalation,
                participants: &[persona],
                at: t,
            },
        )
        .unwrap();
        save_note(&mut store, id, 1, "they sound tense\nsecond line", t).unwrap();
        let mut steps: Vec<StepRecord> = (1..=6)
            .map(|step| StepRecord {
                step,
                ..Default::default()
            })
            .collect();
        steps[0].elapsed_ms = 42_000;
        steps[0].skipped_reason = None;
        save_progress(&mut store, id, 2, &steps, t).unwrap();
        steps[1].elapsed_ms = 7_000;
        save_progress(&mut store, id, 2, &steps, t).unwrap();
        prompt_shown(&mut store, id, 2, "mirror.tense", t).unwrap();
        prompt_shown(&mut store, id, 2, "mirror.tense", t).unwrap();
        prompt_used(&mut store, id, "mirror.tense", true).unwrap();
        save_draft_tags(
            &mut store,
            id,
            Some(Pulse::Red),
            Intervention::Escalation,
            NaiveDate::from_ymd_opt(2026, 11, 30),
        )
        .unwrap();
        drop(store);

        let store = Store::open(_dir.path().join("c.db").as_path()).unwrap();
        let call = interrupted(store.conn())
            .unwrap()
            .expect("an interrupted call");
        assert_eq!(call.touch_id, id);
        assert_eq!(call.current, 2);
        assert!(!call.ended);
        assert_eq!(call.call_type, Some(CallType::Escalation));
        assert_eq!(call.steps[0].note, "they sound tense\nsecond line");
        assert_eq!(call.steps[0].elapsed_ms, 42_000);
        assert_eq!(call.steps[1].elapsed_ms, 7_000);
        assert_eq!(call.participants, vec![persona]);
        assert_eq!(call.draft_sentiment, Some(Pulse::Red));
        assert_eq!(call.draft_intervention, Some(Intervention::Escalation));
        assert_eq!(call.draft_followup, NaiveDate::from_ymd_opt(2026, 11, 30));
        assert_eq!(
            prompts_of(store.conn(), id).unwrap(),
            vec![ShownPrompt {
                step: 2,
                key: "mirror.tense".into(),
                used: true
            }]
        );
    }

    #[test]
    fn a_line_used_on_other_calls_is_counted_per_call() {
        let (_dir, mut store, account, persona) = setup();
        let t = Utc.with_ymd_and_hms(2026, 11, 23, 11, 0, 0).unwrap();
        let mut ids = Vec::new();
        for _ in 0..4 {
            let id = start(
                &mut store,
                &NewCall {
                    account_id: account,
                    call_type: CallType::CheckIn,
                    participants: &[persona],
                    at: t,
                },
            )
            .unwrap();
            prompt_shown(&mut store, id, 2, "mirror.picture", t).unwrap();
            prompt_used(&mut store, id, "mirror.picture", true).unwrap();
            ids.push(id);
        }
        // Shown but not used does not count.
        prompt_shown(&mut store, ids[0], 3, "clarify.success", t).unwrap();
        assert_eq!(
            prompt_use_count(store.conn(), "mirror.picture", ids[3]).unwrap(),
            3
        );
        assert_eq!(
            prompt_use_count(store.conn(), "clarify.success", ids[3]).unwrap(),
            0
        );
    }

    #[test]
    fn tagging_leaves_a_retro_pending_then_the_retro_closes_it() {
        let (dir, mut store, account, persona) = setup();
        let clock = FixedClock(Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap());
        let id = start(
            &mut store,
            &NewCall {
                account_id: account,
                call_type: CallType::CheckIn,
                participants: &[persona],
                at: clock.0,
            },
        )
        .unwrap();
        mark_ended(&mut store, id, clock.0).unwrap();
        assert!(interrupted(store.conn()).unwrap().unwrap().ended);
        tag(
            &mut store,
            id,
            &CallTags {
                sentiment: Pulse::Yellow,
                intervention: Intervention::ProductFix,
                followup_on: NaiveDate::from_ymd_opt(2026, 11, 25),
                proposed_fix: "Remediation session",
            },
            &clock,
        )
        .unwrap();
        assert!(interrupted(store.conn()).unwrap().is_none());
        let pending = pending_retros(store.conn(), 10).unwrap();
        assert_eq!(pending.len(), 1);
        assert_eq!(pending[0].sentiment, Some(Pulse::Yellow));
        let (pulse, due): (String, String) = store
            .conn()
            .query_row(
                "SELECT a.pulse, f.action || ' ' || f.due_on FROM accounts a JOIN followups f ON f.account_id = a.id",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(pulse, "yellow");
        assert_eq!(due, "Remediation session 2026-11-25");
        save_retro(
            &mut store,
            id,
            "validating first",
            "too long on step 3",
            &[],
            clock.0,
        )
        .unwrap();
        assert!(pending_retros(store.conn(), 10).unwrap().is_empty());
        drop(dir);
    }
}
