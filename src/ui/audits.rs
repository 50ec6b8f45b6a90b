//! Adaptability audits (`A` on the portfolio): a quarter's sample of touches per CSM with
//! each one's scoring status, and a summary of mean scores beside renewal and expansion
//! outcomes. `[` `]` change the quarter, `d` draws (or tops up) the sample, `s` changes the
//! seed, Enter opens a touch with its notes and the scoring form (`audit_form.rs`).

use chrono::{DateTime, NaiveDate, Utc};
use crossterm::event::{Event, KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use super::audit_form::{ScoreForm, kind_label};
use super::format::{self, fit, pad, plural};
use super::keymap::{Action, Context};
use super::screen::{Cx, FormKey, Reply};
use super::theme::Theme;
use crate::domain::audit::{self, Pillar, Quarter, Status};
use crate::domain::prompts::Library;
use crate::error::Result;
use crate::store::Store;
use crate::store::audit::{self as audits, AuditItem, Csm, DrawRequest, QuarterOutcomes, Summary};

pub struct AuditsView {
    /// None: every CSM.
    pub csm: Option<Csm>,
    pub quarter: Quarter,
    /// The seed the next draw uses (shown; `s` changes it).
    pub seed: u64,
    pub items: Vec<AuditItem>,
    pub selected: usize,
    pub summary: Summary,
    /// The quarter's renewal results, read once per quarter (scores change, they don't).
    outcomes: QuarterOutcomes,
    /// The seed field, while it is open.
    pub seed_input: Option<Input>,
    pub seed_error: Option<String>,
    /// The touch being scored.
    pub form: Option<ScoreForm>,
    /// The prompt library the shown prompts' words come from, read once per opening.
    library: Library,
}

impl AuditsView {
    /// The audits of `csm` (None: every CSM) in the quarter of `today`.
    pub fn open(
        store: &Store,
        csm: Option<Csm>,
        today: NaiveDate,
        library: &Library,
    ) -> Result<AuditsView> {
        let quarter = Quarter::of(today);
        // Empty until `set_quarter` reads the quarter's seed, outcomes, list and summary.
        let mut view = AuditsView {
            csm,
            quarter,
            seed: 0,
            items: Vec::new(),
            selected: 0,
            summary: Summary {
                quarter,
                rows: Vec::new(),
                correlation: None,
            },
            outcomes: QuarterOutcomes {
                quarter,
                by_csm: Vec::new(),
            },
            seed_input: None,
            seed_error: None,
            library: library.clone(),
            form: None,
        };
        view.set_quarter(store, quarter)?;
        Ok(view)
    }

    /// The audits of the CSM with this id (from the team view).
    pub fn open_for(
        store: &Store,
        csm_id: i64,
        today: NaiveDate,
        library: &Library,
    ) -> Result<AuditsView> {
        let csm = audits::csms(store.conn())?
            .into_iter()
            .find(|c| c.id == csm_id);
        AuditsView::open(store, csm, today, library)
    }

    fn csm_id(&self) -> Option<i64> {
        self.csm.as_ref().map(|c| c.id)
    }

    /// Reads the quarter's list and summary again, keeping the selection's place.
    pub fn reload(&mut self, store: &Store) -> Result<()> {
        let conn = store.conn();
        self.items = audits::list(conn, self.quarter, self.csm_id())?;
        self.summary = audits::summary_with(conn, &self.outcomes)?;
        self.selected = self.selected.min(self.items.len().saturating_sub(1));
        Ok(())
    }

    fn set_quarter(&mut self, store: &Store, quarter: Quarter) -> Result<()> {
        let conn = store.conn();
        self.quarter = quarter;
        self.seed = audits::default_seed(conn, quarter)?;
        self.outcomes = audits::outcomes_by_csm(conn, quarter)?;
        self.selected = 0;
        self.reload(store)
    }

    pub fn context(&self) -> Context {
        if self.form.is_some() {
            Context::AuditScore
        } else {
            Context::Audits
        }
    }

    /// Whether keys go to a field or the form rather than the keymap.
    pub fn takes_keys(&self) -> bool {
        self.seed_input.is_some() || self.form.is_some()
    }

    pub fn title(&self) -> String {
        let who = self.csm.as_ref().map_or("all CSMs", |c| c.name.as_str());
        match &self.form {
            Some(f) => format!("Audits › {} › {}", self.quarter, f.title()),
            None => format!("Audits › {who} › {}", self.quarter),
        }
    }

    /// The status bar's keys while a field or the form has them.
    pub fn hints(&self) -> Option<Vec<(&'static str, &'static str)>> {
        if self.seed_input.is_some() {
            return Some(super::keymap::SEED_FIELD.to_vec());
        }
        self.form.as_ref().map(ScoreForm::hints)
    }

    /// A paste into the seed field or the comment.
    pub fn paste(&mut self, pasted: &str, store: &Store) -> Result<()> {
        if let Some(input) = self.seed_input.as_mut() {
            super::note_editor::paste_into(input, pasted);
            self.seed_error = None;
        } else if let Some(form) = self.form.as_mut() {
            form.paste(pasted, store)?;
        }
        Ok(())
    }

    /// A comment typed in the form is not in the file yet (a write failed).
    pub fn unsaved(&self) -> bool {
        self.form.as_ref().is_some_and(|f| f.save_error.is_some())
    }

    /// Writes again what a failed write left behind.
    pub fn retry(&mut self, store: &mut Store, now: DateTime<Utc>) {
        if let Some(form) = self.form.as_mut() {
            form.retry(store, now);
        }
    }

    /// A key while the seed field or the form has the keys.
    pub fn key(&mut self, key: KeyEvent, cx: &mut Cx) -> Result<Reply> {
        if let Some(input) = self.seed_input.as_mut() {
            match key.code {
                KeyCode::Esc => {
                    self.seed_input = None;
                    self.seed_error = None;
                }
                KeyCode::Enter => {
                    let typed = input.value().trim().to_string();
                    match typed.parse::<u64>() {
                        Ok(seed) => {
                            self.seed = seed;
                            self.seed_input = None;
                            self.seed_error = None;
                            cx.done(format!(
                                "Seed {seed}: d draws with it (scored audits are kept)"
                            ));
                            return Ok(Reply::Stay);
                        }
                        Err(_) => {
                            self.seed_error =
                                Some(format!("'{typed}' is not a seed: type digits only"));
                        }
                    }
                }
                _ => {
                    input.handle_event(&Event::Key(key));
                    self.seed_error = None;
                }
            }
            return Ok(Reply::Stay);
        }
        let Some(form) = self.form.as_mut() else {
            return Ok(Reply::Stay);
        };
        match form.key(key, cx.store, cx.clock.now())? {
            FormKey::Stay | FormKey::Submit => {}
            FormKey::Saved(text) => {
                let id = form.audit.id;
                if let Some(item) = self.items.iter_mut().find(|a| a.id == id) {
                    item.score = form.score.clone();
                }
                if let Some(text) = text {
                    cx.done(text);
                }
            }
            FormKey::Move(step) => {
                let next = self.selected as i64 + step;
                if next < 0 || next as usize >= self.items.len() {
                    cx.done("No more audited touches that way");
                    return Ok(Reply::Stay);
                }
                self.selected = next as usize;
                self.open_form(cx.store)?;
            }
            FormKey::Cancel => {
                self.form = None;
                self.reload(cx.store)?;
            }
        }
        Ok(Reply::Stay)
    }

    fn open_form(&mut self, store: &Store) -> Result<()> {
        let Some(item) = self.items.get(self.selected).cloned() else {
            return Ok(());
        };
        let touch = audits::touch(store.conn(), item.touch_id, &self.library)?;
        self.form = Some(ScoreForm::new(item, touch));
        Ok(())
    }

    /// An action of the list (keys resolved by the keymap).
    pub fn action(&mut self, action: Action, cx: &mut Cx) -> Result<Reply> {
        let store = &mut *cx.store;
        match action {
            Action::Down if self.selected + 1 < self.items.len() => self.selected += 1,
            Action::Up => self.selected = self.selected.saturating_sub(1),
            Action::PageDown => {
                self.selected = (self.selected + 10).min(self.items.len().saturating_sub(1))
            }
            Action::PageUp => self.selected = self.selected.saturating_sub(10),
            Action::Top => self.selected = 0,
            Action::Bottom => self.selected = self.items.len().saturating_sub(1),
            Action::QuarterPrev => self.set_quarter(store, self.quarter.prev())?,
            Action::QuarterNext => self.set_quarter(store, self.quarter.next())?,
            // Refused on a read-only file by the app's gate (`Action::edit`).
            Action::AuditSeed => {
                self.seed_input = Some(Input::new(self.seed.to_string()));
                self.seed_error = None;
            }
            Action::AuditDraw => {
                let text = self.draw_sample(store, cx.clock.now())?;
                cx.done(text);
            }
            Action::Open => self.open_form(store)?,
            Action::Back => return Ok(Reply::Pop),
            Action::Quit => return Ok(Reply::Quit),
            _ => {}
        }
        Ok(Reply::Stay)
    }

    /// Draws the quarter's sample; what was drawn, for the status bar.
    fn draw_sample(&mut self, store: &mut Store, now: DateTime<Utc>) -> Result<String> {
        let req = DrawRequest {
            quarter: self.quarter,
            per_csm: audit::DEFAULT_PER_CSM,
            seed: Some(self.seed),
            csm_id: self.csm_id(),
        };
        let drawn = audits::draw(store, &req, now)?;
        self.reload(store)?;
        if drawn.is_empty() {
            return Ok(format!(
                "No calls, meetings or QBRs in {} to draw from",
                self.quarter
            ));
        }
        let added: usize = drawn.iter().map(|d| d.added).sum();
        let kept: usize = drawn.iter().map(|d| d.kept).sum();
        let dropped: usize = drawn.iter().map(|d| d.dropped).sum();
        let mut text = format!(
            "Drew {added} touches for {} CSM{} (seed {}); {kept} kept",
            drawn.len(),
            plural(drawn.len()),
            self.seed
        );
        if dropped > 0 {
            text.push_str(&format!(", {dropped} unscored replaced"));
        }
        Ok(text)
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        if area.width == 0 || area.height == 0 {
            return;
        }
        if let Some(form) = &self.form {
            form.draw(frame, area, theme);
            return;
        }
        let rows = self.summary.rows.len() as u16;
        let summary_h = (rows + 5).min(area.height / 2).max(4);
        let [list, summary] =
            Layout::vertical([Constraint::Min(3), Constraint::Length(summary_h)]).areas(area);
        self.draw_list(frame, list, theme);
        self.draw_summary(frame, summary, theme);
    }

    fn draw_list(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let scored = self
            .items
            .iter()
            .filter(|a| a.score.status() == Status::Scored)
            .count();
        let who = self.csm.as_ref().map_or("all CSMs", |c| c.name.as_str());
        let mut lines = vec![Line::from(vec![
            Span::styled(format!(" {who} · {}", self.quarter), theme.title()),
            Span::raw(format!(
                " · {} drawn, {scored} scored · seed {} · {} per CSM",
                self.items.len(),
                self.seed,
                audit::DEFAULT_PER_CSM
            )),
        ])];
        if let Some(input) = &self.seed_input {
            lines.push(Line::from(vec![
                Span::styled(" Seed: ", theme.key()),
                Span::raw(format!("{}▏", input.value())),
                Span::styled("  the same seed draws the same touches", theme.dim()),
            ]));
        }
        if let Some(e) = &self.seed_error {
            lines.push(Line::styled(format!(" ✗ {e}"), theme.danger()));
        }
        if self.items.is_empty() {
            lines.push(Line::raw(""));
            lines.push(Line::raw(format!(
                " Nothing drawn for {} yet. d draws {} calls, meetings or QBRs per CSM.",
                self.quarter,
                audit::DEFAULT_PER_CSM
            )));
        }
        let width = area.width.saturating_sub(2) as usize;
        let all = self.csm.is_none();
        // Names as wide as the widest shown, up to a share of the line; the summary
        // takes the rest.
        let widest = |names: &[&str]| names.iter().map(|n| format::width(n)).max().unwrap_or(0);
        let csms: Vec<&str> = self.items.iter().map(|a| a.csm.as_str()).collect();
        let accounts: Vec<&str> = self
            .items
            .iter()
            .filter_map(|a| a.touch.as_ref().map(|t| t.account.as_str()))
            .collect();
        let kinds: Vec<String> = self
            .items
            .iter()
            .filter_map(|a| a.touch.as_ref().map(|t| kind_label(t.kind, t.call_type)))
            .collect();
        let csm_w = if all {
            widest(&csms).min((width / 6).clamp(6, 16))
        } else {
            0
        };
        let account_w = widest(&accounts).min((width / 4).clamp(8, 28));
        let kind_w = kinds.iter().map(|k| format::width(k)).max().unwrap_or(0);
        let first = lines.len();
        for (i, a) in self.items.iter().enumerate() {
            let on = i == self.selected;
            let status = match a.score.status() {
                Status::Scored => "✓",
                Status::Started => "◐",
                Status::NotScored => "·",
            };
            let rubric = a.score.rubric.map_or("-".to_string(), |r| r.to_string());
            let who = if all {
                format!("{}  ", pad(&format::fit_apart(&a.csm, csm_w, &csms), csm_w))
            } else {
                String::new()
            };
            let rest = match &a.touch {
                Some(t) => {
                    let kind = kind_label(t.kind, t.call_type);
                    format!(
                        "{}  {}  {}  {}",
                        crate::domain::clock::local_day(t.occurred_at).format("%b %d"),
                        pad(
                            &format::fit_apart(&t.account, account_w, &accounts),
                            account_w
                        ),
                        pad(&kind, kind_w),
                        t.summary.as_deref().unwrap_or("").replace('\n', " ")
                    )
                }
                None => "this touch is no longer in the CSM's file".to_string(),
            };
            let text = format!(
                "{}{status} {rubric}  {who}{rest}",
                if on { "▶" } else { " " },
            );
            let text = fit(&text, width);
            lines.push(if on {
                Line::styled(text, theme.selected())
            } else if a.touch.is_none() {
                Line::styled(text, theme.dim())
            } else {
                Line::raw(text)
            });
        }
        let inner_h = area.height.saturating_sub(2) as usize;
        let selected_line = first + self.selected;
        let scroll = selected_line.saturating_sub(inner_h.saturating_sub(1)) as u16;
        frame.render_widget(
            Paragraph::new(lines)
                .block(
                    Block::new()
                        .borders(Borders::ALL)
                        .title(" Adaptability audits (✓ scored ◐ started · to score) "),
                )
                .scroll((scroll, 0)),
            area,
        );
    }

    fn draw_summary(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let num = |v: Option<f64>| v.map_or("  - ".to_string(), |v| format!("{v:>4.1}"));
        let width = area.width.saturating_sub(2) as usize;
        let name_w = width.saturating_sub(65).clamp(6, 24);
        let mut head = format!("{:<name_w$} {:>6} {:>6}", "CSM", "Scored", "Rubric");
        for p in Pillar::ALL {
            head.push_str(&format!(" {:>4}", p.short()));
        }
        head.push_str(&format!(
            " {:>4} {:>4} {:>4} {:>5}",
            "Ren", "Exp", "Lost", "Rate"
        ));
        let mut lines = vec![Line::styled(fit(&head, width), theme.header())];
        if self.summary.rows.is_empty() {
            lines.push(Line::raw(
                " No audits or renewal results this quarter.".to_string(),
            ));
        }
        for r in &self.summary.rows {
            let mut text = format!(
                "{} {:>6} {:>6}",
                pad(&r.csm, name_w),
                format!("{}/{}", r.scored, r.drawn),
                num(r.rubric)
            );
            for p in r.pillars {
                text.push_str(&format!(" {}", num(p)));
            }
            let rate = r
                .outcomes
                .renewal_rate()
                .map_or("    -".to_string(), |v| format!("{:>4.0}%", v * 100.0));
            text.push_str(&format!(
                " {:>4} {:>4} {:>4} {:>5}",
                r.outcomes.renewed, r.outcomes.expanded, r.outcomes.lost, rate
            ));
            lines.push(Line::raw(fit(&text, width)));
        }
        lines.push(Line::styled(
            audit::correlation_line(self.summary.correlation),
            theme.dim(),
        ));
        frame.render_widget(
            Paragraph::new(lines)
                .block(Block::new().borders(Borders::ALL).title(format!(
                    " {}: mean scores beside renewal outcomes ",
                    self.quarter
                )))
                .wrap(Wrap { trim: false }),
            area,
        );
    }
}

impl super::screen::Screen for AuditsView {
    fn context(&self) -> Context {
        AuditsView::context(self)
    }

    fn title(&self, _under: &str) -> String {
        AuditsView::title(self)
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &super::screen::DrawCx) {
        AuditsView::draw(self, frame, area, cx.theme);
    }

    fn on_action(
        &mut self,
        action: Action,
        cx: &mut super::screen::Cx,
    ) -> Result<super::screen::Reply> {
        self.action(action, cx)
    }

    /// The scoring form reads its own keys.
    fn text_focus(&self) -> bool {
        self.takes_keys()
    }

    fn on_text(
        &mut self,
        key: KeyEvent,
        cx: &mut super::screen::Cx,
    ) -> Result<super::screen::Reply> {
        // Every score and comment is saved already: Ctrl-C may quit from the form.
        let ctrl = key
            .modifiers
            .contains(crossterm::event::KeyModifiers::CONTROL);
        if ctrl && key.code == KeyCode::Char('c') {
            return Ok(super::screen::Reply::Quit);
        }
        self.key(key, cx)
    }

    fn on_paste(&mut self, text: &str, cx: &mut super::screen::Cx) -> Result<bool> {
        self.paste(text, cx.store)?;
        Ok(true)
    }

    fn text_hints(&self) -> Option<Vec<(&'static str, &'static str)>> {
        self.hints()
    }

    fn flush(&mut self, cx: &mut super::screen::Cx) {
        self.retry(cx.store, cx.clock.now());
    }

    fn unsaved(&self) -> bool {
        AuditsView::unsaved(self)
    }
}
