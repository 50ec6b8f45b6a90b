//! The coaching KPIs kept per CSM and month (schema V9), so the KPI screen and the report
//! read a few thousand rows instead of every touch.
//!
//! What a touch adds to the KPIs depends on the touches before it on its account (a
//! remediation 30 days back, a checklist call in the year before a renewal) and on
//! Rust's reading of outcomes, so SQL triggers cannot keep the figures themselves. They
//! list the accounts a write changed (`kpi_stale`), and before the write's transaction
//! commits the store takes each account's figures as last committed out of the kept rows
//! and puts its figures now in, both from the full pass's own fold (`kpi::scan_range`)
//! over that account's touches (`refresh`). Loads of many rows (import, demo, team merge)
//! count everything once (`rebuild`). A reader that finds an account waiting (a file
//! written by an older attuned, or mid-load) reads every touch as before, so the figures
//! shown are never stale. `check` compares the kept figures with a full pass
//! (`differences`).
//!
//! Kept per (CSM, month): one row of tallies per segment, the sorted elapsed times of
//! each checklist step (step medians need every run), and per prompt line its uses,
//! call types and at most [`THRESHOLDS`]`.reuse_min_accounts` of its accounts (the lowest
//! ids: the union over months then reaches the threshold exactly when all of them would).

use std::collections::{HashMap, HashSet};

use rusqlite::{Connection, OptionalExtension, params};

use super::kpi::{Calls, full_pass, scan_range};
use crate::domain::kpi::{
    Accumulator, Cohort, LineUse, Mean, Month, Piece, THRESHOLDS, Tally, Window,
};
use crate::domain::model::{CallType, Segment};
use crate::error::Result;

/// More accounts marked than this in one transaction: count everything once instead.
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
        let tally = tally_at(r, 3)?;
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

/// Whether the file keeps the figures (schema V9).
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

/// Counts again what this transaction's writes changed, in the same transaction: per
/// account marked, its figures before (read on a second connection, which sees the file
/// as last committed: this transaction holds the write lock) are taken out of the kept
/// rows and its figures now put in; prompt lines, whose account and call-type sets cannot
/// be taken apart, are counted again for each CSM month whose lines changed. Without
/// `path` (a load's own transaction), with many accounts marked, or outside WAL mode,
/// everything is counted once instead. Not while a load has set the triggers aside: it
/// counts everything when it puts them back.
pub(crate) fn refresh(conn: &Connection, path: Option<&std::path::Path>) -> Result<()> {
    if !waiting(conn)? {
        return Ok(());
    }
    let stale: i64 = conn.query_row("SELECT count(*) FROM kpi_stale", [], |r| r.get(0))?;
    let wal = conn
        .pragma_query_value(None, "journal_mode", |r| r.get::<_, String>(0))?
        .eq_ignore_ascii_case("wal");
    let (Some(path), true, true) = (path, wal, stale <= REBUILD_ABOVE) else {
        return rebuild(conn);
    };
    let before = super::open_immutable(path)?;
    let accounts = conn
        .prepare_cached("SELECT account_id FROM kpi_stale ORDER BY account_id")?
        .query_map([], |r| r.get::<_, i64>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut lines: HashSet<(i64, Month)> = HashSet::new();
    for a in accounts {
        let old = account_pieces(&before, a)?;
        let new = account_pieces(conn, a)?;
        lines.extend(apply(conn, &old, &new)?);
    }
    for (csm_id, month) in lines {
        recount_lines(conn, csm_id, month)?;
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

/// One account's figures, by the full pass's own fold over all its touches.
fn account_pieces(conn: &Connection, account: i64) -> Result<Vec<(i64, Month, Piece)>> {
    let (first, last): (Option<String>, Option<String>) = conn
        .prepare_cached(
            "SELECT min(occurred_at), max(occurred_at) FROM touches
             WHERE account_id = ?1 AND occurred_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]*'",
        )?
        .query_row([account], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let month = |s: Option<String>| s.as_deref().and_then(|s| s.get(..7)).and_then(month_of);
    let (Some(first), Some(last)) = (month(first), month(last)) else {
        return Ok(Vec::new());
    };
    let window = Window { first, last };
    let mut calls = Calls::default();
    calls.read(conn, Some(account))?;
    let acc = scan_range(conn, window, (account, account.saturating_add(1)), &calls)?;
    Ok(acc.pieces(&THRESHOLDS))
}

type Pieces = [(i64, Month, Piece)];

/// Takes `old` out of the kept rows and puts `new` in (tallies and step times); returns
/// the CSM months whose prompt lines differ.
fn apply(conn: &Connection, old: &Pieces, new: &Pieces) -> Result<HashSet<(i64, Month)>> {
    type Pair<T> = (T, T);
    let mut tallies: HashMap<(i64, Month, Segment), Pair<Tally>> = HashMap::new();
    let mut steps: HashMap<(i64, Month, u8), Pair<Vec<i64>>> = HashMap::new();
    let mut lines: HashMap<(i64, Month), Pair<Vec<String>>> = HashMap::new();
    for (is_new, pieces) in [(false, old), (true, new)] {
        for (csm, month, piece) in pieces {
            match piece {
                Piece::Tally { segment, tally } => {
                    let pair = tallies.entry((*csm, *month, *segment)).or_default();
                    *if is_new { &mut pair.1 } else { &mut pair.0 } = *tally;
                }
                Piece::Step { step, ms } => {
                    let pair = steps.entry((*csm, *month, *step)).or_default();
                    *if is_new { &mut pair.1 } else { &mut pair.0 } = ms.clone();
                }
                Piece::Line { .. } => {
                    let pair = lines.entry((*csm, *month)).or_default();
                    if is_new { &mut pair.1 } else { &mut pair.0 }.push(piece_text(piece));
                }
            }
        }
    }
    for ((csm, month, segment), (old, new)) in tallies {
        if old != new {
            adjust_tally(conn, (csm, month, segment), &old, &new)?;
        }
    }
    for ((csm, month, step), (old, new)) in steps {
        if old != new {
            adjust_steps(conn, (csm, month, step), &old, &new)?;
        }
    }
    Ok(lines
        .into_iter()
        .filter_map(|(group, (mut old, mut new))| {
            old.sort();
            new.sort();
            (old != new).then_some(group)
        })
        .collect())
}

/// The kept tally of a group, less `old`, plus `new` (gone when no touch is left).
fn adjust_tally(
    conn: &Connection,
    (csm, m, segment): (i64, Month, Segment),
    old: &Tally,
    new: &Tally,
) -> Result<()> {
    let month = m.to_string();
    let key = params![month, csm, segment.as_str()];
    let kept: Tally = conn
        .prepare_cached(
            "SELECT touches, tagged, escalated, done, complete, red, yellow, green,
                remediation_sum, remediation_n, simple_sum, simple_n, complex_sum, complex_n,
                coached_retained, coached_lost, not_coached_retained, not_coached_lost
             FROM kpi_tallies WHERE month = ?1 AND csm_id = ?2 AND segment = ?3",
        )?
        .query_row(key, |r| tally_at(r, 0))
        .optional()?
        .unwrap_or_default();
    conn.prepare_cached(
        "DELETE FROM kpi_tallies WHERE month = ?1 AND csm_id = ?2 AND segment = ?3",
    )?
    .execute(key)?;
    let t = combine(&kept, old, new);
    if t.touches > 0 {
        let mut acc = Accumulator::new(Window { first: m, last: m });
        acc.add(csm, m, Piece::Tally { segment, tally: t });
        keep(conn, &acc, Some(csm))?;
    }
    Ok(())
}

/// `kept - old + new`, field by field.
fn combine(kept: &Tally, old: &Tally, new: &Tally) -> Tally {
    let f = |k: u64, o: u64, n: u64| k.saturating_sub(o) + n;
    let mean = |k: Mean, o: Mean, n: Mean| Mean {
        sum: f(k.sum, o.sum, n.sum),
        n: f(k.n, o.n, n.n),
    };
    let cohort = |k: Cohort, o: Cohort, n: Cohort| Cohort {
        retained: f(k.retained, o.retained, n.retained),
        lost: f(k.lost, o.lost, n.lost),
    };
    Tally {
        touches: f(kept.touches, old.touches, new.touches),
        tagged: f(kept.tagged, old.tagged, new.tagged),
        escalated: f(kept.escalated, old.escalated, new.escalated),
        done: f(kept.done, old.done, new.done),
        complete: f(kept.complete, old.complete, new.complete),
        red: f(kept.red, old.red, new.red),
        yellow: f(kept.yellow, old.yellow, new.yellow),
        green: f(kept.green, old.green, new.green),
        remediation: mean(kept.remediation, old.remediation, new.remediation),
        simple: mean(kept.simple, old.simple, new.simple),
        complex: mean(kept.complex, old.complex, new.complex),
        coached: cohort(kept.coached, old.coached, new.coached),
        not_coached: cohort(kept.not_coached, old.not_coached, new.not_coached),
    }
}

/// The kept step times of a group, less the `old` runs, plus the `new` ones.
fn adjust_steps(
    conn: &Connection,
    (csm, month, step): (i64, Month, u8),
    old: &[i64],
    new: &[i64],
) -> Result<()> {
    let month = month.to_string();
    let blob: Option<Vec<u8>> = conn
        .prepare_cached("SELECT ms FROM kpi_steps WHERE month = ?1 AND csm_id = ?2 AND step = ?3")?
        .query_row(params![month, csm, step], |r| r.get(0))
        .optional()?;
    let mut ms = blob.map(|b| decode_ms(&b)).unwrap_or_default();
    for v in old {
        if let Ok(at) = ms.binary_search(v) {
            ms.remove(at);
        }
    }
    ms.extend_from_slice(new);
    ms.sort_unstable();
    conn.prepare_cached("DELETE FROM kpi_steps WHERE month = ?1 AND csm_id = ?2 AND step = ?3")?
        .execute(params![month, csm, step])?;
    if !ms.is_empty() {
        conn.prepare_cached(
            "INSERT INTO kpi_steps (csm_id, month, step, ms) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![csm, month, step, encode_ms(&ms)])?;
    }
    Ok(())
}

/// Counts a CSM month's prompt lines again: the used prompts of its calls, as the fold
/// reads them (calls with a readable day, on an account that exists).
fn recount_lines(conn: &Connection, csm_id: i64, month: Month) -> Result<()> {
    let (from, to) = (month.to_string(), month.next().to_string());
    conn.prepare_cached("DELETE FROM kpi_lines WHERE month = ?1 AND csm_id = ?2")?
        .execute(params![from, csm_id])?;
    let who = (csm_id != crate::domain::kpi::NO_CSM).then_some(csm_id);
    let mut stmt = conn.prepare_cached(
        "SELECT t.account_id, t.occurred_at, t.call_type, p.step, p.prompt_key
         FROM touches t JOIN accounts a ON a.id = t.account_id
         JOIN touch_prompts p ON p.touch_id = t.id
         WHERE t.csm_id IS ?1 AND t.occurred_at >= ?2 AND t.occurred_at < ?3
           AND t.kind = 'call' AND p.used = 1
         ORDER BY t.account_id, t.occurred_at, p.touch_id, p.id",
    )?;
    let mut rows = stmt.query(params![who, from, to])?;
    let mut found: HashMap<String, LineUse> = HashMap::new();
    while let Some(r) = rows.next()? {
        if super::kpi::day_of(r.get_ref(1)?).is_none_or(|d| Month::of(d) != month) {
            continue;
        }
        let call_type = CallType::from_stored(r.get_ref(2)?.as_bytes().unwrap_or_default());
        let key: String = r.get(4)?;
        let step: u8 = r.get(3)?;
        let line = found.entry(key).or_insert_with(|| LineUse {
            step,
            ..LineUse::default()
        });
        line.uses += 1;
        line.accounts.insert(r.get(0)?);
        line.call_types.insert(call_type);
    }
    let mut acc = Accumulator::new(Window {
        first: month,
        last: month,
    });
    for (key, line) in found {
        acc.add(csm_id, month, Piece::Line { key, line });
    }
    keep(conn, &acc, Some(csm_id))
}

/// A tally from 18 columns starting at `at` (the order `kpi_tallies` lists them).
fn tally_at(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Tally> {
    let n =
        |i: usize| -> rusqlite::Result<u64> { r.get::<_, i64>(at + i).map(|v| v.max(0) as u64) };
    Ok(Tally {
        touches: n(0)?,
        tagged: n(1)?,
        escalated: n(2)?,
        done: n(3)?,
        complete: n(4)?,
        red: n(5)?,
        yellow: n(6)?,
        green: n(7)?,
        remediation: Mean {
            sum: n(8)?,
            n: n(9)?,
        },
        simple: Mean {
            sum: n(10)?,
            n: n(11)?,
        },
        complex: Mean {
            sum: n(12)?,
            n: n(13)?,
        },
        coached: Cohort {
            retained: n(14)?,
            lost: n(15)?,
        },
        not_coached: Cohort {
            retained: n(16)?,
            lost: n(17)?,
        },
    })
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
