//! `attuned export --format md`: a one-page brief to paste into a QBR document — one
//! account's (`--account`) or, without it, the portfolio's.

use std::fmt::Write as _;

use chrono::Duration;
use rusqlite::Connection;

use crate::domain::clock::local_day;
use crate::domain::completeness;
use crate::domain::money;
use crate::error::Result;
use crate::store::account;
use crate::store::exports::{self, AccountRow};
use crate::store::portfolio;
use crate::store::summary::AsOf;

/// Text safe inside a Markdown table cell or line: one line, pipes escaped.
fn md(s: &str) -> String {
    s.split(['\n', '\r'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}

fn opt(s: &Option<String>) -> String {
    s.as_deref().map(md).unwrap_or_else(|| "—".into())
}

/// The brief of one account.
pub fn account_brief(conn: &Connection, account_id: i64, at: &AsOf) -> Result<String> {
    let a = account::load(conn, account_id, at)?;
    let mut s = String::new();
    let _ = writeln!(s, "# {} — account brief\n", md(&a.name));
    let _ = writeln!(s, "_As of {}._\n", at.today.format("%Y-%m-%d"));
    let _ = writeln!(s, "| | |\n|---|---|");
    let _ = writeln!(
        s,
        "| Segment / tier | {} / tier {} |",
        a.segment.label(),
        a.tier
    );
    let _ = writeln!(
        s,
        "| Contract value | {} a year |",
        money::full(a.contract_value)
    );
    let renewal = match a.renewal_date {
        Some(d) => format!(
            "{} ({} days)",
            d.format("%Y-%m-%d"),
            (d - at.today).num_days()
        ),
        None => "—".into(),
    };
    let _ = writeln!(s, "| Renewal | {renewal} |");
    let _ = writeln!(s, "| Industry | {} |", opt(&a.industry));
    let _ = writeln!(s, "| Owner | {} |", opt(&a.owner));
    let _ = writeln!(s, "| Parent account | {} |", opt(&a.parent));
    // The history is newest first.
    let pulse = match a.pulse_history.first() {
        Some(p) => format!(
            "{} (set {}{})",
            p.pulse.label(),
            local_day(p.set_at).format("%Y-%m-%d"),
            p.reason
                .as_deref()
                .map(|r| format!(": {}", md(r)))
                .unwrap_or_default()
        ),
        None => "not rated yet".into(),
    };
    let _ = writeln!(s, "| CSM sentiment | {pulse} |");
    let risk = completeness::risk_text(a.risk.score, a.risk.band.label(), a.missing());
    let _ = writeln!(s, "| Risk | {risk} |\n");

    if !a.risk.reasons.is_empty() {
        let _ = writeln!(s, "## Why the risk\n");
        for r in &a.risk.reasons {
            let _ = writeln!(s, "- {} (+{})", md(&r.text), r.points);
        }
        s.push('\n');
    }

    let _ = writeln!(
        s,
        "## Relationships\n\n{} personas, {} at Okay or better ({}% coverage).\n",
        a.coverage.personas,
        a.coverage.strong,
        a.coverage.percent()
    );
    if !a.personas.is_empty() {
        let _ = writeln!(
            s,
            "| Persona | Title | Role | Strength | Sentiment | Last contact |\n|---|---|---|---|---|---|"
        );
        for p in &a.personas {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} |",
                md(&p.name),
                opt(&p.title),
                crate::domain::roles::shown(p.role, p.role_guessed),
                p.strength.label(),
                p.sentiment.label(),
                p.last_contact_at
                    .map(|t| local_day(t).format("%Y-%m-%d").to_string())
                    .unwrap_or_else(|| "—".into())
            );
        }
        s.push('\n');
    }
    if !a.findings.is_empty() {
        let _ = writeln!(s, "Coverage gaps:\n");
        for f in &a.findings {
            let _ = writeln!(s, "- {}", f.describe());
        }
        s.push('\n');
    }

    let _ = writeln!(s, "## Recent touches\n");
    if a.touches.is_empty() {
        let _ = writeln!(s, "None recorded.\n");
    } else {
        let _ = writeln!(
            s,
            "| Date | Type | Sentiment | Intervention | Summary |\n|---|---|---|---|---|"
        );
        for t in a.touches.iter().take(8) {
            let summary = t.summary.clone().or_else(|| t.notes_first_line.clone());
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} |",
                local_day(t.occurred_at).format("%Y-%m-%d"),
                t.kind.label(),
                t.sentiment.map_or("—", |p| p.label()),
                t.intervention.map_or("—", |i| i.label()),
                opt(&summary)
            );
        }
        if a.touch_count > 8 {
            let _ = writeln!(s, "\n_{} touches in all._", a.touch_count);
        }
        s.push('\n');
    }

    let _ = writeln!(s, "## Open follow-ups\n");
    if a.open_followups.is_empty() {
        let _ = writeln!(s, "None.");
    } else {
        for f in &a.open_followups {
            let late = if f.due_on < at.today {
                " (overdue)"
            } else {
                ""
            };
            let _ = writeln!(
                s,
                "- {}{late}: {}",
                f.due_on.format("%Y-%m-%d"),
                md(&f.action)
            );
        }
    }
    Ok(s)
}

/// The score, or "incomplete (56?)" when it is built on absences.
fn risk_cell(a: &AccountRow) -> String {
    if a.missing.is_complete() {
        a.risk.to_string()
    } else {
        format!("incomplete ({}?)", a.risk)
    }
}

fn account_table(s: &mut String, rows: &[AccountRow]) {
    let _ = writeln!(
        s,
        "| Account | Value | Renewal | Sentiment | Risk | Coverage |\n|---|---|---|---|---|---|"
    );
    for a in rows {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {}% |",
            md(&a.name),
            money::compact(a.contract_value_cents),
            opt(&a.renewal_date),
            opt(&a.pulse),
            risk_cell(a),
            a.coverage_pct
        );
    }
    s.push('\n');
}

/// The brief of the whole portfolio: totals, the riskiest accounts, renewals ahead.
pub fn portfolio_brief(conn: &Connection, at: &AsOf) -> Result<String> {
    let t = portfolio::totals(conn, at.today)?;
    let mut s = String::new();
    let _ = writeln!(s, "# Portfolio brief\n");
    let _ = writeln!(s, "_As of {}._\n", at.today.format("%Y-%m-%d"));
    let _ = writeln!(
        s,
        "- {} accounts, {} contract value, {} at risk",
        t.accounts,
        money::full(t.contract_value),
        money::full(t.value_at_risk)
    );
    let _ = writeln!(
        s,
        "- CSM sentiment: {} Red, {} Yellow, {} Green, {} not rated",
        t.red, t.yellow, t.green, t.unrated
    );
    let _ = writeln!(
        s,
        "- Follow-ups: {} due today, {} overdue",
        t.followups_due_today, t.followups_overdue
    );
    let missing = crate::store::completeness::missing_counts(conn, None)?;
    let lines: Vec<String> = missing.lines().map(|(g, n)| g.count_line(n)).collect();
    if !lines.is_empty() {
        let _ = writeln!(
            s,
            "- Incomplete (risk not scored with confidence): {}",
            lines.join(", ")
        );
    }
    s.push('\n');
    let risky = exports::riskiest(conn, i64::from(crate::domain::risk::AT_RISK_SCORE), 10)?;
    let _ = writeln!(s, "## Most at risk\n");
    if risky.is_empty() {
        let _ = writeln!(s, "No account is at risk.\n");
    } else {
        account_table(&mut s, &risky);
    }
    let to = at.today + Duration::days(90);
    let renewing = exports::renewing(conn, &to.format("%Y-%m-%d").to_string(), 15)?;
    let _ = writeln!(s, "## Renewing in the next 90 days, or passed\n");
    if renewing.is_empty() {
        let _ = writeln!(s, "None.");
    } else {
        account_table(&mut s, &renewing);
    }
    Ok(s)
}
