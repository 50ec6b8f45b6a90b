//! The team view: per-CSM figures on a hand-made team file (store), the screen at a few
//! sizes (snapshots), and drilling into a CSM's portfolio and back.

mod common;

use std::path::Path;
use std::sync::Arc;

use attuned::domain::model::{Pulse, Segment, TouchKind};
use attuned::store::Store;
use attuned::store::summary::{self, AsOf};
use attuned::store::team::{self, Figures};
use attuned::store::write::{NewAccount, NewCsm, NewFollowup, NewTouch, Tx};
use attuned::ui::{App, Theme};
use chrono::{DateTime, Duration, Utc};
use common::id_of;
use common::screen::{key, open, press, render, text};
use crossterm::event::KeyCode;
use ratatui::style::Modifier;

fn days_ago(n: i64) -> DateTime<Utc> {
    common::now() - Duration::days(n)
}

fn csm(tx: &Tx<'_>, name: &str, email: Option<&str>, lead: Option<i64>, is_lead: bool) -> i64 {
    tx.insert_csm(
        &NewCsm {
            name,
            email,
            region: None,
            team_lead_id: lead,
            is_team_lead: is_lead,
            is_me: false,
        },
        days_ago(400),
    )
    .unwrap()
}

struct Acct {
    name: &'static str,
    dollars: i64,
    risk: u32,
    /// The CSM sentiment and how many days ago it was set.
    pulse: Option<(Pulse, i64)>,
    /// Open follow-ups, due in this many days (negative: overdue).
    open_due_in: &'static [i64],
    archived: bool,
}

fn account(tx: &Tx<'_>, owner: Option<i64>, a: &Acct) -> i64 {
    let id = tx
        .insert_account(&NewAccount {
            name: a.name,
            segment: Segment::MidMarket,
            tier: 2,
            industry: None,
            contract_value_cents: a.dollars * 100,
            renewal_date: Some(common::today() + Duration::days(200)),
            owner_csm_id: owner,
            parent_id: None,
            created_at: days_ago(500),
        })
        .unwrap();
    if let Some((pulse, ago)) = a.pulse {
        tx.set_pulse(id, pulse, None, days_ago(ago), owner, None)
            .unwrap();
    }
    for due in a.open_due_in {
        followup(tx, id, *due, None);
    }
    if a.archived {
        tx.conn()
            .execute(
                "UPDATE accounts SET archived_at = ?2 WHERE id = ?1",
                (id, attuned::store::timestamp(days_ago(2))),
            )
            .unwrap();
    }
    id
}

/// After the summary refresh: known risk scores, whatever the model would compute.
fn set_risk(tx: &Tx<'_>, id: i64, a: &Acct) {
    tx.conn()
        .execute("UPDATE accounts SET risk = ?2 WHERE id = ?1", (id, a.risk))
        .unwrap();
}

fn followup(tx: &Tx<'_>, account_id: i64, due_in: i64, done: Option<DateTime<Utc>>) {
    tx.insert_followup(&NewFollowup {
        account_id,
        touch_id: None,
        persona_id: None,
        due_on: common::today() + Duration::days(due_in),
        action: "Send the plan",
        created_at: days_ago(20),
        done_at: done,
    })
    .unwrap();
}

fn touch(tx: &Tx<'_>, account_id: i64, by: i64, kind: TouchKind) {
    tx.insert_touch(&NewTouch {
        csm_id: Some(by),
        ..NewTouch::new(account_id, kind, days_ago(5))
    })
    .unwrap();
}

/// Two leads, each present twice (as a team file merged from several CSMs' files holds
/// them: Morgan by email in two cases, Priya by name without email); four CSMs with
/// accounts, one of them without a lead; one CSM with calls only; one idle CSM.
fn build(path: &Path) -> Store {
    let mut store = Store::open(path).unwrap();
    let at = AsOf::new(&common::clock());
    store
        .write(|tx| {
            // A team lead's file: it opens on the team view (`store::me::opening`).
            tx.choose_team_view()?;
            let morgan = csm(tx, "Morgan Lee", Some("morgan@team.example"), None, true);
            let morgan_copy = csm(tx, "Morgan Lee", Some("MORGAN@Team.example"), None, true);
            let priya = csm(tx, "Priya Nair", None, None, true);
            let priya_copy = csm(tx, "priya nair ", None, None, true);
            let ana = csm(
                tx,
                "Ana Ortiz",
                Some("ana@team.example"),
                Some(morgan),
                false,
            );
            let ben = csm(tx, "Ben Cho", None, Some(morgan_copy), false);
            let cleo = csm(tx, "Cleo Park", None, Some(priya_copy), false);
            let dana = csm(tx, "Dana Kim", None, None, false);
            let finn = csm(tx, "Finn Berg", None, None, false);
            csm(tx, "Eve Idle", None, Some(priya), false);
            let mut made = Vec::new();
            let mut add = |owner: Option<i64>, a: Acct| {
                let id = account(tx, owner, &a);
                made.push((id, a));
                id
            };
            let acme = add(
                Some(ana),
                Acct {
                    name: "Acme Freight",
                    dollars: 100_000,
                    risk: 70,
                    pulse: Some((Pulse::Red, 3)),
                    open_due_in: &[-2, 0],
                    archived: false,
                },
            );
            let birch = add(
                Some(ana),
                Acct {
                    name: "Birch Dental",
                    dollars: 50_000,
                    risk: 20,
                    pulse: Some((Pulse::Green, 30)),
                    open_due_in: &[-10],
                    archived: false,
                },
            );
            followup(tx, birch, -5, Some(days_ago(6)));
            let cobalt = add(
                Some(ben),
                Acct {
                    name: "Cobalt Mining",
                    dollars: 200_000,
                    risk: 55,
                    pulse: None,
                    open_due_in: &[],
                    archived: false,
                },
            );
            let dune = add(
                Some(ben),
                Acct {
                    name: "Dune Archive",
                    dollars: 999_000,
                    risk: 90,
                    pulse: Some((Pulse::Red, 1)),
                    open_due_in: &[],
                    archived: true,
                },
            );
            let elm = add(
                Some(cleo),
                Acct {
                    name: "Elm Studios",
                    dollars: 30_000,
                    risk: 10,
                    pulse: Some((Pulse::Yellow, 1)),
                    open_due_in: &[-1, -1],
                    archived: false,
                },
            );
            let fjord = add(
                Some(dana),
                Acct {
                    name: "Fjord Foods",
                    dollars: 10_000,
                    risk: 50,
                    pulse: Some((Pulse::Yellow, 15)),
                    open_due_in: &[],
                    archived: false,
                },
            );
            let grove = add(
                None,
                Acct {
                    name: "Grove Unowned",
                    dollars: 5_000,
                    risk: 0,
                    pulse: None,
                    open_due_in: &[],
                    archived: false,
                },
            );
            touch(tx, acme, ana, TouchKind::Call);
            touch(tx, birch, ana, TouchKind::Call);
            touch(tx, birch, ana, TouchKind::Email);
            touch(tx, cobalt, ben, TouchKind::Call);
            touch(tx, fjord, dana, TouchKind::Call);
            touch(tx, acme, finn, TouchKind::Call);
            let _ = (dune, elm, grove);
            for (id, a) in &made {
                summary::refresh_account(tx.conn(), *id, &at)?;
                set_risk(tx, *id, a);
            }
            Ok(())
        })
        .unwrap();
    store
}

fn dollars(n: i64) -> i64 {
    n * 100
}

#[test]
fn per_csm_figures_subtotals_and_total_add_up() {
    let dir = tempfile::tempdir().unwrap();
    let store = build(&dir.path().join("team.db"));
    let cutoff = attuned::store::portfolio::stale_cutoff(common::now(), 14);
    let o = team::overview(store.conn(), cutoff).unwrap();
    let leads: Vec<Option<&str>> = o.teams.iter().map(|t| t.lead.as_deref()).collect();
    // Each lead once, though each is in the file twice; the CSMs without a lead last.
    assert_eq!(leads, [Some("Morgan Lee"), Some("Priya Nair"), None]);
    assert_eq!(o.teams[0].lead_ids.len(), 2);
    assert_eq!(o.teams[1].lead_ids.len(), 2);
    let names =
        |t: usize| -> Vec<&str> { o.teams[t].members.iter().map(|m| m.name.as_str()).collect() };
    assert_eq!(names(0), ["Ana Ortiz", "Ben Cho"]);
    assert_eq!(names(1), ["Cleo Park"]);
    // Eve owns nothing and touched nothing: not listed.
    assert_eq!(names(2), ["Dana Kim", "Finn Berg"]);

    let ana = Figures {
        accounts: 2,
        contract_value: dollars(150_000),
        value_at_risk: dollars(100_000),
        red: 1,
        yellow: 0,
        green: 1,
        unrated: 0,
        overdue_followups: 2,
        stale: 1,
        calls: 2,
    };
    let ben = Figures {
        accounts: 1,
        contract_value: dollars(200_000),
        value_at_risk: dollars(200_000),
        unrated: 1,
        stale: 1,
        calls: 1,
        ..Figures::default()
    };
    let cleo = Figures {
        accounts: 1,
        contract_value: dollars(30_000),
        yellow: 1,
        overdue_followups: 2,
        ..Figures::default()
    };
    // Exactly at the at-risk score, and set exactly 15 days ago (stale after 14).
    let dana = Figures {
        accounts: 1,
        contract_value: dollars(10_000),
        value_at_risk: dollars(10_000),
        yellow: 1,
        stale: 1,
        calls: 1,
        ..Figures::default()
    };
    let finn = Figures {
        calls: 1,
        ..Figures::default()
    };
    assert_eq!(o.teams[0].members[0].figures, ana);
    assert_eq!(o.teams[0].members[1].figures, ben);
    assert_eq!(o.teams[1].members[0].figures, cleo);
    assert_eq!(o.teams[2].members[0].figures, dana);
    assert_eq!(o.teams[2].members[1].figures, finn);
    let morgan = Figures {
        accounts: 3,
        contract_value: dollars(350_000),
        value_at_risk: dollars(300_000),
        red: 1,
        yellow: 0,
        green: 1,
        unrated: 1,
        overdue_followups: 2,
        stale: 2,
        calls: 3,
    };
    assert_eq!(o.teams[0].subtotal, morgan);
    assert_eq!(o.teams[1].subtotal, cleo);
    assert_eq!(o.teams[2].subtotal, Figures { calls: 2, ..dana });
    assert_eq!(
        o.total,
        Figures {
            accounts: 5,
            contract_value: dollars(390_000),
            value_at_risk: dollars(310_000),
            red: 1,
            yellow: 2,
            green: 1,
            unrated: 1,
            overdue_followups: 4,
            stale: 3,
            calls: 5,
        }
    );
    assert_eq!(o.unowned_accounts, 1);
    assert!(team::has_many_owners(store.conn()).unwrap());
}

#[test]
fn a_csm_portfolio_has_that_csm_totals_and_only_their_accounts() {
    use attuned::store::portfolio::{
        self, Direction, PortfolioQuery, QuickFilters, Sort, SortColumn,
    };
    let dir = tempfile::tempdir().unwrap();
    let store = build(&dir.path().join("team.db"));
    let cutoff = attuned::store::portfolio::stale_cutoff(common::now(), 14);
    let o = team::overview(store.conn(), cutoff).unwrap();
    let ana = o.teams[0].members[0].id;
    let q = PortfolioQuery {
        sort: Sort {
            column: SortColumn::Name,
            descending: false,
        },
        name_contains: String::new(),
        quick: QuickFilters::default(),
        now: common::now(),
        today: common::today(),
        stale_after_days: 14,
        owners: Some(vec![ana]),
    };
    let rows = portfolio::page(store.conn(), &q, None, Direction::Forward, 10).unwrap();
    let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["Acme Freight", "Birch Dental"]);
    let t = portfolio::totals_for(store.conn(), &q).unwrap();
    assert_eq!(
        (t.accounts, t.contract_value, t.value_at_risk),
        (2, dollars(150_000), dollars(100_000))
    );
    assert_eq!((t.red, t.yellow, t.green, t.unrated), (1, 0, 1, 0));
    assert_eq!((t.followups_overdue, t.followups_due_today), (2, 1));
    // The stale quick filter agrees with the team view's count.
    let stale = PortfolioQuery {
        quick: QuickFilters {
            stale: true,
            ..QuickFilters::default()
        },
        ..q.clone()
    };
    assert_eq!(
        portfolio::count_matching(store.conn(), &stale, 100).unwrap(),
        1
    );
    // A team's portfolio: both of Morgan's CSMs.
    let team_q = PortfolioQuery {
        owners: Some(o.teams[0].member_ids()),
        ..q.clone()
    };
    let rows = portfolio::page(store.conn(), &team_q, None, Direction::Forward, 10).unwrap();
    assert_eq!(rows.len(), 3);
    // Backward from the bottom walks the same rows.
    let back = portfolio::page(store.conn(), &team_q, None, Direction::Backward, 10).unwrap();
    assert_eq!(
        back.iter().map(|r| r.id).collect::<Vec<_>>(),
        rows.iter().map(|r| r.id).collect::<Vec<_>>()
    );
}

fn app(dir: &tempfile::TempDir, width: u16, height: u16) -> App {
    let store = build(&dir.path().join("team.db"));
    open(store, width, height)
}

#[test]
fn a_team_file_opens_on_the_team_view_at_80x24() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(&dir, 80, 24);
    insta::assert_snapshot!(render(&app, 80, 24).backend());
}

#[test]
fn team_view_at_120x40() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(&dir, 120, 40);
    insta::assert_snapshot!(render(&app, 120, 40).backend());
}

#[test]
fn team_view_at_the_smallest_size_and_below() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(&dir, 40, 10);
    for w in 1..60 {
        for h in 1..14 {
            render(&app, w, h);
        }
    }
    insta::assert_snapshot!("team_view_40x10", render(&app, 40, 10).backend());
    insta::assert_snapshot!("team_view_30x6", render(&app, 30, 6).backend());
}

#[test]
fn the_selection_is_marked_without_color() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app(&dir, 80, 24);
    key(&mut app, KeyCode::Down);
    let t = render(&app, 80, 24);
    let buf = t.backend().buffer();
    // Title, summary line and column headers; then Morgan's team, then Ana (selected
    // after one move down, by value at risk: Ben first).
    let row = 4;
    assert_eq!(buf[(0, row)].symbol(), "▶");
    assert!(buf[(2, row)].modifier.contains(Modifier::REVERSED));
    assert!(buf[(2, row)].modifier.contains(Modifier::BOLD));
    assert!(!buf[(2, row + 1)].modifier.contains(Modifier::REVERSED));
    let screen = text(&t);
    let line: String = screen.lines().nth(row as usize).unwrap().to_string();
    assert!(line.contains("Ben Cho"), "{line}");
}

#[test]
fn sorting_cycles_through_value_at_risk_overdue_and_name() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app(&dir, 100, 30);
    let order = |app: &App| -> Vec<String> {
        text(&render(app, 100, 30))
            .lines()
            .filter(|l| l.contains("team (") || l.contains("No team lead ("))
            .map(|l| {
                l.trim_matches(['│', ' ', '"'])
                    .split("  ")
                    .next()
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    assert!(text(&render(&app, 100, 30)).contains("by value at risk"));
    let by_risk = order(&app);
    assert!(by_risk[0].contains("Morgan"), "{by_risk:?}");
    press(&mut app, "s");
    let screen = text(&render(&app, 100, 30));
    assert!(screen.contains("by overdue follow-ups"), "{screen}");
    press(&mut app, "s");
    let screen = text(&render(&app, 100, 30));
    assert!(screen.contains("by name"), "{screen}");
    let by_name = order(&app);
    assert!(
        by_name[0].contains("Morgan") && by_name[1].contains("Priya"),
        "{by_name:?}"
    );
    assert!(by_name[2].contains("No team lead"), "{by_name:?}");
}

#[test]
fn enter_on_a_csm_shows_only_their_accounts_and_esc_comes_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app(&dir, 100, 30);
    // By value at risk: Morgan's team, Ben, Ana.
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Enter);
    let screen = text(&render(&app, 100, 30));
    assert!(screen.contains("Portfolio of Ana Ortiz"), "{screen}");
    assert!(screen.contains("2 accounts"), "{screen}");
    assert!(screen.contains("Acme Freight") && screen.contains("Birch Dental"));
    for other in ["Cobalt", "Elm Studios", "Fjord", "Grove"] {
        assert!(!screen.contains(other), "{other} shown:\n{screen}");
    }
    // The usual keys work: the at-risk quick filter narrows to Acme.
    press(&mut app, "1");
    let screen = text(&render(&app, 100, 30));
    assert!(screen.contains("Acme Freight") && !screen.contains("Birch Dental"));
    // Esc clears the filter first, then goes back to the team view.
    key(&mut app, KeyCode::Esc);
    let screen = text(&render(&app, 100, 30));
    assert!(screen.contains("Birch Dental"), "{screen}");
    key(&mut app, KeyCode::Esc);
    let screen = text(&render(&app, 100, 30));
    assert!(screen.contains("Team / CSM"), "{screen}");
    // Still on Ana.
    assert!(
        screen
            .lines()
            .any(|l| l.contains("▶") && l.contains("Ana Ortiz")),
        "{screen}"
    );
}

#[test]
fn enter_on_a_team_shows_the_whole_team_and_an_account_opens_as_usual() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app(&dir, 100, 30);
    key(&mut app, KeyCode::Enter);
    let screen = text(&render(&app, 100, 30));
    assert!(
        screen.contains("Portfolio of Morgan Lee's team"),
        "{screen}"
    );
    assert!(screen.contains("3 accounts"), "{screen}");
    assert!(screen.contains("Cobalt Mining") && screen.contains("Acme Freight"));
    key(&mut app, KeyCode::Enter);
    let screen = text(&render(&app, 100, 30));
    assert!(
        screen.contains("Portfolio of Morgan Lee's team › "),
        "{screen}"
    );
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Esc);
    let screen = text(&render(&app, 100, 30));
    assert!(screen.contains("Team / CSM"), "{screen}");
    // Esc on the team view: every account; T comes back.
    key(&mut app, KeyCode::Esc);
    let screen = text(&render(&app, 100, 30));
    assert!(screen.contains("6 accounts"), "{screen}");
    press(&mut app, "T");
    let screen = text(&render(&app, 100, 30));
    assert!(screen.contains("Team / CSM"), "{screen}");
}

#[test]
fn a_one_csm_file_still_opens_on_the_portfolio() {
    let dir = tempfile::tempdir().unwrap();
    let store = common::build(&dir.path().join("book.db"));
    let mut app = open(store, 100, 30);
    let screen = text(&render(&app, 100, 30));
    assert!(screen.contains("4 accounts") && !screen.contains("Team / CSM"));
    press(&mut app, "T");
    let screen = text(&render(&app, 100, 30));
    assert!(screen.contains("Alex Morgan"), "{screen}");
    assert!(screen.contains("No team lead"), "{screen}");
    // One CSM reads as one, not "1 CSMs".
    assert!(screen.contains("0 teams · 1 CSM · 4 accounts"), "{screen}");
}

#[test]
fn a_read_only_team_file_browses_the_team_view() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("team.db");
    drop(build(&path));
    let store = Store::open_read_only(&path).unwrap();
    let mut app = open(store, 100, 30);
    let screen = text(&render(&app, 100, 30));
    assert!(screen.contains("Morgan Lee's team"), "{screen}");
    key(&mut app, KeyCode::Enter);
    let screen = text(&render(&app, 100, 30));
    assert!(
        screen.contains("Portfolio of Morgan Lee's team"),
        "{screen}"
    );
}

/// Timings on a big file (not run by default): `ATTUNED_BIG_DB=/tmp/big.db cargo test
/// --release --test team_screens -- --ignored --nocapture`. Prints the team view's read
/// and a portfolio's first page with and without an owner filter.
#[test]
#[ignore]
fn timings_on_a_big_file() {
    use attuned::store::portfolio::{
        self, Direction, PortfolioQuery, QuickFilters, Sort, SortColumn,
    };
    use std::time::Instant;
    let Some(path) = std::env::var_os("ATTUNED_BIG_DB") else {
        common::missing("ATTUNED_BIG_DB is not set", "the timings were not taken");
        return;
    };
    for _ in 0..3 {
        let t = Instant::now();
        let store = Store::open(Path::new(&path)).unwrap();
        let opened = t.elapsed();
        let app = App::new(
            store,
            Arc::new(attuned::domain::SystemClock),
            Theme::plain(),
            (120, 40),
        )
        .unwrap();
        let frame = Instant::now();
        render(&app, 120, 40);
        println!(
            "open {opened:.2?}, first screen read {:.2?}, drawn {:.2?}",
            frame - t - opened,
            frame.elapsed()
        );
    }
    let store = Store::open(Path::new(&path)).unwrap();
    let conn = store.conn();
    let now = Utc::now();
    let today = now.date_naive();
    let best = |label: &str, f: &mut dyn FnMut()| {
        let mut times = Vec::new();
        for _ in 0..5 {
            let t = Instant::now();
            f();
            times.push(t.elapsed());
        }
        let first = times[0];
        times.sort();
        println!("{label:<52} first {first:>10.2?}  best {:>10.2?}", times[0]);
    };
    let cutoff = attuned::store::portfolio::stale_cutoff(now, 14);
    let mut o = team::Overview::default();
    best("team overview", &mut || {
        o = team::overview(conn, cutoff).unwrap();
    });
    println!(
        "  {} teams, {} CSMs, {} accounts",
        o.teams.len(),
        o.csm_count(),
        o.total.accounts
    );
    let biggest_team = o.teams.iter().max_by_key(|t| t.subtotal.accounts).unwrap();
    let one = biggest_team
        .members
        .iter()
        .max_by_key(|m| m.figures.accounts)
        .unwrap();
    let base = PortfolioQuery {
        sort: Sort::default(),
        name_contains: String::new(),
        quick: QuickFilters::default(),
        now,
        today,
        stale_after_days: 14,
        owners: None,
    };
    let cases: Vec<(String, PortfolioQuery)> = vec![
        ("all accounts, by risk".into(), base.clone()),
        (
            format!("one CSM ({} accounts), by risk", one.figures.accounts),
            PortfolioQuery {
                owners: Some(vec![one.id]),
                ..base.clone()
            },
        ),
        (
            "one CSM, by name".to_string(),
            PortfolioQuery {
                owners: Some(vec![one.id]),
                sort: Sort {
                    column: SortColumn::Name,
                    descending: false,
                },
                ..base.clone()
            },
        ),
        (
            "one CSM, stale + overdue".into(),
            PortfolioQuery {
                owners: Some(vec![one.id]),
                quick: QuickFilters {
                    stale: true,
                    overdue: true,
                    ..QuickFilters::default()
                },
                ..base.clone()
            },
        ),
        (
            format!(
                "one team ({} accounts), by risk",
                biggest_team.subtotal.accounts
            ),
            PortfolioQuery {
                owners: Some(biggest_team.member_ids()),
                ..base.clone()
            },
        ),
        (
            "one team, overdue".into(),
            PortfolioQuery {
                owners: Some(biggest_team.member_ids()),
                quick: QuickFilters {
                    overdue: true,
                    ..QuickFilters::default()
                },
                ..base.clone()
            },
        ),
    ];
    for (label, q) in &cases {
        best(&format!("first page: {label}"), &mut || {
            let rows = portfolio::page(conn, q, None, Direction::Forward, 40).unwrap();
            assert!(!rows.is_empty());
        });
        best(&format!("totals: {label}"), &mut || {
            portfolio::totals_for(conn, q).unwrap();
        });
    }
}

/// A file older than schema V4 opened read-only is not migrated: the team view and a
/// CSM's portfolio read it the slow way, with the same figures.
#[test]
fn an_older_file_opened_read_only_has_the_same_figures() {
    use attuned::store::portfolio::{self, PortfolioQuery, QuickFilters, Sort};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("team.db");
    let store = build(&path);
    let cutoff = attuned::store::portfolio::stale_cutoff(common::now(), 14);
    let want = team::overview(store.conn(), cutoff).unwrap();
    drop(store);
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "DROP TRIGGER csm_totals_account_insert; DROP TRIGGER csm_totals_account_delete;
         DROP TRIGGER csm_totals_account_update; DROP TRIGGER csm_totals_call_insert;
         DROP TRIGGER csm_totals_call_delete; DROP TRIGGER csm_totals_call_update;
         DROP TABLE csm_totals; DROP INDEX accounts_by_owner_stale;
         PRAGMA user_version = 3; PRAGMA wal_checkpoint(TRUNCATE);",
    )
    .unwrap();
    drop(conn);
    let old = Store::open_read_only(&path).unwrap();
    assert_eq!(team::overview(old.conn(), cutoff).unwrap(), want);
    assert!(team::has_many_owners(old.conn()).unwrap());
    let ana = want.teams[0]
        .members
        .iter()
        .find(|m| m.name == "Ana Ortiz")
        .unwrap();
    let q = PortfolioQuery {
        sort: Sort::default(),
        name_contains: String::new(),
        quick: QuickFilters::default(),
        now: common::now(),
        today: common::today(),
        stale_after_days: 14,
        owners: Some(vec![ana.id]),
    };
    let t = portfolio::totals_for(old.conn(), &q).unwrap();
    assert_eq!((t.accounts, t.followups_overdue), (2, 2));
    let rows = portfolio::page(old.conn(), &q, None, portfolio::Direction::Forward, 10).unwrap();
    assert_eq!(rows.len(), 2);
}

#[test]
fn help_on_the_team_view_explains_its_columns() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app(&dir, 100, 60);
    press(&mut app, "?");
    let screen = text(&render(&app, 100, 60));
    for expected in [
        "Keys on the team screen",
        "Reading the team view",
        "Overdue",
        "over 14 days old",
    ] {
        assert!(screen.contains(expected), "missing {expected}:\n{screen}");
    }
}

/// The figures kept by triggers agree with a recount after every kind of change: an
/// account changing owner, archived and back, deleted; a call turned into an email,
/// another CSM's call added.
#[test]
fn kept_figures_agree_with_a_recount_after_changes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("team.db");
    let mut store = build(&path);
    let cutoff = attuned::store::portfolio::stale_cutoff(common::now(), 14);
    let (acme, birch, elm) = (
        id_of(&store, "accounts", "Acme Freight"),
        id_of(&store, "accounts", "Birch Dental"),
        id_of(&store, "accounts", "Elm Studios"),
    );
    let (dana, eve) = (
        id_of(&store, "csms", "Dana Kim"),
        id_of(&store, "csms", "Eve Idle"),
    );
    store
        .write(|tx| {
            let c = tx.conn();
            c.execute(
                "UPDATE accounts SET owner_csm_id = ?2 WHERE id = ?1",
                (acme, dana),
            )?;
            c.execute(
                "UPDATE accounts SET archived_at = '2026-11-01T00:00:00Z' WHERE id = ?1",
                [birch],
            )?;
            c.execute(
                "UPDATE accounts SET archived_at = NULL, risk = 80 WHERE id = ?1",
                [birch],
            )?;
            c.execute(
                "UPDATE touches SET kind = 'email' WHERE id =
                     (SELECT min(id) FROM touches WHERE kind = 'call')",
                [],
            )?;
            touch(tx, birch, eve, TouchKind::Call);
            c.execute("DELETE FROM followups WHERE account_id = ?1", [elm])?;
            c.execute("DELETE FROM touches WHERE account_id = ?1", [elm])?;
            c.execute("DELETE FROM accounts WHERE id = ?1", [elm])?;
            Ok(())
        })
        .unwrap();
    let kept = team::overview(store.conn(), cutoff).unwrap();
    drop(store);
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "DROP TRIGGER csm_totals_account_insert; DROP TRIGGER csm_totals_account_delete;
         DROP TRIGGER csm_totals_account_update; DROP TRIGGER csm_totals_call_insert;
         DROP TRIGGER csm_totals_call_delete; DROP TRIGGER csm_totals_call_update;
         DROP TABLE csm_totals; DROP INDEX accounts_by_owner_stale;",
    )
    .unwrap();
    let recounted = team::overview(&conn, cutoff).unwrap();
    assert_eq!(kept, recounted);
    // The changes show: Dana now has Acme; Eve (a call, no accounts) is listed.
    let dana_line = kept
        .teams
        .iter()
        .flat_map(|t| &t.members)
        .find(|m| m.name == "Dana Kim")
        .unwrap();
    assert_eq!(dana_line.figures.accounts, 2);
    assert!(
        kept.teams
            .iter()
            .flat_map(|t| &t.members)
            .any(|m| m.name == "Eve Idle")
    );
}
