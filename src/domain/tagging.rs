//! Tagging a touch: the typed follow-up date ("+2d", "fri", "2026-12-01", "none"), the
//! CSAT, and the follow-up queue's buckets. Pure: today is a parameter.

use chrono::{Datelike, Days, NaiveDate, Weekday};

/// What the follow-up field says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowupWhen {
    On(NaiveDate),
    /// An explicit "no follow-up".
    None,
}

/// Reads a typed follow-up: `YYYY-MM-DD`, `+N` / `+Nd` days, `+Nw` weeks, `today`,
/// `tomorrow`, a weekday (`fri`, `friday`: the next one after today), or `none` / `-`.
/// A date before today is refused, and so is an empty field (the follow-up is required).
pub fn parse_followup(s: &str, today: NaiveDate) -> Result<FollowupWhen, String> {
    let t = s.trim().to_lowercase();
    if t.is_empty() {
        return Err("a follow-up date is required (or type none)".into());
    }
    if matches!(t.as_str(), "none" | "no" | "-" | "n/a") {
        return Ok(FollowupWhen::None);
    }
    let day = parse_day(&t, today)
        .ok_or_else(|| format!("'{}' is not a date: try +2d, fri or YYYY-MM-DD", s.trim()))?;
    if day < today {
        return Err(format!("{day} is in the past"));
    }
    Ok(FollowupWhen::On(day))
}

/// A typed day relative to `today` (no check against the past).
pub fn parse_day(t: &str, today: NaiveDate) -> Option<NaiveDate> {
    let t = t.trim().to_lowercase();
    match t.as_str() {
        "today" => return Some(today),
        "tomorrow" | "tmr" => return today.checked_add_days(Days::new(1)),
        "yesterday" => return today.checked_sub_days(Days::new(1)),
        _ => {}
    }
    if let Some(rest) = t.strip_prefix('+') {
        let rest = rest.trim();
        let (num, mult) = if let Some(n) = rest.strip_suffix('w') {
            (n, 7)
        } else if let Some(n) = rest.strip_suffix('d') {
            (n, 1)
        } else {
            (rest, 1)
        };
        let n: u64 = num.trim().parse().ok()?;
        if n > 3650 {
            return None;
        }
        return today.checked_add_days(Days::new(n * mult));
    }
    if let Some(wd) = weekday(&t) {
        let ahead = (7 + wd.num_days_from_monday() as i64
            - today.weekday().num_days_from_monday() as i64)
            % 7;
        let ahead = if ahead == 0 { 7 } else { ahead };
        return today.checked_add_days(Days::new(ahead as u64));
    }
    NaiveDate::parse_from_str(&t, "%Y-%m-%d").ok()
}

fn weekday(t: &str) -> Option<Weekday> {
    const NAMES: [(&str, Weekday); 7] = [
        ("monday", Weekday::Mon),
        ("tuesday", Weekday::Tue),
        ("wednesday", Weekday::Wed),
        ("thursday", Weekday::Thu),
        ("friday", Weekday::Fri),
        ("saturday", Weekday::Sat),
        ("sunday", Weekday::Sun),
    ];
    if t.len() < 3 {
        return None;
    }
    NAMES
        .iter()
        .find(|(name, _)| name.starts_with(t))
        .map(|(_, w)| *w)
}

/// CSAT if known: blank, or 1 to 5.
pub fn parse_csat(s: &str) -> Result<Option<u8>, String> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(None);
    }
    match t.parse::<u8>() {
        Ok(n @ 1..=5) => Ok(Some(n)),
        _ => Err(format!("CSAT is 1 to 5 (or blank), not '{t}'")),
    }
}

/// Where an open follow-up sits in the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Bucket {
    Overdue,
    Today,
    /// After today, up to and including this Sunday.
    ThisWeek,
    Later,
}

impl Bucket {
    pub const ALL: [Bucket; 4] = [
        Bucket::Overdue,
        Bucket::Today,
        Bucket::ThisWeek,
        Bucket::Later,
    ];

    pub fn of(due: NaiveDate, today: NaiveDate) -> Bucket {
        if due < today {
            return Bucket::Overdue;
        }
        if due == today {
            return Bucket::Today;
        }
        let to_sunday = 6 - today.weekday().num_days_from_monday() as u64;
        match today.checked_add_days(Days::new(to_sunday)) {
            Some(sunday) if due <= sunday => Bucket::ThisWeek,
            _ => Bucket::Later,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Bucket::Overdue => "Overdue",
            Bucket::Today => "Today",
            Bucket::ThisWeek => "This week",
            Bucket::Later => "Later",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Bucket::Overdue => "overdue",
            Bucket::Today => "today",
            Bucket::ThisWeek => "this_week",
            Bucket::Later => "later",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn typed_followups() {
        // 2026-11-23 is a Monday.
        let today = d("2026-11-23");
        let on = |s: &str| parse_followup(s, today);
        assert_eq!(on("+2d"), Ok(FollowupWhen::On(d("2026-11-25"))));
        assert_eq!(on("+2"), Ok(FollowupWhen::On(d("2026-11-25"))));
        assert_eq!(on("+1w"), Ok(FollowupWhen::On(d("2026-11-30"))));
        assert_eq!(on("fri"), Ok(FollowupWhen::On(d("2026-11-27"))));
        assert_eq!(on("Friday"), Ok(FollowupWhen::On(d("2026-11-27"))));
        assert_eq!(on("mon"), Ok(FollowupWhen::On(d("2026-11-30"))));
        assert_eq!(on("today"), Ok(FollowupWhen::On(today)));
        assert_eq!(on("tomorrow"), Ok(FollowupWhen::On(d("2026-11-24"))));
        assert_eq!(on("2026-12-01"), Ok(FollowupWhen::On(d("2026-12-01"))));
        assert_eq!(on(" none "), Ok(FollowupWhen::None));
        assert!(on("").unwrap_err().contains("required"));
        assert!(on("2026-11-22").unwrap_err().contains("in the past"));
        assert!(on("yesterday").unwrap_err().contains("in the past"));
        assert!(on("next tuesday").unwrap_err().contains("is not a date"));
        assert!(on("2026-13-01").unwrap_err().contains("is not a date"));
        assert!(on("+x").is_err());
        assert!(on("fr").is_err(), "two letters are too few to be a weekday");
        assert!(on("+99999999999999").is_err());
    }

    #[test]
    fn csat_is_blank_or_one_to_five() {
        assert_eq!(parse_csat(""), Ok(None));
        assert_eq!(parse_csat(" 4 "), Ok(Some(4)));
        assert!(parse_csat("0").is_err());
        assert!(parse_csat("6").is_err());
        assert!(parse_csat("good").is_err());
    }

    #[test]
    fn buckets_follow_the_calendar_week() {
        let monday = d("2026-11-23");
        assert_eq!(Bucket::of(d("2026-11-22"), monday), Bucket::Overdue);
        assert_eq!(Bucket::of(monday, monday), Bucket::Today);
        assert_eq!(Bucket::of(d("2026-11-29"), monday), Bucket::ThisWeek);
        assert_eq!(Bucket::of(d("2026-11-30"), monday), Bucket::Later);
        let sunday = d("2026-11-29");
        assert_eq!(Bucket::of(d("2026-11-30"), sunday), Bucket::Later);
    }
}
