//! The vocabulary of the product: the closed sets a CSM picks from.
//!
//! Each set is stored as its snake_case name (stable in the database and in exports) and
//! shown with its label (the CSM's own words).

use std::fmt;
use std::str::FromStr;

/// Raised when a stored or typed word is not one of a set's names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{value}' is not a valid {set} (expected one of: {expected})")]
pub struct UnknownName {
    pub set: &'static str,
    pub value: String,
    pub expected: String,
}

/// Defines a closed set with its stored names, labels and parsing.
macro_rules! named_set {
    ($(#[$meta:meta])* $name:ident, $set:literal { $($variant:ident => $stored:literal, $label:literal;)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable name used in the database and exports.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $stored),+ }
            }

            /// The word a CSM reads on screen.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }

            /// Exactly the stored name (no trimming, no case folding), for hot reads.
            pub fn from_stored(bytes: &[u8]) -> Option<Self> {
                match std::str::from_utf8(bytes).ok()? {
                    $($stored => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.label())
            }
        }

        impl FromStr for $name {
            type Err = UnknownName;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let wanted = s.trim();
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str().eq_ignore_ascii_case(wanted) || v.label().eq_ignore_ascii_case(wanted))
                    .ok_or_else(|| UnknownName {
                        set: $set,
                        value: s.to_string(),
                        expected: $name::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", "),
                    })
            }
        }
    };
}

named_set!(
    /// Market segment of an account.
    Segment, "segment" {
        Enterprise => "enterprise", "Enterprise";
        MidMarket => "mid_market", "Mid-market";
        Smb => "smb", "SMB";
    }
);

named_set!(
    /// How well the CSM knows a persona (the relationship coverage model's four levels).
    Strength, "relationship strength" {
        None => "none", "None";
        Weak => "weak", "Weak";
        Okay => "okay", "Okay";
        VeryGood => "very_good", "Very good";
    }
);

named_set!(
    /// How a persona feels toward the brand, product and service.
    Sentiment, "sentiment" {
        Negative => "negative", "negative";
        Neutral => "neutral", "neutral";
        Positive => "positive", "positive";
    }
);

named_set!(
    /// The CSM's own Red/Yellow/Green read of the account (a.k.a. Customer Pulse).
    Pulse, "CSM sentiment" {
        Red => "red", "Red";
        Yellow => "yellow", "Yellow";
        Green => "green", "Green";
    }
);

named_set!(
    /// The part a persona plays in the account.
    Role, "role" {
        Champion => "champion", "Champion";
        EconomicBuyer => "economic_buyer", "Economic buyer";
        ExecutiveSponsor => "executive_sponsor", "Executive sponsor";
        DecisionMaker => "decision_maker", "Decision maker";
        TechnicalLead => "technical_lead", "Technical lead";
        Admin => "admin", "Admin";
        EndUser => "end_user", "End user";
        Detractor => "detractor", "Detractor";
        Other => "other", "Other";
    }
);

named_set!(
    /// What kind of contact a touch was.
    TouchKind, "touch type" {
        Call => "call", "Call";
        Meeting => "meeting", "Meeting";
        Email => "email", "Email";
        Qbr => "qbr", "QBR";
        Note => "note", "Note";
    }
);

named_set!(
    /// Why a call was held; chooses prompts and defaults.
    CallType, "call type" {
        CheckIn => "check_in", "Check-in";
        Escalation => "escalation", "Escalation";
        Renewal => "renewal", "Renewal";
        Onboarding => "onboarding", "Onboarding";
        Qbr => "qbr", "QBR";
    }
);

named_set!(
    /// The intervention level chosen for a touch.
    Intervention, "intervention type" {
        Empathy => "empathy", "Empathy";
        Coaching => "coaching", "Coaching";
        Escalation => "escalation", "Escalation";
        ProductFix => "product_fix", "Product fix";
    }
);

named_set!(
    /// Where a touch stands in its life.
    TouchStatus, "touch status" {
        InProgress => "in_progress", "In progress";
        RetroPending => "retro_pending", "Retro pending";
        Done => "done", "Done";
    }
);

named_set!(
    /// Measured account signals, kept as a history.
    SignalKind, "signal" {
        Nps => "nps", "NPS";
        Csat => "csat", "CSAT";
        OpenTickets => "open_tickets", "Open tickets";
        UsageTrend => "usage_trend", "Usage trend";
        CompetitorMention => "competitor_mention", "Competitor mention";
    }
);

impl Strength {
    /// Okay or better: a working relationship the CSM can lean on.
    pub fn is_strong(self) -> bool {
        self >= Strength::Okay
    }
}

impl Role {
    /// The roles whose absence or coldness puts an account at risk.
    pub const KEY: &'static [Role] = &[Role::Champion, Role::EconomicBuyer, Role::ExecutiveSponsor];

    pub fn is_key(self) -> bool {
        Role::KEY.contains(&self)
    }
}

impl Pulse {
    /// The one-letter form used in narrow columns.
    pub fn letter(self) -> char {
        match self {
            Pulse::Red => 'R',
            Pulse::Yellow => 'Y',
            Pulse::Green => 'G',
        }
    }

    /// Whether setting it needs a reason: Red and Yellow say something is wrong, and the
    /// next reader needs to know what; Green may stand alone.
    pub fn needs_reason(self) -> bool {
        self != Pulse::Green
    }

    /// Higher is healthier; used for trends.
    pub fn health(self) -> i8 {
        match self {
            Pulse::Red => 0,
            Pulse::Yellow => 1,
            Pulse::Green => 2,
        }
    }
}

/// Direction of a series over time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Trend {
    Down,
    Flat,
    Up,
}

impl Trend {
    pub fn of(previous: i64, latest: i64) -> Trend {
        match latest.cmp(&previous) {
            std::cmp::Ordering::Less => Trend::Down,
            std::cmp::Ordering::Equal => Trend::Flat,
            std::cmp::Ordering::Greater => Trend::Up,
        }
    }

    pub fn arrow(self) -> char {
        match self {
            Trend::Down => '↘',
            Trend::Flat => '→',
            Trend::Up => '↗',
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_labels_parse() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), *role);
            assert_eq!(role.label().parse::<Role>().unwrap(), *role);
        }
        assert_eq!("Very good".parse::<Strength>().unwrap(), Strength::VeryGood);
        assert_eq!(
            " mid_market ".parse::<Segment>().unwrap(),
            Segment::MidMarket
        );
    }

    #[test]
    fn unknown_names_say_what_is_expected() {
        let err = "purple".parse::<Pulse>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "'purple' is not a valid CSM sentiment (expected one of: red, yellow, green)"
        );
    }

    #[test]
    fn strength_orders_from_none_to_very_good() {
        assert!(Strength::None < Strength::Weak && Strength::Weak < Strength::Okay);
        assert!(Strength::Okay.is_strong() && !Strength::Weak.is_strong());
    }
}
