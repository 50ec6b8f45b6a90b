//! Coaching KPIs (`K` on the portfolio, `k` on the team view): one screen, a scope
//! (everyone, a team, a CSM) and two views: tables (per CSM, per segment, by month) and
//! charts (monthly escalation rate, sentiment by month, step time against its box).
//! The figures are read when the screen opens or the scope changes; drawing only reads
//! them.

use chrono::NaiveDate;
use ratatui::Frame;
use ratatui::layout::{Constraint, Direction as Axis2, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Axis, Bar, BarChart, BarGroup, Block, Borders, Cell, Chart, Dataset, GraphType, Paragraph, Row,
    Sparkline, Table, TableState,
};

use super::format::{self, plural};
use super::keymap::Action;
use super::screen::Reply;
use super::theme::Theme;
use crate::domain::checklist::clock_text;
use crate::domain::kpi::{Kpis, THRESHOLDS, Tally, Window, pct, score};
use crate::domain::model::Pulse;
use crate::error::Result;
use crate::store::Store;
use crate::store::kpi::{self, Who};

/// How many months the screen covers, ending with the current one.
pub const MONTHS: u32 = 12;

/// One choice of the scope picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeChoice {
    pub label: String,
    pub who: Who,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Tables,
    Charts,
}

/// Which table the tables view shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableKind {
    PerCsm,
    PerSegment,
    ByMonth,
}

impl TableKind {
    fn next(self) -> TableKind {
        match self {
            TableKind::PerCsm => TableKind::PerSegment,
            TableKind::PerSegment => TableKind::ByMonth,
            TableKind::ByMonth => TableKind::PerCsm,
        }
    }

    fn label(self) -> &'static str {
        match self {
            TableKind::PerCsm => "per CSM",
            TableKind::PerSegment => "per segment",
            TableKind::ByMonth => "by month",
        }
    }
}

pub struct KpisView {
    pub scopes: Vec<ScopeChoice>,
    pub scope: usize,
    pub view: View,
    pub table: TableKind,
    /// The selected row of the table.
    pub selected: usize,
    pub kpis: Kpis,
    /// Every CSM's tallies, read once: a new scope adds them up again.
    scan: kpi::Scan,
}

impl KpisView {
    /// Opens on `who`, over the [`MONTHS`] months ending with `today`'s.
    pub fn open(store: &Store, who: Who, today: NaiveDate) -> Result<KpisView> {
        let scan = kpi::scan(store.conn(), KpisView::window(today))?;
        Ok(KpisView::from_scan(scan, who))
    }

    /// The months the screen covers.
    pub fn window(today: NaiveDate) -> Window {
        Window::ending(today, MONTHS)
    }

    /// Opens on `who` with the tallies already read (on the app's reader thread).
    pub fn from_scan(scan: kpi::Scan, who: Who) -> KpisView {
        let all = scan.csms();
        let mut scopes = vec![ScopeChoice {
            label: "Everyone in the file".into(),
            who: Who::All,
        }];
        for lead in kpi::teams(all) {
            scopes.push(ScopeChoice {
                label: format!("{}'s team", lead.name),
                who: Who::Team(lead.id),
            });
        }
        // Leads too when they carry accounts of their own (a lead with no touches of their
        // own would only be an empty page in the cycle).
        for c in all {
            if c.is_team_lead && !scan.has_touches(c.id) {
                continue;
            }
            scopes.push(ScopeChoice {
                label: if c.is_team_lead {
                    format!("{} (team lead)", c.name)
                } else {
                    c.name.clone()
                },
                who: Who::Csm(c.id),
            });
        }
        let scope = scopes.iter().position(|s| s.who == who).unwrap_or(0);
        let kpis = scan.kpis(scopes[scope].who);
        KpisView {
            scan,
            scopes,
            scope,
            view: View::Tables,
            table: TableKind::PerCsm,
            selected: 0,
            kpis,
        }
    }

    /// The team (by its lead) the given CSMs report to, for the team view's team line.
    pub fn team_of(store: &Store, members: &[i64]) -> Result<Who> {
        let conn = store.conn();
        let all = kpi::csms(conn)?;
        let lead = members
            .iter()
            .find_map(|id| all.iter().find(|c| c.id == *id)?.team_lead_id);
        Ok(lead.map_or(Who::All, Who::Team))
    }

    pub fn scope_label(&self) -> &str {
        self.scopes
            .get(self.scope)
            .map_or("Everyone in the file", |s| s.label.as_str())
    }

    fn rows(&self) -> usize {
        match self.table {
            TableKind::PerCsm => self.kpis.by_csm.len(),
            TableKind::PerSegment => self.kpis.by_segment.len(),
            TableKind::ByMonth => self.kpis.months.len(),
        }
    }

    pub fn action(&mut self, action: Action) -> Result<Reply> {
        match action {
            Action::Back => return Ok(Reply::Pop),
            Action::KpiScopeNext | Action::KpiScopePrev => {
                let n = self.scopes.len().max(1);
                let next = if action == Action::KpiScopeNext {
                    (self.scope + 1) % n
                } else {
                    (self.scope + n - 1) % n
                };
                let who = self.scopes.get(next).map_or(Who::All, |s| s.who);
                self.kpis = self.scan.kpis(who);
                self.scope = next;
                self.selected = 0;
            }
            Action::KpiCharts => {
                self.view = match self.view {
                    View::Tables => View::Charts,
                    View::Charts => View::Tables,
                }
            }
            Action::KpiTable => {
                self.table = self.table.next();
                self.selected = 0;
                self.view = View::Tables;
            }
            Action::Down => self.selected = (self.selected + 1).min(self.rows().saturating_sub(1)),
            Action::Up => self.selected = self.selected.saturating_sub(1),
            Action::PageDown => {
                self.selected = (self.selected + 10).min(self.rows().saturating_sub(1))
            }
            Action::PageUp => self.selected = self.selected.saturating_sub(10),
            Action::Top => self.selected = 0,
            Action::Bottom => self.selected = self.rows().saturating_sub(1),
            _ => {}
        }
        Ok(Reply::Stay)
    }

    pub fn title(&self) -> String {
        format!("Coaching KPIs › {}", self.scope_label())
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let [head, body] =
            Layout::vertical([Constraint::Length(3), Constraint::Min(0)]).areas(area);
        self.draw_head(frame, head, theme);
        match self.view {
            View::Tables => self.draw_tables(frame, body, theme),
            View::Charts => self.draw_charts(frame, body, theme),
        }
    }

    fn draw_head(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let k = &self.kpis;
        let t = &k.total;
        let span = k.span();
        let view = match self.view {
            View::Tables => format!("table {}", self.table.label()),
            View::Charts => "charts".to_string(),
        };
        let lines = vec![
            Line::from(vec![
                Span::styled(self.scope_label().to_string(), theme.title()),
                Span::styled(format!("  {span} · {view}"), theme.dim()),
            ]),
            Line::from(vec![
                Span::raw(format!(
                    "Escalation {} · CSAT after remediation {} · tagging {} · reuse {} · ",
                    pct(t.escalation_rate()),
                    score(t.remediation.mean()),
                    pct(t.completeness()),
                    pct(k.reuse.share()),
                )),
                match k.flag_count() {
                    0 => Span::styled("no flags", theme.good()),
                    n => Span::styled(format!("⚑ {n} flag{}", plural(n)), theme.warn()),
                },
            ]),
            Line::raw(format!(
                "Renewal: coached {} vs not {} · sentiment {}",
                t.coached.text(""),
                t.not_coached.text(""),
                k.trend.label()
            )),
        ];
        frame.render_widget(Paragraph::new(lines), area);
    }

    fn draw_tables(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let k = &self.kpis;
        let detail_height = match self.table {
            TableKind::PerCsm => 4,
            _ => 0,
        };
        let [table_area, detail] = Layout::vertical([
            Constraint::Min(3),
            Constraint::Length(detail_height.min(area.height / 3)),
        ])
        .areas(area);
        // Names take what they hold; the room left goes between the columns.
        let share = |names: &[&str], title: &str, others: &[u16]| {
            let need = names.iter().chain([&title]).map(|n| format::width(n)).max();
            let need = u16::try_from(need.unwrap_or(0)).unwrap_or(u16::MAX);
            let (name, gap) =
                format::name_and_gap(table_area.width.saturating_sub(2), need, others);
            // Too narrow for every figure: names keep a readable width (a Min column
            // holds it), the figures squeeze.
            let least = need.min(NAME_MIN);
            if name < least {
                (Constraint::Min(least), least, gap)
            } else {
                (Constraint::Length(name), name, gap)
            }
        };
        let csm_names: Vec<&str> = k.by_csm.iter().map(|c| c.name.as_str()).collect();
        let tally: Vec<u16> = TALLY_COLUMNS.iter().map(|c| c.1).collect();
        let (name_column, name_w, gap) = match self.table {
            TableKind::PerCsm => share(&csm_names, "CSM", &[tally.as_slice(), &[5, 5]].concat()),
            TableKind::PerSegment => {
                let segments: Vec<&str> = k.by_segment.iter().map(|s| s.segment.label()).collect();
                share(&segments, "Segment", &[&[7], tally.as_slice()].concat())
            }
            TableKind::ByMonth => (Constraint::Length(7), 7, 1),
        };
        let (header, widths, rows): (Vec<&str>, Vec<Constraint>, Vec<Row>) = match self.table {
            TableKind::PerCsm => (
                std::iter::once("CSM")
                    .chain(TALLY_COLUMNS.iter().map(|c| c.0))
                    .chain(["Reuse", "Flags"])
                    .collect(),
                std::iter::once(name_column)
                    .chain(tally_widths())
                    .chain([Constraint::Length(5), Constraint::Length(5)])
                    .collect(),
                k.by_csm
                    .iter()
                    .map(|c| {
                        let t = &c.total;
                        let flags = if c.flags.is_empty() {
                            Cell::from("—")
                        } else {
                            Cell::from(format!("⚑ {}", c.flags.len())).style(theme.warn())
                        };
                        let name = format::fit_apart(&c.name, usize::from(name_w), &csm_names);
                        let mut cells = vec![Cell::from(name)];
                        cells.extend(t.cells("").map(Cell::from));
                        cells.extend([Cell::from(pct(c.reuse.share())), flags]);
                        Row::new(cells)
                    })
                    .collect(),
            ),
            TableKind::PerSegment => (
                ["Segment", "Tagged"]
                    .into_iter()
                    .chain(TALLY_COLUMNS.iter().map(|c| c.0))
                    .collect(),
                [name_column, Constraint::Length(7)]
                    .into_iter()
                    .chain(tally_widths())
                    .collect(),
                k.by_segment
                    .iter()
                    .map(|s| {
                        let t = &s.total;
                        let mut cells = vec![s.segment.label().to_string(), t.tagged.to_string()];
                        cells.extend(t.cells(""));
                        Row::new(cells)
                    })
                    .collect(),
            ),
            TableKind::ByMonth => (
                vec![
                    "Month", "Tagged", "Esc", "Remed", "Tags", "Red", "Yellow", "Green", "Renewed",
                ],
                vec![
                    Constraint::Length(7),
                    Constraint::Length(7),
                    Constraint::Length(4),
                    Constraint::Length(5),
                    Constraint::Length(4),
                    Constraint::Length(6),
                    Constraint::Length(6),
                    Constraint::Length(6),
                    Constraint::Min(8),
                ],
                k.months
                    .iter()
                    .zip(&k.by_month)
                    .map(|(m, t)| {
                        Row::new(vec![
                            m.to_string(),
                            t.tagged.to_string(),
                            pct(t.escalation_rate()),
                            score(t.remediation.mean()),
                            pct(t.completeness()),
                            t.red.to_string(),
                            t.yellow.to_string(),
                            t.green.to_string(),
                            t.renewals().text(""),
                        ])
                    })
                    .collect(),
            ),
        };
        let empty = rows.is_empty();
        let table = Table::new(rows, widths)
            .header(Row::new(header).style(theme.header()))
            .row_highlight_style(theme.selected())
            .highlight_symbol("▶ ")
            .column_spacing(gap)
            .block(Block::new().borders(Borders::TOP).title(format!(
                " {} · Tab: next table · c: charts · s/S: scope ",
                self.table.label()
            )));
        let mut state = TableState::default().with_selected((!empty).then_some(self.selected));
        frame.render_stateful_widget(table, table_area, &mut state);
        if empty {
            let inner = Rect {
                y: table_area.y + 2,
                height: 1,
                ..table_area
            };
            frame.render_widget(
                Paragraph::new("No touches in these months for this scope.").style(theme.dim()),
                inner,
            );
        }
        if self.table == TableKind::PerCsm && detail.height > 0 {
            self.draw_flags(frame, detail, theme);
        }
    }

    /// The selected CSM's flags, each with the figure and the threshold it crossed.
    fn draw_flags(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let Some(c) = self.kpis.by_csm.get(self.selected) else {
            return;
        };
        let mut lines = vec![Line::styled(
            format!("{}: steps past their time box {}", c.name, pct(c.over_box)),
            theme.title(),
        )];
        if c.flags.is_empty() {
            lines.push(Line::styled("No signs of low adaptability.", theme.good()));
        }
        for f in &c.flags {
            lines.push(Line::from(vec![
                Span::styled(format!("⚑ {}: ", f.title()), theme.warn()),
                Span::raw(f.detail(&THRESHOLDS)),
            ]));
        }
        frame.render_widget(
            Paragraph::new(lines).wrap(ratatui::widgets::Wrap { trim: true }),
            area,
        );
    }

    fn draw_charts(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let [top, middle, bottom] = Layout::vertical([
            Constraint::Ratio(1, 3),
            Constraint::Ratio(1, 3),
            Constraint::Ratio(1, 3),
        ])
        .areas(area);
        self.draw_escalation_chart(frame, top, theme);
        self.draw_sentiment_chart(frame, middle, theme);
        self.draw_steps_chart(frame, bottom, theme);
    }

    fn draw_escalation_chart(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let k = &self.kpis;
        let points: Vec<(f64, f64)> = k
            .by_month
            .iter()
            .enumerate()
            .filter_map(|(i, t)| Some((i as f64, t.escalation_rate()? * 100.0)))
            .collect();
        let top = points
            .iter()
            .map(|p| p.1)
            .fold(10.0_f64, f64::max)
            .ceil()
            .min(100.0);
        let last = k.months.len().saturating_sub(1) as f64;
        let first_label = k.months.first().map_or(String::new(), |m| m.to_string());
        let last_label = k.months.last().map_or(String::new(), |m| m.to_string());
        let title = format!(
            " Escalation rate by month (team median {}) ",
            pct(k.median_escalation)
        );
        let chart = Chart::new(vec![
            Dataset::default()
                .name("escalated / tagged")
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(theme.warn())
                .data(&points),
        ])
        .block(Block::new().borders(Borders::TOP).title(title))
        .x_axis(
            Axis::default()
                .bounds([0.0, last.max(1.0)])
                .labels([first_label, last_label])
                .style(theme.dim()),
        )
        .y_axis(
            Axis::default()
                .bounds([0.0, top])
                .labels(["0%".to_string(), format!("{top:.0}%")])
                .style(theme.dim()),
        )
        .hidden_legend_constraints((Constraint::Ratio(0, 1), Constraint::Ratio(0, 1)));
        frame.render_widget(chart, area);
    }

    fn draw_sentiment_chart(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let k = &self.kpis;
        let [bars_area, trend_area] =
            Layout::horizontal([Constraint::Min(20), Constraint::Length(18)]).areas(area);
        let share = |n: u64, t: &Tally| -> u64 {
            let all = t.red + t.yellow + t.green;
            (n * 100).checked_div(all).unwrap_or(0)
        };
        let groups: Vec<BarGroup> = k
            .months
            .iter()
            .zip(&k.by_month)
            .map(|(m, t)| {
                let bar = |pulse: Pulse, n: u64, letter: &'static str| {
                    Bar::default()
                        .value(share(n, t))
                        .text_value(String::new())
                        .label(Line::from(letter))
                        .style(theme.pulse(Some(pulse)))
                };
                BarGroup::default().label(Line::from(m.short())).bars(&[
                    bar(Pulse::Red, t.red, "R"),
                    bar(Pulse::Yellow, t.yellow, "Y"),
                    bar(Pulse::Green, t.green, "G"),
                ])
            })
            .collect();
        // Only the latest months that fit: each takes 3 bars and a gap.
        let fit = usize::from(bars_area.width / 4).max(1);
        let skip = groups.len().saturating_sub(fit);
        let mut chart = BarChart::default()
            .block(
                Block::new()
                    .borders(Borders::TOP)
                    .title(" Sentiment by month (share of R / Y / G) "),
            )
            .bar_width(1)
            .bar_gap(0)
            .group_gap(1)
            .max(100);
        for g in groups.into_iter().skip(skip) {
            chart = chart.data(g);
        }
        frame.render_widget(chart, bars_area);
        // The balance (green − red) as a sparkline, with the direction in words.
        let balance: Vec<u64> = k
            .by_month
            .iter()
            .map(|t| t.balance().map_or(0, |b| ((b + 1.0) * 50.0).round() as u64))
            .collect();
        let [label, spark] =
            Layout::vertical([Constraint::Length(3), Constraint::Min(0)]).areas(trend_area);
        frame.render_widget(
            Paragraph::new(vec![
                Line::styled(" Trend", theme.title()),
                Line::raw(format!(" {}", k.trend.label())),
                Line::styled(" green − red", theme.dim()),
            ]),
            label,
        );
        frame.render_widget(
            Sparkline::default()
                .data(&balance)
                .max(100)
                .style(theme.good()),
            spark,
        );
    }

    fn draw_steps_chart(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let k = &self.kpis;
        let bars: Vec<Bar> = k
            .steps
            .iter()
            .filter(|s| s.step.number() <= 5)
            .map(|s| {
                let median = s.median_ms.unwrap_or(0);
                let over = s.box_ms.is_some_and(|b| median > b);
                let text = match (s.median_ms, s.box_ms) {
                    (None, _) => "no runs".to_string(),
                    (Some(m), Some(b)) => format!(
                        "{} (box {}, {} over)",
                        clock_text(m),
                        clock_text(b),
                        pct(s.over_box)
                    ),
                    (Some(m), None) => format!("{} (no box)", clock_text(m)),
                };
                let style = if over { theme.danger() } else { theme.good() };
                Bar::default()
                    .value(u64::try_from(median / 1000).unwrap_or(0))
                    .label(Line::from(format!(
                        "{} {}",
                        s.step.number(),
                        short_step(s.step.number())
                    )))
                    .text_value(text)
                    .style(style)
                    .value_style(Style::default().add_modifier(Modifier::BOLD))
            })
            .collect();
        let chart = BarChart::horizontal(bars)
            .block(
                Block::new()
                    .borders(Borders::TOP)
                    .title(" Median time per checklist step against its time box "),
            )
            .bar_width(1)
            .bar_gap(0)
            .direction(Axis2::Horizontal);
        frame.render_widget(chart, area);
    }
}

fn short_step(n: u8) -> &'static str {
    match n {
        1 => "Assess ",
        2 => "Mirror ",
        3 => "Clarify",
        4 => "Propose",
        _ => "Tag    ",
    }
}

/// Names keep at least this many columns on a narrow terminal.
const NAME_MIN: u16 = 12;

/// The columns of `Tally::cells`, with their widths, as the per-CSM and per-segment
/// tables show them.
const TALLY_COLUMNS: [(&str, u16); 6] = [
    ("Esc", 4),
    ("Remed", 5),
    ("Simple/Cplx", 11),
    ("Coached", 10),
    ("Not", 10),
    ("Tags", 4),
];

fn tally_widths() -> impl Iterator<Item = Constraint> {
    TALLY_COLUMNS.iter().map(|c| Constraint::Length(c.1))
}

impl super::screen::Screen for KpisView {
    fn context(&self) -> super::keymap::Context {
        super::keymap::Context::Kpis
    }

    fn title(&self, _under: &str) -> String {
        KpisView::title(self)
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &super::screen::DrawCx) {
        KpisView::draw(self, frame, area, cx.theme);
    }

    fn on_action(
        &mut self,
        action: Action,
        _cx: &mut super::screen::Cx,
    ) -> Result<super::screen::Reply> {
        if action == Action::Quit {
            return Ok(Reply::Quit);
        }
        self.action(action)
    }
}
