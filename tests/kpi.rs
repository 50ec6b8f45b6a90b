//! Coaching KPIs end to end: hand-inserted touches on a temp file, read back by
//! `store::kpi`, shown on the KPI screen, printed by `attuned report`; and the demo has
//! data for every KPI.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use attuned::domain::FixedClock;
use attuned::domain::kpi::{Cohort, Flag, Mean, Window};
use attuned::domain::model::{CallType, Intervention, Pulse, Segment, TouchKind};
use attuned::store::Store;
use attuned::store::kpi::{self, Who};
use attuned::store::write::{NewAccount, NewCsm, NewTouch, Tx};
use attuned::ui::App;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use common::screen::{self, key, open};
use crossterm::event::KeyCode;

struct Ids {
    lead: i64,
    ada: i64,
    bo: i64,
    cy: i64,
}

fn account(tx: &Tx<'_>, name: &str, segment: Segment, owner: i64, at: DateTime<Utc>) -> i64 {
    tx.insert_account(&NewAccount {
        name,
        segment,
        tier: 2,
        industry: None,
        contract_value_cents: 5_000_000,
        renewal_date: None,
        owner_csm_id: Some(owner),
        parent_id: None,
        created_at: at - Duration::days(400),
    })
    .unwrap()
}

/// A tagged call (yellow, follow-up decided) `hours` before `at`.
fn call<'a>(
    account: i64,
    csm: i64,
    at: DateTime<Utc>,
    hours: i64,
    intervention: Intervention,
) -> NewTouch<'a> {
    NewTouch {
        csm_id: Some(csm),
        call_type: Some(CallType::CheckIn),
        sentiment: Some(Pulse::Yellow),
        intervention: Some(intervention),
        no_followup: true,
        ..NewTouch::new(account, TouchKind::Call, at - Duration::hours(hours))
    }
}

/// Three CSMs under one lead, with touches whose KPIs are easy to count by hand:
/// - Ada: 20 tagged calls, 10 escalated; CSAT 2 on an escalation, 4 on a call after it;
/// - Bo: 20 tagged calls, 2 escalated, one "won"; 10 emails left untagged;
/// - Cy: 20 tagged calls on two accounts, 2 escalated; a checklist call 20 days before
///   one account renewed; the other churned; a prompt line used on 4 calls.
fn fixture(path: &Path, today: NaiveDate) -> (Store, Ids) {
    let mut store = Store::open(path).unwrap();
    let at = FixedClock::on(today).0 - Duration::days(2);
    let ids = store
        .write(|tx| {
            // A team lead's file: it opens on the team view (`store::me::opening`).
            tx.choose_team_view()?;
            let csm = |name: &'static str, lead: Option<i64>, me: bool| {
                tx.insert_csm(
                    &NewCsm {
                        name,
                        email: None,
                        region: None,
                        team_lead_id: lead,
                        is_team_lead: lead.is_none(),
                        is_me: me,
                    },
                    at - Duration::days(500),
                )
            };
            let lead = csm("Lena Lead", None, false)?;
            let ada = csm("Ada Alvarez", Some(lead), true)?;
            let bo = csm("Bo Brandt", Some(lead), false)?;
            let cy = csm("Cy Chen", Some(lead), false)?;
            let a1 = account(tx, "Acme Corp", Segment::Enterprise, ada, at);
            let b1 = account(tx, "Birch Ltd", Segment::MidMarket, bo, at);
            let c1 = account(tx, "Cobalt Inc", Segment::Smb, cy, at);
            let c2 = account(tx, "Cedar LLC", Segment::Smb, cy, at);
            for i in 0..20 {
                let mut t = call(
                    a1,
                    ada,
                    at,
                    40 - i,
                    if i < 10 {
                        Intervention::Escalation
                    } else {
                        Intervention::Empathy
                    },
                );
                t.csat = match i {
                    0 => Some(2),
                    10 => Some(4),
                    _ => None,
                };
                tx.insert_touch(&t)?;
            }
            for i in 0..20 {
                let mut t = call(
                    b1,
                    bo,
                    at,
                    40 - i,
                    if i < 2 {
                        Intervention::Escalation
                    } else {
                        Intervention::Coaching
                    },
                );
                if i == 19 {
                    t.outcome = Some("won");
                }
                tx.insert_touch(&t)?;
            }
            for i in 0..10 {
                tx.insert_touch(&NewTouch {
                    csm_id: Some(bo),
                    ..NewTouch::new(b1, TouchKind::Email, at - Duration::hours(50 + i))
                })?;
            }
            let checklist = tx.insert_touch(&call(c1, cy, at, 20 * 24, Intervention::Empathy))?;
            for (step, secs) in [(1u8, 45), (2, 200), (3, 100), (4, 90), (5, 60)] {
                tx.upsert_step(checklist, step, Some(at), secs * 1000, "", None)?;
            }
            tx.insert_prompt(checklist, 2, "mirror.their_words", at, true)?;
            tx.insert_prompt(checklist, 3, "clarify.success", at, false)?;
            for i in 0..19 {
                let account = if i < 9 { c1 } else { c2 };
                let mut t = call(
                    account,
                    cy,
                    at,
                    40 - i,
                    if i == 0 || i == 10 {
                        Intervention::Escalation
                    } else {
                        Intervention::Coaching
                    },
                );
                match i {
                    8 => t.outcome = Some("Renewed for 12 months"),
                    18 => t.outcome = Some("Churned: moved to a competitor"),
                    _ => {}
                }
                let id = tx.insert_touch(&t)?;
                if [1, 11, 12].contains(&i) {
                    tx.insert_prompt(id, 2, "mirror.their_words", at, true)?;
                }
            }
            Ok(Ids { lead, ada, bo, cy })
        })
        .unwrap();
    (store, ids)
}

fn june() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 20).unwrap()
}

#[test]
fn each_kpi_counts_the_hand_inserted_touches() {
    let dir = tempfile::tempdir().unwrap();
    let (store, ids) = fixture(&dir.path().join("team.db"), june());
    let k = kpi::load(store.conn(), Who::All, Window::ending(june(), 3)).unwrap();
    assert_eq!(k.months.len(), 3);

    // Escalation rate: 14 of 60 tagged touches; the untagged emails do not count.
    assert_eq!((k.total.escalated, k.total.tagged), (14, 60));
    let names: Vec<&str> = k.by_csm.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["Ada Alvarez", "Bo Brandt", "Cy Chen"]);
    let rate = |i: usize| k.by_csm[i].total.escalation_rate();
    assert_eq!(
        (rate(0), rate(1), rate(2)),
        (Some(0.5), Some(0.1), Some(0.1))
    );
    assert_eq!(k.median_escalation, Some(0.1));

    // CSAT after remediation: the escalation's 2 and the next call's 4.
    assert_eq!(k.total.remediation, Mean { sum: 6, n: 2 });
    // Simple (the check-in after) vs complex (the escalated one).
    assert_eq!(k.total.simple.mean(), Some(4.0));
    assert_eq!(k.total.complex.mean(), Some(2.0));

    // Renewals: Cobalt was coached and renewed; Birch "won" and Cedar churned, uncoached.
    assert_eq!(
        k.total.coached,
        Cohort {
            retained: 1,
            lost: 0
        }
    );
    assert_eq!(
        k.total.not_coached,
        Cohort {
            retained: 1,
            lost: 1
        }
    );

    // Tagging: Bo's 10 emails have nothing tagged.
    assert_eq!((k.total.complete, k.total.done), (60, 70));
    assert_eq!(k.by_csm[1].total.completeness(), Some(20.0 / 30.0));

    // Sentiment: every tagged call was Yellow; all but the checklist call in June.
    assert_eq!((k.total.yellow, k.by_month[2].yellow), (60, 59));

    // Steps of the one checklist call.
    assert_eq!(k.steps[0].median_ms, Some(45_000));
    assert_eq!(k.steps[0].over_box, Some(0.0));
    assert_eq!(k.steps[1].over_box, Some(1.0));
    assert_eq!(k.steps[5].runs, 0);

    // Prompt reuse: Cy used one line 4 times, but on two accounts only.
    assert_eq!((k.reuse.uses, k.reuse.repeated_uses), (4, 0));

    // Segments.
    let seg: Vec<(Segment, u64)> = k
        .by_segment
        .iter()
        .map(|s| (s.segment, s.total.tagged))
        .collect();
    assert_eq!(
        seg,
        [
            (Segment::Enterprise, 20),
            (Segment::MidMarket, 20),
            (Segment::Smb, 20)
        ]
    );

    // Flags: Ada escalates 5× the median; Bo leaves a third untagged.
    assert_eq!(
        k.by_csm[0].flags,
        vec![Flag::HighEscalation {
            rate: 0.5,
            median: Some(0.1)
        }]
    );
    assert!(matches!(
        k.by_csm[1].flags.as_slice(),
        [Flag::LowTagging { .. }]
    ));
    assert!(k.by_csm[2].flags.is_empty());

    // Scopes: one CSM keeps the file's median; a team lists its CSMs.
    let bo = kpi::load(store.conn(), Who::Csm(ids.bo), Window::ending(june(), 3)).unwrap();
    assert_eq!(bo.by_csm.len(), 1);
    assert_eq!(bo.total.tagged, 20);
    assert_eq!(bo.median_escalation, Some(0.1));
    let team = kpi::load(store.conn(), Who::Team(ids.lead), Window::ending(june(), 3)).unwrap();
    assert_eq!(team.total.tagged, 60);
    let cy = kpi::load(store.conn(), Who::Csm(ids.cy), Window::ending(june(), 3)).unwrap();
    assert_eq!(cy.total.renewals().n(), 2);
    assert_ne!(ids.ada, ids.bo);

    // Months without touches have no rates, not zero ones.
    let later = NaiveDate::from_ymd_opt(2027, 6, 1).unwrap();
    let empty = kpi::load(store.conn(), Who::All, Window::ending(later, 2)).unwrap();
    assert_eq!(empty.total.escalation_rate(), None);
    assert!(empty.by_csm.is_empty());
}

#[test]
fn the_kpi_pass_reads_touches_from_the_covering_index() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = fixture(&dir.path().join("team.db"), june());
    let plan: Vec<String> = store
        .conn()
        .prepare(
            "EXPLAIN QUERY PLAN SELECT t.account_id, t.occurred_at, t.id, t.kind, t.intervention,
                    t.csm_id, t.call_type, t.status, t.sentiment, t.escalated, t.csat,
                    t.followup_on IS NOT NULL OR t.no_followup, t.outcome
             FROM touches t INDEXED BY touches_by_account
             WHERE t.occurred_at >= '2025-01-01' ORDER BY t.account_id, t.occurred_at",
        )
        .unwrap()
        .query_map([], |r| r.get::<_, String>(3))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(plan.len(), 1, "{plan:?}");
    assert!(
        plan[0].contains("COVERING INDEX touches_by_account"),
        "{plan:?}"
    );
}

/// The screen row by row, without the quotes `TestBackend` puts around each line.
fn render(app: &App, width: u16, height: u16) -> String {
    let terminal = screen::render(app, width, height);
    let buffer = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..height {
        for x in 0..width {
            out.push_str(buffer[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

fn app(dir: &tempfile::TempDir, width: u16, height: u16) -> App {
    let (store, _) = fixture(&dir.path().join("team.db"), common::today());
    open(store, width, height)
}

#[test]
fn kpi_screen_tables_at_80x24() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app(&dir, 80, 24);
    // A file of several CSMs opens on the team view: k there opens the selection's KPIs.
    key(&mut app, KeyCode::Char('k'));
    let screen = render(&app, 80, 24);
    assert!(screen.contains("Coaching KPIs ›"), "{screen}");
    key(&mut app, KeyCode::Esc);
    // From the whole portfolio, K: everyone's.
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('K'));
    let screen = render(&app, 80, 24);
    assert!(screen.contains("Ada Alvarez"), "{screen}");
    insta::assert_snapshot!("kpi_tables_80x24", screen);
    // Down to Bo: his flag is spelled out under the table.
    key(&mut app, KeyCode::Char('j'));
    let screen = render(&app, 80, 24);
    assert!(screen.contains("low sentiment-field usage"), "{screen}");
    // Tab: per segment, then by month.
    key(&mut app, KeyCode::Tab);
    assert!(render(&app, 80, 24).contains("Enterprise"));
    key(&mut app, KeyCode::Tab);
    let screen = render(&app, 80, 24);
    assert!(screen.contains("2026-11"), "{screen}");
    // s: the next scope (Lena Lead's team), then a single CSM.
    key(&mut app, KeyCode::Char('s'));
    assert!(render(&app, 80, 24).contains("Lena Lead's team"));
    key(&mut app, KeyCode::Char('s'));
    assert!(render(&app, 80, 24).contains("Coaching KPIs › Ada Alvarez"));
    // Esc: back to the portfolio.
    key(&mut app, KeyCode::Esc);
    assert!(render(&app, 80, 24).contains("Acme Corp"));
}

#[test]
fn kpi_screen_charts_at_120x40_and_80x24() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app(&dir, 120, 40);
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('K'));
    key(&mut app, KeyCode::Char('c'));
    let screen = render(&app, 120, 40);
    assert!(screen.contains("Escalation rate by month"), "{screen}");
    assert!(
        screen.contains("Median time per checklist step"),
        "{screen}"
    );
    insta::assert_snapshot!("kpi_charts_120x40", screen);
    insta::assert_snapshot!("kpi_charts_80x24", render(&app, 80, 24));
    key(&mut app, KeyCode::Char('c'));
    insta::assert_snapshot!("kpi_tables_120x40", render(&app, 120, 40));
}

#[test]
fn report_prints_markdown_and_leaves_a_read_only_file_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("team.db");
    let today = chrono::Local::now().date_naive();
    drop(fixture(&db, today));
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o400)).unwrap();
    let before = std::fs::read(&db).unwrap();
    let mtime = std::fs::metadata(&db).unwrap().modified().unwrap();
    let out = common::cli::attuned(dir.path(), &["report", "--db", db.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.starts_with("# Coaching KPIs: everyone in the file"),
        "{text}"
    );
    assert!(text.contains("## Per CSM"), "{text}");
    assert!(
        text.contains("| Ada Alvarez | 20 | 50% | 3.0 | 4.0 / 2.0 |"),
        "{text}"
    );
    assert!(text.contains("## Per segment") && text.contains("## By month"));
    // The quarter's adaptability audits close the report, beside renewal outcomes (none
    // drawn in this file yet).
    assert!(text.contains("## Adaptability audits, "), "{text}");
    assert!(
        text.contains("| Cy Chen | 0/0 | — | — | — | — | — | — | — | 1 | 0 | 1 | 50% |"),
        "{text}"
    );
    assert!(
        text.contains("- **Ada Alvarez**: high escalation rate: escalation rate 50% vs team median 10% (flag at 1.5× the median)"),
        "{text}"
    );
    assert!(
        text.contains("- **Bo Brandt**: low sentiment-field usage"),
        "{text}"
    );
    assert_eq!(std::fs::read(&db).unwrap(), before);
    assert_eq!(std::fs::metadata(&db).unwrap().modified().unwrap(), mtime);
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.ends_with("-wal")), "{names:?}");

    // One CSM, a team, and a name that matches nobody.
    let bo = common::cli::attuned(
        dir.path(),
        &["report", "--db", db.to_str().unwrap(), "--csm", "bo"],
    );
    let text = String::from_utf8_lossy(&bo.stdout);
    assert!(text.starts_with("# Coaching KPIs: Bo Brandt"), "{text}");
    assert!(!text.contains("| Ada Alvarez |"));
    assert!(text.contains("| Bo Brandt | 0/0 |") && !text.contains("| Cy Chen |"));
    let team = common::cli::attuned(
        dir.path(),
        &["report", "--db", db.to_str().unwrap(), "--team", "Lena"],
    );
    assert!(String::from_utf8_lossy(&team.stdout).contains("Lena Lead's team"));
    let nobody = common::cli::attuned(
        dir.path(),
        &["report", "--db", db.to_str().unwrap(), "--csm", "Zed"],
    );
    assert!(!nobody.status.success());
    let err = String::from_utf8_lossy(&nobody.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("no CSM named 'Zed'"), "{err}");
}

#[test]
fn the_demo_has_data_for_every_kpi_and_coached_accounts_renew_more() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("demo.db")).unwrap();
    let clock = common::clock();
    attuned::demo::generate(
        &mut store,
        &attuned::demo::DemoOptions {
            accounts: 1500,
            seed: 42,
        },
        &clock,
    )
    .unwrap();
    let k = kpi::load(store.conn(), Who::All, Window::ending(common::today(), 12)).unwrap();
    let t = &k.total;
    let esc = t.escalation_rate().unwrap();
    assert!((0.03..0.3).contains(&esc), "escalation {esc}");
    assert!(t.remediation.n > 100 && t.simple.n > 100 && t.complex.n > 100);
    let tagging = t.completeness().unwrap();
    assert!((0.6..1.0).contains(&tagging), "tagging {tagging}");
    assert!(t.coached.n() > 50 && t.not_coached.n() > 50, "{t:?}");
    assert!(t.coached.lost > 0 && t.not_coached.lost > 0);
    let (coached, not) = (t.coached.rate().unwrap(), t.not_coached.rate().unwrap());
    assert!(coached > not, "coached {coached} vs {not}");
    assert!((0.75..0.99).contains(&not), "not coached {not}");
    assert!(k.steps[0].runs > 100 && k.steps[0].over_box.is_some());
    assert!(k.reuse.uses > 100);
    assert!(t.red > 0 && t.yellow > 0 && t.green > 0);
    // Churned accounts left the portfolio but kept their history.
    let archived: i64 = store
        .conn()
        .query_row(
            "SELECT count(*) FROM accounts WHERE archived_at IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(archived > 0);
}

/// The KPIs from the figures kept per CSM and month (schema V9) against a pass over
/// every touch: the same for every scope and window, on a demo and after writes that
/// move figures between groups (a back-dated remediation, a checklist call before a
/// renewal, a segment change, a deleted touch, a changed step time).
#[test]
fn kept_kpis_equal_a_full_pass_on_a_demo_and_after_writes() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("demo.db")).unwrap();
    let clock = common::clock();
    attuned::demo::generate(
        &mut store,
        &attuned::demo::DemoOptions {
            accounts: 600,
            seed: 7,
        },
        &clock,
    )
    .unwrap();
    let same = |store: &Store, when: &str| {
        let conn = store.conn();
        let stale: i64 = conn
            .query_row("SELECT count(*) FROM kpi_stale", [], |r| r.get(0))
            .unwrap();
        assert_eq!(
            stale, 0,
            "{when}: every group counted in the write's transaction"
        );
        let kept: i64 = conn
            .query_row("SELECT count(*) FROM kpi_tallies", [], |r| r.get(0))
            .unwrap();
        assert!(kept > 0, "{when}");
        let all = kpi::csms(conn).unwrap();
        let mut whos = vec![Who::All];
        whos.extend(kpi::teams(&all).iter().map(|l| Who::Team(l.id)));
        whos.extend(all.iter().map(|c| Who::Csm(c.id)));
        for months in [1, 3, 12, 30] {
            let window = Window::ending(common::today(), months);
            let fast = kpi::scan(conn, window).unwrap();
            let full = kpi::scan_touches(conn, window).unwrap();
            for who in &whos {
                assert_eq!(
                    fast.kpis(*who),
                    full.kpis(*who),
                    "{when}: {months} months, {who:?}"
                );
            }
        }
        assert_eq!(
            attuned::store::kpi_cache::differences(conn, 5).unwrap(),
            (0, vec![]),
            "{when}"
        );
    };
    same(&store, "after the demo");

    let conn = store.conn();
    let pick = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    // A touch with a renewal result, and the account and CSM it is on.
    let renewal = pick("SELECT id FROM touches WHERE outcome LIKE '%enew%' ORDER BY id LIMIT 1");
    let (account, csm, at): (i64, i64, String) = conn
        .query_row(
            "SELECT account_id, csm_id, occurred_at FROM touches WHERE id = ?1",
            [renewal],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    let at: DateTime<Utc> = at.parse().unwrap();
    let checklist = pick(
        "SELECT t.id FROM touches t JOIN touch_steps s ON s.touch_id = t.id ORDER BY t.id DESC LIMIT 1",
    );
    let other = pick("SELECT id FROM touches ORDER BY id DESC LIMIT 1 OFFSET 7");
    store
        .write(|tx| {
            // A remediation two days before the renewal, with a CSAT after it.
            tx.insert_touch(&NewTouch {
                csat: Some(2),
                ..call(account, csm, at, 48, Intervention::ProductFix)
            })?;
            // A checklist call ten days before it: the account is now coached.
            let id = tx.insert_touch(&call(account, csm, at, 240, Intervention::Coaching))?;
            tx.upsert_step(id, 1, Some(at), 61_000, "", None)?;
            tx.insert_prompt(id, 2, "kept-test-line", at, true)?;
            Ok(())
        })
        .unwrap();
    same(&store, "after a back-dated remediation and checklist call");
    store
        .write(|tx| {
            tx.conn().execute(
                "UPDATE accounts SET segment = CASE segment WHEN 'smb' THEN 'enterprise' ELSE 'smb' END WHERE id = ?1",
                [account],
            )?;
            tx.conn()
                .execute("UPDATE touch_steps SET elapsed_ms = elapsed_ms + 1 WHERE touch_id = ?1", [checklist])?;
            tx.conn().execute("DELETE FROM touches WHERE id = ?1", [other])?;
            Ok(())
        })
        .unwrap();
    same(&store, "after a segment change, a step time and a deletion");
}

/// With a waker attached (as the real loop does), opening the KPIs reads on its own
/// thread: the status bar says so, other keys wait, Esc cancels at once and leaves the
/// screen as it was; without Esc the KPIs open when the read is done.
#[test]
fn the_kpis_read_on_a_thread_and_esc_cancels_leaving_the_screen_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app(&dir, 80, 24);
    let (tx, rx) = std::sync::mpsc::channel();
    app.attach_waker(std::sync::Arc::new(move || {
        let _ = tx.send(());
    }));
    let before = render(&app, 80, 24);
    key(&mut app, KeyCode::Char('k'));
    assert!(app.is_reading());
    let screen = render(&app, 80, 24);
    assert!(screen.contains("Reading the coaching KPIs"), "{screen}");
    assert!(screen.contains("Esc cancel"), "{screen}");
    key(&mut app, KeyCode::Char('j'));
    let pressed = std::time::Instant::now();
    key(&mut app, KeyCode::Esc);
    assert!(pressed.elapsed() < std::time::Duration::from_secs(1));
    assert!(!app.is_reading());
    let after = render(&app, 80, 24);
    assert!(
        after.contains("Cancelled: the coaching KPIs were not opened"),
        "{after}"
    );
    let body = |s: &str| s.lines().take(23).collect::<Vec<_>>().join("\n");
    assert_eq!(body(&after), body(&before), "the screen is as it was");
    // A wake from the cancelled read changes nothing.
    app.read_done();
    assert_eq!(body(&render(&app, 80, 24)), body(&before));

    while rx.try_recv().is_ok() {} // the cancelled read's own wake
    key(&mut app, KeyCode::Char('k'));
    rx.recv_timeout(std::time::Duration::from_secs(60)).unwrap();
    app.read_done();
    assert!(!app.is_reading());
    let screen = render(&app, 80, 24);
    assert!(screen.contains("Coaching KPIs ›"), "{screen}");
}

/// A cancelled read stops at once with an error, whether the figures are kept or read
/// from every touch, and leaves the connection as it was for the next read.
#[test]
fn a_cancelled_kpi_read_stops_and_the_next_read_is_whole() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = fixture(&dir.path().join("team.db"), common::today());
    let conn = store.conn();
    let window = Window::ending(june(), 12);
    let whole = kpi::scan(conn, window).unwrap().kpis(Who::All);
    // Marks a group stale outside the store (as an older attuned could): read from touches.
    for kept in [true, false] {
        if !kept {
            conn.execute("INSERT INTO kpi_stale VALUES (0)", [])
                .unwrap();
        }
        let cancel = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        assert!(
            kpi::scan_until(conn, window, &cancel).is_err(),
            "kept: {kept}"
        );
        let again = kpi::scan(conn, window).unwrap().kpis(Who::All);
        assert_eq!(again, whole, "kept: {kept}");
    }
}

/// A team file merged from three CSMs' files keeps KPI figures equal to a full pass, for
/// everyone and each CSM, and a second merge after one file changed keeps them so.
#[test]
fn a_merged_team_file_keeps_kpis_equal_to_a_full_pass() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let files: Vec<_> = (1..=3)
        .map(|i| common::cli::demo(home, &format!("csm{i}.db"), 120, i))
        .collect();
    let team = home.join("team.db");
    let merge = |files: &[std::path::PathBuf]| {
        let mut args = vec!["team", "merge", "--into", team.to_str().unwrap()];
        args.extend(files.iter().map(|f| f.to_str().unwrap()));
        let o = common::cli::attuned(home, &args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    let same = |when: &str| {
        let store = Store::open_read_only(&team).unwrap();
        let conn = store.conn();
        let kept: i64 = conn
            .query_row("SELECT count(*) FROM kpi_tallies", [], |r| r.get(0))
            .unwrap();
        assert!(kept > 0, "{when}");
        let window = Window::ending(common::today(), 12);
        let fast = kpi::scan(conn, window).unwrap();
        let full = kpi::scan_touches(conn, window).unwrap();
        let csms = kpi::csms(conn).unwrap();
        assert!(csms.len() >= 3, "{when}");
        for who in [Who::All]
            .into_iter()
            .chain(csms.iter().map(|c| Who::Csm(c.id)))
        {
            assert_eq!(fast.kpis(who), full.kpis(who), "{when}: {who:?}");
        }
    };
    merge(&files);
    same("first merge");
    let mut store = Store::open(&files[1]).unwrap();
    let conn = store.conn();
    let (account, csm): (i64, i64) = conn
        .query_row(
            "SELECT account_id, csm_id FROM touches WHERE csm_id IS NOT NULL LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    store
        .write(|tx| {
            tx.insert_touch(&call(
                account,
                csm,
                common::now(),
                24,
                Intervention::Escalation,
            ))?;
            Ok(())
        })
        .unwrap();
    drop(store);
    merge(&files);
    same("second merge");
}

/// A file from before schema 9 (no kept figures) is read from every touch, and counted
/// once on its first writable open, to the same KPIs.
#[test]
fn a_file_from_before_schema_9_is_counted_on_its_first_writable_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("team.db");
    let (store, _) = fixture(&path, common::today());
    let window = Window::ending(june(), 12);
    let want = kpi::scan_touches(store.conn(), window)
        .unwrap()
        .kpis(Who::All);
    drop(store);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let triggers: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'trigger' AND name LIKE 'kpi_%'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert!(!triggers.is_empty());
    for t in triggers {
        conn.execute_batch(&format!("DROP TRIGGER {t}")).unwrap();
    }
    conn.execute_batch(
        "DROP TABLE kpi_tallies; DROP TABLE kpi_steps; DROP TABLE kpi_lines;
         DROP TABLE kpi_stale; DROP TABLE pilot_baselines; DROP TABLE pilot_accounts;
         DROP TABLE pilot_csms; DROP TABLE pilots; PRAGMA user_version = 8;",
    )
    .unwrap();
    drop(conn);
    let old = Store::open_read_only(&path).unwrap();
    assert_eq!(kpi::scan(old.conn(), window).unwrap().kpis(Who::All), want);
    drop(old);
    let store = Store::open(&path).unwrap();
    let conn = store.conn();
    let (kept, stale): (i64, i64) = conn
        .query_row(
            "SELECT (SELECT count(*) FROM kpi_tallies), (SELECT count(*) FROM kpi_stale)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert!(kept > 0 && stale == 0, "{kept} kept, {stale} stale");
    assert_eq!(kpi::scan(conn, window).unwrap().kpis(Who::All), want);
}
