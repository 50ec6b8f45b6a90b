//! Screen tests: the real `App` driven by keys on a `TestBackend`, snapshotted.

mod common;

use attuned::ui::App;
use common::screen::{key, open, press, render, text as screen_text};
use crossterm::event::KeyCode;
use ratatui::style::Modifier;

fn app(dir: &tempfile::TempDir, width: u16, height: u16) -> App {
    open(common::build(&dir.path().join("book.db")), width, height)
}

#[test]
fn portfolio_at_80x24() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(&dir, 80, 24);
    insta::assert_snapshot!(render(&app, 80, 24).backend());
}

#[test]
fn portfolio_at_200x60() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(&dir, 200, 60);
    insta::assert_snapshot!(render(&app, 200, 60).backend());
}

#[test]
fn every_tiny_size_shows_a_notice_without_panicking() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(&dir, 1, 1);
    for w in 1..45 {
        for h in 1..12 {
            render(&app, w, h);
        }
    }
    insta::assert_snapshot!(render(&app, 30, 6).backend());
}

#[test]
fn selection_is_marked_without_color() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(&dir, 80, 24);
    let t = render(&app, 80, 24);
    let buf = t.backend().buffer();
    // The first table row sits under title, strip (3), filter line and column headers.
    let row = 6;
    assert_eq!(buf[(0, row)].symbol(), "▶");
    assert!(buf[(2, row)].modifier.contains(Modifier::REVERSED));
    assert!(
        buf.content()
            .iter()
            .all(|c| c.fg == ratatui::style::Color::Reset)
    );
}

#[test]
fn filter_by_name_as_you_type_then_open_the_account() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app(&dir, 100, 30);
    press(&mut app, "/blue");
    let text = screen_text(&render(&app, 100, 30));
    assert!(text.contains("Bluepeak Analytics"), "{text}");
    assert!(!text.contains("Northwind"), "{text}");
    // One Enter opens the highlighted account, as in fzf (the filter stays).
    key(&mut app, KeyCode::Enter);
    insta::assert_snapshot!(render(&app, 100, 30).backend());
    key(&mut app, KeyCode::Esc);
    let text = screen_text(&render(&app, 100, 30));
    assert!(text.contains("Filter: blue"), "{text}");
}

#[test]
fn account_screen_explains_risk() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app(&dir, 120, 40);
    // Sorted by risk, Northwind (red, cold economic buyer) is on top.
    key(&mut app, KeyCode::Enter);
    let text = screen_text(&render(&app, 120, 40));
    for expected in [
        "Northwind Logistics",
        "CSM sentiment is Red",
        "No strong tie to the economic buyer",
        "Competitor mentioned 1× in 90 days",
        "Dana Whitfield",
        "Walked through the rollout delays",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    insta::assert_snapshot!(render(&app, 120, 40).backend());
}

#[test]
fn quick_filters_and_sorting() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app(&dir, 100, 30);
    press(&mut app, "2"); // renewing within 90 days
    let text = screen_text(&render(&app, 100, 30));
    assert!(
        text.contains("Northwind") && text.contains("Halcyon"),
        "{text}"
    );
    assert!(!text.contains("Bluepeak"), "{text}");
    press(&mut app, "0");
    press(&mut app, "3"); // stale sentiment: Halcyon (40 days) and the unrated one
    let text = screen_text(&render(&app, 100, 30));
    assert!(
        text.contains("Halcyon") && text.contains("Quarry"),
        "{text}"
    );
    assert!(!text.contains("Northwind"), "{text}");
    key(&mut app, KeyCode::Esc);
    press(&mut app, "4"); // overdue follow-up
    let text = screen_text(&render(&app, 100, 30));
    assert!(
        text.contains("Northwind") && !text.contains("Bluepeak"),
        "{text}"
    );
    press(&mut app, "0:sort name");
    key(&mut app, KeyCode::Enter);
    insta::assert_snapshot!(render(&app, 100, 30).backend());
}

#[test]
fn help_is_generated_from_the_keymap() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app(&dir, 100, 30);
    press(&mut app, "?");
    let text = screen_text(&render(&app, 100, 30));
    assert!(text.contains("Only accounts at risk"), "{text}");
    assert!(text.contains("Command palette"), "{text}");
    press(&mut app, "q");
    assert!(!app.should_quit());
    press(&mut app, "q");
    assert!(app.should_quit());
}

#[test]
fn scrolling_moves_the_window_one_row_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    // Room for 4 rows minus chrome: only 4 - ... use a short terminal with 2 table rows.
    let mut app = app(&dir, 80, 10);
    press(&mut app, "jjj");
    let text = screen_text(&render(&app, 80, 10));
    assert!(text.contains("▶"), "{text}");
    press(&mut app, "G");
    let bottom = screen_text(&render(&app, 80, 10));
    press(&mut app, "g");
    let top = screen_text(&render(&app, 80, 10));
    assert_ne!(bottom, top);
    assert!(top.contains("Northwind"), "{top}");
}

/// Back on the portfolio after work that moved accounts above the first row shown (a
/// triage pass setting Reds), no row hides above a page with room left.
#[test]
fn rows_that_moved_above_the_first_are_shown_when_the_page_has_room() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("book.db");
    let mut app = app(&dir, 100, 30);
    // The first account opens; meanwhile two others rise above it (risk 100, larger).
    key(&mut app, KeyCode::Enter);
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute(
        "UPDATE accounts SET risk = 100, contract_value = contract_value + 100000000
         WHERE name IN ('Halcyon Health', 'Quarry & Vale Outfitters')",
        [],
    )
    .unwrap();
    drop(conn);
    key(&mut app, KeyCode::Esc);
    let screen = screen_text(&render(&app, 100, 30));
    for name in [
        "Northwind Logistics",
        "Halcyon Health",
        "Quarry & Vale Outfitters",
        "Bluepeak Analytics",
    ] {
        assert!(screen.contains(name), "{name}:\n{screen}");
    }
}
