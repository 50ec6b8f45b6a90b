//! No control character from the data reaches a terminal: imports store none, and every
//! text output cleans what a file written by anything else still holds.

mod common;

use std::fs;
use std::path::Path;

use common::cli::attuned;
use rusqlite::{Connection, params};

/// What a CRM field can carry: an OSC that retitles the terminal, a clear screen, and a
/// C1 CSI (U+009B) with DEL and NUL for good measure.
const EVIL: &str = "\u{1b}]0;pwned\u{7} \u{1b}[2J\u{9b}31m\u{7f}\u{0}x";

/// Fails on any control character but tab and newline (and CR where `crlf`).
fn assert_clean(what: &str, bytes: &[u8], crlf: bool) {
    let text = std::str::from_utf8(bytes).unwrap_or_else(|e| panic!("{what}: not UTF-8: {e}"));
    for (i, c) in text.char_indices() {
        let allowed = c == '\t' || c == '\n' || (crlf && c == '\r');
        assert!(
            !c.is_control() || allowed,
            "{what}: control character {:?} at byte {i}: {:?}",
            c,
            &text[i.saturating_sub(40)..(i + 10).min(text.len())]
        );
    }
}

fn run(home: &Path, args: &[&str]) -> Vec<u8> {
    let o = attuned(home, args);
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_clean(&format!("{args:?} stderr"), &o.stderr, false);
    o.stdout
}

#[test]
fn an_import_stores_no_control_character() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let db = home.join("a.db");
    let accounts = home.join("Account.csv");
    let contacts = home.join("Contact.csv");
    fs::write(
        &accounts,
        format!("Id,Name,ParentId,AnnualRevenue,OwnerId,Industry\n001A,\"Acme{EVIL}\",,,,Retail\x1b[2J\n"),
    )
    .unwrap();
    fs::write(
        &contacts,
        "Id,AccountId,FirstName,LastName,Title,ReportsToId,Email\n003A,001A,Ann,Lee,\"CFO\x1b]0;pwned\x07\r\nand more\",,ann@acme.com\n",
    )
    .unwrap();
    let out = run(
        home,
        &[
            "import",
            "--db",
            db.to_str().unwrap(),
            accounts.to_str().unwrap(),
            contacts.to_str().unwrap(),
        ],
    );
    assert_clean("import", &out, false);
    let conn = Connection::open(&db).unwrap();
    let (name, industry): (String, String) = conn
        .query_row("SELECT name, industry FROM accounts", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    let title: String = conn
        .query_row("SELECT title FROM personas", [], |r| r.get(0))
        .unwrap();
    for stored in [&name, &industry, &title] {
        assert_clean("stored", stored.as_bytes(), false);
        assert!(!stored.contains('\n'), "{stored:?}");
    }
    assert!(name.starts_with("Acme\u{fffd}]0;pwned\u{fffd}"), "{name:?}");
    assert!(title.contains("pwned"), "{title:?}");
}

#[test]
fn a_file_written_with_escapes_is_shown_clean_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let db = home.join("book.db");
    drop(common::build(&db));
    // Written behind the app's back, as another tool or an old version could.
    let conn = Connection::open(&db).unwrap();
    for sql in [
        "UPDATE accounts SET name = name || ?1, industry = ?1",
        "UPDATE personas SET name = name || ?1, title = ?1, notes = ?1",
        "UPDATE csms SET name = name || ?1",
        "UPDATE followups SET action = action || ?1",
        "UPDATE touches SET summary = ?1, notes = ?1, outcome = ?1",
        "UPDATE pulse_history SET reason = ?1",
    ] {
        conn.execute(sql, params![EVIL]).unwrap();
    }
    let account: i64 = conn
        .query_row(
            "SELECT account_id FROM followups WHERE done_at IS NULL LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    drop(conn);
    let d = db.to_str().unwrap();
    let account = account.to_string();
    for (args, crlf) in [
        (vec!["export", "--db", d, "--format", "md"], false),
        (
            vec!["export", "--db", d, "--format", "md", "--account", &account],
            false,
        ),
        (vec!["export", "--db", d, "--format", "csv"], true),
        (vec!["export", "--db", d, "--format", "ics"], true),
        (vec!["followups", "--db", d], false),
        (vec!["report", "--db", d, "--until", "2026-11"], false),
        (
            vec!["audit", "summary", "--db", d, "--quarter", "2026Q4"],
            false,
        ),
        (vec!["check", "--db", d], false),
    ] {
        let out = run(home, &args);
        assert_clean(&format!("{args:?}"), &out, crlf);
        let text = String::from_utf8_lossy(&out);
        let shown = ["followups", "report"].contains(&args[0])
            || args.contains(&"csv")
            || args.contains(&"ics")
            || args.contains(&"--account");
        if shown {
            assert!(text.contains("pwned"), "{args:?} shows the names: {text}");
        }
    }
    // An error that quotes a name.
    let o = attuned(
        home,
        &["report", "--db", d, "--csm", "\u{1b}]0;pwned\u{7}\u{9b}2J"],
    );
    assert!(!o.status.success());
    assert_clean("error", &o.stderr, false);
}

/// What the workstation's fields write (a paste can hold anything) is stored clean.
#[test]
fn the_workstations_fields_store_no_control_character() {
    use attuned::domain::model::CallType;
    use attuned::store::call::{self, NewCall};
    use attuned::store::persona::PersonaFields;
    use attuned::store::summary::AsOf;

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("book.db");
    let mut store = common::build(&db);
    let account = common::id_of(&store, "accounts", "Halcyon Health");
    let at = AsOf::new(&common::clock());
    let persona = store
        .add_persona(
            account,
            &PersonaFields {
                name: format!("Zed{EVIL}"),
                title: Some(format!("CTO\n{EVIL}")),
                notes: Some(format!("line one\r\nline two{EVIL}")),
                ..PersonaFields::default()
            },
            &at,
        )
        .unwrap();
    let touch = call::start(
        &mut store,
        &NewCall {
            account_id: account,
            call_type: CallType::CheckIn,
            participants: &[persona],
            at: common::now(),
        },
    )
    .unwrap();
    call::save_note(
        &mut store,
        touch,
        1,
        &format!("said{EVIL}\nthen"),
        common::now(),
    )
    .unwrap();
    let conn = store.conn();
    let (name, title, notes): (String, String, String) = conn
        .query_row(
            "SELECT name, title, notes FROM personas WHERE id = ?1",
            [persona],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    let note: String = conn
        .query_row(
            "SELECT note FROM touch_steps WHERE touch_id = ?1 AND step = 1",
            [touch],
            |r| r.get(0),
        )
        .unwrap();
    for line in [&name, &title] {
        assert_clean("one-line field", line.as_bytes(), false);
        assert!(!line.contains('\n'), "{line:?}");
    }
    assert_clean("notes", notes.as_bytes(), false);
    assert_clean("note", note.as_bytes(), false);
    assert!(
        notes.starts_with("line one\nline two\u{fffd}]0;pwned"),
        "{notes:?}"
    );
    assert!(note.ends_with("\nthen"), "{note:?}");
}

#[test]
fn a_json_import_stores_no_control_character() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let db = home.join("j.db");
    let file = home.join("old.json");
    fs::write(
        &file,
        r#"{"schema_version":1,
"accounts":[{"id":"7","name":"Acme\u001b]0;pwned\u0007","segment":"smb","tier":3,"contract_value_cents":1,"created_at":"2026-01-01T00:00:00Z"}],
"personas":[{"id":"8","account_id":"7","name":"Pat\u009b2J","notes":"one\r\ntwo\u001b[2J","role":"champion","strength":"weak","sentiment":"neutral","created_at":"2026-01-01T00:00:00Z"}]}"#,
    )
    .unwrap();
    run(
        home,
        &[
            "import",
            "--db",
            db.to_str().unwrap(),
            file.to_str().unwrap(),
        ],
    );
    let conn = Connection::open(&db).unwrap();
    let (account, persona, notes): (String, String, String) = conn
        .query_row(
            "SELECT a.name, p.name, p.notes FROM accounts a JOIN personas p ON p.account_id = a.id",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    for s in [&account, &persona, &notes] {
        assert_clean("stored", s.as_bytes(), false);
    }
    assert_eq!(account, "Acme\u{fffd}]0;pwned\u{fffd}");
    assert_eq!(notes, "one\ntwo\u{fffd}[2J");
}
