//! The call screens driven through the real `App` on a `TestBackend`, with a clock the
//! test moves: timers, time-box cues, notes, quitting, resuming, and every small size.

mod common;

use std::sync::{Arc, Mutex};

use attuned::domain::Clock;
use attuned::store::Store;
use attuned::ui::{App, Theme};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use common::screen::{key, press, shown as render};
use crossterm::event::KeyCode;

/// A clock the test moves forward.
struct TestClock(Mutex<DateTime<Utc>>);

impl TestClock {
    fn advance(&self, secs: i64) {
        let mut t = self.0.lock().unwrap();
        *t += Duration::seconds(secs);
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }

    fn today(&self) -> NaiveDate {
        self.now().date_naive()
    }
}

fn isolate_config(dir: &tempfile::TempDir) {
    // The built-in prompt library, whatever the machine's config dir holds. Every test
    // here sets the same value, so parallel tests agree.
    let _ = dir;
    unsafe { std::env::set_var("XDG_CONFIG_HOME", "/nonexistent-attuned-test-config") };
}

fn app_on(store: Store, clock: &Arc<TestClock>) -> App {
    App::new(store, clock.clone(), Theme::plain(), (80, 24)).unwrap()
}

fn setup(dir: &tempfile::TempDir) -> (App, Arc<TestClock>) {
    isolate_config(dir);
    let store = common::build(&dir.path().join("book.db"));
    let clock = Arc::new(TestClock(Mutex::new(common::now())));
    (app_on(store, &clock), clock)
}

fn start_call(app: &mut App) {
    press(app, "c");
    let text = render(app, 80, 24);
    assert!(text.contains("New call with"), "{text}");
    key(app, KeyCode::Enter);
}

#[test]
fn the_call_screen_at_80x24() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, clock) = setup(&dir);
    start_call(&mut app);
    clock.advance(12);
    app.tick();
    insta::assert_snapshot!(render(&app, 80, 24));
}

#[test]
fn timers_tick_and_cue_the_time_box() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, clock) = setup(&dir);
    start_call(&mut app);
    assert!(app.tick_in().is_some(), "a running call ticks");
    clock.advance(45);
    app.tick();
    let text = render(&app, 80, 24);
    assert!(text.contains("0:45 of 30–60 s"), "{text}");
    assert!(!text.contains("time box"), "{text}");
    clock.advance(5);
    app.tick();
    assert!(render(&app, 80, 24).contains("nearly at the time box"));
    clock.advance(11);
    app.tick();
    let text = render(&app, 80, 24);
    assert!(text.contains("1:01 of 30–60 s past the time box"), "{text}");
    // Step 2 starts its own clock; the call's goes on.
    press(&mut app, "n");
    clock.advance(3);
    app.tick();
    let text = render(&app, 80, 24);
    assert!(text.contains("Step 2/6 0:03 of 1–3 min"), "{text}");
    assert!(text.contains("Call 1:04"), "{text}");
    // Paused: nothing ticks, nothing counts.
    press(&mut app, " ");
    assert!(
        app.tick_in().is_none(),
        "a paused call does not wake the loop"
    );
    clock.advance(600);
    let text = render(&app, 80, 24);
    assert!(text.contains("Call 1:04"), "{text}");
    assert!(text.contains("paused"), "{text}");
}

#[test]
fn notes_type_text_and_q_asks_first() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, _clock) = setup(&dir);
    start_call(&mut app);
    press(&mut app, "a");
    // While writing, n, p, x and q are text.
    press(&mut app, "npxq");
    key(&mut app, KeyCode::Enter);
    press(&mut app, "line two");
    let text = render(&app, 80, 24);
    assert!(text.contains("npxq"), "{text}");
    assert!(text.contains("line two█"), "{text}");
    assert!(!app.should_quit());
    key(&mut app, KeyCode::Esc);
    press(&mut app, "q");
    assert!(!app.should_quit(), "q asks first during a call");
    assert!(render(&app, 80, 24).contains("Quit during a call?"));
    press(&mut app, "j");
    assert!(!app.should_quit(), "any other key stays");
    press(&mut app, "q");
    press(&mut app, "q");
    assert!(app.should_quit());
}

#[test]
fn an_interrupted_call_is_offered_with_its_notes_and_times() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, clock) = setup(&dir);
    start_call(&mut app);
    clock.advance(40);
    app.tick();
    press(&mut app, "a");
    press(&mut app, "they are upset");
    // The process dies here: nothing else runs.
    drop(app);

    let store = Store::open(&dir.path().join("book.db")).unwrap();
    clock.advance(3600);
    let mut app = app_on(store, &clock);
    app.offer_interrupted_call().unwrap();
    let text = render(&app, 80, 24);
    assert!(text.contains("A call was interrupted"), "{text}");
    assert!(text.contains("0:40 on the clock"), "{text}");
    key(&mut app, KeyCode::Enter);
    let text = render(&app, 80, 24);
    assert!(text.contains("they are upset"), "{text}");
    assert!(text.contains("paused"), "{text}");
    assert!(text.contains("Call 0:40"), "{text}");
    press(&mut app, " ");
    clock.advance(2);
    app.tick();
    assert!(render(&app, 80, 24).contains("Call 0:42"));
}

#[test]
fn tagging_needs_a_sentiment_and_leads_to_the_pending_retros() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, _clock) = setup(&dir);
    start_call(&mut app);
    press(&mut app, "x");
    let text = render(&app, 80, 24);
    assert!(text.contains("DOCUMENT"), "{text}");
    key(&mut app, KeyCode::Enter);
    assert!(render(&app, 80, 24).contains("Choose the sentiment first"));
    press(&mut app, "g");
    // Enter hands over to the wrap-up form, prefilled; Enter there saves.
    key(&mut app, KeyCode::Enter);
    let text = render(&app, 100, 30);
    assert!(text.contains("Wrap-up"), "{text}");
    key(&mut app, KeyCode::Enter);
    let text = render(&app, 100, 30);
    assert!(text.contains("tagged Green"), "{text}");
    assert!(app.tick_in().is_none(), "no tick once the call is over");
    press(&mut app, "R");
    let text = render(&app, 100, 30);
    assert!(text.contains("waiting for a retrospective"), "{text}");
    key(&mut app, KeyCode::Enter);
    press(&mut app, "listened first");
    key(&mut app, KeyCode::Enter);
    press(&mut app, "ran long");
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Enter);
    let text = render(&app, 100, 30);
    assert!(text.contains("Retrospective of the call with"), "{text}");
}

/// Where the live call is after each `n`, as its header says.
const STEPS: [&str; 6] = [
    "Step 1/6", "Step 2/6", "Step 3/6", "Step 4/6", "Step 5/6", "Step 6/6",
];

#[test]
fn every_call_screen_renders_at_every_small_size() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, clock) = setup(&dir);
    let sizes = |app: &App| {
        for w in (1..=61).step_by(4) {
            for h in 1..=21 {
                render(app, w, h);
            }
        }
    };
    // Each sweep first checks it reached the screen it sweeps: it cannot pass on another.
    let entered = |app: &App, marker: &str| {
        let text = render(app, 100, 30);
        assert!(text.contains(marker), "{marker}: {text}");
    };
    press(&mut app, "c");
    entered(&app, "Participants (Space adds or removes)");
    sizes(&app);
    key(&mut app, KeyCode::Enter);
    press(&mut app, "a");
    press(
        &mut app,
        "a long note that wraps around the narrow screen many times over",
    );
    entered(&app, "saved as you type");
    sizes(&app);
    key(&mut app, KeyCode::Esc);
    for step in STEPS {
        clock.advance(70);
        app.tick();
        entered(&app, step);
        sizes(&app);
        press(&mut app, "n");
    }
    press(&mut app, "x");
    entered(&app, "Call ended");
    sizes(&app);
    let text = render(&app, 60, 20);
    assert!(text.contains("Tags"), "{text}");
}

/// The KPIs of everyone over the last three months, as the KPI screen reads them.
fn kpis(app: &App) -> attuned::domain::kpi::Kpis {
    let window = attuned::domain::kpi::Window::ending(common::today(), 3);
    attuned::store::kpi::load(app.store().conn(), attuned::store::kpi::Who::All, window).unwrap()
}

fn touches(app: &App) -> i64 {
    app.store()
        .conn()
        .query_row("SELECT count(*) FROM touches", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn a_call_started_by_mistake_is_discarded_after_a_question() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, clock) = setup(&dir);
    let (kpis_before, touches_before) = (kpis(&app), touches(&app));
    start_call(&mut app);
    clock.advance(20);
    app.tick();
    press(&mut app, "a");
    press(&mut app, "wrong account");
    key(&mut app, KeyCode::Esc);
    assert_eq!(touches(&app), touches_before + 1, "the call is in the file");
    // The status bar offers it; D asks first, Esc keeps the call.
    assert!(render(&app, 120, 35).contains("D discard"));
    press(&mut app, "D");
    let text = render(&app, 80, 24);
    assert!(text.contains("Discard this call?"), "{text}");
    key(&mut app, KeyCode::Esc);
    let text = render(&app, 80, 24);
    assert!(!text.contains("Discard this call?"), "{text}");
    assert!(text.contains("wrong account"), "{text}");
    // Another key answers "keep" and still does what it does.
    press(&mut app, "D");
    press(&mut app, "n");
    let text = render(&app, 80, 24);
    assert!(text.contains("Step 2/6"), "{text}");
    assert_eq!(touches(&app), touches_before + 1);
    // D twice: gone, back where the call started, and it counts nowhere.
    press(&mut app, "DD");
    let text = render(&app, 80, 24);
    assert!(text.contains("Call discarded"), "{text}");
    assert!(!text.contains("Step 2/6"), "{text}");
    assert_eq!(touches(&app), touches_before);
    assert_eq!(kpis(&app), kpis_before);
    assert!(app.tick_in().is_none(), "no call runs any more");
}

#[test]
fn the_call_at_120x35_gives_the_note_the_rows_the_step_does_not_need() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, clock) = setup(&dir);
    start_call(&mut app);
    press(&mut app, "a");
    press(&mut app, "they are upset about the rollout");
    key(&mut app, KeyCode::Esc);
    clock.advance(12);
    app.tick();
    let text = render(&app, 120, 35);
    let rows: Vec<&str> = text.lines().collect();
    let title = rows
        .iter()
        .position(|l| l.contains("Note on step 1"))
        .unwrap_or_else(|| panic!("{text}"));
    // The step's lines stay whole above it; the note has the rest (status bar aside).
    assert!(rows.len() - 1 - title >= 12, "{title}\n{text}");
    assert!(text.contains("Risk 100 (Critical)"), "{text}");
    assert!(text.contains("0:12 of 30–60 s"), "{text}");
    insta::assert_snapshot!("call_120x35", text);
}

#[test]
fn step_5_says_what_tagging_does_to_the_csm_sentiment_and_wraps_under_its_labels() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, _clock) = setup(&dir);
    start_call(&mut app);
    press(&mut app, "xg");
    let text = render(&app, 80, 24);
    assert!(
        text.contains("Saving changes CSM sentiment Red → Green"),
        "{text}"
    );
    assert!(
        text.contains("│Intervention: Escalation · i: empathy, coaching,"),
        "{text}"
    );
    assert!(
        text.contains("│              escalation, product fix"),
        "{text}"
    );
    insta::assert_snapshot!("call_step5_80x24", text);
    press(&mut app, "r");
    let text = render(&app, 120, 35);
    assert!(
        text.contains("CSM sentiment stays Red since 2026-11-20"),
        "{text}"
    );
    insta::assert_snapshot!("call_step5_120x35", text);
}
