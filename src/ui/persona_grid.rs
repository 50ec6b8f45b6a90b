//! The relationship grid widget: strength (rows) × sentiment (columns), each persona's
//! name in its cell, cells graded from danger to strength. The grade is carried by a
//! glyph in the corner too (`!!` danger … `++` strong), so NO_COLOR loses nothing.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::format::width;
use super::theme::Theme;
use crate::domain::grid::{self, COLUMNS, Grid, ROWS, Shade};
use crate::store::account::PersonaLine;

/// Background of a graded cell in color mode.
fn shade_style(theme: &Theme, shade: Shade) -> Style {
    if !theme.color {
        return Style::new();
    }
    let bg = match shade {
        Shade::Danger => Color::Rgb(96, 24, 24),
        Shade::Concern => Color::Rgb(88, 64, 20),
        Shade::Neutral => Color::Rgb(44, 44, 52),
        Shade::Good => Color::Rgb(24, 68, 40),
        Shade::Strong => Color::Rgb(16, 96, 48),
    };
    Style::new().bg(bg).fg(Color::White)
}

/// Draws the grid of `personas` into `area`; `selected` (a persona id) is marked ▶ and
/// reversed when `focused`.
pub fn draw(
    frame: &mut Frame,
    area: Rect,
    personas: &[PersonaLine],
    selected: Option<i64>,
    focused: bool,
    theme: &Theme,
) {
    let block = Block::new()
        .borders(Borders::TOP)
        .title(" Relationship grid: strength × sentiment ")
        .title_style(if focused { theme.title() } else { theme.dim() });
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.width < 12 || inner.height < 2 {
        return;
    }
    let placed = Grid::place(personas.iter().map(|p| (p.strength, p.sentiment, p)));
    let label_w = if inner.width >= 50 { 10 } else { 6 };
    let [labels, cells] =
        Layout::horizontal([Constraint::Length(label_w), Constraint::Min(0)]).areas(inner);
    let [head, rows_area] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(cells);
    let columns = Layout::horizontal([Constraint::Ratio(1, 3); 3]).split(head);
    let wide = inner.width >= 50;
    for (c, sentiment) in COLUMNS.iter().enumerate() {
        let word = if wide {
            sentiment.label().to_string()
        } else {
            sentiment.label().chars().take(3).collect()
        };
        frame.render_widget(
            Paragraph::new(Line::styled(word, theme.header())).centered(),
            columns[c],
        );
    }
    let row_areas = Layout::vertical([Constraint::Ratio(1, 4); 4]).split(rows_area);
    let [_, label_rows] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(labels);
    let label_areas = Layout::vertical([Constraint::Ratio(1, 4); 4]).split(label_rows);
    for (r, strength) in ROWS.iter().enumerate() {
        let label = if wide {
            strength.label().to_string()
        } else {
            strength.label().replace("Very good", "V.good")
        };
        frame.render_widget(
            Paragraph::new(Line::styled(label, theme.header())),
            label_areas[r],
        );
        let cell_areas = Layout::horizontal([Constraint::Ratio(1, 3); 3]).split(row_areas[r]);
        for (c, sentiment) in COLUMNS.iter().enumerate() {
            let shade = grid::shade(*strength, *sentiment);
            let base = shade_style(theme, shade);
            let names = &placed.cells[r][c];
            let cell = cell_areas[c];
            let prefix = if names.is_empty() {
                format!("{} ", shade.glyph())
            } else {
                format!("{} {}: ", shade.glyph(), names.len())
            };
            // Full names when they fit the cell, else first names, else initials.
            let room = usize::from(cell.width.saturating_sub(1)) * usize::from(cell.height);
            let forms: [fn(&str) -> String; 3] = [|n| n.to_string(), first_name, initials];
            let mut shown: Vec<String> = Vec::new();
            for form in forms {
                shown = names.iter().map(|p| form(&p.name)).collect();
                let len = width(&prefix) + shown.iter().map(|n| width(n) + 3).sum::<usize>();
                if len <= room {
                    break;
                }
            }
            let mut spans = vec![Span::styled(prefix, base.add_modifier(Modifier::BOLD))];
            for (i, (p, name)) in names.iter().zip(shown).enumerate() {
                if i > 0 {
                    spans.push(Span::styled(", ", base));
                }
                let is_sel = Some(p.id) == selected;
                if is_sel && focused {
                    spans.push(Span::styled(format!("▶{name}"), theme.selected()));
                } else if is_sel {
                    spans.push(Span::styled(
                        format!("▶{name}"),
                        base.add_modifier(Modifier::BOLD),
                    ));
                } else {
                    spans.push(Span::styled(name, base));
                }
            }
            let inner_cell = Rect {
                width: cell.width.saturating_sub(1),
                ..cell
            };
            frame.render_widget(
                Paragraph::new(Line::from(spans))
                    .style(base)
                    .wrap(Wrap { trim: true }),
                inner_cell,
            );
        }
    }
}

fn first_name(name: &str) -> String {
    name.split_whitespace().next().unwrap_or(name).to_string()
}

fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().next())
        .collect()
}
