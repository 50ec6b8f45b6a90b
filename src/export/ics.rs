//! `attuned export --format ics`: the open follow-ups as an iCalendar file (RFC 5545)
//! a calendar app can import. One all-day VEVENT per follow-up on its due date (an
//! overdue one on today, where the CSM looks, its due date in the description), with a
//! stable UID so importing again updates rather than duplicates. Lines end in CRLF, text
//! is escaped (backslash, semicolon, comma, newline) and lines longer than 75 octets are
//! folded without splitting a UTF-8 character.

use std::io::Write;
use std::path::Path;

use chrono::{Days, NaiveDate};
use rusqlite::Connection;

use crate::domain::text::clean_text;
use crate::error::{Error, Result};
use crate::store::followups::{self, Followup};
use crate::store::summary::AsOf;

/// Every open follow-up is exported (the queue reads at most this many).
const LIMIT: usize = 1_000_000;

/// Writes the calendar; returns how many events it holds.
pub fn write(conn: &Connection, at: &AsOf, w: &mut dyn Write, shown: &Path) -> Result<usize> {
    let (items, _) = followups::open(conn, at.today, LIMIT)?;
    let text = calendar(&items, at);
    w.write_all(text.as_bytes())
        .map_err(|e| Error::io(shown, e))?;
    Ok(items.len())
}

/// The whole calendar as text.
pub fn calendar(items: &[Followup], at: &AsOf) -> String {
    let mut out = String::new();
    let stamp = at.now.format("%Y%m%dT%H%M%SZ").to_string();
    line(&mut out, "BEGIN:VCALENDAR");
    line(&mut out, "VERSION:2.0");
    line(&mut out, "PRODID:-//attuned//follow-ups//EN");
    line(&mut out, "CALSCALE:GREGORIAN");
    line(&mut out, "METHOD:PUBLISH");
    line(&mut out, "X-WR-CALNAME:attuned follow-ups");
    for f in items {
        let on = shown_on(f.due_on, at.today);
        let end = on.checked_add_days(Days::new(1)).unwrap_or(on);
        line(&mut out, "BEGIN:VEVENT");
        line(&mut out, &format!("UID:followup-{}@attuned", f.id));
        line(&mut out, &format!("DTSTAMP:{stamp}"));
        line(
            &mut out,
            &format!("DTSTART;VALUE=DATE:{}", on.format("%Y%m%d")),
        );
        line(
            &mut out,
            &format!("DTEND;VALUE=DATE:{}", end.format("%Y%m%d")),
        );
        line(
            &mut out,
            &format!(
                "SUMMARY:{}",
                escape(&format!("{}: {}", f.account, f.action))
            ),
        );
        let mut description = format!("Follow-up on {}", f.account);
        if f.due_on < at.today {
            description.push_str(&format!("\nOverdue: due {}", f.due_on));
        }
        if let Some(from) = f.snoozed_from {
            description.push_str(&format!("\nFirst due {from}"));
        }
        line(&mut out, &format!("DESCRIPTION:{}", escape(&description)));
        line(&mut out, "TRANSP:TRANSPARENT");
        line(&mut out, "END:VEVENT");
    }
    line(&mut out, "END:VCALENDAR");
    out
}

/// The day a follow-up shows on: its due date, or today once that has passed (a calendar
/// shows the past where nobody looks).
fn shown_on(due_on: NaiveDate, today: NaiveDate) -> NaiveDate {
    due_on.max(today)
}

/// TEXT value escaping (RFC 5545 3.3.11), after the control characters are cleaned
/// (CRLF and CR become a newline, escaped as `\n`; a tab stays).
pub fn escape(s: &str) -> String {
    let clean = clean_text(s);
    let mut out = String::with_capacity(clean.len());
    for c in clean.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// Appends one content line, folded at 75 octets (RFC 5545 3.1), with CRLF.
fn line(out: &mut String, content: &str) {
    let mut width = 0;
    for c in content.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            // The leading space of a continuation line counts toward its 75 octets.
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::tagging::Bucket;
    use chrono::{TimeZone, Utc};

    fn item(account: &str, action: &str) -> Followup {
        let due = NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
        Followup {
            id: 42,
            account_id: 1,
            account: account.into(),
            touch_id: None,
            due_on: due,
            action: action.into(),
            snoozed_from: None,
            bucket: Bucket::Later,
        }
    }

    #[test]
    fn conforms_line_by_line() {
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 9, 30, 0).unwrap();
        let long = "Send the rollout plan, the pricing; and a note \\ about Zürich ✓ ".repeat(4);
        let text = calendar(&[item("Acme, Inc.", &long)], &AsOf::at(now));
        assert!(text.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
        assert!(text.ends_with("END:VCALENDAR\r\n"));
        assert!(!text.replace("\r\n", "").contains('\n'), "bare LF");
        for l in text.split("\r\n") {
            assert!(l.len() <= 75, "{} octets: {l}", l.len());
        }
        assert!(text.contains("UID:followup-42@attuned\r\n"));
        assert!(text.contains("DTSTAMP:20261123T093000Z\r\n"));
        assert!(text.contains("DTSTART;VALUE=DATE:20261231\r\n"));
        assert!(text.contains("DTEND;VALUE=DATE:20270101\r\n"));
        // Unfolded, the summary is the escaped text.
        let unfolded = text.replace("\r\n ", "");
        assert!(unfolded.contains("SUMMARY:Acme\\, Inc.: Send the rollout plan\\, the pricing\\; and a note \\\\ about Zürich ✓"));
    }

    #[test]
    fn an_overdue_followup_shows_today_with_its_due_date_said() {
        let now = Utc.with_ymd_and_hms(2027, 1, 5, 12, 0, 0).unwrap();
        let at = AsOf {
            today: NaiveDate::from_ymd_opt(2027, 1, 5).unwrap(),
            ..AsOf::at(now)
        };
        let text = calendar(&[item("Acme", "Call back")], &at).replace("\r\n ", "");
        assert!(text.contains("DTSTART;VALUE=DATE:20270105\r\n"), "{text}");
        assert!(text.contains("DTEND;VALUE=DATE:20270106\r\n"));
        assert!(text.contains("Overdue: due 2026-12-31"), "{text}");
        assert!(text.contains("UID:followup-42@attuned\r\n"), "the same UID");
    }

    #[test]
    fn escaping() {
        assert_eq!(escape("a,b;c\\d\ne\r\nf"), "a\\,b\\;c\\\\d\\ne\\nf");
    }
}
