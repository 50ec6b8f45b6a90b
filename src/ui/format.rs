//! Short forms of dates, ages and figures for table cells.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::domain::clock::days_since;
pub use crate::domain::text::plural;

/// "today", "3d", "14mo" since an instant, in calendar days before `today`.
pub fn ago(t: Option<DateTime<Utc>>, today: NaiveDate) -> String {
    match t {
        None => "never".into(),
        Some(t) => span(days_since(t, today).max(0)),
    }
}

/// "today", "3d ago", "14mo ago" since an instant, in calendar days before `today`.
pub fn ago_long(t: Option<DateTime<Utc>>, today: NaiveDate) -> String {
    t.map_or_else(|| "never".into(), |t| days_ago(days_since(t, today)))
}

/// "today", "3d ago", "14mo ago" for an age in calendar days.
pub fn days_ago(days: i64) -> String {
    match span(days.max(0)) {
        s if s == "today" => s,
        s => format!("{s} ago"),
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

/// "Mar 04 101d" (or "Nov 20 -3d" once passed) for a renewal; with its year when that
/// is not this year ("May 20 2028 534d").
pub fn renewal(on: Option<NaiveDate>, today: NaiveDate) -> String {
    match on {
        None => "—".into(),
        Some(d) => {
            let days = (d - today).num_days();
            // Beyond three digits of days the month and year say more (and still fit).
            if days.abs() > 999 {
                d.format("%b %Y").to_string()
            } else if d.year() != today.year() {
                format!("{} {days}d", d.format("%b %d %Y"))
            } else {
                format!("{} {days}d", d.format("%b %d"))
            }
        }
    }
}

/// A renewal in a table cell (at most 11 characters): "Jan 07 45d" within 90 days
/// either way, where the days say which year; beyond, the date with its year
/// ("Sep 19 2027"), unless this year ("Mar 04 101d").
pub fn renewal_cell(on: Option<NaiveDate>, today: NaiveDate) -> String {
    match on {
        Some(d) if (d - today).num_days().abs() > 90 && d.year() != today.year() => {
            d.format("%b %d %Y").to_string()
        }
        _ => renewal_short(on, today),
    }
}

fn renewal_short(on: Option<NaiveDate>, today: NaiveDate) -> String {
    match on {
        None => "—".into(),
        Some(d) => format!("{} {}d", d.format("%b %d"), (d - today).num_days()),
    }
}

/// "12,345" with thousands separators.
pub fn count(n: i64) -> String {
    let digits = crate::domain::money::grouped(n.unsigned_abs());
    if n < 0 { format!("-{digits}") } else { digits }
}

/// Cuts `s` to `width` terminal columns, marking the cut with an ellipsis. Widths are
/// display widths: a CJK character or an emoji takes two columns, a combining mark none.
pub fn fit(s: &str, width: usize) -> String {
    if s.width() <= width {
        return s.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > width - 1 {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    out
}

/// The end of `s` in `width` columns, an ellipsis first where the start is cut: a field
/// being typed in shows where the typing is.
pub fn fit_end(s: &str, width: usize) -> String {
    if s.width() <= width {
        return s.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut kept: Vec<char> = Vec::new();
    let mut used = 0;
    for c in s.chars().rev() {
        let w = c.width().unwrap_or(0);
        if used + w > width - 1 {
            break;
        }
        used += w;
        kept.push(c);
    }
    std::iter::once('…').chain(kept.into_iter().rev()).collect()
}

/// `s` cut to `width` columns (see [`fit`]) and padded with spaces to exactly `width`.
pub fn pad(s: &str, width: usize) -> String {
    let mut out = fit(s, width);
    let w = out.width();
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(w)));
    out
}

/// `s` cut to `width` columns and padded on the left to exactly `width` (numbers).
pub fn pad_left(s: &str, width: usize) -> String {
    let cut = fit(s, width);
    let w = cut.width();
    let mut out: String = std::iter::repeat_n(' ', width.saturating_sub(w)).collect();
    out.push_str(&cut);
    out
}

/// The columns `s` takes on screen.
pub fn width(s: &str) -> usize {
    s.width()
}

/// `s` word-wrapped to `width` columns, every line after the first starting with
/// `indent` spaces (a hanging indent under a form's label), so a wrapped line never runs
/// back to column 0. A word wider than a line is cut into pieces.
pub fn wrap_hanging(s: &str, width: usize, indent: usize) -> Vec<String> {
    let width = width.max(indent + 1);
    let mut lines = Vec::new();
    let (mut line, mut used, mut start) = (String::new(), 0, 0);
    for word in s.split_whitespace() {
        if used > start && used + 1 + word.width() > width {
            lines.push(std::mem::replace(&mut line, " ".repeat(indent)));
            (used, start) = (indent, indent);
        } else if used > start {
            line.push(' ');
            used += 1;
        }
        for c in word.chars() {
            let w = c.width().unwrap_or(0);
            if used + w > width && used > indent {
                lines.push(std::mem::replace(&mut line, " ".repeat(indent)));
                (used, start) = (indent, indent);
            }
            line.push(c);
            used += w;
        }
    }
    lines.push(line);
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_end_keeps_the_end() {
        assert_eq!(fit_end("abcdef", 4), "…def");
        assert_eq!(fit_end("abc", 4), "abc");
        assert_eq!(fit_end("日本語です", 5), "…です");
        assert_eq!(fit_end("abc", 0), "");
    }

    #[test]
    fn wrapped_lines_hang_under_the_first() {
        let lines = wrap_hanging("Saving changes CSM sentiment Red → Green", 20, 4);
        assert_eq!(
            lines,
            ["Saving changes CSM", "    sentiment Red →", "    Green"]
        );
        for l in &lines {
            assert!(width(l) <= 20, "{l:?}");
        }
        // A word longer than a line is cut, never past the width.
        let lines = wrap_hanging("abcdefghijklmnop", 8, 2);
        assert_eq!(lines, ["abcdefgh", "  ijklmn", "  op"]);
        assert_eq!(wrap_hanging("", 10, 2), [""]);
    }

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
        assert_eq!(renewal(Some(d("2027-03-04")), today), "Mar 04 2027 101d");
        assert_eq!(renewal(Some(d("2026-12-04")), today), "Dec 04 11d");
        assert_eq!(renewal(Some(d("2028-05-20")), today), "May 20 2028 544d");
        assert_eq!(renewal(Some(d("2026-11-20")), today), "Nov 20 -3d");
        assert_eq!(renewal(Some(d("2018-12-01")), today), "Dec 2018");
        assert_eq!(renewal_cell(Some(d("2027-01-07")), today), "Jan 07 45d");
        assert_eq!(renewal_cell(Some(d("2025-03-04")), today), "Mar 04 2025");
        assert_eq!(renewal_cell(Some(d("2026-03-04")), today), "Mar 04 -264d");
        assert_eq!(renewal_cell(Some(d("2027-09-19")), today), "Sep 19 2027");
        assert_eq!(
            renewal_cell(Some(d("2026-07-01")), d("2026-03-01")),
            "Jul 01 122d"
        );
        assert_eq!(renewal_cell(None, today), "—");
    }

    #[test]
    fn ages_read_short() {
        assert_eq!(days_ago(0), "today");
        assert_eq!(days_ago(1), "1d ago");
        assert_eq!(days_ago(90), "3mo ago");
    }

    #[test]
    fn counts_and_fitting() {
        assert_eq!(count(1234567), "1,234,567");
        assert_eq!(count(-1000), "-1,000");
        assert_eq!(fit("Northwind Logistics", 10), "Northwind…");
        assert_eq!(fit("abc", 0), "");
        assert_eq!(span(400), "1y");
    }

    #[test]
    fn fitting_and_padding_measure_display_width() {
        // Two columns per CJK character: five of them take ten.
        assert_eq!(fit("日本語日本", 10), "日本語日本");
        assert_eq!(fit("日本語日本", 9), "日本語日…");
        assert_eq!(fit("日本語日本", 8), "日本語…");
        assert_eq!(width(&pad("日本語", 8)), 8);
        assert_eq!(pad("日本語日本語", 7), "日本語…");
        assert_eq!(width(&pad("日本語日本語", 7)), 7);
        assert_eq!(pad_left("42", 4), "  42");
        // A combining accent takes no column; Arabic one per letter.
        assert_eq!(width("e\u{301}"), 1);
        assert_eq!(pad("مرحبا", 6), "مرحبا ");
        assert_eq!(fit("✓ done", 3), "✓ …");
    }
}
