//! The portfolio table: pages of accounts by keyset on the sort key, never an offset or a
//! full scan per frame, and totals from the trigger-kept summary row.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rusqlite::OptionalExtension;
use rusqlite::types::Value;
use rusqlite::{Connection, Row, params_from_iter};

use super::completeness::MissingCounts;
use super::{day, parse_day, parse_name, parse_timestamp, timestamp};
use crate::domain::clock::{local_day, start_of_local_day};
use crate::domain::completeness::Missing;
use crate::domain::model::{Pulse, Role, Segment};
use crate::domain::risk::AT_RISK_SCORE;
use crate::error::Result;

/// The columns the table can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortColumn {
    Name,
    Segment,
    Value,
    Renewal,
    Pulse,
    Coverage,
    Risk,
    LastTouch,
    NextFollowup,
}

impl SortColumn {
    pub const ALL: [SortColumn; 9] = [
        SortColumn::Name,
        SortColumn::Segment,
        SortColumn::Value,
        SortColumn::Renewal,
        SortColumn::Pulse,
        SortColumn::Coverage,
        SortColumn::Risk,
        SortColumn::LastTouch,
        SortColumn::NextFollowup,
    ];

    /// The (partial) index that holds the table in this order.
    fn index(self) -> &'static str {
        match self {
            SortColumn::Name => "accounts_by_name",
            SortColumn::Segment => "accounts_by_segment",
            SortColumn::Value => "accounts_by_value",
            SortColumn::Renewal => "accounts_by_renewal",
            SortColumn::Pulse => "accounts_by_pulse",
            SortColumn::Coverage => "accounts_by_coverage",
            SortColumn::Risk => "accounts_by_risk",
            SortColumn::LastTouch => "accounts_by_touch",
            SortColumn::NextFollowup => "accounts_by_followup",
        }
    }

    /// The indexed expression the table is ordered by in `conn`'s file: a file older
    /// than schema V8 opened read-only (not migrated) has no `risk_rank`, and its risk
    /// order keeps the plain score.
    fn key_in(self, conn: &Connection) -> Result<&'static str> {
        Ok(match self {
            SortColumn::Risk if !super::completeness::has_missing_key(conn)? => "risk",
            _ => self.key(),
        })
    }

    /// The indexed expression the table is ordered by (see the schema's indexes).
    fn key(self) -> &'static str {
        match self {
            SortColumn::Name => "name COLLATE NOCASE",
            SortColumn::Segment => "seg_tier_key",
            SortColumn::Value => "contract_value",
            SortColumn::Renewal => "renewal_key",
            SortColumn::Pulse => "pulse_key",
            SortColumn::Coverage => "coverage_pct",
            SortColumn::Risk => "risk_rank",
            SortColumn::LastTouch => "touch_key",
            SortColumn::NextFollowup => "followup_key",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SortColumn::Name => "name",
            SortColumn::Segment => "segment",
            SortColumn::Value => "contract value",
            SortColumn::Renewal => "renewal",
            SortColumn::Pulse => "CSM sentiment",
            SortColumn::Coverage => "coverage",
            SortColumn::Risk => "risk",
            SortColumn::LastTouch => "last touch",
            SortColumn::NextFollowup => "next follow-up",
        }
    }

    /// The direction a CSM most often wants first: worst or biggest on top.
    pub fn natural_descending(self) -> bool {
        matches!(self, SortColumn::Value | SortColumn::Risk)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub column: SortColumn,
    pub descending: bool,
}

impl Default for Sort {
    fn default() -> Sort {
        Sort {
            column: SortColumn::Risk,
            descending: true,
        }
    }
}

/// The quick filters; any combination narrows the table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QuickFilters {
    pub at_risk: bool,
    /// Renewal date within 90 days or already passed (not yet moved to the next term).
    pub renewal_90: bool,
    pub stale: bool,
    pub overdue: bool,
    /// Missing a contract value, a renewal date, a rated persona or a CSM sentiment.
    pub incomplete: bool,
}

impl QuickFilters {
    pub fn any(&self) -> bool {
        self.at_risk || self.renewal_90 || self.stale || self.overdue || self.incomplete
    }
}

/// Which accounts, in which order, as of when.
#[derive(Debug, Clone)]
pub struct PortfolioQuery {
    pub sort: Sort,
    pub name_contains: String,
    pub quick: QuickFilters,
    pub now: DateTime<Utc>,
    pub today: NaiveDate,
    pub stale_after_days: i64,
    /// Only the accounts these CSMs own (a CSM's or a team's portfolio); None: all.
    pub owners: Option<Vec<i64>>,
}

/// Where a page starts: the sort key and id of the row just outside it.
#[derive(Debug, Clone, PartialEq)]
pub struct Cursor {
    pub key: Value,
    pub id: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Rows after the cursor, in table order.
    Forward,
    /// Rows before the cursor, returned in table order.
    Backward,
}

/// One line of the portfolio table.
#[derive(Debug, Clone, PartialEq)]
pub struct PortfolioRow {
    pub id: i64,
    pub name: String,
    pub segment: Segment,
    pub tier: u8,
    pub contract_value: i64,
    pub renewal_date: Option<NaiveDate>,
    pub pulse: Option<Pulse>,
    pub pulse_prev: Option<Pulse>,
    pub pulse_at: Option<DateTime<Utc>>,
    pub personas_total: u32,
    pub personas_strong: u32,
    pub missing_roles: Vec<Role>,
    pub risk: u32,
    /// What the account lacks for its risk score to be trusted.
    pub missing: Missing,
    pub last_touch_at: Option<DateTime<Utc>>,
    pub next_followup_on: Option<NaiveDate>,
    pub cursor: Cursor,
}

const COLUMNS: &str = "id, name, segment, tier, contract_value, renewal_date, pulse, pulse_prev,
    pulse_at, personas_total, personas_strong, missing_roles, risk, last_touch_at,
    next_followup_on";

/// Below this many trigram matches, a name filter reads the matching accounts by id and
/// sorts them; above it, the sort index is walked and names compared on the way (common
/// matches are found within a few rows).
const RARE_NAME_MATCHES: i64 = 2_000;

/// Up to this many owned accounts, an owner filter reads them through the owners' index
/// and sorts them; above it, the sort index is walked and owners compared on the way
/// (then they own a large share, so matches come within a few rows).
const FEW_OWNED: i64 = 5_000;

impl PortfolioQuery {
    /// The WHERE clause (without cursor) and its parameters. Every quick filter is a
    /// range on one of the (partial) sort indexes.
    fn filter(&self, conn: &Connection) -> Result<(String, Vec<Value>)> {
        let mut sql = String::from("archived_at IS NULL");
        let mut args: Vec<Value> = Vec::new();
        let text = self.name_contains.trim();
        if !text.is_empty() {
            if name_matches_are_rare(conn, text)? {
                sql.push_str(
                    " AND id IN (SELECT rowid FROM account_names WHERE account_names MATCH ?)",
                );
                args.push(Value::Text(trigram_phrase(text)));
            } else {
                sql.push_str(" AND name LIKE ? ESCAPE '\\'");
                args.push(Value::Text(format!("%{}%", escape_like(text))));
            }
        }
        if self.quick.at_risk {
            sql.push_str(&format!(" AND risk >= {AT_RISK_SCORE}"));
        }
        if self.quick.renewal_90 {
            // Renewing within 90 days, or overdue: a renewal date that passed on a live
            // account is still open until the CSM moves it to the next term (or archives
            // a churned account), and it is the most urgent of all. No date is '9999-…'.
            sql.push_str(" AND renewal_key <= ?");
            args.push(Value::Text(day(self.today + Duration::days(90))));
        }
        if self.quick.stale {
            // A sentiment never set counts as stale: its key is '' (before any date).
            sql.push_str(" AND pulse_at_key <= ?");
            args.push(Value::Text(timestamp(self.stale_cutoff())));
        }
        if self.quick.overdue {
            sql.push_str(" AND followup_key < ?");
            args.push(Value::Text(day(self.today)));
        }
        if self.quick.incomplete {
            let missing = super::completeness::missing_sql(conn, "accounts")?;
            sql.push_str(&format!(" AND {missing} != 0"));
        }
        if let Some(owners) = &self.owners {
            sql.push_str(&format!(
                " AND owner_csm_id IN ({})",
                placeholders(owners.len())
            ));
            args.extend(owners.iter().map(|id| Value::Integer(*id)));
        }
        Ok((sql, args))
    }

    /// A CSM sentiment set at or before this instant is stale.
    pub fn stale_cutoff(&self) -> DateTime<Utc> {
        stale_cutoff(self.now, self.stale_after_days)
    }
}

/// A CSM sentiment set at or before the returned instant is stale at `now` with a
/// staleness window of `stale_after_days`: it is older than that many calendar days
/// (as `domain::clock::days_since` counts them), so it was set before the CSM's local
/// midnight starting day `today - stale_after_days`. Timestamps are stored to the second.
pub fn stale_cutoff(now: DateTime<Utc>, stale_after_days: i64) -> DateTime<Utc> {
    let first_fresh_day = local_day(now) - Duration::days(stale_after_days);
    start_of_local_day(first_fresh_day) - Duration::seconds(1)
}

/// `?, ?, ?` for an `IN` list of `n` values (`NULL` for none: matches nothing).
fn placeholders(n: usize) -> String {
    if n == 0 {
        return "NULL".to_string();
    }
    vec!["?"; n].join(", ")
}

/// Whether `owners` own few enough live accounts to read them by owner and sort them.
fn owned_are_few(conn: &Connection, owners: &[i64]) -> Result<bool> {
    let sql = format!(
        "SELECT count(*) FROM (SELECT 1 FROM accounts INDEXED BY {}
             WHERE archived_at IS NULL AND owner_csm_id IN ({}) LIMIT ?)",
        super::team::owner_index(conn)?,
        placeholders(owners.len())
    );
    let mut args: Vec<Value> = owners.iter().map(|id| Value::Integer(*id)).collect();
    args.push(Value::Integer(FEW_OWNED));
    let n: i64 = conn
        .prepare_cached(&sql)?
        .query_row(params_from_iter(args), |r| r.get(0))?;
    Ok(n < FEW_OWNED)
}

/// Whether few enough names contain `text` to fetch them through the trigram index
/// (which needs at least three characters).
fn name_matches_are_rare(conn: &Connection, text: &str) -> Result<bool> {
    if text.chars().count() < 3 {
        return Ok(false);
    }
    let n: i64 = conn
        .prepare_cached(
            "SELECT count(*) FROM
                 (SELECT 1 FROM account_names WHERE account_names MATCH ?1 LIMIT ?2)",
        )?
        .query_row(
            params_from_iter([
                Value::Text(trigram_phrase(text)),
                Value::Integer(RARE_NAME_MATCHES),
            ]),
            |r| r.get(0),
        )?;
    Ok(n < RARE_NAME_MATCHES)
}

/// `text` as an FTS5 phrase: with the trigram tokenizer, a case-insensitive substring.
fn trigram_phrase(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Where live account `id` stands in `q`'s order, to open the table at it (an account
/// just worked on may have moved).
pub fn cursor_of(conn: &Connection, q: &PortfolioQuery, id: i64) -> Result<Option<Cursor>> {
    let sql = format!(
        "SELECT {} FROM accounts WHERE id = ?1 AND archived_at IS NULL",
        q.sort.column.key_in(conn)?
    );
    let key = conn
        .query_row(&sql, [id], |r| r.get::<_, Value>(0))
        .optional()?;
    Ok(key.map(|key| Cursor { key, id }))
}

/// Up to `limit` rows next to `cursor` (or from the top/bottom when there is none).
pub fn page(
    conn: &Connection,
    q: &PortfolioQuery,
    cursor: Option<&Cursor>,
    direction: Direction,
    limit: usize,
) -> Result<Vec<PortfolioRow>> {
    let key = q.sort.column.key_in(conn)?;
    // Walking backward is walking forward in the opposite order.
    let ascending = q.sort.descending == (direction == Direction::Backward);
    let (order, cmp) = if ascending {
        ("ASC", ">")
    } else {
        ("DESC", "<")
    };
    let (mut filter, mut args) = q.filter(conn)?;
    // Walk the sort index and stop after `limit` matches: every quick filter keeps at
    // least a few percent of accounts, so that is quick, while reading a filter's whole
    // range and sorting it is not. Rare name matches are the exception: few enough to
    // read by id and sort.
    let source = if filter.contains("account_names") {
        "accounts".to_string()
    } else if let Some(owners) = &q.owners
        && owned_are_few(conn, owners)?
    {
        format!("accounts INDEXED BY {}", super::team::owner_index(conn)?)
    } else {
        format!("accounts INDEXED BY {}", q.sort.column.index())
    };
    if let Some(c) = cursor {
        filter.push_str(&format!(" AND ({key}, id) {cmp} (?, ?)"));
        args.push(c.key.clone());
        args.push(Value::Integer(c.id));
    }
    args.push(Value::Integer(limit as i64));
    let missing = super::completeness::missing_sql(conn, "accounts")?;
    let sql = format!(
        "SELECT {COLUMNS}, {missing}, {key} FROM {source} WHERE {filter}
         ORDER BY {key} {order}, id {order} LIMIT ?"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt
        .query_map(params_from_iter(args), read_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    if direction == Direction::Backward {
        rows.reverse();
    }
    Ok(rows)
}

fn read_row(r: &Row<'_>) -> rusqlite::Result<PortfolioRow> {
    let opt_pulse = |v: Option<String>| v.as_deref().map(parse_name::<Pulse>).transpose();
    let missing: String = r.get(11)?;
    Ok(PortfolioRow {
        id: r.get(0)?,
        name: r.get(1)?,
        segment: parse_name(&r.get::<_, String>(2)?)?,
        tier: r.get(3)?,
        contract_value: r.get(4)?,
        renewal_date: r
            .get::<_, Option<String>>(5)?
            .as_deref()
            .and_then(parse_day),
        pulse: opt_pulse(r.get(6)?)?,
        pulse_prev: opt_pulse(r.get(7)?)?,
        pulse_at: r
            .get::<_, Option<String>>(8)?
            .as_deref()
            .and_then(parse_timestamp),
        personas_total: r.get(9)?,
        personas_strong: r.get(10)?,
        missing_roles: missing
            .split(',')
            .filter(|s| !s.is_empty())
            .map(parse_name::<Role>)
            .collect::<rusqlite::Result<_>>()?,
        risk: r.get(12)?,
        last_touch_at: r
            .get::<_, Option<String>>(13)?
            .as_deref()
            .and_then(parse_timestamp),
        next_followup_on: r
            .get::<_, Option<String>>(14)?
            .as_deref()
            .and_then(parse_day),
        missing: Missing::from_bits(r.get(15)?),
        cursor: Cursor {
            key: r.get(16)?,
            id: r.get(0)?,
        },
    })
}

/// How many accounts match the query, counting no further than `cap`.
pub fn count_matching(conn: &Connection, q: &PortfolioQuery, cap: usize) -> Result<usize> {
    let (filter, mut args) = q.filter(conn)?;
    args.push(Value::Integer(cap as i64));
    let sql = format!("SELECT count(*) FROM (SELECT 1 FROM accounts WHERE {filter} LIMIT ?)");
    let n: i64 = conn
        .prepare_cached(&sql)?
        .query_row(params_from_iter(args), |r| r.get(0))?;
    Ok(n as usize)
}

/// The header strip's figures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    pub accounts: i64,
    pub contract_value: i64,
    pub value_at_risk: i64,
    pub red: i64,
    pub yellow: i64,
    pub green: i64,
    pub unrated: i64,
    pub followups_due_today: i64,
    pub followups_overdue: i64,
    /// What the accounts lack to be scored with confidence (`totals_for` only).
    pub missing: MissingCounts,
}

impl Totals {
    /// The account figures from a row's first seven columns (accounts, contract value,
    /// value at risk, red, yellow, green, unrated), as both totals tables keep them.
    fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Totals> {
        Ok(Totals {
            accounts: r.get(0)?,
            contract_value: r.get(1)?,
            value_at_risk: r.get(2)?,
            red: r.get(3)?,
            yellow: r.get(4)?,
            green: r.get(5)?,
            unrated: r.get(6)?,
            ..Totals::default()
        })
    }
}

/// The header strip's figures for the query's accounts: the whole file's from the
/// summary row, an owner filter's from the owners' rows of `csm_totals`.
pub fn totals_for(conn: &Connection, q: &PortfolioQuery) -> Result<Totals> {
    let mut t = match &q.owners {
        Some(owners) => owner_totals(conn, owners, q.today)?,
        None => totals(conn, q.today)?,
    };
    t.missing = super::completeness::missing_counts(conn, q.owners.as_deref())?;
    Ok(t)
}

/// The header strip's figures for the accounts `owners` own: their trigger-kept
/// `csm_totals` (overdue follow-ups as of each account's last summary refresh, as in the
/// team view), and the follow-ups due today counted on the open ones' index.
pub fn owner_totals(conn: &Connection, owners: &[i64], today: NaiveDate) -> Result<Totals> {
    let list = placeholders(owners.len());
    let ids = || owners.iter().map(|id| Value::Integer(*id));
    let mut t = conn
        .prepare_cached(&format!(
            "SELECT ifnull(sum(accounts), 0), ifnull(sum(contract_value), 0),
                 ifnull(sum(value_at_risk), 0), ifnull(sum(red), 0), ifnull(sum(yellow), 0),
                 ifnull(sum(green), 0), ifnull(sum(unrated), 0), ifnull(sum(overdue_followups), 0)
             FROM {} WHERE csm_id IN ({list})",
            super::team::totals_source(conn)?
        ))?
        .query_row(params_from_iter(ids()), |r| {
            Ok(Totals {
                followups_overdue: r.get(7)?,
                ..Totals::from_row(r)?
            })
        })?;
    // A few thousand accounts: each one's follow-ups by account; more: the day's open
    // follow-ups, each with its account.
    // (`t.accounts` already counts exactly the owners' live accounts.)
    let from = if t.accounts < FEW_OWNED {
        format!(
            "accounts a INDEXED BY {} CROSS JOIN followups f",
            super::team::owner_index(conn)?
        )
    } else {
        "followups f JOIN accounts a".to_string()
    };
    let sql = format!(
        "SELECT count(*) FROM {from} ON a.id = f.account_id
         WHERE f.done_at IS NULL AND f.due_on = ? AND a.archived_at IS NULL
             AND a.owner_csm_id IN ({list})"
    );
    let args = std::iter::once(Value::Text(day(today))).chain(ids());
    t.followups_due_today = conn
        .prepare_cached(&sql)?
        .query_row(params_from_iter(args), |r| r.get(0))?;
    Ok(t)
}

pub fn totals(conn: &Connection, today: NaiveDate) -> Result<Totals> {
    let mut t = conn
        .prepare_cached(
            "SELECT accounts, contract_value, value_at_risk, red, yellow, green, unrated
             FROM portfolio_totals WHERE id = 1",
        )?
        .query_row([], Totals::from_row)?;
    let today = day(today);
    t.followups_due_today = conn
        .prepare_cached("SELECT count(*) FROM followups WHERE done_at IS NULL AND due_on = ?1")?
        .query_row([&today], |r| r.get(0))?;
    t.followups_overdue = conn
        .prepare_cached("SELECT count(*) FROM followups WHERE done_at IS NULL AND due_on < ?1")?
        .query_row([&today], |r| r.get(0))?;
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The "renewing" filter (overdue renewals included) is still a range on each sort
    /// index's carried `renewal_key`, and "incomplete" a test of its `missing_key`: the
    /// walk reads the index in order, never sorting.
    #[test]
    fn the_renewing_and_incomplete_filters_walk_each_sort_index_without_sorting() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::Store::open(&dir.path().join("a.db")).unwrap();
        let conn = store.conn();
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        for column in SortColumn::ALL {
            let q = PortfolioQuery {
                sort: Sort {
                    column,
                    descending: true,
                },
                name_contains: String::new(),
                quick: QuickFilters {
                    renewal_90: true,
                    incomplete: true,
                    ..QuickFilters::default()
                },
                now: today.and_hms_opt(12, 0, 0).unwrap().and_utc(),
                today,
                stale_after_days: 14,
                owners: None,
            };
            let (filter, args) = q.filter(conn).unwrap();
            let sql = format!(
                "EXPLAIN QUERY PLAN SELECT id FROM accounts INDEXED BY {} WHERE {filter}
                 ORDER BY {key} DESC, id DESC LIMIT 50",
                column.index(),
                key = column.key()
            );
            let mut stmt = conn.prepare(&sql).unwrap();
            let plan: Vec<String> = stmt
                .query_map(params_from_iter(args), |r| r.get(3))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap();
            let plan = plan.join(" / ");
            assert!(!plan.contains("TEMP B-TREE"), "{column:?}: {plan}");
            assert!(
                plan.contains(&format!("INDEX {}", column.index())),
                "{column:?}: {plan}"
            );
        }
    }

    /// The `*` of the table, the stale filter and the account's "STALE" agree: a
    /// sentiment is stale once older than the window in calendar days.
    #[test]
    fn the_stale_cutoff_is_the_calendar_age() {
        let now = DateTime::parse_from_rfc3339("2026-11-23T08:15:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let today = local_day(now);
        let cutoff = stale_cutoff(now, 14);
        for minutes in (0..4 * 24 * 60).step_by(7) {
            let set_at = now - Duration::days(13) - Duration::minutes(minutes);
            assert_eq!(
                set_at <= cutoff,
                crate::domain::clock::days_since(set_at, today) > 14,
                "{set_at}"
            );
        }
    }

    #[test]
    fn like_wildcards_are_taken_literally() {
        assert_eq!(escape_like(r"50%_off\"), r"50\%\_off\\");
    }
}
