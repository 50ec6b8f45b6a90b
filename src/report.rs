//! `attuned report`: the coaching KPIs as Markdown, for a team lead's notes or an email.

use std::fmt::Write as _;

use crate::domain::checklist::clock_text;
use crate::domain::kpi::{Kpis, Tally, Thresholds, pct, score};

/// Whose figures and over which months, as the heading says it.
pub struct Heading<'a> {
    pub scope: &'a str,
    pub source: &'a str,
}

/// The whole report.
pub fn markdown(k: &Kpis, h: &Heading<'_>, t: &Thresholds) -> String {
    let mut out = String::new();
    let span = k.span();
    let _ = writeln!(out, "# Coaching KPIs: {} ({span})\n", h.scope);
    let _ = writeln!(
        out,
        "From `{}`. Escalation rate = escalated / tagged touches (calls, meetings, QBRs and \
         emails with an intervention). Renewal rates are retained / (retained + lost), with n; \
         an account is coached when a call was run with the checklist on it in the 12 months \
         before the result. \"—\" means nothing to count.\n",
        h.source
    );
    per_csm(&mut out, k);
    per_segment(&mut out, k);
    by_month(&mut out, k);
    escalation_by_csm_and_month(&mut out, k);
    steps(&mut out, k);
    reuse(&mut out, k, t);
    flags(&mut out, k, t);
    out
}

fn ryg(t: &Tally) -> String {
    format!("{} / {} / {}", t.red, t.yellow, t.green)
}

fn per_csm(out: &mut String, k: &Kpis) {
    let _ = writeln!(out, "## Per CSM\n");
    if k.by_csm.is_empty() {
        let _ = writeln!(out, "No touches in these months.\n");
        return;
    }
    let _ = writeln!(
        out,
        "| CSM | tagged | escalation | CSAT after remediation | CSAT simple / complex | renewal coached | renewal not coached | tagging complete | verbatim reuse | steps over box | flags |"
    );
    let _ = writeln!(
        out,
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
    );
    for c in &k.by_csm {
        let t = &c.total;
        let flags: Vec<&str> = c.flags.iter().map(|f| f.title()).collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            cell(&c.name),
            t.tagged,
            t.cells("n=").join(" | "),
            pct(c.reuse.share()),
            pct(c.over_box),
            if flags.is_empty() {
                "—".to_string()
            } else {
                flags.join(", ")
            }
        );
    }
    let _ = writeln!(
        out,
        "\nTeam median escalation rate: {}.\n",
        pct(k.median_escalation)
    );
}

fn per_segment(out: &mut String, k: &Kpis) {
    let _ = writeln!(out, "## Per segment\n");
    let _ = writeln!(
        out,
        "| segment | tagged | escalation | CSAT after remediation | CSAT simple / complex | renewal coached | renewal not coached | tagging complete | Red / Yellow / Green |"
    );
    let _ = writeln!(
        out,
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    for s in &k.by_segment {
        let t = &s.total;
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            s.segment.label(),
            t.tagged,
            t.cells("n=").join(" | "),
            ryg(t)
        );
    }
    let _ = writeln!(out);
}

fn by_month(out: &mut String, k: &Kpis) {
    let _ = writeln!(out, "## By month\n");
    let _ = writeln!(
        out,
        "| month | tagged | escalation | CSAT after remediation | renewal coached | renewal not coached | tagging complete | Red / Yellow / Green |"
    );
    let _ = writeln!(
        out,
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    for (m, t) in k.months.iter().zip(&k.by_month) {
        let _ = writeln!(
            out,
            "| {m} | {} | {} | {} | {} | {} | {} | {} |",
            t.tagged,
            pct(t.escalation_rate()),
            score(t.remediation.mean()),
            t.coached.text("n="),
            t.not_coached.text("n="),
            pct(t.completeness()),
            ryg(t)
        );
    }
    let _ = writeln!(out, "\nSentiment trend: {}.\n", k.trend.label());
}

fn escalation_by_csm_and_month(out: &mut String, k: &Kpis) {
    if k.by_csm.is_empty() {
        return;
    }
    let _ = writeln!(out, "## Escalation rate by CSM and month\n");
    let mut head = String::from("| CSM |");
    let mut rule = String::from("| --- |");
    for m in &k.months {
        let _ = write!(head, " {} |", m);
        rule.push_str(" ---: |");
    }
    let _ = writeln!(out, "{head}\n{rule}");
    for c in &k.by_csm {
        let mut row = format!("| {} |", cell(&c.name));
        for t in &c.by_month {
            let _ = write!(row, " {} |", pct(t.escalation_rate()));
        }
        let _ = writeln!(out, "{row}");
    }
    let _ = writeln!(out);
}

fn steps(out: &mut String, k: &Kpis) {
    let _ = writeln!(out, "## Checklist steps against their time box\n");
    let _ = writeln!(out, "| step | runs | median | time box | over the box |");
    let _ = writeln!(out, "| --- | ---: | ---: | --- | ---: |");
    for s in &k.steps {
        let _ = writeln!(
            out,
            "| {}. {} | {} | {} | {} | {} |",
            s.step.number(),
            s.step.title(),
            s.runs,
            s.median_ms.map_or("—".to_string(), clock_text),
            s.step.time_box_label(),
            pct(s.over_box)
        );
    }
    let _ = writeln!(out);
}

fn reuse(out: &mut String, k: &Kpis, t: &Thresholds) {
    let _ = writeln!(out, "## Verbatim prompt reuse\n");
    let _ = writeln!(
        out,
        "A prompt line counts as repeated when a CSM marked it used on at least {} accounts in \
         at least {} call types: the same words whatever the customer and the situation. \
         Reuse = uses of repeated lines / all prompt uses. Overall: {} of {} uses ({} lines).\n",
        t.reuse_min_accounts,
        t.reuse_min_call_types,
        pct(k.reuse.share()),
        k.reuse.uses,
        k.reuse.repeated_lines
    );
}

fn flags(out: &mut String, k: &Kpis, t: &Thresholds) {
    let _ = writeln!(out, "## Flags: signs of low adaptability\n");
    let mut any = false;
    for c in &k.by_csm {
        for f in &c.flags {
            any = true;
            let _ = writeln!(
                out,
                "- **{}**: {}: {}",
                cell(&c.name),
                f.title(),
                f.detail(t)
            );
        }
    }
    if !any {
        let _ = writeln!(out, "No flags.");
    }
    let _ = writeln!(
        out,
        "\nThresholds: escalation ≥ {:.1}× the team median (above {} for a CSM alone; at least {} tagged touches); \
         verbatim reuse ≥ {} (at least {} uses); CSAT simple ≥ {:.1} and complex ≥ {:.1} lower (at least {} answers each); \
         tagging complete below {} (at least {} done calls, meetings, QBRs and emails).",
        t.escalation_over_median,
        pct(Some(t.escalation_absolute)),
        t.escalation_min_tagged,
        pct(Some(t.reuse_share)),
        t.reuse_min_uses,
        t.csat_simple_at_least,
        t.csat_spread,
        t.csat_min_answers,
        pct(Some(t.tagging_below)),
        t.tagging_min_done
    );
}

/// A name safe inside a Markdown table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}
