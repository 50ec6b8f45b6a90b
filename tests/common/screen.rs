//! The screen tests' helpers: open the real `App` on a store, send it keys, and draw it
//! on a `TestBackend`.

use std::sync::Arc;

use attuned::store::Store;
use attuned::ui::{App, Theme};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// The app on `store`, at the fixture's clock, in the plain theme, sized `width`×`height`.
pub fn open(store: Store, width: u16, height: u16) -> App {
    App::new(
        store,
        Arc::new(super::clock()),
        Theme::plain(),
        (width, height),
    )
    .unwrap()
}

/// One frame of the app on a fresh `width`×`height` test terminal.
pub fn render(app: &App, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| app.draw(f)).unwrap();
    terminal
}

/// What a test terminal shows, as text.
pub fn text(t: &Terminal<TestBackend>) -> String {
    t.backend().to_string()
}

/// What the app shows on a `width`×`height` terminal, as text.
pub fn shown(app: &App, width: u16, height: u16) -> String {
    text(&render(app, width, height))
}

/// One key, without modifiers.
pub fn key(app: &mut App, code: KeyCode) {
    app.handle_key(KeyEvent::new(code, KeyModifiers::NONE));
}

/// Each character of `keys` as a key, without modifiers.
pub fn press(app: &mut App, keys: &str) {
    for c in keys.chars() {
        key(app, KeyCode::Char(c));
    }
}
