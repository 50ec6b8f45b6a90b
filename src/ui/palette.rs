//! The `:` command palette: every command of the current screen, found by typing.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, List, ListItem, ListState, Paragraph};
use tui_input::Input;

use super::keymap::{self, Action, Context};
use super::theme::Theme;

pub struct Palette {
    pub input: Input,
    pub commands: Vec<(String, Action)>,
    pub selected: usize,
}

impl Palette {
    pub fn new(context: Context) -> Palette {
        Palette {
            input: Input::default(),
            commands: keymap::commands(context),
            selected: 0,
        }
    }

    /// Commands whose name contains every typed word, in keymap order.
    pub fn matches(&self) -> Vec<&(String, Action)> {
        let query = self.input.value().to_lowercase();
        self.commands
            .iter()
            .filter(|(name, _)| {
                let name = name.to_lowercase();
                query.split_whitespace().all(|w| name.contains(w))
            })
            .collect()
    }

    pub fn chosen(&self) -> Option<Action> {
        self.matches().get(self.selected).map(|(_, a)| *a)
    }

    pub fn move_by(&mut self, delta: isize) {
        let max = self.matches().len().saturating_sub(1) as isize;
        self.selected = (self.selected as isize + delta).clamp(0, max) as usize;
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        // As wide as help, so the longest commands read whole at 80 columns.
        let width = area.width.saturating_sub(4).min(72);
        let height = area.height.saturating_sub(2).min(16);
        if width < 10 || height < 4 {
            return;
        }
        let popup = Rect::new(area.x + (area.width - width) / 2, area.y + 1, width, height);
        frame.render_widget(Clear, popup);
        let block = Block::new()
            .borders(Borders::ALL)
            .title(" Commands (Enter runs, Esc closes) ");
        let inner = block.inner(popup);
        frame.render_widget(block, popup);
        let prompt = Line::from(vec![
            Span::styled(": ", theme.key()),
            Span::raw(self.input.value().to_string()),
        ]);
        frame.render_widget(Paragraph::new(prompt), Rect { height: 1, ..inner });
        let cursor_x = inner.x + 2 + self.input.visual_cursor() as u16;
        if cursor_x < inner.right() {
            frame.set_cursor_position((cursor_x, inner.y));
        }
        let list_area = Rect {
            y: inner.y + 1,
            height: inner.height.saturating_sub(1),
            ..inner
        };
        let items: Vec<ListItem> = self
            .matches()
            .into_iter()
            .map(|(name, _)| {
                // A command longer than the box ends with "…", beside the "▶ " marker.
                let room = usize::from(list_area.width.saturating_sub(2));
                ListItem::new(super::format::fit(name, room))
            })
            .collect();
        let empty = items.is_empty();
        let list = List::new(items)
            .highlight_style(theme.selected())
            .highlight_symbol("▶ ");
        let mut state = ListState::default().with_selected((!empty).then_some(self.selected));
        frame.render_stateful_widget(list, list_area, &mut state);
        if empty {
            frame.render_widget(
                Paragraph::new("no command matches").style(theme.dim()),
                list_area,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::portfolio::SortColumn;

    #[test]
    fn typing_narrows_the_commands() {
        let mut p = Palette::new(Context::Portfolio);
        p.input = Input::new("sort renew".into());
        assert_eq!(p.chosen(), Some(Action::SortBy(SortColumn::Renewal)));
        p.input = Input::new("no such thing".into());
        assert_eq!(p.chosen(), None);
    }
}
