//! The team view: per CSM, under their team lead, the figures a lead coaches from
//! (accounts, contract value, R/Y/G, value at risk, overdue follow-ups, stale
//! sentiments, calls run), with a subtotal per team and a total. Read-only: Enter drills
//! into a CSM's (or a team's) portfolio.
//!
//! The figures are read in `update` (`load`, `reload`); drawing only reads them.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, HighlightSpacing, Paragraph, Row, Table, TableState};

use super::format;
use super::theme::Theme;
use crate::domain::model::Pulse;
use crate::domain::money;
use crate::error::Result;
use crate::store::Store;
use crate::store::portfolio::stale_cutoff;
use crate::store::team::{self, CsmLine, Figures, Overview, Team};

/// Lines around the table: the title bar, the summary line, the column headers, the
/// total line and the status bar.
const CHROME_LINES: u16 = 5;

/// How CSMs (within a team) and teams are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TeamSort {
    /// Most contract value at risk first.
    ValueAtRisk,
    /// Most overdue follow-ups first.
    Overdue,
    /// By name, A to Z.
    Name,
}

impl TeamSort {
    pub fn label(self) -> &'static str {
        match self {
            TeamSort::ValueAtRisk => "value at risk",
            TeamSort::Overdue => "overdue follow-ups",
            TeamSort::Name => "name",
        }
    }

    fn next(self) -> TeamSort {
        match self {
            TeamSort::ValueAtRisk => TeamSort::Overdue,
            TeamSort::Overdue => TeamSort::Name,
            TeamSort::Name => TeamSort::ValueAtRisk,
        }
    }

    /// Orders two lines' figures (then names) the way this sort shows them.
    fn cmp(self, a: (&Figures, &str), b: (&Figures, &str)) -> std::cmp::Ordering {
        let by_name = || a.1.to_lowercase().cmp(&b.1.to_lowercase());
        match self {
            TeamSort::ValueAtRisk => b.0.value_at_risk.cmp(&a.0.value_at_risk).then_with(by_name),
            TeamSort::Overdue => {
                b.0.overdue_followups
                    .cmp(&a.0.overdue_followups)
                    .then_with(by_name)
            }
            TeamSort::Name => by_name(),
        }
    }
}

/// One selectable line: a team (its lead and subtotal) or one of its CSMs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Entry {
    Team(usize),
    Csm(usize, usize),
}

pub struct TeamView {
    pub overview: Overview,
    pub sort: TeamSort,
    /// Index into the lines: teams and their CSMs, in order.
    pub selected: usize,
    entries: Vec<Entry>,
    /// Rows that fit on screen (for paging).
    height: usize,
}

/// What Enter on a line opens: whose portfolio, and how the title names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drill {
    pub owners: Vec<i64>,
    pub label: String,
}

impl TeamView {
    /// Reads the figures as of `now` with the staleness window.
    pub fn load(
        store: &Store,
        now: DateTime<Utc>,
        stale_after_days: i64,
        screen_height: u16,
    ) -> Result<TeamView> {
        let mut view = TeamView {
            overview: Overview::default(),
            sort: TeamSort::ValueAtRisk,
            selected: 0,
            entries: Vec::new(),
            height: table_height(screen_height),
        };
        view.reload(store, now, stale_after_days)?;
        Ok(view)
    }

    /// Reads the figures again (back from a drill-in, after a change), keeping the
    /// selected CSM or team where it can.
    pub fn reload(
        &mut self,
        store: &Store,
        now: DateTime<Utc>,
        stale_after_days: i64,
    ) -> Result<()> {
        let conn = store.conn();
        let keep = self.selected_key();
        self.overview = team::overview(conn, stale_cutoff(now, stale_after_days))?;
        self.arrange(keep);
        Ok(())
    }

    pub fn set_height(&mut self, screen_height: u16) {
        self.height = table_height(screen_height);
    }

    /// Which line is selected, by what it shows (survives re-sorting and re-reading).
    fn selected_key(&self) -> Option<(bool, i64)> {
        self.key_at(self.selected)
    }

    /// Sorts teams and CSMs, lays out the lines and finds the kept selection again.
    fn arrange(&mut self, keep: Option<(bool, i64)>) {
        let sort = self.sort;
        for t in &mut self.overview.teams {
            t.members
                .sort_by(|a, b| sort.cmp((&a.figures, &a.name), (&b.figures, &b.name)));
        }
        // The CSMs without a lead stay last, whatever the order.
        self.overview.teams.sort_by(|a, b| {
            a.lead.is_none().cmp(&b.lead.is_none()).then_with(|| {
                sort.cmp(
                    (&a.subtotal, a.lead.as_deref().unwrap_or("")),
                    (&b.subtotal, b.lead.as_deref().unwrap_or("")),
                )
            })
        });
        self.entries.clear();
        for (t, team) in self.overview.teams.iter().enumerate() {
            self.entries.push(Entry::Team(t));
            self.entries
                .extend((0..team.members.len()).map(|m| Entry::Csm(t, m)));
        }
        self.selected = keep
            .and_then(|k| (0..self.entries.len()).find(|i| self.key_at(*i) == Some(k)))
            .unwrap_or(0);
    }

    /// Line `i`'s key: (a team's line, its lead's id or -1) or (a CSM's line, the CSM's id).
    fn key_at(&self, i: usize) -> Option<(bool, i64)> {
        match self.entries.get(i)? {
            Entry::Team(t) => Some((
                true,
                self.overview.teams[*t]
                    .lead_ids
                    .first()
                    .copied()
                    .unwrap_or(-1),
            )),
            Entry::Csm(t, m) => Some((false, self.overview.teams[*t].members[*m].id)),
        }
    }

    /// The selected CSM's id, when a CSM's line is selected.
    pub fn selected_csm(&self) -> Option<i64> {
        match self.entries.get(self.selected)? {
            Entry::Csm(t, m) => Some(self.overview.teams[*t].members[*m].id),
            Entry::Team(_) => None,
        }
    }

    /// The selected team's CSMs, when a team's line is selected.
    pub fn selected_team(&self) -> Option<Vec<i64>> {
        match self.entries.get(self.selected)? {
            Entry::Team(t) => Some(self.overview.teams[*t].member_ids()),
            Entry::Csm(..) => None,
        }
    }

    /// What Enter opens: the selected CSM's portfolio, or the whole team's.
    pub fn drill(&self) -> Option<Drill> {
        match self.entries.get(self.selected)? {
            Entry::Csm(t, m) => {
                let csm = &self.overview.teams[*t].members[*m];
                Some(Drill {
                    owners: vec![csm.id],
                    label: csm.name.clone(),
                })
            }
            Entry::Team(t) => {
                let team = &self.overview.teams[*t];
                Some(Drill {
                    owners: team.member_ids(),
                    label: team_label(team),
                })
            }
        }
    }

    pub fn down(&mut self) {
        if self.selected + 1 < self.entries.len() {
            self.selected += 1;
        }
    }

    pub fn up(&mut self) {
        self.selected = self.selected.saturating_sub(1);
    }

    pub fn page_down(&mut self) {
        let last = self.entries.len().saturating_sub(1);
        self.selected = (self.selected + self.height.max(1)).min(last);
    }

    pub fn page_up(&mut self) {
        self.selected = self.selected.saturating_sub(self.height.max(1));
    }

    pub fn top(&mut self) {
        self.selected = 0;
    }

    pub fn bottom(&mut self) {
        self.selected = self.entries.len().saturating_sub(1);
    }

    /// `s`: value at risk → overdue follow-ups → name.
    pub fn sort_next(&mut self) {
        let keep = self.selected_key();
        self.sort = self.sort.next();
        self.arrange(keep);
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let [summary, table, total] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Min(1),
            Constraint::Length(1),
        ])
        .areas(area);
        frame.render_widget(Paragraph::new(self.summary_line(theme)), summary);
        let figures = self
            .overview
            .teams
            .iter()
            .flat_map(|t| std::iter::once(&t.subtotal).chain(t.members.iter().map(|m| &m.figures)))
            .chain(std::iter::once(&self.overview.total));
        let names = self.names();
        let peers: Vec<&str> = names.iter().map(String::as_str).collect();
        let need = peers.iter().map(|n| format::width(n)).max().unwrap_or(0) as u16;
        let (columns, gap) = layout_columns(area.width, figures, need);
        let widths: Vec<Constraint> = columns.iter().map(|c| Constraint::Length(c.1)).collect();
        let name_w = columns.first().map_or(0, |c| usize::from(c.1));
        let name = |text: &str| format::fit_apart(text, name_w, &peers);
        let header = Row::new(columns.iter().map(|(c, _)| {
            let title = Line::from(c.title());
            Cell::from(if *c == Column::Name {
                title
            } else {
                title.right_aligned()
            })
        }))
        .style(theme.header());
        if self.entries.is_empty() {
            let [head, body] =
                Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(table);
            frame.render_widget(
                Table::new(Vec::<Row>::new(), widths.clone())
                    .header(header)
                    .highlight_spacing(HighlightSpacing::Always),
                head,
            );
            frame.render_widget(
                Paragraph::new("No CSM owns accounts or has touches in this file yet.")
                    .style(theme.dim()),
                body,
            );
            return;
        }
        let rows = self.entries.iter().zip(&names).map(|(e, text)| match e {
            Entry::Team(t) => {
                let team = &self.overview.teams[*t];
                figures_row(&columns, name(text), &team.subtotal, theme).style(theme.title())
            }
            Entry::Csm(t, m) => {
                let csm: &CsmLine = &self.overview.teams[*t].members[*m];
                figures_row(&columns, name(text), &csm.figures, theme)
            }
        });
        let table_widget = Table::new(rows, widths.clone())
            .header(header)
            .column_spacing(gap)
            .row_highlight_style(theme.selected())
            .highlight_symbol("▶ ")
            .highlight_spacing(HighlightSpacing::Always);
        let mut state = TableState::default().with_selected(Some(self.selected));
        frame.render_stateful_widget(table_widget, table, &mut state);
        // The total stays in view below the table, in the same columns.
        let total_row =
            figures_row(&columns, name("Total"), &self.overview.total, theme).style(theme.header());
        frame.render_widget(
            Table::new([total_row], widths)
                .column_spacing(gap)
                .highlight_symbol("  ")
                .highlight_spacing(HighlightSpacing::Always),
            total,
        );
    }

    /// Each line's name as the table shows it: a team's with its size, a CSM's indented
    /// under it.
    fn names(&self) -> Vec<String> {
        self.entries
            .iter()
            .map(|e| match e {
                Entry::Team(t) => {
                    let team = &self.overview.teams[*t];
                    format!("{} ({})", team_label(team), team.members.len())
                }
                Entry::Csm(t, m) => format!("  {}", self.overview.teams[*t].members[*m].name),
            })
            .collect()
    }

    fn summary_line(&self, theme: &Theme) -> Line<'static> {
        let o = &self.overview;
        let leads = o.teams.iter().filter(|t| t.lead.is_some()).count();
        let mut spans = vec![
            Span::styled(format::count(leads as i64), theme.title()),
            Span::raw(format!(" team{} · ", format::plural(leads))),
            Span::styled(format::count(o.csm_count() as i64), theme.title()),
            Span::raw(format!(" CSM{} · ", format::plural(o.csm_count()))),
            Span::styled(format::count(o.total.accounts), theme.title()),
            Span::raw(format!(" account{}", format::plural(o.total.accounts))),
        ];
        if o.unowned_accounts > 0 {
            spans.push(Span::styled(
                format!(" (+{} without a CSM)", format::count(o.unowned_accounts)),
                theme.dim(),
            ));
        }
        spans.push(Span::styled(
            format!(" · by {} ↓", self.sort.label()),
            theme.dim(),
        ));
        Line::from(spans)
    }
}

/// "Dustin Brinkmann's team", or the CSMs without a lead.
fn team_label(team: &Team) -> String {
    match &team.lead {
        Some(lead) => format!("{lead}'s team"),
        None => "No team lead".to_string(),
    }
}

/// Rows the table shows for a terminal of `screen_height` lines.
fn table_height(screen_height: u16) -> usize {
    screen_height.saturating_sub(CHROME_LINES).max(1) as usize
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Name,
    Accounts,
    Value,
    AtRisk,
    Red,
    Yellow,
    Green,
    Unrated,
    Overdue,
    Stale,
    Calls,
}

/// Below the name, every column is as wide as its widest figure (or its title).
const NAME_MIN: u16 = 20;
/// Names up to this wide are shown whole before the least needed figures.
const NAME_WANT: u16 = 28;

impl Column {
    const ALL: [Column; 11] = [
        Column::Name,
        Column::Accounts,
        Column::Value,
        Column::AtRisk,
        Column::Red,
        Column::Yellow,
        Column::Green,
        Column::Unrated,
        Column::Overdue,
        Column::Stale,
        Column::Calls,
    ];

    fn title(self) -> &'static str {
        match self {
            Column::Name => "Team / CSM",
            Column::Accounts => "Accts",
            Column::Value => "Value",
            Column::AtRisk => "At risk",
            Column::Red => "R",
            Column::Yellow => "Y",
            Column::Green => "G",
            Column::Unrated => "—",
            Column::Overdue => "Overdue",
            Column::Stale => "Stale",
            Column::Calls => "Calls",
        }
    }

    fn text(self, f: &Figures) -> String {
        match self {
            Column::Name => String::new(),
            Column::Accounts => format::count(f.accounts),
            Column::Value => money::compact(f.contract_value),
            Column::AtRisk => money::compact(f.value_at_risk),
            Column::Red => format::count(f.red),
            Column::Yellow => format::count(f.yellow),
            Column::Green => format::count(f.green),
            Column::Unrated => format::count(f.unrated),
            Column::Overdue => format::count(f.overdue_followups),
            Column::Stale => format::count(f.stale),
            Column::Calls => format::count(f.calls),
        }
    }

    fn style(self, f: &Figures, theme: &Theme) -> Style {
        let nonzero = |n: i64, style: Style| if n > 0 { style } else { Style::new() };
        match self {
            Column::AtRisk => nonzero(f.value_at_risk, theme.danger()),
            Column::Red => theme.pulse(Some(Pulse::Red)),
            Column::Yellow => theme.pulse(Some(Pulse::Yellow)),
            Column::Green => theme.pulse(Some(Pulse::Green)),
            Column::Unrated => theme.dim(),
            Column::Overdue => nonzero(f.overdue_followups, theme.warn()),
            Column::Stale => nonzero(f.stale, theme.stale()),
            _ => Style::new(),
        }
    }

    fn cell(self, f: &Figures, theme: &Theme) -> Cell<'static> {
        Cell::from(Line::from(Span::styled(self.text(f), self.style(f, theme))).right_aligned())
    }
}

/// The columns that fit in `width` (beside the 2-cell marker) with their widths for
/// these figures, dropping the least needed first, and the gap between them: names get
/// what they `need` (at least `NAME_MIN` before a figure is kept), the room left goes
/// between the columns.
fn layout_columns<'a>(
    width: u16,
    figures: impl Iterator<Item = &'a Figures> + Clone,
    need: u16,
) -> (Vec<(Column, u16)>, u16) {
    use Column::*;
    let widest = |c: Column| -> u16 {
        let title = super::format::width(c.title());
        let content = figures
            .clone()
            .map(|f| super::format::width(&c.text(f)))
            .max()
            .unwrap_or(0);
        title.max(content) as u16
    };
    let mut cols: Vec<(Column, u16)> = Column::ALL.iter().map(|c| (*c, widest(*c))).collect();
    // Names keep what they need (up to NAME_WANT) before the least needed figures do.
    let name_room = need.clamp(NAME_MIN, NAME_WANT);
    let needed = |cols: &[(Column, u16)]| {
        2 + cols
            .iter()
            .map(|(c, w)| if *c == Name { name_room } else { w + 1 })
            .sum::<u16>()
    };
    for victim in [Unrated, Calls, Stale, Value, Red, Yellow, Green, Overdue] {
        if needed(&cols) <= width {
            break;
        }
        cols.retain(|(c, _)| *c != victim);
    }
    let others: Vec<u16> = cols
        .iter()
        .filter(|(c, _)| *c != Name)
        .map(|c| c.1)
        .collect();
    let need = need.max(widest(Name));
    let (name, gap) = super::format::name_and_gap(width.saturating_sub(2), need, &others);
    if let Some(n) = cols.iter_mut().find(|(c, _)| *c == Name) {
        n.1 = name;
    }
    (cols, gap)
}

fn figures_row(
    columns: &[(Column, u16)],
    name: String,
    f: &Figures,
    theme: &Theme,
) -> Row<'static> {
    Row::new(columns.iter().map(|(c, _)| match c {
        Column::Name => Cell::from(name.clone()),
        other => other.cell(f, theme),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrow_terminals_keep_the_most_needed_columns() {
        let f = Figures {
            accounts: 1_234,
            contract_value: 123_456_700,
            value_at_risk: 8_500_000,
            red: 12,
            yellow: 30,
            green: 900,
            unrated: 292,
            overdue_followups: 44,
            stale: 300,
            calls: 2_000,
        };
        let wide = layout_columns(200, [f].iter(), 20).0;
        assert_eq!(wide.len(), Column::ALL.len());
        let narrow: Vec<Column> = layout_columns(40, [f].iter(), 20)
            .0
            .iter()
            .map(|c| c.0)
            .collect();
        assert!(narrow.contains(&Column::Name) && narrow.contains(&Column::AtRisk));
        assert!(!narrow.contains(&Column::Calls));
        assert_eq!(
            layout_columns(80, [f].iter(), 20).0.len(),
            Column::ALL.len()
        );
        // At 120 columns the names take what they need, not the whole rest.
        let (cols, gap) = layout_columns(120, [f].iter(), 24);
        assert_eq!(cols[0], (Column::Name, 24));
        assert!(gap > 1);
    }
}
