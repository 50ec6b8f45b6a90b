//! The first pass over a freshly imported book: what the set-up checklist counts, the
//! lists its three passes walk (guessed roles, accounts without a value or renewal date,
//! accounts to triage) and their one-field writes, each its own transaction.

use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, params};

use super::Store;
use super::summary::{self, AsOf};
use crate::domain::model::{Role, Sentiment, Strength};
use crate::error::{Error, Result};

/// At most this many rows are read into a pass (a book is rarely bigger; the counts are
/// always the whole book's).
pub const LIMIT: usize = 5_000;

/// The key personas the triage pass rates per account: with `g` and Enter, five keys.
pub const TRIAGE_PERSONAS: usize = 3;

/// What the set-up checklist counts across the live accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SetupCounts {
    pub accounts: i64,
    /// Accounts without a contract value or a renewal date.
    pub missing_value: i64,
    pub guessed_roles: i64,
    /// Accounts with a guessed role left.
    pub guessed_accounts: i64,
    /// Accounts without a CSM sentiment or with a key persona never rated.
    pub to_triage: i64,
}

impl SetupCounts {
    /// Every item done (an empty book has nothing to set up).
    pub fn complete(&self) -> bool {
        self.items_left() == 0
    }

    /// How many of the checklist's three items are not done.
    pub fn items_left(&self) -> usize {
        [self.missing_value, self.guessed_roles, self.to_triage]
            .iter()
            .filter(|n| **n > 0)
            .count()
    }
}

const LIVE: &str = "archived_at IS NULL";
const MISSING_VALUE: &str = "(contract_value = 0 OR renewal_date IS NULL)";
const KEY_ROLES: &str = "('champion', 'economic_buyer', 'executive_sponsor')";

/// The key personas the triage pass shows of the account `account` (an SQL expression):
/// champion, economic buyer, executive sponsor, then by name; the first
/// `TRIAGE_PERSONAS`, each with whether it was rated. A persona is rated once a CSM gave
/// it a strength, None included (it then has a history); an import gives none. Read per
/// account on its index: cheaper than ranking every persona of the book at once.
fn key_personas_of(account: &str) -> String {
    format!(
        "SELECT p.id, p.strength <> 'none' OR EXISTS (
                    SELECT 1 FROM persona_changes c WHERE c.persona_id = p.id) AS rated,
                CASE p.role WHEN 'champion' THEN 0 WHEN 'economic_buyer' THEN 1 ELSE 2 END
                    AS rank,
                p.name AS sort_name
         FROM personas p
         WHERE p.account_id = {account} AND p.{LIVE} AND p.role IN {KEY_ROLES}
         ORDER BY rank, sort_name, p.id
         LIMIT {TRIAGE_PERSONAS}"
    )
}

/// The user's own accounts once they said who they are (`csms.is_me`): a CSM's export
/// often brings colleagues' accounts, which are theirs to set up. Else every account.
/// `a`: the accounts table's alias with its dot, or "".
fn mine(a: &str) -> String {
    format!(
        "({a}owner_csm_id IN (SELECT id FROM csms WHERE is_me = 1)
          OR NOT EXISTS (SELECT 1 FROM csms WHERE is_me = 1))"
    )
}

/// Accounts the triage pass walks: no CSM sentiment, or a shown key persona not rated.
fn to_triage_where() -> String {
    format!(
        "a.{LIVE} AND {} AND (a.pulse IS NULL OR EXISTS (
             SELECT 1 FROM ({}) WHERE NOT rated))",
        mine("a."),
        key_personas_of("a.id")
    )
}

pub fn counts(conn: &Connection) -> Result<SetupCounts> {
    let one = |sql: &str| -> Result<i64> { Ok(conn.query_row(sql, [], |r| r.get(0))?) };
    let guessed = format!(
        "SELECT count(*), count(DISTINCT p.account_id) FROM personas p
         JOIN accounts a ON a.id = p.account_id
         WHERE p.{LIVE} AND a.{LIVE} AND p.role_guessed = 1 AND {}",
        mine("a.")
    );
    let (guessed_roles, guessed_accounts) =
        conn.query_row(&guessed, [], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(SetupCounts {
        accounts: one(&format!(
            "SELECT count(*) FROM accounts WHERE {LIVE} AND {}",
            mine("")
        ))?,
        missing_value: one(&format!(
            "SELECT count(*) FROM accounts WHERE {LIVE} AND {MISSING_VALUE} AND {}",
            mine("")
        ))?,
        guessed_roles,
        guessed_accounts,
        to_triage: one(&format!(
            "SELECT count(*) FROM accounts a WHERE {}",
            to_triage_where()
        ))?,
    })
}

/// How many of the checklist's items are not done, for the portfolio's hint: each
/// stops at its first account to do, so a fresh book costs next to nothing (a finished
/// one of 1,000 accounts a few ms).
pub fn items_left(conn: &Connection) -> Result<usize> {
    let checks = [
        format!(
            "SELECT EXISTS (SELECT 1 FROM accounts WHERE {LIVE} AND {MISSING_VALUE} AND {})",
            mine("")
        ),
        format!(
            "SELECT EXISTS (SELECT 1 FROM personas p JOIN accounts a ON a.id = p.account_id
             WHERE p.{LIVE} AND a.{LIVE} AND p.role_guessed = 1 AND {})",
            mine("a.")
        ),
        format!(
            "SELECT EXISTS (SELECT 1 FROM accounts a WHERE {})",
            to_triage_where()
        ),
    ];
    let mut left = 0;
    for sql in checks {
        let todo: bool = conn.prepare_cached(&sql)?.query_row([], |r| r.get(0))?;
        left += usize::from(todo);
    }
    Ok(left)
}

/// One persona whose role is still the import's guess.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guess {
    pub persona_id: i64,
    pub account_id: i64,
    pub account: String,
    pub name: String,
    pub title: Option<String>,
    pub role: Role,
}

/// The guessed roles, account by account (accounts by name, then personas by name).
pub fn guesses(conn: &Connection) -> Result<Vec<Guess>> {
    let sql = format!(
        "SELECT p.id, a.id, a.name, p.name, p.title, p.role FROM personas p
         JOIN accounts a ON a.id = p.account_id
         WHERE p.{LIVE} AND a.{LIVE} AND p.role_guessed = 1 AND {}
         ORDER BY a.name, a.id, p.name, p.id LIMIT ?1",
        mine("a.")
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([LIMIT as i64], |r| {
        Ok(Guess {
            persona_id: r.get(0)?,
            account_id: r.get(1)?,
            account: r.get(2)?,
            name: r.get(3)?,
            title: r.get(4)?,
            role: super::parse_name(&r.get::<_, String>(5)?)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// An account without a contract value or a renewal date, as the table shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueRow {
    pub account_id: i64,
    pub name: String,
    /// Cents a year; 0 is "not known".
    pub contract_value: i64,
    pub renewal_date: Option<NaiveDate>,
}

pub fn missing_values(conn: &Connection) -> Result<Vec<ValueRow>> {
    let sql = format!(
        "SELECT id, name, contract_value, renewal_date FROM accounts
         WHERE {LIVE} AND {MISSING_VALUE} AND {} ORDER BY name, id LIMIT ?1",
        mine("")
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([LIMIT as i64], |r| {
        let day: Option<String> = r.get(3)?;
        Ok(ValueRow {
            account_id: r.get(0)?,
            name: r.get(1)?,
            contract_value: r.get(2)?,
            renewal_date: day.and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The accounts the triage pass walks, by name.
pub fn triage_queue(conn: &Connection) -> Result<Vec<i64>> {
    let sql = format!(
        "SELECT a.id FROM accounts a WHERE {} ORDER BY a.name, a.id LIMIT ?1",
        to_triage_where()
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([LIMIT as i64], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// One key persona on a triage card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPersona {
    pub id: i64,
    pub name: String,
    pub title: Option<String>,
    pub role: Role,
    pub role_guessed: bool,
    pub strength: Strength,
    pub sentiment: Sentiment,
    /// A CSM gave it a strength (None included); an import gives none.
    pub rated: bool,
}

/// What the triage pass shows of one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriageCard {
    pub account_id: i64,
    pub name: String,
    pub contract_value: i64,
    pub renewal_date: Option<NaiveDate>,
    pub pulse: Option<crate::domain::model::Pulse>,
    pub personas: Vec<KeyPersona>,
}

pub fn triage_card(conn: &Connection, account_id: i64) -> Result<TriageCard> {
    let (name, contract_value, renewal, pulse): (String, i64, Option<String>, Option<String>) =
        conn.query_row(
            "SELECT name, contract_value, renewal_date, pulse FROM accounts WHERE id = ?1",
            [account_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )?;
    let sql = format!(
        "SELECT p.id, p.name, p.title, p.role, p.role_guessed, p.strength, p.sentiment, k.rated
         FROM ({}) k JOIN personas p ON p.id = k.id ORDER BY k.rank, k.sort_name, k.id",
        key_personas_of("?1")
    );
    let mut stmt = conn.prepare(&sql)?;
    let personas = stmt
        .query_map([account_id], |r| {
            Ok(KeyPersona {
                id: r.get(0)?,
                name: r.get(1)?,
                title: r.get(2)?,
                role: super::parse_name(&r.get::<_, String>(3)?)?,
                role_guessed: r.get(4)?,
                strength: super::parse_name(&r.get::<_, String>(5)?)?,
                sentiment: super::parse_name(&r.get::<_, String>(6)?)?,
                rated: r.get(7)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(TriageCard {
        account_id,
        name,
        contract_value,
        renewal_date: renewal.and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()),
        pulse: pulse.and_then(|p| p.parse().ok()),
        personas,
    })
}

impl Store {
    /// Makes a guessed role the CSM's: `role` (the guess itself to confirm it). Never
    /// over a role the CSM set: false when the persona's role is no longer a guess.
    pub fn settle_role(&mut self, persona_id: i64, role: Role, at: &AsOf) -> Result<bool> {
        self.write(|tx| {
            let account: Option<i64> = tx
                .conn()
                .prepare_cached(
                    "UPDATE personas SET role = ?2, role_guessed = 0
                     WHERE id = ?1 AND role_guessed = 1 RETURNING account_id",
                )?
                .query_row(params![persona_id, role.as_str()], |r| r.get(0))
                .optional()?;
            match account {
                Some(account) => {
                    summary::refresh_account(tx.conn(), account, at)?;
                    Ok(true)
                }
                None => Ok(false),
            }
        })
    }

    /// The account's contract value, in cents a year, as typed.
    pub fn set_contract_value(&mut self, account_id: i64, cents: i64, at: &AsOf) -> Result<()> {
        if cents < 0 {
            return Err(Error::NegativeValue);
        }
        self.set_account_field(account_id, "contract_value", &cents, at)
    }

    pub fn set_renewal_date(&mut self, account_id: i64, day: NaiveDate, at: &AsOf) -> Result<()> {
        let day = day.format("%Y-%m-%d").to_string();
        self.set_account_field(account_id, "renewal_date", &day, at)
    }

    /// One column of one live account, with its risk recomputed in the same transaction.
    fn set_account_field(
        &mut self,
        account_id: i64,
        column: &'static str,
        value: &dyn rusqlite::ToSql,
        at: &AsOf,
    ) -> Result<()> {
        self.write(|tx| {
            let sql = format!("UPDATE accounts SET {column} = ?2 WHERE id = ?1 AND {LIVE}");
            let changed = tx
                .conn()
                .prepare_cached(&sql)?
                .execute(params![account_id, value])?;
            if changed == 0 {
                return Err(Error::NoSuch {
                    what: "live account",
                    id: account_id,
                });
            }
            summary::refresh_account(tx.conn(), account_id, at)?;
            Ok(())
        })
    }
}
