//! The team view's figures per CSM, from the trigger-kept `csm_totals` (schema V4) and
//! one index range count per owner: never a pass over the accounts themselves.
//!
//! CSMs are grouped under their team lead. A team file merged from several CSMs' files
//! holds one copy of the lead per file (different ids, same person): leads are the same
//! when their emails match, or, without an email, their names (case-insensitively).

use std::collections::HashMap;
use std::ops::AddAssign;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};

use super::timestamp;
use crate::error::Result;

/// What the team view shows for one CSM, a team or everyone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Figures {
    pub accounts: i64,
    /// Cents a year.
    pub contract_value: i64,
    /// Contract value of the accounts at risk (risk at or above the at-risk score).
    pub value_at_risk: i64,
    /// The CSM's sentiment on the accounts.
    pub red: i64,
    pub yellow: i64,
    pub green: i64,
    pub unrated: i64,
    /// Open follow-ups overdue on the CSM's accounts, as of each account's last summary
    /// refresh (brought to today when the workstation opens a writable file), like risk.
    pub overdue_followups: i64,
    /// Accounts whose CSM sentiment is older than the staleness window (or never set).
    pub stale: i64,
    /// Calls the CSM ran.
    pub calls: i64,
}

impl AddAssign for Figures {
    fn add_assign(&mut self, o: Figures) {
        self.accounts += o.accounts;
        self.contract_value += o.contract_value;
        self.value_at_risk += o.value_at_risk;
        self.red += o.red;
        self.yellow += o.yellow;
        self.green += o.green;
        self.unrated += o.unrated;
        self.overdue_followups += o.overdue_followups;
        self.stale += o.stale;
        self.calls += o.calls;
    }
}

/// One CSM's line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsmLine {
    pub id: i64,
    pub name: String,
    pub figures: Figures,
}

/// A team lead's CSMs with their subtotal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    /// The lead's name; None for the CSMs without a team lead.
    pub lead: Option<String>,
    /// Every copy of the lead in the file (one per merged CSM file).
    pub lead_ids: Vec<i64>,
    /// Ordered by name.
    pub members: Vec<CsmLine>,
    pub subtotal: Figures,
}

impl Team {
    /// The CSMs whose accounts make up the team's portfolio.
    pub fn member_ids(&self) -> Vec<i64> {
        self.members.iter().map(|m| m.id).collect()
    }
}

/// Every team, then the total of all of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overview {
    /// Ordered by lead name; the CSMs without a lead come last.
    pub teams: Vec<Team>,
    pub total: Figures,
    /// Live accounts that no CSM owns (not in any team's figures).
    pub unowned_accounts: i64,
}

impl Overview {
    pub fn csm_count(&self) -> usize {
        self.teams.iter().map(|t| t.members.len()).sum()
    }
}

struct CsmRecord {
    id: i64,
    name: String,
    email: Option<String>,
    team_lead_id: Option<i64>,
    is_team_lead: bool,
    has_touches: bool,
}

/// Who a lead is, across the copies a merged file holds.
fn lead_key(c: &CsmRecord) -> String {
    match c.email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        Some(email) => format!("email:{}", email.to_lowercase()),
        None => format!("name:{}", c.name.trim().to_lowercase()),
    }
}

/// The team view's figures; a CSM sentiment set at or before `stale_cutoff` is stale (as
/// in the portfolio's quick filter). Everything but staleness comes from the
/// trigger-kept `csm_totals`; staleness is one index range count per owner.
pub fn overview(conn: &Connection, stale_cutoff: DateTime<Utc>) -> Result<Overview> {
    let mut by_owner: HashMap<Option<i64>, Figures> = HashMap::new();
    {
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT csm_id, accounts, contract_value, value_at_risk, red, yellow, green,
                 unrated, overdue_followups, calls
             FROM {} WHERE accounts <> 0 OR calls <> 0",
            totals_source(conn)?
        ))?;
        let rows = stmt.query_map([], |r| {
            let id: i64 = r.get(0)?;
            Ok((
                // Key 0 holds the accounts without an owner.
                (id != 0).then_some(id),
                Figures {
                    accounts: r.get(1)?,
                    contract_value: r.get(2)?,
                    value_at_risk: r.get(3)?,
                    red: r.get(4)?,
                    yellow: r.get(5)?,
                    green: r.get(6)?,
                    unrated: r.get(7)?,
                    overdue_followups: r.get(8)?,
                    calls: r.get(9)?,
                    stale: 0,
                },
            ))
        })?;
        for row in rows {
            let (owner, f) = row?;
            *by_owner.entry(owner).or_default() += f;
        }
    }
    {
        let cutoff = timestamp(stale_cutoff);
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT count(*) FROM accounts INDEXED BY {}
             WHERE archived_at IS NULL AND owner_csm_id = ?1 AND pulse_at_key <= ?2",
            owner_index(conn)?
        ))?;
        for (owner, f) in by_owner.iter_mut() {
            if let Some(id) = owner
                && f.accounts > 0
            {
                f.stale = stmt.query_row(params![id, cutoff], |r| r.get(0))?;
            }
        }
    }
    let csms: Vec<CsmRecord> = conn
        .prepare_cached(
            "SELECT id, name, email, team_lead_id, is_team_lead,
                 EXISTS (SELECT 1 FROM touches t WHERE t.csm_id = c.id)
             FROM csms c ORDER BY id",
        )?
        .query_map([], |r| {
            Ok(CsmRecord {
                id: r.get(0)?,
                name: r.get(1)?,
                email: r.get(2)?,
                team_lead_id: r.get(3)?,
                is_team_lead: r.get(4)?,
                has_touches: r.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(assemble(&csms, &by_owner))
}

/// Puts each listed CSM under their lead, leads with several copies once.
fn assemble(csms: &[CsmRecord], by_owner: &HashMap<Option<i64>, Figures>) -> Overview {
    let by_id: HashMap<i64, &CsmRecord> = csms.iter().map(|c| (c.id, c)).collect();
    // By team key: the lead (email or name) or None for the CSMs without one.
    let mut teams: HashMap<Option<String>, Team> = HashMap::new();
    let mut lead_of = |key: Option<String>, lead: Option<&CsmRecord>| -> Option<String> {
        let team = teams.entry(key.clone()).or_insert_with(|| Team {
            lead: lead.map(|l| l.name.trim().to_string()),
            lead_ids: Vec::new(),
            members: Vec::new(),
            subtotal: Figures::default(),
        });
        if let Some(l) = lead
            && !team.lead_ids.contains(&l.id)
        {
            team.lead_ids.push(l.id);
        }
        key
    };
    // Every lead's copies first, so a team knows all of them.
    for c in csms.iter().filter(|c| c.is_team_lead) {
        lead_of(Some(lead_key(c)), Some(c));
    }
    let mut placed: Vec<(Option<String>, CsmLine)> = Vec::new();
    for c in csms {
        let figures = by_owner.get(&Some(c.id)).copied().unwrap_or_default();
        if figures.accounts == 0 && !c.has_touches {
            continue;
        }
        let lead = c.team_lead_id.and_then(|id| by_id.get(&id).copied());
        let key = match lead {
            Some(l) => lead_of(Some(lead_key(l)), Some(l)),
            // A lead who owns accounts is listed in their own team.
            None if c.is_team_lead => Some(lead_key(c)),
            None => lead_of(None, None),
        };
        placed.push((
            key,
            CsmLine {
                id: c.id,
                name: c.name.clone(),
                figures,
            },
        ));
    }
    for (key, line) in placed {
        if let Some(team) = teams.get_mut(&key) {
            team.subtotal += line.figures;
            team.members.push(line);
        }
    }
    let mut teams: Vec<Team> = teams
        .into_values()
        .filter(|t| !t.members.is_empty())
        .collect();
    for t in &mut teams {
        t.members
            .sort_by_cached_key(|m| (m.name.to_lowercase(), m.id));
        t.lead_ids.sort_unstable();
    }
    teams.sort_by_cached_key(|t| (t.lead.is_none(), t.lead.as_ref().map(|n| n.to_lowercase())));
    let mut total = Figures::default();
    for t in &teams {
        total += t.subtotal;
    }
    Overview {
        teams,
        total,
        unowned_accounts: by_owner.get(&None).map_or(0, |f| f.accounts),
    }
}

/// Whether the file's live accounts are owned by more than one CSM (a team file, or a CRM
/// import with many owners).
pub fn has_many_owners(conn: &Connection) -> Result<bool> {
    let owners: i64 = conn
        .prepare_cached(&format!(
            "SELECT count(*) FROM (SELECT 1 FROM {}
                     WHERE csm_id <> 0 AND accounts > 0 LIMIT 2)",
            totals_source(conn)?
        ))?
        .query_row([], |r| r.get(0))?;
    Ok(owners > 1)
}

/// Whether the file has schema V4's `csm_totals` (and its owner index). A file opened
/// read-only is not migrated: an older one is read the slow way, from the accounts.
fn has_csm_totals(conn: &Connection) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'csm_totals')",
        )?
        .query_row([], |r| r.get(0))?)
}

/// `csm_totals`, or in a file older than V4 the same rows computed from the accounts and
/// touches (one row per owner and one per caller: add them up by `csm_id`).
pub(crate) fn totals_source(conn: &Connection) -> Result<&'static str> {
    Ok(if has_csm_totals(conn)? {
        "csm_totals"
    } else {
        concat!("(", csm_totals_rows!(), ")")
    })
}

/// The index of live accounts by owner: V4's, or in an older file the plain one.
pub(crate) fn owner_index(conn: &Connection) -> Result<&'static str> {
    Ok(if has_csm_totals(conn)? {
        "accounts_by_owner_stale"
    } else {
        "accounts_by_owner"
    })
}
