//! The command line: clap definitions and the non-interactive commands.
//!
//! Every failure reaches the user as one line on stderr, `attuned: <message>`, with a
//! non-zero exit status; usage mistakes get clap's own message and status 2.

use std::fs;
use std::io::{self, IsTerminal};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::demo::{self, DemoOptions};
use crate::domain::SystemClock;
use crate::domain::text::{clean_line, clean_text};
use crate::error::{Argument, Error, ImportProblem, Output, Result, bad};
use crate::export;
use crate::progress::{self, Progress};
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
    /// Adaptability audits: draw a reproducible sample of touches per CSM and quarter, or summarise the scores
    #[command(subcommand)]
    Audit(AuditCommand),
    /// The team lead's file
    #[command(subcommand)]
    Team(TeamCommand),
    /// Coaching KPIs per CSM, segment and month, with flags, as Markdown (the database is only read)
    Report(ReportArgs),
    /// Pilots: a cohort coached on 8–12 at-risk accounts against a matched control group
    #[command(subcommand)]
    Pilot(PilotCommand),
    /// The ROI of coaching: recovered revenue, cost, net, ROI and break-even (needs no database)
    Roi(RoiArgs),
    /// Practice drills (the database is not opened)
    #[command(subcommand)]
    Practice(PracticeCommand),
    /// Print a completion script for a shell (bash, zsh, fish, elvish, powershell)
    Completions(CompletionsArgs),
    /// Print the manual page (roff), e.g. `attuned man | man -l -`
    Man,
}

#[derive(Debug, Subcommand)]
pub enum PracticeCommand {
    /// The phrasing check of a written response: one line per rule (✓/✗, rule, reason), exit 0
    Check(PracticeCheckArgs),
}

#[derive(Debug, Args)]
pub struct PracticeCheckArgs {
    /// The step the response drills: mirror, clarify or propose
    #[arg(long, value_name = "STEP")]
    pub step: crate::domain::phrasing::Step,

    /// The customer's line, for "reflects the customer's own words" (mirror)
    #[arg(long, value_name = "TEXT")]
    pub customer: Option<String>,

    /// The response (several words are joined by spaces; - reads standard input)
    #[arg(value_name = "TEXT", required = true)]
    pub text: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum PilotCommand {
    /// Start a pilot: its accounts, a matched control group and the baseline, frozen now
    New(PilotNewArgs),
    /// Every pilot (the database is only read)
    List(PilotListArgs),
    /// The weekly report as Markdown: KPIs of pilot vs control with their uncertainty (the database is only read)
    Report(PilotReportArgs),
}

#[derive(Debug, Args)]
pub struct PilotNewArgs {
    /// The pilot's name (unique)
    #[arg(value_name = "NAME")]
    pub name: String,

    /// The pilot accounts by id, comma-separated
    #[arg(
        long,
        value_name = "ID,ID…",
        value_delimiter = ',',
        conflicts_with = "pick"
    )]
    pub accounts: Vec<i64>,

    /// The N riskiest accounts of the cohort [default: 10]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100))]
    pub pick: Option<u32>,

    /// A CSM of the cohort (repeatable) [default: the owners of the pilot accounts]
    #[arg(long, value_name = "NAME")]
    pub csm: Vec<String>,

    /// How many weeks the pilot runs
    #[arg(long, value_name = "N", default_value_t = 6,
          value_parser = clap::value_parser!(u32).range(1..=52))]
    pub weeks: u32,

    /// The first day, YYYY-MM-DD [default: today]
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub start: Option<chrono::NaiveDate>,
}

#[derive(Debug, Args)]
pub struct PilotListArgs {
    /// One JSON array for scripts instead of text
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct PilotReportArgs {
    /// The pilot's name
    #[arg(value_name = "NAME")]
    pub name: String,

    /// Only this week (0: the baseline) [default: every week so far]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=52))]
    pub week: Option<u32>,

    /// One JSON object for scripts instead of Markdown
    #[arg(long)]
    pub json: bool,
}

fn parse_date(s: &str) -> std::result::Result<chrono::NaiveDate, String> {
    chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| "expected a date as YYYY-MM-DD".to_string())
}

#[derive(Debug, Args)]
pub struct RoiArgs {
    /// Annual contract value per at-risk account, in dollars (50000, $50,000 or 50k)
    #[arg(long, value_name = "USD", value_parser = crate::domain::pilot::parse_dollars)]
    pub acv: i64,

    /// The churn reduction in percent (3), or a range (2-4) such as a pilot's interval
    #[arg(long, value_name = "PCT", value_parser = crate::domain::pilot::Reduction::parse)]
    pub churn_reduction: crate::domain::pilot::Reduction,

    /// How many at-risk accounts
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100_000_000))]
    pub accounts: u32,

    /// The programme's cost per person, in dollars (self-paced $50-150, virtual cohort $400-1,200, onsite $1,500-6,000)
    #[arg(long, value_name = "USD", value_parser = crate::domain::pilot::parse_dollars)]
    pub cost_per_person: i64,

    /// People trained [default: none; shows how many the recovered revenue pays for]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10_000_000))]
    pub people: Option<u32>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// How many months, ending with this one
    #[arg(long, value_name = "N", default_value_t = 12,
          value_parser = clap::value_parser!(u32).range(1..=60))]
    pub months: u32,

    /// Only this CSM (name, or part of it)
    #[arg(long, value_name = "NAME", conflicts_with = "team")]
    pub csm: Option<String>,

    /// Only the team of this team lead (name, or part of it)
    #[arg(long, value_name = "LEAD")]
    pub team: Option<String>,

    /// The last month covered [default: this month], e.g. 2017-12 for an old CRM history
    #[arg(long, value_name = "YYYY-MM", value_parser = parse_month)]
    pub until: Option<chrono::NaiveDate>,
}

/// `YYYY-MM` as the first day of that month.
fn parse_month(s: &str) -> std::result::Result<chrono::NaiveDate, String> {
    chrono::NaiveDate::parse_from_str(&format!("{}-01", s.trim()), "%Y-%m-%d")
        .map_err(|_| format!("'{s}' is not a month; expected YYYY-MM, e.g. 2026-06"))
}

#[derive(Debug, Subcommand)]
pub enum TeamCommand {
    /// Combine CSMs' files into one team file; merging newer copies again replaces each CSM's records (the CSMs' files are only read)
    Merge(MergeArgs),
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The team file (created if missing)
    #[arg(long, value_name = "PATH")]
    pub into: PathBuf,

    /// The CSMs' files, or folders of them (every *.db file in a folder); the same CSM's file given twice: the last one is merged
    #[arg(value_name = "FILE_OR_FOLDER", required = true)]
    pub files: Vec<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Draw (or top up) each CSM's sample of calls, meetings and QBRs and print it; scored audits are kept
    Draw(AuditDrawArgs),
    /// Mean rubric and pillar scores per CSM beside renewal outcomes, as Markdown (the database is only read)
    Summary(AuditSummaryArgs),
}

#[derive(Debug, Args)]
pub struct AuditDrawArgs {
    /// The quarter, e.g. 2026Q4 [default: this quarter]
    #[arg(long, value_name = "YYYYQn", value_parser = parse_quarter)]
    pub quarter: Option<crate::domain::audit::Quarter>,

    /// Touches per CSM
    #[arg(long, value_name = "N", default_value_t = 10,
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub per_csm: u32,

    /// The seed; the same seed draws the same touches [default: the quarter's last one, else the quarter itself, e.g. 20264]
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
}

#[derive(Debug, Args)]
pub struct AuditSummaryArgs {
    /// The quarter, e.g. 2026Q4 [default: this quarter]
    #[arg(long, value_name = "YYYYQn", value_parser = parse_quarter)]
    pub quarter: Option<crate::domain::audit::Quarter>,
}

fn parse_quarter(s: &str) -> std::result::Result<crate::domain::audit::Quarter, String> {
    crate::domain::audit::Quarter::parse(s)
        .ok_or_else(|| format!("'{s}' is not a quarter: write it like 2026Q4"))
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

    /// Which of the files' account owners is you: the file opens on your portfolio
    /// (otherwise, with several owners, attuned asks once)
    #[arg(long, value_name = "NAME")]
    pub me: Option<String>,
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
            if matches!(e, Error::Cancelled) {
                // What a shell reports for a command stopped by Ctrl-C (128 + SIGINT).
                return ExitCode::from(130);
            }
            ExitCode::FAILURE
        }
    }
}

/// The flag Ctrl-C sets, from the first long work of the process on: the work under way
/// (or the next) stops. A second Ctrl-C ends the process at once (what it leaves aside
/// is swept by the next command writing there). Kept to the end: signal-hook cannot give
/// SIGINT its default action back.
fn ctrl_c() -> Arc<AtomicBool> {
    use signal_hook::consts::SIGINT;
    static STOP: OnceLock<Arc<AtomicBool>> = OnceLock::new();
    STOP.get_or_init(|| {
        let stop = Arc::new(AtomicBool::new(false));
        // Run in this order: the exit looks at the flag before the second one sets it.
        let _ = signal_hook::flag::register_conditional_shutdown(SIGINT, 130, stop.clone());
        let _ = signal_hook::flag::register(SIGINT, stop.clone());
        stop
    })
    .clone()
}

/// A long command's progress on stderr: a bar (or a spinner, when the total is unknown)
/// while stderr is a terminal, nothing otherwise; stopped by Ctrl-C (`ctrl_c`).
struct Shown {
    bar: Option<indicatif::ProgressBar>,
    stop: Arc<AtomicBool>,
    /// `ATTUNED_IMPORT_TIMING`: each phase's seconds on stderr, for benchmarks.
    timing: Option<Mutex<(String, Instant)>>,
}

impl Shown {
    /// `draw`: whether a bar may be drawn (not over output going to the same terminal).
    fn new(draw: bool) -> Shown {
        let stop = ctrl_c();
        let bar = (draw && io::stderr().is_terminal()).then(|| {
            let bar = indicatif::ProgressBar::new_spinner();
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        });
        let timing = std::env::var_os("ATTUNED_IMPORT_TIMING")
            .map(|_| Mutex::new((String::new(), Instant::now())));
        Shown { bar, stop, timing }
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Takes the bar off the screen (and times the last phase).
    fn clear(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        self.phase("", None);
    }
}

impl Drop for Shown {
    fn drop(&mut self) {
        self.clear();
    }
}

impl Progress for Shown {
    fn phase(&self, what: &str, total: Option<u64>) {
        if let Some(timing) = &self.timing
            && let Ok(mut t) = timing.lock()
        {
            if !t.0.is_empty() {
                eprintln!("  {}: {:.2} s", t.0, t.1.elapsed().as_secs_f64());
            }
            *t = (what.to_string(), Instant::now());
        }
        let Some(bar) = &self.bar else { return };
        let template = match total {
            // cargo's look: the phase in bold, then the bar, count, rate and time left.
            Some(_) => {
                "{msg:>20.cyan.bold} [{bar:30}] {human_pos}/{human_len} ({per_sec:0}, {eta} left)"
            }
            None => "{msg:>20.cyan.bold} {spinner} {elapsed}",
        };
        if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        match total {
            Some(n) => bar.set_length(n),
            None => bar.unset_length(),
        }
        bar.reset();
        bar.set_message(what.to_string());
    }

    fn advance(&self, n: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(n);
        }
    }

    fn stop_flag(&self) -> Option<Arc<AtomicBool>> {
        Some(self.stop.clone())
    }
}

/// Runs a long command's library work with progress shown and Ctrl-C caught: stopped, it
/// is `Cancelled` (and the work's transaction rolled back, its aside file removed).
fn long<T>(work: impl FnOnce(&dyn Progress) -> Result<T>) -> Result<T> {
    long_drawn(true, work)
}

/// `long` for work writing to `out` (none: standard output), whose bar stays off a
/// terminal the output is shown on.
fn long_to<T>(out: Option<&Path>, work: impl FnOnce(&dyn Progress) -> Result<T>) -> Result<T> {
    long_drawn(out.is_some() || !io::stdout().is_terminal(), work)
}

fn long_drawn<T>(draw: bool, work: impl FnOnce(&dyn Progress) -> Result<T>) -> Result<T> {
    let mut shown = Shown::new(draw);
    let out = work(&shown);
    shown.clear();
    match out {
        Err(_) if shown.stopped() => Err(Error::Cancelled),
        other => other.map_err(progress::cancelled),
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

/// SQLite messages and odd file names can carry newlines; the contract is one line, and
/// no control character from the data (an ESC in a name) reaches the terminal.
fn one_line(s: &str) -> String {
    let joined = s
        .split(['\n', '\r'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    clean_line(&joined).into_owned()
}

fn dispatch(cli: Cli) -> Result<ExitCode> {
    if let Some(c @ (Command::Completions(_) | Command::Man)) = &cli.command {
        return shell_files(c);
    }
    if let Some(Command::Roi(args)) = &cli.command {
        return roi(args);
    }
    if let Some(Command::Practice(PracticeCommand::Check(args))) = &cli.command {
        return practice_check(args);
    }
    let path = db_path(cli.db)?;
    match cli.command {
        None => workstation(&path, cli.read_only),
        Some(Command::Demo(args)) => {
            demo(&path, cli.read_only, &args).map_err(|e| write_failed(&path, e))
        }
        Some(Command::Export(args)) => export(&path, &args),
        Some(Command::Check) => check(&path),
        Some(Command::Backup(args)) => {
            backup(&path, &args).map_err(|e| write_failed(&args.dest, e))
        }
        Some(Command::Import(args)) => {
            import(&path, cli.read_only, &args).map_err(|e| write_failed(&path, e))
        }
        Some(Command::Followups(args)) => followups(&path, &args),
        Some(Command::Audit(AuditCommand::Draw(args))) => audit_draw(&path, cli.read_only, &args),
        Some(Command::Audit(AuditCommand::Summary(args))) => audit_summary(&path, &args),
        Some(Command::Team(TeamCommand::Merge(args))) => {
            team_merge(cli.read_only, &args).map_err(|e| write_failed(&args.into, e))
        }
        Some(Command::Report(args)) => kpi_report(&path, &args),
        Some(c @ (Command::Completions(_) | Command::Man)) => shell_files(&c),
        Some(Command::Pilot(PilotCommand::New(args))) => pilot_new(&path, cli.read_only, &args),
        Some(Command::Pilot(PilotCommand::List(args))) => pilot_list(&path, &args),
        Some(Command::Pilot(PilotCommand::Report(args))) => pilot_report(&path, &args),
        Some(Command::Roi(args)) => roi(&args),
        Some(Command::Practice(PracticeCommand::Check(args))) => practice_check(&args),
    }
}

/// Writes `text` to stdout; a closed pipe (`| head`) is not an error.
fn print_out(text: &str) -> Result<()> {
    match io::Write::write_all(&mut io::stdout().lock(), text.as_bytes()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(|e| Error::io(Path::new("stdout"), e)),
    }
}

/// `attuned pilot new`: the pilot, its control group and baseline, in one transaction.
fn pilot_new(path: &Path, read_only: bool, args: &PilotNewArgs) -> Result<ExitCode> {
    use crate::domain::Clock;
    use crate::store::pilot::{self, NewPilot, Pick};
    if read_only {
        return Err(Error::DropReadOnly {
            what: "starting a pilot writes into the file",
        });
    }
    if !path.exists() {
        return Err(Error::io(
            path,
            io::Error::new(io::ErrorKind::NotFound, "no such database"),
        ));
    }
    let mut store = Store::open_for_writing(path)?;
    let new = NewPilot {
        name: args.name.clone(),
        start: args.start.unwrap_or(SystemClock.today()),
        weeks: args.weeks,
        pick: if args.accounts.is_empty() {
            Pick::Riskiest(args.pick.unwrap_or(10) as usize)
        } else {
            Pick::Accounts(args.accounts.clone())
        },
        csms: args.csm.clone(),
    };
    pilot::create(&mut store, &new, SystemClock.now())?;
    let p = pilot::load(store.conn(), new.name.trim())?;
    let mut text = format!(
        "Pilot {} starts {} for {} weeks: {} pilot accounts, {} control accounts; cohort {}.\n",
        one_line(&p.row.name),
        p.row.start,
        p.row.weeks,
        p.row.pilot_accounts,
        p.row.control_accounts,
        one_line(&p.row.cohort.join(", "))
    );
    if p.row.control_accounts < p.row.pilot_accounts {
        text.push_str(
            "Some pilot accounts have no control: no other account of their segment was left.\n",
        );
    }
    let cohort_controls = store::pilot::cohort_controls(store.conn(), p.row.id)?;
    if cohort_controls > 0 {
        text.push_str(&format!(
            "{cohort_controls} control accounts belong to the cohort (no other CSM's account matched): their CSM is coached too, which narrows the difference.\n"
        ));
    }
    print_out(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// `attuned pilot list`: every pilot, as text or JSON (ids as strings).
fn pilot_list(path: &Path, args: &PilotListArgs) -> Result<ExitCode> {
    use crate::json_id::JsonId;
    let store = Store::open_read_only(path)?;
    let rows = store::pilot::list(store.conn())?;
    let text = if args.json {
        let list: Vec<serde_json::Value> = rows
            .iter()
            .map(|p| {
                serde_json::json!({
                    "id": JsonId(p.id),
                    "name": p.name,
                    "start": p.start.format("%Y-%m-%d").to_string(),
                    "weeks": p.weeks,
                    "created_at": store::timestamp(p.created_at),
                    "cohort": p.cohort,
                    "pilot_accounts": p.pilot_accounts,
                    "control_accounts": p.control_accounts,
                })
            })
            .collect();
        format!("{}\n", serde_json::Value::Array(list))
    } else if rows.is_empty() {
        "No pilots yet (attuned pilot new NAME starts one).\n".to_string()
    } else {
        rows.iter()
            .map(|p| {
                format!(
                    "{}  {}  {} weeks  {} pilot / {} control  {}\n",
                    p.start,
                    one_line(&p.name),
                    p.weeks,
                    p.pilot_accounts,
                    p.control_accounts,
                    one_line(&p.cohort.join(", "))
                )
            })
            .collect()
    };
    print_out(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// `attuned pilot report`: the baseline and each week so far (or one), as Markdown.
fn pilot_report(path: &Path, args: &PilotReportArgs) -> Result<ExitCode> {
    use crate::domain::Clock;
    use crate::domain::pilot_report::{self as report, Header};
    let store = Store::open_read_only(path)?;
    let p = store::pilot::load(store.conn(), &args.name)?;
    let current = report::current_week(p.row.start, p.row.weeks, SystemClock.today());
    let wanted: Vec<u32> = match args.week {
        Some(w) if w > p.row.weeks => {
            return Err(crate::error::PilotProblem::NoWeek {
                weeks: p.row.weeks,
                week: w,
            }
            .into());
        }
        Some(0) => Vec::new(),
        Some(w) => vec![w],
        None => (1..=current).collect(),
    };
    let weeks = wanted
        .iter()
        .map(|w| store::pilot::week(store.conn(), &p, *w))
        .collect::<Result<Vec<_>>>()?;
    let text = if args.json {
        format!("{}\n", pilot_json(&p, current, &weeks))
    } else {
        let header = Header {
            name: &p.row.name,
            start: p.row.start,
            weeks: p.row.weeks,
            current,
            today: SystemClock.today(),
            cohort: &p.row.cohort,
            pilot_accounts: p.row.pilot_accounts,
            control_accounts: p.row.control_accounts,
            cohort_controls: store::pilot::cohort_controls(store.conn(), p.row.id)?,
        };
        clean_text(&report::markdown(&header, &p.baseline, &weeks)).into_owned()
    };
    print_out(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// The report for scripts: counts per group and week, and each KPI's difference.
fn pilot_json(
    p: &store::pilot::Pilot,
    current: u32,
    weeks: &[crate::domain::pilot_report::Week],
) -> serde_json::Value {
    use crate::domain::pilot_report::{Kpi, Phase, Week};
    use crate::json_id::JsonId;
    let week = |w: &Week| {
        let diffs: serde_json::Map<String, serde_json::Value> = Kpi::ALL
            .iter()
            .map(|k| {
                let d = k.compare(k.of(&w.pilot), k.of(&w.control)).map(|d| {
                    serde_json::json!({
                        "estimate": d.estimate,
                        "low": d.interval.low,
                        "high": d.interval.high,
                        "verdict": d.verdict.label(),
                    })
                });
                (k.key().to_string(), d.unwrap_or(serde_json::Value::Null))
            })
            .collect();
        serde_json::json!({
            "week": w.week,
            "phase": Phase::of(w.week, p.row.weeks),
            "from": w.from.format("%Y-%m-%d").to_string(),
            "to": w.to.format("%Y-%m-%d").to_string(),
            "pilot": w.pilot,
            "control": w.control,
            "difference": diffs,
        })
    };
    let members: Vec<serde_json::Value> = p
        .members
        .iter()
        .map(|m| {
            serde_json::json!({
                "account_id": JsonId(m.account_id),
                "group": if m.control { "control" } else { "pilot" },
                "matched_to": m.matched_to.map(JsonId),
                "sentiment": m.sentiment.map(|s| s.as_str()),
                "risk": m.risk,
                "coverage": m.coverage,
            })
        })
        .collect();
    serde_json::json!({
        "id": JsonId(p.row.id),
        "name": p.row.name,
        "start": p.row.start.format("%Y-%m-%d").to_string(),
        "weeks": p.row.weeks,
        "current_week": current,
        "cohort": p.row.cohort,
        "accounts": members,
        "baseline": week(&p.baseline),
        "report": weeks.iter().map(week).collect::<Vec<_>>(),
    })
}

/// `attuned roi`: the arithmetic of `domain::pilot`, as Markdown; needs no database.
fn roi(args: &RoiArgs) -> Result<ExitCode> {
    use crate::domain::pilot::{RoiInputs, roi_markdown};
    let inputs = RoiInputs {
        acv_cents: args.acv,
        churn_reduction: args.churn_reduction,
        at_risk_accounts: args.accounts,
        cost_per_person_cents: args.cost_per_person,
        people: args.people,
    };
    let text = roi_markdown(&inputs, &inputs.compute());
    match io::Write::write_all(&mut io::stdout().lock(), text.as_bytes()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        other => other.map_err(|e| Error::io(Path::new("stdout"), e))?,
    }
    Ok(ExitCode::SUCCESS)
}

/// `attuned completions SHELL` and `attuned man`: need no database.
fn shell_files(command: &Command) -> Result<ExitCode> {
    use clap::CommandFactory;
    use std::io::Write as _;
    let mut cli = Cli::command();
    let mut out = Vec::new();
    match command {
        Command::Completions(args) => {
            clap_complete::generate(args.shell, &mut cli, "attuned", &mut out);
        }
        Command::Man => {
            clap_mangen::Man::new(cli)
                .render(&mut out)
                .map_err(|e| Error::io(Path::new("stdout"), e))?;
        }
        _ => {}
    }
    match io::stdout().lock().write_all(&out) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        other => other
            .map(|()| ExitCode::SUCCESS)
            .map_err(|e| Error::io(Path::new("stdout"), e)),
    }
}

/// `attuned practice check`: the phrasing check, for scripts and editors; reads no database.
fn practice_check(args: &PracticeCheckArgs) -> Result<ExitCode> {
    use crate::domain::phrasing::{self, Step};
    use std::io::Write as _;
    let text = match args.text.as_slice() {
        [dash] if dash == "-" => {
            io::read_to_string(io::stdin()).map_err(|e| Error::io(Path::new("stdin"), e))?
        }
        words => words.join(" "),
    };
    let mut out = String::new();
    for r in phrasing::check(args.step, &text, args.customer.as_deref()) {
        let mark = if r.passed { '✓' } else { '✗' };
        out.push_str(&format!("{mark} {} — {}\n", r.rule, r.reason));
    }
    if args.step == Step::Mirror && args.customer.is_none() {
        out.push_str(&format!(
            "· {} — give --customer \"their line\" to check it\n",
            phrasing::REFLECTS_WORDS
        ));
    }
    match io::stdout().lock().write_all(out.as_bytes()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        other => other
            .map(|()| ExitCode::SUCCESS)
            .map_err(|e| Error::io(Path::new("stdout"), e)),
    }
}

/// SQLite's bare "disk I/O error" or "database or disk is full" as a line naming the
/// user's file; what the command was building aside is gone by then.
fn write_failed(path: &Path, e: Error) -> Error {
    use rusqlite::ErrorCode::{DiskFull, SystemIoFailure};
    match &e {
        Error::Sqlite(s) if matches!(s.sqlite_error_code(), Some(DiskFull | SystemIoFailure)) => {
            Output::DiskFull {
                path: path.to_path_buf(),
                detail: s.to_string(),
            }
            .into()
        }
        _ => e,
    }
}

/// The database to use: `--db`, else `ATTUNED_DB`, else the user's data directory.
fn db_path(given: Option<PathBuf>) -> Result<PathBuf> {
    let path = match given {
        Some(p) if p.as_os_str().is_empty() => {
            return Err(Argument::EmptyDbPath.into());
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
        // A file this user cannot write opens read-only, with a notice, instead of failing.
        Store::open_or_read_only(path)?
    };
    crate::ui::run(store)?;
    Ok(ExitCode::SUCCESS)
}

fn demo(path: &Path, read_only: bool, args: &DemoArgs) -> Result<ExitCode> {
    if read_only {
        return Err(Error::DropReadOnly {
            what: "demo writes a portfolio into the database",
        });
    }
    let opts = DemoOptions {
        accounts: args.accounts as usize,
        seed: args.seed,
    };
    let started = Instant::now();
    let made = if path.exists() {
        let mut store = Store::open_for_writing(path)?;
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
        match long(|p| demo::generate_with(&mut store, &opts, &SystemClock, p)) {
            // Batches are committed one by one into an existing file: say what stayed.
            Err(Error::Cancelled) => return demo_cancelled(&store, path),
            made => made?,
        }
    } else {
        // Built aside and named when complete: a failure (a full disk, Ctrl-C) leaves
        // nothing.
        long(|p| {
            let mut new = store::NewDb::create(path)?;
            let made = demo::generate_with(&mut new.store, &opts, &SystemClock, p)?;
            p.phase("Syncing", None);
            new.keep()?;
            Ok(made)
        })?
    };
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

/// A demo stopped in an existing (empty) file keeps the batches it had committed.
fn demo_cancelled(store: &Store, path: &Path) -> Result<ExitCode> {
    let kept = store.account_count()?;
    if kept == 0 {
        return Err(Error::Cancelled);
    }
    eprintln!(
        "attuned: cancelled; the {kept} demo accounts made so far were kept in {}",
        path.display()
    );
    Ok(ExitCode::from(130))
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
    let at = store::summary::AsOf::new(&SystemClock);
    let n = export::write_output(out, |w, shown| {
        crate::export::ics::write(store.conn(), &at, w, shown)
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
    use crate::json_id::JsonId;
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
                    "id": JsonId(f.id),
                    "account_id": JsonId(f.account_id),
                    "account": f.account,
                    "touch_id": f.touch_id.map(JsonId),
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
        long_to(None, |p| {
            export::json_to_stdout(store.conn(), &SystemClock, p)
        })?;
        return Ok(ExitCode::SUCCESS);
    };
    refuse_to_overwrite_db(store.path(), out)?;
    let started = Instant::now();
    let n = long(|p| export::json_to_file(store.conn(), out, &SystemClock, p))?;
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
    let n = long_to(out, |p| {
        p.phase("Exporting accounts", None);
        progress::interruptible(store.conn(), p)?;
        export::write_output(out, |w, shown| {
            crate::export::csv::write(store.conn(), w, shown)
        })
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
    let text = long(|p| {
        p.phase("Writing the brief", None);
        progress::interruptible(store.conn(), p)?;
        match account {
            Some(sel) => {
                let id = store::exports::find_account(store.conn(), sel)?;
                crate::export::md::account_brief(store.conn(), id, &at)
            }
            None => crate::export::md::portfolio_brief(store.conn(), &at),
        }
    })?;
    let text = clean_text(&text);
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
        return Err(Output::OutIsTheDatabase(out.to_path_buf()).into());
    }
    Ok(())
}

/// Whether the file at `path` is an attuned JSON export (its first bytes say so).
fn starts_like_json(path: &Path) -> Result<bool> {
    use std::io::Read as _;
    let mut head = Vec::new();
    fs::File::open(path)
        .and_then(|f| f.take(64 * 1024).read_to_end(&mut head))
        .map_err(|e| Error::io(path, e))?;
    Ok(crate::import::looks_like_json(&head))
}

fn import(path: &Path, read_only: bool, args: &ImportArgs) -> Result<ExitCode> {
    use crate::import::{self, MapRule};
    use crate::store::import::{Counts, Mode};
    if read_only {
        return Err(Error::DropReadOnly {
            what: "import writes into the database",
        });
    }
    let maps = args
        .maps
        .iter()
        .map(|m| MapRule::parse(m))
        .collect::<Result<Vec<_>>>()?;
    let started = Instant::now();
    let mut parsed = Vec::new();
    let mut json = None;
    long(|p| {
        p.phase("Reading files", Some(args.files.len() as u64));
        for file in &args.files {
            let shown = file.display().to_string();
            // A pipe (`<(zcat export.csv.gz)`) can be read only once: read whole now.
            let piped = match fs::metadata(file) {
                Ok(m) if m.is_file() => None,
                _ => Some(fs::read(file).map_err(|e| Error::io(file, e))?),
            };
            let is_json = match &piped {
                Some(bytes) => import::looks_like_json(bytes),
                None => starts_like_json(file)?,
            };
            if is_json {
                if args.files.len() > 1 {
                    return Err(bad(&shown, ImportProblem::JsonWithOthers));
                }
                let bytes = match piped {
                    Some(bytes) => bytes,
                    None => fs::read(file).map_err(|e| Error::io(file, e))?,
                };
                json = Some((shown, bytes));
                break;
            }
            // Reading looks at no stop flag: on a thread of its own, so Ctrl-C stops at once.
            // (Large CSV files are only opened and counted here, their rows read as they
            // are imported.)
            let (rules, path) = (maps.clone(), file.clone());
            parsed.push(progress::stoppable(p, move || match piped {
                Some(bytes) => import::parse_file(&shown, &bytes, &rules),
                None => import::open_file(&path, &shown, &rules),
            })??);
            progress::step(p, 1)?;
        }
        Ok(())
    })?;
    let mode = if args.dry_run {
        Mode::DryRun
    } else if args.keep_good {
        Mode::KeepGood
    } else {
        Mode::AllOrNothing
    };
    if let Some((shown, bytes)) = json {
        if args.me.is_some() {
            return Err(bad(&shown, ImportProblem::MeForJson));
        }
        let dry_run = mode == Mode::DryRun;
        let n = long(|p| store::import::json_into_path(path, &shown, &bytes, dry_run, p))?;
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
            let mapping = if p.mapping.iter().any(|(_, f)| *f != import::Field::Ignore) {
                p.map_args()
            } else {
                "empty".into()
            };
            return Err(bad(&p.file, ImportProblem::Guessed { mapping }));
        }
    }
    if let Some(me) = &args.me {
        check_me(path, &parsed, me)?;
    }
    let out = long(|p| store::import::into_path(path, &parsed, mode, &SystemClock, p))?;
    for p in &parsed {
        if p.kind == import::Kind::MavenReference {
            println!("{}: Maven reference table, nothing in it to import", p.file);
            continue;
        }
        let rows = p.rows();
        println!(
            "{}: {:?} from {}, {rows} rows",
            p.file,
            p.kind,
            p.system.as_str()
        );
        if p.guessed {
            println!("  guessed mapping: {}", one_line(&p.map_args()));
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
    if let Some(me) = &args.me {
        let mut store = Store::open_for_writing(path)?;
        store.write(|tx| tx.set_me_by_name(me))?;
        println!(
            "me: {}; the file opens on your portfolio",
            one_line(me.trim())
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `--me NAME` names an owner the files bring or the file already has; checked before
/// anything is imported, so a typo changes nothing.
fn check_me(path: &Path, parsed: &[crate::import::Parsed], me: &str) -> Result<()> {
    let wanted = me.trim().to_lowercase();
    // A streamed file holds no records in memory: its owners are read chunk by chunk,
    // each name kept once.
    let mut seen = std::collections::HashSet::new();
    for p in parsed {
        p.each_chunk(|chunk| {
            let owners = chunk.accounts.iter().filter_map(|a| a.owner.clone());
            seen.extend(owners.chain(chunk.csms.iter().map(|c| c.name.clone())));
            Ok(())
        })?;
    }
    let mut names: Vec<String> = seen.into_iter().collect();
    if path.exists() {
        let store = Store::open_read_only(path)?;
        names.extend(store::me::owners(store.conn())?.into_iter().map(|o| o.name));
    }
    if names.iter().any(|n| n.trim().to_lowercase() == wanted) {
        return Ok(());
    }
    names.sort_by_key(|n| n.to_lowercase());
    names.dedup_by_key(|n| n.to_lowercase());
    let known = if names.is_empty() {
        "the files name no account owner".to_string()
    } else {
        let more = names.len().saturating_sub(10);
        names.truncate(10);
        let tail = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        format!("owners: {}{tail}", names.join(", "))
    };
    Err(Argument::NotAnOwner {
        given: one_line(me.trim()).to_string(),
        known: one_line(&known).to_string(),
    }
    .into())
}

/// `attuned team merge --into TEAM.db A.db B.db ...`: one line per CSM's file.
fn team_merge(read_only: bool, args: &MergeArgs) -> Result<ExitCode> {
    use crate::ui::format::count as n;
    if read_only {
        return Err(Error::DropReadOnly {
            what: "team merge writes into the team file",
        });
    }
    let started = Instant::now();
    let files = store::merge::sources_in(&args.files, &args.into)?;
    let out = long(|p| store::merge::merge_with(&args.into, &files, chrono::Utc::now(), p))?;
    for (skipped, later) in &out.skipped {
        println!(
            "Skipped {}: the same CSM's file as {}, given later",
            skipped.display(),
            later.display()
        );
    }
    for m in &out.merged {
        let who = m
            .csm
            .as_deref()
            .map_or(String::new(), |c| format!(" ({})", one_line(c)));
        if m.unchanged {
            println!(
                "Unchanged {}{who}: {} accounts, {} personas, {} touches — as merged before",
                m.path.display(),
                n(m.accounts),
                n(m.personas),
                n(m.touches),
            );
            continue;
        }
        let was = match (&m.replaced, m.replaced_newer) {
            (Some(day), false) => format!("replaced the copy of {day}"),
            (Some(day), true) => {
                format!("replaced the copy of {day}, which was newer than this one")
            }
            (None, _) => "new in the team file".into(),
        };
        let migrated = m.migrated_from.map_or(String::new(), |v| {
            format!(" (schema {v}, migrated in a copy)")
        });
        println!(
            "Merged {}{who}: {} accounts, {} personas, {} touches — {was}{migrated}",
            m.path.display(),
            n(m.accounts),
            n(m.personas),
            n(m.touches),
        );
    }
    println!(
        "-> {} in {:.2} s",
        args.into.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

/// `attuned report`: the KPI screen's figures as Markdown on stdout; only reads.
fn kpi_report(path: &Path, args: &ReportArgs) -> Result<ExitCode> {
    use crate::domain::Clock;
    use crate::domain::kpi::{THRESHOLDS, Window};
    use crate::store::kpi::{self, Who};
    use std::io::Write as _;
    let store = Store::open_read_only(path)?;
    let conn = store.conn();
    let all = kpi::csms(conn)?;
    let find = |wanted: &str, leads: bool| -> Result<&kpi::CsmRow> {
        let w = wanted.trim().to_lowercase();
        let pool: Vec<&kpi::CsmRow> = if leads {
            kpi::teams(&all)
        } else {
            all.iter().collect()
        };
        let hits: Vec<&kpi::CsmRow> = match pool.iter().find(|c| c.name.to_lowercase() == w) {
            Some(exact) => vec![*exact],
            None => pool
                .into_iter()
                .filter(|c| c.name.to_lowercase().contains(&w))
                .collect(),
        };
        match hits.as_slice() {
            [one] => Ok(*one),
            [] => Err(Argument::NoPerson {
                role: if leads { "team lead" } else { "CSM" },
                given: one_line(wanted),
                path: path.to_path_buf(),
            }
            .into()),
            many => Err(Argument::ManyPersons {
                given: one_line(wanted),
                names: many
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            }
            .into()),
        }
    };
    let (who, scope) = match (&args.csm, &args.team) {
        (Some(name), _) => {
            let c = find(name, false)?;
            (Who::Csm(c.id), c.name.clone())
        }
        (None, Some(name)) => {
            let c = find(name, true)?;
            (Who::Team(c.id), format!("{}'s team", c.name))
        }
        (None, None) => (Who::All, "everyone in the file".to_string()),
    };
    let last_day = args.until.unwrap_or_else(|| SystemClock.today());
    let window = Window::ending(last_day, args.months);
    let started = Instant::now();
    let k = long(|p| {
        p.phase("Computing KPIs", None);
        progress::interruptible(conn, p)?;
        kpi::load(conn, who, window)
    })?;
    let elapsed = started.elapsed();
    let source = path.display().to_string();
    let mut text = crate::report::markdown(
        &k,
        &crate::report::Heading {
            scope: &scope,
            source: &source,
        },
        &THRESHOLDS,
    );
    text.push('\n');
    text.push_str(&audits_in_scope(conn, &all, who, last_day)?);
    let text = clean_text(&text);
    match io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        other => other.map_err(|e| Error::io(Path::new("stdout"), e))?,
    }
    if std::env::var_os("ATTUNED_TIMING").is_some() {
        eprintln!("report: KPIs computed in {:.3} s", elapsed.as_secs_f64());
    }
    Ok(ExitCode::SUCCESS)
}

/// The adaptability audits of the report's last quarter, for the CSMs the report covers
/// (the correlation across CSMs only when it covers everyone).
fn audits_in_scope(
    conn: &rusqlite::Connection,
    csms: &[crate::store::kpi::CsmRow],
    who: crate::store::kpi::Who,
    last_day: chrono::NaiveDate,
) -> Result<String> {
    use crate::domain::audit::{Quarter, summary_markdown};
    use crate::store::kpi::{Who, scope_of};
    let quarter = Quarter::of(last_day);
    let mut s = crate::store::audit::summary(conn, quarter)?;
    let scope = scope_of(who, csms);
    s.rows.retain(|r| scope.includes(Some(r.csm_id)));
    let correlation = if who == Who::All { s.correlation } else { None };
    Ok(summary_markdown(quarter, &s.rows, correlation))
}

/// Backups only read the database, so they work on a write-protected file too.
fn backup(path: &Path, args: &BackupArgs) -> Result<ExitCode> {
    let store = Store::open_read_only(path)?;
    let started = Instant::now();
    let written = long(|p| {
        p.phase("Copying", None);
        // One statement (VACUUM INTO) into a file built aside: stopped, it is removed.
        progress::interruptible(store.conn(), p)?;
        store.backup_to(&args.dest)
    })?;
    println!(
        "backup: {} -> {} in {:.2} s",
        path.display(),
        written.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

/// `attuned audit draw`: draws or tops up the quarter's sample and prints it per CSM.
fn audit_draw(path: &Path, read_only: bool, args: &AuditDrawArgs) -> Result<ExitCode> {
    use crate::domain::Clock;
    use crate::domain::audit::Quarter;
    use crate::store::audit::{self as audits, DrawRequest};
    if read_only {
        return Err(Error::DropReadOnly {
            what: "drawing audits writes into the file",
        });
    }
    if !path.exists() {
        return Err(Error::io(
            path,
            io::Error::new(io::ErrorKind::NotFound, "no such database"),
        ));
    }
    let mut store = Store::open_for_writing(path)?;
    let quarter = args.quarter.unwrap_or(Quarter::of(SystemClock.today()));
    let seed = match args.seed {
        Some(s) => s,
        None => audits::default_seed(store.conn(), quarter)?,
    };
    let req = DrawRequest {
        quarter,
        per_csm: args.per_csm as usize,
        seed: Some(seed),
        csm_id: None,
    };
    let drawn = long(|p| audits::draw_with(&mut store, &req, SystemClock.now(), p))?;
    println!(
        "Adaptability audits, {quarter}, seed {seed}, {} per CSM",
        args.per_csm
    );
    if drawn.is_empty() {
        println!("No calls, meetings or QBRs in {quarter} to draw from.");
        return Ok(ExitCode::SUCCESS);
    }
    let items = audits::list(store.conn(), quarter, None)?;
    for d in &drawn {
        println!(
            "\n{}: {} drawn of {} calls, meetings and QBRs ({} new, {} kept, {} unscored replaced)",
            one_line(&d.csm),
            d.kept + d.added,
            d.candidates,
            d.added,
            d.kept,
            d.dropped
        );
        for a in items.iter().filter(|a| a.csm_id == d.csm_id) {
            let status = match a.score.rubric {
                Some(r) => format!("scored {r}"),
                None => a.score.status().label().to_string(),
            };
            match &a.touch {
                Some(t) => println!(
                    "  {}  {}  {}  {}  [{status}]",
                    t.occurred_at.format("%Y-%m-%d"),
                    one_line(&t.account),
                    t.kind.label(),
                    one_line(t.summary.as_deref().unwrap_or("")),
                ),
                None => println!(
                    "  touch {} is no longer in the CSM's file  [{status}]",
                    a.touch_id
                ),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `attuned audit summary`: the quarter's per-CSM audit summary as Markdown; only reads.
fn audit_summary(path: &Path, args: &AuditSummaryArgs) -> Result<ExitCode> {
    use crate::domain::Clock;
    use crate::domain::audit::Quarter;
    let store = Store::open_read_only(path)?;
    let quarter = args.quarter.unwrap_or(Quarter::of(SystemClock.today()));
    print!(
        "{}",
        clean_text(&crate::store::audit::summary_markdown(
            store.conn(),
            quarter
        )?)
    );
    Ok(ExitCode::SUCCESS)
}

fn check(path: &Path) -> Result<ExitCode> {
    let store = Store::open_read_only(path)?;
    let report = long(|p| {
        p.phase("Checking integrity", None);
        progress::interruptible(store.conn(), p)?;
        check::run(store.conn())
    })?;
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
