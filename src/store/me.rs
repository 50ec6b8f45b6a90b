//! Who "me" is in a file of several owners (issue 18): a CSM's CRM export often brings
//! colleagues' accounts too. The user is the CSM marked `csms.is_me` (at most one); the
//! file opens on their portfolio. When an import brought several owners and nobody is
//! marked, the app asks once (`Opening::Ask`); a team lead may answer "the team view",
//! kept as the `meta` row `me = team` so the question is not asked again.

use rusqlite::{Connection, OptionalExtension};

use crate::error::{Argument, Error, Result};
use crate::store::write::Tx;

/// `meta` key recording that the user chose the team view over one CSM's portfolio.
pub const ME_KEY: &str = "me";
/// Its value.
pub const TEAM_CHOICE: &str = "team";

/// One owner of live accounts, as the chooser lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub id: i64,
    pub name: String,
    pub accounts: i64,
}

/// What the app opens on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opening {
    /// Every account (one owner, or none).
    All,
    /// The user's own portfolio among several owners' accounts.
    Mine { id: i64, name: String },
    /// The team view: a merged team file, or a team lead's choice.
    Team,
    /// Several owners and nobody said which is the user: ask.
    Ask,
}

/// The CSMs who own live accounts, most accounts first, then by name.
pub fn owners(conn: &Connection) -> Result<Vec<Owner>> {
    let mut stmt = conn.prepare_cached(
        "SELECT c.id, c.name, count(*) FROM accounts a JOIN csms c ON c.id = a.owner_csm_id
         WHERE a.archived_at IS NULL GROUP BY c.id ORDER BY 3 DESC, c.name COLLATE NOCASE, c.id",
    )?;
    let rows = stmt
        .query_map([], |r| {
            Ok(Owner {
                id: r.get(0)?,
                name: r.get(1)?,
                accounts: r.get(2)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// The user's CSM, if one is marked.
pub fn me(conn: &Connection) -> Result<Option<(i64, String)>> {
    Ok(conn
        .prepare_cached("SELECT id, name FROM csms WHERE is_me = 1 ORDER BY id LIMIT 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

/// What the file opens on. A merged team file, or a team lead's, opens on the team view;
/// otherwise the user's own accounts when several CSMs own some (one account of a colleague's does
/// not turn a CSM's own file into a team view); everything when one CSM does.
pub fn opening(conn: &Connection) -> Result<Opening> {
    let meta = |key: &str| -> Result<Option<String>> {
        Ok(conn
            .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
            .query_row([key], |r| r.get(0))
            .optional()?)
    };
    if meta(super::merge::TEAM_KEY)?.is_some() {
        return Ok(Opening::Team);
    }
    if !super::team::has_many_owners(conn)? {
        return Ok(Opening::All);
    }
    if meta(ME_KEY)?.as_deref() == Some(TEAM_CHOICE) {
        return Ok(Opening::Team);
    }
    if let Some((id, name)) = me(conn)? {
        let owns: bool = conn
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM accounts
                 WHERE owner_csm_id = ?1 AND archived_at IS NULL)",
            )?
            .query_row([id], |r| r.get(0))?;
        if owns {
            return Ok(Opening::Mine { id, name });
        }
    }
    Ok(Opening::Ask)
}

impl Tx<'_> {
    /// Marks `csm_id` as the user (and nobody else); forgets a "team view" choice.
    pub fn set_me(&self, csm_id: i64) -> Result<()> {
        let n = self
            .conn()
            .prepare_cached("UPDATE csms SET is_me = (id = ?1) WHERE is_me = 1 OR id = ?1")?
            .execute([csm_id])?;
        if n == 0 {
            return Err(Error::NoSuch {
                what: "CSM",
                id: csm_id,
            });
        }
        self.conn()
            .prepare_cached("DELETE FROM meta WHERE key = ?1")?
            .execute([ME_KEY])?;
        Ok(())
    }

    /// Marks the CSM named `name` (any case) as the user; the error lists who there is.
    pub fn set_me_by_name(&self, name: &str) -> Result<i64> {
        let wanted = name.trim();
        let id: Option<i64> = self
            .conn()
            .prepare_cached(
                "SELECT id FROM csms WHERE name = ?1 COLLATE NOCASE
                 ORDER BY (SELECT count(*) FROM accounts WHERE owner_csm_id = csms.id) DESC, id
                 LIMIT 1",
            )?
            .query_row([wanted], |r| r.get(0))
            .optional()?;
        let Some(id) = id else {
            let names: Vec<String> = owners(self.conn())?.into_iter().map(|o| o.name).collect();
            let known = if names.is_empty() {
                "the file has no account owners".to_string()
            } else {
                format!("owners: {}", names.join(", "))
            };
            return Err(Argument::NotAnOwner {
                given: crate::domain::text::clean_line(wanted).into_owned(),
                known,
            }
            .into());
        };
        self.set_me(id)?;
        Ok(id)
    }

    /// The user leads the team: open on the team view and do not ask again.
    pub fn choose_team_view(&self) -> Result<()> {
        self.set_meta(ME_KEY, TEAM_CHOICE)
    }
}
