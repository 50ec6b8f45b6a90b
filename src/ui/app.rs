//! The application: a stack of screens over the home screen, the overlays and the status
//! notice. A key takes one path: a text field with focus gets it first; otherwise the
//! keymap resolves it for the top screen's context, the global actions and the read-only
//! gate apply, then the screen's handler; its `Reply` moves the stack. `draw` only reads.

use std::sync::Arc;

use crossterm::event::{Event, KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use tui_input::backend::crossterm::EventHandler;

use super::home::Home;
use super::keymap::{self, Action, Context, Edits};
use super::palette::Palette;
use super::reading::Reading;
use super::screen::{Cx, DrawCx, Notice, Reply, Screen};
use super::theme::Theme;
use crate::config::Config;
use crate::domain::Clock;
use crate::error::{Error, Refusal, Result};
use crate::store::Store;

/// Below this the layout cannot be read; a notice is shown instead.
pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 10;

pub use super::screen::RETRY_SAVE_EVERY;

enum Overlay {
    None,
    Help { scroll: u16 },
    Palette(Palette),
}

pub struct App {
    store: Store,
    clock: Arc<dyn Clock>,
    theme: Theme,
    /// The portfolio or team view, always at the bottom.
    home: Home,
    /// The screens opened over the home screen; the last one is on top.
    stack: Vec<Box<dyn Screen>>,
    overlay: Overlay,
    /// The terminal's height, for paging.
    screen_height: u16,
    /// The terminal's width, for how far help scrolls.
    screen_width: u16,
    /// One line for the status bar: an error or a confirmation.
    message: Option<Notice>,
    /// Set while a background thread brings risk up to today.
    pub risk_refreshing: bool,
    quit: bool,
    /// The staleness window and the CSM sentiment criteria.
    config: Config,
    /// Inside a burst of events (`begin_burst`): typed text is written once at its end.
    in_burst: bool,
    /// A merged team file: its CSMs' records change in their own files, never here (a
    /// merge replaces them); the team lead's audits are its only edits.
    team_file: bool,
    /// Wakes the event loop when a read on its own thread is done; without it (tests)
    /// reads run in the key's handling.
    waker: Option<Waker>,
    /// The read under way on its own thread, if any.
    reading: Option<Reading>,
}

pub use super::reading::Waker;

/// The counter's connection closes before the app's own (fields drop after this), so
/// quitting leaves no `-wal` or `-shm` beside the file.
impl Drop for App {
    fn drop(&mut self) {
        self.reading.take();
        self.home.portfolio.counter.take();
    }
}

impl App {
    /// Builds the first screen: totals and the first page of the portfolio.
    pub fn new(store: Store, clock: Arc<dyn Clock>, theme: Theme, size: (u16, u16)) -> Result<App> {
        App::with_config(store, clock, theme, size, Config::default())
    }

    /// The first screen read once, with the config directory's settings already applied.
    pub fn with_config(
        store: Store,
        clock: Arc<dyn Clock>,
        theme: Theme,
        size: (u16, u16),
        config: Config,
    ) -> Result<App> {
        let home = Home::open(&store, clock.as_ref(), &config, size.1)?;
        let team_file = store.meta(crate::store::merge::TEAM_KEY)?.is_some();
        let stack = super::open::over_home(&home, &store)?;
        let message = store
            .read_only_reason()
            .map(|why| Notice::Problem(format!("{why}: opened read-only, nothing will be changed")))
            .or_else(|| config.warnings.first().map(|w| Notice::Problem(w.clone())));
        Ok(App {
            store,
            clock,
            theme,
            home,
            stack,
            overlay: Overlay::None,
            screen_height: size.1,
            screen_width: size.0,
            message,
            risk_refreshing: false,
            quit: false,
            config,
            team_file,
            in_burst: false,
            waker: None,
            reading: None,
        })
    }

    /// Slow reads go to their own thread from now on, and call `wake` when done.
    pub fn attach_waker(&mut self, wake: Waker) {
        self.waker = Some(wake);
    }

    /// Whether a read is under way on its own thread.
    pub fn is_reading(&self) -> bool {
        self.reading.is_some()
    }

    /// The reader thread is done: its screen opens (unless Esc came first).
    pub fn read_done(&mut self) {
        let Some(screen) = self.reading.as_mut().and_then(Reading::poll) else {
            return;
        };
        self.reading = None;
        self.apply(screen.map(Reply::Push));
    }

    /// Esc while reading: the read stops, and everything stays as it was.
    fn cancel_reading(&mut self) {
        if let Some(mut reading) = self.reading.take() {
            reading.stop();
            self.message = Some(Notice::Done(reading.cancelled()));
        }
    }

    /// Uses the settings of the config directory (staleness window, criteria); the
    /// portfolio re-reads with the new window.
    pub fn set_config(&mut self, config: Config) -> Result<()> {
        if let Some(warning) = config.warnings.first() {
            self.message = Some(Notice::Problem(warning.clone()));
        }
        self.config = config;
        self.with_home(|home, cx| home.set_config(cx))
    }

    /// Counts filter matches in the background from now on.
    pub fn attach_counter(&mut self, counter: super::counter::Counter) {
        self.home.portfolio.counter = Some(counter);
    }

    /// A background count finished.
    pub fn counted(&mut self, generation: u64, n: usize) {
        self.home.portfolio.counted(generation, n);
    }

    pub fn should_quit(&self) -> bool {
        self.quit
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    fn top(&self) -> &dyn Screen {
        match self.stack.last() {
            Some(screen) => screen.as_ref(),
            None => &self.home,
        }
    }

    /// Runs `f` on the top screen with the context it may use; a notice it leaves goes to
    /// the status bar.
    fn with_top<T>(&mut self, f: impl FnOnce(&mut dyn Screen, &mut Cx) -> T) -> T {
        self.with_screens(|home, stack, cx| {
            let top: &mut dyn Screen = match stack.last_mut() {
                Some(screen) => screen.as_mut(),
                None => home,
            };
            f(top, cx)
        })
    }

    /// Runs `f` on the home screen (its resize, refresh and settings), as `with_top`.
    fn with_home(&mut self, f: impl FnOnce(&mut Home, &mut Cx) -> Result<()>) -> Result<()> {
        self.with_screens(|home, _, cx| f(home, cx))
    }

    /// The home screen, the stack over it and one context for them; the notice left in
    /// the context goes to the status bar.
    fn with_screens<T>(
        &mut self,
        f: impl FnOnce(&mut Home, &mut Vec<Box<dyn Screen>>, &mut Cx) -> T,
    ) -> T {
        let mut cx = Cx {
            store: &mut self.store,
            clock: self.clock.as_ref(),
            config: &self.config,
            screen_height: self.screen_height,
            notice: None,
        };
        let out = f(&mut self.home, &mut self.stack, &mut cx);
        if let Some(notice) = cx.notice {
            self.message = Some(notice);
        }
        out
    }

    fn context(&self) -> Context {
        match &self.overlay {
            Overlay::Help { .. } => Context::Help,
            _ => self.top().context(),
        }
    }

    pub fn resize(&mut self, width: u16, height: u16) {
        self.screen_height = height;
        self.screen_width = width;
        let result = self.with_home(|home, cx| home.resize(cx));
        self.report(result);
    }

    /// Another writer (the risk refresher) changed the data: re-read what is on screen.
    pub fn data_changed(&mut self) {
        self.risk_refreshing = false;
        let on_top = self.stack.is_empty();
        let result = self.with_home(|home, cx| home.data_changed(cx, on_top));
        self.report(result);
    }

    fn report(&mut self, result: Result<()>) {
        if let Err(e) = result {
            self.message = Some(Notice::Problem(e.to_string()));
        }
    }

    /// Events handled from here to `end_burst` write what is typed once, at the end: a
    /// burst of typed keys costs one transaction, not one per key (the loop draws only
    /// after `end_burst`, so nothing is shown that is not written).
    pub fn begin_burst(&mut self) {
        self.in_burst = true;
    }

    pub fn end_burst(&mut self) {
        self.in_burst = false;
        self.write_typed();
    }

    /// Writes what was typed since the last write: the call's notes, the wrap-up draft,
    /// the audit comment. A failure keeps the text and shows the NOT SAVED banner.
    fn write_typed(&mut self) {
        if !self.in_burst {
            self.with_top(|screen, cx| screen.flush(cx));
        }
    }

    pub fn handle_event(&mut self, event: &Event) {
        match event {
            Event::Key(key) if key.kind == crossterm::event::KeyEventKind::Press => {
                self.handle_key(*key)
            }
            Event::Resize(w, h) => self.resize(*w, *h),
            Event::Paste(text) => self.paste(text),
            _ => {}
        }
    }

    /// A paste (bracketed paste: one event) goes whole into the text field that has
    /// focus, as one edit and one save. It never runs commands: with no text field it is
    /// ignored, so a pasted "q" cannot quit nor a pasted "x" end a call.
    pub fn paste(&mut self, pasted: &str) {
        self.paste_text(pasted);
        self.write_typed();
    }

    fn paste_text(&mut self, pasted: &str) {
        self.message = None;
        match &mut self.overlay {
            Overlay::Palette(palette) => {
                if super::note_editor::paste_into(&mut palette.input, pasted) {
                    palette.selected = 0;
                }
                return;
            }
            Overlay::Help { .. } => return self.paste_ignored(),
            Overlay::None => {}
        }
        if !self.top().text_focus() {
            return self.paste_ignored();
        }
        match self.with_top(|screen, cx| screen.on_paste(pasted, cx)) {
            Ok(true) => {}
            Ok(false) => self.paste_ignored(),
            Err(e) => self.message = Some(Notice::Problem(e.to_string())),
        }
    }

    fn paste_ignored(&mut self) {
        self.message = Some(Notice::Problem(
            "Paste ignored: no text field has the cursor".into(),
        ));
    }

    pub fn handle_key(&mut self, key: KeyEvent) {
        self.key(key);
        self.write_typed();
    }

    fn key(&mut self, key: KeyEvent) {
        if self.reading.is_some() {
            // Only Esc (cancel) and the quit keys act while a read is under way.
            match keymap::resolve(&key, self.context()) {
                Some(Action::Quit) => {
                    self.cancel_reading();
                    self.quit = true;
                }
                _ if key.code == KeyCode::Esc => self.cancel_reading(),
                _ => {}
            }
            return;
        }
        self.message = None;
        if let Overlay::Palette(_) = self.overlay {
            return self.palette_key(key);
        }
        // A text field takes printable keys; only Esc, Enter and Ctrl chords act.
        if self.top().text_focus() {
            // Help over a form: any key closes it.
            if let Overlay::Help { .. } = self.overlay {
                self.overlay = Overlay::None;
                return;
            }
            let reply = self.with_top(|screen, cx| screen.on_text(key, cx));
            return self.apply(reply);
        }
        match keymap::resolve(&key, self.context()) {
            Some(action) => {
                let result = self.update(action);
                self.report(result);
            }
            None => self.with_top(|screen, _| screen.on_unbound_key()),
        }
    }

    fn palette_key(&mut self, key: KeyEvent) {
        let Overlay::Palette(palette) = &mut self.overlay else {
            return;
        };
        match key.code {
            KeyCode::Esc => self.overlay = Overlay::None,
            KeyCode::Enter => {
                let chosen = palette.chosen();
                self.overlay = Overlay::None;
                if let Some(action) = chosen {
                    let result = self.update(action);
                    self.report(result);
                }
            }
            KeyCode::Up => palette.move_by(-1),
            KeyCode::Down => palette.move_by(1),
            _ => {
                if palette.input.handle_event(&Event::Key(key)).is_some() {
                    palette.selected = 0;
                }
            }
        }
    }

    /// Carries out one action: help and the palette here, the read-only gate, then the
    /// screen on top.
    pub fn update(&mut self, action: Action) -> Result<()> {
        if let Overlay::Help { scroll } = self.overlay {
            let end = self.help_max_scroll();
            let scroll = match action {
                Action::Down => scroll.saturating_add(1),
                Action::Up => scroll.saturating_sub(1),
                Action::PageDown => scroll.saturating_add(10),
                Action::PageUp => scroll.saturating_sub(10),
                Action::Top => 0,
                Action::Bottom => end,
                _ => {
                    self.overlay = Overlay::None;
                    return Ok(());
                }
            };
            // Never past the last line, so the way back up is as long as it looks.
            self.overlay = Overlay::Help {
                scroll: scroll.min(end),
            };
            return Ok(());
        }
        match action {
            Action::Help => self.overlay = Overlay::Help { scroll: 0 },
            Action::Palette => self.overlay = Overlay::Palette(Palette::new(self.top().context())),
            _ => {
                // The one gate for every key that would change a CSM's records.
                if let Some((what, edits)) = action.edit() {
                    self.refuse_edits(what, edits)?;
                }
                let reply = self.with_top(|screen, cx| screen.on_action(action, cx));
                self.apply(reply);
            }
        }
        Ok(())
    }

    /// Moves the stack as a screen asked.
    fn apply(&mut self, reply: Result<Reply>) {
        match reply {
            Ok(Reply::Stay) => {}
            Ok(Reply::Push(screen)) => self.stack.push(screen),
            Ok(Reply::Replace(screen)) => {
                self.stack.pop();
                self.stack.push(screen);
            }
            Ok(Reply::Pop) => {
                self.stack.pop();
            }
            Ok(Reply::PopRead(n)) => {
                let keep = self.stack.len().saturating_sub(n);
                self.stack.truncate(keep);
                self.reread();
            }
            Ok(Reply::Open(open)) => {
                // A slow screen reads on its own thread when the loop can wait for it.
                let slow = super::open::slow(&open, self.clock.today());
                if let (Some(slow), Some(wake)) = (slow, self.waker.clone()) {
                    let path = self.store.path().to_path_buf();
                    self.reading = Some(Reading::start(slow, path, wake));
                    return;
                }
                let screen = self.with_top(|_, cx| super::open::screen(open, cx));
                self.apply(screen.map(Reply::Push));
            }
            Ok(Reply::Help) => self.overlay = Overlay::Help { scroll: 0 },
            Ok(Reply::Quit) => self.quit = true,
            Err(e) => self.message = Some(Notice::Problem(e.to_string())),
        }
    }

    /// After a write: the screen now on top and the home screen read again.
    fn reread(&mut self) {
        // Keeps the notice of the screen that closed (a failed re-read replaces it).
        if !self.stack.is_empty() {
            let result = self.with_top(|screen, cx| screen.on_resume(cx));
            self.report(result);
        }
        let result = self.with_home(|home, cx| home.on_resume(cx));
        self.report(result);
    }

    /// The one gate: an edit is refused on a read-only file, and an edit of the CSMs'
    /// records in a team file.
    fn refuse_edits(&self, what: &'static str, edits: Edits) -> Result<()> {
        let why = if self.store.is_read_only() {
            Refusal::ReadOnly
        } else if self.team_file && edits == Edits::Records {
            Refusal::TeamFile
        } else {
            return Ok(());
        };
        Err(Error::Refused { why, what })
    }

    /// Offers to resume the call the last run left in progress, or the form it left
    /// unsaved, if any.
    pub fn offer_interrupted_call(&mut self) -> Result<()> {
        if self.store.is_read_only() || self.team_file {
            return Ok(());
        }
        if let Some(screen) = self.with_top(|_, cx| super::open::left_open(cx))? {
            self.stack.push(screen);
        }
        Ok(())
    }

    /// How long the loop may sleep before the call's clock changes or a failed write is
    /// tried again (None: nothing to wait for).
    pub fn tick_in(&self) -> Option<std::time::Duration> {
        if self.reading.is_some() {
            // The spinner turns.
            return Some(std::time::Duration::from_millis(100));
        }
        let top = self.top();
        let retry = top.unsaved().then_some(RETRY_SAVE_EVERY);
        match (top.tick_in(), retry) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// A second passed during a call, or a failed write is due another try.
    pub fn tick(&mut self) {
        let result = self.with_top(|screen, cx| screen.tick(cx));
        self.report(result);
    }

    fn draw_cx(&self) -> DrawCx<'_> {
        DrawCx {
            theme: &self.theme,
            config: &self.config,
            now: self.home.portfolio.query.now,
            today: self.home.portfolio.query.today,
        }
    }

    pub fn draw(&self, frame: &mut Frame) {
        let area = frame.area();
        if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
            draw_too_small(frame, area);
            return;
        }
        let [title, body, status] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Min(0),
            Constraint::Length(1),
        ])
        .areas(area);
        frame.render_widget(Paragraph::new(self.title_line()), title);
        let cx = self.draw_cx();
        self.top().draw(frame, body, &cx);
        frame.render_widget(Paragraph::new(self.status_line(status.width)), status);
        match &self.overlay {
            Overlay::None => {}
            Overlay::Help { scroll } => self.draw_help(frame, body, *scroll),
            Overlay::Palette(p) => p.draw(frame, body, &self.theme),
        }
    }

    fn title_line(&self) -> Line<'static> {
        let mut screen = self.home.title("");
        for over in &self.stack {
            screen = over.title(&screen);
        }
        let mut spans = vec![
            Span::styled(" attuned ", self.theme.selected()),
            Span::styled(format!(" {screen}"), self.theme.title()),
        ];
        if self.store.is_read_only() {
            spans.push(Span::styled("  [read-only]", self.theme.warn()));
        } else if self.team_file {
            spans.push(Span::styled("  [team file]", self.theme.dim()));
        }
        if self.risk_refreshing {
            spans.push(Span::styled("  updating risk to today…", self.theme.dim()));
        }
        Line::from(spans)
    }

    /// The keys that work here, from the keymap, as many as fit in `width`; or the
    /// message of the last action.
    fn status_line(&self, width: u16) -> Line<'static> {
        if let Some(reading) = &self.reading {
            return reading.status_line(&self.theme);
        }
        match &self.message {
            Some(Notice::Problem(text)) => {
                return Line::styled(format!(" ✗ {text}"), self.theme.danger());
            }
            Some(Notice::Done(text)) => {
                return Line::styled(format!(" ✓ {text}"), self.theme.good());
            }
            None => {}
        }
        let width = usize::from(width);
        if let Some(h) = self.top().text_hints() {
            return self.hints(&fit_hints(&h, width, "Esc"));
        }
        if let Overlay::Palette(_) = self.overlay {
            return self.hints(&fit_hints(keymap::PALETTE_FIELD, width, "Esc"));
        }
        let mut pairs = keymap::status_hints(self.context());
        // Help keeps the bar's last place, where the eye finds it on every screen.
        if let Some(i) = pairs.iter().position(|(k, _)| k == "?") {
            let help = pairs.remove(i);
            pairs.push(help);
        }
        let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, h)| (k.as_str(), *h)).collect();
        self.hints(&fit_hints(&refs, width, "?"))
    }

    fn hints(&self, pairs: &[(&str, &str)]) -> Line<'static> {
        let mut spans = Vec::new();
        for (key, what) in pairs {
            spans.push(Span::styled(format!(" {key}"), self.theme.key()));
            spans.push(Span::raw(format!(" {what} ")));
        }
        Line::from(spans)
    }

    /// The help of the screen on top, wrapped to its box on a `width`-column screen.
    fn help_lines(&self, width: u16) -> Vec<Line<'static>> {
        let top = self.top();
        let inner = super::help::popup(Rect::new(0, 0, width, 1))
            .width
            .saturating_sub(2);
        super::help::lines(
            top.context(),
            top.help_notes(&self.draw_cx()),
            &self.theme,
            usize::from(inner),
        )
    }

    /// How far help scrolls on the screen as it is now.
    fn help_max_scroll(&self) -> u16 {
        let lines = self.help_lines(self.screen_width).len();
        // The box: the screen but the title and status lines, less one row below it.
        let rows = u16::try_from(lines).unwrap_or(u16::MAX);
        let height = self
            .screen_height
            .saturating_sub(3)
            .min(rows.saturating_add(2));
        super::help::max_scroll(lines, height)
    }

    fn draw_help(&self, frame: &mut Frame, area: Rect, scroll: u16) {
        super::help::draw(frame, area, self.help_lines(frame.area().width), scroll);
    }
}

/// The hints that fit in `width` columns, whole: the one for the `keep` key always, the
/// others in order until one does not fit (so a later, less needed key never shows
/// where a more needed one was dropped), a field's "type …" last of all since typing
/// needs no telling. The order on screen is the given order.
fn fit_hints<'a>(
    pairs: &[(&'a str, &'a str)],
    width: usize,
    keep: &str,
) -> Vec<(&'a str, &'a str)> {
    // Each hint reads " key what " on the bar.
    let cost = |(k, h): &(&str, &str)| super::format::width(k) + super::format::width(h) + 3;
    let mut used: usize = pairs.iter().filter(|p| p.0 == keep).map(cost).sum();
    let mut shown: Vec<bool> = pairs.iter().map(|p| p.0 == keep).collect();
    let typing = |p: &(&str, &str)| p.0 == "type";
    let keys = (0..pairs.len()).filter(|&i| !typing(&pairs[i]));
    let by_need = keys.chain((0..pairs.len()).filter(|&i| typing(&pairs[i])));
    for i in by_need {
        let pair = &pairs[i];
        if pair.0 == keep {
            continue;
        }
        // The last hint needs no trailing space.
        if used + cost(pair) - 1 > width {
            break;
        }
        used += cost(pair);
        shown[i] = true;
    }
    pairs
        .iter()
        .zip(shown)
        .filter_map(|(p, on)| on.then_some(*p))
        .collect()
}

/// A notice that fits any size, down to a single cell.
fn draw_too_small(frame: &mut Frame, area: Rect) {
    let full = format!(
        "Terminal too small: need {MIN_WIDTH}×{MIN_HEIGHT}, have {}×{}",
        area.width, area.height
    );
    let lines_needed = (full.chars().count() as u16).div_ceil(area.width.max(1));
    let text = if lines_needed <= area.height {
        full
    } else if area.width >= 9 {
        "Too small".to_string()
    } else {
        "…".to_string()
    };
    let height = (text.chars().count() as u16)
        .div_ceil(area.width.max(1))
        .min(area.height);
    let y = area.y + (area.height - height) / 2;
    frame.render_widget(
        Paragraph::new(text).wrap(Wrap { trim: true }),
        Rect { y, height, ..area },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// On a narrow field the keys stay and "type …" goes first: a CSM typing a reason at
    /// 40 columns still sees how to save it.
    #[test]
    fn a_narrow_field_bar_keeps_its_keys_before_its_typing_hint() {
        let shown = fit_hints(keymap::PULSE_FORM, 38, "Esc");
        let keys: Vec<&str> = shown.iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, ["↑↓", "Enter", "Esc"]);
        let wide = fit_hints(keymap::PULSE_FORM, 80, "Esc");
        assert_eq!(wide.len(), keymap::PULSE_FORM.len());
    }
}
