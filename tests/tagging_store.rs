//! Store tests of tagging: every effect in one transaction (touch, CSM sentiment history,
//! participants' history, follow-up queue, account summary), corrections that keep the
//! earlier values, and the follow-up queue's moves.

mod common;

use attuned::domain::model::{Intervention, Pulse, Sentiment, Strength, TouchKind};
use attuned::domain::tagging::Bucket;
use attuned::store::Store;
use attuned::store::followups;
use attuned::store::persona;
use attuned::store::summary::AsOf;
use attuned::store::tagging::{self, Tag, Target, Tie};
use chrono::Days;
use common::id_of;

fn count(store: &Store, sql: &str, id: i64) -> i64 {
    store.conn().query_row(sql, [id], |r| r.get(0)).unwrap()
}

fn at() -> AsOf {
    AsOf::new(&common::clock())
}

fn tag(sentiment: Pulse, followup: Option<u64>) -> Tag {
    Tag {
        sentiment,
        intervention: Intervention::Coaching,
        followup_on: followup.map(|d| common::today().checked_add_days(Days::new(d)).unwrap()),
        followup_action: "Send the rollout plan".into(),
        outcome: "Agreed on a plan".into(),
        notes: "Line one\nLine two".into(),
        csat: Some(4),
        escalated: false,
    }
}

#[test]
fn logging_an_email_lands_every_effect_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = common::build(&dir.path().join("t.db"));
    let account = id_of(&store, "accounts", "Bluepeak Analytics");
    let ines = id_of(&store, "personas", "Ines Carvalho");
    let pulses = count(
        &store,
        "SELECT count(*) FROM pulse_history WHERE account_id = ?1",
        account,
    );
    let changes = persona::history(store.conn(), ines).unwrap();
    let touch = tagging::save(
        &mut store,
        &Target::Log {
            account_id: account,
            kind: TouchKind::Email,
            participants: vec![ines],
        },
        &tag(Pulse::Red, Some(2)),
        &[Tie {
            persona_id: ines,
            strength: Strength::Weak,
            sentiment: Sentiment::Negative,
        }],
        &at(),
    )
    .unwrap();
    let t = tagging::tagged(store.conn(), touch).unwrap();
    assert_eq!(t.kind, TouchKind::Email);
    assert_eq!(t.sentiment, Some(Pulse::Red));
    assert_eq!(t.intervention, Some(Intervention::Coaching));
    assert_eq!(t.notes, "Line one\nLine two");
    assert_eq!(t.csat, Some(4));
    assert_eq!(t.participants, vec![ines]);
    assert_eq!(t.followup_action.as_deref(), Some("Send the rollout plan"));
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM pulse_history WHERE account_id = ?1",
            account
        ),
        pulses + 1
    );
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM persona_changes WHERE persona_id = ?1 AND touch_id IS NOT NULL",
            ines
        ),
        1
    );
    // Her history gains the change; what it held before stays below it.
    let history = persona::history(store.conn(), ines).unwrap();
    assert_eq!(history.len(), changes.len() + 1);
    assert_eq!(
        (history[0].strength, history[0].sentiment),
        (Strength::Weak, Sentiment::Negative)
    );
    let earlier = |h: &[persona::PersonaChange]| {
        h.iter()
            .map(|c| (c.changed_at, c.strength, c.sentiment))
            .collect::<Vec<_>>()
    };
    assert_eq!(earlier(&history[1..]), earlier(&changes));
    let (pulse, next): (String, String) = store
        .conn()
        .query_row(
            "SELECT pulse, next_followup_on FROM accounts WHERE id = ?1",
            [account],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(pulse, "red", "the account's CSM sentiment follows the tag");
    assert!(next.as_str() <= "2026-11-25", "{next}");
    let (queue, _) = followups::open(store.conn(), common::today(), 100).unwrap();
    assert!(
        queue
            .iter()
            .any(|f| f.touch_id == Some(touch) && f.bucket == Bucket::ThisWeek)
    );
}

#[test]
fn an_unchanged_participant_gets_no_history_entry() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = common::build(&dir.path().join("t.db"));
    let account = id_of(&store, "accounts", "Bluepeak Analytics");
    let ines = id_of(&store, "personas", "Ines Carvalho");
    let (s, m): (String, String) = store
        .conn()
        .query_row(
            "SELECT strength, sentiment FROM personas WHERE id = ?1",
            [ines],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let before = count(
        &store,
        "SELECT count(*) FROM persona_changes WHERE persona_id = ?1",
        ines,
    );
    tagging::save(
        &mut store,
        &Target::Log {
            account_id: account,
            kind: TouchKind::Note,
            participants: vec![],
        },
        &tag(Pulse::Green, None),
        &[Tie {
            persona_id: ines,
            strength: s.parse().unwrap(),
            sentiment: m.parse().unwrap(),
        }],
        &at(),
    )
    .unwrap();
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM persona_changes WHERE persona_id = ?1",
            ines
        ),
        before
    );
}

#[test]
fn a_failure_midway_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = common::build(&dir.path().join("t.db"));
    let account = id_of(&store, "accounts", "Bluepeak Analytics");
    let touches = count(
        &store,
        "SELECT count(*) FROM touches WHERE account_id = ?1",
        account,
    );
    let pulses = count(
        &store,
        "SELECT count(*) FROM pulse_history WHERE account_id = ?1",
        account,
    );
    // A participant that does not exist fails the insert after the touch was written.
    let result = tagging::save(
        &mut store,
        &Target::Log {
            account_id: account,
            kind: TouchKind::Email,
            participants: vec![987_654_321],
        },
        &tag(Pulse::Red, Some(1)),
        &[],
        &at(),
    );
    assert!(result.is_err());
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM touches WHERE account_id = ?1",
            account
        ),
        touches
    );
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM pulse_history WHERE account_id = ?1",
            account
        ),
        pulses
    );
}

#[test]
fn a_correction_keeps_the_earlier_values_and_moves_the_followup() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = common::build(&dir.path().join("t.db"));
    let account = id_of(&store, "accounts", "Halcyon Health");
    let touch = tagging::save(
        &mut store,
        &Target::Log {
            account_id: account,
            kind: TouchKind::Meeting,
            participants: vec![],
        },
        &tag(Pulse::Yellow, Some(3)),
        &[],
        &at(),
    )
    .unwrap();
    let pulses = count(
        &store,
        "SELECT count(*) FROM pulse_history WHERE account_id = ?1",
        account,
    );
    let mut fixed = tag(Pulse::Green, Some(10));
    fixed.outcome = "Actually resolved".into();
    tagging::save(&mut store, &Target::Correct(touch), &fixed, &[], &at()).unwrap();
    let t = tagging::tagged(store.conn(), touch).unwrap();
    assert_eq!(t.sentiment, Some(Pulse::Green));
    assert_eq!(t.outcome, "Actually resolved");
    assert_eq!(t.revisions, 1);
    let previous: String = store
        .conn()
        .query_row(
            "SELECT previous FROM touch_revisions WHERE touch_id = ?1",
            [touch],
            |r| r.get(0),
        )
        .unwrap();
    let previous: serde_json::Value = serde_json::from_str(&previous).unwrap();
    assert_eq!(previous["sentiment"], "yellow");
    assert_eq!(previous["outcome"], "Agreed on a plan");
    assert_eq!(previous["followup_on"], "2026-11-26");
    // The touch's own sentiment entry is amended, not duplicated.
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM pulse_history WHERE account_id = ?1",
            account
        ),
        pulses
    );
    let open = count(
        &store,
        "SELECT count(*) FROM followups WHERE touch_id = ?1 AND done_at IS NULL",
        touch,
    );
    assert_eq!(open, 1);
    let due: String = store
        .conn()
        .query_row(
            "SELECT due_on FROM followups WHERE touch_id = ?1",
            [touch],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(due, "2026-12-03");
    // Corrected to "no follow-up": the open one leaves the queue.
    tagging::save(
        &mut store,
        &Target::Correct(touch),
        &tag(Pulse::Green, None),
        &[],
        &at(),
    )
    .unwrap();
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM followups WHERE touch_id = ?1",
            touch
        ),
        0
    );
    assert_eq!(tagging::tagged(store.conn(), touch).unwrap().revisions, 2);
}

#[test]
fn the_queue_moves_done_snoozed_and_rescheduled() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = common::build(&dir.path().join("t.db"));
    let today = common::today();
    let (queue, total) = followups::open(store.conn(), today, 100).unwrap();
    assert_eq!(queue.len() as i64, total);
    let first = queue.first().expect("the fixture has follow-ups").clone();
    let to = followups::snooze(&mut store, first.id, 1, &at()).unwrap();
    assert_eq!(
        to,
        first
            .due_on
            .max(today)
            .checked_add_days(Days::new(1))
            .unwrap()
    );
    let (queue, _) = followups::open(store.conn(), today, 100).unwrap();
    let moved = queue.iter().find(|f| f.id == first.id).unwrap();
    assert_eq!(moved.snoozed_from, Some(first.due_on));
    assert!(followups::reschedule(&mut store, first.id, today.pred_opt().unwrap(), &at()).is_err());
    let later = today.checked_add_days(Days::new(30)).unwrap();
    followups::reschedule(&mut store, first.id, later, &at()).unwrap();
    let next: String = store
        .conn()
        .query_row(
            "SELECT next_followup_on FROM accounts WHERE id = ?1",
            [first.account_id],
            |r| r.get(0),
        )
        .unwrap();
    assert!(next.as_str() <= "2026-12-23");
    followups::mark_done(&mut store, first.id, &at()).unwrap();
    let (queue, total2) = followups::open(store.conn(), today, 100).unwrap();
    assert!(queue.iter().all(|f| f.id != first.id));
    assert_eq!(total2, total - 1);
    assert!(
        followups::mark_done(&mut store, first.id, &at()).is_err(),
        "done twice"
    );
}

#[test]
fn a_draft_is_kept_until_the_tags_are_saved_and_gone_with_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let mut store = common::build(&path);
    let account = id_of(&store, "accounts", "Bluepeak Analytics");
    tagging::save_draft(&mut store, r#"{"typed":"half a sentence"}"#).unwrap();
    drop(store);

    // A new process finds it, character for character.
    let mut store = Store::open(&path).unwrap();
    assert_eq!(
        tagging::draft(&store).unwrap().as_deref(),
        Some(r#"{"typed":"half a sentence"}"#)
    );
    // Saving the tags drops the draft in the same transaction.
    tagging::save(
        &mut store,
        &Target::Log {
            account_id: account,
            kind: TouchKind::Note,
            participants: vec![],
        },
        &tag(Pulse::Green, None),
        &[],
        &at(),
    )
    .unwrap();
    assert_eq!(tagging::draft(&store).unwrap(), None);

    // Cancelling drops it too.
    tagging::save_draft(&mut store, "{}").unwrap();
    tagging::discard_draft(&mut store).unwrap();
    assert_eq!(tagging::draft(&store).unwrap(), None);
}
