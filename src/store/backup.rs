//! Consistent copies of a database: `attuned backup DEST` and the copy kept before a
//! schema migration.
//!
//! The copy is made by SQLite (`VACUUM INTO`) inside one read transaction, so a CSM
//! typing in the app meanwhile neither blocks it nor tears it. It is written aside and
//! renamed into place only when complete (`fsx::Aside`); a link at the destination is
//! refused.

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use chrono::Utc;
use rusqlite::Connection;

use crate::error::{Error, Output, Result};
use crate::fsx::Aside;

/// Where a backup of `db` goes when `dest` is a directory.
pub fn name_in_dir(dir: &Path, db: &Path) -> PathBuf {
    let stem = db
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "attuned".into());
    dir.join(format!("{stem}-{}.db", Utc::now().format("%Y%m%dT%H%M%SZ")))
}

/// Copies the database behind `conn` to `dest` (created 0600; an existing regular file is
/// replaced only once the copy is complete). Returns the file written.
pub fn copy_to(conn: &Connection, db: &Path, dest: &Path) -> Result<PathBuf> {
    let dest = if dest.is_dir() {
        name_in_dir(dest, db)
    } else {
        dest.to_path_buf()
    };
    if let (Ok(a), Ok(b)) = (fs::canonicalize(db), fs::canonicalize(&dest))
        && a == b
    {
        return Err(Output::BackupIsTheDatabase(dest.to_path_buf()).into());
    }
    crate::fsx::refuse_link(&dest)?;
    if fs::symlink_metadata(&dest).is_ok_and(|m| !m.is_file()) {
        return Err(Output::NotRegular(dest.to_path_buf()).into());
    }
    // An empty file is what VACUUM INTO accepts; creating it ourselves makes it 0600.
    let aside = Aside::beside(&dest)?;
    aside.create()?;
    let target = aside
        .path()
        .to_str()
        .ok_or_else(|| Output::NotUtf8(dest.to_path_buf()))?;
    conn.execute("VACUUM INTO ?1", [target])?;
    File::open(aside.path())
        .and_then(|f| f.sync_all())
        .map_err(|e| Error::io(&dest, e))?;
    aside.replace()?;
    Ok(dest)
}

/// The name of the copy kept before migrating `db` from schema `version`.
pub fn pre_migration_path(db: &Path, version: i64) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(format!(
        ".schema{version}-{}.bak",
        Utc::now().format("%Y%m%dT%H%M%SZ")
    ));
    PathBuf::from(name)
}
