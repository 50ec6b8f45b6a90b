//! The import's own tests: bulk and row-by-row loads compared, new files built aside.

use chrono::NaiveDate;

use super::*;
use crate::domain::FixedClock;
use crate::import::parse_file;

fn clock() -> FixedClock {
    FixedClock::on(NaiveDate::from_ymd_opt(2026, 11, 23).unwrap_or_default())
}

/// Salesforce exports of accounts `from..to` (every tenth a parent of the next nine,
/// the first pointing at a later one, making a loop) and three contacts each (two
/// reporting to the first, one to a manager listed after them), and `extra` rows.
fn files(from: usize, to: usize, title: &str, extra: &str) -> Vec<Parsed> {
    files_with(from, to, title, extra, "")
}

/// `files`, with `extra_accounts` rows at the end of the accounts export.
fn files_with(
    from: usize,
    to: usize,
    title: &str,
    extra: &str,
    extra_accounts: &str,
) -> Vec<Parsed> {
    let (a, c) = texts(from, to, title, extra, extra_accounts);
    vec![
        parse_file("Account.csv", a.as_bytes(), &[]).unwrap(),
        parse_file("Contact.csv", c.as_bytes(), &[]).unwrap(),
    ]
}

/// The text of `files_with`'s accounts and contacts exports.
fn texts(
    from: usize,
    to: usize,
    title: &str,
    extra: &str,
    extra_accounts: &str,
) -> (String, String) {
    let mut a = String::from("Id,Name,ParentId,AnnualRevenue,OwnerId,Industry\n");
    let mut c = String::from("Id,AccountId,FirstName,LastName,Title,ReportsToId,Email\n");
    for i in from..to {
        let parent = match i % 10 {
            0 if i == from => format!("001{:012}", from + 1),
            0 => String::new(),
            _ => format!("001{:012}", i / 10 * 10),
        };
        a.push_str(&format!(
            "001{i:012},Account {i:04},{parent},\"${}\",005{:03},Industry {}\n",
            i * 7919 % 5_000_000,
            i % 4,
            i % 3
        ));
        let p = |k: usize| format!("003{:012}", i * 3 + k);
        c.push_str(&format!(
            "{},001{i:012},Ann,A{i},{title},,a{i}@x.com\n",
            p(0)
        ));
        c.push_str(&format!("{},001{i:012},Bo,B{i},{title},{},\n", p(1), p(2)));
        c.push_str(&format!("{},001{i:012},Cy,C{i},Boss,{},\n", p(2), p(0)));
    }
    c.push_str(extra);
    a.push_str(extra_accounts);
    (a, c)
}

fn import(store: &mut Store, files: &[Parsed], mode: Mode, bulk_min: usize) -> Outcome {
    apply_with(store, files, mode, &clock(), bulk_min, &Silent).unwrap()
}

/// Every row of every table but `meta` and the search index's own, sorted, with ids
/// reduced to their sequence (each file has its own origin).
fn dump(store: &Store) -> Vec<String> {
    let conn = store.conn();
    let tables: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite%'
             AND name <> 'meta' AND name NOT LIKE 'account_names%' ORDER BY name",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    let mut out = Vec::new();
    for t in tables {
        let mut stmt = conn
            .prepare(&format!("SELECT * FROM {}", crate::store::bulk::quoted(&t)))
            .unwrap();
        let n = stmt.column_count();
        let mut rows = stmt.query([]).unwrap();
        let mut lines = Vec::new();
        while let Some(r) = rows.next().unwrap() {
            let cells: Vec<String> = (0..n)
                .map(|i| match r.get::<_, rusqlite::types::Value>(i).unwrap() {
                    rusqlite::types::Value::Integer(v) if v > u32::MAX as i64 => {
                        format!("#{}", v & 0xffff_ffff)
                    }
                    v => format!("{v:?}"),
                })
                .collect();
            lines.push(format!("{t}: {}", cells.join("|")));
        }
        lines.sort();
        out.extend(lines);
    }
    out
}

fn schema(store: &Store) -> Vec<(String, String, Option<String>)> {
    store
        .conn()
        .prepare("SELECT type, name, sql FROM sqlite_schema ORDER BY type, name")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

fn healthy(store: &Store) {
    let report = crate::store::check::run(store.conn()).unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    store
        .conn()
        .execute(
            "INSERT INTO account_names (account_names, rank) VALUES ('integrity-check', 1)",
            [],
        )
        .unwrap();
}

/// Names in `dir` starting with a dot: half-made files left behind.
fn hidden(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect()
}

#[test]
fn a_new_file_is_built_aside_and_named_only_when_kept() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.db");
    let out =
        apply_to_new_file(&path, &files(0, 40, "VP", ""), Mode::AllOrNothing, &clock()).unwrap();
    assert!(out.committed);
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let store = Store::open(&path).unwrap();
    let journal: String = store
        .conn()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(journal, "wal");
    healthy(&store);
    // What an import into an opened empty file gives.
    let mut opened = Store::open(&dir.path().join("opened.db")).unwrap();
    import(
        &mut opened,
        &files(0, 40, "VP", ""),
        Mode::AllOrNothing,
        BULK_MIN,
    );
    assert_eq!(dump(&store), dump(&opened));
    // Not kept (a rejected row, a dry run): no file at all.
    let unknown = "003999999999999,001999999999999,Zed,Z,VP,,\n";
    let never = dir.path().join("never.db");
    let out = apply_to_new_file(
        &never,
        &files(0, 5, "VP", unknown),
        Mode::AllOrNothing,
        &clock(),
    )
    .unwrap();
    assert!(!out.committed && !never.exists());
    let out = apply_to_new_file(&never, &files(0, 5, "VP", ""), Mode::DryRun, &clock()).unwrap();
    assert!(!out.committed && !never.exists());
    // What a crashed import left beside it goes with the next one.
    let orphan = dir.path().join(".never.db.999999999.tmp");
    std::fs::write(&orphan, b"half a database").unwrap();
    apply_to_new_file(&never, &files(0, 5, "VP", ""), Mode::DryRun, &clock()).unwrap();
    assert!(!orphan.exists());
    // A file that appears meanwhile is never replaced.
    let taken = dir.path().join("taken.db");
    std::fs::write(&taken, b"someone else's").unwrap();
    let e = apply_to_new_file(&taken, &files(0, 5, "VP", ""), Mode::AllOrNothing, &clock())
        .unwrap_err()
        .to_string();
    assert!(e.contains("created by something else"), "{e}");
    assert_eq!(std::fs::read(&taken).unwrap(), b"someone else's");
    assert!(hidden(dir.path()).is_empty(), "{:?}", hidden(dir.path()));
}

#[test]
fn a_bulk_load_gives_what_a_row_by_row_load_gives() {
    let dir = tempfile::tempdir().unwrap();
    let mut bulk = Store::open(&dir.path().join("bulk.db")).unwrap();
    let mut rows = Store::open(&dir.path().join("rows.db")).unwrap();
    // Into empty files, then as many again (doubling them: bulk again; one new
    // account listed twice, one getting a persona from an older account), then the
    // same files with changes (that persona moving back), then a few more (row by row
    // in both).
    let steps = [
        files(0, 300, "VP", ""),
        files_with(
            300,
            600,
            "VP",
            "003000000000000,001000000000450,Ann,A0,CEO,,a0@x.com\n",
            "001000000000451,Account 0451 Renamed,,\"$5\",005001,\n",
        ),
        files(0, 600, "CTO", ""),
        files(600, 700, "VP", ""),
    ];
    for f in &steps {
        let a = import(&mut bulk, f, Mode::AllOrNothing, 1);
        let b = import(&mut rows, f, Mode::AllOrNothing, usize::MAX);
        assert!(a.committed && b.committed);
        assert_eq!(
            (a.added, a.updated, a.unchanged),
            (b.added, b.updated, b.unchanged)
        );
        assert_eq!(a.warnings, b.warnings);
        assert_eq!(dump(&bulk), dump(&rows));
        assert_eq!(schema(&bulk), schema(&rows));
        healthy(&bulk);
    }
    assert_eq!(bulk.account_count().unwrap(), 700);
    let loops = import(&mut bulk, &steps[0], Mode::AllOrNothing, 1).warnings;
    assert!(loops.iter().any(|w| w.reason.contains("loop")), "{loops:?}");
}

#[test]
fn after_a_bulk_load_into_an_empty_file_every_index_is_back_and_names_are_found() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("a.db")).unwrap();
    let before = schema(&store);
    let out = import(
        &mut store,
        &files(0, 2500, "VP", ""),
        Mode::AllOrNothing,
        BULK_MIN,
    );
    assert!(out.committed);
    assert_eq!(out.added.personas, 7500);
    assert_eq!(
        schema(&store),
        before,
        "every index and trigger is back as it was"
    );
    healthy(&store);
    let day = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap_or_default();
    let q = crate::store::portfolio::PortfolioQuery {
        sort: crate::store::portfolio::Sort::default(),
        name_contains: "ount 1234".into(),
        quick: Default::default(),
        now: clock().now(),
        today: day,
        stale_after_days: 14,
        owners: None,
    };
    assert_eq!(
        crate::store::portfolio::count_matching(store.conn(), &q, 10).unwrap(),
        1
    );
    let via_index: i64 = store
        .conn()
        .query_row(
            "SELECT count(*) FROM accounts INDEXED BY accounts_by_name
             WHERE name = 'account 2222' COLLATE NOCASE AND archived_at IS NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(via_index, 1);
    // The same files again: found by their CRM ids, nothing added.
    let again = import(
        &mut store,
        &files(0, 2500, "VP", ""),
        Mode::AllOrNothing,
        BULK_MIN,
    );
    assert_eq!(again.added, Counts::default());
    assert_eq!(again.unchanged.personas, 7500);
    assert_eq!(store.account_count().unwrap(), 2500);
}

#[test]
fn summaries_refreshed_together_are_those_refreshed_one_by_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("a.db")).unwrap();
    // A demo has every kind of record: sentiments, signals, touches, follow-ups.
    let opts = crate::demo::DemoOptions {
        accounts: 120,
        ..Default::default()
    };
    crate::demo::generate(&mut store, &opts, &clock()).unwrap();
    // A later day, so that every derived column moves.
    let later = FixedClock::on(NaiveDate::from_ymd_opt(2027, 2, 1).unwrap_or_default());
    let at = AsOf::new(&later);
    let ids: Vec<i64> = store
        .conn()
        .prepare("SELECT id FROM accounts ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    let (some, _) = ids.split_at(ids.len() / 2);
    store
        .write(|tx| refresh_accounts(tx.conn(), some, &at))
        .unwrap();
    let together = dump(&store);
    store
        .write(|tx| {
            for id in some {
                refresh_account(tx.conn(), *id, &at)?;
            }
            Ok(())
        })
        .unwrap();
    assert_eq!(dump(&store), together);
}

#[test]
fn a_bulk_load_that_is_not_kept_leaves_the_file_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("a.db")).unwrap();
    import(&mut store, &files(0, 10, "VP", ""), Mode::AllOrNothing, 1);
    let (schema_before, rows_before) = (schema(&store), dump(&store));
    let bad = "003999999999999,001999999999999,No,Account,,,\n";
    let f = files(10, 400, "VP", bad);
    for mode in [Mode::DryRun, Mode::AllOrNothing] {
        let out = import(&mut store, &f, mode, 1);
        assert!(!out.committed);
        assert_eq!(out.rejected.len(), 1);
        assert_eq!(schema(&store), schema_before);
        assert_eq!(dump(&store), rows_before);
    }
    let kept = import(&mut store, &f, Mode::KeepGood, 1);
    assert!(kept.committed);
    assert_eq!(kept.added.accounts, 390);
    assert_eq!(schema(&store), schema_before);
    healthy(&store);
}

#[test]
fn files_read_in_chunks_give_what_files_parsed_whole_give() {
    let dir = tempfile::tempdir().unwrap();
    let mut streamed = Store::open(&dir.path().join("streamed.db")).unwrap();
    let mut whole = Store::open(&dir.path().join("whole.db")).unwrap();
    // Into an empty file, then more (one contact moving, one account renamed, a contact
    // of an unknown account, an account with a bad amount, a blank line), then the first
    // files with changes: bulk and row by row, managers listed before and after.
    let steps = [
        (0, 300, "VP", "", ""),
        (
            300,
            600,
            "VP",
            "003000000000000,001000000000450,Ann,A0,CEO,,a0@x.com\n\n003999999999999,001999999999999,Zed,Z,CEO,,\n",
            "001000000000451,Account 0451 Renamed,,\"$5\",005001,\n001000000000999,Bad,,\"$x\",005001,\n",
        ),
        (0, 600, "CTO", "", ""),
    ];
    for (k, (from, to, title, extra, extra_accounts)) in steps.into_iter().enumerate() {
        let (a, c) = texts(from, to, title, extra, extra_accounts);
        let mut chunked = Vec::new();
        let mut parsed = Vec::new();
        for (name, text) in [("Account.csv", &a), ("Contact.csv", &c)] {
            let path = dir.path().join(format!("{k}-{name}"));
            std::fs::write(&path, text).unwrap();
            let mut p = crate::import::open_file(&path, name, &[]).unwrap();
            let stream = p
                .stream
                .as_mut()
                .expect("accounts and contacts are streamed");
            stream.chunk = 7;
            assert!(p.accounts.is_empty() && p.contacts.is_empty());
            chunked.push(p);
            parsed.push(parse_file(name, text.as_bytes(), &[]).unwrap());
        }
        assert_eq!(
            chunked.iter().map(Parsed::rows).collect::<Vec<_>>(),
            parsed.iter().map(Parsed::rows).collect::<Vec<_>>()
        );
        let s = import(&mut streamed, &chunked, Mode::KeepGood, 1);
        let w = import(&mut whole, &parsed, Mode::KeepGood, 1);
        assert!(s.committed && w.committed);
        assert_eq!(
            (s.added, s.updated, s.unchanged),
            (w.added, w.updated, w.unchanged)
        );
        assert_eq!(s.rejected, w.rejected);
        assert_eq!(
            s.rejected.len(),
            if k == 1 { 2 } else { 0 },
            "{:?}",
            s.rejected
        );
        assert_eq!(s.warnings, w.warnings);
        assert_eq!(dump(&streamed), dump(&whole));
        healthy(&streamed);
    }
    assert_eq!(streamed.account_count().unwrap(), 600);
}
