//! The account screen: details, risk with its reasons, personas and recent touches.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Block, Borders, Cell, List, ListItem, ListState, Paragraph, Row, Table, TableState, Wrap,
};

use super::format::{ago, due, fit, renewal};
use super::theme::Theme;
use crate::domain::model::{SignalKind, TouchStatus};
use crate::domain::money;
use crate::store::account::AccountDetail;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Personas,
    Touches,
}

pub struct AccountView {
    pub detail: AccountDetail,
    pub pane: Pane,
    pub persona_sel: usize,
    pub touch_sel: usize,
}

impl AccountView {
    pub fn new(detail: AccountDetail) -> AccountView {
        AccountView {
            detail,
            pane: Pane::Personas,
            persona_sel: 0,
            touch_sel: 0,
        }
    }

    pub fn next_pane(&mut self) {
        self.pane = match self.pane {
            Pane::Personas => Pane::Touches,
            Pane::Touches => Pane::Personas,
        };
    }

    /// Moves the selection of the focused pane by `delta`, staying in bounds.
    pub fn move_by(&mut self, delta: isize) {
        let (sel, len) = match self.pane {
            Pane::Personas => (&mut self.persona_sel, self.detail.personas.len()),
            Pane::Touches => (&mut self.touch_sel, self.detail.touches.len()),
        };
        let max = len.saturating_sub(1) as isize;
        *sel = (*sel as isize + delta).clamp(0, max) as usize;
    }

    pub fn draw(
        &self,
        frame: &mut Frame,
        area: Rect,
        theme: &Theme,
        now: chrono::DateTime<chrono::Utc>,
        today: chrono::NaiveDate,
        stale_after_days: i64,
    ) {
        let d = &self.detail;
        let [head, body] =
            Layout::vertical([Constraint::Length(2), Constraint::Min(0)]).areas(area);
        frame.render_widget(Paragraph::new(self.head_lines(theme, today)), head);
        let wide = body.width >= 120;
        let [left, right] = if wide {
            Layout::horizontal([Constraint::Percentage(62), Constraint::Percentage(38)]).areas(body)
        } else {
            Layout::vertical([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(body)
        };
        let persona_rows = (d.personas.len() as u16 + 3).min(left.height / 2).max(4);
        let [personas, touches] =
            Layout::vertical([Constraint::Length(persona_rows), Constraint::Min(3)]).areas(left);
        self.draw_personas(frame, personas, theme, now);
        self.draw_touches(frame, touches, theme, today);
        frame.render_widget(
            Paragraph::new(self.side_lines(theme, now, today, stale_after_days))
                .block(
                    Block::new()
                        .borders(Borders::LEFT | Borders::TOP)
                        .title(" Risk and signals "),
                )
                .wrap(Wrap { trim: true }),
            right,
        );
    }

    fn head_lines(&self, theme: &Theme, today: chrono::NaiveDate) -> Vec<Line<'static>> {
        let d = &self.detail;
        let mut first = vec![Span::styled(d.name.clone(), theme.title())];
        first.push(Span::raw(format!(
            "  {} · tier {}",
            d.segment.label(),
            d.tier
        )));
        if let Some(industry) = &d.industry {
            first.push(Span::raw(format!(" · {industry}")));
        }
        let mut second = vec![
            Span::raw(format!("{} a year", money::full(d.contract_value))),
            Span::raw(" · renews "),
            Span::styled(renewal(d.renewal_date, today), theme.warn()),
        ];
        if let Some(owner) = &d.owner {
            second.push(Span::raw(format!(" · CSM {owner}")));
        }
        if let Some(parent) = &d.parent {
            second.push(Span::raw(format!(" · part of {parent}")));
        }
        vec![Line::from(first), Line::from(second)]
    }

    fn draw_personas(
        &self,
        frame: &mut Frame,
        area: Rect,
        theme: &Theme,
        now: chrono::DateTime<chrono::Utc>,
    ) {
        let d = &self.detail;
        let focused = self.pane == Pane::Personas;
        let title = format!(
            " Personas: {} of {} at Okay or better ",
            d.coverage.strong, d.coverage.personas
        );
        let with_title = area.width >= 110;
        let with_manager = area.width >= 90;
        let rows = d.personas.iter().map(|p| {
            let mut cells = vec![Cell::from(p.name.clone())];
            if with_title {
                cells.push(Cell::from(p.title.clone().unwrap_or_default()));
            }
            cells.push(Cell::from(p.role.label()));
            cells.push(Cell::from(Span::styled(
                p.strength.label(),
                theme.strength(p.strength),
            )));
            cells.push(Cell::from(Span::styled(
                p.sentiment.label(),
                theme.sentiment(p.sentiment),
            )));
            if with_manager {
                cells.push(Cell::from(p.reports_to.clone().unwrap_or_default()));
            }
            cells.push(Cell::from(ago(p.last_contact_at, now)));
            Row::new(cells)
        });
        let mut widths = vec![
            Constraint::Fill(1),
            Constraint::Length(17),
            Constraint::Length(9),
            Constraint::Length(8),
            Constraint::Length(6),
        ];
        let mut titles = vec!["Name", "Role", "Strength", "Feels", "Seen"];
        if with_manager {
            widths.insert(4, Constraint::Length(16));
            titles.insert(4, "Reports to");
        }
        if with_title {
            widths.insert(1, Constraint::Fill(1));
            titles.insert(1, "Title");
        }
        let header = Row::new(titles).style(theme.header());
        let table = Table::new(rows, widths)
            .header(header)
            .block(pane_block(title, focused, theme))
            .row_highlight_style(if focused {
                theme.selected()
            } else {
                Style::new()
            })
            .highlight_symbol("▶");
        let mut state = TableState::default().with_selected(focused.then_some(self.persona_sel));
        frame.render_stateful_widget(table, area, &mut state);
    }

    /// Two lines a touch: what, when, with whom and its tags; then its summary.
    fn draw_touches(&self, frame: &mut Frame, area: Rect, theme: &Theme, today: chrono::NaiveDate) {
        let d = &self.detail;
        let focused = self.pane == Pane::Touches;
        let title = format!(
            " Recent touches ({} of {}) ",
            d.touches.len(),
            d.touch_count
        );
        let items: Vec<ListItem> = d
            .touches
            .iter()
            .map(|t| {
                let kind = match t.call_type {
                    Some(ct) => format!("{} · {}", t.kind.label(), ct.label()),
                    None => t.kind.label().to_string(),
                };
                let mut first = vec![
                    Span::raw(format!("{}  {kind:<20}", t.occurred_at.format("%Y-%m-%d"))),
                    Span::styled(
                        t.sentiment
                            .map_or("—".to_string(), |s| s.letter().to_string()),
                        theme.pulse(t.sentiment),
                    ),
                    Span::raw(format!(
                        "  {:<12}",
                        t.intervention.map_or("—", |i| i.label())
                    )),
                ];
                if t.status != TouchStatus::Done {
                    first.push(Span::styled(
                        format!("[{}] ", t.status.label()),
                        theme.warn(),
                    ));
                }
                if !t.participants.is_empty() {
                    first.push(Span::raw(format!("with {}", t.participants.join(", "))));
                }
                if let Some(f) = t.followup_on {
                    first.push(Span::styled(
                        format!("  follow-up {}", f.format("%b %d")),
                        theme.dim(),
                    ));
                }
                let _ = today;
                let second = Line::styled(
                    format!("            {}", t.summary.clone().unwrap_or_default()),
                    theme.dim(),
                );
                ListItem::new(vec![Line::from(first), second])
            })
            .collect();
        let list = List::new(items)
            .block(pane_block(title, focused, theme))
            .highlight_style(if focused {
                theme.selected()
            } else {
                Style::new()
            })
            .highlight_symbol("▶");
        let mut state = ListState::default().with_selected(focused.then_some(self.touch_sel));
        frame.render_stateful_widget(list, area, &mut state);
    }

    fn side_lines(
        &self,
        theme: &Theme,
        now: chrono::DateTime<chrono::Utc>,
        today: chrono::NaiveDate,
        stale_after_days: i64,
    ) -> Vec<Line<'static>> {
        let d = &self.detail;
        let mut lines = Vec::new();
        // CSM sentiment with its history, oldest to newest.
        match d.pulse_history.first() {
            Some(latest) => {
                let age = (now - latest.set_at).num_days();
                let stale = age > stale_after_days;
                let mut spans = vec![
                    Span::raw("CSM sentiment "),
                    Span::styled(latest.pulse.label(), theme.pulse(Some(latest.pulse))),
                    Span::raw(format!(", set {} ago", ago(Some(latest.set_at), now))),
                ];
                if stale {
                    spans.push(Span::styled(" — stale", theme.stale()));
                }
                lines.push(Line::from(spans));
                let history: Vec<Span> = d
                    .pulse_history
                    .iter()
                    .rev()
                    .map(|e| {
                        Span::styled(format!("{} ", e.pulse.letter()), theme.pulse(Some(e.pulse)))
                    })
                    .collect();
                let mut trail = vec![Span::styled("history ", theme.dim())];
                trail.extend(history);
                lines.push(Line::from(trail));
                if let Some(reason) = &latest.reason {
                    lines.push(Line::styled(format!("“{}”", fit(reason, 80)), theme.dim()));
                }
            }
            None => lines.push(Line::styled("CSM sentiment never set", theme.warn())),
        }
        lines.push(Line::raw(""));
        lines.push(Line::from(vec![
            Span::raw("Risk "),
            Span::styled(
                format!("{} ({})", d.risk.score, d.risk.band.label()),
                theme.risk(d.risk.band),
            ),
        ]));
        for reason in &d.risk.reasons {
            lines.push(Line::raw(format!(" +{:<2} {}", reason.points, reason.text)));
        }
        if d.risk.reasons.is_empty() {
            lines.push(Line::styled(" nothing stands out", theme.good()));
        }
        lines.push(Line::raw(""));
        lines.push(Line::styled("Signals", theme.header()));
        lines.extend(self.signal_lines(now));
        lines.push(Line::raw(""));
        lines.push(Line::styled("Open follow-ups", theme.header()));
        if d.open_followups.is_empty() {
            lines.push(Line::styled(" none", theme.dim()));
        }
        for f in &d.open_followups {
            let late = f.due_on < today;
            let style = if late { theme.danger() } else { Style::new() };
            lines.push(Line::from(vec![
                Span::styled(format!(" {:<9}", due(Some(f.due_on), today)), style),
                Span::raw(f.action.clone()),
            ]));
        }
        lines
    }

    fn signal_lines(&self, now: chrono::DateTime<chrono::Utc>) -> Vec<Line<'static>> {
        let d = &self.detail;
        let series = |kind: SignalKind| -> Vec<f64> {
            let mut v: Vec<f64> = d
                .signals
                .iter()
                .filter(|s| s.kind == kind)
                .map(|s| s.value)
                .collect();
            v.reverse();
            v
        };
        let trail = |values: &[f64], digits: usize| {
            values
                .iter()
                .map(|v| format!("{v:.digits$}"))
                .collect::<Vec<_>>()
                .join(" → ")
        };
        let mut lines = Vec::new();
        let nps = series(SignalKind::Nps);
        if !nps.is_empty() {
            lines.push(Line::raw(format!(
                " NPS {}",
                trail(&nps[nps.len().saturating_sub(4)..], 0)
            )));
        }
        let csat = series(SignalKind::Csat);
        if !csat.is_empty() {
            lines.push(Line::raw(format!(
                " CSAT {}",
                trail(&csat[csat.len().saturating_sub(4)..], 1)
            )));
        }
        if let Some(t) = d.inputs.open_tickets {
            lines.push(Line::raw(format!(" Open tickets {t}")));
        }
        if let Some(u) = d.inputs.usage_trend_pct {
            lines.push(Line::raw(format!(" Usage {u:+.0}%")));
        }
        let mentions = d.inputs.competitor_mentions_90d;
        if mentions > 0 {
            lines.push(Line::raw(format!(" Competitor mentions (90d) {mentions}")));
        }
        let last = d.touches.first().map(|t| t.occurred_at);
        lines.push(Line::raw(format!(" Last touch {}", ago(last, now))));
        lines
    }
}

fn pane_block(title: String, focused: bool, theme: &Theme) -> Block<'static> {
    let block = Block::new().borders(Borders::TOP).title(title);
    if focused {
        block.title_style(theme.title())
    } else {
        block.title_style(theme.dim())
    }
}
