//! Setting the account's CSM sentiment (R/Y/G) with a reason, the team's criteria for
//! the highlighted color beside it. ←/→ or ↑/↓ choose the color; printable keys type the
//! reason; Enter saves; Esc cancels.

use crossterm::event::{Event, KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use super::persona_form::FormKey;
use super::theme::Theme;
use crate::domain::criteria::Criteria;
use crate::domain::model::Pulse;

pub struct PulseForm {
    pub pulse: Pulse,
    pub reason: Input,
}

const ORDER: [Pulse; 3] = [Pulse::Green, Pulse::Yellow, Pulse::Red];

impl PulseForm {
    pub fn new(current: Option<Pulse>) -> PulseForm {
        PulseForm {
            pulse: current.unwrap_or(Pulse::Green),
            reason: Input::default(),
        }
    }

    /// A paste goes into the reason, the form's one text field.
    pub fn paste(&mut self, pasted: &str) {
        super::note_editor::paste_into(&mut self.reason, pasted);
    }

    pub fn key(&mut self, key: KeyEvent) -> FormKey {
        let at = ORDER.iter().position(|p| *p == self.pulse).unwrap_or(0);
        match key.code {
            KeyCode::Esc => return FormKey::Cancel,
            KeyCode::Enter => return FormKey::Submit,
            KeyCode::Down | KeyCode::Right | KeyCode::Tab => self.pulse = ORDER[(at + 1) % 3],
            KeyCode::Up | KeyCode::Left | KeyCode::BackTab => self.pulse = ORDER[(at + 2) % 3],
            _ => {
                self.reason.handle_event(&Event::Key(key));
            }
        }
        FormKey::Stay
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
        lines.push(Line::from(vec![
            Span::styled("Reason: ", theme.header()),
            Span::raw(format!("{}▏", self.reason.value())),
        ]));
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
