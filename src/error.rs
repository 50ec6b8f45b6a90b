//! Typed errors of the library; `main` prints each as one line.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: not an attuned database; it was left untouched")]
    NotADatabase { path: PathBuf },
    #[error("{path}: the database is damaged ({detail}); it was left untouched")]
    Corrupt { path: PathBuf, detail: String },
    #[error(
        "{path}: written by a newer attuned (schema {found}, this one knows up to {supported}); upgrade attuned to open it"
    )]
    NewerSchema {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database migration: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    #[error("{0}")]
    Invalid(String),
    #[error("{0} is empty, not an attuned database; it was left untouched")]
    Empty(PathBuf),
    #[error("{0} is a symbolic link; attuned does not write through links")]
    Symlink(PathBuf),
    #[error("{0} is a directory; name a file")]
    NotAFile(PathBuf),
    #[error("cannot write in {dir}: {why} ({path} was not written)")]
    CannotWrite {
        dir: PathBuf,
        why: &'static str,
        path: PathBuf,
    },
    #[error("{path} is a directory; pass the database file, e.g. {path}/attuned.db")]
    IsADirectory { path: PathBuf },
    #[error(
        "{path} already holds {accounts} accounts; a demo only goes into a new or empty database (pick another --db)"
    )]
    NotEmpty { path: PathBuf, accounts: i64 },
    #[error("no home directory found; pass --db PATH or set ATTUNED_DB")]
    NoDataDir,
    /// An edit refused: the one wording of every read-only and team-file refusal.
    #[error("{why}: {what}")]
    Refused { why: Refusal, what: &'static str },
    #[error("terminal: {0}")]
    Terminal(std::io::Error),
    /// Stopped on the user's request (Ctrl-C) before anything was kept.
    #[error("cancelled; nothing was changed")]
    Cancelled,
}

/// Why an edit is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Opened with `--read-only`, or the file cannot be written.
    ReadOnly,
    /// A merged team file: CSMs' records change only in their own files.
    TeamFile,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Refusal::ReadOnly => "this file is open read-only",
            Refusal::TeamFile => {
                "this is a team file, where CSMs' records change only by merging their files"
            }
        })
    }
}

impl Error {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        let path = path.into();
        if source.kind() == std::io::ErrorKind::IsADirectory {
            return Error::NotAFile(path);
        }
        Error::Io { path, source }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
