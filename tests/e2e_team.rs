//! End to end, on real data: the Maven CRM sample imported with the binary asks which
//! owner is the user; a team lead's `t` opens the team view with its six managers; Enter on an agent shows their accounts, Esc comes
//! back, q quits.

mod common;

use std::path::Path;
use std::process::Command;

use common::tmux::{BIN, Tmux, open_command, wait_gone};

const MANAGERS: [&str; 6] = [
    "Cara Losch",
    "Celia Rouche",
    "Dustin Brinkmann",
    "Melvin Marxen",
    "Rocco Neubert",
    "Summer Sewald",
];

/// The names of the accounts `agent` owns, read from the file itself.
fn accounts_of(db: &Path, agent: &str) -> Vec<String> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT a.name FROM accounts a JOIN csms c ON c.id = a.owner_csm_id
             WHERE c.name = ?1 AND a.archived_at IS NULL ORDER BY a.name",
        )
        .unwrap();
    stmt.query_map([agent], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

#[test]
fn maven_team_view_drill_into_an_agent_and_back() {
    let Some(d) = common::maven_dir("the team view was not tried on it") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("maven.db");
    let out = Command::new(BIN)
        .arg("import")
        .arg("--db")
        .arg(&db)
        .args(["accounts.csv", "sales_teams.csv", "sales_pipeline.csv"].map(|f| d.join(f)))
        .env("HOME", dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Tall enough for six teams and their agents.
    let tmux = Tmux::start(dir.path(), 120, 60, &open_command(&db));
    // Many owners and nobody said who the user is: asked once; a team lead keeps the
    // team view.
    tmux.wait_for("Which one is you?");
    tmux.keys(&["t"]);
    tmux.wait_for("Team / CSM");
    tmux.wait_for("6 teams");
    for manager in MANAGERS {
        tmux.wait_for(&format!("{manager}'s team"));
    }
    // By name: Cara Losch's team first, Corliss Cosme her first agent.
    tmux.keys(&["s"]);
    tmux.wait_for("by overdue follow-ups");
    tmux.keys(&["s"]);
    tmux.wait_for("by name");
    tmux.keys(&["g"]);
    tmux.keys(&["j"]);
    let screen = tmux.wait_for("▶   Corliss Cosme");
    assert!(screen.contains("Corliss Cosme"), "{screen}");
    let owned = accounts_of(&db, "Corliss Cosme");
    assert!(!owned.is_empty());
    tmux.keys(&["Enter"]);
    tmux.wait_for("Portfolio of Corliss Cosme");
    // Each of the agent's accounts shows (a frame may still be arriving: wait for each).
    for name in &owned {
        tmux.wait_for(name);
    }
    let screen = tmux.wait_for(&format!("{} accounts", owned.len()));
    assert!(screen.contains("Portfolio of Corliss Cosme"), "{screen}");
    tmux.keys(&["Escape"]);
    wait_gone(&tmux, "Portfolio of Corliss Cosme");
    tmux.wait_for("Team / CSM");
    tmux.wait_for("▶   Corliss Cosme");
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_until_exited(), "0");
    assert_eq!(tmux.format("#{alternate_on}"), "0");
}
