//! The practice bank: short scenarios for the daily drills, each with a reference answer.
//!
//! Built into the binary from `assets/scenarios.toml`; a `scenarios.toml` in the config
//! directory replaces it whole (read by `config::load_scenarios`), like the prompt library.

use serde::Deserialize;

use super::model::{CallType, Intervention, Pulse, Segment};
use super::phrasing::Step;

pub const DEFAULT_TOML: &str = include_str!("../../assets/scenarios.toml");

/// What a scenario drills.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Drill {
    /// Name the emotion and the intervention level.
    Recognize,
    Mirror,
    Clarify,
    Propose,
    /// Tag a call summary: R/Y/G, intervention, follow-up.
    Tagging,
}

impl Drill {
    pub const ALL: [Drill; 5] = [
        Drill::Recognize,
        Drill::Mirror,
        Drill::Clarify,
        Drill::Propose,
        Drill::Tagging,
    ];

    /// The step of the phrasing check, for the drills with a written response.
    pub fn phrasing(self) -> Option<Step> {
        match self {
            Drill::Mirror => Some(Step::Mirror),
            Drill::Clarify => Some(Step::Clarify),
            Drill::Propose => Some(Step::Propose),
            Drill::Recognize | Drill::Tagging => None,
        }
    }
}

/// The emotion a customer line carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Emotion {
    Frustrated,
    Anxious,
    Angry,
    Disappointed,
    Confused,
    Skeptical,
    Pleased,
    Overwhelmed,
    Worried,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub id: String,
    pub segment: Segment,
    pub call_type: CallType,
    pub emotion: Emotion,
    pub steps: Vec<Drill>,
    /// The customer's words, or the call summary for tagging.
    pub line: String,
    /// Signals and history.
    pub context: String,
    /// The reference intervention level (recognize, tagging).
    pub intervention: Option<Intervention>,
    /// The model response (mirror, clarify or propose).
    pub answer: Option<String>,
    /// The reference R/Y/G (tagging).
    pub pulse: Option<Pulse>,
    /// The reference follow-up (tagging).
    pub follow_up: Option<String>,
    /// Why the reference answer fits, in one line.
    pub why: String,
}

impl Scenario {
    pub fn drills(&self, drill: Drill) -> bool {
        self.steps.contains(&drill)
    }

    /// What a scenario needs for the steps it drills, or what is missing.
    fn validate(&self) -> Result<(), String> {
        let id = &self.id;
        let blank = |s: &str| s.trim().is_empty();
        if blank(id) {
            return Err("a scenario has no id".into());
        }
        for (name, text) in [
            ("line", &self.line),
            ("context", &self.context),
            ("why", &self.why),
        ] {
            if blank(text) {
                return Err(format!("scenario '{id}' has no {name}"));
            }
        }
        if self.steps.is_empty() {
            return Err(format!("scenario '{id}' drills no step"));
        }
        let written = self.steps.iter().filter(|d| d.phrasing().is_some()).count();
        if written > 1 {
            return Err(format!(
                "scenario '{id}': at most one of mirror, clarify and propose"
            ));
        }
        if written == 1 && self.answer.as_deref().is_none_or(blank) {
            return Err(format!("scenario '{id}' needs an answer"));
        }
        let needs_intervention = self.drills(Drill::Recognize) || self.drills(Drill::Tagging);
        if needs_intervention && self.intervention.is_none() {
            return Err(format!("scenario '{id}' needs an intervention"));
        }
        if self.drills(Drill::Tagging)
            && (self.pulse.is_none() || self.follow_up.as_deref().is_none_or(blank))
        {
            return Err(format!(
                "scenario '{id}' needs a pulse and a follow_up for tagging"
            ));
        }
        Ok(())
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BankFile {
    scenario: Vec<Scenario>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bank {
    scenarios: Vec<Scenario>,
}

impl Bank {
    /// Parses a bank; the error says what is wrong and where, on one line.
    pub fn parse(text: &str) -> Result<Bank, String> {
        let file: BankFile = toml::from_str(text).map_err(|e| e.to_string().replace('\n', " "))?;
        let mut ids = std::collections::HashSet::new();
        for s in &file.scenario {
            s.validate()?;
            if !ids.insert(s.id.as_str()) {
                return Err(format!("scenario id '{}' is used twice", s.id));
            }
        }
        Ok(Bank {
            scenarios: file.scenario,
        })
    }

    /// The bank shipped in the binary.
    pub fn builtin() -> Bank {
        // The shipped file is checked by a test; an impossible failure leaves no scenarios.
        Bank::parse(DEFAULT_TOML).unwrap_or(Bank {
            scenarios: Vec::new(),
        })
    }

    pub fn scenarios(&self) -> &[Scenario] {
        &self.scenarios
    }

    /// The scenarios that drill `drill`, in file order.
    pub fn for_drill(&self, drill: Drill) -> impl Iterator<Item = &Scenario> {
        self.scenarios.iter().filter(move |s| s.drills(drill))
    }

    pub fn len(&self) -> usize {
        self.scenarios.len()
    }

    pub fn is_empty(&self) -> bool {
        self.scenarios.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::phrasing::check;

    #[test]
    fn the_shipped_bank_parses_and_is_spread_evenly() {
        let bank = Bank::parse(DEFAULT_TOML).unwrap();
        assert_eq!(bank, Bank::builtin());
        assert!(bank.len() >= 60, "{}", bank.len());
        for d in Drill::ALL {
            let n = bank.for_drill(d).count();
            assert!(n >= 10, "{d:?}: {n}");
        }
        for seg in Segment::ALL {
            let n = bank
                .scenarios()
                .iter()
                .filter(|s| s.segment == *seg)
                .count();
            assert!(n >= 15, "{seg:?}: {n}");
        }
        for ct in CallType::ALL {
            let n = bank
                .scenarios()
                .iter()
                .filter(|s| s.call_type == *ct)
                .count();
            assert!(n >= 8, "{ct:?}: {n}");
        }
        for pulse in Pulse::ALL {
            let n = bank
                .for_drill(Drill::Tagging)
                .filter(|s| s.pulse == Some(*pulse))
                .count();
            assert!(n >= 2, "tagging {pulse:?}: {n}");
        }
    }

    /// The bank is the phrasing check's tuning set: every model answer passes its step,
    /// and reflects the customer's own words.
    #[test]
    fn every_model_answer_passes_the_phrasing_check() {
        let bank = Bank::builtin();
        let mut failures = Vec::new();
        for s in bank.scenarios() {
            let Some(step) = s.steps.iter().find_map(|d| d.phrasing()) else {
                continue;
            };
            let answer = s.answer.as_deref().unwrap_or_default();
            for r in check(step, answer, Some(&s.line)) {
                if !r.passed {
                    failures.push(format!("{} ({step}): {} — {}", s.id, r.rule, r.reason));
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    const ONE: &str = r#"
        [[scenario]]
        id = "a"
        segment = "smb"
        call_type = "qbr"
        emotion = "pleased"
        steps = ["recognize"]
        line = "Great quarter."
        context = "Usage up."
        intervention = "empathy"
        why = "Celebrate."
    "#;

    #[test]
    fn bad_banks_are_refused_with_a_reason() {
        assert_eq!(Bank::parse(ONE).unwrap().len(), 1);
        let twice = format!("{ONE}{ONE}");
        assert!(Bank::parse(&twice).unwrap_err().contains("used twice"));
        let no_intervention = ONE.replace("intervention = \"empathy\"", "");
        assert!(
            Bank::parse(&no_intervention)
                .unwrap_err()
                .contains("intervention")
        );
        let no_answer = ONE.replace("[\"recognize\"]", "[\"recognize\", \"mirror\"]");
        assert!(Bank::parse(&no_answer).unwrap_err().contains("answer"));
        let tagging = ONE.replace("[\"recognize\"]", "[\"tagging\"]");
        assert!(Bank::parse(&tagging).unwrap_err().contains("pulse"));
        let two = no_answer.replace("\"mirror\"]", "\"mirror\", \"clarify\"]");
        assert!(Bank::parse(&two).unwrap_err().contains("at most one"));
        assert!(Bank::parse(&ONE.replace("smb", "galactic")).is_err());
        assert!(Bank::parse(&ONE.replace("why = ", "wy = ")).is_err());
        assert!(
            Bank::parse(&ONE.replace("Celebrate.", " "))
                .unwrap_err()
                .contains("no why")
        );
    }
}
