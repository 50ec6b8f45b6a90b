//! End to end: a whole call in a real terminal, from `c` to tagging, with a `kill -9`
//! in the middle of a note and a resume; then the touch read back from the JSON export.

mod common;

use std::process::Command;
use std::time::Duration;

use common::tmux::{Tmux, demo, export_json, open_command_in, wait_gone};

fn calls_with_status(json: &serde_json::Value, status: &str) -> Vec<serde_json::Value> {
    json["touches"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["status"] == status && t["kind"] == "call")
        .cloned()
        .collect()
}

#[test]
fn a_whole_call_survives_kill_9_and_is_tagged() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("book.db");
    demo(&db, 300);
    assert!(calls_with_status(&export_json(&db), "in_progress").is_empty());

    // Start a call on the first account with the defaults: `c`, Enter.
    let first = dir.path().join("first");
    std::fs::create_dir(&first).unwrap();
    let tmux = Tmux::start(&first, 100, 30, &open_command_in(dir.path(), &db));
    tmux.wait_for("300 accounts");
    tmux.keys(&["c"]);
    tmux.wait_for("New call with");
    tmux.keys(&["Enter"]);
    tmux.wait_for("ASSESS SIGNALS");
    tmux.wait_for("● live");
    tmux.wait_for("Signals at a glance");

    // A two-line note on step 1, then more typing; kill -9 as soon as it shows.
    tmux.keys(&["a"]);
    tmux.wait_for("saved as you type");
    tmux.type_text("Tense opening, mentions Zendesk");
    tmux.keys(&["Enter"]);
    tmux.type_text("Wants a fix by Friday: ü ✓");
    tmux.wait_for("Wants a fix by Friday: ü ✓");
    std::thread::sleep(Duration::from_millis(1200));
    tmux.type_text(" last words");
    tmux.wait_for("ü ✓ last words");
    let pid = tmux.app_pid();
    assert!(!pid.is_empty());
    let killed = Command::new("kill").args(["-9", &pid]).status().unwrap();
    assert!(killed.success());
    assert_eq!(tmux.wait_until_exited(), "137");
    drop(tmux);

    // The file holds the call in progress with every character typed.
    let json = export_json(&db);
    let open = calls_with_status(&json, "in_progress");
    assert_eq!(open.len(), 1, "one interrupted call");
    let step1 = &open[0]["steps"][0];
    assert_eq!(step1["step"], 1);
    assert_eq!(
        step1["note"],
        "Tense opening, mentions Zendesk\nWants a fix by Friday: ü ✓ last words"
    );
    let elapsed_before = step1["elapsed_ms"].as_i64().unwrap();
    assert!(elapsed_before >= 1000, "elapsed {elapsed_before}");
    assert!(open[0]["call_type"].is_string());
    assert!(!open[0]["participants"].as_array().unwrap().is_empty());
    // A call kept in progress is a normal state: the file checks healthy.
    common::tmux::run_ok(&["check"], &db);

    // The next start offers to resume it, paused, with the note.
    let second = dir.path().join("second");
    std::fs::create_dir(&second).unwrap();
    let tmux = Tmux::start(&second, 100, 30, &open_command_in(dir.path(), &db));
    tmux.wait_for("A call was interrupted");
    tmux.keys(&["Enter"]);
    tmux.wait_for("paused");
    let screen = tmux.wait_for("ü ✓ last words");
    assert!(screen.contains("ASSESS SIGNALS"), "{screen}");

    // Continue: the clock runs again, go to step 4, write the fix, pick a follow-up.
    tmux.keys(&["Space"]);
    tmux.wait_for("● live");
    tmux.keys(&["n"]);
    tmux.wait_for("MIRROR AND VALIDATE");
    tmux.keys(&["u"]);
    tmux.keys(&["s"]);
    tmux.type_text("they opened with the problem");
    tmux.keys(&["Enter"]);
    tmux.wait_for("CLARIFYING QUESTIONS");
    tmux.keys(&["n"]);
    tmux.wait_for("PROPOSE A FIX");
    tmux.keys(&["a"]);
    tmux.type_text("Remediation session within 48h");
    tmux.wait_for("Remediation session within 48h█");
    tmux.keys(&["Escape"]);
    wait_gone(&tmux, "saved as you type");
    tmux.keys(&["f"]); // +1 week -> +2 weeks
    tmux.wait_for("(+2 weeks)");

    // `x` ends the call and goes to tagging; Enter without a sentiment is refused.
    tmux.keys(&["x"]);
    tmux.wait_for("DOCUMENT");
    tmux.wait_for("■ ended");
    tmux.keys(&["Enter"]);
    tmux.wait_for("Choose the sentiment first");
    tmux.keys(&["y"]);
    tmux.wait_for("Yellow");
    // Enter hands over to the wrap-up form (prefilled); Enter there saves it.
    tmux.keys(&["Enter"]);
    tmux.wait_for("Wrap-up");
    tmux.keys(&["Enter"]);
    tmux.wait_for("retrospective is pending");

    // The pending retrospective is listed from the portfolio.
    tmux.keys(&["R"]);
    tmux.wait_for("waiting for a retrospective");
    tmux.keys(&["Escape"]);
    tmux.wait_for("300 accounts");
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_until_exited(), "0");
    drop(tmux);

    // The touch reads back complete.
    let json = export_json(&db);
    assert!(calls_with_status(&json, "in_progress").is_empty());
    let id = &open[0]["id"];
    let touch = json["touches"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == *id)
        .unwrap()
        .clone();
    assert_eq!(touch["status"], "retro_pending");
    assert_eq!(touch["sentiment"], "yellow");
    assert!(touch["intervention"].is_string());
    assert!(touch["followup_on"].is_string());
    assert!(touch["ended_at"].is_string());
    assert_eq!(touch["outcome"], "Remediation session within 48h");
    let steps = touch["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 6);
    assert_eq!(
        steps[0]["note"],
        "Tense opening, mentions Zendesk\nWants a fix by Friday: ü ✓ last words"
    );
    assert!(steps[0]["elapsed_ms"].as_i64().unwrap() >= elapsed_before);
    assert_eq!(steps[1]["skipped_reason"], "they opened with the problem");
    assert_eq!(steps[3]["note"], "Remediation session within 48h");
    let prompts = touch["prompts"].as_array().unwrap();
    assert!(prompts.iter().any(|p| p["step"] == 1));
    assert!(prompts.iter().any(|p| p["step"] == 2 && p["used"] == true));
    let followup = json["followups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["touch_id"] == *id)
        .expect("the call's follow-up");
    assert_eq!(followup["action"], "Remediation session within 48h");
    assert_eq!(followup["due_on"], touch["followup_on"]);
}

/// `attuned report` (the coaching KPIs) and `check` of the file, as a script sees them.
fn report(db: &std::path::Path) -> String {
    common::tmux::run_ok(&["report"], db)
}

#[test]
fn a_call_started_by_mistake_is_discarded_and_counts_nowhere() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("book.db");
    demo(&db, 50);
    let (touches_before, kpis_before) = (
        export_json(&db)["touches"].as_array().unwrap().len(),
        report(&db),
    );

    let tmux = Tmux::start(dir.path(), 80, 24, &open_command_in(dir.path(), &db));
    tmux.wait_for("50 accounts");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("Recent touches");
    let title = screen
        .lines()
        .find_map(|l| l.split("Recent touches").nth(1))
        .and_then(|rest| rest.split(')').next())
        .unwrap()
        .to_string();
    tmux.keys(&["c"]);
    tmux.wait_for("New call with");
    tmux.keys(&["Enter"]);
    tmux.wait_for("● live");
    tmux.keys(&["a"]);
    tmux.type_text("wrong account");
    tmux.wait_for("wrong account█");
    tmux.keys(&["Escape"]);
    wait_gone(&tmux, "saved as you type");
    tmux.keys(&["D"]);
    tmux.wait_for("Discard this call?");
    tmux.keys(&["D"]);
    tmux.wait_for("Call discarded");
    // Back on the account: its timeline counts what it counted before.
    let screen = tmux.wait_for("Recent touches");
    assert!(screen.contains(&title), "{title}\n{screen}");
    assert!(!screen.contains("in progress"), "{screen}");
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_until_exited(), "0");
    drop(tmux);

    let json = export_json(&db);
    assert!(calls_with_status(&json, "in_progress").is_empty());
    assert_eq!(json["touches"].as_array().unwrap().len(), touches_before);
    assert_eq!(report(&db), kpis_before, "the KPIs do not count it");
    common::tmux::run_ok(&["check"], &db);
}
