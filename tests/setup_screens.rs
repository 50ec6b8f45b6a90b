//! The first pass over a freshly imported book: the set-up checklist, the values and
//! renewals table, the role review and the triage pass, driven by keys on the real `App`
//! over a book imported from HubSpot companies and contacts (roles guessed from titles).

mod common;

use std::path::{Path, PathBuf};

use attuned::domain::model::{Role, Strength};
use attuned::store::Store;
use attuned::store::setup;
use attuned::ui::App;
use common::screen::{key, open, press, render, shown};
use crossterm::event::KeyCode;

const COMPANIES: &str = "Record ID,Company name,Company owner\n\
9001,Initech,Kim Park\n\
9002,Globex,Kim Park\n\
9003,Umbrella,Kim Park\n";

/// Initech: two economic buyers and an executive sponsor guessed, a technical lead;
/// Globex: one of each key role it can guess; Umbrella: an admin only.
const CONTACTS: &str = "Record ID,First Name,Last Name,Email,Associated Company,Job Title\n\
501,Bill,Lumbergh,bill@initech.com,Initech,CFO\n\
502,Peter,Gibbons,peter@initech.com,Initech,CTO\n\
503,Ann,Rivers,ann@initech.com,Initech,CEO\n\
504,Carl,Stone,carl@initech.com,Initech,VP Finance\n\
505,Hank,Scorpio,hank@globex.com,Globex,Directeur financier\n\
506,Mia,Lopez,mia@globex.com,Globex,COO\n\
507,Ted,Ng,ted@umbrella.com,Umbrella,IT Manager\n";

/// The book as `attuned import` makes it from the two exports.
fn imported(dir: &Path) -> PathBuf {
    let db = dir.join("book.db");
    let companies = dir.join("companies.csv");
    let contacts = dir.join("contacts.csv");
    std::fs::write(&companies, COMPANIES).unwrap();
    std::fs::write(&contacts, CONTACTS).unwrap();
    let o = common::cli::attuned(
        dir,
        &[
            "import",
            "--db",
            db.to_str().unwrap(),
            companies.to_str().unwrap(),
            contacts.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    db
}

fn app(dir: &Path, width: u16, height: u16) -> App {
    open(Store::open(&imported(dir)).unwrap(), width, height)
}

fn counts(app: &App) -> setup::SetupCounts {
    setup::counts(app.store().conn()).unwrap()
}

fn persona(app: &App, name: &str) -> (Role, bool, Strength) {
    app.store()
        .conn()
        .query_row(
            "SELECT role, role_guessed, strength FROM personas WHERE name = ?1",
            [name],
            |r| {
                let role: String = r.get(0)?;
                let strength: String = r.get(2)?;
                Ok((role.parse().unwrap(), r.get(1)?, strength.parse().unwrap()))
            },
        )
        .unwrap()
}

fn account(app: &App, name: &str) -> (i64, Option<String>, Option<String>) {
    app.store()
        .conn()
        .query_row(
            "SELECT contract_value, renewal_date, pulse FROM accounts WHERE name = ?1",
            [name],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap()
}

#[test]
fn the_portfolio_points_to_the_checklist_which_counts_and_ticks_each_item() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app(dir.path(), 80, 24);
    let text = shown(&app, 80, 24);
    assert!(text.contains("set-up: 3 of 3 to do (b)"), "{text}");
    let c = counts(&app);
    assert_eq!(
        (
            c.accounts,
            c.missing_value,
            c.guessed_roles,
            c.guessed_accounts
        ),
        (3, 3, 7, 3)
    );
    assert_eq!(c.to_triage, 3);
    press(&mut app, "b");
    insta::assert_snapshot!("setup_checklist_80x24", render(&app, 80, 24).backend());
    insta::assert_snapshot!("setup_checklist_120x35", render(&app, 120, 35).backend());
    // The help lists the checklist's keys.
    press(&mut app, "?");
    let help = shown(&app, 80, 24);
    assert!(
        help.contains("Keys on the set-up checklist screen"),
        "{help}"
    );
    assert!(help.contains("Roles: review the guesses"), "{help}");
    key(&mut app, KeyCode::Esc);
    // 2 opens the role review; every guess confirmed, the item ticks.
    press(&mut app, "2");
    for _ in 0..7 {
        key(&mut app, KeyCode::Enter);
    }
    key(&mut app, KeyCode::Esc);
    let text = shown(&app, 80, 24);
    assert!(text.contains("[✓] Roles"), "{text}");
    assert!(text.contains("1 of 3 done"), "{text}");
    key(&mut app, KeyCode::Esc);
    let text = shown(&app, 80, 24);
    assert!(text.contains("set-up: 2 of 3 to do (b)"), "{text}");
}

#[test]
fn the_role_review_confirms_changes_and_skips_with_the_count_left_in_view() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app(dir.path(), 80, 24);
    press(&mut app, "b2");
    let text = shown(&app, 80, 24);
    assert!(text.contains("7 guesses left in 3 accounts"), "{text}");
    insta::assert_snapshot!("role_review_80x24", render(&app, 80, 24).backend());
    insta::assert_snapshot!("role_review_120x35", render(&app, 120, 35).backend());
    // Globex first (by name): Hank the economic buyer confirmed with one key.
    key(&mut app, KeyCode::Enter);
    assert_eq!(
        persona(&app, "Hank Scorpio"),
        (Role::EconomicBuyer, false, Strength::None)
    );
    // Mia (COO, executive sponsor) is the champion: 1.
    press(&mut app, "1");
    assert_eq!(
        persona(&app, "Mia Lopez"),
        (Role::Champion, false, Strength::None)
    );
    // Initech: Ann skipped (stays a guess), Bill confirmed.
    press(&mut app, "n");
    key(&mut app, KeyCode::Enter);
    let (_, ann_guessed, _) = persona(&app, "Ann Rivers");
    assert!(ann_guessed, "a skipped guess stays a guess");
    assert!(!persona(&app, "Bill Lumbergh").1);
    let text = shown(&app, 80, 24);
    assert!(text.contains("4 guesses left in 2 accounts"), "{text}");
    // p goes back to Ann: still a guess, and can be changed there.
    press(&mut app, "pp");
    press(&mut app, "4");
    assert_eq!(persona(&app, "Ann Rivers").0, Role::DecisionMaker);
    assert_eq!(counts(&app).guessed_roles, 3);
}

#[test]
fn the_role_review_never_writes_over_a_role_the_csm_set_meanwhile() {
    let dir = tempfile::tempdir().unwrap();
    let db = imported(dir.path());
    let mut store = Store::open(&db).unwrap();
    let hank: i64 = store
        .conn()
        .query_row(
            "SELECT id FROM personas WHERE name = 'Hank Scorpio'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let at = attuned::store::summary::AsOf::new(&common::clock());
    // The CSM sets Hank's role in the workspace: the pass cannot change it any more.
    store
        .conn()
        .execute(
            "UPDATE personas SET role = 'detractor', role_guessed = 0 WHERE id = ?1",
            [hank],
        )
        .unwrap();
    assert!(!store.settle_role(hank, Role::Champion, &at).unwrap());
    let role: String = store
        .conn()
        .query_row("SELECT role FROM personas WHERE id = ?1", [hank], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(role, "detractor");
}

#[test]
fn the_values_table_moves_like_a_spreadsheet_and_saves_each_cell_as_typed() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app(dir.path(), 80, 24);
    press(&mut app, "b1");
    insta::assert_snapshot!("value_table_80x24", render(&app, 80, 24).backend());
    // Globex's value typed over its cell: Enter saves it and moves down.
    press(&mut app, "85k");
    key(&mut app, KeyCode::Enter);
    assert_eq!(account(&app, "Globex").0, 8_500_000);
    // Initech: Tab to its renewal date, typed; Enter saves.
    key(&mut app, KeyCode::Tab);
    press(&mut app, "2027-03-31");
    key(&mut app, KeyCode::Enter);
    assert_eq!(account(&app, "Initech").1.as_deref(), Some("2027-03-31"));
    // An amount that does not read keeps the editor open and says why; Esc cancels.
    press(&mut app, "kabc");
    key(&mut app, KeyCode::Enter);
    let text = shown(&app, 80, 24);
    assert!(text.contains("is not a date"), "{text}");
    key(&mut app, KeyCode::Esc);
    assert_eq!(account(&app, "Initech").1.as_deref(), Some("2027-03-31"));
    // h back to the value column, Enter edits it prefilled; a short form with M.
    press(&mut app, "h");
    key(&mut app, KeyCode::Enter);
    for _ in 0..20 {
        key(&mut app, KeyCode::Backspace);
    }
    press(&mut app, "1.2M");
    key(&mut app, KeyCode::Enter);
    assert_eq!(account(&app, "Initech").0, 120_000_000);
    insta::assert_snapshot!("value_table_120x35", render(&app, 120, 35).backend());
    let text = shown(&app, 120, 35);
    assert!(text.contains("2 of 3 accounts still without"), "{text}");
    // Risk was recomputed with the value: the summary is current.
    let risk_as_of: Option<String> = app
        .store()
        .conn()
        .query_row(
            "SELECT risk_as_of FROM accounts WHERE name = 'Initech'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(risk_as_of.is_some());
}

#[test]
fn a_50k_paste_into_a_cell_is_refused_whole_and_saves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app(dir.path(), 80, 24);
    press(&mut app, "b1");
    app.paste(&"9".repeat(50_000));
    let text = shown(&app, 80, 24);
    assert!(text.contains("cell is 50000 characters"), "{text}");
    key(&mut app, KeyCode::Enter);
    assert_eq!(account(&app, "Globex").0, 0);
}

#[test]
fn the_green_path_of_the_triage_pass_is_five_keys_an_account() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app(dir.path(), 80, 24);
    press(&mut app, "b3");
    let text = shown(&app, 80, 24);
    assert!(text.contains("Account 1 of 3"), "{text}");
    insta::assert_snapshot!("triage_80x24", render(&app, 80, 24).backend());
    insta::assert_snapshot!("triage_120x35", render(&app, 120, 35).backend());
    // Globex: two key personas. g, a digit each, Enter: four keys.
    let globex = ["g", "3", "4", "\n"];
    // Initech: three key personas (Bill, Carl, Ann): five keys.
    let initech = ["g", "2", "3", "4", "\n"];
    for keys in [&globex[..], &initech[..]] {
        assert!(keys.len() <= 5, "{keys:?}");
        for k in keys {
            match *k {
                "\n" => key(&mut app, KeyCode::Enter),
                c => press(&mut app, c),
            }
        }
    }
    assert_eq!(account(&app, "Globex").2.as_deref(), Some("green"));
    assert_eq!(account(&app, "Initech").2.as_deref(), Some("green"));
    assert_eq!(persona(&app, "Hank Scorpio").2, Strength::Okay);
    assert_eq!(persona(&app, "Mia Lopez").2, Strength::VeryGood);
    assert_eq!(persona(&app, "Bill Lumbergh").2, Strength::Weak);
    assert_eq!(persona(&app, "Carl Stone").2, Strength::Okay);
    assert_eq!(persona(&app, "Ann Rivers").2, Strength::VeryGood);
    let text = shown(&app, 80, 24);
    assert!(text.contains("Account 3 of 3"), "{text}");
    assert!(text.contains("Umbrella"), "{text}");
}

#[test]
fn red_in_the_triage_pass_asks_for_the_reason_the_rule_requires() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app(dir.path(), 80, 24);
    press(&mut app, "b3");
    press(&mut app, "r");
    key(&mut app, KeyCode::Enter);
    let text = shown(&app, 80, 24);
    assert!(text.contains("Red needs a reason"), "{text}");
    assert_eq!(account(&app, "Globex").2, None);
    // Keys type into the reason (g is a letter here, not Green).
    press(&mut app, "budget gone");
    key(&mut app, KeyCode::Enter);
    assert_eq!(account(&app, "Globex").2.as_deref(), Some("red"));
    let reason: String = app
        .store()
        .conn()
        .query_row(
            "SELECT reason FROM pulse_history ORDER BY id DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(reason, "budget gone");
    // Esc drops a Yellow not yet given its reason.
    press(&mut app, "yworr");
    key(&mut app, KeyCode::Esc);
    assert_eq!(account(&app, "Globex").2.as_deref(), Some("red"));
}

#[test]
fn a_read_only_book_refuses_every_set_up_edit_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = imported(dir.path());
    let store = Store::open_read_only(&db).unwrap();
    let mut app = open(store, 80, 24);
    press(&mut app, "b2");
    key(&mut app, KeyCode::Enter);
    assert!(shown(&app, 80, 24).contains("is open read-only"));
    key(&mut app, KeyCode::Esc);
    press(&mut app, "3g");
    assert!(shown(&app, 80, 24).contains("is open read-only"));
    key(&mut app, KeyCode::Esc);
    press(&mut app, "1");
    press(&mut app, "8");
    assert!(shown(&app, 80, 24).contains("is open read-only"));
    // Enter on a cell, and a paste, are refused the same way.
    key(&mut app, KeyCode::Enter);
    assert!(shown(&app, 80, 24).contains("is open read-only"));
    app.paste("85k");
    assert!(shown(&app, 80, 24).contains("is open read-only"));
    assert_eq!(counts(&app).guessed_roles, 7);
    assert_eq!(account(&app, "Globex"), (0, None, None));
}

#[test]
fn a_key_persona_rated_none_is_rated_and_its_account_leaves_the_triage() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app(dir.path(), 80, 24);
    assert_eq!(counts(&app).to_triage, 3);
    press(&mut app, "b3");
    let text = shown(&app, 80, 24);
    assert!(text.contains("not rated"), "{text}");
    // Globex: Green, and "None" for both key personas: the CSM's answer, not a gap.
    press(&mut app, "g11");
    assert_eq!(counts(&app).to_triage, 2);
    let text = shown(&app, 80, 24);
    assert!(!text.contains("not rated"), "{text}");
}

#[test]
fn triage_shows_three_key_personas_at_most_the_champion_first() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&imported(dir.path())).unwrap();
    let conn = store.conn();
    // Initech gets a fourth key persona: Peter, the champion.
    conn.execute(
        "UPDATE personas SET role = 'champion', role_guessed = 0 WHERE name = 'Peter Gibbons'",
        [],
    )
    .unwrap();
    let initech: i64 = conn
        .query_row("SELECT id FROM accounts WHERE name = 'Initech'", [], |r| {
            r.get(0)
        })
        .unwrap();
    let card = setup::triage_card(conn, initech).unwrap();
    let names: Vec<&str> = card.personas.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["Peter Gibbons", "Bill Lumbergh", "Carl Stone"]);
    // Ann, the fourth, is not asked for: rating the three shown clears the account.
    let at = attuned::store::summary::AsOf::new(&common::clock());
    let mut store = store;
    store
        .set_account_pulse(initech, attuned::domain::model::Pulse::Green, None, &at)
        .unwrap();
    for p in &card.personas {
        store
            .change_persona_tie(p.id, Strength::Weak, p.sentiment, None, &at)
            .unwrap();
    }
    let queue = setup::triage_queue(store.conn()).unwrap();
    assert!(!queue.contains(&initech), "{queue:?}");
}

#[test]
fn a_team_file_refuses_the_set_up_edits_of_its_csms_records() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&imported(dir.path())).unwrap();
    store
        .write(|tx| tx.set_meta(attuned::store::merge::TEAM_KEY, "2026-11-20"))
        .unwrap();
    let mut app = open(store, 80, 24);
    // A team file opens on the team view; Esc shows the whole portfolio.
    key(&mut app, KeyCode::Esc);
    press(&mut app, "b1");
    press(&mut app, "8");
    assert!(shown(&app, 80, 24).contains("change only by merging"));
    key(&mut app, KeyCode::Esc);
    press(&mut app, "2");
    key(&mut app, KeyCode::Enter);
    assert!(shown(&app, 80, 24).contains("change only by merging"));
    key(&mut app, KeyCode::Esc);
    press(&mut app, "3g");
    assert!(shown(&app, 80, 24).contains("change only by merging"));
    assert_eq!(counts(&app).guessed_roles, 7);
    assert_eq!(account(&app, "Globex"), (0, None, None));
}

#[test]
fn the_count_left_stays_in_view_down_a_long_review() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app(dir.path(), 80, 12);
    press(&mut app, "b2");
    press(&mut app, "G");
    let text = shown(&app, 80, 12);
    assert!(text.contains("7 guesses left in 3 accounts"), "{text}");
    assert!(text.contains("▶  Ted Ng"), "{text}");
}
