//! Setting the account's CSM sentiment (R/Y/G) with a reason, the team's criteria for
//! the highlighted color beside it. ←/→ or ↑/↓ choose the color; printable keys type the
//! reason (required for Red and Yellow, at most `limits::REASON`); Enter saves; Esc
//! cancels.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use tui_input::Input;

use super::field;
use super::format::{fit, fit_end};
use super::screen::FormKey;
use super::theme::Theme;
use crate::domain::criteria::Criteria;
use crate::domain::limits;
use crate::domain::model::Pulse;
use crate::error::Result;
use crate::store::Store;
use crate::store::summary::AsOf;

pub struct PulseForm {
    pub pulse: Pulse,
    pub reason: Input,
    /// Why the last Enter or key was refused, until the next key.
    pub error: Option<String>,
}

const ORDER: [Pulse; 3] = [Pulse::Green, Pulse::Yellow, Pulse::Red];

impl PulseForm {
    pub fn new(current: Option<Pulse>) -> PulseForm {
        PulseForm {
            pulse: current.unwrap_or(Pulse::Green),
            reason: Input::default(),
            error: None,
        }
    }

    /// A paste goes into the reason, the form's one text field.
    pub fn paste(&mut self, pasted: &str) {
        super::note_editor::paste_into(&mut self.reason, pasted);
    }

    pub fn key(&mut self, key: KeyEvent) -> FormKey {
        let at = ORDER.iter().position(|p| *p == self.pulse).unwrap_or(0);
        self.error = None;
        match key.code {
            KeyCode::Esc => return FormKey::Cancel,
            KeyCode::Enter => match self.refusal() {
                None => return FormKey::Submit,
                Some(why) => self.error = Some(why),
            },
            KeyCode::Down | KeyCode::Right | KeyCode::Tab => self.pulse = ORDER[(at + 1) % 3],
            KeyCode::Up | KeyCode::Left | KeyCode::BackTab => self.pulse = ORDER[(at + 2) % 3],
            _ => self.error = field::type_into(&mut self.reason, key, limits::REASON),
        }
        FormKey::Stay
    }

    /// The reason as it is saved: None when nothing was typed.
    pub fn reason(&self) -> Option<String> {
        Some(self.reason.value().trim().to_string()).filter(|r| !r.is_empty())
    }

    /// Writes the chosen sentiment and its reason on `account_id`.
    pub fn save(&self, store: &mut Store, account_id: i64, at: &AsOf) -> Result<()> {
        store
            .set_account_pulse(account_id, self.pulse, self.reason().as_deref(), at)
            .map(|_| ())
    }

    /// Why the form cannot be saved as it stands.
    fn refusal(&self) -> Option<String> {
        if self.pulse.needs_reason() && self.reason().is_none() {
            return Some(format!(
                "{} needs a reason: what is wrong, in a few words",
                self.pulse.label()
            ));
        }
        limits::REASON.check(self.reason.value()).err()
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, theme: &Theme, criteria: &Criteria) {
        let width = area.width.saturating_sub(2).min(78);
        let inner_w = usize::from(width.saturating_sub(2));
        // The three colors, the reason and an error always show; the room left goes to
        // the chosen color's criteria, a blank line, the keys, then the other criteria.
        let must = ORDER.len() + 1 + usize::from(self.error.is_some());
        let mut room = usize::from(area.height.saturating_sub(2)).saturating_sub(must);
        let mut take = |n: usize| {
            let n = n.min(room);
            room -= n;
            n
        };
        let chosen_n = take(criteria.of(self.pulse).criteria.len());
        let blank = take(1) == 1;
        let hint = take(1) == 1;
        let others: usize = ORDER
            .iter()
            .filter(|p| **p != self.pulse)
            .map(|p| criteria.of(*p).criteria.len())
            .sum();
        let show_all = take(others) == others && others > 0;
        let mut lines = Vec::new();
        if hint {
            lines.push(Line::styled(
                fit(
                    &super::keymap::field_legend(super::keymap::PULSE_FORM),
                    inner_w,
                ),
                theme.dim(),
            ));
        }
        for p in ORDER {
            let chosen = p == self.pulse;
            let c = criteria.of(p);
            let head = format!(
                "{} {:<7} {}",
                if chosen { "▶" } else { " " },
                p.label(),
                c.summary
            );
            let style = if chosen {
                theme.selected()
            } else {
                theme.pulse(Some(p))
            };
            lines.push(Line::styled(fit(&head, inner_w), style));
            let shown = if chosen {
                chosen_n
            } else if show_all {
                c.criteria.len()
            } else {
                0
            };
            let item_style = if chosen { Style::new() } else { theme.dim() };
            for item in c.criteria.iter().take(shown) {
                lines.push(Line::styled(
                    fit(&format!("     · {item}"), inner_w),
                    item_style,
                ));
            }
        }
        if blank {
            lines.push(Line::raw(""));
        }
        // One line: a long reason shows its end, where the typing is.
        let counter = field::counter(self.reason.value(), limits::REASON, theme);
        let room = inner_w
            .saturating_sub(8)
            .saturating_sub(counter.as_ref().map_or(0, |c| c.width()));
        let mut reason = vec![
            Span::styled("Reason: ", theme.header()),
            Span::raw(fit_end(&format!("{}▏", self.reason.value()), room)),
        ];
        reason.extend(counter);
        lines.push(Line::from(reason));
        if let Some(e) = &self.error {
            lines.push(Line::styled(format!("✗ {e}"), theme.danger()));
        }
        let height = area.height.min(lines.len() as u16 + 2);
        let popup = Rect::new(
            area.x + area.width.saturating_sub(width) / 2,
            area.y,
            width,
            height,
        );
        frame.render_widget(Clear, popup);
        frame.render_widget(
            Paragraph::new(lines)
                .block(
                    Block::new()
                        .borders(Borders::ALL)
                        .title(" Set CSM sentiment "),
                )
                .wrap(Wrap { trim: false }),
            popup,
        );
    }
}
