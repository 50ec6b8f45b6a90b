//! End to end in tmux: end a call, tag it through the wrap-up form, log an email touch
//! with `l`, look at the queue with `f`; then `attuned followups`, `--json`, the JSON
//! export and the iCalendar export read it all back.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use common::tmux::{BIN, Tmux, demo, export_json, open_command_in};

fn run(args: &[&str], db: &Path) -> String {
    let out = Command::new(BIN)
        .args(args)
        .arg("--db")
        .arg(db)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn a_call_is_tagged_an_email_logged_and_both_are_due() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("book.db");
    demo(&db, 300);
    let tmux = Tmux::start(dir.path(), 120, 35, &open_command_in(dir.path(), &db));
    tmux.wait_for("300 accounts");

    // A call with the defaults, ended at once, tagged Green in the wrap-up form.
    tmux.keys(&["c"]);
    tmux.wait_for("New call with");
    tmux.keys(&["Enter"]);
    tmux.wait_for("ASSESS SIGNALS");
    tmux.keys(&["x"]);
    tmux.wait_for("■ ended");
    tmux.keys(&["g"]);
    tmux.keys(&["Enter"]);
    tmux.wait_for("Wrap-up of the call");
    // An outcome typed into the form.
    tmux.keys(&["Down", "Down", "Down", "Down"]);
    tmux.type_text("Walked through the fix");
    tmux.wait_for("Walked through the fix");
    tmux.keys(&["Enter"]);
    tmux.wait_for("retrospective is pending");

    // An email logged with `l`: Yellow, empathy, in three days, with an action.
    tmux.keys(&["l"]);
    tmux.wait_for("Log a touch");
    tmux.keys(&["y", "Tab", "Right", "Tab", "C-u"]);
    tmux.type_text("+3d");
    tmux.keys(&["Tab"]);
    tmux.type_text("Send the pricing sheet");
    tmux.wait_for("Send the pricing sheet");
    tmux.keys(&["Enter"]);
    tmux.wait_for("logged Yellow");

    // The queue shows it.
    tmux.keys(&["f"]);
    tmux.wait_for("Overdue");
    tmux.wait_for("this week");
    tmux.keys(&["Escape"]);
    tmux.wait_for("300 accounts");
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_until_exited(), "0");
    drop(tmux);

    // The JSON export has both touches with their tags and their follow-ups.
    let json = export_json(&db);
    let touches = json["touches"].as_array().unwrap();
    let followups = json["followups"].as_array().unwrap();
    let mine = followups
        .iter()
        .find(|f| f["action"] == "Send the pricing sheet")
        .expect("the email's follow-up");
    let email = touches
        .iter()
        .find(|t| t["id"] == mine["touch_id"])
        .expect("the logged email");
    assert_eq!(email["kind"], "email");
    assert_eq!(email["sentiment"], "yellow");
    assert_eq!(email["intervention"], "empathy");
    assert_eq!(email["status"], "done");
    let call = touches
        .iter()
        .find(|t| t["kind"] == "call" && t["outcome"] == "Walked through the fix")
        .expect("the tagged call");
    assert_eq!(call["status"], "retro_pending");
    assert_eq!(call["sentiment"], "green");
    assert_eq!(mine["due_on"], email["followup_on"]);
    assert!(followups.iter().any(|f| f["touch_id"] == call["id"]));
    let pulses = json["pulse_history"].as_array().unwrap();
    assert!(
        pulses
            .iter()
            .any(|p| p["touch_id"] == email["id"] && p["pulse"] == "yellow")
    );
    assert!(
        pulses
            .iter()
            .any(|p| p["touch_id"] == call["id"] && p["pulse"] == "green")
    );

    // `attuned followups` says the same, as text and as JSON.
    let text = run(&["followups"], &db);
    assert!(text.contains("Overdue ("), "{text}");
    assert!(text.contains("Send the pricing sheet"), "{text}");
    let due: serde_json::Value = serde_json::from_str(&run(&["followups", "--json"], &db)).unwrap();
    let listed = due["followups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["touch_id"] == email["id"])
        .expect("listed");
    assert_eq!(listed["due_on"], mine["due_on"]);
    assert!(["this_week", "later"].contains(&listed["bucket"].as_str().unwrap()));
    assert!(due["overdue"].as_u64().unwrap() > 0);

    // The calendar file: 0600, CRLF, the follow-up as an all-day event.
    let ics = dir.path().join("due.ics");
    Command::new(BIN)
        .args(["export", "--format", "ics", "--out"])
        .arg(&ics)
        .arg("--db")
        .arg(&db)
        .status()
        .unwrap();
    let mode = std::fs::metadata(&ics).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let cal = std::fs::read_to_string(&ics).unwrap();
    assert!(cal.starts_with("BEGIN:VCALENDAR\r\n"));
    let day = mine["due_on"].as_str().unwrap().replace('-', "");
    assert!(cal.contains(&format!("DTSTART;VALUE=DATE:{day}\r\n")));
    assert!(cal.replace("\r\n ", "").contains("Send the pricing sheet"));
}
