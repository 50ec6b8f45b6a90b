//! Writing imported records: every file of one `attuned import` in one transaction,
//! updating records found by their CRM id (`external_ids`) and adding the rest.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::path::Path;

use chrono::{DateTime, Months, NaiveDate, Utc};
use rusqlite::{OptionalExtension, params};

use super::bulk::set_aside;
use super::summary::{AsOf, Derived, refresh_account, refresh_accounts};
use super::write::{INSERT_ACCOUNT, NewCsm, NewTouch, Tx};
use super::{FastMap, FastSet, NewDb, Store, timestamp};
use crate::domain::Clock;
use crate::domain::coverage::PersonaTie;
use crate::domain::model::{Pulse, Role, Segment, Sentiment, Strength, TouchKind};
use crate::domain::risk::RiskInputs;
use crate::domain::text::{clean_line, clean_text};
use crate::error::{Error, Result};
use crate::import::{
    AccountRec, ContactRec, DealRec, DealStatus, Kind, Parsed, Rejected, System, contract_terms,
};
use crate::json_id::{id_of, is_id_key};
use crate::progress::{self, Progress, Silent};

/// The largest contract value a JSON import takes, in cents ($10 trillion): anything
/// above is a corrupt field, and sums of such values would overflow the totals.
const MAX_CONTRACT_CENTS: i64 = 1_000_000_000_000_000;

/// Above this many accounts in one import, the name index is fed in one statement.
const BULK_ACCOUNTS: usize = 2000;

/// A table getting at least this many new rows, and at least as many as it holds, has
/// its indexes built after the load instead of row by row (see `SetAside`).
const BULK_MIN: usize = 5000;

/// From this many records on, CRM ids, account names and parents are read into memory
/// once rather than looked up row by row.
const LOAD_ALL: usize = 5000;

/// Connection settings of an import beside `Store::bulk_load`'s own: `CREATE INDEX`
/// sorts with a helper thread.
const BULK_SETTINGS: &[(&str, i64)] = &[("threads", 2)];

/// Those of an import that checks foreign keys once, for the whole file, before it
/// commits (`foreign_key_check`) instead of at every row (see `checks_once`).
const CHECK_ONCE_SETTINGS: &[(&str, i64)] = &[("threads", 2), ("foreign_keys", 0)];

/// How many records of each kind an import added or updated.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub accounts: u64,
    pub personas: u64,
    pub csms: u64,
    pub touches: u64,
}

#[derive(Debug, Default, Clone)]
pub struct Outcome {
    pub added: Counts,
    pub updated: Counts,
    pub unchanged: Counts,
    /// Rows not imported (file, line, reason), from parsing and from writing.
    pub rejected: Vec<Rejected>,
    /// Rows left out on purpose.
    pub skipped: Vec<Rejected>,
    /// Imported, with something left out (an unknown parent or manager).
    pub warnings: Vec<Rejected>,
    /// Whether the changes were kept.
    pub committed: bool,
}

/// What to do with the rows that could be imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Report only; change nothing.
    DryRun,
    /// All rows or none.
    AllOrNothing,
    /// The good rows, even when others are rejected.
    KeepGood,
}

/// Imports `files` (already parsed) into `store`.
pub fn apply(
    store: &mut Store,
    files: &[Parsed],
    mode: Mode,
    clock: &dyn Clock,
) -> Result<Outcome> {
    apply_with(store, files, mode, clock, BULK_MIN, &Silent)
}

/// `apply`, telling `progress` its phases and rows, and stopping (nothing kept) when it
/// asks.
pub fn apply_showing(
    store: &mut Store,
    files: &[Parsed],
    mode: Mode,
    clock: &dyn Clock,
    progress: &dyn Progress,
) -> Result<Outcome> {
    apply_with(store, files, mode, clock, BULK_MIN, progress)
}

/// `apply` into a file that does not exist yet, e.g. a CSM's first import.
///
/// The file is built under a hidden name beside `path` with its rollback journal in
/// memory and no syncing until the end (pages written once instead of twice: WAL, then
/// the file), synced once, switched to WAL like every attuned file, and given its name
/// only when the import is kept: a crash, a rejected row or a dry run leaves nothing at
/// `path`, and a file that appears there meanwhile is never replaced.
pub fn apply_to_new_file(
    path: &Path,
    files: &[Parsed],
    mode: Mode,
    clock: &dyn Clock,
) -> Result<Outcome> {
    apply_to_new_file_showing(path, files, mode, clock, &Silent)
}

/// `apply_to_new_file` with `apply_showing`'s progress.
pub fn apply_to_new_file_showing(
    path: &Path,
    files: &[Parsed],
    mode: Mode,
    clock: &dyn Clock,
    progress: &dyn Progress,
) -> Result<Outcome> {
    let mut new = NewDb::create(path)?;
    new.store
        .conn
        .pragma_update(None, "journal_mode", "MEMORY")?;
    new.store.conn.pragma_update(None, "synchronous", "OFF")?;
    let out = apply_showing(&mut new.store, files, mode, clock, progress)?;
    if !out.committed {
        return Ok(out);
    }
    progress.phase("Syncing", None);
    new.keep()?;
    Ok(out)
}

/// The parsed files into the database at `path`: an existing one in one transaction, a
/// missing one built aside and named only once imported, as `attuned import` does.
pub fn into_path(
    path: &Path,
    files: &[Parsed],
    mode: Mode,
    clock: &dyn Clock,
    progress: &dyn Progress,
) -> Result<Outcome> {
    if path.exists() {
        let mut store = Store::open_for_writing(path)?;
        apply_showing(&mut store, files, mode, clock, progress)
    } else {
        apply_to_new_file_showing(path, files, mode, clock, progress)
    }
}

/// `apply`, setting indexes aside for tables getting at least `bulk_min` new rows (see
/// `SetAside`); tests compare the two ways of loading.
fn apply_with(
    store: &mut Store,
    files: &[Parsed],
    mode: Mode,
    clock: &dyn Clock,
    bulk_min: usize,
    progress: &dyn Progress,
) -> Result<Outcome> {
    store.writable("imported")?;
    let mut out = Outcome::default();
    for f in files {
        out.rejected.extend(f.rejected.iter().cloned());
        out.skipped.extend(f.skipped.iter().cloned());
    }
    // A large import touches far more pages than the default 2 MB cache holds; spilling
    // them to the WAL mid-transaction made it I/O bound.
    let check_once = checks_once(store, records(files), bulk_min)?;
    let settings = if check_once {
        CHECK_ONCE_SETTINGS
    } else {
        BULK_SETTINGS
    };
    progress::interruptible(&store.conn, progress)?;
    let out = store.bulk_load(settings, |store| {
        apply_in_tx(
            store, files, mode, clock, out, bulk_min, check_once, progress,
        )
    });
    progress::uninterruptible(&store.conn)?;
    let out = out.map_err(progress::cancelled)?;
    if out.committed {
        progress.phase("Optimizing", None);
        store.optimize()?;
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)] // one call site; the progress sink is the eighth
fn apply_in_tx(
    store: &mut Store,
    files: &[Parsed],
    mode: Mode,
    clock: &dyn Clock,
    mut out: Outcome,
    bulk_min: usize,
    check_once: bool,
    progress: &dyn Progress,
) -> Result<Outcome> {
    let origin = store.origin;
    let tx = store
        .conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    progress.phase("Looking up CRM ids", None);
    let large = is_large(records(files), bulk_min);
    let at = AsOf::new(clock);
    let (touched, aside) = {
        let w = Tx::new(&tx, origin);
        let mut im = Importer {
            tx: &w,
            // (Statements prepared before the set-aside below re-prepare themselves.)
            sql: Held::new(&tx, clock.now())?,
            now: clock.now(),
            out: &mut out,
            csm_cache: HashMap::new(),
            names: FastMap::default(),
            touched: HashSet::default(),
            known: RefCell::new(HashMap::new()),
            load_all: large,
            names_in_db: None,
            parent_of: None,
            persona_account: FastMap::default(),
            held_back: check_once.then(HeldBack::default),
            persona_home: None,
            moved: false,
            progress,
        };
        let fresh = im.new_rows(files)?;
        let aside = SetAside::take(&tx, origin, &fresh, bulk_min)?;
        let rows = |of: fn(&Parsed) -> usize| Some(files.iter().map(of).sum::<usize>() as u64);
        progress.phase("Importing accounts", rows(|f| f.accounts.len()));
        // Whatever order the files were named in: people, then accounts, then their
        // contacts and history.
        for kind in [Kind::MavenTeams] {
            for f in files.iter().filter(|f| f.kind == kind) {
                im.csms(f)?;
            }
        }
        for kind in [Kind::MavenAccounts, Kind::Accounts] {
            for f in files.iter().filter(|f| f.kind == kind) {
                im.accounts(f)?;
            }
        }
        progress.phase("Linking parent accounts", None);
        for f in files
            .iter()
            .filter(|f| matches!(f.kind, Kind::MavenAccounts | Kind::Accounts))
        {
            im.parents(f)?;
        }
        progress.phase("Importing contacts", rows(|f| f.contacts.len()));
        for f in files.iter().filter(|f| f.kind == Kind::Contacts) {
            im.contacts(f)?;
        }
        im.end_crossed_lines()?;
        im.add_held_back(&at)?;
        progress.phase("Importing opportunities", rows(|f| f.deals.len()));
        for f in files.iter().filter(|f| f.kind == Kind::MavenPipeline) {
            im.deals(f)?;
        }
        for f in files.iter().filter(|f| f.kind == Kind::Opportunities) {
            im.opportunities(f, at.today)?;
        }
        (im.touched, aside)
    };
    let keep = match mode {
        Mode::DryRun => false,
        Mode::AllOrNothing => out.rejected.is_empty(),
        Mode::KeepGood => true,
    };
    if !keep {
        // Also brings back whatever was set aside.
        tx.rollback()?;
        return Ok(out);
    }
    // The summaries read personas, touches and the rest by account: their indexes first.
    progress.phase("Rebuilding indexes", None);
    aside.restore_indexes(&tx, |table| table != "accounts")?;
    progress.phase("Refreshing account summaries", None);
    let mut ids: Vec<i64> = touched.into_iter().collect();
    ids.sort_unstable();
    if is_large(ids.len(), bulk_min) {
        refresh_accounts(&tx, &ids, &at)?;
    } else {
        for id in ids {
            refresh_account(&tx, id, &at)?;
        }
    }
    progress.phase("Rebuilding account indexes", None);
    aside.restore_indexes(&tx, |table| table == "accounts")?;
    aside.restore_triggers(&tx)?;
    if let Some((table, n)) = check_once
        .then(|| super::foreign_key_problems(&tx))
        .transpose()?
        .flatten()
    {
        return Err(Error::Invalid(format!(
            "the import would leave {n} record(s) (first in {table}) pointing at records that do not exist; nothing was imported (this is a bug; please report it)"
        )));
    }
    progress.phase("Counting the KPIs", None);
    super::kpi_cache::refresh(&tx, None)?;
    progress.phase("Committing", None);
    progress::uninterruptible(&tx)?;
    tx.commit()?;
    out.committed = true;
    Ok(out)
}

/// Whether an import of `records` is a large one: CRM ids, names and parents are read
/// into memory once.
fn is_large(records: usize, bulk_min: usize) -> bool {
    records >= LOAD_ALL.min(bulk_min)
}

/// Whether an import of `records` runs with foreign keys off and checks them once before
/// it commits (then its new accounts are also held back until their contacts are in,
/// see `HeldBack`): a large import that brings at least as many records as the file
/// holds accounts and personas. (The check reads the whole file: a small import into a
/// large file checks its rows as they come.)
fn checks_once(store: &Store, records: usize, bulk_min: usize) -> Result<bool> {
    if !is_large(records, bulk_min) {
        return Ok(false);
    }
    let held: i64 = store.conn.query_row(
        "SELECT (SELECT count(*) FROM accounts) + (SELECT count(*) FROM personas)",
        [],
        |r| r.get(0),
    )?;
    Ok(records as i64 >= held)
}

/// Records in `files`.
fn records(files: &[Parsed]) -> usize {
    files
        .iter()
        .map(|f| f.accounts.len() + f.contacts.len() + f.deals.len() + f.csms.len())
        .sum()
}

/// Rows an import is about to add, per table.
#[derive(Debug, Default)]
struct NewRows {
    accounts: usize,
    personas: usize,
    touches: usize,
}

impl NewRows {
    /// (table, rows it is about to get).
    fn per_table(&self) -> [(&'static str, usize); 4] {
        [
            ("accounts", self.accounts),
            ("personas", self.personas),
            ("touches", self.touches),
            ("external_ids", self.accounts + self.personas + self.touches),
        ]
    }
}

/// Indexes and triggers set aside for a large load, inside its transaction (so a rollback
/// brings them back as they were), and how to put them back.
///
/// Adding rows one by one to a dozen indexes costs far more than building each index once
/// from the finished table, so when an import at least doubles a table (or fills an empty
/// one) that table's indexes are dropped and recreated after the load from their own
/// `CREATE INDEX` text in `sqlite_schema`: whatever indexes a later schema adds are
/// handled the same way. UNIQUE indexes stay, as they check the rows as they come.
///
/// Of the triggers, two kinds are set aside, each made good in one statement afterwards:
/// the one feeding the account-name search index (it writes the FTS index out at every
/// statement), and, with the accounts' indexes, those keeping `portfolio_totals` and
/// `csm_totals` (then recomputed from the accounts). Every other trigger keeps running.
struct SetAside {
    /// (table, CREATE INDEX statement) of each dropped index.
    indexes: Vec<(String, String)>,
    /// The name-index insert trigger's text, and the highest account id of this file's
    /// range before the load (the new accounts are above it, see `Tx::next_id`).
    fts: Option<(String, i64)>,
    /// The text of the dropped triggers on accounts that keep `portfolio_totals` and
    /// `csm_totals`.
    totals: Vec<String>,
    origin: i64,
}

impl SetAside {
    fn take(
        tx: &rusqlite::Connection,
        origin: i64,
        fresh: &NewRows,
        bulk_min: usize,
    ) -> Result<SetAside> {
        let mut aside = SetAside {
            indexes: Vec::new(),
            fts: None,
            totals: Vec::new(),
            origin,
        };
        for (table, adding) in fresh.per_table() {
            if adding < bulk_min.max(1) {
                continue;
            }
            let had: i64 = tx.query_row(&format!("SELECT count(*) FROM \"{table}\""), [], |r| {
                r.get(0)
            })?;
            if (adding as i64) < had {
                continue;
            }
            let dropped = set_aside(
                tx,
                "SELECT type, name, sql FROM sqlite_schema
                 WHERE type = 'index' AND tbl_name = ?1 AND sql IS NOT NULL ORDER BY name",
                [table],
            )?;
            aside
                .indexes
                .extend(dropped.into_iter().map(|sql| (table.to_string(), sql)));
            if table == "accounts" {
                aside.totals = set_aside(
                    tx,
                    "SELECT type, name, sql FROM sqlite_schema WHERE type = 'trigger'
                     AND tbl_name = 'accounts'
                     AND (sql LIKE '%portfolio_totals%' OR sql LIKE '%csm_totals%') ORDER BY name",
                    [],
                )?;
            }
        }
        if fresh.accounts > BULK_ACCOUNTS.min(bulk_min) {
            let sql: Option<String> = tx
                .query_row(
                    "SELECT sql FROM sqlite_schema WHERE type = 'trigger' AND name = 'account_names_insert'",
                    [],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(sql) = sql {
                let low = origin << 32;
                let max: i64 = tx.query_row(
                    "SELECT ifnull(max(id), ?1) FROM accounts WHERE id BETWEEN ?1 AND ?2",
                    [low, low | 0xffff_ffff],
                    |r| r.get(0),
                )?;
                tx.execute_batch("DROP TRIGGER account_names_insert")?;
                aside.fts = Some((sql, max));
            }
        }
        Ok(aside)
    }

    /// Recreates the dropped indexes of the tables `which` picks.
    fn restore_indexes(
        &self,
        tx: &rusqlite::Connection,
        which: impl Fn(&str) -> bool,
    ) -> Result<()> {
        for (table, sql) in &self.indexes {
            if which(table) {
                tx.execute_batch(sql)?;
            }
        }
        Ok(())
    }

    /// Puts the name-index trigger back and indexes the names it missed.
    fn restore_triggers(&self, tx: &rusqlite::Connection) -> Result<()> {
        for sql in &self.totals {
            tx.execute_batch(sql)?;
        }
        if !self.totals.is_empty() {
            tx.execute_batch(super::bulk::RECOMPUTE_PORTFOLIO_TOTALS)?;
            tx.execute_batch(super::bulk::RECOMPUTE_CSM_TOTALS)?;
        }
        if let Some((sql, max)) = &self.fts {
            tx.execute_batch(sql)?;
            tx.execute(
                "INSERT INTO account_names (rowid, name) SELECT id, name FROM accounts
                 WHERE id > ?1 AND id <= ?2",
                [*max, (self.origin << 32) | 0xffff_ffff],
            )?;
        }
        Ok(())
    }
}

/// The (id, id) rows of `sql` as a map, read in one pass.
fn id_pairs(conn: &rusqlite::Connection, sql: &str) -> Result<FastMap<i64, i64>> {
    let mut all = FastMap::default();
    let mut stmt = conn.prepare(sql)?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        all.insert(r.get(0)?, r.get(1)?);
    }
    Ok(all)
}

/// Per account: won value, latest win, and won value per CSM.
type Won = (i64, Option<NaiveDate>, HashMap<i64, i64>);

struct Importer<'a, 't> {
    tx: &'a Tx<'t>,
    now: DateTime<Utc>,
    out: &'a mut Outcome,
    csm_cache: HashMap<(System, String), i64>,
    /// Account names (lowercase) seen in this import, per system.
    names: FastMap<String, i64>,
    touched: FastSet<i64>,
    /// CRM ids per (entity, system): those resolved or created in this import, or all the
    /// database holds (see `IdMap::complete`).
    known: RefCell<HashMap<(&'static str, System), IdMap>>,
    /// A large import reads each (entity, system)'s CRM ids, live account names and
    /// parents once instead of asking SQLite row by row.
    load_all: bool,
    /// Live account names in the database (ASCII lowercase, as `COLLATE NOCASE` compares
    /// them) → the lowest id, read once by `account_by_name` when `load_all`.
    names_in_db: Option<FastMap<String, i64>>,
    /// Every account's parent, read once by `is_ancestor` when `load_all`, then kept
    /// current as parents are set.
    parent_of: Option<FastMap<i64, i64>>,
    /// The account of each persona added or updated in this import.
    persona_account: FastMap<i64, i64>,
    /// A large import's new accounts, added once their contacts are in.
    held_back: Option<HeldBack>,
    /// Every persona's account before this import, read once when `load_all`.
    persona_home: Option<FastMap<i64, i64>>,
    /// Whether a persona moved to another account (its reporting lines may now cross
    /// accounts: see `end_crossed_lines`).
    moved: bool,
    /// Told every `progress::EVERY` rows; asks the import to stop.
    progress: &'a dyn Progress,
    /// Statements of the per-row work, prepared once.
    sql: Held<'a>,
}

/// The new accounts of a large import, held back until their contacts are in, then
/// added with their parent and, when every persona they have is new, their summary in
/// the same row: each was otherwise written three times (added, given its parent,
/// summarised), a second of a 100k-account import. (Foreign keys are off then, see
/// `checks_once`, so their contacts may point at them before they are added.)
#[derive(Default)]
struct HeldBack {
    accounts: Vec<NewAccount>,
    /// Account id -> its place in `accounts`.
    at: FastMap<i64, usize>,
}

struct NewAccount {
    id: i64,
    rec: AccountRec,
    owner: Option<i64>,
    parent: Option<i64>,
    /// Its personas in the order of their ids (`persona_ties`' order).
    ties: Vec<PersonaTie>,
    /// Whether a persona already in the database moved to it (then its summary is read
    /// back from the database like any other account's).
    has_older_persona: bool,
}

impl NewAccount {
    /// With the defaults the accounts table would give the blank columns.
    fn new(id: i64, a: &AccountRec, owner: Option<i64>) -> NewAccount {
        let rec = AccountRec {
            segment: Some(a.segment.unwrap_or(Segment::Smb)),
            tier: Some(a.tier.unwrap_or(2)),
            contract_value_cents: Some(a.contract_value_cents.unwrap_or(0)),
            ..a.clone()
        };
        NewAccount {
            id,
            rec,
            owner,
            parent: None,
            ties: Vec::new(),
            has_older_persona: false,
        }
    }

    /// What `update_account` does to a row: the name always, the rest where `a` has a
    /// value. Returns whether anything changed.
    fn update(&mut self, a: &AccountRec, owner: Option<i64>) -> bool {
        let before = (self.rec.clone(), self.owner);
        let r = &mut self.rec;
        r.name.clone_from(&a.name);
        r.segment = a.segment.or(r.segment);
        r.tier = a.tier.or(r.tier);
        r.industry = a.industry.clone().or(r.industry.take());
        r.contract_value_cents = a.contract_value_cents.or(r.contract_value_cents);
        r.renewal_date = a.renewal_date.or(r.renewal_date);
        self.owner = owner.or(self.owner);
        before != (self.rec.clone(), self.owner)
    }
}

/// `INSERT_ACCOUNT` with the columns `Derived` gives (the others keep their defaults:
/// a new account has no sentiment, touch or follow-up yet).
const INSERT_HELD_BACK_ACCOUNT: &str = "INSERT INTO accounts (id, name, segment, tier,
    industry, contract_value, renewal_date, owner_csm_id, parent_id, created_at,
    personas_total, personas_strong, coverage_pct, missing_roles, risk, risk_as_of,
    personas_rated)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)";

/// `INSERT_PERSONA` with whether the role was guessed from the title.
const INSERT_IMPORTED_PERSONA: &str = "INSERT INTO personas (id, account_id, name, title,
    email, role, reports_to_id, strength, sentiment, created_at, role_guessed)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";

/// A re-imported persona's role (`?6`, guessed when `?7`): a role the file gives always;
/// a guess only over another guess or the default "other", never over a role a CSM set.
const NEW_ROLE: &str = "CASE WHEN ?6 IS NULL THEN role WHEN ?7 = 0 THEN ?6
    WHEN role_guessed = 1 OR role = 'other' THEN ?6 ELSE role END";
const NEW_ROLE_GUESSED: &str = "CASE WHEN ?6 IS NULL THEN role_guessed WHEN ?7 = 0 THEN 0
    WHEN role_guessed = 1 OR role = 'other' THEN 1 ELSE role_guessed END";

/// The statements run for every row of a file, prepared once for the whole import:
/// `prepare_cached` hashes a statement's text at every use, which was a tenth of a large
/// import. The inserts are `Tx`'s own (`write::INSERT_*`); the CRM id is a plain insert
/// where `Tx::add_external_id` replaces.
struct Held<'c> {
    add_account: rusqlite::Statement<'c>,
    add_persona: rusqlite::Statement<'c>,
    add_external_id: rusqlite::Statement<'c>,
    update_account: rusqlite::Statement<'c>,
    update_persona: rusqlite::Statement<'c>,
    persona_tie: rusqlite::Statement<'c>,
    set_parent: rusqlite::Statement<'c>,
    /// The import's time as stored.
    now: String,
}

impl<'c> Held<'c> {
    fn new(conn: &'c rusqlite::Connection, now: DateTime<Utc>) -> Result<Held<'c>> {
        Ok(Held {
            add_account: conn.prepare(INSERT_ACCOUNT)?,
            add_persona: conn.prepare(INSERT_IMPORTED_PERSONA)?,
            // `find` has just missed the id, so a plain insert (cheaper than REPLACE).
            add_external_id: conn.prepare(
                "INSERT INTO external_ids (entity, local_id, system, external_id)
                 VALUES (?1, ?2, ?3, ?4)",
            )?,
            update_account: conn.prepare(
                "UPDATE accounts SET name = ?2, segment = coalesce(?3, segment),
                     tier = coalesce(?4, tier), industry = coalesce(?5, industry),
                     contract_value = coalesce(?6, contract_value),
                     renewal_date = coalesce(?7, renewal_date),
                     owner_csm_id = coalesce(?8, owner_csm_id)
                 WHERE id = ?1 AND (name IS NOT ?2 OR segment IS NOT coalesce(?3, segment)
                     OR tier IS NOT coalesce(?4, tier) OR industry IS NOT coalesce(?5, industry)
                     OR contract_value IS NOT coalesce(?6, contract_value)
                     OR renewal_date IS NOT coalesce(?7, renewal_date)
                     OR owner_csm_id IS NOT coalesce(?8, owner_csm_id))",
            )?,
            update_persona: conn.prepare(&format!(
                "UPDATE personas SET account_id = ?2, name = ?3, title = coalesce(?4, title),
                     email = coalesce(?5, email), role = {NEW_ROLE},
                     role_guessed = {NEW_ROLE_GUESSED}
                 WHERE id = ?1 AND (account_id IS NOT ?2 OR name IS NOT ?3
                     OR title IS NOT coalesce(?4, title) OR email IS NOT coalesce(?5, email)
                     OR role IS NOT {NEW_ROLE} OR role_guessed IS NOT {NEW_ROLE_GUESSED})"
            ))?,
            persona_tie: conn.prepare("SELECT strength, sentiment FROM personas WHERE id = ?1")?,
            set_parent: conn.prepare(
                "UPDATE accounts SET parent_id = ?2 WHERE id = ?1 AND parent_id IS NOT ?2",
            )?,
            now: super::timestamp(now),
        })
    }
}

/// The CRM ids of one (entity, system) known so far.
#[derive(Default)]
struct IdMap {
    ids: FastMap<String, i64>,
    /// Whether `ids` holds every such id of the database (it held none when the import
    /// began, or all were read at once), so a miss is certain without asking SQLite.
    complete: bool,
    /// Whether the database was asked yet.
    checked: bool,
}

impl Importer<'_, '_> {
    fn find(&self, entity: &'static str, system: System, ext: &str) -> Result<Option<i64>> {
        let mut known = self.known.borrow_mut();
        let map = known.entry((entity, system)).or_default();
        if !map.checked {
            map.checked = true;
            let conn = self.tx.conn();
            if self.load_all {
                let mut stmt = conn.prepare(
                    "SELECT external_id, local_id FROM external_ids WHERE entity = ?1 AND system = ?2",
                )?;
                let mut rows = stmt.query(params![entity, system.as_str()])?;
                while let Some(r) = rows.next()? {
                    map.ids.entry(r.get(0)?).or_insert(r.get(1)?);
                }
                map.complete = true;
            } else {
                map.complete = conn.query_row(
                    "SELECT NOT EXISTS (SELECT 1 FROM external_ids WHERE entity = ?1 AND system = ?2)",
                    params![entity, system.as_str()],
                    |r| r.get(0),
                )?;
            }
        }
        if let Some(id) = map.ids.get(ext) {
            return Ok(Some(*id));
        }
        if map.complete {
            return Ok(None);
        }
        let found: Option<i64> = self
            .tx
            .conn()
            .prepare_cached(
                "SELECT local_id FROM external_ids WHERE entity = ?1 AND system = ?2 AND external_id = ?3",
            )?
            .query_row(params![entity, system.as_str(), ext], |r| r.get(0))
            .optional()?;
        if let Some(id) = found {
            map.ids.insert(ext.to_string(), id);
        }
        Ok(found)
    }

    /// Records a CRM id `find` did not know for a local record, in the database and in
    /// `known`.
    fn link(
        &mut self,
        entity: &'static str,
        local_id: i64,
        system: System,
        ext: &str,
    ) -> Result<()> {
        self.sql
            .add_external_id
            .execute(params![entity, local_id, system.as_str(), ext])?;
        self.known
            .borrow_mut()
            .entry((entity, system))
            .or_default()
            .ids
            .insert(ext.to_string(), local_id);
        Ok(())
    }

    /// How many accounts, personas and touches the files would add (records whose CRM
    /// id the database does not hold yet).
    fn new_rows(&self, files: &[Parsed]) -> Result<NewRows> {
        let mut n = NewRows::default();
        // A record listed twice counts twice: an estimate is enough.
        for f in files {
            let count = |entity: &'static str, ext: &str| -> Result<usize> {
                Ok(usize::from(self.find(entity, f.system, ext)?.is_none()))
            };
            for a in &f.accounts {
                n.accounts += count("account", &a.external_id)?;
            }
            for c in &f.contacts {
                n.personas += count("persona", &c.external_id)?;
            }
            for d in &f.deals {
                n.touches += count("touch", &d.external_id)?;
            }
        }
        Ok(n)
    }

    fn account_by_name(&mut self, name: &str) -> Result<Option<i64>> {
        if let Some(id) = self.names.get(&name.to_lowercase()) {
            return Ok(Some(*id));
        }
        if self.load_all {
            if self.names_in_db.is_none() {
                let mut all = FastMap::default();
                let mut stmt = self.tx.conn().prepare(
                    "SELECT name, id FROM accounts WHERE archived_at IS NULL ORDER BY id",
                )?;
                let mut rows = stmt.query([])?;
                while let Some(r) = rows.next()? {
                    let n: String = r.get(0)?;
                    all.entry(n.to_ascii_lowercase()).or_insert(r.get(1)?);
                }
                self.names_in_db = Some(all);
            }
            return Ok(self
                .names_in_db
                .as_ref()
                .and_then(|m| m.get(&name.to_ascii_lowercase()).copied()));
        }
        Ok(self
            .tx
            .conn()
            .prepare_cached(
                "SELECT id FROM accounts WHERE name = ?1 COLLATE NOCASE AND archived_at IS NULL
                 ORDER BY id LIMIT 1",
            )?
            .query_row([name], |r| r.get(0))
            .optional()?)
    }

    fn reject(&mut self, file: &str, line: u64, reason: String) {
        self.out.rejected.push(Rejected {
            file: file.to_string(),
            line,
            reason,
        });
    }

    fn warn(&mut self, file: &str, line: u64, reason: String) {
        self.out.warnings.push(Rejected {
            file: file.to_string(),
            line,
            reason,
        });
    }

    /// The CSM called `name` (or with that CRM user id), created when new.
    fn csm(
        &mut self,
        system: System,
        name: &str,
        lead: Option<i64>,
        is_lead: bool,
        region: Option<&str>,
    ) -> Result<i64> {
        let key = (system, name.to_lowercase());
        if let Some(id) = self.csm_cache.get(&key) {
            return Ok(*id);
        }
        let by_crm_id = self.find("csm", system, &key.1)?;
        let found = match by_crm_id {
            Some(id) => Some(id),
            None => self
                .tx
                .conn()
                .prepare_cached(
                    "SELECT id FROM csms WHERE name = ?1 COLLATE NOCASE ORDER BY id LIMIT 1",
                )?
                .query_row([name], |r| r.get(0))
                .optional()?,
        };
        let id = match found {
            Some(id) => {
                let n = self
                    .tx
                    .conn()
                    .prepare_cached(
                        "UPDATE csms SET team_lead_id = coalesce(?2, team_lead_id),
                             is_team_lead = max(is_team_lead, ?3), region = coalesce(?4, region)
                         WHERE id = ?1 AND (team_lead_id IS NOT coalesce(?2, team_lead_id)
                             OR is_team_lead < ?3 OR region IS NOT coalesce(?4, region))",
                    )?
                    .execute(params![id, lead, is_lead, region])?;
                if n > 0 {
                    self.out.updated.csms += 1;
                } else {
                    self.out.unchanged.csms += 1;
                }
                id
            }
            None => {
                let id = self.tx.insert_csm(
                    &NewCsm {
                        name,
                        email: None,
                        region,
                        team_lead_id: lead,
                        is_team_lead: is_lead,
                        is_me: false,
                    },
                    self.now,
                )?;
                self.out.added.csms += 1;
                id
            }
        };
        if by_crm_id.is_none() {
            self.link("csm", id, system, &key.1)?;
        }
        self.csm_cache.insert(key, id);
        Ok(id)
    }

    fn csms(&mut self, f: &Parsed) -> Result<()> {
        for c in &f.csms {
            let lead = match &c.team_lead {
                Some(m) => Some(self.csm(f.system, m, None, true, c.region.as_deref())?),
                None => None,
            };
            self.csm(f.system, &c.name, lead, false, c.region.as_deref())?;
        }
        Ok(())
    }

    fn accounts(&mut self, f: &Parsed) -> Result<()> {
        for (i, a) in f.accounts.iter().enumerate() {
            self.tick(i)?;
            self.account(f.system, a)?;
        }
        progress::rest(self.progress, f.accounts.len() as u64);
        Ok(())
    }

    /// Progress every `progress::EVERY` rows (`i` counts from 0); `Cancelled` on request.
    fn tick(&self, i: usize) -> Result<()> {
        progress::every(self.progress, i as u64)
    }

    fn account(&mut self, system: System, a: &AccountRec) -> Result<i64> {
        let owner = match &a.owner {
            Some(o) => Some(self.csm(system, o, None, false, None)?),
            None => None,
        };
        let id = match self.find("account", system, &a.external_id)? {
            Some(id) => {
                let n = match self.held(id) {
                    // Listed twice in this import: the later row wins, as below.
                    Some(held) => usize::from(held.update(a, owner)),
                    None => self.sql.update_account.execute(params![
                        id,
                        a.name,
                        a.segment.map(Segment::as_str),
                        a.tier,
                        a.industry,
                        a.contract_value_cents,
                        a.renewal_date.map(super::day),
                        owner
                    ])?,
                };
                if n > 0 {
                    self.out.updated.accounts += 1;
                } else {
                    self.out.unchanged.accounts += 1;
                }
                id
            }
            None if self.held_back.is_some() => {
                let id = self.tx.next_id("accounts")?;
                if let Some(h) = self.held_back.as_mut() {
                    h.at.insert(id, h.accounts.len());
                    h.accounts.push(NewAccount::new(id, a, owner));
                }
                self.link("account", id, system, &a.external_id)?;
                self.out.added.accounts += 1;
                id
            }
            None => {
                let id = self.tx.next_id("accounts")?;
                self.sql.add_account.execute(params![
                    id,
                    a.name,
                    a.segment.unwrap_or(Segment::Smb).as_str(),
                    a.tier.unwrap_or(2),
                    a.industry,
                    a.contract_value_cents.unwrap_or(0),
                    a.renewal_date.map(super::day),
                    owner,
                    None::<i64>, // parents are linked once every account is in
                    self.sql.now
                ])?;
                self.link("account", id, system, &a.external_id)?;
                self.out.added.accounts += 1;
                id
            }
        };
        self.names.insert(a.name.to_lowercase(), id);
        self.touched.insert(id);
        Ok(id)
    }

    fn parents(&mut self, f: &Parsed) -> Result<()> {
        for a in &f.accounts {
            if a.parent_id.is_none() && a.parent_name.is_none() {
                continue;
            }
            let Some(child) = self.find("account", f.system, &a.external_id)? else {
                continue;
            };
            let parent = match (&a.parent_id, &a.parent_name) {
                (Some(pid), _) => self.find("account", f.system, pid)?,
                (None, Some(name)) => self.account_by_name(name)?,
                (None, None) => None,
            };
            let shown = a
                .parent_id
                .as_ref()
                .or(a.parent_name.as_ref())
                .cloned()
                .unwrap_or_default();
            match parent {
                Some(p) if p != child && !self.is_ancestor(child, p)? => {
                    match self.held(child) {
                        Some(held) => held.parent = Some(p),
                        None => {
                            self.sql.set_parent.execute(params![child, p])?;
                        }
                    }
                    if let Some(m) = self.parent_of.as_mut() {
                        m.insert(child, p);
                    }
                }
                Some(_) => self.warn(&f.file, a.line, format!("parent {shown:?} would make a loop; left without a parent")),
                None => self.warn(
                    &f.file,
                    a.line,
                    format!("parent {shown:?} is neither in this import nor in the database; imported without it"),
                ),
            }
        }
        Ok(())
    }

    /// Whether `ancestor` is `id` or above it in the parent chain (to refuse loops).
    fn is_ancestor(&mut self, ancestor: i64, id: i64) -> Result<bool> {
        if self.load_all {
            if self.parent_of.is_none() {
                self.parent_of = Some(id_pairs(
                    self.tx.conn(),
                    "SELECT id, parent_id FROM accounts WHERE parent_id IS NOT NULL",
                )?);
            }
            let parent_of = self.parent_of.as_ref();
            // The same walk as the query below: `id` and up to 100 levels above it.
            let mut at = id;
            for _ in 0..=100 {
                if at == ancestor {
                    return Ok(true);
                }
                match parent_of.and_then(|m| m.get(&at)) {
                    Some(p) => at = *p,
                    None => break,
                }
            }
            return Ok(false);
        }
        let found: Option<i64> = self
            .tx
            .conn()
            .prepare_cached(
                "WITH RECURSIVE up(id, depth) AS (SELECT ?2, 0 UNION ALL
                     SELECT a.parent_id, depth + 1 FROM accounts a JOIN up ON a.id = up.id
                     WHERE a.parent_id IS NOT NULL AND depth < 100)
                 SELECT 1 FROM up WHERE id = ?1 LIMIT 1",
            )?
            .query_row(params![ancestor, id], |r| r.get(0))
            .optional()?;
        Ok(found.is_some())
    }

    fn contacts(&mut self, f: &Parsed) -> Result<()> {
        let mut placed: Vec<(&ContactRec, i64, i64)> = Vec::with_capacity(f.contacts.len());
        for (i, c) in f.contacts.iter().enumerate() {
            self.tick(i)?;
            let account = match (&c.account_id, &c.account_name) {
                (Some(id), _) => self.find("account", f.system, id)?,
                (None, Some(name)) => self.account_by_name(name)?,
                (None, None) => None,
            };
            let Some(account) = account else {
                let what = match (&c.account_id, &c.account_name) {
                    (Some(id), _) => format!("account id {id:?}"),
                    (None, Some(n)) => format!("account {n:?}"),
                    (None, None) => "no account".into(),
                };
                self.reject(
                    &f.file,
                    c.line,
                    format!("{what} is neither in this import nor in the database"),
                );
                continue;
            };
            // A manager already placed at the same account (exports list them first
            // more often than not) is linked as the persona is added.
            let boss_now = c.reports_to_id.as_ref().and_then(|b| {
                let m = *self
                    .known
                    .borrow()
                    .get(&("persona", f.system))?
                    .ids
                    .get(b)?;
                (self.persona_account.get(&m) == Some(&account)).then_some(m)
            });
            let (id, linked) = self.persona(f.system, c, account, boss_now)?;
            if !linked {
                placed.push((c, id, account));
            }
        }
        for (c, id, account) in placed {
            let Some(boss) = &c.reports_to_id else {
                continue;
            };
            let manager = match self.find("persona", f.system, boss)? {
                Some(m) => m,
                None => {
                    self.warn(&f.file, c.line, format!("reports to {boss:?}, who is not among the contacts; imported without a manager"));
                    continue;
                }
            };
            let n = self
                .tx
                .conn()
                .prepare_cached(
                    "UPDATE personas SET reports_to_id = ?2 WHERE id = ?1 AND account_id = ?3
                         AND ?2 <> ?1 AND reports_to_id IS NOT ?2
                         AND (SELECT account_id FROM personas WHERE id = ?2) = ?3",
                )?
                .execute(params![id, manager, account])?;
            if n == 0 {
                let same: Option<i64> = self
                    .tx
                    .conn()
                    .prepare_cached("SELECT 1 FROM personas WHERE id = ?1 AND reports_to_id IS ?2")?
                    .query_row(params![id, manager], |r| r.get(0))
                    .optional()?;
                if same.is_none() {
                    self.warn(
                        &f.file,
                        c.line,
                        format!(
                            "reports to {boss:?} at another account; imported without a manager"
                        ),
                    );
                }
            }
        }
        Ok(())
    }

    /// Adds or updates a persona; `boss` is its manager when already known to be at the
    /// same account. Returns its id and whether a new persona got `boss` as its manager.
    fn persona(
        &mut self,
        system: System,
        c: &ContactRec,
        account: i64,
        boss: Option<i64>,
    ) -> Result<(i64, bool)> {
        self.touched.insert(account);
        if let Some(id) = self.find("persona", system, &c.external_id)? {
            let home = self.home_of(id)?;
            if home.is_some_and(|h| h != account) {
                // The account it leaves has a persona fewer.
                self.touched.extend(home);
                self.moved = true;
            }
            let n = self.sql.update_persona.execute(params![
                id,
                account,
                c.name,
                c.title,
                c.email,
                c.role.map(Role::as_str),
                c.role_guessed
            ])?;
            // Most exports carry no strength or sentiment: nothing to compare then.
            let mut tie_changed = false;
            if c.strength.is_some() || c.sentiment.is_some() {
                let (strength, sentiment): (String, String) = self
                    .sql
                    .persona_tie
                    .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))?;
                let old_strength = strength.parse::<Strength>().unwrap_or(Strength::None);
                let old_sentiment = sentiment.parse::<Sentiment>().unwrap_or(Sentiment::Neutral);
                let new_strength = c.strength.unwrap_or(old_strength);
                let new_sentiment = c.sentiment.unwrap_or(old_sentiment);
                tie_changed = new_strength != old_strength || new_sentiment != old_sentiment;
                if tie_changed {
                    self.tx.set_persona_tie(
                        id,
                        new_strength,
                        new_sentiment,
                        self.now,
                        Some("import"),
                        None,
                    )?;
                }
            }
            if n > 0 || tie_changed {
                self.out.updated.personas += 1;
            } else {
                self.out.unchanged.personas += 1;
            }
            if let Some(held) = self.held(account) {
                held.has_older_persona = true;
            }
            self.persona_account.insert(id, account);
            return Ok((id, false));
        }
        let id = self.tx.next_id("personas")?;
        let strength = c.strength.unwrap_or(Strength::None).as_str();
        let sentiment = c.sentiment.unwrap_or(Sentiment::Neutral).as_str();
        self.sql.add_persona.execute(params![
            id,
            account,
            c.name,
            c.title,
            c.email,
            c.role.unwrap_or(Role::Other).as_str(),
            boss,
            strength,
            sentiment,
            self.sql.now,
            c.role_guessed && c.role.is_some()
        ])?;
        self.link("persona", id, system, &c.external_id)?;
        if let Some(held) = self.held(account) {
            held.ties.push(PersonaTie {
                role: c.role.unwrap_or(Role::Other),
                strength: c.strength.unwrap_or(Strength::None),
                sentiment: c.sentiment.unwrap_or(Sentiment::Neutral),
                contacted: false,
            });
        }
        self.persona_account.insert(id, account);
        self.out.added.personas += 1;
        Ok((id, boss.is_some()))
    }

    /// The account persona `id` is at, as this import found it (before any move).
    fn home_of(&mut self, id: i64) -> Result<Option<i64>> {
        if let Some(at) = self.persona_account.get(&id) {
            return Ok(Some(*at));
        }
        if self.load_all {
            if self.persona_home.is_none() {
                self.persona_home = Some(id_pairs(
                    self.tx.conn(),
                    "SELECT id, account_id FROM personas",
                )?);
            }
            return Ok(self.persona_home.as_ref().and_then(|m| m.get(&id).copied()));
        }
        Ok(self
            .tx
            .conn()
            .prepare_cached("SELECT account_id FROM personas WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?)
    }

    /// After personas moved to other accounts: reporting lines now running between two
    /// accounts end (a manager is someone at the same account), whichever side moved.
    fn end_crossed_lines(&mut self) -> Result<()> {
        if self.moved {
            self.tx.conn().execute(
                "UPDATE personas SET reports_to_id = NULL WHERE reports_to_id IS NOT NULL
                 AND account_id IS NOT (SELECT m.account_id FROM personas m
                                        WHERE m.id = personas.reports_to_id)",
                [],
            )?;
        }
        Ok(())
    }

    /// The held-back new account `id`, if it is one.
    fn held(&mut self, id: i64) -> Option<&mut NewAccount> {
        let h = self.held_back.as_mut()?;
        let i = *h.at.get(&id)?;
        h.accounts.get_mut(i)
    }

    /// Adds the held-back accounts, each with its parent, and its summary when its
    /// personas are all new (computed as `refresh_accounts` would read it back: nothing
    /// but its renewal date and personas yet); the others are left to the refresh.
    fn add_held_back(&mut self, at: &AsOf) -> Result<()> {
        let Some(held) = self.held_back.take() else {
            return Ok(());
        };
        let mut add = self.tx.conn().prepare(INSERT_HELD_BACK_ACCOUNT)?;
        let risk_as_of = super::day(at.today);
        for a in held.accounts {
            let summary = (!a.has_older_persona).then(|| {
                Derived::of(&RiskInputs {
                    stale_after_days: at.stale_after_days,
                    days_to_renewal: a.rec.renewal_date.map(|d| (d - at.today).num_days()),
                    personas: a.ties,
                    ..RiskInputs::default()
                })
            });
            if summary.is_some() {
                self.touched.remove(&a.id);
            }
            add.execute(params![
                a.id,
                a.rec.name,
                a.rec.segment.unwrap_or(Segment::Smb).as_str(),
                a.rec.tier.unwrap_or(2),
                a.rec.industry,
                a.rec.contract_value_cents.unwrap_or(0),
                a.rec.renewal_date.map(super::day),
                a.owner,
                a.parent,
                self.sql.now,
                summary.as_ref().map_or(0, |s| s.coverage.personas),
                summary.as_ref().map_or(0, |s| s.coverage.strong),
                summary.as_ref().map_or(0, |s| s.coverage.percent()),
                summary.as_ref().map_or("", |s| s.missing_roles.as_str()),
                summary.as_ref().map_or(0, |s| s.risk.score),
                summary.as_ref().map(|_| risk_as_of.as_str()),
                summary.as_ref().map_or(0, |s| s.rated),
            ])?;
        }
        Ok(())
    }

    fn deals(&mut self, f: &Parsed) -> Result<()> {
        // Per account: won value, latest win, and the agent who won the most.
        let mut won: HashMap<i64, Won> = HashMap::new();
        // Per account: (closed on, won) of every won or lost opportunity.
        let mut closings: HashMap<i64, Vec<(NaiveDate, bool)>> = HashMap::new();
        for (i, d) in f.deals.iter().enumerate() {
            self.tick(i)?;
            let account = match self.find("account", f.system, &d.account_name.to_lowercase())? {
                Some(id) => Some(id),
                None => self.account_by_name(&d.account_name)?,
            };
            let Some(account) = account else {
                self.reject(
                    &f.file,
                    d.line,
                    format!(
                        "account {:?} is neither in this import nor in the database",
                        d.account_name
                    ),
                );
                continue;
            };
            let csm = match &d.csm {
                Some(n) => Some(self.csm(f.system, n, None, false, None)?),
                None => None,
            };
            self.touch(f.system, d, account, csm)?;
            if let Some(closed) = d.closed_on {
                let won = d.stage.eq_ignore_ascii_case("won");
                if won || d.stage.eq_ignore_ascii_case("lost") {
                    closings.entry(account).or_default().push((closed, won));
                }
            }
            if d.stage.eq_ignore_ascii_case("won") {
                let e = won.entry(account).or_default();
                let v = d.value_cents.unwrap_or(0);
                e.0 += v;
                e.1 = e.1.max(d.closed_on);
                if let Some(c) = csm {
                    *e.2.entry(c).or_default() += v;
                }
            }
        }
        let mut accounts: Vec<_> = won.into_iter().collect();
        accounts.sort_by_key(|(id, _)| *id);
        for (id, (value, last_win, by_csm)) in accounts {
            let owner = by_csm
                .into_iter()
                .max_by_key(|(c, v)| (*v, -c))
                .map(|(c, _)| c);
            let renewal = last_win.and_then(|d| d.checked_add_months(Months::new(12)));
            self.tx
                .conn()
                .prepare_cached(
                    "UPDATE accounts SET contract_value = ?2, renewal_date = coalesce(?3, renewal_date),
                         owner_csm_id = coalesce(?4, owner_csm_id) WHERE id = ?1",
                )?
                .execute(params![id, value, renewal.map(super::day), owner])?;
            self.touched.insert(id);
        }
        let mut closings: Vec<_> = closings.into_iter().collect();
        closings.sort_by_key(|(id, _)| *id);
        for (id, mut closed) in closings {
            closed.sort_unstable();
            self.pulse_from_pipeline(id, &closed)?;
        }
        Ok(())
    }

    /// A CRM history has no CSM sentiment; its latest closed opportunities stand in for
    /// one (the last three all won: Green, all lost: Red, mixed: Yellow), dated the day the
    /// last one closed. Recorded once: never over a sentiment set on or after that day.
    fn pulse_from_pipeline(&mut self, account: i64, closed: &[(NaiveDate, bool)]) -> Result<()> {
        let last = &closed[closed.len().saturating_sub(3)..];
        let Some(&(day, _)) = last.last() else {
            return Ok(());
        };
        let won = last.iter().filter(|(_, w)| *w).count();
        let pulse = match won {
            0 => Pulse::Red,
            n if n == last.len() => Pulse::Green,
            _ => Pulse::Yellow,
        };
        let at = day.and_hms_opt(12, 0, 0).map_or(self.now, |t| t.and_utc());
        let newer: bool = self
            .tx
            .conn()
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM pulse_history WHERE account_id = ?1 AND set_at >= ?2)",
            )?
            .query_row(params![account, timestamp(at)], |r| r.get(0))?;
        if newer {
            return Ok(());
        }
        let reason = format!(
            "From the CRM pipeline: of the last {} closed opportunities, {won} won",
            last.len()
        );
        let owner: Option<i64> = self
            .tx
            .conn()
            .prepare_cached("SELECT owner_csm_id FROM accounts WHERE id = ?1")?
            .query_row([account], |r| r.get(0))?;
        self.tx
            .set_pulse(account, pulse, Some(&reason), at, owner, None)?;
        self.touched.insert(account);
        Ok(())
    }

    /// Salesforce Opportunities and HubSpot Deals: each a touch in its account's history
    /// (found by its CRM id on a re-import), and per account the contract value and
    /// renewal date they give (`import::contract_terms`), set whenever they give one.
    fn opportunities(&mut self, f: &Parsed, today: NaiveDate) -> Result<()> {
        let mut per_account: std::collections::BTreeMap<i64, Vec<&DealRec>> =
            std::collections::BTreeMap::new();
        for d in &f.deals {
            let by_id = match &d.account_id {
                Some(id) => self.find("account", f.system, id)?,
                None => None,
            };
            let account = match by_id {
                Some(id) => Some(id),
                None if !d.account_name.is_empty() => self.account_by_name(&d.account_name)?,
                None => None,
            };
            let Some(account) = account else {
                let what = match &d.account_id {
                    Some(id) if d.account_name.is_empty() || *id == d.account_name => {
                        format!("account id {id:?}")
                    }
                    _ => format!("account {:?}", d.account_name),
                };
                self.reject(
                    &f.file,
                    d.line,
                    format!("{what} is neither in this import nor in the database"),
                );
                continue;
            };
            self.touch(f.system, d, account, None)?;
            per_account.entry(account).or_default().push(d);
        }
        for (id, deals) in per_account {
            let terms = contract_terms(&deals, today);
            if terms.value_cents.is_none() && terms.renewal_date.is_none() {
                continue;
            }
            self.tx
                .conn()
                .prepare_cached(
                    "UPDATE accounts SET contract_value = coalesce(?2, contract_value),
                         renewal_date = coalesce(?3, renewal_date) WHERE id = ?1",
                )?
                .execute(params![
                    id,
                    terms.value_cents,
                    terms.renewal_date.map(super::day)
                ])?;
            self.touched.insert(id);
        }
        Ok(())
    }

    fn touch(&mut self, system: System, d: &DealRec, account: i64, csm: Option<i64>) -> Result<()> {
        // Dated when it closed, or (open) when it was created; never in the future: an
        // open deal the file does not date is dated the day it was first imported.
        let today = self.now.date_naive();
        let day = match d.status {
            DealStatus::Open => d.engaged_on,
            _ => d.closed_on.or(d.engaged_on),
        }
        .filter(|day| *day <= today);
        let at = day.and_then(|day| day.and_hms_opt(12, 0, 0).map(|t| t.and_utc()));
        let value = d
            .value_cents
            .map(|c| format!(", {}", crate::domain::money::full(c)))
            .unwrap_or_default();
        let what = if system == System::Hubspot {
            "Deal"
        } else {
            "Opportunity"
        };
        let summary = format!(
            "{what} {}: {} — {}{value}",
            d.external_id,
            d.product.as_deref().unwrap_or("no product"),
            d.stage
        );
        let outcome = match d.status {
            DealStatus::Won => "won".to_string(),
            DealStatus::Lost => "lost".to_string(),
            DealStatus::Open => d.stage.to_lowercase(),
        };
        self.touched.insert(account);
        if let Some(id) = self.find("touch", system, &d.external_id)? {
            let n = self
                .tx
                .conn()
                .prepare_cached(
                    "UPDATE touches SET account_id = ?2, csm_id = ?3,
                         occurred_at = coalesce(?4, occurred_at), summary = ?5,
                         outcome = ?6, updated_at = ?7
                     WHERE id = ?1 AND (account_id IS NOT ?2 OR csm_id IS NOT ?3
                         OR occurred_at IS NOT coalesce(?4, occurred_at) OR summary IS NOT ?5
                         OR outcome IS NOT ?6)",
                )?
                .execute(params![
                    id,
                    account,
                    csm,
                    at.map(super::timestamp),
                    summary,
                    outcome,
                    super::timestamp(self.now)
                ])?;
            if n > 0 {
                self.out.updated.touches += 1;
            } else {
                self.out.unchanged.touches += 1;
            }
            return Ok(());
        }
        let id = self.tx.insert_touch(&NewTouch {
            csm_id: csm,
            summary: Some(&summary),
            no_followup: true,
            outcome: Some(&outcome),
            ..NewTouch::new(account, TouchKind::Note, at.unwrap_or(self.now))
        })?;
        self.link("touch", id, system, &d.external_id)?;
        self.out.added.touches += 1;
        Ok(())
    }
}

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
        crate::import::json::parse(&name, &owned, super::schema::LATEST)
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
            stmt.execute(rusqlite::params_from_iter(values)).map_err(|e| {
                Error::Invalid(format!(
                    "{file}: {} record {} (id {}) cannot be imported: {e}; nothing was imported",
                    spec.section,
                    i + 1,
                    r.get("id").map(|x| x.to_string()).unwrap_or_default()
                ))
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
        return Err(Error::Invalid(format!(
            "{file}: {broken} record(s) point at records the file does not hold; nothing was imported"
        )));
    }
    // What the file's constraints cannot state (a participant from another account, a
    // contract value no book holds) would make the file fail `check`: refused instead.
    let mut problems = super::check::cross_record_problems(&tx)?;
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
        return Err(Error::Invalid(format!(
            "{file}: refused, as the file would then fail its check ({first}); nothing was imported"
        )));
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
    super::kpi_cache::refresh(&tx, None)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::FixedClock;
    use crate::import::parse_file;

    fn clock() -> FixedClock {
        FixedClock::on(NaiveDate::from_ymd_opt(2026, 11, 23).unwrap_or_default())
    }

    /// Salesforce exports of accounts `from..to` (every tenth a parent of the next nine,
    /// the first pointing at a later one, making a loop) and three contacts each (two
    /// reporting to the first, one to a manager listed after them), and `extra` rows.
    fn files(from: usize, to: usize, title: &str, extra: &str) -> Vec<Parsed> {
        files_with(from, to, title, extra, "")
    }

    /// `files`, with `extra_accounts` rows at the end of the accounts export.
    fn files_with(
        from: usize,
        to: usize,
        title: &str,
        extra: &str,
        extra_accounts: &str,
    ) -> Vec<Parsed> {
        let mut a = String::from("Id,Name,ParentId,AnnualRevenue,OwnerId,Industry\n");
        let mut c = String::from("Id,AccountId,FirstName,LastName,Title,ReportsToId,Email\n");
        for i in from..to {
            let parent = match i % 10 {
                0 if i == from => format!("001{:012}", from + 1),
                0 => String::new(),
                _ => format!("001{:012}", i / 10 * 10),
            };
            a.push_str(&format!(
                "001{i:012},Account {i:04},{parent},\"${}\",005{:03},Industry {}\n",
                i * 7919 % 5_000_000,
                i % 4,
                i % 3
            ));
            let p = |k: usize| format!("003{:012}", i * 3 + k);
            c.push_str(&format!(
                "{},001{i:012},Ann,A{i},{title},,a{i}@x.com\n",
                p(0)
            ));
            c.push_str(&format!("{},001{i:012},Bo,B{i},{title},{},\n", p(1), p(2)));
            c.push_str(&format!("{},001{i:012},Cy,C{i},Boss,{},\n", p(2), p(0)));
        }
        c.push_str(extra);
        a.push_str(extra_accounts);
        vec![
            parse_file("Account.csv", a.as_bytes(), &[]).unwrap(),
            parse_file("Contact.csv", c.as_bytes(), &[]).unwrap(),
        ]
    }

    fn import(store: &mut Store, files: &[Parsed], mode: Mode, bulk_min: usize) -> Outcome {
        apply_with(store, files, mode, &clock(), bulk_min, &Silent).unwrap()
    }

    /// Every row of every table but `meta` and the search index's own, sorted, with ids
    /// reduced to their sequence (each file has its own origin).
    fn dump(store: &Store) -> Vec<String> {
        let conn = store.conn();
        let tables: Vec<String> = conn
            .prepare(
                "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite%'
                 AND name <> 'meta' AND name NOT LIKE 'account_names%' ORDER BY name",
            )
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let mut out = Vec::new();
        for t in tables {
            let mut stmt = conn
                .prepare(&format!("SELECT * FROM {}", crate::store::bulk::quoted(&t)))
                .unwrap();
            let n = stmt.column_count();
            let mut rows = stmt.query([]).unwrap();
            let mut lines = Vec::new();
            while let Some(r) = rows.next().unwrap() {
                let cells: Vec<String> = (0..n)
                    .map(|i| match r.get::<_, rusqlite::types::Value>(i).unwrap() {
                        rusqlite::types::Value::Integer(v) if v > u32::MAX as i64 => {
                            format!("#{}", v & 0xffff_ffff)
                        }
                        v => format!("{v:?}"),
                    })
                    .collect();
                lines.push(format!("{t}: {}", cells.join("|")));
            }
            lines.sort();
            out.extend(lines);
        }
        out
    }

    fn schema(store: &Store) -> Vec<(String, String, Option<String>)> {
        store
            .conn()
            .prepare("SELECT type, name, sql FROM sqlite_schema ORDER BY type, name")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    fn healthy(store: &Store) {
        let report = crate::store::check::run(store.conn()).unwrap();
        assert!(report.problems.is_empty(), "{:?}", report.problems);
        store
            .conn()
            .execute(
                "INSERT INTO account_names (account_names, rank) VALUES ('integrity-check', 1)",
                [],
            )
            .unwrap();
    }

    /// Names in `dir` starting with a dot: half-made files left behind.
    fn hidden(dir: &Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with('.'))
            .collect()
    }

    #[test]
    fn a_new_file_is_built_aside_and_named_only_when_kept() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.db");
        let out = apply_to_new_file(&path, &files(0, 40, "VP", ""), Mode::AllOrNothing, &clock())
            .unwrap();
        assert!(out.committed);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let store = Store::open(&path).unwrap();
        let journal: String = store
            .conn()
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(journal, "wal");
        healthy(&store);
        // What an import into an opened empty file gives.
        let mut opened = Store::open(&dir.path().join("opened.db")).unwrap();
        import(
            &mut opened,
            &files(0, 40, "VP", ""),
            Mode::AllOrNothing,
            BULK_MIN,
        );
        assert_eq!(dump(&store), dump(&opened));
        // Not kept (a rejected row, a dry run): no file at all.
        let unknown = "003999999999999,001999999999999,Zed,Z,VP,,\n";
        let never = dir.path().join("never.db");
        let out = apply_to_new_file(
            &never,
            &files(0, 5, "VP", unknown),
            Mode::AllOrNothing,
            &clock(),
        )
        .unwrap();
        assert!(!out.committed && !never.exists());
        let out =
            apply_to_new_file(&never, &files(0, 5, "VP", ""), Mode::DryRun, &clock()).unwrap();
        assert!(!out.committed && !never.exists());
        // What a crashed import left beside it goes with the next one.
        let orphan = dir.path().join(".never.db.999999999.tmp");
        std::fs::write(&orphan, b"half a database").unwrap();
        apply_to_new_file(&never, &files(0, 5, "VP", ""), Mode::DryRun, &clock()).unwrap();
        assert!(!orphan.exists());
        // A file that appears meanwhile is never replaced.
        let taken = dir.path().join("taken.db");
        std::fs::write(&taken, b"someone else's").unwrap();
        let e = apply_to_new_file(&taken, &files(0, 5, "VP", ""), Mode::AllOrNothing, &clock())
            .unwrap_err()
            .to_string();
        assert!(e.contains("created by something else"), "{e}");
        assert_eq!(std::fs::read(&taken).unwrap(), b"someone else's");
        assert!(hidden(dir.path()).is_empty(), "{:?}", hidden(dir.path()));
    }

    #[test]
    fn a_bulk_load_gives_what_a_row_by_row_load_gives() {
        let dir = tempfile::tempdir().unwrap();
        let mut bulk = Store::open(&dir.path().join("bulk.db")).unwrap();
        let mut rows = Store::open(&dir.path().join("rows.db")).unwrap();
        // Into empty files, then as many again (doubling them: bulk again; one new
        // account listed twice, one getting a persona from an older account), then the
        // same files with changes (that persona moving back), then a few more (row by row
        // in both).
        let steps = [
            files(0, 300, "VP", ""),
            files_with(
                300,
                600,
                "VP",
                "003000000000000,001000000000450,Ann,A0,CEO,,a0@x.com\n",
                "001000000000451,Account 0451 Renamed,,\"$5\",005001,\n",
            ),
            files(0, 600, "CTO", ""),
            files(600, 700, "VP", ""),
        ];
        for f in &steps {
            let a = import(&mut bulk, f, Mode::AllOrNothing, 1);
            let b = import(&mut rows, f, Mode::AllOrNothing, usize::MAX);
            assert!(a.committed && b.committed);
            assert_eq!(
                (a.added, a.updated, a.unchanged),
                (b.added, b.updated, b.unchanged)
            );
            assert_eq!(a.warnings, b.warnings);
            assert_eq!(dump(&bulk), dump(&rows));
            assert_eq!(schema(&bulk), schema(&rows));
            healthy(&bulk);
        }
        assert_eq!(bulk.account_count().unwrap(), 700);
        let loops = import(&mut bulk, &steps[0], Mode::AllOrNothing, 1).warnings;
        assert!(loops.iter().any(|w| w.reason.contains("loop")), "{loops:?}");
    }

    #[test]
    fn after_a_bulk_load_into_an_empty_file_every_index_is_back_and_names_are_found() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("a.db")).unwrap();
        let before = schema(&store);
        let out = import(
            &mut store,
            &files(0, 2500, "VP", ""),
            Mode::AllOrNothing,
            BULK_MIN,
        );
        assert!(out.committed);
        assert_eq!(out.added.personas, 7500);
        assert_eq!(
            schema(&store),
            before,
            "every index and trigger is back as it was"
        );
        healthy(&store);
        let day = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap_or_default();
        let q = crate::store::portfolio::PortfolioQuery {
            sort: crate::store::portfolio::Sort::default(),
            name_contains: "ount 1234".into(),
            quick: Default::default(),
            now: clock().now(),
            today: day,
            stale_after_days: 14,
            owners: None,
        };
        assert_eq!(
            crate::store::portfolio::count_matching(store.conn(), &q, 10).unwrap(),
            1
        );
        let via_index: i64 = store
            .conn()
            .query_row(
                "SELECT count(*) FROM accounts INDEXED BY accounts_by_name
                 WHERE name = 'account 2222' COLLATE NOCASE AND archived_at IS NULL",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(via_index, 1);
        // The same files again: found by their CRM ids, nothing added.
        let again = import(
            &mut store,
            &files(0, 2500, "VP", ""),
            Mode::AllOrNothing,
            BULK_MIN,
        );
        assert_eq!(again.added, Counts::default());
        assert_eq!(again.unchanged.personas, 7500);
        assert_eq!(store.account_count().unwrap(), 2500);
    }

    #[test]
    fn summaries_refreshed_together_are_those_refreshed_one_by_one() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("a.db")).unwrap();
        // A demo has every kind of record: sentiments, signals, touches, follow-ups.
        let opts = crate::demo::DemoOptions {
            accounts: 120,
            ..Default::default()
        };
        crate::demo::generate(&mut store, &opts, &clock()).unwrap();
        // A later day, so that every derived column moves.
        let later = FixedClock::on(NaiveDate::from_ymd_opt(2027, 2, 1).unwrap_or_default());
        let at = AsOf::new(&later);
        let ids: Vec<i64> = store
            .conn()
            .prepare("SELECT id FROM accounts ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let (some, _) = ids.split_at(ids.len() / 2);
        store
            .write(|tx| refresh_accounts(tx.conn(), some, &at))
            .unwrap();
        let together = dump(&store);
        store
            .write(|tx| {
                for id in some {
                    refresh_account(tx.conn(), *id, &at)?;
                }
                Ok(())
            })
            .unwrap();
        assert_eq!(dump(&store), together);
    }

    #[test]
    fn a_bulk_load_that_is_not_kept_leaves_the_file_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("a.db")).unwrap();
        import(&mut store, &files(0, 10, "VP", ""), Mode::AllOrNothing, 1);
        let (schema_before, rows_before) = (schema(&store), dump(&store));
        let bad = "003999999999999,001999999999999,No,Account,,,\n";
        let f = files(10, 400, "VP", bad);
        for mode in [Mode::DryRun, Mode::AllOrNothing] {
            let out = import(&mut store, &f, mode, 1);
            assert!(!out.committed);
            assert_eq!(out.rejected.len(), 1);
            assert_eq!(schema(&store), schema_before);
            assert_eq!(dump(&store), rows_before);
        }
        let kept = import(&mut store, &f, Mode::KeepGood, 1);
        assert!(kept.committed);
        assert_eq!(kept.added.accounts, 390);
        assert_eq!(schema(&store), schema_before);
        healthy(&store);
    }
}
