//! Pilots (issue 16) in the store and on the command line: the cohort's riskiest accounts
//! against a control group matched outside the cohort, the baseline frozen at the start,
//! the weekly KPIs hand-counted, refusals (same name, `--read-only`), pilots kept across
//! `team merge`, and the run a team lead makes: demo → pilot new → list → report.

mod common;

use std::path::Path;

use attuned::domain::model::{Intervention, Pulse, Segment, TouchKind};
use attuned::domain::pilot_report::Counts;
use attuned::store::Store;
use attuned::store::pilot::{self, NewPilot, Pick};
use attuned::store::write::{NewAccount, NewCsm, NewTouch};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use common::cli::{attuned, demo};

fn on(month: u32, day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, month, day, 15, 0, 0).unwrap()
}

fn start() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 2).unwrap()
}

/// Two CSMs, Ana and Ben, with six enterprise accounts each (risk 10..60 by tens, Ben's
/// a point lower), plus one SMB account of Ana's at risk 99.
fn fixture(path: &Path) -> (Store, Vec<i64>, Vec<i64>) {
    let mut store = Store::open(path).unwrap();
    let (ana, ben) = store
        .write(|tx| {
            let mut owned = Vec::new();
            for name in ["Ana Lima", "Ben Okoro"] {
                let csm = tx.insert_csm(
                    &NewCsm {
                        name,
                        email: None,
                        region: None,
                        team_lead_id: None,
                        is_team_lead: false,
                        is_me: name == "Ana Lima",
                    },
                    on(1, 5),
                )?;
                let mut ids = Vec::new();
                for i in 0..6 {
                    ids.push(tx.insert_account(&NewAccount {
                        name: &format!("{name} {i}"),
                        segment: Segment::Enterprise,
                        tier: 1,
                        industry: None,
                        contract_value_cents: 5_000_000,
                        renewal_date: None,
                        owner_csm_id: Some(csm),
                        parent_id: None,
                        created_at: on(1, 5),
                    })?);
                }
                if name == "Ana Lima" {
                    ids.push(tx.insert_account(&NewAccount {
                        name: "Ana small",
                        segment: Segment::Smb,
                        tier: 3,
                        industry: None,
                        contract_value_cents: 100_000,
                        renewal_date: None,
                        owner_csm_id: Some(csm),
                        parent_id: None,
                        created_at: on(1, 5),
                    })?);
                }
                owned.push(ids);
            }
            Ok((owned[0].clone(), owned[1].clone()))
        })
        .unwrap();
    for (i, id) in ana.iter().enumerate() {
        set_risk(&store, *id, if i == 6 { 99 } else { 10 * (i as i64 + 1) });
    }
    for (i, id) in ben.iter().enumerate() {
        set_risk(&store, *id, 10 * (i as i64 + 1) - 1);
    }
    (store, ana, ben)
}

fn set_risk(store: &Store, id: i64, risk: i64) {
    store
        .conn()
        .execute(
            "UPDATE accounts SET risk = ?1, pulse = 'red' WHERE id = ?2",
            [risk, id],
        )
        .unwrap();
}

fn new(name: &str, pick: Pick, csms: &[&str]) -> NewPilot {
    NewPilot {
        name: name.into(),
        start: start(),
        weeks: 6,
        pick,
        csms: csms.iter().map(|c| c.to_string()).collect(),
    }
}

fn touch(store: &mut Store, account: i64, at: DateTime<Utc>, f: impl FnOnce(&mut NewTouch<'_>)) {
    store
        .write(|tx| {
            let mut t = NewTouch::new(account, TouchKind::Call, at);
            f(&mut t);
            tx.insert_touch(&t)
        })
        .unwrap();
}

#[test]
fn a_pilot_takes_the_cohorts_riskiest_and_a_control_from_outside_it() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, ana, ben) = fixture(&dir.path().join("a.db"));
    pilot::create(
        &mut store,
        &new("EI", Pick::Riskiest(3), &["ana lima"]),
        on(11, 2),
    )
    .unwrap();
    let p = pilot::load(store.conn(), "EI").unwrap();
    assert_eq!(p.row.cohort, ["Ana Lima"]);
    // Ana's riskiest: the SMB account (99), then enterprise 60 and 50.
    let mut pilots = p.ids(false);
    pilots.sort();
    let mut want = vec![ana[6], ana[5], ana[4]];
    want.sort();
    assert_eq!(pilots, want);
    // Controls: Ben's twins of 60 and 50 (59, 49); no SMB account outside the cohort, so
    // the SMB account's control is one of Ana's own (the cohort's), and said so.
    let control_of = |pilot: i64| {
        p.members
            .iter()
            .find(|m| m.control && m.matched_to == Some(pilot))
            .map(|m| m.account_id)
    };
    assert_eq!(control_of(ana[5]), Some(ben[5]));
    assert_eq!(control_of(ana[4]), Some(ben[4]));
    assert_eq!(control_of(ana[6]), None, "no SMB account is left to match");
    assert_eq!(pilot::cohort_controls(store.conn(), p.row.id).unwrap(), 0);
    // The frozen baseline of each account.
    let m = p.members.iter().find(|m| m.account_id == ana[5]).unwrap();
    assert_eq!((m.risk, m.sentiment), (60, Some(Pulse::Red)));
    set_risk(&store, ana[5], 5);
    let again = pilot::load(store.conn(), "EI").unwrap();
    let m = again
        .members
        .iter()
        .find(|m| m.account_id == ana[5])
        .unwrap();
    assert_eq!(m.risk, 60, "the baseline stays as it was at the start");
}

#[test]
fn a_one_csm_file_takes_its_controls_from_the_cohort() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, ana, _) = fixture(&dir.path().join("a.db"));
    store
        .conn()
        .execute("DELETE FROM accounts WHERE owner_csm_id != (SELECT owner_csm_id FROM accounts WHERE id = ?1)", [ana[0]])
        .unwrap();
    pilot::create(
        &mut store,
        &new("EI", Pick::Accounts(vec![ana[5]]), &[]),
        on(11, 2),
    )
    .unwrap();
    let p = pilot::load(store.conn(), "EI").unwrap();
    assert_eq!(p.ids(true), [ana[4]], "the nearest of Ana's other accounts");
    assert_eq!(pilot::cohort_controls(store.conn(), p.row.id).unwrap(), 1);
}

#[test]
fn the_baseline_and_each_week_count_the_touches_by_the_kpi_rules() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, ana, ben) = fixture(&dir.path().join("a.db"));
    // Baseline (12 weeks before 2 Nov): one tagged call on a pilot account, escalated.
    touch(&mut store, ana[5], on(10, 1), |t| {
        t.intervention = Some(Intervention::Escalation);
    });
    // 13 weeks before: outside the baseline.
    touch(&mut store, ana[5], on(8, 1), |t| {
        t.intervention = Some(Intervention::Empathy);
    });
    pilot::create(
        &mut store,
        &new("EI", Pick::Accounts(vec![ana[5], ana[4]]), &["Ana Lima"]),
        on(11, 2),
    )
    .unwrap();
    // Week 1 (2–8 Nov): a product fix on a pilot account, CSAT 5 two days later (after a
    // remediation), fully tagged the same day; a renewal won; a control account lost.
    touch(&mut store, ana[4], on(11, 3), |t| {
        t.intervention = Some(Intervention::ProductFix);
        t.sentiment = Some(Pulse::Yellow);
        t.no_followup = true;
    });
    touch(&mut store, ana[4], on(11, 5), |t| {
        t.csat = Some(5);
        t.outcome = Some("Renewed for two years");
    });
    touch(&mut store, ben[5], on(11, 6), |t| {
        t.outcome = Some("Churned to a competitor");
        t.intervention = Some(Intervention::Coaching);
    });
    // Week 2: nothing counted in week 1.
    touch(&mut store, ben[5], on(11, 9), |t| t.csat = Some(2));
    // A later change to the past does not move the frozen baseline.
    touch(&mut store, ana[5], on(10, 2), |t| {
        t.intervention = Some(Intervention::Empathy);
    });

    let p = pilot::load(store.conn(), "EI").unwrap();
    let base = &p.baseline;
    assert_eq!(base.pilot.escalation, Counts { k: 1, n: 1 });
    assert_eq!(base.control.escalation, Counts { k: 0, n: 0 });

    let w1 = pilot::week(store.conn(), &p, 1).unwrap();
    assert_eq!(w1.pilot.escalation, Counts { k: 0, n: 1 });
    assert_eq!(w1.pilot.csat, Counts { k: 1, n: 1 });
    assert_eq!(w1.pilot.renewal, Counts { k: 1, n: 1 });
    assert_eq!((w1.pilot.conversations, w1.pilot.documented), (2, 1));
    assert_eq!(w1.control.renewal, Counts { k: 0, n: 1 });
    assert_eq!(w1.control.lost, 1);
    assert_eq!(w1.control.escalation, Counts { k: 0, n: 1 });
    assert_eq!(
        w1.control.csat,
        Counts { k: 0, n: 0 },
        "week 2's CSAT is not week 1's"
    );
}

#[test]
fn a_second_pilot_of_the_same_name_and_a_read_only_file_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.db");
    let (mut store, _, _) = fixture(&path);
    pilot::create(&mut store, &new("EI", Pick::Riskiest(2), &[]), on(11, 2)).unwrap();
    let err = pilot::create(&mut store, &new("EI", Pick::Riskiest(2), &[]), on(11, 2))
        .unwrap_err()
        .to_string();
    assert!(err.contains("already exists"), "{err}");
    let err = pilot::create(
        &mut store,
        &new("X", Pick::Riskiest(2), &["Nobody"]),
        on(11, 2),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("no CSM named \"Nobody\""), "{err}");
    let pasted = "x".repeat(50_000);
    let err = pilot::create(&mut store, &new(&pasted, Pick::Riskiest(2), &[]), on(11, 2))
        .unwrap_err()
        .to_string();
    assert_eq!(err, "the pilot's name is 50000 characters; at most 120");
    drop(store);
    let mut ro = Store::open_read_only(&path).unwrap();
    assert!(
        pilot::create(&mut ro, &new("Y", Pick::Riskiest(2), &[]), on(11, 2)).is_err(),
        "a read-only file is never written"
    );
    assert_eq!(pilot::list(ro.conn()).unwrap().len(), 1);
}

fn run(home: &Path, args: &[&str]) -> String {
    let o = attuned(home, args);
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn a_lead_runs_a_pilot_on_the_demo_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let db = demo(home, "demo.db", 200, 7);
    let db = db.to_str().unwrap();
    let out = run(
        home,
        &[
            "--db",
            db,
            "pilot",
            "new",
            "EI \u{1b}[2J pilot",
            "--pick",
            "10",
            "--start",
            "2026-11-05",
        ],
    );
    assert!(
        out.contains("10 pilot accounts, 10 control accounts"),
        "{out}"
    );
    assert!(
        !out.contains('\u{1b}'),
        "no control characters out: {out:?}"
    );

    let list: serde_json::Value =
        serde_json::from_str(&run(home, &["--db", db, "pilot", "list", "--json"])).unwrap();
    // The demo's own pilot, in its fourth week, and the one just made.
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&attuned::demo::DEMO_PILOT), "{names:?}");
    let first = list
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["start"] == "2026-11-05")
        .unwrap();
    assert!(first["id"].is_string(), "ids are strings in JSON: {first}");
    assert_eq!(first["pilot_accounts"], 10);
    assert_eq!(first["start"], "2026-11-05");
    let name = first["name"].as_str().unwrap().to_string();

    let report = run(home, &["--db", db, "pilot", "report", &name, "--week", "4"]);
    assert!(!report.contains('\u{1b}'), "{report:?}");
    for want in [
        "## Week 0: baseline, 2026-08-13 to 2026-11-04",
        "## Week 4: applied coaching, 2026-11-26 to 2026-12-02",
        "| Renewal rate |",
        "| CSAT 4–5 after intervention |",
        "| Escalation rate (lower is better) |",
        "Renewals that fell due: pilot",
        "Documentation on pilot accounts",
    ] {
        assert!(report.contains(want), "{want:?} missing from:\n{report}");
    }
    let json: serde_json::Value = serde_json::from_str(&run(
        home,
        &[
            "--db", db, "pilot", "report", &name, "--week", "1", "--json",
        ],
    ))
    .unwrap();
    assert_eq!(json["report"][0]["phase"], "foundations");
    assert_eq!(json["accounts"].as_array().unwrap().len(), 20);

    let demo_report = run(
        home,
        &["--db", db, "pilot", "report", attuned::demo::DEMO_PILOT],
    );
    assert!(
        demo_report.contains("now in week 4 of 6 (applied coaching)"),
        "{demo_report}"
    );

    let o = attuned(home, &["--db", db, "--read-only", "pilot", "new", "Other"]);
    assert!(!o.status.success());
    let o = attuned(home, &["--db", db, "pilot", "report", "Nope"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("no pilot named \"Nope\""), "{err}");
    let o = attuned(home, &["--db", db, "pilot", "report", &name, "--week", "7"]);
    assert!(!o.status.success(), "the pilot runs 6 weeks");
}

#[test]
fn a_pilot_in_the_team_file_outlives_a_merge() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let a = demo(home, "a.db", 60, 1);
    let b = demo(home, "b.db", 60, 2);
    let team = home.join("team.db");
    let (a, b, team) = (
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        team.to_str().unwrap(),
    );
    run(home, &["team", "merge", "--into", team, a, b]);
    run(
        home,
        &["--db", team, "pilot", "new", "Team EI", "--pick", "8"],
    );
    // A CSM's own pilot is theirs: not brought into the team file.
    run(home, &["--db", a, "pilot", "new", "Mine", "--pick", "8"]);
    run(home, &["team", "merge", "--into", team, a, b]);
    let list = run(home, &["--db", team, "pilot", "list"]);
    assert!(list.contains("Team EI") && !list.contains("Mine"), "{list}");
    let report = run(home, &["--db", team, "pilot", "report", "Team EI"]);
    assert!(report.contains("8 pilot accounts"), "{report}");
}

/// `pilot list` on a file from before pilots (opened read-only, so not migrated) lists
/// none instead of failing on a missing table.
#[test]
fn a_file_from_before_pilots_lists_none() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("old.db");
    {
        let store = attuned::store::Store::open(&db).unwrap();
        store
            .conn()
            .execute_batch(
                "DROP TABLE pilot_baselines; DROP TABLE pilot_accounts; DROP TABLE pilot_csms;
                 DROP TABLE pilots; PRAGMA user_version = 9;",
            )
            .unwrap();
    }
    let old = attuned::store::Store::open_read_only(&db).unwrap();
    assert!(attuned::store::pilot::list(old.conn()).unwrap().is_empty());
}
