//! How long each kind of typed field may be, in characters, in one place: the forms show
//! `n/limit` near a field as it nears its limit and take no character beyond it; imports
//! refuse a longer value with the file's line (`file:line: title is 500 characters; at
//! most 120`). Chosen so that a field fits the screens that show it in a few lines,
//! with room for real data: a job title or a company name is short; an email is at most
//! 254 by RFC 5321; a reason, an action or an outcome is a few sentences; notes are long
//! but bounded, so a stray 50 MB paste cannot land in a record.

/// One field's limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// What the field is called in messages: "title".
    pub what: &'static str,
    /// The most characters it takes.
    pub max: usize,
}

/// A person's, an account's or a CSM's name.
pub const NAME: Limit = Limit {
    what: "name",
    max: 120,
};
/// A persona's job title.
pub const TITLE: Limit = Limit {
    what: "title",
    max: 120,
};
/// An email address (RFC 5321's path limit).
pub const EMAIL: Limit = Limit {
    what: "email",
    max: 254,
};
/// Why a sentiment or a tie changed.
pub const REASON: Limit = Limit {
    what: "reason",
    max: 500,
};
/// A follow-up's action.
pub const ACTION: Limit = Limit {
    what: "action",
    max: 500,
};
/// A touch's outcome, summary, or a retrospective's answers.
pub const OUTCOME: Limit = Limit {
    what: "outcome",
    max: 500,
};
/// A cell of the values table: an amount or a date, with room to spare.
pub const CELL: Limit = Limit {
    what: "cell",
    max: 40,
};
/// Free notes (a persona's, a call step's, a touch's): room for a long call and a pasted
/// transcript excerpt (a 50,000-character paste lands whole).
pub const NOTES: Limit = Limit {
    what: "notes",
    max: 100_000,
};

impl Limit {
    /// The same limit under another name in messages ("summary" for an outcome-sized
    /// field).
    pub const fn named(self, what: &'static str) -> Limit {
        Limit { what, ..self }
    }

    /// Whether `text` fits.
    pub fn fits(self, text: &str) -> bool {
        text.chars().count() <= self.max
    }

    /// `text` if it fits, else why not: "title is 500 characters; at most 120".
    pub fn check(self, text: &str) -> Result<(), String> {
        let n = text.chars().count();
        if n <= self.max {
            Ok(())
        } else {
            Err(format!(
                "{} is {n} characters; at most {}",
                self.what, self.max
            ))
        }
    }

    /// "96/120" once `text` is within a fifth of the limit (at least 10 characters),
    /// where the CSM should start to see it coming; None before.
    pub fn counter(self, text: &str) -> Option<String> {
        let n = text.chars().count();
        let near = self.max - (self.max / 5).max(10).min(self.max);
        (n >= near).then(|| format!("{n}/{}", self.max))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_say_what_and_how_long() {
        assert!(TITLE.fits(&"x".repeat(120)));
        assert_eq!(
            TITLE.check(&"x".repeat(500)),
            Err("title is 500 characters; at most 120".into())
        );
        // Characters, not bytes.
        assert!(NAME.fits(&"é".repeat(120)));
        assert_eq!(TITLE.counter("short"), None);
        assert_eq!(TITLE.counter(&"x".repeat(96)), Some("96/120".into()));
        assert_eq!(REASON.counter(&"x".repeat(399)), None);
        assert_eq!(REASON.counter(&"x".repeat(400)), Some("400/500".into()));
        assert_eq!(
            OUTCOME
                .named("summary")
                .check(&"x".repeat(501))
                .unwrap_err(),
            "summary is 501 characters; at most 500"
        );
    }
}
