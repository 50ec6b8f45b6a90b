//! All SQL lives here: opening the file safely, migrations, reads and writes.

/// The rows `csm_totals` adds up, counted afresh (schema V4's own formulas): one per owner
/// from the live accounts (key 0: no owner) and one per caller from the calls; summed by
/// `csm_id` they are what the table's triggers keep. (A macro: `concat!` takes literals.)
macro_rules! csm_totals_rows {
    () => {
        "SELECT ifnull(owner_csm_id, 0) AS csm_id, count(*) AS accounts,
              sum(contract_value) AS contract_value,
              sum(CASE WHEN risk >= 50 THEN contract_value ELSE 0 END) AS value_at_risk,
              sum(pulse IS 'red') AS red, sum(pulse IS 'yellow') AS yellow,
              sum(pulse IS 'green') AS green, sum(pulse IS NULL) AS unrated,
              sum(overdue_followups) AS overdue_followups, 0 AS calls
          FROM accounts WHERE archived_at IS NULL GROUP BY 1
          UNION ALL
          SELECT csm_id, 0, 0, 0, 0, 0, 0, 0, 0, count(*) FROM touches
          WHERE kind = 'call' AND csm_id IS NOT NULL GROUP BY csm_id"
    };
}

pub mod account;
pub mod audit;
pub mod backup;
pub mod bulk;
pub mod call;
pub mod check;
pub mod completeness;
pub mod exports;
pub mod followups;
pub mod import;
pub mod kpi;
pub mod kpi_cache;
pub mod me;
pub mod merge;
pub mod persona;
pub mod pilot;
pub mod portfolio;
pub mod schema;
pub mod setup;
pub mod summary;
pub mod tagging;
pub mod team;
pub mod timeline;
pub mod write;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use rusqlite::{Connection, OpenFlags, OptionalExtension};

/// Maps and sets with a cheaper hash than std's SipHash, for the loads' and the KPI
/// pass's millions of lookups by id or CRM id (SipHash showed in their profiles). Keys
/// come from the user's own files, so flooding is not a concern; the fixed seed keeps
/// runs reproducible.
pub(crate) type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::FixedState>;
pub(crate) type FastSet<K> = std::collections::HashSet<K, foldhash::fast::FixedState>;

use crate::error::{Error, Result};
use crate::fsx::{Aside, sidecar};

/// How long a writer waits for another connection's lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// One attuned database file.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    origin: i64,
    read_only: bool,
    /// Why a file was opened read-only without `--read-only` (it cannot be written).
    read_only_reason: Option<String>,
}

impl Store {
    /// Opens (creating if needed) the database at `path` for reading and writing.
    ///
    /// A new file is created 0600 in a 0700 directory. An existing file is validated
    /// read-only first, so a file that is not ours, is damaged or is from a newer
    /// attuned is refused without a single byte of it changing.
    pub fn open(path: &Path) -> Result<Store> {
        Store::open_migrating(path, true)
    }

    /// [`Store::open`]; `keep_backup`: keep a copy of a file from before its migration
    /// (not wanted when the file is itself a fresh copy, as `team merge` makes).
    pub(super) fn open_migrating(path: &Path, keep_backup: bool) -> Result<Store> {
        if !path.exists() {
            // Built aside: nothing half-made is ever left at `path`.
            match NewDb::create(path)?.keep() {
                // Another process made the file meanwhile: open theirs.
                Err(_) if path.exists() => {}
                other => other?,
            }
        }
        let version = validate_existing(path)?;
        if keep_backup && version > 0 && version < schema::LATEST {
            // Keep the file as it was before changing its schema.
            let dest = backup::pre_migration_path(path, version);
            backup::copy_to(&open_immutable(path)?, path, &dest)?;
        }
        Store::connect(path)
    }

    /// Opens the (validated or just created) file for writing and brings it up to date.
    fn connect(path: &Path) -> Result<Store> {
        let mut conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| classify(path, e))?;
        configure(&conn).map_err(|e| classify(path, e))?;
        // A long load was cut short: its indexes and totals come back before anything
        // reads, and before a migration, in the schema they were set aside from.
        bulk::finish_deferred(&mut conn)?;
        schema::MIGRATIONS.to_latest(&mut conn)?;
        // A file just brought to schema V9 has every KPI group to count once.
        if kpi_cache::waiting(&conn)? {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            kpi_cache::refresh(&tx, None)?;
            tx.commit()?;
        }
        let origin = ensure_origin(&conn)?;
        let store = Store {
            conn,
            path: path.to_path_buf(),
            origin,
            read_only: false,
            read_only_reason: None,
        };
        store.optimize()?;
        Ok(store)
    }

    /// Opens an existing database without writing anything to it, not even a WAL file.
    pub fn open_read_only(path: &Path) -> Result<Store> {
        if !path.exists() {
            return Err(Error::io(
                path,
                std::io::Error::new(std::io::ErrorKind::NotFound, "no such database"),
            ));
        }
        validate_existing(path)?;
        let conn = open_immutable(path)?;
        let origin = read_origin(&conn)?.unwrap_or(0);
        Ok(Store {
            conn,
            path: path.to_path_buf(),
            origin,
            read_only: true,
            read_only_reason: None,
        })
    }

    /// Opens the file for reading and writing, or read-only with a notice when it cannot
    /// be written (a write-protected file or folder, another user's file): a file shared
    /// read-only is browsed, never changed, and opening it does not fail.
    pub fn open_or_read_only(path: &Path) -> Result<Store> {
        if path.exists()
            && let Some(why) = write_protected(path)
        {
            return Store::open_read_only_because(path, why);
        }
        let cannot_write = || format!("{} cannot be written by this user", path.display());
        match Store::open(path) {
            Ok(store) if store.conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(false) => {
                drop(store);
                Store::open_read_only_because(path, cannot_write())
            }
            Err(Error::Sqlite(e))
                if path.exists()
                    && matches!(
                        e.sqlite_error_code(),
                        Some(rusqlite::ErrorCode::ReadOnly | rusqlite::ErrorCode::CannotOpen)
                    ) =>
            {
                Store::open_read_only_because(path, cannot_write())
            }
            // A full disk or a failing write (a pragma, a migration, the statistics) at
            // open: the file is still read, nothing is changed, and the reason is shown.
            Err(e) if path.exists() && write_failure(&e).is_some() => {
                let why = write_failure(&e).unwrap_or_default();
                Store::open_read_only_because(
                    path,
                    format!("{} cannot be written now ({why})", path.display()),
                )
            }
            other => other,
        }
    }

    /// Opens (creating if needed) the file to change it, refusing a write-protected file
    /// or folder: even a superuser, whom the system would let write, keeps it as it is.
    pub fn open_for_writing(path: &Path) -> Result<Store> {
        if let Some(why) = write_protected(path) {
            return Err(Error::WriteProtected {
                why,
                done: "changed",
            });
        }
        Store::open(path)
    }

    fn open_read_only_because(path: &Path, why: String) -> Result<Store> {
        let version = validate_existing(path)?;
        if version < schema::LATEST {
            return Err(Error::NeedsUpgrade { why, version });
        }
        let mut store = Store::open_read_only(path)?;
        store.read_only_reason = Some(why);
        Ok(store)
    }

    /// Why the file was opened read-only without being asked to: it cannot be written
    /// ("a.db is write-protected (mode 0400)").
    pub fn read_only_reason(&self) -> Option<&str> {
        self.read_only_reason.as_deref()
    }

    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// A consistent copy of the file at `dest` (0600), safe while others write.
    pub fn backup_to(&self, dest: &Path) -> Result<PathBuf> {
        backup::copy_to(&self.conn, &self.path, dest)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// The high half of every id this file creates.
    pub fn origin(&self) -> i64 {
        self.origin
    }

    /// Refreshes the query planner's statistics where they are missing or out of date
    /// (cheap when nothing changed); run after large loads and on open.
    pub fn optimize(&self) -> Result<()> {
        self.conn
            .execute_batch("PRAGMA analysis_limit = 1000; PRAGMA optimize = 0x10002;")?;
        Ok(())
    }

    /// A fact about the file recorded with `Tx::set_meta`.
    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        let value = self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?;
        Ok(value)
    }

    /// Accounts in the file, archived ones included.
    pub fn account_count(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM accounts", [], |r| r.get(0))?)
    }

    /// Refuses a write on a file open read-only, saying that nothing was `done`
    /// ("changed", "imported").
    pub(crate) fn writable(&self, done: &'static str) -> Result<()> {
        if self.read_only {
            return Err(Error::ReadOnlyStore {
                path: self.path.clone(),
                done,
            });
        }
        Ok(())
    }

    /// Runs `f` in one write transaction: all of it lands, or none of it.
    pub fn write<T>(&mut self, f: impl FnOnce(&write::Tx<'_>) -> Result<T>) -> Result<T> {
        self.writable("changed")?;
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let out = f(&write::Tx::new(&tx, self.origin))?;
        kpi_cache::refresh(&tx, Some(&self.path))?;
        tx.commit()?;
        Ok(out)
    }
}

/// A new database built under a hidden name beside its path (`fsx::Aside`) and given
/// that name only by `keep`: a failure, a crash or `kill -9` meanwhile leaves nothing at
/// the path, and never an empty file that later commands would stumble on.
pub struct NewDb {
    // Closed before its file goes: fields are dropped in order.
    pub store: Store,
    aside: Aside,
    path: PathBuf,
}

impl NewDb {
    /// Creates the file 0600 (in a 0700 folder when it makes the folder), at schema latest.
    /// A write-protected file or folder is refused before anything is made.
    pub fn create(path: &Path) -> Result<NewDb> {
        if let Some(why) = write_protected(path) {
            return Err(Error::WriteProtected {
                why,
                done: "changed",
            });
        }
        make_folder(path)?;
        let aside = Aside::beside(path)?;
        drop(aside.create()?);
        let store = Store::connect(aside.path())?;
        Ok(NewDb {
            store,
            aside,
            path: path.to_path_buf(),
        })
    }

    /// Syncs the finished file and names it, never over a file that appeared meanwhile.
    pub fn keep(self) -> Result<()> {
        let NewDb { store, aside, path } = self;
        store.conn.pragma_update(None, "journal_mode", "WAL")?;
        drop(store);
        fs::File::open(aside.path())
            .and_then(|f| f.sync_all())
            .map_err(|e| Error::io(&path, e))?;
        aside.name_new()
    }
}

/// Why a write failed when the cause is the disk rather than the file: full
/// (SQLITE_FULL) or an I/O error (SQLITE_IOERR, e.g. a file-size limit or a failing disk).
fn write_failure(e: &Error) -> Option<&'static str> {
    let code = match e {
        Error::Sqlite(e) => e.sqlite_error_code(),
        Error::Migration(rusqlite_migration::Error::RusqliteError { err, .. }) => {
            err.sqlite_error_code()
        }
        _ => None,
    };
    match code? {
        rusqlite::ErrorCode::DiskFull => Some("the disk is full"),
        rusqlite::ErrorCode::SystemIoFailure => Some("disk I/O error"),
        _ => None,
    }
}

/// Refuses files that are not SQLite, are damaged, or carry a newer schema.
///
/// Only SQLite touches the file: opening and closing a descriptor of our own would drop
/// every POSIX lock this process holds on it (including a live connection's), and
/// another process could then checkpoint and delete the WAL under our feet.
fn validate_existing(path: &Path) -> Result<i64> {
    let meta = fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.is_dir() {
        return Err(Error::IsADirectory {
            path: path.to_path_buf(),
        });
    }
    let pending_wal = fs::metadata(sidecar(path, "-wal")).is_ok_and(|m| m.len() > 0);
    if meta.len() == 0 && !pending_wal {
        return Err(Error::Empty(path.to_path_buf()));
    }
    let conn = open_immutable(path)?;
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| classify(path, e))?;
    // Reading the schema catches most damage without a full integrity check.
    let objects: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
        .map_err(|e| classify(path, e))?;
    if version == 0 && objects == 0 {
        // A bare SQLite file (what an old attuned killed while creating one left).
        return Err(Error::Empty(path.to_path_buf()));
    }
    if version == 0 && objects > 0 {
        // Some other program's database: never migrate it into ours.
        return Err(Error::NotADatabase {
            path: path.to_path_buf(),
        });
    }
    if version > schema::LATEST {
        return Err(Error::NewerSchema {
            path: path.to_path_buf(),
            found: version,
            supported: schema::LATEST,
        });
    }
    if version > 0 && read_origin(&conn).is_err() {
        return Err(Error::NotADatabase {
            path: path.to_path_buf(),
        });
    }
    Ok(version)
}

/// A connection that cannot write: read-only at the SQLite level.
///
/// A WAL database needs its `-shm` index; when neither it nor a `-wal` exists (a cleanly
/// closed file), the file is opened as immutable so that SQLite creates nothing beside
/// it. Pending `-wal` content is never ignored: then SQLite reads it the normal way.
fn open_immutable(path: &Path) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let conn =
        Connection::open_with_flags(read_only_uri(path), flags).map_err(|e| classify(path, e))?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    Ok(conn)
}

/// The URI `open_immutable` opens (and `team merge` attaches): `mode=ro` while the WAL is
/// in use, else `immutable=1`, so that nothing is created beside a cleanly closed file.
fn read_only_uri(path: &Path) -> String {
    let pending_wal = fs::metadata(sidecar(path, "-wal")).is_ok_and(|m| m.len() > 0);
    // A live connection's index is never empty: an empty `-shm` is what an open that
    // could not write (a full disk) left behind, and reading through it would fail.
    let live_shm = fs::metadata(sidecar(path, "-shm")).is_ok_and(|m| m.len() > 0);
    let mode = if live_shm || pending_wal {
        "mode=ro"
    } else {
        "immutable=1"
    };
    format!("file:{}?{mode}", uri_path(path))
}

fn uri_path(path: &Path) -> String {
    let abs = fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    abs.to_string_lossy()
        .replace('%', "%25")
        .replace('?', "%3f")
        .replace('#', "%23")
}

/// Why an existing file cannot be written, judged by its permission bits (even a
/// superuser, whom the system would let write, keeps a write-protected file as it is).
pub fn write_protected(path: &Path) -> Option<String> {
    if let Ok(file) = fs::metadata(path)
        && file.permissions().mode() & 0o222 == 0
    {
        return Some(format!(
            "{} is write-protected (mode {:04o})",
            path.display(),
            file.permissions().mode() & 0o7777
        ));
    }
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let dir_mode = fs::metadata(dir).ok()?.permissions().mode();
    if dir_mode & 0o222 == 0 {
        // SQLite needs the folder for the file's -wal and -shm.
        return Some(format!(
            "the folder of {} is write-protected (mode {:04o})",
            path.display(),
            dir_mode & 0o7777
        ));
    }
    None
}

/// The first table with records pointing at nothing, and how many such records there
/// are: what a load that ran with foreign keys off checks before it commits.
fn foreign_key_problems(tx: &Connection) -> Result<Option<(String, i64)>> {
    let mut stmt = tx.prepare("PRAGMA main.foreign_key_check")?;
    let tables = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let Some(first) = tables.first() else {
        return Ok(None);
    };
    Ok(Some((first.clone(), tables.len() as i64)))
}

/// Makes the folder a new database goes in (0700), if missing.
fn make_folder(path: &Path) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.exists()
    {
        fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
            .map_err(|e| Error::io(dir, e))?;
    }
    Ok(())
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    // The write API and the summary refresh use some 30 statements; rusqlite's default
    // cache of 16 would re-parse them on every account.
    conn.set_prepared_statement_cache_capacity(64);
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

/// Turns SQLite's "not a database" and corruption codes into our one-line errors.
fn classify(path: &Path, e: rusqlite::Error) -> Error {
    use rusqlite::ErrorCode;
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => Error::NotADatabase {
            path: path.to_path_buf(),
        },
        Some(ErrorCode::DatabaseCorrupt) => Error::Corrupt {
            path: path.to_path_buf(),
            detail: e.to_string(),
        },
        _ => Error::Sqlite(e),
    }
}

fn read_origin(conn: &Connection) -> rusqlite::Result<Option<i64>> {
    conn.query_row("SELECT value FROM meta WHERE key = 'origin'", [], |r| {
        r.get::<_, String>(0)
    })
    .optional()
    .map(|v| v.and_then(|s| s.parse().ok()))
}

/// Gives a new file its random origin; ids it creates start with it.
fn ensure_origin(conn: &Connection) -> Result<i64> {
    if let Some(origin) = read_origin(conn)? {
        return Ok(origin);
    }
    let origin = i64::from(rand::random::<u32>() & 0x7fff_ffff).max(1);
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('origin', ?1), ('created_at', ?2)",
        (origin.to_string(), timestamp(Utc::now())),
    )?;
    Ok(origin)
}

/// Stored form of an instant: RFC 3339 in UTC, to the second.
pub fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Stored form of a calendar day.
pub fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

pub fn parse_day(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

pub fn parse_timestamp(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The version of the SQLite library linked into this binary.
pub fn sqlite_version() -> &'static str {
    rusqlite::version()
}

/// Maps a stored word to one of the domain's closed sets, as a SQL conversion error.
pub(crate) fn parse_name<T: std::str::FromStr>(s: &str) -> rusqlite::Result<T>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    s.parse().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}
