//! Adaptability audits: a team lead draws a reproducible random sample of each CSM's
//! touches per quarter (ten by default, as the coaching guide suggests), scores each on the
//! 1–5 adaptability rubric and the six pillars of a positive experience, and reads the
//! scores beside the CSM's renewal and expansion outcomes.
//!
//! Everything here is pure: the store hands in candidate touch ids and existing audits,
//! and writes back the plan.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::outcome::RenewalResult;

/// How many touches are drawn per CSM and quarter unless told otherwise.
pub const DEFAULT_PER_CSM: usize = 10;

/// A calendar quarter, written `2026Q4`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quarter {
    pub year: i32,
    /// 1..=4.
    pub q: u8,
}

impl Quarter {
    /// The quarter `day` falls in.
    pub fn of(day: NaiveDate) -> Quarter {
        Quarter {
            year: day.year(),
            q: (day.month0() / 3 + 1) as u8,
        }
    }

    /// Reads `2026Q4` (also `2026q4`, `2026-Q4`, `Q4 2026`).
    pub fn parse(text: &str) -> Option<Quarter> {
        let t = text.trim().to_ascii_uppercase().replace(['-', ' '], "");
        let (year, q) = if let Some(rest) = t.strip_prefix('Q') {
            let q = rest.get(..1)?;
            (rest.get(1..)?, q)
        } else {
            let (y, q) = t.split_once('Q')?;
            (y, q)
        };
        let year: i32 = year.parse().ok()?;
        let q: u8 = q.parse().ok()?;
        ((1..=4).contains(&q) && (1000..=9999).contains(&year)).then_some(Quarter { year, q })
    }

    /// The first day of the quarter.
    pub fn start(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, u32::from(self.q) * 3 - 2, 1).unwrap_or_default()
    }

    /// The first day after the quarter.
    pub fn end_exclusive(self) -> NaiveDate {
        self.next().start()
    }

    pub fn next(self) -> Quarter {
        if self.q == 4 {
            Quarter {
                year: self.year + 1,
                q: 1,
            }
        } else {
            Quarter {
                q: self.q + 1,
                ..self
            }
        }
    }

    pub fn prev(self) -> Quarter {
        if self.q == 1 {
            Quarter {
                year: self.year - 1,
                q: 4,
            }
        } else {
            Quarter {
                q: self.q - 1,
                ..self
            }
        }
    }

    /// The seed a quarter's first draw uses unless one is given: the quarter itself
    /// (`2026Q4` → 20264), so anyone can reproduce the sample from the file alone.
    pub fn default_seed(self) -> u64 {
        (self.year.max(0) as u64) * 10 + u64::from(self.q)
    }
}

impl fmt::Display for Quarter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}Q{}", self.year, self.q)
    }
}

/// One level of the adaptability rubric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Level {
    pub score: u8,
    pub name: &'static str,
    pub descriptor: &'static str,
}

/// The 1–5 adaptability rubric, lowest first.
pub const RUBRIC: [Level; 5] = [
    Level {
        score: 1,
        name: "Scripted",
        descriptor: "Reads scripts verbatim regardless of context",
    },
    Level {
        score: 2,
        name: "Prompted",
        descriptor: "Uses prompts with light changes; misses cues about the person's state",
    },
    Level {
        score: 3,
        name: "Noticing",
        descriptor: "Notices the customer's state and adjusts some words; the plan stays generic",
    },
    Level {
        score: 4,
        name: "Adapting",
        descriptor: "Adapts words and pace to the person; the plan is mostly tailored",
    },
    Level {
        score: 5,
        name: "Attuned",
        descriptor: "Adapts tone, words and plan to the person and moment",
    },
];

/// The rubric level of a score, if it is one.
pub fn level(score: u8) -> Option<&'static Level> {
    RUBRIC.iter().find(|l| l.score == score)
}

/// The six pillars of a positive customer experience, scored 1–5 on each audit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pillar {
    Personalization,
    Integrity,
    Expectations,
    Empathy,
    TimeToValue,
    Responsibility,
}

impl Pillar {
    pub const ALL: [Pillar; 6] = [
        Pillar::Personalization,
        Pillar::Integrity,
        Pillar::Expectations,
        Pillar::Empathy,
        Pillar::TimeToValue,
        Pillar::Responsibility,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Pillar::Personalization => "Personalization",
            Pillar::Integrity => "Integrity",
            Pillar::Expectations => "Setting expectations",
            Pillar::Empathy => "Empathy",
            Pillar::TimeToValue => "Time to value",
            Pillar::Responsibility => "Responsibility",
        }
    }

    /// Four letters for a narrow table column.
    pub fn short(self) -> &'static str {
        match self {
            Pillar::Personalization => "Pers",
            Pillar::Integrity => "Intg",
            Pillar::Expectations => "Expc",
            Pillar::Empathy => "Empa",
            Pillar::TimeToValue => "TtV",
            Pillar::Responsibility => "Resp",
        }
    }

    /// What a 5 looks like on this pillar.
    pub fn description(self) -> &'static str {
        match self {
            Pillar::Personalization => {
                "Speaks to this person's goals, history and words, not a segment template"
            }
            Pillar::Integrity => "Says what is true, bad news included; promises only what happens",
            Pillar::Expectations => {
                "Leaves clear next steps, owners and dates the customer agreed to"
            }
            Pillar::Empathy => "Names and validates the customer's feelings before solving",
            Pillar::TimeToValue => "Moves the customer to a concrete outcome quickly",
            Pillar::Responsibility => {
                "Owns the problem and the follow-up instead of handing it off"
            }
        }
    }
}

/// An audit's scores: the rubric, each pillar (in `Pillar::ALL` order) and a comment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Score {
    pub rubric: Option<u8>,
    pub pillars: [Option<u8>; 6],
    pub comment: String,
}

/// How far an audit has been scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    NotScored,
    /// Some pillars or a comment, no rubric score yet.
    Started,
    /// The rubric score is set (pillars may be left out).
    Scored,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::NotScored => "to score",
            Status::Started => "started",
            Status::Scored => "scored",
        }
    }
}

impl Score {
    pub fn status(&self) -> Status {
        if self.rubric.is_some() {
            Status::Scored
        } else if self.pillars.iter().any(Option::is_some) || !self.comment.trim().is_empty() {
            Status::Started
        } else {
            Status::NotScored
        }
    }

    /// Whether a re-draw must keep this audit: anything the team lead entered counts.
    pub fn is_kept(&self) -> bool {
        self.status() != Status::NotScored
    }
}

/// A score must be 1 to 5.
pub fn valid_score(score: u8) -> bool {
    (1..=5).contains(&score)
}

/// An audit already in the file, as a re-draw sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Existing {
    pub touch_id: i64,
    /// Never dropped by this draw: scored, started or commented, or drawn with the same
    /// seed (the store decides).
    pub kept: bool,
}

/// What a draw changes for one CSM and quarter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DrawPlan {
    /// Audits that stay (scored ones, and unscored ones the sample still picks).
    pub keep: Vec<i64>,
    /// Touches to add as new audits, in sample order.
    pub add: Vec<i64>,
    /// Unscored audits the sample no longer picks (another seed was chosen).
    pub drop: Vec<i64>,
}

/// Mixes a value into 64 well-spread bits (SplitMix64's finalizer), so nearby CSM ids and
/// quarters give unrelated streams.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The base of one CSM's quarter: seed ⊕ CSM ⊕ quarter, each well mixed.
fn base(seed: u64, csm_id: i64, quarter: Quarter) -> u64 {
    let q = (quarter.year as u64).wrapping_mul(4) + u64::from(quarter.q);
    seed ^ mix(csm_id as u64) ^ mix(q ^ 0x5155_4152_5445_5200)
}

/// Every candidate in the order the seed draws them.
///
/// Each touch's place comes from a ChaCha8 stream seeded from seed ⊕ CSM ⊕ quarter ⊕ the
/// touch, so it depends on nothing else: not the order rows were read in (candidates are
/// sorted and de-duplicated first), and not on other touches, so a touch that vanishes or
/// arrives later never reshuffles the rest of the sample.
pub fn draw_order(candidates: &[i64], seed: u64, csm_id: i64, quarter: Quarter) -> Vec<i64> {
    let base = base(seed, csm_id, quarter);
    let mut order: Vec<(u64, i64)> = candidates
        .iter()
        .map(|&t| {
            let key = ChaCha8Rng::seed_from_u64(base ^ mix(t as u64)).next_u64();
            (key, t)
        })
        .collect();
    order.sort_unstable();
    order.dedup();
    order.into_iter().map(|(_, t)| t).collect()
}

/// The first `n` touches the seed draws (all of them when there are fewer).
pub fn sample(candidates: &[i64], seed: u64, csm_id: i64, quarter: Quarter, n: usize) -> Vec<i64> {
    let mut order = draw_order(candidates, seed, csm_id, quarter);
    order.truncate(n);
    order
}

/// Plans a (re-)draw: kept audits stay whatever happened to their touch, the sample tops
/// them up to `n` in draw order, and the other audits stay only if the sample still picks
/// them. Drawing again with the same inputs changes nothing.
pub fn plan_draw(
    candidates: &[i64],
    existing: &[Existing],
    seed: u64,
    csm_id: i64,
    quarter: Quarter,
    n: usize,
) -> DrawPlan {
    let mut keep: Vec<i64> = existing
        .iter()
        .filter(|e| e.kept)
        .map(|e| e.touch_id)
        .collect();
    let mut picked: Vec<i64> = Vec::new();
    for touch in draw_order(candidates, seed, csm_id, quarter) {
        if keep.len() + picked.len() >= n {
            break;
        }
        if !keep.contains(&touch) {
            picked.push(touch);
        }
    }
    let mut plan = DrawPlan::default();
    for touch in picked {
        if existing.iter().any(|e| e.touch_id == touch) {
            keep.push(touch);
        } else {
            plan.add.push(touch);
        }
    }
    plan.drop = existing
        .iter()
        .filter(|e| !keep.contains(&e.touch_id))
        .map(|e| e.touch_id)
        .collect();
    plan.keep = keep;
    plan
}

/// Renewal results of one CSM's quarter, as touch outcomes record them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Outcomes {
    pub renewed: u32,
    pub expanded: u32,
    pub lost: u32,
}

impl Outcomes {
    pub fn add(&mut self, result: RenewalResult) {
        match result {
            RenewalResult::Renewed => self.renewed += 1,
            RenewalResult::Expanded => self.expanded += 1,
            RenewalResult::Lost => self.lost += 1,
        }
    }

    pub fn total(&self) -> u32 {
        self.renewed + self.expanded + self.lost
    }

    /// Retained (renewed or expanded) out of all results; None without results.
    pub fn renewal_rate(&self) -> Option<f64> {
        let total = self.total();
        (total > 0).then(|| f64::from(self.renewed + self.expanded) / f64::from(total))
    }
}

/// One CSM's audits of a quarter beside the CSM's outcomes.
#[derive(Debug, Clone, PartialEq)]
pub struct CsmSummary {
    pub csm_id: i64,
    pub csm: String,
    pub drawn: u32,
    pub scored: u32,
    /// Mean rubric score of the scored audits.
    pub rubric: Option<f64>,
    /// Mean of each pillar over the audits that scored it, in `Pillar::ALL` order.
    pub pillars: [Option<f64>; 6],
    pub outcomes: Outcomes,
}

/// How mean adaptability and renewal rate move together across CSMs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Correlation {
    /// CSMs with both a mean rubric score and at least one renewal result.
    pub csms: usize,
    pub pearson: Option<f64>,
    pub spearman: Option<f64>,
}

/// Below this many CSMs with both figures no correlation is given.
pub const MIN_CSMS_FOR_CORRELATION: usize = 3;

/// Correlates each CSM's mean rubric score with the renewal rate, over the CSMs that
/// have both; None with fewer than three.
pub fn correlate(rows: &[CsmSummary]) -> Option<Correlation> {
    let pairs: Vec<(f64, f64)> = rows
        .iter()
        .filter_map(|r| Some((r.rubric?, r.outcomes.renewal_rate()?)))
        .collect();
    if pairs.len() < MIN_CSMS_FOR_CORRELATION {
        return None;
    }
    let (x, y): (Vec<f64>, Vec<f64>) = pairs.into_iter().unzip();
    Some(Correlation {
        csms: x.len(),
        pearson: pearson(&x, &y),
        spearman: spearman(&x, &y),
    })
}

/// Pearson's r; None when either side does not vary (or lengths differ, or under 2).
pub fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
    if x.len() != y.len() || x.len() < 2 {
        return None;
    }
    let n = x.len() as f64;
    let mx = x.iter().sum::<f64>() / n;
    let my = y.iter().sum::<f64>() / n;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    if sxx <= f64::EPSILON || syy <= f64::EPSILON {
        return None;
    }
    Some((sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0))
}

/// Spearman's ρ: Pearson's r of the ranks, ties given their average rank.
pub fn spearman(x: &[f64], y: &[f64]) -> Option<f64> {
    if x.len() != y.len() {
        return None;
    }
    pearson(&ranks(x), &ranks(y))
}

fn ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut out = vec![0.0; values.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && values[order[j + 1]] == values[order[i]] {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            out[k] = rank;
        }
        i = j + 1;
    }
    out
}

/// Words for a correlation coefficient, for people who don't read them daily.
pub fn strength_words(r: f64) -> &'static str {
    let a = r.abs();
    let strength = if a >= 0.7 {
        "strong"
    } else if a >= 0.4 {
        "moderate"
    } else if a >= 0.2 {
        "weak"
    } else {
        return "no clear link";
    };
    match (strength, r > 0.0) {
        ("strong", true) => "strong: more adaptable, more renewals",
        ("strong", false) => "strong, inverse",
        ("moderate", true) => "moderate: more adaptable, more renewals",
        ("moderate", false) => "moderate, inverse",
        (_, true) => "weak",
        (_, false) => "weak, inverse",
    }
}

/// The per-CSM summary as a Markdown section (for `attuned report` and `audit summary`).
pub fn summary_markdown(
    quarter: Quarter,
    rows: &[CsmSummary],
    correlation: Option<Correlation>,
) -> String {
    use super::kpi::{pct, score as num};
    let mut out = format!("## Adaptability audits, {quarter}\n\n");
    if rows.is_empty() {
        out.push_str("No touches drawn for an audit this quarter.\n");
        return out;
    }
    out.push_str("| CSM | scored | rubric |");
    for p in Pillar::ALL {
        out.push_str(&format!(" {} |", p.short()));
    }
    out.push_str(" renewed | expanded | lost | renewal rate |\n|---|---:|---:|");
    out.push_str(&"---:|".repeat(6));
    out.push_str("---:|---:|---:|---:|\n");
    for r in rows {
        out.push_str(&format!(
            "| {} | {}/{} | {} |",
            r.csm.replace('|', "/"),
            r.scored,
            r.drawn,
            num(r.rubric)
        ));
        for p in r.pillars {
            out.push_str(&format!(" {} |", num(p)));
        }
        out.push_str(&format!(
            " {} | {} | {} | {} |\n",
            r.outcomes.renewed,
            r.outcomes.expanded,
            r.outcomes.lost,
            pct(r.outcomes.renewal_rate())
        ));
    }
    out.push('\n');
    out.push_str(&correlation_line(correlation));
    out.push('\n');
    out
}

/// One sentence on the correlation (or why there is none).
pub fn correlation_line(correlation: Option<Correlation>) -> String {
    match correlation {
        None => format!(
            "Adaptability vs renewal rate: needs {MIN_CSMS_FOR_CORRELATION} or more CSMs with scored audits and renewal results."
        ),
        Some(c) => match c.spearman.or(c.pearson) {
            None => format!(
                "Adaptability vs renewal rate over {} CSMs: no correlation (the scores or the rates do not vary).",
                c.csms
            ),
            Some(rho) => format!(
                "Adaptability vs renewal rate over {} CSMs: Spearman ρ {:+.2}{} ({}).",
                c.csms,
                rho,
                c.pearson
                    .map_or(String::new(), |r| format!(", Pearson r {r:+.2}")),
                strength_words(rho)
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const Q: Quarter = Quarter { year: 2026, q: 4 };

    #[test]
    fn quarters_parse_print_and_step() {
        assert_eq!(Quarter::parse("2026Q4"), Some(Q));
        assert_eq!(Quarter::parse("2026-q4"), Some(Q));
        assert_eq!(Quarter::parse("Q4 2026"), Some(Q));
        assert_eq!(Quarter::parse("2026Q5"), None);
        assert_eq!(Quarter::parse("Q42026x"), None);
        assert_eq!(Q.to_string(), "2026Q4");
        assert_eq!(Q.next().to_string(), "2027Q1");
        assert_eq!(Q.next().prev(), Q);
        assert_eq!(Q.start(), NaiveDate::from_ymd_opt(2026, 10, 1).unwrap());
        assert_eq!(
            Q.end_exclusive(),
            NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()
        );
        assert_eq!(
            Quarter::of(NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()),
            Q
        );
        assert_eq!(
            Quarter::of(NaiveDate::from_ymd_opt(2026, 3, 31).unwrap()).q,
            1
        );
        assert_eq!(Q.default_seed(), 20264);
    }

    #[test]
    fn a_sample_is_reproducible_and_independent_of_row_order() {
        let touches: Vec<i64> = (1..=40).map(|i| i * 7 + (1 << 32)).collect();
        let a = sample(&touches, 42, 5, Q, 10);
        assert_eq!(a.len(), 10);
        assert_eq!(
            a,
            sample(&touches, 42, 5, Q, 10),
            "same inputs, same sample"
        );
        let mut reversed = touches.clone();
        reversed.reverse();
        reversed.push(touches[3]); // a duplicate row changes nothing either
        assert_eq!(a, sample(&reversed, 42, 5, Q, 10));
        let mut distinct = a.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), 10, "no touch drawn twice");
        assert!(a.iter().all(|t| touches.contains(t)));
        // Another seed, CSM or quarter draws another sample.
        assert_ne!(a, sample(&touches, 43, 5, Q, 10));
        assert_ne!(a, sample(&touches, 42, 6, Q, 10));
        assert_ne!(a, sample(&touches, 42, 5, Q.prev(), 10));
        // A touch that vanishes (or arrives) leaves the others' order alone.
        let order = draw_order(&touches, 42, 5, Q);
        let fewer: Vec<i64> = touches.iter().copied().filter(|t| *t != a[0]).collect();
        assert_eq!(draw_order(&fewer, 42, 5, Q), order[1..].to_vec());
    }

    #[test]
    fn fewer_candidates_than_asked_draws_them_all() {
        let touches = [30, 10, 20];
        let mut s = sample(&touches, 1, 1, Q, 10);
        s.sort_unstable();
        assert_eq!(s, vec![10, 20, 30]);
        assert!(sample(&[], 1, 1, Q, 10).is_empty());
        let plan = plan_draw(&touches, &[], 1, 1, Q, 10);
        assert_eq!(plan.add.len(), 3);
        assert!(plan.keep.is_empty() && plan.drop.is_empty());
    }

    #[test]
    fn drawing_again_keeps_scored_audits_and_only_tops_up() {
        let touches: Vec<i64> = (100..130).collect();
        let first = plan_draw(&touches, &[], 9, 2, Q, 10);
        assert_eq!(first.add, sample(&touches, 9, 2, Q, 10));
        let existing: Vec<Existing> = first
            .add
            .iter()
            .enumerate()
            .map(|(i, &t)| Existing {
                touch_id: t,
                kept: i < 3,
            })
            .collect();
        // Same seed: nothing changes.
        let again = plan_draw(&touches, &existing, 9, 2, Q, 10);
        assert!(again.add.is_empty() && again.drop.is_empty(), "{again:?}");
        assert_eq!(again.keep.len(), 10);
        // Another seed: the three scored ones stay, seven are drawn anew.
        let other = plan_draw(&touches, &existing, 10, 2, Q, 10);
        for e in existing.iter().filter(|e| e.kept) {
            assert!(other.keep.contains(&e.touch_id));
        }
        assert_eq!(other.keep.len() + other.add.len(), 10);
        assert_eq!(
            other.drop.len() + other.keep.len(),
            10,
            "every old audit is kept or dropped"
        );
        assert!(other.drop.iter().all(|t| !other.keep.contains(t)));
        // A scored audit whose touch vanished is kept and still counts toward n.
        let vanished = [Existing {
            touch_id: 999,
            kept: true,
        }];
        let plan = plan_draw(&touches, &vanished, 9, 2, Q, 10);
        assert_eq!(plan.keep, vec![999]);
        assert_eq!(plan.add.len(), 9);
        // Raising n tops up without touching what is there.
        let more = plan_draw(&touches, &existing, 9, 2, Q, 12);
        assert_eq!(more.add.len(), 2);
        assert!(more.drop.is_empty());
        assert_eq!(
            more.add,
            draw_order(&touches, 9, 2, Q)[10..12].to_vec(),
            "the next two in draw order"
        );
    }

    #[test]
    fn status_follows_what_was_entered() {
        let mut s = Score::default();
        assert_eq!(s.status(), Status::NotScored);
        s.comment = "  ".into();
        assert!(!s.is_kept());
        s.pillars[3] = Some(4);
        assert_eq!(s.status(), Status::Started);
        s.rubric = Some(2);
        assert_eq!(s.status(), Status::Scored);
        assert_eq!(level(5).unwrap().descriptor, RUBRIC[4].descriptor);
        assert!(level(0).is_none() && !valid_score(6) && valid_score(1));
    }

    #[test]
    fn outcome_rates() {
        let mut o = Outcomes::default();
        assert_eq!(o.renewal_rate(), None);
        o.add(RenewalResult::Renewed);
        o.add(RenewalResult::Expanded);
        o.add(RenewalResult::Lost);
        o.add(RenewalResult::Renewed);
        assert_eq!(o.renewal_rate(), Some(0.75));
    }

    #[test]
    fn correlations_on_known_data() {
        let x = [1.0, 2.0, 3.0, 4.0];
        let y = [2.0, 4.0, 6.0, 8.0];
        assert!((pearson(&x, &y).unwrap() - 1.0).abs() < 1e-12);
        let y2 = [1.0, 4.0, 9.0, 16.0];
        assert!((spearman(&x, &y2).unwrap() - 1.0).abs() < 1e-12);
        assert!(pearson(&x, &y2).unwrap() < 1.0);
        assert_eq!(pearson(&x, &[1.0, 1.0, 1.0, 1.0]), None);
        // Ties get their average rank.
        assert_eq!(ranks(&[10.0, 20.0, 20.0, 30.0]), vec![1.0, 2.5, 2.5, 4.0]);
        let inverse = [4.0, 3.0, 2.0, 1.0];
        assert!((spearman(&x, &inverse).unwrap() + 1.0).abs() < 1e-12);
        assert_eq!(strength_words(-0.9), "strong, inverse");
        assert_eq!(strength_words(0.1), "no clear link");
    }

    #[test]
    fn correlation_needs_three_csms_with_both_figures() {
        let row = |id: i64, rubric: Option<f64>, renewed: u32, lost: u32| CsmSummary {
            csm_id: id,
            csm: format!("CSM {id}"),
            drawn: 10,
            scored: 10,
            rubric,
            pillars: [None; 6],
            outcomes: Outcomes {
                renewed,
                expanded: 0,
                lost,
            },
        };
        let mut rows = vec![row(1, Some(2.0), 1, 3), row(2, Some(4.0), 3, 1)];
        rows.push(row(3, None, 5, 0));
        rows.push(row(4, Some(5.0), 0, 0));
        assert_eq!(correlate(&rows), None);
        rows.push(row(5, Some(3.0), 2, 2));
        let c = correlate(&rows).unwrap();
        assert_eq!(c.csms, 3);
        assert!((c.spearman.unwrap() - 1.0).abs() < 1e-12);
        let md = summary_markdown(Q, &rows, Some(c));
        assert!(md.contains("| CSM 1 | 10/10 | 2.0 |"), "{md}");
        assert!(md.contains("Spearman ρ +1.00"), "{md}");
    }
}
