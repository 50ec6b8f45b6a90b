//! A screen whose read can take seconds on a big file (the KPIs when their kept figures
//! are not current) opens from a thread: the read runs on its own read-only connection,
//! the loop keeps drawing a spinner, and Esc sets `cancel`, which the read checks (a
//! SQLite progress handler interrupts within a thousand steps). The app knows nothing of
//! what is read: `open::slow` says which screens read this way and how.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, TryRecvError, channel};
use std::thread::JoinHandle;
use std::time::Instant;

use ratatui::text::{Line, Span};

use super::screen::Screen;
use super::theme::Theme;
use crate::error::{Error, Result};
use crate::store::Store;

/// How a reader thread wakes the event loop.
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// What is left to do on the loop's thread once the read is done: build the screen.
pub type Build = Box<dyn FnOnce() -> Box<dyn Screen> + Send>;

/// The read itself: given its own store and the cancel flag, the screen's builder.
pub type Read = Box<dyn FnOnce(&Store, &Arc<AtomicBool>) -> Result<Build> + Send>;

/// A screen to open from a thread: what the spinner says it reads, and the read.
pub struct SlowRead {
    /// What is read, as the spinner and a cancel say it ("the coaching KPIs").
    pub what: &'static str,
    pub read: Read,
}

/// The read under way.
pub struct Reading {
    what: &'static str,
    started: Instant,
    cancel: Arc<AtomicBool>,
    result: Receiver<Result<Build>>,
    worker: Option<JoinHandle<()>>,
}

impl Reading {
    /// Starts `slow` on its own thread over the file at `path`; `wake` is called when done.
    pub fn start(slow: SlowRead, path: std::path::PathBuf, wake: Waker) -> Reading {
        let cancel = Arc::new(AtomicBool::new(false));
        let (tx, result) = channel();
        let stop = cancel.clone();
        let read = slow.read;
        let worker = std::thread::spawn(move || {
            let done = Store::open_read_only(&path).and_then(|store| read(&store, &stop));
            let _ = tx.send(done);
            wake();
        });
        Reading {
            what: slow.what,
            started: Instant::now(),
            cancel,
            result,
            worker: Some(worker),
        }
    }

    /// The screen, once the read is done (None while it runs).
    pub fn poll(&mut self) -> Option<Result<Box<dyn Screen>>> {
        let done = match self.result.try_recv() {
            Ok(done) => done,
            Err(TryRecvError::Empty) => return None,
            Err(TryRecvError::Disconnected) => {
                Err(Error::Internal("a reader stopped unexpectedly"))
            }
        };
        self.stop();
        Some(done.map(|build| build()))
    }

    /// Stops the read and waits for its thread (it closes its connection first).
    pub fn stop(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }

    /// What a cancel says.
    pub fn cancelled(&self) -> String {
        format!("Cancelled: {} were not opened", self.what)
    }

    /// The status bar while it reads: a spinner, what is read, the seconds, and Esc.
    pub fn status_line(&self, theme: &Theme) -> Line<'static> {
        const SPIN: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
        let elapsed = self.started.elapsed();
        let frame = SPIN[(elapsed.as_millis() / 100 % 10) as usize];
        Line::from(vec![
            Span::styled(
                format!(
                    " {frame} Reading {}… {:.1} s ",
                    self.what,
                    elapsed.as_secs_f64()
                ),
                theme.title(),
            ),
            Span::styled(" Esc", theme.key()),
            Span::raw(" cancel "),
        ])
    }
}

impl Drop for Reading {
    fn drop(&mut self) {
        self.stop();
    }
}
