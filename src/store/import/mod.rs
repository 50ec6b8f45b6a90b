//! Writing imported records: every file of one `attuned import` in one transaction,
//! updating records found by their CRM id (`external_ids`) and adding the rest.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::path::Path;

use super::summary::{AsOf, refresh_account, refresh_accounts};
use super::write::Tx;
use super::{FastMap, NewDb, Store};
use crate::domain::Clock;
use crate::error::{Error, Result};
use crate::import::{Kind, Parsed, Rejected};
use crate::progress::{self, Progress, Silent};

mod bulk;
mod crm;
mod json;
#[cfg(test)]
mod tests;

use bulk::{NewRows, SetAside};
use crm::{Held, HeldBack, Importer};
pub use json::{JsonCounts, apply_json, apply_json_showing, json_into_path};

/// Above this many accounts in one import, the name index is fed in one statement.
const BULK_ACCOUNTS: usize = 2000;

/// A table getting at least this many new rows, and at least as many as it holds, has
/// its indexes built after the load instead of row by row (see `SetAside`).
const BULK_MIN: usize = 5000;

/// From this many records on, CRM ids, account names and parents are read into memory
/// once rather than looked up row by row.
const LOAD_ALL: usize = 5000;

/// Connection settings of an import beside `Store::bulk_load`'s own: `CREATE INDEX`
/// sorts with a helper thread, and the page cache is a sixteenth of the bulk loads' (the
/// import's rows arrive in the order of their ids and its large tables' indexes are
/// built after the load, so a bigger cache bought no time, only memory growing with the
/// file: 256 MB of a 100k-account import's peak).
const BULK_SETTINGS: &[(&str, i64)] = &[("threads", 2), ("cache_size", IMPORT_CACHE_KIB)];

/// Those of an import that checks foreign keys once, for the whole file, before it
/// commits (`foreign_key_check`) instead of at every row (see `checks_once`).
const CHECK_ONCE_SETTINGS: &[(&str, i64)] = &[
    ("threads", 2),
    ("foreign_keys", 0),
    ("cache_size", IMPORT_CACHE_KIB),
];

/// An import's page cache: 16 MB (negative: KiB, as `PRAGMA cache_size` takes it).
const IMPORT_CACHE_KIB: i64 = -16 * 1024;

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
            parse_rejected: Vec::new(),
            progress,
        };
        let fresh = im.new_rows(files)?;
        let aside = SetAside::take(&tx, origin, &fresh, bulk_min)?;
        // (A streamed file's records are its rows.)
        let rows = |kind: Kind, of: fn(&Parsed) -> usize| {
            let listed = |f: &Parsed| match f.stream {
                Some(_) if f.kind == kind => f.records(),
                _ => of(f),
            };
            Some(files.iter().map(listed).sum::<usize>() as u64)
        };
        progress.phase(
            "Importing accounts",
            rows(Kind::Accounts, |f| f.accounts.len()),
        );
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
        progress.phase(
            "Importing contacts",
            rows(Kind::Contacts, |f| f.contacts.len()),
        );
        for f in files.iter().filter(|f| f.kind == Kind::Contacts) {
            im.contacts(f)?;
        }
        im.end_crossed_lines()?;
        im.add_held_back(&at)?;
        progress.phase(
            "Importing opportunities",
            rows(Kind::Opportunities, |f| f.deals.len()),
        );
        for f in files.iter().filter(|f| f.kind == Kind::MavenPipeline) {
            im.deals(f)?;
        }
        for f in files.iter().filter(|f| f.kind == Kind::Opportunities) {
            im.opportunities(f, at.today)?;
        }
        let streamed = std::mem::take(&mut im.parse_rejected);
        let front = files.iter().map(|f| f.rejected.len()).sum::<usize>();
        im.out.rejected.splice(front..front, streamed);
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
        return Err(Error::BrokenLinks { n, table });
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
    files.iter().map(Parsed::records).sum()
}
