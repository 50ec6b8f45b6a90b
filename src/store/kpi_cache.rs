//! The coaching KPIs kept per CSM and month (schema V8), so the KPI screen and the report
//! read a few thousand rows instead of every touch.
//!
//! What a touch adds to the KPIs depends on the touches before it on its account (a
//! remediation 30 days back, a checklist call in the year before a renewal) and on
//! Rust's reading of outcomes, so SQL triggers cannot keep the figures themselves. They
//! keep a list of the (CSM, month) groups a write may have changed (`kpi_stale`: the
//! touch's own group and those of the account's touches in the 367 days after it), and
//! the store counts those groups again, with the same fold as the full pass
//! (`kpi::scan_range`), before the write's transaction commits (`refresh`). Loads of
//! many rows (import, demo, team merge) count everything once (`rebuild`). A reader that
//! finds a group waiting (a file written by an older attuned, or mid-load) reads every
//! touch as before, so the figures shown are never stale. `check` compares the kept
//! figures with a full pass (`differences`).
//!
//! Kept per (CSM, month): one row of tallies per segment, the sorted elapsed times of
//! each checklist step (step medians need every run), and per prompt line its uses,
//! call types and at most [`THRESHOLDS`]`.reuse_min_accounts` of its accounts (the lowest
//! ids: the union over months then reaches the threshold exactly when all of them would).

use std::collections::{HashMap, HashSet};

use rusqlite::{Connection, params};

use super::kpi::{Calls, full_pass, scan_range};
use crate::domain::kpi::{Accumulator, LineUse, Mean, Month, Piece, THRESHOLDS, Tally, Window};
use crate::domain::model::{CallType, Segment};
use crate::error::Result;

/// More stale groups than this after one transaction: count everything once instead.
const REBUILD_ABOVE: i64 = 48;

/// The kept figures of `window`, or None when they are not current (or not kept).
pub fn load(conn: &Connection, window: Window) -> Result<Option<Accumulator>> {
    if !current(conn)? {
        return Ok(None);
    }
    let (first, last) = (window.first.to_string(), window.last.to_string());
    let mut acc = Accumulator::new(window);
    let mut stmt = conn.prepare_cached(
        "SELECT csm_id, month, segment, touches, tagged, escalated, done, complete, red,
                yellow, green, remediation_sum, remediation_n, simple_sum, simple_n,
                complex_sum, complex_n, coached_retained, coached_lost, not_coached_retained,
                not_coached_lost
         FROM kpi_tallies WHERE month BETWEEN ?1 AND ?2",
    )?;
    let mut rows = stmt.query([&first, &last])?;
    while let Some(r) = rows.next()? {
        let (Some(month), Some(segment)) = (
            month_of(&r.get::<_, String>(1)?),
            Segment::from_stored(r.get_ref(2)?.as_bytes().unwrap_or_default()),
        ) else {
            continue;
        };
        let n = |i: usize| -> rusqlite::Result<u64> { r.get::<_, i64>(i).map(|v| v.max(0) as u64) };
        let tally = Tally {
            touches: n(3)?,
            tagged: n(4)?,
            escalated: n(5)?,
            done: n(6)?,
            complete: n(7)?,
            red: n(8)?,
            yellow: n(9)?,
            green: n(10)?,
            remediation: Mean {
                sum: n(11)?,
                n: n(12)?,
            },
            simple: Mean {
                sum: n(13)?,
                n: n(14)?,
            },
            complex: Mean {
                sum: n(15)?,
                n: n(16)?,
            },
            coached: crate::domain::kpi::Cohort {
                retained: n(17)?,
                lost: n(18)?,
            },
            not_coached: crate::domain::kpi::Cohort {
                retained: n(19)?,
                lost: n(20)?,
            },
        };
        acc.add(r.get(0)?, month, Piece::Tally { segment, tally });
    }
    let mut stmt = conn.prepare_cached(
        "SELECT csm_id, month, step, ms FROM kpi_steps WHERE month BETWEEN ?1 AND ?2",
    )?;
    let mut rows = stmt.query([&first, &last])?;
    while let Some(r) = rows.next()? {
        let Some(month) = month_of(&r.get::<_, String>(1)?) else {
            continue;
        };
        let ms = decode_ms(r.get_ref(3)?.as_blob().unwrap_or_default());
        acc.add(
            r.get(0)?,
            month,
            Piece::Step {
                step: r.get(2)?,
                ms,
            },
        );
    }
    let mut stmt = conn.prepare_cached(
        "SELECT csm_id, month, prompt_key, step, uses, accounts, call_types
         FROM kpi_lines WHERE month BETWEEN ?1 AND ?2",
    )?;
    let mut rows = stmt.query([&first, &last])?;
    while let Some(r) = rows.next()? {
        let Some(month) = month_of(&r.get::<_, String>(1)?) else {
            continue;
        };
        let accounts: String = r.get(5)?;
        let line = LineUse {
            step: r.get(3)?,
            uses: r.get::<_, i64>(4)?.max(0) as u64,
            accounts: accounts.split(',').filter_map(|a| a.parse().ok()).collect(),
            call_types: call_types_of(r.get(6)?),
        };
        acc.add(
            r.get(0)?,
            month,
            Piece::Line {
                key: r.get(2)?,
                line,
            },
        );
    }
    Ok(Some(acc))
}

/// Whether the file keeps the figures (schema V8).
fn kept(conn: &Connection) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'kpi_stale')",
        [],
        |r| r.get(0),
    )?)
}

/// Whether the file keeps the figures and none waits to be counted again.
fn current(conn: &Connection) -> Result<bool> {
    Ok(kept(conn)? && !any_stale(conn)?)
}

fn any_stale(conn: &Connection) -> Result<bool> {
    Ok(conn.query_row("SELECT EXISTS (SELECT 1 FROM kpi_stale)", [], |r| r.get(0))?)
}

/// Whether groups wait to be counted (and no load will count them when it ends).
pub(crate) fn waiting(conn: &Connection) -> Result<bool> {
    Ok(kept(conn)? && any_stale(conn)? && !super::bulk::is_deferred(conn)?)
}

/// Counts again the groups this transaction's writes marked, in the same transaction
/// (every group at once when many are marked). Not while a load has set the triggers
/// aside: it counts everything when it puts them back.
pub(crate) fn refresh(conn: &Connection) -> Result<()> {
    if !kept(conn)? {
        return Ok(());
    }
    let stale: i64 = conn.query_row("SELECT count(*) FROM kpi_stale", [], |r| r.get(0))?;
    if stale == 0 || super::bulk::is_deferred(conn)? {
        return Ok(());
    }
    if stale > REBUILD_ABOVE {
        return rebuild(conn);
    }
    let groups = conn
        .prepare_cached("SELECT csm_id, month FROM kpi_stale")?
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    for (csm_id, month) in groups {
        recount(conn, csm_id, &month)?;
    }
    conn.execute("DELETE FROM kpi_stale", [])?;
    Ok(())
}

/// The triggers that list stale groups: a load that counts everything at its end sets
/// them aside for its rows (`bulk::set_aside`) and puts them back before `rebuild`.
pub(crate) const TRIGGERS: &str = "SELECT type, name, sql FROM sqlite_schema
    WHERE type = 'trigger' AND name LIKE 'kpi\\_%' ESCAPE '\\' ORDER BY name";

/// Counts every group again from all the touches (one pass, on this connection).
pub(crate) fn rebuild(conn: &Connection) -> Result<()> {
    if !kept(conn)? {
        return Ok(());
    }
    conn.execute_batch(
        "DELETE FROM kpi_tallies; DELETE FROM kpi_steps; DELETE FROM kpi_lines;
         DELETE FROM kpi_stale;",
    )?;
    let Some(window) = history(conn)? else {
        return Ok(());
    };
    let acc = full_pass(conn, window)?;
    keep(conn, &acc, None)
}

/// The months from the first touch to the last, if any has a readable date.
fn history(conn: &Connection) -> Result<Option<Window>> {
    let (first, last): (Option<String>, Option<String>) = conn.query_row(
        "SELECT min(occurred_at), max(occurred_at) FROM touches
         WHERE occurred_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]*'",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let month = |s: Option<String>| s.as_deref().and_then(|s| s.get(..7)).and_then(month_of);
    Ok(match (month(first), month(last)) {
        (Some(first), Some(last)) if first <= last => Some(Window { first, last }),
        _ => None,
    })
}

/// Counts one (CSM, month) again: the fold of the full pass over the accounts the CSM
/// touched that month, each from a year before it (what the month's touches look back on).
fn recount(conn: &Connection, csm_id: i64, month: &str) -> Result<()> {
    for table in ["kpi_tallies", "kpi_steps", "kpi_lines"] {
        conn.prepare_cached(&format!(
            "DELETE FROM {table} WHERE month = ?1 AND csm_id = ?2"
        ))?
        .execute(params![month, csm_id])?;
    }
    let Some(m) = month_of(month) else {
        return Ok(());
    };
    let end = m.next().to_string();
    let who = (csm_id != crate::domain::kpi::NO_CSM).then_some(csm_id);
    let accounts = conn
        .prepare_cached(
            "SELECT DISTINCT account_id FROM touches
             WHERE csm_id IS ?1 AND occurred_at >= ?2 AND occurred_at < ?3",
        )?
        .query_map(params![who, month, end], |r| r.get::<_, i64>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let window = Window { first: m, last: m };
    let mut acc = Accumulator::new(window);
    let mut calls = Calls::default();
    for a in &accounts {
        calls.read(conn, Some(*a))?;
    }
    for a in accounts {
        acc.merge(scan_range(conn, window, (a, a.saturating_add(1)), &calls)?);
    }
    keep(conn, &acc, Some(csm_id))
}

/// Writes the accumulator's pieces (only `only`'s, when given).
fn keep(conn: &Connection, acc: &Accumulator, only: Option<i64>) -> Result<()> {
    let mut tallies = conn.prepare_cached(
        "INSERT INTO kpi_tallies (csm_id, month, segment, touches, tagged, escalated, done,
            complete, red, yellow, green, remediation_sum, remediation_n, simple_sum, simple_n,
            complex_sum, complex_n, coached_retained, coached_lost, not_coached_retained,
            not_coached_lost)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
            ?18, ?19, ?20, ?21)",
    )?;
    let mut steps = conn.prepare_cached(
        "INSERT INTO kpi_steps (csm_id, month, step, ms) VALUES (?1, ?2, ?3, ?4)",
    )?;
    let mut lines = conn.prepare_cached(
        "INSERT INTO kpi_lines (csm_id, month, prompt_key, step, uses, accounts, call_types)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    for (csm_id, month, piece) in acc.pieces(&THRESHOLDS) {
        if only.is_some_and(|c| c != csm_id) {
            continue;
        }
        let month = month.to_string();
        match piece {
            Piece::Tally { segment, tally: t } => {
                tallies.execute(params![
                    csm_id,
                    month,
                    segment.as_str(),
                    n(t.touches),
                    n(t.tagged),
                    n(t.escalated),
                    n(t.done),
                    n(t.complete),
                    n(t.red),
                    n(t.yellow),
                    n(t.green),
                    n(t.remediation.sum),
                    n(t.remediation.n),
                    n(t.simple.sum),
                    n(t.simple.n),
                    n(t.complex.sum),
                    n(t.complex.n),
                    n(t.coached.retained),
                    n(t.coached.lost),
                    n(t.not_coached.retained),
                    n(t.not_coached.lost),
                ])?;
            }
            Piece::Step { step, ms } => {
                steps.execute(params![csm_id, month, step, encode_ms(&ms)])?;
            }
            Piece::Line { key, line } => {
                let mut ids: Vec<i64> = line.accounts.iter().copied().collect();
                ids.sort_unstable();
                let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
                lines.execute(params![
                    csm_id,
                    month,
                    key,
                    line.step,
                    n(line.uses),
                    ids.join(","),
                    call_types_mask(&line.call_types),
                ])?;
            }
        }
    }
    Ok(())
}

/// The groups whose kept figures differ from a full pass over the touches, as
/// "CSM #id 2026-03" (at most `limit`), and how many differ.
pub fn differences(conn: &Connection, limit: usize) -> Result<(usize, Vec<String>)> {
    if !current(conn)? {
        return Ok((0, Vec::new()));
    }
    let Some(window) = history(conn)? else {
        let kept: i64 = conn.query_row("SELECT count(*) FROM kpi_tallies", [], |r| r.get(0))?;
        return Ok(if kept > 0 {
            (
                1,
                vec!["figures kept for touches that no longer exist".into()],
            )
        } else {
            (0, Vec::new())
        });
    };
    // Both sides as pieces, keyed by group.
    type Groups = HashMap<(i64, Month), Vec<String>>;
    let group = |acc: &Accumulator| -> Groups {
        let mut out: Groups = HashMap::new();
        for (csm, month, piece) in acc.pieces(&THRESHOLDS) {
            out.entry((csm, month))
                .or_default()
                .push(piece_text(&piece));
        }
        for v in out.values_mut() {
            v.sort();
        }
        out
    };
    let fresh = group(&full_pass(conn, window)?);
    let Some(kept_acc) = load_all(conn, window)? else {
        return Ok((0, Vec::new()));
    };
    let kept = group(&kept_acc);
    let mut keys: HashSet<(i64, Month)> = fresh.keys().copied().collect();
    keys.extend(kept.keys().copied());
    let mut differ: Vec<(i64, Month)> = keys
        .into_iter()
        .filter(|k| fresh.get(k) != kept.get(k))
        .collect();
    differ.sort();
    let shown = differ
        .iter()
        .take(limit)
        .map(|(csm, month)| format!("CSM #{} {month}", csm & 0xffff_ffff))
        .collect();
    Ok((differ.len(), shown))
}

/// Every kept row, even outside the touches' months (so a leftover row shows).
fn load_all(conn: &Connection, window: Window) -> Result<Option<Accumulator>> {
    let (lo, hi): (Option<String>, Option<String>) = conn.query_row(
        "SELECT min(month), max(month) FROM (SELECT month FROM kpi_tallies
         UNION ALL SELECT month FROM kpi_steps UNION ALL SELECT month FROM kpi_lines)",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let first = lo
        .as_deref()
        .and_then(month_of)
        .map_or(window.first, |m| m.min(window.first));
    let last = hi
        .as_deref()
        .and_then(month_of)
        .map_or(window.last, |m| m.max(window.last));
    load(conn, Window { first, last })
}

fn piece_text(p: &Piece) -> String {
    match p {
        Piece::Line { key, line } => {
            let mut ids: Vec<i64> = line.accounts.iter().copied().collect();
            ids.sort_unstable();
            format!(
                "line {key} {} {} {ids:?} {}",
                line.step,
                line.uses,
                call_types_mask(&line.call_types)
            )
        }
        other => format!("{other:?}"),
    }
}

/// "2026-03" to a month.
fn month_of(s: &str) -> Option<Month> {
    let (y, m) = s.split_once('-')?;
    let (year, month) = (y.parse().ok()?, m.parse().ok()?);
    (y.len() == 4 && m.len() == 2 && (1..=12).contains(&month)).then_some(Month { year, month })
}

fn encode_ms(ms: &[i64]) -> Vec<u8> {
    ms.iter().flat_map(|v| v.to_le_bytes()).collect()
}

fn decode_ms(bytes: &[u8]) -> Vec<i64> {
    bytes
        .chunks_exact(8)
        .map(|c| i64::from_le_bytes(c.try_into().unwrap_or_default()))
        .collect()
}

/// Bit 0: no call type; bit i + 1: `CallType::ALL[i]`.
fn call_types_mask(types: &HashSet<Option<CallType>>) -> i64 {
    types.iter().fold(0, |mask, t| {
        let bit = match t {
            None => 0,
            Some(t) => CallType::ALL
                .iter()
                .position(|c| c == t)
                .map_or(0, |i| i + 1),
        };
        mask | (1 << bit)
    })
}

fn call_types_of(mask: i64) -> HashSet<Option<CallType>> {
    let mut out = HashSet::new();
    if mask & 1 != 0 {
        out.insert(None);
    }
    for (i, t) in CallType::ALL.iter().enumerate() {
        if mask & (1 << (i + 1)) != 0 {
            out.insert(Some(*t));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_and_blobs_read_back() {
        assert_eq!(
            month_of("2026-03"),
            Some(Month {
                year: 2026,
                month: 3
            })
        );
        assert_eq!(month_of("2026-13"), None);
        assert_eq!(month_of("garbage"), None);
        let ms = vec![1, 20_000, i64::MAX];
        assert_eq!(decode_ms(&encode_ms(&ms)), ms);
        let types: HashSet<Option<CallType>> = [None, Some(CallType::Renewal)].into();
        assert_eq!(call_types_of(call_types_mask(&types)), types);
    }
}
