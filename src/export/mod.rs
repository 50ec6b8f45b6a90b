//! `attuned export`: every record of the database, streamed row by row.
//!
//! `--format json` writes one object: `schema_version`, `exported_at`, then one array per
//! kind of record (`csms`, `accounts`, `personas`, `persona_changes`, `pulse_history`,
//! `touches`, `followups`, `signals`). Each record sits on its own line, so a million
//! touches stream through a small buffer and two exports diff line by line.
//!
//! Child rows (a touch's participants and steps, an account's CRM ids) are joined by
//! walking a second cursor sorted by the parent id in step with the parent cursor: one
//! sequential pass over each table, no per-row lookups and nothing collected in memory.

pub mod csv;
pub mod ics;
pub mod md;

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use rusqlite::{Connection, Row, Rows, Statement};
use serde::Serialize;

use crate::domain::Clock;
use crate::error::{Error, Result};
use crate::fsx;
use crate::json_id::JsonId;
use crate::progress::{self, Progress};
use crate::store::timestamp;

/// How many records of each kind an export wrote.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub csms: u64,
    pub accounts: u64,
    pub personas: u64,
    pub persona_changes: u64,
    pub pulse_history: u64,
    pub touches: u64,
    pub followups: u64,
    pub signals: u64,
}

/// Writes the JSON export to standard output.
pub fn json_to_stdout(
    conn: &Connection,
    clock: &dyn Clock,
    progress: &dyn Progress,
) -> Result<Counts> {
    let stdout = io::stdout().lock();
    let mut sink = Sink::new(
        BufWriter::with_capacity(1 << 16, stdout),
        "stdout",
        progress,
    );
    let counts = write_json(conn, clock, &mut sink)?;
    sink.flush()?;
    Ok(counts)
}

/// Writes the JSON export to `out` (see `fsx::write_out`): a file is written aside and
/// renamed into place only when complete, so a failed or interrupted export never leaves
/// a truncated file behind; a link to a file is refused, never written through.
pub fn json_to_file(
    conn: &Connection,
    out: &Path,
    clock: &dyn Clock,
    progress: &dyn Progress,
) -> Result<Counts> {
    fsx::write_out(out, |w| {
        let mut sink = Sink::new(w, out, progress);
        let counts = write_json(conn, clock, &mut sink)?;
        sink.flush()?;
        Ok(counts)
    })
}

/// Writes another format's output to `out` (or standard output) with the JSON export's
/// care. `write` gets the stream and the name to report its errors under.
pub fn write_output<T>(
    out: Option<&Path>,
    write: impl FnOnce(&mut dyn Write, &Path) -> Result<T>,
) -> Result<T> {
    let Some(out) = out else {
        let shown = Path::new("stdout");
        let mut w = BufWriter::with_capacity(1 << 16, io::stdout().lock());
        let value = write(&mut w, shown)?;
        w.flush().map_err(|e| Error::io(shown, e))?;
        return Ok(value);
    };
    fsx::write_out(out, |w| write(w, out))
}

/// Writes the whole export to `sink`, reading one consistent snapshot of the database.
fn write_json<W: Write>(
    conn: &Connection,
    clock: &dyn Clock,
    sink: &mut Sink<'_, W>,
) -> Result<Counts> {
    // One read transaction: a CSM writing in the app meanwhile can't tear the export.
    let snapshot = conn.unchecked_transaction()?;
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    sink.raw("{\"schema_version\":")?;
    sink.value(&version)?;
    sink.raw(",\n\"exported_at\":")?;
    sink.value(&timestamp(clock.now()))?;
    sink.progress
        .phase("Exporting records", Some(records(conn)?));
    progress::interruptible(conn, sink.progress)?;
    let counts = Counts {
        csms: csms(conn, sink)?,
        accounts: accounts(conn, sink)?,
        personas: personas(conn, sink)?,
        persona_changes: persona_changes(conn, sink)?,
        pulse_history: pulse_history(conn, sink)?,
        touches: touches(conn, sink)?,
        followups: followups(conn, sink)?,
        signals: signals(conn, sink)?,
    };
    sink.raw("\n}\n")?;
    progress::uninterruptible(conn)?;
    snapshot.commit()?;
    Ok(counts)
}

/// The records an export writes, for its progress bar: its sections, each a table of
/// the same name (`import::json::SECTIONS`, what reading an export back expects).
fn records(conn: &Connection) -> Result<u64> {
    let sql = crate::import::json::SECTIONS
        .iter()
        .map(|t| format!("(SELECT count(*) FROM {t})"))
        .collect::<Vec<_>>()
        .join(" + ");
    Ok(conn.query_row(&format!("SELECT {sql}"), [], |r| r.get::<_, i64>(0))? as u64)
}

// ---- records ----

#[derive(Serialize)]
struct ExternalId {
    system: String,
    external_id: String,
}

#[derive(Serialize)]
struct Csm {
    id: JsonId,
    name: String,
    email: Option<String>,
    region: Option<String>,
    team_lead_id: Option<JsonId>,
    is_team_lead: bool,
    is_me: bool,
    created_at: String,
    external_ids: Vec<ExternalId>,
}

#[derive(Serialize)]
struct Account {
    id: JsonId,
    name: String,
    segment: String,
    tier: i64,
    industry: Option<String>,
    contract_value_cents: i64,
    renewal_date: Option<String>,
    owner_csm_id: Option<JsonId>,
    parent_id: Option<JsonId>,
    created_at: String,
    archived_at: Option<String>,
    external_ids: Vec<ExternalId>,
    /// Derived from the other records; an import recomputes it.
    summary: AccountSummary,
}

#[derive(Serialize)]
struct AccountSummary {
    pulse: Option<String>,
    pulse_prev: Option<String>,
    pulse_at: Option<String>,
    personas_total: i64,
    personas_strong: i64,
    coverage_pct: i64,
    missing_roles: Vec<String>,
    risk: i64,
    risk_as_of: Option<String>,
    last_touch_at: Option<String>,
    next_followup_on: Option<String>,
    overdue_followups: i64,
}

#[derive(Serialize)]
struct Persona {
    id: JsonId,
    account_id: JsonId,
    name: String,
    title: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    role: String,
    /// The role was guessed from the title on import; no CSM has set it yet.
    role_guessed: bool,
    reports_to_id: Option<JsonId>,
    strength: String,
    sentiment: String,
    last_contact_at: Option<String>,
    notes: Option<String>,
    created_at: String,
    archived_at: Option<String>,
    external_ids: Vec<ExternalId>,
}

#[derive(Serialize)]
struct PersonaChange {
    id: JsonId,
    persona_id: JsonId,
    changed_at: String,
    strength: String,
    sentiment: String,
    reason: Option<String>,
    touch_id: Option<JsonId>,
}

#[derive(Serialize)]
struct PulseEntry {
    id: JsonId,
    account_id: JsonId,
    pulse: String,
    reason: Option<String>,
    set_at: String,
    csm_id: Option<JsonId>,
    touch_id: Option<JsonId>,
}

#[derive(Serialize)]
struct Touch {
    id: JsonId,
    account_id: JsonId,
    csm_id: Option<JsonId>,
    kind: String,
    call_type: Option<String>,
    status: String,
    occurred_at: String,
    ended_at: Option<String>,
    summary: Option<String>,
    notes: Option<String>,
    sentiment: Option<String>,
    intervention: Option<String>,
    followup_on: Option<String>,
    no_followup: bool,
    outcome: Option<String>,
    csat: Option<i64>,
    escalated: bool,
    retro_worked: Option<String>,
    retro_failed: Option<String>,
    retro_at: Option<String>,
    created_at: String,
    updated_at: String,
    participants: Vec<JsonId>,
    steps: Vec<Step>,
    prompts: Vec<Prompt>,
    revisions: Vec<Revision>,
}

#[derive(Serialize)]
struct Step {
    step: i64,
    started_at: Option<String>,
    ended_at: Option<String>,
    elapsed_ms: i64,
    skipped_reason: Option<String>,
    note: String,
    note_saved_at: Option<String>,
}

#[derive(Serialize)]
struct Prompt {
    id: JsonId,
    step: i64,
    prompt_key: String,
    shown_at: String,
    used: bool,
}

#[derive(Serialize)]
struct Revision {
    id: JsonId,
    revised_at: String,
    /// The touch's fields before the correction, as stored (JSON).
    previous: serde_json::Value,
}

#[derive(Serialize)]
struct Followup {
    id: JsonId,
    account_id: JsonId,
    touch_id: Option<JsonId>,
    persona_id: Option<JsonId>,
    due_on: String,
    action: String,
    created_at: String,
    done_at: Option<String>,
    snoozed_from: Option<String>,
}

#[derive(Serialize)]
struct Signal {
    id: JsonId,
    account_id: JsonId,
    kind: String,
    value: f64,
    note: Option<String>,
    observed_at: String,
}

// ---- sections ----

const EXTERNAL_IDS: &str = "SELECT local_id, system, external_id FROM external_ids
     WHERE entity = ?1 ORDER BY local_id, system, external_id";

fn read_external_id(r: &Row<'_>) -> rusqlite::Result<(i64, ExternalId)> {
    Ok((
        r.get(0)?,
        ExternalId {
            system: r.get(1)?,
            external_id: r.get(2)?,
        },
    ))
}

fn csms<W: Write>(conn: &Connection, sink: &mut Sink<'_, W>) -> Result<u64> {
    let mut stmt = conn.prepare(
        "SELECT id, name, email, region, team_lead_id, is_team_lead, is_me, created_at
         FROM csms ORDER BY id",
    )?;
    let mut ids_stmt = conn.prepare(EXTERNAL_IDS)?;
    let mut ids = Children::new(ids_stmt.query(["csm"])?, read_external_id);
    let mut rows = stmt.query([])?;
    sink.array("csms", || {
        let Some(r) = rows.next()? else {
            return Ok(None);
        };
        let mut c = Cols::new(r);
        let id: i64 = c.next()?;
        Ok(Some(Csm {
            id: JsonId(id),
            name: c.next()?,
            email: c.next()?,
            region: c.next()?,
            team_lead_id: c.next()?,
            is_team_lead: c.next()?,
            is_me: c.next()?,
            created_at: c.next()?,
            external_ids: ids.of(id)?,
        }))
    })
}

fn accounts<W: Write>(conn: &Connection, sink: &mut Sink<'_, W>) -> Result<u64> {
    let mut stmt = conn.prepare(
        "SELECT id, name, segment, tier, industry, contract_value, renewal_date, owner_csm_id,
                parent_id, created_at, archived_at,
                pulse, pulse_prev, pulse_at, personas_total, personas_strong, coverage_pct,
                missing_roles, risk, risk_as_of, last_touch_at, next_followup_on,
                overdue_followups
         FROM accounts ORDER BY id",
    )?;
    let mut ids_stmt = conn.prepare(EXTERNAL_IDS)?;
    let mut ids = Children::new(ids_stmt.query(["account"])?, read_external_id);
    let mut rows = stmt.query([])?;
    sink.array("accounts", || {
        let Some(r) = rows.next()? else {
            return Ok(None);
        };
        let mut c = Cols::new(r);
        let id: i64 = c.next()?;
        Ok(Some(Account {
            id: JsonId(id),
            name: c.next()?,
            segment: c.next()?,
            tier: c.next()?,
            industry: c.next()?,
            contract_value_cents: c.next()?,
            renewal_date: c.next()?,
            owner_csm_id: c.next()?,
            parent_id: c.next()?,
            created_at: c.next()?,
            archived_at: c.next()?,
            external_ids: ids.of(id)?,
            summary: AccountSummary {
                pulse: c.next()?,
                pulse_prev: c.next()?,
                pulse_at: c.next()?,
                personas_total: c.next()?,
                personas_strong: c.next()?,
                coverage_pct: c.next()?,
                missing_roles: split_list(&c.next::<String>()?),
                risk: c.next()?,
                risk_as_of: c.next()?,
                last_touch_at: c.next()?,
                next_followup_on: c.next()?,
                overdue_followups: c.next()?,
            },
        }))
    })
}

fn personas<W: Write>(conn: &Connection, sink: &mut Sink<'_, W>) -> Result<u64> {
    let mut stmt = conn.prepare(
        "SELECT id, account_id, name, title, email, phone, role, role_guessed, reports_to_id,
                strength, sentiment, last_contact_at, notes, created_at, archived_at
         FROM personas ORDER BY id",
    )?;
    let mut ids_stmt = conn.prepare(EXTERNAL_IDS)?;
    let mut ids = Children::new(ids_stmt.query(["persona"])?, read_external_id);
    let mut rows = stmt.query([])?;
    sink.array("personas", || {
        let Some(r) = rows.next()? else {
            return Ok(None);
        };
        let mut c = Cols::new(r);
        let id: i64 = c.next()?;
        Ok(Some(Persona {
            id: JsonId(id),
            account_id: c.next()?,
            name: c.next()?,
            title: c.next()?,
            email: c.next()?,
            phone: c.next()?,
            role: c.next()?,
            role_guessed: c.next()?,
            reports_to_id: c.next()?,
            strength: c.next()?,
            sentiment: c.next()?,
            last_contact_at: c.next()?,
            notes: c.next()?,
            created_at: c.next()?,
            archived_at: c.next()?,
            external_ids: ids.of(id)?,
        }))
    })
}

fn persona_changes<W: Write>(conn: &Connection, sink: &mut Sink<'_, W>) -> Result<u64> {
    let mut stmt = conn.prepare(
        "SELECT id, persona_id, changed_at, strength, sentiment, reason, touch_id
         FROM persona_changes ORDER BY id",
    )?;
    table(&mut stmt, sink, "persona_changes", |c| {
        Ok(PersonaChange {
            id: c.next()?,
            persona_id: c.next()?,
            changed_at: c.next()?,
            strength: c.next()?,
            sentiment: c.next()?,
            reason: c.next()?,
            touch_id: c.next()?,
        })
    })
}

fn pulse_history<W: Write>(conn: &Connection, sink: &mut Sink<'_, W>) -> Result<u64> {
    let mut stmt = conn.prepare(
        "SELECT id, account_id, pulse, reason, set_at, csm_id, touch_id
         FROM pulse_history ORDER BY id",
    )?;
    table(&mut stmt, sink, "pulse_history", |c| {
        Ok(PulseEntry {
            id: c.next()?,
            account_id: c.next()?,
            pulse: c.next()?,
            reason: c.next()?,
            set_at: c.next()?,
            csm_id: c.next()?,
            touch_id: c.next()?,
        })
    })
}

fn touches<W: Write>(conn: &Connection, sink: &mut Sink<'_, W>) -> Result<u64> {
    let mut stmt = conn.prepare(
        "SELECT id, account_id, csm_id, kind, call_type, status, occurred_at, ended_at,
                summary, notes, sentiment, intervention, followup_on, no_followup, outcome,
                csat, escalated, retro_worked, retro_failed, retro_at, created_at, updated_at
         FROM touches ORDER BY id",
    )?;
    let mut participants_stmt = conn.prepare(
        "SELECT touch_id, persona_id FROM touch_participants ORDER BY touch_id, persona_id",
    )?;
    let mut steps_stmt = conn.prepare(
        "SELECT touch_id, step, started_at, ended_at, elapsed_ms, skipped_reason, note,
                note_saved_at
         FROM touch_steps ORDER BY touch_id, step",
    )?;
    let mut prompts_stmt = conn.prepare(
        "SELECT touch_id, id, step, prompt_key, shown_at, used
         FROM touch_prompts ORDER BY touch_id, id",
    )?;
    let mut revisions_stmt = conn.prepare(
        "SELECT touch_id, id, revised_at, previous FROM touch_revisions ORDER BY touch_id, id",
    )?;
    let mut participants =
        Children::new(participants_stmt.query([])?, |r| Ok((r.get(0)?, r.get(1)?)));
    let mut steps = Children::new(steps_stmt.query([])?, read_step);
    let mut prompts = Children::new(prompts_stmt.query([])?, read_prompt);
    let mut revisions = Children::new(revisions_stmt.query([])?, read_revision);
    let mut rows = stmt.query([])?;
    sink.array("touches", || {
        let Some(r) = rows.next()? else {
            return Ok(None);
        };
        let mut c = Cols::new(r);
        let id: i64 = c.next()?;
        Ok(Some(Touch {
            id: JsonId(id),
            account_id: c.next()?,
            csm_id: c.next()?,
            kind: c.next()?,
            call_type: c.next()?,
            status: c.next()?,
            occurred_at: c.next()?,
            ended_at: c.next()?,
            summary: c.next()?,
            notes: c.next()?,
            sentiment: c.next()?,
            intervention: c.next()?,
            followup_on: c.next()?,
            no_followup: c.next()?,
            outcome: c.next()?,
            csat: c.next()?,
            escalated: c.next()?,
            retro_worked: c.next()?,
            retro_failed: c.next()?,
            retro_at: c.next()?,
            created_at: c.next()?,
            updated_at: c.next()?,
            participants: participants.of(id)?,
            steps: steps.of(id)?,
            prompts: prompts.of(id)?,
            revisions: revisions.of(id)?,
        }))
    })
}

fn read_step(r: &Row<'_>) -> rusqlite::Result<(i64, Step)> {
    let mut c = Cols::new(r);
    Ok((
        c.next()?,
        Step {
            step: c.next()?,
            started_at: c.next()?,
            ended_at: c.next()?,
            elapsed_ms: c.next()?,
            skipped_reason: c.next()?,
            note: c.next()?,
            note_saved_at: c.next()?,
        },
    ))
}

fn read_prompt(r: &Row<'_>) -> rusqlite::Result<(i64, Prompt)> {
    let mut c = Cols::new(r);
    Ok((
        c.next()?,
        Prompt {
            id: c.next()?,
            step: c.next()?,
            prompt_key: c.next()?,
            shown_at: c.next()?,
            used: c.next()?,
        },
    ))
}

fn read_revision(r: &Row<'_>) -> rusqlite::Result<(i64, Revision)> {
    let previous: String = r.get(3)?;
    Ok((
        r.get(0)?,
        Revision {
            id: r.get(1)?,
            revised_at: r.get(2)?,
            // Stored as JSON; kept as text if it somehow is not, so nothing is lost.
            previous: serde_json::from_str(&previous)
                .unwrap_or(serde_json::Value::String(previous)),
        },
    ))
}

fn followups<W: Write>(conn: &Connection, sink: &mut Sink<'_, W>) -> Result<u64> {
    let mut stmt = conn.prepare(
        "SELECT id, account_id, touch_id, persona_id, due_on, action, created_at, done_at,
                snoozed_from
         FROM followups ORDER BY id",
    )?;
    table(&mut stmt, sink, "followups", |c| {
        Ok(Followup {
            id: c.next()?,
            account_id: c.next()?,
            touch_id: c.next()?,
            persona_id: c.next()?,
            due_on: c.next()?,
            action: c.next()?,
            created_at: c.next()?,
            done_at: c.next()?,
            snoozed_from: c.next()?,
        })
    })
}

fn signals<W: Write>(conn: &Connection, sink: &mut Sink<'_, W>) -> Result<u64> {
    let mut stmt = conn.prepare(
        "SELECT id, account_id, kind, value, note, observed_at FROM signals ORDER BY id",
    )?;
    table(&mut stmt, sink, "signals", |c| {
        Ok(Signal {
            id: c.next()?,
            account_id: c.next()?,
            kind: c.next()?,
            value: c.next()?,
            note: c.next()?,
            observed_at: c.next()?,
        })
    })
}

/// Streams a table without children: one record per row of `stmt`.
fn table<W: Write, T: Serialize>(
    stmt: &mut Statement<'_>,
    sink: &mut Sink<'_, W>,
    key: &str,
    read: impl Fn(&mut Cols<'_, '_>) -> rusqlite::Result<T>,
) -> Result<u64> {
    let mut rows = stmt.query([])?;
    sink.array(key, || match rows.next()? {
        Some(r) => Ok(Some(read(&mut Cols::new(r))?)),
        None => Ok(None),
    })
}

/// "a,b" as ["a", "b"]; "" as [].
fn split_list(s: &str) -> Vec<String> {
    s.split(',')
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

// ---- plumbing ----

/// Reads a row's columns in SELECT order, so a struct literal lists them once.
struct Cols<'a, 'r> {
    row: &'a Row<'r>,
    at: usize,
}

impl<'a, 'r> Cols<'a, 'r> {
    fn new(row: &'a Row<'r>) -> Self {
        Cols { row, at: 0 }
    }

    fn next<T: rusqlite::types::FromSql>(&mut self) -> rusqlite::Result<T> {
        let value = self.row.get(self.at)?;
        self.at += 1;
        Ok(value)
    }
}

/// A child table's rows, sorted by parent id, consumed in step with the parent cursor.
struct Children<'s, T> {
    rows: Rows<'s>,
    read: fn(&Row<'_>) -> rusqlite::Result<(i64, T)>,
    peeked: Option<(i64, T)>,
}

impl<'s, T> Children<'s, T> {
    fn new(rows: Rows<'s>, read: fn(&Row<'_>) -> rusqlite::Result<(i64, T)>) -> Self {
        Children {
            rows,
            read,
            peeked: None,
        }
    }

    /// The children of `parent`; parents must be asked for in ascending id order.
    fn of(&mut self, parent: i64) -> rusqlite::Result<Vec<T>> {
        let mut found = Vec::new();
        loop {
            let (owner, child) = match self.peeked.take() {
                Some(next) => next,
                None => match self.rows.next()? {
                    Some(r) => (self.read)(r)?,
                    None => return Ok(found),
                },
            };
            if owner > parent {
                self.peeked = Some((owner, child));
                return Ok(found);
            }
            // owner < parent: an orphan whose parent is gone; `check` reports those.
            if owner == parent {
                found.push(child);
            }
        }
    }
}

/// The output stream, with the name its write errors are reported under.
struct Sink<'p, W> {
    w: W,
    dest: PathBuf,
    progress: &'p dyn Progress,
}

impl<'p, W: Write> Sink<'p, W> {
    fn new(w: W, dest: impl Into<PathBuf>, progress: &'p dyn Progress) -> Self {
        Sink {
            w,
            dest: dest.into(),
            progress,
        }
    }

    fn raw(&mut self, s: &str) -> Result<()> {
        self.w
            .write_all(s.as_bytes())
            .map_err(|e| Error::io(&self.dest, e))
    }

    fn value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<()> {
        serde_json::to_writer(&mut self.w, v).map_err(|e| Error::io(&self.dest, e.into()))
    }

    fn flush(&mut self) -> Result<()> {
        self.w.flush().map_err(|e| Error::io(&self.dest, e))
    }

    /// Writes `,"key":[` then each record `next` yields on its own line, then `]`.
    fn array<T: Serialize>(
        &mut self,
        key: &str,
        mut next: impl FnMut() -> Result<Option<T>>,
    ) -> Result<u64> {
        self.raw(",\n")?;
        self.value(key)?;
        self.raw(":[")?;
        let mut count: u64 = 0;
        while let Some(record) = next()? {
            self.raw(if count == 0 { "\n" } else { ",\n" })?;
            self.value(&record)?;
            count += 1;
            if count.is_multiple_of(progress::EVERY) {
                progress::step(self.progress, progress::EVERY)?;
            }
        }
        self.progress.advance(count % progress::EVERY);
        self.raw("\n]")?;
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn children_follow_their_parents_and_skip_orphans() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE c (parent INTEGER, v INTEGER);
             INSERT INTO c VALUES (1, 10), (1, 11), (2, 20), (4, 40), (5, 50), (5, 51);",
        )
        .unwrap();
        let mut stmt = conn
            .prepare("SELECT parent, v FROM c ORDER BY parent, v")
            .unwrap();
        let mut children: Children<'_, i64> =
            Children::new(stmt.query([]).unwrap(), |r| Ok((r.get(0)?, r.get(1)?)));
        // Parent 2 was deleted: its child is an orphan and must not land on parent 3.
        assert_eq!(children.of(1).unwrap(), vec![10, 11]);
        assert_eq!(children.of(3).unwrap(), Vec::<i64>::new());
        assert_eq!(children.of(4).unwrap(), vec![40]);
        assert_eq!(children.of(5).unwrap(), vec![50, 51]);
        assert_eq!(children.of(6).unwrap(), Vec::<i64>::new());
    }

    #[test]
    fn comma_lists_become_arrays() {
        assert_eq!(split_list(""), Vec::<String>::new());
        assert_eq!(split_list("champion,admin"), vec!["champion", "admin"]);
    }
}
