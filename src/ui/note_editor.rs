//! A multi-line note being typed: the text and a cursor (a char index). The call's step
//! notes and the wrap-up form's notes edit the same way.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

use super::theme::Theme;
use crate::domain::text;

/// The banner a pane shows while what was typed in it is not in the file.
pub fn unsaved_text(why: &str) -> String {
    format!("NOT SAVED — {why}; retrying… (your text is kept)")
}

/// Draws the not-saved banner across the top of `area` (up to two rows, wrapped) and
/// returns the rows left below it.
pub fn draw_unsaved_banner(frame: &mut Frame, area: Rect, theme: &Theme, why: &str) -> Rect {
    let line = Line::styled(unsaved_text(why), theme.alarm());
    let rows = line
        .width()
        .div_ceil(usize::from(area.width.max(1)))
        .clamp(1, 2) as u16;
    let rows = rows.min(area.height);
    let banner = Rect {
        height: rows,
        ..area
    };
    frame.render_widget(
        Paragraph::new(line)
            .style(theme.alarm())
            .wrap(Wrap { trim: true }),
        banner,
    );
    Rect {
        y: area.y + rows,
        height: area.height - rows,
        ..area
    }
}

/// What a key did to the note.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    Changed,
    Moved,
    Ignored,
}

/// Applies one key: characters, Enter (new line), Backspace/Delete, arrows, Home/End,
/// Ctrl-U (clear to the start of the line). Esc, Tab and other chords are the caller's.
pub fn edit(text: &mut String, cursor: &mut usize, key: KeyEvent) -> Edit {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let alt = key.modifiers.contains(KeyModifiers::ALT);
    let len = text.chars().count();
    *cursor = (*cursor).min(len);
    let before = *cursor;
    match key.code {
        KeyCode::Enter if !ctrl && !alt => {
            insert_at(text, *cursor, '\n');
            *cursor += 1;
        }
        KeyCode::Backspace if *cursor > 0 => {
            remove_at(text, *cursor - 1);
            *cursor -= 1;
        }
        KeyCode::Delete if *cursor < len => remove_at(text, *cursor),
        KeyCode::Char('u') if ctrl => {
            let start = line_start(text, *cursor);
            if start == *cursor {
                return Edit::Ignored;
            }
            for _ in start..*cursor {
                remove_at(text, start);
            }
            *cursor = start;
        }
        KeyCode::Char(c) if !ctrl && !alt => {
            insert_at(text, *cursor, c);
            *cursor += 1;
        }
        KeyCode::Left => *cursor = cursor.saturating_sub(1),
        KeyCode::Right => *cursor = (*cursor + 1).min(len),
        KeyCode::Up => *cursor = vertical(text, *cursor, -1),
        KeyCode::Down => *cursor = vertical(text, *cursor, 1),
        KeyCode::Home => *cursor = line_start(text, *cursor),
        KeyCode::End => *cursor = line_end(text, *cursor),
        _ => return Edit::Ignored,
    };
    if text.chars().count() != len {
        Edit::Changed
    } else if *cursor != before {
        Edit::Moved
    } else {
        Edit::Ignored
    }
}

/// What a paste puts into a field: the one control-character rule of `domain::text` (what
/// shows is what the store keeps: an ESC byte becomes U+FFFD, never a terminal command),
/// with a tab as a space on screen and, in a single-line field, line ends as spaces. A
/// paste of nothing but control characters puts nothing in.
pub fn clean_paste(pasted: &str, multi_line: bool) -> String {
    if pasted.chars().all(char::is_control) {
        return String::new();
    }
    let clean = if multi_line {
        text::clean_text(pasted).into_owned()
    } else {
        text::clean_line(&pasted.replace("\r\n", "\n")).into_owned()
    };
    clean.replace('\t', " ")
}

/// Inserts a paste at the cursor in one step (one save follows, not one per character).
pub fn paste(text: &mut String, cursor: &mut usize, pasted: &str) -> Edit {
    let clean = clean_paste(pasted, true);
    if clean.is_empty() {
        return Edit::Ignored;
    }
    *cursor = (*cursor).min(text.chars().count());
    let b = byte_at(text, *cursor);
    text.insert_str(b, &clean);
    *cursor += clean.chars().count();
    Edit::Changed
}

/// Inserts a paste into a single-line field at its cursor, newlines turned into spaces.
/// Returns whether the field changed.
pub fn paste_into(input: &mut tui_input::Input, pasted: &str) -> bool {
    let clean = clean_paste(pasted, false);
    if clean.is_empty() {
        return false;
    }
    let mut value = input.value().to_string();
    let cursor = input.cursor().min(value.chars().count());
    value.insert_str(byte_at(&value, cursor), &clean);
    *input = tui_input::Input::new(value).with_cursor(cursor + clean.chars().count());
    true
}

fn byte_at(s: &str, char_idx: usize) -> usize {
    s.char_indices().nth(char_idx).map_or(s.len(), |(b, _)| b)
}

pub fn insert_at(s: &mut String, char_idx: usize, c: char) {
    let b = byte_at(s, char_idx);
    s.insert(b, c);
}

fn remove_at(s: &mut String, char_idx: usize) {
    let b = byte_at(s, char_idx);
    if b < s.len() {
        s.remove(b);
    }
}

fn line_start(s: &str, cursor: usize) -> usize {
    let before: Vec<char> = s.chars().take(cursor).collect();
    before.iter().rposition(|c| *c == '\n').map_or(0, |i| i + 1)
}

/// The cursor one line up (-1) or down (1), at the same column where the line allows.
fn vertical(s: &str, cursor: usize, dir: i32) -> usize {
    let start = line_start(s, cursor);
    let column = cursor - start;
    if dir < 0 {
        if start == 0 {
            return cursor;
        }
        let prev_start = line_start(s, start - 1);
        prev_start + column.min(start - 1 - prev_start)
    } else {
        let end = line_end(s, cursor);
        if end >= s.chars().count() {
            return cursor;
        }
        let next_start = end + 1;
        let next_end = line_end(s, next_start);
        next_start + column.min(next_end - next_start)
    }
}

fn line_end(s: &str, cursor: usize) -> usize {
    let after = s.chars().skip(cursor).position(|c| c == '\n');
    after.map_or(s.chars().count(), |i| cursor + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn editing_by_char_index_handles_multibyte_text() {
        let mut s = String::from("héllo\nwörld");
        insert_at(&mut s, 2, 'X');
        assert_eq!(s, "héXllo\nwörld");
        remove_at(&mut s, 1);
        assert_eq!(s, "hXllo\nwörld");
        assert_eq!(line_start(&s, 8), 6);
        assert_eq!(line_end(&s, 1), 5);
        // Up and down keep the column where the line allows.
        let s = "abcdef\nxy\nlonger line";
        assert_eq!(vertical(s, 4, 1), 9); // "abcd|ef" -> "xy|"
        assert_eq!(vertical(s, 9, 1), 12); // "xy|" -> "lo|nger"
        assert_eq!(vertical(s, 12, -1), 9);
        assert_eq!(vertical(s, 2, -1), 2); // first line stays
        assert_eq!(vertical(s, 14, 1), 14); // last line stays
    }

    #[test]
    fn a_paste_goes_in_whole_at_the_cursor() {
        let mut text = String::from("ab");
        let mut cursor = 1;
        let pasted = "é✓\r\n日本語\tمرحبا\x1b[2J";
        assert_eq!(paste(&mut text, &mut cursor, pasted), Edit::Changed);
        assert_eq!(text, "aé✓\n日本語 مرحبا\u{fffd}[2Jb");
        assert_eq!(cursor, text.chars().count() - 1);
        let mut input = tui_input::Input::new("xy".into()).with_cursor(1);
        assert!(paste_into(&mut input, "one\ntwo"));
        assert_eq!(input.value(), "xone twoy");
        assert_eq!(input.cursor(), 8);
        assert!(!paste_into(&mut input, "\x1b"));
    }

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn keys_edit_in_the_middle_of_the_text() {
        let mut text = String::from("first\nthird");
        let mut cursor = text.chars().count();
        assert_eq!(edit(&mut text, &mut cursor, key(KeyCode::Up)), Edit::Moved);
        edit(&mut text, &mut cursor, key(KeyCode::End));
        assert_eq!(
            edit(&mut text, &mut cursor, key(KeyCode::Enter)),
            Edit::Changed
        );
        for c in "second".chars() {
            edit(&mut text, &mut cursor, key(KeyCode::Char(c)));
        }
        assert_eq!(text, "first\nsecond\nthird");
        let ctrl_u = KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL);
        assert_eq!(edit(&mut text, &mut cursor, ctrl_u), Edit::Changed);
        assert_eq!(text, "first\n\nthird");
        assert_eq!(edit(&mut text, &mut cursor, ctrl_u), Edit::Ignored);
        assert_eq!(
            edit(&mut text, &mut cursor, key(KeyCode::Backspace)),
            Edit::Changed
        );
        assert_eq!(text, "first\nthird");
        assert_eq!(
            edit(&mut text, &mut cursor, key(KeyCode::F(2))),
            Edit::Ignored
        );
    }
}
