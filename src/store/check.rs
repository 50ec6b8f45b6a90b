//! `attuned check`: SQLite's own integrity check plus the app's invariants.

use rusqlite::Connection;

use crate::error::Result;

/// What a check found; empty `problems` means the file is healthy.
#[derive(Debug, Default)]
pub struct Report {
    pub problems: Vec<String>,
    /// `PRAGMA user_version`: the schema the file was written with.
    pub schema_version: i64,
    pub accounts: i64,
    pub personas: i64,
    pub touches: i64,
    pub followups: i64,
}

pub fn run(conn: &Connection) -> Result<Report> {
    let mut report = Report::default();
    let mut stmt = conn.prepare("PRAGMA integrity_check")?;
    let lines = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    report
        .problems
        .extend(lines.into_iter().filter(|l| l != "ok"));
    let mut fk = conn.prepare("PRAGMA foreign_key_check")?;
    let broken = fk
        .query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Option<i64>>(1)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    for (table, rowid) in broken.iter().take(20) {
        let rowid = rowid.map_or("?".into(), |r| r.to_string());
        report.problems.push(format!(
            "{table} row {rowid} points at a record that does not exist"
        ));
    }
    let count = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0));
    report.schema_version = count("PRAGMA user_version")?;
    report.accounts = count("SELECT count(*) FROM accounts")?;
    report.personas = count("SELECT count(*) FROM personas")?;
    report.touches = count("SELECT count(*) FROM touches")?;
    report.followups = count("SELECT count(*) FROM followups")?;
    let (kept, actual): (i64, i64) = conn.query_row(
        "SELECT (SELECT accounts * 1000003 + contract_value FROM portfolio_totals WHERE id = 1),
                (SELECT count(*) * 1000003 + total(contract_value) FROM accounts WHERE archived_at IS NULL)",
        [],
        |r| Ok((r.get(0)?, r.get::<_, f64>(1)? as i64)),
    )?;
    if kept != actual {
        report
            .problems
            .push("portfolio totals disagree with the accounts table".into());
    }
    Ok(report)
}
