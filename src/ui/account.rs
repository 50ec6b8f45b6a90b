//! The account workspace: header (value, renewal, owner, CSM sentiment with its history
//! and age, risk), the relationship grid beside the persona list, coverage findings,
//! the timeline of touches, and the signals and risk reasons. Personas are changed in
//! place (`+`/`-` strength, `]`/`[` sentiment, `e` edit, `i` add, `d` archive), the CSM
//! sentiment with `s`; each write recomputes risk and coverage in its transaction.

use chrono::NaiveDate;
use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Block, Borders, Cell, List, ListItem, ListState, Paragraph, Row, Table, TableState, Wrap,
};

use super::format::{ago, ago_long, days_ago, due, fit, plural, renewal, width};
use super::keymap::{self, Action, Context};
use super::org_chart::OrgChart;
use super::persona_form::PersonaForm;
use super::persona_grid;
use super::pulse_form::PulseForm;
use super::screen::FormKey;
use super::screen::Reply;
use super::theme::Theme;
use super::touch_view::TouchView;
use crate::domain::clock::{days_since, local_day};
use crate::domain::criteria::Criteria;
use crate::domain::grid::{self, step_sentiment, step_strength};
use crate::domain::model::{Pulse, SignalKind, TouchStatus};
use crate::domain::money;
use crate::domain::roles;
use crate::error::Result;
use crate::store::Store;
use crate::store::account::{self, AccountDetail, PersonaLine};
use crate::store::persona::{self, PersonaChange, PersonaRecord};
use crate::store::summary::AsOf;
use crate::store::timeline::{self, TouchLine};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Personas,
    Touches,
}

/// One persona opened from the workspace: its fields and its history.
pub struct PersonaPanel {
    pub record: PersonaRecord,
    pub history: Vec<PersonaChange>,
}

/// What is on top of the workspace.
pub enum Mode {
    Main,
    Persona(Box<PersonaPanel>),
    Touch(Box<TouchView>),
    Org(OrgChart),
    PersonaForm(Box<PersonaForm>),
    PulseForm(PulseForm),
    ConfirmArchive { id: i64, name: String },
}

/// Touches fetched per page of the timeline.
const TOUCH_PAGE: usize = 200;

pub struct AccountView {
    pub detail: AccountDetail,
    /// (persona id, manager id) of the current personas, for the org chart.
    pub managers: Vec<(i64, Option<i64>)>,
    pub pane: Pane,
    pub persona_sel: usize,
    pub touch_sel: usize,
    /// Every touch of the account is in `detail.touches`.
    pub touches_complete: bool,
    pub mode: Mode,
    /// A one-line confirmation of the last change.
    pub notice: Option<String>,
}

impl AccountView {
    pub fn new(detail: AccountDetail) -> AccountView {
        let complete = detail.touches.len() as i64 >= detail.touch_count;
        AccountView {
            detail,
            managers: Vec::new(),
            pane: Pane::Personas,
            persona_sel: 0,
            touch_sel: 0,
            touches_complete: complete,
            mode: Mode::Main,
            notice: None,
        }
    }

    /// Reads the account and everything the workspace shows.
    pub fn open(store: &Store, id: i64, at: &AsOf) -> Result<AccountView> {
        let conn = store.conn();
        let detail = account::load(conn, id, at)?;
        let mut view = AccountView::new(detail);
        view.managers = persona::reporting_lines(conn, id)?;
        Ok(view)
    }

    /// Re-reads after a write, keeping the selected persona selected.
    fn reload(&mut self, store: &Store, at: &AsOf) -> Result<()> {
        let conn = store.conn();
        let keep = self.selected_persona().map(|p| p.id);
        let loaded = self.detail.touches.len();
        self.detail = account::load(conn, self.detail.id, at)?;
        self.managers = persona::reporting_lines(conn, self.detail.id)?;
        self.touches_complete = self.detail.touches.len() as i64 >= self.detail.touch_count;
        while self.detail.touches.len() < loaded && !self.touches_complete {
            self.load_more_touches(store)?;
        }
        if let Some(pos) = keep.and_then(|id| self.detail.personas.iter().position(|p| p.id == id))
        {
            self.persona_sel = pos;
        }
        self.persona_sel = self
            .persona_sel
            .min(self.detail.personas.len().saturating_sub(1));
        self.touch_sel = self
            .touch_sel
            .min(self.detail.touches.len().saturating_sub(1));
        Ok(())
    }

    fn load_more_touches(&mut self, store: &Store) -> Result<()> {
        let conn = store.conn();
        let Some(last) = self.detail.touches.last() else {
            self.touches_complete = true;
            return Ok(());
        };
        let more = timeline::touches_after(
            conn,
            self.detail.id,
            Some((last.occurred_at, last.id)),
            TOUCH_PAGE,
        )?;
        self.touches_complete = more.len() < TOUCH_PAGE;
        self.detail.touches.extend(more);
        Ok(())
    }

    pub fn selected_persona(&self) -> Option<&PersonaLine> {
        self.detail.personas.get(self.persona_sel)
    }

    /// The keymap context of what is on top.
    pub fn context(&self) -> Context {
        match self.mode {
            Mode::Persona(_) => Context::Persona,
            Mode::Touch(_) => Context::Touch,
            Mode::Org(_) => Context::OrgChart,
            _ => Context::Account,
        }
    }

    /// A form or a question has the keyboard: printable keys are its text.
    pub fn text_focus(&self) -> bool {
        matches!(
            self.mode,
            Mode::PersonaForm(_) | Mode::PulseForm(_) | Mode::ConfirmArchive { .. }
        )
    }

    /// The status bar while a form or question has the keyboard.
    pub fn text_hints(&self) -> Vec<(&'static str, &'static str)> {
        match self.mode {
            Mode::PersonaForm(_) => keymap::PERSONA_FORM.to_vec(),
            Mode::PulseForm(_) => keymap::PULSE_FORM.to_vec(),
            Mode::ConfirmArchive { .. } => keymap::CONFIRM_ARCHIVE.to_vec(),
            _ => Vec::new(),
        }
    }

    /// A paste into the form on top; false when no text field takes it (a question).
    pub fn paste(&mut self, pasted: &str) -> bool {
        match &mut self.mode {
            Mode::PersonaForm(form) => form.paste(pasted),
            Mode::PulseForm(form) => {
                form.paste(pasted);
                true
            }
            _ => false,
        }
    }

    /// A key for the form or question on top.
    pub fn text_key(&mut self, key: KeyEvent, store: &mut Store, at: &AsOf) -> Result<()> {
        let mode = std::mem::replace(&mut self.mode, Mode::Main);
        match mode {
            Mode::PersonaForm(mut form) => match form.key(key) {
                FormKey::Submit => match form.save(store, self.detail.id, at) {
                    Ok(id) => {
                        self.reload(store, at)?;
                        if let Some(pos) = self.detail.personas.iter().position(|p| p.id == id) {
                            self.persona_sel = pos;
                            self.pane = Pane::Personas;
                        }
                        self.notice = Some(format!("Saved {}", form.values().name.trim()));
                    }
                    // Refused: the form stays with everything typed, and says why.
                    Err(e) => {
                        form.error = Some(e.to_string());
                        self.mode = Mode::PersonaForm(form);
                    }
                },
                FormKey::Cancel => self.notice = Some("Nothing changed".into()),
                _ => self.mode = Mode::PersonaForm(form),
            },
            Mode::PulseForm(mut form) => match form.key(key) {
                FormKey::Submit => {
                    if let Err(e) = form.save(store, self.detail.id, at) {
                        self.mode = Mode::PulseForm(form);
                        return Err(e);
                    }
                    self.reload(store, at)?;
                    self.notice = Some(format!("CSM sentiment set to {}", form.pulse));
                }
                FormKey::Cancel => self.notice = Some("CSM sentiment unchanged".into()),
                _ => self.mode = Mode::PulseForm(form),
            },
            Mode::ConfirmArchive { id, name } => {
                if key.code == crossterm::event::KeyCode::Char('y') {
                    store.archive_persona(id, at)?;
                    self.reload(store, at)?;
                    self.notice = Some(format!("Archived {name}; its history is kept"));
                } else {
                    self.notice = Some(format!("Kept {name}"));
                }
            }
            other => self.mode = other,
        }
        Ok(())
    }

    /// Carries out a keymap action on the workspace.
    pub fn update(&mut self, action: Action, store: &mut Store, at: &AsOf) -> Result<Reply> {
        self.notice = None;
        match &mut self.mode {
            Mode::Touch(view) => {
                match action {
                    Action::Back => self.mode = Mode::Main,
                    Action::Down => view.scroll_by(1),
                    Action::Up => view.scroll_by(-1),
                    Action::PageDown => view.scroll_by(10),
                    Action::PageUp => view.scroll_by(-10),
                    Action::Top => view.scroll = 0,
                    _ => {}
                }
                return Ok(Reply::Stay);
            }
            Mode::Org(chart) => {
                match action {
                    Action::Back => self.mode = Mode::Main,
                    Action::Down => chart.scroll_by(1),
                    Action::Up => chart.scroll_by(-1),
                    Action::PageDown => chart.scroll_by(10),
                    Action::PageUp => chart.scroll_by(-10),
                    Action::Top => chart.scroll = 0,
                    Action::Bottom => chart.scroll_by(isize::MAX / 2),
                    _ => {}
                }
                return Ok(Reply::Stay);
            }
            Mode::Persona(_) if action == Action::Back => {
                self.mode = Mode::Main;
                return Ok(Reply::Stay);
            }
            _ => {}
        }
        match action {
            Action::Back => return Ok(Reply::PopRead(1)),
            Action::NextPane => {
                self.pane = match self.pane {
                    Pane::Personas => Pane::Touches,
                    Pane::Touches => Pane::Personas,
                }
            }
            Action::Down => self.move_by(1, store)?,
            Action::Up => self.move_by(-1, store)?,
            Action::PageDown => self.move_by(10, store)?,
            Action::PageUp => self.move_by(-10, store)?,
            Action::Top => self.move_by(isize::MIN / 2, store)?,
            Action::Bottom => self.move_by(isize::MAX / 2, store)?,
            Action::Open => self.open_selected(store)?,
            Action::OrgChart => {
                let mut chart = OrgChart::new(&self.detail.personas, &self.managers);
                if let Some(sel) = self.selected_persona().map(|p| p.id) {
                    let row = chart
                        .rows
                        .iter()
                        .position(|(_, i)| self.detail.personas.get(*i).map(|p| p.id) == Some(sel));
                    chart.scroll = row.unwrap_or(0).saturating_sub(3);
                }
                self.mode = Mode::Org(chart);
            }
            Action::SetPulse => {
                let current = self.detail.pulse_history.first().map(|e| e.pulse);
                self.mode = Mode::PulseForm(PulseForm::new(current));
            }
            Action::AddPersona => {
                self.mode = Mode::PersonaForm(Box::new(PersonaForm::new(None, &self.candidates())))
            }
            Action::EditPersona => {
                if let Some(id) = self.target_persona() {
                    let record = persona::persona(store.conn(), id)?;
                    let form = PersonaForm::new(Some(&record), &self.candidates());
                    self.mode = Mode::PersonaForm(Box::new(form));
                }
            }
            Action::ArchivePersona => {
                if let Some(id) = self.target_persona() {
                    let name = persona::persona(store.conn(), id)?.name;
                    self.mode = Mode::ConfirmArchive { id, name };
                }
            }
            Action::StrengthUp
            | Action::StrengthDown
            | Action::SentimentUp
            | Action::SentimentDown => self.step_tie(action, store, at)?,
            _ => {}
        }
        Ok(Reply::Stay)
    }

    /// The persona an edit applies to: the one opened, or the one selected in the list.
    fn target_persona(&mut self) -> Option<i64> {
        if let Mode::Persona(panel) = &self.mode {
            return Some(panel.record.id);
        }
        if self.pane != Pane::Personas {
            self.notice = Some("Select a persona first (Tab to the personas)".into());
            return None;
        }
        let id = self.selected_persona().map(|p| p.id);
        if id.is_none() {
            self.notice = Some("No personas yet: i adds one".into());
        }
        id
    }

    fn candidates(&self) -> Vec<(i64, String)> {
        self.detail
            .personas
            .iter()
            .map(|p| (p.id, p.name.clone()))
            .collect()
    }

    fn step_tie(&mut self, action: Action, store: &mut Store, at: &AsOf) -> Result<()> {
        let Some(id) = self.target_persona() else {
            return Ok(());
        };
        let record = persona::persona(store.conn(), id)?;
        let (strength, sentiment) = match action {
            Action::StrengthUp => (step_strength(record.strength, true), record.sentiment),
            Action::StrengthDown => (step_strength(record.strength, false), record.sentiment),
            Action::SentimentUp => (record.strength, step_sentiment(record.sentiment, true)),
            _ => (record.strength, step_sentiment(record.sentiment, false)),
        };
        if (strength, sentiment) == (record.strength, record.sentiment) {
            self.notice = Some(format!(
                "{} is already {} and {}",
                record.name, strength, sentiment
            ));
            return Ok(());
        }
        store.change_persona_tie(id, strength, sentiment, None, at)?;
        self.reload(store, at)?;
        if let Mode::Persona(panel) = &mut self.mode {
            panel.record = persona::persona(store.conn(), id)?;
            panel.history = persona::history(store.conn(), id)?;
        }
        self.notice = Some(format!(
            "{}: {} {} → {} {} (risk now {}; e to add why)",
            record.name,
            record.strength,
            record.sentiment,
            strength,
            sentiment,
            self.detail.risk.score
        ));
        Ok(())
    }

    fn open_selected(&mut self, store: &Store) -> Result<()> {
        let conn = store.conn();
        match self.pane {
            Pane::Personas => {
                if let Some(id) = self.selected_persona().map(|p| p.id) {
                    let panel = PersonaPanel {
                        record: persona::persona(conn, id)?,
                        history: persona::history(conn, id)?,
                    };
                    self.mode = Mode::Persona(Box::new(panel));
                }
            }
            Pane::Touches => {
                if let Some(id) = self.detail.touches.get(self.touch_sel).map(|t| t.id) {
                    let detail = timeline::touch(conn, id)?;
                    self.mode = Mode::Touch(Box::new(TouchView::new(detail)));
                }
            }
        }
        Ok(())
    }

    /// Moves the selection of the focused pane by `delta`, staying in bounds; the
    /// timeline fetches the next page of touches before the selection reaches its end.
    pub fn move_by(&mut self, delta: isize, store: &Store) -> Result<()> {
        if self.pane == Pane::Touches && delta > 0 && !self.touches_complete {
            let want = (self.touch_sel as isize).saturating_add(delta).max(0) as usize;
            while !self.touches_complete && want + 20 >= self.detail.touches.len() {
                self.load_more_touches(store)?;
                if delta >= isize::MAX / 4 {
                    continue;
                }
                break;
            }
        }
        let (sel, len) = match self.pane {
            Pane::Personas => (&mut self.persona_sel, self.detail.personas.len()),
            Pane::Touches => (&mut self.touch_sel, self.detail.touches.len()),
        };
        let max = len.saturating_sub(1) as isize;
        *sel = (*sel as isize).saturating_add(delta).clamp(0, max) as usize;
        Ok(())
    }

    pub fn draw(
        &self,
        frame: &mut Frame,
        area: Rect,
        theme: &Theme,
        today: NaiveDate,
        stale_after_days: i64,
        criteria: &Criteria,
    ) {
        let [head, body] =
            Layout::vertical([Constraint::Length(4), Constraint::Min(0)]).areas(area);
        frame.render_widget(
            Paragraph::new(self.head_lines(theme, today, stale_after_days, head.width)),
            head,
        );
        match &self.mode {
            Mode::Touch(view) => return view.draw(frame, body, theme),
            Mode::Org(chart) => {
                let sel = self.selected_persona().map(|p| p.id);
                return chart.draw(frame, body, &self.detail.personas, sel, theme);
            }
            Mode::Persona(panel) => return self.draw_persona(frame, body, panel, theme, today),
            _ => {}
        }
        // Half the body and a line, so at 80×24 each grid row gets two lines for names.
        let top_h = (body.height / 2 + 1).clamp(7.min(body.height), 16);
        let [top, bottom] =
            Layout::vertical([Constraint::Length(top_h), Constraint::Min(0)]).areas(body);
        // Below 64 columns a grid of three cells a row holds no names: the list (which
        // carries strength and sentiment) takes the whole width.
        let list_area = if top.width >= 64 {
            let [grid_area, list_area] =
                Layout::horizontal([Constraint::Percentage(48), Constraint::Percentage(52)])
                    .areas(top);
            self.draw_grid(frame, grid_area, theme);
            list_area
        } else {
            top
        };
        self.draw_personas(frame, list_area, theme, today);
        // The timeline takes the width its lines hold (at least 60%) if the signals keep
        // 32 columns, where their reasons wrap; else 60% (its lines fold in two).
        let need = self.touch_lines_width(bottom.height) as u16 + 1;
        let share = bottom.width * 6 / 10;
        let timeline_w = if need <= bottom.width.saturating_sub(32) {
            need.max(share)
        } else {
            share
        };
        let [left, right] =
            Layout::horizontal([Constraint::Length(timeline_w), Constraint::Min(0)]).areas(bottom);
        self.draw_touches(frame, left, theme);
        frame.render_widget(
            Paragraph::new(self.side_lines(theme, today))
                .block(
                    Block::new()
                        .borders(Borders::LEFT | Borders::TOP)
                        .title(" Signals and risk "),
                )
                .wrap(Wrap { trim: true }),
            right,
        );
        match &self.mode {
            Mode::PersonaForm(form) => form.draw(frame, body, theme),
            Mode::PulseForm(form) => form.draw(frame, body, theme, criteria),
            _ => {}
        }
    }

    fn head_lines(
        &self,
        theme: &Theme,
        today: NaiveDate,
        stale_after_days: i64,
        width: u16,
    ) -> Vec<Line<'static>> {
        let d = &self.detail;
        let mut first = vec![Span::styled(d.name.clone(), theme.title())];
        first.push(Span::raw(format!(
            "  {} · tier {}",
            d.segment.label(),
            d.tier
        )));
        if let Some(industry) = &d.industry {
            first.push(Span::raw(format!(" · {industry}")));
        }
        if let Some(parent) = &d.parent {
            first.push(Span::raw(format!(" · part of {parent}")));
        }
        let mut second = vec![
            Span::raw(format!("{} a year", money::full(d.contract_value))),
            Span::raw(" · renews "),
            Span::styled(renewal(d.renewal_date, today), theme.warn()),
        ];
        if let Some(owner) = &d.owner {
            second.push(Span::raw(format!(" · CSM {owner}")));
        }
        let third = self.sentiment_and_risk(theme, today, stale_after_days, usize::from(width));
        let fourth = match (&self.mode, &self.notice) {
            (Mode::ConfirmArchive { name, .. }, _) => Line::styled(
                format!("Archive {name}? y archives (history is kept), any other key keeps"),
                theme.warn(),
            ),
            (_, Some(n)) => Line::styled(format!("✓ {n}"), theme.good()),
            _ => match d.pulse_history.first().and_then(|e| e.reason.clone()) {
                Some(reason) => Line::styled(
                    format!("“{}”", fit(&reason, usize::from(width).saturating_sub(2))),
                    theme.dim(),
                ),
                None => Line::raw(""),
            },
        };
        vec![Line::from(first), Line::from(second), third, fourth]
    }

    /// `CSM sentiment Red ▁▃█ set 45d ago ⌛ STALE (older than 30d) · Risk 100 (Critical)`,
    /// shortened to `width` from the least telling part (the sparkline, the stale words,
    /// the label), so the risk score and its band are never cut.
    fn sentiment_and_risk(
        &self,
        theme: &Theme,
        today: NaiveDate,
        stale_after_days: i64,
        width: usize,
    ) -> Line<'static> {
        let d = &self.detail;
        let missing = d.missing();
        let risk = [
            Span::raw(" · Risk "),
            if missing.is_complete() {
                Span::styled(
                    format!("{} ({})", d.risk.score, d.risk.band.label()),
                    theme.risk(d.risk.band),
                )
            } else {
                // Missing data is not risk: say what is missing, not a confident score.
                Span::styled(format!("incomplete: {}", missing.describe()), theme.warn())
            },
        ];
        let room = width.saturating_sub(risk.iter().map(Span::width).sum());
        // From the whole story to the bare colour: the first that fits is shown.
        let variants: Vec<Vec<Span<'static>>> = match d.pulse_history.first() {
            None => vec![
                vec![
                    Span::raw("CSM sentiment "),
                    Span::styled("never set ⌛", theme.warn()),
                ],
                vec![Span::styled("Sentiment never set ⌛", theme.warn())],
                vec![Span::styled("never set ⌛", theme.warn())],
            ],
            Some(latest) => {
                let pulse = Span::styled(latest.pulse.label(), theme.pulse(Some(latest.pulse)));
                let spark: Vec<Span<'static>> = d
                    .pulse_history
                    .iter()
                    .rev()
                    .map(|e| Span::styled(spark(e.pulse).to_string(), theme.pulse(Some(e.pulse))))
                    .collect();
                let set = match ago(Some(latest.set_at), today).as_str() {
                    "today" => " set today".to_string(),
                    age => format!(" set {age} ago"),
                };
                let stale = days_since(latest.set_at, today) > stale_after_days;
                let age = |words: &str| {
                    if stale {
                        Span::styled(format!("{set}{words}"), theme.stale())
                    } else {
                        Span::raw(set.clone())
                    }
                };
                let long = format!(" ⌛ STALE (older than {stale_after_days}d)");
                let mut full = vec![Span::raw("CSM sentiment "), pulse.clone(), Span::raw(" ")];
                full.extend(spark);
                full.push(age(&long));
                vec![
                    full,
                    vec![Span::raw("CSM sentiment "), pulse.clone(), age(" ⌛ STALE")],
                    vec![pulse.clone(), age(" ⌛ STALE")],
                    vec![pulse.clone(), age(" ⌛")],
                    vec![pulse],
                ]
            }
        };
        let fits = |v: &&Vec<Span<'static>>| v.iter().map(Span::width).sum::<usize>() <= room;
        let mut spans = variants
            .iter()
            .find(fits)
            .or(variants.last())
            .cloned()
            .unwrap_or_default();
        spans.extend(risk);
        Line::from(spans)
    }

    /// The relationship grid with the coverage findings under it.
    fn draw_grid(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let findings = self.findings_lines(theme);
        // The findings are also risk reasons beside the timeline: names in the grid first
        // (a border, a header and two lines a row).
        let findings_h = (findings.len() as u16).min(area.height.saturating_sub(10));
        let [grid_box, findings_box] =
            Layout::vertical([Constraint::Min(0), Constraint::Length(findings_h)]).areas(area);
        let sel = self.selected_persona().map(|p| p.id);
        let persona_focus = self.pane == Pane::Personas;
        persona_grid::draw(
            frame,
            grid_box,
            &self.detail.personas,
            sel,
            persona_focus,
            theme,
        );
        frame.render_widget(
            Paragraph::new(findings).wrap(Wrap { trim: true }),
            findings_box,
        );
    }

    fn findings_lines(&self, theme: &Theme) -> Vec<Line<'static>> {
        let d = &self.detail;
        if d.findings.is_empty() {
            return vec![Line::styled("✓ Coverage: no gaps found", theme.good())];
        }
        d.findings
            .iter()
            .map(|f| Line::styled(format!("⚠ {}", f.describe()), theme.warn()))
            .collect()
    }

    fn draw_personas(&self, frame: &mut Frame, area: Rect, theme: &Theme, today: NaiveDate) {
        let d = &self.detail;
        let focused = self.pane == Pane::Personas;
        let title = format!(
            " Personas: {} of {} at Okay or better ",
            d.coverage.strong, d.coverage.personas
        );
        // One column for the ▶ of the selection.
        let room = usize::from(area.width.saturating_sub(1));
        let cols = persona_columns(&d.personas, today, room);
        let rows = d.personas.iter().map(|p| {
            let cells = cols.iter().map(|(col, w)| {
                let text = fit(&col.cell(p, today), *w);
                match col {
                    PCol::Strength | PCol::StrengthShort => {
                        Cell::from(Span::styled(text, theme.strength(p.strength)))
                    }
                    PCol::Sentiment | PCol::SentimentShort | PCol::Tie => {
                        Cell::from(Span::styled(text, theme.sentiment(p.sentiment)))
                    }
                    _ => Cell::from(text),
                }
            });
            Row::new(cells.collect::<Vec<_>>())
        });
        let widths = cols.iter().map(|(_, w)| Constraint::Length(*w as u16));
        let header = Row::new(cols.iter().map(|(col, _)| col.header())).style(theme.header());
        let table = Table::new(rows, widths)
            .header(header)
            .block(pane_block(title, focused, theme))
            .row_highlight_style(if focused {
                theme.selected()
            } else {
                Style::new()
            })
            .highlight_symbol("▶");
        let mut state = TableState::default().with_selected(focused.then_some(self.persona_sel));
        frame.render_stateful_widget(table, area, &mut state);
    }

    /// The touches in view for a timeline `height` rows tall: only those around the
    /// selection are built into list items.
    fn touches_in_view(&self, height: u16) -> (usize, &[TouchLine]) {
        let d = &self.detail;
        let visible = (height as usize / 2).max(1) + 2;
        let start = self.touch_sel.saturating_sub(visible);
        let end = (self.touch_sel + visible).min(d.touches.len());
        (start, &d.touches[start.min(end)..end])
    }

    /// The widest first line of the touches in view (the timeline asks this much).
    fn touch_lines_width(&self, height: u16) -> usize {
        let (_, touches) = self.touches_in_view(height);
        let widths = TouchWidths::of(touches);
        touches
            .iter()
            .map(|t| touch_head(t, &widths, &Theme::plain(), true).width())
            .max()
            .unwrap_or(0)
    }

    /// Two lines a touch: when, what, tags, follow-up and with whom; then its first line
    /// of notes. Columns are as wide as the touches in view need.
    fn draw_touches(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let d = &self.detail;
        let focused = self.pane == Pane::Touches;
        let title = format!(
            " Recent touches, newest first ({} of {}) ",
            d.touches.len(),
            d.touch_count
        );
        let (start, touches) = self.touches_in_view(area.height);
        let widths = TouchWidths::of(touches);
        let items: Vec<ListItem> = touches
            .iter()
            .map(|t| {
                // The summary, then the first line of the notes.
                let note = [t.summary.as_deref(), t.notes_first_line.as_deref()]
                    .into_iter()
                    .flatten()
                    .filter_map(|s| s.lines().next())
                    .collect::<Vec<_>>()
                    .join(" — ");
                let room = usize::from(area.width.saturating_sub(1));
                let second = |text: String| {
                    Line::styled(fit(&format!("           {text}"), room), theme.dim())
                };
                let head = touch_head(t, &widths, theme, true);
                if head.width() <= room {
                    let second = second(note);
                    return ListItem::new(vec![head, second]);
                }
                // Too narrow for one line: the follow-up and the people lead the second
                // line, ahead of the note (which the opened touch shows whole).
                let mut tail = touch_tail(t);
                if !note.is_empty() {
                    tail.push(note);
                }
                let second = second(tail.join(" · "));
                ListItem::new(vec![touch_head(t, &widths, theme, false), second])
            })
            .collect();
        let list = List::new(items)
            .block(pane_block(title, focused, theme))
            .highlight_style(if focused {
                theme.selected()
            } else {
                Style::new()
            })
            .highlight_symbol("▶");
        let sel = focused.then_some(self.touch_sel.saturating_sub(start));
        let mut state = ListState::default().with_selected(sel);
        frame.render_stateful_widget(list, area, &mut state);
    }

    fn side_lines(&self, theme: &Theme, today: NaiveDate) -> Vec<Line<'static>> {
        let d = &self.detail;
        let mut lines = self.signal_lines();
        let missing = d.missing();
        if missing.is_complete() {
            lines.push(Line::from(vec![
                Span::styled("Risk ", theme.header()),
                Span::styled(
                    format!("{} ({})", d.risk.score, d.risk.band.label()),
                    theme.risk(d.risk.band),
                ),
            ]));
        } else {
            lines.push(Line::from(vec![
                Span::styled("Risk ", theme.header()),
                Span::styled(
                    format!("incomplete ({}? on what is known)", d.risk.score),
                    theme.warn(),
                ),
            ]));
            for gap in missing.gaps() {
                lines.push(Line::styled(format!(" ? {}", gap.label()), theme.warn()));
            }
        }
        for reason in &d.risk.reasons {
            lines.push(Line::raw(format!("+{:<2} {}", reason.points, reason.text)));
        }
        if d.risk.reasons.is_empty() {
            lines.push(Line::styled(" nothing stands out", theme.good()));
        }
        lines.push(Line::styled("Open follow-ups", theme.header()));
        if d.open_followups.is_empty() {
            lines.push(Line::styled(" none", theme.dim()));
        }
        for f in &d.open_followups {
            let late = f.due_on < today;
            let style = if late { theme.danger() } else { Style::new() };
            lines.push(Line::from(vec![
                Span::styled(format!(" {:<9}", due(Some(f.due_on), today)), style),
                Span::raw(f.action.clone()),
            ]));
        }
        lines
    }

    fn signal_lines(&self) -> Vec<Line<'static>> {
        let d = &self.detail;
        let series = |kind: SignalKind| -> Vec<f64> {
            let mut v: Vec<f64> = d
                .signals
                .iter()
                .filter(|s| s.kind == kind)
                .map(|s| s.value)
                .collect();
            v.reverse();
            v
        };
        let trail = |values: &[f64], digits: usize| {
            values[values.len().saturating_sub(4)..]
                .iter()
                .map(|v| format!("{v:.digits$}"))
                .collect::<Vec<_>>()
                .join("→")
        };
        let none = "—".to_string();
        let nps = series(SignalKind::Nps);
        let csat = series(SignalKind::Csat);
        let mut lines = vec![Line::raw(format!(
            "NPS {}  CSAT {}",
            if nps.is_empty() {
                none.clone()
            } else {
                trail(&nps, 0)
            },
            if csat.is_empty() {
                none.clone()
            } else {
                trail(&csat, 1)
            },
        ))];
        let tickets = d
            .inputs
            .open_tickets
            .map_or(none.clone(), |t| t.to_string());
        let usage = d
            .inputs
            .usage_trend_pct
            .map_or(none.clone(), |u| format!("{u:+.0}%"));
        lines.push(Line::raw(format!("Open tickets {tickets}  Usage {usage}")));
        let last = d
            .inputs
            .days_since_last_touch
            .map_or_else(|| "never".to_string(), days_ago);
        lines.push(Line::raw(format!(
            "Competitor mentions (90d) {}  Last touch {last}",
            d.inputs.competitor_mentions_90d
        )));
        lines
    }

    fn draw_persona(
        &self,
        frame: &mut Frame,
        area: Rect,
        panel: &PersonaPanel,
        theme: &Theme,
        today: NaiveDate,
    ) {
        let p = &panel.record;
        let shade = grid::shade(p.strength, p.sentiment);
        let field = |k: &str, v: String| {
            Line::from(vec![
                Span::styled(format!("{k:<13}"), theme.header()),
                Span::raw(v),
            ])
        };
        let mut lines = vec![
            Line::styled(p.name.clone(), theme.title()),
            field("Title", p.title.clone().unwrap_or("—".into())),
            field("Role", roles::shown(p.role, p.role_guessed)),
            field("Reports to", p.reports_to.clone().unwrap_or("—".into())),
            field("Email", p.email.clone().unwrap_or("—".into())),
            Line::from(vec![
                Span::styled(format!("{:<13}", "Strength"), theme.header()),
                Span::styled(p.strength.label(), theme.strength(p.strength)),
            ]),
            Line::from(vec![
                Span::styled(format!("{:<13}", "Sentiment"), theme.header()),
                Span::styled(p.sentiment.label(), theme.sentiment(p.sentiment)),
                Span::raw(format!(
                    "   grid cell: {} ({})",
                    shade.label(),
                    shade.glyph().trim()
                )),
            ]),
            field("Last contact", ago_long(p.last_contact_at, today)),
        ];
        if let Some(n) = p.notes.as_ref().filter(|n| !n.is_empty()) {
            lines.push(field("Notes", n.clone()));
        }
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            format!(
                "History ({} change{}, newest first)",
                panel.history.len(),
                plural(panel.history.len())
            ),
            theme.header(),
        ));
        for h in &panel.history {
            lines.push(Line::from(vec![
                Span::raw(format!("{}  ", h.changed_at.format("%Y-%m-%d %H:%M"))),
                Span::styled(
                    format!("{:<9}", h.strength.label()),
                    theme.strength(h.strength),
                ),
                Span::raw(" "),
                Span::styled(
                    format!("{:<8}", h.sentiment.label()),
                    theme.sentiment(h.sentiment),
                ),
                Span::raw(
                    h.reason
                        .as_ref()
                        .map_or(String::new(), |r| format!("  {r}")),
                ),
            ]));
        }
        frame.render_widget(
            Paragraph::new(lines)
                .block(
                    Block::new()
                        .borders(Borders::TOP)
                        .title(" Persona (+/- strength, ]/[ sentiment, e edit, Esc back) "),
                )
                .wrap(Wrap { trim: false }),
            area,
        );
    }
}

/// A bar whose height follows the pulse, so the trend reads without color.
/// How wide the timeline's kind and intervention columns are: as wide as the touches in
/// view need, so no width goes to padding.
struct TouchWidths {
    kind: usize,
    intervention: usize,
}

impl TouchWidths {
    fn of(touches: &[TouchLine]) -> TouchWidths {
        TouchWidths {
            kind: touches
                .iter()
                .map(|t| width(&kind_text(t)))
                .max()
                .unwrap_or(0),
            intervention: touches
                .iter()
                .map(|t| width(t.intervention.map_or("—", |i| i.label())))
                .max()
                .unwrap_or(1),
        }
    }
}

fn kind_text(t: &TouchLine) -> String {
    match t.call_type {
        Some(ct) => format!("{} · {}", t.kind.label(), ct.label()),
        None => t.kind.label().to_string(),
    }
}

/// A touch's first line: `2026-11-21 Call · Check-in R Empathy follow-up Nov 30 with Ana`
/// (the follow-up before the people: a date due matters more than who was there).
fn touch_head(t: &TouchLine, w: &TouchWidths, theme: &Theme, tail: bool) -> Line<'static> {
    let mut first = vec![
        Span::raw(format!(
            "{} {} ",
            local_day(t.occurred_at).format("%Y-%m-%d"),
            super::format::pad(&kind_text(t), w.kind)
        )),
        Span::styled(
            t.sentiment
                .map_or("—".to_string(), |s| s.letter().to_string()),
            theme.pulse(t.sentiment),
        ),
        Span::raw(format!(
            " {} ",
            super::format::pad(t.intervention.map_or("—", |i| i.label()), w.intervention)
        )),
    ];
    if t.status != TouchStatus::Done {
        first.push(Span::styled(
            format!("[{}] ", t.status.label()),
            theme.warn(),
        ));
    }
    if tail {
        first.push(Span::raw(touch_tail(t).join(" ")));
    }
    Line::from(first)
}

/// `follow-up Nov 30`, `with Ana, Ben`: what ends a touch's first line when it fits.
fn touch_tail(t: &TouchLine) -> Vec<String> {
    let mut tail = Vec::new();
    if let Some(f) = t.followup_on {
        tail.push(format!("follow-up {}", f.format("%b %d")));
    }
    if !t.participants.is_empty() {
        tail.push(format!("with {}", t.participants.join(", ")));
    }
    tail
}

/// A column of the persona list. The short forms keep a column when room is short.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PCol {
    Name,
    Title,
    Role,
    RoleShort,
    Manager,
    Strength,
    StrengthShort,
    Sentiment,
    SentimentShort,
    /// The grid's grade glyph alone (`!!` … `++`), when the grid beside says the rest.
    Tie,
    Seen,
}

impl PCol {
    fn header(self) -> &'static str {
        match self {
            PCol::Name => "Name",
            PCol::Title => "Title",
            PCol::Role | PCol::RoleShort => "Role",
            PCol::Manager => "Reports to",
            PCol::Strength => "Strength",
            PCol::StrengthShort => "Str.",
            PCol::Sentiment => "Sentiment",
            PCol::SentimentShort => "Sent.",
            PCol::Tie => "Tie",
            PCol::Seen => "Seen",
        }
    }

    fn cell(self, p: &PersonaLine, today: NaiveDate) -> String {
        let shade = grid::shade(p.strength, p.sentiment);
        match self {
            PCol::Name => p.name.clone(),
            PCol::Title => p.title.clone().unwrap_or_default(),
            PCol::Role => roles::shown(p.role, p.role_guessed),
            PCol::RoleShort => {
                let mark = if p.role_guessed { "?" } else { "" };
                format!("{}{mark}", short_role(p.role))
            }
            PCol::Manager => p.reports_to.clone().unwrap_or_default(),
            PCol::Strength => p.strength.label().to_string(),
            PCol::StrengthShort => p.strength.label().replace("Very good", "V.good"),
            PCol::Sentiment => format!("{} {}", p.sentiment.label(), shade.glyph().trim()),
            PCol::SentimentShort => {
                let word: String = p.sentiment.label().chars().take(3).collect();
                format!("{word} {}", shade.glyph().trim())
            }
            PCol::Tie => shade.glyph().trim().to_string(),
            PCol::Seen => ago(p.last_contact_at, today),
        }
    }

    /// The widest this column needs to hold every persona's cell (long text capped).
    fn want(self, personas: &[PersonaLine], today: NaiveDate) -> usize {
        let cap = match self {
            PCol::Name | PCol::Title | PCol::Manager => 24,
            _ => usize::MAX,
        };
        personas
            .iter()
            .map(|p| width(&self.cell(p, today)))
            .chain([width(self.header())])
            .max()
            .unwrap_or(0)
            .min(cap)
    }
}

/// The persona list's columns for `room` columns of width, from the richest set down:
/// title and manager go first, then strength and sentiment shorten (the grid beside shows
/// them), then the role shortens; the name and the role stay (the champion must be
/// findable). Each column is as wide as what it holds; the name takes what is left.
fn persona_columns(personas: &[PersonaLine], today: NaiveDate, room: usize) -> Vec<(PCol, usize)> {
    use PCol::*;
    const SETS: &[&[PCol]] = &[
        &[Name, Title, Role, Manager, Strength, Sentiment, Seen],
        &[Name, Title, Role, Strength, Sentiment, Seen],
        &[Name, Role, Manager, Strength, Sentiment, Seen],
        &[Name, Role, Strength, Sentiment, Seen],
        &[Name, Role, StrengthShort, SentimentShort, Seen],
        &[Name, RoleShort, StrengthShort, SentimentShort, Seen],
        &[Name, Role, Tie, Seen],
        &[Name, RoleShort, Tie, Seen],
        &[Name, RoleShort, Seen],
        &[Name, RoleShort],
        &[Name],
    ];
    let sized = |set: &[PCol]| -> Vec<(PCol, usize)> {
        set.iter().map(|c| (*c, c.want(personas, today))).collect()
    };
    // First the richest set where names are whole, else the richest with names cut.
    let whole = Name.want(personas, today).min(20);
    let passes = [whole, whole.min(12)];
    for (set, name_min) in passes
        .iter()
        .flat_map(|min| SETS.iter().map(move |set| (set, *min)))
    {
        let cols = sized(set);
        let others: usize = cols
            .iter()
            .filter(|(c, _)| *c != Name)
            .map(|(_, w)| w)
            .sum();
        // One space between columns.
        let gaps = cols.len() - 1;
        if others + name_min + gaps <= room {
            // The name takes what is left.
            let name = room - others - gaps;
            return cols
                .into_iter()
                .map(|(c, w)| (c, if c == Name { name } else { w }))
                .collect();
        }
    }
    vec![(Name, room)]
}

/// A role in at most 12 columns, for a narrow persona list.
fn short_role(role: crate::domain::model::Role) -> &'static str {
    use crate::domain::model::Role;
    match role {
        Role::EconomicBuyer => "Econ. buyer",
        Role::ExecutiveSponsor => "Exec sponsor",
        Role::DecisionMaker => "Decider",
        Role::TechnicalLead => "Tech lead",
        other => other.label(),
    }
}

fn spark(p: Pulse) -> char {
    match p {
        Pulse::Red => '▁',
        Pulse::Yellow => '▄',
        Pulse::Green => '█',
    }
}

fn pane_block(title: String, focused: bool, theme: &Theme) -> Block<'static> {
    let block = Block::new().borders(Borders::TOP).title(title);
    if focused {
        block.title_style(theme.title())
    } else {
        block.title_style(theme.dim())
    }
}

impl super::screen::Screen for AccountView {
    fn context(&self) -> Context {
        AccountView::context(self)
    }

    fn title(&self, under: &str) -> String {
        format!("{under} › {}", self.detail.name)
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &super::screen::DrawCx) {
        AccountView::draw(
            self,
            frame,
            area,
            cx.theme,
            cx.today,
            cx.config.stale_after_days,
            &cx.config.criteria,
        );
    }

    fn on_action(
        &mut self,
        action: Action,
        cx: &mut super::screen::Cx,
    ) -> Result<super::screen::Reply> {
        let at = cx.as_of();
        if action == Action::CorrectTouch
            && let Mode::Touch(t) = &self.mode
        {
            return Ok(Reply::Open(super::screen::Open::Correction(t.detail.id)));
        }
        if let Some(reply) = super::screen::global(action, Some(self.detail.id)) {
            return Ok(reply);
        }
        if action == Action::CopyBrief {
            super::clipboard::copy_brief(self.detail.id, cx)?;
            return Ok(Reply::Stay);
        }
        self.update(action, cx.store, &at)
    }

    fn text_focus(&self) -> bool {
        AccountView::text_focus(self)
    }

    fn on_text(
        &mut self,
        key: KeyEvent,
        cx: &mut super::screen::Cx,
    ) -> Result<super::screen::Reply> {
        let at = cx.as_of();
        self.text_key(key, cx.store, &at)?;
        Ok(super::screen::Reply::Stay)
    }

    fn on_paste(&mut self, text: &str, _cx: &mut super::screen::Cx) -> Result<bool> {
        Ok(self.paste(text))
    }

    fn text_hints(&self) -> Option<Vec<(&'static str, &'static str)>> {
        AccountView::text_focus(self).then(|| AccountView::text_hints(self))
    }

    /// A call or a touch changed the account: read it again.
    fn on_resume(&mut self, cx: &mut super::screen::Cx) -> Result<()> {
        *self = AccountView::open(cx.store, self.detail.id, &cx.as_of())?;
        Ok(())
    }
}
