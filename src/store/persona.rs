//! Persona edits from the account workspace and the reads behind them: every write goes
//! through `Store::write` and recomputes the account's summary (risk, coverage) in the
//! same transaction.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::summary::{self, AsOf};
use super::write::{NewPersona, Tx};
use super::{Store, parse_name, parse_timestamp, timestamp};
use crate::domain::limits;
use crate::domain::model::{Pulse, Role, Sentiment, Strength};
use crate::domain::risk::Risk;
use crate::domain::text::{clean_line, clean_text};
use crate::error::{Error, ManagerProblem, Result};

/// The editable fields of a persona, as a form hands them over.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PersonaFields {
    pub name: String,
    pub title: Option<String>,
    pub email: Option<String>,
    pub role: Option<Role>,
    /// The role shown is still the import's guess: the CSM has not picked one. Saving
    /// with `false` (or another role) makes the role the CSM's.
    pub role_guessed: bool,
    pub reports_to_id: Option<i64>,
    pub strength: Option<Strength>,
    pub sentiment: Option<Sentiment>,
    pub notes: Option<String>,
}

/// A persona in full, for its detail view and its edit form.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonaRecord {
    pub id: i64,
    pub account_id: i64,
    pub name: String,
    pub title: Option<String>,
    pub email: Option<String>,
    pub role: Role,
    /// Guessed from the title on import, not set by a CSM (shown with a `?`).
    pub role_guessed: bool,
    pub reports_to_id: Option<i64>,
    pub reports_to: Option<String>,
    pub strength: Strength,
    pub sentiment: Sentiment,
    pub last_contact_at: Option<DateTime<Utc>>,
    pub notes: Option<String>,
    pub archived: bool,
}

/// One entry of a persona's history (newest first when read).
#[derive(Debug, Clone, PartialEq)]
pub struct PersonaChange {
    pub id: i64,
    pub changed_at: DateTime<Utc>,
    pub strength: Strength,
    pub sentiment: Sentiment,
    pub reason: Option<String>,
}

fn account_of(conn: &Connection, persona_id: i64) -> Result<i64> {
    conn.prepare_cached("SELECT account_id FROM personas WHERE id = ?1")?
        .query_row([persona_id], |r| r.get(0))
        .optional()?
        .ok_or(Error::NoSuch {
            what: "persona",
            id: persona_id,
        })
}

fn clean(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// A one-line field as stored: trimmed, no control character, `None` when blank.
fn line(s: &Option<String>) -> Option<String> {
    clean(s).map(|s| clean_line(s).into_owned())
}

/// Free text as stored: trimmed, tab and newline its only control characters.
fn text(s: &Option<String>) -> Option<String> {
    clean(s).map(|s| clean_text(s).into_owned())
}

fn reason_of(reason: Option<&str>) -> Option<String> {
    text(&reason.map(str::to_string))
}

/// "Title is 500 characters; at most 120" at the start of a message.
fn capital(s: String) -> String {
    let mut c = s.chars();
    c.next()
        .map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
}

/// Checks what a form may not store; the message is shown inline.
pub fn validate(fields: &PersonaFields) -> std::result::Result<(), String> {
    if fields.name.trim().is_empty() {
        return Err("A persona needs a name".into());
    }
    limits::NAME.check(fields.name.trim()).map_err(capital)?;
    for (value, limit) in [
        (&fields.title, limits::TITLE),
        (&fields.email, limits::EMAIL),
        (&fields.notes, limits::NOTES),
    ] {
        if let Some(v) = clean(value) {
            limit.check(v).map_err(capital)?;
        }
    }
    if let Some(email) = clean(&fields.email)
        && (!email.contains('@') || email.contains(char::is_whitespace))
    {
        return Err(format!("'{email}' is not an email address"));
    }
    Ok(())
}

impl Store {
    /// Moves a persona's strength and sentiment, recording the change (and why).
    pub fn change_persona_tie(
        &mut self,
        persona_id: i64,
        strength: Strength,
        sentiment: Sentiment,
        reason: Option<&str>,
        at: &AsOf,
    ) -> Result<Risk> {
        self.write(|tx| {
            let account = account_of(tx.conn(), persona_id)?;
            let reason = reason_of(reason);
            tx.set_persona_tie(
                persona_id,
                strength,
                sentiment,
                at.now,
                reason.as_deref(),
                None,
            )?;
            summary::refresh_account(tx.conn(), account, at)
        })
    }

    /// Records the account's CSM sentiment with its reason.
    pub fn set_account_pulse(
        &mut self,
        account_id: i64,
        pulse: Pulse,
        reason: Option<&str>,
        at: &AsOf,
    ) -> Result<Risk> {
        self.write(|tx| {
            let me = tx.my_csm_id()?;
            let reason = reason_of(reason);
            tx.set_pulse(account_id, pulse, reason.as_deref(), at.now, me, None)?;
            summary::refresh_account(tx.conn(), account_id, at)
        })
    }

    /// Adds a persona to an account; returns its id.
    pub fn add_persona(
        &mut self,
        account_id: i64,
        fields: &PersonaFields,
        at: &AsOf,
    ) -> Result<i64> {
        validate(fields).map_err(Error::Invalid)?;
        self.write(|tx| {
            check_manager(tx, account_id, None, fields.reports_to_id)?;
            let id = tx.insert_persona(&NewPersona {
                account_id,
                name: &clean_line(fields.name.trim()),
                title: line(&fields.title).as_deref(),
                email: line(&fields.email).as_deref(),
                role: fields.role.unwrap_or(Role::Other),
                reports_to_id: fields.reports_to_id,
                strength: fields.strength.unwrap_or(Strength::None),
                sentiment: fields.sentiment.unwrap_or(Sentiment::Neutral),
                created_at: at.now,
            })?;
            if let Some(notes) = text(&fields.notes) {
                tx.conn()
                    .prepare_cached("UPDATE personas SET notes = ?2 WHERE id = ?1")?
                    .execute(params![id, notes])?;
            }
            summary::refresh_account(tx.conn(), account_id, at)?;
            Ok(id)
        })
    }

    /// Changes a persona's fields; a new strength or sentiment goes into its history
    /// with `reason`.
    pub fn edit_persona(
        &mut self,
        persona_id: i64,
        fields: &PersonaFields,
        reason: Option<&str>,
        at: &AsOf,
    ) -> Result<()> {
        validate(fields).map_err(Error::Invalid)?;
        self.write(|tx| {
            let before = persona(tx.conn(), persona_id)?;
            check_manager(
                tx,
                before.account_id,
                Some(persona_id),
                fields.reports_to_id,
            )?;
            tx.conn()
                .prepare_cached(
                    "UPDATE personas SET name = ?2, title = ?3, email = ?4, role = ?5,
                         reports_to_id = ?6, notes = ?7, role_guessed = ?8 WHERE id = ?1",
                )?
                .execute(params![
                    persona_id,
                    clean_line(fields.name.trim()),
                    line(&fields.title),
                    line(&fields.email),
                    fields.role.unwrap_or(before.role).as_str(),
                    fields.reports_to_id,
                    text(&fields.notes),
                    still_guessed(&before, fields),
                ])?;
            let strength = fields.strength.unwrap_or(before.strength);
            let sentiment = fields.sentiment.unwrap_or(before.sentiment);
            let reason = reason_of(reason);
            let reason = reason.as_deref();
            if (strength, sentiment) != (before.strength, before.sentiment) {
                tx.set_persona_tie(persona_id, strength, sentiment, at.now, reason, None)?;
            } else if let Some(reason) = reason {
                // A why for the change just made with a quick key: it goes on the newest
                // change when that has none yet; otherwise it is kept as its own entry.
                let updated = tx
                    .conn()
                    .prepare_cached(
                        "UPDATE persona_changes SET reason = ?2
                         WHERE id = (SELECT id FROM persona_changes WHERE persona_id = ?1
                                     ORDER BY changed_at DESC, id DESC LIMIT 1)
                           AND reason IS NULL",
                    )?
                    .execute(params![persona_id, reason])?;
                // A persona whose first state is its history yet: the why goes on its
                // opening entry, as it would on any newest entry without one.
                if updated == 0 && !tx.open_history(persona_id, Some(reason))? {
                    tx.set_persona_tie(
                        persona_id,
                        strength,
                        sentiment,
                        at.now,
                        Some(reason),
                        None,
                    )?;
                }
            }
            summary::refresh_account(tx.conn(), before.account_id, at)?;
            Ok(())
        })
    }

    /// Archives a persona: it leaves the grid, coverage and risk, but keeps its history.
    /// Whoever reported to it now reports to its manager.
    pub fn archive_persona(&mut self, persona_id: i64, at: &AsOf) -> Result<()> {
        self.write(|tx| {
            let before = persona(tx.conn(), persona_id)?;
            tx.conn()
                .prepare_cached("UPDATE personas SET reports_to_id = ?2 WHERE reports_to_id = ?1")?
                .execute(params![persona_id, before.reports_to_id])?;
            tx.conn()
                .prepare_cached(
                    "UPDATE personas SET archived_at = ?2 WHERE id = ?1 AND archived_at IS NULL",
                )?
                .execute(params![persona_id, timestamp(at.now)])?;
            summary::refresh_account(tx.conn(), before.account_id, at)?;
            Ok(())
        })
    }
}

/// Whether a persona's role stays a guess after an edit: only while the form left the
/// guessed role as it was.
fn still_guessed(before: &PersonaRecord, fields: &PersonaFields) -> bool {
    before.role_guessed && fields.role_guessed && fields.role.is_none_or(|r| r == before.role)
}

/// A manager must be a live persona of the same account and not create a cycle.
fn check_manager(
    tx: &Tx<'_>,
    account_id: i64,
    me: Option<i64>,
    manager: Option<i64>,
) -> Result<()> {
    let Some(mut next) = manager else {
        return Ok(());
    };
    let mut hops = 0;
    loop {
        if Some(next) == me {
            return Err(ManagerProblem::Loop.into());
        }
        let row: Option<(i64, Option<i64>, bool)> = tx
            .conn()
            .prepare_cached(
                "SELECT account_id, reports_to_id, archived_at IS NOT NULL FROM personas WHERE id = ?1",
            )?
            .query_row([next], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        match row {
            Some((acc, up, archived)) if acc == account_id && !(hops == 0 && archived) => {
                match up {
                    Some(up) if hops < 10_000 => {
                        next = up;
                        hops += 1;
                    }
                    _ => return Ok(()),
                }
            }
            _ => {
                return Err(ManagerProblem::NotHere.into());
            }
        }
    }
}

/// One persona in full (archived ones included).
pub fn persona(conn: &Connection, persona_id: i64) -> Result<PersonaRecord> {
    conn.prepare_cached(
        "SELECT p.id, p.account_id, p.name, p.title, p.email, p.role, p.reports_to_id, m.name,
                p.strength, p.sentiment, p.last_contact_at, p.notes, p.archived_at IS NOT NULL,
                p.role_guessed
         FROM personas p LEFT JOIN personas m ON m.id = p.reports_to_id WHERE p.id = ?1",
    )?
    .query_row([persona_id], |r| {
        Ok(PersonaRecord {
            id: r.get(0)?,
            account_id: r.get(1)?,
            name: r.get(2)?,
            title: r.get(3)?,
            email: r.get(4)?,
            role: parse_name(&r.get::<_, String>(5)?)?,
            reports_to_id: r.get(6)?,
            reports_to: r.get(7)?,
            strength: parse_name(&r.get::<_, String>(8)?)?,
            sentiment: parse_name(&r.get::<_, String>(9)?)?,
            last_contact_at: r
                .get::<_, Option<String>>(10)?
                .as_deref()
                .and_then(parse_timestamp),
            notes: r.get(11)?,
            archived: r.get(12)?,
            role_guessed: r.get(13)?,
        })
    })
    .optional()?
    .ok_or(Error::NoSuch {
        what: "persona",
        id: persona_id,
    })
}

/// Every recorded strength and sentiment of a persona, newest first. A persona whose
/// strength and sentiment never changed has one entry: them, since it was added (its
/// opening entry is written at the first change, see `Tx::open_history`).
pub fn history(conn: &Connection, persona_id: i64) -> Result<Vec<PersonaChange>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, changed_at, strength, sentiment, reason FROM persona_changes
         WHERE persona_id = ?1
         UNION ALL
         SELECT 0, created_at, strength, sentiment, NULL FROM personas
         WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM persona_changes WHERE persona_id = ?1)
         ORDER BY 2 DESC, 1 DESC",
    )?;
    let rows = stmt
        .query_map([persona_id], |r| {
            Ok(PersonaChange {
                id: r.get(0)?,
                changed_at: r
                    .get::<_, String>(1)
                    .map(|s| parse_timestamp(&s).unwrap_or_default())?,
                strength: parse_name(&r.get::<_, String>(2)?)?,
                sentiment: parse_name(&r.get::<_, String>(3)?)?,
                reason: r.get(4)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// The reports-to links of an account's current personas: (id, manager id).
pub fn reporting_lines(conn: &Connection, account_id: i64) -> Result<Vec<(i64, Option<i64>)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT p.id, m.id FROM personas p
         LEFT JOIN personas m ON m.id = p.reports_to_id AND m.archived_at IS NULL
         WHERE p.account_id = ?1 AND p.archived_at IS NULL",
    )?;
    let rows = stmt
        .query_map([account_id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}
