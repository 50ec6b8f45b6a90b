//! `attuned demo`: a realistic, deterministic portfolio.
//!
//! Every value is drawn from one ChaCha8 stream seeded by the caller, and every date is
//! relative to the clock, so the same seed and clock always give the same portfolio (only
//! the ids differ: the store allocates them from the file's origin).
//!
//! Each account follows an archetype, a short story (healthy, single-threaded,
//! champion gone negative, ...) that its personas, touches, CSM sentiment and signals
//! all tell together, so every screen of the app has something true to show.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Months, NaiveDate, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::domain::Clock;
use crate::domain::model::{
    CallType, Intervention, Pulse, Role, Segment, Sentiment, SignalKind, Strength, TouchKind,
    TouchStatus,
};
use crate::domain::outcome::RenewalResult;
use crate::domain::prompts::{Library, PromptContext};
use crate::error::{Error, Result};
use crate::progress::{self, Progress, Silent};
use crate::store::summary::{self, AsOf};
use crate::store::write::{NewAccount, NewCsm, NewFollowup, NewPersona, NewTouch, Tx};
use crate::store::{Store, bulk};

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoOptions {
    pub accounts: usize,
    pub seed: u64,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            accounts: DEFAULT_ACCOUNTS,
            seed: DEFAULT_SEED,
        }
    }
}

/// The rows a run added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct DemoSummary {
    /// Live accounts: the portfolio.
    pub accounts: usize,
    /// Former customers, archived: they churned at a renewal inside the history, which
    /// they keep (on top of `accounts`).
    pub former: usize,
    pub personas: usize,
    pub touches: usize,
    pub followups: usize,
    pub signals: usize,
}

/// The `meta` key that marks a file as holding a demo portfolio.
pub const DEMO_META_KEY: &str = "demo";

/// A portfolio one CSM could plausibly carry, and still fast to generate.
pub const DEFAULT_ACCOUNTS: usize = 250;
pub const DEFAULT_SEED: u64 = 42;
/// Ten times the product's benchmark; beyond it the file would be unwieldy for a demo.
pub const MAX_ACCOUNTS: usize = 1_000_000;

/// Accounts per write transaction: large enough that the randomly ordered index pages
/// are written (and checkpointed) once for many accounts, small enough that the WAL
/// stays under about 100 MB.
const BATCH: usize = 5_000;
/// How far back the touch history reaches (about 18 months).
const HISTORY_DAYS: i64 = 548;

/// Fills `store` with `opts.accounts` accounts owned by the file's CSM (created, with a
/// team lead, when the file has none).
pub fn generate(store: &mut Store, opts: &DemoOptions, clock: &dyn Clock) -> Result<DemoSummary> {
    generate_with(store, opts, clock, &Silent)
}

/// `generate`, telling `progress` how many accounts are made and stopping when it asks.
/// Batches already committed stay; in a new file (`NewDb`) nothing does.
pub fn generate_with(
    store: &mut Store,
    opts: &DemoOptions,
    clock: &dyn Clock,
    progress: &dyn Progress,
) -> Result<DemoSummary> {
    if opts.accounts > MAX_ACCOUNTS {
        return Err(Error::DemoTooLarge {
            accounts: opts.accounts,
            max: MAX_ACCOUNTS,
        });
    }
    progress::interruptible(store.conn(), progress)?;
    let made = store.bulk_load(DEMO_SETTINGS, |store| fill(store, opts, clock, progress));
    progress::uninterruptible(store.conn())?;
    made.map_err(progress::cancelled)
}

/// The instant the demo's history runs up to: the start of the CSM's day (or of the day
/// before, where that is still in the future in UTC), so the same seed gives the same
/// portfolio all day long, and nothing is dated after now.
fn anchor(clock: &dyn Clock) -> DateTime<Utc> {
    let midnight = |d: NaiveDate| d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    let today = midnight(clock.today());
    if today <= clock.now() {
        today
    } else {
        midnight(clock.today() - Duration::days(1))
    }
}

fn fill(
    store: &mut Store,
    opts: &DemoOptions,
    clock: &dyn Clock,
    progress: &dyn Progress,
) -> Result<DemoSummary> {
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let now = anchor(clock);
    let team = draw_team(&mut rng);
    let style = Style::draw(&mut rng);
    let me = store.write(|tx| ensure_team(tx, &team, now))?;
    let mut generator = Generator {
        style,
        library: Library::builtin(),
        // At most one former customer per ten accounts; a demo of fewer than 100 accounts
        // (the tests' small files) has none, so it holds exactly the accounts asked for.
        former_left: if opts.accounts >= 100 {
            opts.accounts / 10
        } else {
            0
        },
        rng,
        ctx: Ctx {
            now,
            today: clock.today(),
            as_of: AsOf::new(clock),
            me,
        },
        names: HashSet::new(),
    };
    let mut total = DemoSummary::default();
    store.write(|tx| bulk::defer(tx.conn(), DEFERRED_INDEXES, DEFERRED_TRIGGERS))?;
    let mut made = Ok(());
    progress.phase("Generating accounts", Some(opts.accounts as u64));
    while total.accounts < opts.accounts && made.is_ok() {
        let goal = (opts.accounts - total.accounts).min(BATCH);
        made = store
            .write(|tx| generator.batch(tx, goal, progress))
            .map(|batch| add(&mut total, &batch));
    }
    // Whatever happened (Ctrl-C too), the file gets its indexes and totals back.
    progress::uninterruptible(store.conn())?;
    progress.phase("Indexing", None);
    let note = format!("seed {} · {} accounts", opts.seed, total.accounts);
    store.write(|tx| {
        bulk::put_back(tx.conn())?;
        if made.is_ok() {
            tx.set_meta(DEMO_META_KEY, &note)?;
        }
        Ok(())
    })?;
    made?;
    if total.accounts >= 2 * DEMO_PILOT_ACCOUNTS {
        demo_pilot(store, now, clock.today())?;
    }
    store.optimize()?;
    Ok(total)
}

/// The demo pilot's name and size: the seed's 8–12 at-risk accounts.
pub const DEMO_PILOT: &str = "EI coaching pilot";
const DEMO_PILOT_ACCOUNTS: usize = 10;

/// A pilot in its fourth week (started 21 days ago) on the riskiest accounts, so the
/// pilot report has something to show on first run. A file filled again keeps its first.
fn demo_pilot(store: &mut Store, now: DateTime<Utc>, today: NaiveDate) -> Result<()> {
    use crate::store::pilot::{self, NewPilot, Pick};
    if pilot::list(store.conn())?
        .iter()
        .any(|p| p.name == DEMO_PILOT)
    {
        return Ok(());
    }
    let new = NewPilot {
        name: DEMO_PILOT.to_string(),
        start: today - Duration::days(21),
        weeks: 6,
        pick: Pick::Riskiest(DEMO_PILOT_ACCOUNTS),
        csms: Vec::new(),
    };
    pilot::create(store, &new, now).map(|_| ())
}

/// Indexes the generator never reads and whose keys arrive in random order (the
/// portfolio's sort keys, dates): each is built once at the end instead of row by row.
/// The indexes by account, persona and touch stay, as the generator reads through them.
const DEFERRED_INDEXES: &[&str] = &[
    "accounts_by_name",
    "accounts_by_segment",
    "accounts_by_value",
    "accounts_by_renewal",
    "accounts_by_pulse",
    "accounts_by_coverage",
    "accounts_by_risk",
    "accounts_by_touch",
    "accounts_by_followup",
    "accounts_by_pulse_at",
    "accounts_risk_stale",
    "accounts_by_owner_stale",
    "accounts_incomplete",
    "touches_by_csm",
    "touch_prompts_by_key",
    "followups_open_by_due",
];

/// The triggers keeping the totals, the KPI figures and the name search index, recomputed
/// once at the end.
const DEFERRED_TRIGGERS: &[&str] = &["accounts", "touches", "touch_steps", "touch_prompts"];

/// Besides the store's bulk settings: the demo writes in many transactions.
const DEMO_SETTINGS: &[(&str, i64)] = &[
    // NORMAL: still crash-safe in WAL mode; a power cut loses at most the last batch.
    ("synchronous", 1),
    // Every reference points at a row this run just wrote or at the file's own CSM;
    // tests run `PRAGMA foreign_key_check` on the result.
    ("foreign_keys", 0),
];

fn add(total: &mut DemoSummary, more: &DemoSummary) {
    total.accounts += more.accounts;
    total.former += more.former;
    total.personas += more.personas;
    total.touches += more.touches;
    total.followups += more.followups;
    total.signals += more.signals;
}

// ---------------------------------------------------------------------------------------
// The team

struct TeamDraw {
    me: (String, String),
    lead: (String, String),
    region: &'static str,
}

/// Drawn even when the file already has its CSM, so the accounts do not depend on it.
fn draw_team(rng: &mut ChaCha8Rng) -> TeamDraw {
    let me = person_name(rng);
    let lead = person_name(rng);
    TeamDraw {
        me: (me.clone(), email_of(&me, "example.com")),
        lead: (lead.clone(), email_of(&lead, "example.com")),
        region: pick(rng, CSM_REGIONS),
    }
}

/// The file's own CSM: the existing one, or a new one reporting to a new team lead.
fn ensure_team(tx: &Tx<'_>, team: &TeamDraw, now: DateTime<Utc>) -> Result<i64> {
    if let Some(me) = tx.my_csm_id()? {
        return Ok(me);
    }
    let lead = tx.insert_csm(
        &NewCsm {
            name: &team.lead.0,
            email: Some(&team.lead.1),
            region: Some(team.region),
            team_lead_id: None,
            is_team_lead: true,
            is_me: false,
        },
        now,
    )?;
    tx.insert_csm(
        &NewCsm {
            name: &team.me.0,
            email: Some(&team.me.1),
            region: Some(team.region),
            team_lead_id: Some(lead),
            is_team_lead: false,
            is_me: true,
        },
        now,
    )
}

// ---------------------------------------------------------------------------------------
// The CSM's habits

/// How this CSM works, drawn from the seed: files made with different seeds and merged
/// into a team file give a team lead CSMs to compare (and some to coach).
#[derive(Debug, Clone, Copy)]
struct Style {
    /// Share of accounts on which the CSM runs calls with the checklist.
    checklist_accounts: f64,
    /// Share of calls on such accounts run with the checklist.
    checklist_calls: f64,
    /// Chance of reading the same generic prompt line rather than one fitted to the call.
    scripted: f64,
    /// How readily the CSM escalates or hands off (1.0: the usual).
    escalates: f64,
    /// Chance that a complex touch (escalation, renewal) leaves the customer a point less
    /// satisfied than it would: doing well only when it is easy.
    complex_penalty: f64,
    /// Chance of leaving a touch's sentiment, intervention or follow-up untagged.
    sloppy: f64,
}

impl Style {
    fn draw(rng: &mut ChaCha8Rng) -> Style {
        let rigid = rng.random_range(0.0..1.0);
        Style {
            checklist_accounts: rng.random_range(0.35..0.75),
            checklist_calls: rng.random_range(0.4..0.8),
            scripted: 0.05 + 0.85 * rigid * rigid,
            escalates: 0.7 + 1.2 * rigid * rigid,
            complex_penalty: 0.9 * rigid * rigid,
            sloppy: rng.random_range(0.02..0.3),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Archetypes: the story an account tells

/// The kinds of account a CSM meets, each with its own relationship map and trend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Archetype {
    /// Well covered, green, recently touched.
    Healthy,
    /// A strong champion, but the economic buyer is cold or unknown.
    ColdEconomicBuyer,
    /// Only the champion is at Okay or better.
    SingleThreaded,
    /// A negative detractor or decision maker the CSM cannot reach.
    InfluentialDetractor,
    /// The champion used to be a fan and has turned negative.
    ChampionGoneNegative,
    /// Signed in the last three months; most personas still unknown.
    Onboarding,
    /// Was red after an escalation, now improving.
    Recovering,
    /// Nobody has talked to them for months; ties decaying, sentiment stale.
    Drifting,
}

impl Archetype {
    const WEIGHTED: &'static [(Archetype, u32)] = &[
        (Archetype::Healthy, 42),
        (Archetype::ColdEconomicBuyer, 11),
        (Archetype::SingleThreaded, 11),
        (Archetype::InfluentialDetractor, 6),
        (Archetype::ChampionGoneNegative, 5),
        (Archetype::Onboarding, 9),
        (Archetype::Recovering, 8),
        (Archetype::Drifting, 8),
    ];

    /// CSM sentiment early, midway and lately in the account's history.
    fn arc(self, rng: &mut ChaCha8Rng) -> [Pulse; 3] {
        use Pulse::{Green as G, Red as R, Yellow as Y};
        let first = rng.random_bool(0.6);
        match self {
            Archetype::Healthy if first || rng.random_bool(0.5) => [G, G, G],
            Archetype::Healthy => [Y, G, G],
            Archetype::ColdEconomicBuyer if first => [G, Y, Y],
            Archetype::ColdEconomicBuyer => [Y, Y, Y],
            // Often green: the single thread is the hidden risk the coverage shows.
            Archetype::SingleThreaded if first || rng.random_bool(0.5) => [G, G, G],
            Archetype::SingleThreaded => [G, G, Y],
            Archetype::InfluentialDetractor if first => [G, Y, R],
            Archetype::InfluentialDetractor => [Y, Y, R],
            Archetype::ChampionGoneNegative => [G, Y, R],
            Archetype::Onboarding if first || rng.random_bool(0.5) => [Y, G, G],
            Archetype::Onboarding => [Y, Y, Y],
            Archetype::Recovering if first => [R, Y, G],
            Archetype::Recovering => [R, R, Y],
            Archetype::Drifting if first => [G, Y, Y],
            Archetype::Drifting => [G, G, Y],
        }
    }

    /// How busy the account is compared with an average one of its segment.
    fn touch_factor(self) -> f64 {
        match self {
            Archetype::InfluentialDetractor | Archetype::ChampionGoneNegative => 1.3,
            Archetype::Recovering => 1.2,
            Archetype::Onboarding | Archetype::Drifting => 0.6,
            _ => 1.0,
        }
    }

    /// Share of accounts whose latest CSM sentiment is older than the stale window.
    fn stale_share(self) -> f64 {
        match self {
            Archetype::Drifting => 1.0,
            Archetype::Onboarding => 0.05,
            _ => 0.14,
        }
    }

    /// Share of accounts with no CSM sentiment at all.
    fn unrated_share(self) -> f64 {
        match self {
            Archetype::Onboarding => 0.15,
            _ => 0.02,
        }
    }

    /// Share of accounts whose people have mentioned a competitor lately.
    fn competitor_share(self) -> f64 {
        match self {
            Archetype::InfluentialDetractor => 0.7,
            Archetype::ChampionGoneNegative => 0.6,
            Archetype::ColdEconomicBuyer => 0.25,
            Archetype::Drifting => 0.2,
            _ => 0.0,
        }
    }

    fn is_quiet(self) -> bool {
        self == Archetype::Drifting
    }

    /// Chance that the account churned at a renewal inside the history (before coaching).
    fn churn_share(self) -> f64 {
        match self {
            Archetype::ChampionGoneNegative => 0.3,
            Archetype::InfluentialDetractor => 0.25,
            Archetype::Drifting => 0.2,
            Archetype::SingleThreaded => 0.1,
            Archetype::ColdEconomicBuyer => 0.1,
            Archetype::Recovering => 0.07,
            Archetype::Healthy => 0.02,
            Archetype::Onboarding => 0.0,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Generation

struct Ctx {
    now: DateTime<Utc>,
    today: NaiveDate,
    as_of: AsOf,
    me: i64,
}

struct Generator {
    rng: ChaCha8Rng,
    style: Style,
    library: Library,
    /// Former customers still to make.
    former_left: usize,
    ctx: Ctx,
    /// Company names used so far, to keep duplicates rare.
    names: HashSet<String>,
}

/// One account being generated: what later steps need to know about it.
struct Acct {
    id: i64,
    archetype: Archetype,
    arc: [Pulse; 3],
    segment: Segment,
    renewal: NaiveDate,
    /// Start of its visible history: signing, or 18 months ago.
    since: DateTime<Utc>,
    personas: Vec<PersonaRow>,
    /// The CSM runs calls on it with the checklist.
    coached: bool,
    /// A renewal decided inside the history: when, and how it ended.
    renewal_result: Option<(DateTime<Utc>, RenewalResult)>,
    /// A former customer: its history ends with the lost renewal.
    churned: bool,
}

/// An account just written, as its subsidiaries need it.
struct Made {
    id: i64,
    /// A former customer (archived), not part of the portfolio.
    former: bool,
    name: String,
    segment: Segment,
    industry: Industry,
}

struct PersonaRow {
    id: i64,
    role: Role,
    tie: Tie,
}

impl Acct {
    /// Where `t` falls in the account's history, 0.0 (start) to 1.0 (now).
    fn frac(&self, t: DateTime<Utc>, now: DateTime<Utc>) -> f64 {
        let span = (now - self.since).num_seconds().max(1) as f64;
        ((t - self.since).num_seconds() as f64 / span).clamp(0.0, 1.0)
    }

    fn at_frac(&self, frac: f64, now: DateTime<Utc>) -> DateTime<Utc> {
        let span = (now - self.since).num_seconds().max(0) as f64;
        self.since + Duration::seconds((span * frac) as i64)
    }

    /// The CSM's read of the account at `t`, following its arc.
    fn pulse_at(&self, t: DateTime<Utc>, now: DateTime<Utc>) -> Pulse {
        let f = self.frac(t, now);
        self.arc[if f < 0.45 {
            0
        } else if f < 0.8 {
            1
        } else {
            2
        }]
    }
}

impl Generator {
    /// Generates about `goal` accounts (never more) in the open transaction.
    fn batch(&mut self, tx: &Tx<'_>, goal: usize, progress: &dyn Progress) -> Result<DemoSummary> {
        let mut sum = DemoSummary::default();
        let mut told = 0;
        while sum.accounts < goal {
            if sum.accounts - told >= 64 {
                progress::step(progress, (sum.accounts - told) as u64)?;
                told = sum.accounts;
            }
            let parent = self.account(tx, None, &mut sum)?;
            if parent.segment == Segment::Enterprise && !parent.former && self.rng.random_bool(0.05)
            {
                let subsidiaries = self.rng.random_range(1..=3usize);
                for _ in 0..subsidiaries.min(goal - sum.accounts) {
                    self.account(tx, Some(&parent), &mut sum)?;
                }
            }
        }
        progress.advance((sum.accounts - told) as u64);
        Ok(sum)
    }

    /// One account with its people, history and signals; a subsidiary of `parent` when
    /// given.
    fn account(
        &mut self,
        tx: &Tx<'_>,
        parent: Option<&Made>,
        sum: &mut DemoSummary,
    ) -> Result<Made> {
        let archetype = weighted(&mut self.rng, Archetype::WEIGHTED);
        let (segment, industry, name) = match parent {
            Some(parent) => {
                let segment = if self.rng.random_bool(0.7) {
                    Segment::MidMarket
                } else {
                    Segment::Enterprise
                };
                (segment, parent.industry, self.subsidiary_name(&parent.name))
            }
            None => {
                let segment = weighted(&mut self.rng, SEGMENTS);
                let industry = pick(&mut self.rng, INDUSTRIES);
                (segment, industry, self.company_name(&industry))
            }
        };
        // A working CSM does not let a large account drift out of touch or hang on one
        // thread for long: those stories stay with the smaller ones, so the value at risk
        // reads like a working book's (about a tenth), not a crisis.
        // Of their other troubles, half are caught before they show: a few large Reds.
        let archetype = match (archetype, segment) {
            (Archetype::Drifting | Archetype::SingleThreaded, Segment::Enterprise) => {
                Archetype::Healthy
            }
            (
                Archetype::InfluentialDetractor
                | Archetype::ChampionGoneNegative
                | Archetype::Recovering,
                Segment::Enterprise,
            ) if self.rng.random_bool(0.5) => Archetype::Healthy,
            _ => archetype,
        };
        let created_at = self.created_at(archetype);
        let coached = self.rng.random_bool(self.style.checklist_accounts);
        let churn_at = self.churn_at(archetype, coached, created_at, parent.is_some());
        let renewal = match churn_at {
            Some(at) => at.date_naive(),
            None => self.renewal(archetype, created_at),
        };
        let id = tx.insert_account(&NewAccount {
            name: &name,
            segment,
            tier: tier(&mut self.rng, segment),
            industry: Some(industry.name),
            contract_value_cents: contract_value(&mut self.rng, segment) * 100,
            renewal_date: Some(renewal),
            owner_csm_id: Some(self.ctx.me),
            parent_id: parent.map(|p| p.id),
            created_at,
        })?;
        let window = self.ctx.now - Duration::days(HISTORY_DAYS);
        let since = created_at.max(window);
        let renewal_result = match churn_at {
            Some(at) => Some((at, RenewalResult::Lost)),
            None => self.last_renewal(archetype, renewal, since),
        };
        let mut arc = archetype.arc(&mut self.rng);
        if churn_at.is_some() {
            arc[2] = Pulse::Red;
        }
        let mut acct = Acct {
            id,
            archetype,
            arc,
            segment,
            renewal,
            since,
            personas: Vec::new(),
            coached,
            renewal_result,
            churned: churn_at.is_some(),
        };
        // A former customer's story is told as of the day it left.
        let real = (self.ctx.now, self.ctx.today);
        if let Some(at) = churn_at {
            self.ctx.now = at;
            self.ctx.today = at.date_naive();
        }
        if churn_at.is_some() {
            sum.former += 1;
        } else {
            sum.accounts += 1;
        }
        let result = self.history(tx, &mut acct, &name, created_at, sum);
        (self.ctx.now, self.ctx.today) = real;
        result?;
        if let Some(at) = churn_at {
            tx.archive_account(id, at)?;
        }
        summary::refresh_account(tx.conn(), id, &self.ctx.as_of)?;
        Ok(Made {
            id,
            former: churn_at.is_some(),
            name,
            segment,
            industry,
        })
    }

    /// Personas, touches, CSM sentiment and signals of one account.
    fn history(
        &mut self,
        tx: &Tx<'_>,
        acct: &mut Acct,
        name: &str,
        created_at: DateTime<Utc>,
        sum: &mut DemoSummary,
    ) -> Result<()> {
        sum.personas += self.personas(tx, acct, name, created_at)?;
        let (touches, followups) = self.touches(tx, acct)?;
        sum.touches += touches;
        sum.followups += followups;
        self.pulses(tx, acct)?;
        // A former customer's signals would never be shown: it is archived.
        if !acct.churned {
            sum.signals += self.signals(tx, acct)?;
        }
        Ok(())
    }

    /// When the account left at a renewal inside the history, if it did: troubled
    /// accounts more often, coached ones less.
    fn churn_at(
        &mut self,
        archetype: Archetype,
        coached: bool,
        created_at: DateTime<Utc>,
        subsidiary: bool,
    ) -> Option<DateTime<Utc>> {
        let share = archetype.churn_share() * if coached { 0.35 } else { 1.0 };
        if subsidiary || !self.rng.random_bool(share) || self.former_left == 0 {
            return None;
        }
        let now = self.ctx.now;
        let at = now - Duration::days(self.rng.random_range(3..HISTORY_DAYS - 30));
        // A customer for at least half a year before leaving.
        let at = at.max(created_at + Duration::days(183));
        let at = self.snap(at, at - Duration::hours(12), now - Duration::days(2));
        let churned = at < now - Duration::days(2);
        if churned {
            self.former_left -= 1;
        }
        churned.then_some(at)
    }

    /// The renewal a year before the next one, when it falls inside the history: the
    /// account is still a customer, so it renewed (some grew).
    fn last_renewal(
        &mut self,
        archetype: Archetype,
        next: NaiveDate,
        since: DateTime<Utc>,
    ) -> Option<(DateTime<Utc>, RenewalResult)> {
        let day = next.checked_sub_months(Months::new(12))?;
        let early = Duration::days(self.rng.random_range(0..10));
        let at = self.business_time(day - early);
        if at < since + Duration::days(60) || at > self.ctx.now - Duration::days(2) {
            return None;
        }
        let grows = match archetype {
            Archetype::Healthy | Archetype::Recovering => 0.3,
            _ => 0.12,
        };
        let result = if self.rng.random_bool(grows) {
            RenewalResult::Expanded
        } else {
            RenewalResult::Renewed
        };
        Some((at, result))
    }

    fn created_at(&mut self, archetype: Archetype) -> DateTime<Utc> {
        let days = match archetype {
            Archetype::Onboarding => self.rng.random_range(20..90),
            _ => self.rng.random_range(200..2200),
        };
        let at = self.ctx.now - Duration::days(days);
        self.business_time(at.date_naive()).min(at)
    }

    /// Mostly spread over the next 18 months; a few just passed; new accounts a year out.
    fn renewal(&mut self, archetype: Archetype, created_at: DateTime<Utc>) -> NaiveDate {
        let today = self.ctx.today;
        let horizon = today
            .checked_add_months(Months::new(18))
            .unwrap_or(today + Duration::days(HISTORY_DAYS));
        if archetype == Archetype::Onboarding {
            let anniversary = created_at.date_naive().checked_add_months(Months::new(12));
            if let Some(day) = anniversary.filter(|d| *d >= today && *d <= horizon) {
                return day;
            }
        }
        if self.rng.random_bool(0.04) {
            return today - Duration::days(self.rng.random_range(1..=30));
        }
        let span = (horizon - today).num_days();
        today + Duration::days(self.rng.random_range(0..=span))
    }

    fn company_name(&mut self, industry: &Industry) -> String {
        // Fresh names first, then a qualified variant; a duplicate only as a last resort.
        for attempt in 0..6 {
            let base = company_base(&mut self.rng, industry);
            let name = if attempt < 3 {
                base
            } else {
                format!("{base} {}", pick(&mut self.rng, QUALIFIERS))
            };
            if self.names.insert(name.clone()) {
                return name;
            }
        }
        company_base(&mut self.rng, industry)
    }

    fn subsidiary_name(&mut self, parent: &str) -> String {
        for _ in 0..4 {
            let name = format!("{parent} {}", pick(&mut self.rng, SUBSIDIARY_SUFFIXES));
            if self.names.insert(name.clone()) {
                return name;
            }
        }
        format!("{parent} {}", pick(&mut self.rng, SUBSIDIARY_SUFFIXES))
    }

    /// A time on `day` within office hours (UTC), to the minute.
    fn business_time(&mut self, day: NaiveDate) -> DateTime<Utc> {
        let minute = self.rng.random_range(8 * 12..18 * 12) * 5;
        let secs = minute * 60;
        day.and_hms_opt(secs / 3600, (secs / 60) % 60, 0)
            .map(|t| t.and_utc())
            .unwrap_or_else(|| day.and_time(chrono::NaiveTime::MIN).and_utc())
    }

    /// A moment between `from` and `to`, in office hours when that fits.
    fn between(&mut self, from: DateTime<Utc>, to: DateTime<Utc>) -> DateTime<Utc> {
        if to <= from {
            return to;
        }
        let span = (to - from).num_minutes();
        let raw = from + Duration::minutes(self.rng.random_range(0..=span));
        self.snap(raw, from, to)
    }

    /// `t` moved into office hours on its day, unless that leaves `from..=to`.
    fn snap(&mut self, t: DateTime<Utc>, from: DateTime<Utc>, to: DateTime<Utc>) -> DateTime<Utc> {
        let snapped = self.business_time(t.date_naive());
        if snapped >= from && snapped <= to {
            snapped
        } else {
            t
        }
    }

    // -- personas -----------------------------------------------------------------------

    fn personas(
        &mut self,
        tx: &Tx<'_>,
        acct: &mut Acct,
        company: &str,
        created_at: DateTime<Utc>,
    ) -> Result<usize> {
        let count = weighted(&mut self.rng, PERSONA_COUNTS);
        let roles = cast_roles(&mut self.rng, acct.archetype, acct.segment, count);
        let domain = email_domain(company);
        let mut names: Vec<String> = Vec::with_capacity(roles.len());
        for role in roles {
            let story = story(&mut self.rng, acct.archetype, role);
            let name = self.unique_person(&names);
            names.push(name.clone());
            let email = email_of(&name, &domain);
            let reports_to = manager_of(role, &acct.personas);
            let first = story.past.first().copied().unwrap_or(story.now);
            let id = tx.insert_persona(&NewPersona {
                account_id: acct.id,
                name: &name,
                title: Some(title(&mut self.rng, role, acct.segment)),
                email: Some(&email),
                role,
                reports_to_id: reports_to,
                strength: first.strength,
                sentiment: first.sentiment,
                created_at,
            })?;
            self.replay_story(tx, acct, id, &story)?;
            acct.personas.push(PersonaRow {
                id,
                role,
                tie: story.now,
            });
        }
        Ok(acct.personas.len())
    }

    /// A name nobody else at the account has (a clash is left after a few tries).
    fn unique_person(&mut self, taken: &[String]) -> String {
        let mut name = person_name(&mut self.rng);
        for _ in 0..5 {
            if !taken.contains(&name) {
                break;
            }
            name = person_name(&mut self.rng);
        }
        name
    }

    /// Records the later states of a persona's story, aligned with the account's arc.
    fn replay_story(&mut self, tx: &Tx<'_>, acct: &Acct, id: i64, story: &Story) -> Result<()> {
        let Some(mut previous) = story.past.first().copied() else {
            return Ok(());
        };
        let changes: Vec<Tie> = story.past[1..].iter().copied().chain([story.now]).collect();
        let slots: &[(f64, f64)] = match changes.len() {
            1 => &[(0.55, 0.9)],
            _ => &[(0.35, 0.6), (0.75, 0.95)],
        };
        for (tie, (lo, hi)) in changes.into_iter().zip(slots) {
            let frac = self.rng.random_range(*lo..*hi);
            let at = acct.at_frac(frac, self.ctx.now);
            let at = self.snap(at, acct.since, self.ctx.now);
            let reason = change_reason(&mut self.rng, previous, tie);
            tx.set_persona_tie(id, tie.strength, tie.sentiment, at, Some(reason), None)?;
            previous = tie;
        }
        Ok(())
    }

    // -- touches and follow-ups ---------------------------------------------------------

    /// The touch history with its follow-ups; returns (touches, follow-ups) added.
    fn touches(&mut self, tx: &Tx<'_>, acct: &Acct) -> Result<(usize, usize)> {
        let mut times = self.touch_times(acct);
        let renewal_at = acct.renewal_result.map(|(at, _)| at);
        // The renewal call takes the place of the touch nearest to it (the history keeps
        // its size, and the demo its speed).
        if let Some(at) = renewal_at {
            let nearest = (0..times.len()).min_by_key(|&i| (times[i] - at).num_seconds().abs());
            match nearest {
                Some(i) => times[i] = at,
                None => times.push(at),
            }
            times.sort();
        }
        let open = if acct.churned {
            Vec::new()
        } else {
            self.open_followups(acct, &times)
        };
        let mut followups = 0;
        for (i, at) in times.iter().enumerate() {
            let mut draft = match acct.renewal_result {
                Some((when, result)) if when == *at => self.renewal_touch(acct, *at, result),
                _ => self.draft_touch(acct, *at),
            };
            let due = open.iter().find(|o| o.touch == Some(i)).map(|o| o.due);
            // Some touches are left half tagged (never one that promised a follow-up).
            let untagged = if due.is_none() && self.rng.random_bool(self.style.sloppy) {
                Some(weighted(&mut self.rng, &[(0u8, 2), (1, 5), (2, 3)]))
            } else {
                None
            };
            let followup_on = match due {
                Some(day) => Some(day),
                None if draft.no_followup || untagged == Some(2) => None,
                None => Some(at.date_naive() + Duration::days(draft.followup_in_days)),
            };
            if untagged == Some(2) {
                draft.no_followup = false;
            }
            let participants: Vec<i64> = draft
                .participants
                .iter()
                .map(|&p| acct.personas[p].id)
                .collect();
            let touch_id = tx.insert_touch(&NewTouch {
                account_id: acct.id,
                csm_id: Some(self.ctx.me),
                kind: draft.kind,
                call_type: draft.call_type,
                status: draft.status,
                occurred_at: *at,
                ended_at: draft.ended_at,
                summary: Some(draft.summary),
                notes: None,
                sentiment: Some(draft.pulse).filter(|_| untagged != Some(0)),
                intervention: Some(draft.intervention).filter(|_| untagged != Some(1)),
                followup_on,
                no_followup: followup_on.is_none() && untagged != Some(2),
                outcome: Some(draft.outcome),
                csat: draft.csat,
                escalated: draft.escalated,
                participants: &participants,
            })?;
            if draft.kind == TouchKind::Call
                && acct.coached
                && self.rng.random_bool(self.style.checklist_calls)
            {
                self.checklist(tx, acct, touch_id, *at, &draft)?;
            }
            if let (Some(day), None) = (followup_on, due) {
                self.done_followup(tx, acct, touch_id, *at, day, participants.first())?;
                followups += 1;
            }
            for o in open.iter().filter(|o| o.touch == Some(i)) {
                self.open_followup(tx, acct, Some(touch_id), *at, o.due, participants.first())?;
                followups += 1;
            }
        }
        for o in open.iter().filter(|o| o.touch.is_none()) {
            // Planned a week ahead, outside any touch.
            let created = self
                .business_time(o.due - Duration::days(7))
                .min(self.ctx.now);
            self.open_followup(tx, acct, None, created, o.due, None)?;
            followups += 1;
        }
        Ok((times.len(), followups))
    }

    /// When the touches happened, oldest first. Most accounts were touched lately;
    /// drifting ones have been quiet for two to four months.
    fn touch_times(&mut self, acct: &Acct) -> Vec<DateTime<Utc>> {
        let now = self.ctx.now;
        let base = match acct.segment {
            Segment::Enterprise => 16.0,
            Segment::MidMarket => 11.0,
            Segment::Smb => 8.0,
        };
        // A former customer's file thins out: fewer touches before it left.
        let former = if acct.churned { 0.5 } else { 1.0 };
        let mean = base * acct.archetype.touch_factor() * former;
        let n = ((mean * self.rng.random_range(0.5..1.5)) as usize).max(2);
        let mut times = Vec::with_capacity(n);
        let end = if acct.archetype.is_quiet() {
            now - Duration::days(self.rng.random_range(60..120))
        } else {
            times.push(self.between((now - Duration::days(21)).max(acct.since), now));
            now
        };
        while times.len() < n {
            times.push(self.between(acct.since, end));
        }
        times.sort();
        times
    }

    /// 0–2 open follow-ups, each tied to the latest touch before it fell due.
    fn open_followups(&mut self, acct: &Acct, times: &[DateTime<Utc>]) -> Vec<OpenFollowup> {
        let count = if acct.archetype.is_quiet() {
            // Gone quiet: the loose end is the missing touch, not a pile of promises.
            weighted(&mut self.rng, &[(0, 80), (1, 20)])
        } else {
            weighted(&mut self.rng, &[(0, 30), (1, 45), (2, 25)])
        };
        let mut open: Vec<OpenFollowup> = Vec::with_capacity(count);
        for _ in 0..count {
            let due = self.open_due(acct, times);
            let touch = (0..times.len())
                .rev()
                .find(|&i| times[i].date_naive() < due && !open.iter().any(|o| o.touch == Some(i)));
            open.push(OpenFollowup { due, touch });
        }
        open
    }

    /// Overdue, due today, or due in the coming weeks.
    fn open_due(&mut self, acct: &Acct, times: &[DateTime<Utc>]) -> NaiveDate {
        let today = self.ctx.today;
        if acct.archetype.is_quiet() {
            // A reminder to reach out again, slipped by a few weeks at most: a working
            // book has a handful of follow-ups late by days, none by months.
            let last = times.last().map_or(today, |t| t.date_naive());
            let due = today - Duration::days(self.rng.random_range(3..=25));
            return due.max(last + Duration::days(1)).min(today);
        }
        match weighted(&mut self.rng, &[(0u8, 3), (1, 8), (2, 89)]) {
            0 => today - Duration::days(self.rng.random_range(1..=7)),
            1 => today,
            _ => today + Duration::days(self.rng.random_range(1..=28)),
        }
    }

    fn done_followup(
        &mut self,
        tx: &Tx<'_>,
        acct: &Acct,
        touch_id: i64,
        at: DateTime<Utc>,
        due: NaiveDate,
        persona: Option<&i64>,
    ) -> Result<()> {
        let day = due + Duration::days(self.rng.random_range(-2..=3));
        // Done on or around the due day, never before the touch nor after now.
        let done_at = self
            .business_time(day)
            .max(at + Duration::minutes(30))
            .min(self.ctx.now);
        tx.insert_followup(&NewFollowup {
            account_id: acct.id,
            touch_id: Some(touch_id),
            persona_id: persona.copied(),
            due_on: due,
            action: pick(&mut self.rng, FOLLOWUP_ACTIONS),
            created_at: at,
            done_at: Some(done_at),
        })?;
        Ok(())
    }

    fn open_followup(
        &mut self,
        tx: &Tx<'_>,
        acct: &Acct,
        touch_id: Option<i64>,
        created_at: DateTime<Utc>,
        due: NaiveDate,
        persona: Option<&i64>,
    ) -> Result<()> {
        tx.insert_followup(&NewFollowup {
            account_id: acct.id,
            touch_id,
            persona_id: persona.copied(),
            due_on: due,
            action: pick(&mut self.rng, FOLLOWUP_ACTIONS),
            created_at,
            done_at: None,
        })?;
        Ok(())
    }

    /// Everything about one touch except where it is stored.
    fn draft_touch(&mut self, acct: &Acct, at: DateTime<Utc>) -> TouchDraft {
        let now = self.ctx.now;
        let pulse = self.noisy(acct.pulse_at(at, now));
        let kind = weighted(&mut self.rng, kind_mix(acct.segment));
        let call_type = (kind == TouchKind::Call).then(|| self.call_type(acct, at, pulse));
        let intervention = self.intervention(pulse, call_type);
        let hands_off = self.style.escalates;
        let escalated = match (intervention, call_type, pulse) {
            (Intervention::Escalation, _, _) => self.rng.random_bool((0.7 * hands_off).min(0.95)),
            (_, Some(CallType::Escalation), _) => self.rng.random_bool((0.4 * hands_off).min(0.9)),
            (_, _, Pulse::Red | Pulse::Yellow) => self.rng.random_bool(0.04 * hands_off),
            _ => false,
        };
        let recent = now - at < Duration::days(5) && !acct.churned;
        let status = if kind == TouchKind::Call && recent && self.rng.random_bool(0.5) {
            TouchStatus::RetroPending
        } else {
            TouchStatus::Done
        };
        let minutes = match kind {
            TouchKind::Call => Some(self.rng.random_range(15..55)),
            TouchKind::Meeting | TouchKind::Qbr => Some(self.rng.random_range(30..90)),
            TouchKind::Email | TouchKind::Note => None,
        };
        let no_followup_share = match kind {
            TouchKind::Note => 0.4,
            TouchKind::Email => 0.2,
            _ => 0.05,
        };
        TouchDraft {
            kind,
            call_type,
            status,
            ended_at: minutes.map(|m| (at + Duration::minutes(m)).min(now)),
            summary: touch_summary(&mut self.rng, kind, call_type, pulse),
            pulse,
            intervention,
            no_followup: self.rng.random_bool(no_followup_share),
            followup_in_days: match pulse {
                Pulse::Red => self.rng.random_range(1..=3),
                _ => self.rng.random_range(2..=14),
            },
            outcome: pick(&mut self.rng, outcomes(kind, intervention)),
            csat: self.csat(
                pulse,
                escalated || matches!(call_type, Some(CallType::Escalation | CallType::Renewal)),
            ),
            escalated,
            participants: self.participants(acct, kind, call_type),
        }
    }

    /// The call where the renewal was decided, with its result in the outcome.
    fn renewal_touch(
        &mut self,
        acct: &Acct,
        at: DateTime<Utc>,
        result: RenewalResult,
    ) -> TouchDraft {
        let (pulse, intervention, summaries, outcomes): (_, _, &[&'static str], &[&'static str]) =
            match result {
                RenewalResult::Lost => (
                    Pulse::Red,
                    Intervention::Empathy,
                    &[
                        "Renewal: customer decided not to renew",
                        "Renewal: final call with the economic buyer",
                    ],
                    &[
                        "Churned: moved to a competitor",
                        "Churned: budget cut, did not renew",
                        "Cancelled at renewal: project shelved",
                        "Churned: consolidated onto an in-house tool",
                    ],
                ),
                RenewalResult::Expanded => (
                    Pulse::Green,
                    Intervention::Coaching,
                    &[
                        "Renewal: signed with growth",
                        "Renewal: expansion agreed with the sponsor",
                    ],
                    &[
                        "Renewed and expanded: +15 seats",
                        "Renewed with an upsell to the enterprise plan",
                        "Renewed and upgraded to premium support",
                        "Renewed and expanded to a second team",
                    ],
                ),
                RenewalResult::Renewed => (
                    if self.rng.random_bool(0.7) {
                        Pulse::Green
                    } else {
                        Pulse::Yellow
                    },
                    Intervention::Empathy,
                    &[
                        "Renewal: signed for another year",
                        "Renewal: paperwork and pricing agreed",
                    ],
                    &[
                        "Renewed for 12 months",
                        "Renewed for two years at the same price",
                        "Renewed; procurement signed on time",
                    ],
                ),
            };
        TouchDraft {
            kind: TouchKind::Call,
            call_type: Some(CallType::Renewal),
            status: TouchStatus::Done,
            ended_at: Some(
                (at + Duration::minutes(self.rng.random_range(25..50))).min(self.ctx.now),
            ),
            summary: pick(&mut self.rng, summaries),
            pulse,
            intervention,
            no_followup: result == RenewalResult::Lost,
            followup_in_days: self.rng.random_range(7..=21),
            outcome: pick(&mut self.rng, outcomes),
            csat: self.csat(pulse, true),
            escalated: false,
            participants: self.participants(acct, TouchKind::Call, Some(CallType::Renewal)),
        }
    }

    /// The call ran with the checklist: each step's time (the odd one skipped) and the
    /// prompt lines the CSM used on steps 2 and 3, fitted to the call or always the same.
    fn checklist(
        &mut self,
        tx: &Tx<'_>,
        acct: &Acct,
        touch_id: i64,
        at: DateTime<Utc>,
        draft: &TouchDraft,
    ) -> Result<()> {
        let mut t = at;
        for step in 1..=5u8 {
            let (lo, hi) = match step {
                1 => (20, 75),
                2 => (45, 215),
                3 => (90, 360),
                4 => (60, 300),
                _ => (30, 200),
            };
            let secs: i64 = self.rng.random_range(lo..=hi);
            let skipped = step == 3 && self.rng.random_bool(0.06);
            let (ms, reason) = if skipped {
                (0, Some("Customer short on time"))
            } else {
                (secs * 1000, None)
            };
            tx.upsert_step(touch_id, step, Some(t), ms, "", reason)?;
            t += Duration::seconds(secs);
        }
        let ctx = PromptContext {
            call_type: draft.call_type.unwrap_or(CallType::CheckIn),
            segment: acct.segment,
            sentiment: Some(draft.pulse),
            intervention: draft.intervention,
        };
        for step in [2u8, 3] {
            let options = self.library.for_step(step, &ctx);
            if options.is_empty() {
                continue;
            }
            let chosen = if self.rng.random_bool(self.style.scripted) {
                options[options.len() - 1]
            } else {
                options[self.rng.random_range(0..options.len().min(2))]
            };
            let shown = at + Duration::seconds(60 * i64::from(step));
            tx.insert_prompt(touch_id, step, &chosen.key, shown.min(self.ctx.now), true)?;
        }
        Ok(())
    }

    /// The touch's tag mostly follows the arc, with the odd better or worse day.
    fn noisy(&mut self, pulse: Pulse) -> Pulse {
        if !self.rng.random_bool(0.15) {
            return pulse;
        }
        match (pulse, self.rng.random_bool(0.5)) {
            (Pulse::Green, _) => Pulse::Yellow,
            (Pulse::Red, _) => Pulse::Yellow,
            (Pulse::Yellow, true) => Pulse::Green,
            (Pulse::Yellow, false) => Pulse::Red,
        }
    }

    fn call_type(&mut self, acct: &Acct, at: DateTime<Utc>, pulse: Pulse) -> CallType {
        let onboarding =
            acct.archetype == Archetype::Onboarding && acct.frac(at, self.ctx.now) < 0.7;
        // Renewal season recurs every year before the renewal date.
        let season = (acct.renewal - at.date_naive()).num_days().rem_euclid(365) < 90;
        let weights: &[(CallType, u32)] = match (onboarding, pulse, season) {
            (true, _, _) => &[(CallType::Onboarding, 8), (CallType::CheckIn, 2)],
            (_, Pulse::Red, _) => &[
                (CallType::Escalation, 6),
                (CallType::CheckIn, 3),
                (CallType::Renewal, 1),
            ],
            (_, _, true) => &[
                (CallType::Renewal, 4),
                (CallType::CheckIn, 5),
                (CallType::Qbr, 1),
            ],
            (_, Pulse::Yellow, _) => &[
                (CallType::CheckIn, 7),
                (CallType::Escalation, 2),
                (CallType::Qbr, 1),
            ],
            (_, Pulse::Green, _) => &[(CallType::CheckIn, 8), (CallType::Qbr, 2)],
        };
        weighted(&mut self.rng, weights)
    }

    fn intervention(&mut self, pulse: Pulse, call_type: Option<CallType>) -> Intervention {
        use Intervention::{Coaching, Empathy, Escalation, ProductFix};
        // A CSM quick to hand off escalates some troubles others would work through.
        let extra = ((self.style.escalates - 1.0) * 0.2).clamp(0.0, 1.0);
        if pulse != Pulse::Green && self.rng.random_bool(extra) {
            return Escalation;
        }
        let weights: &[(Intervention, u32)] = match (call_type, pulse) {
            (Some(CallType::Escalation), _) => &[(Escalation, 6), (ProductFix, 3), (Empathy, 1)],
            (_, Pulse::Green) => &[(Empathy, 3), (Coaching, 5), (ProductFix, 1)],
            (_, Pulse::Yellow) => &[
                (Empathy, 3),
                (Coaching, 3),
                (ProductFix, 3),
                (Escalation, 1),
            ],
            (_, Pulse::Red) => &[
                (Empathy, 3),
                (Coaching, 1),
                (ProductFix, 3),
                (Escalation, 4),
            ],
        };
        weighted(&mut self.rng, weights)
    }

    /// Sometimes the customer answered a survey after the touch; a rigid CSM leaves
    /// complex situations (escalations, renewals) a point worse.
    fn csat(&mut self, pulse: Pulse, complex: bool) -> Option<u8> {
        if !self.rng.random_bool(0.3) {
            return None;
        }
        let weights: &[(u8, u32)] = match pulse {
            Pulse::Green => &[(4, 2), (5, 3)],
            Pulse::Yellow => &[(3, 3), (4, 2), (2, 1)],
            Pulse::Red => &[(1, 2), (2, 3), (3, 2)],
        };
        let score = weighted(&mut self.rng, weights);
        if complex && score > 1 && self.rng.random_bool(self.style.complex_penalty) {
            return Some(score - 1);
        }
        Some(score)
    }

    /// 1–3 people the CSM actually knows, the closer ones more often; escalations and
    /// QBRs pull in the buyer or sponsor when the CSM can reach them.
    fn participants(
        &mut self,
        acct: &Acct,
        kind: TouchKind,
        call_type: Option<CallType>,
    ) -> Vec<usize> {
        let senior = kind == TouchKind::Qbr || call_type == Some(CallType::Escalation);
        let mut pool: Vec<(usize, u32)> = acct
            .personas
            .iter()
            .enumerate()
            .filter_map(|(i, p)| {
                let weight = match p.tie.strength {
                    Strength::None => return None,
                    Strength::Weak => 1,
                    Strength::Okay => 3,
                    Strength::VeryGood => 6,
                };
                let boost =
                    if senior && matches!(p.role, Role::EconomicBuyer | Role::ExecutiveSponsor) {
                        4
                    } else {
                        1
                    };
                Some((i, weight * boost))
            })
            .collect();
        let wanted = match kind {
            TouchKind::Email | TouchKind::Note => weighted(&mut self.rng, &[(1usize, 4), (2, 1)]),
            _ => weighted(&mut self.rng, &[(1usize, 3), (2, 4), (3, 2)]),
        };
        let mut chosen = Vec::with_capacity(wanted);
        while chosen.len() < wanted && !pool.is_empty() {
            let at = weighted_index(&mut self.rng, &pool);
            chosen.push(pool.swap_remove(at).0);
        }
        chosen
    }

    // -- CSM sentiment and signals --------------------------------------------------------

    /// A handful of Red/Yellow/Green reads over time, following the arc; some stale.
    fn pulses(&mut self, tx: &Tx<'_>, acct: &Acct) -> Result<()> {
        let archetype = acct.archetype;
        if self.rng.random_bool(archetype.unrated_share()) {
            return Ok(());
        }
        let now = self.ctx.now;
        let age = if self.rng.random_bool(archetype.stale_share()) {
            // Past the 14-day window even after moving into office hours.
            Duration::days(self.rng.random_range(16..75))
        } else {
            Duration::hours(self.rng.random_range(1..14 * 24))
        };
        let last = (now - age).max(acct.since);
        let last = self.snap(last, acct.since, now);
        let count = match archetype {
            Archetype::Onboarding => self.rng.random_range(1..=3),
            _ => self.rng.random_range(3..=7),
        };
        let mut times: Vec<DateTime<Utc>> =
            (1..count).map(|_| self.between(acct.since, last)).collect();
        times.sort();
        times.push(last);
        for (i, at) in times.iter().enumerate() {
            let pulse = if i + 1 == times.len() {
                acct.arc[2]
            } else {
                acct.pulse_at(*at, now)
            };
            let reason = pick(&mut self.rng, pulse_reasons(pulse));
            tx.set_pulse(acct.id, pulse, Some(reason), *at, Some(self.ctx.me), None)?;
        }
        Ok(())
    }

    /// NPS, CSAT, open tickets, usage trend and competitor mentions; returns rows added.
    fn signals(&mut self, tx: &Tx<'_>, acct: &Acct) -> Result<usize> {
        let mut rows = 0;
        let plan: [(SignalKind, i64, u32); 4] = [
            (SignalKind::Nps, 90, self.rng.random_range(1..=3)),
            (SignalKind::Csat, 45, self.rng.random_range(1..=3)),
            (SignalKind::OpenTickets, 14, self.rng.random_range(1..=2)),
            (SignalKind::UsageTrend, 30, self.rng.random_range(1..=2)),
        ];
        for (kind, every_days, count) in plan {
            for i in 0..i64::from(count) {
                let back =
                    Duration::days(i * every_days + self.rng.random_range(0..every_days / 2 + 1));
                let to = (self.ctx.now - back).max(acct.since);
                let at = self.between((to - Duration::days(1)).max(acct.since), to);
                let value = self.signal_value(kind, acct.pulse_at(at, self.ctx.now));
                tx.insert_signal(acct.id, kind, value, None, at)?;
                rows += 1;
            }
        }
        if self.rng.random_bool(acct.archetype.competitor_share()) {
            for _ in 0..self.rng.random_range(1..=3) {
                // Within the last 80 days, so risk's 90-day window counts them.
                let at = self.between(
                    (self.ctx.now - Duration::days(80)).max(acct.since),
                    self.ctx.now,
                );
                let note = pick(&mut self.rng, COMPETITOR_NOTES);
                tx.insert_signal(acct.id, SignalKind::CompetitorMention, 1.0, Some(note), at)?;
                rows += 1;
            }
        }
        Ok(rows)
    }

    fn signal_value(&mut self, kind: SignalKind, pulse: Pulse) -> f64 {
        let r = &mut self.rng;
        match (kind, pulse) {
            (SignalKind::Nps, Pulse::Green) => f64::from(r.random_range(8..=10)),
            (SignalKind::Nps, Pulse::Yellow) => f64::from(r.random_range(6..=9)),
            (SignalKind::Nps, Pulse::Red) => f64::from(r.random_range(0..=6)),
            (SignalKind::Csat, Pulse::Green) => f64::from(r.random_range(42..=50)) / 10.0,
            (SignalKind::Csat, Pulse::Yellow) => f64::from(r.random_range(34..=45)) / 10.0,
            (SignalKind::Csat, Pulse::Red) => f64::from(r.random_range(15..=34)) / 10.0,
            (SignalKind::OpenTickets, Pulse::Green) => f64::from(r.random_range(0..=2)),
            (SignalKind::OpenTickets, Pulse::Yellow) => f64::from(r.random_range(0..=4)),
            (SignalKind::OpenTickets, Pulse::Red) => f64::from(r.random_range(4..=12)),
            (SignalKind::UsageTrend, Pulse::Green) => f64::from(r.random_range(-5..=20)),
            (SignalKind::UsageTrend, Pulse::Yellow) => f64::from(r.random_range(-12..=8)),
            (SignalKind::UsageTrend, Pulse::Red) => f64::from(r.random_range(-35..=-5)),
            (SignalKind::CompetitorMention, _) => 1.0,
        }
    }
}

struct OpenFollowup {
    due: NaiveDate,
    /// Index of the touch that promised it, if any came before it fell due.
    touch: Option<usize>,
}

struct TouchDraft {
    kind: TouchKind,
    call_type: Option<CallType>,
    status: TouchStatus,
    ended_at: Option<DateTime<Utc>>,
    summary: &'static str,
    pulse: Pulse,
    intervention: Intervention,
    no_followup: bool,
    followup_in_days: i64,
    outcome: &'static str,
    csat: Option<u8>,
    escalated: bool,
    /// Indexes into the account's personas.
    participants: Vec<usize>,
}

// ---------------------------------------------------------------------------------------
// Personas: roles, reporting lines and relationship stories

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Tie {
    strength: Strength,
    sentiment: Sentiment,
}

const fn tie(strength: Strength, sentiment: Sentiment) -> Tie {
    Tie {
        strength,
        sentiment,
    }
}

/// Where a persona stands now and, for some, where it stood before (oldest first).
struct Story {
    past: Vec<Tie>,
    now: Tie,
}

/// The roles of an account's `count` personas, senior ones first so that managers are
/// stored before the people who report to them.
fn cast_roles(
    rng: &mut ChaCha8Rng,
    archetype: Archetype,
    segment: Segment,
    count: usize,
) -> Vec<Role> {
    let mut roles = vec![Role::Champion];
    if !(archetype == Archetype::SingleThreaded && rng.random_bool(0.2)) {
        roles.push(Role::EconomicBuyer);
    }
    if archetype == Archetype::InfluentialDetractor {
        roles.push(if rng.random_bool(0.7) {
            Role::Detractor
        } else {
            Role::DecisionMaker
        });
    }
    let sponsor_share = match (archetype, segment) {
        (Archetype::Healthy | Archetype::Recovering, _) => 0.9,
        (_, Segment::Enterprise) => 0.8,
        (Archetype::SingleThreaded, _) => 0.3,
        _ => 0.55,
    };
    if roles.len() < count && rng.random_bool(sponsor_share) {
        roles.push(Role::ExecutiveSponsor);
    }
    while roles.len() < count {
        let role = weighted(rng, FILLER_ROLES);
        if role == Role::DecisionMaker && roles.contains(&Role::DecisionMaker) {
            continue;
        }
        roles.push(role);
    }
    roles.sort_by_key(|r| rank(*r));
    roles
}

/// Seniority for insertion order: lower reports to nobody below it.
fn rank(role: Role) -> u8 {
    match role {
        Role::ExecutiveSponsor => 0,
        Role::EconomicBuyer => 1,
        Role::DecisionMaker => 2,
        Role::Champion | Role::Detractor => 3,
        Role::TechnicalLead => 4,
        Role::Admin | Role::Other => 5,
        Role::EndUser => 6,
    }
}

/// The first already-stored persona in a role this one would report to.
fn manager_of(role: Role, above: &[PersonaRow]) -> Option<i64> {
    let prefers: &[Role] = match role {
        Role::ExecutiveSponsor => &[],
        Role::EconomicBuyer => &[Role::ExecutiveSponsor],
        Role::DecisionMaker => &[Role::ExecutiveSponsor, Role::EconomicBuyer],
        Role::Champion | Role::Detractor => &[Role::EconomicBuyer, Role::ExecutiveSponsor],
        Role::TechnicalLead => &[Role::DecisionMaker, Role::Champion, Role::EconomicBuyer],
        Role::Admin => &[Role::TechnicalLead, Role::Champion],
        Role::Other => &[Role::Champion, Role::EconomicBuyer],
        Role::EndUser => &[Role::Champion, Role::Admin],
    };
    prefers
        .iter()
        .find_map(|want| above.iter().find(|p| p.role == *want))
        .map(|p| p.id)
}

/// A persona's relationship story, true to the account's archetype.
fn story(rng: &mut ChaCha8Rng, archetype: Archetype, role: Role) -> Story {
    use Sentiment::{Negative as Neg, Neutral as Neu, Positive as Pos};
    use Strength::{None as Unknown, Okay, VeryGood as Vg, Weak};
    match (archetype, role) {
        (Archetype::Healthy, Role::Champion) => {
            let past = if rng.random_bool(0.4) {
                vec![tie(Okay, Pos)]
            } else {
                vec![]
            };
            Story {
                past,
                now: tie(Vg, Pos),
            }
        }
        (Archetype::Healthy, Role::EconomicBuyer) => plain(weighted(
            rng,
            &[(tie(Okay, Pos), 3), (tie(Okay, Neu), 2), (tie(Vg, Pos), 1)],
        )),
        (Archetype::Healthy, Role::ExecutiveSponsor) => plain(weighted(
            rng,
            &[
                (tie(Okay, Pos), 2),
                (tie(Weak, Pos), 2),
                (tie(Weak, Neu), 1),
            ],
        )),
        (Archetype::ColdEconomicBuyer | Archetype::SingleThreaded, Role::Champion) => {
            plain(weighted(rng, &[(tie(Vg, Pos), 3), (tie(Okay, Pos), 1)]))
        }
        (Archetype::ColdEconomicBuyer, Role::EconomicBuyer) => {
            let current = weighted(
                rng,
                &[
                    (tie(Weak, Neu), 3),
                    (tie(Weak, Neg), 2),
                    (tie(Unknown, Neu), 2),
                ],
            );
            let past = if rng.random_bool(0.4) {
                vec![tie(Okay, Neu)]
            } else {
                vec![]
            };
            Story { past, now: current }
        }
        (Archetype::ColdEconomicBuyer, Role::ExecutiveSponsor) => plain(weighted(
            rng,
            &[(tie(Weak, Neu), 1), (tie(Unknown, Neu), 2)],
        )),
        (Archetype::SingleThreaded, _) => plain(weighted(
            rng,
            &[
                (tie(Weak, Neu), 4),
                (tie(Weak, Pos), 2),
                (tie(Unknown, Neu), 3),
            ],
        )),
        (Archetype::InfluentialDetractor, Role::Champion) => {
            plain(weighted(rng, &[(tie(Okay, Pos), 2), (tie(Okay, Neu), 1)]))
        }
        (Archetype::InfluentialDetractor, Role::EconomicBuyer) => {
            plain(weighted(rng, &[(tie(Okay, Neu), 2), (tie(Weak, Neu), 1)]))
        }
        (Archetype::InfluentialDetractor, Role::Detractor) => {
            let current = weighted(rng, &[(tie(Weak, Neg), 3), (tie(Unknown, Neg), 1)]);
            Story {
                past: vec![tie(Weak, Neu)],
                now: current,
            }
        }
        (Archetype::InfluentialDetractor, Role::DecisionMaker) => {
            let current = weighted(rng, &[(tie(Okay, Neg), 1), (tie(Weak, Neg), 2)]);
            Story {
                past: vec![tie(Okay, Neu)],
                now: current,
            }
        }
        (Archetype::ChampionGoneNegative, Role::Champion) => {
            let current = weighted(rng, &[(tie(Okay, Neg), 2), (tie(Weak, Neg), 1)]);
            let past = if rng.random_bool(0.6) {
                vec![tie(Vg, Pos), tie(Okay, Neu)]
            } else {
                vec![tie(Vg, Pos)]
            };
            Story { past, now: current }
        }
        (Archetype::ChampionGoneNegative, Role::EconomicBuyer) => plain(weighted(
            rng,
            &[
                (tie(Okay, Neu), 2),
                (tie(Weak, Neu), 2),
                (tie(Weak, Neg), 1),
            ],
        )),
        (Archetype::Onboarding, Role::Champion) => {
            let current = weighted(rng, &[(tie(Okay, Pos), 2), (tie(Weak, Pos), 1)]);
            let past = if rng.random_bool(0.3) {
                vec![tie(Unknown, Neu)]
            } else {
                vec![]
            };
            Story { past, now: current }
        }
        (Archetype::Onboarding, _) => plain(weighted(
            rng,
            &[
                (tie(Unknown, Neu), 7),
                (tie(Weak, Neu), 2),
                (tie(Weak, Pos), 1),
            ],
        )),
        (Archetype::Recovering, Role::Champion) => {
            let past = if rng.random_bool(0.6) {
                vec![tie(Okay, Neg), tie(Okay, Neu)]
            } else {
                vec![tie(Okay, Neg)]
            };
            Story {
                past,
                now: tie(Okay, Pos),
            }
        }
        (Archetype::Recovering, Role::EconomicBuyer) => {
            let past = if rng.random_bool(0.3) {
                vec![tie(Weak, Neg)]
            } else {
                vec![]
            };
            Story {
                past,
                now: weighted(rng, &[(tie(Okay, Neu), 2), (tie(Weak, Neu), 1)]),
            }
        }
        (Archetype::Drifting, Role::Champion) => Story {
            past: vec![tie(Okay, Pos)],
            now: tie(Weak, Neu),
        },
        (Archetype::Drifting, _) => plain(weighted(
            rng,
            &[
                (tie(Weak, Neu), 3),
                (tie(Unknown, Neu), 2),
                (tie(Weak, Pos), 1),
            ],
        )),
        (Archetype::ChampionGoneNegative | Archetype::InfluentialDetractor, _) => {
            growing(rng, TENSE_TIES)
        }
        _ => growing(rng, WARM_TIES),
    }
}

fn plain(now: Tie) -> Story {
    Story {
        past: Vec::new(),
        now,
    }
}

/// A tie drawn from `options`; some relationships grew, starting a level lower.
fn growing(rng: &mut ChaCha8Rng, options: &[(Tie, u32)]) -> Story {
    let now = weighted(rng, options);
    let lower = match now.strength {
        Strength::VeryGood => Some(Strength::Okay),
        Strength::Okay => Some(Strength::Weak),
        _ => None,
    };
    match lower {
        Some(strength) if rng.random_bool(0.2) => Story {
            past: vec![tie(strength, Sentiment::Neutral)],
            now,
        },
        _ => plain(now),
    }
}

const WARM_TIES: &[(Tie, u32)] = &[
    (tie(Strength::VeryGood, Sentiment::Positive), 1),
    (tie(Strength::Okay, Sentiment::Positive), 3),
    (tie(Strength::Okay, Sentiment::Neutral), 3),
    (tie(Strength::Weak, Sentiment::Neutral), 2),
    (tie(Strength::Weak, Sentiment::Positive), 1),
    (tie(Strength::None, Sentiment::Neutral), 1),
];

const TENSE_TIES: &[(Tie, u32)] = &[
    (tie(Strength::Okay, Sentiment::Neutral), 3),
    (tie(Strength::Weak, Sentiment::Neutral), 3),
    (tie(Strength::Weak, Sentiment::Negative), 2),
    (tie(Strength::Okay, Sentiment::Negative), 1),
    (tie(Strength::None, Sentiment::Neutral), 1),
];

fn change_reason(rng: &mut ChaCha8Rng, before: Tie, after: Tie) -> &'static str {
    let worse = after.sentiment < before.sentiment || after.strength < before.strength;
    pick(rng, if worse { WORSE_REASONS } else { BETTER_REASONS })
}

fn title(rng: &mut ChaCha8Rng, role: Role, segment: Segment) -> &'static str {
    let small = segment == Segment::Smb;
    let options: &[&'static str] = match role {
        Role::Champion if small => &[
            "Operations Manager",
            "Customer Support Lead",
            "Office Manager",
            "Marketing Manager",
        ],
        Role::Champion => &[
            "Director of Operations",
            "Head of Customer Experience",
            "Senior Manager, Support Operations",
            "Program Manager",
            "Director of Revenue Operations",
        ],
        Role::EconomicBuyer if small => &[
            "Owner",
            "General Manager",
            "Managing Director",
            "Finance Manager",
        ],
        Role::EconomicBuyer => &[
            "CFO",
            "VP Finance",
            "Chief Operating Officer",
            "Head of Procurement",
            "VP Operations",
        ],
        Role::ExecutiveSponsor if small => &["CEO", "Founder", "Co-founder & CEO"],
        Role::ExecutiveSponsor => &[
            "CEO",
            "Chief Customer Officer",
            "SVP Customer Success",
            "Chief Revenue Officer",
            "CTO",
            "Chief Operating Officer",
        ],
        Role::DecisionMaker => &[
            "VP Customer Support",
            "Director of IT",
            "Head of Revenue Operations",
            "VP Engineering",
            "Director of Sales Operations",
        ],
        Role::TechnicalLead => &[
            "Lead Solutions Engineer",
            "IT Manager",
            "Senior Systems Architect",
            "Data Engineering Lead",
            "Integration Engineer",
        ],
        Role::Admin => &[
            "Systems Administrator",
            "CRM Administrator",
            "Platform Admin",
            "Business Systems Analyst",
        ],
        Role::EndUser => &[
            "Support Specialist",
            "Account Executive",
            "Customer Success Associate",
            "Operations Analyst",
            "Team Lead, Support",
            "Sales Development Rep",
        ],
        Role::Detractor => &[
            "Director of IT",
            "Head of Security",
            "Procurement Manager",
            "VP Engineering",
            "Senior Developer",
        ],
        Role::Other => &[
            "Project Coordinator",
            "Executive Assistant",
            "Legal Counsel",
            "Procurement Specialist",
            "Training Manager",
        ],
    };
    pick(rng, options)
}

// ---------------------------------------------------------------------------------------
// Accounts: segment, tier, value, names

const SEGMENTS: &[(Segment, u32)] = &[
    (Segment::Enterprise, 15),
    (Segment::MidMarket, 35),
    (Segment::Smb, 50),
];

/// 3–8 personas, about five on average.
const PERSONA_COUNTS: &[(usize, u32)] = &[(3, 15), (4, 22), (5, 25), (6, 18), (7, 12), (8, 8)];

const FILLER_ROLES: &[(Role, u32)] = &[
    (Role::TechnicalLead, 3),
    (Role::Admin, 3),
    (Role::EndUser, 4),
    (Role::DecisionMaker, 2),
    (Role::Other, 1),
];

fn tier(rng: &mut ChaCha8Rng, segment: Segment) -> u8 {
    let weights: &[(u8, u32)] = match segment {
        Segment::Enterprise => &[(1, 7), (2, 3)],
        Segment::MidMarket => &[(1, 2), (2, 6), (3, 2)],
        Segment::Smb => &[(2, 3), (3, 7)],
    };
    weighted(rng, weights)
}

/// Annual contract value in dollars: roughly log-uniform across the segment's range
/// (many small deals, few large ones), rounded as a sales team would.
fn contract_value(rng: &mut ChaCha8Rng, segment: Segment) -> i64 {
    type Bands = &'static [((i64, i64), u32)];
    let (bands, round): (Bands, i64) = match segment {
        Segment::Enterprise => (
            &[
                ((150_000, 300_000), 45),
                ((300_000, 600_000), 30),
                ((600_000, 1_200_000), 17),
                ((1_200_000, 2_000_000), 8),
            ],
            1_000,
        ),
        Segment::MidMarket => (
            &[
                ((25_000, 50_000), 40),
                ((50_000, 100_000), 35),
                ((100_000, 200_000), 25),
            ],
            500,
        ),
        Segment::Smb => (
            &[
                ((3_000, 7_500), 40),
                ((7_500, 15_000), 35),
                ((15_000, 30_000), 25),
            ],
            100,
        ),
    };
    let (lo, hi) = weighted(rng, bands);
    rng.random_range(lo / round..=hi / round) * round
}

#[derive(Clone, Copy)]
struct Industry {
    name: &'static str,
    nouns: &'static [&'static str],
}

const INDUSTRIES: &[Industry] = &[
    Industry {
        name: "Logistics",
        nouns: &["Logistics", "Freight", "Shipping", "Transport"],
    },
    Industry {
        name: "Healthcare",
        nouns: &["Health", "Medical", "Care", "Clinics"],
    },
    Industry {
        name: "Software",
        nouns: &["Software", "Labs", "Systems", "Cloud"],
    },
    Industry {
        name: "Analytics",
        nouns: &["Analytics", "Data", "Insights", "Intelligence"],
    },
    Industry {
        name: "Financial services",
        nouns: &["Capital", "Financial", "Partners", "Payments"],
    },
    Industry {
        name: "Manufacturing",
        nouns: &["Manufacturing", "Industries", "Works", "Fabrication"],
    },
    Industry {
        name: "Retail",
        nouns: &["Retail", "Outfitters", "Markets", "Goods"],
    },
    Industry {
        name: "Education",
        nouns: &["Learning", "Academy", "Education", "Schools"],
    },
    Industry {
        name: "Energy",
        nouns: &["Energy", "Power", "Renewables", "Utilities"],
    },
    Industry {
        name: "Media",
        nouns: &["Media", "Studios", "Publishing", "Digital"],
    },
    Industry {
        name: "Hospitality",
        nouns: &["Hotels", "Hospitality", "Resorts", "Travel"],
    },
    Industry {
        name: "Insurance",
        nouns: &["Insurance", "Assurance", "Mutual", "Underwriters"],
    },
    Industry {
        name: "Real estate",
        nouns: &["Properties", "Realty", "Estates", "Living"],
    },
    Industry {
        name: "Telecommunications",
        nouns: &["Telecom", "Networks", "Communications", "Wireless"],
    },
    Industry {
        name: "Construction",
        nouns: &["Construction", "Builders", "Engineering", "Infrastructure"],
    },
    Industry {
        name: "Food & beverage",
        nouns: &["Foods", "Brewing", "Kitchens", "Provisions"],
    },
    Industry {
        name: "Biotech",
        nouns: &["Biosciences", "Therapeutics", "Genomics", "Bio"],
    },
];

/// "Bluepeak Analytics", "Halcyon Health", "Northwind Logistics Group".
fn company_base(rng: &mut ChaCha8Rng, industry: &Industry) -> String {
    let head = if rng.random_bool(0.5) {
        let first = pick(rng, NAME_HEADS);
        let mut second = pick(rng, NAME_TAILS);
        while second.eq_ignore_ascii_case(first) {
            second = pick(rng, NAME_TAILS);
        }
        format!("{first}{second}")
    } else {
        pick(rng, NAME_WORDS).to_string()
    };
    let noun = if rng.random_bool(0.85) {
        pick(rng, industry.nouns)
    } else {
        pick(rng, GENERIC_NOUNS)
    };
    format!("{head} {noun}")
}

/// "jordan.rivera@bluepeak.example": reserved for examples, so no real inbox is named.
fn email_domain(company: &str) -> String {
    let word: String = company
        .split_whitespace()
        .next()
        .unwrap_or("customer")
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    format!("{word}.example")
}

fn email_of(name: &str, domain: &str) -> String {
    let local: String = name
        .split_whitespace()
        .map(|part| part.chars().filter_map(ascii_letter).collect::<String>())
        .collect::<Vec<_>>()
        .join(".")
        .to_ascii_lowercase();
    format!("{local}@{domain}")
}

/// Folds the few accented letters of the name lists; drops punctuation ("O'Brien").
fn ascii_letter(c: char) -> Option<char> {
    match c {
        'ä' | 'á' => Some('a'),
        'ö' | 'ó' => Some('o'),
        'ü' | 'ú' => Some('u'),
        'é' | 'è' => Some('e'),
        'í' => Some('i'),
        'ñ' => Some('n'),
        c if c.is_ascii_alphanumeric() => Some(c),
        _ => None,
    }
}

fn person_name(rng: &mut ChaCha8Rng) -> String {
    format!("{} {}", pick(rng, FIRST_NAMES), pick(rng, LAST_NAMES))
}

#[rustfmt::skip]
const NAME_HEADS: &[&str] = &[
    "North", "Blue", "Silver", "Iron", "Bright", "Red", "Ever", "Lake", "Green", "Gold", "Oak",
    "River", "Sun", "Star", "High", "West", "East", "Clear", "Black", "White", "Fair", "Pine",
    "Cedar", "Maple", "Copper", "Crystal", "Frost", "Storm", "Swift", "Amber", "Cloud", "Deep",
    "Far", "Moon", "Rock", "Sea", "Sky", "True", "Wild", "Stone",
];

#[rustfmt::skip]
const NAME_TAILS: &[&str] = &[
    "wind", "peak", "line", "wood", "water", "stone", "field", "gate", "bridge", "ridge", "crest",
    "brook", "haven", "point", "view", "vale", "ford", "mark", "light", "well", "shore", "side",
    "dale", "wave", "spring", "hill", "core", "path", "bay", "leaf", "rock", "forge", "land",
    "wick", "mont", "fall", "path", "grove", "star", "beam",
];

#[rustfmt::skip]
const NAME_WORDS: &[&str] = &[
    "Halcyon", "Meridian", "Pinnacle", "Sterling", "Aurora", "Beacon", "Cobalt", "Everest",
    "Falcon", "Foxglove", "Juniper", "Keystone", "Lumen", "Northwind", "Pioneer", "Sapphire",
    "Tidewater", "Vantage", "Zenith", "Alder", "Ashford", "Birch", "Canyon", "Crescent",
    "Hawthorne", "Horizon", "Kestrel", "Larkspur", "Linden", "Mariner", "Monarch", "Nimbus",
    "Orchard", "Palisade", "Prairie", "Quill", "Rowan", "Saffron", "Sequoia", "Summit", "Thistle",
    "Trillium", "Vista", "Windmere", "Yarrow", "Acorn", "Atlas", "Bramble", "Cascade", "Citadel",
    "Delta", "Ember", "Fathom", "Garnet", "Harbor", "Indigo", "Jasper", "Lattice", "Magnolia",
    "Nova", "Onyx", "Pegasus", "Quartz", "Raven", "Solstice", "Tundra", "Verity", "Wren", "Archway",
    "Bluebird", "Catalina", "Dovetail", "Elmwood", "Fjord", "Gryphon", "Heron",
];

#[rustfmt::skip]
const GENERIC_NOUNS: &[&str] = &[
    "Group", "Holdings", "Partners", "& Co.", "Inc.", "Collective",
];

/// Appended when a drawn name is taken.
#[rustfmt::skip]
const QUALIFIERS: &[&str] = &[
    "International", "Global", "North America", "Europe", "APAC", "UK", "Group", "Holdings",
    "Worldwide", "Americas",
];

#[rustfmt::skip]
const SUBSIDIARY_SUFFIXES: &[&str] = &[
    "EMEA", "APAC", "Europe", "UK", "Canada", "Germany", "Nordics", "Benelux", "LATAM", "Japan",
    "Australia", "Labs", "Services", "Ventures",
];

const CSM_REGIONS: &[&str] = &["North America", "EMEA", "APAC", "LATAM"];

#[rustfmt::skip]
const FIRST_NAMES: &[&str] = &[
    "Jordan", "Maya", "Daniel", "Priya", "Lucas", "Amara", "Ethan", "Sofia", "Noah", "Aisha",
    "Liam", "Chloe", "Mateo", "Hannah", "Kenji", "Olivia", "Samuel", "Fatima", "Oliver", "Grace",
    "Elena", "Marcus", "Ingrid", "Tomas", "Nadia", "Jamal", "Claire", "Diego", "Yuki", "Leah",
    "Rafael", "Zoe", "Arjun", "Emma", "Kwame", "Isabel", "Felix", "Mei", "Adrian", "Lucia", "Omar",
    "Sarah", "Henrik", "Ava", "Victor", "Nora", "Ibrahim", "Julia", "Sebastian", "Anika", "Thomas",
    "Rachel", "Hugo", "Camila", "Andre", "Freya", "Luis", "Imani", "Patrick", "Rosa", "Benjamin",
    "Lena", "Carlos", "Mia", "David", "Aaliyah", "Erik", "Keiko", "Jonas", "Ruth", "Michael",
    "Alicia", "Chen", "Beatriz", "Ravi", "Eleanor", "Kofi", "Sienna", "Martin", "Layla", "Stefan",
    "Valentina", "George", "Naomi", "Alex", "Sana", "Paul", "Ines", "Mohammed", "Tara", "Kevin",
    "Amelia", "Juan", "Esther", "Nathan", "Helena", "Andrew", "Ruby", "Joseph", "Dana",
];

#[rustfmt::skip]
const LAST_NAMES: &[&str] = &[
    "Rivera", "Chen", "Okafor", "Patel", "Müller", "Haddad", "Johnson", "Rossi", "Nakamura",
    "Kowalski", "Silva", "Andersson", "Nguyen", "O'Brien", "Fernandez", "Schmidt", "Mensah", "Kim",
    "Dubois", "Larsen", "Garcia", "Thompson", "Ivanova", "Moreau", "Hughes", "Sato", "Bianchi",
    "Osei", "Walsh", "Kaur", "Lindqvist", "Novak", "Costa", "Reyes", "Fischer", "Adeyemi",
    "Bennett", "Tanaka", "Romano", "Sullivan", "Eriksen", "Alvarez", "Brooks", "Yamamoto", "Petrov",
    "Murphy", "Santos", "Weber", "Khan", "Carter", "Jansen", "Morales", "Hoffmann", "Ali", "Foster",
    "Suzuki", "Vargas", "Keller", "Abara", "Coleman", "Nilsson", "Ortiz", "Becker", "Ahmed",
    "Price", "Kobayashi", "Castillo", "Wagner", "Boateng", "Reed", "Holm", "Mendoza", "Schulz",
    "Hussain", "Gray", "Watanabe", "Ramos", "Wolf", "Nwosu", "Harper", "Berg", "Delgado", "Richter",
    "Malik", "Ward", "Ito", "Herrera", "Koch", "Owusu", "Fleming", "Dahl", "Cruz", "Brandt",
    "Rahman", "Porter", "Kato", "Medina", "Vogel", "Eze", "Lawson", "Strand", "Guerrero", "Lang",
    "Iqbal", "Webb", "Mori", "Rojas", "Frank", "Chukwu", "Hayes", "Lund", "Aguilar", "Kraus",
    "Sheikh", "Russell", "Endo", "Navarro", "Berger", "Asante", "Morgan", "Sandberg", "Pena",
    "Roth", "Chaudhry", "Cole", "Ueda", "Campos",
];

// ---------------------------------------------------------------------------------------
// What the CSM wrote down

fn kind_mix(segment: Segment) -> &'static [(TouchKind, u32)] {
    match segment {
        Segment::Enterprise => &[
            (TouchKind::Call, 33),
            (TouchKind::Meeting, 20),
            (TouchKind::Email, 25),
            (TouchKind::Qbr, 8),
            (TouchKind::Note, 14),
        ],
        Segment::MidMarket => &[
            (TouchKind::Call, 36),
            (TouchKind::Meeting, 15),
            (TouchKind::Email, 29),
            (TouchKind::Qbr, 5),
            (TouchKind::Note, 15),
        ],
        Segment::Smb => &[
            (TouchKind::Call, 38),
            (TouchKind::Meeting, 8),
            (TouchKind::Email, 38),
            (TouchKind::Qbr, 1),
            (TouchKind::Note, 15),
        ],
    }
}

fn touch_summary(
    rng: &mut ChaCha8Rng,
    kind: TouchKind,
    call_type: Option<CallType>,
    pulse: Pulse,
) -> &'static str {
    let options: &[&'static str] = match (kind, call_type, pulse) {
        (TouchKind::Call, Some(CallType::Escalation), _) => &[
            "Escalation: data sync failures",
            "Escalation: SSO outage blocked logins",
            "Escalation: billing dispute",
            "Escalation: missed SLA on a P1 ticket",
            "Escalation: reports timing out for the exec team",
        ],
        (TouchKind::Call, Some(CallType::Renewal), _) => &[
            "Renewal: pricing and seat count review",
            "Renewal: multi-year options discussed",
            "Renewal: procurement asked for a discount",
            "Renewal: confirmed budget owner and timeline",
        ],
        (TouchKind::Call, Some(CallType::Onboarding), _) => &[
            "Onboarding: kickoff and success plan",
            "Onboarding: admin training",
            "Onboarding: data import review",
            "Onboarding: first value milestone reached",
            "Onboarding: SSO and integrations set up",
        ],
        (TouchKind::Call, Some(CallType::Qbr), _) => &[
            "QBR prep: goals and usage review",
            "QBR prep: agenda with the champion",
        ],
        (TouchKind::Call, _, Pulse::Green) => &[
            "Check-in: adoption on track",
            "Check-in: new team onboarded smoothly",
            "Check-in: positive feedback on the latest release",
            "Check-in: champion asked about expansion",
        ],
        (TouchKind::Call, _, Pulse::Yellow) => &[
            "Check-in: questions about slow reports",
            "Check-in: adoption stalled in one team",
            "Check-in: concerns about support response times",
            "Check-in: budget review coming up",
        ],
        (TouchKind::Call, _, Pulse::Red) => &[
            "Check-in: frustration over unresolved tickets",
            "Check-in: champion questioned the value",
            "Check-in: usage dropping across teams",
        ],
        (TouchKind::Meeting, _, _) => &[
            "Meeting: roadmap walkthrough",
            "Meeting: reporting workshop",
            "Meeting: exec alignment",
            "Meeting: integration planning",
            "Meeting: success plan review",
        ],
        (TouchKind::Qbr, _, _) => &[
            "QBR: reviewed goals, usage and ROI",
            "QBR: agreed success plan for next quarter",
            "QBR: exec sponsor attended",
            "QBR: discussed expansion to a second team",
        ],
        (TouchKind::Email, _, Pulse::Red) => &[
            "Email: customer chased an open ticket",
            "Email: sent remediation plan",
            "Email: apology and timeline for the fix",
        ],
        (TouchKind::Email, _, _) => &[
            "Email: shared release notes",
            "Email: sent recap and next steps",
            "Email: answered a licensing question",
            "Email: shared a best-practice guide",
            "Email: invited them to the user webinar",
        ],
        (TouchKind::Note, _, Pulse::Green) => &[
            "Note: positive mention on LinkedIn",
            "Note: new admin joining next month",
            "Note: team doubled their dashboards",
        ],
        (TouchKind::Note, _, _) => &[
            "Note: champion hinted at a budget review",
            "Note: heard about a reorg",
            "Note: support ticket volume up",
            "Note: sponsor missed the last two meetings",
        ],
    };
    pick(rng, options)
}

fn outcomes(kind: TouchKind, intervention: Intervention) -> &'static [&'static str] {
    if kind == TouchKind::Note {
        return &[
            "Logged for the account plan",
            "Shared with the account team",
            "Flagged for the next QBR",
        ];
    }
    match intervention {
        Intervention::Empathy => &[
            "Listened and validated; customer felt heard",
            "Acknowledged the frustration; agreed on a weekly sync",
            "Customer calmer; next steps agreed",
            "Shared their goals for the quarter; no action needed",
        ],
        Intervention::Coaching => &[
            "Walked the admin through best practices",
            "Shared a rollout playbook",
            "Trained the team on dashboards",
            "Agreed on adoption targets for next month",
        ],
        Intervention::Escalation => &[
            "Escalated to support leadership; fix within 48 h",
            "Engaged engineering; review in a week",
            "Exec-to-exec call scheduled",
            "Handed off to the solutions team",
        ],
        Intervention::ProductFix => &[
            "Workaround in place; fix in the next release",
            "Bug confirmed; hotfix shipped",
            "Feature request logged with product",
            "Config change resolved the issue",
        ],
    }
}

const FOLLOWUP_ACTIONS: &[&str] = &[
    "Send recap and next steps",
    "Check the remediation landed",
    "Review the usage dashboard with the champion",
    "Confirm the training date",
    "Share the renewal proposal",
    "Book an exec sync",
    "Follow up on the open ticket",
    "Send the ROI summary",
    "Introduce the solutions engineer",
    "Check in after the release",
];

fn pulse_reasons(pulse: Pulse) -> &'static [&'static str] {
    match pulse {
        Pulse::Green => &[
            "Adoption growing; champion engaged",
            "Strong QBR; interest in expanding",
            "Healthy usage and quick replies",
            "Sponsor praised the team's results",
        ],
        Pulse::Yellow => &[
            "Open tickets piling up",
            "Champion less responsive",
            "Budget review announced",
            "Usage flat for two months",
        ],
        Pulse::Red => &[
            "Champion escalated to leadership",
            "Renewal in doubt; evaluating a competitor",
            "Repeated unresolved tickets",
            "Sponsor left the company",
        ],
    }
}

const BETTER_REASONS: &[&str] = &[
    "Built rapport at the onsite",
    "Weekly syncs since the rollout",
    "The fix for their top issue landed",
    "Great feedback after the training",
    "Reached out without an issue for the first time",
];

const WORSE_REASONS: &[&str] = &[
    "Frustrated by unresolved tickets",
    "Budget cuts announced",
    "Pushing for an in-house tool",
    "Unhappy with support response times",
    "Changed roles; less involved",
    "New leadership reviewing all vendors",
];

const COMPETITOR_NOTES: &[&str] = &[
    "Mentioned Gainsight pricing",
    "Asked how we compare to Totango",
    "Piloting ChurnZero in one team",
    "Procurement requested a Vitally quote",
    "Forwarded a Planhat demo invite",
    "Said a competitor offered 30% off",
];

// ---------------------------------------------------------------------------------------
// Random helpers

fn pick<T: Copy>(rng: &mut ChaCha8Rng, options: &[T]) -> T {
    options[rng.random_range(0..options.len())]
}

fn weighted<T: Copy>(rng: &mut ChaCha8Rng, options: &[(T, u32)]) -> T {
    options[weighted_index(rng, options)].0
}

fn weighted_index<T>(rng: &mut ChaCha8Rng, options: &[(T, u32)]) -> usize {
    let total: u32 = options.iter().map(|o| o.1).sum();
    let mut roll = rng.random_range(0..total.max(1));
    for (i, (_, w)) in options.iter().enumerate() {
        if roll < *w {
            return i;
        }
        roll -= w;
    }
    options.len().saturating_sub(1)
}
