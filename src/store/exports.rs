//! Reads behind `export --format csv` and `--format md`.

use rusqlite::{Connection, OptionalExtension, params};

use crate::domain::completeness::Missing;
use crate::error::{Argument, Result};

/// One account with its summary, as the CSV export writes it.
#[derive(Debug, Clone, Default)]
pub struct AccountRow {
    pub id: i64,
    pub name: String,
    pub segment: String,
    pub tier: i64,
    pub industry: Option<String>,
    pub contract_value_cents: i64,
    pub renewal_date: Option<String>,
    pub owner: Option<String>,
    pub parent: Option<String>,
    pub pulse: Option<String>,
    pub pulse_at: Option<String>,
    pub personas_total: i64,
    pub personas_strong: i64,
    pub coverage_pct: i64,
    pub missing_roles: String,
    pub risk: i64,
    pub last_touch_at: Option<String>,
    pub next_followup_on: Option<String>,
    pub overdue_followups: i64,
    /// `system:id` pairs joined by `;`.
    pub external_ids: String,
    /// What the account lacks for its risk score to be trusted.
    pub missing: Missing,
}

/// `SELECT_HEAD`, the account's gaps (`completeness::missing_sql`), then `SELECT_FROM`.
fn select(conn: &Connection) -> Result<String> {
    Ok(format!(
        "{SELECT_HEAD}, {} {SELECT_FROM}",
        super::completeness::missing_sql(conn, "a")?
    ))
}

const SELECT_HEAD: &str = "SELECT a.id, a.name, a.segment, a.tier, a.industry, a.contract_value,
        a.renewal_date, c.name, p.name, a.pulse, a.pulse_at, a.personas_total,
        a.personas_strong, a.coverage_pct, a.missing_roles, a.risk, a.last_touch_at,
        a.next_followup_on, a.overdue_followups,
        ifnull((SELECT group_concat(e.system || ':' || e.external_id, ';') FROM external_ids e
                WHERE e.entity = 'account' AND e.local_id = a.id), '')";

const SELECT_FROM: &str = "FROM accounts a
    LEFT JOIN csms c ON c.id = a.owner_csm_id
    LEFT JOIN accounts p ON p.id = a.parent_id
    WHERE a.archived_at IS NULL";

fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<AccountRow> {
    Ok(AccountRow {
        id: r.get(0)?,
        name: r.get(1)?,
        segment: r.get(2)?,
        tier: r.get(3)?,
        industry: r.get(4)?,
        contract_value_cents: r.get(5)?,
        renewal_date: r.get(6)?,
        owner: r.get(7)?,
        parent: r.get(8)?,
        pulse: r.get(9)?,
        pulse_at: r.get(10)?,
        personas_total: r.get(11)?,
        personas_strong: r.get(12)?,
        coverage_pct: r.get(13)?,
        missing_roles: r.get(14)?,
        risk: r.get(15)?,
        last_touch_at: r.get(16)?,
        next_followup_on: r.get(17)?,
        overdue_followups: r.get(18)?,
        external_ids: r.get(19)?,
        missing: Missing::from_bits(r.get(20)?),
    })
}

/// Calls `f` with every live account, by name, in one read transaction.
pub fn each_account(
    conn: &Connection,
    mut f: impl FnMut(&AccountRow) -> Result<()>,
) -> Result<u64> {
    let snapshot = conn.unchecked_transaction()?;
    let mut stmt = conn.prepare(&format!(
        "{} ORDER BY a.name COLLATE NOCASE, a.id",
        select(conn)?
    ))?;
    let mut rows = stmt.query([])?;
    let mut n = 0;
    while let Some(r) = rows.next()? {
        f(&read(r)?)?;
        n += 1;
    }
    drop(rows);
    drop(stmt);
    snapshot.commit()?;
    Ok(n)
}

/// The live accounts with the highest risk (at least `min_risk`), riskiest first, ties
/// broken by what is at stake as in the portfolio (`risk_rank`, schema V8).
pub fn riskiest(conn: &Connection, min_risk: i64, limit: i64) -> Result<Vec<AccountRow>> {
    let order = if super::completeness::has_missing_key(conn)? {
        "a.risk_rank DESC, a.id DESC"
    } else {
        "a.risk DESC, a.contract_value DESC"
    };
    let mut stmt = conn.prepare(&format!(
        "{} AND a.risk >= ?1 ORDER BY {order} LIMIT ?2",
        select(conn)?
    ))?;
    let rows = stmt
        .query_map(params![min_risk, limit], read)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Live accounts renewing by `to` (YYYY-MM-DD), those already passed included, soonest first.
pub fn renewing(conn: &Connection, to: &str, limit: i64) -> Result<Vec<AccountRow>> {
    // A renewal date that passed on a live account is still open (as in the portfolio's
    // "renewing" filter), and the most urgent: it comes first.
    let mut stmt = conn.prepare(&format!(
        "{} AND a.renewal_date <= ?1 ORDER BY a.renewal_date, a.id LIMIT ?2",
        select(conn)?
    ))?;
    let rows = stmt
        .query_map(params![to, limit], read)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Finds one account by id, CRM id, exact name (any case) or a unique part of its name.
pub fn find_account(conn: &Connection, selector: &str) -> Result<i64> {
    let sel = selector.trim();
    if sel.is_empty() {
        return Err(Argument::AccountMissing.into());
    }
    if let Ok(id) = sel.parse::<i64>() {
        let found: Option<i64> = conn
            .query_row("SELECT id FROM accounts WHERE id = ?1", [id], |r| r.get(0))
            .optional()?;
        if let Some(id) = found {
            return Ok(id);
        }
    }
    let by_crm: Option<i64> = conn
        .query_row(
            "SELECT local_id FROM external_ids WHERE entity = 'account' AND external_id = ?1 LIMIT 1",
            [sel],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(id) = by_crm {
        return Ok(id);
    }
    let names = |sql: &str, arg: &str| -> Result<Vec<(i64, String)>> {
        let mut stmt = conn.prepare(sql)?;
        let v = stmt
            .query_map([arg], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(v)
    };
    let exact = names(
        "SELECT id, name FROM accounts WHERE name = ?1 COLLATE NOCASE AND archived_at IS NULL LIMIT 6",
        sel,
    )?;
    let found = if exact.is_empty() {
        let pattern = format!(
            "%{}%",
            sel.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        names(
            "SELECT id, name FROM accounts WHERE name LIKE ?1 ESCAPE '\\' AND archived_at IS NULL
             ORDER BY name LIMIT 6",
            &pattern,
        )?
    } else {
        exact
    };
    match found.as_slice() {
        [] => Err(Argument::NoAccount {
            given: sel.to_string(),
        }
        .into()),
        [(id, _)] => Ok(*id),
        many => {
            let shown: Vec<String> = many
                .iter()
                .take(5)
                .map(|(id, n)| format!("{n} ({id})"))
                .collect();
            let more = if many.len() > 5 { ", ..." } else { "" };
            Err(Argument::ManyAccounts {
                given: sel.to_string(),
                shown: format!("{}{more}", shown.join(", ")),
            }
            .into())
        }
    }
}
