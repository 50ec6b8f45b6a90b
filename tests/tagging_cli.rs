//! `attuned followups [--json]` and `attuned export --format ics` on the built binary.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

use attuned::store::summary::AsOf;
use attuned::store::tagging::{self, Tag, Target};

use common::cli::BIN;

fn attuned(db: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .arg("--db")
        .arg(db)
        .env_remove("ATTUNED_DB")
        .output()
        .unwrap()
}

#[test]
fn followups_prints_the_queue_as_text_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("book.db");
    drop(common::build(&db));
    let out = attuned(&db, &["followups"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    // The binary reads the real clock while the fixture is dated: Northwind's follow-up
    // (two days before the fixture's today) is overdue on any later day.
    let overdue = text
        .split_once("Overdue (")
        .map(|(_, rest)| rest)
        .unwrap_or("");
    let overdue = overdue.split("\n\n").next().unwrap_or("");
    assert!(overdue.contains("Northwind Logistics"), "{text}");
    let out = attuned(&db, &["followups", "--json"]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let list = v["followups"].as_array().unwrap();
    assert_eq!(v["open"].as_u64().unwrap(), list.len() as u64);
    for f in list {
        for key in ["id", "account_id", "account", "due_on", "action", "bucket"] {
            assert!(!f[key].is_null(), "{key} in {f}");
        }
    }
    // Only read: a missing file is an error, and nothing is created.
    let missing = dir.path().join("missing.db");
    let out = attuned(&missing, &["followups"]);
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!missing.exists());
}

#[test]
fn ics_export_is_private_and_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("book.db");
    let mut store = common::build(&db);
    let account: i64 = store
        .conn()
        .query_row(
            "SELECT id FROM accounts WHERE name = 'Bluepeak Analytics'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    tagging::save(
        &mut store,
        &Target::Log {
            account_id: account,
            kind: attuned::domain::model::TouchKind::Email,
            participants: vec![],
        },
        &Tag {
            sentiment: attuned::domain::model::Pulse::Yellow,
            intervention: attuned::domain::model::Intervention::Empathy,
            followup_on: common::today().checked_add_days(chrono::Days::new(40)),
            followup_action: "Call back; bring pricing, terms \\ and a long explanation that makes this line longer than seventy-five octets".into(),
            outcome: String::new(),
            notes: String::new(),
            csat: None,
            escalated: false,
        },
        &[],
        &AsOf::new(&common::clock()),
    )
    .unwrap();
    drop(store);
    let ics = dir.path().join("due.ics");
    let out = attuned(
        &db,
        &["export", "--format", "ics", "--out", ics.to_str().unwrap()],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mode = std::fs::metadata(&ics).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let cal = std::fs::read_to_string(&ics).unwrap();
    for line in cal.split("\r\n") {
        assert!(line.len() <= 75, "{line}");
    }
    assert_eq!(
        cal.matches("BEGIN:VEVENT").count(),
        cal.matches("END:VEVENT").count()
    );
    let unfolded = cal.replace("\r\n ", "");
    assert!(
        unfolded.contains(
            "SUMMARY:Bluepeak Analytics: Call back\\; bring pricing\\, terms \\\\ and a long"
        ),
        "{unfolded}"
    );
    assert!(
        unfolded.contains("DTSTART;VALUE=DATE:20270102"),
        "{unfolded}"
    );
    // Standard output works too.
    let out = attuned(&db, &["export", "--format", "ics"]);
    assert!(out.status.success());
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .starts_with("BEGIN:VCALENDAR\r\n")
    );
}
