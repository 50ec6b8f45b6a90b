//! Bulk-load index handling of a large import: its indexes and triggers set aside while
//! the rows go in, and put back once after.

use rusqlite::OptionalExtension;

use super::BULK_ACCOUNTS;
use crate::error::Result;
use crate::store::bulk::set_aside;

/// Rows an import is about to add, per table.
#[derive(Debug, Default)]
pub(super) struct NewRows {
    pub(super) accounts: usize,
    pub(super) personas: usize,
    pub(super) touches: usize,
}

impl NewRows {
    /// (table, rows it is about to get).
    fn per_table(&self) -> [(&'static str, usize); 4] {
        [
            ("accounts", self.accounts),
            ("personas", self.personas),
            ("touches", self.touches),
            ("external_ids", self.accounts + self.personas + self.touches),
        ]
    }
}

/// Indexes and triggers set aside for a large load, inside its transaction (so a rollback
/// brings them back as they were), and how to put them back.
///
/// Adding rows one by one to a dozen indexes costs far more than building each index once
/// from the finished table, so when an import at least doubles a table (or fills an empty
/// one) that table's indexes are dropped and recreated after the load from their own
/// `CREATE INDEX` text in `sqlite_schema`: whatever indexes a later schema adds are
/// handled the same way. UNIQUE indexes stay, as they check the rows as they come.
///
/// Of the triggers, two kinds are set aside, each made good in one statement afterwards:
/// the one feeding the account-name search index (it writes the FTS index out at every
/// statement), and, with the accounts' indexes, those keeping `portfolio_totals` and
/// `csm_totals` (then recomputed from the accounts). Every other trigger keeps running.
pub(super) struct SetAside {
    /// (table, CREATE INDEX statement) of each dropped index.
    indexes: Vec<(String, String)>,
    /// The name-index insert trigger's text, and the highest account id of this file's
    /// range before the load (the new accounts are above it, see `Tx::next_id`).
    fts: Option<(String, i64)>,
    /// The text of the dropped triggers on accounts that keep `portfolio_totals` and
    /// `csm_totals`.
    totals: Vec<String>,
    origin: i64,
}

impl SetAside {
    pub(super) fn take(
        tx: &rusqlite::Connection,
        origin: i64,
        fresh: &NewRows,
        bulk_min: usize,
    ) -> Result<SetAside> {
        let mut aside = SetAside {
            indexes: Vec::new(),
            fts: None,
            totals: Vec::new(),
            origin,
        };
        for (table, adding) in fresh.per_table() {
            if adding < bulk_min.max(1) {
                continue;
            }
            let had: i64 = tx.query_row(&format!("SELECT count(*) FROM \"{table}\""), [], |r| {
                r.get(0)
            })?;
            if (adding as i64) < had {
                continue;
            }
            let dropped = set_aside(
                tx,
                "SELECT type, name, sql FROM sqlite_schema
                 WHERE type = 'index' AND tbl_name = ?1 AND sql IS NOT NULL ORDER BY name",
                [table],
            )?;
            aside
                .indexes
                .extend(dropped.into_iter().map(|sql| (table.to_string(), sql)));
            if table == "accounts" {
                aside.totals = set_aside(
                    tx,
                    "SELECT type, name, sql FROM sqlite_schema WHERE type = 'trigger'
                     AND tbl_name = 'accounts'
                     AND (sql LIKE '%portfolio_totals%' OR sql LIKE '%csm_totals%') ORDER BY name",
                    [],
                )?;
            }
        }
        if fresh.accounts > BULK_ACCOUNTS.min(bulk_min) {
            let sql: Option<String> = tx
                .query_row(
                    "SELECT sql FROM sqlite_schema WHERE type = 'trigger' AND name = 'account_names_insert'",
                    [],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(sql) = sql {
                let low = origin << 32;
                let max: i64 = tx.query_row(
                    "SELECT ifnull(max(id), ?1) FROM accounts WHERE id BETWEEN ?1 AND ?2",
                    [low, low | 0xffff_ffff],
                    |r| r.get(0),
                )?;
                tx.execute_batch("DROP TRIGGER account_names_insert")?;
                aside.fts = Some((sql, max));
            }
        }
        Ok(aside)
    }

    /// Recreates the dropped indexes of the tables `which` picks.
    pub(super) fn restore_indexes(
        &self,
        tx: &rusqlite::Connection,
        which: impl Fn(&str) -> bool,
    ) -> Result<()> {
        for (table, sql) in &self.indexes {
            if which(table) {
                tx.execute_batch(sql)?;
            }
        }
        Ok(())
    }

    /// Puts the name-index trigger back and indexes the names it missed.
    pub(super) fn restore_triggers(&self, tx: &rusqlite::Connection) -> Result<()> {
        for sql in &self.totals {
            tx.execute_batch(sql)?;
        }
        if !self.totals.is_empty() {
            tx.execute_batch(crate::store::bulk::RECOMPUTE_PORTFOLIO_TOTALS)?;
            tx.execute_batch(crate::store::bulk::RECOMPUTE_CSM_TOTALS)?;
        }
        if let Some((sql, max)) = &self.fts {
            tx.execute_batch(sql)?;
            tx.execute(
                "INSERT INTO account_names (rowid, name) SELECT id, name FROM accounts
                 WHERE id > ?1 AND id <= ?2",
                [*max, (self.origin << 32) | 0xffff_ffff],
            )?;
        }
        Ok(())
    }
}
