//! What a touch's outcome says about the account's renewal.
//!
//! Renewals and expansions are not a separate record: the CSM writes them in the outcome
//! of the touch that closed them ("Renewed, +20 seats", "Churned to a competitor"), and a
//! CRM import writes its deal stage there ("won", "lost"). Team KPIs and audits read the
//! result back with [`classify`], so both agree on what counts.

/// How a renewal ended, as far as a touch's outcome tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RenewalResult {
    /// Renewed at the same or an unknown size.
    Renewed,
    /// Renewed and grew (upsell, more seats, an upgrade).
    Expanded,
    /// Did not renew.
    Lost,
}

impl RenewalResult {
    /// Whether the customer stayed.
    pub fn retained(self) -> bool {
        !matches!(self, RenewalResult::Lost)
    }
}

const LOST: &[&str] = &[
    "lost",
    "churned",
    "churn",
    "cancelled",
    "canceled",
    "cancellation",
    "non-renewal",
];
const LOST_PHRASES: &[&str] = &[
    "did not renew",
    "not renewing",
    "won't renew",
    "will not renew",
];
const EXPANDED: &[&str] = &["expanded", "upsell", "upsold", "upgraded", "expansion"];
const RENEWED: &[&str] = &["renewed", "won", "signed"];

/// The renewal result an outcome text records, if it records one.
///
/// Words are matched whole and case-insensitively, losses first, so "lost the renewal"
/// and "did not renew" never read as renewals. "Expansion" counts only together with a
/// renewal word or "signed"/"closed", so "discussed expansion" is not an expansion.
pub fn classify(outcome: &str) -> Option<RenewalResult> {
    let text = outcome.to_lowercase();
    if LOST_PHRASES.iter().any(|p| text.contains(p)) {
        return Some(RenewalResult::Lost);
    }
    let words: Vec<&str> = text
        .split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '\''))
        .filter(|w| !w.is_empty())
        .collect();
    let has = |set: &[&str]| words.iter().any(|w| set.contains(w));
    if has(LOST) {
        return Some(RenewalResult::Lost);
    }
    let expanded = words
        .iter()
        .any(|w| EXPANDED.contains(w) && *w != "expansion");
    let closed = has(RENEWED) || words.contains(&"closed");
    if expanded || (closed && words.contains(&"expansion")) {
        return Some(RenewalResult::Expanded);
    }
    if has(RENEWED) {
        return Some(RenewalResult::Renewed);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::RenewalResult::*;
    use super::*;

    #[test]
    fn outcomes_read_as_renewal_results() {
        let cases = [
            ("won", Some(Renewed)),
            ("Won", Some(Renewed)),
            ("lost", Some(Lost)),
            ("Renewed for two years", Some(Renewed)),
            ("Renewed, upsell of 20 seats", Some(Expanded)),
            ("Expanded to a second team", Some(Expanded)),
            ("Signed the expansion", Some(Expanded)),
            ("Discussed expansion at the QBR", None),
            ("Churned to a competitor", Some(Lost)),
            ("Customer did not renew", Some(Lost)),
            ("Lost the renewal", Some(Lost)),
            ("engaging", None),
            ("Listened and validated; customer felt heard", None),
            ("", None),
        ];
        for (text, want) in cases {
            assert_eq!(classify(text), want, "{text:?}");
        }
    }

    #[test]
    fn only_losses_are_not_retained() {
        assert!(Renewed.retained());
        assert!(Expanded.retained());
        assert!(!Lost.retained());
    }
}
