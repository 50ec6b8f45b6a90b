//! `attuned import` on the built binary: every known format from fixtures written here,
//! re-imports, dry runs, all-or-nothing, messy files, and the Maven CRM sample.

mod common;

use common::cli::attuned;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ok(o: &Output) -> String {
    assert!(o.status.success(), "stderr: {}\nstdout: {}", err(o), out(o));
    out(o)
}

fn write(dir: &Path, name: &str, body: &[u8]) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, body).unwrap();
    p
}

fn import(home: &Path, db: &Path, files: &[&Path], extra: &[&str]) -> Output {
    let mut args = vec!["import", "--db", db.to_str().unwrap()];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    args.extend(extra);
    attuned(home, &args)
}

fn export(home: &Path, db: &Path) -> Value {
    let o = attuned(
        home,
        &["export", "--db", db.to_str().unwrap(), "--format", "json"],
    );
    serde_json::from_slice(ok(&o).as_bytes()).unwrap()
}

fn arr<'a>(v: &'a Value, k: &str) -> &'a Vec<Value> {
    v[k].as_array().unwrap()
}

fn by_name<'a>(v: &'a Value, k: &str, name: &str) -> &'a Value {
    arr(v, k)
        .iter()
        .find(|x| x["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {k}"))
}

const SF_ACCOUNTS: &str = "Id,Name,ParentId,AnnualRevenue,OwnerId,Industry\r\n\
001000000000001AAA,Acme,,\"$2,000,000,000\",005000000000001,Manufacturing\r\n\
001000000000002AAA,Acme Europe,001000000000001AAA,\"$60,000,000.50 \",005000000000001,\r\n";

const SF_CONTACTS: &str = "Id,AccountId,FirstName,LastName,Title,ReportsToId,Email\n\
003000000000001,001000000000001AAA,Ann,Lee,CFO,,ann@acme.com\n\
003000000000002,001000000000001,Bo,Chen,IT Director,003000000000001,bo@acme.com\n";

#[test]
fn salesforce_accounts_and_contacts_and_a_reimport_that_updates() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let db = home.join("a.db");
    let a = write(home, "Account.csv", SF_ACCOUNTS.as_bytes());
    let c = write(home, "Contact.csv", SF_CONTACTS.as_bytes());
    // Contacts named first: the accounts still go in first.
    let text = ok(&import(home, &db, &[&c, &a], &[]));
    assert!(text.contains("added: 2 accounts, 2 personas"), "{text}");
    let j = export(home, &db);
    let acme = by_name(&j, "accounts", "Acme");
    let eu = by_name(&j, "accounts", "Acme Europe");
    assert_eq!(eu["parent_id"], acme["id"]);
    assert_eq!(acme["segment"], "enterprise");
    assert_eq!(eu["segment"], "mid_market");
    assert_eq!(acme["external_ids"][0]["system"], "salesforce");
    assert_eq!(acme["external_ids"][0]["external_id"], "001000000000001");
    let bo = by_name(&j, "personas", "Bo Chen");
    let ann = by_name(&j, "personas", "Ann Lee");
    assert_eq!(bo["reports_to_id"], ann["id"]);
    assert_eq!(bo["strength"], "none");
    assert_eq!(bo["sentiment"], "neutral");
    assert_eq!(bo["account_id"], acme["id"]);
    assert_eq!(acme["summary"]["personas_total"], 2);

    // The same files again: nothing new, nothing changed.
    let text = ok(&import(home, &db, &[&a, &c], &[]));
    assert!(text.contains("added: 0 accounts, 0 personas"), "{text}");
    assert!(text.contains("updated: 0 accounts, 0 personas"), "{text}");
    // A newer export: a new title and a renamed account update in place.
    let c2 = write(
        home,
        "Contact2.csv",
        SF_CONTACTS
            .replace("CFO", "Chief Financial Officer")
            .as_bytes(),
    );
    let a2 = write(
        home,
        "Account2.csv",
        SF_ACCOUNTS.replace("Acme Europe", "Acme EMEA").as_bytes(),
    );
    let text = ok(&import(home, &db, &[&a2, &c2], &[]));
    assert!(text.contains("added: 0 accounts, 0 personas"), "{text}");
    assert!(text.contains("updated: 1 accounts, 1 personas"), "{text}");
    let j = export(home, &db);
    assert_eq!(arr(&j, "accounts").len(), 2);
    assert_eq!(arr(&j, "personas").len(), 2);
    assert_eq!(
        by_name(&j, "personas", "Ann Lee")["title"],
        "Chief Financial Officer"
    );
    by_name(&j, "accounts", "Acme EMEA");
    ok(&attuned(home, &["check", "--db", db.to_str().unwrap()]));
}

#[test]
fn salesforce_report_labels_and_hubspot_exports() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let db = home.join("a.db");
    let labels = write(
        home,
        "report.csv",
        b"Account ID,Account Name,Parent Account ID,Account Owner,Annual Revenue,Industry\n\
          0015000000ABCDE,Globex,,Kim Park,\"1,500,000\",Energy\n",
    );
    let label_contacts = write(
        home,
        "report_contacts.csv",
        b"Contact ID,Account ID,First Name,Last Name,Title,Reports To ID,Email\n\
          0035000000AAAAA,0015000000ABCDE,Hank,Scorpio,CEO,,hank@globex.com\n",
    );
    let companies = write(
        home,
        "hubspot-companies.csv",
        b"Record ID,Company name,Company owner,Annual Revenue,Industry\n\
          9001,Initech,Kim Park,250000000,COMPUTER_SOFTWARE\n",
    );
    let contacts = write(
        home,
        "hubspot-contacts.csv",
        b"Record ID,First Name,Last Name,Email,Associated Company,Job Title,Lead Status\n\
          501,Bill,Lumbergh,bill@initech.com,Initech,VP,Open\n\
          502,Peter,Gibbons,peter@initech.com,initech,Engineer,\n",
    );
    let text = ok(&import(
        home,
        &db,
        &[&labels, &label_contacts, &companies, &contacts],
        &[],
    ));
    assert!(
        text.contains("added: 2 accounts, 3 personas, 1 CSMs"),
        "{text}"
    );
    let j = export(home, &db);
    let initech = by_name(&j, "accounts", "Initech");
    assert_eq!(initech["external_ids"][0]["system"], "hubspot");
    assert_eq!(initech["segment"], "mid_market");
    let globex = by_name(&j, "accounts", "Globex");
    assert_eq!(
        globex["owner_csm_id"], initech["owner_csm_id"],
        "one CSM, Kim Park"
    );
    assert_eq!(
        by_name(&j, "personas", "Peter Gibbons")["account_id"],
        initech["id"]
    );
    assert_eq!(
        by_name(&j, "personas", "Hank Scorpio")["account_id"],
        globex["id"]
    );
}

#[test]
fn other_csvs_need_a_confirmed_mapping_and_a_dry_run_shows_the_guess() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let db = home.join("a.db");
    // BOM, semicolons, CRLF, a quoted newline, stray header spaces, money as typed.
    let f = write(
        home,
        "book.csv",
        "\u{feff} Customer ; ARR ;Renewal Date; Notes \r\n\"Umbrella\r\nCorp\";\"$1,100.04 \";2027-01-31;x\r\nStark;;;\r\n"
            .as_bytes(),
    );
    let o = import(home, &db, &[&f], &[]);
    assert!(!o.status.success());
    let e = err(&o);
    assert_eq!(e.lines().count(), 1, "{e}");
    assert!(e.contains("--map 'Customer=account_name'"), "{e}");
    let text = ok(&import(home, &db, &[&f], &["--dry-run"]));
    assert!(text.contains("guessed mapping"), "{text}");
    assert!(text.contains("would be added: 2 accounts"), "{text}");
    assert!(!db.exists(), "a dry run into a new file leaves no file");
    ok(&import(
        home,
        &db,
        &[&f],
        &[
            "--map",
            "Customer=account_name",
            "--map",
            "ARR=contract_value",
            "--map",
            "Renewal Date=renewal_date",
        ],
    ));
    let j = export(home, &db);
    let u = by_name(&j, "accounts", "Umbrella Corp");
    assert_eq!(u["contract_value_cents"], 110004);
    assert_eq!(u["renewal_date"], "2027-01-31");
    assert_eq!(by_name(&j, "accounts", "Stark")["contract_value_cents"], 0);
}

#[test]
fn rejected_rows_are_listed_and_the_default_is_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let db = home.join("a.db");
    let long = "x".repeat(100_000);
    let body = format!(
        "Account Name,ARR,Tier\nGood One,100,1\n,5,1\nNegative,-5,1\nHuge,\"{long}\",2\nGood Two,\"$2,000\",3\n"
    );
    let f = write(home, "accounts.csv", body.as_bytes());
    let maps = ["--map", "Account Name=account_name"];
    let dry = ok(&import(
        home,
        &db,
        &[&f],
        &[&maps[..], &["--dry-run"]].concat(),
    ));
    assert!(dry.contains("would be added: 2 accounts"), "{dry}");
    let o = import(home, &db, &[&f], &maps);
    assert_eq!(o.status.code(), Some(1));
    let text = out(&o);
    assert!(text.contains("rejected: 3 rows"), "{text}");
    let f_name = f.to_str().unwrap();
    assert!(
        text.contains(&format!("{f_name}:3: no account name")),
        "{text}"
    );
    assert!(
        text.contains(&format!("{f_name}:4: contract value \"-5\" is negative")),
        "{text}"
    );
    assert!(text.contains(&format!("{f_name}:5: ")), "{text}");
    assert_eq!(err(&o).lines().count(), 1);
    assert!(!db.exists(), "all or nothing: not even an empty file");
    let left: Vec<_> = fs::read_dir(home)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().starts_with('.'))
        .collect();
    assert!(left.is_empty(), "no half-made file left behind: {left:?}");
    // Into an existing file, the same import changes nothing in it either.
    let one = write(home, "one.csv", b"Account Name\nKept\n");
    ok(&import(home, &db, &[&one], &maps));
    let o = import(home, &db, &[&f], &maps);
    assert_eq!(o.status.code(), Some(1));
    let names: Vec<Value> = arr(&export(home, &db), "accounts")
        .iter()
        .map(|a| a["name"].clone())
        .collect();
    assert_eq!(names, ["Kept"], "all or nothing");
    let text = ok(&import(
        home,
        &db,
        &[&f],
        &[&maps[..], &["--keep-good"]].concat(),
    ));
    assert!(text.contains("added: 2 accounts"), "{text}");
    assert_eq!(
        by_name(&export(home, &db), "accounts", "Good Two")["contract_value_cents"],
        200000
    );
}

#[test]
fn bytes_that_are_not_utf8_or_not_csv_get_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let db = home.join("a.db");
    let f = write(home, "latin1.csv", b"Name,Industry\nCaf\xe9 Ltd,food\n");
    let o = import(home, &db, &[&f], &[]);
    assert!(!o.status.success());
    let e = err(&o);
    assert_eq!(e.lines().count(), 1, "{e}");
    assert!(e.contains("line 2 is not UTF-8"), "{e}");
    let empty = write(home, "empty.csv", b"");
    let o = import(home, &db, &[&empty], &[]);
    assert!(!o.status.success());
    assert!(err(&o).contains("empty"));
    let o = import(home, &db, &[&home.join("missing.csv")], &[]);
    assert!(!o.status.success());
    assert_eq!(err(&o).lines().count(), 1);
    // Random bytes: never a panic, always a status and at most one stderr line.
    let mut x: u32 = 12345;
    for n in 0..40 {
        let bytes: Vec<u8> = (0..(n * 37 % 500))
            .map(|_| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                ALPHABET[(x >> 16) as usize % ALPHABET.len()]
            })
            .collect();
        let f = write(home, "fuzz.csv", &bytes);
        let o = import(
            home,
            &db,
            &[&f],
            &["--keep-good", "--map", "a=account_name"],
        );
        assert!(o.status.code().is_some(), "killed by a signal");
        assert!(!err(&o).contains("panicked"), "{}", err(&o));
        assert!(err(&o).lines().count() <= 1, "{}", err(&o));
    }
}

const ALPHABET: &[u8] = b"\"a,;\n\r\xff=x1 ";

#[test]
fn the_maven_crm_sample_becomes_a_usable_portfolio() {
    let Some(d) = common::maven_dir("the Maven CRM import was not tested") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let db = home.join("maven.db");
    // Every CSV of the sample, as `attuned import maven-crm/*.csv` passes them: the
    // product list and the data dictionary are recognised and left alone.
    let mut files: Vec<PathBuf> = std::fs::read_dir(&d)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 5, "{files:?}");
    let refs: Vec<&Path> = files.iter().map(|p| p.as_path()).collect();
    let text = ok(&import(home, &db, &refs, &[]));
    assert_eq!(
        text.matches("Maven reference table, nothing in it to import")
            .count(),
        2,
        "{text}"
    );
    assert!(
        text.contains("added: 85 accounts, 0 personas, 41 CSMs"),
        "{text}"
    );
    assert!(text.contains("rejected: 0 rows"), "{text}");
    let j = export(home, &db);
    assert_eq!(arr(&j, "accounts").len(), 85);
    // Agents under their managers.
    let anna = by_name(&j, "csms", "Anna Snelling");
    let dustin = by_name(&j, "csms", "Dustin Brinkmann");
    assert_eq!(anna["team_lead_id"], dustin["id"]);
    assert_eq!(dustin["is_team_lead"], true);
    // Parents, contract values from the won deals, owners, history.
    let codehow = by_name(&j, "accounts", "Codehow");
    let acme = by_name(&j, "accounts", "Acme Corporation");
    assert_eq!(codehow["parent_id"], acme["id"]);
    assert!(codehow["contract_value_cents"].as_i64().unwrap() > 0);
    assert!(codehow["owner_csm_id"].is_string());
    assert!(codehow["renewal_date"].is_string());
    let touches = arr(&j, "touches");
    assert!(touches.len() > 7000, "{}", touches.len());
    // A CSM sentiment per account from its last closed opportunities, of every colour.
    let pulses = arr(&j, "pulse_history");
    assert_eq!(pulses.len(), 85);
    for colour in ["red", "yellow", "green"] {
        assert!(pulses.iter().any(|p| p["pulse"] == colour), "{colour}");
    }
    assert!(touches.iter().all(|t| t["account_id"].is_string()));
    // Again: nothing duplicated.
    let again = ok(&import(home, &db, &refs, &[]));
    assert!(
        again.contains("added: 0 accounts, 0 personas, 0 CSMs, 0 touches"),
        "{again}"
    );
    let again = export(home, &db);
    assert_eq!(arr(&again, "touches").len(), touches.len());
    assert_eq!(arr(&again, "pulse_history").len(), 85);
    ok(&attuned(home, &["check", "--db", db.to_str().unwrap()]));
}

#[test]
fn a_large_import_keeps_the_name_search_index_complete() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let db = home.join("a.db");
    let mut body = String::from("Account ID,Account Name\n");
    for i in 0..2500 {
        body.push_str(&format!("A{i},Zebra{i:05} Ltd\n"));
    }
    let f = write(home, "many.csv", body.as_bytes());
    ok(&import(home, &db, &[&f], &[]));
    let conn = rusqlite::Connection::open(&db).unwrap();
    let n: i64 = conn
        .query_row(
            "SELECT count(*) FROM account_names WHERE account_names MATCH 'ebra01'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 1000, "Zebra01000..Zebra01999");
    let trigger: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND name = 'account_names_insert'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(trigger, 1, "the insert trigger is back");
    conn.execute(
        "INSERT INTO account_names (account_names, rank) VALUES ('integrity-check', 1)",
        [],
    )
    .unwrap();
}

#[test]
fn the_json_export_imports_into_an_empty_database_and_exports_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let a = home.join("a.db");
    let b = home.join("b.db");
    ok(&attuned(
        home,
        &["demo", "--db", a.to_str().unwrap(), "--accounts", "40"],
    ));
    // Give it CRM ids too.
    let f = write(
        home,
        "acc.csv",
        b"Account ID,Account Name\nSF1,Imported Co\n",
    );
    ok(&import(home, &a, &[&f], &[]));
    // And a call's step note and prompt (on a touch the demo ran without the checklist).
    let conn = rusqlite::Connection::open(&a).unwrap();
    conn.execute_batch(
        "INSERT INTO touch_steps (id, touch_id, step, elapsed_ms, note)
             SELECT 99, min(id), 2, 61000, 'mirrored the frustration' FROM touches
             WHERE id NOT IN (SELECT touch_id FROM touch_steps);
         INSERT INTO touch_prompts (id, touch_id, step, prompt_key, shown_at, used)
             SELECT 98, touch_id, 2, 'mirror.1', '2026-01-01T00:00:00Z', 1
             FROM touch_steps WHERE id = 99;",
    )
    .unwrap();
    drop(conn);
    let json = home.join("a.json");
    ok(&attuned(
        home,
        &[
            "export",
            "--db",
            a.to_str().unwrap(),
            "--format",
            "json",
            "--out",
            json.to_str().unwrap(),
        ],
    ));
    let dry = ok(&import(home, &b, &[&json], &["--dry-run"]));
    assert!(dry.contains("dry run"), "{dry}");
    // Like a CSV import's, a dry run into a new file leaves no file at all.
    assert!(!b.exists());
    ok(&import(home, &b, &[&json], &[]));
    let mut first = export(home, &a);
    let mut second = export(home, &b);
    first["exported_at"] = Value::Null;
    second["exported_at"] = Value::Null;
    assert!(
        arr(&first, "touches")
            .iter()
            .any(|t| !t["steps"].as_array().unwrap().is_empty()
                && !t["prompts"].as_array().unwrap().is_empty())
    );
    for k in [
        "csms",
        "accounts",
        "personas",
        "persona_changes",
        "pulse_history",
        "touches",
        "followups",
        "signals",
    ] {
        assert_eq!(first[k], second[k], "{k} differs after the round trip");
    }
    assert_eq!(first, second);
    // Again: updated in place, nothing doubled.
    ok(&import(home, &b, &[&json], &[]));
    let mut third = export(home, &b);
    third["exported_at"] = Value::Null;
    assert_eq!(first, third);
    ok(&attuned(home, &["check", "--db", b.to_str().unwrap()]));
    // A damaged file is one clear line and changes nothing.
    let bad = write(
        home,
        "bad.json",
        b"{\"schema_version\":1,\"accounts\":[{\"id\":1,",
    );
    let o = import(home, &b, &[&bad], &[]);
    assert!(!o.status.success());
    assert_eq!(err(&o).lines().count(), 1, "{}", err(&o));
}

/// Turns every id of an export back into a JSON number, as exports were written before
/// ids became strings.
fn ids_as_numbers(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (k, x) in map.iter_mut() {
                let is_id = k == "id" || (k.ends_with("_id") && k != "external_id");
                if is_id || k == "participants" {
                    let to_number = |x: &mut Value| {
                        if let Some(s) = x.as_str() {
                            *x = Value::from(s.parse::<i64>().unwrap());
                        }
                    };
                    match x {
                        Value::Array(list) => list.iter_mut().for_each(to_number),
                        other => to_number(other),
                    }
                } else {
                    ids_as_numbers(x);
                }
            }
        }
        Value::Array(list) => list.iter_mut().for_each(ids_as_numbers),
        _ => {}
    }
}

#[test]
fn an_export_with_numeric_ids_still_imports() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let a = home.join("a.db");
    let b = home.join("b.db");
    ok(&attuned(
        home,
        &["demo", "--db", a.to_str().unwrap(), "--accounts", "6"],
    ));
    let mut first = export(home, &a);
    let mut old = first.clone();
    ids_as_numbers(&mut old);
    let big = arr(&old, "accounts")[0]["id"].as_i64().unwrap();
    assert!(big.unsigned_abs() > 1 << 53, "{big}");
    let file = write(home, "old.json", old.to_string().as_bytes());
    ok(&import(home, &b, &[&file], &[]));
    let mut second = export(home, &b);
    first["exported_at"] = Value::Null;
    second["exported_at"] = Value::Null;
    assert_eq!(first, second);

    // Two ids a double cannot tell apart (2^53 + 1 and 2^53 + 3) stay two accounts.
    let c = home.join("c.db");
    let fixture = write(
        home,
        "tiny.json",
        br#"{"schema_version":1,
"accounts":[
{"id":9007199254740993,"name":"Odd One","segment":"smb","tier":3,"contract_value_cents":100,"created_at":"2026-01-01T00:00:00Z"},
{"id":9007199254740995,"name":"Odd Two","segment":"smb","tier":3,"contract_value_cents":200,"created_at":"2026-01-01T00:00:00Z"}],
"personas":[
{"id":9007199254740997,"account_id":9007199254740995,"name":"Pat","role":"champion","strength":"weak","sentiment":"neutral","created_at":"2026-01-01T00:00:00Z"}]}"#,
    );
    ok(&import(home, &c, &[&fixture], &[]));
    let j = export(home, &c);
    assert_eq!(by_name(&j, "accounts", "Odd One")["id"], "9007199254740993");
    assert_eq!(by_name(&j, "accounts", "Odd Two")["id"], "9007199254740995");
    assert_eq!(
        by_name(&j, "personas", "Pat")["account_id"],
        "9007199254740995"
    );
}

/// A day `offset` days from the machine's today (the import's "today"), as `fmt` writes it.
fn day(offset: i64, fmt: &str) -> String {
    use chrono::Datelike;
    let d = chrono::Local::now().date_naive() + chrono::Duration::days(offset);
    if fmt == "m/d/Y" {
        return format!("{}/{}/{}", d.month(), d.day(), d.year());
    }
    d.format(fmt).to_string()
}

/// That day a year on, as the export writes dates.
fn a_year_after(offset: i64) -> String {
    use chrono::Months;
    (chrono::Local::now().date_naive() + chrono::Duration::days(offset))
        .checked_add_months(Months::new(12))
        .unwrap()
        .format("%Y-%m-%d")
        .to_string()
}

/// The CRM ids of `entity` records from `system`, sorted.
fn crm_ids(db: &Path, entity: &str, system: &str) -> Vec<String> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT external_id FROM external_ids WHERE entity = ?1 AND system = ?2
             ORDER BY external_id",
        )
        .unwrap();
    stmt.query_map([entity, system], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

const HS_COMPANIES: &str = "Record ID,Company name,Company owner\n\
9001,Initech,Kim Park\n9002,Globex,Kim Park\n9003,Umbrella,Kim Park\n";

const HS_CONTACTS: &str = "Record ID,First Name,Last Name,Email,Associated Company,Job Title\n\
501,Bill,Lumbergh,bill@initech.com,Initech,CFO\n\
502,Peter,Gibbons,peter@initech.com,Initech,CTO\n\
503,Hank,Scorpio,hank@globex.com,Globex,Directeur financier\n\
504,Milton,Waddams,milton@initech.com,Initech,\n";

/// A HubSpot Deals export (HubSpot's own date formats), naming companies by name.
fn hubspot_deals() -> String {
    format!(
        "Record ID,Deal Name,Deal Stage,Amount,Close Date,Deal Type,Pipeline,Associated Company\n\
         1,Initech renewal,closedwon,24000,{} 10:22,Renewal,default,Initech\n\
         2,Initech renewal next year,contractsent,26000,{},Renewal,default,Initech\n\
         3,Globex first deal,closedwon,\"$12,000.00\",{},newbusiness,default,Globex\n\
         4,Globex onboarding,closedwon,5000,{},One-time services,default,Globex\n\
         5,Globex more seats,Closed Won,3000,{},existingbusiness,default,Globex\n\
         6,Globex lost add-on,closedlost,800,{},existingbusiness,default,Globex\n",
        day(-60, "%Y-%m-%d"),
        day(300, "m/d/Y"),
        day(-100, "%Y-%m-%d 09:30"),
        day(-90, "m/d/Y"),
        day(-30, "%Y-%m-%d"),
        day(-20, "%Y-%m-%d"),
    )
}

#[test]
fn a_hubspot_deals_export_becomes_history_contract_values_and_renewals_never_accounts() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let db = home.join("a.db");
    let companies = write(home, "companies.csv", HS_COMPANIES.as_bytes());
    let contacts = write(home, "contacts.csv", HS_CONTACTS.as_bytes());
    let deals = write(home, "deals.csv", hubspot_deals().as_bytes());
    // Named first, the deals still go in after their companies.
    let text = ok(&import(home, &db, &[&deals, &companies, &contacts], &[]));
    assert!(
        text.contains("deals.csv: Opportunities from hubspot"),
        "{text}"
    );
    assert!(
        text.contains("added: 3 accounts, 4 personas, 1 CSMs, 6 touches"),
        "{text}"
    );
    let j = export(home, &db);
    assert_eq!(arr(&j, "accounts").len(), 3, "no account made of a deal");
    let initech = by_name(&j, "accounts", "Initech");
    let globex = by_name(&j, "accounts", "Globex");
    let umbrella = by_name(&j, "accounts", "Umbrella");
    // Initech: the latest won renewal; renewing at the open renewal's close date.
    assert_eq!(initech["contract_value_cents"], 2_400_000);
    assert_eq!(initech["renewal_date"], day(300, "%Y-%m-%d"));
    // Globex: won recurring business of the last 12 months, not the one-time services
    // nor the lost add-on; renewing a year after the last win.
    assert_eq!(globex["contract_value_cents"], 1_500_000);
    assert_eq!(globex["renewal_date"], a_year_after(-30));
    assert_eq!(umbrella["contract_value_cents"], 0);
    assert!(umbrella["renewal_date"].is_null());
    // Every deal in its account's history, with its CRM id.
    let touches = arr(&j, "touches");
    assert_eq!(touches.len(), 6);
    let deal = |id: &str| {
        touches
            .iter()
            .find(|t| {
                t["summary"]
                    .as_str()
                    .unwrap()
                    .starts_with(&format!("Deal {id}:"))
            })
            .unwrap()
    };
    assert_eq!(
        crm_ids(&db, "touch", "hubspot"),
        ["1", "2", "3", "4", "5", "6"]
    );
    let first = deal("1");
    assert_eq!(first["account_id"], initech["id"]);
    assert_eq!(first["outcome"], "won");
    assert_eq!(
        first["summary"],
        "Deal 1: Initech renewal (Renewal) — Closed Won, $24,000"
    );
    assert!(
        first["occurred_at"]
            .as_str()
            .unwrap()
            .starts_with(&day(-60, "%Y-%m-%d"))
    );
    let open = deal("2");
    assert!(
        open["occurred_at"].as_str().unwrap() <= day(0, "%Y-%m-%dT23:59").as_str(),
        "an open deal is never dated in the future: {}",
        open["occurred_at"]
    );
    // Roles from titles, marked as guessed; no title, no guess.
    let role = |n: &str| {
        let p = by_name(&j, "personas", n);
        (
            p["role"].as_str().unwrap().to_string(),
            p["role_guessed"].clone(),
        )
    };
    assert_eq!(
        role("Bill Lumbergh"),
        ("economic_buyer".into(), Value::Bool(true))
    );
    assert_eq!(
        role("Peter Gibbons"),
        ("technical_lead".into(), Value::Bool(true))
    );
    assert_eq!(
        role("Hank Scorpio"),
        ("economic_buyer".into(), Value::Bool(true))
    );
    assert_eq!(role("Milton Waddams"), ("other".into(), Value::Bool(false)));
    assert_eq!(
        initech["summary"]["missing_roles"],
        serde_json::json!(["champion", "executive_sponsor"])
    );

    // Again: updated in place, nothing doubled.
    let again = ok(&import(home, &db, &[&companies, &contacts, &deals], &[]));
    assert!(
        again.contains("added: 0 accounts, 0 personas, 0 CSMs, 0 touches"),
        "{again}"
    );
    assert!(
        again.contains("unchanged: 3 accounts, 4 personas, 1 CSMs, 6 touches"),
        "{again}"
    );
    let j2 = export(home, &db);
    assert_eq!(arr(&j2, "accounts").len(), 3);
    assert_eq!(arr(&j2, "touches").len(), 6);
    // The deals alone, into that file: found by their ids, nothing added.
    let text = ok(&import(home, &db, &[&deals], &[]));
    assert!(
        text.contains("added: 0 accounts, 0 personas, 0 CSMs, 0 touches"),
        "{text}"
    );
    ok(&attuned(home, &["check", "--db", db.to_str().unwrap()]));
}

#[test]
fn hubspot_deals_by_company_id_and_a_deal_whose_company_is_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let db = home.join("a.db");
    let companies = write(home, "companies.csv", HS_COMPANIES.as_bytes());
    let deals = write(
        home,
        "deals.csv",
        format!(
            "Record ID,Deal Name,Deal Stage,Amount,Close Date,Deal Type,Pipeline,Associated Company IDs\n\
             11,Umbrella start,closedwon,1000,{},newbusiness,default,9003\n\
             12,Nobody's,closedwon,1000,{},newbusiness,default,777\n\
             13,No company,appointmentscheduled,1000,{},newbusiness,default,\n",
            day(-10, "%Y-%m-%d"),
            day(-10, "%Y-%m-%d"),
            day(10, "%Y-%m-%d"),
        )
        .as_bytes(),
    );
    let o = import(home, &db, &[&companies, &deals], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    let text = out(&o);
    let f = deals.to_str().unwrap();
    assert!(
        text.contains(&format!(
            "{f}:3: account id \"777\" is neither in this import nor in the database"
        )),
        "{text}"
    );
    assert!(text.contains("skipped on purpose: 1 rows"), "{text}");
    assert!(!db.exists(), "all or nothing");
    ok(&import(home, &db, &[&companies, &deals], &["--keep-good"]));
    let j = export(home, &db);
    let umbrella = by_name(&j, "accounts", "Umbrella");
    assert_eq!(umbrella["contract_value_cents"], 100_000);
    assert_eq!(umbrella["renewal_date"], a_year_after(-10));
    assert_eq!(arr(&j, "touches").len(), 1);
}

#[test]
fn salesforce_opportunities_by_api_names_and_by_report_labels() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let db = home.join("a.db");
    let accounts = write(home, "Account.csv", SF_ACCOUNTS.as_bytes());
    let opps = write(
        home,
        "Opportunity.csv",
        format!(
            "Id,AccountId,Name,StageName,Amount,CloseDate,Type,IsClosed,IsWon,OwnerId\n\
             006000000000001AAA,001000000000001AAA,Acme FY renewal,Closed Won,50000,{},Renewal,true,true,005000000000001\n\
             006000000000002AAA,001000000000001AAA,Acme next renewal,Negotiation/Review,52000,{},Renewal,false,false,005000000000001\n\
             006000000000003AAA,001000000000002AAA,Acme EU start,Closed Won,9000,{},New Customer,true,true,005000000000001\n\
             006000000000004AAA,001000000000002AAA,Acme EU upgrade,Closed Lost,1000,{},Existing Customer - Upgrade,true,false,005000000000001\n",
            day(-200, "%Y-%m-%d"),
            day(165, "%Y-%m-%d"),
            day(-40, "%Y-%m-%d"),
            day(-5, "%Y-%m-%d"),
        )
        .as_bytes(),
    );
    let text = ok(&import(home, &db, &[&accounts, &opps], &[]));
    assert!(
        text.contains("Opportunity.csv: Opportunities from salesforce"),
        "{text}"
    );
    assert!(
        text.contains("added: 2 accounts, 0 personas, 1 CSMs, 4 touches"),
        "{text}"
    );
    let j = export(home, &db);
    let acme = by_name(&j, "accounts", "Acme");
    let eu = by_name(&j, "accounts", "Acme Europe");
    assert_eq!(acme["contract_value_cents"], 5_000_000);
    assert_eq!(acme["renewal_date"], day(165, "%Y-%m-%d"));
    assert_eq!(eu["contract_value_cents"], 900_000);
    assert_eq!(eu["renewal_date"], a_year_after(-40));
    assert_eq!(
        crm_ids(&db, "touch", "salesforce"),
        [
            "006000000000001",
            "006000000000002",
            "006000000000003",
            "006000000000004"
        ]
    );
    let again = ok(&import(home, &db, &[&accounts, &opps], &[]));
    assert!(
        again.contains("added: 0 accounts, 0 personas, 0 CSMs, 0 touches"),
        "{again}"
    );

    // A report with labels, into its own file.
    let db2 = home.join("b.db");
    let label_accounts = write(
        home,
        "report_accounts.csv",
        b"Account ID,Account Name\n0015000000ABCDE,Globex\n",
    );
    let label_opps = write(
        home,
        "report_opps.csv",
        format!(
            "Opportunity ID,Account ID,Opportunity Name,Stage,Amount,Close Date,Type\n\
             0065000000AAAAA,0015000000ABCDE,Globex year one,Closed Won,\"$7,500.00\",{},New Business\n\
             0065000000AAAAB,0015000000ABCDE,Globex training,Closed Won,\"$2,000.00\",{},Services\n",
            day(-15, "%Y-%m-%d"),
            day(-14, "%Y-%m-%d"),
        )
        .as_bytes(),
    );
    ok(&import(home, &db2, &[&label_accounts, &label_opps], &[]));
    let j = export(home, &db2);
    let globex = by_name(&j, "accounts", "Globex");
    assert_eq!(globex["contract_value_cents"], 750_000);
    assert_eq!(globex["renewal_date"], a_year_after(-15));
    assert_eq!(arr(&j, "touches").len(), 2);
}

#[test]
fn a_file_that_could_be_two_kinds_is_refused_and_nothing_is_imported() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let db = home.join("a.db");
    let companies = write(home, "companies.csv", HS_COMPANIES.as_bytes());
    let both = write(
        home,
        "both.csv",
        b"Record ID,First Name,Last Name,Email,Deal Name,Deal Stage,Associated Company\n\
          1,Al,Bo,al@initech.com,Big deal,closedwon,Initech\n",
    );
    let o = import(home, &db, &[&companies, &both], &[]);
    assert_eq!(o.status.code(), Some(1));
    let e = err(&o);
    assert_eq!(e.lines().count(), 1, "{e}");
    assert!(e.contains("both.csv"), "{e}");
    assert!(e.contains("opportunities (deals) and contacts"), "{e}");
    assert!(
        e.contains("headers seen: Record ID, First Name, Last Name, Email, Deal Name, Deal Stage, Associated Company"),
        "{e}"
    );
    assert!(!db.exists(), "nothing imported, not even the companies");
}

#[test]
fn a_role_the_csm_set_survives_a_reimport_and_a_guess_follows_the_title() {
    use attuned::domain::SystemClock;
    use attuned::domain::model::Role;
    use attuned::store::Store;
    use attuned::store::persona::{self, PersonaFields};
    use attuned::store::summary::AsOf;
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let db = home.join("a.db");
    let a = write(home, "Account.csv", SF_ACCOUNTS.as_bytes());
    let c = write(home, "Contact.csv", SF_CONTACTS.as_bytes());
    ok(&import(home, &db, &[&a, &c], &[]));
    let j = export(home, &db);
    let ann = by_name(&j, "personas", "Ann Lee");
    let bo = by_name(&j, "personas", "Bo Chen");
    assert_eq!(
        (ann["role"].as_str(), &ann["role_guessed"]),
        (Some("economic_buyer"), &Value::Bool(true))
    );
    assert_eq!(
        (bo["role"].as_str(), &bo["role_guessed"]),
        (Some("admin"), &Value::Bool(true))
    );
    // The CSM makes Ann the champion in the persona form.
    let ann_id = ann["id"].as_str().unwrap().parse::<i64>().unwrap();
    {
        let mut store = Store::open(&db).unwrap();
        let before = persona::persona(store.conn(), ann_id).unwrap();
        assert!(before.role_guessed);
        let fields = PersonaFields {
            name: before.name.clone(),
            title: before.title.clone(),
            email: before.email.clone(),
            role: Some(Role::Champion),
            role_guessed: false,
            ..PersonaFields::default()
        };
        store
            .edit_persona(ann_id, &fields, None, &AsOf::new(&SystemClock))
            .unwrap();
        let after = persona::persona(store.conn(), ann_id).unwrap();
        assert_eq!((after.role, after.role_guessed), (Role::Champion, false));
    }
    // A newer export: both titles changed. Ann stays the CSM's champion; Bo's guess
    // follows his new title.
    let c2 = write(
        home,
        "Contact2.csv",
        SF_CONTACTS
            .replace("CFO", "VP Finance")
            .replace("IT Director", "CTO")
            .as_bytes(),
    );
    ok(&import(home, &db, &[&a, &c2], &[]));
    let j = export(home, &db);
    let ann = by_name(&j, "personas", "Ann Lee");
    let bo = by_name(&j, "personas", "Bo Chen");
    assert_eq!(
        (ann["role"].as_str(), &ann["role_guessed"]),
        (Some("champion"), &Value::Bool(false))
    );
    assert_eq!(ann["title"], "VP Finance");
    assert_eq!(
        (bo["role"].as_str(), &bo["role_guessed"]),
        (Some("technical_lead"), &Value::Bool(true))
    );
    // The JSON export carries the mark, and brings it back.
    let json = home.join("a.json");
    ok(&attuned(
        home,
        &[
            "export",
            "--db",
            db.to_str().unwrap(),
            "--format",
            "json",
            "--out",
            json.to_str().unwrap(),
        ],
    ));
    let b = home.join("b.db");
    ok(&import(home, &b, &[&json], &[]));
    let jb = export(home, &b);
    assert_eq!(
        by_name(&jb, "personas", "Bo Chen")["role_guessed"],
        Value::Bool(true)
    );
    assert_eq!(
        by_name(&jb, "personas", "Ann Lee")["role_guessed"],
        Value::Bool(false)
    );
    // The Markdown export shows the guess as one.
    let md = ok(&attuned(
        home,
        &[
            "export",
            "--db",
            db.to_str().unwrap(),
            "--format",
            "md",
            "--account",
            "Acme",
        ],
    ));
    assert!(md.contains("| Technical lead? |"), "{md}");
    assert!(md.contains("| Champion |"), "{md}");
}

/// A JSON export whose records contradict each other in ways the schema cannot state (a
/// follow-up on another account's touch, a participant from another account, a contract
/// value no book holds) is refused whole: the file stays as it was and passes `check`.
#[test]
fn a_json_export_that_would_fail_the_check_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let source = home.join("source.db");
    ok(&attuned(
        home,
        &["demo", "--db", source.to_str().unwrap(), "--accounts", "12"],
    ));
    let good = export(home, &source);
    let other_account = |touch: &Value| {
        arr(&good, "touches")
            .iter()
            .find(|t| t["account_id"] != touch["account_id"])
            .unwrap()["id"]
            .clone()
    };
    let mut followup_elsewhere = good.clone();
    {
        let f = &mut followup_elsewhere["followups"][0];
        let own = arr(&good, "touches")
            .iter()
            .find(|t| t["id"] == f["touch_id"])
            .unwrap()
            .clone();
        f["touch_id"] = other_account(&own);
    }
    let mut huge_value = good.clone();
    huge_value["accounts"][0]["contract_value_cents"] = Value::from(7_288_550_082_555_649_876i64);
    for (name, bad, why) in [
        (
            "followup.json",
            followup_elsewhere,
            "follow-ups point at a touch of another account",
        ),
        (
            "value.json",
            huge_value,
            "contract value above $10 trillion",
        ),
    ] {
        let target = home.join(format!("{name}.db"));
        ok(&attuned(
            home,
            &["demo", "--db", target.to_str().unwrap(), "--accounts", "12"],
        ));
        let before = fs::read(&target).unwrap();
        let file = write(home, name, bad.to_string().as_bytes());
        let o = import(home, &target, &[&file], &[]);
        assert!(!o.status.success(), "{name} was accepted");
        assert!(err(&o).contains(why), "{}", err(&o));
        assert_eq!(err(&o).lines().count(), 1, "{}", err(&o));
        assert_eq!(
            fs::read(&target).unwrap(),
            before,
            "{name} changed the file"
        );
        ok(&attuned(home, &["check", "--db", target.to_str().unwrap()]));
    }
}

/// A pipe can be read only once: `<(zcat Contact.csv.gz)` imports like the file, though
/// files on disk are read twice (counted first, then imported as the import goes).
#[test]
fn exports_given_through_pipes_import_like_files() {
    let dir = tempfile::tempdir().unwrap();
    let acc = write(dir.path(), "Account.csv", SF_ACCOUNTS.as_bytes());
    let con = write(dir.path(), "Contact.csv", SF_CONTACTS.as_bytes());
    let (piped, plain) = (dir.path().join("piped.db"), dir.path().join("plain.db"));
    let o = std::process::Command::new("bash")
        .env("HOME", dir.path())
        .args([
            "-c",
            r#"exec "$0" import --db "$1" <(cat "$2") <(cat "$3")"#,
            common::cli::BIN,
        ])
        .args([&piped, &acc, &con])
        .output()
        .unwrap();
    let shown = ok(&o);
    assert!(shown.contains("added: 2 accounts, 2 personas"), "{shown}");
    ok(&import(dir.path(), &plain, &[&acc, &con], &[]));
    // Each file has ids of its own: the people, their titles and managers compared.
    let people = |v: &Value| -> Vec<(Value, Value, bool)> {
        arr(v, "personas")
            .iter()
            .map(|p| {
                (
                    p["name"].clone(),
                    p["title"].clone(),
                    !p["reports_to_id"].is_null(),
                )
            })
            .collect()
    };
    let (a, b) = (export(dir.path(), &piped), export(dir.path(), &plain));
    assert_eq!(arr(&a, "accounts").len(), 2);
    assert_eq!(people(&a), people(&b));
    assert!(people(&a).iter().any(|p| p.2), "{:?}", people(&a));
}
