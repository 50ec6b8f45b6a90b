//! A small hand-made portfolio shared by the screen and store tests.

#![allow(dead_code)]

pub mod cli;
pub mod screen;
pub mod tmux;

use std::path::{Path, PathBuf};

use attuned::domain::FixedClock;
use attuned::domain::model::{
    CallType, Intervention, Pulse, Role, Segment, Sentiment, SignalKind, Strength, TouchKind,
    TouchStatus,
};
use attuned::store::Store;
use attuned::store::summary::{self, AsOf};
use attuned::store::write::{NewAccount, NewCsm, NewFollowup, NewPersona, NewTouch, Tx};
use chrono::{DateTime, Duration, NaiveDate, Utc};

pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
}

pub fn clock() -> FixedClock {
    FixedClock::on(today())
}

pub fn now() -> DateTime<Utc> {
    FixedClock::on(today()).0
}

/// The id of the row of `table` named `name`.
pub fn id_of(store: &Store, table: &str, name: &str) -> i64 {
    store
        .conn()
        .query_row(
            &format!("SELECT id FROM {table} WHERE name = ?1"),
            [name],
            |r| r.get(0),
        )
        .unwrap()
}

/// The Maven CRM sample beside the project, or `None` (saying that `skipped` was skipped)
/// where it is absent; under CI the test fails instead (see `missing`).
pub fn maven_dir(skipped: &str) -> Option<PathBuf> {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/datasets/maven-crm");
    if d.join("sales_pipeline.csv").exists() {
        Some(d)
    } else {
        missing(&format!("{} is absent", d.display()), skipped);
        None
    }
}

/// What a test needs is missing: under CI (`CI=true`) the test fails, so a run that
/// tested nothing never passes; elsewhere it says SKIPPED and the caller returns.
pub fn missing(what: &str, skipped: &str) {
    if under_ci() {
        panic!("{what} under CI (CI=true); {skipped}");
    }
    eprintln!("SKIPPED: {what}; {skipped}");
}

fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

fn days_ago(n: i64) -> DateTime<Utc> {
    now() - Duration::days(n)
}

struct Person(&'static str, &'static str, Role, Strength, Sentiment);

struct Spec {
    name: &'static str,
    segment: Segment,
    tier: u8,
    value_dollars: i64,
    renews_in_days: i64,
    pulses: &'static [(Pulse, i64)],
    people: &'static [Person],
    last_touch_days_ago: Option<i64>,
    followup_in_days: Option<i64>,
    nps: &'static [f64],
    competitor: bool,
}

const SPECS: &[Spec] = &[
    Spec {
        name: "Northwind Logistics",
        segment: Segment::Enterprise,
        tier: 1,
        value_dollars: 480_000,
        renews_in_days: 45,
        pulses: &[(Pulse::Green, 90), (Pulse::Yellow, 40), (Pulse::Red, 3)],
        people: &[
            Person(
                "Dana Whitfield",
                "VP Operations",
                Role::EconomicBuyer,
                Strength::Weak,
                Sentiment::Negative,
            ),
            Person(
                "Marco Ruiz",
                "Ops Manager",
                Role::Champion,
                Strength::VeryGood,
                Sentiment::Positive,
            ),
            Person(
                "Priya Shah",
                "COO",
                Role::ExecutiveSponsor,
                Strength::None,
                Sentiment::Neutral,
            ),
            Person(
                "Leo Brandt",
                "IT Lead",
                Role::TechnicalLead,
                Strength::Weak,
                Sentiment::Negative,
            ),
        ],
        last_touch_days_ago: Some(2),
        followup_in_days: Some(-2),
        nps: &[8.0, 5.0],
        competitor: true,
    },
    Spec {
        name: "Bluepeak Analytics",
        segment: Segment::MidMarket,
        tier: 2,
        value_dollars: 85_000,
        renews_in_days: 300,
        pulses: &[(Pulse::Green, 5)],
        people: &[
            Person(
                "Ines Carvalho",
                "CFO",
                Role::EconomicBuyer,
                Strength::Okay,
                Sentiment::Positive,
            ),
            Person(
                "Tom Becker",
                "Head of Data",
                Role::Champion,
                Strength::VeryGood,
                Sentiment::Positive,
            ),
            Person(
                "Ruth Okafor",
                "CEO",
                Role::ExecutiveSponsor,
                Strength::Weak,
                Sentiment::Positive,
            ),
        ],
        last_touch_days_ago: Some(6),
        followup_in_days: Some(0),
        nps: &[9.0, 9.0],
        competitor: false,
    },
    Spec {
        name: "Halcyon Health",
        segment: Segment::Smb,
        tier: 3,
        value_dollars: 12_500,
        renews_in_days: 20,
        pulses: &[(Pulse::Yellow, 40)],
        people: &[Person(
            "Sam Lee",
            "Office Manager",
            Role::Champion,
            Strength::Okay,
            Sentiment::Neutral,
        )],
        last_touch_days_ago: Some(75),
        followup_in_days: None,
        nps: &[],
        competitor: false,
    },
    Spec {
        name: "Quarry & Vale Outfitters",
        segment: Segment::MidMarket,
        tier: 1,
        value_dollars: 150_000,
        renews_in_days: 200,
        pulses: &[],
        people: &[],
        last_touch_days_ago: None,
        followup_in_days: Some(9),
        nps: &[],
        competitor: false,
    },
];

/// Writes the hand-made portfolio into a new database at `path`.
pub fn build(path: &Path) -> Store {
    let mut store = Store::open(path).unwrap();
    let at = AsOf::new(&clock());
    store
        .write(|tx| {
            let me = tx.insert_csm(
                &NewCsm {
                    name: "Alex Morgan",
                    email: None,
                    region: None,
                    team_lead_id: None,
                    is_team_lead: false,
                    is_me: true,
                },
                days_ago(400),
            )?;
            for spec in SPECS {
                let id = add_account(tx, spec, me)?;
                summary::refresh_account(tx.conn(), id, &at)?;
            }
            Ok(())
        })
        .unwrap();
    store
}

fn add_account(tx: &Tx<'_>, spec: &Spec, me: i64) -> attuned::Result<i64> {
    let id = tx.insert_account(&NewAccount {
        name: spec.name,
        segment: spec.segment,
        tier: spec.tier,
        industry: Some("Logistics"),
        contract_value_cents: spec.value_dollars * 100,
        renewal_date: Some(today() + Duration::days(spec.renews_in_days)),
        owner_csm_id: Some(me),
        parent_id: None,
        created_at: days_ago(500),
    })?;
    let mut people = Vec::new();
    for p in spec.people {
        people.push(tx.insert_persona(&NewPersona {
            account_id: id,
            name: p.0,
            title: Some(p.1),
            email: None,
            role: p.2,
            reports_to_id: people.first().copied(),
            strength: p.3,
            sentiment: p.4,
            created_at: days_ago(300),
        })?);
    }
    for (pulse, ago) in spec.pulses {
        tx.set_pulse(
            id,
            *pulse,
            Some("regular review"),
            days_ago(*ago),
            Some(me),
            None,
        )?;
    }
    if let Some(ago) = spec.last_touch_days_ago {
        let contact: Vec<i64> = people
            .iter()
            .copied()
            .filter(|p| *p != people[0] || people.len() == 1)
            .take(1)
            .collect();
        tx.insert_touch(&NewTouch {
            account_id: id,
            csm_id: Some(me),
            kind: TouchKind::Call,
            call_type: Some(CallType::CheckIn),
            status: TouchStatus::Done,
            occurred_at: days_ago(ago),
            ended_at: None,
            summary: Some("Walked through the rollout delays"),
            notes: None,
            sentiment: spec.pulses.last().map(|p| p.0),
            intervention: Some(Intervention::Empathy),
            followup_on: spec.followup_in_days.map(|d| today() + Duration::days(d)),
            no_followup: spec.followup_in_days.is_none(),
            outcome: Some("Agreed on a remediation session"),
            csat: Some(4),
            escalated: false,
            participants: &contact,
        })?;
    }
    if let Some(d) = spec.followup_in_days {
        tx.insert_followup(&NewFollowup {
            account_id: id,
            touch_id: None,
            persona_id: None,
            due_on: today() + Duration::days(d),
            action: "Send the remediation plan",
            created_at: days_ago(3),
            done_at: None,
        })?;
    }
    for (i, nps) in spec.nps.iter().enumerate() {
        tx.insert_signal(
            id,
            SignalKind::Nps,
            *nps,
            None,
            days_ago(120 - 60 * i as i64),
        )?;
    }
    if spec.competitor {
        tx.insert_signal(
            id,
            SignalKind::CompetitorMention,
            1.0,
            Some("Asked about Gainsight pricing"),
            days_ago(10),
        )?;
        tx.insert_signal(id, SignalKind::OpenTickets, 6.0, None, days_ago(1))?;
    }
    Ok(id)
}
