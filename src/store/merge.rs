//! `attuned team merge`: CSMs' files combined into one team file, by SQLite itself.
//!
//! Every id is `origin << 32 | seq`, so the rows a CSM's file brought into the team file
//! are the rows whose ids carry that file's origins (usually one; a file that imported
//! another file's JSON export also holds that file's ids). Merging a file again deletes
//! every team row of those origins and copies the file's rows in: a newer copy replaces
//! the older one, records deleted since disappear, nothing is ever duplicated.
//!
//! The sources are only read: validated read-only first (a file that is not ours or is
//! from a newer attuned stops the merge before the team file is even opened for
//! writing), then opened read-only one after the other (`mode=ro`, or `immutable=1` for
//! a cleanly closed file so that nothing is created beside it), so any number of them
//! merge in one run. A source at an older schema is copied into a private work directory
//! beside the team file, migrated there, and the copy read. All writes are one
//! transaction, with foreign keys off so
//! deleting a CSM's accounts cascades into nobody else's rows (nor the team lead's
//! audits); `PRAGMA foreign_key_check` must pass before it commits.

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rusqlite::types::ToSqlOutput;
use rusqlite::{Connection, OptionalExtension, params};

use super::{NewDb, Store, foreign_key_problems, open_immutable, schema, timestamp};
use crate::error::{Error, Result, Unmerged};
use crate::fsx::sidecar;
use crate::progress::{self, Progress, Silent};

/// `meta` key marking a team file.
pub const TEAM_KEY: &str = "team";

/// `meta` key prefix of what was merged from each CSM's file (`merged:<origin>`).
pub const MERGED_PREFIX: &str = "merged:";

/// Tables whose rows come from the CSMs' files, with the column whose id tells which
/// file a row came from.
pub const MERGED_TABLES: &[(&str, &str)] = &[
    ("csms", "id"),
    ("accounts", "id"),
    ("personas", "id"),
    ("persona_changes", "id"),
    ("pulse_history", "id"),
    ("touches", "id"),
    ("touch_participants", "touch_id"),
    ("touch_steps", "id"),
    ("touch_prompts", "id"),
    ("touch_revisions", "id"),
    ("followups", "id"),
    ("signals", "id"),
    ("external_ids", "local_id"),
];

/// Tables a merge leaves alone, and why. A virtual table's shadow tables
/// (`account_names_data`, ...) go with it.
pub const KEPT_TABLES: &[(&str, &str)] = &[
    (
        "meta",
        "the team file's own facts (its origin, what was merged)",
    ),
    (
        "portfolio_totals",
        "kept current by the triggers on accounts",
    ),
    (
        "csm_totals",
        "kept current by the triggers on accounts and touches",
    ),
    (
        "kpi_tallies",
        "the KPI figures, counted again for what the merge changed",
    ),
    (
        "kpi_steps",
        "the KPI figures, counted again for what the merge changed",
    ),
    (
        "kpi_lines",
        "the KPI figures, counted again for what the merge changed",
    ),
    (
        "kpi_stale",
        "the KPI groups to count again, emptied by the merge's count",
    ),
    (
        "account_names",
        "the name search index, kept by the triggers on accounts",
    ),
    (
        "audits",
        "the team lead's own rows, which must survive every merge",
    ),
    (
        "pilots",
        "the team lead's own pilots, which must survive every merge",
    ),
    ("pilot_csms", "the team lead's own pilots"),
    ("pilot_accounts", "the team lead's own pilots"),
    ("pilot_baselines", "the team lead's own pilots"),
];

/// One CSM's file, validated.
#[derive(Debug, Clone)]
struct Source {
    path: PathBuf,
    version: i64,
    origin: i64,
    modified: Option<DateTime<Utc>>,
}

/// What one source brought.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    pub path: PathBuf,
    /// The file's own CSM (`is_me`), if it records one.
    pub csm: Option<String>,
    pub accounts: i64,
    pub personas: i64,
    pub touches: i64,
    /// The schema the file was at, when it had to be migrated (in a copy).
    pub migrated_from: Option<i64>,
    /// The day of the copy this one replaced (its file's modification time), if any.
    pub replaced: Option<String>,
    /// The replaced copy was modified after this one.
    pub replaced_newer: bool,
    /// The very file merged last time, not modified since: its records were kept as
    /// they are (the counts are those of that merge).
    pub unchanged: bool,
}

#[derive(Debug, Default)]
pub struct Outcome {
    pub merged: Vec<Merged>,
    /// (skipped, superseded by): files of the same CSM given twice; the last one wins.
    pub skipped: Vec<(PathBuf, PathBuf)>,
}

/// Merges `sources` into the team file `into` (created if missing), all or nothing.
pub fn merge(into: &Path, sources: &[PathBuf], now: DateTime<Utc>) -> Result<Outcome> {
    merge_with(into, sources, now, &Silent)
}

/// The CSMs' files among `given`: a file as it is; a folder, every `*.db` file in it
/// (sorted by name: time-stamped backups of one CSM, the latest last), leaving out
/// hidden files (what a command is building), SQLite's sidecars and the team file itself.
pub fn sources_in(given: &[PathBuf], into: &Path) -> Result<Vec<PathBuf>> {
    let team = fs::canonicalize(into).ok();
    let mut out = Vec::new();
    for path in given {
        if !path.is_dir() {
            out.push(path.clone());
            continue;
        }
        let mut found = Vec::new();
        for entry in fs::read_dir(path).map_err(|e| Error::io(path, e))? {
            let entry = entry.map_err(|e| Error::io(path, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let file = entry.path();
            if name.starts_with('.') || !name.ends_with(".db") || file.is_dir() {
                continue;
            }
            if team.is_some() && fs::canonicalize(&file).ok() == team {
                continue;
            }
            found.push(file);
        }
        if found.is_empty() {
            return Err(Unmerged::NoDbFiles(path.to_path_buf()).into());
        }
        found.sort();
        out.extend(found);
    }
    Ok(out)
}

/// `merge`, telling `progress` how many files are checked and merged, and stopping (the
/// team file as it was, nothing left beside it) when it asks.
///
/// Each source is read through a connection of its own, one after the other, so any
/// number of files merge in the one transaction (SQLite attaches at most 10 databases to
/// a connection, and cannot detach one in the middle of a transaction that read it), and
/// only one is open at a time.
pub fn merge_with(
    into: &Path,
    sources: &[PathBuf],
    now: DateTime<Utc>,
    progress: &dyn Progress,
) -> Result<Outcome> {
    if sources.is_empty() {
        return Err(Unmerged::NoSources.into());
    }
    if let Some(why) = super::write_protected(into) {
        return Err(Error::WriteProtected {
            why,
            done: "merged",
        });
    }
    // 1. Every source validated before anything is written.
    progress.phase("Checking files", Some(sources.len() as u64));
    let mut found = Vec::new();
    for path in sources {
        found.push(inspect(path, into)?);
        progress::step(progress, 1)?;
    }
    // The same CSM's file twice: the last one given wins.
    let mut outcome = Outcome::default();
    let mut chosen: Vec<Source> = Vec::new();
    for (i, s) in found.iter().enumerate() {
        if let Some(later) = found[i + 1..].iter().find(|l| l.origin == s.origin) {
            outcome.skipped.push((s.path.clone(), later.path.clone()));
        } else {
            chosen.push(s.clone());
        }
    }
    // 2. The team file, if it exists: ours, not from a newer attuned, and a team file.
    if into.exists() {
        let team = Store::open_read_only(into)?;
        let is_team = team.meta(TEAM_KEY)?.is_some();
        if !is_team && team.account_count()? > 0 {
            return Err(Unmerged::IntoCsmFile(into.to_path_buf()).into());
        }
        if let Some(s) = chosen.iter().find(|s| s.origin == team.origin()) {
            return Err(Unmerged::CopyOfTeam {
                source_file: s.path.clone(),
                team: into.to_path_buf(),
            }
            .into());
        }
    }
    // 3. One transaction over the team file, the sources read one by one.
    // A new team file is built aside and named only once merged (`NewDb`).
    let work = WorkDir::new(into);
    let mut new = None;
    let mut opened;
    let team: &mut Store = if into.exists() {
        opened = Store::open_for_writing(into)?;
        &mut opened
    } else {
        &mut new.insert(NewDb::create(into)?).store
    };
    let team_origin = team.origin();
    progress::interruptible(&team.conn, progress)?;
    // A load's big page cache (a team file's indexes outgrow the default one at once),
    // and foreign keys off (set outside the transaction, where it has effect).
    let result = team.bulk_load(&[("foreign_keys", 0)], |team| {
        let conn = &mut team.conn;
        check_covered(conn)?;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        // The KPI figures are counted once at the end, not marked row by row.
        let kpi_triggers = super::bulk::set_aside(&tx, super::kpi_cache::TRIGGERS, [])?;
        progress.phase("Merging files", Some(chosen.len() as u64));
        let mut merged = Vec::new();
        for (i, s) in chosen.iter().enumerate() {
            let (src, copy) = open_source(s, i, &work)?;
            merged.push(replace(&tx, &src, s, team_origin, now, progress)?);
            drop(src);
            if let Some(copy) = copy {
                let _ = fs::remove_file(copy);
            }
            progress::step(progress, 1)?;
        }
        progress.phase("Checking references", None);
        if let Some((table, n)) = foreign_key_problems(&tx)? {
            return Err(Unmerged::Dangling { n, table }.into());
        }
        tx.execute(
            "INSERT OR REPLACE INTO main.meta (key, value) VALUES (?1, '1')",
            [TEAM_KEY],
        )?;
        progress.phase("Counting the KPIs", None);
        for sql in &kpi_triggers {
            tx.execute_batch(sql)?;
        }
        super::kpi_cache::rebuild(&tx)?;
        progress::uninterruptible(&tx)?;
        tx.commit()?;
        Ok(merged)
    });
    progress::uninterruptible(&team.conn)?;
    outcome.merged = result.map_err(progress::cancelled)?;
    progress.phase("Optimizing", None);
    team.optimize()?;
    if let Some(new) = new {
        new.keep()?;
    }
    Ok(outcome)
}

/// A read-only connection to one source: the file itself, or, for one at an older
/// schema, a copy migrated in the work folder (removed when the merge ends).
fn open_source(s: &Source, i: usize, work: &WorkDir) -> Result<(Connection, Option<PathBuf>)> {
    let copy = if s.version < schema::LATEST {
        let copy = work.get()?.join(format!("source{i}.db"));
        super::backup::copy_to(&open_immutable(&s.path)?, &s.path, &copy)?;
        // Migrated in place: the source itself is the copy from before.
        drop(Store::open_migrating(&copy, false)?);
        Some(copy)
    } else {
        None
    };
    let conn =
        open_immutable(copy.as_deref().unwrap_or(&s.path)).map_err(|e| Unmerged::Unreadable {
            path: s.path.clone(),
            detail: e.to_string(),
        })?;
    Ok((conn, copy))
}

/// Tables of the team file that neither list covers (a new table in the schema must be
/// added to one of them).
pub fn uncovered_tables(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare(
        "SELECT name FROM main.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
    )?;
    let names = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let known = |n: &str| {
        MERGED_TABLES.iter().any(|(t, _)| *t == n)
            || KEPT_TABLES
                .iter()
                .any(|(t, _)| *t == n || n.starts_with(&format!("{t}_")))
    };
    Ok(names.into_iter().filter(|n| !known(n)).collect())
}

fn check_covered(conn: &Connection) -> Result<()> {
    let missing = uncovered_tables(conn)?;
    if missing.is_empty() {
        return Ok(());
    }
    Err(Unmerged::UnknownTables(missing.join(", ")).into())
}

/// A source checked read-only: an attuned file, not from a newer attuned, not a team file.
fn inspect(path: &Path, into: &Path) -> Result<Source> {
    if let (Ok(a), Ok(b)) = (fs::canonicalize(path), fs::canonicalize(into))
        && a == b
    {
        return Err(Unmerged::TeamItself(path.to_path_buf()).into());
    }
    if path.is_dir() {
        return Err(Error::IsADirectory {
            path: path.to_path_buf(),
        });
    }
    let not_ours = || Error::NotADatabase {
        path: path.to_path_buf(),
    };
    // Refuses what is not SQLite, is damaged, or is from a newer attuned; an empty
    // SQLite file has no `meta` table to read the origin from.
    let store = match Store::open_read_only(path) {
        Err(Error::Sqlite(e)) if e.to_string().contains("no such table") => {
            return Err(not_ours());
        }
        other => other?,
    };
    let version: i64 = store
        .conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version == 0 || store.meta("origin")?.is_none() {
        return Err(not_ours());
    }
    if store.meta(TEAM_KEY)?.is_some() {
        return Err(Unmerged::SourceIsTeam(path.to_path_buf()).into());
    }
    Ok(Source {
        path: path.to_path_buf(),
        version,
        origin: store.origin(),
        modified: modified(path),
    })
}

/// When the file's data last changed: the later of the file and its WAL.
fn modified(path: &Path) -> Option<DateTime<Utc>> {
    [path.to_path_buf(), sidecar(path, "-wal")]
        .iter()
        .filter_map(|p| fs::metadata(p).and_then(|m| m.modified()).ok())
        .max()
        .map(DateTime::<Utc>::from)
}

/// The low and high id of one origin.
fn id_range(origin: i64) -> (i64, i64) {
    (origin << 32, (origin << 32) | 0xffff_ffff)
}

/// Replaces every team row of the source's origins with the source's rows.
fn replace(
    tx: &Connection,
    src: &Connection,
    s: &Source,
    team_origin: i64,
    now: DateTime<Utc>,
    progress: &dyn Progress,
) -> Result<Merged> {
    // One consistent view of the source, even while its CSM works in it.
    let _snapshot = src.unchecked_transaction()?;
    let previous: Option<serde_json::Value> = tx
        .query_row(
            "SELECT value FROM main.meta WHERE key = ?1",
            [format!("{MERGED_PREFIX}{}", s.origin)],
            |r| r.get::<_, String>(0),
        )
        .optional()?
        .and_then(|v| serde_json::from_str(&v).ok());
    if let Some(kept) = previous.as_ref().and_then(|p| unchanged(p, s)) {
        return Ok(kept);
    }
    let origins = origins_in(src, s.origin)?;
    if origins.contains(&team_origin) {
        return Err(Unmerged::HoldsTeamRecords(s.path.clone()).into());
    }
    for (table, column) in MERGED_TABLES {
        let columns = columns_of(tx, table)?;
        let source_columns = columns_in(src, "main", table)?;
        if let Some(missing) = columns.iter().find(|c| !source_columns.contains(c)) {
            return Err(Unmerged::MissingColumn {
                path: s.path.clone(),
                table: table.to_string(),
                column: missing.clone(),
            }
            .into());
        }
        let mut delete = tx.prepare(&format!(
            "DELETE FROM main.{table} WHERE {column} BETWEEN ?1 AND ?2"
        ))?;
        for o in &origins {
            let (lo, hi) = id_range(*o);
            delete.execute(params![lo, hi])?;
        }
        let list = columns.join(", ");
        // Tables with triggers (totals, name search) get plain inserts: a row REPLACE
        // deletes fires no delete trigger. Their ids were all just freed. Elsewhere a key
        // shared with another file's row (the same CRM id imported by two CSMs) goes to
        // the file merged last.
        let verb = if has_triggers(tx, table)? {
            "INSERT"
        } else {
            "INSERT OR REPLACE"
        };
        let marks = (1..=columns.len())
            .map(|i| format!("?{i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut insert = tx.prepare(&format!(
            "{verb} INTO main.{table} ({list}) VALUES ({marks})"
        ))?;
        let mut select = src.prepare(&format!("SELECT {list} FROM main.{table}"))?;
        let mut rows = select.query([])?;
        let mut copied = 0u64;
        while let Some(row) = rows.next()? {
            for i in 0..columns.len() {
                insert.raw_bind_parameter(i + 1, ToSqlOutput::Borrowed(row.get_ref(i)?))?;
            }
            insert.raw_execute()?;
            copied += 1;
            // The bar counts files; this only looks at the stop flag.
            if copied.is_multiple_of(progress::EVERY) {
                progress::step(progress, 0)?;
            }
        }
    }
    let count = |table: &str| {
        src.query_row(&format!("SELECT count(*) FROM main.{table}"), [], |r| {
            r.get::<_, i64>(0)
        })
    };
    let csm: Option<String> = src
        .query_row(
            "SELECT name FROM main.csms WHERE is_me = 1 ORDER BY id LIMIT 1",
            [],
            |r| r.get(0),
        )
        .optional()?;
    let merged = Merged {
        path: s.path.clone(),
        csm: csm.clone(),
        accounts: count("accounts")?,
        personas: count("personas")?,
        touches: count("touches")?,
        migrated_from: (s.version < schema::LATEST).then_some(s.version),
        replaced: previous
            .as_ref()
            .and_then(|p| p.get("modified").and_then(|m| m.as_str()))
            .map(|m| m.chars().take(10).collect()),
        replaced_newer: previous
            .as_ref()
            .and_then(|p| p.get("modified").and_then(|m| m.as_str()))
            .and_then(super::parse_timestamp)
            .zip(s.modified)
            .is_some_and(|(before, this)| before > this),
        unchanged: false,
    };
    // Records of the other origins were replaced too: so were their files' entries.
    let mut forget = tx.prepare("DELETE FROM main.meta WHERE key = ?1")?;
    for o in &origins {
        forget.execute([format!("{MERGED_PREFIX}{o}")])?;
    }
    let record = serde_json::json!({
        "path": s.path.display().to_string(),
        "merged_at": timestamp(now),
        "modified": s.modified.map(timestamp),
        "modified_ns": modified_ns(s),
        "schema": schema::LATEST,
        "csm": csm,
        "accounts": merged.accounts,
        "personas": merged.personas,
        "touches": merged.touches,
        "origins": origins.iter().collect::<Vec<_>>(),
    });
    tx.execute(
        "INSERT OR REPLACE INTO main.meta (key, value) VALUES (?1, ?2)",
        params![format!("{MERGED_PREFIX}{}", s.origin), record.to_string()],
    )?;
    Ok(merged)
}

/// The source's modification time to the nanosecond: equal to the one recorded at the
/// last merge, the file has not changed since.
fn modified_ns(s: &Source) -> Option<i64> {
    s.modified.and_then(|m| m.timestamp_nanos_opt())
}

/// What the last merge of this very file brought, if the file has not changed since (same
/// path, same modification time to the nanosecond, at this schema, merged by an attuned
/// writing this schema, holding only its own records): re-merging a folder then costs
/// only the files that changed.
fn unchanged(previous: &serde_json::Value, s: &Source) -> Option<Merged> {
    let same = previous.get("path")?.as_str()? == s.path.display().to_string()
        && previous.get("modified_ns")?.as_i64()? == modified_ns(s)?
        && previous.get("schema")?.as_i64()? == schema::LATEST
        && s.version == schema::LATEST
        // A file holding other files' records (an imported JSON export) is merged again
        // each time, as the order of the files decides who wins those.
        && previous.get("origins")?.as_array()?.as_slice() == [serde_json::json!(s.origin)];
    if !same {
        return None;
    }
    let n = |key: &str| previous.get(key).and_then(|v| v.as_i64()).unwrap_or(0);
    Some(Merged {
        path: s.path.clone(),
        csm: previous
            .get("csm")
            .and_then(|c| c.as_str())
            .map(String::from),
        accounts: n("accounts"),
        personas: n("personas"),
        touches: n("touches"),
        migrated_from: None,
        replaced: None,
        replaced_newer: false,
        unchanged: true,
    })
}

/// The origins of every id the source holds, its own included.
fn origins_in(src: &Connection, own: i64) -> Result<BTreeSet<i64>> {
    let mut origins = BTreeSet::from([own]);
    for (table, column) in MERGED_TABLES {
        if *column == "id" {
            // Jumps from origin to origin along the primary key: a few lookups per table.
            let mut next =
                src.prepare(&format!("SELECT min(id) FROM main.{table} WHERE id >= ?1"))?;
            let mut from = i64::MIN;
            while let Some(id) = next.query_row([from], |r| r.get::<_, Option<i64>>(0))? {
                let o = id >> 32;
                origins.insert(o);
                match o.checked_add(1).and_then(|n| n.checked_shl(32)) {
                    Some(n) if n > id => from = n,
                    _ => break,
                }
            }
        } else {
            let mut stmt =
                src.prepare(&format!("SELECT DISTINCT {column} >> 32 FROM main.{table}"))?;
            let found = stmt
                .query_map([], |r| r.get::<_, i64>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            origins.extend(found);
        }
    }
    Ok(origins)
}

fn has_triggers(tx: &Connection, table: &str) -> Result<bool> {
    Ok(tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM main.sqlite_master WHERE type = 'trigger' AND tbl_name = ?1)",
        [table],
        |r| r.get(0),
    )?)
}

/// The stored (not generated) columns of a team table.
fn columns_of(tx: &Connection, table: &str) -> Result<Vec<String>> {
    columns_in(tx, "main", table)
}

fn columns_in(tx: &Connection, schema_name: &str, table: &str) -> Result<Vec<String>> {
    let mut stmt =
        tx.prepare("SELECT name FROM pragma_table_xinfo(?1, ?2) WHERE hidden = 0 ORDER BY cid")?;
    let names = stmt
        .query_map([table, schema_name], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(names)
}

/// A private (0700) directory beside the team file for migrated copies, made on first
/// use and removed with everything in it when the merge ends.
struct WorkDir {
    path: PathBuf,
    into: PathBuf,
    made: std::cell::Cell<bool>,
}

impl WorkDir {
    fn new(into: &Path) -> WorkDir {
        let name = into
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "team.db".into());
        // Beside the hidden team file being built (`.NAME.PID.tmp`), and removed with
        // what a dead merge left (`fsx`).
        crate::fsx::sweep(into);
        let path = into.with_file_name(format!(".{name}.{}.tmp-merge", std::process::id()));
        WorkDir {
            path,
            into: into.to_path_buf(),
            made: std::cell::Cell::new(false),
        }
    }

    fn get(&self) -> Result<&Path> {
        if !self.made.get() {
            fs::DirBuilder::new()
                .mode(0o700)
                .create(&self.path)
                .map_err(|e| crate::fsx::cannot_write(&self.into, e))?;
            self.made.set(true);
        }
        Ok(&self.path)
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        if self.made.get() {
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}
