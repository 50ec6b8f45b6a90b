//! Relationship coverage: an account judged persona by persona, not as one flat unit.

use super::model::{Role, Sentiment, Strength};

/// What the coverage model needs to know about one (active) persona.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PersonaTie {
    pub role: Role,
    pub strength: Strength,
    pub sentiment: Sentiment,
    /// Whether the CSM has ever been in contact with this persona.
    pub contacted: bool,
}

/// The short figures shown in the portfolio's coverage column.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Coverage {
    pub personas: u32,
    /// Personas at Okay or better.
    pub strong: u32,
    /// Key roles (champion, economic buyer, executive sponsor) nobody fills.
    pub missing_roles: Vec<Role>,
}

impl Coverage {
    pub fn of(ties: &[PersonaTie]) -> Coverage {
        Coverage {
            personas: ties.len() as u32,
            strong: ties.iter().filter(|t| t.strength.is_strong()).count() as u32,
            missing_roles: Role::KEY
                .iter()
                .copied()
                .filter(|role| !ties.iter().any(|t| t.role == *role))
                .collect(),
        }
    }

    /// Strong ties as a percentage, the portfolio's coverage sort key.
    pub fn percent(&self) -> u32 {
        (self.strong * 100).checked_div(self.personas).unwrap_or(0)
    }
}

/// A gap in the relationship map, in the words a CSM would use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    NoPersonas,
    MissingRole(Role),
    /// The role is filled but nobody in it is at Okay or better.
    NoStrongTie(Role),
    /// Someone in the role is negative.
    NegativeKeyPersona(Role),
    /// Only one persona (or none) at Okay or better.
    SingleThreaded,
    ExecutiveSponsorNeverContacted,
    /// A negative persona in a role that can sway the decision.
    InfluentialDetractor,
}

impl Finding {
    pub fn describe(&self) -> String {
        match self {
            Finding::NoPersonas => "No personas mapped yet".into(),
            Finding::MissingRole(role) => format!("No {} identified", role.label().to_lowercase()),
            Finding::NoStrongTie(role) => {
                format!("No strong tie to the {}", role.label().to_lowercase())
            }
            Finding::NegativeKeyPersona(role) => format!("{} is negative", role.label()),
            Finding::SingleThreaded => {
                "Single-threaded: at most one persona at Okay or better".into()
            }
            Finding::ExecutiveSponsorNeverContacted => "Executive sponsor never contacted".into(),
            Finding::InfluentialDetractor => "A detractor with influence".into(),
        }
    }
}

/// Every coverage gap of an account, most serious first.
pub fn findings(ties: &[PersonaTie]) -> Vec<Finding> {
    if ties.is_empty() {
        return vec![Finding::NoPersonas];
    }
    let mut found = Vec::new();
    for role in [Role::EconomicBuyer, Role::Champion] {
        let holders: Vec<&PersonaTie> = ties.iter().filter(|t| t.role == role).collect();
        if holders.is_empty() {
            found.push(Finding::MissingRole(role));
            continue;
        }
        if holders.iter().any(|t| t.sentiment == Sentiment::Negative) {
            found.push(Finding::NegativeKeyPersona(role));
        }
        if !holders.iter().any(|t| t.strength.is_strong()) {
            found.push(Finding::NoStrongTie(role));
        }
    }
    if ties.iter().filter(|t| t.strength.is_strong()).count() <= 1 {
        found.push(Finding::SingleThreaded);
    }
    let sponsors: Vec<&PersonaTie> = ties
        .iter()
        .filter(|t| t.role == Role::ExecutiveSponsor)
        .collect();
    if sponsors.is_empty() {
        found.push(Finding::MissingRole(Role::ExecutiveSponsor));
    } else {
        if sponsors.iter().any(|t| t.sentiment == Sentiment::Negative) {
            found.push(Finding::NegativeKeyPersona(Role::ExecutiveSponsor));
        }
        if sponsors.iter().all(|t| !t.contacted) {
            found.push(Finding::ExecutiveSponsorNeverContacted);
        }
    }
    if ties.iter().any(is_influential_detractor) {
        found.push(Finding::InfluentialDetractor);
    }
    found
}

/// A negative voice that decides or sways: a detractor or decision maker the CSM
/// cannot reach (Weak or None), or any negative decision maker.
fn is_influential_detractor(t: &PersonaTie) -> bool {
    t.sentiment == Sentiment::Negative
        && match t.role {
            Role::Detractor | Role::TechnicalLead => !t.strength.is_strong(),
            Role::DecisionMaker => true,
            _ => false,
        }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tie(role: Role, strength: Strength, sentiment: Sentiment) -> PersonaTie {
        PersonaTie {
            role,
            strength,
            sentiment,
            contacted: strength != Strength::None,
        }
    }

    #[test]
    fn coverage_counts_strong_ties_and_missing_key_roles() {
        let ties = [
            tie(Role::Champion, Strength::VeryGood, Sentiment::Positive),
            tie(Role::EndUser, Strength::Okay, Sentiment::Neutral),
            tie(Role::Admin, Strength::Weak, Sentiment::Neutral),
        ];
        let c = Coverage::of(&ties);
        assert_eq!((c.personas, c.strong, c.percent()), (3, 2, 66));
        assert_eq!(
            c.missing_roles,
            vec![Role::EconomicBuyer, Role::ExecutiveSponsor]
        );
        assert_eq!(Coverage::of(&[]).percent(), 0);
    }

    #[test]
    fn findings_table() {
        use Role::*;
        use Sentiment::*;
        use Strength::{None as NoTie, *};
        let healthy = vec![
            tie(Champion, VeryGood, Positive),
            tie(EconomicBuyer, Okay, Neutral),
            tie(ExecutiveSponsor, Weak, Positive),
        ];
        let cases: Vec<(&str, Vec<PersonaTie>, Vec<Finding>)> = vec![
            ("empty", vec![], vec![Finding::NoPersonas]),
            ("healthy", healthy.clone(), vec![]),
            (
                "cold economic buyer",
                vec![
                    tie(Champion, VeryGood, Positive),
                    tie(EconomicBuyer, Weak, Negative),
                    tie(ExecutiveSponsor, Okay, Neutral),
                ],
                vec![
                    Finding::NegativeKeyPersona(EconomicBuyer),
                    Finding::NoStrongTie(EconomicBuyer),
                ],
            ),
            (
                "single-threaded through the champion",
                vec![
                    tie(Champion, VeryGood, Positive),
                    tie(EconomicBuyer, Weak, Neutral),
                    tie(EndUser, Weak, Neutral),
                ],
                vec![
                    Finding::NoStrongTie(EconomicBuyer),
                    Finding::SingleThreaded,
                    Finding::MissingRole(ExecutiveSponsor),
                ],
            ),
            (
                "sponsor never contacted and an influential detractor",
                vec![
                    tie(Champion, Okay, Positive),
                    tie(EconomicBuyer, VeryGood, Positive),
                    tie(ExecutiveSponsor, NoTie, Neutral),
                    tie(Detractor, Weak, Negative),
                ],
                vec![
                    Finding::ExecutiveSponsorNeverContacted,
                    Finding::InfluentialDetractor,
                ],
            ),
        ];
        for (name, ties, expected) in cases {
            assert_eq!(findings(&ties), expected, "case: {name}");
        }
    }
}
