//! The triage pass (set-up item 3): the accounts without a CSM sentiment or with an
//! unrated key persona, one by one. `g` sets Green; `r` and `y` ask for the reason the
//! rule requires (typed, then Enter); 1-4 rate the key persona under the cursor, which
//! then moves on; Enter goes to the next account. Every key is saved at once.
//!
//! The common path is five keys at most: `g`, one digit for each of up to three key
//! personas, Enter. Red and Yellow add their reason and one Enter.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use tui_input::Input;

use super::format::pad;
use super::keymap::{Action, Context};
use super::screen::{Cx, DrawCx, Open, Reply, Screen};
use crate::domain::model::{Pulse, Strength};
use crate::domain::{limits, money, roles};
use crate::error::Result;
use crate::store::Store;
use crate::store::setup::{self, TriageCard};

/// The reason typed for Red or Yellow, before it is saved with the color.
pub struct Reason {
    pub pulse: Pulse,
    pub input: Input,
}

pub struct Triage {
    /// The accounts of this pass, as they were when it opened.
    pub queue: Vec<i64>,
    pub at: usize,
    /// The account at `at` (None past the last one).
    pub card: Option<TriageCard>,
    /// The key persona the digits rate.
    pub cursor: usize,
    pub reason: Option<Reason>,
    pub error: Option<String>,
}

impl Triage {
    pub fn load(store: &Store) -> Result<Triage> {
        let queue = setup::triage_queue(store.conn())?;
        let mut triage = Triage {
            queue,
            at: 0,
            card: None,
            cursor: 0,
            reason: None,
            error: None,
        };
        triage.read_card(store)?;
        Ok(triage)
    }

    fn read_card(&mut self, store: &Store) -> Result<()> {
        self.card = match self.queue.get(self.at) {
            Some(&id) => Some(setup::triage_card(store.conn(), id)?),
            None => None,
        };
        let personas = self.card.as_ref().map_or(0, |c| c.personas.len());
        self.cursor = self.cursor.min(personas.saturating_sub(1));
        Ok(())
    }

    fn go(&mut self, at: usize, store: &Store) -> Result<()> {
        self.at = at.min(self.queue.len());
        self.cursor = 0;
        self.reason = None;
        self.error = None;
        self.read_card(store)
    }

    /// "Account 4 of 31".
    pub fn progress(&self) -> String {
        let n = self.queue.len();
        if self.at >= n {
            return format!("All {n} account{} triaged", if n == 1 { "" } else { "s" });
        }
        format!("Account {} of {n}", self.at + 1)
    }

    fn set_pulse(&mut self, pulse: Pulse, reason: Option<&str>, cx: &mut Cx) -> Result<()> {
        let Some(card) = &self.card else {
            return Ok(());
        };
        cx.store
            .set_account_pulse(card.account_id, pulse, reason, &cx.as_of())?;
        cx.done(format!("{}: {}", card.name, pulse.label()));
        self.read_card(cx.store)
    }

    fn pulse_key(&mut self, pulse: Pulse, cx: &mut Cx) -> Result<()> {
        if self.card.is_none() {
            return Ok(());
        }
        if pulse.needs_reason() {
            self.reason = Some(Reason {
                pulse,
                input: Input::default(),
            });
            self.error = None;
            return Ok(());
        }
        self.set_pulse(pulse, None, cx)
    }

    fn rate(&mut self, strength: Strength, cx: &mut Cx) -> Result<()> {
        let Some(p) = self.card.as_ref().and_then(|c| c.personas.get(self.cursor)) else {
            return Ok(());
        };
        let (id, name, sentiment) = (p.id, p.name.clone(), p.sentiment);
        cx.store
            .change_persona_tie(id, strength, sentiment, None, &cx.as_of())?;
        cx.done(format!("{name}: {}", strength.label()));
        self.read_card(cx.store)?;
        let personas = self.card.as_ref().map_or(0, |c| c.personas.len());
        self.cursor = (self.cursor + 1).min(personas.saturating_sub(1));
        Ok(())
    }

    /// A key in the reason field: Enter saves the color with it, Esc drops both.
    fn reason_key(&mut self, key: KeyEvent, cx: &mut Cx) -> Result<Reply> {
        let Some(reason) = self.reason.as_mut() else {
            return Ok(Reply::Stay);
        };
        if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
            return Ok(Reply::Quit);
        }
        match key.code {
            KeyCode::Esc => {
                self.reason = None;
                self.error = None;
            }
            KeyCode::Enter => {
                let typed = reason.input.value().trim().to_string();
                let pulse = reason.pulse;
                if typed.is_empty() {
                    self.error = Some(format!(
                        "{} needs a reason: what is wrong, in a few words",
                        pulse.label()
                    ));
                } else if let Err(why) = limits::REASON.check(&typed) {
                    self.error = Some(why);
                } else {
                    self.set_pulse(pulse, Some(&typed), cx)?;
                    self.reason = None;
                    self.error = None;
                }
            }
            _ => self.error = super::field::type_into(&mut reason.input, key, limits::REASON),
        }
        Ok(Reply::Stay)
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, cx: &DrawCx) {
        let theme = cx.theme;
        let mut lines = vec![Line::styled(format!(" {}", self.progress()), theme.title())];
        lines.push(Line::styled(
            format!(" {}", super::keymap::legend(Context::Triage)),
            theme.dim(),
        ));
        lines.push(Line::raw(""));
        let Some(card) = &self.card else {
            lines.push(Line::raw(if self.queue.is_empty() {
                " Nothing to triage: every account has a CSM sentiment and rated key personas."
            } else {
                " Done. p goes back to the last account, Esc to the checklist."
            }));
            return render(frame, area, lines);
        };
        lines.push(Line::styled(format!(" {}", card.name), theme.header()));
        let value = match card.contract_value {
            0 => "no contract value".to_string(),
            cents => money::full(cents),
        };
        lines.push(Line::raw(format!(
            " {value} · renewal {}",
            super::format::renewal(card.renewal_date, cx.today)
        )));
        lines.push(Line::from(vec![
            Span::raw(" CSM sentiment: "),
            Span::styled(
                card.pulse.map_or("not set", |p| p.label()),
                theme.pulse(card.pulse),
            ),
        ]));
        if let Some(reason) = &self.reason {
            lines.push(Line::from(vec![
                Span::styled(format!(" {} because: ", reason.pulse.label()), theme.key()),
                Span::raw(format!("{}▏", reason.input.value())),
                Span::styled("  Enter saves · Esc cancels", theme.dim()),
            ]));
        }
        if let Some(e) = &self.error {
            lines.push(Line::styled(format!(" ✗ {e}"), theme.danger()));
        }
        lines.push(Line::raw(""));
        if card.personas.is_empty() {
            lines.push(Line::styled(
                " No key persona (champion, economic buyer, executive sponsor) yet.",
                theme.dim(),
            ));
        }
        let name_w = (area.width as usize / 4).clamp(8, 26);
        let role_w = 19;
        // The title takes what is left of the row (inside the borders), cut with "…"
        // rather than wrapped under the next persona's name.
        let title_w = usize::from(area.width.saturating_sub(2))
            .saturating_sub(2 + name_w + 2 + role_w + 2 + 9 + 2);
        for (i, p) in card.personas.iter().enumerate() {
            let on = i == self.cursor;
            let text = format!(
                "{} {}  {}  {}  {}",
                if on { "▶" } else { " " },
                pad(&p.name, name_w),
                pad(&roles::shown(p.role, p.role_guessed), role_w),
                pad(
                    if p.rated {
                        p.strength.label()
                    } else {
                        "not rated"
                    },
                    9
                ),
                super::format::fit(p.title.as_deref().unwrap_or(""), title_w),
            );
            lines.push(if on {
                Line::styled(text, theme.selected())
            } else {
                Line::raw(text)
            });
        }
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            " Strength: 1 None · 2 Weak · 3 Okay · 4 Very good",
            theme.dim(),
        ));
        render(frame, area, lines);
    }
}

fn render(frame: &mut Frame, area: Rect, lines: Vec<Line<'static>>) {
    frame.render_widget(
        Paragraph::new(lines)
            .block(Block::new().borders(Borders::ALL).title(" Triage "))
            .wrap(Wrap { trim: false }),
        area,
    );
}

impl Screen for Triage {
    fn context(&self) -> Context {
        Context::Triage
    }

    fn title(&self, under: &str) -> String {
        format!("{under} › Triage")
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &DrawCx) {
        Triage::draw(self, frame, area, cx);
    }

    fn on_action(&mut self, action: Action, cx: &mut Cx) -> Result<Reply> {
        let personas = self.card.as_ref().map_or(0, |c| c.personas.len());
        match action {
            Action::TriagePulse(pulse) => self.pulse_key(pulse, cx)?,
            Action::TriageStrength(strength) => self.rate(strength, cx)?,
            Action::TriageNext => self.go(self.at + 1, cx.store)?,
            Action::TriagePrev => self.go(self.at.saturating_sub(1), cx.store)?,
            Action::Down => self.cursor = (self.cursor + 1).min(personas.saturating_sub(1)),
            Action::Up => self.cursor = self.cursor.saturating_sub(1),
            Action::Open => {
                let account = self.card.as_ref().map(|c| Open::Account(c.account_id));
                return Ok(account.into());
            }
            Action::Back => return Ok(Reply::PopRead(1)),
            Action::Quit => return Ok(Reply::Quit),
            _ => {}
        }
        Ok(Reply::Stay)
    }

    fn text_focus(&self) -> bool {
        self.reason.is_some()
    }

    fn on_text(&mut self, key: KeyEvent, cx: &mut Cx) -> Result<Reply> {
        self.reason_key(key, cx)
    }

    fn on_paste(&mut self, text: &str, _cx: &mut Cx) -> Result<bool> {
        let Some(reason) = self.reason.as_mut() else {
            return Ok(false);
        };
        super::note_editor::paste_into(&mut reason.input, text);
        Ok(true)
    }

    fn text_hints(&self) -> Option<Vec<(&'static str, &'static str)>> {
        self.reason
            .is_some()
            .then(|| super::keymap::TRIAGE_REASON.to_vec())
    }

    fn on_resume(&mut self, cx: &mut Cx) -> Result<()> {
        self.read_card(cx.store)
    }
}
