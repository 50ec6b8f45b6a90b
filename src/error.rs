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
    /// A value typed by the CSM breaks one of the domain's rules (a form's own message,
    /// e.g. a length limit, worded by `domain::limits`).
    #[error("{0}")]
    Invalid(String),
    /// A record asked for by its id is not in the file.
    #[error("no {what} with id {id}")]
    NoSuch { what: &'static str, id: i64 },
    /// A command that writes, run with `--read-only`.
    #[error("{what}; drop --read-only")]
    DropReadOnly { what: &'static str },
    /// A write asked of a store opened read-only.
    #[error("{path} is open read-only; nothing was {done}")]
    ReadOnlyStore { path: PathBuf, done: &'static str },
    /// The file or its folder is write-protected (`why` names which, with its mode).
    #[error("{why}; nothing was {done}")]
    WriteProtected { why: String, done: &'static str },
    /// Opened read-only (`why`), but too old to read without upgrading.
    #[error(
        "{why}, and it needs upgrading from schema {version} first; make it writable or open a copy"
    )]
    NeedsUpgrade { why: String, version: i64 },
    #[error(transparent)]
    Argument(#[from] Argument),
    #[error(transparent)]
    Output(#[from] Output),
    /// A file given to `import` that cannot be imported as it is.
    #[error("{file}: {problem}")]
    Import {
        file: String,
        problem: ImportProblem,
    },
    #[error(transparent)]
    Merge(#[from] Unmerged),
    #[error(transparent)]
    Followup(#[from] FollowupProblem),
    /// A persona's manager that cannot be one.
    #[error(transparent)]
    Manager(#[from] ManagerProblem),
    /// A pilot that cannot be made or found.
    #[error(transparent)]
    Pilot(#[from] PilotProblem),
    #[error("a score is 1 to 5, not {0}")]
    ScoreRange(u8),
    #[error("draw at least one touch per CSM")]
    EmptyDraw,
    #[error("a demo of {accounts} accounts is too large (at most {max})")]
    DemoTooLarge { accounts: usize, max: usize },
    /// A corrected touch's earlier values could not be kept.
    #[error("cannot record the correction: {0}")]
    Correction(#[source] serde_json::Error),
    /// A worker thread ended without its answer: a bug, reported as one.
    #[error("{0}")]
    Internal(&'static str),
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
    #[error("Only a call still in progress can be discarded")]
    NotInProgress,
    #[error("a contract value cannot be negative")]
    NegativeValue,
    #[error(
        "the import would leave {n} record(s) (first in {table}) pointing at records that do not exist; nothing was imported (this is a bug; please report it)"
    )]
    BrokenLinks { n: i64, table: String },
}

/// A command-line argument that names nothing, or more than one thing.
#[derive(Debug, thiserror::Error)]
pub enum Argument {
    #[error("the database path is empty; pass --db PATH or set ATTUNED_DB")]
    EmptyDbPath,
    #[error("--map: unknown field {given:?}; fields are {known}")]
    UnknownField { given: String, known: String },
    #[error("--map {given:?}: expected 'Header=field'")]
    MapSyntax { given: String },
    #[error("--map {given:?}: the header is empty")]
    MapHeaderEmpty { given: String },
    #[error("--account needs a name or an id")]
    AccountMissing,
    #[error("no account matches {given:?}")]
    NoAccount { given: String },
    /// `shown`: the first few "name (id)", and ", ..." when there are more.
    #[error("{given:?} matches several accounts: {shown}; pass the id")]
    ManyAccounts { given: String, shown: String },
    /// `role`: "CSM" or "team lead".
    #[error("no {role} named '{given}' in {path}")]
    NoPerson {
        role: &'static str,
        given: String,
        path: PathBuf,
    },
    #[error("'{given}' matches {names}; be more precise")]
    ManyPersons { given: String, names: String },
    /// `known`: "owners: A, B" or "the file has no account owners".
    #[error("--me: no owner named \"{given}\" ({known}); nothing was imported")]
    NotAnOwner { given: String, known: String },
}

/// A file a command was asked to write that it will not or could not write.
#[derive(Debug, thiserror::Error)]
pub enum Output {
    #[error("{0}: not a file name")]
    NotAFileName(PathBuf),
    #[error("{0} changed while it was being opened; nothing was written")]
    Changed(PathBuf),
    #[error(
        "{0} was created by something else meanwhile; it was left as it is and nothing was written into it"
    )]
    CreatedMeanwhile(PathBuf),
    #[error("{0}: --out names the database itself; choose another file")]
    OutIsTheDatabase(PathBuf),
    #[error("{0}: the backup would replace the database itself; choose another file")]
    BackupIsTheDatabase(PathBuf),
    #[error("{0}: not a regular file; a backup needs a file name")]
    NotRegular(PathBuf),
    #[error("{0}: the path is not UTF-8")]
    NotUtf8(PathBuf),
    #[error("{0}: could not write the CSV")]
    Csv(PathBuf),
    /// SQLite's bare "disk I/O error" or "database or disk is full", naming the file.
    #[error("{path}: could not be written ({detail}; is the disk full?); nothing was changed")]
    DiskFull { path: PathBuf, detail: String },
}

/// Why an imported file (named by `Error::Import`) cannot be imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportProblem {
    #[error(
        "line {line} is not UTF-8 text (byte 0x{byte:02X}); save the file as UTF-8 (CSV UTF-8) and import again; nothing was imported"
    )]
    NotUtf8 { line: usize, byte: u8 },
    #[error("the file is empty")]
    Empty,
    #[error("the header line cannot be read ({0})")]
    Header(String),
    #[error("line {line}: the CSV cannot be read ({detail})")]
    Csv { line: u64, detail: String },
    #[error("not an attuned JSON export")]
    NotAnExport,
    #[error("not an attuned JSON export (line {line}, column {column}: {what})")]
    NotJson {
        line: usize,
        column: usize,
        what: &'static str,
    },
    #[error("not an attuned JSON export (no schema_version)")]
    NoSchemaVersion,
    #[error(
        "exported by a newer attuned (schema {found}, this one knows up to {supported}); upgrade attuned to import it"
    )]
    NewerSchema { found: i64, supported: i64 },
    #[error("{section} record {record} has no integer id")]
    NoId {
        section: &'static str,
        record: usize,
    },
    #[error("{section} is not an array")]
    NotAnArray { section: &'static str },
    #[error("JSON is imported whole (attuned export --format json); use it alone")]
    JsonNotAlone,
    #[error("an attuned JSON export is imported on its own")]
    JsonWithOthers,
    #[error("--me is for CRM exports; an attuned JSON export says who its CSM is")]
    MeForJson,
    #[error("the file changed while it was imported; nothing was imported")]
    ChangedMeanwhile,
    #[error("{section} record {record} (id {id}) cannot be imported: {why}; nothing was imported")]
    Record {
        section: &'static str,
        record: usize,
        id: String,
        why: String,
    },
    #[error("{broken} record(s) point at records the file does not hold; nothing was imported")]
    Dangling { broken: i64 },
    #[error("refused, as the file would then fail its check ({first}); nothing was imported")]
    FailsCheck { first: String },
    /// `kinds`: "X and Y"; `headers`: as `shown_headers` lists them.
    #[error(
        "the columns fit {kinds} at once, so attuned will not guess which it is (headers seen: {headers}); export each kind on its own; nothing was imported"
    )]
    Ambiguous { kinds: String, headers: String },
    #[error(
        "not a kind of file attuned knows (headers seen: {headers}; kinds considered: {kinds}); if it holds accounts or contacts, name their columns with --map 'Header=field'; nothing was imported"
    )]
    UnknownKind { headers: String, kinds: String },
    /// `mapping`: the `--map` arguments of the guess, or "empty".
    #[error(
        "not a Salesforce, HubSpot or Maven export; the guessed mapping is {mapping} (check it with --dry-run, then pass it); nothing was imported"
    )]
    Guessed { mapping: String },
}

/// Why `team merge` merged nothing.
#[derive(Debug, thiserror::Error)]
pub enum Unmerged {
    #[error("name at least one CSM's file to merge")]
    NoSources,
    #[error("{0}: no .db files in this folder; nothing was merged")]
    NoDbFiles(PathBuf),
    #[error("{0} is a CSM's own file, not a team file; merge into a new file; nothing was merged")]
    IntoCsmFile(PathBuf),
    #[error("{source_file} is a copy of the team file {team}; nothing was merged")]
    CopyOfTeam { source_file: PathBuf, team: PathBuf },
    #[error(
        "after merging, {n} record(s) (first in {table}) point at records no merged file holds (a change made in the team file itself to a record since deleted?); nothing was merged"
    )]
    Dangling { n: i64, table: String },
    #[error("{path}: cannot be read ({detail})")]
    Unreadable { path: PathBuf, detail: String },
    /// `tables`: comma-separated.
    #[error("this attuned does not know how to merge the table(s) {0}; nothing was merged")]
    UnknownTables(String),
    #[error("{0} is the team file itself; nothing was merged")]
    TeamItself(PathBuf),
    #[error("{0} is a team file; merge the CSMs' own files; nothing was merged")]
    SourceIsTeam(PathBuf),
    #[error("{0} holds records of the team file itself; nothing was merged")]
    HoldsTeamRecords(PathBuf),
    #[error("{path}: table {table} has no column {column}; nothing was merged")]
    MissingColumn {
        path: PathBuf,
        table: String,
        column: String,
    },
}

/// A follow-up that cannot be moved as asked.
#[derive(Debug, thiserror::Error)]
pub enum FollowupProblem {
    #[error("that follow-up is no longer open")]
    NotOpen,
    #[error("follow-up {0} has an unreadable date")]
    UnreadableDate(i64),
    #[error("{0} is in the past")]
    InThePast(chrono::NaiveDate),
    #[error("that date is out of range")]
    OutOfRange,
}

/// A persona's manager that cannot be one.
#[derive(Debug, thiserror::Error)]
pub enum ManagerProblem {
    #[error("A persona cannot report to someone who reports to them")]
    Loop,
    #[error("The manager must be a current persona of this account")]
    NotHere,
}

/// A pilot that cannot be made, or is not there.
#[derive(Debug, thiserror::Error)]
pub enum PilotProblem {
    #[error("a pilot needs a name")]
    NoName,
    /// The name's length limit, worded by `domain::limits`.
    #[error("{0}")]
    NameTooLong(String),
    #[error("a pilot runs 1 to 52 weeks")]
    Weeks,
    #[error("a pilot named \"{0}\" already exists")]
    Exists(String),
    #[error("no live account with id {0}")]
    NoAccount(i64),
    #[error("no accounts to run the pilot on")]
    NoAccounts,
    /// `known`: the CSMs' names, comma-separated.
    #[error("no CSM named \"{name}\" (known: {known})")]
    NoCsm { name: String, known: String },
    #[error("no pilot named \"{0}\" (attuned pilot list shows them)")]
    NoPilot(String),
    #[error("the pilot runs {weeks} weeks; there is no week {week}")]
    NoWeek { weeks: u32, week: u32 },
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

/// The refusal of the imported file shown as `file`.
pub fn bad(file: &str, problem: ImportProblem) -> Error {
    Error::Import {
        file: file.to_string(),
        problem,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The typed errors print the lines the string-typed ones printed.
    #[test]
    fn typed_errors_keep_their_one_line() {
        let p = PathBuf::from("/x/team.db");
        let cases: [(Error, &str); 6] = [
            (
                Error::NoSuch {
                    what: "persona",
                    id: 7,
                },
                "no persona with id 7",
            ),
            (
                Error::DropReadOnly {
                    what: "import writes into the database",
                },
                "import writes into the database; drop --read-only",
            ),
            (
                Unmerged::TeamItself(p.clone()).into(),
                "/x/team.db is the team file itself; nothing was merged",
            ),
            (
                bad(
                    "a.csv",
                    ImportProblem::NotUtf8 {
                        line: 3,
                        byte: 0xE9,
                    },
                ),
                "a.csv: line 3 is not UTF-8 text (byte 0xE9); save the file as UTF-8 (CSV UTF-8) and import again; nothing was imported",
            ),
            (
                Argument::ManyAccounts {
                    given: "North".into(),
                    shown: "Northwind (1), North Co (2)".into(),
                }
                .into(),
                "\"North\" matches several accounts: Northwind (1), North Co (2); pass the id",
            ),
            (
                Output::DiskFull {
                    path: p,
                    detail: "database or disk is full".into(),
                }
                .into(),
                "/x/team.db: could not be written (database or disk is full; is the disk full?); nothing was changed",
            ),
        ];
        for (e, line) in cases {
            assert_eq!(e.to_string(), line);
        }
    }
}
