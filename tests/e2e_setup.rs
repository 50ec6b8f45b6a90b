//! End to end in tmux, the first hour with a real book: HubSpot companies, contacts and
//! deals imported; the set-up checklist opened from the portfolio; the guessed roles
//! reviewed; three accounts triaged; then the store read back.

mod common;

use std::path::Path;

use attuned::store::Store;
use chrono::{Duration, Utc};
use common::cli::attuned;
use common::tmux::{Tmux, open_command_in};

const COMPANIES: &str = "Record ID,Company name,Company owner\n\
9001,Initech,Kim Park\n\
9002,Globex,Kim Park\n\
9003,Umbrella,Kim Park\n\
9004,Acme Corp,Kim Park\n";

const CONTACTS: &str = "Record ID,First Name,Last Name,Email,Associated Company,Job Title\n\
501,Bill,Lumbergh,bill@initech.com,Initech,CFO\n\
502,Peter,Gibbons,peter@initech.com,Initech,CTO\n\
503,Ann,Rivers,ann@initech.com,Initech,CEO\n\
505,Hank,Scorpio,hank@globex.com,Globex,Directeur financier\n\
506,Mia,Lopez,mia@globex.com,Globex,COO\n\
507,Ted,Ng,ted@umbrella.com,Umbrella,IT Manager\n\
508,Rosa,Diaz,rosa@acme.com,Acme Corp,Leiterin Einkauf\n";

/// Deals for two of the four companies (dates around today: the rules count the last
/// twelve months).
fn deals() -> String {
    let day = |d: i64| (Utc::now().date_naive() + Duration::days(d)).format("%Y-%m-%d");
    format!(
        "Record ID,Deal Name,Deal Stage,Amount,Close Date,Deal Type,Pipeline,Associated Company\n\
         1,Initech renewal,closedwon,24000,{},Renewal,default,Initech\n\
         2,Initech renewal next year,contractsent,26000,{},Renewal,default,Initech\n\
         3,Globex first deal,closedwon,12000,{},newbusiness,default,Globex\n",
        day(-60),
        day(300),
        day(-30),
    )
}

fn write(dir: &Path, name: &str, body: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, body).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn a_hubspot_book_is_imported_its_roles_reviewed_and_three_accounts_triaged() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("book.db");
    let files = [
        write(dir.path(), "companies.csv", COMPANIES),
        write(dir.path(), "contacts.csv", CONTACTS),
        write(dir.path(), "deals.csv", &deals()),
    ];
    let mut args = vec!["import", "--db", db.to_str().unwrap()];
    args.extend(files.iter().map(String::as_str));
    let o = attuned(dir.path(), &args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    let tmux = Tmux::start(dir.path(), 100, 30, &open_command_in(dir.path(), &db));
    tmux.wait_for("set-up: 3 of 3 to do (b)");
    tmux.keys(&["b"]);
    tmux.wait_for("Set up your book: 4 accounts");
    tmux.wait_for("2 accounts without a contract value");

    // The role review: Hank (Globex's CFO) is made the champion, the others confirmed.
    tmux.keys(&["2"]);
    tmux.wait_for("7 guesses left in 4 accounts");
    tmux.keys(&["Enter"]); // Acme: Rosa, economic buyer, confirmed
    tmux.wait_for("6 guesses left in 3 accounts");
    tmux.keys(&["1"]); // Globex: Hank, champion
    tmux.wait_for("5 guesses left");
    for left in [
        "4 guesses",
        "3 guesses",
        "2 guesses",
        "1 guess ",
        "No guessed role left",
    ] {
        tmux.keys(&["Enter"]);
        tmux.wait_for(left);
    }
    tmux.keys(&["Escape"]);
    tmux.wait_for("[✓] Roles");

    // Triage: three accounts, Green, a digit per key persona, Enter.
    tmux.keys(&["3"]);
    tmux.wait_for("Account 1 of 4");
    tmux.wait_for("Acme Corp");
    tmux.keys(&["g", "3", "Enter"]);
    tmux.wait_for("Account 2 of 4");
    tmux.wait_for("Globex");
    tmux.keys(&["g", "4", "2", "Enter"]);
    tmux.wait_for("Account 3 of 4");
    tmux.keys(&["r"]);
    tmux.wait_for("Red because:");
    tmux.type_text("no exec sponsor left");
    tmux.keys(&["Enter"]);
    tmux.wait_for("Initech: Red");
    tmux.keys(&["2", "1", "Enter"]);
    tmux.wait_for("Account 4 of 4");
    tmux.keys(&["Escape"]);
    tmux.wait_for("1 account to triage");
    tmux.keys(&["Escape"]);
    tmux.wait_for("set-up: 2 of 3 to do (b)");
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_until_exited(), "0");
    drop(tmux);

    let store = Store::open(&db).unwrap();
    let conn = store.conn();
    let one = |sql: &str| -> String { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    let guessed: i64 = conn
        .query_row(
            "SELECT count(*) FROM personas WHERE role_guessed = 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(guessed, 0);
    assert_eq!(
        one("SELECT role FROM personas WHERE name = 'Hank Scorpio'"),
        "champion"
    );
    assert_eq!(
        one("SELECT role FROM personas WHERE name = 'Rosa Diaz'"),
        "economic_buyer"
    );
    let pulses: Vec<(String, String)> = conn
        .prepare("SELECT name, pulse FROM accounts WHERE pulse IS NOT NULL ORDER BY name")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    let pulses: Vec<(&str, &str)> = pulses
        .iter()
        .map(|(a, p)| (a.as_str(), p.as_str()))
        .collect();
    assert_eq!(
        pulses,
        [
            ("Acme Corp", "green"),
            ("Globex", "green"),
            ("Initech", "red")
        ]
    );
    assert_eq!(
        one("SELECT reason FROM pulse_history WHERE pulse = 'red'"),
        "no exec sponsor left"
    );
    for (name, strength) in [
        ("Rosa Diaz", "okay"),
        ("Hank Scorpio", "very_good"),
        ("Mia Lopez", "weak"),
        ("Bill Lumbergh", "weak"),
        ("Ann Rivers", "none"),
    ] {
        let sql = format!("SELECT strength FROM personas WHERE name = '{name}'");
        assert_eq!(one(&sql), strength, "{name}");
    }
    // The deals brought Initech's and Globex's values; the others are still missing.
    let missing: i64 = conn
        .query_row(
            "SELECT count(*) FROM accounts WHERE contract_value = 0 OR renewal_date IS NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(missing, 2);
}
