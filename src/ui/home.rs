//! The screen at the bottom of the stack: the portfolio, or the team view of a file of
//! several CSMs. Both stay alive while other screens sit over them (the team view keeps
//! its place while drilling into a CSM's portfolio and back).

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use super::keymap::{self, Action, Context};
use super::kpis::KpisView;
use super::portfolio::PortfolioView;
use super::screen::{self, Cx, DrawCx, Open, Reply, Screen};
use super::team::{Drill, TeamView};
use crate::config::Config;
use crate::error::Result;
use crate::store::Store;
use crate::store::kpi::Who;
use crate::store::me::{self, Opening};
use crate::store::portfolio::{PortfolioQuery, QuickFilters, Sort};

pub struct Home {
    pub portfolio: PortfolioView,
    /// The team view, once opened (kept while drilling into a portfolio).
    team: Option<TeamView>,
    showing_team: bool,
    /// The account a screen over the portfolio was opened for: back here, the cursor is
    /// on it again even if the work re-sorted it.
    worked_on: Option<i64>,
    /// The "who is me" question is on screen over this one.
    asking: bool,
}

impl Home {
    /// The first page of the portfolio (`store::me::opening`): a merged team file opens
    /// on the team view; a file of several owners on the user's own portfolio, or, when
    /// nobody said who the user is, on the team view under the question.
    pub fn open(
        store: &Store,
        clock: &dyn crate::domain::Clock,
        config: &Config,
        height: u16,
    ) -> Result<Home> {
        let query = PortfolioQuery {
            sort: Sort::default(),
            name_contains: String::new(),
            quick: QuickFilters::default(),
            now: clock.now(),
            today: clock.today(),
            stale_after_days: config.stale_after_days,
            owners: None,
        };
        let mut portfolio = PortfolioView::new(query, height);
        let opening = me::opening(store.conn())?;
        if let Opening::Mine { id, name } = &opening {
            // A CSM's own accounts among colleagues': T shows the team.
            portfolio.query.owners = Some(vec![*id]);
            portfolio.owner_label = Some(name.clone());
        }
        portfolio.reload(store)?;
        let team = if matches!(opening, Opening::Team | Opening::Ask) {
            Some(TeamView::load(
                store,
                clock.now(),
                config.stale_after_days,
                height,
            )?)
        } else {
            None
        };
        let mut home = Home {
            portfolio,
            showing_team: team.is_some(),
            team,
            worked_on: None,
            asking: opening == Opening::Ask,
        };
        home.read_setup(store)?;
        Ok(home)
    }

    /// What the set-up checklist has left, for the portfolio's hint. Counted only in a
    /// book of a CSM's size, so a file of 100k accounts still opens at once (`b` opens
    /// the checklist at any size).
    fn read_setup(&mut self, store: &Store) -> Result<()> {
        self.portfolio.setup_left = if self.portfolio.totals.accounts <= SETUP_HINT_MAX {
            Some(crate::store::setup::items_left(store.conn())?).filter(|left| *left > 0)
        } else {
            None
        };
        Ok(())
    }

    /// Several owners and nobody said which is the user: the app asks (`WhoIsMe`).
    pub fn asks_who_is_me(&self) -> bool {
        self.asking
    }

    /// After the question: the user's portfolio if they named themselves (true), else
    /// the team view stays.
    fn answered(&mut self, cx: &mut Cx) -> Result<bool> {
        self.asking = false;
        let Opening::Mine { id, name } = me::opening(cx.store.conn())? else {
            return Ok(false);
        };
        let drill = Drill {
            owners: vec![id],
            label: name,
        };
        self.show_portfolio(Some(drill), cx)?;
        Ok(true)
    }

    /// New settings: the portfolio and team view read again with the new window.
    pub fn set_config(&mut self, cx: &mut Cx) -> Result<()> {
        self.portfolio.query.stale_after_days = cx.config.stale_after_days;
        self.reload_team(cx)?;
        self.portfolio.refresh_in_place(cx.store)
    }

    pub fn resize(&mut self, cx: &mut Cx) -> Result<()> {
        if let Some(team) = &mut self.team {
            team.set_height(cx.screen_height);
        }
        self.portfolio.set_height(cx.store, cx.screen_height)
    }

    /// Another writer (the risk refresher) changed the data: re-read what is shown.
    pub fn data_changed(&mut self, cx: &mut Cx, on_top: bool) -> Result<()> {
        self.sync_clock(cx);
        self.portfolio.refresh_in_place(cx.store)?;
        self.read_setup(cx.store)?;
        if on_top && self.showing_team {
            self.reload_team(cx)?;
        }
        Ok(())
    }

    fn sync_clock(&mut self, cx: &Cx) {
        self.portfolio.query.now = cx.clock.now();
        self.portfolio.query.today = cx.clock.today();
    }

    fn reload_team(&mut self, cx: &mut Cx) -> Result<()> {
        let now = cx.clock.now();
        match &mut self.team {
            Some(team) => team.reload(cx.store, now, cx.config.stale_after_days),
            None => Ok(()),
        }
    }

    /// `T`: the team view, with its figures read again.
    fn open_team(&mut self, cx: &mut Cx) -> Result<()> {
        self.sync_clock(cx);
        match &self.team {
            Some(_) => self.reload_team(cx)?,
            None => {
                self.team = Some(TeamView::load(
                    cx.store,
                    cx.clock.now(),
                    cx.config.stale_after_days,
                    cx.screen_height,
                )?)
            }
        }
        self.showing_team = true;
        Ok(())
    }

    /// A CSM's or a team's portfolio (from the team view), or every account (None).
    fn show_portfolio(&mut self, drill: Option<Drill>, cx: &mut Cx) -> Result<()> {
        self.sync_clock(cx);
        let (owners, label) = match drill {
            Some(d) => (Some(d.owners), Some(d.label)),
            None => (None, None),
        };
        self.portfolio.show_owners(cx.store, owners, label)?;
        self.showing_team = false;
        Ok(())
    }

    /// The team view is read-only: it moves, sorts, and drills into portfolios.
    fn team_action(&mut self, action: Action, cx: &mut Cx) -> Result<Reply> {
        let Some(view) = self.team.as_mut() else {
            return Ok(Reply::Stay);
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
                    self.show_portfolio(Some(drill), cx)?;
                }
            }
            Action::Back => self.show_portfolio(None, cx)?,
            // The selected CSM's audits (a team's line: everyone's).
            Action::Audits => return Ok(Reply::Open(Open::Audits(view.selected_csm()))),
            // The selected CSM's KPIs, or on a team's line the team's.
            Action::Kpis => {
                let who = match (view.selected_csm(), view.selected_team()) {
                    (Some(csm), _) => Who::Csm(csm),
                    (None, Some(members)) => KpisView::team_of(cx.store, &members)?,
                    (None, None) => Who::All,
                };
                return Ok(Reply::Open(Open::Kpis(who)));
            }
            other => return Ok(screen::global(other, None).unwrap_or(Reply::Stay)),
        }
        Ok(Reply::Stay)
    }

    fn portfolio_action(&mut self, action: Action, cx: &mut Cx) -> Result<Reply> {
        let selected = self.portfolio.selected_row().map(|r| r.id);
        if let Some(reply) = screen::global(action, selected) {
            self.worked_on = selected;
            return Ok(reply);
        }
        // In a CSM's (or a team's) portfolio, Esc with no filter left goes back.
        // (Not in the user's own portfolio opened first: the team view is `T` there.)
        let back_to_team = action == Action::ClearFilters
            && !self.portfolio.filtered()
            && self.portfolio.query.owners.is_some()
            && self.team.is_some();
        if action == Action::SetUp {
            return Ok(Reply::Open(Open::SetUp));
        }
        if action == Action::TeamView || back_to_team {
            self.open_team(cx)?;
            return Ok(Reply::Stay);
        }
        let store = &*cx.store;
        let p = &mut self.portfolio;
        let mut quick = p.query.quick;
        match action {
            Action::Down => p.down(store)?,
            Action::Up => p.up(store)?,
            Action::PageDown => p.page_down(store)?,
            Action::PageUp => p.page_up(store)?,
            Action::Top => p.top(store)?,
            Action::Bottom => p.bottom(store)?,
            Action::Filter => {
                p.filter_input = Some(Input::new(p.query.name_contains.clone()));
            }
            Action::SortNext => p.sort_next(store)?,
            Action::SortReverse => p.sort_reverse(store)?,
            Action::SortBy(column) => p.sort_by(store, column)?,
            Action::ToggleAtRisk => quick.at_risk = !quick.at_risk,
            Action::ToggleRenewalSoon => quick.renewal_90 = !quick.renewal_90,
            Action::ToggleStale => quick.stale = !quick.stale,
            Action::ToggleOverdue => quick.overdue = !quick.overdue,
            Action::ToggleIncomplete => quick.incomplete = !quick.incomplete,
            Action::ClearFilters => {
                quick = QuickFilters::default();
                p.query.name_contains.clear();
            }
            Action::Open => {
                self.worked_on = selected;
                return Ok(selected.map(Open::Account).into());
            }
            _ => {}
        }
        if quick != self.portfolio.query.quick || action == Action::ClearFilters {
            self.portfolio.set_quick(store, quick)?;
        }
        Ok(Reply::Stay)
    }
}

impl Screen for Home {
    fn context(&self) -> Context {
        if self.showing_team {
            Context::Team
        } else {
            Context::Portfolio
        }
    }

    fn title(&self, _under: &str) -> String {
        if self.showing_team {
            "Team".to_string()
        } else {
            self.portfolio.title()
        }
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &DrawCx) {
        match (&self.team, self.showing_team) {
            (Some(team), true) => team.draw(frame, area, cx.theme),
            (None, true) => {}
            (_, false) => self.portfolio.draw(frame, area, cx.theme),
        }
    }

    fn on_action(&mut self, action: Action, cx: &mut Cx) -> Result<Reply> {
        if self.showing_team {
            self.team_action(action, cx)
        } else {
            self.portfolio_action(action, cx)
        }
    }

    /// The name filter is the portfolio's text field.
    fn text_focus(&self) -> bool {
        self.portfolio.filter_input.is_some()
    }

    fn on_text(&mut self, key: KeyEvent, cx: &mut Cx) -> Result<Reply> {
        let store = &*cx.store;
        let ctrl_c =
            key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            _ if ctrl_c => return Ok(Reply::Quit),
            KeyCode::Esc => {
                self.portfolio.filter_input = None;
                self.portfolio.set_name_filter(store, "")?;
            }
            // As in fzf: Enter opens the highlighted account; the filter stays for when
            // the CSM comes back, and Esc there clears it.
            KeyCode::Enter => {
                self.portfolio.filter_input = None;
                let selected = self.portfolio.selected_row().map(|r| r.id);
                self.worked_on = selected;
                return Ok(selected.map(Open::Account).into());
            }
            _ => {
                let Some(input) = self.portfolio.filter_input.as_mut() else {
                    return Ok(Reply::Stay);
                };
                if input.handle_event(&Event::Key(key)).is_some() {
                    let text = input.value().to_string();
                    self.portfolio.set_name_filter(store, &text)?;
                }
            }
        }
        Ok(Reply::Stay)
    }

    fn on_paste(&mut self, text: &str, cx: &mut Cx) -> Result<bool> {
        let Some(input) = self.portfolio.filter_input.as_mut() else {
            return Ok(false);
        };
        if super::note_editor::paste_into(input, text) {
            let value = input.value().to_string();
            self.portfolio.set_name_filter(cx.store, &value)?;
        }
        Ok(true)
    }

    fn text_hints(&self) -> Option<Vec<(&'static str, &'static str)>> {
        self.text_focus().then(|| keymap::FILTER_FIELD.to_vec())
    }

    fn help_notes(&self, cx: &DrawCx) -> Vec<Line<'static>> {
        let mut lines = vec![Line::raw("")];
        if self.showing_team {
            lines.push(Line::styled("Reading the team view", cx.theme.title()));
            let stale = format!(
                "Stale: accounts whose CSM sentiment is over {} days old (or unset)",
                cx.config.stale_after_days
            );
            for text in TEAM_LEGEND.iter().copied().chain([stale.as_str()]) {
                lines.push(Line::raw(format!(" {text}")));
            }
        } else {
            lines.push(Line::styled("Reading the table", cx.theme.title()));
            let stale = format!(
                "CSM: R/Y/G sentiment, ↗ ↘ → its trend, * stale (older than {} days)",
                self.portfolio.query.stale_after_days
            );
            for text in [stale.as_str()].into_iter().chain(LEGEND) {
                lines.push(Line::raw(format!(" {text}")));
            }
        }
        lines
    }

    fn on_resume(&mut self, cx: &mut Cx) -> Result<()> {
        self.sync_clock(cx);
        if self.asking && self.answered(cx)? {
            return Ok(());
        }
        match self.worked_on {
            Some(id) if !self.showing_team => self.portfolio.reselect(cx.store, id)?,
            _ => self.portfolio.refresh_in_place(cx.store)?,
        }
        self.read_setup(cx.store)
    }
}

/// The largest book whose set-up is checked for the portfolio's hint: a finished book
/// is read whole (about 6 ms at this size, 30 ms at 5,000 accounts, measured), and a
/// CSM's own book is far smaller.
const SETUP_HINT_MAX: i64 = 1_000;

/// The help's key to the portfolio table (after the line about staleness).
const LEGEND: [&str; 4] = [
    "Coverage: personas at Okay or better / all; -EB -CH -ES: no economic buyer, champion, executive sponsor",
    "Risk: score 0–100 and band (Low, Medium, High, Critical); Enter shows why",
    "Risk 56? (dim): incomplete, no contract value, renewal date, rated persona or CSM sentiment (5 lists them)",
    "Touch: days since the last touch · Follow-up: the next open one",
];

/// The help's key to the team view's columns (before the line about staleness).
const TEAM_LEGEND: [&str; 6] = [
    "A team's line holds its subtotal; Enter opens the team's portfolio",
    "Value: contract value · At risk: value of accounts with risk ≥ 50",
    "R Y G —: accounts by the CSM's sentiment (— not set)",
    "Overdue: follow-ups overdue (as of the accounts' last risk update)",
    "Calls: calls the CSM ran",
    "Esc on a CSM's portfolio (with no filter on) comes back here",
];
