//! Adaptability audits: drawing each CSM's sample of a quarter, listing it with the
//! touches, saving scores, and the per-CSM summary beside renewal and expansion outcomes.
//!
//! Audits point at touches and CSMs without foreign keys (see schema V3): in a team file a
//! re-merge may replace a CSM's touches, and an audit whose touch vanished is still listed,
//! marked as such.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::call::{self, ShownPrompt};
use super::timeline::{self, TouchDetail};
use super::{Store, day, parse_name, parse_timestamp, timestamp};
use crate::domain::audit::{
    self, Correlation, CsmSummary, DrawPlan, Existing, Outcomes, Quarter, Score,
};
use crate::domain::model::{CallType, TouchKind};
use crate::domain::outcome;
use crate::domain::prompts::Library;
use crate::domain::text::clean_text;
use crate::error::{Error, Result};
use crate::progress::{self, Progress};

/// What to draw: a quarter, how many touches per CSM, an optional seed and CSM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DrawRequest {
    pub quarter: Quarter,
    pub per_csm: usize,
    /// None: the seed this quarter was last drawn with, else the quarter's own seed.
    pub seed: Option<u64>,
    /// None: every CSM with touches (or audits) in the quarter.
    pub csm_id: Option<i64>,
}

/// What a draw did for one CSM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drawn {
    pub csm_id: i64,
    pub csm: String,
    /// Calls, meetings and QBRs of the quarter that could be drawn.
    pub candidates: usize,
    pub kept: usize,
    pub added: usize,
    pub dropped: usize,
}

/// A CSM as the audits name them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Csm {
    pub id: i64,
    pub name: String,
}

/// The touch of an audit, as the list shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct TouchBrief {
    pub occurred_at: DateTime<Utc>,
    pub account: String,
    pub kind: TouchKind,
    pub call_type: Option<CallType>,
    pub summary: Option<String>,
}

/// One drawn touch with its scores.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditItem {
    pub id: i64,
    pub touch_id: i64,
    pub csm_id: i64,
    pub csm: String,
    pub seed: u64,
    pub score: Score,
    /// None: the touch is no longer in the CSM's file.
    pub touch: Option<TouchBrief>,
}

/// A prompt shown on the audited call, with its text when the library still has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromptLine {
    pub shown: ShownPrompt,
    pub text: Option<String>,
}

/// An audited touch in full: what the team lead reads before scoring.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditTouch {
    pub account: String,
    pub detail: TouchDetail,
    pub prompts: Vec<PromptLine>,
}

/// The quarter's audits per CSM beside outcomes, and how the two correlate.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub quarter: Quarter,
    pub rows: Vec<CsmSummary>,
    pub correlation: Option<Correlation>,
}

fn bounds(quarter: Quarter) -> (String, String) {
    (day(quarter.start()), day(quarter.end_exclusive()))
}

fn csm_name(id: i64, name: Option<String>) -> String {
    name.unwrap_or_else(|| format!("CSM #{}", id & 0xffff_ffff))
}

/// Whether the file has the audits table: a file of an older schema opened read-only is
/// not migrated, and simply has no audits.
fn has_audits(conn: &Connection) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'audits'")?
        .exists([])?)
}

/// Every CSM in the file, by name.
pub fn csms(conn: &Connection) -> Result<Vec<Csm>> {
    Ok(super::kpi::csms(conn)?
        .into_iter()
        .map(|c| Csm {
            id: c.id,
            name: c.name,
        })
        .collect())
}

/// The touches of `csm_id` that a draw may pick in `quarter`: finished calls, meetings
/// and QBRs (not emails, not notes).
pub fn candidates(conn: &Connection, csm_id: i64, quarter: Quarter) -> Result<Vec<i64>> {
    let (from, to) = bounds(quarter);
    let rows = conn
        .prepare_cached(
            "SELECT id FROM touches
             WHERE csm_id = ?1 AND occurred_at >= ?2 AND occurred_at < ?3
               AND status <> 'in_progress'
               AND (kind = 'call' OR kind = 'meeting' OR kind = 'qbr')",
        )?
        .query_map(params![csm_id, from, to], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// The seed a draw uses when none is given: the one the quarter was last drawn with, so
/// drawing again only tops up; else the quarter's own (`2026Q4` → 20264).
pub fn default_seed(conn: &Connection, quarter: Quarter) -> Result<u64> {
    if !has_audits(conn)? {
        return Ok(quarter.default_seed());
    }
    let seed: Option<i64> = conn
        .prepare_cached(
            "SELECT seed FROM audits WHERE quarter = ?1 ORDER BY drawn_at DESC, id DESC LIMIT 1",
        )?
        .query_row([quarter.to_string()], |r| r.get(0))
        .optional()?;
    Ok(seed.map_or(quarter.default_seed(), |s| s as u64))
}

/// A CSM's audits of the quarter; kept by a draw with `seed` are those with anything
/// entered (`scored_at`, set by `save_score` from `Score::is_kept`), and those drawn with
/// the same seed (drawing again only tops up).
fn existing(conn: &Connection, csm_id: i64, quarter: Quarter, seed: u64) -> Result<Vec<Existing>> {
    let rows = conn
        .prepare_cached(
            "SELECT touch_id, seed = ?3 OR scored_at IS NOT NULL
             FROM audits WHERE csm_id = ?1 AND quarter = ?2 ORDER BY id",
        )?
        .query_map(params![csm_id, quarter.to_string(), seed as i64], |r| {
            Ok(Existing {
                touch_id: r.get(0)?,
                kept: r.get(1)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// Draws (or tops up) the sample of every CSM asked for, in one transaction. Audits with
/// anything entered are always kept, and so are all audits drawn with the same seed: with
/// the seed unchanged a draw only tops up (touches that arrived since never displace one
/// already drawn); another seed redraws the unscored ones. See [`audit::plan_draw`].
pub fn draw(store: &mut Store, req: &DrawRequest, at: DateTime<Utc>) -> Result<Vec<Drawn>> {
    draw_with(store, req, at, &progress::Silent)
}

/// `draw`, telling `progress` how many CSMs are done and stopping (nothing kept) when it
/// asks.
pub fn draw_with(
    store: &mut Store,
    req: &DrawRequest,
    at: DateTime<Utc>,
    progress: &dyn Progress,
) -> Result<Vec<Drawn>> {
    if req.per_csm == 0 {
        return Err(Error::EmptyDraw);
    }
    let drawn = store.write(|tx| {
        let conn = tx.conn();
        progress::interruptible(conn, progress)?;
        let csms = csms(conn)?;
        progress.phase("Drawing audits", Some(csms.len() as u64));
        let seed = match req.seed {
            Some(s) => s,
            None => default_seed(conn, req.quarter)?,
        };
        let quarter = req.quarter.to_string();
        let mut out = Vec::new();
        for csm in csms {
            progress::step(progress, 1)?;
            if req.csm_id.is_some_and(|id| id != csm.id) {
                continue;
            }
            let candidates = candidates(conn, csm.id, req.quarter)?;
            let existing = existing(conn, csm.id, req.quarter, seed)?;
            if candidates.is_empty() && existing.is_empty() {
                continue;
            }
            let plan: DrawPlan = audit::plan_draw(
                &candidates,
                &existing,
                seed,
                csm.id,
                req.quarter,
                req.per_csm,
            );
            for touch_id in &plan.drop {
                conn.prepare_cached("DELETE FROM audits WHERE touch_id = ?1 AND quarter = ?2")?
                    .execute(params![touch_id, quarter])?;
            }
            for touch_id in &plan.add {
                let id = tx.next_id("audits")?;
                conn.prepare_cached(
                    "INSERT INTO audits (id, touch_id, csm_id, quarter, seed, drawn_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )?
                .execute(params![
                    id,
                    touch_id,
                    csm.id,
                    quarter,
                    seed as i64,
                    timestamp(at)
                ])?;
            }
            out.push(Drawn {
                csm_id: csm.id,
                csm: csm.name,
                candidates: candidates.len(),
                kept: plan.keep.len(),
                added: plan.add.len(),
                dropped: plan.drop.len(),
            });
        }
        // The commit that follows runs to its end.
        progress::uninterruptible(conn)?;
        Ok(out)
    });
    let _ = progress::uninterruptible(store.conn());
    drawn.map_err(progress::cancelled)
}

const SCORE_COLUMNS: &str = "a.rubric, a.personalization, a.integrity, a.expectations, a.empathy,
    a.time_to_value, a.responsibility, a.comment";

fn read_score(r: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<Score> {
    let mut pillars = [None; 6];
    for (i, p) in pillars.iter_mut().enumerate() {
        *p = r.get(first + 1 + i)?;
    }
    Ok(Score {
        rubric: r.get(first)?,
        pillars,
        comment: r.get(first + 7)?,
    })
}

/// The audits of `quarter` (of one CSM, or all), by CSM and then by the touch's date;
/// audits whose touch vanished come last in their CSM's list.
pub fn list(conn: &Connection, quarter: Quarter, csm_id: Option<i64>) -> Result<Vec<AuditItem>> {
    if !has_audits(conn)? {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT a.id, a.touch_id, a.csm_id, c.name, a.seed, {SCORE_COLUMNS},
                t.id, t.occurred_at, t.kind, t.call_type, t.summary, acc.name
         FROM audits a
         LEFT JOIN csms c ON c.id = a.csm_id
         LEFT JOIN touches t ON t.id = a.touch_id
         LEFT JOIN accounts acc ON acc.id = t.account_id
         WHERE a.quarter = ?1 AND (?2 IS NULL OR a.csm_id = ?2)
         ORDER BY c.name COLLATE NOCASE, a.csm_id, ifnull(t.occurred_at, '9999'), a.id"
    );
    let rows = conn
        .prepare_cached(&sql)?
        .query_map(params![quarter.to_string(), csm_id], |r| {
            let touch = match r.get::<_, Option<i64>>(13)? {
                None => None,
                Some(_) => Some(TouchBrief {
                    occurred_at: parse_timestamp(&r.get::<_, String>(14)?).unwrap_or_default(),
                    kind: parse_name(&r.get::<_, String>(15)?)?,
                    call_type: r
                        .get::<_, Option<String>>(16)?
                        .filter(|s| !s.is_empty())
                        .as_deref()
                        .map(parse_name)
                        .transpose()?,
                    summary: r.get(17)?,
                    account: r
                        .get::<_, Option<String>>(18)?
                        .unwrap_or_else(|| "(account gone)".into()),
                }),
            };
            let csm_id: i64 = r.get(2)?;
            Ok(AuditItem {
                id: r.get(0)?,
                touch_id: r.get(1)?,
                csm_id,
                csm: csm_name(csm_id, r.get(3)?),
                seed: r.get::<_, i64>(4)? as u64,
                score: read_score(r, 5)?,
                touch,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// One audit's scores, if the audit exists.
pub fn score_of(conn: &Connection, audit_id: i64) -> Result<Option<Score>> {
    let sql = format!("SELECT {SCORE_COLUMNS} FROM audits a WHERE a.id = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([audit_id], |r| read_score(r, 0))
        .optional()?)
}

/// The audited touch in full (notes, step notes, prompts shown and used); None when it
/// is no longer in the file. The file keeps which prompts were shown, not their words:
/// those come from `library` (the reader's own, as on a call), else the built-in one.
pub fn touch(conn: &Connection, touch_id: i64, library: &Library) -> Result<Option<AuditTouch>> {
    let account: Option<String> = conn
        .prepare_cached(
            "SELECT a.name FROM touches t JOIN accounts a ON a.id = t.account_id WHERE t.id = ?1",
        )?
        .query_row([touch_id], |r| r.get(0))
        .optional()?;
    let Some(account) = account else {
        return Ok(None);
    };
    let detail = timeline::touch(conn, touch_id)?;
    let builtin = Library::builtin();
    let prompts = call::prompts_of(conn, touch_id)?
        .into_iter()
        .map(|shown| PromptLine {
            text: library
                .text_of(&shown.key)
                .or_else(|| builtin.text_of(&shown.key))
                .map(str::to_string),
            shown,
        })
        .collect();
    Ok(Some(AuditTouch {
        account,
        detail,
        prompts,
    }))
}

/// Saves an audit's scores and comment in one transaction; `scored_at` is set while
/// anything is entered.
pub fn save_score(
    store: &mut Store,
    audit_id: i64,
    score: &Score,
    at: DateTime<Utc>,
) -> Result<()> {
    let all = score.rubric.iter().chain(score.pillars.iter().flatten());
    if let Some(bad) = all.copied().find(|s| !audit::valid_score(*s)) {
        return Err(Error::ScoreRange(bad));
    }
    let scored_at = score.is_kept().then(|| timestamp(at));
    let p = &score.pillars;
    store.write(|tx| {
        let n = tx
            .conn()
            .prepare_cached(
                "UPDATE audits SET rubric = ?2, personalization = ?3, integrity = ?4,
                     expectations = ?5, empathy = ?6, time_to_value = ?7, responsibility = ?8,
                     comment = ?9, scored_at = ?10
                 WHERE id = ?1",
            )?
            .execute(params![
                audit_id,
                score.rubric,
                p[0],
                p[1],
                p[2],
                p[3],
                p[4],
                p[5],
                clean_text(&score.comment),
                scored_at
            ])?;
        if n == 0 {
            return Err(Error::NoSuch {
                what: "audit",
                id: audit_id,
            });
        }
        Ok(())
    })
}

/// Every CSM's renewal results of a quarter. It reads each touch of the quarter that has
/// an outcome, so the audits screen reads it once per quarter and keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct QuarterOutcomes {
    pub quarter: Quarter,
    pub by_csm: Vec<(i64, Outcomes)>,
}

/// Renewal results per CSM, in the CSMs' order: each touch whose outcome
/// [`outcome::classify`] reads as renewed, expanded or lost counts once.
pub fn outcomes_by_csm(conn: &Connection, quarter: Quarter) -> Result<QuarterOutcomes> {
    let (from, to) = bounds(quarter);
    // Outcomes repeat ("won", "Renewed"): each distinct text is classified once per CSM.
    let mut stmt = conn.prepare_cached(
        "SELECT t.csm_id, t.outcome, count(*) FROM csms c
         JOIN touches t INDEXED BY touches_by_csm
           ON t.csm_id = c.id AND t.occurred_at >= ?1 AND t.occurred_at < ?2
         WHERE t.status <> 'in_progress' AND t.outcome IS NOT NULL AND t.outcome <> ''
         GROUP BY t.csm_id, t.outcome",
    )?;
    let mut rows = stmt.query(params![from, to])?;
    let mut found: HashMap<i64, Outcomes> = HashMap::new();
    while let Some(r) = rows.next()? {
        if let Some(result) = outcome::classify(&r.get::<_, String>(1)?) {
            let o = found.entry(r.get(0)?).or_default();
            for _ in 0..r.get::<_, u32>(2)? {
                o.add(result);
            }
        }
    }
    let by_csm = csms(conn)?
        .into_iter()
        .filter_map(|c| found.remove(&c.id).map(|o| (c.id, o)))
        .filter(|(_, o)| o.total() > 0)
        .collect();
    Ok(QuarterOutcomes { quarter, by_csm })
}

/// Per CSM with audits or renewal results in the quarter: audits drawn and scored, mean
/// rubric and pillar scores, renewed / expanded / lost and the renewal rate; and the
/// correlation of mean score and renewal rate across CSMs (three or more with both).
pub fn summary(conn: &Connection, quarter: Quarter) -> Result<Summary> {
    summary_with(conn, &outcomes_by_csm(conn, quarter)?)
}

/// [`summary`] with the quarter's outcomes already read (only the audits are read).
pub fn summary_with(conn: &Connection, outcomes: &QuarterOutcomes) -> Result<Summary> {
    let quarter = outcomes.quarter;
    let mut rows = Vec::new();
    if !has_audits(conn)? {
        return Ok(Summary {
            quarter,
            rows,
            correlation: None,
        });
    }
    type Stats = (u32, u32, Option<f64>, [Option<f64>; 6]);
    let mut stmt = conn.prepare_cached(
        "SELECT csm_id, count(*), count(rubric), avg(rubric), avg(personalization),
                avg(integrity), avg(expectations), avg(empathy), avg(time_to_value),
                avg(responsibility)
         FROM audits WHERE quarter = ?1 GROUP BY csm_id ORDER BY csm_id",
    )?;
    let mut stats: Vec<(i64, Stats)> = stmt
        .query_map([quarter.to_string()], |r| {
            let mut pillars = [None; 6];
            for (i, p) in pillars.iter_mut().enumerate() {
                *p = r.get(4 + i)?;
            }
            Ok((r.get(0)?, (r.get(1)?, r.get(2)?, r.get(3)?, pillars)))
        })?
        .collect::<rusqlite::Result<_>>()?;
    // Every CSM by name; then those named in audits but missing from `csms` (a merge
    // dropped them), by id.
    let mut people = csms(conn)?;
    let known: HashSet<i64> = people.iter().map(|c| c.id).collect();
    people.extend(
        stats
            .iter()
            .filter(|(id, _)| !known.contains(id))
            .map(|(id, _)| Csm {
                id: *id,
                name: csm_name(*id, None),
            }),
    );
    for csm in people {
        let (drawn, scored, rubric, pillars) = match stats.iter().position(|(id, _)| *id == csm.id)
        {
            Some(i) => stats.swap_remove(i).1,
            None => (0, 0, None, [None; 6]),
        };
        let outcomes = outcomes
            .by_csm
            .iter()
            .find(|(id, _)| *id == csm.id)
            .map(|(_, o)| *o)
            .unwrap_or_default();
        if drawn == 0 && outcomes.total() == 0 {
            continue;
        }
        rows.push(CsmSummary {
            csm_id: csm.id,
            csm: csm.name,
            drawn,
            scored,
            rubric,
            pillars,
            outcomes,
        });
    }
    let correlation = audit::correlate(&rows);
    Ok(Summary {
        quarter,
        rows,
        correlation,
    })
}

/// The quarter's audit summary as Markdown, for `attuned report`.
pub fn summary_markdown(conn: &Connection, quarter: Quarter) -> Result<String> {
    let s = summary(conn, quarter)?;
    Ok(audit::summary_markdown(quarter, &s.rows, s.correlation))
}
