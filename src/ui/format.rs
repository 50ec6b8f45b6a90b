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

/// `name` cut to `width` columns like [`fit`], but when another name in `peers` (the
/// names shown beside it) reads the same up to the cut, the words that tell them apart
/// are kept at the end: "Blackpeak Fab… Europe" beside "Blackpeak Fabr… LATAM".
pub fn fit_apart(name: &str, width: usize, peers: &[&str]) -> String {
    if name.width() <= width {
        return name.to_string();
    }
    let shared = peers
        .iter()
        .filter(|p| **p != name)
        .map(|p| common_prefix(name, p))
        // A plain cut would show at most two columns past what they share.
        .filter(|&n| name[..n].width() + 3 >= width)
        .max();
    let Some(shared) = shared else {
        return fit(name, width);
    };
    // The tail starts at the word where the names part (or, when the other name goes
    // on past this one, at this one's last word).
    let from = if shared >= name.len() {
        name.trim_end().rfind(' ').map_or(0, |i| i + 1)
    } else if name[shared..].starts_with(' ') {
        shared + 1
    } else {
        name[..shared].rfind(' ').map_or(0, |i| i + 1)
    };
    let tail = name[from..].trim_end();
    // Keep a few columns of the head so the row still reads as the same company.
    const HEAD: usize = 4;
    match width.checked_sub(tail.width() + 2) {
        Some(head) if head >= HEAD && from > 0 => {
            format!("{} {tail}", fit_cut(name[..from].trim_end(), head + 1))
        }
        _ => fit(name, width),
    }
}

/// How a table whose first column holds names shares `width` columns (beyond its
/// selection marker): the names get what they `need`, down to what the `others`
/// columns (with a space before each) leave; the room still left goes between the
/// columns, up to three spaces. Returns the name column's width and the gap.
pub fn name_and_gap(width: u16, need: u16, others: &[u16]) -> (u16, u16) {
    let gaps = u16::try_from(others.len()).unwrap_or(u16::MAX);
    let spare = width.saturating_sub(others.iter().sum::<u16>() + gaps);
    let name = need.min(spare);
    let gap = match gaps {
        0 => 1,
        n => (1 + (spare - name) / n).min(3),
    };
    (name, gap)
}

/// [`fit`] that always marks a cut, even when `s` would just fit: the head of a name
/// whose tail follows.
fn fit_cut(s: &str, width: usize) -> String {
    let cut = fit(s, width);
    let mut out = cut.trim_end_matches('…').trim_end().to_string();
    out.push('…');
    out
}

/// Bytes `a` and `b` share from their start, on a character boundary.
fn common_prefix(a: &str, b: &str) -> usize {
    a.char_indices()
        .zip(b.chars())
        .find(|((_, x), y)| x != y)
        .map_or_else(|| a.len().min(b.len()), |((i, _), _)| i)
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

    #[test]
    fn names_take_what_they_need_and_the_rest_goes_between_columns() {
        // 80 columns, three 10-wide columns: 47 left for names that need 20.
        assert_eq!(name_and_gap(80, 20, &[10, 10, 10]), (20, 3));
        assert_eq!(name_and_gap(60, 20, &[10, 10, 10]), (20, 3));
        assert_eq!(name_and_gap(58, 20, &[10, 10, 10]), (20, 2));
        assert_eq!(name_and_gap(55, 20, &[10, 10, 10]), (20, 1));
        // Too narrow: the names get what is left, cut; the gap stays one space.
        assert_eq!(name_and_gap(40, 20, &[10, 10, 10]), (7, 1));
        assert_eq!(name_and_gap(10, 20, &[10, 10, 10]), (0, 1));
        assert_eq!(name_and_gap(10, 20, &[]), (10, 1));
    }

    #[test]
    fn names_that_share_a_head_keep_the_tail_that_tells_them_apart() {
        let peers = [
            "Blackpeak Fabrication Europe",
            "Blackpeak Fabrication LATAM",
            "Northwind Logistics",
        ];
        assert_eq!(fit_apart(peers[0], 21, &peers), "Blackpeak Fab… Europe");
        assert_eq!(fit_apart(peers[1], 21, &peers), "Blackpeak Fabr… LATAM");
        assert_eq!(width(&fit_apart(peers[0], 21, &peers)), 21);
        // A cut that would leave one letter to tell them apart keeps the tail too.
        assert_eq!(fit_apart(peers[0], 24, &peers), "Blackpeak Fabric… Europe");
        // Names that part a few letters before the cut are told apart by it.
        let labs = ["Northwind Logistics", "Northwind Labs"];
        assert_eq!(fit_apart(labs[0], 15, &labs), "Northwind Logi…");
        // A name with no look-alike is cut as usual; one that fits is left alone.
        assert_eq!(
            fit_apart("Quarry & Vale Outfitters", 12, &peers),
            "Quarry & Va…"
        );
        assert_eq!(
            fit_apart("Northwind Logistics Group", 12, &peers),
            "North… Group"
        );
        assert_eq!(fit_apart(peers[2], 21, &peers), "Northwind Logistics");
        // Too narrow to keep a head and the tail: cut as usual.
        assert_eq!(fit_apart(peers[0], 10, &peers), "Blackpeak…");
        // Names that part early are told apart by the plain cut.
        let early = [
            "Blackpeak Fabrication Europe",
            "Blackstone Fabrication Europe",
        ];
        assert_eq!(fit_apart(early[0], 14, &early), "Blackpeak Fab…");
        // One name running on past the other: its last word is kept.
        let longer = [
            "Acme Holdings International",
            "Acme Holdings International Ltd",
        ];
        assert_eq!(fit_apart(longer[1], 20, &longer), "Acme Holdings I… Ltd");
        assert_eq!(fit_apart(longer[0], 20, &longer), "Acme… International");
        // Display width: CJK names part at the end too.
        let cjk = ["日本語日本語 東", "日本語日本語 西"];
        assert_eq!(fit_apart(cjk[0], 12, &cjk), "日本語日… 東");
        assert!(width(&fit_apart(cjk[0], 12, &cjk)) <= 12);
    }
}
