//! CRM records (accounts, contacts, CSMs, deals) written row by row: found by their CRM
//! id (`external_ids`) and updated, or added and linked.

use std::cell::RefCell;
use std::collections::HashMap;

use chrono::{DateTime, Months, NaiveDate, Utc};
use rusqlite::{OptionalExtension, params};

use crate::domain::coverage::PersonaTie;
use crate::domain::model::{Pulse, Role, Segment, Sentiment, Strength, TouchKind};
use crate::domain::risk::RiskInputs;
use crate::error::Result;
use crate::import::{
    AccountRec, ContactRec, DealRec, DealStatus, Kind, Parsed, Rejected, System, contract_terms,
};
use crate::progress::{self, Progress};
use crate::store::summary::{AsOf, Derived};
use crate::store::write::{INSERT_ACCOUNT, NewCsm, NewTouch, Tx};
use crate::store::{FastMap, FastSet, timestamp};

use super::{NewRows, Outcome};

/// The (id, id) rows of `sql` as a map, read in one pass.
fn id_pairs(conn: &rusqlite::Connection, sql: &str) -> Result<FastMap<i64, i64>> {
    let mut all = FastMap::default();
    let mut stmt = conn.prepare(sql)?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        all.insert(r.get(0)?, r.get(1)?);
    }
    Ok(all)
}

/// Per account: won value, latest win, and won value per CSM.
type Won = (i64, Option<NaiveDate>, HashMap<i64, i64>);

pub(super) struct Importer<'a, 't> {
    pub(super) tx: &'a Tx<'t>,
    pub(super) now: DateTime<Utc>,
    pub(super) out: &'a mut Outcome,
    pub(super) csm_cache: HashMap<(System, String), i64>,
    /// Account names (lowercase) seen in this import, per system.
    pub(super) names: FastMap<String, i64>,
    pub(super) touched: FastSet<i64>,
    /// CRM ids per (entity, system): those resolved or created in this import, or all the
    /// database holds (see `IdMap::complete`).
    pub(super) known: RefCell<HashMap<(&'static str, System), IdMap>>,
    /// A large import reads each (entity, system)'s CRM ids, live account names and
    /// parents once instead of asking SQLite row by row.
    pub(super) load_all: bool,
    /// Live account names in the database (ASCII lowercase, as `COLLATE NOCASE` compares
    /// them) → the lowest id, read once by `account_by_name` when `load_all`.
    pub(super) names_in_db: Option<FastMap<String, i64>>,
    /// Every account's parent, read once by `is_ancestor` when `load_all`, then kept
    /// current as parents are set.
    pub(super) parent_of: Option<FastMap<i64, i64>>,
    /// The account of each persona added or updated in this import.
    pub(super) persona_account: FastMap<i64, i64>,
    /// A large import's new accounts, added once their contacts are in.
    pub(super) held_back: Option<HeldBack>,
    /// Every persona's account before this import, read once when `load_all`.
    pub(super) persona_home: Option<FastMap<i64, i64>>,
    /// Whether a persona moved to another account (its reporting lines may now cross
    /// accounts: see `end_crossed_lines`).
    pub(super) moved: bool,
    /// Rows of streamed files their parsing rejected (the others' are in `out` already).
    pub(super) parse_rejected: Vec<Rejected>,
    /// Told every `progress::EVERY` rows; asks the import to stop.
    pub(super) progress: &'a dyn Progress,
    /// Statements of the per-row work, prepared once.
    pub(super) sql: Held<'a>,
}

/// A contact whose manager is linked once every contact is in (the manager may come
/// later in the file).
struct Placed {
    line: u64,
    id: i64,
    account: i64,
    boss: Boss,
}

/// A manager: already known by id, or a CRM id not seen yet.
enum Boss {
    Id(i64),
    Ext(String),
}

/// The new accounts of a large import, held back until their contacts are in, then
/// added with their parent and, when every persona they have is new, their summary in
/// the same row: each was otherwise written three times (added, given its parent,
/// summarised), a second of a 100k-account import. (Foreign keys are off then, see
/// `checks_once`, so their contacts may point at them before they are added.)
#[derive(Default)]
pub(super) struct HeldBack {
    accounts: Vec<NewAccount>,
    /// Account id -> its place in `accounts`.
    at: FastMap<i64, usize>,
}

struct NewAccount {
    id: i64,
    rec: HeldRow,
    owner: Option<i64>,
    parent: Option<i64>,
    /// Its personas in the order of their ids (`persona_ties`' order).
    ties: Vec<PersonaTie>,
    /// Whether a persona already in the database moved to it (then its summary is read
    /// back from the database like any other account's).
    has_older_persona: bool,
}

/// A held-back account's own columns, with the defaults the accounts table would give
/// the blank ones (kept small: a large import holds every new account until its contacts
/// are in; ids, parent and owner are linked apart).
#[derive(Clone, PartialEq)]
struct HeldRow {
    name: Box<str>,
    industry: Option<Box<str>>,
    segment: Segment,
    tier: u8,
    contract_value_cents: i64,
    renewal_date: Option<NaiveDate>,
}

impl NewAccount {
    fn new(id: i64, a: &AccountRec, owner: Option<i64>) -> NewAccount {
        let rec = HeldRow {
            name: a.name.as_str().into(),
            industry: a.industry.as_deref().map(Into::into),
            segment: a.segment.unwrap_or(Segment::Smb),
            tier: a.tier.unwrap_or(2),
            contract_value_cents: a.contract_value_cents.unwrap_or(0),
            renewal_date: a.renewal_date,
        };
        NewAccount {
            id,
            rec,
            owner,
            parent: None,
            ties: Vec::new(),
            has_older_persona: false,
        }
    }

    /// What `update_account` does to a row: the name always, the rest where `a` has a
    /// value. Returns whether anything changed.
    fn update(&mut self, a: &AccountRec, owner: Option<i64>) -> bool {
        let before = (self.rec.clone(), self.owner);
        let r = &mut self.rec;
        r.name = a.name.as_str().into();
        r.segment = a.segment.unwrap_or(r.segment);
        r.tier = a.tier.unwrap_or(r.tier);
        if let Some(industry) = &a.industry {
            r.industry = Some(industry.as_str().into());
        }
        r.contract_value_cents = a.contract_value_cents.unwrap_or(r.contract_value_cents);
        r.renewal_date = a.renewal_date.or(r.renewal_date);
        self.owner = owner.or(self.owner);
        before != (self.rec.clone(), self.owner)
    }
}

/// `INSERT_ACCOUNT` with the columns `Derived` gives (the others keep their defaults:
/// a new account has no sentiment, touch or follow-up yet).
const INSERT_HELD_BACK_ACCOUNT: &str = "INSERT INTO accounts (id, name, segment, tier,
    industry, contract_value, renewal_date, owner_csm_id, parent_id, created_at,
    personas_total, personas_strong, coverage_pct, missing_roles, risk, risk_as_of,
    personas_rated)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)";

/// `INSERT_PERSONA` with whether the role was guessed from the title.
const INSERT_IMPORTED_PERSONA: &str = "INSERT INTO personas (id, account_id, name, title,
    email, role, reports_to_id, strength, sentiment, created_at, role_guessed)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";

/// A re-imported persona's role (`?6`, guessed when `?7`): a role the file gives always;
/// a guess only over another guess or the default "other", never over a role a CSM set.
const NEW_ROLE: &str = "CASE WHEN ?6 IS NULL THEN role WHEN ?7 = 0 THEN ?6
    WHEN role_guessed = 1 OR role = 'other' THEN ?6 ELSE role END";
const NEW_ROLE_GUESSED: &str = "CASE WHEN ?6 IS NULL THEN role_guessed WHEN ?7 = 0 THEN 0
    WHEN role_guessed = 1 OR role = 'other' THEN 1 ELSE role_guessed END";

/// The statements run for every row of a file, prepared once for the whole import:
/// `prepare_cached` hashes a statement's text at every use, which was a tenth of a large
/// import. The inserts are `Tx`'s own (`write::INSERT_*`); the CRM id is a plain insert
/// where `Tx::add_external_id` replaces.
pub(super) struct Held<'c> {
    add_account: rusqlite::Statement<'c>,
    add_persona: rusqlite::Statement<'c>,
    add_external_id: rusqlite::Statement<'c>,
    update_account: rusqlite::Statement<'c>,
    update_persona: rusqlite::Statement<'c>,
    persona_tie: rusqlite::Statement<'c>,
    set_parent: rusqlite::Statement<'c>,
    /// The import's time as stored.
    now: String,
}

impl<'c> Held<'c> {
    pub(super) fn new(conn: &'c rusqlite::Connection, now: DateTime<Utc>) -> Result<Held<'c>> {
        Ok(Held {
            add_account: conn.prepare(INSERT_ACCOUNT)?,
            add_persona: conn.prepare(INSERT_IMPORTED_PERSONA)?,
            // `find` has just missed the id, so a plain insert (cheaper than REPLACE).
            add_external_id: conn.prepare(
                "INSERT INTO external_ids (entity, local_id, system, external_id)
                 VALUES (?1, ?2, ?3, ?4)",
            )?,
            update_account: conn.prepare(
                "UPDATE accounts SET name = ?2, segment = coalesce(?3, segment),
                     tier = coalesce(?4, tier), industry = coalesce(?5, industry),
                     contract_value = coalesce(?6, contract_value),
                     renewal_date = coalesce(?7, renewal_date),
                     owner_csm_id = coalesce(?8, owner_csm_id)
                 WHERE id = ?1 AND (name IS NOT ?2 OR segment IS NOT coalesce(?3, segment)
                     OR tier IS NOT coalesce(?4, tier) OR industry IS NOT coalesce(?5, industry)
                     OR contract_value IS NOT coalesce(?6, contract_value)
                     OR renewal_date IS NOT coalesce(?7, renewal_date)
                     OR owner_csm_id IS NOT coalesce(?8, owner_csm_id))",
            )?,
            update_persona: conn.prepare(&format!(
                "UPDATE personas SET account_id = ?2, name = ?3, title = coalesce(?4, title),
                     email = coalesce(?5, email), role = {NEW_ROLE},
                     role_guessed = {NEW_ROLE_GUESSED}
                 WHERE id = ?1 AND (account_id IS NOT ?2 OR name IS NOT ?3
                     OR title IS NOT coalesce(?4, title) OR email IS NOT coalesce(?5, email)
                     OR role IS NOT {NEW_ROLE} OR role_guessed IS NOT {NEW_ROLE_GUESSED})"
            ))?,
            persona_tie: conn.prepare("SELECT strength, sentiment FROM personas WHERE id = ?1")?,
            set_parent: conn.prepare(
                "UPDATE accounts SET parent_id = ?2 WHERE id = ?1 AND parent_id IS NOT ?2",
            )?,
            now: crate::store::timestamp(now),
        })
    }
}

/// The CRM ids of one (entity, system) known so far.
#[derive(Default)]
pub(super) struct IdMap {
    /// (Boxed: a map of a million ids is 8 MB smaller than with `String` keys.)
    ids: FastMap<Box<str>, i64>,
    /// Whether `ids` holds every such id of the database (it held none when the import
    /// began, or all were read at once), so a miss is certain without asking SQLite.
    complete: bool,
    /// Whether the database was asked yet.
    checked: bool,
}

impl Importer<'_, '_> {
    fn find(&self, entity: &'static str, system: System, ext: &str) -> Result<Option<i64>> {
        let mut known = self.known.borrow_mut();
        let map = known.entry((entity, system)).or_default();
        if !map.checked {
            map.checked = true;
            let conn = self.tx.conn();
            if self.load_all {
                let mut stmt = conn.prepare(
                    "SELECT external_id, local_id FROM external_ids WHERE entity = ?1 AND system = ?2",
                )?;
                let mut rows = stmt.query(params![entity, system.as_str()])?;
                while let Some(r) = rows.next()? {
                    let ext: String = r.get(0)?;
                    map.ids.entry(ext.into_boxed_str()).or_insert(r.get(1)?);
                }
                map.complete = true;
            } else {
                map.complete = conn.query_row(
                    "SELECT NOT EXISTS (SELECT 1 FROM external_ids WHERE entity = ?1 AND system = ?2)",
                    params![entity, system.as_str()],
                    |r| r.get(0),
                )?;
            }
        }
        if let Some(id) = map.ids.get(ext) {
            return Ok(Some(*id));
        }
        if map.complete {
            return Ok(None);
        }
        let found: Option<i64> = self
            .tx
            .conn()
            .prepare_cached(
                "SELECT local_id FROM external_ids WHERE entity = ?1 AND system = ?2 AND external_id = ?3",
            )?
            .query_row(params![entity, system.as_str(), ext], |r| r.get(0))
            .optional()?;
        if let Some(id) = found {
            map.ids.insert(ext.into(), id);
        }
        Ok(found)
    }

    /// Records a CRM id `find` did not know for a local record, in the database and in
    /// `known`.
    fn link(
        &mut self,
        entity: &'static str,
        local_id: i64,
        system: System,
        ext: &str,
    ) -> Result<()> {
        self.sql
            .add_external_id
            .execute(params![entity, local_id, system.as_str(), ext])?;
        self.known
            .borrow_mut()
            .entry((entity, system))
            .or_default()
            .ids
            .insert(ext.into(), local_id);
        Ok(())
    }

    /// How many accounts, personas and touches the files would add (records whose CRM
    /// id the database does not hold yet).
    pub(super) fn new_rows(&mut self, files: &[Parsed]) -> Result<NewRows> {
        let mut n = NewRows::default();
        // A record listed twice counts twice: an estimate is enough.
        for f in files {
            if f.stream.is_some() {
                let entity = if f.kind == Kind::Contacts {
                    "persona"
                } else {
                    "account"
                };
                let new = self.estimate_new(entity, f.system, f.records())?;
                if f.kind == Kind::Contacts {
                    n.personas += new;
                } else {
                    n.accounts += new;
                }
                continue;
            }
            let count = |entity: &'static str, ext: &str| -> Result<usize> {
                Ok(usize::from(self.find(entity, f.system, ext)?.is_none()))
            };
            for a in &f.accounts {
                n.accounts += count("account", &a.external_id)?;
            }
            for c in &f.contacts {
                n.personas += count("persona", &c.external_id)?;
            }
            for d in &f.deals {
                n.touches += count("touch", &d.external_id)?;
            }
        }
        Ok(n)
    }

    /// Of `rows` records of a streamed file, how many are new: those beyond the CRM ids
    /// the database holds for `entity` and `system` (its rows are not read twice to know).
    ///
    /// Room for them is made now in the maps that will hold them: a map growing past its
    /// capacity holds its old and new tables at once, the import's peak memory.
    fn estimate_new(&mut self, entity: &'static str, system: System, rows: usize) -> Result<usize> {
        self.find(entity, system, "")?;
        let mut known = self.known.borrow_mut();
        let Some(map) = known.get_mut(&(entity, system)) else {
            return Ok(rows);
        };
        let new = if map.complete {
            rows.saturating_sub(map.ids.len())
        } else {
            rows
        };
        map.ids.reserve(new);
        if entity == "persona" {
            self.persona_account.reserve(rows);
        } else {
            self.names.reserve(rows);
        }
        Ok(new)
    }

    fn account_by_name(&mut self, name: &str) -> Result<Option<i64>> {
        if let Some(id) = self.names.get(&name.to_lowercase()) {
            return Ok(Some(*id));
        }
        if self.load_all {
            if self.names_in_db.is_none() {
                let mut all = FastMap::default();
                let mut stmt = self.tx.conn().prepare(
                    "SELECT name, id FROM accounts WHERE archived_at IS NULL ORDER BY id",
                )?;
                let mut rows = stmt.query([])?;
                while let Some(r) = rows.next()? {
                    let n: String = r.get(0)?;
                    all.entry(n.to_ascii_lowercase()).or_insert(r.get(1)?);
                }
                self.names_in_db = Some(all);
            }
            return Ok(self
                .names_in_db
                .as_ref()
                .and_then(|m| m.get(&name.to_ascii_lowercase()).copied()));
        }
        Ok(self
            .tx
            .conn()
            .prepare_cached(
                "SELECT id FROM accounts WHERE name = ?1 COLLATE NOCASE AND archived_at IS NULL
                 ORDER BY id LIMIT 1",
            )?
            .query_row([name], |r| r.get(0))
            .optional()?)
    }

    fn reject(&mut self, file: &str, line: u64, reason: String) {
        self.out.rejected.push(Rejected {
            file: file.to_string(),
            line,
            reason,
        });
    }

    fn warn(&mut self, file: &str, line: u64, reason: String) {
        self.out.warnings.push(Rejected {
            file: file.to_string(),
            line,
            reason,
        });
    }

    /// The CSM called `name` (or with that CRM user id), created when new.
    fn csm(
        &mut self,
        system: System,
        name: &str,
        lead: Option<i64>,
        is_lead: bool,
        region: Option<&str>,
    ) -> Result<i64> {
        let key = (system, name.to_lowercase());
        if let Some(id) = self.csm_cache.get(&key) {
            return Ok(*id);
        }
        let by_crm_id = self.find("csm", system, &key.1)?;
        let found = match by_crm_id {
            Some(id) => Some(id),
            None => self
                .tx
                .conn()
                .prepare_cached(
                    "SELECT id FROM csms WHERE name = ?1 COLLATE NOCASE ORDER BY id LIMIT 1",
                )?
                .query_row([name], |r| r.get(0))
                .optional()?,
        };
        let id = match found {
            Some(id) => {
                let n = self
                    .tx
                    .conn()
                    .prepare_cached(
                        "UPDATE csms SET team_lead_id = coalesce(?2, team_lead_id),
                             is_team_lead = max(is_team_lead, ?3), region = coalesce(?4, region)
                         WHERE id = ?1 AND (team_lead_id IS NOT coalesce(?2, team_lead_id)
                             OR is_team_lead < ?3 OR region IS NOT coalesce(?4, region))",
                    )?
                    .execute(params![id, lead, is_lead, region])?;
                if n > 0 {
                    self.out.updated.csms += 1;
                } else {
                    self.out.unchanged.csms += 1;
                }
                id
            }
            None => {
                let id = self.tx.insert_csm(
                    &NewCsm {
                        name,
                        email: None,
                        region,
                        team_lead_id: lead,
                        is_team_lead: is_lead,
                        is_me: false,
                    },
                    self.now,
                )?;
                self.out.added.csms += 1;
                id
            }
        };
        if by_crm_id.is_none() {
            self.link("csm", id, system, &key.1)?;
        }
        self.csm_cache.insert(key, id);
        Ok(id)
    }

    pub(super) fn csms(&mut self, f: &Parsed) -> Result<()> {
        for c in &f.csms {
            let lead = match &c.team_lead {
                Some(m) => Some(self.csm(f.system, m, None, true, c.region.as_deref())?),
                None => None,
            };
            self.csm(f.system, &c.name, lead, false, c.region.as_deref())?;
        }
        Ok(())
    }

    pub(super) fn accounts(&mut self, f: &Parsed) -> Result<()> {
        let mut i = 0;
        f.each_chunk(|part| {
            if f.stream.is_some() {
                self.parse_rejected.extend(part.rejected.iter().cloned());
            }
            for a in &part.accounts {
                self.tick(i)?;
                i += 1;
                self.account(f.system, a)?;
            }
            Ok(())
        })?;
        progress::rest(self.progress, i as u64);
        Ok(())
    }

    /// Progress every `progress::EVERY` rows (`i` counts from 0); `Cancelled` on request.
    fn tick(&self, i: usize) -> Result<()> {
        progress::every(self.progress, i as u64)
    }

    fn account(&mut self, system: System, a: &AccountRec) -> Result<i64> {
        let owner = match &a.owner {
            Some(o) => Some(self.csm(system, o, None, false, None)?),
            None => None,
        };
        let id = match self.find("account", system, &a.external_id)? {
            Some(id) => {
                let n = match self.held(id) {
                    // Listed twice in this import: the later row wins, as below.
                    Some(held) => usize::from(held.update(a, owner)),
                    None => self.sql.update_account.execute(params![
                        id,
                        a.name,
                        a.segment.map(Segment::as_str),
                        a.tier,
                        a.industry,
                        a.contract_value_cents,
                        a.renewal_date.map(crate::store::day),
                        owner
                    ])?,
                };
                if n > 0 {
                    self.out.updated.accounts += 1;
                } else {
                    self.out.unchanged.accounts += 1;
                }
                id
            }
            None if self.held_back.is_some() => {
                let id = self.tx.next_id("accounts")?;
                if let Some(h) = self.held_back.as_mut() {
                    h.at.insert(id, h.accounts.len());
                    h.accounts.push(NewAccount::new(id, a, owner));
                }
                self.link("account", id, system, &a.external_id)?;
                self.out.added.accounts += 1;
                id
            }
            None => {
                let id = self.tx.next_id("accounts")?;
                self.sql.add_account.execute(params![
                    id,
                    a.name,
                    a.segment.unwrap_or(Segment::Smb).as_str(),
                    a.tier.unwrap_or(2),
                    a.industry,
                    a.contract_value_cents.unwrap_or(0),
                    a.renewal_date.map(crate::store::day),
                    owner,
                    None::<i64>, // parents are linked once every account is in
                    self.sql.now
                ])?;
                self.link("account", id, system, &a.external_id)?;
                self.out.added.accounts += 1;
                id
            }
        };
        self.names.insert(a.name.to_lowercase(), id);
        self.touched.insert(id);
        Ok(id)
    }

    pub(super) fn parents(&mut self, f: &Parsed) -> Result<()> {
        f.each_chunk(|part| self.parents_of(part))
    }

    fn parents_of(&mut self, f: &Parsed) -> Result<()> {
        for a in &f.accounts {
            if a.parent_id.is_none() && a.parent_name.is_none() {
                continue;
            }
            let Some(child) = self.find("account", f.system, &a.external_id)? else {
                continue;
            };
            let parent = match (&a.parent_id, &a.parent_name) {
                (Some(pid), _) => self.find("account", f.system, pid)?,
                (None, Some(name)) => self.account_by_name(name)?,
                (None, None) => None,
            };
            let shown = a
                .parent_id
                .as_ref()
                .or(a.parent_name.as_ref())
                .cloned()
                .unwrap_or_default();
            match parent {
                Some(p) if p != child && !self.is_ancestor(child, p)? => {
                    match self.held(child) {
                        Some(held) => held.parent = Some(p),
                        None => {
                            self.sql.set_parent.execute(params![child, p])?;
                        }
                    }
                    if let Some(m) = self.parent_of.as_mut() {
                        m.insert(child, p);
                    }
                }
                Some(_) => self.warn(&f.file, a.line, format!("parent {shown:?} would make a loop; left without a parent")),
                None => self.warn(
                    &f.file,
                    a.line,
                    format!("parent {shown:?} is neither in this import nor in the database; imported without it"),
                ),
            }
        }
        Ok(())
    }

    /// Whether `ancestor` is `id` or above it in the parent chain (to refuse loops).
    fn is_ancestor(&mut self, ancestor: i64, id: i64) -> Result<bool> {
        if self.load_all {
            if self.parent_of.is_none() {
                self.parent_of = Some(id_pairs(
                    self.tx.conn(),
                    "SELECT id, parent_id FROM accounts WHERE parent_id IS NOT NULL",
                )?);
            }
            let parent_of = self.parent_of.as_ref();
            // The same walk as the query below: `id` and up to 100 levels above it.
            let mut at = id;
            for _ in 0..=100 {
                if at == ancestor {
                    return Ok(true);
                }
                match parent_of.and_then(|m| m.get(&at)) {
                    Some(p) => at = *p,
                    None => break,
                }
            }
            return Ok(false);
        }
        let found: Option<i64> = self
            .tx
            .conn()
            .prepare_cached(
                "WITH RECURSIVE up(id, depth) AS (SELECT ?2, 0 UNION ALL
                     SELECT a.parent_id, depth + 1 FROM accounts a JOIN up ON a.id = up.id
                     WHERE a.parent_id IS NOT NULL AND depth < 100)
                 SELECT 1 FROM up WHERE id = ?1 LIMIT 1",
            )?
            .query_row(params![ancestor, id], |r| r.get(0))
            .optional()?;
        Ok(found.is_some())
    }

    pub(super) fn contacts(&mut self, f: &Parsed) -> Result<()> {
        let mut placed: Vec<Placed> = Vec::new();
        let mut i = 0;
        f.each_chunk(|part| {
            if f.stream.is_some() {
                self.parse_rejected.extend(part.rejected.iter().cloned());
            }
            for c in &part.contacts {
                self.tick(i)?;
                i += 1;
                self.contact(f, c, &mut placed)?;
            }
            Ok(())
        })?;
        for p in placed {
            let manager = match &p.boss {
                Boss::Id(m) => *m,
                Boss::Ext(boss) => match self.find("persona", f.system, boss)? {
                    Some(m) => m,
                    None => {
                        self.warn(&f.file, p.line, format!("reports to {boss:?}, who is not among the contacts; imported without a manager"));
                        continue;
                    }
                },
            };
            let (id, account) = (p.id, p.account);
            let n = self
                .tx
                .conn()
                .prepare_cached(
                    "UPDATE personas SET reports_to_id = ?2 WHERE id = ?1 AND account_id = ?3
                         AND ?2 <> ?1 AND reports_to_id IS NOT ?2
                         AND (SELECT account_id FROM personas WHERE id = ?2) = ?3",
                )?
                .execute(params![id, manager, account])?;
            if n == 0 {
                let same: Option<i64> = self
                    .tx
                    .conn()
                    .prepare_cached("SELECT 1 FROM personas WHERE id = ?1 AND reports_to_id IS ?2")?
                    .query_row(params![id, manager], |r| r.get(0))
                    .optional()?;
                if same.is_none() {
                    self.warn(
                        &f.file,
                        p.line,
                        format!(
                            "reports to {:?} at another account; imported without a manager",
                            self.shown(f.system, &p.boss)?
                        ),
                    );
                }
            }
        }
        Ok(())
    }

    /// A manager's CRM id as the file gives it.
    fn shown(&self, system: System, boss: &Boss) -> Result<String> {
        Ok(match boss {
            Boss::Ext(s) => s.clone(),
            Boss::Id(m) => self
                .tx
                .conn()
                .query_row(
                    "SELECT external_id FROM external_ids
                     WHERE entity = 'persona' AND system = ?2 AND local_id = ?1",
                    params![m, system.as_str()],
                    |r| r.get(0),
                )
                .optional()?
                .unwrap_or_default(),
        })
    }

    /// Places one contact at its account (or rejects it); one whose manager is not linked
    /// yet is noted in `placed`.
    fn contact(&mut self, f: &Parsed, c: &ContactRec, placed: &mut Vec<Placed>) -> Result<()> {
        let account = match (&c.account_id, &c.account_name) {
            (Some(id), _) => self.find("account", f.system, id)?,
            (None, Some(name)) => self.account_by_name(name)?,
            (None, None) => None,
        };
        let Some(account) = account else {
            let what = match (&c.account_id, &c.account_name) {
                (Some(id), _) => format!("account id {id:?}"),
                (None, Some(n)) => format!("account {n:?}"),
                (None, None) => "no account".into(),
            };
            self.reject(
                &f.file,
                c.line,
                format!("{what} is neither in this import nor in the database"),
            );
            return Ok(());
        };
        // A manager already placed at the same account (exports list them first more
        // often than not) is linked as the persona is added.
        let known_boss = c.reports_to_id.as_ref().and_then(|b| {
            self.known
                .borrow()
                .get(&("persona", f.system))?
                .ids
                .get(b.as_str())
                .copied()
        });
        let boss_now = known_boss.filter(|m| self.persona_account.get(m) == Some(&account));
        let (id, linked) = self.persona(f.system, c, account, boss_now)?;
        if let (false, Some(shown)) = (linked, &c.reports_to_id) {
            // Kept small: a whole file of them is held until every contact is in.
            let boss = match known_boss {
                Some(m) => Boss::Id(m),
                None => Boss::Ext(shown.clone()),
            };
            placed.push(Placed {
                line: c.line,
                id,
                account,
                boss,
            });
        }
        Ok(())
    }

    /// Adds or updates a persona; `boss` is its manager when already known to be at the
    /// same account. Returns its id and whether a new persona got `boss` as its manager.
    fn persona(
        &mut self,
        system: System,
        c: &ContactRec,
        account: i64,
        boss: Option<i64>,
    ) -> Result<(i64, bool)> {
        self.touched.insert(account);
        if let Some(id) = self.find("persona", system, &c.external_id)? {
            let home = self.home_of(id)?;
            if home.is_some_and(|h| h != account) {
                // The account it leaves has a persona fewer.
                self.touched.extend(home);
                self.moved = true;
            }
            let n = self.sql.update_persona.execute(params![
                id,
                account,
                c.name,
                c.title,
                c.email,
                c.role.map(Role::as_str),
                c.role_guessed
            ])?;
            // Most exports carry no strength or sentiment: nothing to compare then.
            let mut tie_changed = false;
            if c.strength.is_some() || c.sentiment.is_some() {
                let (strength, sentiment): (String, String) = self
                    .sql
                    .persona_tie
                    .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))?;
                let old_strength = strength.parse::<Strength>().unwrap_or(Strength::None);
                let old_sentiment = sentiment.parse::<Sentiment>().unwrap_or(Sentiment::Neutral);
                let new_strength = c.strength.unwrap_or(old_strength);
                let new_sentiment = c.sentiment.unwrap_or(old_sentiment);
                tie_changed = new_strength != old_strength || new_sentiment != old_sentiment;
                if tie_changed {
                    self.tx.set_persona_tie(
                        id,
                        new_strength,
                        new_sentiment,
                        self.now,
                        Some("import"),
                        None,
                    )?;
                }
            }
            if n > 0 || tie_changed {
                self.out.updated.personas += 1;
            } else {
                self.out.unchanged.personas += 1;
            }
            if let Some(held) = self.held(account) {
                held.has_older_persona = true;
            }
            self.persona_account.insert(id, account);
            return Ok((id, false));
        }
        let id = self.tx.next_id("personas")?;
        let strength = c.strength.unwrap_or(Strength::None).as_str();
        let sentiment = c.sentiment.unwrap_or(Sentiment::Neutral).as_str();
        self.sql.add_persona.execute(params![
            id,
            account,
            c.name,
            c.title,
            c.email,
            c.role.unwrap_or(Role::Other).as_str(),
            boss,
            strength,
            sentiment,
            self.sql.now,
            c.role_guessed && c.role.is_some()
        ])?;
        self.link("persona", id, system, &c.external_id)?;
        if let Some(held) = self.held(account) {
            held.ties.push(PersonaTie {
                role: c.role.unwrap_or(Role::Other),
                strength: c.strength.unwrap_or(Strength::None),
                sentiment: c.sentiment.unwrap_or(Sentiment::Neutral),
                contacted: false,
            });
        }
        self.persona_account.insert(id, account);
        self.out.added.personas += 1;
        Ok((id, boss.is_some()))
    }

    /// The account persona `id` is at, as this import found it (before any move).
    fn home_of(&mut self, id: i64) -> Result<Option<i64>> {
        if let Some(at) = self.persona_account.get(&id) {
            return Ok(Some(*at));
        }
        if self.load_all {
            if self.persona_home.is_none() {
                self.persona_home = Some(id_pairs(
                    self.tx.conn(),
                    "SELECT id, account_id FROM personas",
                )?);
            }
            return Ok(self.persona_home.as_ref().and_then(|m| m.get(&id).copied()));
        }
        Ok(self
            .tx
            .conn()
            .prepare_cached("SELECT account_id FROM personas WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?)
    }

    /// After personas moved to other accounts: reporting lines now running between two
    /// accounts end (a manager is someone at the same account), whichever side moved.
    pub(super) fn end_crossed_lines(&mut self) -> Result<()> {
        if self.moved {
            self.tx.conn().execute(
                "UPDATE personas SET reports_to_id = NULL WHERE reports_to_id IS NOT NULL
                 AND account_id IS NOT (SELECT m.account_id FROM personas m
                                        WHERE m.id = personas.reports_to_id)",
                [],
            )?;
        }
        Ok(())
    }

    /// The held-back new account `id`, if it is one.
    fn held(&mut self, id: i64) -> Option<&mut NewAccount> {
        let h = self.held_back.as_mut()?;
        let i = *h.at.get(&id)?;
        h.accounts.get_mut(i)
    }

    /// Adds the held-back accounts, each with its parent, and its summary when its
    /// personas are all new (computed as `refresh_accounts` would read it back: nothing
    /// but its renewal date and personas yet); the others are left to the refresh.
    pub(super) fn add_held_back(&mut self, at: &AsOf) -> Result<()> {
        let Some(held) = self.held_back.take() else {
            return Ok(());
        };
        let mut add = self.tx.conn().prepare(INSERT_HELD_BACK_ACCOUNT)?;
        let risk_as_of = crate::store::day(at.today);
        for a in held.accounts {
            let summary = (!a.has_older_persona).then(|| {
                Derived::of(&RiskInputs {
                    stale_after_days: at.stale_after_days,
                    days_to_renewal: a.rec.renewal_date.map(|d| (d - at.today).num_days()),
                    personas: a.ties,
                    ..RiskInputs::default()
                })
            });
            if summary.is_some() {
                self.touched.remove(&a.id);
            }
            add.execute(params![
                a.id,
                a.rec.name,
                a.rec.segment.as_str(),
                a.rec.tier,
                a.rec.industry,
                a.rec.contract_value_cents,
                a.rec.renewal_date.map(crate::store::day),
                a.owner,
                a.parent,
                self.sql.now,
                summary.as_ref().map_or(0, |s| s.coverage.personas),
                summary.as_ref().map_or(0, |s| s.coverage.strong),
                summary.as_ref().map_or(0, |s| s.coverage.percent()),
                summary.as_ref().map_or("", |s| s.missing_roles.as_str()),
                summary.as_ref().map_or(0, |s| s.risk.score),
                summary.as_ref().map(|_| risk_as_of.as_str()),
                summary.as_ref().map_or(0, |s| s.rated),
            ])?;
        }
        Ok(())
    }

    pub(super) fn deals(&mut self, f: &Parsed) -> Result<()> {
        // Per account: won value, latest win, and the agent who won the most.
        let mut won: HashMap<i64, Won> = HashMap::new();
        // Per account: (closed on, won) of every won or lost opportunity.
        let mut closings: HashMap<i64, Vec<(NaiveDate, bool)>> = HashMap::new();
        for (i, d) in f.deals.iter().enumerate() {
            self.tick(i)?;
            let account = match self.find("account", f.system, &d.account_name.to_lowercase())? {
                Some(id) => Some(id),
                None => self.account_by_name(&d.account_name)?,
            };
            let Some(account) = account else {
                self.reject(
                    &f.file,
                    d.line,
                    format!(
                        "account {:?} is neither in this import nor in the database",
                        d.account_name
                    ),
                );
                continue;
            };
            let csm = match &d.csm {
                Some(n) => Some(self.csm(f.system, n, None, false, None)?),
                None => None,
            };
            self.touch(f.system, d, account, csm)?;
            if let Some(closed) = d.closed_on {
                let won = d.stage.eq_ignore_ascii_case("won");
                if won || d.stage.eq_ignore_ascii_case("lost") {
                    closings.entry(account).or_default().push((closed, won));
                }
            }
            if d.stage.eq_ignore_ascii_case("won") {
                let e = won.entry(account).or_default();
                let v = d.value_cents.unwrap_or(0);
                e.0 += v;
                e.1 = e.1.max(d.closed_on);
                if let Some(c) = csm {
                    *e.2.entry(c).or_default() += v;
                }
            }
        }
        let mut accounts: Vec<_> = won.into_iter().collect();
        accounts.sort_by_key(|(id, _)| *id);
        for (id, (value, last_win, by_csm)) in accounts {
            let owner = by_csm
                .into_iter()
                .max_by_key(|(c, v)| (*v, -c))
                .map(|(c, _)| c);
            let renewal = last_win.and_then(|d| d.checked_add_months(Months::new(12)));
            self.tx
                .conn()
                .prepare_cached(
                    "UPDATE accounts SET contract_value = ?2, renewal_date = coalesce(?3, renewal_date),
                         owner_csm_id = coalesce(?4, owner_csm_id) WHERE id = ?1",
                )?
                .execute(params![id, value, renewal.map(crate::store::day), owner])?;
            self.touched.insert(id);
        }
        let mut closings: Vec<_> = closings.into_iter().collect();
        closings.sort_by_key(|(id, _)| *id);
        for (id, mut closed) in closings {
            closed.sort_unstable();
            self.pulse_from_pipeline(id, &closed)?;
        }
        Ok(())
    }

    /// A CRM history has no CSM sentiment; its latest closed opportunities stand in for
    /// one (the last three all won: Green, all lost: Red, mixed: Yellow), dated the day the
    /// last one closed. Recorded once: never over a sentiment set on or after that day.
    fn pulse_from_pipeline(&mut self, account: i64, closed: &[(NaiveDate, bool)]) -> Result<()> {
        let last = &closed[closed.len().saturating_sub(3)..];
        let Some(&(day, _)) = last.last() else {
            return Ok(());
        };
        let won = last.iter().filter(|(_, w)| *w).count();
        let pulse = match won {
            0 => Pulse::Red,
            n if n == last.len() => Pulse::Green,
            _ => Pulse::Yellow,
        };
        let at = day.and_hms_opt(12, 0, 0).map_or(self.now, |t| t.and_utc());
        let newer: bool = self
            .tx
            .conn()
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM pulse_history WHERE account_id = ?1 AND set_at >= ?2)",
            )?
            .query_row(params![account, timestamp(at)], |r| r.get(0))?;
        if newer {
            return Ok(());
        }
        let reason = format!(
            "From the CRM pipeline: of the last {} closed opportunities, {won} won",
            last.len()
        );
        let owner: Option<i64> = self
            .tx
            .conn()
            .prepare_cached("SELECT owner_csm_id FROM accounts WHERE id = ?1")?
            .query_row([account], |r| r.get(0))?;
        self.tx
            .set_pulse(account, pulse, Some(&reason), at, owner, None)?;
        self.touched.insert(account);
        Ok(())
    }

    /// Salesforce Opportunities and HubSpot Deals: each a touch in its account's history
    /// (found by its CRM id on a re-import), and per account the contract value and
    /// renewal date they give (`import::contract_terms`), set whenever they give one.
    pub(super) fn opportunities(&mut self, f: &Parsed, today: NaiveDate) -> Result<()> {
        let mut per_account: std::collections::BTreeMap<i64, Vec<&DealRec>> =
            std::collections::BTreeMap::new();
        for d in &f.deals {
            let by_id = match &d.account_id {
                Some(id) => self.find("account", f.system, id)?,
                None => None,
            };
            let account = match by_id {
                Some(id) => Some(id),
                None if !d.account_name.is_empty() => self.account_by_name(&d.account_name)?,
                None => None,
            };
            let Some(account) = account else {
                let what = match &d.account_id {
                    Some(id) if d.account_name.is_empty() || *id == d.account_name => {
                        format!("account id {id:?}")
                    }
                    _ => format!("account {:?}", d.account_name),
                };
                self.reject(
                    &f.file,
                    d.line,
                    format!("{what} is neither in this import nor in the database"),
                );
                continue;
            };
            self.touch(f.system, d, account, None)?;
            per_account.entry(account).or_default().push(d);
        }
        for (id, deals) in per_account {
            let terms = contract_terms(&deals, today);
            if terms.value_cents.is_none() && terms.renewal_date.is_none() {
                continue;
            }
            self.tx
                .conn()
                .prepare_cached(
                    "UPDATE accounts SET contract_value = coalesce(?2, contract_value),
                         renewal_date = coalesce(?3, renewal_date) WHERE id = ?1",
                )?
                .execute(params![
                    id,
                    terms.value_cents,
                    terms.renewal_date.map(crate::store::day)
                ])?;
            self.touched.insert(id);
        }
        Ok(())
    }

    fn touch(&mut self, system: System, d: &DealRec, account: i64, csm: Option<i64>) -> Result<()> {
        // Dated when it closed, or (open) when it was created; never in the future: an
        // open deal the file does not date is dated the day it was first imported.
        let today = self.now.date_naive();
        let day = match d.status {
            DealStatus::Open => d.engaged_on,
            _ => d.closed_on.or(d.engaged_on),
        }
        .filter(|day| *day <= today);
        let at = day.and_then(|day| day.and_hms_opt(12, 0, 0).map(|t| t.and_utc()));
        let value = d
            .value_cents
            .map(|c| format!(", {}", crate::domain::money::full(c)))
            .unwrap_or_default();
        let what = if system == System::Hubspot {
            "Deal"
        } else {
            "Opportunity"
        };
        let summary = format!(
            "{what} {}: {} — {}{value}",
            d.external_id,
            d.product.as_deref().unwrap_or("no product"),
            d.stage
        );
        let outcome = match d.status {
            DealStatus::Won => "won".to_string(),
            DealStatus::Lost => "lost".to_string(),
            DealStatus::Open => d.stage.to_lowercase(),
        };
        self.touched.insert(account);
        if let Some(id) = self.find("touch", system, &d.external_id)? {
            let n = self
                .tx
                .conn()
                .prepare_cached(
                    "UPDATE touches SET account_id = ?2, csm_id = ?3,
                         occurred_at = coalesce(?4, occurred_at), summary = ?5,
                         outcome = ?6, updated_at = ?7
                     WHERE id = ?1 AND (account_id IS NOT ?2 OR csm_id IS NOT ?3
                         OR occurred_at IS NOT coalesce(?4, occurred_at) OR summary IS NOT ?5
                         OR outcome IS NOT ?6)",
                )?
                .execute(params![
                    id,
                    account,
                    csm,
                    at.map(crate::store::timestamp),
                    summary,
                    outcome,
                    crate::store::timestamp(self.now)
                ])?;
            if n > 0 {
                self.out.updated.touches += 1;
            } else {
                self.out.unchanged.touches += 1;
            }
            return Ok(());
        }
        let id = self.tx.insert_touch(&NewTouch {
            csm_id: csm,
            summary: Some(&summary),
            no_followup: true,
            outcome: Some(&outcome),
            ..NewTouch::new(account, TouchKind::Note, at.unwrap_or(self.now))
        })?;
        self.link("touch", id, system, &d.external_id)?;
        self.out.added.touches += 1;
        Ok(())
    }
}
