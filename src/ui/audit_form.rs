//! Scoring one audited touch: the touch with its notes, step notes and prompts beside a
//! form of the rubric (1–5), the six pillars and a comment. Every change is saved at once,
//! each in its own transaction, so nothing typed is lost to a crash.

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::format::pad;
use super::help::wrap_all;
use super::note_editor::{self, Edit};
use super::screen::FormKey;
use super::theme::Theme;
use crate::domain::audit::{self, Pillar, RUBRIC, Score};
use crate::domain::checklist::Step;
use crate::domain::model::{CallType, TouchKind};
use crate::error::{Error, Refusal, Result};
use crate::store::Store;
use crate::store::audit::{self as audits, AuditItem, AuditTouch};

/// The rubric, the six pillars, then the comment.
const FIELDS: usize = 8;
const COMMENT: usize = 7;

pub struct ScoreForm {
    pub audit: AuditItem,
    /// None: the touch is no longer in the CSM's file.
    pub touch: Option<AuditTouch>,
    pub score: Score,
    /// 0 rubric, 1–6 the pillars, 7 the comment.
    pub field: usize,
    /// Characters before the cursor in the comment.
    pub cursor: usize,
    pub scroll: u16,
    /// Why the last write of the comment failed: the comment stays as typed, the form
    /// says so, and the next key or tick writes it again.
    pub save_error: Option<String>,
    /// The comment changed since it was last written (written before the next frame).
    dirty: bool,
}

fn field_name(field: usize) -> &'static str {
    match field {
        0 => "Adaptability",
        COMMENT => "Comment",
        f => Pillar::ALL[f - 1].label(),
    }
}

/// "Call · Escalation", or the kind alone where the call type would repeat it.
pub(super) fn kind_label(kind: TouchKind, call_type: Option<CallType>) -> String {
    match call_type {
        Some(ct) if ct.label() != kind.label() => format!("{} · {}", kind.label(), ct.label()),
        _ => kind.label().to_string(),
    }
}

impl ScoreForm {
    pub fn new(audit: AuditItem, touch: Option<AuditTouch>) -> ScoreForm {
        let score = audit.score.clone();
        // Start where scoring left off: the first empty field.
        let field = if score.rubric.is_none() {
            0
        } else {
            score
                .pillars
                .iter()
                .position(Option::is_none)
                .map_or(COMMENT, |i| i + 1)
        };
        ScoreForm {
            cursor: score.comment.chars().count(),
            audit,
            touch,
            score,
            field,
            scroll: 0,
            save_error: None,
            dirty: false,
        }
    }

    pub fn title(&self) -> String {
        match &self.touch {
            Some(t) => format!(
                "{} · {} {}",
                self.audit.csm,
                t.account,
                crate::domain::clock::local_day(t.detail.occurred_at).format("%b %d")
            ),
            None => format!("{} · touch gone", self.audit.csm),
        }
    }

    pub fn hints(&self) -> Vec<(&'static str, &'static str)> {
        if self.field == COMMENT {
            super::keymap::AUDIT_COMMENT.to_vec()
        } else {
            super::keymap::AUDIT_SCORES.to_vec()
        }
    }

    fn value(&self, field: usize) -> Option<u8> {
        match field {
            0 => self.score.rubric,
            COMMENT => None,
            f => self.score.pillars[f - 1],
        }
    }

    fn set(&mut self, field: usize, value: Option<u8>) {
        match field {
            0 => self.score.rubric = value,
            COMMENT => {}
            f => self.score.pillars[f - 1] = value,
        }
    }

    fn save(&self, store: &mut Store, now: DateTime<Utc>) -> Result<()> {
        self.writable(store)?;
        audits::save_score(store, self.audit.id, &self.score, now)
    }

    /// Writes the comment typed since the last write, or that a failed write left
    /// behind; true once it is in the file.
    pub fn retry(&mut self, store: &mut Store, now: DateTime<Utc>) -> bool {
        if self.dirty || self.save_error.is_some() {
            self.save_error = self.save(store, now).err().map(|e| e.to_string());
            self.dirty = self.save_error.is_some();
        }
        self.save_error.is_none()
    }

    /// A paste into the comment (the form's one text field), written as one change.
    pub fn paste(&mut self, pasted: &str, store: &Store) -> Result<FormKey> {
        if self.field != COMMENT {
            return Ok(FormKey::Stay);
        }
        let before = self.score.comment.clone();
        let cursor_before = self.cursor;
        if note_editor::paste(&mut self.score.comment, &mut self.cursor, pasted) != Edit::Changed {
            return Ok(FormKey::Stay);
        }
        self.comment_changed(store, before, cursor_before)
    }

    pub fn key(&mut self, key: KeyEvent, store: &mut Store, now: DateTime<Utc>) -> Result<FormKey> {
        // A comment not yet written is written first; the form is not left without it.
        if !self.retry(store, now) {
            let leaving = matches!(key.code, KeyCode::Esc)
                || (self.field != COMMENT && matches!(key.code, KeyCode::Char('n' | 'p')));
            if leaving {
                return Ok(FormKey::Stay);
            }
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc => return Ok(FormKey::Cancel),
            KeyCode::Tab => {
                self.field = (self.field + 1) % FIELDS;
                return Ok(FormKey::Stay);
            }
            KeyCode::BackTab => {
                self.field = (self.field + FIELDS - 1) % FIELDS;
                return Ok(FormKey::Stay);
            }
            KeyCode::PageDown => {
                self.scroll = self.scroll.saturating_add(10);
                return Ok(FormKey::Stay);
            }
            KeyCode::PageUp => {
                self.scroll = self.scroll.saturating_sub(10);
                return Ok(FormKey::Stay);
            }
            _ => {}
        }
        if self.field == COMMENT {
            return self.comment_key(key, store);
        }
        match key.code {
            KeyCode::Char(c @ '1'..='5') => {
                let value = c as u8 - b'0';
                let before = self.value(self.field);
                self.set(self.field, Some(value));
                if let Err(e) = self.save(store, now) {
                    self.set(self.field, before);
                    return Err(e);
                }
                let name = field_name(self.field);
                let words = if self.field == 0 {
                    audit::level(value).map_or("", |l| l.name)
                } else {
                    ""
                };
                self.field += 1;
                return Ok(FormKey::Saved(Some(
                    format!("{name} {value} {words}").trim_end().to_string(),
                )));
            }
            KeyCode::Char('0') | KeyCode::Backspace | KeyCode::Delete => {
                let before = self.value(self.field);
                if before.is_none() {
                    return Ok(FormKey::Stay);
                }
                self.set(self.field, None);
                if let Err(e) = self.save(store, now) {
                    self.set(self.field, before);
                    return Err(e);
                }
                return Ok(FormKey::Saved(Some(format!(
                    "{} cleared",
                    field_name(self.field)
                ))));
            }
            KeyCode::Down | KeyCode::Char('j') => self.field = (self.field + 1).min(COMMENT),
            KeyCode::Up | KeyCode::Char('k') => self.field = self.field.saturating_sub(1),
            KeyCode::Enter | KeyCode::Char('c') => self.field = COMMENT,
            KeyCode::Char('n') => return Ok(FormKey::Move(1)),
            KeyCode::Char('p') => return Ok(FormKey::Move(-1)),
            KeyCode::Char('d') if ctrl => self.scroll = self.scroll.saturating_add(10),
            KeyCode::Char('u') if ctrl => self.scroll = self.scroll.saturating_sub(10),
            _ => {}
        }
        Ok(FormKey::Stay)
    }

    /// The comment edits like every other note (`note_editor`); ↑ on its first line goes
    /// back to the scores. Every change is written before the next frame.
    fn comment_key(&mut self, key: KeyEvent, store: &Store) -> Result<FormKey> {
        let before = self.score.comment.clone();
        let cursor_before = self.cursor;
        match note_editor::edit(&mut self.score.comment, &mut self.cursor, key) {
            Edit::Changed => {}
            Edit::Ignored if key.code == KeyCode::Up => {
                self.field = COMMENT - 1;
                return Ok(FormKey::Stay);
            }
            Edit::Moved | Edit::Ignored => return Ok(FormKey::Stay),
        }
        if self.score.comment == before {
            return Ok(FormKey::Stay);
        }
        self.comment_changed(store, before, cursor_before)
    }

    /// A changed comment is written before the next frame (`retry`, once for a burst of
    /// keys); a failed write keeps every character and is tried again. A read-only file
    /// refuses it at once and the comment goes back to what it was.
    fn comment_changed(
        &mut self,
        store: &Store,
        before: String,
        cursor_before: usize,
    ) -> Result<FormKey> {
        if let Err(e) = self.writable(store) {
            self.score.comment = before;
            self.cursor = cursor_before;
            return Err(e);
        }
        self.dirty = true;
        Ok(FormKey::Saved(None))
    }

    fn writable(&self, store: &Store) -> Result<()> {
        if store.is_read_only() {
            return Err(Error::Refused {
                why: Refusal::ReadOnly,
                what: "audits cannot be scored",
            });
        }
        Ok(())
    }

    /// What the team lead reads: who and when, the summary, the notes, each step's note
    /// and the prompts shown, then the tags.
    fn touch_lines(&self, theme: &Theme) -> Vec<Line<'static>> {
        let Some(t) = &self.touch else {
            return vec![
                Line::styled("This touch is no longer in the CSM's file.", theme.warn()),
                Line::raw(
                    "A later team merge replaced the CSM's touches; the scores and comment stay.",
                ),
            ];
        };
        let d = &t.detail;
        let kind = kind_label(d.kind, d.call_type);
        let with = if d.participants.is_empty() {
            String::new()
        } else {
            format!(" · with {}", d.participants.join(", "))
        };
        let mut lines = vec![Line::from(vec![
            Span::styled(t.account.clone(), theme.title()),
            Span::raw(format!(
                " · {kind} · {} · by {}{with}",
                crate::domain::clock::local_day(d.occurred_at).format("%Y-%m-%d"),
                self.audit.csm
            )),
        ])];
        if let Some(s) = d.summary.as_ref().filter(|s| !s.trim().is_empty()) {
            lines.push(Line::raw(format!("Summary: {}", s.replace('\n', " "))));
        }
        let notes = d.notes.as_deref().unwrap_or("").trim();
        lines.push(Line::styled("Notes", theme.header()));
        if notes.is_empty() {
            lines.push(Line::styled(" (no notes)", theme.dim()));
        }
        lines.extend(notes.lines().map(|l| Line::raw(format!(" {l}"))));
        let steps: Vec<_> = d
            .steps
            .iter()
            .filter(|s| !s.note.trim().is_empty() || s.skipped_reason.is_some())
            .collect();
        if !steps.is_empty() {
            lines.push(Line::styled("Steps", theme.header()));
            for s in steps {
                let name = Step::from_number(s.step).map_or("Step", Step::title);
                let mut head = format!(" {}. {name} ({}s)", s.step, s.elapsed_ms / 1000);
                if let Some(why) = &s.skipped_reason {
                    head.push_str(&format!(": skipped, {why}"));
                }
                lines.push(Line::styled(head, theme.key()));
                lines.extend(s.note.lines().map(|l| Line::raw(format!("    {l}"))));
            }
        }
        if !t.prompts.is_empty() {
            lines.push(Line::styled("Prompts shown", theme.header()));
            for p in &t.prompts {
                let mark = if p.shown.used {
                    "✓ used "
                } else {
                    "· shown"
                };
                let text = p.text.clone().unwrap_or_else(|| p.shown.key.clone());
                lines.push(Line::raw(format!(" {mark} step {}: {text}", p.shown.step)));
            }
        }
        let tag = |v: Option<&str>| v.unwrap_or("—").to_string();
        lines.push(Line::styled("Tags", theme.header()));
        lines.push(Line::raw(format!(
            " Sentiment {} · intervention {} · CSAT {} · escalated {}",
            tag(d.sentiment.map(|p| p.label())),
            tag(d.intervention.map(|i| i.label())),
            d.csat.map_or("—".to_string(), |c| c.to_string()),
            if d.escalated { "yes" } else { "no" }
        )));
        lines.push(Line::raw(format!(
            " Outcome: {}",
            tag(d.outcome.as_deref().filter(|o| !o.is_empty()))
        )));
        if let Some(w) = &d.retro_worked {
            lines.push(Line::raw(format!(" Worked: {w}")));
        }
        if let Some(f) = &d.retro_failed {
            lines.push(Line::raw(format!(" Failed: {f}")));
        }
        lines
    }

    fn score_cell(&self, field: usize, width: usize, theme: &Theme) -> Span<'static> {
        let on = self.field == field;
        let value = self.value(field).map_or("·".to_string(), |v| v.to_string());
        let extra = if field == 0 {
            self.score
                .rubric
                .and_then(audit::level)
                .map_or(String::new(), |l| l.name.to_string())
        } else {
            String::new()
        };
        // The score stays in view on a narrow form: the field's name is cut first.
        let tail = format!(" {value} {extra}").trim_end().to_string();
        let name_w = 21.min(width.saturating_sub(1 + super::format::width(&tail)));
        let text = format!(
            "{}{}{tail}",
            if on { "▶" } else { " " },
            pad(field_name(field), name_w)
        );
        let text = pad(&text, width);
        if on {
            Span::styled(text, theme.selected())
        } else {
            Span::raw(text)
        }
    }

    fn form_lines(&self, theme: &Theme, width: usize, roomy: bool) -> Vec<Line<'static>> {
        let mut lines = Vec::new();
        if roomy {
            for field in 0..COMMENT {
                lines.push(Line::from(self.score_cell(field, width, theme)));
            }
        } else {
            // Narrow: the rubric on its own line, the pillars two to a line.
            let half = width / 2;
            lines.push(Line::from(self.score_cell(0, width, theme)));
            for pair in [1, 3, 5] {
                lines.push(Line::from(vec![
                    self.score_cell(pair, half, theme),
                    self.score_cell(pair + 1, half, theme),
                ]));
            }
        }
        if let Some(why) = &self.save_error {
            lines.push(Line::styled(note_editor::unsaved_text(why), theme.alarm()));
        }
        let on = self.field == COMMENT;
        let label = format!("{}Comment", if on { "▶" } else { " " });
        lines.push(if on {
            Line::styled(label, theme.selected())
        } else {
            Line::raw(label)
        });
        let mut comment = self.score.comment.clone();
        if on {
            note_editor::insert_at(&mut comment, self.cursor, '▏');
        }
        if comment.is_empty() {
            lines.push(Line::styled("  (none yet: Enter writes one)", theme.dim()));
        }
        for l in comment.lines() {
            lines.push(Line::raw(format!("  {l}")));
        }
        if roomy {
            lines.push(Line::raw(""));
        }
        match self.field {
            0 if roomy => {
                for l in RUBRIC {
                    lines.push(Line::raw(format!(
                        " {} {}: {}",
                        l.score, l.name, l.descriptor
                    )));
                }
            }
            0 => {
                let current = self.score.rubric.and_then(audit::level);
                let text = match current {
                    Some(l) => format!(" {} {}: {}", l.score, l.name, l.descriptor),
                    None => format!(
                        " 1 = {} … 5 = {}",
                        RUBRIC[0].descriptor.to_lowercase(),
                        RUBRIC[4].descriptor.to_lowercase()
                    ),
                };
                lines.push(Line::styled(text, theme.dim()));
            }
            COMMENT => lines.push(Line::styled(
                " What to keep, what to change: saved as you type.",
                theme.dim(),
            )),
            f => lines.push(Line::styled(
                format!(" 5 = {}", Pillar::ALL[f - 1].description()),
                theme.dim(),
            )),
        }
        lines
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let roomy = area.width >= 100;
        let (touch_area, form_area) = if roomy {
            let [a, b] =
                Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
                    .areas(area);
            (a, b)
        } else {
            let comment_lines = self.score.comment.lines().count().max(1) as u16;
            let form_h = (9 + comment_lines).min(area.height.saturating_sub(4));
            let [a, b] =
                Layout::vertical([Constraint::Min(3), Constraint::Length(form_h)]).areas(area);
            (a, b)
        };
        // Long lines wrap under their own text, not to the box's edge.
        let touch_width = usize::from(touch_area.width.saturating_sub(2));
        frame.render_widget(
            Paragraph::new(wrap_all(self.touch_lines(theme), touch_width))
                .block(
                    Block::new()
                        .borders(Borders::ALL)
                        .title(" Touch (PgDn/PgUp scroll) "),
                )
                .scroll((self.scroll, 0)),
            touch_area,
        );
        let width = form_area.width.saturating_sub(2) as usize;
        let status = self.score.status().label();
        frame.render_widget(
            Paragraph::new(wrap_all(self.form_lines(theme, width, roomy), width)).block(
                Block::new()
                    .borders(Borders::ALL)
                    .title(format!(" Score ({status}; saved as you go) ")),
            ),
            form_area,
        );
    }
}
