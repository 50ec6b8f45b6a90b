//! Issue 18, "who is me": a CRM export with colleagues' accounts opens on the user's own
//! portfolio once they said which owner they are; the question is asked once, a team
//! lead keeps the team view, and `import --me NAME` answers it for scripts.

mod common;

use std::path::Path;

use attuned::store::Store;
use attuned::store::me::{self, Opening};
use common::cli::attuned;
use common::tmux::{Tmux, open_command};

const COMPANIES: &str = "Record ID,Company name,Company owner\n\
    9001,Initech,Kim Park\n9002,Globex,Kim Park\n9003,Umbrella,Kim Park\n\
    9004,Hooli,Lee Chan\n9005,Vandelay,Lee Chan\n";

fn import(home: &Path, db: &Path, csv: &str, extra: &[&str]) -> std::process::Output {
    let file = home.join(format!("companies-{}.csv", csv.len()));
    std::fs::write(&file, csv).unwrap();
    let mut args = vec![
        "import",
        "--db",
        db.to_str().unwrap(),
        file.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    attuned(home, &args)
}

fn opening(db: &Path) -> Opening {
    me::opening(Store::open(db).unwrap().conn()).unwrap()
}

#[test]
fn several_owners_ask_until_the_user_says_who_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("book.db");
    assert!(import(dir.path(), &db, COMPANIES, &[]).status.success());
    assert_eq!(opening(&db), Opening::Ask);
    let mut store = Store::open(&db).unwrap();
    let owners = me::owners(store.conn()).unwrap();
    let names: Vec<&str> = owners.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["Kim Park", "Lee Chan"]);
    let lee = owners[1].id;
    store.write(|tx| tx.set_me(lee)).unwrap();
    assert_eq!(
        me::opening(store.conn()).unwrap(),
        Opening::Mine {
            id: lee,
            name: "Lee Chan".into()
        }
    );
    // Changing one's mind moves the mark: one "me" at most.
    let kim = owners[0].id;
    store.write(|tx| tx.set_me(kim)).unwrap();
    let marked: i64 = store
        .conn()
        .query_row("SELECT count(*) FROM csms WHERE is_me = 1", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(marked, 1);
    // A team lead's answer is kept too: the team view, not asked again.
    store
        .conn()
        .execute("UPDATE csms SET is_me = 0", [])
        .unwrap();
    store.write(|tx| tx.choose_team_view()).unwrap();
    assert_eq!(me::opening(store.conn()).unwrap(), Opening::Team);
}

/// One colleague's account imported into a CSM's own book (the demo's) does not turn the
/// file into a team view: it opens on the CSM's portfolio.
#[test]
fn one_account_of_a_colleague_does_not_flip_the_file_to_the_team_view() {
    let dir = tempfile::tempdir().unwrap();
    let db = common::cli::demo(dir.path(), "book.db", 20, 7);
    assert_eq!(opening(&db), Opening::All);
    let one = "Record ID,Company name,Company owner\n7001,Stray Co,Someone Else\n";
    let out = import(dir.path(), &db, one, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        matches!(opening(&db), Opening::Mine { .. }),
        "{:?}",
        opening(&db)
    );
    // On screen: the CSM's own portfolio, not the team view (as it was before).
    let app = common::screen::open(Store::open(&db).unwrap(), 100, 30);
    let screen = common::screen::shown(&app, 100, 30);
    assert!(
        screen.contains("Portfolio of") && !screen.contains("Team / CSM"),
        "{screen}"
    );
    assert!(!screen.contains("Stray Co"), "{screen}");
}

#[test]
fn import_me_names_the_user_and_a_typo_imports_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("book.db");
    let out = import(dir.path(), &db, COMPANIES, &["--me", "lee chan"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("me: lee chan"));
    assert!(matches!(opening(&db), Opening::Mine { name, .. } if name == "Lee Chan"));

    let other = dir.path().join("other.db");
    let out = import(dir.path(), &other, COMPANIES, &["--me", "Lea Chan"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no owner named \"Lea Chan\"") && err.contains("Kim Park, Lee Chan"),
        "{err}"
    );
    assert!(!other.exists() || opening(&other) == Opening::All);
}

/// In a real terminal: the question on first open, Enter on a name opens that CSM's
/// portfolio, and the next open goes straight there.
#[test]
fn the_chooser_asks_once_and_opens_the_chosen_portfolio() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("book.db");
    assert!(import(dir.path(), &db, COMPANIES, &[]).status.success());
    let tmux = Tmux::start(dir.path(), 100, 30, &open_command(&db));
    tmux.wait_for("Which one is you?");
    let screen = tmux.wait_for("Lee Chan  2 accounts");
    assert!(screen.contains("Kim Park  3 accounts"), "{screen}");
    tmux.keys(&["j"]);
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("Portfolio of Lee Chan");
    assert!(
        screen.contains("Hooli") && !screen.contains("Initech"),
        "{screen}"
    );
    tmux.keys(&["q"]);
    tmux.wait_until_exited();
    drop(tmux);

    let again = dir.path().join("again");
    std::fs::create_dir_all(&again).unwrap();
    let tmux = Tmux::start(&again, 100, 30, &open_command(&db));
    let screen = tmux.wait_for("Portfolio of Lee Chan");
    assert!(!screen.contains("Which one is you?"), "{screen}");
    // Esc in one's own portfolio stays there; T shows the team.
    tmux.keys(&["Escape"]);
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(
        tmux.screen().contains("Portfolio of Lee Chan"),
        "{}",
        tmux.screen()
    );
    tmux.keys(&["T"]);
    tmux.wait_for("Team / CSM");
    tmux.keys(&["q"]);
    tmux.wait_until_exited();
}

/// The set-up pass is the user's own: once they said who they are, a colleague's
/// accounts are not theirs to value, review or triage.
#[test]
fn the_set_up_pass_counts_only_the_users_own_accounts_once_they_said_who_they_are() {
    use attuned::store::setup;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("book.db");
    assert!(import(dir.path(), &db, COMPANIES, &[]).status.success());
    let mut store = Store::open(&db).unwrap();
    // Nobody said: the whole book.
    assert_eq!(setup::counts(store.conn()).unwrap().accounts, 5);
    assert_eq!(setup::triage_queue(store.conn()).unwrap().len(), 5);
    let lee = me::owners(store.conn()).unwrap()[1].id;
    store.write(|tx| tx.set_me(lee)).unwrap();
    let counts = setup::counts(store.conn()).unwrap();
    assert_eq!(
        (counts.accounts, counts.missing_value, counts.to_triage),
        (2, 2, 2)
    );
    assert_eq!(setup::triage_queue(store.conn()).unwrap().len(), 2);
    assert_eq!(setup::missing_values(store.conn()).unwrap().len(), 2);
}
