//! Missing data is not risk: an account lacking the facts a CSM scores it on is
//! *incomplete*, and shows what is missing instead of a confident risk score built on
//! absences (a fresh CRM import would otherwise open at "Risk 56 High" everywhere).
//!
//! The store keeps the same rule as the generated column `accounts.missing_key` (schema
//! V8, same bits); `store::completeness` tests that the two agree.

/// What the completeness rule looks at, already reduced to plain facts by the store.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AccountFacts {
    /// Cents a year; 0 means nobody entered or imported one.
    pub contract_value: i64,
    pub has_renewal_date: bool,
    /// Active personas whose strength a CSM rated (anything but "none").
    pub rated_personas: u32,
    pub has_pulse: bool,
}

/// One thing an account lacks to be scored with confidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gap {
    ContractValue,
    RenewalDate,
    RatedPersona,
    Pulse,
}

impl Gap {
    /// In the order a CSM fills them in on a first pass (the set-up checklist's order).
    pub const ALL: [Gap; 4] = [
        Gap::ContractValue,
        Gap::RenewalDate,
        Gap::RatedPersona,
        Gap::Pulse,
    ];

    /// The gap's bit in `Missing` and in `accounts.missing_key`.
    pub const fn bit(self) -> u8 {
        match self {
            Gap::ContractValue => 1,
            Gap::RenewalDate => 2,
            Gap::RatedPersona => 4,
            Gap::Pulse => 8,
        }
    }

    /// As a CSM says it: "no renewal date".
    pub fn label(self) -> &'static str {
        match self {
            Gap::ContractValue => "no contract value",
            Gap::RenewalDate => "no renewal date",
            Gap::RatedPersona => "no rated persona",
            Gap::Pulse => "no CSM sentiment",
        }
    }

    /// "212 accounts have no renewal date" (`text::count_of` plural rules).
    pub fn count_line(self, accounts: i64) -> String {
        let verb = if accounts == 1 { "has" } else { "have" };
        format!(
            "{} {verb} {}",
            super::text::count_of(accounts, "account"),
            self.label()
        )
    }
}

/// The set of gaps of one account (a bitset, as stored in `accounts.missing_key`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Missing(u8);

impl Missing {
    /// From the stored bits; unknown bits are dropped.
    pub fn from_bits(bits: i64) -> Missing {
        let all = Gap::ALL.iter().fold(0, |acc, g| acc | g.bit());
        Missing((bits & i64::from(all)) as u8)
    }

    pub fn bits(self) -> u8 {
        self.0
    }

    pub fn has(self, gap: Gap) -> bool {
        self.0 & gap.bit() != 0
    }

    /// Nothing missing: the risk score can be trusted.
    pub fn is_complete(self) -> bool {
        self.0 == 0
    }

    pub fn gaps(self) -> impl Iterator<Item = Gap> {
        Gap::ALL.into_iter().filter(move |g| self.has(*g))
    }

    /// "no renewal date, no CSM sentiment"; empty when complete.
    pub fn describe(self) -> String {
        self.gaps().map(Gap::label).collect::<Vec<_>>().join(", ")
    }
}

/// What an account lacks to be scored with confidence. Pure.
pub fn missing(facts: &AccountFacts) -> Missing {
    let mut bits = 0;
    let mut lack = |gap: Gap, missing: bool| {
        if missing {
            bits |= gap.bit();
        }
    };
    lack(Gap::ContractValue, facts.contract_value <= 0);
    lack(Gap::RenewalDate, !facts.has_renewal_date);
    lack(Gap::RatedPersona, facts.rated_personas == 0);
    lack(Gap::Pulse, !facts.has_pulse);
    Missing(bits)
}

/// How a risk score reads where it shows: the number when the account is complete,
/// "incomplete: no renewal date, …" otherwise (the number on what is known kept after it,
/// for whoever needs it).
pub fn risk_text(score: u32, band: &str, missing: Missing) -> String {
    if missing.is_complete() {
        format!("{score} ({band})")
    } else {
        format!(
            "incomplete: {} (scored {score} on what is known)",
            missing.describe()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete() -> AccountFacts {
        AccountFacts {
            contract_value: 12_000_000,
            has_renewal_date: true,
            rated_personas: 2,
            has_pulse: true,
        }
    }

    #[test]
    fn an_account_with_every_fact_is_complete() {
        let m = missing(&complete());
        assert!(m.is_complete());
        assert_eq!(m.describe(), "");
        assert_eq!(risk_text(72, "High", m), "72 (High)");
    }

    #[test]
    fn each_absence_is_named_in_csm_words() {
        let cases = [
            (
                AccountFacts {
                    contract_value: 0,
                    ..complete()
                },
                "no contract value",
            ),
            (
                AccountFacts {
                    has_renewal_date: false,
                    ..complete()
                },
                "no renewal date",
            ),
            (
                AccountFacts {
                    rated_personas: 0,
                    ..complete()
                },
                "no rated persona",
            ),
            (
                AccountFacts {
                    has_pulse: false,
                    ..complete()
                },
                "no CSM sentiment",
            ),
        ];
        for (facts, label) in cases {
            let m = missing(&facts);
            assert!(!m.is_complete(), "{label}");
            assert_eq!(m.describe(), label);
            assert_eq!(m.gaps().count(), 1);
        }
    }

    /// A fresh CRM import: nothing but names. Not a "Risk 56 High" but four gaps.
    #[test]
    fn a_bare_import_misses_everything_and_says_so_instead_of_a_score() {
        let m = missing(&AccountFacts::default());
        assert_eq!(m.bits(), 0b1111);
        assert_eq!(
            risk_text(56, "High", m),
            "incomplete: no contract value, no renewal date, no rated persona, \
             no CSM sentiment (scored 56 on what is known)"
        );
    }

    #[test]
    fn bits_round_trip_and_unknown_bits_are_dropped() {
        for bits in 0..16 {
            assert_eq!(i64::from(Missing::from_bits(bits).bits()), bits);
        }
        assert_eq!(Missing::from_bits(0x30 | 2).bits(), 2);
    }

    #[test]
    fn count_lines_follow_the_plural_rules() {
        assert_eq!(
            Gap::RenewalDate.count_line(212),
            "212 accounts have no renewal date"
        );
        assert_eq!(Gap::Pulse.count_line(1), "1 account has no CSM sentiment");
    }
}
