//! Writing imported records: every file of one `attuned import` in one transaction,
//! updating records found by their CRM id (`external_ids`) and adding the rest.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Months, NaiveDate, Utc};
use rusqlite::{OptionalExtension, params};

use super::Store;
use super::summary::{AsOf, refresh_account};
use super::write::{NewAccount, NewCsm, NewPersona, NewTouch, Tx};
use crate::domain::Clock;
use crate::domain::model::{Role, Segment, Sentiment, Strength, TouchKind};
use crate::error::{Error, Result};
use crate::import::{AccountRec, ContactRec, DealRec, Kind, Parsed, Rejected, System};

/// Above this many accounts in one import, the name index is fed in one statement.
const BULK_ACCOUNTS: usize = 2000;

/// How many records of each kind an import added or updated.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub accounts: u64,
    pub personas: u64,
    pub csms: u64,
    pub touches: u64,
}

#[derive(Debug, Default, Clone)]
pub struct Outcome {
    pub added: Counts,
    pub updated: Counts,
    pub unchanged: Counts,
    /// Rows not imported (file, line, reason), from parsing and from writing.
    pub rejected: Vec<Rejected>,
    /// Rows left out on purpose.
    pub skipped: Vec<Rejected>,
    /// Imported, with something left out (an unknown parent or manager).
    pub warnings: Vec<Rejected>,
    /// Whether the changes were kept.
    pub committed: bool,
}

/// What to do with the rows that could be imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Report only; change nothing.
    DryRun,
    /// All rows or none.
    AllOrNothing,
    /// The good rows, even when others are rejected.
    KeepGood,
}

/// Imports `files` (already parsed) into `store`.
pub fn apply(
    store: &mut Store,
    files: &[Parsed],
    mode: Mode,
    clock: &dyn Clock,
) -> Result<Outcome> {
    if store.read_only {
        return Err(Error::Invalid(format!(
            "{} is open read-only; nothing was imported",
            store.path.display()
        )));
    }
    let mut out = Outcome::default();
    for f in files {
        out.rejected.extend(f.rejected.iter().cloned());
        out.skipped.extend(f.skipped.iter().cloned());
    }
    // A large import touches far more pages than the default 2 MB cache holds; spilling
    // them to the WAL mid-transaction made it I/O bound.
    let out = store.bulk_load(&[], |store| apply_in_tx(store, files, mode, clock, out))?;
    if out.committed {
        store.optimize()?;
    }
    Ok(out)
}

fn apply_in_tx(
    store: &mut Store,
    files: &[Parsed],
    mode: Mode,
    clock: &dyn Clock,
    mut out: Outcome,
) -> Result<Outcome> {
    let origin = store.origin;
    let tx = store
        .conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    phase("start");
    // The account-name search index (FTS5) writes itself out at every statement when
    // fed by its insert trigger, which made a 100k-account import spend a third of its
    // time there. For a large batch the trigger is set aside inside this transaction and
    // the new names are indexed in one statement at the end; a rollback restores it.
    let many_accounts = files.iter().map(|f| f.accounts.len()).sum::<usize>() > BULK_ACCOUNTS;
    let trigger: Option<(String, i64)> = if many_accounts {
        let sql: Option<String> = tx
            .query_row(
                "SELECT sql FROM sqlite_schema WHERE type = 'trigger' AND name = 'account_names_insert'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        match sql {
            Some(sql) => {
                // New accounts get ids above this file's highest (see `Tx::next_id`).
                let low = origin << 32;
                let max: i64 = tx.query_row(
                    "SELECT ifnull(max(id), ?1) FROM accounts WHERE id BETWEEN ?1 AND ?2",
                    [low, low | 0xffff_ffff],
                    |r| r.get(0),
                )?;
                tx.execute_batch("DROP TRIGGER account_names_insert")?;
                Some((sql, max))
            }
            None => None,
        }
    } else {
        None
    };
    let touched = {
        let w = Tx::new(&tx, origin);
        let mut im = Importer {
            tx: &w,
            now: clock.now(),
            out: &mut out,
            csm_cache: HashMap::new(),
            names: HashMap::new(),
            touched: HashSet::new(),
            known: RefCell::new(HashMap::new()),
            none_before: RefCell::new(HashMap::new()),
            persona_account: HashMap::new(),
        };
        // Whatever order the files were named in: people, then accounts, then their
        // contacts and history.
        for kind in [Kind::MavenTeams] {
            for f in files.iter().filter(|f| f.kind == kind) {
                im.csms(f)?;
            }
        }
        for kind in [Kind::MavenAccounts, Kind::Accounts] {
            for f in files.iter().filter(|f| f.kind == kind) {
                im.accounts(f)?;
            }
        }
        for f in files
            .iter()
            .filter(|f| matches!(f.kind, Kind::MavenAccounts | Kind::Accounts))
        {
            im.parents(f)?;
        }
        phase("accounts");
        for f in files.iter().filter(|f| f.kind == Kind::Contacts) {
            im.contacts(f)?;
        }
        phase("contacts");
        for f in files.iter().filter(|f| f.kind == Kind::MavenPipeline) {
            im.deals(f)?;
        }
        im.touched
    };
    if let Some((sql, max)) = trigger {
        tx.execute_batch(&sql)?;
        tx.execute(
            "INSERT INTO account_names (rowid, name) SELECT id, name FROM accounts
             WHERE id > ?1 AND id <= ?2",
            [max, (origin << 32) | 0xffff_ffff],
        )?;
    }
    let keep = match mode {
        Mode::DryRun => false,
        Mode::AllOrNothing => out.rejected.is_empty(),
        Mode::KeepGood => true,
    };
    if !keep {
        tx.rollback()?;
        return Ok(out);
    }
    let at = AsOf::new(clock);
    let mut ids: Vec<i64> = touched.into_iter().collect();
    ids.sort_unstable();
    phase("before refresh");
    for id in ids {
        refresh_account(&tx, id, &at)?;
    }
    phase("refresh");
    tx.commit()?;
    phase("commit");
    out.committed = true;
    Ok(out)
}

/// Per account: won value, latest win, and won value per CSM.
type Won = (i64, Option<NaiveDate>, HashMap<i64, i64>);

fn phase(name: &str) {
    if std::env::var_os("ATTUNED_IMPORT_TIMING").is_some() {
        thread_local!(static T: std::cell::Cell<Option<std::time::Instant>> = const { std::cell::Cell::new(None) });
        T.with(|t| {
            let now = std::time::Instant::now();
            if let Some(prev) = t.get() {
                eprintln!("  {name}: {:.2} s", (now - prev).as_secs_f64());
            }
            t.set(Some(now));
        });
    }
}

struct Importer<'a, 't> {
    tx: &'a Tx<'t>,
    now: DateTime<Utc>,
    out: &'a mut Outcome,
    csm_cache: HashMap<(System, String), i64>,
    /// Account names (lowercase) seen in this import, per system.
    names: HashMap<String, i64>,
    touched: HashSet<i64>,
    /// CRM ids resolved or created in this import: (entity, system, id) → local id.
    known: RefCell<HashMap<(&'static str, System, String), i64>>,
    /// (entity, system) pairs the database held no CRM ids for when the import began:
    /// a miss in `known` is then certain without asking SQLite.
    none_before: RefCell<HashMap<(&'static str, System), bool>>,
    /// The account of each persona added or updated in this import.
    persona_account: HashMap<i64, i64>,
}

impl Importer<'_, '_> {
    fn find(&self, entity: &'static str, system: System, ext: &str) -> Result<Option<i64>> {
        let key = (entity, system, ext.to_string());
        if let Some(id) = self.known.borrow().get(&key) {
            return Ok(Some(*id));
        }
        let none_before = match self.none_before.borrow().get(&(entity, system)) {
            Some(v) => *v,
            None => {
                let v: bool = self.tx.conn().query_row(
                    "SELECT NOT EXISTS (SELECT 1 FROM external_ids WHERE entity = ?1 AND system = ?2)",
                    params![entity, system.as_str()],
                    |r| r.get(0),
                )?;
                v
            }
        };
        self.none_before
            .borrow_mut()
            .insert((entity, system), none_before);
        if none_before {
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
            self.known.borrow_mut().insert(key, id);
        }
        Ok(found)
    }

    /// Records a CRM id for a local record, in the database and in `known`.
    fn link(&self, entity: &'static str, local_id: i64, system: System, ext: &str) -> Result<()> {
        self.tx
            .add_external_id(entity, local_id, system.as_str(), ext)?;
        self.known
            .borrow_mut()
            .insert((entity, system, ext.to_string()), local_id);
        Ok(())
    }

    fn account_by_name(&self, name: &str) -> Result<Option<i64>> {
        if let Some(id) = self.names.get(&name.to_lowercase()) {
            return Ok(Some(*id));
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
        let found = match self.find("csm", system, &key.1)? {
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
        self.link("csm", id, system, &key.1)?;
        self.csm_cache.insert(key, id);
        Ok(id)
    }

    fn csms(&mut self, f: &Parsed) -> Result<()> {
        for c in &f.csms {
            let lead = match &c.team_lead {
                Some(m) => Some(self.csm(f.system, m, None, true, c.region.as_deref())?),
                None => None,
            };
            self.csm(f.system, &c.name, lead, false, c.region.as_deref())?;
        }
        Ok(())
    }

    fn accounts(&mut self, f: &Parsed) -> Result<()> {
        for a in &f.accounts {
            self.account(f.system, a)?;
        }
        Ok(())
    }

    fn account(&mut self, system: System, a: &AccountRec) -> Result<i64> {
        let owner = match &a.owner {
            Some(o) => Some(self.csm(system, o, None, false, None)?),
            None => None,
        };
        let id = match self.find("account", system, &a.external_id)? {
            Some(id) => {
                let n = self
                    .tx
                    .conn()
                    .prepare_cached(
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
                    )?
                    .execute(params![
                        id,
                        a.name,
                        a.segment.map(Segment::as_str),
                        a.tier,
                        a.industry,
                        a.contract_value_cents,
                        a.renewal_date.map(super::day),
                        owner
                    ])?;
                if n > 0 {
                    self.out.updated.accounts += 1;
                } else {
                    self.out.unchanged.accounts += 1;
                }
                id
            }
            None => {
                let id = self.tx.insert_account(&NewAccount {
                    name: &a.name,
                    segment: a.segment.unwrap_or(Segment::Smb),
                    tier: a.tier.unwrap_or(2),
                    industry: a.industry.as_deref(),
                    contract_value_cents: a.contract_value_cents.unwrap_or(0),
                    renewal_date: a.renewal_date,
                    owner_csm_id: owner,
                    parent_id: None,
                    created_at: self.now,
                })?;
                self.link("account", id, system, &a.external_id)?;
                self.out.added.accounts += 1;
                id
            }
        };
        self.names.insert(a.name.to_lowercase(), id);
        self.touched.insert(id);
        Ok(id)
    }

    fn parents(&mut self, f: &Parsed) -> Result<()> {
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
                    self.tx
                        .conn()
                        .prepare_cached("UPDATE accounts SET parent_id = ?2 WHERE id = ?1")?
                        .execute(params![child, p])?;
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
    fn is_ancestor(&self, ancestor: i64, id: i64) -> Result<bool> {
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

    fn contacts(&mut self, f: &Parsed) -> Result<()> {
        let mut placed: Vec<(&ContactRec, i64, i64)> = Vec::with_capacity(f.contacts.len());
        for c in &f.contacts {
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
                continue;
            };
            // A manager already placed at the same account (exports list them first
            // more often than not) is linked as the persona is added.
            let boss_now = c.reports_to_id.as_ref().and_then(|b| {
                let m = *self.known.borrow().get(&("persona", f.system, b.clone()))?;
                (self.persona_account.get(&m) == Some(&account)).then_some(m)
            });
            let (id, linked) = self.persona(f.system, c, account, boss_now)?;
            if !linked {
                placed.push((c, id, account));
            }
        }
        for (c, id, account) in placed {
            let Some(boss) = &c.reports_to_id else {
                continue;
            };
            let manager = match self.find("persona", f.system, boss)? {
                Some(m) => m,
                None => {
                    self.warn(&f.file, c.line, format!("reports to {boss:?}, who is not among the contacts; imported without a manager"));
                    continue;
                }
            };
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
                        c.line,
                        format!(
                            "reports to {boss:?} at another account; imported without a manager"
                        ),
                    );
                }
            }
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
            let n = self
                .tx
                .conn()
                .prepare_cached(
                    "UPDATE personas SET account_id = ?2, name = ?3, title = coalesce(?4, title),
                         email = coalesce(?5, email), role = coalesce(?6, role)
                     WHERE id = ?1 AND (account_id IS NOT ?2 OR name IS NOT ?3
                         OR title IS NOT coalesce(?4, title) OR email IS NOT coalesce(?5, email)
                         OR role IS NOT coalesce(?6, role))",
                )?
                .execute(params![
                    id,
                    account,
                    c.name,
                    c.title,
                    c.email,
                    c.role.map(Role::as_str)
                ])?;
            let (strength, sentiment): (String, String) = self
                .tx
                .conn()
                .prepare_cached("SELECT strength, sentiment FROM personas WHERE id = ?1")?
                .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))?;
            let old_strength = strength.parse::<Strength>().unwrap_or(Strength::None);
            let old_sentiment = sentiment.parse::<Sentiment>().unwrap_or(Sentiment::Neutral);
            let new_strength = c.strength.unwrap_or(old_strength);
            let new_sentiment = c.sentiment.unwrap_or(old_sentiment);
            let tie_changed = new_strength != old_strength || new_sentiment != old_sentiment;
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
            if n > 0 || tie_changed {
                self.out.updated.personas += 1;
            } else {
                self.out.unchanged.personas += 1;
            }
            self.persona_account.insert(id, account);
            return Ok((id, false));
        }
        let id = self.tx.insert_persona(&NewPersona {
            account_id: account,
            name: &c.name,
            title: c.title.as_deref(),
            email: c.email.as_deref(),
            role: c.role.unwrap_or(Role::Other),
            reports_to_id: boss,
            strength: c.strength.unwrap_or(Strength::None),
            sentiment: c.sentiment.unwrap_or(Sentiment::Neutral),
            created_at: self.now,
        })?;
        self.link("persona", id, system, &c.external_id)?;
        self.persona_account.insert(id, account);
        self.out.added.personas += 1;
        Ok((id, boss.is_some()))
    }

    fn deals(&mut self, f: &Parsed) -> Result<()> {
        // Per account: won value, latest win, and the agent who won the most.
        let mut won: HashMap<i64, Won> = HashMap::new();
        for d in &f.deals {
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
                .execute(params![id, value, renewal.map(super::day), owner])?;
            self.touched.insert(id);
        }
        Ok(())
    }

    fn touch(&mut self, system: System, d: &DealRec, account: i64, csm: Option<i64>) -> Result<()> {
        let day = d
            .closed_on
            .or(d.engaged_on)
            .unwrap_or(self.now.date_naive());
        let at = day.and_hms_opt(12, 0, 0).map_or(self.now, |t| t.and_utc());
        let value = d
            .value_cents
            .map(|c| format!(", {}", crate::domain::money::full(c)))
            .unwrap_or_default();
        let summary = format!(
            "Opportunity {}: {} — {}{value}",
            d.external_id,
            d.product.as_deref().unwrap_or("no product"),
            d.stage
        );
        let outcome = d.stage.to_lowercase();
        self.touched.insert(account);
        if let Some(id) = self.find("touch", system, &d.external_id)? {
            let n = self
                .tx
                .conn()
                .prepare_cached(
                    "UPDATE touches SET account_id = ?2, csm_id = ?3, occurred_at = ?4, summary = ?5,
                         outcome = ?6, updated_at = ?7
                     WHERE id = ?1 AND (account_id IS NOT ?2 OR csm_id IS NOT ?3
                         OR occurred_at IS NOT ?4 OR summary IS NOT ?5 OR outcome IS NOT ?6)",
                )?
                .execute(params![id, account, csm, super::timestamp(at), summary, outcome, super::timestamp(self.now)])?;
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
            ..NewTouch::new(account, TouchKind::Note, at)
        })?;
        self.link("touch", id, system, &d.external_id)?;
        self.out.added.touches += 1;
        Ok(())
    }
}

/// What a JSON import read.
#[derive(Debug, Default, Clone, Copy)]
pub struct JsonCounts {
    pub accounts: u64,
    pub personas: u64,
    pub touches: u64,
    pub followups: u64,
}

/// A table's columns and the export's key for each (they differ only where the export
/// names the unit).
struct TableSpec {
    section: &'static str,
    table: &'static str,
    columns: &'static [(&'static str, &'static str)],
    /// `external_ids.entity` of the section's records, if they carry CRM ids.
    entity: Option<&'static str>,
}

macro_rules! cols {
    ($($c:literal),* $(,)?) => { &[$(($c, $c)),*] };
}

const TABLES: &[TableSpec] = &[
    TableSpec {
        section: "csms",
        table: "csms",
        columns: cols![
            "id",
            "name",
            "email",
            "region",
            "team_lead_id",
            "is_team_lead",
            "is_me",
            "created_at"
        ],
        entity: Some("csm"),
    },
    TableSpec {
        section: "accounts",
        table: "accounts",
        columns: &[
            ("id", "id"),
            ("name", "name"),
            ("segment", "segment"),
            ("tier", "tier"),
            ("industry", "industry"),
            ("contract_value", "contract_value_cents"),
            ("renewal_date", "renewal_date"),
            ("owner_csm_id", "owner_csm_id"),
            ("parent_id", "parent_id"),
            ("created_at", "created_at"),
            ("archived_at", "archived_at"),
        ],
        entity: Some("account"),
    },
    TableSpec {
        section: "personas",
        table: "personas",
        columns: cols![
            "id",
            "account_id",
            "name",
            "title",
            "email",
            "phone",
            "role",
            "reports_to_id",
            "strength",
            "sentiment",
            "last_contact_at",
            "notes",
            "created_at",
            "archived_at"
        ],
        entity: Some("persona"),
    },
    TableSpec {
        section: "touches",
        table: "touches",
        columns: cols![
            "id",
            "account_id",
            "csm_id",
            "kind",
            "call_type",
            "status",
            "occurred_at",
            "ended_at",
            "summary",
            "notes",
            "sentiment",
            "intervention",
            "followup_on",
            "no_followup",
            "outcome",
            "csat",
            "escalated",
            "retro_worked",
            "retro_failed",
            "retro_at",
            "created_at",
            "updated_at"
        ],
        entity: Some("touch"),
    },
    TableSpec {
        section: "persona_changes",
        table: "persona_changes",
        columns: cols![
            "id",
            "persona_id",
            "changed_at",
            "strength",
            "sentiment",
            "reason",
            "touch_id"
        ],
        entity: None,
    },
    TableSpec {
        section: "pulse_history",
        table: "pulse_history",
        columns: cols![
            "id",
            "account_id",
            "pulse",
            "reason",
            "set_at",
            "csm_id",
            "touch_id"
        ],
        entity: None,
    },
    TableSpec {
        section: "followups",
        table: "followups",
        columns: cols![
            "id",
            "account_id",
            "touch_id",
            "persona_id",
            "due_on",
            "action",
            "created_at",
            "done_at",
            "snoozed_from"
        ],
        entity: None,
    },
    TableSpec {
        section: "signals",
        table: "signals",
        columns: cols!["id", "account_id", "kind", "value", "note", "observed_at"],
        entity: None,
    },
];

fn sql_value(v: Option<&serde_json::Value>) -> rusqlite::types::Value {
    use rusqlite::types::Value as V;
    use serde_json::Value as J;
    match v {
        None | Some(J::Null) => V::Null,
        Some(J::Bool(b)) => V::Integer(i64::from(*b)),
        Some(J::Number(n)) => match n.as_i64() {
            Some(i) => V::Integer(i),
            None => V::Real(n.as_f64().unwrap_or(0.0)),
        },
        Some(J::String(s)) => V::Text(s.clone()),
        Some(other) => V::Text(other.to_string()),
    }
}

/// Reads back `attuned export --format json`: every record keeps its id, so importing
/// into an empty database and exporting again gives the same data, and importing the
/// same file twice updates instead of duplicating. Summaries are recomputed.
pub fn apply_json(
    store: &mut Store,
    file: &str,
    bytes: &[u8],
    dry_run: bool,
) -> Result<JsonCounts> {
    if store.read_only {
        return Err(Error::Invalid(format!(
            "{} is open read-only; nothing was imported",
            store.path.display()
        )));
    }
    let v = crate::import::json::parse(file, bytes, super::schema::LATEST)?;
    let origin = store.origin;
    let tx = store
        .conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    // Records may point forward (a persona's manager, a change made on a later touch).
    tx.pragma_update(None, "defer_foreign_keys", true)?;
    let empty = Vec::new();
    let section = |name: &str| v.get(name).and_then(|x| x.as_array()).unwrap_or(&empty);
    let mut n = JsonCounts::default();
    for spec in TABLES {
        let names: Vec<&str> = spec.columns.iter().map(|(c, _)| *c).collect();
        let marks: Vec<String> = (1..=names.len()).map(|i| format!("?{i}")).collect();
        let sets: Vec<String> = names[1..]
            .iter()
            .map(|c| format!("{c} = excluded.{c}"))
            .collect();
        let sql = format!(
            "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT (id) DO UPDATE SET {}",
            spec.table,
            names.join(", "),
            marks.join(", "),
            sets.join(", ")
        );
        let mut stmt = tx.prepare(&sql)?;
        let records = section(spec.section);
        for (i, r) in records.iter().enumerate() {
            let values: Vec<rusqlite::types::Value> = spec
                .columns
                .iter()
                .map(|(_, key)| sql_value(r.get(*key)))
                .collect();
            stmt.execute(rusqlite::params_from_iter(values)).map_err(|e| {
                Error::Invalid(format!(
                    "{file}: {} record {} (id {}) cannot be imported: {e}; nothing was imported",
                    spec.section,
                    i + 1,
                    r.get("id").map(|x| x.to_string()).unwrap_or_default()
                ))
            })?;
            let id = r.get("id").and_then(|x| x.as_i64()).unwrap_or(0);
            if let (Some(entity), Some(ids)) = (
                spec.entity,
                r.get("external_ids").and_then(|x| x.as_array()),
            ) {
                for e in ids {
                    if let (Some(system), Some(ext)) = (
                        e.get("system").and_then(|x| x.as_str()),
                        e.get("external_id").and_then(|x| x.as_str()),
                    ) {
                        tx.execute(
                            "INSERT OR REPLACE INTO external_ids (entity, local_id, system, external_id)
                             VALUES (?1, ?2, ?3, ?4)",
                            params![entity, id, system, ext],
                        )?;
                    }
                }
            }
            if spec.table == "touches" {
                touch_children(&tx, origin, id, r)?;
            }
        }
        let count = records.len() as u64;
        match spec.section {
            "accounts" => n.accounts = count,
            "personas" => n.personas = count,
            "touches" => n.touches = count,
            "followups" => n.followups = count,
            _ => {}
        }
    }
    let broken: i64 = tx.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
        r.get(0)
    })?;
    if broken > 0 {
        return Err(Error::Invalid(format!(
            "{file}: {broken} record(s) point at records the file does not hold; nothing was imported"
        )));
    }
    if dry_run {
        tx.rollback()?;
        return Ok(n);
    }
    let at = AsOf::new(&crate::domain::SystemClock);
    let ids: Vec<i64> = section("accounts")
        .iter()
        .filter_map(|a| a.get("id").and_then(|x| x.as_i64()))
        .collect();
    for id in ids {
        refresh_account(&tx, id, &at)?;
    }
    tx.commit()?;
    store.optimize()?;
    Ok(n)
}

fn touch_children(
    tx: &rusqlite::Connection,
    origin: i64,
    touch: i64,
    r: &serde_json::Value,
) -> Result<()> {
    let list = |k: &str| {
        r.get(k)
            .and_then(|x| x.as_array())
            .cloned()
            .unwrap_or_default()
    };
    for p in list("participants") {
        if let Some(p) = p.as_i64() {
            tx.prepare_cached(
                "INSERT OR IGNORE INTO touch_participants (touch_id, persona_id) VALUES (?1, ?2)",
            )?
            .execute(params![touch, p])?;
        }
    }
    let w = Tx::new(tx, origin);
    for s in list("steps") {
        let existing: Option<i64> = tx
            .prepare_cached("SELECT id FROM touch_steps WHERE touch_id = ?1 AND step = ?2")?
            .query_row(params![touch, sql_value(s.get("step"))], |r| r.get(0))
            .optional()?;
        let id = match existing {
            Some(id) => id,
            None => w.next_id("touch_steps")?,
        };
        tx.prepare_cached(
            "INSERT INTO touch_steps (id, touch_id, step, started_at, ended_at, elapsed_ms,
                 skipped_reason, note, note_saved_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (id) DO UPDATE SET started_at = excluded.started_at,
                 ended_at = excluded.ended_at, elapsed_ms = excluded.elapsed_ms,
                 skipped_reason = excluded.skipped_reason, note = excluded.note,
                 note_saved_at = excluded.note_saved_at",
        )?
        .execute(params![
            id,
            touch,
            sql_value(s.get("step")),
            sql_value(s.get("started_at")),
            sql_value(s.get("ended_at")),
            sql_value(s.get("elapsed_ms")),
            sql_value(s.get("skipped_reason")),
            sql_value(s.get("note")),
            sql_value(s.get("note_saved_at"))
        ])?;
    }
    for p in list("prompts") {
        tx.prepare_cached(
            "INSERT INTO touch_prompts (id, touch_id, step, prompt_key, shown_at, used)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (id) DO UPDATE SET step = excluded.step, prompt_key = excluded.prompt_key,
                 shown_at = excluded.shown_at, used = excluded.used",
        )?
        .execute(params![
            sql_value(p.get("id")),
            touch,
            sql_value(p.get("step")),
            sql_value(p.get("prompt_key")),
            sql_value(p.get("shown_at")),
            sql_value(p.get("used"))
        ])?;
    }
    for v in list("revisions") {
        tx.prepare_cached(
            "INSERT INTO touch_revisions (id, touch_id, revised_at, previous) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (id) DO UPDATE SET revised_at = excluded.revised_at, previous = excluded.previous",
        )?
        .execute(params![
            sql_value(v.get("id")),
            touch,
            sql_value(v.get("revised_at")),
            sql_value(v.get("previous"))
        ])?;
    }
    Ok(())
}
