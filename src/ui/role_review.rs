//! The role review pass (set-up item 2): every role guessed from a title, account by
//! account. Enter confirms the guess, 1-9 pick another role, `n`/`p` skip and go back;
//! each key is saved at once, and the count left is always on screen.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::format::pad;
use super::keymap::{Action, Context};
use super::screen::{Cx, DrawCx, Reply, Screen};
use crate::domain::model::Role;
use crate::domain::roles;
use crate::error::Result;
use crate::store::Store;
use crate::store::setup::{self, Guess};

pub struct RoleReview {
    pub items: Vec<Guess>,
    /// What the CSM made of each guess this pass (None: still a guess).
    pub settled: Vec<Option<Role>>,
    pub selected: usize,
    /// Guesses left in the whole book, and the accounts they are in.
    pub left: i64,
    pub left_accounts: i64,
}

impl RoleReview {
    pub fn load(store: &Store) -> Result<RoleReview> {
        let items = setup::guesses(store.conn())?;
        let mut review = RoleReview {
            settled: vec![None; items.len()],
            items,
            selected: 0,
            left: 0,
            left_accounts: 0,
        };
        review.recount(store)?;
        Ok(review)
    }

    fn recount(&mut self, store: &Store) -> Result<()> {
        let counts = setup::counts(store.conn())?;
        self.left = counts.guessed_roles;
        self.left_accounts = counts.guessed_accounts;
        Ok(())
    }

    /// "37 guesses left in 12 accounts".
    pub fn left_line(&self) -> String {
        match self.left {
            0 => "No guessed role left: every role is yours".to_string(),
            n => format!(
                "{n} guess{} left in {} account{}",
                if n == 1 { "" } else { "es" },
                self.left_accounts,
                if self.left_accounts == 1 { "" } else { "s" }
            ),
        }
    }

    /// The next guess not settled yet after the cursor (or the last one).
    fn advance(&mut self) {
        let next = (self.selected + 1..self.items.len()).find(|&i| self.settled[i].is_none());
        self.selected = next.unwrap_or(self.selected);
    }

    /// Makes the selected guess the CSM's role (`None`: the guess as it is).
    fn settle(&mut self, role: Option<Role>, cx: &mut Cx) -> Result<()> {
        let Some(guess) = self.items.get(self.selected) else {
            return Ok(());
        };
        let role = role.unwrap_or(guess.role);
        let saved = cx.store.settle_role(guess.persona_id, role, &cx.as_of())?;
        if saved {
            cx.done(format!("{}: {}", guess.name, role.label()));
        } else {
            // Changed meanwhile (the account workspace): that role is the CSM's.
            cx.problem(format!(
                "{}'s role was already set; left as it is",
                guess.name
            ));
        }
        self.settled[self.selected] = Some(role);
        self.recount(cx.store)?;
        self.advance();
        Ok(())
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, cx: &DrawCx) {
        let theme = cx.theme;
        let mut lines = vec![
            Line::styled(format!(" {}", self.left_line()), theme.title()),
            Line::styled(
                format!(" {}", super::keymap::legend(Context::RoleReview)),
                theme.dim(),
            ),
        ];
        let keys: Vec<String> = Role::ALL
            .iter()
            .enumerate()
            .map(|(i, r)| format!("{} {}", i + 1, r.label()))
            .collect();
        for line in wrap(&keys, area.width.saturating_sub(3) as usize) {
            lines.push(Line::styled(line, theme.dim()));
        }
        if self.items.is_empty() {
            lines.push(Line::raw(""));
            lines.push(Line::raw(
                " No role to review: guesses come from titles when contacts are imported.",
            ));
        }
        // The count and the keys stay on top; only the list under them scrolls.
        let block = Block::new().borders(Borders::ALL).title(" Role review ");
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let head_h = (lines.len() as u16).min(inner.height);
        let [head, body] =
            Layout::vertical([Constraint::Length(head_h), Constraint::Min(0)]).areas(inner);
        frame.render_widget(Paragraph::new(lines), head);
        let mut lines: Vec<Line> = Vec::new();
        let name_w = (area.width as usize / 4).clamp(8, 28);
        let title_w = (area.width as usize / 3).clamp(8, 40);
        let mut selected_line = 0;
        let mut last_account = None;
        for (i, g) in self.items.iter().enumerate() {
            if last_account != Some(g.account_id) {
                last_account = Some(g.account_id);
                lines.push(Line::styled(format!(" {}", g.account), theme.header()));
            }
            let on = i == self.selected;
            if on {
                selected_line = lines.len();
            }
            let (role, mark) = match self.settled[i] {
                Some(role) => (role.label().to_string(), "✓"),
                None => (roles::shown(g.role, true), " "),
            };
            let text = format!(
                "{}{} {}  {}  {}",
                if on { "▶" } else { " " },
                mark,
                pad(&g.name, name_w),
                pad(g.title.as_deref().unwrap_or("—"), title_w),
                role,
            );
            lines.push(if on {
                Line::styled(text, theme.selected())
            } else {
                Line::from(Span::raw(text))
            });
        }
        let scroll = selected_line.saturating_sub((body.height as usize).saturating_sub(2));
        frame.render_widget(
            Paragraph::new(lines).scroll((u16::try_from(scroll).unwrap_or(u16::MAX), 0)),
            body,
        );
    }
}

/// The role keys in lines of at most `width` columns, " · " between them.
fn wrap(items: &[String], width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for item in items {
        if !line.is_empty() && line.chars().count() + 3 + item.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        line.push_str(if line.is_empty() { " " } else { " · " });
        line.push_str(item);
    }
    lines.push(line);
    lines
}

impl Screen for RoleReview {
    fn context(&self) -> Context {
        Context::RoleReview
    }

    fn title(&self, under: &str) -> String {
        format!("{under} › Roles")
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &DrawCx) {
        RoleReview::draw(self, frame, area, cx);
    }

    fn on_action(&mut self, action: Action, cx: &mut Cx) -> Result<Reply> {
        let last = self.items.len().saturating_sub(1);
        match action {
            Action::RoleConfirm => self.settle(None, cx)?,
            Action::RoleSet(role) => self.settle(Some(role), cx)?,
            Action::Down => self.selected = (self.selected + 1).min(last),
            Action::Up => self.selected = self.selected.saturating_sub(1),
            Action::PageDown => self.selected = (self.selected + 10).min(last),
            Action::PageUp => self.selected = self.selected.saturating_sub(10),
            Action::Top => self.selected = 0,
            Action::Bottom => self.selected = last,
            Action::Back => return Ok(Reply::PopRead(1)),
            Action::Quit => return Ok(Reply::Quit),
            _ => {}
        }
        Ok(Reply::Stay)
    }
}
