//! The terminal workstation: the event loop, the terminal's safety, background work.

pub mod account;
// Measurements for the workstation benchmark; not in a normal build.
pub mod app;
pub mod audit_form;
pub mod audits;
#[cfg(feature = "bench-probe")]
mod bench_probe;
pub mod call;
pub mod call_start;
pub mod clipboard;
pub mod counter;
pub mod field;
pub mod followups;
pub mod format;
pub mod help;
pub mod home;
pub mod keymap;
pub mod kpis;
pub mod note_editor;
pub mod open;
pub mod org_chart;
pub mod palette;
pub mod persona_form;
pub mod persona_grid;
pub mod portfolio;
pub mod pulse_form;
pub mod reading;
pub mod retro;
pub mod role_review;
pub mod screen;
pub mod setup;
pub mod team;
pub mod theme;
pub mod touch_view;
pub mod triage;
pub mod value_table;
pub mod who_is_me;
pub mod wrapup;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{self, Sender};
use std::thread;

use crossterm::event::{self, DisableBracketedPaste, EnableBracketedPaste};

use crate::domain::{Clock, SystemClock};
use crate::error::{Error, Result};
use crate::store::Store;
use crate::store::summary::{self, AsOf};
pub use app::App;
pub use theme::Theme;

/// What wakes the loop. Nothing else does: an idle workstation uses no CPU.
enum Wake {
    Terminal(event::Event),
    /// SIGTERM, SIGHUP or SIGINT: leave cleanly.
    Signal,
    /// The background risk refresh finished.
    RiskRefreshed,
    /// A background count of filter matches: (generation, count).
    Counted(u64, usize),
    /// The terminal is gone (read failed).
    InputClosed,
    /// A read on its own thread finished (see `App::read_done`).
    ReadDone,
}

/// Opens the workstation on `store` and runs until the CSM quits.
pub fn run(store: Store) -> Result<()> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let (tx, rx) = mpsc::channel();
    watch_signals(tx.clone())?;
    // ratatui::try_init also installs a panic hook that restores the terminal first.
    let mut terminal = ratatui::try_init().map_err(Error::Terminal)?;
    let result = (|| {
        // A paste arrives as one event (never as keys that would run commands).
        crossterm::execute!(std::io::stdout(), EnableBracketedPaste).map_err(Error::Terminal)?;
        disable_paste_on_panic();
        // Whatever an earlier (killed) program left on the screen goes before the first
        // frame. Not `terminal.clear()`: it asks the terminal where its cursor is, and a
        // terminal that never answers (a pipe behind `script`) would stop the app there.
        crossterm::execute!(
            std::io::stdout(),
            crossterm::terminal::Clear(crossterm::terminal::ClearType::All)
        )
        .map_err(Error::Terminal)?;
        let size = terminal.size().map_err(Error::Terminal)?;
        let config = crate::config::Config::load();
        let stale_after_days = config.stale_after_days;
        let mut app = App::with_config(
            store,
            clock.clone(),
            Theme::from_env(),
            (size.width, size.height),
            config,
        )?;
        app.offer_interrupted_call()?;
        if needs_risk_refresh(&app, clock.as_ref())? {
            app.risk_refreshing = true;
            refresh_risk_in_background(
                app.store().path().to_path_buf(),
                clock.clone(),
                stale_after_days,
                tx.clone(),
            );
        }
        let counted = tx.clone();
        // Without the counter (its connection failed to open) counts are synchronous.
        if let Ok(counter) = counter::Counter::start(app.store().path(), move |g, n| {
            let _ = counted.send(Wake::Counted(g, n));
        }) {
            app.attach_counter(counter);
        }
        let read = tx.clone();
        app.attach_waker(Arc::new(move || {
            let _ = read.send(Wake::ReadDone);
        }));
        read_terminal_events(tx);
        event_loop(&mut terminal, &mut app, &rx)
    })();
    restore();
    result
}

/// Gives the terminal back as it was: bracketed paste off, then ratatui's own restore
/// (raw mode off, main screen, cursor shown). Every way out of `run` comes here.
fn restore() {
    let _ = crossterm::execute!(std::io::stdout(), DisableBracketedPaste);
    ratatui::restore();
}

/// A panic also switches bracketed paste off before ratatui's hook restores the rest, so
/// the shell that gets the terminal back does not see pastes wrapped in markers.
fn disable_paste_on_panic() {
    let restore_rest = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = crossterm::execute!(std::io::stdout(), DisableBracketedPaste);
        restore_rest(info);
    }));
}

fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    app: &mut App,
    rx: &mpsc::Receiver<Wake>,
) -> Result<()> {
    #[cfg(feature = "bench-probe")]
    let mut bench = bench_probe::BenchProbe::from_env();
    terminal
        .draw(|frame| app.draw(frame))
        .map_err(Error::Terminal)?;
    #[cfg(feature = "bench-probe")]
    if bench.exit_after_first_frame {
        bench.first_frame_done();
        return Ok(());
    }
    loop {
        // Blocks until something happens; during a call, also wakes when the clock on
        // screen turns to the next second.
        let wake = match app.tick_in() {
            Some(wait) => match rx.recv_timeout(wait) {
                Ok(w) => Ok(w),
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    app.tick();
                    terminal
                        .draw(|frame| app.draw(frame))
                        .map_err(Error::Terminal)?;
                    continue;
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => Err(mpsc::RecvError),
            },
            None => rx.recv(),
        };
        #[cfg(feature = "bench-probe")]
        let started = std::time::Instant::now();
        #[cfg(feature = "bench-probe")]
        let mut is_key = false;
        let mut stop = false;
        // Everything that is already waiting is handled before the one draw: a long paste
        // or fast typing never waits for another key, and never draws once per character.
        // What they type is written once, after the last of them, before the frame.
        app.begin_burst();
        let mut next = Some(wake);
        while let Some(wake) = next.take() {
            #[cfg(feature = "bench-probe")]
            {
                is_key |= matches!(wake, Ok(Wake::Terminal(event::Event::Key(_))));
            }
            match wake {
                Ok(Wake::Terminal(ev)) => app.handle_event(&ev),
                Ok(Wake::RiskRefreshed) => app.data_changed(),
                Ok(Wake::Counted(generation, n)) => app.counted(generation, n),
                Ok(Wake::ReadDone) => app.read_done(),
                Ok(Wake::Signal) | Ok(Wake::InputClosed) | Err(_) => stop = true,
            }
            if stop || app.should_quit() {
                break;
            }
            next = rx.try_recv().ok().map(Ok);
        }
        app.end_burst();
        if stop || app.should_quit() {
            break;
        }
        terminal
            .draw(|frame| app.draw(frame))
            .map_err(Error::Terminal)?;
        #[cfg(feature = "bench-probe")]
        if is_key {
            bench.key_to_frame.push(started.elapsed());
        }
    }
    #[cfg(feature = "bench-probe")]
    bench.finish();
    Ok(())
}

/// Reads the terminal on its own thread and queues every event at once; the loop takes
/// all that is queued before it draws (see `event_loop`).
fn read_terminal_events(tx: Sender<Wake>) {
    thread::spawn(move || {
        loop {
            let wake = match event::read() {
                Ok(ev) => Wake::Terminal(ev),
                Err(_) => Wake::InputClosed,
            };
            let closed = matches!(wake, Wake::InputClosed);
            if tx.send(wake).is_err() || closed {
                return;
            }
        }
    });
}

/// SIGTERM and SIGHUP (a closed terminal) end the loop so the terminal is restored and
/// nothing half-done is left: every write is already its own committed transaction.
fn watch_signals(tx: Sender<Wake>) -> Result<()> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let mut signals =
        signal_hook::iterator::Signals::new([SIGTERM, SIGHUP, SIGINT]).map_err(Error::Terminal)?;
    thread::spawn(move || {
        if signals.forever().next().is_some() {
            let _ = tx.send(Wake::Signal);
        }
    });
    Ok(())
}

fn needs_risk_refresh(app: &App, clock: &dyn Clock) -> Result<bool> {
    if app.store().is_read_only() {
        return Ok(false);
    }
    Ok(!summary::accounts_needing_refresh(app.store().conn(), clock.today(), 1)?.is_empty())
}

/// Risk depends on the calendar (renewals come closer, scores go stale). When the day
/// has changed since the last computation, a second connection brings every account up
/// to today in small transactions while the CSM already works.
fn refresh_risk_in_background(
    path: PathBuf,
    clock: Arc<dyn Clock>,
    stale_after_days: i64,
    tx: Sender<Wake>,
) {
    thread::spawn(move || {
        let run = || -> Result<()> {
            let mut store = Store::open(&path)?;
            // The configured staleness window, as everywhere else.
            let at = AsOf {
                stale_after_days,
                ..AsOf::new(clock.as_ref())
            };
            loop {
                let ids = summary::accounts_needing_refresh(store.conn(), at.today, 500)?;
                if ids.is_empty() {
                    return Ok(());
                }
                store.write(|w| {
                    for id in &ids {
                        summary::refresh_account(w.conn(), *id, &at)?;
                    }
                    Ok(())
                })?;
            }
        };
        // A failed refresh leaves yesterday's figures, which the next start retries.
        let _ = run();
        let _ = tx.send(Wake::RiskRefreshed);
    });
}
