//! What a long operation (import, demo, merge, export, backup, check, report, audit draw)
//! tells whoever started it: the phase it is in and how far it got; and how it learns that
//! it should stop (Ctrl-C). The library knows no terminal: `cli` draws the bar.
//!
//! Stopping is cooperative: loops call [`step`] (every thousand rows or so), and SQLite
//! itself is stopped mid-statement by [`interruptible`]. Either way the operation returns
//! [`Error::Cancelled`] (or SQLite's "interrupted"), its transaction rolls back and what
//! it was building aside is removed as it unwinds. An operation disarms SQLite's handler
//! ([`uninterruptible`]) before it commits, so a stop never leaves its work half-kept.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rusqlite::Connection;

use crate::error::{Error, Result};

/// Rows between two calls to [`step`] in a long loop.
pub const EVERY: u64 = 1024;

/// SQLite virtual-machine instructions between two looks at the stop flag (well under a
/// millisecond of work).
const SQL_OPS: i32 = 10_000;

/// Where a long operation reports how far it got.
pub trait Progress: Sync {
    /// A new phase begins: `what` it does, and how many units it will `advance` by in
    /// all, when known.
    fn phase(&self, what: &str, total: Option<u64>);
    /// `n` more units done.
    fn advance(&self, n: u64);
    /// The flag that, once set, asks the operation to stop; `None`: it runs to the end.
    fn stop_flag(&self) -> Option<Arc<AtomicBool>> {
        None
    }
}

/// Reports nothing and never stops: what the app and the tests pass.
pub struct Silent;

impl Progress for Silent {
    fn phase(&self, _: &str, _: Option<u64>) {}
    fn advance(&self, _: u64) {}
}

/// Whether `p` was asked to stop.
pub fn stopped(p: &dyn Progress) -> bool {
    p.stop_flag().is_some_and(|f| f.load(Ordering::Relaxed))
}

/// `n` more units done; `Err(Cancelled)` if the operation should stop.
pub fn step(p: &dyn Progress, n: u64) -> Result<()> {
    p.advance(n);
    if stopped(p) {
        return Err(Error::Cancelled);
    }
    Ok(())
}

/// In a loop over rows, `i` counting from 0: every `EVERY` rows, [`step`] by `EVERY`.
pub fn every(p: &dyn Progress, i: u64) -> Result<()> {
    if i > 0 && i.is_multiple_of(EVERY) {
        return step(p, EVERY);
    }
    Ok(())
}

/// After a loop of `len` rows that called [`every`]: the rows it has not told yet.
pub fn rest(p: &dyn Progress, len: u64) {
    let told = len.saturating_sub(1) / EVERY * EVERY;
    p.advance(len - told);
}

/// Lets `p`'s stop flag interrupt whatever SQLite statement `conn` is running.
pub fn interruptible(conn: &Connection, p: &dyn Progress) -> Result<()> {
    if let Some(flag) = p.stop_flag() {
        conn.progress_handler(SQL_OPS, Some(move || flag.load(Ordering::Relaxed)))?;
    }
    Ok(())
}

/// No more interruptions on `conn`: what follows (a commit) runs to its end.
pub fn uninterruptible(conn: &Connection) -> Result<()> {
    conn.progress_handler(0, None::<fn() -> bool>)?;
    Ok(())
}

/// Runs `work` (one long step that cannot look at the flag itself, e.g. parsing a large
/// JSON file) on a thread of its own, and returns `Cancelled` as soon as `p` asks to stop
/// (the thread is left to finish on its own; the command ends meanwhile).
pub fn stoppable<T: Send + 'static>(
    p: &dyn Progress,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T> {
    let Some(flag) = p.stop_flag() else {
        return Ok(work());
    };
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(work());
    });
    loop {
        match rx.recv_timeout(std::time::Duration::from_millis(20)) {
            Ok(value) => return Ok(value),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) if !flag.load(Ordering::Relaxed) => {}
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => return Err(Error::Cancelled),
            // The thread panicked: a bug, reported as one.
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                return Err(Error::Internal(
                    "internal error: a worker thread stopped (this is a bug; please report it)",
                ));
            }
        }
    }
}

/// SQLite's "interrupted" as the library's `Cancelled`.
pub fn cancelled(e: Error) -> Error {
    match &e {
        Error::Sqlite(s)
            if s.sqlite_error_code() == Some(rusqlite::ErrorCode::OperationInterrupted) =>
        {
            Error::Cancelled
        }
        _ => e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Stopping(Arc<AtomicBool>);
    impl Progress for Stopping {
        fn phase(&self, _: &str, _: Option<u64>) {}
        fn advance(&self, _: u64) {}
        fn stop_flag(&self) -> Option<Arc<AtomicBool>> {
            Some(self.0.clone())
        }
    }

    #[test]
    fn a_set_flag_stops_loops_and_sql_until_disarmed() {
        let flag = Arc::new(AtomicBool::new(false));
        let p = Stopping(flag.clone());
        let conn = Connection::open_in_memory().unwrap();
        interruptible(&conn, &p).unwrap();
        let count = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000) SELECT count(*) FROM n";
        let run = || conn.query_row(count, [], |r| r.get::<_, i64>(0));
        assert_eq!(run().unwrap(), 100_000);
        assert!(step(&p, 1).is_ok());
        flag.store(true, Ordering::Relaxed);
        assert!(matches!(step(&p, 1), Err(Error::Cancelled)));
        let e = run().map_err(Error::from).unwrap_err();
        assert!(matches!(cancelled(e), Error::Cancelled));
        uninterruptible(&conn).unwrap();
        assert_eq!(run().unwrap(), 100_000);
        assert!(step(&Silent, 1).is_ok());
    }
}
