//! The org chart: the account's personas drawn as their reports-to tree.

use std::collections::{HashMap, HashSet};

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::theme::Theme;
use crate::domain::grid;
use crate::store::account::PersonaLine;

pub struct OrgChart {
    /// (tree prefix, index into the personas), in drawing order.
    pub rows: Vec<(String, usize)>,
    pub scroll: usize,
}

/// Lays out the tree: roots are personas without a (current) manager; children are
/// listed under their manager in the given order. A cycle cannot hang the drawing.
pub fn layout(personas: &[PersonaLine], managers: &[(i64, Option<i64>)]) -> Vec<(String, usize)> {
    let index: HashMap<i64, usize> = personas
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id, i))
        .collect();
    let manager_of: HashMap<i64, Option<i64>> = managers.iter().copied().collect();
    let mut children: HashMap<Option<usize>, Vec<usize>> = HashMap::new();
    for (i, p) in personas.iter().enumerate() {
        let parent = manager_of
            .get(&p.id)
            .copied()
            .flatten()
            .and_then(|m| index.get(&m).copied())
            .filter(|m| *m != i);
        children.entry(parent).or_default().push(i);
    }
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    fn walk(
        node: usize,
        prefix: &str,
        last: bool,
        root: bool,
        children: &HashMap<Option<usize>, Vec<usize>>,
        seen: &mut HashSet<usize>,
        out: &mut Vec<(String, usize)>,
    ) {
        if !seen.insert(node) {
            return;
        }
        let (here, below) = if root {
            (String::new(), String::new())
        } else if last {
            (format!("{prefix}└─ "), format!("{prefix}   "))
        } else {
            (format!("{prefix}├─ "), format!("{prefix}│  "))
        };
        out.push((here, node));
        let kids = children.get(&Some(node)).cloned().unwrap_or_default();
        let n = kids.len();
        for (k, child) in kids.into_iter().enumerate() {
            walk(child, &below, k + 1 == n, false, children, seen, out);
        }
    }
    for root in children.get(&None).cloned().unwrap_or_default() {
        walk(root, "", true, true, &children, &mut seen, &mut out);
    }
    // Personas only reachable through a cycle still appear, as roots.
    for i in 0..personas.len() {
        if !seen.contains(&i) {
            walk(i, "", true, true, &children, &mut seen, &mut out);
        }
    }
    out
}

impl OrgChart {
    pub fn new(personas: &[PersonaLine], managers: &[(i64, Option<i64>)]) -> OrgChart {
        OrgChart {
            rows: layout(personas, managers),
            scroll: 0,
        }
    }

    pub fn scroll_by(&mut self, delta: isize) {
        let max = self.rows.len().saturating_sub(1) as isize;
        self.scroll = (self.scroll as isize + delta).clamp(0, max) as usize;
    }

    pub fn draw(
        &self,
        frame: &mut Frame,
        area: Rect,
        personas: &[PersonaLine],
        selected: Option<i64>,
        theme: &Theme,
    ) {
        let lines: Vec<Line> = self
            .rows
            .iter()
            .skip(self.scroll)
            .filter_map(|(prefix, i)| {
                let p = personas.get(*i)?;
                let shade = grid::shade(p.strength, p.sentiment);
                let is_sel = Some(p.id) == selected;
                let name_style = if is_sel {
                    theme.selected()
                } else {
                    theme.title()
                };
                Some(Line::from(vec![
                    Span::raw(if is_sel { "▶" } else { " " }),
                    Span::styled(prefix.clone(), theme.dim()),
                    Span::styled(p.name.clone(), name_style),
                    Span::raw(format!(
                        "  {} · {} ",
                        p.title.clone().unwrap_or_default(),
                        crate::domain::roles::shown(p.role, p.role_guessed)
                    )),
                    Span::styled(
                        format!("[{} {}]", shade.glyph().trim(), p.strength.label()),
                        theme.strength(p.strength),
                    ),
                    Span::raw(" "),
                    Span::styled(p.sentiment.label(), theme.sentiment(p.sentiment)),
                ]))
            })
            .collect();
        frame.render_widget(
            Paragraph::new(lines).block(
                Block::new()
                    .borders(Borders::TOP)
                    .title(" Org chart: who reports to whom (Esc back) "),
            ),
            area,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::model::{Role, Sentiment, Strength};

    fn p(id: i64, name: &str) -> PersonaLine {
        PersonaLine {
            id,
            name: name.into(),
            title: None,
            role: Role::Other,
            role_guessed: false,
            reports_to: None,
            strength: Strength::Okay,
            sentiment: Sentiment::Neutral,
            last_contact_at: None,
        }
    }

    #[test]
    fn draws_the_tree_and_survives_cycles() {
        let people = vec![
            p(1, "CEO"),
            p(2, "VP"),
            p(3, "Lead"),
            p(4, "Peer"),
            p(5, "A"),
            p(6, "B"),
        ];
        let managers = vec![
            (1, None),
            (2, Some(1)),
            (3, Some(2)),
            (4, Some(1)),
            (5, Some(6)),
            (6, Some(5)),
        ];
        let rows = layout(&people, &managers);
        let text: Vec<String> = rows
            .iter()
            .map(|(pre, i)| format!("{pre}{}", people[*i].name))
            .collect();
        assert_eq!(text[..4], ["CEO", "├─ VP", "│  └─ Lead", "└─ Peer"]);
        assert_eq!(rows.len(), 6, "{text:?}");
    }
}
