//! The portfolio screen: every account on one keyset-paged table, with the header strip.
//!
//! Only the rows in view are held in memory; moving past either edge fetches the next
//! rows by keyset on the sort key.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, HighlightSpacing, Paragraph, Row, Table, TableState};
use tui_input::Input;

use super::counter::{COUNT_CAP, Counter};
use super::format::{self, ago, due, renewal_cell};
use super::theme::Theme;
use crate::domain::model::{Role, Segment};
use crate::domain::money;
use crate::domain::risk::RiskBand;
use crate::error::Result;
use crate::store::Store;
use crate::store::completeness::MissingCounts;
use crate::store::portfolio::{
    self, Direction, PortfolioQuery, PortfolioRow, QuickFilters, Sort, SortColumn, Totals,
};

/// Lines above and below the table: title, header strip (3), filter line, column
/// headers, status bar.
const CHROME_LINES: u16 = 7;

pub struct PortfolioView {
    pub query: PortfolioQuery,
    pub rows: Vec<PortfolioRow>,
    pub selected: usize,
    /// Rows that fit on screen.
    pub height: usize,
    pub totals: Totals,
    /// Accounts matching the filters, up to `COUNT_CAP`; None while being counted.
    pub matching: Option<usize>,
    /// Counts in the background when attached; otherwise counting is synchronous.
    pub counter: Option<Counter>,
    /// Which filter the latest count request was for.
    generation: u64,
    /// The name filter while it is being typed.
    pub filter_input: Option<Input>,
    /// Whose portfolio this is when it shows only some CSMs' accounts (the query's
    /// owner filter): a CSM's name or a team's.
    pub owner_label: Option<String>,
    /// What the set-up checklist has left, while the book is incomplete ("2 of 3").
    pub setup_left: Option<usize>,
}

impl PortfolioView {
    pub fn new(query: PortfolioQuery, screen_height: u16) -> PortfolioView {
        PortfolioView {
            query,
            rows: Vec::new(),
            selected: 0,
            height: table_height(screen_height),
            totals: Totals::default(),
            matching: None,
            counter: None,
            generation: 0,
            filter_input: None,
            owner_label: None,
            setup_left: None,
        }
    }

    /// Shows only the accounts `owners` own (None: every account), from the top and
    /// without the previous filters; `label` says whose they are.
    pub fn show_owners(
        &mut self,
        store: &Store,
        owners: Option<Vec<i64>>,
        label: Option<String>,
    ) -> Result<()> {
        self.filter_input = None;
        self.query.owners = owners;
        self.query.quick = QuickFilters::default();
        self.query.name_contains.clear();
        self.owner_label = label;
        self.reload(store)
    }

    /// The screen's title: whose portfolio it is.
    pub fn title(&self) -> String {
        match &self.owner_label {
            Some(label) => format!("Portfolio of {label}"),
            None => "Portfolio".to_string(),
        }
    }

    pub fn selected_row(&self) -> Option<&PortfolioRow> {
        self.rows.get(self.selected)
    }

    /// Fresh totals and the first page.
    pub fn reload(&mut self, store: &Store) -> Result<()> {
        let conn = store.conn();
        self.totals = portfolio::totals_for(conn, &self.query)?;
        self.recount(store)?;
        self.top(store)
    }

    fn recount(&mut self, store: &Store) -> Result<()> {
        let conn = store.conn();
        self.generation += 1;
        self.matching = if !self.filtered() {
            Some(self.totals.accounts as usize)
        } else if let Some(counter) = &self.counter {
            counter.request(self.generation, self.query.clone());
            None
        } else {
            Some(portfolio::count_matching(conn, &self.query, COUNT_CAP)?)
        };
        Ok(())
    }

    /// A background count arrived; it counts only if the filter is still the same.
    pub fn counted(&mut self, generation: u64, n: usize) {
        if generation == self.generation {
            self.matching = Some(n);
        }
    }

    pub fn filtered(&self) -> bool {
        self.query.quick.any() || !self.query.name_contains.trim().is_empty()
    }

    /// Re-reads the rows in view, keeping the first visible row and the selection where
    /// they were (after a change elsewhere, a resize, or a risk refresh).
    pub fn refresh_in_place(&mut self, store: &Store) -> Result<()> {
        let conn = store.conn();
        self.totals = portfolio::totals_for(conn, &self.query)?;
        self.recount(store)?;
        let keep = self.selected_row().map(|r| r.id);
        let Some(first) = self.rows.first() else {
            return self.top(store);
        };
        let before = portfolio::page(
            conn,
            &self.query,
            Some(&first.cursor),
            Direction::Backward,
            1,
        )?;
        self.rows = portfolio::page(
            conn,
            &self.query,
            before.first().map(|r| &r.cursor),
            Direction::Forward,
            self.height,
        )?;
        // Rows that moved up past the page's first (a Red set in the triage pass) must not
        // hide above a page with room left: it shows what comes before it.
        let room = self.height.saturating_sub(self.rows.len());
        if let (true, Some(first)) = (room > 0, self.rows.first()) {
            let mut above = portfolio::page(
                conn,
                &self.query,
                Some(&first.cursor),
                Direction::Backward,
                room,
            )?;
            above.append(&mut self.rows);
            self.rows = above;
        }
        self.selected = keep
            .and_then(|id| self.rows.iter().position(|r| r.id == id))
            .unwrap_or(0);
        self.clamp();
        Ok(())
    }

    /// Re-reads the table with account `id` selected, wherever a change moved it in the
    /// order; in place when it is no longer listed.
    pub fn reselect(&mut self, store: &Store, id: i64) -> Result<()> {
        self.refresh_in_place(store)?;
        if let Some(i) = self.rows.iter().position(|r| r.id == id) {
            self.selected = i;
            return Ok(());
        }
        let conn = store.conn();
        let Some(at) = portfolio::cursor_of(conn, &self.query, id)? else {
            return Ok(());
        };
        // A few rows above it for context; near the top, the table starts at the top.
        let above = self.height / 3;
        let before = portfolio::page(conn, &self.query, Some(&at), Direction::Backward, above + 1)?;
        let start = (before.len() > above).then(|| before[0].cursor.clone());
        let rows = portfolio::page(
            conn,
            &self.query,
            start.as_ref(),
            Direction::Forward,
            self.height,
        )?;
        if let Some(i) = rows.iter().position(|r| r.id == id) {
            self.rows = rows;
            self.selected = i;
        }
        Ok(())
    }

    pub fn set_height(&mut self, store: &Store, screen_height: u16) -> Result<()> {
        let height = table_height(screen_height);
        if height != self.height {
            self.height = height;
            self.refresh_in_place(store)?;
        }
        Ok(())
    }

    fn clamp(&mut self) {
        self.selected = self.selected.min(self.rows.len().saturating_sub(1));
    }

    pub fn top(&mut self, store: &Store) -> Result<()> {
        let conn = store.conn();
        self.rows = portfolio::page(conn, &self.query, None, Direction::Forward, self.height)?;
        self.selected = 0;
        Ok(())
    }

    pub fn bottom(&mut self, store: &Store) -> Result<()> {
        let conn = store.conn();
        self.rows = portfolio::page(conn, &self.query, None, Direction::Backward, self.height)?;
        self.selected = self.rows.len().saturating_sub(1);
        Ok(())
    }

    pub fn down(&mut self, store: &Store) -> Result<()> {
        if self.selected + 1 < self.rows.len() {
            self.selected += 1;
            return Ok(());
        }
        if let Some(row) = self.beyond(store, Direction::Forward, 1)?.pop() {
            self.rows.push(row);
            if self.rows.len() > self.height {
                self.rows.remove(0);
            }
            self.selected = self.rows.len() - 1;
        }
        Ok(())
    }

    pub fn up(&mut self, store: &Store) -> Result<()> {
        if self.selected > 0 {
            self.selected -= 1;
            return Ok(());
        }
        if let Some(row) = self.beyond(store, Direction::Backward, 1)?.pop() {
            self.rows.insert(0, row);
            self.rows.truncate(self.height.max(1));
            self.selected = 0;
        }
        Ok(())
    }

    pub fn page_down(&mut self, store: &Store) -> Result<()> {
        self.page(store, Direction::Forward)
    }

    pub fn page_up(&mut self, store: &Store) -> Result<()> {
        self.page(store, Direction::Backward)
    }

    /// A whole screenful further on; near either end, the last (or first) full page.
    fn page(&mut self, store: &Store, direction: Direction) -> Result<()> {
        let next = self.beyond(store, direction, self.height)?;
        if next.len() < self.height {
            return match direction {
                Direction::Forward => self.bottom(store),
                Direction::Backward => self.top(store),
            };
        }
        self.rows = next;
        self.clamp();
        Ok(())
    }

    /// Up to `n` rows just past the last (or before the first) row in view.
    fn beyond(&self, store: &Store, direction: Direction, n: usize) -> Result<Vec<PortfolioRow>> {
        let conn = store.conn();
        let edge = match direction {
            Direction::Forward => self.rows.last(),
            Direction::Backward => self.rows.first(),
        };
        match edge {
            Some(row) => portfolio::page(conn, &self.query, Some(&row.cursor), direction, n),
            None => Ok(Vec::new()),
        }
    }

    pub fn sort_by(&mut self, store: &Store, column: SortColumn) -> Result<()> {
        self.query.sort = Sort {
            column,
            descending: column.natural_descending(),
        };
        self.top(store)
    }

    pub fn sort_next(&mut self, store: &Store) -> Result<()> {
        let all = SortColumn::ALL;
        let i = all
            .iter()
            .position(|c| *c == self.query.sort.column)
            .unwrap_or(0);
        self.sort_by(store, all[(i + 1) % all.len()])
    }

    pub fn sort_reverse(&mut self, store: &Store) -> Result<()> {
        self.query.sort.descending = !self.query.sort.descending;
        self.top(store)
    }

    pub fn set_quick(&mut self, store: &Store, quick: QuickFilters) -> Result<()> {
        self.query.quick = quick;
        self.recount(store)?;
        self.top(store)
    }

    /// Applies the name filter as typed so far.
    pub fn set_name_filter(&mut self, store: &Store, text: &str) -> Result<()> {
        self.query.name_contains = text.to_string();
        self.recount(store)?;
        self.top(store)
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let [strip, filter, table] = Layout::vertical([
            Constraint::Length(3),
            Constraint::Length(1),
            Constraint::Min(1),
        ])
        .areas(area);
        frame.render_widget(
            Paragraph::new(self.strip_lines(theme, usize::from(strip.width))),
            strip,
        );
        frame.render_widget(Paragraph::new(self.filter_line(theme)), filter);
        if let Some(input) = &self.filter_input {
            let x = filter.x + 8 + input.visual_cursor() as u16;
            if x < filter.right() {
                frame.set_cursor_position((x, filter.y));
            }
        }
        self.draw_table(frame, table, theme);
    }

    fn strip_lines(&self, theme: &Theme, width: usize) -> Vec<Line<'static>> {
        let t = &self.totals;
        let share = |part: i64| (part * 100).checked_div(t.contract_value).unwrap_or(0);
        let first = Line::from(vec![
            Span::styled(format::count(t.accounts), theme.title()),
            Span::raw(format!(
                " account{} · ",
                crate::domain::text::plural(t.accounts)
            )),
            Span::styled(money::compact(t.contract_value), theme.title()),
            Span::raw(" contract value · "),
            Span::styled(money::compact(t.value_at_risk), theme.danger()),
            Span::raw(format!(" at risk ({}%)", share(t.value_at_risk))),
        ]);
        // Value at risk scored on incomplete accounts is said to be provisional.
        let mut first = first;
        if t.missing.value_at_risk > 0 {
            first.spans.push(Span::styled(
                format!(
                    " · {} provisional (5)",
                    money::compact(t.missing.value_at_risk)
                ),
                theme.dim(),
            ));
        }
        let second = Line::from(vec![
            Span::styled(
                format!("R {}", format::count(t.red)),
                theme.pulse(Some(crate::domain::model::Pulse::Red)),
            ),
            Span::raw("  "),
            Span::styled(
                format!("Y {}", format::count(t.yellow)),
                theme.pulse(Some(crate::domain::model::Pulse::Yellow)),
            ),
            Span::raw("  "),
            Span::styled(
                format!("G {}", format::count(t.green)),
                theme.pulse(Some(crate::domain::model::Pulse::Green)),
            ),
            Span::styled(
                format!("  unrated {}", format::count(t.unrated)),
                theme.dim(),
            ),
            Span::raw(" · follow-ups due today "),
            Span::styled(format::count(t.followups_due_today), theme.title()),
            Span::raw(", overdue "),
            Span::styled(
                format::count(t.followups_overdue),
                if t.followups_overdue > 0 {
                    theme.warn()
                } else {
                    Style::new()
                },
            ),
            Span::styled(" (f)", theme.key()),
        ]);
        vec![first, second, missing_line(&t.missing, theme, width)]
    }

    fn filter_line(&self, theme: &Theme) -> Line<'static> {
        let mut spans = vec![Span::styled("Filter: ", theme.dim())];
        match &self.filter_input {
            Some(input) => spans.push(Span::styled(input.value().to_string(), theme.key())),
            None if self.query.name_contains.is_empty() => {
                spans.push(Span::styled("/ to type a name", theme.dim()))
            }
            None => spans.push(Span::raw(self.query.name_contains.clone())),
        }
        let q = &self.query.quick;
        for (on, label) in [
            (q.at_risk, "at risk"),
            (q.renewal_90, "renewing ≤90d or passed"),
            (q.stale, "stale"),
            (q.overdue, "overdue"),
            (q.incomplete, "incomplete"),
        ] {
            if on {
                spans.push(Span::raw(" "));
                spans.push(Span::styled(format!("[{label}]"), theme.key()));
            }
        }
        let shown = match self.matching {
            None => "counting…".to_string(),
            Some(n) if n >= COUNT_CAP => format!("{}+", format::count(COUNT_CAP as i64)),
            Some(n) => format::count(n as i64),
        };
        let sort = self.query.sort;
        spans.push(Span::styled(
            format!(
                "  {shown} shown · by {} {}",
                sort.column.label(),
                if sort.descending { "↓" } else { "↑" }
            ),
            theme.dim(),
        ));
        if let Some(left) = self.setup_left {
            spans.push(Span::styled(
                format!("  set-up: {left} of 3 to do"),
                theme.warn(),
            ));
            spans.push(Span::styled(" (b)", theme.key()));
        }
        Line::from(spans)
    }

    fn draw_table(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let sort = self.query.sort;
        let layout = Columns::fit(area.width, &self.rows, sort.column);
        let columns: Vec<SortColumn> = layout.widths.iter().map(|(c, _)| *c).collect();
        let widths: Vec<Constraint> = layout
            .widths
            .iter()
            .map(|(_, w)| Constraint::Length(*w))
            .collect();
        let header = Row::new(columns.iter().map(|c| {
            let mut title = c.title().to_string();
            if *c == sort.column {
                title.push(if sort.descending { '↓' } else { '↑' });
            }
            Cell::from(title)
        }))
        .style(theme.header());
        if self.rows.is_empty() {
            let msg = if self.filtered() {
                "No account matches these filters. Esc clears them."
            } else {
                "No accounts yet. Run `attuned demo` for a demo portfolio."
            };
            let [head, body] =
                Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
            frame.render_widget(
                Table::new(Vec::<Row>::new(), widths)
                    .header(header)
                    .column_spacing(layout.spacing)
                    .highlight_spacing(HighlightSpacing::Always),
                head,
            );
            frame.render_widget(Paragraph::new(msg).style(theme.dim()), body);
            return;
        }
        let names: Vec<&str> = self.rows.iter().map(|r| r.name.as_str()).collect();
        let ctx = CellContext {
            today: self.query.today,
            stale_cutoff: self.query.stale_cutoff(),
            theme,
            names: &names,
        };
        let rows = self.rows.iter().map(|row| {
            Row::new(
                layout
                    .widths
                    .iter()
                    .map(|(c, w)| c.cell(row, usize::from(*w), &ctx)),
            )
        });
        let table = Table::new(rows, widths)
            .header(header)
            .column_spacing(layout.spacing)
            .row_highlight_style(theme.selected())
            .highlight_symbol("▶ ")
            .highlight_spacing(HighlightSpacing::Always);
        let mut state = TableState::default().with_selected(Some(self.selected));
        frame.render_stateful_widget(table, area, &mut state);
    }
}

/// The header strip's third line: what the accounts lack to be scored with confidence
/// ("212 accounts have no renewal date · …"), and the key that lists them. Gaps are
/// shown whole while they fit in `width`; the rest are counted ("+1 more").
fn missing_line(m: &MissingCounts, theme: &Theme, width: usize) -> Line<'static> {
    if m.incomplete == 0 {
        return Line::styled(
            "Every account has a value, a renewal, a rated persona and a CSM sentiment",
            theme.dim(),
        );
    }
    let mut spans = vec![
        Span::styled(format::count(m.incomplete), theme.warn()),
        Span::raw(" incomplete"),
        Span::styled(" (5)", theme.key()),
    ];
    let gaps: Vec<String> = m.lines().map(|(gap, n)| gap.count_line(n)).collect();
    let mut used: usize = spans.iter().map(Span::width).sum();
    for (i, gap) in gaps.iter().enumerate() {
        let sep = if i == 0 { ": " } else { " · " };
        let left = gaps.len() - i;
        // Room for this gap, and for "· +N more" after it unless it is the last.
        let more = if left > 1 {
            format!(" · +{} more", left - 1)
        } else {
            String::new()
        };
        if used + format::width(sep) + format::width(gap) + format::width(&more) > width {
            // Nothing fits after the count: the count and its key say enough.
            if i > 0 {
                spans.push(Span::styled(format!("{sep}+{left} more"), theme.dim()));
            }
            break;
        }
        spans.push(Span::raw(format!("{sep}{gap}")));
        used += format::width(sep) + format::width(gap);
    }
    Line::from(spans)
}

/// Rows the table shows for a terminal of `screen_height` lines.
pub fn table_height(screen_height: u16) -> usize {
    screen_height.saturating_sub(CHROME_LINES).max(1) as usize
}

struct CellContext<'a> {
    today: chrono::NaiveDate,
    stale_cutoff: chrono::DateTime<chrono::Utc>,
    theme: &'a Theme,
    /// The names in view, so look-alikes keep what tells them apart when cut.
    names: &'a [&'a str],
}

/// How each sortable column shows in the table; the ▶ marker is the table's highlight.
trait ColumnView {
    fn title(self) -> &'static str;
    /// The columns the cell takes: fixed for figures and dates, from what the rows hold
    /// for names and coverage.
    fn content_width(self, rows: &[PortfolioRow]) -> u16;
    fn cell(self, row: &PortfolioRow, width: usize, ctx: &CellContext<'_>) -> Cell<'static>;
}

impl ColumnView for SortColumn {
    fn title(self) -> &'static str {
        match self {
            SortColumn::Name => "Account",
            SortColumn::Segment => "Seg",
            SortColumn::Value => "Value",
            SortColumn::Renewal => "Renewal",
            SortColumn::Pulse => "CSM",
            SortColumn::Coverage => "Coverage",
            SortColumn::Risk => "Risk",
            SortColumn::LastTouch => "Touch",
            SortColumn::NextFollowup => "Follow-up",
        }
    }

    fn content_width(self, rows: &[PortfolioRow]) -> u16 {
        let widest = |text: fn(&PortfolioRow) -> String| {
            rows.iter()
                .map(|r| format::width(&text(r)))
                .max()
                .unwrap_or(0) as u16
        };
        match self {
            SortColumn::Name => widest(|r| r.name.clone()),
            SortColumn::Segment => 5,
            SortColumn::Value => 6,
            // "Sep 19 2027", "Jan 07 -45d".
            SortColumn::Renewal => 11,
            SortColumn::Pulse => 3,
            SortColumn::Coverage => widest(coverage_text).min(COVERAGE_MAX),
            SortColumn::Risk => 5,
            SortColumn::LastTouch => 5,
            // "117d late".
            SortColumn::NextFollowup => 9,
        }
    }

    fn cell(self, row: &PortfolioRow, width: usize, ctx: &CellContext<'_>) -> Cell<'static> {
        let theme = ctx.theme;
        match self {
            SortColumn::Name => Cell::from(format::fit_apart(&row.name, width, ctx.names)),
            SortColumn::Segment => {
                Cell::from(format!("{} {}", segment_short(row.segment), row.tier))
            }
            SortColumn::Value => Cell::from(money::compact(row.contract_value)),
            SortColumn::Renewal => {
                let soon = row
                    .renewal_date
                    .is_some_and(|d| (d - ctx.today).num_days() <= 90);
                let style = if soon { theme.warn() } else { Style::new() };
                Cell::from(Span::styled(
                    renewal_cell(row.renewal_date, ctx.today),
                    style,
                ))
            }
            SortColumn::Pulse => pulse_cell(row, ctx),
            SortColumn::Coverage => {
                let text = format::fit(&coverage_text(row), width);
                let style = if row.personas_strong <= 1 {
                    theme.warn()
                } else {
                    Style::new()
                };
                Cell::from(Span::styled(text, style))
            }
            SortColumn::Risk if !row.missing.is_complete() => {
                // A score built on absences is not shown as a confident one.
                Cell::from(Span::styled(format!("{:>2}?", row.risk), theme.dim()))
            }
            SortColumn::Risk => {
                let band = RiskBand::of(row.risk);
                let text = format!("{:>3} {}", row.risk, &band.label()[..1]);
                Cell::from(Span::styled(text, theme.risk(band)))
            }
            SortColumn::LastTouch => Cell::from(ago(row.last_touch_at, ctx.today)),
            SortColumn::NextFollowup => {
                let late = row.next_followup_on.is_some_and(|d| d < ctx.today);
                let style = if late { theme.danger() } else { Style::new() };
                Cell::from(Span::styled(due(row.next_followup_on, ctx.today), style))
            }
        }
    }
}

/// "1/4 -EB,ES": strong personas of all, and the key roles nobody fills.
fn coverage_text(row: &PortfolioRow) -> String {
    let missing: Vec<&str> = row.missing_roles.iter().map(|r| role_short(*r)).collect();
    let mut text = format!("{}/{}", row.personas_strong, row.personas_total);
    if !missing.is_empty() {
        text.push_str(&format!(" -{}", missing.join(",")));
    }
    text
}

/// "R↘" with a "*" when the score is stale (older than the staleness window).
fn pulse_cell(row: &PortfolioRow, ctx: &CellContext<'_>) -> Cell<'static> {
    let theme = ctx.theme;
    let Some(pulse) = row.pulse else {
        return Cell::from(Span::styled("—", theme.dim()));
    };
    let trend = match row.pulse_prev {
        Some(prev) => {
            crate::domain::model::Trend::of(prev.health().into(), pulse.health().into()).arrow()
        }
        None => ' ',
    };
    let stale = row.pulse_at.is_none_or(|t| t <= ctx.stale_cutoff);
    let mut spans = vec![Span::styled(
        format!("{}{}", pulse.letter(), trend),
        theme.pulse(Some(pulse)),
    )];
    if stale {
        spans.push(Span::styled("*", theme.stale()));
    }
    Cell::from(Line::from(spans))
}

fn segment_short(s: Segment) -> &'static str {
    match s {
        Segment::Enterprise => "ENT",
        Segment::MidMarket => "MM",
        Segment::Smb => "SMB",
    }
}

/// Two letters for a missing key role in the coverage column.
pub fn role_short(r: Role) -> &'static str {
    match r {
        Role::Champion => "CH",
        Role::EconomicBuyer => "EB",
        Role::ExecutiveSponsor => "ES",
        Role::DecisionMaker => "DM",
        Role::TechnicalLead => "TL",
        Role::Admin => "AD",
        Role::EndUser => "EU",
        Role::Detractor => "DT",
        Role::Other => "OT",
    }
}

/// Coverage cells wider than this are cut (a long run of missing roles).
const COVERAGE_MAX: u16 = 16;
/// Names get at least this much before a less needed column is kept.
const NAME_MIN: u16 = 20;
/// Names longer than this are cut even on a wide terminal; the room goes between columns.
const NAME_MAX: u16 = 40;

/// The table's columns with their widths and the gap between them.
struct Columns {
    widths: Vec<(SortColumn, u16)>,
    spacing: u16,
}

impl Columns {
    /// The columns that fit in `width` (beside the 2-cell marker), the least needed
    /// dropped first; each as wide as what the rows hold (and its title, with the sort
    /// arrow), the name column with what is left up to its longest name, and the room
    /// still left between the columns.
    fn fit(width: u16, rows: &[PortfolioRow], sorted: SortColumn) -> Columns {
        use SortColumn::*;
        let own = |c: SortColumn| {
            let title = format::width(c.title()) as u16 + u16::from(c == sorted);
            c.content_width(rows).max(title)
        };
        let mut cols: Vec<(SortColumn, u16)> =
            SortColumn::ALL.iter().map(|c| (*c, own(*c))).collect();
        // Without the name: the other columns and one space before each.
        let others = |cols: &[(SortColumn, u16)]| -> u16 {
            cols.iter()
                .filter(|(c, _)| *c != Name)
                .map(|(_, w)| w + 1)
                .sum()
        };
        // Dropped in this order as the terminal narrows: name, risk, CSM sentiment,
        // renewal and follow-up stay longest.
        for victim in [
            Segment,
            LastTouch,
            Value,
            Coverage,
            NextFollowup,
            Renewal,
            Pulse,
        ] {
            if 2 + NAME_MIN + others(&cols) <= width {
                break;
            }
            cols.retain(|(c, _)| *c != victim);
        }
        let rest: Vec<u16> = cols
            .iter()
            .filter(|(c, _)| *c != Name)
            .map(|(_, w)| *w)
            .collect();
        let need = own(Name).clamp(NAME_MIN, NAME_MAX);
        let (name, spacing) = format::name_and_gap(width.saturating_sub(2), need, &rest);
        if let Some(n) = cols.iter_mut().find(|(c, _)| *c == Name) {
            n.1 = name;
        }
        Columns {
            widths: cols,
            spacing,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(width: u16) -> Vec<SortColumn> {
        Columns::fit(width, &[], SortColumn::Risk)
            .widths
            .iter()
            .map(|(c, _)| *c)
            .collect()
    }

    #[test]
    fn narrow_terminals_keep_the_most_needed_columns() {
        assert_eq!(shown(200).len(), 9);
        let narrow = shown(40);
        assert!(narrow.contains(&SortColumn::Name) && narrow.contains(&SortColumn::Risk));
        assert!(!narrow.contains(&SortColumn::Segment));
        // At 80 columns: name, risk, CSM sentiment, renewal and follow-up at least.
        let everyday = shown(80);
        for c in [
            SortColumn::Name,
            SortColumn::Risk,
            SortColumn::Pulse,
            SortColumn::Renewal,
            SortColumn::NextFollowup,
        ] {
            assert!(everyday.contains(&c), "{c:?} at 80 columns");
        }
    }

    #[test]
    fn columns_take_what_they_hold_and_fill_the_width() {
        for width in [40u16, 60, 80, 120, 160, 200] {
            let layout = Columns::fit(width, &[], SortColumn::NextFollowup);
            let used: u16 = 2
                + layout.widths.iter().map(|(_, w)| w).sum::<u16>()
                + layout.spacing * (layout.widths.len() as u16 - 1);
            assert!(used <= width, "{used} > {width}");
            // The sort arrow fits beside the longest title.
            let follow = layout
                .widths
                .iter()
                .find(|(c, _)| *c == SortColumn::NextFollowup);
            assert!(follow.is_none_or(|(_, w)| *w >= 10), "{width}: {follow:?}");
        }
        // The name column takes what its names need, not half a wide terminal.
        let layout = Columns::fit(120, &[], SortColumn::Risk);
        assert_eq!(layout.widths[0], (SortColumn::Name, NAME_MIN));
        assert!(layout.spacing > 1);
    }
}
