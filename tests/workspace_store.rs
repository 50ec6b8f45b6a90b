//! Store tests for the account workspace: persona edits with their history, the CSM
//! sentiment, archiving, and the summary recomputed in the same transaction.

mod common;

use attuned::domain::model::{Pulse, Role, Sentiment, Strength};
use attuned::store::Store;
use attuned::store::persona::{self, PersonaFields};
use attuned::store::summary::AsOf;
use attuned::store::timeline;
use chrono::Duration;

fn account_id(store: &Store, name: &str) -> i64 {
    store
        .conn()
        .query_row("SELECT id FROM accounts WHERE name = ?1", [name], |r| {
            r.get(0)
        })
        .unwrap()
}

fn persona_id(store: &Store, name: &str) -> i64 {
    store
        .conn()
        .query_row("SELECT id FROM personas WHERE name = ?1", [name], |r| {
            r.get(0)
        })
        .unwrap()
}

fn summary_row(store: &Store, id: i64) -> (i64, i64, Option<String>) {
    store
        .conn()
        .query_row(
            "SELECT risk, personas_strong, pulse FROM accounts WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap()
}

#[test]
fn a_new_persona_has_its_first_state_as_history_until_it_changes() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = common::build(&dir.path().join("h.db"));
    let account = account_id(&store, "Northwind Logistics");
    let at = AsOf::new(&common::clock());
    let fields = PersonaFields {
        name: "Noor Haddad".into(),
        role: Some(Role::Admin),
        strength: Some(Strength::Weak),
        ..PersonaFields::default()
    };
    let noor = store.add_persona(account, &fields, &at).unwrap();
    let first = |h: &[persona::PersonaChange]| {
        h.iter()
            .map(|c| (c.changed_at, c.strength, c.sentiment, c.reason.clone()))
            .collect::<Vec<_>>()
    };
    let opening = (at.now, Strength::Weak, Sentiment::Neutral, None);
    let history = persona::history(store.conn(), noor).unwrap();
    assert_eq!(first(&history), vec![opening.clone()]);
    // A why given without a change goes on that first state, as on any newest entry.
    let same = PersonaFields {
        strength: None,
        ..fields.clone()
    };
    store
        .edit_persona(noor, &same, Some("Met at the kickoff"), &at)
        .unwrap();
    let why = (
        at.now,
        Strength::Weak,
        Sentiment::Neutral,
        Some("Met at the kickoff".to_string()),
    );
    assert_eq!(
        first(&persona::history(store.conn(), noor).unwrap()),
        vec![why.clone()]
    );
    // The first change keeps the state before it below it.
    let mut later = at;
    later.now += Duration::minutes(5);
    store
        .change_persona_tie(noor, Strength::Okay, Sentiment::Positive, None, &later)
        .unwrap();
    let changed = (later.now, Strength::Okay, Sentiment::Positive, None);
    assert_eq!(
        first(&persona::history(store.conn(), noor).unwrap()),
        vec![changed, why]
    );
}

#[test]
fn a_tie_change_is_kept_in_history_with_its_reason_and_risk_follows() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = common::build(&dir.path().join("b.db"));
    let account = account_id(&store, "Northwind Logistics");
    let dana = persona_id(&store, "Dana Whitfield");
    let (risk_before, strong_before, _) = summary_row(&store, account);
    let mut at = AsOf::new(&common::clock());
    at.now += Duration::minutes(5);
    store
        .change_persona_tie(
            dana,
            Strength::Okay,
            Sentiment::Positive,
            Some("  Lunch went well  "),
            &at,
        )
        .unwrap();
    let history = persona::history(store.conn(), dana).unwrap();
    assert_eq!(history.len(), 2, "{history:?}");
    assert_eq!(
        (history[0].strength, history[0].sentiment),
        (Strength::Okay, Sentiment::Positive)
    );
    assert_eq!(history[0].reason.as_deref(), Some("Lunch went well"));
    assert_eq!(history[0].changed_at, at.now);
    assert_eq!(
        (history[1].strength, history[1].sentiment),
        (Strength::Weak, Sentiment::Negative)
    );
    let (risk_after, strong_after, _) = summary_row(&store, account);
    assert!(risk_after < risk_before, "{risk_before} -> {risk_after}");
    assert_eq!(strong_after, strong_before + 1);
    // A change without a reason is still recorded.
    store
        .change_persona_tie(dana, Strength::Okay, Sentiment::Neutral, Some(" "), &at)
        .unwrap();
    let history = persona::history(store.conn(), dana).unwrap();
    assert_eq!(history.len(), 3);
    assert_eq!(history[0].reason, None);
}

#[test]
fn setting_the_csm_sentiment_adds_to_its_history_and_refreshes_the_summary() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = common::build(&dir.path().join("b.db"));
    let account = account_id(&store, "Halcyon Health");
    let at = AsOf::new(&common::clock());
    store
        .set_account_pulse(account, Pulse::Green, Some("Renewal signed verbally"), &at)
        .unwrap();
    let (_, _, pulse) = summary_row(&store, account);
    assert_eq!(pulse.as_deref(), Some("green"));
    let (count, reason): (i64, Option<String>) = store
        .conn()
        .query_row(
            "SELECT count(*), (SELECT reason FROM pulse_history WHERE account_id = ?1
                               ORDER BY set_at DESC LIMIT 1)
             FROM pulse_history WHERE account_id = ?1",
            [account],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(count, 2);
    assert_eq!(reason.as_deref(), Some("Renewal signed verbally"));
}

#[test]
fn personas_are_added_edited_and_archived_with_validation() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = common::build(&dir.path().join("b.db"));
    let account = account_id(&store, "Quarry & Vale Outfitters");
    let at = AsOf::new(&common::clock());
    let bad = PersonaFields {
        name: "  ".into(),
        ..PersonaFields::default()
    };
    assert!(store.add_persona(account, &bad, &at).is_err());
    let bad_email = PersonaFields {
        name: "Kim".into(),
        email: Some("kim at example".into()),
        ..PersonaFields::default()
    };
    let err = store.add_persona(account, &bad_email, &at).unwrap_err();
    assert!(err.to_string().contains("not an email"), "{err}");

    let boss = store
        .add_persona(
            account,
            &PersonaFields {
                name: "Ava Stone".into(),
                title: Some("CEO".into()),
                role: Some(Role::ExecutiveSponsor),
                ..PersonaFields::default()
            },
            &at,
        )
        .unwrap();
    let kim = store
        .add_persona(
            account,
            &PersonaFields {
                name: "Kim Park".into(),
                role: Some(Role::Champion),
                reports_to_id: Some(boss),
                strength: Some(Strength::Okay),
                sentiment: Some(Sentiment::Positive),
                ..PersonaFields::default()
            },
            &at,
        )
        .unwrap();
    let (_, strong, _) = summary_row(&store, account);
    assert_eq!(strong, 1);
    // A cycle and a manager from another account are refused.
    let mut cyc = PersonaFields {
        name: "Ava Stone".into(),
        reports_to_id: Some(kim),
        ..PersonaFields::default()
    };
    assert!(store.edit_persona(boss, &cyc, None, &at).is_err());
    cyc.reports_to_id = Some(persona_id(&store, "Dana Whitfield"));
    assert!(store.edit_persona(boss, &cyc, None, &at).is_err());

    let edited = PersonaFields {
        name: "Kim Park".into(),
        title: Some("Head of Ops".into()),
        role: Some(Role::Champion),
        reports_to_id: Some(boss),
        strength: Some(Strength::VeryGood),
        sentiment: Some(Sentiment::Positive),
        ..PersonaFields::default()
    };
    store
        .edit_persona(kim, &edited, Some("Weekly syncs now"), &at)
        .unwrap();
    let rec = persona::persona(store.conn(), kim).unwrap();
    assert_eq!(rec.title.as_deref(), Some("Head of Ops"));
    assert_eq!(rec.reports_to.as_deref(), Some("Ava Stone"));
    let history = persona::history(store.conn(), kim).unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].reason.as_deref(), Some("Weekly syncs now"));
    // Editing only the title adds no history.
    store.edit_persona(kim, &edited, None, &at).unwrap();
    assert_eq!(persona::history(store.conn(), kim).unwrap().len(), 2);
    // A why given after a quick change goes onto that change.
    store
        .change_persona_tie(kim, Strength::VeryGood, Sentiment::Neutral, None, &at)
        .unwrap();
    let mut neutral = edited.clone();
    neutral.sentiment = Some(Sentiment::Neutral);
    store
        .edit_persona(kim, &neutral, Some("Budget freeze"), &at)
        .unwrap();
    let history = persona::history(store.conn(), kim).unwrap();
    assert_eq!(history.len(), 3);
    assert_eq!(history[0].reason.as_deref(), Some("Budget freeze"));
    // Once it has one, another why is its own entry.
    store
        .edit_persona(kim, &neutral, Some("Still frozen"), &at)
        .unwrap();
    let history = persona::history(store.conn(), kim).unwrap();
    assert_eq!(history.len(), 4);
    assert_eq!(history[0].reason.as_deref(), Some("Still frozen"));

    store.archive_persona(boss, &at).unwrap();
    let rec = persona::persona(store.conn(), kim).unwrap();
    assert_eq!(
        rec.reports_to_id, None,
        "reports move up to the archived one's manager"
    );
    assert!(persona::persona(store.conn(), boss).unwrap().archived);
    let lines = persona::reporting_lines(store.conn(), account).unwrap();
    assert_eq!(lines, vec![(kim, None)]);
    let personas_total: i64 = store
        .conn()
        .query_row(
            "SELECT personas_total FROM accounts WHERE id = ?1",
            [account],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(personas_total, 1);
}

#[test]
fn read_only_files_refuse_edits() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.db");
    let store = common::build(&path);
    let dana = persona_id(&store, "Dana Whitfield");
    drop(store);
    let mut ro = Store::open_read_only(&path).unwrap();
    let at = AsOf::new(&common::clock());
    let err = ro
        .change_persona_tie(dana, Strength::Okay, Sentiment::Neutral, None, &at)
        .unwrap_err();
    assert!(err.to_string().contains("read-only"), "{err}");
}

#[test]
fn the_timeline_pages_by_keyset_and_a_touch_opens_in_full() {
    let dir = tempfile::tempdir().unwrap();
    let store = common::build(&dir.path().join("b.db"));
    let account = account_id(&store, "Northwind Logistics");
    let all: Vec<(i64, String)> = store
        .conn()
        .prepare("SELECT id, occurred_at FROM touches WHERE account_id = ?1 ORDER BY occurred_at DESC, id DESC")
        .unwrap()
        .query_map([account], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(!all.is_empty());
    let first = attuned::store::parse_timestamp(&all[0].1).unwrap();
    let rest =
        timeline::touches_after(store.conn(), account, Some((first, all[0].0)), 100).unwrap();
    assert_eq!(rest.len(), all.len() - 1);
    let t = timeline::touch(store.conn(), all[0].0).unwrap();
    assert_eq!(t.id, all[0].0);
    assert!(timeline::touch(store.conn(), -1).is_err());
}
