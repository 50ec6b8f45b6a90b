//! The command line: clap definitions and the non-interactive commands.
//!
//! Every failure reaches the user as one line on stderr, `attuned: <message>`, with a
//! non-zero exit status; usage mistakes get clap's own message and status 2.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::demo::{self, DemoOptions};
use crate::domain::SystemClock;
use crate::error::{Error, Result};
use crate::export;
use crate::store::{self, Store, check};

/// A keyboard-first workstation for Customer Success Managers; the book of business
/// lives in one local SQLite file.
#[derive(Debug, Parser)]
#[command(name = "attuned", version, about)]
pub struct Cli {
    /// The database file [default: attuned.db in the user's local data directory]
    #[arg(long, global = true, env = "ATTUNED_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,

    /// Open the database without changing anything in it
    #[arg(long, global = true)]
    pub read_only: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Fill a new or empty database with a realistic, deterministic demo portfolio
    Demo(DemoArgs),
    /// Write every record out (the database is only read)
    Export(ExportArgs),
    /// Check the database's integrity (the database is only read)
    Check,
    /// A consistent copy of the database (0600), safe while the app runs
    Backup(BackupArgs),
    /// Salesforce / HubSpot / Maven CRM / other CSV exports, or an attuned JSON export
    Import(ImportArgs),
    /// What is due: open follow-ups, overdue, today, this week, later (the database is only read)
    Followups(FollowupsArgs),
}

#[derive(Debug, Args)]
pub struct FollowupsArgs {
    /// One JSON object for scripts instead of text
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The files to import, all in one transaction
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,

    /// Report what would be added, updated and rejected; change nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Map a column to a field, e.g. --map 'Revenue=contract_value' (repeatable)
    #[arg(long = "map", value_name = "HEADER=FIELD")]
    pub maps: Vec<String>,

    /// Import the good rows even when others are rejected (default: all or nothing)
    #[arg(long)]
    pub keep_good: bool,
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The copy to write; a directory gets a time-stamped file inside it
    #[arg(value_name = "DEST")]
    pub dest: PathBuf,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// How many accounts to create
    #[arg(long, value_name = "N", default_value_t = 200,
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub accounts: u32,

    /// The same seed always gives the same portfolio
    #[arg(long, value_name = "S", default_value_t = 7)]
    pub seed: u64,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Output format; json is the complete, re-importable picture
    #[arg(long, value_enum)]
    pub format: Format,

    /// Write to FILE (created 0600) instead of standard output
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// md: the brief of this account (name, part of it, id or CRM id) instead of the portfolio's
    #[arg(long, value_name = "NAME_OR_ID")]
    pub account: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Json,
    /// Accounts with their summary, for a spreadsheet
    Csv,
    /// A one-page brief for a QBR document
    Md,
    /// Open follow-ups as an iCalendar file (RFC 5545) for a calendar app
    Ics,
}

/// Parses the command line, runs it, and turns the outcome into an exit status.
pub fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version land here too, with status 0.
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    match dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            report(&e);
            ExitCode::FAILURE
        }
    }
}

/// Prints an error as one line on stderr.
pub fn report(e: &Error) {
    // A reader that closed the pipe early (`| head`) wants no complaint.
    if let Error::Io { source, .. } = e
        && source.kind() == io::ErrorKind::BrokenPipe
    {
        return;
    }
    eprintln!("attuned: {}", one_line(&e.to_string()));
}

/// SQLite messages and odd file names can carry newlines; the contract is one line.
fn one_line(s: &str) -> String {
    s.split(['\n', '\r'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn dispatch(cli: Cli) -> Result<ExitCode> {
    let path = db_path(cli.db)?;
    match cli.command {
        None => workstation(&path, cli.read_only),
        Some(Command::Demo(args)) => demo(&path, cli.read_only, &args),
        Some(Command::Export(args)) => export(&path, &args),
        Some(Command::Check) => check(&path),
        Some(Command::Backup(args)) => backup(&path, &args),
        Some(Command::Import(args)) => import(&path, cli.read_only, &args),
        Some(Command::Followups(args)) => followups(&path, &args),
    }
}

/// The database to use: `--db`, else `ATTUNED_DB`, else the user's data directory.
fn db_path(given: Option<PathBuf>) -> Result<PathBuf> {
    let path = match given {
        Some(p) if p.as_os_str().is_empty() => {
            return Err(Error::Invalid(
                "the database path is empty; pass --db PATH or set ATTUNED_DB".into(),
            ));
        }
        Some(p) => p,
        None => default_db_path()?,
    };
    if path.is_dir() {
        return Err(Error::IsADirectory { path });
    }
    Ok(path)
}

/// `attuned.db` in the platform's local (not roaming) data directory.
pub fn default_db_path() -> Result<PathBuf> {
    directories::ProjectDirs::from("", "", "attuned")
        .map(|dirs| dirs.data_local_dir().join("attuned.db"))
        .ok_or(Error::NoDataDir)
}

fn workstation(path: &Path, read_only: bool) -> Result<ExitCode> {
    let store = if read_only {
        Store::open_read_only(path)?
    } else {
        Store::open(path)?
    };
    crate::ui::run(store)?;
    Ok(ExitCode::SUCCESS)
}

fn demo(path: &Path, read_only: bool, args: &DemoArgs) -> Result<ExitCode> {
    if read_only {
        return Err(Error::Invalid(
            "demo writes a portfolio into the database; drop --read-only".into(),
        ));
    }
    let mut store = Store::open(path)?;
    // Running the README's first command again keeps the demo it made.
    if let Some(made) = store.meta(demo::DEMO_META_KEY)? {
        println!(
            "demo: {} already holds a demo portfolio ({made}); kept as it is",
            path.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    // A demo must never mix invented customers into a real book of business.
    let accounts = store.account_count()?;
    if accounts > 0 {
        return Err(Error::NotEmpty {
            path: path.to_path_buf(),
            accounts,
        });
    }
    let started = Instant::now();
    let opts = DemoOptions {
        accounts: args.accounts as usize,
        seed: args.seed,
    };
    let made = demo::generate(&mut store, &opts, &SystemClock)?;
    println!(
        "demo: {} accounts, {} personas, {} touches, {} follow-ups, {} signals in {:.2} s -> {}",
        made.accounts,
        made.personas,
        made.touches,
        made.followups,
        made.signals,
        started.elapsed().as_secs_f64(),
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Exports only read, so they open the file read-only: they work on a write-protected
/// file or a team lead's copy, never create a missing database, and leave no trace.
fn export(path: &Path, args: &ExportArgs) -> Result<ExitCode> {
    let store = Store::open_read_only(path)?;
    match args.format {
        Format::Json => export_json(&store, args.out.as_deref()),
        Format::Csv => export_csv(&store, args.out.as_deref()),
        Format::Md => export_md(&store, args.out.as_deref(), args.account.as_deref()),
        Format::Ics => export_ics(&store, args.out.as_deref()),
    }
}

fn export_ics(store: &Store, out: Option<&Path>) -> Result<ExitCode> {
    if let Some(out) = out {
        refuse_to_overwrite_db(store.path(), out)?;
    }
    let now = chrono::Utc::now();
    let n = export::write_output(out, |w, shown| {
        crate::export_ics::write(store.conn(), now, w, shown)
    })?;
    if let Some(out) = out {
        eprintln!("exported {n} follow-ups -> {}", out.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// `attuned followups`: the queue of the `f` screen, for scripts and shell prompts.
fn followups(path: &Path, args: &FollowupsArgs) -> Result<ExitCode> {
    use crate::domain::Clock;
    use crate::domain::tagging::Bucket;
    use std::io::Write as _;
    let store = Store::open_read_only(path)?;
    let today = SystemClock.today();
    let (items, _) = store::followups::open(store.conn(), today, usize::MAX >> 1)?;
    let mut stdout = io::stdout().lock();
    let shown = Path::new("stdout");
    let text = if args.json {
        let list: Vec<serde_json::Value> = items
            .iter()
            .map(|f| {
                serde_json::json!({
                    "id": f.id,
                    "account_id": f.account_id,
                    "account": f.account,
                    "touch_id": f.touch_id,
                    "due_on": f.due_on.format("%Y-%m-%d").to_string(),
                    "action": f.action,
                    "snoozed_from": f.snoozed_from.map(|d| d.format("%Y-%m-%d").to_string()),
                    "bucket": f.bucket.as_str(),
                })
            })
            .collect();
        let count = |b: Bucket| items.iter().filter(|f| f.bucket == b).count();
        let v = serde_json::json!({
            "today": today.format("%Y-%m-%d").to_string(),
            "open": list.len(),
            "overdue": count(Bucket::Overdue),
            "due_today": count(Bucket::Today),
            "this_week": count(Bucket::ThisWeek),
            "later": count(Bucket::Later),
            "followups": list,
        });
        format!("{v}\n")
    } else {
        let mut t = String::new();
        if items.is_empty() {
            t.push_str("No open follow-ups.\n");
        }
        for b in Bucket::ALL {
            let group: Vec<_> = items.iter().filter(|f| f.bucket == b).collect();
            if group.is_empty() {
                continue;
            }
            t.push_str(&format!("{} ({})\n", b.label(), group.len()));
            for f in group {
                t.push_str(&format!(
                    "  {}  {}  {}\n",
                    f.due_on.format("%Y-%m-%d"),
                    one_line(&f.account),
                    one_line(&f.action)
                ));
            }
        }
        t
    };
    match stdout.write_all(text.as_bytes()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        other => other.map_err(|e| Error::io(shown, e))?,
    }
    Ok(ExitCode::SUCCESS)
}

fn export_json(store: &Store, out: Option<&Path>) -> Result<ExitCode> {
    let Some(out) = out else {
        export::json_to_stdout(store.conn(), &SystemClock)?;
        return Ok(ExitCode::SUCCESS);
    };
    refuse_to_overwrite_db(store.path(), out)?;
    let started = Instant::now();
    let n = export::json_to_file(store.conn(), out, &SystemClock)?;
    // stderr: `--out /dev/stdout` must get nothing but the JSON.
    eprintln!(
        "exported {} accounts, {} personas, {} touches, {} follow-ups in {:.2} s -> {}",
        n.accounts,
        n.personas,
        n.touches,
        n.followups,
        started.elapsed().as_secs_f64(),
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn export_csv(store: &Store, out: Option<&Path>) -> Result<ExitCode> {
    if let Some(out) = out {
        refuse_to_overwrite_db(store.path(), out)?;
    }
    let n = export::write_output(out, |w, shown| {
        crate::export_csv::write(store.conn(), w, shown)
    })?;
    if let Some(out) = out {
        eprintln!("exported {n} accounts -> {}", out.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn export_md(store: &Store, out: Option<&Path>, account: Option<&str>) -> Result<ExitCode> {
    if let Some(out) = out {
        refuse_to_overwrite_db(store.path(), out)?;
    }
    let at = store::summary::AsOf::new(&SystemClock);
    let text = match account {
        Some(sel) => {
            let id = store::exports::find_account(store.conn(), sel)?;
            crate::export_md::account_brief(store.conn(), id, &at)?
        }
        None => crate::export_md::portfolio_brief(store.conn(), &at)?,
    };
    export::write_output(out, |w, shown| {
        w.write_all(text.as_bytes())
            .map_err(|e| Error::io(shown, e))
    })?;
    Ok(ExitCode::SUCCESS)
}

/// `--out` naming the database itself would replace the data with its export.
fn refuse_to_overwrite_db(db: &Path, out: &Path) -> Result<()> {
    let same = match (fs::canonicalize(db), fs::canonicalize(out)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if same {
        return Err(Error::Invalid(format!(
            "{}: --out names the database itself; choose another file",
            out.display()
        )));
    }
    Ok(())
}

fn import(path: &Path, read_only: bool, args: &ImportArgs) -> Result<ExitCode> {
    use crate::import::{self, MapRule};
    use crate::store::import::{Counts, Mode};
    if read_only {
        return Err(Error::Invalid(
            "import writes into the database; drop --read-only".into(),
        ));
    }
    let maps = args
        .maps
        .iter()
        .map(|m| MapRule::parse(m))
        .collect::<Result<Vec<_>>>()?;
    let started = Instant::now();
    let mut parsed = Vec::new();
    let mut json = None;
    for file in &args.files {
        let bytes = fs::read(file).map_err(|e| Error::io(file, e))?;
        let shown = file.display().to_string();
        if import::looks_like_json(&bytes) {
            if args.files.len() > 1 {
                return Err(Error::Invalid(format!(
                    "{shown}: an attuned JSON export is imported on its own"
                )));
            }
            json = Some((shown, bytes));
            break;
        }
        parsed.push(import::parse_file(&shown, &bytes, &maps)?);
    }
    let mode = if args.dry_run {
        Mode::DryRun
    } else if args.keep_good {
        Mode::KeepGood
    } else {
        Mode::AllOrNothing
    };
    if let Some((shown, bytes)) = json {
        let mut store = Store::open(path)?;
        let n = store::import::apply_json(&mut store, &shown, &bytes, mode == Mode::DryRun)?;
        println!(
            "import{}: {shown}: {} accounts, {} personas, {} touches, {} follow-ups in {:.2} s",
            if args.dry_run {
                " (dry run, nothing changed)"
            } else {
                ""
            },
            n.accounts,
            n.personas,
            n.touches,
            n.followups,
            started.elapsed().as_secs_f64()
        );
        return Ok(ExitCode::SUCCESS);
    }
    for p in &parsed {
        if p.guessed && !args.dry_run {
            return Err(Error::Invalid(format!(
                "{}: not a Salesforce, HubSpot or Maven export; the guessed mapping is {} (check it with --dry-run, then pass it); nothing was imported",
                p.file,
                if p.mapping.iter().any(|(_, f)| *f != import::Field::Ignore) {
                    p.map_args()
                } else {
                    "empty".into()
                }
            )));
        }
    }
    let mut store = Store::open(path)?;
    let out = store::import::apply(&mut store, &parsed, mode, &SystemClock)?;
    for p in &parsed {
        let rows = p.accounts.len()
            + p.contacts.len()
            + p.csms.len()
            + p.deals.len()
            + p.rejected.len()
            + p.skipped.len();
        println!(
            "{}: {:?} from {}, {rows} rows",
            p.file,
            p.kind,
            p.system.as_str()
        );
        if p.guessed {
            println!("  guessed mapping: {}", p.map_args());
        }
    }
    let counts = |c: &Counts| {
        format!(
            "{} accounts, {} personas, {} CSMs, {} touches",
            c.accounts, c.personas, c.csms, c.touches
        )
    };
    let verb = if out.committed { "" } else { "would be " };
    println!("{verb}added: {}", counts(&out.added));
    println!("{verb}updated: {}", counts(&out.updated));
    println!("unchanged: {}", counts(&out.unchanged));
    if !out.skipped.is_empty() {
        println!("skipped on purpose: {} rows", out.skipped.len());
        for s in out.skipped.iter().take(3) {
            println!("  {}", one_line(&s.to_string()));
        }
        if out.skipped.len() > 3 {
            println!("  ...");
        }
    }
    for w in &out.warnings {
        println!("warning: {}", one_line(&w.to_string()));
    }
    println!("rejected: {} rows", out.rejected.len());
    for r in &out.rejected {
        println!("  {}", one_line(&r.to_string()));
    }
    println!("in {:.2} s", started.elapsed().as_secs_f64());
    if args.dry_run {
        println!("dry run: nothing was changed");
        return Ok(ExitCode::SUCCESS);
    }
    if !out.committed {
        eprintln!(
            "attuned: {} row(s) rejected, so nothing was imported; fix them, or pass --keep-good to import the rest",
            out.rejected.len()
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// Backups only read the database, so they work on a write-protected file too.
fn backup(path: &Path, args: &BackupArgs) -> Result<ExitCode> {
    let store = Store::open_read_only(path)?;
    let started = Instant::now();
    let written = store.backup_to(&args.dest)?;
    println!(
        "backup: {} -> {} in {:.2} s",
        path.display(),
        written.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

fn check(path: &Path) -> Result<ExitCode> {
    let store = Store::open_read_only(path)?;
    let report = check::run(store.conn())?;
    println!("{}", path.display());
    println!(
        "SQLite {}, schema {}",
        store::sqlite_version(),
        report.schema_version
    );
    println!(
        "{} accounts, {} personas, {} touches, {} follow-ups",
        report.accounts, report.personas, report.touches, report.followups
    );
    if report.problems.is_empty() {
        println!("healthy");
        return Ok(ExitCode::SUCCESS);
    }
    println!("{} problem(s):", report.problems.len());
    for problem in &report.problems {
        println!("  {}", one_line(problem));
    }
    eprintln!(
        "attuned: {}: {} problem(s) found",
        path.display(),
        report.problems.len()
    );
    Ok(ExitCode::FAILURE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn demo_defaults_match_the_contract() {
        let cli = Cli::try_parse_from(["attuned", "demo"]).unwrap();
        let Some(Command::Demo(args)) = cli.command else {
            panic!("not demo");
        };
        assert_eq!((args.accounts, args.seed), (200, 7));
    }

    #[test]
    fn db_is_accepted_before_or_after_the_subcommand() {
        for argv in [
            &["attuned", "--db", "x.db", "check"][..],
            &["attuned", "check", "--db", "x.db"][..],
        ] {
            let cli = Cli::try_parse_from(argv).unwrap();
            assert_eq!(cli.db.as_deref(), Some(Path::new("x.db")));
        }
    }

    #[test]
    fn export_knows_json_csv_and_md() {
        for f in ["json", "csv", "md"] {
            assert!(Cli::try_parse_from(["attuned", "export", "--format", f]).is_ok());
        }
        assert!(Cli::try_parse_from(["attuned", "export", "--format", "xls"]).is_err());
        assert!(Cli::try_parse_from(["attuned", "export"]).is_err());
    }

    #[test]
    fn zero_demo_accounts_is_a_usage_error() {
        assert!(Cli::try_parse_from(["attuned", "demo", "--accounts", "0"]).is_err());
    }

    #[test]
    fn errors_are_flattened_to_one_line() {
        assert_eq!(one_line("a\nb\r\n c\n"), "a b c");
    }
}
