//! Account risk: a score a CSM can check by hand.
//!
//! Every reason adds points; the score is their sum, capped at 100. The reasons are kept,
//! largest first, so the account screen can say exactly why an account is at risk.
//! The model is described in README.md ("How risk is scored"); keep the two in step.

use super::coverage::{self, Finding, PersonaTie};
use super::model::{Pulse, Role};
use super::text::count_of;

/// Days after which a CSM sentiment score is stale unless configured otherwise.
pub const DEFAULT_STALE_AFTER_DAYS: i64 = 14;

/// Everything risk depends on, already reduced to plain numbers by the store.
#[derive(Debug, Clone, Default)]
pub struct RiskInputs {
    /// Latest CSM sentiment and the one before it.
    pub pulse: Option<Pulse>,
    pub previous_pulse: Option<Pulse>,
    /// Days since the latest CSM sentiment was set.
    pub pulse_age_days: Option<i64>,
    pub stale_after_days: i64,
    /// Active personas.
    pub personas: Vec<PersonaTie>,
    /// Negative when the renewal date has passed.
    pub days_to_renewal: Option<i64>,
    /// Latest NPS (0–10) and the one before.
    pub nps: Option<f64>,
    pub previous_nps: Option<f64>,
    /// Latest CSAT (1–5).
    pub csat: Option<f64>,
    pub open_tickets: Option<i64>,
    /// Usage change in percent over the last period (e.g. -25.0).
    pub usage_trend_pct: Option<f64>,
    /// Competitor mentions in the last 90 days.
    pub competitor_mentions_90d: i64,
    pub days_since_last_touch: Option<i64>,
    pub overdue_followups: i64,
}

/// One reason an account is at risk, with the points it adds.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RiskReason {
    pub points: u32,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskBand {
    Low,
    Medium,
    High,
    Critical,
}

impl RiskBand {
    pub fn of(score: u32) -> RiskBand {
        match score {
            0..=24 => RiskBand::Low,
            25..=49 => RiskBand::Medium,
            50..=74 => RiskBand::High,
            _ => RiskBand::Critical,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            RiskBand::Low => "Low",
            RiskBand::Medium => "Medium",
            RiskBand::High => "High",
            RiskBand::Critical => "Critical",
        }
    }
}

/// The lowest score that counts as "at risk" in filters and the value-at-risk total.
pub const AT_RISK_SCORE: u32 = 50;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Risk {
    pub score: u32,
    pub band: RiskBand,
    pub reasons: Vec<RiskReason>,
}

impl Risk {
    pub fn is_at_risk(&self) -> bool {
        self.score >= AT_RISK_SCORE
    }
}

/// What sets an account's place in the risk order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AtStake<'a> {
    pub score: u32,
    /// Cents a year.
    pub contract_value: i64,
    pub renewal_date: Option<chrono::NaiveDate>,
    pub name: &'a str,
}

/// The risk order, worst first: many accounts saturate at 100, so ties are broken by
/// what is at stake: larger contract value first, then the sooner renewal (none last),
/// then the name. The portfolio walks the same order on `accounts.risk_rank` (schema V8),
/// where the last tie goes by id instead of the name.
pub fn riskiest_first(a: &AtStake<'_>, b: &AtStake<'_>) -> std::cmp::Ordering {
    let renewal = |d: Option<chrono::NaiveDate>| d.unwrap_or(chrono::NaiveDate::MAX);
    b.score
        .cmp(&a.score)
        .then(b.contract_value.cmp(&a.contract_value))
        .then(renewal(a.renewal_date).cmp(&renewal(b.renewal_date)))
        .then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase()))
}

/// Scores an account. Pure: the same inputs always give the same risk.
pub fn assess(inputs: &RiskInputs) -> Risk {
    let mut reasons = Vec::new();
    let mut add = |points: u32, text: String| reasons.push(RiskReason { points, text });

    pulse_reasons(inputs, &mut add);
    persona_reasons(&inputs.personas, &mut add);
    renewal_reasons(inputs.days_to_renewal, &mut add);
    signal_reasons(inputs, &mut add);
    engagement_reasons(inputs, &mut add);

    reasons.sort_by_key(|r| std::cmp::Reverse(r.points));
    let score = reasons.iter().map(|r| r.points).sum::<u32>().min(100);
    Risk {
        score,
        band: RiskBand::of(score),
        reasons,
    }
}

fn pulse_reasons(i: &RiskInputs, add: &mut impl FnMut(u32, String)) {
    match i.pulse {
        Some(Pulse::Red) => add(30, "CSM sentiment is Red".into()),
        Some(Pulse::Yellow) => add(15, "CSM sentiment is Yellow".into()),
        Some(Pulse::Green) => {}
        None => add(10, "No CSM sentiment recorded".into()),
    }
    if let (Some(now), Some(before)) = (i.pulse, i.previous_pulse)
        && now.health() < before.health()
    {
        add(5, format!("CSM sentiment dropped from {before} to {now}"));
    }
    if let Some(age) = i.pulse_age_days
        && age > i.stale_after_days
    {
        add(
            8,
            format!("CSM sentiment is stale ({} old)", count_of(age, "day")),
        );
    }
}

fn persona_reasons(ties: &[PersonaTie], add: &mut impl FnMut(u32, String)) {
    for finding in coverage::findings(ties) {
        let points = match &finding {
            Finding::NoPersonas => 20,
            Finding::MissingRole(Role::EconomicBuyer) | Finding::MissingRole(Role::Champion) => 10,
            Finding::MissingRole(_) => 4,
            Finding::NegativeKeyPersona(Role::ExecutiveSponsor) => 10,
            Finding::NegativeKeyPersona(_) => 15,
            Finding::NoStrongTie(_) => 10,
            Finding::SingleThreaded => 12,
            Finding::ExecutiveSponsorNeverContacted => 4,
            Finding::InfluentialDetractor => 8,
        };
        add(points, finding.describe());
    }
}

fn renewal_reasons(days: Option<i64>, add: &mut impl FnMut(u32, String)) {
    match days {
        Some(d) if d < 0 => add(
            15,
            format!("Renewal date passed {} ago", count_of(-d, "day")),
        ),
        Some(0) => add(12, "Renews today".into()),
        Some(d) if d <= 30 => add(12, format!("Renews in {}", count_of(d, "day"))),
        Some(d) if d <= 90 => add(8, format!("Renews in {}", count_of(d, "day"))),
        Some(d) if d <= 180 => add(3, format!("Renews in {}", count_of(d, "day"))),
        _ => {}
    }
}

fn signal_reasons(i: &RiskInputs, add: &mut impl FnMut(u32, String)) {
    if let Some(nps) = i.nps {
        if nps <= 6.0 {
            add(8, format!("NPS {nps:.0} (detractor)"));
        }
        if let Some(before) = i.previous_nps
            && before - nps >= 2.0
        {
            add(5, format!("NPS fell from {before:.0} to {nps:.0}"));
        }
    }
    if let Some(csat) = i.csat
        && csat < 3.5
    {
        add(5, format!("CSAT {csat:.1} of 5"));
    }
    match i.open_tickets {
        Some(n) if n >= 5 => add(8, format!("{n} open tickets")),
        Some(n) if n >= 2 => add(3, format!("{n} open tickets")),
        _ => {}
    }
    match i.usage_trend_pct {
        Some(t) if t <= -20.0 => add(10, format!("Usage down {:.0}%", -t)),
        Some(t) if t <= -5.0 => add(4, format!("Usage down {:.0}%", -t)),
        _ => {}
    }
    if i.competitor_mentions_90d > 0 {
        let n = i.competitor_mentions_90d;
        add(8, format!("Competitor mentioned {n}× in 90 days"));
    }
}

fn engagement_reasons(i: &RiskInputs, add: &mut impl FnMut(u32, String)) {
    match i.days_since_last_touch {
        Some(d) if d > 90 => add(10, format!("No touch in {d} days")),
        Some(d) if d > 60 => add(6, format!("No touch in {d} days")),
        None => add(10, "Never touched".into()),
        _ => {}
    }
    if i.overdue_followups > 0 {
        let n = i.overdue_followups;
        let s = if n == 1 { "" } else { "s" };
        add(5, format!("{n} overdue follow-up{s}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saturated_scores_are_ordered_by_what_is_at_stake() {
        let day = |d| chrono::NaiveDate::from_ymd_opt(2027, 1, d);
        let at = |score, contract_value, renewal_date, name| AtStake {
            score,
            contract_value,
            renewal_date,
            name,
        };
        let mut book = [
            at(100, 10_000, day(20), "small late"),
            at(90, 900_000, day(1), "lower score"),
            at(100, 500_000, None, "big no renewal"),
            at(100, 500_000, day(5), "big soon"),
            at(100, 500_000, day(25), "big later"),
            at(100, 10_000, day(20), "Also small late"),
        ];
        book.sort_by(riskiest_first);
        let names: Vec<&str> = book.iter().map(|a| a.name).collect();
        assert_eq!(
            names,
            [
                "big soon",
                "big later",
                "big no renewal",
                "Also small late",
                "small late",
                "lower score"
            ]
        );
    }
    use crate::domain::model::{Sentiment, Strength};

    fn tie(role: Role, strength: Strength, sentiment: Sentiment) -> PersonaTie {
        PersonaTie {
            role,
            strength,
            sentiment,
            contacted: true,
        }
    }

    /// A well-covered, green, recently touched account far from renewal.
    fn healthy() -> RiskInputs {
        RiskInputs {
            pulse: Some(Pulse::Green),
            previous_pulse: Some(Pulse::Green),
            pulse_age_days: Some(3),
            stale_after_days: DEFAULT_STALE_AFTER_DAYS,
            personas: vec![
                tie(Role::Champion, Strength::VeryGood, Sentiment::Positive),
                tie(Role::EconomicBuyer, Strength::Okay, Sentiment::Neutral),
                tie(Role::ExecutiveSponsor, Strength::Weak, Sentiment::Positive),
            ],
            days_to_renewal: Some(300),
            nps: Some(9.0),
            previous_nps: Some(9.0),
            csat: Some(4.6),
            open_tickets: Some(0),
            usage_trend_pct: Some(3.0),
            competitor_mentions_90d: 0,
            days_since_last_touch: Some(10),
            overdue_followups: 0,
        }
    }

    #[test]
    fn healthy_account_scores_zero() {
        let risk = assess(&healthy());
        assert_eq!((risk.score, risk.band), (0, RiskBand::Low));
        assert!(risk.reasons.is_empty());
    }

    #[test]
    fn each_factor_adds_its_points() {
        type Tweak = fn(&mut RiskInputs);
        let cases: Vec<(&str, Tweak, u32, &str)> = vec![
            (
                "red",
                |i| i.pulse = Some(Pulse::Red),
                35,
                "CSM sentiment is Red",
            ),
            (
                "yellow",
                |i| i.pulse = Some(Pulse::Yellow),
                20,
                "CSM sentiment is Yellow",
            ),
            (
                "no pulse",
                |i| i.pulse = None,
                10,
                "No CSM sentiment recorded",
            ),
            (
                "stale",
                |i| i.pulse_age_days = Some(15),
                8,
                "CSM sentiment is stale (15 days old)",
            ),
            ("not yet stale", |i| i.pulse_age_days = Some(14), 0, ""),
            (
                "renewal passed",
                |i| i.days_to_renewal = Some(-3),
                15,
                "Renewal date passed 3 days ago",
            ),
            (
                "renewal in 30",
                |i| i.days_to_renewal = Some(30),
                12,
                "Renews in 30 days",
            ),
            (
                "renewal in 90",
                |i| i.days_to_renewal = Some(90),
                8,
                "Renews in 90 days",
            ),
            (
                "renewal in 180",
                |i| i.days_to_renewal = Some(180),
                3,
                "Renews in 180 days",
            ),
            (
                "nps detractor",
                |i| i.nps = Some(5.0),
                13,
                "NPS 5 (detractor)",
            ),
            ("csat low", |i| i.csat = Some(3.2), 5, "CSAT 3.2 of 5"),
            (
                "tickets 5",
                |i| i.open_tickets = Some(5),
                8,
                "5 open tickets",
            ),
            (
                "tickets 2",
                |i| i.open_tickets = Some(2),
                3,
                "2 open tickets",
            ),
            (
                "usage -25",
                |i| i.usage_trend_pct = Some(-25.0),
                10,
                "Usage down 25%",
            ),
            (
                "usage -6",
                |i| i.usage_trend_pct = Some(-6.0),
                4,
                "Usage down 6%",
            ),
            (
                "competitor",
                |i| i.competitor_mentions_90d = 2,
                8,
                "Competitor mentioned 2× in 90 days",
            ),
            (
                "quiet 61",
                |i| i.days_since_last_touch = Some(61),
                6,
                "No touch in 61 days",
            ),
            (
                "quiet 91",
                |i| i.days_since_last_touch = Some(91),
                10,
                "No touch in 91 days",
            ),
            (
                "never touched",
                |i| i.days_since_last_touch = None,
                10,
                "Never touched",
            ),
            (
                "overdue",
                |i| i.overdue_followups = 2,
                5,
                "2 overdue follow-ups",
            ),
            (
                "no personas",
                |i| i.personas.clear(),
                20,
                "No personas mapped yet",
            ),
            (
                "negative champion",
                |i| i.personas[0].sentiment = Sentiment::Negative,
                15,
                "Champion is negative",
            ),
            (
                "cold economic buyer",
                |i| i.personas[1].strength = Strength::Weak,
                22,
                "Single-threaded: at most one persona at Okay or better",
            ),
        ];
        for (name, tweak, points, top_reason) in cases {
            let mut inputs = healthy();
            tweak(&mut inputs);
            let risk = assess(&inputs);
            assert_eq!(risk.score, points, "case {name}: {:?}", risk.reasons);
            if points > 0 {
                assert!(
                    risk.reasons.iter().any(|r| r.text == top_reason),
                    "case {name}: {:?}",
                    risk.reasons
                );
            }
        }
    }

    #[test]
    fn score_is_capped_and_reasons_sorted() {
        let inputs = RiskInputs {
            pulse: Some(Pulse::Red),
            previous_pulse: Some(Pulse::Green),
            pulse_age_days: Some(40),
            stale_after_days: 14,
            personas: vec![tie(Role::Detractor, Strength::Weak, Sentiment::Negative)],
            days_to_renewal: Some(10),
            nps: Some(2.0),
            previous_nps: Some(8.0),
            csat: Some(2.0),
            open_tickets: Some(9),
            usage_trend_pct: Some(-40.0),
            competitor_mentions_90d: 3,
            days_since_last_touch: Some(120),
            overdue_followups: 1,
        };
        let risk = assess(&inputs);
        assert_eq!((risk.score, risk.band), (100, RiskBand::Critical));
        assert!(risk.reasons.windows(2).all(|w| w[0].points >= w[1].points));
        assert_eq!(risk.reasons[0].text, "CSM sentiment is Red");
    }

    #[test]
    fn bands() {
        let table = [
            (0, RiskBand::Low),
            (24, RiskBand::Low),
            (25, RiskBand::Medium),
            (50, RiskBand::High),
            (75, RiskBand::Critical),
        ];
        for (score, band) in table {
            assert_eq!(RiskBand::of(score), band, "score {score}");
        }
    }
}
