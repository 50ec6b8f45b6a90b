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

/// Counts over the live accounts, or only those `owners` own (a CSM's or a team's
/// portfolio, as `PortfolioQuery::owners`).
pub fn missing_counts(conn: &Connection, owners: Option<&[i64]>) -> Result<MissingCounts> {
    let mut sql = String::from(
        "SELECT count(*), ifnull(sum(missing_key & 1 != 0), 0),
             ifnull(sum(missing_key & 2 != 0), 0), ifnull(sum(missing_key & 4 != 0), 0),
             ifnull(sum(missing_key & 8 != 0), 0)
         FROM accounts INDEXED BY accounts_incomplete
         WHERE archived_at IS NULL AND missing_key != 0",
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
            })
        })?;
    Ok(counts)
}

/// What one account lacks (None: no such account).
pub fn missing_of(conn: &Connection, account_id: i64) -> Result<Option<Missing>> {
    let bits: Option<i64> = conn
        .prepare_cached("SELECT missing_key FROM accounts WHERE id = ?1")?
        .query_row([account_id], |r| r.get(0))
        .optional()?;
    Ok(bits.map(Missing::from_bits))
}

/// The incomplete live accounts (id, name, what each lacks), largest contract value
/// first then by name, at most `limit`: the set-up checklist's work list.
pub fn incomplete_accounts(conn: &Connection, limit: usize) -> Result<Vec<(i64, String, Missing)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, name, missing_key FROM accounts
         WHERE archived_at IS NULL AND missing_key != 0
         ORDER BY contract_value DESC, name COLLATE NOCASE, id LIMIT ?1",
    )?;
    let rows = stmt
        .query_map([limit as i64], |r| {
            Ok((r.get(0)?, r.get(1)?, Missing::from_bits(r.get(2)?)))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}
