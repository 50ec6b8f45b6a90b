//! Consistent copies of a database: `attuned backup DEST` and the copy kept before a
//! schema migration.
//!
//! The copy is made by SQLite (`VACUUM INTO`) inside one read transaction, so a CSM
//! typing in the app meanwhile neither blocks it nor tears it. It is written to a hidden
//! file created 0600 beside the destination and renamed into place only when complete.

use std::fs::{self, File, OpenOptions};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use chrono::Utc;
use rusqlite::Connection;

use crate::error::{Error, Result};

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
        return Err(Error::Invalid(format!(
            "{}: the backup would replace the database itself; choose another file",
            dest.display()
        )));
    }
    if let Ok(m) = fs::symlink_metadata(&dest)
        && !m.is_file()
    {
        return Err(Error::Invalid(format!(
            "{}: not a regular file; a backup needs a file name",
            dest.display()
        )));
    }
    let temp = hidden_beside(&dest)?;
    // An empty file is what VACUUM INTO accepts; creating it ourselves makes it 0600.
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&temp)
        .map_err(|e| Error::io(&dest, e))?;
    let guard = Remove(&temp);
    let target = temp
        .to_str()
        .ok_or_else(|| Error::Invalid(format!("{}: the path is not UTF-8", dest.display())))?;
    conn.execute("VACUUM INTO ?1", [target])?;
    File::open(&temp)
        .and_then(|f| f.sync_all())
        .map_err(|e| Error::io(&dest, e))?;
    fs::rename(&temp, &dest).map_err(|e| Error::io(&dest, e))?;
    std::mem::forget(guard);
    sync_folder(&dest);
    Ok(dest)
}

/// A hidden name beside `dest` for this process to build it under (`.NAME.PID.tmp`).
/// Those a process no longer running left there (a crash, `kill -9`) are removed.
pub(super) fn hidden_beside(dest: &Path) -> Result<PathBuf> {
    let name = dest
        .file_name()
        .ok_or_else(|| Error::Invalid(format!("{}: not a file name", dest.display())))?;
    let prefix = format!(".{}.", name.to_string_lossy());
    remove_orphans(dest, &prefix);
    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(name);
    temp_name.push(format!(".{}.tmp", std::process::id()));
    Ok(dest.with_file_name(temp_name))
}

/// Removes `PREFIX<pid>.tmp` files in `dest`'s folder whose process is gone.
fn remove_orphans(dest: &Path, prefix: &str) {
    let Ok(entries) = fs::read_dir(folder_of(dest)) else {
        return;
    };
    for entry in entries.flatten() {
        let file = entry.file_name();
        let pid = file
            .to_str()
            .and_then(|f| f.strip_prefix(prefix))
            .and_then(|f| f.strip_suffix(".tmp"))
            .and_then(|pid| pid.parse::<u32>().ok());
        if let Some(pid) = pid
            && !Path::new(&format!("/proc/{pid}")).exists()
        {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Makes a name just given to a file in `dest`'s folder survive a power cut.
pub(super) fn sync_folder(dest: &Path) {
    if let Ok(d) = File::open(folder_of(dest)) {
        let _ = d.sync_all();
    }
}

/// The folder `dest` is in (`.` for a bare file name).
fn folder_of(dest: &Path) -> &Path {
    dest.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
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

/// Removes the file at its path when dropped (a temporary that did not make it).
pub(super) struct Remove<'a>(pub(super) &'a Path);

impl Drop for Remove<'_> {
    fn drop(&mut self) {
        let _ = fs::remove_file(self.0);
    }
}
