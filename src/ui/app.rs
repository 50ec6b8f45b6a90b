//! The application state and its one-way flow: a key becomes an `Action`, `update`
//! changes state (running any query), `draw` only reads state.

use std::sync::Arc;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use super::account::{AccountView, Outcome as AccountOutcome};
use super::audits::{AuditsView, Outcome as AuditsOutcome};
use super::call::{CallFlow, Outcome as CallOutcome};
use super::followups::{FollowupsView, Typed};
use super::keymap::{self, Action, Context};
use super::kpis::{KpisView, Outcome as KpisOutcome};
use super::palette::Palette;
use super::portfolio::PortfolioView;
use super::team::{Drill, TeamView};
use super::theme::Theme;
use super::wrapup::{CallPrefill, Draft, FormKey, Mode as WrapUpMode, WrapUp};
use crate::config::Config;
use crate::domain::Clock;
use crate::error::Result;
use crate::store::Store;
use crate::store::portfolio::{PortfolioQuery, QuickFilters, Sort};
use crate::store::summary::AsOf;

/// Below this the layout cannot be read; a notice is shown instead.
pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 10;

/// How often a write that failed (a full disk) is tried again while nothing is typed.
pub const RETRY_SAVE_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

enum Screen {
    Portfolio,
    /// The team view: per CSM under their team lead (its state is `App::team`).
    Team,
    Account(Box<AccountView>),
    /// A call, its start, its resume offer or the retrospectives, over the screen it
    /// came from.
    Call(Box<CallFlow>, Box<Screen>),
    /// The wrap-up form over the screen it came from (for a call: the call at step 5).
    WrapUp(Box<WrapUp>, Box<Screen>),
    /// The follow-up queue over the screen it came from.
    Followups(Box<FollowupsView>, Box<Screen>),
    /// Adaptability audits (and the scoring form) over the screen they came from.
    Audits(Box<AuditsView>, Box<Screen>),
    /// Coaching KPIs over the screen they came from.
    Kpis(Box<KpisView>, Box<Screen>),
}

/// A one-line message on the status bar; the glyph tells which kind without color.
enum Notice {
    Done(String),
    Problem(String),
}

enum Overlay {
    None,
    Help { scroll: u16 },
    Palette(Palette),
}

pub struct App {
    store: Store,
    clock: Arc<dyn Clock>,
    theme: Theme,
    screen: Screen,
    overlay: Overlay,
    portfolio: PortfolioView,
    /// The team view, once opened (kept while drilling into a portfolio).
    team: Option<TeamView>,
    /// The terminal's height, for the team view's paging.
    screen_height: u16,
    /// One line for the status bar: an error or a confirmation.
    message: Option<Notice>,
    /// Set while a background thread brings risk up to today.
    pub risk_refreshing: bool,
    quit: bool,
    /// The staleness window and the CSM sentiment criteria.
    config: Config,
    /// Inside a burst of events (`begin_burst`): typed text is written once at its end.
    in_burst: bool,
    /// The follow-up queue an account was opened from: Esc on the account goes back to it.
    account_opened_from: Option<Screen>,
    /// A merged team file: its CSMs' records change in their own files, never here (a
    /// merge replaces them); the team lead's audits are its only edits.
    team_file: bool,
}

/// The counter's connection closes before the app's own (fields drop after this), so
/// quitting leaves no `-wal` or `-shm` beside the file.
impl Drop for App {
    fn drop(&mut self) {
        self.portfolio.counter.take();
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
        let query = PortfolioQuery {
            sort: Sort::default(),
            name_contains: String::new(),
            quick: QuickFilters::default(),
            now: clock.now(),
            today: clock.today(),
            stale_after_days: config.stale_after_days,
            owners: None,
        };
        let mut portfolio = PortfolioView::new(query, size.1);
        portfolio.reload(store.conn())?;
        // A file of several CSMs (a merged team file, a CRM import with many owners)
        // opens on the team view.
        let team = if crate::store::team::has_many_owners(store.conn())? {
            Some(TeamView::load(
                store.conn(),
                clock.now(),
                config.stale_after_days,
                size.1,
            )?)
        } else {
            None
        };
        let team_file = store.meta(crate::store::merge::TEAM_KEY)?.is_some();
        let message = store
            .read_only_reason()
            .map(|why| Notice::Problem(format!("{why}: opened read-only, nothing will be changed")))
            .or_else(|| config.warnings.first().map(|w| Notice::Problem(w.clone())));
        Ok(App {
            store,
            clock,
            theme,
            screen: if team.is_some() {
                Screen::Team
            } else {
                Screen::Portfolio
            },
            overlay: Overlay::None,
            portfolio,
            team,
            screen_height: size.1,
            message,
            risk_refreshing: false,
            quit: false,
            config,
            account_opened_from: None,
            team_file,
            in_burst: false,
        })
    }

    /// Uses the settings of the config directory (staleness window, criteria); the
    /// portfolio re-reads with the new window.
    pub fn set_config(&mut self, config: Config) -> Result<()> {
        if let Some(warning) = config.warnings.first() {
            self.message = Some(Notice::Problem(warning.clone()));
        }
        self.portfolio.query.stale_after_days = config.stale_after_days;
        self.config = config;
        self.reload_team()?;
        self.portfolio.refresh_in_place(self.store.conn())
    }

    /// "Now" for the account workspace's reads and writes, with the staleness window.
    fn as_of(&self) -> AsOf {
        AsOf {
            stale_after_days: self.config.stale_after_days,
            ..AsOf::new(self.clock.as_ref())
        }
    }

    /// Counts filter matches in the background from now on.
    pub fn attach_counter(&mut self, counter: super::counter::Counter) {
        self.portfolio.counter = Some(counter);
    }

    /// A background count finished.
    pub fn counted(&mut self, generation: u64, n: usize) {
        self.portfolio.counted(generation, n);
    }

    pub fn should_quit(&self) -> bool {
        self.quit
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    fn context(&self) -> Context {
        match (&self.overlay, &self.screen) {
            (Overlay::Help { .. }, _) => Context::Help,
            (_, Screen::Portfolio) => Context::Portfolio,
            (_, Screen::Team) => Context::Team,
            (_, Screen::Call(flow, _)) => flow.context(),
            (_, Screen::Account(v)) => v.context(),
            (_, Screen::WrapUp(..)) => Context::WrapUp,
            (_, Screen::Followups(..)) => Context::Followups,
            (_, Screen::Audits(v, _)) => v.context(),
            (_, Screen::Kpis(..)) => Context::Kpis,
        }
    }

    /// The context of the screen under any overlay (what help describes).
    fn screen_context(&self) -> Context {
        match &self.screen {
            Screen::Portfolio => Context::Portfolio,
            Screen::Team => Context::Team,
            Screen::Call(flow, _) => flow.context(),
            Screen::Account(v) => v.context(),
            Screen::WrapUp(..) => Context::WrapUp,
            Screen::Followups(..) => Context::Followups,
            Screen::Audits(v, _) => v.context(),
            Screen::Kpis(..) => Context::Kpis,
        }
    }

    pub fn resize(&mut self, _width: u16, height: u16) {
        self.screen_height = height;
        if let Some(team) = &mut self.team {
            team.set_height(height);
        }
        let result = self.portfolio.set_height(self.store.conn(), height);
        self.report(result);
    }

    /// Another writer (the risk refresher) changed the data: re-read what is on screen.
    pub fn data_changed(&mut self) {
        self.risk_refreshing = false;
        self.sync_clock();
        let result = self.portfolio.refresh_in_place(self.store.conn());
        self.report(result);
        if let Screen::Team = self.screen {
            let result = self.reload_team();
            self.report(result);
        }
    }

    fn sync_clock(&mut self) {
        self.portfolio.query.now = self.clock.now();
        self.portfolio.query.today = self.clock.today();
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
        if self.in_burst {
            return;
        }
        match &mut self.screen {
            Screen::Call(flow, _) => flow.flush(&mut self.store),
            Screen::WrapUp(form, _) if form.dirty || form.save_error.is_some() => {
                self.save_wrapup_draft()
            }
            Screen::Audits(view, _) => view.retry(&mut self.store, self.clock.now()),
            _ => {}
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
        use super::note_editor::paste_into;
        self.message = None;
        if let Some(input) = self.portfolio.filter_input.as_mut() {
            if paste_into(input, pasted) {
                let text = input.value().to_string();
                let result = self.portfolio.set_name_filter(self.store.conn(), &text);
                self.report(result);
            }
            return;
        }
        match &mut self.overlay {
            Overlay::Palette(palette) => {
                if paste_into(&mut palette.input, pasted) {
                    palette.selected = 0;
                }
                return;
            }
            Overlay::Help { .. } => return self.paste_ignored(),
            Overlay::None => {}
        }
        let took = match &mut self.screen {
            Screen::WrapUp(form, _) => {
                let took = form.paste(pasted);
                form.dirty |= took;
                took
            }
            Screen::Followups(view, _) if view.reschedule.is_some() => {
                view.paste(pasted);
                true
            }
            Screen::Call(flow, _) if flow.text_focus() => {
                let result = flow.paste(pasted, &mut self.store, self.clock.as_ref());
                self.report(result);
                true
            }
            Screen::Account(view) => view.paste(pasted),
            Screen::Audits(view, _) if view.takes_keys() => {
                let result = view.paste(pasted, &self.store);
                self.report(result);
                true
            }
            _ => false,
        };
        if !took {
            self.paste_ignored();
        }
    }

    fn paste_ignored(&mut self) {
        self.message = Some(Notice::Problem(
            "Paste ignored: no text field has the cursor".into(),
        ));
    }

    /// Keeps the wrap-up form as typed in the file; a failed write is said in the form
    /// and tried again on the next key or tick.
    fn save_wrapup_draft(&mut self) {
        let Screen::WrapUp(form, _) = &mut self.screen else {
            return;
        };
        let json = form.draft().to_json();
        form.save_error = crate::store::tagging::save_draft(&mut self.store, &json)
            .err()
            .map(|e| e.to_string());
        form.dirty = form.save_error.is_some();
    }

    /// Some typed text is only in memory: a write of it failed and is being retried.
    fn unsaved(&self) -> bool {
        match &self.screen {
            Screen::Call(flow, _) => flow.unsaved(),
            Screen::WrapUp(form, _) => form.save_error.is_some(),
            Screen::Audits(view, _) => view.unsaved(),
            _ => false,
        }
    }

    pub fn handle_key(&mut self, key: KeyEvent) {
        self.key(key);
        self.write_typed();
    }

    fn key(&mut self, key: KeyEvent) {
        self.message = None;
        // Text fields take printable keys; only Esc, Enter and Ctrl chords act.
        if self.portfolio.filter_input.is_some() {
            let result = self.filter_key(key);
            return self.report(result);
        }
        if let Overlay::Palette(_) = self.overlay {
            return self.palette_key(key);
        }
        if let Screen::WrapUp(form, _) = &self.screen {
            // Help over the form: any key closes it; `?` opens it unless a text field
            // would take it as a character.
            if let Overlay::Help { .. } = self.overlay {
                self.overlay = Overlay::None;
                return;
            }
            if key.code == KeyCode::Char('?') && !form.takes_text() {
                self.overlay = Overlay::Help { scroll: 0 };
                return;
            }
            return self.wrapup_key(key);
        }
        if let Screen::Followups(view, _) = &mut self.screen
            && view.reschedule.is_some()
        {
            let at = self.as_of();
            if let Screen::Followups(view, _) = &mut self.screen {
                match view.text_key(key, &mut self.store, &at) {
                    Ok(Typed::Done(text)) => self.message = Some(Notice::Done(text)),
                    Ok(Typed::Stay) => {}
                    Err(e) => self.message = Some(Notice::Problem(e.to_string())),
                }
            }
            return;
        }
        if let Screen::Call(flow, _) = &mut self.screen
            && flow.text_focus()
        {
            let result = flow.text_key(key, &mut self.store, self.clock.as_ref());
            return self.call_outcome(result);
        }
        if let Screen::Account(view) = &self.screen
            && view.text_focus()
        {
            let at = self.as_of();
            if let Screen::Account(view) = &mut self.screen {
                let result = view.text_key(key, &mut self.store, &at);
                self.report(result);
            }
            return;
        }
        if let Screen::Audits(view, _) = &mut self.screen
            && view.takes_keys()
        {
            // Every score and comment is saved already: Ctrl-C may quit from the form.
            let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
            if ctrl && key.code == KeyCode::Char('c') {
                self.quit = true;
                return;
            }
            let result = view.key(key, &mut self.store, self.clock.now());
            return self.audits_outcome(result);
        }
        match keymap::resolve(&key, self.context()) {
            Some(action) => {
                let result = self.update(action);
                self.report(result);
            }
            None => {
                if let Screen::Call(flow, _) = &mut self.screen {
                    flow.unbound_key();
                }
            }
        }
    }

    fn filter_key(&mut self, key: KeyEvent) -> Result<()> {
        let conn = self.store.conn();
        let ctrl_c =
            key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            _ if ctrl_c => self.quit = true,
            KeyCode::Esc => {
                self.portfolio.filter_input = None;
                self.portfolio.set_name_filter(conn, "")?;
            }
            KeyCode::Enter => self.portfolio.filter_input = None,
            _ => {
                let Some(input) = self.portfolio.filter_input.as_mut() else {
                    return Ok(());
                };
                if input.handle_event(&Event::Key(key)).is_some() {
                    let text = input.value().to_string();
                    self.portfolio.set_name_filter(conn, &text)?;
                }
            }
        }
        Ok(())
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

    /// Carries out one action on the current screen.
    pub fn update(&mut self, action: Action) -> Result<()> {
        if let Overlay::Help { scroll } = &mut self.overlay {
            match action {
                Action::Down => *scroll = scroll.saturating_add(1),
                Action::Up => *scroll = scroll.saturating_sub(1),
                Action::PageDown => *scroll = scroll.saturating_add(10),
                Action::PageUp => *scroll = scroll.saturating_sub(10),
                Action::Top => *scroll = 0,
                _ => self.overlay = Overlay::None,
            }
            return Ok(());
        }
        if let Screen::Call(flow, _) = &mut self.screen
            && action != Action::Help
            && action != Action::Palette
        {
            let result = flow.action(action, &mut self.store, self.clock.as_ref());
            self.call_outcome(result);
            return Ok(());
        }
        // The one gate for every key that would change a CSM's records.
        if let Some(what) = read_only_refusal(action) {
            self.refuse_edits(what)?;
        }
        if let Screen::Followups(..) = self.screen
            && !matches!(action, Action::Help | Action::Palette | Action::Quit)
        {
            return self.followups_action(action);
        }
        if let Screen::Kpis(view, _) = &mut self.screen
            && !matches!(action, Action::Help | Action::Palette | Action::Quit)
        {
            if view.action(action)? == KpisOutcome::Back
                && let Screen::Kpis(_, under) =
                    std::mem::replace(&mut self.screen, Screen::Portfolio)
            {
                self.screen = *under;
            }
            return Ok(());
        }
        if let Screen::Audits(view, _) = &mut self.screen
            && !matches!(action, Action::Help | Action::Palette | Action::Quit)
        {
            let result = view.action(action, &mut self.store, self.clock.now());
            self.audits_outcome(result);
            return Ok(());
        }
        if action == Action::CorrectTouch
            && let Screen::Account(view) = &self.screen
            && let super::account::Mode::Touch(t) = &view.mode
        {
            let form = WrapUp::for_correction(self.store.conn(), t.detail.id, &self.as_of())?;
            return self.open_form(form);
        }
        match action {
            Action::LogTouch => return self.log_touch(),
            Action::Followups => return self.open_followups(),
            Action::Audits => {
                // From the team view: the selected CSM's audits (a team's line: everyone's).
                let csm = match self.screen {
                    Screen::Team => self.team.as_ref().and_then(|t| t.selected_csm()),
                    _ => None,
                };
                return self.open_audits(csm);
            }
            Action::StartCall => return self.start_call(),
            Action::Kpis => return self.open_kpis(),
            Action::Retros => {
                let flow = CallFlow::retros(&self.store, self.clock.as_ref())?;
                return self.open_flow(flow);
            }
            _ => {}
        }
        match action {
            Action::Quit => self.quit = true,
            Action::Help => self.overlay = Overlay::Help { scroll: 0 },
            Action::Palette => self.overlay = Overlay::Palette(Palette::new(self.screen_context())),
            _ => match &mut self.screen {
                Screen::Call(..)
                | Screen::WrapUp(..)
                | Screen::Followups(..)
                | Screen::Audits(..)
                | Screen::Kpis(..) => {}
                Screen::Portfolio => self.portfolio_action(action)?,
                Screen::Team => self.team_action(action)?,
                Screen::Account(_) => {
                    let at = self.as_of();
                    let Screen::Account(view) = &mut self.screen else {
                        return Ok(());
                    };
                    if view.update(action, &mut self.store, &at)? == AccountOutcome::Back {
                        if let Some(queue) = self.account_opened_from.take() {
                            self.screen = queue;
                            self.reread_under();
                            return Ok(());
                        }
                        self.screen = Screen::Portfolio;
                        self.sync_clock();
                        self.portfolio.refresh_in_place(self.store.conn())?;
                    }
                }
            },
        }
        Ok(())
    }

    fn portfolio_action(&mut self, action: Action) -> Result<()> {
        // In a CSM's (or a team's) portfolio, Esc with no filter left goes back.
        let back_to_team = action == Action::ClearFilters
            && !self.portfolio.filtered()
            && self.portfolio.query.owners.is_some();
        if action == Action::TeamView || back_to_team {
            return self.open_team();
        }
        let conn = self.store.conn();
        let p = &mut self.portfolio;
        let mut quick = p.query.quick;
        match action {
            Action::Down => p.down(conn)?,
            Action::Up => p.up(conn)?,
            Action::PageDown => p.page_down(conn)?,
            Action::PageUp => p.page_up(conn)?,
            Action::Top => p.top(conn)?,
            Action::Bottom => p.bottom(conn)?,
            Action::Filter => {
                p.filter_input = Some(Input::new(p.query.name_contains.clone()));
            }
            Action::SortNext => p.sort_next(conn)?,
            Action::SortReverse => p.sort_reverse(conn)?,
            Action::SortBy(column) => p.sort_by(conn, column)?,
            Action::ToggleAtRisk => quick.at_risk = !quick.at_risk,
            Action::ToggleRenewalSoon => quick.renewal_90 = !quick.renewal_90,
            Action::ToggleStale => quick.stale = !quick.stale,
            Action::ToggleOverdue => quick.overdue = !quick.overdue,
            Action::ClearFilters => {
                quick = QuickFilters::default();
                p.query.name_contains.clear();
            }
            Action::Open => return self.open_selected(),
            _ => {}
        }
        if quick != self.portfolio.query.quick || action == Action::ClearFilters {
            self.portfolio.set_quick(conn, quick)?;
        }
        Ok(())
    }

    /// Puts a call screen over the current one.
    fn open_flow(&mut self, flow: CallFlow) -> Result<()> {
        let under = std::mem::replace(&mut self.screen, Screen::Portfolio);
        self.screen = Screen::Call(Box::new(flow), Box::new(under));
        Ok(())
    }

    /// `c`: a call on the selected account (portfolio) or the open one (account).
    fn start_call(&mut self) -> Result<()> {
        let id = match &self.screen {
            Screen::Portfolio => self.portfolio.selected_row().map(|r| r.id),
            Screen::Account(view) => Some(view.detail.id),
            Screen::Followups(view, _) => view.selected_item().map(|f| f.account_id),
            Screen::Call(..)
            | Screen::WrapUp(..)
            | Screen::Audits(..)
            | Screen::Kpis(..)
            | Screen::Team => None,
        };
        let Some(id) = id else {
            return Ok(());
        };
        let flow = CallFlow::pick(&self.store, id, self.clock.as_ref())?;
        self.open_flow(flow)
    }

    fn call_outcome(&mut self, result: Result<CallOutcome>) {
        match result {
            Ok(CallOutcome::Stay) => {}
            Ok(CallOutcome::WrapUp(prefill)) => {
                let r = self.hand_over(&prefill);
                self.report(r);
            }
            Ok(CallOutcome::Quit) => self.quit = true,
            Ok(CallOutcome::Leave(message)) => {
                if let Screen::Call(_, under) =
                    std::mem::replace(&mut self.screen, Screen::Portfolio)
                {
                    self.screen = *under;
                }
                self.reread_under();
                if let Some(text) = message {
                    self.message = Some(Notice::Done(text));
                }
            }
            Err(e) => self.message = Some(Notice::Problem(e.to_string())),
        }
    }

    /// After a write from a flow: the screen underneath and the portfolio read again.
    fn reread_under(&mut self) {
        let at = self.as_of();
        // The account the call was on now has a new touch: read it again.
        if let Screen::Account(view) = &self.screen {
            let id = view.detail.id;
            match AccountView::open(self.store.conn(), id, &at) {
                Ok(view) => self.screen = Screen::Account(Box::new(view)),
                Err(e) => self.message = Some(Notice::Problem(e.to_string())),
            }
        }
        if let Screen::Followups(view, _) = &mut self.screen {
            let r = view.reload(self.store.conn(), &at);
            self.report(r);
        }
        self.sync_clock();
        let refreshed = self.portfolio.refresh_in_place(self.store.conn());
        self.report(refreshed);
    }

    /// The call ended and its tags were picked: the wrap-up form takes over, over the call.
    fn hand_over(&mut self, prefill: &CallPrefill) -> Result<()> {
        let mut form = WrapUp::for_call(self.store.conn(), prefill, &self.as_of())?;
        // The wrap-up of this call was being typed when the app last closed: keep it.
        if let Some(draft) = self.saved_draft()?
            && form.restore(&draft)
        {
            self.message = Some(Notice::Done(
                "Restored the wrap-up you were typing (nothing was lost)".into(),
            ));
        }
        self.open_form(form)
    }

    fn saved_draft(&self) -> Result<Option<Draft>> {
        Ok(crate::store::tagging::draft(&self.store)?
            .as_deref()
            .and_then(Draft::from_json))
    }

    /// A logged touch or a correction left unsaved by the last run opens again as it was.
    fn offer_draft(&mut self) -> Result<()> {
        let Some(draft) = self.saved_draft()? else {
            return Ok(());
        };
        let at = self.as_of();
        let conn = self.store.conn();
        let form = match draft.mode {
            // A call's draft comes back when its wrap-up opens again (resume the call).
            WrapUpMode::Call(_) => return Ok(()),
            WrapUpMode::Log => WrapUp::for_log(conn, draft.account_id, &at),
            WrapUpMode::Correct(id) => WrapUp::for_correction(conn, id, &at),
        };
        // The account or touch is gone: the draft has nowhere to go.
        let Ok(mut form) = form else {
            return crate::store::tagging::discard_draft(&mut self.store);
        };
        form.restore(&draft);
        self.open_form(form)?;
        self.message = Some(Notice::Done(
            "Restored the unsaved form from when attuned last closed (Esc discards it)".into(),
        ));
        Ok(())
    }

    fn open_form(&mut self, form: WrapUp) -> Result<()> {
        let under = std::mem::replace(&mut self.screen, Screen::Portfolio);
        self.screen = Screen::WrapUp(Box::new(form), Box::new(under));
        Ok(())
    }

    /// `l`: log a touch on the selected (portfolio) or open (account) account.
    fn log_touch(&mut self) -> Result<()> {
        let id = match &self.screen {
            Screen::Portfolio => self.portfolio.selected_row().map(|r| r.id),
            Screen::Account(view) => Some(view.detail.id),
            _ => None,
        };
        let Some(id) = id else {
            return Ok(());
        };
        let form = WrapUp::for_log(self.store.conn(), id, &self.as_of())?;
        self.open_form(form)
    }

    fn wrapup_key(&mut self, key: KeyEvent) {
        let at = self.as_of();
        let Screen::WrapUp(form, _) = &mut self.screen else {
            return;
        };
        match form.key(key) {
            FormKey::Stay => form.dirty = true,
            FormKey::Cancel => {
                if let Err(e) = crate::store::tagging::discard_draft(&mut self.store) {
                    self.message = Some(Notice::Problem(e.to_string()));
                }
                if let Screen::WrapUp(_, under) =
                    std::mem::replace(&mut self.screen, Screen::Portfolio)
                {
                    self.screen = *under;
                }
                self.message = Some(Notice::Done("Nothing saved".into()));
            }
            FormKey::Submit => {
                let Some((tag, ties)) = form.validate() else {
                    self.message = Some(Notice::Problem(
                        "Not saved: see the marked fields (nothing typed was lost)".into(),
                    ));
                    return;
                };
                let target = form.target();
                let name = form.account_name.clone();
                let kind = form.kind;
                if let Err(e) =
                    crate::store::tagging::save(&mut self.store, &target, &tag, &ties, &at)
                {
                    self.message = Some(Notice::Problem(e.to_string()));
                    return;
                }
                let Screen::WrapUp(_, under) =
                    std::mem::replace(&mut self.screen, Screen::Portfolio)
                else {
                    return;
                };
                // A call's wrap-up sits over the call, which sits over where it started.
                self.screen = match *under {
                    Screen::Call(_, below) => *below,
                    other => other,
                };
                self.reread_under();
                let due = tag.followup_on.map_or("no follow-up".to_string(), |d| {
                    format!("follow-up {}", d.format("%a %b %d"))
                });
                let text = match target {
                    crate::store::tagging::Target::Call(_) => format!(
                        "Call with {name} tagged {}, {due}; its retrospective is pending (R on the portfolio)",
                        tag.sentiment.label()
                    ),
                    crate::store::tagging::Target::Log { .. } => format!(
                        "{} with {name} logged {}, {due}",
                        kind.label(),
                        tag.sentiment.label()
                    ),
                    crate::store::tagging::Target::Correct(_) => {
                        format!("Touch corrected ({due}); the earlier values are kept")
                    }
                };
                self.message = Some(Notice::Done(text));
            }
        }
    }

    /// `K` (portfolio): everyone's coaching KPIs; `k` (team view): the selected CSM's, or
    /// on a team's line the team's.
    fn open_kpis(&mut self) -> Result<()> {
        use crate::store::kpi::Who;
        let conn = self.store.conn();
        let who = match (&self.screen, &self.team) {
            (Screen::Team, Some(team)) => match (team.selected_csm(), team.selected_team()) {
                (Some(csm), _) => Who::Csm(csm),
                (None, Some(members)) => KpisView::team_of(conn, &members)?,
                (None, None) => Who::All,
            },
            _ => Who::All,
        };
        let view = KpisView::open(conn, who, self.clock.today())?;
        let under = std::mem::replace(&mut self.screen, Screen::Portfolio);
        self.screen = Screen::Kpis(Box::new(view), Box::new(under));
        Ok(())
    }

    /// `A`: adaptability audits over the current screen, of one CSM (the team view's
    /// selection) or of every CSM (None).
    pub fn open_audits(&mut self, csm_id: Option<i64>) -> Result<()> {
        let today = self.clock.today();
        let view = match csm_id {
            Some(id) => AuditsView::open_for(&self.store, id, today)?,
            None => AuditsView::open(&self.store, None, today)?,
        };
        let under = std::mem::replace(&mut self.screen, Screen::Portfolio);
        self.screen = Screen::Audits(Box::new(view), Box::new(under));
        Ok(())
    }

    fn audits_outcome(&mut self, result: Result<AuditsOutcome>) {
        match result {
            Ok(AuditsOutcome::Stay) => {}
            Ok(AuditsOutcome::Done(text)) => self.message = Some(Notice::Done(text)),
            Ok(AuditsOutcome::Back) => {
                if let Screen::Audits(_, under) =
                    std::mem::replace(&mut self.screen, Screen::Portfolio)
                {
                    self.screen = *under;
                }
            }
            Err(e) => self.message = Some(Notice::Problem(e.to_string())),
        }
    }

    /// `T`: the team view, with its figures read again.
    fn open_team(&mut self) -> Result<()> {
        self.sync_clock();
        match &self.team {
            Some(_) => self.reload_team()?,
            None => {
                self.team = Some(TeamView::load(
                    self.store.conn(),
                    self.clock.now(),
                    self.config.stale_after_days,
                    self.screen_height,
                )?)
            }
        }
        self.screen = Screen::Team;
        Ok(())
    }

    fn reload_team(&mut self) -> Result<()> {
        let now = self.clock.now();
        match &mut self.team {
            Some(team) => team.reload(self.store.conn(), now, self.config.stale_after_days),
            None => Ok(()),
        }
    }

    /// The team view is read-only: it moves, sorts, and drills into portfolios.
    fn team_action(&mut self, action: Action) -> Result<()> {
        let Some(view) = self.team.as_mut() else {
            return Ok(());
        };
        match action {
            Action::Down => view.down(),
            Action::Up => view.up(),
            Action::PageDown => view.page_down(),
            Action::PageUp => view.page_up(),
            Action::Top => view.top(),
            Action::Bottom => view.bottom(),
            Action::SortNext => view.sort_next(),
            Action::Open => {
                if let Some(drill) = view.drill() {
                    return self.show_portfolio(Some(drill));
                }
            }
            Action::Back => return self.show_portfolio(None),
            _ => {}
        }
        Ok(())
    }

    /// A CSM's or a team's portfolio (from the team view), or every account (None).
    fn show_portfolio(&mut self, drill: Option<Drill>) -> Result<()> {
        self.sync_clock();
        let (owners, label) = match drill {
            Some(d) => (Some(d.owners), Some(d.label)),
            None => (None, None),
        };
        self.portfolio
            .show_owners(self.store.conn(), owners, label)?;
        self.screen = Screen::Portfolio;
        Ok(())
    }

    /// `f`: the follow-up queue over the current screen.
    fn open_followups(&mut self) -> Result<()> {
        let view = FollowupsView::load(self.store.conn(), &self.as_of())?;
        let under = std::mem::replace(&mut self.screen, Screen::Portfolio);
        self.screen = Screen::Followups(Box::new(view), Box::new(under));
        Ok(())
    }

    fn followups_action(&mut self, action: Action) -> Result<()> {
        let at = self.as_of();
        if action == Action::StartCall {
            return self.start_call();
        }
        let Screen::Followups(view, _) = &mut self.screen else {
            return Ok(());
        };
        match action {
            Action::Down => view.down(),
            Action::Up => view.up(),
            Action::PageDown => (0..10).for_each(|_| view.down()),
            Action::PageUp => (0..10).for_each(|_| view.up()),
            Action::Top => view.selected = 0,
            Action::Bottom => view.selected = view.items.len().saturating_sub(1),
            Action::FollowupDone => {
                if let Some(text) = view.done(&mut self.store, &at)? {
                    self.message = Some(Notice::Done(text));
                }
            }
            Action::FollowupSnooze => {
                if let Some(text) = view.snooze(&mut self.store, &at)? {
                    self.message = Some(Notice::Done(text));
                }
            }
            Action::FollowupReschedule => view.start_reschedule(),
            Action::Open => {
                let Some(id) = view.selected_item().map(|f| f.account_id) else {
                    return Ok(());
                };
                let account = AccountView::open(self.store.conn(), id, &at)?;
                let queue = std::mem::replace(&mut self.screen, Screen::Account(Box::new(account)));
                self.account_opened_from = Some(queue);
            }
            Action::Back => {
                if let Screen::Followups(_, under) =
                    std::mem::replace(&mut self.screen, Screen::Portfolio)
                {
                    self.screen = *under;
                }
                self.reread_under();
            }
            _ => {}
        }
        Ok(())
    }

    /// An edit of the CSMs' records is refused, saying why and `what` it would have done,
    /// in a read-only file and in a team file.
    fn refuse_edits(&self, what: &str) -> Result<()> {
        let why = if self.store.is_read_only() {
            "this file is open read-only"
        } else if self.team_file {
            "this is a team file, where CSMs' records change only by merging their files"
        } else {
            return Ok(());
        };
        Err(crate::error::Error::Invalid(format!("{why}: {what}")))
    }

    /// Offers to resume the call the last run left in progress, if any.
    pub fn offer_interrupted_call(&mut self) -> Result<()> {
        if self.store.is_read_only() || self.team_file {
            return Ok(());
        }
        if let Some(saved) = crate::store::call::interrupted(self.store.conn())? {
            self.open_flow(CallFlow::offer_resume(saved))?;
            return Ok(());
        }
        self.offer_draft()
    }

    /// How long the loop may sleep before the call's clock changes or a failed write is
    /// tried again (None: nothing to wait for).
    pub fn tick_in(&self) -> Option<std::time::Duration> {
        let call = match &self.screen {
            Screen::Call(flow, _) => flow.tick_in(),
            _ => None,
        };
        let retry = self.unsaved().then_some(RETRY_SAVE_EVERY);
        match (call, retry) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// A second passed during a call, or a failed write is due another try.
    pub fn tick(&mut self) {
        match &mut self.screen {
            Screen::Call(flow, _) => {
                let result = flow.tick(&mut self.store, self.clock.as_ref());
                self.report(result);
            }
            _ => self.write_typed(),
        }
    }

    fn open_selected(&mut self) -> Result<()> {
        let Some(id) = self.portfolio.selected_row().map(|r| r.id) else {
            return Ok(());
        };
        let at = self.as_of();
        let view = AccountView::open(self.store.conn(), id, &at)?;
        self.screen = Screen::Account(Box::new(view));
        self.account_opened_from = None;
        Ok(())
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
        match &self.screen {
            Screen::Portfolio => self.portfolio.draw(frame, body, &self.theme),
            Screen::Team => {
                if let Some(team) = &self.team {
                    team.draw(frame, body, &self.theme);
                }
            }
            Screen::Call(flow, _) => flow.draw(frame, body, &self.theme),
            Screen::WrapUp(form, _) => form.draw(frame, body, &self.theme),
            Screen::Followups(view, _) => view.draw(frame, body, &self.theme),
            Screen::Audits(view, _) => view.draw(frame, body, &self.theme),
            Screen::Kpis(view, _) => view.draw(frame, body, &self.theme),
            Screen::Account(view) => view.draw(
                frame,
                body,
                &self.theme,
                self.portfolio.query.today,
                self.portfolio.query.stale_after_days,
                &self.config.criteria,
            ),
        }
        frame.render_widget(Paragraph::new(self.status_line()), status);
        match &self.overlay {
            Overlay::None => {}
            Overlay::Help { scroll } => self.draw_help(frame, body, *scroll),
            Overlay::Palette(p) => p.draw(frame, body, &self.theme),
        }
    }

    fn title_line(&self) -> Line<'static> {
        let screen = match &self.screen {
            Screen::Portfolio => self.portfolio.title(),
            Screen::Team => "Team".to_string(),
            Screen::Call(flow, _) => flow.title(),
            Screen::Account(v) if self.account_opened_from.is_some() => {
                format!("Follow-ups › {}", v.detail.name)
            }
            Screen::Account(v) => format!("{} › {}", self.portfolio.title(), v.detail.name),
            Screen::WrapUp(form, _) => form.title(),
            Screen::Followups(..) => "Follow-ups".to_string(),
            Screen::Audits(view, _) => view.title(),
            Screen::Kpis(view, _) => view.title(),
        };
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

    /// The keys that work here, from the keymap; or the message of the last action.
    fn status_line(&self) -> Line<'static> {
        match &self.message {
            Some(Notice::Problem(text)) => {
                return Line::styled(format!(" ✗ {text}"), self.theme.danger());
            }
            Some(Notice::Done(text)) => {
                return Line::styled(format!(" ✓ {text}"), self.theme.good());
            }
            None => {}
        }
        if let Screen::Call(flow, _) = &self.screen
            && let Some(h) = flow.hints()
        {
            return self.hints(&h);
        }
        if let Screen::WrapUp(form, _) = &self.screen {
            return self.hints(&form.hints());
        }
        if let Screen::Audits(view, _) = &self.screen
            && let Some(h) = view.hints()
        {
            return self.hints(&h);
        }
        if let Screen::Followups(view, _) = &self.screen
            && view.reschedule.is_some()
        {
            return self.hints(&[("type", "new date"), ("Enter", "set"), ("Esc", "cancel")]);
        }
        if self.portfolio.filter_input.is_some() {
            return self.hints(&[
                ("type", "filter by name"),
                ("Enter", "keep"),
                ("Esc", "clear"),
            ]);
        }
        if let Screen::Account(view) = &self.screen
            && view.text_focus()
        {
            return self.hints(&view.text_hints());
        }
        if let Overlay::Palette(_) = self.overlay {
            return self.hints(&[
                ("type", "find"),
                ("↑↓", "choose"),
                ("Enter", "run"),
                ("Esc", "close"),
            ]);
        }
        let pairs: Vec<(String, &str)> = keymap::bindings(self.context())
            .into_iter()
            .filter_map(|b| b.hint.map(|h| (b.keys[0].label(), h)))
            .collect();
        let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, h)| (k.as_str(), *h)).collect();
        self.hints(&refs)
    }

    fn hints(&self, pairs: &[(&str, &str)]) -> Line<'static> {
        let mut spans = Vec::new();
        for (key, what) in pairs {
            spans.push(Span::styled(format!(" {key}"), self.theme.key()));
            spans.push(Span::raw(format!(" {what} ")));
        }
        Line::from(spans)
    }

    fn draw_help(&self, frame: &mut Frame, area: Rect, scroll: u16) {
        let context = self.screen_context();
        let mut lines = vec![Line::styled(
            format!("Keys on the {} screen", context_name(context)),
            self.theme.title(),
        )];
        for b in keymap::bindings(context) {
            let keys: Vec<String> = b.keys.iter().map(|k| k.label()).collect();
            lines.push(Line::from(vec![
                Span::styled(format!(" {:<14}", keys.join(" / ")), self.theme.key()),
                Span::raw(b.description),
            ]));
        }
        if context == Context::Portfolio {
            lines.push(Line::raw(""));
            lines.push(Line::styled("Reading the table", self.theme.title()));
            let stale = format!(
                "CSM: R/Y/G sentiment, ↗ ↘ → its trend, * stale (older than {} days)",
                self.portfolio.query.stale_after_days
            );
            for text in std::iter::once(stale.as_str()).chain(LEGEND) {
                lines.push(Line::raw(format!(" {text}")));
            }
        }
        if context == Context::Team {
            lines.push(Line::raw(""));
            lines.push(Line::styled("Reading the team view", self.theme.title()));
            let stale = format!(
                "Stale: accounts whose CSM sentiment is over {} days old (or unset)",
                self.config.stale_after_days
            );
            for text in TEAM_LEGEND
                .iter()
                .copied()
                .chain(std::iter::once(stale.as_str()))
            {
                lines.push(Line::raw(format!(" {text}")));
            }
        }
        let width = area.width.saturating_sub(4).min(72);
        // Lines longer than the box wrap: count the rows they take.
        let inner = usize::from(width.saturating_sub(2)).max(1);
        let rows: usize = lines.iter().map(|l| l.width().div_ceil(inner).max(1)).sum();
        let height = area
            .height
            .saturating_sub(1)
            .min(u16::try_from(rows).unwrap_or(u16::MAX).saturating_add(2));
        let popup = Rect::new(area.x + (area.width - width) / 2, area.y, width, height);
        frame.render_widget(Clear, popup);
        frame.render_widget(
            Paragraph::new(lines)
                .block(
                    Block::new()
                        .borders(Borders::ALL)
                        .title(" Help (Esc closes, j/k scroll) "),
                )
                .wrap(Wrap { trim: false })
                .scroll((scroll, 0)),
            popup,
        );
    }
}

/// The help's key to the portfolio table (after the line about staleness).
const LEGEND: [&str; 4] = [
    "Coverage: personas at Okay or better / all, -EB -CH -ES missing economic",
    "  buyer, champion, executive sponsor",
    "Risk: score 0–100 and band (Low, Medium, High, Critical); Enter shows why",
    "Touch: days since the last touch · Follow-up: the next open one",
];

/// What an editing key would have changed, said when the file is open read-only or is a
/// team file.
fn read_only_refusal(action: Action) -> Option<&'static str> {
    Some(match action {
        Action::StrengthUp | Action::StrengthDown => "a persona's strength cannot change",
        Action::SentimentUp | Action::SentimentDown => "a persona's sentiment cannot change",
        Action::SetPulse => "the CSM sentiment cannot be set",
        Action::AddPersona => "personas cannot be added",
        Action::EditPersona => "personas cannot be edited",
        Action::ArchivePersona => "personas cannot be archived",
        Action::CorrectTouch => "touches cannot be corrected",
        Action::LogTouch => "a touch cannot be logged",
        Action::StartCall => "a call cannot be recorded",
        Action::Retros => "retrospectives cannot be written",
        Action::FollowupDone | Action::FollowupSnooze | Action::FollowupReschedule => {
            "follow-ups cannot change"
        }
        _ => return None,
    })
}

/// The help's key to the team view's columns (before the line about staleness).
const TEAM_LEGEND: [&str; 6] = [
    "A team's line holds its subtotal; Enter opens the team's portfolio",
    "Value: contract value · At risk: value of accounts with risk ≥ 50",
    "R Y G —: accounts by the CSM's sentiment (— not set)",
    "Overdue: follow-ups overdue (as of the accounts' last risk update)",
    "Calls: calls the CSM ran",
    "Esc on a CSM's portfolio (with no filter on) comes back here",
];

fn context_name(context: Context) -> &'static str {
    match context {
        Context::Portfolio => "portfolio",
        Context::Account => "account",
        Context::Help => "help",
        Context::CallStart => "new call",
        Context::Call => "call",
        Context::Retros => "retrospectives",
        Context::Resume => "interrupted call",
        Context::Persona => "persona",
        Context::Touch => "touch",
        Context::OrgChart => "org chart",
        Context::WrapUp => "wrap-up",
        Context::Followups => "follow-ups",
        Context::Team => "team",
        Context::Audits => "audits",
        Context::AuditScore => "audit scoring",
        Context::Kpis => "coaching KPIs",
    }
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
