//! The team's standard criteria for each CSM sentiment color, shown beside the choice.
//!
//! The defaults ship in the binary (`assets/sentiment_criteria.toml`); a team can
//! override them with a file of the same shape.

use serde::Deserialize;

use super::model::Pulse;

pub const DEFAULT_TOML: &str = include_str!("../../assets/sentiment_criteria.toml");

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ColorCriteria {
    pub summary: String,
    #[serde(default)]
    pub criteria: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Criteria {
    pub green: ColorCriteria,
    pub yellow: ColorCriteria,
    pub red: ColorCriteria,
}

impl Criteria {
    /// Parses a criteria file; the error says what is wrong and where.
    pub fn parse(text: &str) -> Result<Criteria, String> {
        toml::from_str(text).map_err(|e| e.to_string().replace('\n', " "))
    }

    /// The criteria shipped in the binary.
    pub fn builtin() -> Criteria {
        // The shipped file is checked by a test; an impossible failure falls back to empty.
        Criteria::parse(DEFAULT_TOML).unwrap_or_else(|_| Criteria {
            green: ColorCriteria {
                summary: "Happy and thriving".into(),
                criteria: vec![],
            },
            yellow: ColorCriteria {
                summary: "Concerns to address".into(),
                criteria: vec![],
            },
            red: ColorCriteria {
                summary: "Relationship in jeopardy".into(),
                criteria: vec![],
            },
        })
    }

    pub fn of(&self, pulse: Pulse) -> &ColorCriteria {
        match pulse {
            Pulse::Green => &self.green,
            Pulse::Yellow => &self.yellow,
            Pulse::Red => &self.red,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_criteria_parse_and_cover_every_color() {
        let c = Criteria::parse(DEFAULT_TOML).unwrap();
        for p in Pulse::ALL {
            assert!(!c.of(*p).criteria.is_empty(), "{p:?}");
        }
        assert_eq!(Criteria::builtin(), c);
    }

    #[test]
    fn a_broken_override_is_reported() {
        let err = Criteria::parse("[green]\nsummary = 3").unwrap_err();
        assert!(!err.is_empty());
        assert!(
            Criteria::parse("[green]\nsummary = \"x\"").is_err(),
            "red missing"
        );
    }
}
