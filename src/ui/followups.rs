//! The follow-up queue (`f`): every open follow-up across the portfolio, grouped into
//! overdue, today, this week and later. `d` marks one done, `z` snoozes it a day, `r`
//! reschedules it to a typed date, Enter opens its account, `c` starts the call.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use super::format::pad;
use super::theme::Theme;
use crate::domain::tagging::{Bucket, parse_day};
use crate::error::Result;
use crate::store::Store;
use crate::store::followups::{self, Followup};
use crate::store::summary::AsOf;

/// At most this many open follow-ups are read (the soonest).
pub const LIMIT: usize = 500;

/// Columns of a follow-up's line before its account: marker, date, how late.
const FIXED: usize = 1 + 1 + 10 + 2 + 9 + 2;

pub struct FollowupsView {
    pub items: Vec<Followup>,
    pub total: i64,
    pub counts: followups::Counts,
    pub selected: usize,
    /// The reschedule field, while it is open.
    pub reschedule: Option<Input>,
    /// The field still holds its prefilled date, selected: the first character typed
    /// replaces it (`r fri Enter`), Backspace clears it, a cursor key keeps it.
    pub reschedule_selected: bool,
    pub error: Option<String>,
    pub today: chrono::NaiveDate,
}

impl FollowupsView {
    pub fn load(store: &Store, at: &AsOf) -> Result<FollowupsView> {
        let conn = store.conn();
        let (items, total) = followups::open(conn, at.today, LIMIT)?;
        Ok(FollowupsView {
            items,
            total,
            counts: followups::counts(conn, at.today)?,
            selected: 0,
            reschedule: None,
            reschedule_selected: false,
            error: None,
            today: at.today,
        })
    }

    /// Reads the queue again, keeping the selection at the same place in the list (after
    /// done, snooze or reschedule the next follow-up moves up under it).
    pub fn reload(&mut self, store: &Store, at: &AsOf) -> Result<()> {
        let conn = store.conn();
        let (items, total) = followups::open(conn, at.today, LIMIT)?;
        self.items = items;
        self.total = total;
        self.counts = followups::counts(conn, at.today)?;
        self.today = at.today;
        self.selected = self.selected.min(self.items.len().saturating_sub(1));
        Ok(())
    }

    pub fn selected_item(&self) -> Option<&Followup> {
        self.items.get(self.selected)
    }

    pub fn down(&mut self) {
        if self.selected + 1 < self.items.len() {
            self.selected += 1;
        }
    }

    pub fn up(&mut self) {
        self.selected = self.selected.saturating_sub(1);
    }

    pub fn done(&mut self, store: &mut Store, at: &AsOf) -> Result<Option<String>> {
        let Some(f) = self.selected_item().cloned() else {
            return Ok(None);
        };
        followups::mark_done(store, f.id, at)?;
        self.reload(store, at)?;
        Ok(Some(format!("Done: {} — {}", f.account, f.action)))
    }

    pub fn snooze(&mut self, store: &mut Store, at: &AsOf) -> Result<Option<String>> {
        let Some(f) = self.selected_item().cloned() else {
            return Ok(None);
        };
        let to = followups::snooze(store, f.id, 1, at)?;
        self.reload(store, at)?;
        Ok(Some(format!(
            "Snoozed {} to {}",
            f.account,
            to.format("%a %b %d")
        )))
    }

    pub fn start_reschedule(&mut self) {
        if let Some(f) = self.selected_item() {
            self.reschedule = Some(Input::new(f.due_on.format("%Y-%m-%d").to_string()));
            self.reschedule_selected = true;
            self.error = None;
        }
    }

    /// A paste into the reschedule field.
    pub fn paste(&mut self, pasted: &str) {
        if let Some(input) = self.reschedule.as_mut() {
            super::note_editor::paste_into(input, pasted);
            self.error = None;
        }
    }

    /// A key in the reschedule field; a bad date keeps what was typed and says why. Some:
    /// the date was set, and this says so.
    pub fn text_key(
        &mut self,
        key: KeyEvent,
        store: &mut Store,
        at: &AsOf,
    ) -> Result<Option<String>> {
        let Some(input) = self.reschedule.as_mut() else {
            return Ok(None);
        };
        match key.code {
            KeyCode::Esc => {
                self.reschedule = None;
                self.error = None;
            }
            KeyCode::Enter => {
                let typed = input.value().trim().to_string();
                let Some(day) = parse_day(&typed, at.today) else {
                    self.error = Some(format!(
                        "'{typed}' is not a date: try +2d, fri or YYYY-MM-DD"
                    ));
                    return Ok(None);
                };
                if day < at.today {
                    self.error = Some(format!("{day} is in the past"));
                    return Ok(None);
                }
                let Some(f) = self.selected_item().cloned() else {
                    self.reschedule = None;
                    return Ok(None);
                };
                followups::reschedule(store, f.id, day, at)?;
                self.reschedule = None;
                self.error = None;
                self.reload(store, at)?;
                return Ok(Some(format!(
                    "{} moved to {}",
                    f.account,
                    day.format("%a %b %d")
                )));
            }
            _ => {
                if std::mem::take(&mut self.reschedule_selected) {
                    replace_selection(input, key);
                }
                input.handle_event(&Event::Key(key));
                self.error = None;
            }
        }
        Ok(None)
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        if area.width == 0 || area.height == 0 {
            return;
        }
        let mut lines: Vec<Line> = Vec::new();
        let mut selected_line = 0usize;
        let c = self.counts;
        let count = |b: Bucket| match b {
            Bucket::Overdue => c.overdue,
            Bucket::Today => c.today,
            Bucket::ThisWeek => c.this_week,
            Bucket::Later => c.later,
        };
        lines.push(Line::from(vec![
            Span::styled(format!(" {} open", self.total), theme.title()),
            Span::raw(format!(
                " · {} overdue · {} today · {} this week · {} later",
                count(Bucket::Overdue),
                count(Bucket::Today),
                count(Bucket::ThisWeek),
                count(Bucket::Later)
            )),
        ]));
        if let Some(input) = &self.reschedule {
            lines.push(Line::from(vec![
                Span::styled(" New date: ", theme.key()),
                if self.reschedule_selected {
                    Span::styled(input.value().to_string(), theme.selected())
                } else {
                    Span::raw(format!("{}▏", input.value()))
                },
                Span::styled(
                    format!(
                        "  +2d, fri, YYYY-MM-DD · {}",
                        super::keymap::field_legend(super::keymap::RESCHEDULE_FIELD)
                    ),
                    theme.dim(),
                ),
            ]));
        }
        if let Some(e) = &self.error {
            lines.push(Line::styled(format!(" ✗ {e}"), theme.danger()));
        }
        if self.items.is_empty() {
            lines.push(Line::raw(""));
            lines.push(Line::raw(
                " Nothing to follow up. Tag a touch with a date to add one.",
            ));
        }
        // "▶ Sat Nov 21  2d late    " before the name, two spaces after it: the name
        // takes what the names hold, up to half of what is left; the action the rest.
        let room = usize::from(area.width.saturating_sub(2)).saturating_sub(FIXED);
        let peers: Vec<&str> = self.items.iter().map(|f| f.account.as_str()).collect();
        let longest = peers
            .iter()
            .map(|n| super::format::width(n))
            .max()
            .unwrap_or(0);
        let name_w = longest.min((room / 2).max(12)).min(room);
        let action_w = room.saturating_sub(name_w + 2);
        let mut last: Option<Bucket> = None;
        for (i, f) in self.items.iter().enumerate() {
            if last != Some(f.bucket) {
                last = Some(f.bucket);
                let style = if f.bucket == Bucket::Overdue {
                    theme.danger()
                } else {
                    theme.header()
                };
                lines.push(Line::styled(
                    format!(" {} ({})", f.bucket.label(), count(f.bucket)),
                    style,
                ));
            }
            let on = i == self.selected;
            if on {
                selected_line = lines.len();
            }
            let when = super::format::due(Some(f.due_on), self.today);
            let name = pad(
                &super::format::fit_apart(&f.account, name_w, &peers),
                name_w,
            );
            let snoozed = if f.snoozed_from.is_some() {
                " (moved)"
            } else {
                ""
            };
            let action = super::format::fit(&format!("{}{snoozed}", f.action), action_w);
            let text = format!(
                "{} {}  {:<9}  {}  {}",
                if on { "▶" } else { " " },
                f.due_on.format("%a %b %d"),
                when,
                name,
                action,
            );
            lines.push(if on {
                Line::styled(text, theme.selected())
            } else {
                Line::raw(text)
            });
        }
        if (self.items.len() as i64) < self.total {
            lines.push(Line::styled(
                format!(" … and {} more later", self.total - self.items.len() as i64),
                theme.dim(),
            ));
        }
        let inner_h = area.height.saturating_sub(2) as usize;
        let scroll = selected_line.saturating_sub(inner_h.saturating_sub(2)) as u16;
        frame.render_widget(
            Paragraph::new(lines)
                .block(Block::new().borders(Borders::ALL).title(" Follow-ups "))
                .scroll((scroll, 0)),
            area,
        );
    }
}

/// The first key into a field whose text is selected: a character or a deletion
/// replaces the whole text (the key then types into the empty field); anything else,
/// a cursor move, keeps it.
fn replace_selection(input: &mut Input, key: KeyEvent) {
    let plain = !key
        .modifiers
        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
    if plain
        && matches!(
            key.code,
            KeyCode::Char(_) | KeyCode::Backspace | KeyCode::Delete
        )
    {
        *input = Input::default();
    }
}

impl super::screen::Screen for FollowupsView {
    fn context(&self) -> super::keymap::Context {
        super::keymap::Context::Followups
    }

    fn title(&self, _under: &str) -> String {
        "Follow-ups".to_string()
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &super::screen::DrawCx) {
        FollowupsView::draw(self, frame, area, cx.theme);
    }

    fn on_action(
        &mut self,
        action: super::keymap::Action,
        cx: &mut super::screen::Cx,
    ) -> Result<super::screen::Reply> {
        use super::keymap::Action;
        use super::screen::{Open, Reply};
        let at = cx.as_of();
        match action {
            Action::Quit => return Ok(Reply::Quit),
            Action::StartCall => {
                let call = self.selected_item().map(|f| Open::Call(f.account_id));
                return Ok(call.into());
            }
            Action::Down => self.down(),
            Action::Up => self.up(),
            Action::PageDown => (0..10).for_each(|_| self.down()),
            Action::PageUp => (0..10).for_each(|_| self.up()),
            Action::Top => self.selected = 0,
            Action::Bottom => self.selected = self.items.len().saturating_sub(1),
            Action::FollowupDone => {
                if let Some(text) = self.done(cx.store, &at)? {
                    cx.done(text);
                }
            }
            Action::FollowupSnooze => {
                if let Some(text) = self.snooze(cx.store, &at)? {
                    cx.done(text);
                }
            }
            Action::FollowupReschedule => self.start_reschedule(),
            Action::Open => {
                let account = self.selected_item().map(|f| Open::Account(f.account_id));
                return Ok(account.into());
            }
            Action::Back => return Ok(Reply::PopRead(1)),
            _ => {}
        }
        Ok(Reply::Stay)
    }

    fn text_focus(&self) -> bool {
        self.reschedule.is_some()
    }

    fn on_text(
        &mut self,
        key: KeyEvent,
        cx: &mut super::screen::Cx,
    ) -> Result<super::screen::Reply> {
        let at = cx.as_of();
        if let Some(text) = self.text_key(key, cx.store, &at)? {
            cx.done(text);
        }
        Ok(super::screen::Reply::Stay)
    }

    fn on_paste(&mut self, text: &str, _cx: &mut super::screen::Cx) -> Result<bool> {
        self.paste(text);
        Ok(true)
    }

    fn text_hints(&self) -> Option<Vec<(&'static str, &'static str)>> {
        self.reschedule
            .is_some()
            .then(|| super::keymap::RESCHEDULE_FIELD.to_vec())
    }

    fn on_resume(&mut self, cx: &mut super::screen::Cx) -> Result<()> {
        self.reload(cx.store, &cx.as_of())
    }
}
