//! A pilot's weekly report: the three KPIs per group as proportions, the phase of each
//! week, and the Markdown a team lead forwards. Pure: the store hands over the counts.
//! The statistics are `domain::pilot`'s (Wilson, Newcombe); none is computed here.

use chrono::{Days, NaiveDate};
use serde::Serialize;

use super::pilot::{Difference, Proportion, Verdict, difference};
use super::text::clean_line;

/// The seed's phases; a pilot longer or shorter than 6 weeks spreads them evenly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Baseline,
    Foundations,
    AppliedCoaching,
    Scale,
}

impl Phase {
    /// Week 0 is the baseline; weeks 1..=weeks fall in thirds (1–2, 3–4, 5–6 of six).
    pub fn of(week: u32, weeks: u32) -> Phase {
        if week == 0 || weeks == 0 {
            return Phase::Baseline;
        }
        match (week.min(weeks) * 3).div_ceil(weeks) {
            0 | 1 => Phase::Foundations,
            2 => Phase::AppliedCoaching,
            _ => Phase::Scale,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Phase::Baseline => "baseline",
            Phase::Foundations => "foundations",
            Phase::AppliedCoaching => "applied coaching",
            Phase::Scale => "scale",
        }
    }

    /// What the week is for.
    pub fn purpose(self) -> &'static str {
        match self {
            Phase::Baseline => "freeze sentiment, risk and coverage; KPIs of the 12 weeks before",
            Phase::Foundations => "microlearning, listening drills, scripts as prompts",
            Phase::AppliedCoaching => "roleplays, live shadowing, tagging",
            Phase::Scale => "measure, iterate, roll out",
        }
    }
}

/// The three KPIs of one group over one window, as k of n.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct GroupKpis {
    /// Retained of renewal results recorded (renewed, expanded or lost).
    pub renewal: Counts,
    /// CSAT 4–5 of CSAT answers after an intervention (the KPIs' remediation rule).
    pub csat: Counts,
    /// Escalated of tagged conversations (lower is better).
    pub escalation: Counts,
    pub renewed: u32,
    pub expanded: u32,
    pub lost: u32,
    /// Accounts whose renewal date fell in the window without a result recorded.
    pub due_open: u32,
    /// Done conversations, and those tagged with sentiment, intervention and follow-up
    /// within 24 h (documentation compliance; reported for the pilot group).
    pub conversations: u32,
    pub documented: u32,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub k: u32,
    pub n: u32,
}

impl Counts {
    pub fn proportion(self) -> Proportion {
        Proportion {
            k: self.k,
            n: self.n,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kpi {
    Renewal,
    Csat,
    Escalation,
}

impl Kpi {
    pub const ALL: [Kpi; 3] = [Kpi::Renewal, Kpi::Csat, Kpi::Escalation];

    pub fn key(self) -> &'static str {
        match self {
            Kpi::Renewal => "renewal",
            Kpi::Csat => "csat",
            Kpi::Escalation => "escalation",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Kpi::Renewal => "Renewal rate",
            Kpi::Csat => "CSAT 4–5 after intervention",
            Kpi::Escalation => "Escalation rate (lower is better)",
        }
    }

    pub fn of(self, g: &GroupKpis) -> Counts {
        match self {
            Kpi::Renewal => g.renewal,
            Kpi::Csat => g.csat,
            Kpi::Escalation => g.escalation,
        }
    }

    pub fn set(self, g: &mut GroupKpis, c: Counts) {
        match self {
            Kpi::Renewal => g.renewal = c,
            Kpi::Csat => g.csat = c,
            Kpi::Escalation => g.escalation = c,
        }
    }

    /// Pilot − control, with the verdict turned round where a lower rate is better.
    pub fn compare(self, pilot: Counts, control: Counts) -> Option<Difference> {
        let mut d = difference(pilot.proportion(), control.proportion())?;
        if self == Kpi::Escalation {
            d.verdict = match d.verdict {
                Verdict::PilotAhead => Verdict::ControlAhead,
                Verdict::ControlAhead => Verdict::PilotAhead,
                Verdict::NotYetConclusive => Verdict::NotYetConclusive,
            };
        }
        Some(d)
    }
}

/// One week of the pilot (week 0: the baseline).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Week {
    pub week: u32,
    pub from: NaiveDate,
    /// Exclusive.
    pub to: NaiveDate,
    pub pilot: GroupKpis,
    pub control: GroupKpis,
}

/// Week `week` (1-based) of a pilot started on `start`: [start + 7(w−1), start + 7w).
pub fn week_range(start: NaiveDate, week: u32) -> (NaiveDate, NaiveDate) {
    let from = start
        .checked_add_days(Days::new(7 * u64::from(week.saturating_sub(1))))
        .unwrap_or(start);
    (from, from.checked_add_days(Days::new(7)).unwrap_or(from))
}

/// The week `today` falls in (0 before the start), at most `weeks`.
pub fn current_week(start: NaiveDate, weeks: u32, today: NaiveDate) -> u32 {
    let days = (today - start).num_days();
    if days < 0 {
        return 0;
    }
    u32::try_from(days / 7 + 1).unwrap_or(u32::MAX).min(weeks)
}

/// What the report is about (names already read from the file).
#[derive(Debug, Clone)]
pub struct Header<'a> {
    pub name: &'a str,
    pub start: NaiveDate,
    pub weeks: u32,
    pub current: u32,
    /// A week not over by this day is marked "to date".
    pub today: NaiveDate,
    pub cohort: &'a [String],
    pub pilot_accounts: usize,
    pub control_accounts: usize,
    /// Controls owned by a CSM of the cohort (coached too: the difference is narrowed).
    pub cohort_controls: usize,
}

fn rate_cell(c: Counts) -> String {
    match c.proportion().wilson() {
        Some(w) => format!(
            "{:.0}% ({} of {}) [{:.0}–{:.0}%]",
            f64::from(c.k) / f64::from(c.n) * 100.0,
            c.k,
            c.n,
            w.low * 100.0,
            w.high * 100.0
        ),
        None => "no data (n 0)".to_string(),
    }
}

/// Change of a group's rate from its baseline, in points.
fn change(now: Counts, base: Counts) -> String {
    match (now.proportion().rate(), base.proportion().rate()) {
        (Some(a), Some(b)) => format!("{:+.0} pts", (a - b) * 100.0),
        _ => "–".to_string(),
    }
}

fn kpi_table(out: &mut String, week: &Week, base: Option<&Week>) {
    out.push_str("| KPI | Pilot | Control | Pilot − control |\n|---|---|---|---|\n");
    for kpi in Kpi::ALL {
        let (p, c) = (kpi.of(&week.pilot), kpi.of(&week.control));
        let diff = kpi
            .compare(p, c)
            .map_or("not yet measurable (a group has n 0)".to_string(), |d| {
                d.summary()
            });
        let since = |now: Counts, group: fn(&Week) -> &GroupKpis| {
            base.map_or(String::new(), |b| {
                format!(", {} vs baseline", change(now, kpi.of(group(b))))
            })
        };
        out.push_str(&format!(
            "| {} | {}{} | {}{} | {} |\n",
            kpi.label(),
            rate_cell(p),
            since(p, |w| &w.pilot),
            rate_cell(c),
            since(c, |w| &w.control),
            diff
        ));
    }
}

fn renewals_line(g: &GroupKpis) -> String {
    format!(
        "{} renewed, {} expanded, {} lost, {} due without a result",
        g.renewed, g.expanded, g.lost, g.due_open
    )
}

/// The report as Markdown: the set-up, the baseline, then each week asked for.
pub fn markdown(h: &Header<'_>, baseline: &Week, weeks: &[Week]) -> String {
    let mut out = format!("# Pilot: {}\n\n", clean_line(h.name));
    let cohort: Vec<String> = h
        .cohort
        .iter()
        .map(|c| clean_line(c).into_owned())
        .collect();
    out.push_str(&format!(
        "Started {}, {} weeks; now in week {} of {} ({}). Cohort: {}. {} pilot accounts, {} control accounts (matched on segment, tier, contract value and risk).\n\n",
        h.start,
        h.weeks,
        h.current,
        h.weeks,
        Phase::of(h.current, h.weeks).label(),
        if cohort.is_empty() { "none".to_string() } else { cohort.join(", ") },
        h.pilot_accounts,
        h.control_accounts,
    ));
    if h.cohort_controls > 0 {
        out.push_str(&format!(
            "{} control accounts belong to the cohort (no other CSM's account matched): their CSM is coached too, which narrows the difference.\n\n",
            h.cohort_controls
        ));
    }
    out.push_str("Rates with n and a 95% Wilson interval; the difference with Newcombe's interval. \"Not yet conclusive\" while that interval spans zero.\n\n");
    out.push_str(&format!(
        "## Week 0: baseline, {} to {}\n\n_{}_\n\n",
        baseline.from,
        baseline.to.pred_opt().unwrap_or(baseline.to),
        Phase::Baseline.purpose()
    ));
    kpi_table(&mut out, baseline, None);
    for w in weeks {
        let phase = Phase::of(w.week, h.weeks);
        out.push_str(&format!(
            "\n## Week {}: {}, {} to {}{}\n\n_{}_\n\n",
            w.week,
            phase.label(),
            w.from,
            w.to.pred_opt().unwrap_or(w.to),
            if w.to > h.today { " (to date)" } else { "" },
            phase.purpose()
        ));
        kpi_table(&mut out, w, Some(baseline));
        out.push_str(&format!(
            "\nRenewals that fell due: pilot {}; control {}.\n",
            renewals_line(&w.pilot),
            renewals_line(&w.control)
        ));
        let docs = Counts {
            k: w.pilot.documented,
            n: w.pilot.conversations,
        };
        out.push_str(&format!(
            "Documentation on pilot accounts (sentiment, intervention and follow-up within 24 h): {}.\n",
            match docs.proportion().rate() {
                Some(r) => format!("{} of {} conversations ({:.0}%)", docs.k, docs.n, r * 100.0),
                None => "no conversations this week".to_string(),
            }
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn six_weeks_follow_the_seeds_phases() {
        let phases: Vec<Phase> = (0..=6).map(|w| Phase::of(w, 6)).collect();
        assert_eq!(
            phases,
            [
                Phase::Baseline,
                Phase::Foundations,
                Phase::Foundations,
                Phase::AppliedCoaching,
                Phase::AppliedCoaching,
                Phase::Scale,
                Phase::Scale
            ]
        );
    }

    #[test]
    fn weeks_count_from_the_start() {
        let start = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
        assert_eq!(current_week(start, 6, start.pred_opt().unwrap()), 0);
        assert_eq!(current_week(start, 6, start), 1);
        assert_eq!(current_week(start, 6, start + Days::new(22)), 4);
        assert_eq!(current_week(start, 6, start + Days::new(400)), 6);
        assert_eq!(
            week_range(start, 2),
            (start + Days::new(7), start + Days::new(14))
        );
    }

    #[test]
    fn fewer_escalations_put_the_pilot_ahead() {
        let d = Kpi::Escalation
            .compare(Counts { k: 0, n: 40 }, Counts { k: 20, n: 40 })
            .unwrap();
        assert_eq!(d.verdict, Verdict::PilotAhead);
        let d = Kpi::Renewal
            .compare(Counts { k: 9, n: 10 }, Counts { k: 8, n: 10 })
            .unwrap();
        assert_eq!(d.verdict, Verdict::NotYetConclusive);
    }
}
