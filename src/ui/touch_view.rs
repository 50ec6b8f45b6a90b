//! One touch in full: its tags, participants, notes, each checklist step and the
//! retrospective. Opened with Enter from the account's timeline.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::theme::Theme;
use crate::store::timeline::TouchDetail;

pub struct TouchView {
    pub detail: TouchDetail,
    pub scroll: u16,
}

const STEP_NAMES: [&str; 6] = [
    "Assess signals",
    "Mirror and validate",
    "Clarifying questions",
    "Short-term fix and follow-up",
    "Document",
    "Retrospective",
];

impl TouchView {
    pub fn new(detail: TouchDetail) -> TouchView {
        TouchView { detail, scroll: 0 }
    }

    pub fn scroll_by(&mut self, delta: i32) {
        self.scroll = (i32::from(self.scroll) + delta).clamp(0, 2000) as u16;
    }

    pub fn lines(&self, theme: &Theme) -> Vec<Line<'static>> {
        let t = &self.detail;
        let mut lines = Vec::new();
        let kind = match t.call_type {
            Some(ct) => format!("{} · {}", t.kind.label(), ct.label()),
            None => t.kind.label().to_string(),
        };
        lines.push(Line::from(vec![
            Span::styled(kind, theme.title()),
            Span::raw(format!(
                "  {}  ({})",
                t.occurred_at.format("%Y-%m-%d %H:%M UTC"),
                t.status.label()
            )),
        ]));
        if let Some(end) = t.ended_at {
            let mins = (end - t.occurred_at).num_minutes();
            lines.push(Line::raw(format!("Lasted {mins} min")));
        }
        let with = if t.participants.is_empty() {
            "nobody recorded".to_string()
        } else {
            t.participants.join(", ")
        };
        lines.push(Line::raw(format!("With: {with}")));
        lines.push(Line::raw(""));
        lines.push(Line::styled("Tags", theme.header()));
        let field = |name: &str, value: String| Line::raw(format!(" {name:<14}{value}"));
        lines.push(Line::from(vec![
            Span::raw(format!(" {:<14}", "Sentiment")),
            Span::styled(
                t.sentiment
                    .map_or("—".to_string(), |p| p.label().to_string()),
                theme.pulse(t.sentiment),
            ),
        ]));
        lines.push(field(
            "Intervention",
            t.intervention.map_or("—".into(), |i| i.label().into()),
        ));
        let follow = match (t.followup_on, t.no_followup) {
            (Some(d), _) => d.format("%Y-%m-%d").to_string(),
            (None, true) => "none needed".into(),
            (None, false) => "—".into(),
        };
        lines.push(field("Follow-up", follow));
        lines.push(field("Outcome", t.outcome.clone().unwrap_or("—".into())));
        lines.push(field(
            "CSAT",
            t.csat.map_or("—".into(), |c| format!("{c} of 5")),
        ));
        lines.push(field(
            "Escalated",
            if t.escalated { "yes" } else { "no" }.into(),
        ));
        if let Some(s) = &t.summary {
            lines.push(Line::raw(""));
            lines.push(Line::styled("Summary", theme.header()));
            lines.extend(s.lines().map(|l| Line::raw(format!(" {l}"))));
        }
        if let Some(n) = t.notes.as_ref().filter(|n| !n.trim().is_empty()) {
            lines.push(Line::raw(""));
            lines.push(Line::styled("Notes", theme.header()));
            lines.extend(n.lines().map(|l| Line::raw(format!(" {l}"))));
        }
        if !t.steps.is_empty() {
            lines.push(Line::raw(""));
            lines.push(Line::styled("Steps", theme.header()));
            for s in &t.steps {
                let name = STEP_NAMES
                    .get(usize::from(s.step).saturating_sub(1))
                    .copied()
                    .unwrap_or("Step");
                let mut head = format!(" {}. {name} ({}s)", s.step, s.elapsed_ms / 1000);
                if let Some(why) = &s.skipped_reason {
                    head.push_str(&format!(" — skipped: {why}"));
                }
                lines.push(Line::styled(head, theme.key()));
                for l in s.note.lines() {
                    lines.push(Line::raw(format!("    {l}")));
                }
            }
        }
        if t.retro_worked.is_some() || t.retro_failed.is_some() {
            lines.push(Line::raw(""));
            lines.push(Line::styled("Retrospective", theme.header()));
            if let Some(w) = &t.retro_worked {
                lines.push(Line::raw(format!(" Worked: {w}")));
            }
            if let Some(f) = &t.retro_failed {
                lines.push(Line::raw(format!(" Failed: {f}")));
            }
        }
        lines
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        frame.render_widget(
            Paragraph::new(self.lines(theme))
                .block(
                    Block::new()
                        .borders(Borders::TOP)
                        .title(" Touch (Esc back, j/k scroll) "),
                )
                .wrap(Wrap { trim: false })
                .scroll((self.scroll, 0)),
            area,
        );
    }
}
