//! `export --format csv` and `--format md` on the built binary.

mod common;

use common::cli::attuned;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::process::Output;

use rusqlite::Connection;

fn ok(o: &Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn csv_has_every_account_with_formulas_neutralised_and_md_briefs_read_well() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let db = home.join("a.db");
    let d = db.to_str().unwrap();
    ok(&attuned(home, &["demo", "--db", d, "--accounts", "25"]));
    let conn = Connection::open(&db).unwrap();
    conn.execute_batch(
        "UPDATE accounts SET name = '=HYPERLINK(\"http://x\")', industry = '@SUM(1)'
             WHERE id = (SELECT min(id) FROM accounts);
         UPDATE accounts SET name = 'Pipe | Co' WHERE id = (SELECT max(id) FROM accounts);",
    )
    .unwrap();
    drop(conn);

    let out = home.join("accounts.csv");
    ok(&attuned(
        home,
        &[
            "export",
            "--db",
            d,
            "--format",
            "csv",
            "--out",
            out.to_str().unwrap(),
        ],
    ));
    assert_eq!(
        fs::metadata(&out).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let mut r = csv::Reader::from_path(&out).unwrap();
    let headers = r.headers().unwrap().clone();
    assert_eq!(&headers[1], "name");
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
    assert_eq!(rows.len(), 25);
    for row in &rows {
        for cell in row.iter() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "unsafe cell {cell:?}"
            );
        }
    }
    assert!(
        rows.iter()
            .any(|r| &r[1] == "'=HYPERLINK(\"http://x\")" && &r[4] == "'@SUM(1)")
    );
    // Same bytes on stdout.
    let stdout = ok(&attuned(home, &["export", "--db", d, "--format", "csv"]));
    assert_eq!(stdout, fs::read_to_string(&out).unwrap());

    let brief = ok(&attuned(home, &["export", "--db", d, "--format", "md"]));
    assert!(brief.starts_with("# Portfolio brief"), "{brief}");
    assert!(brief.contains("25 accounts"), "{brief}");

    let md_out = home.join("brief.md");
    ok(&attuned(
        home,
        &[
            "export",
            "--db",
            d,
            "--format",
            "md",
            "--account",
            "pipe | co",
            "--out",
            md_out.to_str().unwrap(),
        ],
    ));
    assert_eq!(
        fs::metadata(&md_out).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let text = fs::read_to_string(&md_out).unwrap();
    assert!(text.starts_with("# Pipe \\| Co — account brief"), "{text}");
    for section in [
        "## Relationships",
        "## Recent touches",
        "## Open follow-ups",
        "| Contract value |",
    ] {
        assert!(text.contains(section), "{section} missing in {text}");
    }

    let o = attuned(
        home,
        &[
            "export",
            "--db",
            d,
            "--format",
            "md",
            "--account",
            "no such account at all",
        ],
    );
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("no account matches"), "{err}");
}
