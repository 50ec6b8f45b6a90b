//! Counts the accounts matching a filter on a second, read-only connection, so a
//! keystroke never waits for a count (a combination of filters can mean a long scan).

use std::path::Path;
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread;

use crate::error::Result;
use crate::store::Store;
use crate::store::portfolio::{self, PortfolioQuery};

/// Matches are counted only this far: "10,000+" is all a CSM needs to know.
pub const COUNT_CAP: usize = 10_000;

/// A request: the query and its generation, so late answers to old filters are ignored.
type Request = (u64, PortfolioQuery);

pub struct Counter {
    /// `None` once dropped: that ends the thread.
    requests: Option<Sender<Request>>,
    worker: Option<thread::JoinHandle<()>>,
}

impl Counter {
    /// Starts the counting thread; `done(generation, count)` is called with each result.
    pub fn start(path: &Path, done: impl Fn(u64, usize) + Send + 'static) -> Result<Counter> {
        let store = Store::open_read_only(path)?;
        let (requests, inbox) = mpsc::channel::<Request>();
        let worker = thread::spawn(move || serve(&store, &inbox, &done));
        Ok(Counter {
            requests: Some(requests),
            worker: Some(worker),
        })
    }

    pub fn request(&self, generation: u64, query: PortfolioQuery) {
        if let Some(requests) = &self.requests {
            let _ = requests.send((generation, query));
        }
    }
}

/// Ends the thread and waits for it, so its connection is closed before the app's own:
/// the last connection to close is the one that folds the WAL back into the file and
/// removes `-wal` and `-shm`.
impl Drop for Counter {
    fn drop(&mut self) {
        self.requests.take();
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

fn serve(store: &Store, inbox: &Receiver<Request>, done: &dyn Fn(u64, usize)) {
    while let Ok(mut latest) = inbox.recv() {
        // Only the newest filter matters; skip the ones typed over meanwhile.
        while let Ok(newer) = inbox.try_recv() {
            latest = newer;
        }
        let (generation, query) = latest;
        if let Ok(n) = portfolio::count_matching(store.conn(), &query, COUNT_CAP) {
            done(generation, n);
        }
    }
}
