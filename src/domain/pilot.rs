//! The pilot of coaching and its return: the ROI arithmetic, the honest comparison of a
//! pilot group with its control group, the matching of a control group, and OKRs.
//!
//! Pure: no SQL, no screen, no clock (a `today` is passed in). Money is whole cents,
//! churn reductions are basis points (1/100 of a percent) so the seed's example is exact.

use chrono::NaiveDate;

use crate::domain::audit::Quarter;
use crate::domain::model::Segment;
use crate::domain::money;

// ---------------------------------------------------------------------------------------
// ROI

/// The seed's price bands of EI training, per person (US market, 2026).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Band {
    SelfPaced,
    VirtualCohort,
    Onsite,
}

impl Band {
    pub const ALL: [Band; 3] = [Band::SelfPaced, Band::VirtualCohort, Band::Onsite];

    /// The band's range per person, in cents, both ends included.
    pub fn range_cents(self) -> (i64, i64) {
        match self {
            Band::SelfPaced => (5_000, 15_000),
            Band::VirtualCohort => (40_000, 120_000),
            Band::Onsite => (150_000, 600_000),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Band::SelfPaced => "self-paced microlearning",
            Band::VirtualCohort => "virtual instructor-led cohort",
            Band::Onsite => "onsite immersive workshop",
        }
    }

    /// The band a cost per person falls in, if any (the bands leave gaps).
    pub fn of(cost_cents: i64) -> Option<Band> {
        Band::ALL.into_iter().find(|b| {
            let (lo, hi) = b.range_cents();
            (lo..=hi).contains(&cost_cents)
        })
    }
}

/// A churn reduction in basis points: a point estimate (`low == high`) or a range, such
/// as a pilot's measured difference with its interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reduction {
    pub low_bp: i64,
    pub high_bp: i64,
}

impl Reduction {
    pub fn point(bp: i64) -> Reduction {
        Reduction {
            low_bp: bp,
            high_bp: bp,
        }
    }

    pub fn is_range(self) -> bool {
        self.low_bp != self.high_bp
    }

    /// Reads `3`, `3%`, `2.5`, or a range `2-4` / `2%–4%` (percent, up to two decimals).
    pub fn parse(text: &str) -> Result<Reduction, String> {
        let t = text.trim().replace('–', "-");
        let bad = || {
            format!(
                "'{text}' is not a churn reduction; expected a percent such as 3 or a range such as 2-4"
            )
        };
        let (lo, hi) = match t.split_once('-') {
            Some((a, b)) if !a.trim().is_empty() => (
                percent_bp(a).ok_or_else(bad)?,
                percent_bp(b).ok_or_else(bad)?,
            ),
            Some(_) => return Err(format!("'{text}': a churn reduction cannot be negative")),
            None => {
                let p = percent_bp(&t).ok_or_else(bad)?;
                (p, p)
            }
        };
        if lo > hi {
            return Err(format!(
                "'{text}': the range's low end is above its high end"
            ));
        }
        if hi > 10_000 {
            return Err(format!("'{text}': a churn reduction is at most 100%"));
        }
        Ok(Reduction {
            low_bp: lo,
            high_bp: hi,
        })
    }
}

/// "2.5%" → 250 basis points; no more than two decimals.
fn percent_bp(text: &str) -> Option<i64> {
    let t = text.trim().trim_end_matches('%').trim();
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    if (whole.is_empty() && frac.is_empty()) || frac.len() > 2 {
        return None;
    }
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !digits(frac) || whole.len() > 5 {
        return None;
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let frac: i64 = format!("{frac:0<2}").parse().ok()?;
    Some(whole * 100 + frac)
}

/// The largest amount `parse_dollars` takes: $10 trillion, as the import's contract values.
pub const MAX_DOLLARS_CENTS: i64 = 1_000_000_000_000_000;

/// Reads `50000`, `$50,000`, `50k`, `1.5M`, `2000.50` as cents; more than zero.
pub fn parse_dollars(text: &str) -> Result<i64, String> {
    let bad =
        || format!("'{text}' is not an amount in dollars; expected e.g. 50000, $50,000 or 50k");
    let t: String = text
        .trim()
        .trim_start_matches('$')
        .chars()
        .filter(|c| *c != ',' && *c != '_')
        .collect();
    let lower = t.to_ascii_lowercase();
    let (num, scale) = match lower.strip_suffix('k') {
        Some(n) => (n, 1_000),
        None => match lower.strip_suffix('m') {
            Some(n) => (n, 1_000_000),
            None => (lower.as_str(), 1),
        },
    };
    let (whole, frac) = num.split_once('.').unwrap_or((num, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(frac) || frac.len() > 6 || whole.len() > 15 {
        return Err(bad());
    }
    let whole: i128 = whole.parse().map_err(|_| bad())?;
    // The fraction in millionths, scaled then rounded to cents.
    let micro: i128 = format!("{frac:0<6}").parse().map_err(|_| bad())?;
    let cents = (whole * 1_000_000 + micro) * scale / 10_000;
    if cents <= 0 {
        return Err(format!("'{text}': the amount must be more than $0"));
    }
    if cents > i128::from(MAX_DOLLARS_CENTS) {
        return Err(format!("'{text}': more than $10 trillion"));
    }
    i64::try_from(cents).map_err(|_| bad())
}

/// What the ROI is computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoiInputs {
    /// Annual contract value per at-risk account.
    pub acv_cents: i64,
    pub churn_reduction: Reduction,
    pub at_risk_accounts: u32,
    pub cost_per_person_cents: i64,
    /// People trained; without it there is no cost, net or ROI, only what the recovered
    /// revenue pays for.
    pub people: Option<u32>,
}

/// The outcome at one churn reduction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RoiOutcome {
    pub reduction_bp: i64,
    /// ACV × churn reduction × at-risk accounts.
    pub recovered_cents: i64,
    /// floor(recovered / cost per person): the people the recovered revenue pays for.
    pub pays_for_people: Option<u64>,
    pub cost_cents: Option<i64>,
    pub net_cents: Option<i64>,
    /// net / cost, in percent.
    pub roi_pct: Option<f64>,
    /// The churn reduction (basis points) at which recovered revenue equals the cost.
    pub break_even_bp: Option<f64>,
}

/// The outcomes at the low and high ends of the churn reduction (equal for a point).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RoiResult {
    pub low: RoiOutcome,
    pub high: RoiOutcome,
}

impl RoiInputs {
    pub fn compute(&self) -> RoiResult {
        RoiResult {
            low: self.at(self.churn_reduction.low_bp),
            high: self.at(self.churn_reduction.high_bp),
        }
    }

    fn at(&self, bp: i64) -> RoiOutcome {
        let base = i128::from(self.acv_cents) * i128::from(self.at_risk_accounts);
        let recovered = clamp_i64(base.saturating_mul(i128::from(bp)) / 10_000);
        let per_person = self.cost_per_person_cents;
        let pays_for_people = (per_person > 0).then(|| (recovered.max(0) / per_person) as u64);
        let cost = self
            .people
            .map(|p| clamp_i64(i128::from(per_person) * i128::from(p)));
        let net = cost.map(|c| recovered.saturating_sub(c));
        let roi_pct = match (net, cost) {
            (Some(n), Some(c)) if c > 0 => Some(n as f64 / c as f64 * 100.0),
            _ => None,
        };
        let break_even_bp = match cost {
            Some(c) if base > 0 => Some(c as f64 * 10_000.0 / base as f64),
            _ => None,
        };
        RoiOutcome {
            reduction_bp: bp,
            recovered_cents: recovered,
            pays_for_people,
            cost_cents: cost,
            net_cents: net,
            roi_pct,
            break_even_bp,
        }
    }
}

fn clamp_i64(v: i128) -> i64 {
    i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX })
}

/// "3%", "2.5%", "0.75%".
pub fn show_bp(bp: f64) -> String {
    let pct = bp / 100.0;
    if pct > 0.0 && pct < 0.005 {
        return "<0.01%".into();
    }
    let s = format!("{pct:.2}");
    format!("{}%", s.trim_end_matches('0').trim_end_matches('.'))
}

/// `attuned roi`'s report: the inputs, then the outcome (each end of a range).
pub fn roi_markdown(inputs: &RoiInputs, result: &RoiResult) -> String {
    let r = inputs.churn_reduction;
    let reduction = if r.is_range() {
        format!("{}–{}", show_bp(r.low_bp as f64), show_bp(r.high_bp as f64))
    } else {
        show_bp(r.low_bp as f64)
    };
    let band = Band::of(inputs.cost_per_person_cents)
        .map(|b| format!(" ({})", b.label()))
        .unwrap_or_default();
    let mut out = String::from("# ROI of coaching\n\n");
    out += &format!(
        "- ACV per at-risk account: {}\n",
        money::full(inputs.acv_cents)
    );
    out += &format!("- Churn reduction: {reduction}\n");
    out += &format!(
        "- At-risk accounts: {}\n",
        money::grouped(u64::from(inputs.at_risk_accounts))
    );
    out += &format!(
        "- Cost per person: {}{band}\n",
        money::full(inputs.cost_per_person_cents)
    );
    if let Some(p) = inputs.people {
        out += &format!("- People trained: {}\n", money::grouped(u64::from(p)));
    }
    out += "\n";
    let ends: &[(&str, &RoiOutcome)] = if r.is_range() {
        &[
            ("At the low end", &result.low),
            ("At the high end", &result.high),
        ]
    } else {
        &[("Outcome", &result.low)]
    };
    for (i, (title, o)) in ends.iter().enumerate() {
        if i > 0 {
            out += "\n";
        }
        out += &format!("## {title} ({})\n\n", show_bp(o.reduction_bp as f64));
        out += &outcome_lines(o);
    }
    out += "\n";
    out += &break_even_line(inputs, result);
    out
}

/// The churn reduction the cost needs, and whether the range reaches it; without
/// people trained, how to get the cost, net and ROI.
fn break_even_line(inputs: &RoiInputs, result: &RoiResult) -> String {
    let (Some(cost), Some(bp)) = (result.low.cost_cents, result.low.break_even_bp) else {
        return "Add --people N for the cost, net and ROI.\n".into();
    };
    let r = inputs.churn_reduction;
    let verdict = if (r.high_bp as f64) < bp {
        "not reached"
    } else if (r.low_bp as f64) >= bp {
        "reached"
    } else {
        "inside the range: it may or may not pay off"
    };
    format!(
        "Break-even churn reduction for {}: {} ({verdict}).\n",
        money::full(cost),
        show_bp(bp)
    )
}

fn outcome_lines(o: &RoiOutcome) -> String {
    let mut out = format!("- Recovered revenue: {}\n", money::full(o.recovered_cents));
    if let (Some(cost), Some(net)) = (o.cost_cents, o.net_cents) {
        out += &format!("- Cost: {}\n", money::full(cost));
        out += &format!("- Net: {}\n", money::full(net));
        if let Some(roi) = o.roi_pct {
            out += &format!("- ROI: {roi:.0}%\n");
        }
    }
    if let Some(p) = o.pays_for_people {
        out += &format!(
            "- Break-even: pays for {} {} within one renewal cycle\n",
            money::grouped(p),
            if p == 1 { "person" } else { "people" }
        );
    }
    out
}

/// One segment and tier's case for training.
#[derive(Debug, Clone, PartialEq)]
pub struct InvestRow {
    pub segment: Segment,
    pub tier: u8,
    pub at_risk_accounts: u32,
    pub mean_acv_cents: i64,
    /// The share of that revenue coaching could keep, in basis points.
    pub churn_impact_bp: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Invest,
    Hold,
}

/// The seed's rule, per row: invest where ACV × potential churn impact (over the row's
/// at-risk accounts) > the training cost; hold otherwise. Returns the value at stake.
pub fn invest_rule(rows: &[InvestRow], training_cost_cents: i64) -> Vec<(i64, Decision)> {
    rows.iter()
        .map(|r| {
            let at_stake = clamp_i64(
                (i128::from(r.mean_acv_cents) * i128::from(r.at_risk_accounts))
                    .saturating_mul(i128::from(r.churn_impact_bp))
                    / 10_000,
            );
            let d = if at_stake > training_cost_cents {
                Decision::Invest
            } else {
                Decision::Hold
            };
            (at_stake, d)
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// The result, honestly: proportions with their uncertainty

/// z for a two-sided 95% interval.
pub const Z95: f64 = 1.959964;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
}

/// k successes of n (e.g. renewals of accounts up for renewal).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Proportion {
    pub k: u32,
    pub n: u32,
}

impl Proportion {
    pub fn rate(self) -> Option<f64> {
        (self.n > 0).then(|| f64::from(self.k.min(self.n)) / f64::from(self.n))
    }

    /// Wilson's score interval (95%): unlike p ± z·se it stays inside [0, 1] and is not
    /// zero-width at 0/n or n/n, which matters with 10 accounts a group.
    pub fn wilson(self) -> Option<Interval> {
        let p = self.rate()?;
        let n = f64::from(self.n);
        let z2 = Z95 * Z95;
        let denom = 1.0 + z2 / n;
        let centre = (p + z2 / (2.0 * n)) / denom;
        let half = Z95 / denom * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
        // At 0/n and n/n the bound is exactly 0 or 1; rounding would leave 0.9999999.
        Some(Interval {
            low: if self.k == 0 {
                0.0
            } else {
                (centre - half).max(0.0)
            },
            high: if self.k >= self.n {
                1.0
            } else {
                (centre + half).min(1.0)
            },
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    PilotAhead,
    ControlAhead,
    NotYetConclusive,
}

impl Verdict {
    pub fn label(self) -> &'static str {
        match self {
            Verdict::PilotAhead => "pilot ahead",
            Verdict::ControlAhead => "control ahead",
            Verdict::NotYetConclusive => "not yet conclusive",
        }
    }
}

/// The pilot's rate minus the control's, with its 95% interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Difference {
    pub pilot: Proportion,
    pub control: Proportion,
    pub estimate: f64,
    pub interval: Interval,
    pub verdict: Verdict,
}

/// Newcombe's hybrid score interval (1998, method 10) for p1 − p2, built from each
/// group's Wilson interval [l, u]:
///   low  = d − √((p1 − l1)² + (u2 − p2)²)
///   high = d + √((u1 − p1)² + (p2 − l2)²)
/// It keeps good coverage at small n, where the textbook Wald interval is far too narrow.
/// "Not yet conclusive" when the interval reaches zero. None while a group has no n.
pub fn difference(pilot: Proportion, control: Proportion) -> Option<Difference> {
    let (p1, p2) = (pilot.rate()?, control.rate()?);
    let (w1, w2) = (pilot.wilson()?, control.wilson()?);
    let d = p1 - p2;
    let low = d - ((p1 - w1.low).powi(2) + (w2.high - p2).powi(2)).sqrt();
    let high = d + ((w1.high - p1).powi(2) + (p2 - w2.low).powi(2)).sqrt();
    let verdict = if low > 0.0 {
        Verdict::PilotAhead
    } else if high < 0.0 {
        Verdict::ControlAhead
    } else {
        Verdict::NotYetConclusive
    };
    Some(Difference {
        pilot,
        control,
        estimate: d,
        interval: Interval { low, high },
        verdict,
    })
}

impl Difference {
    /// "+20.0 pts [+5.2, +33.4] (n 70 vs 80): pilot ahead".
    pub fn summary(&self) -> String {
        format!(
            "{:+.1} pts [{:+.1}, {:+.1}] (n {} vs {}): {}",
            self.estimate * 100.0,
            self.interval.low * 100.0,
            self.interval.high * 100.0,
            self.pilot.n,
            self.control.n,
            self.verdict.label()
        )
    }
}

// ---------------------------------------------------------------------------------------
// Control-group matching

/// An account as the matching sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct PilotCandidate {
    pub id: i64,
    pub segment: Segment,
    pub tier: u8,
    pub contract_cents: i64,
    /// 0..=100, as `domain::risk`.
    pub risk: u8,
    /// Already coached: never a control.
    pub coached: bool,
}

/// A pilot account and its control (None when its segment had no candidate left).
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    pub pilot: i64,
    pub control: Option<i64>,
    pub same_tier: bool,
    /// 0 for a twin, 1 for opposite ends of the accounts given on both contract value and
    /// risk (None without a control).
    pub distance: Option<f64>,
}

/// ln of the contract value in dollars (+1 so $0 is 0): a $50k account is as far from a
/// $100k one as a $500k one is from $1M.
fn log_value(cents: i64) -> f64 {
    (cents.max(0) as f64 / 100.0 + 1.0).ln()
}

/// For each pilot account (riskiest first, ties by id) the nearest un-coached candidate
/// of the same segment not yet used: same tier first, then the distance on log contract
/// value and risk, each normalised by its spread over all accounts given (ties by id).
/// Greedy, so the riskiest pilot accounts get the best twins; deterministic.
pub fn match_control(pilots: &[PilotCandidate], candidates: &[PilotCandidate]) -> Vec<Match> {
    let all = || pilots.iter().chain(candidates);
    let spread = |f: &dyn Fn(&PilotCandidate) -> f64| {
        let (lo, hi) = all()
            .map(f)
            .fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
        if hi > lo { hi - lo } else { 1.0 }
    };
    let value_spread = spread(&|a| log_value(a.contract_cents));
    let risk_spread = spread(&|a| f64::from(a.risk));
    let distance = |a: &PilotCandidate, b: &PilotCandidate| {
        let dv = (log_value(a.contract_cents) - log_value(b.contract_cents)) / value_spread;
        let dr = (f64::from(a.risk) - f64::from(b.risk)) / risk_spread;
        (dv * dv + dr * dr).sqrt() / std::f64::consts::SQRT_2
    };
    let pilot_ids: std::collections::HashSet<i64> = pilots.iter().map(|p| p.id).collect();
    let mut used = std::collections::HashSet::new();
    let mut order: Vec<&PilotCandidate> = pilots.iter().collect();
    order.sort_by(|a, b| b.risk.cmp(&a.risk).then(a.id.cmp(&b.id)));
    order
        .into_iter()
        .map(|p| {
            let best = candidates
                .iter()
                .filter(|c| !c.coached && c.segment == p.segment)
                .filter(|c| !pilot_ids.contains(&c.id) && !used.contains(&c.id))
                .map(|c| (c.tier != p.tier, distance(p, c), c.id))
                .min_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)).then(a.2.cmp(&b.2)));
            match best {
                Some((other_tier, d, id)) => {
                    used.insert(id);
                    Match {
                        pilot: p.id,
                        control: Some(id),
                        same_tier: !other_tier,
                        distance: Some(d),
                    }
                }
                None => Match {
                    pilot: p.id,
                    control: None,
                    same_tier: false,
                    distance: None,
                },
            }
        })
        .collect()
}

/// The n riskiest accounts (ties: the larger contract, then the lower id): the seed's
/// "8–12 at-risk accounts" for a pilot.
pub fn suggest_pilot(accounts: &[PilotCandidate], n: usize) -> Vec<i64> {
    let mut sorted: Vec<&PilotCandidate> = accounts.iter().collect();
    sorted.sort_by(|a, b| {
        b.risk
            .cmp(&a.risk)
            .then(b.contract_cents.cmp(&a.contract_cents))
            .then(a.id.cmp(&b.id))
    });
    sorted.into_iter().take(n).map(|a| a.id).collect()
}

// ---------------------------------------------------------------------------------------
// OKRs

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// Percent of renewals kept.
    RenewalRate,
    /// Mean CSAT (1–5) after an escalation or product fix.
    CsatAfterRemediation,
    /// Percent of tagged touches escalated.
    EscalationRate,
    /// Percent of conversations fully tagged.
    TaggingCompleteness,
}

impl Metric {
    pub fn label(self) -> &'static str {
        match self {
            Metric::RenewalRate => "renewal rate",
            Metric::CsatAfterRemediation => "CSAT after remediation",
            Metric::EscalationRate => "escalation rate",
            Metric::TaggingCompleteness => "tagging completeness",
        }
    }
}

/// Which accounts an objective covers; every field unset is the whole file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OkrScope {
    pub tier: Option<u8>,
    pub segment: Option<Segment>,
    /// A team lead's name, as typed.
    pub team: Option<String>,
    /// A CSM's name, as typed.
    pub csm: Option<String>,
}

/// How far to move the metric: by some points, or to a level.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Change {
    /// Signed, in the metric's unit (percentage points, or CSAT points).
    By(f64),
    To(f64),
}

/// An objective as the lead wrote it, before the baseline is read from the data.
#[derive(Debug, Clone, PartialEq)]
pub struct Objective {
    pub metric: Metric,
    pub scope: OkrScope,
    pub change: Change,
    /// The last day of the period named.
    pub deadline: NaiveDate,
}

/// An objective with its baseline: what progress is measured against.
#[derive(Debug, Clone, PartialEq)]
pub struct Okr {
    pub metric: Metric,
    pub scope: OkrScope,
    pub baseline: f64,
    pub target: f64,
    pub deadline: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OkrError {
    #[error("the objective names no {0}")]
    Missing(&'static str),
}

impl Objective {
    pub fn with_baseline(&self, baseline: f64) -> Okr {
        let target = match self.change {
            Change::By(d) => baseline + d,
            Change::To(t) => t,
        };
        Okr {
            metric: self.metric,
            scope: self.scope.clone(),
            baseline,
            target,
            deadline: self.deadline,
        }
    }
}

impl Okr {
    /// The share of the way from baseline to target, 0..=1 (going the wrong way is 0).
    pub fn progress(&self, current: f64) -> f64 {
        let span = self.target - self.baseline;
        if span == 0.0 {
            return if current == self.target { 1.0 } else { 0.0 };
        }
        ((current - self.baseline) / span).clamp(0.0, 1.0)
    }
}

const RAISE: &[&str] = &["increase", "raise", "improve", "grow", "lift", "boost"];
const LOWER: &[&str] = &["reduce", "decrease", "lower", "cut", "drop", "lessen"];

/// Reads the seed's form, forgivingly: "Increase renewal rate for Tier 1 accounts by 4%
/// through adaptive EI coaching by Q3" → renewal rate, tier 1, +4 points, the end of Q3.
/// Also "reduce escalation rate for enterprise by 5 points by Q4 2027", "… to 90% …",
/// "for team Ana", "for CSM Bo", "by 2027-03-31". A quarter without a year is the next
/// one of that name not yet over at `today`. An error says which part is missing.
pub fn parse_objective(text: &str, today: NaiveDate) -> Result<Objective, OkrError> {
    let lower = text.to_lowercase().replace(['"', '“', '”', ',', ';'], " ");
    let words: Vec<&str> = lower.split_whitespace().collect();
    let has = |w: &str| words.iter().any(|x| x.trim_end_matches('.') == w);
    let sign = if RAISE.iter().any(|w| has(w)) {
        1.0
    } else if LOWER.iter().any(|w| has(w)) {
        -1.0
    } else {
        return Err(OkrError::Missing("direction (increase or reduce)"));
    };
    let metric = if lower.contains("renewal") || lower.contains("retention") {
        Metric::RenewalRate
    } else if lower.contains("csat") || lower.contains("satisfaction") {
        Metric::CsatAfterRemediation
    } else if lower.contains("escalation") {
        Metric::EscalationRate
    } else if lower.contains("tagging") || lower.contains("tag ") {
        Metric::TaggingCompleteness
    } else {
        return Err(OkrError::Missing(
            "metric (renewal rate, CSAT after remediation, escalation rate or tagging completeness)",
        ));
    };
    let change = amount(&words, sign).ok_or(OkrError::Missing("amount (e.g. by 4% or to 90%)"))?;
    let deadline = deadline(&words, today)
        .ok_or(OkrError::Missing("deadline (e.g. by Q3 or by 2027-03-31)"))?;
    Ok(Objective {
        metric,
        scope: scope(&words),
        change,
        deadline,
    })
}

/// A number after "by" (a change) or "to" (a level): "4%", "4", "0.5", "4 points".
fn amount(words: &[&str], sign: f64) -> Option<Change> {
    words.windows(2).find_map(|w| {
        let n: f64 = w[1].trim_end_matches(['%', '.']).parse().ok()?;
        if !n.is_finite() || n < 0.0 {
            return None;
        }
        match w[0] {
            "by" => Some(Change::By(sign * n)),
            "to" => Some(Change::To(n)),
            _ => None,
        }
    })
}

/// The end of the quarter or the date after the last "by" that names one.
fn deadline(words: &[&str], today: NaiveDate) -> Option<NaiveDate> {
    words.iter().enumerate().rev().find_map(|(i, w)| {
        let w = w.trim_end_matches('.');
        if let Ok(d) = NaiveDate::parse_from_str(w, "%Y-%m-%d") {
            return Some(d);
        }
        let next = words
            .get(i + 1)
            .map(|n| n.trim_end_matches('.'))
            .unwrap_or("");
        let with_year = format!("{w}{next}");
        if let Some(q) = Quarter::parse(&with_year).filter(|_| next.len() == 4) {
            return Some(last_day(q));
        }
        if let Some(q) = Quarter::parse(w) {
            return Some(last_day(q));
        }
        let qn = w
            .strip_prefix('q')
            .filter(|r| r.len() == 1)?
            .parse::<u8>()
            .ok()?;
        let mut q = Quarter::parse(&format!("{}Q{qn}", Quarter::of(today).year))?;
        if last_day(q) < today {
            q = Quarter {
                year: q.year + 1,
                ..q
            };
        }
        Some(last_day(q))
    })
}

fn last_day(q: Quarter) -> NaiveDate {
    q.end_exclusive().pred_opt().unwrap_or(q.start())
}

fn scope(words: &[&str]) -> OkrScope {
    let mut s = OkrScope::default();
    let clean = |w: &str| {
        let w = w.trim_end_matches('.');
        w.strip_suffix("'s").unwrap_or(w).to_string()
    };
    for (i, w) in words.iter().enumerate() {
        let next = words.get(i + 1).copied().unwrap_or("");
        match *w {
            "tier" => {
                s.tier = next
                    .trim_end_matches('.')
                    .parse()
                    .ok()
                    .filter(|t| (1..=3).contains(t))
            }
            "t1" | "t2" | "t3" => s.tier = w[1..].parse().ok(),
            "enterprise" => s.segment = Some(Segment::Enterprise),
            "smb" => s.segment = Some(Segment::Smb),
            "mid-market" | "mid_market" | "midmarket" => s.segment = Some(Segment::MidMarket),
            "mid" if next.starts_with("market") => s.segment = Some(Segment::MidMarket),
            "team" if !next.is_empty() => s.team = Some(clean(next)),
            "csm" if !next.is_empty() && next != "by" => s.csm = Some(clean(next)),
            _ => {}
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed_example(people: Option<u32>) -> RoiInputs {
        RoiInputs {
            acv_cents: 5_000_000,
            churn_reduction: Reduction::point(300),
            at_risk_accounts: 50,
            cost_per_person_cents: 200_000,
            people,
        }
    }

    #[test]
    fn the_seeds_roi_example_comes_out_exactly() {
        let r = seed_example(None).compute();
        assert_eq!(r.low, r.high);
        assert_eq!(r.low.recovered_cents, 7_500_000); // $75,000
        assert_eq!(r.low.pays_for_people, Some(37)); // 37.5 → 37
        assert_eq!(r.low.cost_cents, None);
        assert_eq!(r.low.roi_pct, None);

        let r = seed_example(Some(30)).compute().low;
        assert_eq!(r.cost_cents, Some(6_000_000));
        assert_eq!(r.net_cents, Some(1_500_000));
        assert_eq!(r.roi_pct, Some(25.0));
        // $60,000 / ($50,000 × 50) = 2.4%.
        assert!((r.break_even_bp.unwrap() - 240.0).abs() < 1e-9);
    }

    #[test]
    fn a_range_of_reductions_gives_a_range_of_outcomes() {
        let mut i = seed_example(Some(40));
        i.churn_reduction = Reduction::parse("2-4").unwrap();
        let r = i.compute();
        assert_eq!(r.low.recovered_cents, 5_000_000);
        assert_eq!(r.high.recovered_cents, 10_000_000);
        assert_eq!(r.low.net_cents, Some(-3_000_000));
        assert_eq!(r.high.net_cents, Some(2_000_000));
        assert_eq!(r.low.roi_pct, Some(-37.5));
        let md = roi_markdown(&i, &r);
        assert!(md.contains("Churn reduction: 2%–4%"), "{md}");
        assert!(
            md.contains("At the low end (2%)") && md.contains("At the high end (4%)"),
            "{md}"
        );
        assert!(md.contains("Net: -$30,000"), "{md}");
        assert!(
            md.ends_with("for $80,000: 3.2% (inside the range: it may or may not pay off).\n"),
            "{md}"
        );
    }

    #[test]
    fn huge_inputs_saturate_instead_of_overflowing() {
        let r = RoiInputs {
            acv_cents: MAX_DOLLARS_CENTS,
            churn_reduction: Reduction::point(10_000),
            at_risk_accounts: u32::MAX,
            cost_per_person_cents: 1,
            people: Some(u32::MAX),
        }
        .compute();
        assert_eq!(r.low.recovered_cents, i64::MAX);
        assert!(r.low.roi_pct.unwrap().is_finite());
    }

    #[test]
    fn reductions_and_dollars_parse_forgivingly_and_refuse_nonsense() {
        assert_eq!(Reduction::parse("3"), Ok(Reduction::point(300)));
        assert_eq!(Reduction::parse(" 2.5% "), Ok(Reduction::point(250)));
        assert_eq!(Reduction::parse(".75"), Ok(Reduction::point(75)));
        assert_eq!(
            Reduction::parse("2%–4%").map(|r| (r.low_bp, r.high_bp)),
            Ok((200, 400))
        );
        for bad in ["", "-3", "4-2", "abc", "101", "1.234", "3-", "NaN", "1e3"] {
            assert!(Reduction::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_dollars("50000"), Ok(5_000_000));
        assert_eq!(parse_dollars("$50,000"), Ok(5_000_000));
        assert_eq!(parse_dollars("50k"), Ok(5_000_000));
        assert_eq!(parse_dollars("1.5M"), Ok(150_000_000));
        assert_eq!(parse_dollars("2000.50"), Ok(200_050));
        for bad in ["", "0", "-5", "$", "1e6", "ten", "20000000000000", "1.2.3"] {
            assert!(parse_dollars(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_seeds_price_bands() {
        assert_eq!(Band::of(10_000), Some(Band::SelfPaced));
        assert_eq!(Band::of(200_000), Some(Band::Onsite));
        assert_eq!(Band::of(120_000), Some(Band::VirtualCohort));
        assert_eq!(Band::of(130_000), None);
    }

    #[test]
    fn invest_where_acv_times_churn_impact_beats_the_training_cost() {
        let row = |segment, tier, n, acv, bp| InvestRow {
            segment,
            tier,
            at_risk_accounts: n,
            mean_acv_cents: acv,
            churn_impact_bp: bp,
        };
        let rows = [
            row(Segment::Enterprise, 1, 50, 5_000_000, 300), // $75,000 at stake
            row(Segment::Smb, 3, 40, 500_000, 300),          // $6,000
            row(Segment::MidMarket, 2, 10, 2_000_000, 250),  // $5,000: equal is not more
        ];
        let got = invest_rule(&rows, 500_000);
        assert_eq!(
            got,
            vec![
                (7_500_000, Decision::Invest),
                (600_000, Decision::Invest),
                (500_000, Decision::Hold)
            ]
        );
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 5e-4
    }

    #[test]
    fn wilson_intervals_match_published_values() {
        let w = Proportion { k: 8, n: 10 }.wilson().unwrap();
        assert!(close(w.low, 0.4902) && close(w.high, 0.9433), "{w:?}");
        // Newcombe (1998), table I: 0/10 → [0, 0.2775]; 10/10 → [0.7225, 1].
        let w = Proportion { k: 0, n: 10 }.wilson().unwrap();
        assert!(w.low == 0.0 && close(w.high, 0.2775), "{w:?}");
        let w = Proportion { k: 10, n: 10 }.wilson().unwrap();
        assert!(close(w.low, 0.7225) && w.high == 1.0, "{w:?}");
        assert_eq!(Proportion { k: 0, n: 0 }.wilson(), None);
    }

    #[test]
    fn newcombes_difference_matches_his_paper_and_says_when_it_is_not_conclusive() {
        // Newcombe (1998), example (a): 56/70 − 48/80 = 0.2, method 10: 0.0524 to 0.3339.
        let d = difference(Proportion { k: 56, n: 70 }, Proportion { k: 48, n: 80 }).unwrap();
        assert!(close(d.estimate, 0.2));
        assert!(
            close(d.interval.low, 0.0524) && close(d.interval.high, 0.3339),
            "{d:?}"
        );
        assert_eq!(d.verdict, Verdict::PilotAhead);
        assert!(
            d.summary()
                .starts_with("+20.0 pts [+5.2, +33.4] (n 70 vs 80)"),
            "{}",
            d.summary()
        );
        // 0/10 against 10/10 is clearly the control ahead.
        let d = difference(Proportion { k: 0, n: 10 }, Proportion { k: 10, n: 10 }).unwrap();
        assert_eq!(d.verdict, Verdict::ControlAhead);
        // 10 accounts a group: 9 renewals against 7 is 20 points, and not yet conclusive.
        let d = difference(Proportion { k: 9, n: 10 }, Proportion { k: 7, n: 10 }).unwrap();
        assert_eq!(d.verdict, Verdict::NotYetConclusive);
        assert!(d.interval.low < 0.0 && d.interval.high > 0.0);
        assert!(difference(Proportion { k: 1, n: 1 }, Proportion { k: 0, n: 0 }).is_none());
    }

    fn acct(
        id: i64,
        segment: Segment,
        tier: u8,
        dollars: i64,
        risk: u8,
        coached: bool,
    ) -> PilotCandidate {
        PilotCandidate {
            id,
            segment,
            tier,
            contract_cents: dollars * 100,
            risk,
            coached,
        }
    }

    #[test]
    fn controls_are_matched_on_segment_then_tier_then_value_and_risk() {
        use Segment::*;
        let pilots = [
            acct(1, Enterprise, 1, 100_000, 80, true),
            acct(2, Enterprise, 1, 100_000, 90, true),
            acct(3, Smb, 3, 5_000, 60, true),
        ];
        let candidates = [
            acct(10, Enterprise, 1, 100_000, 85, false), // the twin of both 1 and 2
            acct(11, Enterprise, 1, 90_000, 70, false),
            acct(12, Enterprise, 2, 100_000, 90, false), // exact but another tier
            acct(13, Enterprise, 1, 100_000, 90, true),  // exact but coached
            acct(14, MidMarket, 3, 5_000, 60, false),    // another segment
            acct(2, Enterprise, 1, 100_000, 90, false),  // a pilot account itself
        ];
        let m = match_control(&pilots, &candidates);
        // Riskiest first: 2 takes 10, 1 gets the next best of its tier, 3 finds none.
        assert_eq!(
            m.iter().map(|m| (m.pilot, m.control)).collect::<Vec<_>>(),
            vec![(2, Some(10)), (1, Some(11)), (3, None)]
        );
        assert!(m[0].same_tier && m[0].distance < m[1].distance);
        assert!((0.0..=1.0).contains(&m[1].distance.unwrap()));
        // Ties between equally good candidates go to the lower id, every time.
        let twins = [
            acct(21, Smb, 3, 5_000, 60, false),
            acct(20, Smb, 3, 5_000, 60, false),
        ];
        let m = match_control(&pilots[2..], &twins);
        assert_eq!(m[0].control, Some(20));
        assert_eq!(m[0].distance, Some(0.0));
        // With no same-tier candidate left, another tier is better than none.
        let m = match_control(&pilots[..1], &candidates[2..3]);
        assert_eq!((m[0].control, m[0].same_tier), (Some(12), false));
    }

    #[test]
    fn suggested_pilots_are_the_riskiest_then_the_largest() {
        use Segment::*;
        let accounts = [
            acct(1, Smb, 3, 5_000, 40, false),
            acct(2, Enterprise, 1, 200_000, 90, false),
            acct(3, Enterprise, 1, 100_000, 90, false),
            acct(4, Enterprise, 1, 200_000, 90, false),
        ];
        assert_eq!(suggest_pilot(&accounts, 3), vec![2, 4, 3]);
        assert_eq!(suggest_pilot(&accounts, 10).len(), 4);
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn the_seeds_okr_reads_as_renewal_rate_tier_1_plus_4_points_by_the_end_of_q3() {
        let text =
            "Increase renewal rate for Tier 1 accounts by 4% through adaptive EI coaching by Q3.";
        let o = parse_objective(text, day(2026, 5, 10)).unwrap();
        assert_eq!(o.metric, Metric::RenewalRate);
        assert_eq!(
            o.scope,
            OkrScope {
                tier: Some(1),
                ..OkrScope::default()
            }
        );
        assert_eq!(o.change, Change::By(4.0));
        assert_eq!(o.deadline, day(2026, 9, 30));
        // Written after Q3 is over, it means next year's.
        assert_eq!(
            parse_objective(text, day(2026, 12, 3)).unwrap().deadline,
            day(2027, 9, 30)
        );

        let okr = o.with_baseline(82.0);
        assert_eq!(okr.target, 86.0);
        assert_eq!(okr.progress(82.0), 0.0);
        assert_eq!(okr.progress(85.0), 0.75);
        assert_eq!(okr.progress(90.0), 1.0);
        assert_eq!(okr.progress(80.0), 0.0);
    }

    #[test]
    fn other_objectives_read_forgivingly() {
        let today = day(2026, 12, 3);
        let o = parse_objective(
            "reduce escalation rate for enterprise by 5 points by Q4 2027",
            today,
        )
        .unwrap();
        assert_eq!(
            (o.metric, o.change, o.deadline),
            (Metric::EscalationRate, Change::By(-5.0), day(2027, 12, 31))
        );
        assert_eq!(o.scope.segment, Some(Segment::Enterprise));
        let okr = o.with_baseline(20.0);
        assert_eq!(okr.progress(17.5), 0.5);

        let o = parse_objective(
            "Improve tagging completeness for team Ana to 90% by 2027-03-31",
            today,
        )
        .unwrap();
        assert_eq!(
            (o.metric, o.change),
            (Metric::TaggingCompleteness, Change::To(90.0))
        );
        assert_eq!(
            (o.scope.team.as_deref(), o.deadline),
            (Some("ana"), day(2027, 3, 31))
        );

        let o = parse_objective(
            "raise CSAT after remediation for mid market by 0.5 by 2027Q2",
            today,
        )
        .unwrap();
        assert_eq!(
            (o.metric, o.change),
            (Metric::CsatAfterRemediation, Change::By(0.5))
        );
        assert_eq!(
            (o.scope.segment, o.deadline),
            (Some(Segment::MidMarket), day(2027, 6, 30))
        );
    }

    #[test]
    fn an_objective_it_cannot_read_says_which_part_is_missing() {
        let today = day(2026, 12, 3);
        let missing = |t: &str| match parse_objective(t, today) {
            Err(OkrError::Missing(what)) => what,
            Ok(o) => panic!("read {o:?}"),
        };
        assert!(missing("renewal rate for tier 1 by 4% by Q3").starts_with("direction"));
        assert!(missing("increase happiness by 4% by Q3").starts_with("metric"));
        assert!(missing("increase renewal rate by Q3").starts_with("amount"));
        assert!(missing("increase renewal rate by 4%").starts_with("deadline"));
        assert!(missing("").starts_with("direction"));
        let long = "increase ".repeat(10_000);
        assert!(parse_objective(&long, today).is_err());
    }
}
