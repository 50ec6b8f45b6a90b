//! What the book lacks to be scored with confidence (issue 18, "missing data is not
//! risk"): per-book counts for the portfolio header and the set-up checklist, and each
//! account's gaps. The rule is `domain::completeness`; the store reads it from the
//! generated column `accounts.missing_key` (same bits), walked on its partial index
//! `accounts_incomplete`, so complete accounts are never read.
//!
//! ```no_run
//! # fn f(store: &attuned::store::Store) -> attuned::error::Result<()> {
//! use attuned::domain::completeness::Gap;
//! let counts = attuned::store::completeness::missing_counts(store.conn(), None)?;
//! for (gap, n) in counts.lines() {
//!     println!("{}", gap.count_line(n)); // "212 accounts have no renewal date"
//! }
//! # Ok(()) }
//! ```

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, params_from_iter};

use crate::domain::completeness::{Gap, Missing};
use crate::domain::risk::AT_RISK_SCORE;
use crate::error::Result;

/// How many live accounts lack each fact, and how many lack at least one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MissingCounts {
    /// Accounts missing at least one fact (the "incomplete" quick filter's count).
    pub incomplete: i64,
    pub no_contract_value: i64,
    pub no_renewal_date: i64,
    pub no_rated_persona: i64,
    pub no_pulse: i64,
    /// Cents of contract value at risk (risk ≥ the at-risk score) on incomplete accounts:
    /// the part of the book's value at risk that is scored on what is known only.
    pub value_at_risk: i64,
}

impl MissingCounts {
    /// Accounts lacking `gap`.
    pub fn of(&self, gap: Gap) -> i64 {
        match gap {
            Gap::ContractValue => self.no_contract_value,
            Gap::RenewalDate => self.no_renewal_date,
            Gap::RatedPersona => self.no_rated_persona,
            Gap::Pulse => self.no_pulse,
        }
    }

    /// The gaps some account has, with their counts, in `Gap::ALL` order.
    pub fn lines(&self) -> impl Iterator<Item = (Gap, i64)> + '_ {
        Gap::ALL
            .into_iter()
            .map(|g| (g, self.of(g)))
            .filter(|(_, n)| *n > 0)
    }
}

/// Whether the file has schema V8's completeness columns: a file older than that opened
/// read-only is not migrated, and its gaps are computed from the columns they come from.
pub(crate) fn has_missing_key(conn: &Connection) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM sqlite_schema
             WHERE type = 'index' AND name = 'accounts_incomplete')",
        )?
        .query_row([], |r| r.get(0))?)
}

/// The gaps of the accounts row `t` (the table's name or alias) as SQL: the generated
/// column, or on an older file the same bits computed as schema V8 generates them.
pub(crate) fn missing_sql(conn: &Connection, t: &str) -> Result<String> {
    if has_missing_key(conn)? {
        return Ok(format!("{t}.missing_key"));
    }
    Ok(format!(
        "((CASE WHEN {t}.contract_value <= 0 THEN 1 ELSE 0 END)
          | (CASE WHEN {t}.renewal_date IS NULL THEN 2 ELSE 0 END)
          | (CASE WHEN EXISTS (SELECT 1 FROM personas rated WHERE rated.account_id = {t}.id
                 AND rated.archived_at IS NULL AND rated.strength != 'none') THEN 0 ELSE 4 END)
          | (CASE WHEN {t}.pulse IS NULL THEN 8 ELSE 0 END))"
    ))
}

/// Counts over the live accounts, or only those `owners` own (a CSM's or a team's
/// portfolio, as `PortfolioQuery::owners`).
pub fn missing_counts(conn: &Connection, owners: Option<&[i64]>) -> Result<MissingCounts> {
    let (m, source) = if has_missing_key(conn)? {
        (
            "missing_key".to_string(),
            "accounts INDEXED BY accounts_incomplete",
        )
    } else {
        (missing_sql(conn, "accounts")?, "accounts")
    };
    let mut sql = format!(
        "SELECT count(*), ifnull(sum({m} & 1 != 0), 0),
             ifnull(sum({m} & 2 != 0), 0), ifnull(sum({m} & 4 != 0), 0),
             ifnull(sum({m} & 8 != 0), 0),
             ifnull(sum(CASE WHEN risk >= {AT_RISK_SCORE} THEN contract_value END), 0)
         FROM {source}
         WHERE archived_at IS NULL AND {m} != 0",
    );
    let mut args = Vec::new();
    if let Some(owners) = owners {
        let marks = vec!["?"; owners.len()].join(", ");
        sql.push_str(&format!(
            " AND owner_csm_id IN ({})",
            if marks.is_empty() { "NULL" } else { &marks }
        ));
        args.extend(owners.iter().map(|id| Value::Integer(*id)));
    }
    let counts = conn
        .prepare_cached(&sql)?
        .query_row(params_from_iter(args), |r| {
            Ok(MissingCounts {
                incomplete: r.get(0)?,
                no_contract_value: r.get(1)?,
                no_renewal_date: r.get(2)?,
                no_rated_persona: r.get(3)?,
                no_pulse: r.get(4)?,
                value_at_risk: r.get(5)?,
            })
        })?;
    Ok(counts)
}

/// What one account lacks (None: no such account).
pub fn missing_of(conn: &Connection, account_id: i64) -> Result<Option<Missing>> {
    let bits: Option<i64> = conn
        .prepare_cached(&format!(
            "SELECT {} FROM accounts WHERE id = ?1",
            missing_sql(conn, "accounts")?
        ))?
        .query_row([account_id], |r| r.get(0))
        .optional()?;
    Ok(bits.map(Missing::from_bits))
}

/// The incomplete live accounts (id, name, what each lacks), largest contract value
/// first then by name, at most `limit`: the set-up checklist's work list.
pub fn incomplete_accounts(conn: &Connection, limit: usize) -> Result<Vec<(i64, String, Missing)>> {
    let m = missing_sql(conn, "accounts")?;
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT id, name, {m} FROM accounts
         WHERE archived_at IS NULL AND {m} != 0
         ORDER BY contract_value DESC, name COLLATE NOCASE, id LIMIT ?1"
    ))?;
    let rows = stmt
        .query_map([limit as i64], |r| {
            Ok((r.get(0)?, r.get(1)?, Missing::from_bits(r.get(2)?)))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}
