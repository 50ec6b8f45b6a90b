//! The values and renewals table (set-up item 1): the accounts without a contract value
//! or a renewal date, in a table that moves like a spreadsheet. Arrows, hjkl and Tab move
//! between cells; Enter (or typing over a cell) edits it; Enter saves and moves down, Tab
//! saves and moves right, Esc cancels the edit. Amounts read as `85k`, `1.2M`, `$120,000`;
//! dates as the follow-up form reads them (`2027-03-31`, `+90d`, `fri`). Each cell is
//! saved as it is entered, in its own transaction. The table reads its own keys.

use chrono::NaiveDate;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use tui_input::Input;

use super::format::{pad, pad_left};
use super::keymap::{self, Context};
use super::screen::{Cx, DrawCx, Reply, Screen};
use crate::domain::tagging::parse_day;
use crate::domain::{limits, money};
use crate::error::{Error, Refusal, Result};
use crate::store::Store;
use crate::store::setup::{self, ValueRow};

/// The two cells of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Value,
    Renewal,
}

pub struct ValueTable {
    /// The accounts missing something when the table opened (filled ones stay, ticked).
    pub rows: Vec<ValueRow>,
    pub row: usize,
    pub column: Column,
    /// The cell being edited.
    pub edit: Option<Input>,
    pub error: Option<String>,
    /// Why nothing here may change (a read-only or a team file).
    refusal: Option<Refusal>,
}

/// Rows PgDn and PgUp move.
const PAGE: usize = 10;

impl ValueTable {
    pub fn load(store: &Store) -> Result<ValueTable> {
        let refusal = if store.is_read_only() {
            Some(Refusal::ReadOnly)
        } else if store.meta(crate::store::merge::TEAM_KEY)?.is_some() {
            Some(Refusal::TeamFile)
        } else {
            None
        };
        Ok(ValueTable {
            rows: setup::missing_values(store.conn())?,
            row: 0,
            column: Column::Value,
            edit: None,
            error: None,
            refusal,
        })
    }

    /// Rows still missing a value or a date.
    pub fn left(&self) -> usize {
        self.rows.iter().filter(|r| !complete(r)).count()
    }

    fn down(&mut self, n: usize) {
        self.row = (self.row + n).min(self.rows.len().saturating_sub(1));
    }

    fn up(&mut self, n: usize) {
        self.row = self.row.saturating_sub(n);
    }

    /// Tab: the next cell, on to the next row after the last column.
    fn next_cell(&mut self) {
        match self.column {
            Column::Value => self.column = Column::Renewal,
            Column::Renewal if self.row + 1 < self.rows.len() => {
                self.column = Column::Value;
                self.row += 1;
            }
            Column::Renewal => {}
        }
    }

    fn prev_cell(&mut self) {
        match self.column {
            Column::Renewal => self.column = Column::Value,
            Column::Value if self.row > 0 => {
                self.column = Column::Renewal;
                self.row -= 1;
            }
            Column::Value => {}
        }
    }

    /// The cell's text as the edit starts from it.
    fn cell_text(&self) -> String {
        let Some(r) = self.rows.get(self.row) else {
            return String::new();
        };
        match self.column {
            Column::Value if r.contract_value > 0 => money::full(r.contract_value),
            Column::Value => String::new(),
            Column::Renewal => r
                .renewal_date
                .map_or_else(String::new, |d| d.format("%Y-%m-%d").to_string()),
        }
    }

    /// Opens the editor on the cell; false (and why) when the file takes no edit.
    fn start_edit(&mut self, text: String, cx: &mut Cx) -> bool {
        if self.rows.is_empty() {
            return false;
        }
        if let Some(why) = self.refusal {
            let what = "values and renewal dates cannot change";
            cx.problem(Error::Refused { why, what }.to_string());
            return false;
        }
        self.edit = Some(Input::new(text));
        self.error = None;
        true
    }

    /// Saves the edited cell as typed; an entry that does not read keeps the editor
    /// open and says why. True when the cell was saved (or left empty).
    fn save(&mut self, cx: &mut Cx) -> Result<bool> {
        let Some(input) = &self.edit else {
            return Ok(true);
        };
        let typed = input.value().trim().to_string();
        let Some(row) = self.rows.get(self.row) else {
            self.edit = None;
            return Ok(true);
        };
        if typed.is_empty() {
            self.edit = None;
            return Ok(true);
        }
        let at = cx.as_of();
        let (id, name) = (row.account_id, row.name.clone());
        match self.column {
            Column::Value => {
                let Some(cents) = money::parse_typed(&typed) else {
                    self.error = Some(format!(
                        "'{typed}' is not an amount: try 85k, 1.2M or 120,000"
                    ));
                    return Ok(false);
                };
                cx.store.set_contract_value(id, cents, &at)?;
                self.rows[self.row].contract_value = cents;
                cx.done(format!("{name}: {} a year", money::full(cents)));
            }
            Column::Renewal => {
                let Some(day) = parse_renewal(&typed, at.today) else {
                    self.error = Some(format!(
                        "'{typed}' is not a date: try 2027-03-31, +90d or fri"
                    ));
                    return Ok(false);
                };
                cx.store.set_renewal_date(id, day, &at)?;
                self.rows[self.row].renewal_date = Some(day);
                cx.done(format!("{name}: renews {}", day.format("%Y-%m-%d")));
            }
        }
        self.edit = None;
        self.error = None;
        Ok(true)
    }

    fn edit_key(&mut self, key: KeyEvent, cx: &mut Cx) -> Result<()> {
        match key.code {
            KeyCode::Esc => {
                self.edit = None;
                self.error = None;
            }
            KeyCode::Enter => {
                if self.save(cx)? {
                    self.down(1);
                }
            }
            KeyCode::Tab => {
                if self.save(cx)? {
                    self.next_cell();
                }
            }
            _ => {
                if let Some(input) = self.edit.as_mut() {
                    self.error = super::field::type_into(input, key, limits::CELL);
                }
            }
        }
        Ok(())
    }

    fn move_key(&mut self, key: KeyEvent, cx: &mut Cx) -> Reply {
        match key.code {
            KeyCode::Esc => return Reply::PopRead(1),
            KeyCode::Char('?') => return Reply::Help,
            KeyCode::Char('q') => return Reply::Quit,
            KeyCode::Down | KeyCode::Char('j') => self.down(1),
            KeyCode::Up | KeyCode::Char('k') => self.up(1),
            KeyCode::Left | KeyCode::Char('h') => self.column = Column::Value,
            KeyCode::Right | KeyCode::Char('l') => self.column = Column::Renewal,
            KeyCode::Tab => self.next_cell(),
            KeyCode::BackTab => self.prev_cell(),
            KeyCode::PageDown => self.down(PAGE),
            KeyCode::PageUp => self.up(PAGE),
            KeyCode::Home => self.row = 0,
            KeyCode::End => self.down(self.rows.len()),
            KeyCode::Enter => {
                let text = self.cell_text();
                self.start_edit(text, cx);
            }
            // Typing over a cell starts its edit with that character.
            KeyCode::Char(c) if !c.is_control() => {
                self.start_edit(c.to_string(), cx);
            }
            _ => {}
        }
        Reply::Stay
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, cx: &DrawCx) {
        let theme = cx.theme;
        let left = self.left();
        let mut lines = vec![Line::styled(
            format!(
                " {left} of {} account{} still without a contract value or a renewal date",
                self.rows.len(),
                if self.rows.len() == 1 { "" } else { "s" }
            ),
            theme.title(),
        )];
        lines.push(Line::styled(
            " Or import them: attuned import opportunities.csv or deals.csv",
            theme.dim(),
        ));
        if let Some(e) = &self.error {
            lines.push(Line::styled(format!(" ✗ {e}"), theme.danger()));
        }
        let value_w = 16;
        let date_w = 12;
        let name_w = (area.width as usize)
            .saturating_sub(value_w + date_w + 10)
            .clamp(8, 48);
        lines.push(Line::styled(
            format!(
                "    {}  {}  {}",
                pad("Account", name_w),
                pad_left("Contract value", value_w),
                pad("Renewal", date_w)
            ),
            theme.header(),
        ));
        if self.rows.is_empty() {
            lines.push(Line::raw(
                " Every account has a contract value and a renewal date.",
            ));
        }
        let header_lines = lines.len();
        let body = (area.height as usize)
            .saturating_sub(2 + header_lines)
            .max(1);
        let first = self.row.saturating_sub(body.saturating_sub(1));
        for (i, r) in self.rows.iter().enumerate().skip(first).take(body) {
            lines.push(self.row_line(i, r, (name_w, value_w, date_w), cx));
        }
        frame.render_widget(
            Paragraph::new(lines).block(
                Block::new()
                    .borders(Borders::ALL)
                    .title(" Values and renewals "),
            ),
            area,
        );
    }

    fn row_line(
        &self,
        i: usize,
        r: &ValueRow,
        (name_w, value_w, date_w): (usize, usize, usize),
        cx: &DrawCx,
    ) -> Line<'static> {
        let theme = cx.theme;
        let on = i == self.row;
        let cell = |column: Column, shown: String, width: usize, right: bool| {
            let here = on && self.column == column;
            let text = match (&self.edit, here) {
                (Some(input), true) => pad(&format!("{}▏", input.value()), width),
                _ if right => pad_left(&shown, width),
                _ => pad(&shown, width),
            };
            if here {
                Span::styled(text, theme.selected())
            } else {
                Span::raw(text)
            }
        };
        let value = match r.contract_value {
            0 => "—".to_string(),
            cents => money::full(cents),
        };
        let date = r
            .renewal_date
            .map_or_else(|| "—".to_string(), |d| d.format("%Y-%m-%d").to_string());
        Line::from(vec![
            Span::raw(if on { " ▶" } else { "  " }),
            Span::raw(if complete(r) { "✓ " } else { "  " }),
            Span::raw(pad(&r.name, name_w)),
            Span::raw("  "),
            cell(Column::Value, value, value_w, true),
            Span::raw("  "),
            cell(Column::Renewal, date, date_w, false),
        ])
    }
}

fn complete(r: &ValueRow) -> bool {
    r.contract_value > 0 && r.renewal_date.is_some()
}

/// A renewal date as typed: what the follow-up form reads, and the import's day formats.
fn parse_renewal(typed: &str, today: NaiveDate) -> Option<NaiveDate> {
    parse_day(typed, today).or_else(|| {
        ["%Y/%m/%d", "%m/%d/%Y", "%d.%m.%Y"]
            .iter()
            .find_map(|f| NaiveDate::parse_from_str(typed.trim(), f).ok())
    })
}

impl Screen for ValueTable {
    fn context(&self) -> Context {
        Context::ValueTable
    }

    fn title(&self, under: &str) -> String {
        format!("{under} › Values and renewals")
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &DrawCx) {
        ValueTable::draw(self, frame, area, cx);
    }

    fn on_action(&mut self, _action: keymap::Action, _cx: &mut Cx) -> Result<Reply> {
        Ok(Reply::Stay)
    }

    /// The table reads every key itself (typing over a cell edits it).
    fn text_focus(&self) -> bool {
        true
    }

    fn on_text(&mut self, key: KeyEvent, cx: &mut Cx) -> Result<Reply> {
        if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
            return Ok(Reply::Quit);
        }
        if self.edit.is_some() {
            self.edit_key(key, cx)?;
            return Ok(Reply::Stay);
        }
        Ok(self.move_key(key, cx))
    }

    fn on_paste(&mut self, text: &str, cx: &mut Cx) -> Result<bool> {
        if self.edit.is_none() && !self.start_edit(String::new(), cx) {
            return Ok(true);
        }
        if let Some(input) = self.edit.as_mut() {
            super::note_editor::paste_into(input, text);
            if let Err(why) = limits::CELL.check(input.value()) {
                *input = Input::default();
                self.error = Some(why);
            }
        }
        Ok(true)
    }

    fn text_hints(&self) -> Option<Vec<(&'static str, &'static str)>> {
        Some(if self.edit.is_some() {
            keymap::VALUE_EDIT.to_vec()
        } else {
            keymap::VALUE_MOVE.to_vec()
        })
    }

    fn on_resume(&mut self, _cx: &mut Cx) -> Result<()> {
        Ok(())
    }
}
