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
        let all_lines: usize = ORDER
            .iter()
            .map(|p| 1 + criteria.of(*p).criteria.len())
            .sum();
        // Every color's criteria when they fit; otherwise those of the highlighted one.
        let show_all = usize::from(area.height) >= all_lines + 6;
        let mut lines = vec![Line::styled(
            "↑/↓ choose · type the reason · Enter save · Esc cancel",
            theme.dim(),
        )];
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
            lines.push(Line::styled(head, style));
            if chosen || show_all {
                let item_style = if chosen { Style::new() } else { theme.dim() };
                for item in &c.criteria {
                    lines.push(Line::styled(format!("     · {item}"), item_style));
                }
            }
        }
        lines.push(Line::raw(""));
        let mut reason = vec![
            Span::styled("Reason: ", theme.header()),
            Span::raw(format!("{}▏", self.reason.value())),
        ];
        reason.extend(field::counter(self.reason.value(), limits::REASON, theme));
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
