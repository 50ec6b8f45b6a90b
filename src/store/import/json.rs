//! Reading back an attuned JSON export (`attuned export --format json`).

use std::path::Path;

use rusqlite::{OptionalExtension, params};

use crate::domain::text::{clean_line, clean_text};
use crate::error::{ImportProblem, Result, bad};
use crate::json_id::{id_of, is_id_key};
use crate::progress::{self, Progress, Silent};
use crate::store::summary::{AsOf, refresh_account};
use crate::store::write::Tx;
use crate::store::{NewDb, Store};

/// The largest contract value a JSON import takes, in cents ($10 trillion): anything
/// above is a corrupt field, and sums of such values would overflow the totals.
const MAX_CONTRACT_CENTS: i64 = 1_000_000_000_000_000;

/// What a JSON import read.
#[derive(Debug, Default, Clone, Copy)]
pub struct JsonCounts {
    pub accounts: u64,
    pub personas: u64,
    pub touches: u64,
    pub followups: u64,
}

/// A table's columns and the export's key for each (they differ only where the export
/// names the unit).
struct TableSpec {
    section: &'static str,
    table: &'static str,
    columns: &'static [(&'static str, &'static str)],
    /// `external_ids.entity` of the section's records, if they carry CRM ids.
    entity: Option<&'static str>,
}

macro_rules! cols {
    ($($c:literal),* $(,)?) => { &[$(($c, $c)),*] };
}

const TABLES: &[TableSpec] = &[
    TableSpec {
        section: "csms",
        table: "csms",
        columns: cols![
            "id",
            "name",
            "email",
            "region",
            "team_lead_id",
            "is_team_lead",
            "is_me",
            "created_at"
        ],
        entity: Some("csm"),
    },
    TableSpec {
        section: "accounts",
        table: "accounts",
        columns: &[
            ("id", "id"),
            ("name", "name"),
            ("segment", "segment"),
            ("tier", "tier"),
            ("industry", "industry"),
            ("contract_value", "contract_value_cents"),
            ("renewal_date", "renewal_date"),
            ("owner_csm_id", "owner_csm_id"),
            ("parent_id", "parent_id"),
            ("created_at", "created_at"),
            ("archived_at", "archived_at"),
        ],
        entity: Some("account"),
    },
    TableSpec {
        section: "personas",
        table: "personas",
        columns: cols![
            "id",
            "account_id",
            "name",
            "title",
            "email",
            "phone",
            "role",
            "role_guessed",
            "reports_to_id",
            "strength",
            "sentiment",
            "last_contact_at",
            "notes",
            "created_at",
            "archived_at"
        ],
        entity: Some("persona"),
    },
    TableSpec {
        section: "touches",
        table: "touches",
        columns: cols![
            "id",
            "account_id",
            "csm_id",
            "kind",
            "call_type",
            "status",
            "occurred_at",
            "ended_at",
            "summary",
            "notes",
            "sentiment",
            "intervention",
            "followup_on",
            "no_followup",
            "outcome",
            "csat",
            "escalated",
            "retro_worked",
            "retro_failed",
            "retro_at",
            "created_at",
            "updated_at"
        ],
        entity: Some("touch"),
    },
    TableSpec {
        section: "persona_changes",
        table: "persona_changes",
        columns: cols![
            "id",
            "persona_id",
            "changed_at",
            "strength",
            "sentiment",
            "reason",
            "touch_id"
        ],
        entity: None,
    },
    TableSpec {
        section: "pulse_history",
        table: "pulse_history",
        columns: cols![
            "id",
            "account_id",
            "pulse",
            "reason",
            "set_at",
            "csm_id",
            "touch_id"
        ],
        entity: None,
    },
    TableSpec {
        section: "followups",
        table: "followups",
        columns: cols![
            "id",
            "account_id",
            "touch_id",
            "persona_id",
            "due_on",
            "action",
            "created_at",
            "done_at",
            "snoozed_from"
        ],
        entity: None,
    },
    TableSpec {
        section: "signals",
        table: "signals",
        columns: cols!["id", "account_id", "kind", "value", "note", "observed_at"],
        entity: None,
    },
];

fn sql_value(v: Option<&serde_json::Value>) -> rusqlite::types::Value {
    use rusqlite::types::Value as V;
    use serde_json::Value as J;
    match v {
        None | Some(J::Null) => V::Null,
        Some(J::Bool(b)) => V::Integer(i64::from(*b)),
        Some(J::Number(n)) => match n.as_i64() {
            Some(i) => V::Integer(i),
            None => V::Real(n.as_f64().unwrap_or(0.0)),
        },
        Some(J::String(s)) => V::Text(s.clone()),
        Some(other) => V::Text(other.to_string()),
    }
}

/// An id field: a decimal string (this build's exports) or an integer (older ones). What
/// is neither goes through as it is, for SQLite to refuse with the record named.
fn id_value(v: Option<&serde_json::Value>) -> rusqlite::types::Value {
    match v.and_then(id_of) {
        Some(id) => rusqlite::types::Value::Integer(id),
        None => sql_value(v),
    }
}

/// Fields of an export that hold free text (notes); every other text is one line.
const FREE_TEXT: &[&str] = &[
    "notes",
    "note",
    "summary",
    "outcome",
    "reason",
    "action",
    "retro_worked",
    "retro_failed",
    "skipped_reason",
];

/// A field's value with its text cleaned of control characters, as every way into the
/// file cleans it: a JSON export may come from a file written by anything.
fn text_value(key: &str, v: Option<&serde_json::Value>) -> rusqlite::types::Value {
    match v {
        Some(serde_json::Value::String(s)) => rusqlite::types::Value::Text(
            if FREE_TEXT.contains(&key) {
                clean_text(s)
            } else {
                clean_line(s)
            }
            .into_owned(),
        ),
        other => sql_value(other),
    }
}

/// Reads back `attuned export --format json`: every record keeps its id, so importing
/// into an empty database and exporting again gives the same data, and importing the
/// same file twice updates instead of duplicating. Summaries are recomputed.
pub fn apply_json(
    store: &mut Store,
    file: &str,
    bytes: &[u8],
    dry_run: bool,
) -> Result<JsonCounts> {
    apply_json_showing(store, file, bytes, dry_run, &Silent)
}

/// `apply_json`, telling `progress` how many records are in, and stopping (nothing kept)
/// when it asks.
pub fn apply_json_showing(
    store: &mut Store,
    file: &str,
    bytes: &[u8],
    dry_run: bool,
    progress: &dyn Progress,
) -> Result<JsonCounts> {
    progress::interruptible(&store.conn, progress)?;
    let n = json_in_tx(store, file, bytes, dry_run, progress);
    progress::uninterruptible(&store.conn)?;
    let n = n.map_err(progress::cancelled)?;
    if !dry_run {
        progress.phase("Optimizing", None);
        store.optimize()?;
    }
    Ok(n)
}

/// An attuned JSON export into the database at `path`, as `into_path` does for CSV: a
/// missing file is built aside, so a refusal or a dry run leaves nothing there.
pub fn json_into_path(
    path: &Path,
    file: &str,
    bytes: &[u8],
    dry_run: bool,
    progress: &dyn Progress,
) -> Result<JsonCounts> {
    if path.exists() {
        let mut store = Store::open_for_writing(path)?;
        return apply_json_showing(&mut store, file, bytes, dry_run, progress);
    }
    let mut new = NewDb::create(path)?;
    let n = apply_json_showing(&mut new.store, file, bytes, dry_run, progress)?;
    if !dry_run {
        progress.phase("Syncing", None);
        new.keep()?;
    }
    Ok(n)
}

fn json_in_tx(
    store: &mut Store,
    file: &str,
    bytes: &[u8],
    dry_run: bool,
    progress: &dyn Progress,
) -> Result<JsonCounts> {
    store.writable("imported")?;
    progress.phase("Reading", None);
    // Parsing cannot look at the stop flag: on a thread of its own, so Ctrl-C still stops
    // at once.
    let (name, owned) = (file.to_string(), bytes.to_vec());
    let v = progress::stoppable(progress, move || {
        crate::import::json::parse(&name, &owned, crate::store::schema::LATEST)
    })??;
    let origin = store.origin;
    let tx = store
        .conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    // Records may point forward (a persona's manager, a change made on a later touch).
    tx.pragma_update(None, "defer_foreign_keys", true)?;
    let empty = Vec::new();
    let section = |name: &str| v.get(name).and_then(|x| x.as_array()).unwrap_or(&empty);
    let mut n = JsonCounts::default();
    let total = TABLES.iter().map(|t| section(t.section).len() as u64).sum();
    progress.phase("Importing records", Some(total));
    for spec in TABLES {
        let names: Vec<&str> = spec.columns.iter().map(|(c, _)| *c).collect();
        let marks: Vec<String> = (1..=names.len()).map(|i| format!("?{i}")).collect();
        let sets: Vec<String> = names[1..]
            .iter()
            .map(|c| format!("{c} = excluded.{c}"))
            .collect();
        let sql = format!(
            "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT (id) DO UPDATE SET {}",
            spec.table,
            names.join(", "),
            marks.join(", "),
            sets.join(", ")
        );
        let mut stmt = tx.prepare(&sql)?;
        let records = section(spec.section);
        for (i, r) in records.iter().enumerate() {
            progress::every(progress, i as u64)?;
            let values: Vec<rusqlite::types::Value> = spec
                .columns
                .iter()
                .map(|(_, key)| match (*key, r.get(*key)) {
                    // Exports from before the guess was kept (schema 6) have no flag.
                    ("role_guessed", None) => rusqlite::types::Value::Integer(0),
                    (_, v) if is_id_key(key) => id_value(v),
                    (_, v) => text_value(key, v),
                })
                .collect();
            stmt.execute(rusqlite::params_from_iter(values))
                .map_err(|e| {
                    bad(
                        file,
                        ImportProblem::Record {
                            section: spec.section,
                            record: i + 1,
                            id: r.get("id").map(|x| x.to_string()).unwrap_or_default(),
                            why: e.to_string(),
                        },
                    )
                })?;
            let id = r.get("id").and_then(id_of).unwrap_or(0);
            if let (Some(entity), Some(ids)) = (
                spec.entity,
                r.get("external_ids").and_then(|x| x.as_array()),
            ) {
                for e in ids {
                    if let (Some(system), Some(ext)) = (
                        e.get("system").and_then(|x| x.as_str()).map(clean_line),
                        e.get("external_id")
                            .and_then(|x| x.as_str())
                            .map(clean_line),
                    ) {
                        tx.execute(
                            "INSERT OR REPLACE INTO external_ids (entity, local_id, system, external_id)
                             VALUES (?1, ?2, ?3, ?4)",
                            params![entity, id, system, ext],
                        )?;
                    }
                }
            }
            if spec.table == "touches" {
                touch_children(&tx, origin, id, r)?;
            }
        }
        let count = records.len() as u64;
        progress::rest(progress, count);
        match spec.section {
            "accounts" => n.accounts = count,
            "personas" => n.personas = count,
            "touches" => n.touches = count,
            "followups" => n.followups = count,
            _ => {}
        }
    }
    let broken: i64 = tx.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
        r.get(0)
    })?;
    if broken > 0 {
        return Err(bad(file, ImportProblem::Dangling { broken }));
    }
    // What the file's constraints cannot state (a participant from another account, a
    // contract value no book holds) would make the file fail `check`: refused instead.
    let mut problems = crate::store::check::cross_record_problems(&tx)?;
    let huge: i64 = tx.query_row(
        "SELECT count(*) FROM accounts WHERE contract_value > ?1",
        [MAX_CONTRACT_CENTS],
        |r| r.get(0),
    )?;
    if huge > 0 {
        problems.push(format!(
            "{huge} account(s) with a contract value above $10 trillion"
        ));
    }
    if let Some(first) = problems.first() {
        return Err(bad(
            file,
            ImportProblem::FailsCheck {
                first: first.clone(),
            },
        ));
    }
    if dry_run {
        tx.rollback()?;
        return Ok(n);
    }
    let at = AsOf::new(&crate::domain::SystemClock);
    let ids: Vec<i64> = section("accounts")
        .iter()
        .filter_map(|a| a.get("id").and_then(id_of))
        .collect();
    progress.phase("Refreshing account summaries", Some(ids.len() as u64));
    for (i, id) in ids.into_iter().enumerate() {
        progress::every(progress, i as u64)?;
        refresh_account(&tx, id, &at)?;
    }
    crate::store::kpi_cache::refresh(&tx, None)?;
    progress::uninterruptible(&tx)?;
    tx.commit()?;
    Ok(n)
}

fn touch_children(
    tx: &rusqlite::Connection,
    origin: i64,
    touch: i64,
    r: &serde_json::Value,
) -> Result<()> {
    let list = |k: &str| {
        r.get(k)
            .and_then(|x| x.as_array())
            .cloned()
            .unwrap_or_default()
    };
    for p in list("participants") {
        if let Some(p) = id_of(&p) {
            tx.prepare_cached(
                "INSERT OR IGNORE INTO touch_participants (touch_id, persona_id) VALUES (?1, ?2)",
            )?
            .execute(params![touch, p])?;
        }
    }
    let w = Tx::new(tx, origin);
    for s in list("steps") {
        let existing: Option<i64> = tx
            .prepare_cached("SELECT id FROM touch_steps WHERE touch_id = ?1 AND step = ?2")?
            .query_row(params![touch, sql_value(s.get("step"))], |r| r.get(0))
            .optional()?;
        let id = match existing {
            Some(id) => id,
            None => w.next_id("touch_steps")?,
        };
        tx.prepare_cached(
            "INSERT INTO touch_steps (id, touch_id, step, started_at, ended_at, elapsed_ms,
                 skipped_reason, note, note_saved_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (id) DO UPDATE SET started_at = excluded.started_at,
                 ended_at = excluded.ended_at, elapsed_ms = excluded.elapsed_ms,
                 skipped_reason = excluded.skipped_reason, note = excluded.note,
                 note_saved_at = excluded.note_saved_at",
        )?
        .execute(params![
            id,
            touch,
            sql_value(s.get("step")),
            text_value("started_at", s.get("started_at")),
            text_value("ended_at", s.get("ended_at")),
            sql_value(s.get("elapsed_ms")),
            text_value("skipped_reason", s.get("skipped_reason")),
            text_value("note", s.get("note")),
            text_value("note_saved_at", s.get("note_saved_at"))
        ])?;
    }
    for p in list("prompts") {
        tx.prepare_cached(
            "INSERT INTO touch_prompts (id, touch_id, step, prompt_key, shown_at, used)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (id) DO UPDATE SET step = excluded.step, prompt_key = excluded.prompt_key,
                 shown_at = excluded.shown_at, used = excluded.used",
        )?
        .execute(params![
            id_value(p.get("id")),
            touch,
            sql_value(p.get("step")),
            text_value("prompt_key", p.get("prompt_key")),
            text_value("shown_at", p.get("shown_at")),
            sql_value(p.get("used"))
        ])?;
    }
    for v in list("revisions") {
        tx.prepare_cached(
            "INSERT INTO touch_revisions (id, touch_id, revised_at, previous) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (id) DO UPDATE SET revised_at = excluded.revised_at, previous = excluded.previous",
        )?
        .execute(params![
            id_value(v.get("id")),
            touch,
            sql_value(v.get("revised_at")),
            sql_value(v.get("previous"))
        ])?;
    }
    Ok(())
}
