//! One-line text fields held to their length limits (`domain::limits`): a character
//! beyond the limit is refused with a message, and `n/limit` shows as the limit nears.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::text::Span;
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use super::theme::Theme;
use crate::domain::limits::Limit;

/// Hands `key` to `input` unless it would type past `limit`; then says why instead.
pub fn type_into(input: &mut Input, key: KeyEvent, limit: Limit) -> Option<String> {
    let types = matches!(key.code, KeyCode::Char(_))
        && !key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
    if types && !fits_one_more(input.value(), limit) {
        return Some(full(limit));
    }
    input.handle_event(&Event::Key(key));
    None
}

/// Whether one more character still fits.
pub fn fits_one_more(text: &str, limit: Limit) -> bool {
    text.chars().count() < limit.max
}

/// The message for a full field.
pub fn full(limit: Limit) -> String {
    format!("At most {} characters in the {}", limit.max, limit.what)
}

/// " 96/120" beside a field nearing its limit (red once there), nothing before.
pub fn counter(text: &str, limit: Limit, theme: &Theme) -> Option<Span<'static>> {
    let shown = limit.counter(text)?;
    let style = if limit.fits(text) && fits_one_more(text, limit) {
        theme.dim()
    } else {
        theme.danger()
    };
    Some(Span::styled(format!(" {shown}"), style))
}
