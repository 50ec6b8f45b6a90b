//! `attuned export --format csv`: one row per live account with its summary, for a
//! spreadsheet. Every cell that a spreadsheet could read as a formula is neutralised.

use std::io::Write;
use std::path::Path;

use rusqlite::Connection;

use crate::domain::text::clean_line;
use crate::error::{Error, Output, Result};
use crate::store::exports::{AccountRow, each_account};

pub const HEADER: &[&str] = &[
    "id",
    "name",
    "segment",
    "tier",
    "industry",
    "contract_value",
    "renewal_date",
    "owner",
    "parent",
    "csm_sentiment",
    "csm_sentiment_at",
    "personas",
    "personas_okay_or_better",
    "coverage_pct",
    "missing_roles",
    "risk",
    "last_touch_at",
    "next_followup_on",
    "overdue_followups",
    "external_ids",
    "missing",
];

/// A cell a spreadsheet would evaluate (`=`, `+`, `-`, `@`, tab, CR first) gets a
/// leading single quote, so it is shown as text.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

/// Dollars with cents, e.g. `1100.04`.
pub fn dollars(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.unsigned_abs();
    format!("{sign}{}.{:02}", c / 100, c % 100)
}

fn cells(a: &AccountRow) -> [String; 21] {
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    [
        a.id.to_string(),
        a.name.clone(),
        a.segment.clone(),
        a.tier.to_string(),
        o(&a.industry),
        dollars(a.contract_value_cents),
        o(&a.renewal_date),
        o(&a.owner),
        o(&a.parent),
        o(&a.pulse),
        o(&a.pulse_at),
        a.personas_total.to_string(),
        a.personas_strong.to_string(),
        a.coverage_pct.to_string(),
        a.missing_roles.clone(),
        a.risk.to_string(),
        o(&a.last_touch_at),
        o(&a.next_followup_on),
        a.overdue_followups.to_string(),
        a.external_ids.clone(),
        a.missing
            .gaps()
            .map(|g| g.label())
            .collect::<Vec<_>>()
            .join("; "),
    ]
}

fn csv_error(shown: &Path, e: csv::Error) -> Error {
    if e.is_io_error()
        && let csv::ErrorKind::Io(io) = e.into_kind()
    {
        return Error::io(shown, io);
    }
    Output::Csv(shown.to_path_buf()).into()
}

/// Writes the accounts CSV to `w`; returns how many accounts it wrote. Each cell is one
/// line without control characters, neutralised first so a formula's leading tab or CR
/// still earns its quote.
pub fn write(conn: &Connection, w: &mut dyn Write, shown: &Path) -> Result<u64> {
    let mut out = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(w);
    out.write_record(HEADER).map_err(|e| csv_error(shown, e))?;
    let n = each_account(conn, |a| {
        let row = cells(a);
        out.write_record(row.iter().map(|c| clean_line(&neutralise(c)).into_owned()))
            .map_err(|e| csv_error(shown, e))
    })?;
    out.flush().map_err(|e| Error::io(shown, e))?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_are_neutralised_and_nothing_else() {
        for bad in ["=1+1", "+SUM(A1)", "-2", "@cmd", "\tx", "\rx"] {
            assert_eq!(neutralise(bad), format!("'{bad}"));
        }
        for fine in ["Acme", "", " =x", "1.50", "'quoted"] {
            assert_eq!(neutralise(fine), fine);
        }
    }

    #[test]
    fn dollars_keep_their_cents() {
        assert_eq!(dollars(110004), "1100.04");
        assert_eq!(dollars(5), "0.05");
        assert_eq!(dollars(0), "0.00");
    }
}
