//! Connection settings for loading many rows at once (the demo, imports).
//!
//! They belong to this connection only, change nothing in the file, and are put back to
//! what they were afterwards, whatever the load's outcome.

use rusqlite::{Connection, OptionalExtension};

use super::Store;
use crate::error::Result;

/// What every large load wants: a big page cache, so randomly ordered indexes stay in
/// memory instead of spilling to the WAL mid-transaction (a loading command's memory,
/// not the workstation's), and statement journals (the accounts triggers need them) in
/// memory rather than temp files.
const BASE: &[(&str, i64)] = &[("cache_size", -262_144), ("temp_store", 2)];

impl Store {
    /// Runs `load` with the bulk settings plus `extra` (e.g. `synchronous` for a load of
    /// many transactions), then restores every setting, reporting the first failure.
    pub fn bulk_load<T>(
        &mut self,
        extra: &[(&'static str, i64)],
        load: impl FnOnce(&mut Store) -> Result<T>,
    ) -> Result<T> {
        let mut previous = Vec::new();
        let applied = apply(&self.conn, BASE.iter().chain(extra), &mut previous);
        let loaded = applied.and_then(|()| load(self));
        let restored = restore(&self.conn, previous);
        let out = loaded?;
        restored?;
        Ok(out)
    }
}

/// `meta` key holding the indexes and triggers a long load has set aside, until it puts
/// them back; a load cut short (a crash, `kill -9`) leaves it, and the next writable open
/// puts them back (`Store::open`).
const DEFERRED_KEY: &str = "bulk_deferred";

/// `portfolio_totals` from the accounts themselves: what its triggers add up row by row.
pub(crate) const RECOMPUTE_PORTFOLIO_TOTALS: &str = "UPDATE portfolio_totals SET
        (accounts, contract_value, value_at_risk, red, yellow, green, unrated) = (
            SELECT count(*), ifnull(sum(contract_value), 0),
                ifnull(sum(CASE WHEN risk >= 50 THEN contract_value ELSE 0 END), 0),
                ifnull(sum(pulse IS 'red'), 0), ifnull(sum(pulse IS 'yellow'), 0),
                ifnull(sum(pulse IS 'green'), 0), ifnull(sum(pulse IS NULL), 0)
            FROM accounts WHERE archived_at IS NULL)
    WHERE id = 1";

/// `csm_totals` from the accounts and calls themselves (schema V4's own formulas).
pub(crate) const RECOMPUTE_CSM_TOTALS: &str = concat!(
    "DELETE FROM csm_totals;
    INSERT INTO csm_totals (csm_id, accounts, contract_value, value_at_risk, red, yellow,
        green, unrated, overdue_followups, calls)
    SELECT csm_id, sum(accounts), sum(contract_value), sum(value_at_risk), sum(red),
        sum(yellow), sum(green), sum(unrated), sum(overdue_followups), sum(calls)
    FROM (",
    csm_totals_rows!(),
    ") GROUP BY csm_id;"
);

/// Drops the named indexes (UNIQUE ones are never dropped: they check rows as they come)
/// and every trigger on `trigger_tables`, and records their text in `meta`, in the
/// caller's transaction. A load of many transactions then adds rows without upkeep, and
/// `put_back` builds each index once and recomputes what the triggers keep.
pub(crate) fn defer(conn: &Connection, indexes: &[&str], trigger_tables: &[&str]) -> Result<()> {
    let mut sql = set_aside(
        conn,
        "SELECT type, name, sql FROM sqlite_schema WHERE sql IS NOT NULL AND (
             (type = 'index' AND name IN (SELECT value FROM json_each(?1)))
             OR (type = 'trigger' AND tbl_name IN (SELECT value FROM json_each(?2))))
         ORDER BY type, name",
        [
            serde_json::to_string(indexes).unwrap_or_default(),
            serde_json::to_string(trigger_tables).unwrap_or_default(),
        ],
    )?;
    if let Some(earlier) = deferred(conn)? {
        sql.extend(earlier);
    }
    conn.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
        [
            DEFERRED_KEY,
            &serde_json::to_string(&sql).unwrap_or_default(),
        ],
    )?;
    Ok(())
}

/// Drops each index and trigger `select` lists (columns: type, name, sql), except UNIQUE
/// indexes, which check rows as they come; returns the `CREATE` text of those dropped.
pub(crate) fn set_aside(
    conn: &Connection,
    select: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<String>> {
    let found = conn
        .prepare(select)?
        .query_map(params, |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut dropped = Vec::new();
    for (kind, name, sql) in found {
        if kind == "index" && is_unique_index(&sql) {
            continue;
        }
        conn.execute_batch(&format!("DROP {kind} {}", quoted(&name)))?;
        dropped.push(sql);
    }
    Ok(dropped)
}

/// An SQL identifier, quoted.
pub(crate) fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Whether `CREATE INDEX` text makes a UNIQUE index.
fn is_unique_index(sql: &str) -> bool {
    sql.split_whitespace()
        .nth(1)
        .is_some_and(|w| w.eq_ignore_ascii_case("unique"))
}

/// Whether a long load has set indexes and triggers aside (it recounts what they keep).
pub(crate) fn is_deferred(conn: &Connection) -> Result<bool> {
    Ok(deferred(conn)?.is_some())
}

fn deferred(conn: &Connection) -> Result<Option<Vec<String>>> {
    let text: Option<String> = conn
        .query_row(
            "SELECT value FROM meta WHERE key = ?1",
            [DEFERRED_KEY],
            |r| r.get(0),
        )
        .optional()?;
    Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
}

/// Puts back what `defer` set aside, in the caller's transaction: the indexes built from
/// the finished tables, the triggers recreated, and what they keep (the portfolio and
/// per-CSM totals, the name search index) recomputed. Nothing to do when nothing waits.
pub(crate) fn put_back(conn: &Connection) -> Result<()> {
    let Some(sql) = deferred(conn)? else {
        return Ok(());
    };
    for text in &sql {
        conn.execute_batch(text)?;
    }
    conn.execute_batch(RECOMPUTE_PORTFOLIO_TOTALS)?;
    conn.execute_batch(RECOMPUTE_CSM_TOTALS)?;
    conn.execute_batch("INSERT INTO account_names (account_names) VALUES ('rebuild')")?;
    conn.execute("DELETE FROM meta WHERE key = ?1", [DEFERRED_KEY])?;
    super::kpi_cache::rebuild(conn)?;
    Ok(())
}

/// Puts back a cut-short load's deferred indexes and triggers, in one transaction; nothing
/// to do in a new file or when nothing waits.
pub(crate) fn finish_deferred(conn: &mut Connection) -> Result<()> {
    let has_meta: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'meta')",
        [],
        |r| r.get(0),
    )?;
    if !has_meta || deferred(conn)?.is_none() {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    put_back(&tx)?;
    tx.commit()?;
    Ok(())
}

fn apply<'a>(
    conn: &Connection,
    settings: impl Iterator<Item = &'a (&'static str, i64)>,
    previous: &mut Vec<(&'static str, i64)>,
) -> Result<()> {
    for &(name, value) in settings {
        let before: i64 = conn.pragma_query_value(None, name, |r| r.get(0))?;
        previous.push((name, before));
        conn.pragma_update(None, name, value)?;
    }
    Ok(())
}

fn restore(conn: &Connection, previous: Vec<(&'static str, i64)>) -> Result<()> {
    let mut outcome = Ok(());
    for (name, value) in previous.into_iter().rev() {
        if let Err(e) = conn.pragma_update(None, name, value)
            && outcome.is_ok()
        {
            outcome = Err(e.into());
        }
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_come_back_after_a_failed_load() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("a.db")).unwrap();
        let cache = |s: &Store| -> i64 {
            s.conn()
                .pragma_query_value(None, "cache_size", |r| r.get(0))
                .unwrap()
        };
        let before = cache(&store);
        let seen = store
            .bulk_load(&[("foreign_keys", 0)], |s| -> Result<i64> {
                assert_eq!(cache(s), -262_144);
                Err(crate::Error::Internal("boom"))
            })
            .unwrap_err();
        assert_eq!(seen.to_string(), "boom");
        assert_eq!(cache(&store), before);
        let fk: i64 = store
            .conn()
            .pragma_query_value(None, "foreign_keys", |r| r.get(0))
            .unwrap();
        assert_eq!(fk, 1);
    }

    #[test]
    fn a_load_cut_short_gets_its_indexes_and_totals_back_on_the_next_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.db");
        let mut store = Store::open(&path).unwrap();
        let schema = |s: &Store| -> Vec<String> {
            let mut stmt = s
                .conn()
                .prepare("SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY name")
                .unwrap();
            stmt.query_map([], |r| r.get(0))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap()
        };
        let before = schema(&store);
        store
            .write(|tx| defer(tx.conn(), &["accounts_by_risk"], &["accounts"]))
            .unwrap();
        // Rows arrive without upkeep, then the load dies.
        store
            .conn()
            .execute_batch(
                "INSERT INTO accounts (id, name, segment, created_at)
                 VALUES (7, 'Northwind', 'smb', '2026-01-01T00:00:00Z')",
            )
            .unwrap();
        assert_ne!(schema(&store), before);
        drop(store);
        let store = Store::open(&path).unwrap();
        assert_eq!(store.meta(DEFERRED_KEY).unwrap(), None);
        let mut after = schema(&store);
        after.retain(|s| !s.starts_with("CREATE TABLE 'account_names"));
        let mut want = before.clone();
        want.retain(|s| !s.starts_with("CREATE TABLE 'account_names"));
        assert_eq!(after.len(), want.len());
        let (accounts, found): (i64, i64) = store
            .conn()
            .query_row(
                "SELECT (SELECT accounts FROM portfolio_totals),
                        (SELECT count(*) FROM account_names WHERE account_names MATCH 'orthw')",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((accounts, found), (1, 1));
        // (The raw row has no summary; what the triggers keep must agree.)
        let problems = crate::store::check::run(store.conn()).unwrap().problems;
        assert!(
            !problems.iter().any(|p| p.contains("totals")),
            "{problems:?}"
        );
    }
}
