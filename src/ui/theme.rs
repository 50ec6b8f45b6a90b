//! Styles. With NO_COLOR every distinction is carried by a modifier or a glyph too, so
//! nothing (selection above all) is shown by color alone.

use ratatui::style::{Color, Modifier, Style};

use crate::domain::model::{Pulse, Sentiment, Strength};
use crate::domain::risk::RiskBand;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    /// Color unless NO_COLOR is set to anything non-empty (https://no-color.org).
    pub fn from_env() -> Theme {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Theme { color: !no_color }
    }

    pub fn plain() -> Theme {
        Theme { color: false }
    }

    fn fg(&self, color: Color) -> Style {
        if self.color {
            Style::new().fg(color)
        } else {
            Style::new()
        }
    }

    /// The selected row: reversed and bold in every mode (plus a ▶ marker in tables).
    pub fn selected(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
    }

    pub fn title(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    pub fn header(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
    }

    pub fn dim(&self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new().add_modifier(Modifier::DIM)
        }
    }

    pub fn key(&self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }

    pub fn warn(&self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }

    /// Something typed is not saved: white on red (reversed and bold without color).
    pub fn alarm(&self) -> Style {
        if self.color {
            Style::new()
                .fg(Color::White)
                .bg(Color::Red)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
        }
    }

    pub fn danger(&self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    pub fn good(&self) -> Style {
        self.fg(Color::Green)
    }

    pub fn pulse(&self, pulse: Option<Pulse>) -> Style {
        match pulse {
            Some(Pulse::Red) => self.danger(),
            Some(Pulse::Yellow) => self.fg(Color::Yellow),
            Some(Pulse::Green) => self.good(),
            None => self.dim(),
        }
    }

    pub fn risk(&self, band: RiskBand) -> Style {
        match band {
            RiskBand::Critical => self.danger(),
            RiskBand::High => self.fg(Color::LightRed),
            RiskBand::Medium => self.fg(Color::Yellow),
            RiskBand::Low => self.good(),
        }
    }

    pub fn sentiment(&self, s: Sentiment) -> Style {
        match s {
            Sentiment::Negative => self.danger(),
            Sentiment::Neutral => Style::new(),
            Sentiment::Positive => self.good(),
        }
    }

    pub fn strength(&self, s: Strength) -> Style {
        match s {
            Strength::None => self.dim(),
            Strength::Weak => self.fg(Color::Yellow),
            Strength::Okay => Style::new(),
            Strength::VeryGood => self.good().add_modifier(Modifier::BOLD),
        }
    }

    /// Something that is out of date: dimmed and italic, with a glyph beside it.
    pub fn stale(&self) -> Style {
        self.dim().add_modifier(Modifier::ITALIC)
    }
}
