//! Screen tests of the account workspace: the relationship grid (colour and NO_COLOR, a
//! narrow terminal), quick persona changes, the forms, the org chart and a full touch.

mod common;

use std::sync::Arc;

use attuned::ui::{App, Theme};
use common::screen::{key, press, render, shown};
use crossterm::event::KeyCode;
use ratatui::style::{Color, Modifier};

fn app(dir: &tempfile::TempDir, theme: Theme, size: (u16, u16)) -> App {
    let store = common::build(&dir.path().join("book.db"));
    App::new(store, Arc::new(common::clock()), theme, size).unwrap()
}

/// Opens Northwind Logistics (on top of the portfolio, sorted by risk).
fn northwind(theme: Theme, size: (u16, u16)) -> (tempfile::TempDir, App) {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app(&dir, theme, size);
    key(&mut app, KeyCode::Enter);
    (dir, app)
}

#[test]
fn the_grid_places_personas_and_spells_out_coverage_at_120x40() {
    let (_dir, app) = northwind(Theme::plain(), (120, 40));
    let screen = shown(&app, 120, 40);
    for expected in [
        "Relationship grid",
        "Very good",
        "negative",
        "positive",
        "Marco Ruiz",
        "Economic buyer is negative",
        "No strong tie to the economic buyer",
        "Executive sponsor never contacted",
        "CSM sentiment Red",
        "Recent touches",
        "NPS 8→5",
    ] {
        assert!(screen.contains(expected), "missing {expected:?}\n{screen}");
    }
    insta::assert_snapshot!(render(&app, 120, 40).backend());
}

#[test]
fn without_color_the_grid_grades_by_glyph_and_selection_by_marker() {
    let (_dir, app) = northwind(Theme::plain(), (120, 40));
    let t = render(&app, 120, 40);
    let buf = t.backend().buffer();
    assert!(
        buf.content()
            .iter()
            .all(|c| c.fg == Color::Reset && c.bg == Color::Reset),
        "NO_COLOR draws no colour"
    );
    let screen = t.backend().to_string();
    assert!(
        screen.contains("!! Dana, Leo"),
        "danger cell marked by glyph\n{screen}"
    );
    assert!(
        screen.contains("++ Marco Ruiz"),
        "strong cell marked\n{screen}"
    );
    // The selected persona is marked ▶ and reversed, in the grid and in the list.
    let mut marked = 0;
    for y in 0..40 {
        for x in 0..120 {
            if buf[(x, y)].symbol() == "▶" {
                assert!(
                    buf[(x + 1, y)].modifier.contains(Modifier::REVERSED),
                    "at {x},{y}"
                );
                marked += 1;
            }
        }
    }
    assert_eq!(marked, 2, "{screen}");
}

#[test]
fn with_color_cells_are_shaded_from_danger_to_strength() {
    let (_dir, app) = northwind(Theme { color: true }, (120, 40));
    let screen = shown(&app, 120, 40);
    let t = render(&app, 120, 40);
    let buf = t.backend().buffer();
    let find = |needle: &str| {
        let lines: Vec<&str> = screen.lines().collect();
        for (y, l) in lines.iter().enumerate() {
            if let Some(x) = l.find(needle) {
                let col = l[..x].chars().count() - 1;
                return (col as u16, y as u16);
            }
        }
        panic!("{needle} not found");
    };
    let danger = buf[find("!! Dana")].bg;
    let strong = buf[find("++ Marco")].bg;
    assert_ne!(danger, Color::Reset);
    assert_ne!(strong, Color::Reset);
    assert_ne!(danger, strong);
}

#[test]
fn a_narrow_terminal_keeps_the_grid_readable() {
    let (_dir, app) = northwind(Theme::plain(), (80, 24));
    let screen = shown(&app, 80, 24);
    assert!(screen.contains("Personas:"), "{screen}");
    insta::assert_snapshot!(render(&app, 80, 24).backend());
}

#[test]
fn strength_and_sentiment_change_in_one_keystroke_and_show_in_history() {
    let (_dir, mut app) = northwind(Theme::plain(), (120, 40));
    // Personas: Priya (sponsor), Dana (economic buyer), Marco, Leo.
    press(&mut app, "j+");
    let screen = shown(&app, 120, 40);
    assert!(
        screen.contains("Dana Whitfield: Weak negative → Okay negative"),
        "{screen}"
    );
    press(&mut app, "]");
    let screen = shown(&app, 120, 40);
    assert!(screen.contains("Okay neutral"), "{screen}");
    assert!(
        !screen.contains("No strong tie to the economic buyer"),
        "coverage recomputed at once\n{screen}"
    );
    key(&mut app, KeyCode::Enter);
    let screen = shown(&app, 120, 40);
    assert!(screen.contains("History (3 changes"), "{screen}");
    // Limits are kept: strength cannot go above Very good.
    press(&mut app, "+++");
    let screen = shown(&app, 120, 40);
    assert!(screen.contains("already Very good"), "{screen}");
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Esc);
    let screen = shown(&app, 120, 40);
    assert!(
        screen.contains("Enter open"),
        "back on the portfolio\n{screen}"
    );
}

#[test]
fn csm_sentiment_is_set_with_a_reason_beside_the_criteria() {
    let (_dir, mut app) = northwind(Theme::plain(), (120, 40));
    press(&mut app, "s");
    let screen = shown(&app, 120, 40);
    assert!(screen.contains("Set CSM sentiment"), "{screen}");
    assert!(screen.contains("Relationship in jeopardy"), "{screen}");
    key(&mut app, KeyCode::Up); // Red → Yellow
    press(&mut app, "Exec sync booked; q and s type text");
    let screen = shown(&app, 120, 40);
    assert!(screen.contains("Concerns to address"), "{screen}");
    assert!(!app.should_quit());
    key(&mut app, KeyCode::Enter);
    let screen = shown(&app, 120, 40);
    assert!(screen.contains("CSM sentiment set to Yellow"), "{screen}");
    assert!(screen.contains("CSM sentiment Yellow"), "{screen}");
    assert!(screen.contains("“Exec sync booked; q and s type text”") || screen.contains("✓"));
}

#[test]
fn the_persona_form_validates_inline_and_keeps_what_was_typed() {
    let (_dir, mut app) = northwind(Theme::plain(), (120, 40));
    press(&mut app, "i");
    key(&mut app, KeyCode::Enter);
    let screen = shown(&app, 120, 40);
    assert!(screen.contains("A persona needs a name"), "{screen}");
    press(&mut app, "Gwen Ito");
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Tab);
    press(&mut app, "gwen-at-northwind");
    key(&mut app, KeyCode::Enter);
    let screen = shown(&app, 120, 40);
    assert!(screen.contains("is not an email address"), "{screen}");
    assert!(screen.contains("Gwen Ito"), "the name survives\n{screen}");
    for _ in 0.."gwen-at-northwind".len() {
        key(&mut app, KeyCode::Backspace);
    }
    press(&mut app, "gwen@northwind.example");
    key(&mut app, KeyCode::Enter);
    let screen = shown(&app, 120, 40);
    assert!(screen.contains("Saved Gwen Ito"), "{screen}");
    assert!(screen.contains("Personas: 1 of 5"), "{screen}");
    // Archive asks first.
    press(&mut app, "d");
    assert!(shown(&app, 120, 40).contains("Archive Gwen Ito?"));
    press(&mut app, "y");
    assert!(shown(&app, 120, 40).contains("Personas: 1 of 4"));
}

#[test]
fn org_chart_and_a_full_touch_open_from_the_workspace() {
    let (_dir, mut app) = northwind(Theme::plain(), (120, 40));
    press(&mut app, "o");
    let screen = shown(&app, 120, 40);
    assert!(screen.contains("Org chart"), "{screen}");
    assert!(screen.contains("Dana Whitfield"), "{screen}");
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Enter);
    let screen = shown(&app, 120, 40);
    assert!(screen.contains("Tags"), "{screen}");
    assert!(
        screen.contains("Walked through the rollout delays"),
        "{screen}"
    );
    press(&mut app, "?");
    assert!(shown(&app, 120, 40).contains("Keys on the touch screen"));
}

#[test]
fn every_mode_renders_at_every_small_size() {
    let (_dir, mut app) = northwind(Theme::plain(), (40, 10));
    let sweep = |app: &App, marker: &str| {
        // Words only this mode shows: the sweep cannot pass on the wrong screen.
        let wide = shown(app, 120, 40);
        assert!(wide.contains(marker), "{marker}: {wide}");
        for w in [1, 20, 40, 41, 60, 80] {
            for h in [1, 5, 10, 11, 15, 24] {
                render(app, w, h);
            }
        }
    };
    sweep(&app, "Relationship grid");
    // Each mode opens over the account and Esc comes back to it.
    type Enter<'a> = &'a dyn Fn(&mut App);
    let modes: [(Enter, &str); 4] = [
        (&|a| press(a, "s"), "Set CSM sentiment"),
        (&|a| press(a, "i"), "Add persona"),
        (&|a| press(a, "o"), "Org chart: who reports to whom"),
        (&|a| key(a, KeyCode::Enter), "Persona (+/- strength"),
    ];
    for (enter, marker) in modes {
        enter(&mut app);
        sweep(&app, marker);
        key(&mut app, KeyCode::Esc);
    }
}

#[test]
fn an_old_score_looks_stale_and_the_window_is_configurable() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app(&dir, Theme::plain(), (120, 40));
    // Halcyon Health's score is 40 days old.
    press(&mut app, "/halcyon");
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Enter);
    let screen = shown(&app, 120, 40);
    assert!(screen.contains("⌛ STALE (older than 14d)"), "{screen}");
    key(&mut app, KeyCode::Esc);
    let mut config = attuned::config::Config::default();
    config.apply("stale_after_days = 60").unwrap();
    app.set_config(config).unwrap();
    key(&mut app, KeyCode::Enter);
    let screen = shown(&app, 120, 40);
    assert!(screen.contains("Halcyon Health"), "{screen}");
    assert!(!screen.contains("STALE"), "{screen}");
}

/// Northwind with a long CSM sentiment history (a sparkline of 13) and a 2-day stale
/// window: the longest header line there is.
fn northwind_with_history(size: (u16, u16)) -> (tempfile::TempDir, App) {
    use attuned::domain::model::Pulse;
    let dir = tempfile::tempdir().unwrap();
    let mut store = common::build(&dir.path().join("book.db"));
    let id = common::id_of(&store, "accounts", "Northwind Logistics");
    store
        .write(|tx| {
            for n in 0..10 {
                let pulse = [Pulse::Green, Pulse::Yellow][n % 2];
                let at = common::now() - chrono::Duration::days(100 + n as i64);
                tx.set_pulse(id, pulse, Some("quarterly review"), at, None, None)?;
            }
            Ok(())
        })
        .unwrap();
    let mut app = App::new(store, Arc::new(common::clock()), Theme::plain(), size).unwrap();
    let mut config = attuned::config::Config::default();
    config.apply("stale_after_days = 2").unwrap();
    app.set_config(config).unwrap();
    key(&mut app, KeyCode::Enter);
    (dir, app)
}

#[test]
fn the_header_never_cuts_the_risk() {
    let (_dir, app) = northwind_with_history((80, 24));
    let wide = shown(&app, 120, 35);
    assert!(
        wide.contains(
            "CSM sentiment Red ▄█▄█▄█▄█▄██▄▁ set 3d ago ⌛ STALE (older than 2d) · Risk 100"
        ),
        "{wide}"
    );
    for (w, h) in [(80, 24), (60, 20), (40, 12)] {
        let screen = shown(&app, w, h);
        assert!(screen.contains("Risk 100 (Critical)"), "{w}×{h}\n{screen}");
        assert!(screen.contains("Red"), "{w}×{h}\n{screen}");
    }
    assert!(shown(&app, 80, 24).contains("CSM sentiment Red set 3d ago ⌛ STALE · Risk 100"));
}

#[test]
fn the_persona_list_keeps_the_role_and_the_names_at_every_size() {
    let (_dir, app) = northwind(Theme::plain(), (80, 24));
    for (w, h) in [(80, 24), (120, 35), (40, 12)] {
        let screen = shown(&app, w, h);
        let marco = screen
            .lines()
            .find(|l| l.contains("Marco Ruiz") && !l.contains("++ Marco"))
            .unwrap_or_else(|| panic!("{w}×{h}: no Marco in the list\n{screen}"));
        assert!(marco.contains("Champion"), "{w}×{h}: {marco}\n{screen}");
        for name in ["Priya Shah", "Dana Whitfield", "Leo Brandt"] {
            assert!(screen.contains(name), "{w}×{h}: {name}\n{screen}");
        }
    }
    insta::assert_snapshot!("persona_list_40x12", render(&app, 40, 12).backend());
}

#[test]
fn grid_cells_show_first_names_where_they_fit() {
    let (_dir, app) = northwind(Theme::plain(), (80, 24));
    let screen = shown(&app, 80, 24);
    // Dana and Leo share the Weak × negative cell; Priya is selected.
    assert!(screen.contains("!! Dana,"), "{screen}");
    assert!(screen.contains("      Leo "), "{screen}");
    assert!(screen.contains("! ▶Priya"), "{screen}");
    assert!(
        !screen.contains("DW"),
        "no initials where first names fit\n{screen}"
    );
}

#[test]
fn the_workspace_at_120x35_gives_the_timeline_the_width_it_needs() {
    let (_dir, app) = northwind(Theme::plain(), (120, 35));
    let screen = shown(&app, 120, 35);
    assert!(
        screen.contains("2026-11-21 Call · Check-in R Empathy follow-up Nov 21 with Marco Ruiz"),
        "{screen}"
    );
    insta::assert_snapshot!("workspace_120x35", render(&app, 120, 35).backend());
}

/// The persona form's box: its lines from the top border to the bottom one.
fn form_box(screen: &str) -> Vec<String> {
    let lines: Vec<&str> = screen.lines().collect();
    let top = lines
        .iter()
        .position(|l| l.contains("┌ Edit persona") || l.contains("┌ Add persona"))
        .unwrap_or_else(|| panic!("no form\n{screen}"));
    let left = lines[top].chars().position(|c| c == '┌').unwrap();
    let right = lines[top].chars().position(|c| c == '┐').unwrap();
    let mut out = Vec::new();
    for l in &lines[top..] {
        let row: String = l.chars().skip(left).take(right - left + 1).collect();
        let done = row.starts_with('└');
        out.push(row);
        if done {
            break;
        }
    }
    out
}

#[test]
fn the_persona_form_keeps_a_200_character_title_inside_its_box() {
    let dir = tempfile::tempdir().unwrap();
    let store = common::build(&dir.path().join("book.db"));
    // A title from before the limits (or an import): 200 characters, ending in "END".
    let title = format!("{}END", "Vice President of Global Operations ".repeat(6))[..197]
        .to_string()
        + "END";
    store
        .conn()
        .execute(
            "UPDATE personas SET title = ?1 WHERE name = 'Priya Shah'",
            [&title],
        )
        .unwrap();
    let mut app = App::new(store, Arc::new(common::clock()), Theme::plain(), (80, 24)).unwrap();
    key(&mut app, KeyCode::Enter);
    press(&mut app, "e");
    for (w, h) in [(80, 24), (120, 35)] {
        let screen = shown(&app, w, h);
        let boxed = form_box(&screen);
        for row in &boxed[1..boxed.len() - 1] {
            assert!(
                row.starts_with('│') && row.ends_with('│'),
                "{w}×{h}: {row:?}\n{screen}"
            );
        }
        let text = boxed.join("\n");
        for label in ["Name", "Title", "Email", "Role", "Reports to"] {
            assert!(text.contains(label), "{w}×{h}: {label}\n{screen}");
        }
        assert!(text.contains("Priya Shah"), "{screen}");
        assert!(
            text.contains("Vice President of Global Operations Vice"),
            "{screen}"
        );
        assert!(text.contains('…'), "a cut title says so\n{screen}");
        assert!(
            text.contains("Enter save"),
            "the hint stays in the box\n{screen}"
        );
    }
    insta::assert_snapshot!("persona_form_80x24", render(&app, 80, 24).backend());
    // In the title field the end shows, where typing goes, with its counter.
    key(&mut app, KeyCode::Tab);
    let screen = shown(&app, 80, 24);
    let text = form_box(&screen).join("\n");
    assert!(text.contains("END▏"), "{screen}");
    assert!(text.contains("200/120"), "{screen}");
    insta::assert_snapshot!("persona_form_title_120x35", render(&app, 120, 35).backend());
}

#[test]
fn the_sentiment_form_keeps_the_colors_and_the_reason_in_view_when_short() {
    let (_dir, mut app) = northwind(Theme::plain(), (40, 12));
    press(&mut app, "s");
    press(&mut app, "exec sponsor left");
    for (w, h) in [(40, 12), (80, 24)] {
        let screen = shown(&app, w, h);
        for want in ["Green", "Yellow", "Red", "Reason: exec sponsor left▏"] {
            assert!(screen.contains(want), "{w}×{h}: {want}\n{screen}");
        }
    }
    insta::assert_snapshot!("sentiment_form_40x12", render(&app, 40, 12).backend());
}
