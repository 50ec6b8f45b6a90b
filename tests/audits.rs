//! Adaptability audits in the store: drawing a reproducible sample per CSM and quarter,
//! scoring, drawing again without losing scores, an audit outliving its touch, the
//! per-CSM summary beside renewal outcomes (hand-counted), and the V2 → V3 migration.
//! The screen tests (snapshots at 80×24 and 120×40) drive the real `App`.

mod common;

use std::path::Path;
use std::sync::Arc;

use attuned::domain::audit::{self, Quarter, Score};
use attuned::domain::model::{CallType, Segment, TouchKind, TouchStatus};
use attuned::domain::prompts::Library;
use attuned::store::Store;
use attuned::store::audit::{self as audits, DrawRequest};
use attuned::store::schema;
use attuned::store::summary::{self, AsOf};
use attuned::store::write::{NewAccount, NewCsm, NewTouch};
use attuned::ui::{App, Theme};
use chrono::{DateTime, Duration, TimeZone, Utc};
use common::screen::{key, press, shown as render};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

const Q4: Quarter = Quarter { year: 2026, q: 4 };

fn clock() -> attuned::domain::FixedClock {
    attuned::domain::FixedClock(on(11, 23) + Duration::hours(1))
}

fn on(month: u32, day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, month, day, 15, 0, 0).unwrap()
}

/// One CSM of the fixture: touches of 2026Q4 with their outcomes.
struct Member {
    name: &'static str,
    /// Outcomes written on the CSM's first Q4 calls, in order.
    outcomes: &'static [&'static str],
}

const TEAM: &[Member] = &[
    Member {
        name: "Ana Lima",
        // renewed 2, expanded 1, lost 1: renewal rate 75%
        outcomes: &[
            "Renewed for two years",
            "won",
            "Renewed, upsell of 20 seats",
            "Churned to a competitor",
            "Agreed on a remediation session",
        ],
    },
    Member {
        name: "Ben Okoro",
        // lost 2: renewal rate 0%
        outcomes: &["lost", "Customer did not renew", "Discussed expansion"],
    },
    Member {
        name: "Cleo Park",
        // renewed 3: renewal rate 100%
        outcomes: &["won", "won", "Signed"],
    },
    Member {
        name: "Dev Rao",
        outcomes: &[],
    },
];

/// A team file: four CSMs, one account each; per CSM twelve finished calls, meetings and
/// QBRs in 2026Q4, plus a note, an email and a call in progress (never drawn) and three
/// calls in 2026Q3.
fn team(path: &Path) -> Store {
    // A fixed origin, so ids (and therefore the drawn sample) are the same on every run.
    {
        let mut conn = rusqlite::Connection::open(path).unwrap();
        schema::MIGRATIONS.to_latest(&mut conn).unwrap();
        conn.execute_batch(
            "INSERT INTO meta VALUES ('origin', '4242'), ('created_at', '2026-01-05T00:00:00Z');",
        )
        .unwrap();
    }
    let mut store = Store::open(path).unwrap();
    let at = AsOf::new(&clock());
    store
        .write(|tx| {
            // The team lead's file: it opens on the team view.
            tx.choose_team_view()?;
            for (m, member) in TEAM.iter().enumerate() {
                let csm = tx.insert_csm(
                    &NewCsm {
                        name: member.name,
                        email: None,
                        region: None,
                        team_lead_id: None,
                        is_team_lead: false,
                        is_me: m == 0,
                    },
                    on(1, 5),
                )?;
                let account = tx.insert_account(&NewAccount {
                    name: &format!("{} Holdings", member.name.split(' ').nth(1).unwrap()),
                    segment: Segment::MidMarket,
                    tier: 2,
                    industry: None,
                    contract_value_cents: 5_000_000,
                    renewal_date: None,
                    owner_csm_id: Some(csm),
                    parent_id: None,
                    created_at: on(1, 5),
                })?;
                let kinds = [TouchKind::Call, TouchKind::Meeting, TouchKind::Qbr];
                for i in 0..12u32 {
                    let kind = kinds[i as usize % 3];
                    let summary = format!("{} touch {}", member.name, i + 1);
                    let mut t = NewTouch::new(account, kind, on(10 + i / 5, 1 + (i % 5) * 6));
                    t.csm_id = Some(csm);
                    t.summary = Some(&summary);
                    t.call_type = (kind == TouchKind::Call).then_some(CallType::CheckIn);
                    t.notes = Some("Mirrored the frustration first.\nAgreed on a plan.");
                    t.outcome = member.outcomes.get(i as usize).copied();
                    tx.insert_touch(&t)?;
                }
                for kind in [TouchKind::Note, TouchKind::Email] {
                    let mut t = NewTouch::new(account, kind, on(11, 10));
                    t.csm_id = Some(csm);
                    t.summary = Some("not an audit candidate");
                    tx.insert_touch(&t)?;
                }
                let mut live = NewTouch::new(account, TouchKind::Call, on(11, 20));
                live.csm_id = Some(csm);
                live.status = TouchStatus::InProgress;
                tx.insert_touch(&live)?;
                for d in [3, 10, 20] {
                    let mut t = NewTouch::new(account, TouchKind::Call, on(9, d));
                    t.csm_id = Some(csm);
                    t.outcome = Some("lost");
                    tx.insert_touch(&t)?;
                }
                summary::refresh_account(tx.conn(), account, &at)?;
            }
            Ok(())
        })
        .unwrap();
    store
}

fn csm_id(store: &Store, name: &str) -> i64 {
    store
        .conn()
        .query_row("SELECT id FROM csms WHERE name = ?1", [name], |r| r.get(0))
        .unwrap()
}

fn req(seed: Option<u64>) -> DrawRequest {
    DrawRequest {
        quarter: Q4,
        per_csm: audit::DEFAULT_PER_CSM,
        seed,
        csm_id: None,
    }
}

fn sampled(store: &Store, csm: i64) -> Vec<i64> {
    let mut ids: Vec<i64> = audits::list(store.conn(), Q4, Some(csm))
        .unwrap()
        .into_iter()
        .map(|a| a.touch_id)
        .collect();
    ids.sort_unstable();
    ids
}

#[test]
fn a_draw_samples_ten_finished_touches_per_csm_reproducibly() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = team(&dir.path().join("team.db"));
    let ana = csm_id(&store, "Ana Lima");
    let candidates = audits::candidates(store.conn(), ana, Q4).unwrap();
    assert_eq!(candidates.len(), 12, "no notes, emails, live calls or Q3");
    let drawn = audits::draw(&mut store, &req(None), on(11, 23)).unwrap();
    assert_eq!(drawn.len(), 4);
    for d in &drawn {
        assert_eq!((d.candidates, d.added, d.kept, d.dropped), (12, 10, 0, 0));
    }
    let items = audits::list(store.conn(), Q4, None).unwrap();
    assert_eq!(items.len(), 40);
    assert!(
        items.iter().all(|a| a.seed == 20264),
        "the quarter's own seed"
    );
    assert!(items.iter().all(|a| a.touch.is_some()));
    assert!(
        items
            .iter()
            .all(|a| a.touch.as_ref().unwrap().kind != TouchKind::Note)
    );
    // The same sample as the pure draw, whatever order the rows came in.
    let mut want = audit::sample(&candidates, 20264, ana, Q4, 10);
    want.sort_unstable();
    assert_eq!(sampled(&store, ana), want);
    // Within one file the draw is exactly reproducible: drawing again changes nothing.
    let before = audits::list(store.conn(), Q4, None).unwrap();
    let again = audits::draw(&mut store, &req(None), on(11, 24)).unwrap();
    assert!(
        again
            .iter()
            .all(|d| d.added == 0 && d.dropped == 0 && d.kept == 10)
    );
    assert_eq!(audits::list(store.conn(), Q4, None).unwrap(), before);
}

#[test]
fn the_same_seed_draws_the_same_touches_in_another_file() {
    // Two files with the same origin and data: the sample depends on nothing else.
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.db");
    let mut store = team(&a);
    drop(store);
    let b = dir.path().join("b.db");
    std::fs::copy(&a, &b).unwrap();
    store = Store::open(&a).unwrap();
    let mut copy = Store::open(&b).unwrap();
    audits::draw(&mut store, &req(Some(7)), on(11, 23)).unwrap();
    audits::draw(&mut copy, &req(Some(7)), on(11, 25)).unwrap();
    let ana = csm_id(&store, "Ana Lima");
    assert_eq!(sampled(&store, ana), sampled(&copy, ana));
    audits::draw(&mut copy, &req(Some(8)), on(11, 25)).unwrap();
    assert_ne!(sampled(&store, ana), sampled(&copy, ana), "another seed");
}

#[test]
fn scores_are_saved_and_a_redraw_keeps_them() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = team(&dir.path().join("team.db"));
    audits::draw(&mut store, &req(None), on(11, 23)).unwrap();
    let ben = csm_id(&store, "Ben Okoro");
    let items = audits::list(store.conn(), Q4, Some(ben)).unwrap();
    let scored = Score {
        rubric: Some(2),
        pillars: [Some(3), None, Some(2), Some(1), None, Some(4)],
        comment: "Read the renewal prompt word for word.".into(),
    };
    audits::save_score(&mut store, items[0].id, &scored, on(11, 23)).unwrap();
    let commented = Score {
        comment: "Listen again".into(),
        ..Score::default()
    };
    audits::save_score(&mut store, items[1].id, &commented, on(11, 23)).unwrap();
    assert_eq!(
        audits::score_of(store.conn(), items[0].id).unwrap(),
        Some(scored.clone())
    );
    let scored_at: Option<String> = store
        .conn()
        .query_row(
            "SELECT scored_at FROM audits WHERE id = ?1",
            [items[0].id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(scored_at.as_deref(), Some("2026-11-23T15:00:00Z"));
    // Out-of-range scores are refused and nothing changes.
    let bad = Score {
        rubric: Some(6),
        ..Score::default()
    };
    assert!(audits::save_score(&mut store, items[0].id, &bad, on(11, 23)).is_err());
    assert_eq!(
        audits::score_of(store.conn(), items[0].id).unwrap(),
        Some(scored.clone())
    );
    assert!(audits::save_score(&mut store, 12345, &scored, on(11, 23)).is_err());
    // A re-draw with another seed keeps both entered audits and tops up to ten.
    let drawn = audits::draw(
        &mut store,
        &DrawRequest {
            csm_id: Some(ben),
            ..req(Some(99))
        },
        on(11, 24),
    )
    .unwrap();
    assert_eq!(drawn.len(), 1, "only Ben");
    assert_eq!(drawn[0].kept + drawn[0].added, 10);
    assert!(drawn[0].kept >= 2);
    let after = audits::list(store.conn(), Q4, Some(ben)).unwrap();
    assert_eq!(after.len(), 10);
    let kept = after.iter().find(|a| a.id == items[0].id).unwrap();
    assert_eq!(kept.score, scored);
    assert_eq!(
        kept.seed, 20264,
        "an audit keeps the seed it was drawn with"
    );
    assert!(after.iter().any(|a| a.id == items[1].id));
    // Other CSMs were not touched.
    let ana = csm_id(&store, "Ana Lima");
    assert!(
        audits::list(store.conn(), Q4, Some(ana))
            .unwrap()
            .iter()
            .all(|a| a.seed == 20264)
    );
    // The next draw without a seed continues with the last one used.
    assert_eq!(audits::default_seed(store.conn(), Q4).unwrap(), 99);
}

#[test]
fn drawing_again_with_the_same_seed_only_tops_up() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = team(&dir.path().join("team.db"));
    audits::draw(&mut store, &req(None), on(11, 23)).unwrap();
    let dev = csm_id(&store, "Dev Rao");
    let before = sampled(&store, dev);
    // Twenty more calls arrive later in the quarter; some would rank before the sample.
    store
        .write(|tx| {
            let account: i64 = tx.conn().query_row(
                "SELECT id FROM accounts WHERE owner_csm_id = ?1",
                [dev],
                |r| r.get(0),
            )?;
            for d in 1..=20 {
                let mut t = NewTouch::new(account, TouchKind::Call, on(12, d));
                t.csm_id = Some(dev);
                tx.insert_touch(&t)?;
            }
            Ok(())
        })
        .unwrap();
    let drawn = audits::draw(&mut store, &req(None), on(12, 21)).unwrap();
    let d = drawn.iter().find(|d| d.csm_id == dev).unwrap();
    assert_eq!((d.candidates, d.kept, d.added, d.dropped), (32, 10, 0, 0));
    assert_eq!(sampled(&store, dev), before);
    // Asking for twelve adds two; another seed redraws the unscored ones.
    let more = DrawRequest {
        per_csm: 12,
        ..req(None)
    };
    let d = audits::draw(&mut store, &more, on(12, 21)).unwrap();
    assert!(d.iter().all(|d| d.added == 2 && d.dropped == 0));
    let other = audits::draw(&mut store, &req(Some(1)), on(12, 22)).unwrap();
    let d = other.iter().find(|d| d.csm_id == dev).unwrap();
    assert_eq!(d.kept + d.added, 10);
    assert!(d.dropped >= 2, "{d:?}");
}

#[test]
fn an_audit_outlives_its_touch() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = team(&dir.path().join("team.db"));
    audits::draw(&mut store, &req(None), on(11, 23)).unwrap();
    let cleo = csm_id(&store, "Cleo Park");
    let first = audits::list(store.conn(), Q4, Some(cleo)).unwrap()[0].clone();
    let score = Score {
        rubric: Some(5),
        ..Score::default()
    };
    audits::save_score(&mut store, first.id, &score, on(11, 23)).unwrap();
    // What `team merge` does to a CSM's touches: replaced wholesale, foreign keys off.
    store
        .conn()
        .execute_batch("PRAGMA foreign_keys = OFF;")
        .unwrap();
    store
        .write(|tx| {
            tx.conn()
                .execute("DELETE FROM touches WHERE id = ?1", [first.touch_id])?;
            Ok(())
        })
        .unwrap();
    let items = audits::list(store.conn(), Q4, Some(cleo)).unwrap();
    assert_eq!(items.len(), 10);
    let gone = items.iter().find(|a| a.id == first.id).unwrap();
    assert!(gone.touch.is_none());
    assert_eq!(gone.score, score);
    assert_eq!(
        audits::touch(store.conn(), first.touch_id, &Library::builtin()).unwrap(),
        None
    );
    // Drawing again keeps the scored audit of the vanished touch.
    let drawn = audits::draw(&mut store, &req(None), on(11, 24)).unwrap();
    let d = drawn.iter().find(|d| d.csm_id == cleo).unwrap();
    assert_eq!((d.candidates, d.kept, d.added), (11, 10, 0));
    // `attuned check` does not call it damage.
    let report = attuned::store::check::run(store.conn()).unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}

#[test]
fn the_audited_touch_comes_with_its_notes_steps_and_prompts() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = team(&dir.path().join("team.db"));
    audits::draw(&mut store, &req(None), on(11, 23)).unwrap();
    let item = audits::list(store.conn(), Q4, None).unwrap()[0].clone();
    store
        .write(|tx| {
            tx.conn().execute(
                "INSERT INTO touch_steps (touch_id, step, note) VALUES (?1, 2, 'Mirrored: rollout pain')",
                [item.touch_id],
            )?;
            tx.conn().execute(
                "INSERT INTO touch_prompts (touch_id, step, prompt_key, shown_at, used)
                 VALUES (?1, 2, 'mirror.friction', '2026-11-01T15:00:00Z', 1)",
                [item.touch_id],
            )?;
            tx.conn().execute(
                "INSERT INTO touch_prompts (touch_id, step, prompt_key, shown_at, used)
                 VALUES (?1, 3, 'ours.board', '2026-11-01T15:05:00Z', 0)",
                [item.touch_id],
            )?;
            Ok(())
        })
        .unwrap();
    let t = audits::touch(store.conn(), item.touch_id, &Library::builtin())
        .unwrap()
        .unwrap();
    assert!(t.account.ends_with("Holdings"));
    assert_eq!(
        t.detail.notes.as_deref(),
        Some("Mirrored the frustration first.\nAgreed on a plan.")
    );
    assert_eq!(t.detail.steps[0].note, "Mirrored: rollout pain");
    assert!(t.prompts[0].shown.used);
    assert!(t.prompts[0].text.as_deref().unwrap().contains("friction"));
    // A team's own prompt is read in the reader's library; the built-in one has no words
    // for it, and still gives those of its own keys.
    assert_eq!(t.prompts[1].text, None);
    let ours = Library::parse(
        "[[prompt]]\nkey = \"ours.board\"\nstep = 3\ntext = \"Who on the board asked for this?\"\n",
    )
    .unwrap();
    let t = audits::touch(store.conn(), item.touch_id, &ours)
        .unwrap()
        .unwrap();
    assert!(t.prompts[0].text.as_deref().unwrap().contains("friction"));
    assert_eq!(
        t.prompts[1].text.as_deref(),
        Some("Who on the board asked for this?")
    );
}

#[test]
fn the_summary_puts_scores_beside_renewal_outcomes() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = team(&dir.path().join("team.db"));
    audits::draw(&mut store, &req(None), on(11, 23)).unwrap();
    // Ana: rubric 2, 3, 4 (mean 3.0), personalization 5 on one → 5.0.
    // Ben: rubric 1, 2 (1.5); one more audit with only a comment (not scored).
    // Cleo: 5, 4 (4.5). Dev: nothing scored.
    let plan: &[(&str, &[Option<u8>])] = &[
        ("Ana Lima", &[Some(2), Some(3), Some(4)]),
        ("Ben Okoro", &[Some(1), Some(2), None]),
        ("Cleo Park", &[Some(5), Some(4)]),
    ];
    for (name, rubrics) in plan {
        let id = csm_id(&store, name);
        let items = audits::list(store.conn(), Q4, Some(id)).unwrap();
        for (i, rubric) in rubrics.iter().enumerate() {
            let mut s = Score {
                rubric: *rubric,
                comment: "noted".into(),
                ..Score::default()
            };
            if *name == "Ana Lima" && i == 0 {
                s.pillars[0] = Some(5);
            }
            audits::save_score(&mut store, items[i].id, &s, on(11, 23)).unwrap();
        }
    }
    let s = audits::summary(store.conn(), Q4).unwrap();
    let names: Vec<&str> = s.rows.iter().map(|r| r.csm.as_str()).collect();
    assert_eq!(names, ["Ana Lima", "Ben Okoro", "Cleo Park", "Dev Rao"]);
    let ana = &s.rows[0];
    assert_eq!((ana.drawn, ana.scored), (10, 3));
    assert_eq!(ana.rubric, Some(3.0));
    assert_eq!(ana.pillars[0], Some(5.0));
    assert_eq!(ana.pillars[1], None);
    assert_eq!(
        (
            ana.outcomes.renewed,
            ana.outcomes.expanded,
            ana.outcomes.lost
        ),
        (2, 1, 1),
        "Q3's losses and the in-progress call do not count"
    );
    assert_eq!(ana.outcomes.renewal_rate(), Some(0.75));
    let ben = &s.rows[1];
    assert_eq!((ben.scored, ben.rubric), (2, Some(1.5)));
    assert_eq!(
        (ben.outcomes.lost, ben.outcomes.renewal_rate()),
        (2, Some(0.0))
    );
    let cleo = &s.rows[2];
    assert_eq!((cleo.rubric, cleo.outcomes.renewed), (Some(4.5), 3));
    let dev = &s.rows[3];
    assert_eq!((dev.scored, dev.rubric, dev.outcomes.total()), (0, None, 0));
    // Three CSMs have both: (3.0, 75%), (1.5, 0%), (4.5, 100%).
    let c = s.correlation.unwrap();
    assert_eq!(c.csms, 3);
    assert!((c.spearman.unwrap() - 1.0).abs() < 1e-9);
    // Pearson by hand: x = 3, 1.5, 4.5 (mean 3); y = .75, 0, 1 (mean 7/12).
    let (x, y) = ([3.0, 1.5, 4.5], [0.75, 0.0, 1.0]);
    let (mx, my) = (3.0, 7.0 / 12.0);
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = x.iter().map(|a| (a - mx) * (a - mx)).sum();
    let syy: f64 = y.iter().map(|b| (b - my) * (b - my)).sum();
    assert!((c.pearson.unwrap() - sxy / (sxx * syy).sqrt()).abs() < 1e-9);
    let md = audits::summary_markdown(store.conn(), Q4).unwrap();
    assert!(md.contains("| Ana Lima | 3/10 | 3.0 | 5.0 |"), "{md}");
    assert!(md.contains("| 2 | 1 | 1 | 75% |"), "{md}");
    assert!(md.contains("Spearman ρ +1.00"), "{md}");
    // A quarter without audits or results has no rows.
    assert!(
        audits::summary(store.conn(), Q4.next())
            .unwrap()
            .rows
            .is_empty()
    );
}

#[test]
fn a_v2_file_migrates_to_v3_and_keeps_its_data() {
    use rusqlite::Connection;
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("old.db");
    {
        let mut conn = Connection::open(&db).unwrap();
        schema::MIGRATIONS.to_version(&mut conn, 2).unwrap();
        conn.execute_batch(
            "INSERT INTO meta VALUES ('origin', '42'), ('created_at', '2026-01-01T00:00:00Z');
             INSERT INTO csms (id, name, created_at) VALUES (7, 'Ana Lima', '2026-01-01T00:00:00Z');
             INSERT INTO accounts (id, name, segment, created_at) VALUES (1, 'Old Co', 'smb', '2026-01-01T00:00:00Z');
             INSERT INTO touches (id, account_id, csm_id, kind, occurred_at, outcome, created_at, updated_at)
                 VALUES (5, 1, 7, 'call', '2026-11-02T10:00:00Z', 'won', '2026-11-02T10:00:00Z', '2026-11-02T10:00:00Z');
             INSERT INTO external_ids VALUES ('touch', 5, 'maven', 'OPP1');",
        )
        .unwrap();
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let mut store = Store::open(&db).unwrap();
    let version: i64 = store
        .conn()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, schema::LATEST);
    let kept: (i64, i64) = store
        .conn()
        .query_row(
            "SELECT (SELECT count(*) FROM touches), (SELECT count(*) FROM external_ids)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(kept, (1, 1));
    let backups = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            let name = e.as_ref().unwrap().file_name();
            name.to_string_lossy().contains(".schema2-")
        })
        .count();
    assert_eq!(backups, 1, "the V2 file was kept before migrating");
    // The new table works on the migrated file, with the file's own origin.
    let drawn = audits::draw(&mut store, &req(None), on(11, 23)).unwrap();
    assert_eq!(drawn[0].added, 1);
    let item = &audits::list(store.conn(), Q4, None).unwrap()[0];
    assert_eq!(item.id >> 32, 42);
    assert_eq!(item.touch_id, 5);
    // The schema refuses what the CHECKs exclude.
    let bad = store.conn().execute(
        "INSERT INTO audits (id, touch_id, csm_id, quarter, seed, drawn_at) VALUES (1, 5, 7, '2026Q5', 1, 'x')",
        [],
    );
    assert!(bad.is_err());
    let twice = store.conn().execute(
        "INSERT INTO audits (id, touch_id, csm_id, quarter, seed, drawn_at) VALUES (1, 5, 7, '2026Q4', 1, 'x')",
        [],
    );
    assert!(twice.is_err(), "one audit per touch and quarter");
}

// ---- screens ----

/// The app on `store` at this file's clock (an hour into the fixture's day).
fn app_on(store: Store, size: (u16, u16)) -> App {
    App::new(store, Arc::new(clock()), Theme::plain(), size).unwrap()
}

fn app(dir: &tempfile::TempDir, size: (u16, u16)) -> App {
    unsafe { std::env::set_var("XDG_CONFIG_HOME", "/nonexistent-attuned-test-config") };
    let store = team(&dir.path().join("team.db"));
    app_on(store, size)
}

fn ctrl(app: &mut App, c: char) {
    app.handle_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL));
}

#[test]
fn the_audit_screens_draw_score_and_summarise() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app(&dir, (80, 24));
    // A team file opens on the team view; `a` on a team's line audits every CSM.
    assert!(render(&app, 80, 24).contains("Team"));
    key(&mut app, KeyCode::Char('a'));
    let empty = render(&app, 80, 24);
    assert!(empty.contains("Nothing drawn for 2026Q4 yet"), "{empty}");
    assert!(empty.contains("seed 20264"), "{empty}");
    key(&mut app, KeyCode::Char('d'));
    let list = render(&app, 80, 24);
    assert!(
        list.contains("Drew 40 touches for 4 CSMs (seed 20264)"),
        "{list}"
    );
    insta::assert_snapshot!("audit_list_80x24", list);
    // Score the first touch: rubric 3, two pillars, a comment.
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char('3'));
    key(&mut app, KeyCode::Char('4'));
    key(&mut app, KeyCode::Char('2'));
    key(&mut app, KeyCode::Enter);
    press(&mut app, "Mirrored well; plan was generic");
    let form = render(&app, 80, 24);
    assert!(form.contains("Mirrored the frustration first."), "{form}");
    insta::assert_snapshot!("audit_form_80x24", form);
    // The comment is already in the file, before leaving the form.
    let reader = Store::open_read_only(&dir.path().join("team.db")).unwrap();
    let comment: String = reader
        .conn()
        .query_row("SELECT comment FROM audits WHERE rubric = 3", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(comment, "Mirrored well; plan was generic");
    drop(reader);
    insta::assert_snapshot!("audit_form_120x40", render(&app, 120, 40));
    insta::assert_snapshot!("audit_form_120x35", render(&app, 120, 35));
    key(&mut app, KeyCode::Esc);
    let after = render(&app, 120, 40);
    assert!(after.contains("✓ 3  Ana Lima"), "{after}");
    insta::assert_snapshot!("audit_list_120x40", after);
    insta::assert_snapshot!("audit_list_120x35", render(&app, 120, 35));
    // n/p walk the sample from the form; Esc twice goes back to the portfolio.
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char('n'));
    assert!(render(&app, 80, 24).contains("to score"));
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Esc);
    assert!(render(&app, 80, 24).contains("Team / CSM"));
    // On a CSM's line `a` opens that CSM's audits; `A` on the portfolio every CSM's.
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Char('a'));
    assert!(render(&app, 80, 24).contains("Ana Lima · 2026Q4 · 10 drawn, 1 scored"));
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('A'));
    assert!(render(&app, 80, 24).contains("all CSMs · 2026Q4 · 40 drawn"));
}

#[test]
fn quarters_and_seeds_are_chosen_on_the_screen() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app(&dir, (80, 24));
    key(&mut app, KeyCode::Char('a'));
    // Help and the palette come from the keymap.
    key(&mut app, KeyCode::Char('?'));
    let help = render(&app, 100, 30);
    assert!(help.contains("Keys on the audits screen"), "{help}");
    assert!(help.contains("Draw the sample"), "{help}");
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('['));
    assert!(render(&app, 80, 24).contains("all CSMs · 2026Q3"));
    key(&mut app, KeyCode::Char(']'));
    key(&mut app, KeyCode::Char('s'));
    ctrl(&mut app, 'u');
    press(&mut app, "7x");
    key(&mut app, KeyCode::Enter);
    assert!(render(&app, 80, 24).contains("'7x' is not a seed"));
    key(&mut app, KeyCode::Backspace);
    key(&mut app, KeyCode::Enter);
    assert!(render(&app, 80, 24).contains("seed 7 "));
    key(&mut app, KeyCode::Char('d'));
    let store = Store::open_read_only(&dir.path().join("team.db")).unwrap();
    let seeds: Vec<i64> = store
        .conn()
        .prepare("SELECT DISTINCT seed FROM audits")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(seeds, vec![7]);
    // Ctrl-C quits from the scoring form too (everything is saved already).
    key(&mut app, KeyCode::Enter);
    ctrl(&mut app, 'c');
    assert!(app.should_quit());
}

#[test]
fn a_read_only_file_explains_instead_of_drawing_or_scoring() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("team.db");
    let mut store = team(&path);
    audits::draw(&mut store, &req(None), on(11, 23)).unwrap();
    drop(store);
    unsafe { std::env::set_var("XDG_CONFIG_HOME", "/nonexistent-attuned-test-config") };
    let store = Store::open_read_only(&path).unwrap();
    let mut app = app_on(store, (80, 24));
    key(&mut app, KeyCode::Char('a'));
    key(&mut app, KeyCode::Char('d'));
    assert!(render(&app, 80, 24).contains("read-only"));
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char('4'));
    let screen = render(&app, 80, 24);
    assert!(
        screen.contains("read-only: audits cannot be scored"),
        "{screen}"
    );
    key(&mut app, KeyCode::Enter);
    press(&mut app, "x");
    drop(app);
    let store = Store::open_read_only(&path).unwrap();
    let touched: i64 = store
        .conn()
        .query_row(
            "SELECT count(*) FROM audits WHERE rubric IS NOT NULL OR comment <> ''",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(touched, 0);
}

#[test]
fn a_vanished_touch_is_said_so_on_screen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("team.db");
    let mut store = team(&path);
    audits::draw(&mut store, &req(None), on(11, 23)).unwrap();
    let first = audits::list(store.conn(), Q4, None).unwrap()[0].clone();
    store
        .conn()
        .execute_batch("PRAGMA foreign_keys = OFF;")
        .unwrap();
    store
        .conn()
        .execute("DELETE FROM touches WHERE id = ?1", [first.touch_id])
        .unwrap();
    drop(store);
    unsafe { std::env::set_var("XDG_CONFIG_HOME", "/nonexistent-attuned-test-config") };
    let store = Store::open(&path).unwrap();
    let mut app = app_on(store, (120, 40));
    key(&mut app, KeyCode::Char('a'));
    let list = render(&app, 120, 40);
    assert!(
        list.contains("this touch is no longer in the CSM's file"),
        "{list}"
    );
    key(&mut app, KeyCode::Char('G'));
    key(&mut app, KeyCode::Enter);
    // The vanished one sorts last in its CSM's list; find it with n/p if needed.
    let mut screen = render(&app, 120, 40);
    for _ in 0..40 {
        if screen.contains("no longer in the CSM's file") {
            break;
        }
        key(&mut app, KeyCode::Char('p'));
        screen = render(&app, 120, 40);
    }
    assert!(
        screen.contains("This touch is no longer in the CSM's file."),
        "{screen}"
    );
    key(&mut app, KeyCode::Char('2'));
    assert!(render(&app, 120, 40).contains("Adaptability 2 Prompted"));
}

#[test]
fn the_command_line_draws_prints_and_summarises() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("team.db");
    let mut store = team(&db);
    let ana = csm_id(&store, "Ana Lima");
    let first = audits::list(store.conn(), Q4, Some(ana)).unwrap();
    assert!(first.is_empty());
    drop(store);
    let db_arg = db.to_str().unwrap();
    let run = |args: &[&str]| common::cli::attuned(dir.path(), args);
    let draw = ["audit", "draw", "--db", db_arg, "--quarter", "2026Q4"];
    let out = run(&draw);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("Adaptability audits, 2026Q4, seed 20264, 10 per CSM"));
    assert!(
        text.contains(
            "Ana Lima: 10 drawn of 12 calls, meetings and QBRs (10 new, 0 kept, 0 unscored replaced)"
        ),
        "{text}"
    );
    assert_eq!(text.matches("[to score]").count(), 40);
    // Drawing again prints the same sample and changes nothing.
    let again = run(&draw);
    let again = String::from_utf8(again.stdout).unwrap();
    assert_eq!(
        again.replace("0 new, 10 kept", "10 new, 0 kept"),
        text,
        "the same sample"
    );
    // The same sample as the screen and the store draw.
    store = Store::open(&db).unwrap();
    let mut want = audit::sample(
        &audits::candidates(store.conn(), ana, Q4).unwrap(),
        20264,
        ana,
        Q4,
        10,
    );
    want.sort_unstable();
    assert_eq!(sampled(&store, ana), want);
    drop(store);
    let summary = run(&["audit", "summary", "--db", db_arg, "--quarter", "2026q4"]);
    let md = String::from_utf8(summary.stdout).unwrap();
    assert!(md.starts_with("## Adaptability audits, 2026Q4"), "{md}");
    assert!(md.contains("| Ana Lima | 0/10 | — |"), "{md}");
    // Mistakes are one line and a non-zero status.
    let bad = run(&["audit", "draw", "--db", db_arg, "--quarter", "2026Q7"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("write it like 2026Q4"));
    let ro = run(&["audit", "draw", "--db", db_arg, "--read-only"]);
    assert!(!ro.status.success());
    assert!(String::from_utf8_lossy(&ro.stderr).contains("drop --read-only"));
    let missing = dir.path().join("nope.db");
    let none = run(&["audit", "draw", "--db", missing.to_str().unwrap()]);
    assert!(!none.status.success());
    assert!(!missing.exists(), "no file is created by a draw");
}

#[test]
fn the_audit_screens_render_at_every_size_without_panicking() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app(&dir, (80, 24));
    // Each sweep first checks it reached the screen it sweeps: it cannot pass on another.
    let entered = |app: &App, marker: &str| {
        let text = render(app, 120, 40);
        assert!(text.contains(marker), "{marker}: {text}");
    };
    key(&mut app, KeyCode::Char('a'));
    key(&mut app, KeyCode::Char('d'));
    entered(&app, "Drew ");
    let sizes = [
        (40, 10),
        (41, 11),
        (60, 15),
        (80, 24),
        (99, 30),
        (100, 12),
        (200, 60),
    ];
    for (w, h) in sizes {
        render(&app, w, h);
    }
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Enter);
    press(&mut app, "line one");
    key(&mut app, KeyCode::Enter);
    press(&mut app, "line two ünïcødé");
    key(&mut app, KeyCode::Left);
    key(&mut app, KeyCode::Backspace);
    entered(&app, "line two ünïcø");
    for (w, h) in sizes {
        render(&app, w, h);
    }
    // The rubric's levels are spelled out while the rubric has the focus.
    key(&mut app, KeyCode::Tab);
    let wide = render(&app, 120, 40);
    assert!(
        wide.contains("1 Scripted: Reads scripts verbatim"),
        "{wide}"
    );
    let narrow = render(&app, 80, 24);
    assert!(narrow.contains("1 = reads scripts verbatim"), "{narrow}");
    key(&mut app, KeyCode::Esc);
    let store = Store::open_read_only(&dir.path().join("team.db")).unwrap();
    let comment: String = store
        .conn()
        .query_row("SELECT comment FROM audits WHERE comment <> ''", [], |r| {
            r.get(0)
        })
        .unwrap();
    // Left then Backspace took the "d" out of "cødé".
    assert_eq!(comment, "line one\nline two ünïcøé");
}

/// On a narrow form each field's name is cut before its score, so every score shows.
#[test]
fn a_narrow_form_keeps_every_score_in_view() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app(&dir, (40, 12));
    key(&mut app, KeyCode::Char('a'));
    key(&mut app, KeyCode::Char('d'));
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char('3'));
    key(&mut app, KeyCode::Char('4'));
    let form = render(&app, 40, 12);
    let line = form.lines().find(|l| l.contains("Personalization"));
    assert!(line.is_some_and(|l| l.contains("4▶")), "{form}");
    assert!(form.contains("3 Noticing"), "{form}");
}
