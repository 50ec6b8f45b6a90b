//! The `?` help overlay: the screen's keys from the keymap and its notes, wrapped to the
//! box with a hanging indent, scrolled no further than its last line.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use unicode_width::UnicodeWidthChar;

use super::format;
use super::keymap::{self, Context};
use super::theme::Theme;

/// Where a key's description starts; its wrapped lines start there too.
const KEY_COLUMN: usize = 15;
/// The box's widest: lines longer than this read poorly.
const MAX_WIDTH: u16 = 72;

/// The help box over `area` (the screen between the title and the status bar).
pub fn popup(area: Rect) -> Rect {
    let width = area.width.saturating_sub(4).min(MAX_WIDTH);
    Rect::new(
        area.x + (area.width - width) / 2,
        area.y,
        width,
        area.height,
    )
}

/// The help's lines, wrapped to `width` columns.
pub fn lines(
    context: Context,
    notes: Vec<Line<'static>>,
    theme: &Theme,
    width: usize,
) -> Vec<Line<'static>> {
    let mut out = vec![Line::styled(
        format!("Keys on the {} screen", context.name()),
        theme.title(),
    )];
    // Hint-only lines ("1-9 role") bind no key of their own: help lists keys.
    for b in keymap::bindings(context)
        .into_iter()
        .filter(|b| !b.keys.is_empty())
    {
        let keys: Vec<String> = b.keys.iter().map(|k| k.label()).collect();
        let mut keys = format!(" {:<width$}", keys.join(" / "), width = KEY_COLUMN - 1);
        // Keys wider than their column still leave a space before the description.
        if !keys.ends_with(' ') {
            keys.push(' ');
        }
        let line = Line::from(vec![
            Span::styled(keys, theme.key()),
            Span::raw(b.description),
        ]);
        out.extend(wrap(&line, width, KEY_COLUMN));
    }
    out.extend(wrap_all(notes, width));
    out
}

/// Each line wrapped to `width` with its continuation two columns in from where its
/// text starts (a list item's text under its first word, not at column 0).
pub fn wrap_all(lines: Vec<Line<'static>>, width: usize) -> Vec<Line<'static>> {
    let mut out = Vec::with_capacity(lines.len());
    for line in lines {
        let lead = line.spans.first().map_or(0, |s| {
            s.content.len() - s.content.trim_start_matches(' ').len()
        });
        out.extend(wrap(&line, width, lead + 2));
    }
    out
}

/// How far the help can scroll in a box of `height` rows (borders included).
pub fn max_scroll(lines: usize, height: u16) -> u16 {
    let inner = usize::from(height.saturating_sub(2));
    u16::try_from(lines.saturating_sub(inner)).unwrap_or(u16::MAX)
}

/// Draws the help box with `lines` (already wrapped), scrolled by `scroll` at most to
/// its last line.
pub fn draw(frame: &mut Frame, area: Rect, lines: Vec<Line<'static>>, scroll: u16) {
    let mut popup = popup(area);
    let rows = u16::try_from(lines.len()).unwrap_or(u16::MAX);
    popup.height = area.height.saturating_sub(1).min(rows.saturating_add(2));
    let scroll = scroll.min(max_scroll(lines.len(), popup.height));
    let more = scroll < max_scroll(lines.len(), popup.height);
    let title = match (scroll > 0, more) {
        (false, false) => " Help (Esc closes) ",
        (_, true) => " Help (Esc closes, j/k: more ↓) ",
        (true, false) => " Help (Esc closes, k: back ↑) ",
    };
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines)
            .block(Block::new().borders(Borders::ALL).title(title))
            .scroll((scroll, 0)),
        popup,
    );
}

/// `line` broken at spaces into lines of at most `width` columns; the lines after the
/// first start with `indent` spaces (a word longer than a line is cut across lines).
pub fn wrap(line: &Line<'static>, width: usize, indent: usize) -> Vec<Line<'static>> {
    let width = width.max(1);
    // A narrow box cannot afford the full indent.
    let indent = indent.min(width / 2);
    let mut out: Vec<Line<'static>> = Vec::new();
    let mut current: Vec<Span<'static>> = Vec::new();
    let mut used = 0;
    // Nothing but the indent on the current line yet.
    let mut fresh = true;
    let next_line = |out: &mut Vec<Line<'static>>, current: &mut Vec<Span<'static>>| {
        out.push(Line::from(std::mem::take(current)).style(line.style));
        current.push(Span::raw(" ".repeat(indent)));
    };
    for (word, style) in words(line) {
        let w = format::width(&word);
        if word.starts_with(' ') {
            // Spaces at a break are dropped; the first line keeps its leading ones.
            if (!fresh || out.is_empty()) && used + w <= width {
                current.push(Span::styled(word, style));
                used += w;
            }
            continue;
        }
        if used + w > width && !fresh {
            next_line(&mut out, &mut current);
            used = indent;
        }
        let mut piece = String::new();
        for c in word.chars() {
            let cw = c.width().unwrap_or(0);
            if used + cw > width && !piece.is_empty() {
                current.push(Span::styled(std::mem::take(&mut piece), style));
                next_line(&mut out, &mut current);
                used = indent;
            }
            piece.push(c);
            used += cw;
        }
        current.push(Span::styled(piece, style));
        fresh = false;
    }
    out.push(Line::from(current).style(line.style));
    out
}

/// The line's words and the runs of spaces between them, each with its span's style.
fn words(line: &Line<'static>) -> Vec<(String, Style)> {
    let mut out: Vec<(String, Style)> = Vec::new();
    for span in &line.spans {
        let mut word = String::new();
        let mut in_space = None;
        for c in span.content.chars() {
            let space = c == ' ';
            if in_space.is_some_and(|s| s != space) {
                out.push((std::mem::take(&mut word), span.style));
            }
            in_space = Some(space);
            word.push(c);
        }
        if !word.is_empty() {
            out.push((word, span.style));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(lines: &[Line<'static>]) -> Vec<String> {
        lines
            .iter()
            .map(|l| l.to_string().trim_end().to_string())
            .collect()
    }

    #[test]
    fn long_lines_wrap_under_their_text_not_to_column_0() {
        let line = Line::from(vec![
            Span::raw(" d             "),
            Span::raw("Draw the sample: 10 touches per CSM (scored audits are kept)"),
        ]);
        let wrapped = texts(&wrap(&line, 40, KEY_COLUMN));
        assert_eq!(
            wrapped,
            [
                " d             Draw the sample: 10",
                "               touches per CSM (scored",
                "               audits are kept)",
            ]
        );
        assert!(wrapped.iter().all(|l| format::width(l) <= 40));
        // A word longer than a line is cut across lines, never past the width.
        let long = Line::raw(format!(" {}", "x".repeat(50)));
        let wrapped = texts(&wrap(&long, 20, 3));
        assert!(
            wrapped.iter().all(|l| format::width(l) <= 20),
            "{wrapped:?}"
        );
        assert_eq!(wrapped.concat().matches('x').count(), 50);
        // A line that fits is left alone.
        assert_eq!(texts(&wrap(&Line::raw(" short"), 20, 3)), [" short"]);
        // A break between words drops the spaces there: no line starts with extra ones.
        let spaced = Line::raw(" aaaa bbbb cccc dddd");
        assert_eq!(
            texts(&wrap(&spaced, 10, 3)),
            [" aaaa bbbb", "   cccc", "   dddd"]
        );
    }

    #[test]
    fn help_scrolls_no_further_than_its_last_line() {
        assert_eq!(max_scroll(30, 12), 20);
        assert_eq!(max_scroll(5, 12), 0);
        assert_eq!(max_scroll(5, 0), 5);
    }
}
