//! The form that adds or edits a persona. Text fields take every printable key; Tab and
//! the arrows move between fields, ←/→ (or a first letter) pick in a choice field,
//! Enter saves, Esc cancels. A refused save keeps everything typed and says why inline.

use crossterm::event::{Event, KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use super::field;
use super::screen::FormKey;
use super::theme::Theme;
use crate::domain::limits::{self, Limit};
use crate::domain::model::{Role, Sentiment, Strength};
use crate::domain::roles;
use crate::error::Result;
use crate::store::Store;
use crate::store::persona::{PersonaFields, PersonaRecord, validate};
use crate::store::summary::AsOf;

pub enum FieldKind {
    Text(Input),
    Choice { options: Vec<String>, index: usize },
}

pub struct Field {
    pub label: &'static str,
    pub kind: FieldKind,
}

pub struct PersonaForm {
    /// None for a new persona.
    pub persona_id: Option<i64>,
    pub fields: Vec<Field>,
    pub focus: usize,
    pub error: Option<String>,
    /// The persona ids behind the "Reports to" options (index 0 is nobody).
    managers: Vec<Option<i64>>,
    /// The role is the import's guess from the title, until the CSM picks one.
    role_guessed: bool,
}

const NAME: usize = 0;
const TITLE: usize = 1;
const EMAIL: usize = 2;
const ROLE: usize = 3;
const REPORTS_TO: usize = 4;
const STRENGTH: usize = 5;
const SENTIMENT: usize = 6;
const WHY: usize = 7;
const NOTES: usize = 8;

/// The length limit of the text field at `i`.
fn limit_of(i: usize) -> Option<Limit> {
    match i {
        NAME => Some(limits::NAME),
        TITLE => Some(limits::TITLE),
        EMAIL => Some(limits::EMAIL),
        WHY => Some(limits::REASON),
        NOTES => Some(limits::NOTES),
        _ => None,
    }
}

fn text(label: &'static str, value: Option<&str>) -> Field {
    Field {
        label,
        kind: FieldKind::Text(Input::new(value.unwrap_or_default().to_string())),
    }
}

fn choice(label: &'static str, options: Vec<String>, index: usize) -> Field {
    Field {
        label,
        kind: FieldKind::Choice { options, index },
    }
}

impl PersonaForm {
    /// `candidates` are the account's current personas (id, name) who may be managers.
    pub fn new(existing: Option<&PersonaRecord>, candidates: &[(i64, String)]) -> PersonaForm {
        let me = existing.map(|p| p.id);
        let mut managers = vec![None];
        let mut manager_names = vec!["(nobody)".to_string()];
        for (id, name) in candidates.iter().filter(|(id, _)| Some(*id) != me) {
            managers.push(Some(*id));
            manager_names.push(name.clone());
        }
        let pos = |v: Option<i64>| managers.iter().position(|m| *m == v).unwrap_or(0);
        let role = existing.map_or(Role::Other, |p| p.role);
        let role_guessed = existing.is_some_and(|p| p.role_guessed);
        let strength = existing.map_or(Strength::None, |p| p.strength);
        let sentiment = existing.map_or(Sentiment::Neutral, |p| p.sentiment);
        let fields = vec![
            text("Name", existing.map(|p| p.name.as_str())),
            text("Title", existing.and_then(|p| p.title.as_deref())),
            text("Email", existing.and_then(|p| p.email.as_deref())),
            choice(
                "Role",
                Role::ALL
                    .iter()
                    .map(|r| roles::shown(*r, role_guessed && *r == role))
                    .collect(),
                Role::ALL.iter().position(|r| *r == role).unwrap_or(0),
            ),
            choice(
                "Reports to",
                manager_names,
                pos(existing.and_then(|p| p.reports_to_id)),
            ),
            choice(
                "Strength",
                Strength::ALL
                    .iter()
                    .map(|s| s.label().to_string())
                    .collect(),
                Strength::ALL
                    .iter()
                    .position(|s| *s == strength)
                    .unwrap_or(0),
            ),
            choice(
                "Sentiment",
                Sentiment::ALL
                    .iter()
                    .map(|s| s.label().to_string())
                    .collect(),
                Sentiment::ALL
                    .iter()
                    .position(|s| *s == sentiment)
                    .unwrap_or(0),
            ),
            text("Why (optional)", None),
            text("Notes", existing.and_then(|p| p.notes.as_deref())),
        ];
        PersonaForm {
            persona_id: me,
            fields,
            focus: 0,
            error: None,
            managers,
            role_guessed,
        }
    }

    fn text_of(&self, i: usize) -> Option<String> {
        match &self.fields.get(i)?.kind {
            FieldKind::Text(input) => {
                Some(input.value().to_string()).filter(|s| !s.trim().is_empty())
            }
            FieldKind::Choice { .. } => None,
        }
    }

    fn index_of(&self, i: usize) -> usize {
        match self.fields.get(i).map(|f| &f.kind) {
            Some(FieldKind::Choice { index, .. }) => *index,
            _ => 0,
        }
    }

    /// What the form holds now.
    pub fn values(&self) -> PersonaFields {
        PersonaFields {
            name: self.text_of(NAME).unwrap_or_default(),
            title: self.text_of(TITLE),
            email: self.text_of(EMAIL),
            role: Role::ALL.get(self.index_of(ROLE)).copied(),
            role_guessed: self.role_guessed,
            reports_to_id: self
                .managers
                .get(self.index_of(REPORTS_TO))
                .copied()
                .flatten(),
            strength: Strength::ALL.get(self.index_of(STRENGTH)).copied(),
            sentiment: Sentiment::ALL.get(self.index_of(SENTIMENT)).copied(),
            notes: self.text_of(NOTES),
        }
    }

    pub fn reason(&self) -> Option<String> {
        self.text_of(WHY)
    }

    /// Writes the form (a new persona on `account_id`, or the edit); the persona's id.
    pub fn save(&self, store: &mut Store, account_id: i64, at: &AsOf) -> Result<i64> {
        let values = self.values();
        match self.persona_id {
            Some(id) => store
                .edit_persona(id, &values, self.reason().as_deref(), at)
                .map(|()| id),
            None => store.add_persona(account_id, &values, at),
        }
    }

    /// A paste into the focused text field; false when a choice has focus.
    pub fn paste(&mut self, pasted: &str) -> bool {
        match self.fields.get_mut(self.focus).map(|f| &mut f.kind) {
            Some(FieldKind::Text(input)) => {
                self.error = None;
                super::note_editor::paste_into(input, pasted);
                true
            }
            _ => false,
        }
    }

    pub fn key(&mut self, key: KeyEvent) -> FormKey {
        let n = self.fields.len();
        // A message about the last save attempt goes once the CSM acts on it.
        self.error = None;
        match key.code {
            KeyCode::Esc => return FormKey::Cancel,
            KeyCode::Enter => match validate(&self.values()) {
                Ok(()) => return FormKey::Submit,
                Err(e) => {
                    let about = e.to_lowercase();
                    self.focus = [NAME, TITLE, NOTES]
                        .into_iter()
                        .find(|i| limit_of(*i).is_some_and(|l| about.starts_with(l.what)))
                        .unwrap_or(if about.contains("name") { NAME } else { EMAIL });
                    self.error = Some(e);
                }
            },
            KeyCode::Tab | KeyCode::Down => self.focus = (self.focus + 1) % n,
            KeyCode::BackTab | KeyCode::Up => self.focus = (self.focus + n - 1) % n,
            _ => {
                if self.focus == ROLE && self.role_guessed {
                    // Picking a role, even the guessed one again, makes it the CSM's.
                    self.role_guessed = false;
                    if let Some(FieldKind::Choice { options, .. }) =
                        self.fields.get_mut(ROLE).map(|f| &mut f.kind)
                    {
                        *options = Role::ALL.iter().map(|r| r.label().to_string()).collect();
                    }
                }
                let Some(field) = self.fields.get_mut(self.focus) else {
                    return FormKey::Stay;
                };
                match &mut field.kind {
                    FieldKind::Text(input) => match limit_of(self.focus) {
                        Some(limit) => self.error = field::type_into(input, key, limit),
                        None => {
                            input.handle_event(&Event::Key(key));
                        }
                    },
                    FieldKind::Choice { options, index } => {
                        let len = options.len().max(1);
                        match key.code {
                            KeyCode::Right | KeyCode::Char(' ') => *index = (*index + 1) % len,
                            KeyCode::Left => *index = (*index + len - 1) % len,
                            KeyCode::Char(c) => {
                                let c = c.to_ascii_lowercase();
                                let from = *index + 1;
                                if let Some(j) = (0..len)
                                    .map(|k| (from + k) % len)
                                    .find(|j| options[*j].to_lowercase().starts_with(c))
                                {
                                    *index = j;
                                }
                            }
                            _ => {}
                        }
                    }
                }
            }
        }
        FormKey::Stay
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let width = area.width.saturating_sub(2).min(70);
        // The fields, a blank line, the hint or the error (a line to wrap into), borders.
        let height = area.height.min(self.fields.len() as u16 + 5);
        let popup = Rect::new(
            area.x + (area.width.saturating_sub(width)) / 2,
            area.y,
            width,
            height,
        );
        let title = if self.persona_id.is_some() {
            " Edit persona "
        } else {
            " Add persona "
        };
        let mut lines = Vec::new();
        // One line a field, inside the box: a long value shows its end while typed in
        // (where the cursor is), its start otherwise.
        let inner = usize::from(width.saturating_sub(2));
        for (i, f) in self.fields.iter().enumerate() {
            let focused = i == self.focus;
            let marker = if focused { "▶" } else { " " };
            let counter = match (focused, &f.kind, limit_of(i)) {
                (true, FieldKind::Text(input), Some(limit)) => {
                    field::counter(input.value(), limit, theme)
                }
                _ => None,
            };
            let room = inner
                .saturating_sub(17)
                .saturating_sub(counter.as_ref().map_or(0, |c| c.width()));
            let value = match &f.kind {
                FieldKind::Text(input) => {
                    let v = input.value().to_string();
                    if focused {
                        super::format::fit_end(&format!("{v}▏"), room)
                    } else {
                        super::format::fit(&v, room)
                    }
                }
                FieldKind::Choice { options, index } => {
                    let v = options.get(*index).cloned().unwrap_or_default();
                    let v = if focused { format!("◀ {v} ▶") } else { v };
                    super::format::fit(&v, room)
                }
            };
            let label_style = if focused {
                theme.selected()
            } else {
                theme.header()
            };
            let mut spans = vec![
                Span::raw(marker),
                Span::styled(format!("{:<15}", f.label), label_style),
                Span::raw(" "),
                Span::raw(value),
            ];
            spans.extend(counter);
            lines.push(Line::from(spans));
        }
        lines.push(Line::raw(""));
        match &self.error {
            Some(e) => lines.push(Line::styled(format!("✗ {e}"), theme.danger())),
            None => lines.push(Line::styled(
                super::keymap::field_legend(super::keymap::PERSONA_FORM),
                theme.dim(),
            )),
        }
        frame.render_widget(Clear, popup);
        frame.render_widget(
            Paragraph::new(lines)
                .block(Block::new().borders(Borders::ALL).title(title))
                .wrap(Wrap { trim: false }),
            popup,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyModifiers;

    fn k(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn a_refused_save_keeps_what_was_typed() {
        let mut f = PersonaForm::new(None, &[(7, "Ava".into())]);
        assert_eq!(f.key(k(KeyCode::Enter)), FormKey::Stay);
        assert!(f.error.as_deref().unwrap_or("").contains("name"));
        for c in "Kim q".chars() {
            f.key(k(KeyCode::Char(c)));
        }
        f.key(k(KeyCode::Tab));
        f.key(k(KeyCode::Tab));
        for c in "kim-at-x".chars() {
            f.key(k(KeyCode::Char(c)));
        }
        assert_eq!(f.key(k(KeyCode::Enter)), FormKey::Stay);
        assert!(f.error.as_deref().unwrap_or("").contains("email"));
        assert_eq!(f.values().name, "Kim q");
        assert_eq!(f.values().email.as_deref(), Some("kim-at-x"));
        // Choices: role by first letter, manager with →.
        f.focus = ROLE;
        f.key(k(KeyCode::Char('c')));
        f.focus = REPORTS_TO;
        f.key(k(KeyCode::Right));
        let v = f.values();
        assert_eq!(v.role, Some(Role::Champion));
        assert_eq!(v.reports_to_id, Some(7));
        assert_eq!(f.key(k(KeyCode::Esc)), FormKey::Cancel);
    }

    #[test]
    fn a_guessed_role_shows_as_one_until_the_csm_picks_a_role() {
        let guessed = PersonaRecord {
            id: 1,
            account_id: 2,
            name: "Ann".into(),
            title: Some("CFO".into()),
            email: None,
            role: Role::EconomicBuyer,
            role_guessed: true,
            reports_to_id: None,
            reports_to: None,
            strength: Strength::None,
            sentiment: Sentiment::Neutral,
            last_contact_at: None,
            notes: None,
            archived: false,
        };
        let mut f = PersonaForm::new(Some(&guessed), &[]);
        let shown = |f: &PersonaForm| match &f.fields[ROLE].kind {
            FieldKind::Choice { options, index } => options[*index].clone(),
            FieldKind::Text(_) => String::new(),
        };
        assert_eq!(shown(&f), "Economic buyer?");
        // Editing another field keeps the guess a guess.
        f.focus = TITLE;
        f.key(k(KeyCode::Char('x')));
        assert!(f.values().role_guessed);
        // Picking the role, even the same one again, makes it the CSM's.
        f.focus = ROLE;
        f.key(k(KeyCode::Right));
        f.key(k(KeyCode::Left));
        assert_eq!(shown(&f), "Economic buyer");
        let v = f.values();
        assert_eq!((v.role, v.role_guessed), (Some(Role::EconomicBuyer), false));
    }
}
