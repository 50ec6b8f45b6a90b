//! The six-step adaptive-empathy checklist of a live call, as a state machine.
//!
//! Pure: every operation takes `now`, so tests drive it with a fake clock. Time is
//! counted per step while the call runs; a paused or ended call counts nothing.

use chrono::{DateTime, Utc};

use super::text::count_of;

/// One of the six steps, numbered 1..=6 as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    Assess,
    Mirror,
    Clarify,
    Propose,
    Document,
    Retro,
}

impl Step {
    pub const ALL: [Step; 6] = [
        Step::Assess,
        Step::Mirror,
        Step::Clarify,
        Step::Propose,
        Step::Document,
        Step::Retro,
    ];

    /// 1..=6, the stored form.
    pub fn number(self) -> u8 {
        self as u8 + 1
    }

    pub fn from_number(n: u8) -> Option<Step> {
        Step::ALL.get(usize::from(n).checked_sub(1)?).copied()
    }

    fn index(self) -> usize {
        self as usize
    }

    pub fn title(self) -> &'static str {
        match self {
            Step::Assess => "Assess signals",
            Step::Mirror => "Mirror and validate",
            Step::Clarify => "Clarifying questions",
            Step::Propose => "Propose a fix and a follow-up",
            Step::Document => "Document",
            Step::Retro => "Retrospective",
        }
    }

    /// What the CSM does in this step, in one line.
    pub fn what_to_do(self) -> &'static str {
        match self {
            Step::Assess => {
                "Scan history, tickets, NPS/CSAT and tone. Watch for abrupt language, repeated unresolved issues, competitors."
            }
            Step::Mirror => {
                "Mirror their words briefly and validate the feeling before any fix. Validation lowers defensiveness."
            }
            Step::Clarify => {
                "Ask open, focused questions that steer toward a solution: what hurts most, what success looks like."
            }
            Step::Propose => {
                "Offer a short-term fix with a committed time, and agree on a follow-up (e.g. remediation in 48 h, review in a week)."
            }
            Step::Document => {
                "Tag sentiment (R/Y/G), the intervention you chose, and the next follow-up."
            }
            Step::Retro => {
                "Once the issue resolves: what worked, what failed, which prompts helped. Update your playbook."
            }
        }
    }

    /// The seeds' time box in seconds (lower, upper), where there is one.
    pub fn time_box(self) -> Option<(i64, i64)> {
        match self {
            Step::Assess => Some((30, 60)),
            Step::Mirror => Some((60, 180)),
            Step::Clarify => Some((120, 300)),
            _ => None,
        }
    }

    pub fn time_box_label(self) -> &'static str {
        match self {
            Step::Assess => "30–60 s",
            Step::Mirror => "1–3 min",
            Step::Clarify => "2–5 min",
            Step::Propose => "before you hang up",
            Step::Document => "right after",
            Step::Retro => "once resolved",
        }
    }

    fn next(self) -> Option<Step> {
        Step::from_number(self.number() + 1)
    }

    fn prev(self) -> Option<Step> {
        Step::from_number(self.number().checked_sub(1)?)
    }
}

/// Where the current step stands against its time box.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoxCue {
    /// No time box for this step.
    Untimed,
    /// Well inside the box.
    Within,
    /// Within the last 20% (at least 10 s) of the upper bound.
    Near,
    /// Past the upper bound.
    Over,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Running,
    Paused,
    /// The conversation is over; steps 5 and 6 may still be filled in.
    Ended,
}

/// A request the checklist refuses, with the reason a CSM can read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Illegal {
    #[error("this is already the last step")]
    AtLast,
    #[error("this is already the first step")]
    AtFirst,
    #[error("the call has ended")]
    Ended,
    #[error("the call is already paused")]
    AlreadyPaused,
    #[error("the call is not paused")]
    NotPaused,
    #[error("a skip needs a reason")]
    NoReason,
    #[error("the call has not ended yet")]
    NotEnded,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StepState {
    /// Time counted on this step before the running segment.
    pub elapsed_ms: i64,
    pub visited: bool,
    pub skipped: Option<String>,
}

/// How a step stands on the checklist, for its mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepMark {
    /// The step the CSM is on.
    Current,
    /// Skipped with a reason.
    Skipped,
    /// Worked on: time counted on it (the clock shows at least 0:01) or a note on it.
    Done,
    /// Walked through (`n` at 0:00, no note): not done.
    Passed,
    /// Not reached yet.
    Ahead,
}

/// Less time than this on a step, which the clock shows as 0:00, is no work on it.
pub const WORKED_MS: i64 = 1000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checklist {
    current: Step,
    phase: Phase,
    steps: [StepState; 6],
    /// When the running segment of the current step began (only while running).
    since: Option<DateTime<Utc>>,
}

impl Checklist {
    /// A call that starts now on step 1.
    pub fn start(now: DateTime<Utc>) -> Checklist {
        let mut steps: [StepState; 6] = Default::default();
        steps[0].visited = true;
        Checklist {
            current: Step::Assess,
            phase: Phase::Running,
            steps,
            since: Some(now),
        }
    }

    /// A call read back from storage: paused (or ended) where it stood, with its times.
    pub fn restore(current: Step, steps: [StepState; 6], ended: bool) -> Checklist {
        Checklist {
            current,
            phase: if ended { Phase::Ended } else { Phase::Paused },
            steps,
            since: None,
        }
    }

    pub fn current(&self) -> Step {
        self.current
    }

    pub fn phase(&self) -> Phase {
        self.phase
    }

    pub fn step(&self, step: Step) -> &StepState {
        &self.steps[step.index()]
    }

    /// Milliseconds counted on `step` up to `now`.
    pub fn step_ms(&self, step: Step, now: DateTime<Utc>) -> i64 {
        let base = self.steps[step.index()].elapsed_ms;
        match self.since {
            Some(since) if step == self.current => base + (now - since).num_milliseconds().max(0),
            _ => base,
        }
    }

    /// How `step` stands at `now`; `noted`: a note was written on it.
    pub fn mark(&self, step: Step, now: DateTime<Utc>, noted: bool) -> StepMark {
        let st = &self.steps[step.index()];
        if step == self.current {
            StepMark::Current
        } else if st.skipped.is_some() {
            StepMark::Skipped
        } else if !st.visited {
            StepMark::Ahead
        } else if noted || self.step_ms(step, now) >= WORKED_MS {
            StepMark::Done
        } else {
            StepMark::Passed
        }
    }

    /// Milliseconds the call has run (pauses excluded).
    pub fn call_ms(&self, now: DateTime<Utc>) -> i64 {
        Step::ALL.iter().map(|s| self.step_ms(*s, now)).sum()
    }

    pub fn cue(&self, now: DateTime<Utc>) -> BoxCue {
        let Some((_, upper)) = self.current.time_box() else {
            return BoxCue::Untimed;
        };
        let secs = self.step_ms(self.current, now) / 1000;
        let margin = (upper / 5).max(10);
        if secs > upper {
            BoxCue::Over
        } else if secs >= upper - margin {
            BoxCue::Near
        } else {
            BoxCue::Within
        }
    }

    /// Folds the running segment into the current step's count.
    fn settle(&mut self, now: DateTime<Utc>) {
        if let Some(since) = self.since.take() {
            self.steps[self.current.index()].elapsed_ms += (now - since).num_milliseconds().max(0);
        }
    }

    fn enter(&mut self, step: Step, now: DateTime<Utc>) {
        self.current = step;
        self.steps[step.index()].visited = true;
        if self.phase == Phase::Running {
            self.since = Some(now);
        }
    }

    /// Moves to the next step. Allowed while paused (the pause carries over).
    pub fn next(&mut self, now: DateTime<Utc>) -> Result<Step, Illegal> {
        let to = self.current.next().ok_or(Illegal::AtLast)?;
        if self.phase == Phase::Ended && to < Step::Document {
            return Err(Illegal::Ended);
        }
        self.settle(now);
        self.enter(to, now);
        Ok(to)
    }

    pub fn prev(&mut self, now: DateTime<Utc>) -> Result<Step, Illegal> {
        let to = self.current.prev().ok_or(Illegal::AtFirst)?;
        if self.phase == Phase::Ended && to < Step::Document {
            return Err(Illegal::Ended);
        }
        self.settle(now);
        self.enter(to, now);
        Ok(to)
    }

    /// Skips the current step with a reason and moves on.
    pub fn skip(&mut self, reason: &str, now: DateTime<Utc>) -> Result<Step, Illegal> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(Illegal::NoReason);
        }
        if self.current.next().is_none() {
            return Err(Illegal::AtLast);
        }
        self.steps[self.current.index()].skipped = Some(reason.to_string());
        self.next(now)
    }

    pub fn pause(&mut self, now: DateTime<Utc>) -> Result<(), Illegal> {
        match self.phase {
            Phase::Ended => Err(Illegal::Ended),
            Phase::Paused => Err(Illegal::AlreadyPaused),
            Phase::Running => {
                self.settle(now);
                self.phase = Phase::Paused;
                Ok(())
            }
        }
    }

    pub fn resume(&mut self, now: DateTime<Utc>) -> Result<(), Illegal> {
        match self.phase {
            Phase::Ended => Err(Illegal::Ended),
            Phase::Running => Err(Illegal::NotPaused),
            Phase::Paused => {
                self.phase = Phase::Running;
                self.since = Some(now);
                Ok(())
            }
        }
    }

    /// Ends the conversation and goes to step 5 (tagging). Times stop.
    pub fn end(&mut self, now: DateTime<Utc>) -> Result<(), Illegal> {
        if self.phase == Phase::Ended {
            return Err(Illegal::Ended);
        }
        self.settle(now);
        self.phase = Phase::Ended;
        self.current = Step::Document;
        self.steps[Step::Document.index()].visited = true;
        Ok(())
    }
}

/// `m:ss` (or `h:mm:ss`) of a millisecond count.
pub fn clock_text(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// The red flags step 1 shows: what the seeds say to watch for before speaking.
pub fn red_flags(i: &super::risk::RiskInputs) -> Vec<String> {
    use super::model::Pulse;
    let mut flags = Vec::new();
    if let (Some(now), Some(before)) = (i.pulse, i.previous_pulse)
        && now.health() < before.health()
    {
        flags.push(format!(
            "Sentiment dropping {}→{}",
            before.label(),
            now.label()
        ));
    }
    if i.pulse == Some(Pulse::Red) {
        flags.push("Red: relationship in jeopardy".to_string());
    }
    if let Some(n) = i.open_tickets.filter(|n| *n >= 2) {
        flags.push(format!("{n} unresolved tickets"));
    }
    if i.overdue_followups > 0 {
        flags.push(format!(
            "{} overdue",
            count_of(i.overdue_followups, "follow-up")
        ));
    }
    if i.competitor_mentions_90d > 0 {
        flags.push(format!(
            "Competitor mentioned ×{} (90 d)",
            i.competitor_mentions_90d
        ));
    }
    if let Some(d) = i.days_to_renewal.filter(|d| *d <= 90) {
        flags.push(if d < 0 {
            format!("Renewal passed {} ago", count_of(-d, "day"))
        } else {
            format!("Renewal in {}", count_of(d, "day"))
        });
    }
    if let (Some(now), Some(before)) = (i.nps, i.previous_nps)
        && now + 2.0 <= before
    {
        flags.push(format!("NPS {before:.0}→{now:.0}"));
    }
    flags
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap()
    }

    fn at(secs: i64) -> DateTime<Utc> {
        t0() + Duration::seconds(secs)
    }

    #[test]
    fn steps_number_from_one_to_six() {
        for (i, s) in Step::ALL.iter().enumerate() {
            assert_eq!(usize::from(s.number()), i + 1);
            assert_eq!(Step::from_number(s.number()), Some(*s));
        }
        assert_eq!(Step::from_number(0), None);
        assert_eq!(Step::from_number(7), None);
    }

    #[test]
    fn time_is_counted_per_step_and_for_the_call() {
        let mut c = Checklist::start(t0());
        assert_eq!(c.step_ms(Step::Assess, at(45)), 45_000);
        c.next(at(50)).unwrap();
        assert_eq!(c.current(), Step::Mirror);
        assert_eq!(c.step_ms(Step::Assess, at(100)), 50_000);
        assert_eq!(c.step_ms(Step::Mirror, at(100)), 50_000);
        assert_eq!(c.call_ms(at(100)), 100_000);
        // Going back adds to the earlier step.
        c.prev(at(110)).unwrap();
        assert_eq!(c.step_ms(Step::Assess, at(120)), 60_000);
        assert_eq!(c.step_ms(Step::Mirror, at(120)), 60_000);
    }

    #[test]
    fn a_pause_counts_nothing() {
        let mut c = Checklist::start(t0());
        c.pause(at(20)).unwrap();
        assert_eq!(c.call_ms(at(500)), 20_000);
        assert_eq!(c.pause(at(30)), Err(Illegal::AlreadyPaused));
        c.resume(at(500)).unwrap();
        assert_eq!(c.resume(at(501)), Err(Illegal::NotPaused));
        assert_eq!(c.call_ms(at(510)), 30_000);
        // Moving while paused keeps the pause and counts nothing.
        c.pause(at(510)).unwrap();
        c.next(at(600)).unwrap();
        assert_eq!(c.phase(), Phase::Paused);
        assert_eq!(c.step_ms(Step::Mirror, at(700)), 0);
    }

    #[test]
    fn illegal_moves_are_refused_and_change_nothing() {
        let mut c = Checklist::start(t0());
        assert_eq!(c.prev(at(1)), Err(Illegal::AtFirst));
        assert_eq!(c.skip("  ", at(1)), Err(Illegal::NoReason));
        assert_eq!(c.current(), Step::Assess);
        for _ in 0..5 {
            c.next(at(2)).unwrap();
        }
        assert_eq!(c.current(), Step::Retro);
        assert_eq!(c.next(at(3)), Err(Illegal::AtLast));
        assert_eq!(c.skip("why", at(3)), Err(Illegal::AtLast));
    }

    #[test]
    fn skip_records_the_reason_and_moves_on() {
        let mut c = Checklist::start(t0());
        assert_eq!(c.skip("they opened with the fix", at(5)), Ok(Step::Mirror));
        assert_eq!(
            c.step(Step::Assess).skipped.as_deref(),
            Some("they opened with the fix")
        );
        assert_eq!(c.step_ms(Step::Assess, at(9)), 5_000);
    }

    #[test]
    fn ending_stops_the_clock_and_goes_to_tagging() {
        let mut c = Checklist::start(t0());
        c.next(at(60)).unwrap();
        c.end(at(90)).unwrap();
        assert_eq!(c.current(), Step::Document);
        assert_eq!(c.phase(), Phase::Ended);
        assert_eq!(c.call_ms(at(1000)), 90_000);
        assert_eq!(c.end(at(91)), Err(Illegal::Ended));
        assert_eq!(c.pause(at(91)), Err(Illegal::Ended));
        assert_eq!(c.resume(at(91)), Err(Illegal::Ended));
        // After the call only steps 5 and 6 are reachable.
        assert_eq!(c.prev(at(92)), Err(Illegal::Ended));
        assert_eq!(c.next(at(92)), Ok(Step::Retro));
        assert_eq!(c.prev(at(92)), Ok(Step::Document));
        // Ending from the last step also goes to tagging.
        let mut c = Checklist::start(t0());
        for _ in 0..5 {
            c.next(at(1)).unwrap();
        }
        c.end(at(2)).unwrap();
        assert_eq!(c.current(), Step::Document);
    }

    #[test]
    fn the_time_box_cue_turns_near_then_over() {
        let c = Checklist::start(t0());
        assert_eq!(c.cue(at(10)), BoxCue::Within);
        assert_eq!(c.cue(at(50)), BoxCue::Near);
        assert_eq!(c.cue(at(61)), BoxCue::Over);
        let mut c = Checklist::start(t0());
        for _ in 0..3 {
            c.next(at(0)).unwrap();
        }
        assert_eq!(c.cue(at(9999)), BoxCue::Untimed);
    }

    #[test]
    fn a_restored_call_is_paused_with_its_times() {
        let mut steps: [StepState; 6] = Default::default();
        steps[0].elapsed_ms = 40_000;
        steps[1].elapsed_ms = 12_000;
        let mut c = Checklist::restore(Step::Mirror, steps, false);
        assert_eq!(c.phase(), Phase::Paused);
        assert_eq!(c.call_ms(at(9999)), 52_000);
        c.resume(at(100)).unwrap();
        assert_eq!(c.step_ms(Step::Mirror, at(103)), 15_000);
    }

    #[test]
    fn red_flags_name_what_the_seeds_watch_for() {
        use crate::domain::model::Pulse;
        use crate::domain::risk::RiskInputs;
        let calm = RiskInputs {
            pulse: Some(Pulse::Green),
            previous_pulse: Some(Pulse::Green),
            pulse_age_days: Some(1),
            stale_after_days: 14,
            personas: vec![],
            days_to_renewal: Some(300),
            nps: Some(9.0),
            previous_nps: Some(9.0),
            csat: None,
            open_tickets: Some(1),
            usage_trend_pct: None,
            competitor_mentions_90d: 0,
            days_since_last_touch: Some(3),
            overdue_followups: 0,
        };
        assert!(red_flags(&calm).is_empty());
        let worried = RiskInputs {
            pulse: Some(Pulse::Red),
            previous_pulse: Some(Pulse::Yellow),
            days_to_renewal: Some(20),
            nps: Some(4.0),
            previous_nps: Some(8.0),
            open_tickets: Some(3),
            competitor_mentions_90d: 2,
            overdue_followups: 1,
            ..calm
        };
        assert_eq!(
            red_flags(&worried),
            [
                "Sentiment dropping Yellow→Red",
                "Red: relationship in jeopardy",
                "3 unresolved tickets",
                "1 follow-up overdue",
                "Competitor mentioned ×2 (90 d)",
                "Renewal in 20 days",
                "NPS 8→4"
            ]
        );
    }

    #[test]
    fn a_step_passed_at_0_00_is_not_done() {
        let t0 = DateTime::parse_from_rfc3339("2026-11-23T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let ms = |n: i64| t0 + chrono::Duration::milliseconds(n);
        let mut c = Checklist::start(t0);
        c.next(ms(400)).unwrap(); // step 1 at 0:00
        c.next(ms(5_400)).unwrap(); // step 2 for 5 s
        c.next(ms(5_500)).unwrap(); // step 3 at 0:00, but with a note
        let now = ms(6_000);
        assert_eq!(c.mark(Step::Assess, now, false), StepMark::Passed);
        assert_eq!(c.mark(Step::Mirror, now, false), StepMark::Done);
        assert_eq!(c.mark(Step::Clarify, now, true), StepMark::Done);
        assert_eq!(c.mark(Step::Propose, now, false), StepMark::Current);
        assert_eq!(c.mark(Step::Document, now, false), StepMark::Ahead);
        c.skip("no time", ms(7_000)).unwrap();
        assert_eq!(c.mark(Step::Propose, now, false), StepMark::Skipped);
    }

    #[test]
    fn clock_text_reads_like_a_stopwatch() {
        assert_eq!(clock_text(0), "0:00");
        assert_eq!(clock_text(61_900), "1:01");
        assert_eq!(clock_text(3_725_000), "1:02:05");
    }
}
