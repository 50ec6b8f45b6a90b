//! The relationship grid widget: strength (rows) × sentiment (columns), each persona's
//! name in its cell, cells graded from danger to strength. The grade is carried by a
//! glyph in the corner too (`!!` danger … `++` strong), so NO_COLOR loses nothing.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

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
    // The long title where it fits, else the short one: never cut mid-word.
    let title = [
        " Relationship grid: strength × sentiment ",
        " Relationship grid ",
    ]
    .into_iter()
    .find(|t| super::format::width(t) + 2 <= usize::from(area.width))
    .unwrap_or(" Grid ");
    let block = Block::new()
        .borders(Borders::TOP)
        .title(title)
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
            let prefix = format!("{} ", shade.glyph().trim_end());
            let chosen = names.iter().position(|p| Some(p.id) == selected);
            let full: Vec<&str> = names.iter().map(|p| p.name.as_str()).collect();
            let room = usize::from(cell.width.saturating_sub(1));
            let laid = lay_out(
                &full,
                chosen,
                width(&prefix),
                room,
                usize::from(cell.height),
            );
            let mut lines: Vec<Line> = Vec::new();
            for (n, row) in laid.iter().enumerate() {
                let mut spans = Vec::new();
                if n == 0 {
                    spans.push(Span::styled(
                        prefix.clone(),
                        base.add_modifier(Modifier::BOLD),
                    ));
                }
                for (k, piece) in row.iter().enumerate() {
                    if k > 0 {
                        spans.push(Span::styled(" ", base));
                    }
                    let style = match piece.who {
                        Some(i) if Some(i) == chosen && focused => theme.selected(),
                        Some(i) if Some(i) == chosen => base.add_modifier(Modifier::BOLD),
                        _ => base,
                    };
                    spans.push(Span::styled(piece.text.clone(), style));
                }
                lines.push(Line::from(spans));
            }
            let inner_cell = Rect {
                width: cell.width.saturating_sub(1),
                ..cell
            };
            frame.render_widget(Paragraph::new(lines).style(base), inner_cell);
        }
    }
}

/// One name (or the `+N` of those left out) as placed in a cell.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Piece {
    /// Which name, or None for `+N`.
    who: Option<usize>,
    text: String,
}

/// The names of a cell laid out in `height` lines of `room` columns after a `prefix`
/// columns wide glyph: full names if they all fit, else first names, else initials; a
/// name is never split across lines. When even initials do not fit, as many first names
/// as fit and `+N` for the rest, the selected one (`chosen`, marked ▶) among those shown.
fn lay_out(
    names: &[&str],
    chosen: Option<usize>,
    prefix: usize,
    room: usize,
    height: usize,
) -> Vec<Vec<Piece>> {
    let forms: [fn(&str) -> String; 3] = [|n| n.to_string(), first_name, initials];
    let texts = |form: fn(&str) -> String, order: &[usize], more: usize| -> Vec<Piece> {
        let mut pieces: Vec<Piece> = order
            .iter()
            .enumerate()
            .map(|(k, &i)| {
                let mark = if Some(i) == chosen { "▶" } else { "" };
                let comma = if k + 1 < order.len() || more > 0 {
                    ","
                } else {
                    ""
                };
                Piece {
                    who: Some(i),
                    text: format!("{mark}{}{comma}", form(names[i])),
                }
            })
            .collect();
        if more > 0 {
            pieces.push(Piece {
                who: None,
                text: format!("+{more}"),
            });
        }
        pieces
    };
    let all: Vec<usize> = (0..names.len()).collect();
    for form in forms {
        if let Some(lines) = fill(texts(form, &all, 0), prefix, room, height) {
            return lines;
        }
    }
    // The selected name first among those shown, then the others in order.
    let mut order: Vec<usize> = chosen.into_iter().collect();
    order.extend(all.iter().filter(|i| Some(**i) != chosen));
    for shown in (1..names.len()).rev() {
        let mut some = order[..shown].to_vec();
        some.sort_unstable();
        if let Some(lines) = fill(
            texts(first_name, &some, names.len() - shown),
            prefix,
            room,
            height,
        ) {
            return lines;
        }
    }
    let count = vec![Piece {
        who: None,
        text: format!("{}", names.len()),
    }];
    fill(count, prefix, room, height).unwrap_or_default()
}

/// `pieces` word-wrapped (a piece never split) into `height` lines of `room` columns, the
/// first line after `prefix` columns; None when they do not fit.
fn fill(pieces: Vec<Piece>, prefix: usize, room: usize, height: usize) -> Option<Vec<Vec<Piece>>> {
    let mut lines: Vec<Vec<Piece>> = vec![Vec::new()];
    let mut used = prefix;
    for piece in pieces {
        let w = width(&piece.text);
        let line_empty = lines.last().is_some_and(Vec::is_empty);
        let gap = usize::from(!line_empty);
        if used + gap + w > room {
            if line_empty || w > room {
                return None;
            }
            lines.push(Vec::new());
            used = 0;
        } else {
            used += gap;
        }
        used += w;
        lines.last_mut()?.push(piece);
    }
    (lines.len() <= height.max(1)).then_some(lines)
}

fn first_name(name: &str) -> String {
    name.split_whitespace().next().unwrap_or(name).to_string()
}

fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().next())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(lines: &[Vec<Piece>]) -> Vec<String> {
        lines
            .iter()
            .map(|l| {
                l.iter()
                    .map(|p| p.text.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    }

    #[test]
    fn cells_show_first_names_where_they_fit_and_never_split_one() {
        let names = ["Hana Lee", "Luis Nunez", "Tom Carter"];
        // Two lines of 15 after a 3-column glyph: first names, not initials.
        let lines = lay_out(&names, None, 3, 15, 2);
        assert_eq!(shown(&lines), ["Hana, Luis,", "Tom"]);
        // Room for every full name.
        let lines = lay_out(&names, Some(1), 3, 40, 1);
        assert_eq!(shown(&lines), ["Hana Lee, ▶Luis Nunez, Tom Carter"]);
        // One short line: initials, then the selected first name and a count.
        assert_eq!(shown(&lay_out(&names, None, 3, 13, 1)), ["HL, LN, TC"]);
        assert_eq!(shown(&lay_out(&names, Some(2), 3, 11, 1)), ["▶Tom, +2"]);
        // A name is never split: initials, else a count.
        assert_eq!(shown(&lay_out(&["Maximilian"], None, 3, 6, 1)), ["M"]);
        assert_eq!(
            shown(&lay_out(&["Ann Bee", "Cy Dee"], None, 3, 5, 1)),
            ["2"]
        );
    }
}
