//! The wrap-up form: tags a call that just ended, logs any other touch (`l`: email,
//! meeting, QBR, note) or corrects an earlier one. Choice fields take single keys (r/y/g,
//! ←/→, Space); text fields take every printable key; Tab / ↑↓ move between fields;
//! Enter saves (in the notes it starts a new line; Ctrl-S saves from anywhere); Esc
//! cancels. A refused save keeps everything typed and says why beside the field.

use chrono::NaiveDate;
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use super::field;
use super::note_editor::{self, Edit};
use super::screen::FormKey;
use super::theme::Theme;
use crate::domain::limits::{self, Limit};
use crate::domain::model::{Intervention, Pulse, Sentiment, Strength, TouchKind};
use crate::domain::tagging::{FollowupWhen, parse_csat, parse_followup};
use crate::error::Result;
use crate::store::Store;
use crate::store::account;
use crate::store::summary::AsOf;
use crate::store::tagging::{self, Tag, Target, Tie};

/// What a call hands over to the wrap-up: the tags picked on step 5 and the fix of step 4.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallPrefill {
    pub touch_id: i64,
    pub sentiment: Option<Pulse>,
    pub intervention: Intervention,
    pub followup: Option<NaiveDate>,
    pub fix: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Mode {
    Call(i64),
    Log,
    Correct(i64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Kind,
    Sentiment,
    Intervention,
    Followup,
    Action,
    Outcome,
    Csat,
    Escalated,
    Notes,
    Person(usize),
}

/// A participant's tie as the form shows it.
#[derive(Debug, Clone)]
pub struct Person {
    pub id: i64,
    pub name: String,
    pub strength: Strength,
    pub sentiment: Sentiment,
    pub took_part: bool,
}

/// Touch kinds `l` can log (a call runs the checklist with `c`).
const LOG_KINDS: [TouchKind; 4] = [
    TouchKind::Email,
    TouchKind::Meeting,
    TouchKind::Qbr,
    TouchKind::Note,
];

pub struct WrapUp {
    pub mode: Mode,
    pub account_id: i64,
    pub account_name: String,
    pub kind: TouchKind,
    pub sentiment: Option<Pulse>,
    pub intervention: Option<Intervention>,
    pub followup: Input,
    pub action: Input,
    pub outcome: Input,
    pub csat: Input,
    pub escalated: bool,
    pub notes: String,
    /// Where typing goes in the notes (a char index).
    pub notes_cursor: usize,
    pub people: Vec<Person>,
    pub focus: usize,
    pub errors: Vec<(Field, String)>,
    pub today: NaiveDate,
    /// Why the last write of the form's draft failed: shown in the form until a write
    /// succeeds (the next key or tick tries again); everything typed stays in the form.
    pub save_error: Option<String>,
    /// The form changed since its draft was last written (written before the next frame).
    pub dirty: bool,
    /// The account's CSM sentiment as it stands, which saving this form may overturn.
    pub standing: Option<Standing>,
    /// After a call: the notes typed on its steps (step number, note), shown beside the
    /// form where the screen is wide enough, to write the outcome from.
    pub call_notes: Vec<(u8, String)>,
}

/// The account's current CSM sentiment, shown beside the one being tagged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    pub pulse: Pulse,
    /// The first day of the run of entries with this sentiment (local calendar).
    pub since: NaiveDate,
    /// Why: the newest reason of the run set on purpose, else the newest reason.
    pub reason: Option<String>,
    /// Saving this form writes the account's current sentiment (a new entry, or a
    /// correction of the touch that set it).
    pub saving_sets_it: bool,
}

impl Standing {
    /// From the account's history (newest first). `correcting` is the touch a correction
    /// amends: its entry is the current one only if it is the newest.
    pub fn of(history: &[account::PulseEntry], correcting: Option<i64>) -> Option<Standing> {
        let latest = history.first()?;
        let run: Vec<&account::PulseEntry> = history
            .iter()
            .take_while(|e| e.pulse == latest.pulse)
            .collect();
        let since = run.last().map_or(latest.set_at, |e| e.set_at);
        let reason = run
            .iter()
            .find(|e| e.touch_id.is_none() && e.reason.is_some())
            .or_else(|| run.iter().find(|e| e.reason.is_some()))
            .and_then(|e| e.reason.clone());
        Some(Standing {
            pulse: latest.pulse,
            since: crate::domain::clock::local_day(since),
            reason,
            saving_sets_it: correcting.is_none_or(|id| latest.touch_id == Some(id)),
        })
    }

    /// `Red since 2026-11-02: <reason>`.
    fn describe(&self) -> String {
        let mut s = format!(
            "{} since {}",
            self.pulse.label(),
            self.since.format("%Y-%m-%d")
        );
        if let Some(r) = &self.reason {
            s.push_str(": ");
            s.push_str(&super::format::fit(r, 80));
        }
        s
    }
}

/// What saving does to the account's CSM sentiment, in a line, and whether it overturns
/// a different one (said loudly then).
pub fn sentiment_effect(standing: Option<&Standing>, tagged: Option<Pulse>) -> (String, bool) {
    match (standing, tagged) {
        (None, Some(p)) => (
            format!("CSM sentiment never set: saving sets it to {}", p.label()),
            false,
        ),
        (None, None) => ("CSM sentiment never set".into(), false),
        (Some(s), None) => (format!("CSM sentiment now {}", s.describe()), false),
        (Some(s), Some(_)) if !s.saving_sets_it => (
            format!("CSM sentiment stays {} (a later entry)", s.describe()),
            false,
        ),
        (Some(s), Some(p)) if p == s.pulse => {
            (format!("CSM sentiment stays {}", s.describe()), false)
        }
        (Some(s), Some(p)) => (
            format!(
                "Saving changes CSM sentiment {} → {} ({})",
                s.pulse.label(),
                p.label(),
                s.describe()
            ),
            true,
        ),
    }
}

/// What the form holds, kept in the file as it is typed (see `store::tagging::save_draft`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Draft {
    pub mode: Mode,
    pub account_id: i64,
    kind: TouchKind,
    sentiment: Option<Pulse>,
    intervention: Option<Intervention>,
    followup: String,
    action: String,
    outcome: String,
    csat: String,
    escalated: bool,
    notes: String,
    people: Vec<DraftTie>,
    focus: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct DraftTie {
    id: i64,
    strength: Strength,
    sentiment: Sentiment,
    took_part: bool,
}

impl Draft {
    pub fn to_json(&self) -> String {
        // Plain data with string keys: serialising it cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn from_json(json: &str) -> Option<Draft> {
        serde_json::from_str(json).ok()
    }
}

fn day_text(d: Option<NaiveDate>) -> String {
    d.map_or_else(|| "none".to_string(), |d| d.format("%Y-%m-%d").to_string())
}

impl WrapUp {
    fn blank(store: &Store, account_id: i64, mode: Mode, at: &AsOf) -> Result<WrapUp> {
        let conn = store.conn();
        let detail = account::load(conn, account_id, at)?;
        let correcting = match mode {
            Mode::Correct(id) => Some(id),
            Mode::Call(_) | Mode::Log => None,
        };
        let standing = Standing::of(&detail.pulse_history, correcting);
        let people = detail
            .personas
            .iter()
            .map(|p| Person {
                id: p.id,
                name: p.name.clone(),
                strength: p.strength,
                sentiment: p.sentiment,
                took_part: false,
            })
            .collect();
        Ok(WrapUp {
            mode,
            account_id,
            account_name: detail.name,
            kind: TouchKind::Email,
            sentiment: None,
            intervention: None,
            followup: Input::new(day_text(at.today.checked_add_days(chrono::Days::new(7)))),
            action: Input::default(),
            outcome: Input::default(),
            csat: Input::default(),
            escalated: false,
            notes: String::new(),
            notes_cursor: 0,
            people,
            focus: 0,
            errors: Vec::new(),
            today: at.today,
            save_error: None,
            dirty: false,
            standing,
            call_notes: Vec::new(),
        })
    }

    /// After a call: prefilled from what the call captured.
    pub fn for_call(store: &Store, p: &CallPrefill, at: &AsOf) -> Result<WrapUp> {
        let conn = store.conn();
        let saved = tagging::tagged(conn, p.touch_id)?;
        let mut form = WrapUp::blank(store, saved.account_id, Mode::Call(p.touch_id), at)?;
        form.kind = TouchKind::Call;
        form.sentiment = p.sentiment;
        form.intervention = Some(p.intervention);
        form.escalated = p.intervention == Intervention::Escalation;
        form.followup = Input::new(day_text(p.followup));
        form.action = Input::new(p.fix.clone());
        form.outcome = Input::new(p.fix.clone());
        form.people.retain(|x| saved.participants.contains(&x.id));
        for x in &mut form.people {
            x.took_part = true;
        }
        form.call_notes = crate::store::call::load(conn, p.touch_id)?
            .steps
            .into_iter()
            .filter(|s| !s.note.trim().is_empty())
            .map(|s| (s.step, s.note))
            .collect();
        form.focus = form.first_missing();
        Ok(form)
    }

    /// `l`: any touch without the checklist.
    pub fn for_log(store: &Store, account_id: i64, at: &AsOf) -> Result<WrapUp> {
        let mut form = WrapUp::blank(store, account_id, Mode::Log, at)?;
        // An email is the most common touch: start on the sentiment (Shift-Tab: the type).
        form.focus = form.first_missing();
        Ok(form)
    }

    /// A correction of an earlier touch, prefilled with its tags.
    pub fn for_correction(store: &Store, touch_id: i64, at: &AsOf) -> Result<WrapUp> {
        let conn = store.conn();
        let t = tagging::tagged(conn, touch_id)?;
        let mut form = WrapUp::blank(store, t.account_id, Mode::Correct(touch_id), at)?;
        form.kind = t.kind;
        form.sentiment = t.sentiment;
        form.intervention = t.intervention;
        form.followup = Input::new(if t.no_followup || t.followup_on.is_none() {
            "none".into()
        } else {
            day_text(t.followup_on)
        });
        form.action = Input::new(t.followup_action.unwrap_or_default());
        form.outcome = Input::new(t.outcome);
        form.csat = Input::new(t.csat.map(|c| c.to_string()).unwrap_or_default());
        form.escalated = t.escalated;
        form.notes_cursor = t.notes.chars().count();
        form.notes = t.notes;
        form.people.retain(|x| t.participants.contains(&x.id));
        for x in &mut form.people {
            x.took_part = true;
        }
        Ok(form)
    }

    /// The form as a draft to keep.
    pub fn draft(&self) -> Draft {
        Draft {
            mode: self.mode,
            account_id: self.account_id,
            kind: self.kind,
            sentiment: self.sentiment,
            intervention: self.intervention,
            followup: self.followup.value().to_string(),
            action: self.action.value().to_string(),
            outcome: self.outcome.value().to_string(),
            csat: self.csat.value().to_string(),
            escalated: self.escalated,
            notes: self.notes.clone(),
            people: self
                .people
                .iter()
                .map(|p| DraftTie {
                    id: p.id,
                    strength: p.strength,
                    sentiment: p.sentiment,
                    took_part: p.took_part,
                })
                .collect(),
            focus: self.focus,
        }
    }

    /// Puts back what a draft of this same form held; a draft of another form is ignored.
    /// Returns whether it applied.
    pub fn restore(&mut self, d: &Draft) -> bool {
        if d.mode != self.mode || d.account_id != self.account_id {
            return false;
        }
        self.kind = d.kind;
        self.sentiment = d.sentiment;
        self.intervention = d.intervention;
        self.followup = Input::new(d.followup.clone());
        self.action = Input::new(d.action.clone());
        self.outcome = Input::new(d.outcome.clone());
        self.csat = Input::new(d.csat.clone());
        self.escalated = d.escalated;
        self.notes = d.notes.clone();
        self.notes_cursor = self.notes.chars().count();
        for p in &mut self.people {
            if let Some(t) = d.people.iter().find(|t| t.id == p.id) {
                p.strength = t.strength;
                p.sentiment = t.sentiment;
                p.took_part = t.took_part;
            }
        }
        self.focus = d.focus.min(self.fields().len().saturating_sub(1));
        true
    }

    /// Whether the focused field takes printable keys as text.
    pub fn takes_text(&self) -> bool {
        let f = self.focused();
        is_text(f) || f == Field::Notes
    }

    pub fn fields(&self) -> Vec<Field> {
        let mut all = Vec::new();
        if self.mode == Mode::Log {
            all.push(Field::Kind);
        }
        all.extend([
            Field::Sentiment,
            Field::Intervention,
            Field::Followup,
            Field::Action,
            Field::Outcome,
            Field::Csat,
            Field::Escalated,
            Field::Notes,
        ]);
        all.extend((0..self.people.len()).map(Field::Person));
        all
    }

    pub fn focused(&self) -> Field {
        let fields = self.fields();
        fields
            .get(self.focus.min(fields.len().saturating_sub(1)))
            .copied()
            .unwrap_or(Field::Sentiment)
    }

    fn first_missing(&self) -> usize {
        let fields = self.fields();
        let want = if self.sentiment.is_none() {
            Field::Sentiment
        } else if self.intervention.is_none() {
            Field::Intervention
        } else {
            Field::Sentiment
        };
        fields.iter().position(|f| *f == want).unwrap_or(0)
    }

    pub fn title(&self) -> String {
        match self.mode {
            Mode::Call(_) => format!("{} › Wrap-up of the call", self.account_name),
            Mode::Log => format!("{} › Log a touch", self.account_name),
            Mode::Correct(_) => format!("{} › Correct a touch", self.account_name),
        }
    }

    /// The status bar for the field that has focus, from the keymap's pieces.
    pub fn hints(&self) -> Vec<(&'static str, &'static str)> {
        use super::keymap::wrap_up;
        let mut h = vec![wrap_up::FIELD];
        match self.focused() {
            Field::Sentiment => h.extend(wrap_up::SENTIMENT),
            Field::Kind | Field::Intervention | Field::Escalated => h.extend(wrap_up::CHOOSE),
            Field::Person(_) => {
                h.extend(wrap_up::PERSON);
                if self.mode == Mode::Log {
                    h.push(wrap_up::TOOK_PART);
                }
            }
            Field::Notes => h.extend(wrap_up::NOTES),
            _ => h.extend(wrap_up::TEXT),
        }
        if self.focused() == Field::Notes {
            h.push(wrap_up::SAVE_FROM_NOTES);
        } else {
            h.push(wrap_up::SAVE);
        }
        h.push(wrap_up::CANCEL);
        h
    }

    /// A paste into the focused text field, in one step; false when a choice has focus.
    pub fn paste(&mut self, pasted: &str) -> bool {
        let field = self.focused();
        let done = match field {
            Field::Notes => {
                note_editor::paste(&mut self.notes, &mut self.notes_cursor, pasted);
                true
            }
            Field::Followup => note_editor::paste_into(&mut self.followup, pasted),
            Field::Action => note_editor::paste_into(&mut self.action, pasted),
            Field::Outcome => note_editor::paste_into(&mut self.outcome, pasted),
            Field::Csat => note_editor::paste_into(&mut self.csat, pasted),
            _ => return false,
        };
        self.errors.retain(|(f, _)| *f != field);
        done || is_text(field)
    }

    pub fn key(&mut self, key: KeyEvent) -> FormKey {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        let n = self.fields().len().max(1);
        let field = self.focused();
        let mut refused = None;
        match key.code {
            KeyCode::Esc => return FormKey::Cancel,
            KeyCode::Char('s') if ctrl => return FormKey::Submit,
            KeyCode::Enter if field == Field::Notes && !ctrl && !alt => {
                match self.over_limit(field, key) {
                    Some(why) => refused = Some(why),
                    None => {
                        note_editor::edit(&mut self.notes, &mut self.notes_cursor, key);
                    }
                }
            }
            KeyCode::Enter => return FormKey::Submit,
            KeyCode::Tab => self.focus = (self.focus + 1) % n,
            KeyCode::BackTab => self.focus = (self.focus + n - 1) % n,
            // In the notes, ↑/↓ move between lines and leave the field at its ends.
            KeyCode::Down | KeyCode::Up
                if field == Field::Notes
                    && note_editor::edit(&mut self.notes, &mut self.notes_cursor, key)
                        != Edit::Ignored => {}
            KeyCode::Down => self.focus = (self.focus + 1) % n,
            KeyCode::Up => self.focus = (self.focus + n - 1) % n,
            // Ctrl chords edit a text field (Ctrl-U clears, Ctrl-W a word); elsewhere nothing.
            _ if (ctrl || alt) && !self.takes_text() => {}
            _ => match self.over_limit(field, key) {
                Some(why) => refused = Some(why),
                None => self.field_key(field, key),
            },
        }
        self.errors.retain(|(f, _)| *f != field);
        if let Some(why) = refused {
            self.errors.push((field, why));
        }
        FormKey::Stay
    }

    /// The text of a field held to a length limit, with its limit.
    fn limited(&self, field: Field) -> Option<(&str, Limit)> {
        match field {
            Field::Action => Some((self.action.value(), limits::ACTION)),
            Field::Outcome => Some((self.outcome.value(), limits::OUTCOME)),
            Field::Notes => Some((self.notes.as_str(), limits::NOTES)),
            _ => None,
        }
    }

    /// Why `key` may not type into `field`: it is full.
    fn over_limit(&self, field: Field, key: KeyEvent) -> Option<String> {
        let (text, limit) = self.limited(field)?;
        let types = matches!(key.code, KeyCode::Char(_) | KeyCode::Enter)
            && !key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        (types && !field::fits_one_more(text, limit)).then(|| field::full(limit))
    }

    fn field_key(&mut self, field: Field, key: KeyEvent) {
        let step = match key.code {
            KeyCode::Right | KeyCode::Char(' ') => 1,
            KeyCode::Left => -1,
            _ => 0,
        };
        match field {
            Field::Kind => {
                self.kind = match key.code {
                    KeyCode::Char('e') => TouchKind::Email,
                    KeyCode::Char('m') => TouchKind::Meeting,
                    KeyCode::Char('q') => TouchKind::Qbr,
                    KeyCode::Char('n') => TouchKind::Note,
                    _ => cycle(&LOG_KINDS, Some(self.kind), step).unwrap_or(self.kind),
                }
            }
            Field::Sentiment => {
                self.sentiment = match key.code {
                    KeyCode::Char('r' | 'R') => Some(Pulse::Red),
                    KeyCode::Char('y' | 'Y') => Some(Pulse::Yellow),
                    KeyCode::Char('g' | 'G') => Some(Pulse::Green),
                    _ => cycle(Pulse::ALL, self.sentiment, step),
                }
            }
            Field::Intervention => {
                let picked = match key.code {
                    KeyCode::Char(c @ '1'..='4') => {
                        Intervention::ALL.get(c as usize - '1' as usize).copied()
                    }
                    _ => cycle(Intervention::ALL, self.intervention, step),
                };
                if picked != self.intervention {
                    self.intervention = picked;
                    if picked == Some(Intervention::Escalation) {
                        self.escalated = true;
                    }
                }
            }
            Field::Escalated => match key.code {
                KeyCode::Char('y') => self.escalated = true,
                KeyCode::Char('n') => self.escalated = false,
                _ if step != 0 => self.escalated = !self.escalated,
                _ => {}
            },
            Field::Followup => {
                self.followup.handle_event(&Event::Key(key));
            }
            Field::Action => {
                self.action.handle_event(&Event::Key(key));
            }
            Field::Outcome => {
                self.outcome.handle_event(&Event::Key(key));
            }
            Field::Csat => {
                self.csat.handle_event(&Event::Key(key));
            }
            Field::Notes => {
                note_editor::edit(&mut self.notes, &mut self.notes_cursor, key);
            }
            Field::Person(i) => {
                let log = self.mode == Mode::Log;
                let Some(p) = self.people.get_mut(i) else {
                    return;
                };
                match key.code {
                    KeyCode::Char('+' | '=') => p.strength = step_up(Strength::ALL, p.strength, 1),
                    KeyCode::Char('-') => p.strength = step_up(Strength::ALL, p.strength, -1),
                    KeyCode::Char(']') => p.sentiment = step_up(Sentiment::ALL, p.sentiment, 1),
                    KeyCode::Char('[') => p.sentiment = step_up(Sentiment::ALL, p.sentiment, -1),
                    KeyCode::Char(' ') if log => p.took_part = !p.took_part,
                    _ => {}
                }
            }
        }
    }

    /// The tags, or every problem beside its field (nothing typed is touched).
    pub fn validate(&mut self) -> Option<(Tag, Vec<Tie>)> {
        self.errors.clear();
        if self.sentiment.is_none() {
            self.errors.push((
                Field::Sentiment,
                "required: r Red, y Yellow, g Green".into(),
            ));
        }
        if self.intervention.is_none() {
            self.errors
                .push((Field::Intervention, "required: ←/→ to choose".into()));
        }
        let followup = match parse_followup(self.followup.value(), self.today) {
            Ok(FollowupWhen::On(d)) => Some(d),
            Ok(FollowupWhen::None) => None,
            Err(e) => {
                self.errors.push((Field::Followup, e));
                None
            }
        };
        let csat = match parse_csat(self.csat.value()) {
            Ok(c) => c,
            Err(e) => {
                self.errors.push((Field::Csat, e));
                None
            }
        };
        // A prefill (the fix from the call's notes) may be longer than a field takes.
        for f in [Field::Action, Field::Outcome, Field::Notes] {
            if let Some(Err(e)) = self.limited(f).map(|(text, limit)| limit.check(text)) {
                self.errors.push((f, e));
            }
        }
        if let (Some(sentiment), Some(intervention), true) =
            (self.sentiment, self.intervention, self.errors.is_empty())
        {
            let tag = Tag {
                sentiment,
                intervention,
                followup_on: followup,
                followup_action: self.action.value().to_string(),
                outcome: self.outcome.value().to_string(),
                notes: self.notes.clone(),
                csat,
                escalated: self.escalated,
            };
            let ties = self
                .people
                .iter()
                .map(|p| Tie {
                    persona_id: p.id,
                    strength: p.strength,
                    sentiment: p.sentiment,
                })
                .collect();
            return Some((tag, ties));
        }
        let fields = self.fields();
        if let Some((f, _)) = self.errors.first() {
            self.focus = fields.iter().position(|x| x == f).unwrap_or(self.focus);
        }
        None
    }

    pub fn target(&self) -> Target {
        match self.mode {
            Mode::Call(id) => Target::Call(id),
            Mode::Correct(id) => Target::Correct(id),
            Mode::Log => Target::Log {
                account_id: self.account_id,
                kind: self.kind,
                participants: self
                    .people
                    .iter()
                    .filter(|p| p.took_part)
                    .map(|p| p.id)
                    .collect(),
            },
        }
    }

    fn error_of(&self, f: Field) -> Option<&str> {
        self.errors
            .iter()
            .find(|(x, _)| *x == f)
            .map(|(_, e)| e.as_str())
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        if area.width == 0 || area.height == 0 {
            return;
        }
        // A wide screen keeps the call's notes in view beside the form.
        let area = if area.width >= 110 && !self.call_notes.is_empty() {
            let [form, notes] =
                Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)])
                    .areas(area);
            self.draw_call_notes(frame, notes, theme);
            form
        } else {
            area
        };
        let focused = self.focused();
        let mut lines: Vec<Line> = Vec::new();
        let row = |f: Field, label: &str, value: Vec<Span<'static>>| {
            let on = f == focused;
            let mut spans = vec![
                Span::raw(if on { "▶ " } else { "  " }),
                Span::styled(
                    format!("{label:<13}"),
                    if on { theme.selected() } else { theme.header() },
                ),
                Span::raw(" "),
            ];
            spans.extend(value);
            Line::from(spans)
        };
        let text = |input: &Input, f: Field| {
            let v = input.value().to_string();
            if f == focused { format!("{v}▏") } else { v }
        };
        let choice = |v: String, f: Field| {
            if f == focused {
                format!("◀ {v} ▶")
            } else {
                v
            }
        };
        for f in self.fields() {
            let line = match f {
                Field::Kind => row(
                    f,
                    "Touch",
                    vec![Span::raw(choice(self.kind.label().into(), f))],
                ),
                Field::Sentiment => {
                    let v = match self.sentiment {
                        Some(p) => Span::styled(
                            choice(p.label().into(), f),
                            theme.pulse(Some(p)).add_modifier(Modifier::BOLD),
                        ),
                        None => Span::styled("— r/y/g".to_string(), theme.warn()),
                    };
                    lines.push(row(f, "Sentiment *", vec![v]));
                    // Beside it, the account's standing sentiment and what saving does to it.
                    let (effect, overturns) =
                        sentiment_effect(self.standing.as_ref(), self.sentiment);
                    let style = if overturns { theme.warn() } else { theme.dim() };
                    let room = usize::from(area.width.saturating_sub(2 + 16));
                    for l in super::format::wrap_hanging(&effect, room, 2) {
                        lines.push(Line::styled(format!("{:16}{l}", ""), style));
                    }
                    if let Some(e) = self.error_of(f) {
                        lines.push(Line::styled(format!("{:16}✗ {e}", ""), theme.danger()));
                    }
                    continue;
                }
                Field::Intervention => {
                    let v = self
                        .intervention
                        .map_or("— ←/→".to_string(), |i| choice(i.label().into(), f));
                    row(f, "Intervention*", vec![Span::raw(v)])
                }
                Field::Followup => {
                    let typed = text(&self.followup, f);
                    let mut spans = vec![Span::raw(typed)];
                    if let Ok(FollowupWhen::On(d)) =
                        parse_followup(self.followup.value(), self.today)
                    {
                        spans.push(Span::styled(
                            format!("  {}", d.format("%a %b %d")),
                            theme.dim(),
                        ));
                    }
                    if f == focused {
                        spans.push(Span::styled("  +2d fri YYYY-MM-DD none", theme.dim()));
                    }
                    row(f, "Follow-up *", spans)
                }
                Field::Action | Field::Outcome => {
                    let (label, input, limit) = if f == Field::Action {
                        ("Action", &self.action, limits::ACTION)
                    } else {
                        ("Outcome", &self.outcome, limits::OUTCOME)
                    };
                    let mut spans = vec![Span::raw(text(input, f))];
                    if f == focused {
                        spans.extend(field::counter(input.value(), limit, theme));
                    }
                    row(f, label, spans)
                }
                Field::Csat => row(f, "CSAT (1-5)", vec![Span::raw(text(&self.csat, f))]),
                Field::Escalated => row(
                    f,
                    "Escalated",
                    vec![Span::raw(choice(
                        if self.escalated { "yes" } else { "no" }.into(),
                        f,
                    ))],
                ),
                Field::Notes => {
                    let mut notes = self.notes.clone();
                    if f == focused {
                        note_editor::insert_at(&mut notes, self.notes_cursor, '▏');
                    }
                    let mut it = notes.split('\n');
                    let first = it.next().unwrap_or("").to_string();
                    lines.push(row(f, "Notes", vec![Span::raw(first)]));
                    for more in it {
                        lines.push(Line::raw(format!("{:16}{more}", "")));
                    }
                    if let Some(e) = self.error_of(f) {
                        lines.push(Line::styled(format!("{:16}✗ {e}", ""), theme.danger()));
                    }
                    continue;
                }
                Field::Person(i) => {
                    let Some(p) = self.people.get(i) else {
                        continue;
                    };
                    if i == 0 {
                        lines.push(Line::styled(
                            "  Participants (strength +/-, sentiment ]/[)",
                            theme.header(),
                        ));
                    }
                    let mark = if self.mode == Mode::Log {
                        if p.took_part { "[x] " } else { "[ ] " }
                    } else {
                        ""
                    };
                    let on = f == focused;
                    let name = super::format::pad(&format!("{mark}{}", p.name), 26);
                    Line::from(vec![
                        Span::raw(if on { "▶ " } else { "  " }),
                        Span::styled(name, if on { theme.selected() } else { theme.header() }),
                        Span::raw(" "),
                        Span::styled(p.strength.label().to_string(), theme.strength(p.strength)),
                        Span::raw(" · "),
                        Span::styled(
                            p.sentiment.label().to_string(),
                            theme.sentiment(p.sentiment),
                        ),
                    ])
                }
            };
            lines.push(line);
            if let Some(e) = self.error_of(f) {
                lines.push(Line::styled(format!("{:16}✗ {e}", ""), theme.danger()));
            }
        }
        // Keep the focused field in view on short screens.
        let focus_line = lines
            .iter()
            .position(|l| l.spans.first().is_some_and(|s| s.content == "▶ "))
            .unwrap_or(0) as u16;
        let inner_h = area.height.saturating_sub(2);
        let scroll = focus_line.saturating_sub(inner_h.saturating_sub(2));
        let title = match self.mode {
            Mode::Call(_) => " Wrap-up · Enter saves ",
            Mode::Log => " Log a touch · Enter saves ",
            Mode::Correct(_) => " Correct the touch (earlier values are kept) · Enter saves ",
        };
        frame.render_widget(Clear, area);
        let block = Block::new().borders(Borders::ALL).title(title);
        let mut inner = block.inner(area);
        frame.render_widget(block, area);
        if let Some(why) = &self.save_error {
            inner = note_editor::draw_unsaved_banner(frame, inner, theme, why);
        }
        frame.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .scroll((scroll, 0)),
            inner,
        );
    }
}

impl WrapUp {
    fn draw_call_notes(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let mut lines = Vec::new();
        for (step, note) in &self.call_notes {
            let title = crate::domain::checklist::Step::from_number(*step)
                .map_or(String::new(), |s| s.title().to_string());
            lines.push(Line::styled(format!("{step} {title}"), theme.header()));
            lines.extend(note.lines().map(|l| Line::raw(l.to_string())));
            lines.push(Line::raw(""));
        }
        frame.render_widget(Clear, area);
        frame.render_widget(
            Paragraph::new(lines).wrap(Wrap { trim: false }).block(
                Block::new()
                    .borders(Borders::ALL)
                    .title(" Noted during the call "),
            ),
            area,
        );
    }
}

fn is_text(f: Field) -> bool {
    matches!(
        f,
        Field::Followup | Field::Action | Field::Outcome | Field::Csat
    )
}

fn cycle<T: Copy + PartialEq>(all: &[T], current: Option<T>, step: i32) -> Option<T> {
    if step == 0 || all.is_empty() {
        return current;
    }
    let n = all.len() as i32;
    let i = match current.and_then(|c| all.iter().position(|x| *x == c)) {
        Some(i) => (i as i32 + step).rem_euclid(n),
        None if step > 0 => 0,
        None => n - 1,
    };
    all.get(i as usize).copied()
}

fn step_up<T: Copy + PartialEq>(all: &[T], current: T, step: i32) -> T {
    let i = all.iter().position(|x| *x == current).unwrap_or(0) as i32;
    let j = (i + step).clamp(0, all.len() as i32 - 1);
    all.get(j as usize).copied().unwrap_or(current)
}

impl WrapUp {
    /// The call ended and its tags were picked: the wrap-up form takes over, over the
    /// call. The wrap-up of this call typed when the app last closed comes back.
    pub fn after_call(
        prefill: &CallPrefill,
        cx: &mut super::screen::Cx,
    ) -> Result<super::screen::Reply> {
        let mut form = WrapUp::for_call(cx.store, prefill, &cx.as_of())?;
        if let Some(draft) = saved_draft(cx.store)?
            && form.restore(&draft)
        {
            cx.done("Restored the wrap-up you were typing (nothing was lost)");
        }
        Ok(super::screen::Reply::Push(Box::new(form)))
    }

    /// A logged touch or a correction left unsaved by the last run, as it was.
    pub fn unsaved_from_last_run(cx: &mut super::screen::Cx) -> Result<Option<WrapUp>> {
        let Some(draft) = saved_draft(cx.store)? else {
            return Ok(None);
        };
        let at = cx.as_of();
        let store = &*cx.store;
        let form = match draft.mode {
            // A call's draft comes back when its wrap-up opens again (resume the call).
            Mode::Call(_) => return Ok(None),
            Mode::Log => WrapUp::for_log(store, draft.account_id, &at),
            Mode::Correct(id) => WrapUp::for_correction(store, id, &at),
        };
        // The account or touch is gone: the draft has nowhere to go.
        let Ok(mut form) = form else {
            tagging::discard_draft(cx.store)?;
            return Ok(None);
        };
        form.restore(&draft);
        cx.done("Restored the unsaved form from when attuned last closed (Esc discards it)");
        Ok(Some(form))
    }

    /// Enter or Ctrl-S: the touch and its effects saved, the form (and a call under it)
    /// closed.
    fn submit(&mut self, cx: &mut super::screen::Cx) -> Result<super::screen::Reply> {
        use super::screen::Reply;
        let Some((tag, ties)) = self.validate() else {
            cx.problem("Not saved: see the marked fields (nothing typed was lost)");
            return Ok(Reply::Stay);
        };
        let target = self.target();
        tagging::save(cx.store, &target, &tag, &ties, &cx.as_of())?;
        let name = &self.account_name;
        let due = tag.followup_on.map_or("no follow-up".to_string(), |d| {
            format!("follow-up {}", d.format("%a %b %d"))
        });
        let (text, screens) = match target {
            // A call's wrap-up sits over the call, which sits over where it started.
            Target::Call(_) => (
                format!(
                    "Call with {name} tagged {}, {due}; its retrospective is pending (R on the portfolio)",
                    tag.sentiment.label()
                ),
                2,
            ),
            Target::Log { .. } => (
                format!(
                    "{} with {name} logged {}, {due}",
                    self.kind.label(),
                    tag.sentiment.label()
                ),
                1,
            ),
            Target::Correct(_) => (
                format!("Touch corrected ({due}); the earlier values are kept"),
                1,
            ),
        };
        cx.done(text);
        Ok(Reply::PopRead(screens))
    }
}

fn saved_draft(store: &crate::store::Store) -> Result<Option<Draft>> {
    Ok(tagging::draft(store)?.as_deref().and_then(Draft::from_json))
}

impl super::screen::Screen for WrapUp {
    fn context(&self) -> super::keymap::Context {
        super::keymap::Context::WrapUp
    }

    fn title(&self, _under: &str) -> String {
        WrapUp::title(self)
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &super::screen::DrawCx) {
        WrapUp::draw(self, frame, area, cx.theme);
    }

    /// The form reads its own keys (`on_text`).
    fn on_action(
        &mut self,
        _action: super::keymap::Action,
        _cx: &mut super::screen::Cx,
    ) -> Result<super::screen::Reply> {
        Ok(super::screen::Reply::Stay)
    }

    fn text_focus(&self) -> bool {
        true
    }

    fn on_text(
        &mut self,
        key: KeyEvent,
        cx: &mut super::screen::Cx,
    ) -> Result<super::screen::Reply> {
        use super::screen::Reply;
        // `?` opens help unless a text field would take it as a character.
        if key.code == KeyCode::Char('?') && !self.takes_text() {
            return Ok(Reply::Help);
        }
        match self.key(key) {
            FormKey::Cancel => {
                if let Err(e) = tagging::discard_draft(cx.store) {
                    cx.problem(e.to_string());
                }
                cx.done("Nothing saved");
                return Ok(Reply::Pop);
            }
            FormKey::Submit => return self.submit(cx),
            // Typed or chosen: written once the burst of keys is over (`flush`).
            FormKey::Stay | FormKey::Saved(_) | FormKey::Move(_) => self.dirty = true,
        }
        Ok(Reply::Stay)
    }

    fn on_paste(&mut self, text: &str, _cx: &mut super::screen::Cx) -> Result<bool> {
        let took = self.paste(text);
        self.dirty |= took;
        Ok(took)
    }

    fn text_hints(&self) -> Option<Vec<(&'static str, &'static str)>> {
        Some(self.hints())
    }

    /// Keeps the form as typed in the file; a failed write is said in the form and tried
    /// again on the next key or tick.
    fn flush(&mut self, cx: &mut super::screen::Cx) {
        if !self.dirty && self.save_error.is_none() {
            return;
        }
        let json = self.draft().to_json();
        self.save_error = tagging::save_draft(cx.store, &json)
            .err()
            .map(|e| e.to_string());
        self.dirty = self.save_error.is_some();
    }

    fn unsaved(&self) -> bool {
        self.save_error.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::account::PulseEntry;
    use chrono::{TimeZone, Utc};

    fn entry(pulse: Pulse, day: u32, reason: &str, touch: Option<i64>) -> PulseEntry {
        PulseEntry {
            pulse,
            reason: (!reason.is_empty()).then(|| reason.to_string()),
            set_at: Utc.with_ymd_and_hms(2026, 11, day, 12, 0, 0).unwrap(),
            touch_id: touch,
        }
    }

    #[test]
    fn the_standing_sentiment_dates_its_run_and_keeps_the_deliberate_reason() {
        // Newest first: two calls tagged Red after a Red set on purpose, before that Green.
        let history = [
            entry(Pulse::Red, 20, "tagged after a call", Some(9)),
            entry(Pulse::Red, 10, "tagged after a call", Some(8)),
            entry(Pulse::Red, 2, "exec sponsor left", None),
            entry(Pulse::Green, 1, "kickoff went well", None),
        ];
        let s = Standing::of(&history, None).unwrap();
        assert_eq!(s.pulse, Pulse::Red);
        assert_eq!(s.since.to_string(), "2026-11-02");
        assert_eq!(s.reason.as_deref(), Some("exec sponsor left"));
        let (text, loud) = sentiment_effect(Some(&s), Some(Pulse::Green));
        assert_eq!(
            text,
            "Saving changes CSM sentiment Red → Green (Red since 2026-11-02: exec sponsor left)"
        );
        assert!(loud);
        let (text, loud) = sentiment_effect(Some(&s), Some(Pulse::Red));
        assert!(text.starts_with("CSM sentiment stays Red since"), "{text}");
        assert!(!loud);
        let (text, _) = sentiment_effect(Some(&s), None);
        assert!(text.starts_with("CSM sentiment now Red since"), "{text}");
        assert_eq!(
            sentiment_effect(None, Some(Pulse::Yellow)).0,
            "CSM sentiment never set: saving sets it to Yellow"
        );
    }

    #[test]
    fn a_correction_changes_the_standing_sentiment_only_when_its_entry_is_the_newest() {
        let history = [
            entry(Pulse::Red, 20, "set on purpose", None),
            entry(Pulse::Green, 10, "tagged after a call", Some(8)),
        ];
        // Correcting touch 8 amends an older entry: the Red stands.
        let s = Standing::of(&history, Some(8)).unwrap();
        let (text, loud) = sentiment_effect(Some(&s), Some(Pulse::Yellow));
        assert!(!loud, "{text}");
        assert!(text.contains("stays Red"), "{text}");
        // Correcting the touch that set the current one changes it.
        let history = [entry(Pulse::Red, 20, "tagged after a call", Some(8))];
        let s = Standing::of(&history, Some(8)).unwrap();
        assert!(sentiment_effect(Some(&s), Some(Pulse::Green)).1);
        assert_eq!(Standing::of(&[], None), None);
    }
}
