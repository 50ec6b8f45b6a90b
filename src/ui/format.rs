//! Short forms of dates, ages and figures for table cells.

use chrono::{DateTime, NaiveDate, Utc};

/// "today", "3d", "5w", "14mo" since an instant.
pub fn ago(t: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    match t {
        None => "never".into(),
        Some(t) => span((now - t).num_days().max(0)),
    }
}

fn span(days: i64) -> String {
    match days {
        0 => "today".into(),
        1..=59 => format!("{days}d"),
        60..=364 => format!("{}mo", days / 30),
        _ => format!("{}y", days / 365),
    }
}

/// "today", "in 3d", "2d late" for a due date.
pub fn due(on: Option<NaiveDate>, today: NaiveDate) -> String {
    match on {
        None => "—".into(),
        Some(d) => match (d - today).num_days() {
            0 => "today".into(),
            n if n < 0 => format!("{}d late", -n),
            n => format!("in {n}d"),
        },
    }
}

/// "Mar 04 101d" (or "Nov 20 -3d" once passed) for a renewal.
pub fn renewal(on: Option<NaiveDate>, today: NaiveDate) -> String {
    match on {
        None => "—".into(),
        Some(d) => {
            let days = (d - today).num_days();
            // Beyond three digits of days the month and year say more (and still fit).
            if days.abs() > 999 {
                d.format("%b %Y").to_string()
            } else {
                format!("{} {days}d", d.format("%b %d"))
            }
        }
    }
}

/// "12,345" with thousands separators.
/// The plural ending for `n` of something: "1 flag", "2 flags".
pub fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

pub fn count(n: i64) -> String {
    let digits = crate::domain::money::grouped(n.unsigned_abs());
    if n < 0 { format!("-{digits}") } else { digits }
}

/// Cuts `s` to `width` characters, marking the cut with an ellipsis.
pub fn fit(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out: String = s.chars().take(width - 1).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn due_dates_read_naturally() {
        let today = d("2026-11-23");
        assert_eq!(due(Some(d("2026-11-23")), today), "today");
        assert_eq!(due(Some(d("2026-11-21")), today), "2d late");
        assert_eq!(due(Some(d("2026-11-30")), today), "in 7d");
        assert_eq!(due(None, today), "—");
    }

    #[test]
    fn renewals_show_date_and_days() {
        let today = d("2026-11-23");
        assert_eq!(renewal(Some(d("2027-03-04")), today), "Mar 04 101d");
        assert_eq!(renewal(Some(d("2026-11-20")), today), "Nov 20 -3d");
        assert_eq!(renewal(Some(d("2018-12-01")), today), "Dec 2018");
    }

    #[test]
    fn counts_and_fitting() {
        assert_eq!(count(1234567), "1,234,567");
        assert_eq!(count(-1000), "-1,000");
        assert_eq!(fit("Northwind Logistics", 10), "Northwind…");
        assert_eq!(fit("abc", 0), "");
        assert_eq!(span(400), "1y");
    }
}
