//! The prompt library: scaffolding for each checklist step, never a script.
//!
//! Each prompt may be limited to call types, segments, CSM sentiments and intervention
//! levels; an empty list means "any". For a given context the matching prompts of a step
//! are offered most specific first, and the CSM cycles through the variations.

use serde::Deserialize;

use super::model::{CallType, Intervention, Pulse, Segment};

pub const DEFAULT_TOML: &str = include_str!("../../assets/prompts.toml");

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prompt {
    /// Stable name, recorded in `touch_prompts`.
    pub key: String,
    /// 1..=6.
    pub step: u8,
    pub text: String,
    #[serde(default)]
    pub call_types: Vec<CallType>,
    #[serde(default)]
    pub segments: Vec<Segment>,
    #[serde(default)]
    pub sentiments: Vec<Pulse>,
    #[serde(default)]
    pub interventions: Vec<Intervention>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct LibraryFile {
    prompt: Vec<Prompt>,
}

/// What the prompts are chosen by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PromptContext {
    pub call_type: CallType,
    pub segment: Segment,
    pub sentiment: Option<Pulse>,
    pub intervention: Intervention,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Library {
    prompts: Vec<Prompt>,
}

impl Library {
    /// Parses a library; the error says what is wrong and where, on one line.
    pub fn parse(text: &str) -> Result<Library, String> {
        let file: LibraryFile =
            toml::from_str(text).map_err(|e| e.to_string().replace('\n', " "))?;
        if let Some(p) = file.prompt.iter().find(|p| !(1..=6).contains(&p.step)) {
            return Err(format!("prompt '{}': step must be 1 to 6", p.key));
        }
        if let Some(p) = file.prompt.iter().find(|p| p.text.trim().is_empty()) {
            return Err(format!("prompt '{}' has no text", p.key));
        }
        Ok(Library {
            prompts: file.prompt,
        })
    }

    /// The library shipped in the binary.
    pub fn builtin() -> Library {
        // The shipped file is checked by a test; an impossible failure leaves no prompts.
        Library::parse(DEFAULT_TOML).unwrap_or(Library {
            prompts: Vec::new(),
        })
    }

    /// The text of the prompt named `key`, if the library has it.
    pub fn text_of(&self, key: &str) -> Option<&str> {
        self.prompts
            .iter()
            .find(|p| p.key == key)
            .map(|p| p.text.as_str())
    }

    pub fn len(&self) -> usize {
        self.prompts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.prompts.is_empty()
    }

    /// The prompts of `step` that fit `ctx`, most specific first (ties in file order).
    pub fn for_step(&self, step: u8, ctx: &PromptContext) -> Vec<&Prompt> {
        let mut fit: Vec<(usize, usize, &Prompt)> = self
            .prompts
            .iter()
            .enumerate()
            .filter(|(_, p)| p.step == step)
            .filter_map(|(i, p)| specificity(p, ctx).map(|s| (s, i, p)))
            .collect();
        fit.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        fit.into_iter().map(|(_, _, p)| p).collect()
    }
}

/// How many of the prompt's limits `ctx` meets, or None when one excludes it.
fn specificity(p: &Prompt, ctx: &PromptContext) -> Option<usize> {
    fn check<T: PartialEq>(list: &[T], value: Option<T>) -> Option<usize> {
        if list.is_empty() {
            return Some(0);
        }
        match value {
            Some(v) if list.contains(&v) => Some(1),
            _ => None,
        }
    }
    Some(
        check(&p.call_types, Some(ctx.call_type))?
            + check(&p.segments, Some(ctx.segment))?
            + check(&p.sentiments, ctx.sentiment)?
            + check(&p.interventions, Some(ctx.intervention))?,
    )
}

/// The intervention level the signals suggest before the CSM picks one.
pub fn suggested_intervention(call_type: CallType, sentiment: Option<Pulse>) -> Intervention {
    match (call_type, sentiment) {
        (CallType::Escalation, _) => Intervention::Escalation,
        (_, Some(Pulse::Red)) => Intervention::Escalation,
        (CallType::Onboarding, _) => Intervention::Coaching,
        _ => Intervention::Empathy,
    }
}

/// A gentle word when a line has been used on many calls: a sign of reading a script.
pub fn reuse_notice(other_calls: i64) -> Option<String> {
    (other_calls >= 3).then(|| {
        format!(
            "You have used this line on {other_calls} other calls. Try saying it in your own words this time."
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(call_type: CallType, sentiment: Option<Pulse>, i: Intervention) -> PromptContext {
        PromptContext {
            call_type,
            segment: Segment::Enterprise,
            sentiment,
            intervention: i,
        }
    }

    #[test]
    fn the_shipped_library_parses_and_covers_every_step_in_every_context() {
        let lib = Library::parse(DEFAULT_TOML).unwrap();
        assert!(lib.len() >= 30);
        for call_type in CallType::ALL {
            for i in Intervention::ALL {
                for s in [
                    None,
                    Some(Pulse::Red),
                    Some(Pulse::Yellow),
                    Some(Pulse::Green),
                ] {
                    let c = ctx(*call_type, s, *i);
                    for step in 2..=4 {
                        let n = lib.for_step(step, &c).len();
                        assert!(n >= 2, "{call_type:?} {i:?} {s:?} step {step}: {n}");
                    }
                }
            }
        }
        let mut keys: Vec<&str> = lib.prompts.iter().map(|p| p.key.as_str()).collect();
        keys.sort();
        let before = keys.len();
        keys.dedup();
        assert_eq!(before, keys.len(), "prompt keys are unique");
    }

    #[test]
    fn specific_prompts_come_first_and_limits_exclude() {
        let lib = Library::parse(
            r#"
            [[prompt]]
            key = "any"
            step = 2
            text = "general"
            [[prompt]]
            key = "esc"
            step = 2
            text = "escalation bridge"
            call_types = ["escalation"]
            [[prompt]]
            key = "red"
            step = 2
            text = "red only"
            sentiments = ["red"]
            "#,
        )
        .unwrap();
        let keys = |c: PromptContext| -> Vec<String> {
            lib.for_step(2, &c).iter().map(|p| p.key.clone()).collect()
        };
        assert_eq!(
            keys(ctx(
                CallType::Escalation,
                Some(Pulse::Red),
                Intervention::Empathy
            )),
            ["esc", "red", "any"]
        );
        assert_eq!(
            keys(ctx(CallType::CheckIn, None, Intervention::Empathy)),
            ["any"]
        );
    }

    #[test]
    fn bad_libraries_are_refused_with_a_reason() {
        assert!(
            Library::parse("[[prompt]]\nkey='a'\nstep=9\ntext='x'")
                .unwrap_err()
                .contains("step")
        );
        assert!(
            Library::parse("[[prompt]]\nkey='a'\nstep=2\ntext=' '")
                .unwrap_err()
                .contains("no text")
        );
        assert!(
            Library::parse("[[prompt]]\nkey='a'\nstep=2\ntext='x'\ncall_types=['party']").is_err()
        );
    }

    #[test]
    fn suggestion_and_reuse_notice() {
        assert_eq!(
            suggested_intervention(CallType::CheckIn, Some(Pulse::Red)),
            Intervention::Escalation
        );
        assert_eq!(
            suggested_intervention(CallType::Renewal, None),
            Intervention::Empathy
        );
        assert!(reuse_notice(2).is_none());
        assert!(reuse_notice(3).unwrap().contains("3 other calls"));
    }
}
