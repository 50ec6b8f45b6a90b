//! Coaching KPIs for a team lead: the arithmetic, on touches handed over one by one.
//!
//! The store streams every touch in (account, time) order as a [`TouchFact`]; an
//! [`Accumulator`] folds them into tallies per CSM, segment and month, and
//! [`Accumulator::finish`] turns those into rates, the sentiment direction, step times
//! against their time boxes, verbatim prompt reuse and the flags of low adaptability.
//! Nothing here reads a clock: the months covered are a [`Window`] built from "today".
//!
//! Definitions (the seeds' signals, made countable):
//! - **escalation rate**: escalated touches (flagged escalated, or intervention
//!   escalation) / tagged touches (calls, meetings, QBRs and emails with an intervention);
//! - **CSAT after remediation**: mean CSAT of touches whose intervention is escalation or
//!   product fix, or that follow such a touch on the same account within 30 days;
//! - **renewal rate, coached vs not**: renewal results read from touch outcomes; an account
//!   is coached when a call was run with the checklist on it in the 12 months before the
//!   result (strictly before the touch that records it); rate = retained / (retained + lost);
//! - **tagging completeness**: done conversations (calls, meetings, QBRs, emails) with
//!   sentiment, intervention and a follow-up decision (a date or "no follow-up") / done
//!   conversations. Notes are not conversations (an imported CRM history arrives as notes);
//! - **sentiment trend**: Red/Yellow/Green counts of touches with a sentiment per month;
//!   the direction compares the balance (green − red) / all of the latest three months
//!   with data against the three before;
//! - **step time**: elapsed time of each checklist step run (not skipped) — median, and the
//!   share of runs past the step's time box;
//! - **verbatim prompt reuse**: for each checklist step, a CSM's *go-to line* is the
//!   prompt they marked used most often on it; it counts as *repeated verbatim* when they
//!   used it on at least [`Thresholds::reuse_min_accounts`] accounts in at least
//!   [`Thresholds::reuse_min_call_types`] call types: the same words whatever the customer
//!   and the situation. Reuse = uses of repeated go-to lines / all prompt uses. A CSM who
//!   picks the line that fits the call spreads their uses over many lines and scores low;
//!   one who reads the same line everywhere scores near 100%;
//! - **CSAT simple vs complex**: simple = check-in or onboarding calls not escalated;
//!   complex = escalation or renewal calls, or any escalated touch.

use std::collections::{HashMap, HashSet};
use std::fmt;

use chrono::{Datelike, NaiveDate};

use super::checklist::Step;
use super::model::{CallType, Intervention, Pulse, Segment, TouchKind, TouchStatus};
use super::outcome::RenewalResult;

// ---------------------------------------------------------------------------------------
// Months

/// A calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    pub year: i32,
    /// 1..=12.
    pub month: u32,
}

impl Month {
    pub fn of(day: NaiveDate) -> Month {
        Month {
            year: day.year(),
            month: day.month(),
        }
    }

    pub fn next(self) -> Month {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                month: self.month + 1,
                ..self
            }
        }
    }

    pub fn prev(self) -> Month {
        if self.month == 1 {
            Month {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Month {
                month: self.month - 1,
                ..self
            }
        }
    }

    pub fn first_day(self) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(self.year, self.month, 1)
    }

    /// Three letters, for chart axes: "Mar".
    pub fn short(self) -> &'static str {
        const NAMES: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        NAMES[(self.month.clamp(1, 12) - 1) as usize]
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// The months the KPIs cover, first to last inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub first: Month,
    pub last: Month,
}

impl Window {
    /// `months` calendar months ending with the month of `today` (at least one).
    pub fn ending(today: NaiveDate, months: u32) -> Window {
        let last = Month::of(today);
        let mut first = last;
        for _ in 1..months.max(1) {
            first = first.prev();
        }
        Window { first, last }
    }

    pub fn months(&self) -> Vec<Month> {
        let mut out = Vec::new();
        let mut m = self.first;
        while m <= self.last {
            out.push(m);
            m = m.next();
        }
        out
    }

    pub fn contains(&self, m: Month) -> bool {
        self.first <= m && m <= self.last
    }

    fn index(&self, m: Month) -> Option<usize> {
        if !self.contains(m) {
            return None;
        }
        let n = (m.year - self.first.year) * 12 + m.month as i32 - self.first.month as i32;
        usize::try_from(n).ok()
    }
}

// ---------------------------------------------------------------------------------------
// Thresholds and flags

/// Where a KPI turns into a flag of low adaptability. One place, so screens, the report
/// and the tests agree.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// Flag a CSM whose escalation rate is at least this many times the team median...
    pub escalation_over_median: f64,
    /// ...or above this rate when the team has no median (one CSM).
    pub escalation_absolute: f64,
    /// Fewer tagged touches than this: too few to judge the escalation rate.
    pub escalation_min_tagged: u64,
    /// A go-to line used on this many accounts...
    pub reuse_min_accounts: usize,
    /// ...in this many call types counts as repeated verbatim.
    pub reuse_min_call_types: usize,
    /// Flag when repeated go-to lines make up at least this share of prompt uses...
    pub reuse_share: f64,
    /// ...counting only CSMs with this many prompt uses.
    pub reuse_min_uses: u64,
    /// Flag when simple touches average at least this CSAT...
    pub csat_simple_at_least: f64,
    /// ...and complex ones this much lower...
    pub csat_spread: f64,
    /// ...with this many answers on each side.
    pub csat_min_answers: u64,
    /// Flag when fewer than this share of done touches are fully tagged...
    pub tagging_below: f64,
    /// ...counting only CSMs with this many done touches.
    pub tagging_min_done: u64,
    /// Days after a remediation in which a CSAT answer counts as "after remediation".
    pub remediation_days: i64,
    /// Days before a renewal result in which a checklist call makes the account coached.
    pub coached_days: i64,
}

pub const THRESHOLDS: Thresholds = Thresholds {
    escalation_over_median: 1.5,
    escalation_absolute: 0.25,
    escalation_min_tagged: 20,
    reuse_min_accounts: 3,
    reuse_min_call_types: 2,
    reuse_share: 0.5,
    reuse_min_uses: 10,
    csat_simple_at_least: 4.0,
    csat_spread: 1.5,
    csat_min_answers: 5,
    tagging_below: 0.8,
    tagging_min_done: 20,
    remediation_days: 30,
    coached_days: 365,
};

/// A sign of low adaptability, with the figures that raised it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Flag {
    /// Escalates or hands off far more than the team.
    HighEscalation { rate: f64, median: Option<f64> },
    /// Repeats the same prompt lines whatever the context.
    RepeatedScripts { share: f64 },
    /// Does well when it is easy, poorly when it is hard.
    CsatSpread { simple: f64, complex: f64 },
    /// Leaves sentiment, intervention or follow-up untagged.
    LowTagging { share: f64 },
}

impl Flag {
    pub fn title(&self) -> &'static str {
        match self {
            Flag::HighEscalation { .. } => "high escalation rate",
            Flag::RepeatedScripts { .. } => "repeated verbatim scripts",
            Flag::CsatSpread { .. } => "poor CSAT variance",
            Flag::LowTagging { .. } => "low sentiment-field usage",
        }
    }

    /// The figure and the threshold it crossed, in words.
    pub fn detail(&self, t: &Thresholds) -> String {
        match *self {
            Flag::HighEscalation {
                rate,
                median: Some(median),
            } => format!(
                "escalation rate {} vs team median {} (flag at {:.1}× the median)",
                pct(Some(rate)),
                pct(Some(median)),
                t.escalation_over_median
            ),
            Flag::HighEscalation { rate, median: None } => format!(
                "escalation rate {} (flag above {})",
                pct(Some(rate)),
                pct(Some(t.escalation_absolute))
            ),
            Flag::RepeatedScripts { share } => format!(
                "{} of prompt uses are the same go-to line per step, repeated on ≥{} accounts in ≥{} call types (flag at {})",
                pct(Some(share)),
                t.reuse_min_accounts,
                t.reuse_min_call_types,
                pct(Some(t.reuse_share))
            ),
            Flag::CsatSpread { simple, complex } => format!(
                "CSAT {simple:.1} on simple touches, {complex:.1} on complex ones (flag when simple ≥ {:.1} and complex ≥ {:.1} lower)",
                t.csat_simple_at_least, t.csat_spread
            ),
            Flag::LowTagging { share } => format!(
                "{} of conversations fully tagged (flag below {})",
                pct(Some(share)),
                pct(Some(t.tagging_below))
            ),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Tallies

/// A running mean of CSAT answers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Mean {
    pub sum: u64,
    pub n: u64,
}

impl Mean {
    pub fn add(&mut self, value: u8) {
        self.sum += u64::from(value);
        self.n += 1;
    }

    pub fn merge(&mut self, other: Mean) {
        self.sum += other.sum;
        self.n += other.n;
    }

    pub fn mean(&self) -> Option<f64> {
        ratio(self.sum, self.n)
    }
}

/// Renewal results of one cohort.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cohort {
    pub retained: u64,
    pub lost: u64,
}

impl Cohort {
    /// "90% (12)" on screen (`n` = ""), "90% (n=12)" in the report (`n` = "n=").
    pub fn text(self, n: &str) -> String {
        format!("{} ({n}{})", pct(self.rate()), self.n())
    }

    pub fn n(&self) -> u64 {
        self.retained + self.lost
    }

    pub fn rate(&self) -> Option<f64> {
        ratio(self.retained, self.n())
    }

    fn merge(&mut self, other: Cohort) {
        self.retained += other.retained;
        self.lost += other.lost;
    }
}

/// What the KPIs count in one group of touches (a CSM's, a segment's, a month's...).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Touches counted in the group, whatever they carry (the group exists from the first).
    pub touches: u64,
    /// Calls, meetings, QBRs and emails with an intervention.
    pub tagged: u64,
    /// Of those, escalated or with intervention escalation.
    pub escalated: u64,
    /// Done conversations (calls, meetings, QBRs, emails).
    pub done: u64,
    /// Of those, with sentiment, intervention and a follow-up decision.
    pub complete: u64,
    pub red: u64,
    pub yellow: u64,
    pub green: u64,
    pub remediation: Mean,
    pub simple: Mean,
    pub complex: Mean,
    pub coached: Cohort,
    pub not_coached: Cohort,
}

impl Tally {
    /// Mean CSAT on simple / complex touches.
    pub fn csat_pair(&self) -> String {
        format!(
            "{} / {}",
            score(self.simple.mean()),
            score(self.complex.mean())
        )
    }

    /// The cells the screen's and the report's tables share, in order: escalation, CSAT
    /// after remediation, CSAT simple / complex, renewal coached, not coached, tagging.
    pub fn cells(&self, n: &str) -> [String; 6] {
        [
            pct(self.escalation_rate()),
            score(self.remediation.mean()),
            self.csat_pair(),
            self.coached.text(n),
            self.not_coached.text(n),
            pct(self.completeness()),
        ]
    }

    pub fn merge(&mut self, o: &Tally) {
        self.touches += o.touches;
        self.tagged += o.tagged;
        self.escalated += o.escalated;
        self.done += o.done;
        self.complete += o.complete;
        self.red += o.red;
        self.yellow += o.yellow;
        self.green += o.green;
        self.remediation.merge(o.remediation);
        self.simple.merge(o.simple);
        self.complex.merge(o.complex);
        self.coached.merge(o.coached);
        self.not_coached.merge(o.not_coached);
    }

    pub fn escalation_rate(&self) -> Option<f64> {
        ratio(self.escalated, self.tagged)
    }

    pub fn completeness(&self) -> Option<f64> {
        ratio(self.complete, self.done)
    }

    /// (green − red) / all sentiments: −1 all Red, +1 all Green.
    pub fn balance(&self) -> Option<f64> {
        let n = self.red + self.yellow + self.green;
        (n > 0).then(|| (self.green as f64 - self.red as f64) / n as f64)
    }

    /// Everyone's renewals, coached or not.
    pub fn renewals(&self) -> Cohort {
        let mut all = self.coached;
        all.merge(self.not_coached);
        all
    }
}

/// `num / den`, or None when there is nothing to divide by.
pub fn ratio(num: u64, den: u64) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}

/// A rate as a whole percentage, "—" when there is none.
pub fn pct(rate: Option<f64>) -> String {
    rate.map_or_else(|| "—".to_string(), |r| format!("{:.0}%", r * 100.0))
}

/// A mean CSAT to one decimal, "—" when nobody answered.
pub fn score(mean: Option<f64>) -> String {
    mean.map_or_else(|| "—".to_string(), |m| format!("{m:.1}"))
}

/// The middle value (the mean of the two middle ones for an even count).
pub fn median(values: &mut [i64]) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let mid = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) / 2
    } else {
        values[mid]
    })
}

// ---------------------------------------------------------------------------------------
// Input

/// One touch as the KPIs see it.
#[derive(Debug, Clone, PartialEq)]
pub struct TouchFact<'a> {
    pub account_id: i64,
    pub csm_id: Option<i64>,
    pub segment: Segment,
    pub day: NaiveDate,
    pub kind: TouchKind,
    pub call_type: Option<CallType>,
    pub status: TouchStatus,
    pub sentiment: Option<Pulse>,
    pub intervention: Option<Intervention>,
    pub escalated: bool,
    pub csat: Option<u8>,
    /// A follow-up date, or "no follow-up", was recorded.
    pub followup_decided: bool,
    /// The renewal result its outcome records, if any.
    pub renewal: Option<RenewalResult>,
    /// Run with the checklist: each step's elapsed ms (None: skipped or never run).
    pub steps: Option<[Option<i64>; 6]>,
    /// Prompt lines the CSM marked used on it: (step, key).
    pub prompts_used: &'a [(u8, &'a str)],
}

impl TouchFact<'_> {
    /// A done touch with nothing tagged; tests set what they need on top.
    pub fn new(account_id: i64, csm_id: i64, day: NaiveDate, kind: TouchKind) -> Self {
        TouchFact {
            account_id,
            csm_id: Some(csm_id),
            segment: Segment::MidMarket,
            day,
            kind,
            call_type: None,
            status: TouchStatus::Done,
            sentiment: None,
            intervention: None,
            escalated: false,
            csat: None,
            followup_decided: false,
            renewal: None,
            steps: None,
            prompts_used: &[],
        }
    }
}

/// Which CSMs' touches count (all touches still inform remediation and coaching).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// None: everyone in the file.
    pub csms: Option<HashSet<i64>>,
}

impl Scope {
    pub fn all() -> Scope {
        Scope { csms: None }
    }

    pub fn of(csms: impl IntoIterator<Item = i64>) -> Scope {
        Scope {
            csms: Some(csms.into_iter().collect()),
        }
    }

    pub fn includes(&self, csm: Option<i64>) -> bool {
        match (&self.csms, csm) {
            (None, _) => true,
            (Some(set), Some(id)) => set.contains(&id),
            (Some(_), None) => false,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Accumulation

/// One prompt line's uses by a CSM (in one month, or merged over the window).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LineUse {
    pub step: u8,
    pub uses: u64,
    pub accounts: HashSet<i64>,
    pub call_types: HashSet<Option<CallType>>,
}

impl LineUse {
    fn merge(&mut self, other: &LineUse) {
        self.uses += other.uses;
        self.accounts.extend(&other.accounts);
        self.call_types.extend(&other.call_types);
    }
}

#[derive(Debug, Default)]
struct CsmAcc {
    by_month: Vec<Tally>,
    /// The same by segment of the accounts (three at most).
    segments: Vec<(Segment, Vec<Tally>)>,
    /// Per month of the window: elapsed ms of each checklist step run.
    step_ms: Vec<[Vec<i64>; 6]>,
    /// Per month of the window: the prompt lines used, by key.
    lines: Vec<HashMap<String, LineUse>>,
}

impl CsmAcc {
    fn new(months: usize) -> CsmAcc {
        CsmAcc {
            by_month: vec![Tally::default(); months],
            segments: Vec::new(),
            step_ms: vec![Default::default(); months],
            lines: vec![HashMap::new(); months],
        }
    }

    /// The month's tallies of `segment`, made on first use.
    fn segment(&mut self, segment: Segment) -> &mut Vec<Tally> {
        let months = self.by_month.len();
        let at = match self.segments.iter().position(|(seg, _)| *seg == segment) {
            Some(at) => at,
            None => {
                self.segments
                    .push((segment, vec![Tally::default(); months]));
                self.segments.len() - 1
            }
        };
        &mut self.segments[at].1
    }

    /// Every month's lines added up, for the reuse figures.
    fn all_lines(&self) -> HashMap<&str, LineUse> {
        let mut out: HashMap<&str, LineUse> = HashMap::new();
        for month in &self.lines {
            for (key, line) in month {
                match out.get_mut(key.as_str()) {
                    Some(ours) => ours.merge(line),
                    None => {
                        out.insert(key.as_str(), line.clone());
                    }
                }
            }
        }
        out
    }

    /// Checklist step runs past their time box, and all runs with a box.
    fn over_box(&self) -> (u64, u64) {
        let (mut over, mut boxed) = (0, 0);
        for month in &self.step_ms {
            for (step, runs) in Step::ALL.iter().zip(month) {
                if let Some((_, upper)) = step.time_box() {
                    boxed += runs.len() as u64;
                    over += runs.iter().filter(|ms| **ms > upper * 1000).count() as u64;
                }
            }
        }
        (over, boxed)
    }
}

/// One CSM's figures of one month, as the store keeps them between passes
/// (`Accumulator::pieces`, `Accumulator::add`).
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    /// The touches on accounts of one segment.
    Tally { segment: Segment, tally: Tally },
    /// The elapsed ms of every run of a checklist step (1..=6), ascending.
    Step { step: u8, ms: Vec<i64> },
    /// One prompt line's uses; `accounts` may be cut to the lowest
    /// [`Thresholds::reuse_min_accounts`] ids, all the reuse figure asks of them.
    Line { key: String, line: LineUse },
}

/// Folds touches, given in (account, time) order, into tallies per CSM; any scope's KPIs
/// are then added up from them ([`Accumulator::kpis`]) without reading the touches again.
#[derive(Debug)]
pub struct Accumulator {
    window: Window,
    months: usize,
    /// Per CSM; a team has a few dozen at most, found by a scan from the last one used.
    csms: Vec<(i64, CsmAcc)>,
    last_csm: usize,
    account: Option<i64>,
    last_remedy: Option<NaiveDate>,
    last_checklist: Option<NaiveDate>,
}

/// CSM id for touches without one (imported history with no owner).
pub const NO_CSM: i64 = 0;

impl Accumulator {
    pub fn new(window: Window) -> Accumulator {
        Accumulator {
            months: window.months().len(),
            window,
            csms: Vec::new(),
            last_csm: 0,
            account: None,
            last_remedy: None,
            last_checklist: None,
        }
    }

    pub fn push(&mut self, t: &TouchFact<'_>) {
        if self.account != Some(t.account_id) {
            self.account = Some(t.account_id);
            self.last_remedy = None;
            self.last_checklist = None;
        }
        let remedy = matches!(
            t.intervention,
            Some(Intervention::Escalation | Intervention::ProductFix)
        );
        let checklist_call = t.kind == TouchKind::Call && t.steps.is_some();
        if let Some(i) = self.window.index(Month::of(t.day)) {
            let mut one = Tally::default();
            self.count(t, remedy, &mut one);
            let months = self.months;
            one.touches = 1;
            let csm_id = t.csm_id.unwrap_or(NO_CSM);
            if self
                .csms
                .get(self.last_csm)
                .is_none_or(|(id, _)| *id != csm_id)
            {
                self.last_csm = match self.csms.iter().position(|(id, _)| *id == csm_id) {
                    Some(at) => at,
                    None => {
                        self.csms.push((csm_id, CsmAcc::new(months)));
                        self.csms.len() - 1
                    }
                };
            }
            let csm = &mut self.csms[self.last_csm].1;
            csm.by_month[i].merge(&one);
            csm.segment(t.segment)[i].merge(&one);
            if let Some(steps) = t.steps.filter(|_| checklist_call) {
                for (step, ms) in Step::ALL.iter().zip(steps) {
                    let Some(ms) = ms.filter(|ms| *ms > 0) else {
                        continue;
                    };
                    csm.step_ms[i][usize::from(step.number() - 1)].push(ms);
                }
            }
            let lines = &mut csm.lines[i];
            for (step, key) in t.prompts_used {
                let line = match lines.get_mut(*key) {
                    Some(line) => line,
                    None => lines.entry((*key).to_string()).or_insert(LineUse {
                        step: *step,
                        ..LineUse::default()
                    }),
                };
                line.uses += 1;
                line.accounts.insert(t.account_id);
                line.call_types.insert(t.call_type);
            }
        }
        if remedy {
            self.last_remedy = Some(t.day);
        }
        if checklist_call {
            self.last_checklist = Some(t.day);
        }
    }

    fn count(&self, t: &TouchFact<'_>, remedy: bool, one: &mut Tally) {
        let th = &THRESHOLDS;
        let taggable = matches!(
            t.kind,
            TouchKind::Call | TouchKind::Meeting | TouchKind::Qbr | TouchKind::Email
        );
        let escalated = t.escalated || t.intervention == Some(Intervention::Escalation);
        if taggable && t.intervention.is_some() {
            one.tagged = 1;
            one.escalated = u64::from(escalated);
        }
        if taggable && t.status == TouchStatus::Done {
            one.done = 1;
            one.complete =
                u64::from(t.sentiment.is_some() && t.intervention.is_some() && t.followup_decided);
        }
        match t.sentiment {
            Some(Pulse::Red) => one.red = 1,
            Some(Pulse::Yellow) => one.yellow = 1,
            Some(Pulse::Green) => one.green = 1,
            None => {}
        }
        if let Some(csat) = t.csat {
            let after = self
                .last_remedy
                .is_some_and(|d| (t.day - d).num_days() <= th.remediation_days);
            if remedy || after {
                one.remediation.add(csat);
            }
            let complex =
                escalated || matches!(t.call_type, Some(CallType::Escalation | CallType::Renewal));
            if complex {
                one.complex.add(csat);
            } else if matches!(t.call_type, Some(CallType::CheckIn | CallType::Onboarding)) {
                one.simple.add(csat);
            }
        }
        if let Some(result) = t.renewal {
            let coached = self
                .last_checklist
                .is_some_and(|d| (t.day - d).num_days() <= th.coached_days);
            let cohort = if coached {
                &mut one.coached
            } else {
                &mut one.not_coached
            };
            if result.retained() {
                cohort.retained += 1;
            } else {
                cohort.lost += 1;
            }
        }
    }

    /// Adds the tallies of another accumulator over the same window (read from other
    /// accounts: an account's touches must all go to one of them).
    /// Whether the CSM has touches in the window (a line of their own in `by_csm`).
    pub fn has_csm(&self, id: i64) -> bool {
        id != NO_CSM && self.csms.iter().any(|(i, _)| *i == id)
    }

    pub fn merge(&mut self, other: Accumulator) {
        for (id, theirs) in other.csms {
            let Some(at) = self.csms.iter().position(|(mine, _)| *mine == id) else {
                self.csms.push((id, theirs));
                continue;
            };
            let mine = &mut self.csms[at].1;
            for (m, t) in mine.by_month.iter_mut().zip(&theirs.by_month) {
                m.merge(t);
            }
            for (segment, tallies) in theirs.segments {
                match mine.segments.iter_mut().find(|(s, _)| *s == segment) {
                    Some((_, ours)) => {
                        for (m, t) in ours.iter_mut().zip(&tallies) {
                            m.merge(t);
                        }
                    }
                    None => mine.segments.push((segment, tallies)),
                }
            }
            for (ours, their) in mine.step_ms.iter_mut().zip(theirs.step_ms) {
                for (ours, their) in ours.iter_mut().zip(their) {
                    ours.extend(their);
                }
            }
            for (ours, their) in mine.lines.iter_mut().zip(theirs.lines) {
                for (key, line) in their {
                    match ours.get_mut(&key) {
                        Some(ours) => ours.merge(&line),
                        None => {
                            ours.insert(key, line);
                        }
                    }
                }
            }
        }
    }

    /// Every CSM's figures, one [`Piece`] per (CSM, month, segment / step / line), for the
    /// store to keep; [`Accumulator::add`] of them all gives the same KPIs.
    pub fn pieces(&self, t: &Thresholds) -> Vec<(i64, Month, Piece)> {
        let months = self.window.months();
        let mut out = Vec::new();
        for (csm_id, acc) in &self.csms {
            for (i, month) in months.iter().enumerate() {
                for (segment, tallies) in &acc.segments {
                    if tallies[i].touches > 0 {
                        let tally = tallies[i];
                        out.push((
                            *csm_id,
                            *month,
                            Piece::Tally {
                                segment: *segment,
                                tally,
                            },
                        ));
                    }
                }
                for (step, runs) in (1u8..).zip(&acc.step_ms[i]) {
                    if !runs.is_empty() {
                        let mut ms = runs.clone();
                        ms.sort_unstable();
                        out.push((*csm_id, *month, Piece::Step { step, ms }));
                    }
                }
                for (key, line) in &acc.lines[i] {
                    let mut ids: Vec<i64> = line.accounts.iter().copied().collect();
                    ids.sort_unstable();
                    ids.truncate(t.reuse_min_accounts);
                    let line = LineUse {
                        accounts: ids.into_iter().collect(),
                        ..line.clone()
                    };
                    out.push((
                        *csm_id,
                        *month,
                        Piece::Line {
                            key: key.clone(),
                            line,
                        },
                    ));
                }
            }
        }
        out
    }

    /// Adds one kept piece (outside the window: ignored).
    pub fn add(&mut self, csm_id: i64, month: Month, piece: Piece) {
        let Some(i) = self.window.index(month) else {
            return;
        };
        let months = self.months;
        let at = match self.csms.iter().position(|(id, _)| *id == csm_id) {
            Some(at) => at,
            None => {
                self.csms.push((csm_id, CsmAcc::new(months)));
                self.csms.len() - 1
            }
        };
        let csm = &mut self.csms[at].1;
        match piece {
            Piece::Tally { segment, tally } => {
                csm.by_month[i].merge(&tally);
                csm.segment(segment)[i].merge(&tally);
            }
            Piece::Step { step, ms } => {
                if let Some(runs) = csm.step_ms[i].get_mut(usize::from(step).wrapping_sub(1)) {
                    runs.extend(ms);
                }
            }
            Piece::Line { key, line } => match csm.lines[i].get_mut(&key) {
                Some(ours) => ours.merge(&line),
                None => {
                    csm.lines[i].insert(key, line);
                }
            },
        }
    }

    /// The KPIs of `scope`, with each CSM's name from `names` (unknown ids show as
    /// "CSM #id"). The team median is taken over every CSM in the file; only those in
    /// scope are listed and added up.
    pub fn kpis(&self, scope: &Scope, names: &HashMap<i64, String>, t: &Thresholds) -> Kpis {
        let months = self.window.months();
        let mut by_month = vec![Tally::default(); months.len()];
        let mut segments: Vec<(Segment, Vec<Tally>)> = Vec::new();
        let mut step_ms: [Vec<i64>; 6] = Default::default();
        let mut by_csm: Vec<CsmKpis> = self
            .csms
            .iter()
            .map(|(id, acc)| {
                let id = *id;
                let mut total = Tally::default();
                let in_scope = scope.includes(Some(id).filter(|id| *id != NO_CSM));
                for (i, m) in acc.by_month.iter().enumerate() {
                    total.merge(m);
                    if in_scope {
                        by_month[i].merge(m);
                    }
                }
                if in_scope {
                    for (segment, tallies) in &acc.segments {
                        let at = match segments.iter().position(|(s, _)| s == segment) {
                            Some(at) => at,
                            None => {
                                segments.push((*segment, vec![Tally::default(); months.len()]));
                                segments.len() - 1
                            }
                        };
                        for (i, m) in tallies.iter().enumerate() {
                            segments[at].1[i].merge(m);
                        }
                    }
                    for month in &acc.step_ms {
                        for (all, mine) in step_ms.iter_mut().zip(month) {
                            all.extend_from_slice(mine);
                        }
                    }
                }
                let reuse = reuse_of(&acc.all_lines(), t);
                let (over_box, boxed_runs) = acc.over_box();
                CsmKpis {
                    csm_id: id,
                    name: names.get(&id).cloned().unwrap_or_else(|| {
                        if id == NO_CSM {
                            "(no CSM)".to_string()
                        } else {
                            format!("CSM #{}", id & 0xffff_ffff)
                        }
                    }),
                    total,
                    by_month: acc.by_month.clone(),
                    reuse,
                    over_box: ratio(over_box, boxed_runs),
                    flags: Vec::new(),
                }
            })
            .collect();
        by_csm.sort_by(|a, b| a.name.cmp(&b.name).then(a.csm_id.cmp(&b.csm_id)));
        let mut rates: Vec<f64> = by_csm
            .iter()
            .filter(|c| c.total.tagged >= t.escalation_min_tagged)
            .filter_map(|c| c.total.escalation_rate())
            .collect();
        let peers = rates.len();
        let median_rate = median_f64(&mut rates);
        for c in &mut by_csm {
            c.flags = flags(c, median_rate, peers, t);
        }
        by_csm.retain(|c| scope.includes(Some(c.csm_id).filter(|id| *id != NO_CSM)));
        let mut by_segment: Vec<SegmentKpis> = segments
            .into_iter()
            .map(|(segment, by_month)| {
                let mut total = Tally::default();
                by_month.iter().for_each(|m| total.merge(m));
                SegmentKpis {
                    segment,
                    total,
                    by_month,
                }
            })
            .collect();
        by_segment.sort_by_key(|s| s.segment);
        let mut total = Tally::default();
        by_month.iter().for_each(|m| total.merge(m));
        let steps = Step::ALL
            .iter()
            .zip(step_ms)
            .map(|(step, mut ms)| {
                let upper = step.time_box().map(|(_, u)| u * 1000);
                let over = upper.map(|u| ms.iter().filter(|v| **v > u).count() as u64);
                StepKpi {
                    step: *step,
                    runs: ms.len() as u64,
                    box_ms: upper,
                    over_box: over.and_then(|o| ratio(o, ms.len() as u64)),
                    median_ms: median(&mut ms),
                }
            })
            .collect();
        let reuse = by_csm.iter().fold(Reuse::default(), |mut acc, c| {
            acc.uses += c.reuse.uses;
            acc.repeated_uses += c.reuse.repeated_uses;
            acc.repeated_lines += c.reuse.repeated_lines;
            acc
        });
        Kpis {
            trend: direction(&by_month),
            months,
            total,
            by_month,
            by_csm,
            by_segment,
            steps,
            reuse,
            median_escalation: median_rate,
        }
    }
}

fn median_f64(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(|a, b| a.total_cmp(b));
    let mid = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    })
}

fn reuse_of(lines: &HashMap<&str, LineUse>, t: &Thresholds) -> Reuse {
    let mut r = Reuse::default();
    // The go-to line of each step: most uses, ties to the first key in order.
    let mut top: HashMap<u8, (&str, &LineUse)> = HashMap::new();
    for (key, line) in lines {
        r.uses += line.uses;
        let better = match top.get(&line.step) {
            None => true,
            Some((k, best)) => {
                (line.uses, std::cmp::Reverse(*key)) > (best.uses, std::cmp::Reverse(*k))
            }
        };
        if better {
            top.insert(line.step, (*key, line));
        }
    }
    for (_, line) in top.values() {
        if line.accounts.len() >= t.reuse_min_accounts
            && line.call_types.len() >= t.reuse_min_call_types
        {
            r.repeated_uses += line.uses;
            r.repeated_lines += 1;
        }
    }
    r
}

/// The flags of one CSM; `peers` is how many CSMs the team median was taken over.
fn flags(c: &CsmKpis, median_rate: Option<f64>, peers: usize, t: &Thresholds) -> Vec<Flag> {
    let mut out = Vec::new();
    let tally = &c.total;
    if tally.tagged >= t.escalation_min_tagged
        && let Some(rate) = tally.escalation_rate()
    {
        match median_rate {
            // Against the team: well above its median.
            Some(m) if peers >= 2 => {
                // (a hair of tolerance: 30% is 1.5× 20% even in floating point)
                if rate > m && rate + 1e-9 >= m * t.escalation_over_median {
                    out.push(Flag::HighEscalation {
                        rate,
                        median: Some(m),
                    });
                }
            }
            // Alone (a CSM is their own median): the absolute bar decides.
            _ => {
                if rate > t.escalation_absolute {
                    out.push(Flag::HighEscalation { rate, median: None });
                }
            }
        }
    }
    if c.reuse.uses >= t.reuse_min_uses
        && let Some(share) = c.reuse.share()
        && share >= t.reuse_share
    {
        out.push(Flag::RepeatedScripts { share });
    }
    if tally.simple.n >= t.csat_min_answers
        && tally.complex.n >= t.csat_min_answers
        && let (Some(simple), Some(complex)) = (tally.simple.mean(), tally.complex.mean())
        && simple >= t.csat_simple_at_least
        && simple - complex >= t.csat_spread
    {
        out.push(Flag::CsatSpread { simple, complex });
    }
    if tally.done >= t.tagging_min_done
        && let Some(share) = tally.completeness()
        && share < t.tagging_below
    {
        out.push(Flag::LowTagging { share });
    }
    out
}

/// Latest three months with sentiments against the three before them.
fn direction(by_month: &[Tally]) -> Direction {
    let balances: Vec<f64> = by_month.iter().filter_map(Tally::balance).collect();
    if balances.len() < 2 {
        return Direction::Unknown;
    }
    let recent_n = (balances.len() / 2).clamp(1, 3);
    let (before, recent) = balances.split_at(balances.len() - recent_n);
    let before = &before[before.len().saturating_sub(3)..];
    let avg = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let change = avg(recent) - avg(before);
    if change >= 0.05 {
        Direction::Improving
    } else if change <= -0.05 {
        Direction::Worsening
    } else {
        Direction::Steady
    }
}

// ---------------------------------------------------------------------------------------
// Output

/// Which way sentiment is heading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Improving,
    Steady,
    Worsening,
    /// Fewer than two months with sentiments.
    Unknown,
}

impl Direction {
    pub fn label(self) -> &'static str {
        match self {
            Direction::Improving => "↗ improving",
            Direction::Steady => "→ steady",
            Direction::Worsening => "↘ worsening",
            Direction::Unknown => "— not enough data",
        }
    }
}

/// Verbatim prompt reuse of a CSM (or everyone).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reuse {
    /// Prompts marked used.
    pub uses: u64,
    /// Of those, uses of repeated lines.
    pub repeated_uses: u64,
    /// Lines repeated verbatim across accounts and call types.
    pub repeated_lines: u64,
}

impl Reuse {
    pub fn share(&self) -> Option<f64> {
        ratio(self.repeated_uses, self.uses)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct CsmKpis {
    pub csm_id: i64,
    pub name: String,
    pub total: Tally,
    /// One per month of the window.
    pub by_month: Vec<Tally>,
    pub reuse: Reuse,
    /// Share of boxed checklist steps run past their time box.
    pub over_box: Option<f64>,
    pub flags: Vec<Flag>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SegmentKpis {
    pub segment: Segment,
    pub total: Tally,
    pub by_month: Vec<Tally>,
}

/// A checklist step's time against its box.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepKpi {
    pub step: Step,
    pub runs: u64,
    pub median_ms: Option<i64>,
    /// The upper end of the time box, where the step has one.
    pub box_ms: Option<i64>,
    /// Share of runs past the box.
    pub over_box: Option<f64>,
}

/// Everything the KPI screen and the report show.
#[derive(Debug, Clone, PartialEq)]
pub struct Kpis {
    pub months: Vec<Month>,
    pub total: Tally,
    pub by_month: Vec<Tally>,
    pub by_csm: Vec<CsmKpis>,
    pub by_segment: Vec<SegmentKpis>,
    pub steps: Vec<StepKpi>,
    pub reuse: Reuse,
    /// Median escalation rate over CSMs with enough tagged touches.
    pub median_escalation: Option<f64>,
    pub trend: Direction,
}

impl Kpis {
    /// "2025-12 to 2026-11": the months covered.
    pub fn span(&self) -> String {
        match (self.months.first(), self.months.last()) {
            (Some(a), Some(b)) => format!("{a} to {b}"),
            _ => String::new(),
        }
    }

    /// How many flags were raised across the CSMs.
    pub fn flag_count(&self) -> usize {
        self.by_csm.iter().map(|c| c.flags.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use RenewalResult::{Expanded, Lost, Renewed};

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn window() -> Window {
        Window::ending(d("2026-03-20"), 3)
    }

    fn run(facts: &[TouchFact<'_>], scope: Scope) -> Kpis {
        let mut acc = Accumulator::new(window());
        for f in facts {
            acc.push(f);
        }
        let names = HashMap::from([(1, "Ada".to_string()), (2, "Bo".to_string())]);
        acc.kpis(&scope, &names, &THRESHOLDS)
    }

    fn call(account: i64, csm: i64, day: &str) -> TouchFact<'static> {
        TouchFact {
            call_type: Some(CallType::CheckIn),
            ..TouchFact::new(account, csm, d(day), TouchKind::Call)
        }
    }

    fn tagged(mut t: TouchFact<'static>, i: Intervention) -> TouchFact<'static> {
        t.intervention = Some(i);
        t.sentiment = Some(Pulse::Yellow);
        t.followup_decided = true;
        t
    }

    #[test]
    fn months_and_windows() {
        let w = window();
        assert_eq!(
            w.first,
            Month {
                year: 2026,
                month: 1
            }
        );
        assert_eq!(w.months().len(), 3);
        let across = Window::ending(d("2026-02-01"), 3);
        assert_eq!(across.first.to_string(), "2025-12");
        assert_eq!(across.index(Month::of(d("2026-02-28"))), Some(2));
        assert_eq!(across.index(Month::of(d("2025-11-30"))), None);
        assert_eq!(Month::of(d("2025-12-31")).next().to_string(), "2026-01");
        assert_eq!(Window::ending(d("2026-02-01"), 0).months().len(), 1);
    }

    #[test]
    fn rates_divide_and_nothing_divides_by_zero() {
        let cases: [(u64, u64, Option<f64>); 4] = [
            (0, 0, None),
            (1, 4, Some(0.25)),
            (0, 3, Some(0.0)),
            (5, 5, Some(1.0)),
        ];
        for (num, den, want) in cases {
            assert_eq!(ratio(num, den), want, "{num}/{den}");
        }
        assert_eq!(pct(None), "—");
        assert_eq!(pct(Some(0.125)), "12%");
        assert_eq!(score(Some(4.25)), "4.2");
        assert_eq!(score(None), "—");
        let cases: [(&[i64], Option<i64>); 4] = [
            (&[], None),
            (&[5], Some(5)),
            (&[9, 1, 5], Some(5)),
            (&[4, 1, 3, 2], Some(2)),
        ];
        for (values, want) in cases {
            assert_eq!(median(&mut values.to_vec()), want, "{values:?}");
        }
    }

    #[test]
    fn escalation_rate_counts_tagged_touches_only() {
        let mut esc_flag = tagged(call(10, 1, "2026-01-05"), Intervention::Empathy);
        esc_flag.escalated = true;
        let facts = [
            tagged(call(10, 1, "2026-01-04"), Intervention::Escalation),
            esc_flag,
            tagged(call(10, 1, "2026-01-06"), Intervention::Coaching),
            tagged(
                TouchFact::new(10, 1, d("2026-01-07"), TouchKind::Email),
                Intervention::Empathy,
            ),
            // A note is never a tagged touch; an untagged call is not either.
            tagged(
                TouchFact::new(10, 1, d("2026-01-08"), TouchKind::Note),
                Intervention::Escalation,
            ),
            call(10, 1, "2026-01-09"),
        ];
        let k = run(&facts, Scope::all());
        assert_eq!((k.total.escalated, k.total.tagged), (2, 4));
        assert_eq!(k.total.escalation_rate(), Some(0.5));
        // January has the touches; February and March are empty, not zero.
        assert_eq!(k.by_month[0].escalation_rate(), Some(0.5));
        assert_eq!(k.by_month[1].escalation_rate(), None);
        assert_eq!(k.by_month[2], Tally::default());
    }

    #[test]
    fn touches_outside_the_window_or_scope_do_not_count() {
        let facts = [
            tagged(call(10, 1, "2025-12-31"), Intervention::Escalation),
            tagged(call(10, 1, "2026-04-01"), Intervention::Escalation),
            tagged(call(11, 2, "2026-02-01"), Intervention::Escalation),
            tagged(call(12, 1, "2026-02-01"), Intervention::Empathy),
        ];
        let k = run(&facts, Scope::of([1]));
        assert_eq!((k.total.escalated, k.total.tagged), (0, 1));
        assert_eq!(k.by_csm.len(), 1);
        assert_eq!(k.by_csm[0].name, "Ada");
    }

    #[test]
    fn csat_after_remediation_follows_a_fix_for_30_days_on_the_same_account() {
        let with = |mut t: TouchFact<'static>, csat: u8| {
            t.csat = Some(csat);
            t
        };
        let facts = [
            // Account 10: a product fix (CSAT 2 counts itself), then 3 within 30 days,
            // then 5 after 31 days (does not count).
            with(
                tagged(call(10, 1, "2026-01-01"), Intervention::ProductFix),
                2,
            ),
            with(call(10, 1, "2026-01-31"), 3),
            with(call(10, 1, "2026-03-03"), 5),
            // Account 11: a fix on account 10 does not carry over.
            with(call(11, 1, "2026-01-02"), 1),
        ];
        let k = run(&facts, Scope::all());
        assert_eq!(k.total.remediation, Mean { sum: 5, n: 2 });
        assert_eq!(k.total.remediation.mean(), Some(2.5));
        // A remedy before the window still counts for CSAT inside it.
        let facts = [
            tagged(call(10, 1, "2025-12-20"), Intervention::Escalation),
            with(call(10, 1, "2026-01-10"), 4),
        ];
        assert_eq!(
            run(&facts, Scope::all()).total.remediation.mean(),
            Some(4.0)
        );
    }

    #[test]
    fn csat_simple_and_complex() {
        let mut facts = Vec::new();
        for (call_type, escalated, csat) in [
            (CallType::CheckIn, false, 5),
            (CallType::Onboarding, false, 4),
            (CallType::CheckIn, true, 2),
            (CallType::Escalation, false, 1),
            (CallType::Renewal, false, 3),
            (CallType::Qbr, false, 5),
        ] {
            let mut t = call(10, 1, "2026-02-02");
            t.call_type = Some(call_type);
            t.escalated = escalated;
            t.csat = Some(csat);
            facts.push(t);
        }
        let k = run(&facts, Scope::all());
        assert_eq!(k.total.simple, Mean { sum: 9, n: 2 });
        assert_eq!(k.total.complex, Mean { sum: 6, n: 3 });
    }

    #[test]
    fn renewals_of_coached_and_not_coached_accounts() {
        let renewal = |account: i64, day: &str, r: RenewalResult| {
            let mut t = call(account, 1, day);
            t.renewal = Some(r);
            t
        };
        let checklist = |account: i64, day: &str| {
            let mut t = call(account, 1, day);
            t.steps = Some([Some(45_000), Some(120_000), Some(400_000), None, None, None]);
            t
        };
        let facts = [
            // Coached: a checklist call 11 months before; renewed and expanded.
            checklist(10, "2025-03-01"),
            renewal(10, "2026-02-01", Expanded),
            // Coached too, lost.
            checklist(11, "2026-01-01"),
            renewal(11, "2026-01-20", Lost),
            // Checklist call more than a year before: not coached.
            checklist(12, "2024-12-01"),
            renewal(12, "2026-01-15", Renewed),
            // A checklist call after the result does not coach it.
            renewal(13, "2026-01-15", Lost),
            checklist(13, "2026-01-16"),
            renewal(14, "2026-03-01", Renewed),
        ];
        let k = run(&facts, Scope::all());
        assert_eq!(
            k.total.coached,
            Cohort {
                retained: 1,
                lost: 1
            }
        );
        assert_eq!(
            k.total.not_coached,
            Cohort {
                retained: 2,
                lost: 1
            }
        );
        assert_eq!(k.total.coached.rate(), Some(0.5));
        assert_eq!(k.total.renewals().n(), 5);
        assert_eq!(Cohort::default().rate(), None);
        // Step times: only runs inside the window count (accounts 11 and 13's calls).
        let assess = &k.steps[0];
        assert_eq!((assess.runs, assess.median_ms), (2, Some(45_000)));
        let clarify = &k.steps[2];
        assert_eq!(clarify.over_box, Some(1.0));
        assert_eq!(k.steps[3].runs, 0);
        assert_eq!(k.steps[3].box_ms, None);
    }

    #[test]
    fn tagging_completeness_and_sentiment_trend() {
        let mut facts = Vec::new();
        // January: 2 red; February: yellow; March: 2 green; one untagged touch in March.
        for (day, pulse) in [
            ("2026-01-05", Pulse::Red),
            ("2026-01-06", Pulse::Red),
            ("2026-02-05", Pulse::Yellow),
            ("2026-03-05", Pulse::Green),
            ("2026-03-06", Pulse::Green),
        ] {
            let mut t = tagged(call(10, 1, day), Intervention::Empathy);
            t.sentiment = Some(pulse);
            facts.push(t);
        }
        let mut half = call(10, 1, "2026-03-07");
        half.sentiment = Some(Pulse::Green);
        facts.push(half);
        let mut open = call(10, 1, "2026-03-08");
        open.status = TouchStatus::InProgress;
        facts.push(open);
        let k = run(&facts, Scope::all());
        assert_eq!((k.total.complete, k.total.done), (5, 6));
        assert_eq!(
            (k.by_month[0].red, k.by_month[1].yellow, k.by_month[2].green),
            (2, 1, 3)
        );
        assert_eq!(k.trend, Direction::Improving);
        assert_eq!(direction(&[Tally::default()]), Direction::Unknown);
        let flat = Tally {
            yellow: 1,
            ..Tally::default()
        };
        assert_eq!(direction(&[flat, flat, flat]), Direction::Steady);
    }

    #[test]
    fn prompt_reuse_counts_go_to_lines_repeated_across_accounts_and_call_types() {
        let mut facts = Vec::new();
        const SAME: &[(u8, &str)] = &[(2, "mirror.their_words")];
        const FITTED: &[(u8, &str)] = &[(3, "clarify.renewal_outcomes")];
        const VARIED: [&[(u8, &str)]; 4] = [
            &[(2, "mirror.friction")],
            &[(2, "mirror.escalation_own")],
            &[(2, "mirror.green_progress")],
            &[(2, "mirror.renewal_doubt")],
        ];
        let call_types = [
            CallType::CheckIn,
            CallType::Escalation,
            CallType::CheckIn,
            CallType::Renewal,
        ];
        // Ada says the same line on 4 accounts in 3 call types; once something fitted.
        for (account, call_type) in (10..).zip(call_types) {
            let mut t = call(account, 1, "2026-02-10");
            t.call_type = Some(call_type);
            t.prompts_used = SAME;
            facts.push(t);
        }
        let mut t = call(14, 1, "2026-02-11");
        t.call_type = Some(CallType::Renewal);
        t.prompts_used = FITTED;
        facts.push(t);
        // Bo uses a line on three accounts, all renewals: fitted to the context.
        for account in [20, 21, 22] {
            let mut t = call(account, 2, "2026-02-12");
            t.call_type = Some(CallType::Renewal);
            t.prompts_used = FITTED;
            facts.push(t);
        }
        // Cy picks a different line for each call: no go-to line repeats.
        for ((account, call_type), used) in (30..).zip(call_types).zip(VARIED) {
            let mut t = call(account, 3, "2026-02-13");
            t.call_type = Some(call_type);
            t.prompts_used = used;
            facts.push(t);
        }
        let k = run(&facts, Scope::all());
        let ada = &k.by_csm[0].reuse;
        assert_eq!((ada.uses, ada.repeated_uses, ada.repeated_lines), (5, 4, 1));
        assert_eq!(ada.share(), Some(0.8));
        assert_eq!(k.by_csm[1].reuse.share(), Some(0.0));
        assert_eq!(k.by_csm[2].reuse.share(), Some(0.0));
        assert_eq!(k.reuse.uses, 12);
    }

    fn csm_with(tally: Tally, reuse: Reuse) -> CsmKpis {
        CsmKpis {
            csm_id: 1,
            name: "Ada".into(),
            total: tally,
            by_month: vec![tally],
            reuse,
            over_box: None,
            flags: Vec::new(),
        }
    }

    #[test]
    fn flags_fire_at_their_thresholds() {
        let t = &THRESHOLDS;
        let base = Tally {
            tagged: 40,
            escalated: 4,
            done: 40,
            complete: 40,
            ..Tally::default()
        };
        // (tally, reuse, team median, expected flag titles)
        let high_esc = Tally {
            escalated: 12,
            ..base
        };
        let spread = Tally {
            simple: Mean { sum: 45, n: 10 },
            complex: Mean { sum: 15, n: 5 },
            ..base
        };
        let close_spread = Tally {
            simple: Mean { sum: 45, n: 10 },
            complex: Mean { sum: 16, n: 5 },
            ..base
        };
        let untagged = Tally {
            complete: 31,
            ..base
        };
        let few = Tally {
            tagged: 10,
            escalated: 9,
            done: 10,
            complete: 1,
            ..Tally::default()
        };
        let scripted = Reuse {
            uses: 20,
            repeated_uses: 10,
            repeated_lines: 2,
        };
        let varied = Reuse {
            uses: 20,
            repeated_uses: 9,
            repeated_lines: 2,
        };
        // (tally, reuse, team median, CSMs in the median, expected flag titles)
        type Case = (Tally, Reuse, Option<f64>, usize, Vec<&'static str>);
        let cases: Vec<Case> = vec![
            (base, varied, Some(0.1), 3, vec![]),
            // 30% against a 10% median: 3× the median.
            (high_esc, varied, Some(0.1), 3, vec!["high escalation rate"]),
            // 30% against a 20% median: exactly 1.5× flags.
            (high_esc, varied, Some(0.2), 3, vec!["high escalation rate"]),
            (high_esc, varied, Some(0.25), 3, vec![]),
            // Alone in the file: the CSM is the median, the absolute bar (25%) decides.
            (high_esc, varied, Some(0.3), 1, vec!["high escalation rate"]),
            (base, varied, Some(0.1), 1, vec![]),
            (
                base,
                scripted,
                Some(0.1),
                3,
                vec!["repeated verbatim scripts"],
            ),
            (spread, varied, Some(0.1), 3, vec!["poor CSAT variance"]),
            (close_spread, varied, Some(0.1), 3, vec![]),
            (
                untagged,
                varied,
                Some(0.1),
                3,
                vec!["low sentiment-field usage"],
            ),
            // Too few touches to judge anything.
            (few, scripted_small(), Some(0.1), 3, vec![]),
        ];
        for (i, (tally, reuse, median, peers, want)) in cases.into_iter().enumerate() {
            let got: Vec<&str> = flags(&csm_with(tally, reuse), median, peers, t)
                .iter()
                .map(Flag::title)
                .collect();
            assert_eq!(got, want, "case {i}");
        }
        let text = Flag::HighEscalation {
            rate: 0.3,
            median: Some(0.1),
        }
        .detail(t);
        assert_eq!(
            text,
            "escalation rate 30% vs team median 10% (flag at 1.5× the median)"
        );
    }

    fn scripted_small() -> Reuse {
        Reuse {
            uses: 5,
            repeated_uses: 5,
            repeated_lines: 1,
        }
    }

    #[test]
    fn the_team_median_flags_the_outlier() {
        let mut facts = Vec::new();
        // Ada escalates 10 of 20, Bo 2 of 20.
        for i in 0..20 {
            let day = "2026-02-01";
            let i_a = if i < 10 {
                Intervention::Escalation
            } else {
                Intervention::Empathy
            };
            let i_b = if i < 2 {
                Intervention::Escalation
            } else {
                Intervention::Empathy
            };
            facts.push(tagged(call(100 + i, 1, day), i_a));
            facts.push(tagged(call(200 + i, 2, day), i_b));
        }
        let k = run(&facts, Scope::all());
        // The median of two rates (50% and 10%) is 30%; 50% is past 1.5× 30%.
        assert_eq!(k.median_escalation, Some(0.3));
        assert_eq!(
            k.by_csm[0].flags,
            vec![Flag::HighEscalation {
                rate: 0.5,
                median: Some(0.3)
            }]
        );
        assert!(k.by_csm[1].flags.is_empty());
        assert_eq!(k.flag_count(), 1);
    }

    #[test]
    fn two_halves_merged_give_the_same_kpis_as_one_pass() {
        let mut facts = Vec::new();
        const LINE: &[(u8, &str)] = &[(2, "mirror.their_words")];
        for account in 0..12i64 {
            for (n, day) in ["2026-01-10", "2026-02-10", "2026-03-10"]
                .iter()
                .enumerate()
            {
                let mut t = tagged(
                    call(account, 1 + account % 3, day),
                    if (account + n as i64) % 4 == 0 {
                        Intervention::Escalation
                    } else {
                        Intervention::Empathy
                    },
                );
                t.csat = Some(1 + ((account as u8 + n as u8) % 5));
                t.segment =
                    [Segment::Smb, Segment::MidMarket, Segment::Enterprise][(account % 3) as usize];
                if n == 0 {
                    t.steps = Some([Some(40_000), Some(70_000 * account), None, None, None, None]);
                    t.prompts_used = LINE;
                }
                if n == 2 {
                    t.renewal = Some(if account % 5 == 0 { Lost } else { Renewed });
                }
                facts.push(t);
            }
        }
        let names = HashMap::new();
        let mut one = Accumulator::new(window());
        facts.iter().for_each(|f| one.push(f));
        let mut low = Accumulator::new(window());
        let mut high = Accumulator::new(window());
        for f in &facts {
            if f.account_id < 5 {
                low.push(f);
            } else {
                high.push(f);
            }
        }
        low.merge(high);
        for scope in [Scope::all(), Scope::of([2])] {
            let mut a = one.kpis(&scope, &names, &THRESHOLDS);
            let mut b = low.kpis(&scope, &names, &THRESHOLDS);
            a.by_segment.sort_by_key(|s| s.segment);
            b.by_segment.sort_by_key(|s| s.segment);
            assert_eq!(a, b);
        }
    }

    #[test]
    fn an_empty_file_has_no_rates_and_no_flags() {
        let k = run(&[], Scope::all());
        assert_eq!(k.months.len(), 3);
        assert_eq!(k.total.escalation_rate(), None);
        assert_eq!(k.total.remediation.mean(), None);
        assert!(k.by_csm.is_empty() && k.by_segment.is_empty());
        assert_eq!(k.median_escalation, None);
        assert_eq!(k.trend, Direction::Unknown);
        assert!(k.steps.iter().all(|s| s.median_ms.is_none()));
    }
}
