//! `attuned check`: SQLite's own integrity check plus the app's invariants.

use rusqlite::{Connection, params};

use super::summary::persona_ties;
use crate::domain::coverage::Coverage;
use crate::error::Result;

/// How many accounts have their derived columns recomputed and compared.
const SAMPLE: i64 = 500;

/// Cross-record rules SQLite's constraints cannot state, each as a count query and what
/// a non-zero count means.
const RULES: &[(&str, &str)] = &[
    (
        "SELECT count(*) FROM personas p WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = p.account_id)",
        "personas belong to an account that does not exist",
    ),
    (
        "SELECT count(*) FROM touches t WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = t.account_id)",
        "touches belong to an account that does not exist",
    ),
    (
        "SELECT count(*) FROM touch_participants tp JOIN touches t ON t.id = tp.touch_id
         JOIN personas p ON p.id = tp.persona_id WHERE p.account_id <> t.account_id",
        "touch participants are personas of another account",
    ),
    (
        "SELECT count(*) FROM personas p JOIN personas m ON m.id = p.reports_to_id
         WHERE m.account_id <> p.account_id OR m.id = p.id",
        "personas report to someone at another account (or to themselves)",
    ),
    (
        "SELECT count(*) FROM accounts WHERE parent_id = id",
        "accounts are their own parent",
    ),
    (
        "SELECT count(*) FROM followups f JOIN touches t ON t.id = f.touch_id WHERE t.account_id <> f.account_id",
        "follow-ups point at a touch of another account",
    ),
    (
        "SELECT count(*) FROM external_ids e WHERE NOT EXISTS (
             SELECT 1 FROM accounts WHERE e.entity = 'account' AND id = e.local_id
             UNION ALL SELECT 1 FROM personas WHERE e.entity = 'persona' AND id = e.local_id
             UNION ALL SELECT 1 FROM csms WHERE e.entity = 'csm' AND id = e.local_id
             UNION ALL SELECT 1 FROM touches WHERE e.entity = 'touch' AND id = e.local_id)",
        "CRM ids point at records that do not exist",
    ),
];

/// The CSMs whose `csm_totals` row (kept by triggers) differs from their accounts and
/// calls counted afresh, by V4's own formulas; rows that went all to zero count as absent.
const CSM_TOTALS_DISAGREE: &str = concat!(
    "WITH parts AS (",
    csm_totals_rows!(),
    "),
want AS (
    SELECT csm_id, sum(accounts), sum(contract_value), sum(value_at_risk), sum(red),
        sum(yellow), sum(green), sum(unrated), sum(overdue_followups), sum(calls)
    FROM parts GROUP BY csm_id
),
kept AS (
    SELECT csm_id, accounts, contract_value, value_at_risk, red, yellow, green, unrated,
        overdue_followups, calls
    FROM csm_totals
    WHERE accounts <> 0 OR contract_value <> 0 OR value_at_risk <> 0 OR red <> 0
        OR yellow <> 0 OR green <> 0 OR unrated <> 0 OR overdue_followups <> 0 OR calls <> 0
)
SELECT count(DISTINCT csm_id) FROM (
    SELECT * FROM (SELECT * FROM kept EXCEPT SELECT * FROM want)
    UNION ALL
    SELECT * FROM (SELECT * FROM want EXCEPT SELECT * FROM kept)
)"
);

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
                (SELECT count(*) * 1000003 + sum(contract_value) FROM accounts WHERE archived_at IS NULL)",
        [],
        |r| Ok((r.get::<_, Option<i64>>(0)?.unwrap_or(0), r.get::<_, Option<i64>>(1)?.unwrap_or(0))),
    )?;
    if kept != actual {
        report
            .problems
            .push("portfolio totals disagree with the accounts table".into());
    }
    let n = count(CSM_TOTALS_DISAGREE)?;
    if n > 0 {
        report.problems.push(format!(
            "team totals disagree with the accounts for {n} CSM(s)"
        ));
    }
    let (n, groups) = super::kpi_cache::differences(conn, 3)?;
    if n > 0 {
        report.problems.push(format!(
            "coaching KPI figures disagree with the touches for {n} CSM month(s) ({})",
            groups.join(", ")
        ));
    }
    report.problems.extend(cross_record_problems(conn)?);
    derived_columns(conn, &mut report)?;
    Ok(report)
}

/// The cross-record rules that fail, each as "N meaning": what an import must not leave
/// behind either.
pub fn cross_record_problems(conn: &Connection) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    for (sql, meaning) in RULES {
        let n: i64 = conn.query_row(sql, [], |r| r.get(0))?;
        if n > 0 {
            problems.push(format!("{n} {meaning}"));
        }
    }
    Ok(problems)
}

/// Recomputes the date-independent derived columns of a sample of accounts (spread over
/// the whole id range) and reports the ones that disagree.
fn derived_columns(conn: &Connection, report: &mut Report) -> Result<()> {
    let step = (report.accounts / SAMPLE).max(1);
    let mut stmt = conn.prepare(
        "SELECT id, name, personas_total, personas_strong, coverage_pct, missing_roles,
                pulse, last_touch_at, next_followup_on
         FROM (SELECT *, row_number() OVER (ORDER BY id) AS n FROM accounts)
         WHERE (n - 1) % ?1 = 0 LIMIT ?2",
    )?;
    type Kept = (
        i64,
        String,
        i64,
        i64,
        i64,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let rows = stmt
        .query_map(params![step, SAMPLE], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
                r.get(8)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<Kept>>>()?;
    let mut wrong = 0usize;
    let mut first = None;
    let has_rated = super::completeness::has_missing_key(conn)?;
    for (id, name, total, strong, pct, missing, pulse, last_touch, next_followup) in rows {
        let ties = persona_ties(conn, id)?;
        let cov = Coverage::of(&ties);
        // Schema V8's count of rated personas (what "no rated persona" reads).
        let rated_ok = !has_rated || {
            let rated: i64 = conn
                .prepare_cached("SELECT personas_rated FROM accounts WHERE id = ?1")?
                .query_row([id], |r| r.get(0))?;
            let want = ties
                .iter()
                .filter(|t| t.strength != crate::domain::model::Strength::None)
                .count();
            rated == want as i64
        };
        let want_missing = cov
            .missing_roles
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(",");
        let (want_pulse, want_touch, want_followup): (
            Option<String>,
            Option<String>,
            Option<String>,
        ) = conn.query_row(
            "SELECT (SELECT pulse FROM pulse_history WHERE account_id = ?1
                     ORDER BY set_at DESC, id DESC LIMIT 1),
                    (SELECT max(occurred_at) FROM touches WHERE account_id = ?1),
                    (SELECT min(due_on) FROM followups WHERE account_id = ?1 AND done_at IS NULL)",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        let same = rated_ok
            && total == i64::from(cov.personas)
            && strong == i64::from(cov.strong)
            && pct == i64::from(cov.percent())
            && missing == want_missing
            && pulse == want_pulse
            && last_touch == want_touch
            && next_followup == want_followup;
        if !same {
            wrong += 1;
            first.get_or_insert(name);
        }
    }
    if let Some(name) = first {
        report.problems.push(format!(
            "{wrong} sampled account(s) have a summary (coverage, rated personas, sentiment, last touch or next follow-up) that disagrees with their records, e.g. {name:?}"
        ));
    }
    Ok(())
}
