//! Pilots (issue 16): creating one (cohort, pilot accounts, matched control, frozen
//! baseline) in one transaction, listing, loading, and counting each week's KPIs.
//!
//! Pilots are the team lead's own records, like audits: no foreign keys to CSMs or
//! accounts (schema V10), kept by `team merge`. The choice of accounts and the statistics
//! are `domain::pilot`'s; the KPIs count touches by the rules of `domain::kpi` (escalated
//! of tagged conversations, CSAT after a remediation within its 30 days, renewal results
//! read by `domain::outcome::classify`).

use std::collections::HashSet;

use chrono::{DateTime, Days, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::{Store, day, parse_day, parse_name, parse_timestamp, timestamp};
use crate::domain::kpi::THRESHOLDS;
use crate::domain::model::{Intervention, Pulse, Segment, TouchKind, TouchStatus};
use crate::domain::outcome::{self, RenewalResult};
use crate::domain::pilot::{PilotCandidate, match_control, suggest_pilot};
use crate::domain::pilot_report::{Counts, GroupKpis, Kpi, Week};
use crate::error::{Error, PilotProblem, Result};

/// Weeks of history the baseline covers.
pub const BASELINE_WEEKS: u64 = 12;

/// Which accounts a new pilot runs on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pick {
    /// These accounts, by id.
    Accounts(Vec<i64>),
    /// The n riskiest accounts of the cohort.
    Riskiest(usize),
}

#[derive(Debug, Clone)]
pub struct NewPilot {
    pub name: String,
    pub start: NaiveDate,
    pub weeks: u32,
    pub pick: Pick,
    /// CSM names (the cohort); empty: the owners of the pilot accounts.
    pub csms: Vec<String>,
}

/// A pilot as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PilotRow {
    pub id: i64,
    pub name: String,
    pub start: NaiveDate,
    pub weeks: u32,
    pub created_at: DateTime<Utc>,
    pub cohort: Vec<String>,
    pub pilot_accounts: usize,
    pub control_accounts: usize,
}

/// An account of a pilot with its baseline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub account_id: i64,
    pub control: bool,
    pub matched_to: Option<i64>,
    pub sentiment: Option<Pulse>,
    pub risk: u8,
    pub coverage: u8,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pilot {
    pub row: PilotRow,
    pub members: Vec<Member>,
    /// The 12 weeks before the start, frozen when the pilot was created (week 0).
    pub baseline: Week,
}

impl Pilot {
    pub fn ids(&self, control: bool) -> Vec<i64> {
        self.members
            .iter()
            .filter(|m| m.control == control)
            .map(|m| m.account_id)
            .collect()
    }
}

/// Creates the pilot in one transaction; returns its id.
pub fn create(store: &mut Store, new: &NewPilot, now: DateTime<Utc>) -> Result<i64> {
    let name = crate::domain::text::clean_line(new.name.trim()).into_owned();
    if name.is_empty() {
        return Err(PilotProblem::NoName.into());
    }
    crate::domain::limits::NAME
        .named("the pilot's name")
        .check(&name)
        .map_err(PilotProblem::NameTooLong)?;
    if !(1..=52).contains(&new.weeks) {
        return Err(PilotProblem::Weeks.into());
    }
    store.write(|tx| {
        let conn = tx.conn();
        if find(conn, &name)?.is_some() {
            return Err(PilotProblem::Exists(name.to_string()).into());
        }
        let mut cohort = cohort_ids(conn, &new.csms)?;
        let accounts = candidates(conn)?;
        let pilot_ids = match &new.pick {
            Pick::Accounts(ids) => {
                for id in ids {
                    if !accounts.iter().any(|(a, _)| a.id == *id) {
                        return Err(PilotProblem::NoAccount(*id).into());
                    }
                }
                let mut seen = HashSet::new();
                ids.iter().copied().filter(|id| seen.insert(*id)).collect()
            }
            Pick::Riskiest(n) => {
                let pool: Vec<PilotCandidate> = accounts
                    .iter()
                    .filter(|(_, owner)| cohort.is_empty() || owner.is_some_and(|o| cohort.contains(&o)))
                    .map(|(a, _)| a.clone())
                    .collect();
                suggest_pilot(&pool, *n)
            }
        };
        if pilot_ids.is_empty() {
            return Err(PilotProblem::NoAccounts.into());
        }
        if cohort.is_empty() {
            cohort = accounts
                .iter()
                .filter(|(a, _)| pilot_ids.contains(&a.id))
                .filter_map(|(_, owner)| *owner)
                .collect();
            cohort.sort_unstable();
            cohort.dedup();
        }
        // The cohort's accounts are coached from now on: never a control.
        let all: Vec<PilotCandidate> = accounts
            .iter()
            .map(|(a, owner)| PilotCandidate {
                coached: owner.is_some_and(|o| cohort.contains(&o)),
                ..a.clone()
            })
            .collect();
        let pilots: Vec<PilotCandidate> = all
            .iter()
            .filter(|a| pilot_ids.contains(&a.id))
            .cloned()
            .collect();
        let matches = controls_for(&pilots, &all);
        let id = tx.next_id("pilots")?;
        conn.execute(
            "INSERT INTO pilots (id, name, start_on, weeks, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id, name, day(new.start), new.weeks, timestamp(now)],
        )?;
        for csm in &cohort {
            conn.execute(
                "INSERT INTO pilot_csms (pilot_id, csm_id) VALUES (?1, ?2)",
                params![id, csm],
            )?;
        }
        for account in &pilot_ids {
            insert_member(conn, id, *account, None)?;
        }
        for m in &matches {
            if let Some(control) = m.control {
                insert_member(conn, id, control, Some(m.pilot))?;
            }
        }
        let controls: Vec<i64> = matches.iter().filter_map(|m| m.control).collect();
        let (from, to) = baseline_range(new.start);
        for (grp, ids) in [("pilot", &pilot_ids), ("control", &controls)] {
            let k = group_kpis(conn, ids, from, to)?;
            for kpi in Kpi::ALL {
                let c = kpi.of(&k);
                conn.execute(
                    "INSERT INTO pilot_baselines (pilot_id, grp, kpi, k, n) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![id, grp, kpi.key(), c.k, c.n],
                )?;
            }
        }
        Ok(id)
    })
}

/// The control of each pilot account: an account outside the cohort, and only when its
/// segment has none left, one of the cohort's other accounts (a one-CSM file has no
/// other). Both passes are `domain::pilot::match_control`.
fn controls_for(
    pilots: &[PilotCandidate],
    all: &[PilotCandidate],
) -> Vec<crate::domain::pilot::Match> {
    let mut matches = match_control(pilots, all);
    let unmatched: Vec<PilotCandidate> = pilots
        .iter()
        .filter(|p| {
            matches
                .iter()
                .any(|m| m.pilot == p.id && m.control.is_none())
        })
        .cloned()
        .collect();
    if unmatched.is_empty() {
        return matches;
    }
    let used: HashSet<i64> = matches.iter().filter_map(|m| m.control).collect();
    let rest: Vec<PilotCandidate> = all
        .iter()
        .filter(|a| !used.contains(&a.id) && !pilots.iter().any(|p| p.id == a.id))
        .map(|a| PilotCandidate {
            coached: false,
            ..a.clone()
        })
        .collect();
    for second in match_control(&unmatched, &rest) {
        if let Some(m) = matches.iter_mut().find(|m| m.pilot == second.pilot) {
            *m = second;
        }
    }
    matches
}

/// The 12 weeks before `start`.
pub fn baseline_range(start: NaiveDate) -> (NaiveDate, NaiveDate) {
    let from = start
        .checked_sub_days(Days::new(7 * BASELINE_WEEKS))
        .unwrap_or(start);
    (from, start)
}

fn insert_member(conn: &Connection, pilot: i64, account: i64, matched: Option<i64>) -> Result<()> {
    conn.execute(
        "INSERT INTO pilot_accounts (pilot_id, account_id, grp, matched_to, sentiment, risk, coverage)
         SELECT ?1, id, ?2, ?3, pulse, risk, coverage_pct FROM accounts WHERE id = ?4",
        params![
            pilot,
            if matched.is_some() { "control" } else { "pilot" },
            matched,
            account
        ],
    )?;
    Ok(())
}

/// CSM ids by name (case-insensitive); an unknown name is refused, naming the known ones.
fn cohort_ids(conn: &Connection, names: &[String]) -> Result<Vec<i64>> {
    let mut out = Vec::new();
    for name in names {
        let id: Option<i64> = conn
            .prepare_cached(
                "SELECT id FROM csms WHERE name = ?1 COLLATE NOCASE ORDER BY id LIMIT 1",
            )?
            .query_row([name.trim()], |r| r.get(0))
            .optional()?;
        match id {
            Some(id) if !out.contains(&id) => out.push(id),
            Some(_) => {}
            None => {
                let known: Vec<String> = super::kpi::csms(conn)?
                    .into_iter()
                    .map(|c| c.name)
                    .collect();
                return Err(PilotProblem::NoCsm {
                    name: crate::domain::text::clean_line(name).into_owned(),
                    known: known.join(", "),
                }
                .into());
            }
        }
    }
    Ok(out)
}

/// Every live account as the matching sees it, with its owner.
fn candidates(conn: &Connection) -> Result<Vec<(PilotCandidate, Option<i64>)>> {
    let mut stmt = conn.prepare(
        "SELECT id, segment, tier, contract_value, risk, owner_csm_id FROM accounts
         WHERE archived_at IS NULL ORDER BY id",
    )?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                PilotCandidate {
                    id: r.get(0)?,
                    segment: parse_name::<Segment>(&r.get::<_, String>(1)?)?,
                    tier: r.get(2)?,
                    contract_cents: r.get(3)?,
                    risk: r.get::<_, i64>(4)?.clamp(0, 100) as u8,
                    coached: false,
                },
                r.get(5)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

fn find(conn: &Connection, name: &str) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached("SELECT id FROM pilots WHERE name = ?1")?
        .query_row([name], |r| r.get(0))
        .optional()?)
}

/// Every pilot, the latest start first. A file older than schema V10 opened read-only
/// (not migrated) has none.
pub fn list(conn: &Connection) -> Result<Vec<PilotRow>> {
    let kept: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'pilots')",
        [],
        |r| r.get(0),
    )?;
    if !kept {
        return Ok(Vec::new());
    }
    let mut stmt = conn.prepare(
        "SELECT p.id, p.name, p.start_on, p.weeks, p.created_at,
            (SELECT count(*) FROM pilot_accounts a WHERE a.pilot_id = p.id AND a.grp = 'pilot'),
            (SELECT count(*) FROM pilot_accounts a WHERE a.pilot_id = p.id AND a.grp = 'control')
         FROM pilots p ORDER BY p.start_on DESC, p.name",
    )?;
    let rows = stmt
        .query_map([], |r| {
            let start: String = r.get(2)?;
            let created: String = r.get(4)?;
            Ok(PilotRow {
                id: r.get(0)?,
                name: r.get(1)?,
                start: parse_day(&start).unwrap_or_default(),
                weeks: r.get(3)?,
                created_at: parse_timestamp(&created).unwrap_or_default(),
                cohort: Vec::new(),
                pilot_accounts: r.get::<_, i64>(5)? as usize,
                control_accounts: r.get::<_, i64>(6)? as usize,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter()
        .map(|mut row| {
            row.cohort = cohort_names(conn, row.id)?;
            Ok(row)
        })
        .collect()
}

/// The cohort's names; a CSM no longer in the file (a re-merge) is shown by id.
fn cohort_names(conn: &Connection, pilot: i64) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT pc.csm_id, c.name FROM pilot_csms pc LEFT JOIN csms c ON c.id = pc.csm_id
         WHERE pc.pilot_id = ?1 ORDER BY c.name COLLATE NOCASE, pc.csm_id",
    )?;
    let rows = stmt
        .query_map([pilot], |r| {
            let id: i64 = r.get(0)?;
            let name: Option<String> = r.get(1)?;
            Ok(name.unwrap_or_else(|| format!("CSM {id} (no longer in the file)")))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// The pilot named `name`, with its accounts and baseline.
/// The name is cleaned as `create` stored it, so the name typed at creation finds it.
pub fn load(conn: &Connection, name: &str) -> Result<Pilot> {
    let cleaned = crate::domain::text::clean_line(name.trim());
    let name = cleaned.as_ref();
    let row = list(conn)?
        .into_iter()
        .find(|p| p.name == name)
        .ok_or_else(|| Error::from(PilotProblem::NoPilot(name.to_string())))?;
    let mut stmt = conn.prepare_cached(
        "SELECT account_id, grp, matched_to, sentiment, risk, coverage FROM pilot_accounts
         WHERE pilot_id = ?1 ORDER BY grp DESC, risk DESC, account_id",
    )?;
    let members = stmt
        .query_map([row.id], |r| {
            let sentiment: Option<String> = r.get(3)?;
            Ok(Member {
                account_id: r.get(0)?,
                control: r.get::<_, String>(1)? == "control",
                matched_to: r.get(2)?,
                sentiment: sentiment.map(|s| parse_name::<Pulse>(&s)).transpose()?,
                risk: r.get::<_, i64>(4)?.clamp(0, 100) as u8,
                coverage: r.get::<_, i64>(5)?.clamp(0, 100) as u8,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let (from, to) = baseline_range(row.start);
    let mut baseline = Week {
        week: 0,
        from,
        to,
        pilot: GroupKpis::default(),
        control: GroupKpis::default(),
    };
    let mut stmt =
        conn.prepare_cached("SELECT grp, kpi, k, n FROM pilot_baselines WHERE pilot_id = ?1")?;
    let mut rows = stmt.query([row.id])?;
    while let Some(r) = rows.next()? {
        let grp: String = r.get(0)?;
        let key: String = r.get(1)?;
        let counts = Counts {
            k: r.get(2)?,
            n: r.get(3)?,
        };
        let group = if grp == "control" {
            &mut baseline.control
        } else {
            &mut baseline.pilot
        };
        if let Some(kpi) = Kpi::ALL.into_iter().find(|k| k.key() == key) {
            kpi.set(group, counts);
        }
    }
    Ok(Pilot {
        row,
        members,
        baseline,
    })
}

/// Week `week` (1-based) of the pilot, counted from the touches now in the file.
pub fn week(conn: &Connection, pilot: &Pilot, week: u32) -> Result<Week> {
    let (from, to) = crate::domain::pilot_report::week_range(pilot.row.start, week);
    Ok(Week {
        week,
        from,
        to,
        pilot: group_kpis(conn, &pilot.ids(false), from, to)?,
        control: group_kpis(conn, &pilot.ids(true), from, to)?,
    })
}

/// The three KPIs, renewals and documentation of `accounts` over [from, to).
pub fn group_kpis(
    conn: &Connection,
    accounts: &[i64],
    from: NaiveDate,
    to: NaiveDate,
) -> Result<GroupKpis> {
    let mut g = GroupKpis::default();
    // Touches from the remediation window before `from`, so a CSAT early in the window
    // still sees the remediation that preceded it.
    let lead_in = from
        .checked_sub_days(Days::new(THRESHOLDS.remediation_days.unsigned_abs()))
        .unwrap_or(from);
    let mut stmt = conn.prepare_cached(
        "SELECT occurred_at, kind, status, sentiment, intervention,
            followup_on IS NOT NULL OR no_followup = 1, outcome, csat, escalated, updated_at
         FROM touches WHERE account_id = ?1 AND occurred_at >= ?2 AND occurred_at < ?3
         ORDER BY occurred_at, id",
    )?;
    for account in accounts {
        let mut last_remedy: Option<NaiveDate> = None;
        let mut resulted = false;
        let mut rows = stmt.query(params![account, day(lead_in), day(to)])?;
        while let Some(r) = rows.next()? {
            let Some(at) = parse_timestamp(&r.get::<_, String>(0)?) else {
                continue;
            };
            let kind: TouchKind = parse_name(&r.get::<_, String>(1)?)?;
            let status: TouchStatus = parse_name(&r.get::<_, String>(2)?)?;
            let sentiment: Option<String> = r.get(3)?;
            let intervention: Option<Intervention> = r
                .get::<_, Option<String>>(4)?
                .map(|s| parse_name(&s))
                .transpose()?;
            let decided: bool = r.get(5)?;
            let outcome_text: Option<String> = r.get(6)?;
            let csat: Option<i64> = r.get(7)?;
            let escalated = r.get::<_, bool>(8)? || intervention == Some(Intervention::Escalation);
            let updated = parse_timestamp(&r.get::<_, String>(9)?);
            let today = at.date_naive();
            let remedy = matches!(
                intervention,
                Some(Intervention::Escalation | Intervention::ProductFix)
            );
            let after =
                last_remedy.is_some_and(|d| (today - d).num_days() <= THRESHOLDS.remediation_days);
            if remedy {
                last_remedy = Some(today);
            }
            if today < from {
                continue;
            }
            let conversation = matches!(
                kind,
                TouchKind::Call | TouchKind::Meeting | TouchKind::Qbr | TouchKind::Email
            );
            if conversation && intervention.is_some() {
                g.escalation.n += 1;
                g.escalation.k += u32::from(escalated);
            }
            if conversation && status == TouchStatus::Done {
                g.conversations += 1;
                let in_time = updated.is_some_and(|u| (u - at).num_hours() < 24);
                let tagged = sentiment.is_some() && intervention.is_some() && decided;
                g.documented += u32::from(tagged && in_time);
            }
            if let Some(c) = csat
                && (remedy || after)
            {
                g.csat.n += 1;
                g.csat.k += u32::from(c >= 4);
            }
            match outcome_text.as_deref().and_then(outcome::classify) {
                Some(RenewalResult::Renewed) => g.renewed += 1,
                Some(RenewalResult::Expanded) => g.expanded += 1,
                Some(RenewalResult::Lost) => g.lost += 1,
                None => continue,
            }
            resulted = true;
        }
        if !resulted && renewal_due(conn, *account, from, to)? {
            g.due_open += 1;
        }
    }
    g.renewal = Counts {
        k: g.renewed + g.expanded,
        n: g.renewed + g.expanded + g.lost,
    };
    Ok(g)
}

fn renewal_due(conn: &Connection, account: i64, from: NaiveDate, to: NaiveDate) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT 1 FROM accounts WHERE id = ?1 AND renewal_date >= ?2 AND renewal_date < ?3",
        )?
        .query_row(params![account, day(from), day(to)], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Control accounts owned by a CSM of the cohort (a one-CSM file has no other).
pub fn cohort_controls(conn: &Connection, pilot: i64) -> Result<usize> {
    let n: i64 = conn
        .prepare_cached(
            "SELECT count(*) FROM pilot_accounts pa JOIN accounts a ON a.id = pa.account_id
             WHERE pa.pilot_id = ?1 AND pa.grp = 'control' AND a.owner_csm_id IN
                (SELECT csm_id FROM pilot_csms WHERE pilot_id = ?1)",
        )?
        .query_row([pilot], |r| r.get(0))?;
    Ok(usize::try_from(n).unwrap_or(0))
}
