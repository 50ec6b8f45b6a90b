//! The list screens at everyday sizes, on the demo portfolio: the portfolio, team view,
//! follow-up queue, KPIs, audits, help and the palette at 80×24 and 120×35 (and 40×12),
//! the status bar's keys and names that read apart when cut.

mod common;

use attuned::demo::{self, DemoOptions};
use attuned::store::Store;
use attuned::ui::App;
use attuned::ui::keymap::{self, Context};
use common::screen::{key, open, press, shown};
use crossterm::event::KeyCode;

/// The everyday sizes, and the smallest the app draws a screen at.
const SIZES: [(u16, u16); 3] = [(80, 24), (120, 35), (40, 12)];

/// The app on the portfolio `attuned demo` makes (200 accounts, seed 7), at the
/// fixture's day.
fn demo_app(dir: &tempfile::TempDir, width: u16, height: u16) -> App {
    let mut store = Store::open(&dir.path().join("demo.db")).unwrap();
    let options = DemoOptions {
        accounts: 200,
        seed: 7,
    };
    demo::generate(&mut store, &options, &common::clock()).unwrap();
    open(store, width, height)
}

fn lines(screen: &str) -> Vec<String> {
    screen
        .lines()
        .map(|l| l.trim_matches('"').to_string())
        .collect()
}

/// The status bar: the screen's last line.
fn status_bar(screen: &str) -> String {
    lines(screen).last().cloned().unwrap_or_default()
}

/// Every hint on the bar is whole: taking out the screen's full hints leaves nothing.
fn assert_whole_hints(bar: &str, context: Context) {
    let mut rest = bar.to_string();
    let mut hints: Vec<(String, &str)> = keymap::bindings(context)
        .into_iter()
        .filter_map(|b| b.hint.map(|h| (b.keys[0].label(), h)))
        .collect();
    // Longest first, so "s sort" is not taken out of "S sort…".
    hints.sort_by_key(|(k, h)| std::cmp::Reverse(k.len() + h.len()));
    for (k, h) in hints {
        rest = rest.replacen(&format!(" {k} {h}"), "", 1);
    }
    assert!(rest.trim().is_empty(), "half a hint on {bar:?}: {rest:?}");
}

#[test]
fn the_status_bar_keeps_help_and_drops_whole_hints_at_every_width() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = demo_app(&dir, 80, 24);
    for (keys, context) in [
        ("", Context::Portfolio),
        ("f", Context::Followups),
        ("T", Context::Team),
        ("K", Context::Kpis),
        ("A", Context::Audits),
    ] {
        key(&mut app, KeyCode::Esc);
        key(&mut app, KeyCode::Esc);
        press(&mut app, keys);
        for width in (40..=200).step_by(3).chain([80, 120, 160]) {
            let bar = status_bar(&shown(&app, width, 24));
            assert!(
                bar.trim_end().ends_with("? help"),
                "{context:?} at {width}: {bar:?}"
            );
            assert_whole_hints(&bar, context);
        }
    }
}

#[test]
fn the_portfolio_bar_shows_the_keys_that_matter_first() {
    let dir = tempfile::tempdir().unwrap();
    let app = demo_app(&dir, 80, 24);
    let bar = status_bar(&shown(&app, 80, 24));
    for hint in [
        "Enter open",
        "/ filter",
        "c call",
        "l log",
        "f follow-ups",
        ": commands",
    ] {
        assert!(bar.contains(hint), "{hint} at 80 columns: {bar:?}");
    }
    let bar = status_bar(&shown(&app, 120, 35));
    for hint in [
        "c call",
        "l log",
        "f follow-ups",
        "q quit",
        "s sort",
        "? help",
    ] {
        assert!(bar.contains(hint), "{hint} at 120 columns: {bar:?}");
    }
}

#[test]
fn look_alike_names_read_apart_when_cut() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = demo_app(&dir, 80, 24);
    // The demo has "Vantage Intelligence" and its Germany, Benelux and EMEA branches.
    press(&mut app, "/Vantage Intelligence");
    for (width, height) in SIZES {
        let screen = shown(&app, width, height);
        let rows: Vec<String> = lines(&screen)
            .into_iter()
            .filter(|l| l.contains("Vantage") && !l.contains("Filter:"))
            .collect();
        assert_eq!(rows.len(), 4, "{screen}");
        // Each branch keeps the word that tells it apart, the cut marked with "…".
        for branch in ["Germany", "Benelux", "EMEA"] {
            let row = rows.iter().find(|r| r.contains(branch));
            assert!(row.is_some(), "{branch} at {width}×{height}:\n{screen}");
            assert!(
                row.is_some_and(|r| r.contains('…') || r.contains("Intelligence ")),
                "{screen}"
            );
        }
    }
}

#[test]
fn the_portfolio_shares_its_width_and_keeps_the_columns_that_matter_at_80() {
    let dir = tempfile::tempdir().unwrap();
    let app = demo_app(&dir, 80, 24);
    let header_of = |screen: &str| -> String {
        lines(screen)
            .into_iter()
            .find(|l| l.trim_start().starts_with("Account"))
            .unwrap_or_default()
    };
    let screen = shown(&app, 80, 24);
    let header = &header_of(&screen);
    for title in ["Account", "Risk", "CSM", "Renewal", "Follow-up"] {
        assert!(header.contains(title), "{title}: {header:?}\n{screen}");
    }
    // At 120 the name column holds the longest name, not half the screen.
    let screen = shown(&app, 120, 35);
    let header = &header_of(&screen);
    let name_column = header.find("Seg").unwrap_or(0);
    assert!(name_column < 40, "{header:?}");
    assert!(header.contains("Follow-up"), "{header:?}");
}

#[test]
fn help_wraps_under_its_text_and_stops_at_its_end() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = demo_app(&dir, 80, 24);
    press(&mut app, "?");
    // Far past the end: one k then scrolls up at once.
    for _ in 0..100 {
        press(&mut app, "j");
    }
    let at_end = shown(&app, 80, 24);
    press(&mut app, "k");
    let one_up = shown(&app, 80, 24);
    assert_ne!(at_end, one_up, "help scrolled past its end:\n{at_end}");
    press(&mut app, "j");
    assert_eq!(shown(&app, 80, 24), at_end);
    insta::assert_snapshot!("help_end_80x24", at_end);
    // A wrapped description starts under its text, never at the box's edge.
    for l in lines(&at_end).iter().filter(|l| l.contains('│')) {
        let inside = l.split('│').nth(1).unwrap_or("");
        let continued = !inside.starts_with(' ') && !inside.trim().is_empty();
        let heading = ["Keys on", "Reading the"]
            .iter()
            .any(|h| inside.starts_with(h));
        assert!(!continued || heading, "wrapped to column 0: {l:?}");
    }
}

/// Every list screen at 80×24 and 120×35, and drawn at 40×12.
#[test]
fn the_list_screens_at_everyday_sizes() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = demo_app(&dir, 80, 24);
    // The audit sample and form are in tests/audits.rs (a drawn sample follows the
    // file's ids, which the store allocates at random); here the list before a draw.
    let screens: [(&str, &str); 7] = [
        ("portfolio", ""),
        ("help", "?"),
        ("palette", ":"),
        ("team", "T"),
        ("followups", "f"),
        ("kpis", "K"),
        ("audits", "A"),
    ];
    for (name, keys) in screens {
        for c in keys.chars() {
            match c {
                '\n' => key(&mut app, KeyCode::Enter),
                c => press(&mut app, &c.to_string()),
            }
        }
        for (width, height) in SIZES {
            app.resize(width, height);
            let screen = shown(&app, width, height);
            if width >= 80 {
                insta::assert_snapshot!(format!("{name}_{width}x{height}"), screen);
            }
        }
        app.resize(80, 24);
        // Back to the portfolio.
        for _ in 0..3 {
            key(&mut app, KeyCode::Esc);
        }
        if name == "team" {
            key(&mut app, KeyCode::Esc);
        }
    }
}
