//! The follow-up queue across the whole portfolio: reading the open follow-ups and
//! marking one done, snoozing or rescheduling it (each one transaction, with the
//! account's derived columns refreshed).

use chrono::{Days, NaiveDate};
use rusqlite::{Connection, OptionalExtension, params};

use super::summary::{self, AsOf};
use super::{Store, day, parse_day, timestamp};
use crate::domain::tagging::Bucket;
use crate::error::{FollowupProblem, Result};

/// One open follow-up with its account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Followup {
    pub id: i64,
    pub account_id: i64,
    pub account: String,
    pub touch_id: Option<i64>,
    pub due_on: NaiveDate,
    pub action: String,
    /// The first due date, when it was snoozed or rescheduled since.
    pub snoozed_from: Option<NaiveDate>,
    pub bucket: Bucket,
}

/// The open follow-ups of live accounts, soonest first, at most `limit`; and how many
/// are open in all (counted from the index, like the portfolio header's counts).
pub fn open(conn: &Connection, today: NaiveDate, limit: usize) -> Result<(Vec<Followup>, i64)> {
    let mut stmt = conn.prepare_cached(
        "SELECT f.id, f.account_id, a.name, f.touch_id, f.due_on, f.action, f.snoozed_from
         FROM followups f JOIN accounts a ON a.id = f.account_id
         WHERE f.done_at IS NULL AND a.archived_at IS NULL
         ORDER BY f.due_on, a.name COLLATE NOCASE, f.id
         LIMIT ?1",
    )?;
    let rows = stmt
        .query_map([limit as i64], |r| {
            let due: String = r.get(4)?;
            let snoozed: Option<String> = r.get(6)?;
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<i64>>(3)?,
                due,
                r.get::<_, String>(5)?,
                snoozed,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let list = rows
        .into_iter()
        .filter_map(
            |(id, account_id, account, touch_id, due, action, snoozed)| {
                let due_on = parse_day(&due)?;
                Some(Followup {
                    id,
                    account_id,
                    account,
                    touch_id,
                    due_on,
                    action,
                    snoozed_from: snoozed.as_deref().and_then(parse_day),
                    bucket: Bucket::of(due_on, today),
                })
            },
        )
        .collect();
    let total: i64 = conn
        .prepare_cached("SELECT count(*) FROM followups WHERE done_at IS NULL")?
        .query_row([], |r| r.get(0))?;
    Ok((list, total))
}

/// How many open follow-ups fall in each bucket, counted on the index of open ones (a
/// range count each, never a scan), like the portfolio header.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub overdue: i64,
    pub today: i64,
    pub this_week: i64,
    pub later: i64,
}

pub fn counts(conn: &Connection, today: NaiveDate) -> Result<Counts> {
    let sunday = today
        .checked_add_days(Days::new(
            6 - u64::from(chrono::Datelike::weekday(&today).num_days_from_monday()),
        ))
        .unwrap_or(today);
    let range = |from: &str, to: &str| -> Result<i64> {
        Ok(conn
            .prepare_cached(
                "SELECT count(*) FROM followups WHERE done_at IS NULL AND due_on >= ?1 AND due_on < ?2",
            )?
            .query_row(params![from, to], |r| r.get(0))?)
    };
    let day_after = |d: NaiveDate| day(d.checked_add_days(Days::new(1)).unwrap_or(d));
    Ok(Counts {
        overdue: range("", &day(today))?,
        today: range(&day(today), &day_after(today))?,
        this_week: range(&day_after(today), &day_after(sunday))?,
        later: range(&day_after(sunday), "9999-99-99")?,
    })
}

fn account_of(conn: &Connection, id: i64) -> Result<(i64, NaiveDate)> {
    let row: Option<(i64, String)> = conn
        .prepare_cached(
            "SELECT account_id, due_on FROM followups WHERE id = ?1 AND done_at IS NULL",
        )?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let (account, due) = row.ok_or(FollowupProblem::NotOpen)?;
    let due = parse_day(&due).ok_or(FollowupProblem::UnreadableDate(id))?;
    Ok((account, due))
}

/// Marks a follow-up done now.
pub fn mark_done(store: &mut Store, id: i64, at: &AsOf) -> Result<()> {
    store.write(|tx| {
        let (account, _) = account_of(tx.conn(), id)?;
        tx.conn()
            .prepare_cached("UPDATE followups SET done_at = ?2 WHERE id = ?1")?
            .execute(params![id, timestamp(at.now)])?;
        summary::refresh_account(tx.conn(), account, at)?;
        Ok(())
    })
}

/// Moves a follow-up to `due`, keeping its first date in `snoozed_from`. Not before today.
pub fn reschedule(store: &mut Store, id: i64, due: NaiveDate, at: &AsOf) -> Result<()> {
    if due < at.today {
        return Err(FollowupProblem::InThePast(due).into());
    }
    store.write(|tx| {
        let (account, _) = account_of(tx.conn(), id)?;
        tx.conn()
            .prepare_cached(
                "UPDATE followups SET snoozed_from = coalesce(snoozed_from, due_on), due_on = ?2
                 WHERE id = ?1",
            )?
            .execute(params![id, day(due)])?;
        summary::refresh_account(tx.conn(), account, at)?;
        Ok(())
    })
}

/// Snoozes a follow-up by `days` from today (or from its date, when that is later).
pub fn snooze(store: &mut Store, id: i64, days: u64, at: &AsOf) -> Result<NaiveDate> {
    let (_, due) = account_of(store.conn(), id)?;
    let from = due.max(at.today);
    let to = from
        .checked_add_days(Days::new(days))
        .ok_or(FollowupProblem::OutOfRange)?;
    reschedule(store, id, to, at)?;
    Ok(to)
}
