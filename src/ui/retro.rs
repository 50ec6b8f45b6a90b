//! Step 6, later: the calls waiting for a retrospective, and the short form that closes
//! one (what worked, what failed, which prompts helped).

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use tui_input::Input;

use super::keymap::Action;
use super::screen::{Cx, DrawCx, Reply, Screen};
use super::theme::Theme;
use crate::domain::Clock;
use crate::domain::clock::{ago_words, days_since, local_day};
use crate::domain::prompts::Library;
use crate::domain::text::count_of;
use crate::error::Result;
use crate::store::Store;
use crate::store::call::{self, PendingRetro};

const LIST_LIMIT: usize = 500;

pub struct RetroForm {
    pub touch_id: i64,
    pub account_name: String,
    pub worked: Input,
    pub failed: Input,
    /// Prompt key, its text and whether it helped (pre-marked when used on the call).
    pub prompts: Vec<(String, String, bool)>,
    /// 0 worked, 1 failed, 2 prompts.
    pub field: usize,
    pub prompt_cursor: usize,
}

pub struct RetroView {
    pub rows: Vec<PendingRetro>,
    pub selected: usize,
    pub form: Option<RetroForm>,
    pub notice: Option<String>,
    pub now: DateTime<Utc>,
    /// The prompt library the prompts' words come from.
    library: Library,
}

impl RetroView {
    pub fn load(store: &Store, now: DateTime<Utc>, library: Library) -> Result<RetroView> {
        let conn = store.conn();
        Ok(RetroView {
            rows: call::pending_retros(conn, LIST_LIMIT)?,
            selected: 0,
            form: None,
            notice: None,
            now,
            library,
        })
    }

    pub fn text_focus(&self) -> bool {
        self.form.is_some()
    }

    pub fn hints(&self) -> Option<Vec<(&'static str, &'static str)>> {
        let form = self.form.as_ref()?;
        Some(if form.field == 2 {
            super::keymap::RETRO_PROMPTS.to_vec()
        } else {
            super::keymap::RETRO_TEXT.to_vec()
        })
    }

    pub fn action(
        &mut self,
        action: Action,
        store: &mut Store,
        clock: &dyn Clock,
    ) -> Result<Reply> {
        self.now = clock.now();
        let n = self.rows.len();
        match action {
            Action::Back => return Ok(Reply::PopRead(1)),
            Action::Quit => return Ok(Reply::Quit),
            Action::Down if n > 0 => self.selected = (self.selected + 1).min(n - 1),
            Action::Up => self.selected = self.selected.saturating_sub(1),
            Action::Top => self.selected = 0,
            Action::Bottom => self.selected = n.saturating_sub(1),
            Action::Open => {
                if let Some(row) = self.rows.get(self.selected) {
                    let library = &self.library;
                    let prompts = call::prompts_of(store.conn(), row.touch_id)?
                        .into_iter()
                        .map(|p| {
                            let text = library.text_of(&p.key).unwrap_or("").to_string();
                            (p.key, text, p.used)
                        })
                        .collect();
                    self.form = Some(RetroForm {
                        touch_id: row.touch_id,
                        account_name: row.account_name.clone(),
                        worked: Input::default(),
                        failed: Input::default(),
                        prompts,
                        field: 0,
                        prompt_cursor: 0,
                    });
                }
            }
            _ => {}
        }
        Ok(Reply::Stay)
    }

    /// A paste into the text field that has focus (not the list of prompts).
    pub fn paste(&mut self, pasted: &str) {
        let Some(form) = self.form.as_mut() else {
            return;
        };
        match form.field {
            0 => super::note_editor::paste_into(&mut form.worked, pasted),
            1 => super::note_editor::paste_into(&mut form.failed, pasted),
            _ => false,
        };
    }

    pub fn text_key(
        &mut self,
        key: KeyEvent,
        store: &mut Store,
        clock: &dyn Clock,
    ) -> Result<Reply> {
        let Some(form) = self.form.as_mut() else {
            return Ok(Reply::Stay);
        };
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let save = (ctrl && key.code == KeyCode::Char('s'))
            || (form.field == 2 && key.code == KeyCode::Enter);
        if save {
            let helped: Vec<String> = form
                .prompts
                .iter()
                .filter(|(_, _, h)| *h)
                .map(|(k, _, _)| k.clone())
                .collect();
            call::save_retro(
                store,
                form.touch_id,
                form.worked.value(),
                form.failed.value(),
                &helped,
                clock.now(),
            )?;
            self.notice = Some(format!(
                "Retrospective of the call with {} saved",
                form.account_name
            ));
            self.form = None;
            self.rows = call::pending_retros(store.conn(), LIST_LIMIT)?;
            self.selected = self.selected.min(self.rows.len().saturating_sub(1));
            return Ok(Reply::Stay);
        }
        match key.code {
            KeyCode::Esc => self.form = None,
            KeyCode::Tab | KeyCode::Enter => form.field = (form.field + 1) % 3,
            KeyCode::BackTab => form.field = (form.field + 2) % 3,
            _ if form.field == 2 => match key.code {
                KeyCode::Char('j') | KeyCode::Down => {
                    form.prompt_cursor =
                        (form.prompt_cursor + 1).min(form.prompts.len().saturating_sub(1))
                }
                KeyCode::Char('k') | KeyCode::Up => {
                    form.prompt_cursor = form.prompt_cursor.saturating_sub(1)
                }
                KeyCode::Char(' ') => {
                    if let Some(p) = form.prompts.get_mut(form.prompt_cursor) {
                        p.2 = !p.2;
                    }
                }
                _ => {}
            },
            _ => {
                let input = if form.field == 0 {
                    &mut form.worked
                } else {
                    &mut form.failed
                };
                let limit = crate::domain::limits::OUTCOME.named("answer");
                if let Some(why) = super::field::type_into(input, key, limit) {
                    self.notice = Some(why);
                }
            }
        }
        Ok(Reply::Stay)
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let mut lines = Vec::new();
        if let Some(n) = &self.notice {
            lines.push(Line::styled(n.clone(), theme.good()));
        }
        if let Some(form) = &self.form {
            lines.push(Line::styled(
                format!("Retrospective: call with {}", form.account_name),
                theme.title(),
            ));
            lines.push(Line::raw(""));
            for (i, (label, input)) in
                [("What worked", &form.worked), ("What failed", &form.failed)]
                    .into_iter()
                    .enumerate()
            {
                let here = form.field == i;
                lines.push(Line::from(vec![
                    Span::styled(
                        format!("{} {label}: ", if here { "▶" } else { " " }),
                        if here { theme.key() } else { theme.header() },
                    ),
                    Span::raw(format!("{}{}", input.value(), if here { "█" } else { "" })),
                ]));
            }
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                format!(
                    "{} Which prompts helped? (Space marks)",
                    if form.field == 2 { "▶" } else { " " }
                ),
                if form.field == 2 {
                    theme.key()
                } else {
                    theme.header()
                },
            ));
            if form.prompts.is_empty() {
                lines.push(Line::styled(
                    "   No prompts were recorded on this call",
                    theme.dim(),
                ));
            }
            for (i, (key, text, helped)) in form.prompts.iter().enumerate() {
                let shown = if text.is_empty() {
                    key.as_str()
                } else {
                    text.as_str()
                };
                let text = format!("   [{}] {shown}", if *helped { "x" } else { " " });
                lines.push(if form.field == 2 && i == form.prompt_cursor {
                    Line::styled(text, theme.selected())
                } else {
                    Line::raw(text)
                });
            }
        } else {
            let n = self.rows.len();
            lines.push(Line::styled(
                format!("{} waiting for a retrospective", count_of(n as i64, "call")),
                theme.title(),
            ));
            if self.rows.is_empty() {
                lines.push(Line::styled("Nothing pending. Well done.", theme.dim()));
            }
            for (i, r) in self.rows.iter().enumerate() {
                let today = local_day(self.now);
                let text = format!(
                    "{}{} · {} · {} · {}{}",
                    if i == self.selected { "▶ " } else { "  " },
                    local_day(r.occurred_at).format("%Y-%m-%d"),
                    r.account_name,
                    r.call_type.map_or("call", |c| c.label()),
                    ago_words(days_since(r.occurred_at, today)),
                    r.sentiment
                        .map_or(String::new(), |p| format!(" · {}", p.label()))
                );
                lines.push(if i == self.selected {
                    Line::styled(text, theme.selected())
                } else {
                    Line::raw(text)
                });
            }
        }
        let scroll = if self.form.is_none() {
            (self.selected as u16 + 3).saturating_sub(area.height.saturating_sub(2))
        } else {
            0
        };
        frame.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .scroll((scroll, 0))
                .block(Block::new().borders(Borders::ALL)),
            area,
        );
    }
}

impl Screen for RetroView {
    fn context(&self) -> super::keymap::Context {
        super::keymap::Context::Retros
    }

    fn title(&self, _under: &str) -> String {
        "Retrospectives pending".into()
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &DrawCx) {
        RetroView::draw(self, frame, area, cx.theme);
    }

    fn on_action(&mut self, action: Action, cx: &mut Cx) -> Result<Reply> {
        self.action(action, cx.store, cx.clock)
    }

    fn text_focus(&self) -> bool {
        RetroView::text_focus(self)
    }

    fn on_text(&mut self, key: KeyEvent, cx: &mut Cx) -> Result<Reply> {
        self.text_key(key, cx.store, cx.clock)
    }

    fn on_paste(&mut self, text: &str, _cx: &mut Cx) -> Result<bool> {
        self.paste(text);
        Ok(true)
    }

    fn text_hints(&self) -> Option<Vec<(&'static str, &'static str)>> {
        self.hints()
    }
}
