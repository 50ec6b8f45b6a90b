//! The set-up checklist of a freshly imported book (`b` on the portfolio): three items
//! with what is left of each, ticked when done. 1 opens the values and renewals table
//! (or the command that imports them), 2 the role review, 3 the triage pass.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::format::count;
use super::keymap::{Action, Context};
use super::screen::{Cx, DrawCx, Open, Reply, Screen};
use crate::error::Result;
use crate::store::Store;
use crate::store::setup::{self, SetupCounts};

pub struct SetUpView {
    pub counts: SetupCounts,
    /// The item Enter opens (0, 1, 2).
    pub selected: usize,
}

/// The screens of the three items, in order.
const ITEMS: [fn() -> Open; 3] = [|| Open::ValueTable, || Open::RoleReview, || Open::Triage];

impl SetUpView {
    pub fn load(store: &Store) -> Result<SetUpView> {
        Ok(SetUpView {
            counts: setup::counts(store.conn())?,
            selected: 0,
        })
    }

    /// Each item: done, its title, what is left, how to do it.
    fn items(&self) -> [(bool, &'static str, String, &'static [&'static str]); 3] {
        let c = &self.counts;
        let plural = |n: i64, one: &str, many: &str| {
            format!("{} {}", count(n), if n == 1 { one } else { many })
        };
        [
            (
                c.missing_value == 0,
                "Values and renewals",
                format!(
                    "{} without a contract value or a renewal date",
                    plural(c.missing_value, "account", "accounts")
                ),
                &[
                    "import them: attuned import opportunities.csv (Salesforce)",
                    "             or deals.csv (HubSpot); or type them in a table",
                ],
            ),
            (
                c.guessed_roles == 0,
                "Roles",
                format!(
                    "{} guessed from titles in {} to review",
                    plural(c.guessed_roles, "role", "roles"),
                    plural(c.guessed_accounts, "account", "accounts")
                ),
                &["the review pass: Enter confirms a guess, 1-9 change it"],
            ),
            (
                c.to_triage == 0,
                "A first R/Y/G and key persona strength",
                format!("{} to triage", plural(c.to_triage, "account", "accounts")),
                &["the triage pass: g, a digit per key persona, Enter (five keys)"],
            ),
        ]
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, cx: &DrawCx) {
        let theme = cx.theme;
        let items = self.items();
        let done = items.iter().filter(|i| i.0).count();
        let mut lines = vec![
            Line::styled(
                format!(
                    " Set up your book: {} accounts · {done} of 3 done",
                    count(self.counts.accounts)
                ),
                theme.title(),
            ),
            Line::raw(""),
        ];
        for (i, (ticked, title, left, how)) in items.into_iter().enumerate() {
            let on = i == self.selected;
            let head = format!(
                "{} {} [{}] {title}",
                if on { "▶" } else { " " },
                i + 1,
                if ticked { "✓" } else { " " },
            );
            lines.push(if on {
                Line::styled(head, theme.selected())
            } else {
                Line::styled(head, theme.header())
            });
            let left = if ticked { "done".to_string() } else { left };
            lines.push(Line::raw(format!("       {left}")));
            for how in how {
                lines.push(Line::from(Span::styled(
                    format!("       {how}"),
                    theme.dim(),
                )));
            }
            lines.push(Line::raw(""));
        }
        lines.push(Line::styled(
            " 1, 2, 3 or Enter opens an item; everything is saved as it is typed.",
            theme.dim(),
        ));
        frame.render_widget(
            Paragraph::new(lines)
                .block(Block::new().borders(Borders::ALL).title(" Set-up "))
                .wrap(Wrap { trim: false }),
            area,
        );
    }
}

impl Screen for SetUpView {
    fn context(&self) -> Context {
        Context::SetUp
    }

    fn title(&self, under: &str) -> String {
        format!("{under} › Set-up")
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &DrawCx) {
        SetUpView::draw(self, frame, area, cx);
    }

    fn on_action(&mut self, action: Action, _cx: &mut Cx) -> Result<Reply> {
        let open = |i: usize| Reply::Open(ITEMS[i]());
        Ok(match action {
            Action::Down => {
                self.selected = (self.selected + 1).min(ITEMS.len() - 1);
                Reply::Stay
            }
            Action::Up => {
                self.selected = self.selected.saturating_sub(1);
                Reply::Stay
            }
            Action::Top => {
                self.selected = 0;
                Reply::Stay
            }
            Action::Bottom => {
                self.selected = ITEMS.len() - 1;
                Reply::Stay
            }
            Action::Open => open(self.selected),
            Action::SetUpValues => open(0),
            Action::SetUpRoles => open(1),
            Action::SetUpTriage => open(2),
            Action::Back => Reply::PopRead(1),
            Action::Quit => Reply::Quit,
            _ => Reply::Stay,
        })
    }

    fn on_resume(&mut self, cx: &mut Cx) -> Result<()> {
        self.counts = setup::counts(cx.store.conn())?;
        Ok(())
    }
}
