//! Starting a call: who is on it and what kind of call it is. Both have defaults, so
//! `c` then `Enter` starts one.

use chrono::NaiveDate;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::keymap::Action;
use super::theme::Theme;
use crate::domain::model::{CallType, Pulse, Role};
use crate::store::account::AccountDetail;

pub struct StartView {
    pub detail: AccountDetail,
    pub call_type: CallType,
    /// One per persona, in the account's order.
    pub chosen: Vec<bool>,
    pub cursor: usize,
}

/// The call type the account's state suggests.
pub fn default_call_type(detail: &AccountDetail, today: NaiveDate) -> CallType {
    let pulse = detail.pulse_history.first().map(|p| p.pulse);
    let renewal_days = detail.renewal_date.map(|d| (d - today).num_days());
    if pulse == Some(Pulse::Red) {
        CallType::Escalation
    } else if renewal_days.is_some_and(|d| (0..=90).contains(&d)) {
        CallType::Renewal
    } else if detail.touch_count == 0 {
        CallType::Onboarding
    } else {
        CallType::CheckIn
    }
}

impl StartView {
    pub fn new(detail: AccountDetail, today: NaiveDate) -> StartView {
        let call_type = default_call_type(&detail, today);
        // Default participant: the champion, else the first key persona, else the first.
        let pick = detail
            .personas
            .iter()
            .position(|p| p.role == Role::Champion)
            .or_else(|| detail.personas.iter().position(|p| p.role.is_key()))
            .or((!detail.personas.is_empty()).then_some(0));
        let chosen = (0..detail.personas.len())
            .map(|i| Some(i) == pick)
            .collect();
        StartView {
            call_type,
            chosen,
            cursor: pick.unwrap_or(0),
            detail,
        }
    }

    /// (account, call type, participants) as chosen.
    pub fn choice(&self) -> (i64, CallType, Vec<i64>) {
        let ids = self
            .detail
            .personas
            .iter()
            .zip(&self.chosen)
            .filter(|(_, c)| **c)
            .map(|(p, _)| p.id)
            .collect();
        (self.detail.id, self.call_type, ids)
    }

    pub fn action(&mut self, action: Action) {
        let n = self.detail.personas.len();
        match action {
            Action::Down if n > 0 => self.cursor = (self.cursor + 1).min(n - 1),
            Action::Up => self.cursor = self.cursor.saturating_sub(1),
            Action::Top => self.cursor = 0,
            Action::Bottom => self.cursor = n.saturating_sub(1),
            Action::ToggleParticipant => {
                if let Some(c) = self.chosen.get_mut(self.cursor) {
                    *c = !*c;
                }
            }
            Action::CallTypeNext => {
                let all = CallType::ALL;
                let i = all.iter().position(|c| *c == self.call_type).unwrap_or(0);
                self.call_type = all[(i + 1) % all.len()];
            }
            _ => {}
        }
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let mut lines = vec![
            Line::styled(format!("New call with {}", self.detail.name), theme.title()),
            Line::raw(""),
            Line::from(
                std::iter::once(Span::raw("Call type: "))
                    .chain(CallType::ALL.iter().map(|c| {
                        if *c == self.call_type {
                            Span::styled(format!("[{}]", c.label()), theme.selected())
                        } else {
                            Span::styled(format!(" {} ", c.label()), theme.dim())
                        }
                    }))
                    .collect::<Vec<_>>(),
            ),
            Line::styled("t or Tab changes it", theme.dim()),
            Line::raw(""),
            Line::styled("Participants (Space adds or removes)", theme.header()),
        ];
        if self.detail.personas.is_empty() {
            lines.push(Line::styled(
                "No personas mapped yet: the call starts without participants",
                theme.dim(),
            ));
        }
        for (i, p) in self.detail.personas.iter().enumerate() {
            let on = self.chosen.get(i).copied().unwrap_or(false);
            let here = i == self.cursor;
            let text = format!(
                "{}[{}] {} · {} · {} · {}",
                if here { "▶" } else { " " },
                if on { "x" } else { " " },
                p.name,
                crate::domain::roles::shown(p.role, p.role_guessed),
                p.strength.label(),
                p.sentiment.label()
            );
            lines.push(if here {
                Line::styled(text, theme.selected())
            } else {
                Line::raw(text)
            });
        }
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            super::keymap::legend(super::keymap::Context::CallStart),
            theme.dim(),
        ));
        // Keep the cursor's line in view.
        let cursor_line = 6 + self.cursor as u16;
        let scroll = cursor_line.saturating_sub(area.height.saturating_sub(4));
        frame.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .scroll((scroll, 0))
                .block(Block::new().borders(Borders::ALL)),
            area,
        );
    }
}
