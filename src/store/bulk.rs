//! Connection settings for loading many rows at once (the demo, imports).
//!
//! They belong to this connection only, change nothing in the file, and are put back to
//! what they were afterwards, whatever the load's outcome.

use rusqlite::Connection;

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
                Err(crate::Error::Invalid("boom".into()))
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
}
