//! End to end: open an account in the real binary (tmux), add a persona, change its
//! strength and sentiment with one key each, set the CSM sentiment with a reason against
//! criteria overridden in the config directory, quit, and read it all back with
//! `attuned export --format json`.

mod common;

use attuned::json_id::id_of;
use common::tmux::{Tmux, demo, export_json, first_account_name, open_command_in, wait_gone};

#[test]
fn change_a_persona_and_the_csm_sentiment_then_export() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("book.db");
    demo(&db, 300);
    let name = first_account_name(&db);
    // A team's own criteria, from the config directory.
    let config = dir.path().join("config");
    std::fs::create_dir_all(config.join("attuned")).unwrap();
    std::fs::write(
        config.join("attuned/criteria.toml"),
        "[green]\nsummary = \"Team green: value proven\"\n\
         [yellow]\nsummary = \"Team yellow: watch closely\"\n\
         [red]\nsummary = \"Team red: exec escalation\"\ncriteria = [\"Churn risk named\"]\n",
    )
    .unwrap();
    let tmux = Tmux::start(dir.path(), 120, 35, &open_command_in(dir.path(), &db));
    tmux.wait_for("300 accounts");
    tmux.keys(&["/"]);
    tmux.type_text(&name);
    tmux.wait_for(&format!("Filter: {name}"));
    tmux.keys(&["Enter"]);
    tmux.wait_for("Relationship grid");

    // Add a persona through the form; a new one starts at None and neutral.
    tmux.keys(&["i"]);
    tmux.wait_for("Add persona");
    tmux.type_text("Zed Quinn");
    tmux.keys(&["Enter"]);
    tmux.wait_for("Saved Zed Quinn");
    // One key for strength, one for sentiment.
    tmux.keys(&["+"]);
    tmux.wait_for("Zed Quinn: None neutral → Weak neutral");
    tmux.keys(&["]"]);
    tmux.wait_for("Zed Quinn: Weak neutral → Weak positive");

    // The CSM sentiment, with the team's criteria beside it.
    tmux.keys(&["s"]);
    tmux.wait_for("Set CSM sentiment");
    let screen = tmux.wait_for("Team red: exec escalation");
    assert!(screen.contains("Team green: value proven"), "{screen}");
    // Choose Red whatever the current color: Green → Yellow → Red going down.
    while !tmux.screen().contains("▶ Red") {
        tmux.keys(&["Down"]);
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    tmux.wait_for("Churn risk named");
    tmux.type_text("Sponsor left; quiet since");
    tmux.keys(&["Enter"]);
    tmux.wait_for("CSM sentiment set to Red");
    tmux.keys(&["Escape"]);
    tmux.wait_for("Enter open");
    wait_gone(&tmux, "Relationship grid");
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_until_exited(), "0");

    let json = export_json(&db);
    let persona = json["personas"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Zed Quinn")
        .expect("the new persona is exported");
    assert_eq!(persona["strength"], "weak");
    assert_eq!(persona["sentiment"], "positive");
    let id = id_of(&persona["id"]).unwrap();
    let changes: Vec<(String, String)> = json["persona_changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| id_of(&c["persona_id"]) == Some(id))
        .map(|c| {
            (
                c["strength"].as_str().unwrap().to_string(),
                c["sentiment"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want = [
        ("none", "neutral"),
        ("weak", "neutral"),
        ("weak", "positive"),
    ];
    assert_eq!(
        changes,
        want.map(|(a, b)| (a.to_string(), b.to_string())),
        "every change is in the history"
    );
    let account_id = id_of(&persona["account_id"]).unwrap();
    let latest = json["pulse_history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| id_of(&p["account_id"]) == Some(account_id))
        .max_by_key(|p| id_of(&p["id"]))
        .unwrap();
    assert_eq!(latest["pulse"], "red");
    assert_eq!(latest["reason"], "Sponsor left; quiet since");
    let account = json["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| id_of(&a["id"]) == Some(account_id))
        .unwrap();
    assert_eq!(account["name"].as_str(), Some(name.as_str()));
}

/// `y` on an account puts its brief on the clipboard through the terminal (OSC 52): tmux,
/// with `set-clipboard on`, takes it as a paste buffer, which must be exactly what
/// `attuned export --format md --account` writes.
#[test]
fn y_copies_the_account_brief_through_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("book.db");
    demo(&db, 50);
    let name = first_account_name(&db);
    let tmux = Tmux::start(dir.path(), 120, 35, &open_command_in(dir.path(), &db));
    tmux.run(&["set-option", "-s", "set-clipboard", "on"]);
    tmux.wait_for("50 accounts");
    tmux.keys(&["/"]);
    tmux.type_text(&name);
    tmux.wait_for(&format!("Filter: {name}"));
    tmux.keys(&["Enter"]);
    tmux.wait_for("Relationship grid");
    tmux.keys(&["y"]);
    tmux.wait_for("Brief copied (");
    let out = std::process::Command::new(common::tmux::BIN)
        .args(["export", "--format", "md", "--account", &name, "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let brief = String::from_utf8(out.stdout).unwrap();
    let copied = tmux.run(&["show-buffer"]);
    assert!(brief.contains(&format!("# {name}")), "{brief}");
    assert_eq!(copied.trim_end(), brief.trim_end());
}
