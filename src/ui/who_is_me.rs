//! "Who is me?": asked once when a file holds several owners' accounts (a CSM's CRM
//! export often brings colleagues' too) and nobody said which is the user. Enter on a
//! name opens that CSM's portfolio from then on; `t` keeps the team view for a team
//! lead; Esc asks again next time. `attuned import --me NAME` answers it for scripts.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{List, ListItem, ListState, Paragraph, Wrap};

use super::format;
use super::keymap::{Action, Context};
use super::screen::{self, Cx, DrawCx, Reply, Screen};
use crate::domain::text::{clean_line, count_of};
use crate::error::Result;
use crate::store::Store;
use crate::store::me::{self, Owner};

pub struct WhoIsMe {
    owners: Vec<Owner>,
    selected: usize,
}

impl WhoIsMe {
    pub fn load(store: &Store) -> Result<WhoIsMe> {
        Ok(WhoIsMe {
            owners: me::owners(store.conn())?,
            selected: 0,
        })
    }

    fn choose(&self, cx: &mut Cx) -> Result<Reply> {
        let Some(owner) = self.owners.get(self.selected) else {
            return Ok(Reply::Stay);
        };
        cx.store.write(|tx| tx.set_me(owner.id))?;
        cx.done(format!(
            "Your portfolio, {}; T shows the team",
            clean_line(&owner.name)
        ));
        Ok(Reply::PopRead(1))
    }
}

impl Screen for WhoIsMe {
    fn context(&self) -> Context {
        Context::WhoIsMe
    }

    fn title(&self, _under: &str) -> String {
        "Which owner is you?".to_string()
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &DrawCx) {
        let theme = cx.theme;
        let [intro, list] =
            Layout::vertical([Constraint::Length(4), Constraint::Min(1)]).areas(area);
        let text = vec![
            Line::styled(
                format!(
                    "This file holds the accounts of {}. Which one is you?",
                    count_of(self.owners.len() as i64, "owner")
                ),
                theme.title(),
            ),
            Line::from(vec![
                Span::raw("attuned opens on your portfolio from now on ("),
                Span::styled("T", theme.key()),
                Span::raw(" there shows the team). A team lead: "),
                Span::styled("t", theme.key()),
                Span::raw(" keeps the team view."),
            ]),
        ];
        frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), intro);
        let items: Vec<ListItem> = self
            .owners
            .iter()
            .map(|o| {
                ListItem::new(Line::from(vec![
                    Span::raw(format!("{}  ", clean_line(&o.name))),
                    Span::styled(
                        format!(
                            "{} account{}",
                            format::count(o.accounts),
                            crate::domain::text::plural(o.accounts)
                        ),
                        theme.dim(),
                    ),
                ]))
            })
            .collect();
        let widget = List::new(items)
            .highlight_style(theme.selected())
            .highlight_symbol("▶ ");
        let mut state = ListState::default().with_selected(Some(self.selected));
        frame.render_stateful_widget(widget, list, &mut state);
    }

    fn on_action(&mut self, action: Action, cx: &mut Cx) -> Result<Reply> {
        let last = self.owners.len().saturating_sub(1);
        match action {
            Action::Down => self.selected = (self.selected + 1).min(last),
            Action::Up => self.selected = self.selected.saturating_sub(1),
            Action::Top => self.selected = 0,
            Action::Bottom => self.selected = last,
            Action::Open => return self.choose(cx),
            Action::TeamView => {
                cx.store.write(|tx| tx.choose_team_view())?;
                cx.done("The file opens on the team view");
                return Ok(Reply::PopRead(1));
            }
            Action::Back => return Ok(Reply::Pop),
            other => return Ok(screen::global(other, None).unwrap_or(Reply::Stay)),
        }
        Ok(Reply::Stay)
    }
}
