//! One table of key bindings per context. Key handling, the `?` help, the status bar and
//! the `:` palette are all generated from it, so none of them can disagree.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::store::portfolio::SortColumn;

/// Declares `Context` and `Context::ALL` from one list, so no context can be left out of
/// `ALL` (the conflict test walks it).
macro_rules! contexts {
    ($($(#[$doc:meta])* $name:ident,)*) => {
        /// Where the keyboard focus is; decides what a key means.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Context {
            $($(#[$doc])* $name,)*
        }

        impl Context {
            /// Every context, in declaration order.
            pub const ALL: &[Context] = &[$(Context::$name,)*];
        }
    };
}

contexts! {
    Portfolio,
    Account,
    Help,
    /// Choosing participants and the call type before a call.
    CallStart,
    /// The live call checklist.
    Call,
    /// The calls waiting for a retrospective.
    Retros,
    /// The offer to resume an interrupted call.
    Resume,
    /// One persona with its history, from the account workspace.
    Persona,
    /// One touch in full, from the account's timeline.
    Touch,
    /// The account's reports-to tree.
    OrgChart,
    /// The wrap-up form: tags after a call, a logged touch, a correction.
    WrapUp,
    /// The follow-up queue across the portfolio.
    Followups,
    /// The team view: per CSM under their team lead; Enter drills into a portfolio.
    Team,
    /// Adaptability audits: the quarter's sample per CSM and the summary.
    Audits,
    /// Scoring one audited touch (the form takes its own keys).
    AuditScore,
    /// Coaching KPIs: tables and charts for everyone, a team or a CSM.
    Kpis,
    /// The set-up checklist of a freshly imported book.
    SetUp,
    /// The guessed roles, one by one: confirm or change.
    RoleReview,
    /// Contract values and renewal dates typed in a table (the table takes its own keys).
    ValueTable,
    /// A first R/Y/G and key persona strengths, account by account.
    Triage,
    /// "Which owner is you?" on opening a file of several owners.
    WhoIsMe,
}

impl Context {
    /// What help calls the screen.
    pub fn name(self) -> &'static str {
        match self {
            Context::Portfolio => "portfolio",
            Context::Account => "account",
            Context::Help => "help",
            Context::CallStart => "new call",
            Context::Call => "call",
            Context::Retros => "retrospectives",
            Context::Resume => "interrupted call",
            Context::Persona => "persona",
            Context::Touch => "touch",
            Context::OrgChart => "org chart",
            Context::WrapUp => "wrap-up",
            Context::Followups => "follow-ups",
            Context::Team => "team",
            Context::WhoIsMe => "who is me",
            Context::Audits => "audits",
            Context::AuditScore => "audit scoring",
            Context::Kpis => "coaching KPIs",
            Context::SetUp => "set-up checklist",
            Context::RoleReview => "role review",
            Context::ValueTable => "values and renewals",
            Context::Triage => "triage",
        }
    }
}

/// Everything a key or a palette command can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    Back,
    Help,
    Palette,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Open,
    Filter,
    NextPane,
    SortNext,
    SortReverse,
    SortBy(SortColumn),
    ToggleAtRisk,
    ToggleRenewalSoon,
    ToggleStale,
    ToggleOverdue,
    ToggleIncomplete,
    StartCall,
    Retros,
    CallBegin,
    ToggleParticipant,
    CallTypeNext,
    CallNext,
    CallPrev,
    CallNote,
    CallSkip,
    CallPause,
    CallEnd,
    CallDiscard,
    CallSave,
    PromptNext,
    PromptUsed,
    InterventionNext,
    FollowupNext,
    FollowupType,
    CallPulse(crate::domain::model::Pulse),
    ClearFilters,
    StrengthUp,
    StrengthDown,
    SentimentUp,
    SentimentDown,
    SetPulse,
    AddPersona,
    EditPersona,
    ArchivePersona,
    OrgChart,
    LogTouch,
    Followups,
    FollowupDone,
    FollowupSnooze,
    FollowupReschedule,
    CorrectTouch,
    FormSave,
    FormNextField,
    TeamView,
    Audits,
    AuditDraw,
    AuditSeed,
    QuarterPrev,
    QuarterNext,
    AuditScore,
    AuditClear,
    AuditComment,
    AuditNextTouch,
    AuditPrevTouch,
    Kpis,
    KpiScopeNext,
    KpiScopePrev,
    KpiCharts,
    KpiTable,
    /// The set-up checklist (from the portfolio), and its three passes.
    SetUp,
    SetUpValues,
    SetUpRoles,
    SetUpTriage,
    /// The guessed role is right: it becomes the CSM's.
    RoleConfirm,
    /// The guessed role becomes this one.
    RoleSet(crate::domain::model::Role),
    /// The triaged account's CSM sentiment (Red and Yellow ask for a reason).
    TriagePulse(crate::domain::model::Pulse),
    /// The strength of the key persona under the cursor (the cursor then moves on).
    TriageStrength(crate::domain::model::Strength),
    TriageNext,
    TriagePrev,
    /// Values table: change the cell (it reads its own keys; this documents them).
    EditCell,
    /// Copy the account's brief (Markdown) to the clipboard through the terminal.
    CopyBrief,
}

/// What an edit changes: a CSM's records, or the team lead's audits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edits {
    Records,
    Audits,
}

impl Action {
    /// What an editing action would have done, and whether a team file refuses it too
    /// (a team lead's audits are the one edit of a team file). The app's one gate
    /// (`App::update`) refuses these on a read-only file.
    pub fn edit(self) -> Option<(&'static str, Edits)> {
        use Edits::{Audits, Records};
        Some(match self {
            Action::StrengthUp | Action::StrengthDown => {
                ("a persona's strength cannot change", Records)
            }
            Action::SentimentUp | Action::SentimentDown => {
                ("a persona's sentiment cannot change", Records)
            }
            Action::SetPulse => ("the CSM sentiment cannot be set", Records),
            Action::AddPersona => ("personas cannot be added", Records),
            Action::EditPersona => ("personas cannot be edited", Records),
            Action::ArchivePersona => ("personas cannot be archived", Records),
            Action::CorrectTouch => ("touches cannot be corrected", Records),
            Action::LogTouch => ("a touch cannot be logged", Records),
            Action::StartCall => ("a call cannot be recorded", Records),
            Action::CallDiscard => ("a call cannot be discarded", Records),
            Action::Retros => ("retrospectives cannot be written", Records),
            Action::FollowupDone | Action::FollowupSnooze | Action::FollowupReschedule => {
                ("follow-ups cannot change", Records)
            }
            Action::AuditSeed | Action::AuditDraw => ("no sample can be drawn", Audits),
            Action::RoleConfirm | Action::RoleSet(_) => ("roles cannot change", Records),
            Action::TriagePulse(_) => ("the CSM sentiment cannot be set", Records),
            Action::TriageStrength(_) => ("a persona's strength cannot change", Records),
            _ => return None,
        })
    }
}

/// A key as shown to the CSM and matched against events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
}

impl Key {
    const fn plain(code: KeyCode) -> Key {
        Key { code, ctrl: false }
    }

    const fn ch(c: char) -> Key {
        Key::plain(KeyCode::Char(c))
    }

    const fn ctrl(c: char) -> Key {
        Key {
            code: KeyCode::Char(c),
            ctrl: true,
        }
    }

    pub fn matches(&self, event: &KeyEvent) -> bool {
        let ctrl = event.modifiers.contains(KeyModifiers::CONTROL);
        match (self.code, event.code) {
            // Shifted letters arrive as uppercase chars; compare the char only.
            (KeyCode::Char(a), KeyCode::Char(b)) => a == b && ctrl == self.ctrl,
            (a, b) => a == b && ctrl == self.ctrl,
        }
    }

    pub fn label(&self) -> String {
        let base = match self.code {
            KeyCode::Char(' ') => "Space".to_string(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Enter => "Enter".into(),
            KeyCode::Esc => "Esc".into(),
            KeyCode::Tab => "Tab".into(),
            KeyCode::Up => "↑".into(),
            KeyCode::Down => "↓".into(),
            KeyCode::PageUp => "PgUp".into(),
            KeyCode::PageDown => "PgDn".into(),
            KeyCode::Home => "Home".into(),
            KeyCode::End => "End".into(),
            other => format!("{other:?}"),
        };
        if self.ctrl {
            format!("Ctrl-{base}")
        } else {
            base
        }
    }
}

/// One binding: the keys, what they do, and the words shown for them.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub keys: &'static [Key],
    pub action: Action,
    /// What help and the palette call it.
    pub description: &'static str,
    /// A short word for the status bar; bindings without one are only in help.
    pub hint: Option<&'static str>,
    /// What the status bar shows for the keys, when not the first key (`1-9`).
    pub label: Option<&'static str>,
}

impl Binding {
    /// The keys as the status bar shows them.
    pub fn key_label(&self) -> String {
        match (self.label, self.keys.first()) {
            (Some(label), _) => label.to_string(),
            (None, Some(key)) => key.label(),
            (None, None) => String::new(),
        }
    }
}

const fn bind(
    keys: &'static [Key],
    action: Action,
    description: &'static str,
    hint: Option<&'static str>,
) -> Binding {
    Binding {
        keys,
        action,
        description,
        hint,
        label: None,
    }
}

/// Only a status-bar hint for a run of keys bound one by one (`1-9 role`): it binds no
/// key and help leaves it out (the keys are listed one by one).
const fn hint_only(label: &'static str, action: Action, hint: &'static str) -> Binding {
    Binding {
        keys: &[],
        action,
        description: "",
        hint: Some(hint),
        label: Some(label),
    }
}

const MOVE: [Binding; 6] = [
    bind(
        &[Key::ch('j'), Key::plain(KeyCode::Down)],
        Action::Down,
        "Move down",
        None,
    ),
    bind(
        &[Key::ch('k'), Key::plain(KeyCode::Up)],
        Action::Up,
        "Move up",
        None,
    ),
    bind(
        &[Key::plain(KeyCode::PageDown), Key::ctrl('d')],
        Action::PageDown,
        "Page down",
        None,
    ),
    bind(
        &[Key::plain(KeyCode::PageUp), Key::ctrl('u')],
        Action::PageUp,
        "Page up",
        None,
    ),
    bind(
        &[Key::ch('g'), Key::plain(KeyCode::Home)],
        Action::Top,
        "Go to the top",
        None,
    ),
    bind(
        &[Key::ch('G'), Key::plain(KeyCode::End)],
        Action::Bottom,
        "Go to the bottom",
        None,
    ),
];

const GLOBAL: [Binding; 4] = [
    bind(&[Key::ch('?')], Action::Help, "Show the keys", Some("help")),
    bind(
        &[Key::ch(':')],
        Action::Palette,
        "Command palette",
        Some("commands"),
    ),
    bind(&[Key::ch('q')], Action::Quit, "Quit attuned", Some("quit")),
    bind(&[Key::ctrl('c')], Action::Quit, "Quit attuned", None),
];

const PORTFOLIO: [Binding; 10] = [
    bind(
        &[Key::plain(KeyCode::Enter)],
        Action::Open,
        "Open the account",
        Some("open"),
    ),
    bind(
        &[Key::ch('/')],
        Action::Filter,
        "Filter accounts by name",
        Some("filter"),
    ),
    bind(
        &[Key::ch('s')],
        Action::SortNext,
        "Sort by the next column",
        Some("sort"),
    ),
    bind(
        &[Key::ch('S')],
        Action::SortReverse,
        "Reverse the sort order",
        None,
    ),
    bind(
        &[Key::ch('1')],
        Action::ToggleAtRisk,
        "Only accounts at risk",
        Some("at risk"),
    ),
    bind(
        &[Key::ch('2')],
        Action::ToggleRenewalSoon,
        "Only renewals within 90 days or passed",
        Some("renewing"),
    ),
    bind(
        &[Key::ch('3')],
        Action::ToggleStale,
        "Only stale CSM sentiment",
        Some("stale"),
    ),
    bind(
        &[Key::ch('4')],
        Action::ToggleOverdue,
        "Only overdue follow-ups",
        Some("overdue"),
    ),
    bind(
        &[Key::ch('5')],
        Action::ToggleIncomplete,
        "Only incomplete accounts (no value, renewal date, rated persona or sentiment)",
        // The header strip's "incomplete (5)" shows the key; the status bar is full.
        None,
    ),
    bind(
        &[Key::ch('0'), Key::plain(KeyCode::Esc)],
        Action::ClearFilters,
        "Clear all filters",
        None,
    ),
];

const ACCOUNT: [Binding; 7] = [
    bind(
        &[Key::plain(KeyCode::Tab)],
        Action::NextPane,
        "Next pane (personas, touches)",
        Some("pane"),
    ),
    bind(
        &[Key::plain(KeyCode::Enter)],
        Action::Open,
        "Open the persona (with its history) or the touch",
        Some("open"),
    ),
    bind(
        &[Key::ch('s')],
        Action::SetPulse,
        "Set the CSM sentiment (R/Y/G) with a reason",
        Some("R/Y/G"),
    ),
    bind(&[Key::ch('i')], Action::AddPersona, "Add a persona", None),
    bind(
        &[Key::ch('o')],
        Action::OrgChart,
        "Org chart (reports-to tree)",
        None,
    ),
    bind(
        &[Key::ch('y')],
        Action::CopyBrief,
        "Copy the account brief (Markdown) to the clipboard (OSC 52)",
        Some("copy"),
    ),
    bind(
        &[Key::plain(KeyCode::Esc)],
        Action::Back,
        "Back to the portfolio",
        Some("back"),
    ),
];

/// Changing the selected persona, from the workspace and from its own view.
const PERSONA_EDIT: [Binding; 6] = [
    bind(
        &[Key::ch('+'), Key::ch('=')],
        Action::StrengthUp,
        "Persona strength up (None → Weak → Okay → Very good)",
        Some("strength"),
    ),
    bind(
        &[Key::ch('-')],
        Action::StrengthDown,
        "Persona strength down",
        None,
    ),
    bind(
        &[Key::ch(']')],
        Action::SentimentUp,
        "Persona sentiment up (negative → neutral → positive)",
        Some("feels"),
    ),
    bind(
        &[Key::ch('[')],
        Action::SentimentDown,
        "Persona sentiment down",
        None,
    ),
    bind(
        &[Key::ch('e')],
        Action::EditPersona,
        "Edit the persona (fields, reports-to, why)",
        None,
    ),
    bind(
        &[Key::ch('d')],
        Action::ArchivePersona,
        "Archive the persona (asks first; history is kept)",
        None,
    ),
];

const PERSONA: [Binding; 1] = [bind(
    &[Key::plain(KeyCode::Esc)],
    Action::Back,
    "Back to the account",
    Some("back"),
)];

const TOUCH: [Binding; 2] = [
    bind(
        &[Key::plain(KeyCode::Esc)],
        Action::Back,
        "Back to the account",
        Some("back"),
    ),
    bind(
        &[Key::ch('e')],
        Action::CorrectTouch,
        "Correct this touch's tags (the earlier values are kept)",
        Some("correct"),
    ),
];

/// The wrap-up form handles its own keys (text fields type); these describe them.
const WRAP_UP: [Binding; 4] = [
    bind(
        &[Key::plain(KeyCode::Enter)],
        Action::FormSave,
        "Save the touch and its effects (in the notes Enter starts a new line)",
        Some("save"),
    ),
    bind(
        &[Key::ctrl('s')],
        Action::FormSave,
        "Save from any field",
        None,
    ),
    bind(
        &[Key::plain(KeyCode::Tab)],
        Action::FormNextField,
        "Next field (Shift-Tab, arrows: previous and next); r/y/g sentiment, ←/→ choose, +/- ]/[ a participant's strength and sentiment",
        Some("field"),
    ),
    bind(
        &[Key::plain(KeyCode::Esc)],
        Action::Back,
        "Cancel (nothing is saved)",
        Some("cancel"),
    ),
];

const FOLLOWUPS: [Binding; 6] = [
    bind(
        &[Key::plain(KeyCode::Enter)],
        Action::Open,
        "Open the follow-up's account",
        Some("open"),
    ),
    bind(
        &[Key::ch('d')],
        Action::FollowupDone,
        "Mark the follow-up done",
        Some("done"),
    ),
    bind(
        &[Key::ch('z')],
        Action::FollowupSnooze,
        "Snooze it by a day",
        Some("snooze"),
    ),
    bind(
        &[Key::ch('r')],
        Action::FollowupReschedule,
        "Reschedule it (+2d, fri, YYYY-MM-DD)",
        Some("reschedule"),
    ),
    bind(
        &[Key::ch('c')],
        Action::StartCall,
        "Start a call on its account",
        Some("call"),
    ),
    bind(
        &[Key::plain(KeyCode::Esc)],
        Action::Back,
        "Back",
        Some("back"),
    ),
];

const AUDITS: [Binding; 6] = [
    bind(
        &[Key::plain(KeyCode::Enter)],
        Action::Open,
        "Open the touch with its notes and score it",
        Some("score"),
    ),
    bind(
        &[Key::ch('d')],
        Action::AuditDraw,
        "Draw the sample: 10 touches per CSM (scored audits are kept; drawing again tops up)",
        Some("draw"),
    ),
    bind(
        &[Key::ch('s')],
        Action::AuditSeed,
        "Change the seed (the same seed draws the same touches)",
        Some("seed"),
    ),
    bind(
        &[Key::ch('[')],
        Action::QuarterPrev,
        "Previous quarter",
        Some("quarter"),
    ),
    bind(&[Key::ch(']')], Action::QuarterNext, "Next quarter", None),
    bind(
        &[Key::plain(KeyCode::Esc)],
        Action::Back,
        "Back",
        Some("back"),
    ),
];

/// On the team view: the selected CSM's audits (on a team's line: every CSM's).
const TEAM_AUDITS: [Binding; 1] = [bind(
    &[Key::ch('a')],
    Action::Audits,
    "Adaptability audits of the selected CSM (on a team's line: every CSM's)",
    Some("audits"),
)];

/// The scoring form handles its own keys (the comment types); these describe them.
const AUDIT_SCORE: [Binding; 8] = [
    bind(
        &[
            Key::ch('1'),
            Key::ch('2'),
            Key::ch('3'),
            Key::ch('4'),
            Key::ch('5'),
        ],
        Action::AuditScore,
        "Score the field 1 to 5 and go to the next (rubric: 1 reads scripts verbatim … 5 adapts to the person and moment)",
        Some("score"),
    ),
    bind(
        &[Key::ch('0'), Key::plain(KeyCode::Backspace)],
        Action::AuditClear,
        "Clear the field's score",
        None,
    ),
    bind(
        &[
            Key::plain(KeyCode::Tab),
            Key::plain(KeyCode::Down),
            Key::ch('j'),
        ],
        Action::FormNextField,
        "Next field (Shift-Tab, ↑, k: previous)",
        Some("field"),
    ),
    bind(
        &[Key::plain(KeyCode::Enter), Key::ch('c')],
        Action::AuditComment,
        "Write the comment (multi-line, saved as you type; Tab leaves it)",
        Some("comment"),
    ),
    bind(
        &[Key::ch('n')],
        Action::AuditNextTouch,
        "Score the next audited touch",
        Some("next"),
    ),
    bind(
        &[Key::ch('p')],
        Action::AuditPrevTouch,
        "Score the previous audited touch",
        None,
    ),
    bind(
        &[Key::plain(KeyCode::PageDown), Key::plain(KeyCode::PageUp)],
        Action::PageDown,
        "Scroll the touch's notes",
        None,
    ),
    bind(
        &[Key::plain(KeyCode::Esc)],
        Action::Back,
        "Back to the list (every score is saved as it is given)",
        Some("back"),
    ),
];

const ORG_CHART: [Binding; 1] = [bind(
    &[Key::plain(KeyCode::Esc), Key::ch('o')],
    Action::Back,
    "Back to the account",
    Some("back"),
)];

const PORTFOLIO_CALLS: [Binding; 5] = [
    bind(
        &[Key::ch('c')],
        Action::StartCall,
        "Start a call on the account (live checklist)",
        Some("call"),
    ),
    bind(
        &[Key::ch('l')],
        Action::LogTouch,
        "Log a touch on the account (email, meeting, QBR, note)",
        Some("log"),
    ),
    bind(
        &[Key::ch('f')],
        Action::Followups,
        "Follow-ups: overdue, today, this week, later",
        Some("follow-ups"),
    ),
    bind(
        &[Key::ch('R')],
        Action::Retros,
        "Calls waiting for a retrospective",
        None,
    ),
    bind(
        &[Key::ch('A')],
        Action::Audits,
        "Adaptability audits: sample touches per CSM and quarter, score them",
        None,
    ),
];

const ACCOUNT_CALLS: [Binding; 3] = [
    bind(
        &[Key::ch('c')],
        Action::StartCall,
        "Start a call on this account (live checklist)",
        Some("call"),
    ),
    bind(
        &[Key::ch('l')],
        Action::LogTouch,
        "Log a touch on this account (email, meeting, QBR, note)",
        Some("log"),
    ),
    bind(
        &[Key::ch('f')],
        Action::Followups,
        "Follow-ups across the portfolio",
        None,
    ),
];

const CALL_START: [Binding; 4] = [
    bind(
        &[Key::plain(KeyCode::Enter)],
        Action::CallBegin,
        "Start the call",
        Some("start"),
    ),
    bind(
        &[Key::ch(' ')],
        Action::ToggleParticipant,
        "Add or remove the participant",
        Some("participant"),
    ),
    bind(
        &[Key::ch('t'), Key::plain(KeyCode::Tab)],
        Action::CallTypeNext,
        "Next call type (check-in, escalation, renewal, onboarding, QBR)",
        Some("type"),
    ),
    bind(
        &[Key::plain(KeyCode::Esc)],
        Action::Back,
        "Cancel",
        Some("cancel"),
    ),
];

const CALL: [Binding; 16] = [
    bind(&[Key::ch('n')], Action::CallNext, "Next step", Some("next")),
    bind(
        &[Key::ch('p')],
        Action::CallPrev,
        "Previous step",
        Some("prev"),
    ),
    bind(
        &[Key::ch('a')],
        Action::CallNote,
        "Write a note on this step (saved as you type; Esc leaves)",
        Some("note"),
    ),
    bind(
        &[Key::ch('v')],
        Action::PromptNext,
        "Next prompt variation",
        Some("prompt"),
    ),
    bind(
        &[Key::ch('u')],
        Action::PromptUsed,
        "Mark the prompt as used (or not)",
        None,
    ),
    bind(
        &[Key::ch('s')],
        Action::CallSkip,
        "Skip this step, with a reason",
        Some("skip"),
    ),
    bind(
        &[Key::ch(' ')],
        Action::CallPause,
        "Pause or resume the call",
        Some("pause"),
    ),
    bind(
        &[Key::ch('i')],
        Action::InterventionNext,
        "Intervention: empathy, coaching, escalation, product fix",
        None,
    ),
    bind(
        &[Key::ch('f')],
        Action::FollowupNext,
        "Follow-up: +2 days, +1 week, +2 weeks, none",
        None,
    ),
    bind(
        &[Key::ch('F')],
        Action::FollowupType,
        "Type a follow-up date (YYYY-MM-DD)",
        None,
    ),
    bind(
        &[Key::ch('r')],
        Action::CallPulse(crate::domain::model::Pulse::Red),
        "Sentiment Red: relationship in jeopardy",
        None,
    ),
    bind(
        &[Key::ch('y')],
        Action::CallPulse(crate::domain::model::Pulse::Yellow),
        "Sentiment Yellow: concerns to address",
        None,
    ),
    bind(
        &[Key::ch('g')],
        Action::CallPulse(crate::domain::model::Pulse::Green),
        "Sentiment Green: happy and thriving",
        None,
    ),
    bind(
        &[Key::ch('x')],
        Action::CallEnd,
        "End the call and go to tagging",
        Some("end"),
    ),
    bind(
        &[Key::ch('D')],
        Action::CallDiscard,
        "Discard a call started by mistake (asks first; it then counts nowhere)",
        Some("discard"),
    ),
    bind(
        &[Key::plain(KeyCode::Enter)],
        Action::CallSave,
        "Save the tags (step 5)",
        None,
    ),
];

const RESUME: [Binding; 2] = [
    bind(
        &[Key::plain(KeyCode::Enter)],
        Action::CallBegin,
        "Resume the interrupted call (paused, with its notes and times)",
        Some("resume"),
    ),
    bind(
        &[Key::plain(KeyCode::Esc)],
        Action::Back,
        "Not now (it stays saved)",
        Some("later"),
    ),
];

const WHO_IS_ME: [Binding; 3] = [
    bind(
        &[Key::plain(KeyCode::Enter)],
        Action::Open,
        "This is me: open on my portfolio from now on",
        Some("this is me"),
    ),
    bind(
        &[Key::ch('t')],
        Action::TeamView,
        "I lead the team: open on the team view",
        Some("team view"),
    ),
    bind(
        &[Key::plain(KeyCode::Esc)],
        Action::Back,
        "Not now (asked again next time)",
        Some("later"),
    ),
];

const RETROS: [Binding; 2] = [
    bind(
        &[Key::plain(KeyCode::Enter)],
        Action::Open,
        "Write the retrospective of the call",
        Some("write"),
    ),
    bind(
        &[Key::plain(KeyCode::Esc)],
        Action::Back,
        "Back",
        Some("back"),
    ),
];

const HELP: [Binding; 3] = [
    bind(
        &[Key::plain(KeyCode::Esc)],
        Action::Back,
        "Close help",
        Some("close"),
    ),
    bind(&[Key::ch('?')], Action::Back, "Close help", None),
    bind(&[Key::ch('q')], Action::Back, "Close help", None),
];

/// The team view is read-only: it moves, sorts and drills in. `k` and `a` are left free
/// for the selected CSM's KPIs and audits, so it moves with j/↓ and ↑ (no `k`).
const TEAM: [Binding; 3] = [
    bind(
        &[Key::plain(KeyCode::Enter)],
        Action::Open,
        "Open the CSM's portfolio (on a team's line: the whole team's)",
        Some("open"),
    ),
    bind(
        &[Key::ch('s')],
        Action::SortNext,
        "Sort by value at risk, overdue follow-ups or name",
        Some("sort"),
    ),
    bind(
        &[Key::plain(KeyCode::Esc)],
        Action::Back,
        "The whole portfolio (every account)",
        Some("all accounts"),
    ),
];

/// `MOVE` without `k` for up (the team view's `k` opens KPIs).
const TEAM_MOVE: [Binding; 6] = [
    MOVE[0],
    bind(&[Key::plain(KeyCode::Up)], Action::Up, "Move up", None),
    MOVE[2],
    MOVE[3],
    MOVE[4],
    MOVE[5],
];

/// The coaching KPI screen: scope, tables and charts.
const KPIS: [Binding; 5] = [
    bind(
        &[Key::plain(KeyCode::Tab)],
        Action::KpiTable,
        "Next table: per CSM, per segment, by month",
        Some("table"),
    ),
    bind(
        &[Key::ch('c')],
        Action::KpiCharts,
        "Charts (escalation, sentiment, step times) or tables",
        Some("charts"),
    ),
    bind(
        &[Key::ch('s')],
        Action::KpiScopeNext,
        "Next scope: everyone, a team, a CSM",
        Some("scope"),
    ),
    bind(
        &[Key::ch('S')],
        Action::KpiScopePrev,
        "Previous scope",
        None,
    ),
    bind(
        &[Key::plain(KeyCode::Esc)],
        Action::Back,
        "Back",
        Some("back"),
    ),
];

/// Opening the KPIs: `K` on the portfolio, `k` on the team view (the selection's).
const KPIS_FROM_PORTFOLIO: [Binding; 1] = [bind(
    &[Key::ch('K')],
    Action::Kpis,
    "Coaching KPIs: escalation, CSAT, renewals, tagging, step times, flags",
    None,
)];

const KPIS_FROM_TEAM: [Binding; 1] = [bind(
    &[Key::ch('k')],
    Action::Kpis,
    "Coaching KPIs of the selected CSM (on a team's line: the team's)",
    Some("KPIs"),
)];

/// From the portfolio (a CSM's, a team's or the whole one) to the team view.
const TEAM_OPEN: [Binding; 1] = [bind(
    &[Key::ch('T')],
    Action::TeamView,
    "Team view: figures per CSM under their team lead",
    None,
)];

/// Opening the set-up checklist from the portfolio.
const SET_UP_OPEN: [Binding; 1] = [bind(
    &[Key::ch('b')],
    Action::SetUp,
    "Set up the book: values and renewals, roles, a first R/Y/G",
    None,
)];

const SET_UP: [Binding; 5] = [
    bind(
        &[Key::plain(KeyCode::Enter)],
        Action::Open,
        "Open the selected item",
        Some("open"),
    ),
    bind(
        &[Key::ch('1')],
        Action::SetUpValues,
        "Values and renewals: type them in a table",
        Some("values"),
    ),
    bind(
        &[Key::ch('2')],
        Action::SetUpRoles,
        "Roles: review the guesses made from titles",
        Some("roles"),
    ),
    bind(
        &[Key::ch('3')],
        Action::SetUpTriage,
        "Triage: a first R/Y/G and the key personas' strength",
        Some("triage"),
    ),
    bind(
        &[Key::plain(KeyCode::Esc)],
        Action::Back,
        "Back to the portfolio",
        Some("back"),
    ),
];

/// A role per number key, in the order of `Role::ALL`.
macro_rules! role_keys {
    ($($key:literal => $role:ident, $what:literal;)*) => {
        [$(bind(
            &[Key::ch($key)],
            Action::RoleSet(crate::domain::model::Role::$role),
            $what,
            None,
        ),)*]
    };
}

const ROLE_KEYS: [Binding; 9] = role_keys! {
    '1' => Champion, "Set the role: Champion";
    '2' => EconomicBuyer, "Set the role: Economic buyer";
    '3' => ExecutiveSponsor, "Set the role: Executive sponsor";
    '4' => DecisionMaker, "Set the role: Decision maker";
    '5' => TechnicalLead, "Set the role: Technical lead";
    '6' => Admin, "Set the role: Admin";
    '7' => EndUser, "Set the role: End user";
    '8' => Detractor, "Set the role: Detractor";
    '9' => Other, "Set the role: Other";
};

const ROLE_REVIEW: [Binding; 4] = [
    bind(
        &[Key::plain(KeyCode::Enter), Key::ch('y')],
        Action::RoleConfirm,
        "Confirm the guessed role (saved at once) and go to the next",
        Some("confirm"),
    ),
    bind(
        &[Key::ch('n')],
        Action::Down,
        "Skip: the next guess (this one stays a guess)",
        Some("skip"),
    ),
    bind(&[Key::ch('p')], Action::Up, "The previous guess", None),
    bind(
        &[Key::plain(KeyCode::Esc)],
        Action::Back,
        "Back (every change is saved)",
        Some("back"),
    ),
];

const ROLE_NUMBERS: [Binding; 1] = [hint_only(
    "1-9",
    Action::RoleSet(crate::domain::model::Role::Other),
    "role",
)];

const TRIAGE: [Binding; 13] = [
    bind(
        &[Key::ch('g')],
        Action::TriagePulse(crate::domain::model::Pulse::Green),
        "CSM sentiment Green (saved at once)",
        Some("green"),
    ),
    bind(
        &[Key::ch('y')],
        Action::TriagePulse(crate::domain::model::Pulse::Yellow),
        "CSM sentiment Yellow, with a reason (type it, Enter)",
        None,
    ),
    bind(
        &[Key::ch('r')],
        Action::TriagePulse(crate::domain::model::Pulse::Red),
        "CSM sentiment Red, with a reason (type it, Enter)",
        None,
    ),
    bind(
        &[Key::ch('1')],
        Action::TriageStrength(crate::domain::model::Strength::None),
        "Key persona's strength: None (then the next persona)",
        None,
    ),
    bind(
        &[Key::ch('2')],
        Action::TriageStrength(crate::domain::model::Strength::Weak),
        "Key persona's strength: Weak",
        None,
    ),
    bind(
        &[Key::ch('3')],
        Action::TriageStrength(crate::domain::model::Strength::Okay),
        "Key persona's strength: Okay",
        None,
    ),
    bind(
        &[Key::ch('4')],
        Action::TriageStrength(crate::domain::model::Strength::VeryGood),
        "Key persona's strength: Very good",
        None,
    ),
    bind(
        &[Key::plain(KeyCode::Enter), Key::ch('n')],
        Action::TriageNext,
        "Next account (everything is already saved)",
        Some("next"),
    ),
    bind(
        &[Key::ch('p')],
        Action::TriagePrev,
        "Previous account",
        None,
    ),
    bind(
        &[Key::ch('j'), Key::plain(KeyCode::Down)],
        Action::Down,
        "Next key persona",
        None,
    ),
    bind(
        &[Key::ch('k'), Key::plain(KeyCode::Up)],
        Action::Up,
        "Previous key persona",
        None,
    ),
    bind(&[Key::ch('o')], Action::Open, "Open the account", None),
    bind(
        &[Key::plain(KeyCode::Esc)],
        Action::Back,
        "Back (everything is saved)",
        Some("back"),
    ),
];

/// The strength keys in one hint (the bindings above have none each).
const TRIAGE_NUMBERS: [Binding; 2] = [
    hint_only(
        "r/y",
        Action::TriagePulse(crate::domain::model::Pulse::Red),
        "red/yellow, with why",
    ),
    hint_only(
        "1-4",
        Action::TriageStrength(crate::domain::model::Strength::Okay),
        "strength",
    ),
];

/// The values table reads its own keys; these describe them for help.
const VALUE_TABLE: [Binding; 5] = [
    bind(
        &[
            Key::plain(KeyCode::Up),
            Key::plain(KeyCode::Down),
            Key::plain(KeyCode::Left),
            Key::plain(KeyCode::Right),
        ],
        Action::Down,
        "Move between cells (h j k l too)",
        Some("move"),
    ),
    bind(
        &[Key::plain(KeyCode::Tab)],
        Action::NextPane,
        "Next cell (Shift-Tab: previous)",
        None,
    ),
    bind(
        &[Key::plain(KeyCode::Enter)],
        Action::EditCell,
        "Edit the cell, or type over it: 85k, 1.2M, $120,000; 2027-03-31, +90d. Enter saves and moves down, Esc cancels",
        Some("edit"),
    ),
    bind(&[Key::ch('?')], Action::Help, "Show the keys", Some("help")),
    bind(
        &[Key::plain(KeyCode::Esc)],
        Action::Back,
        "Back (every cell is saved as it is entered)",
        Some("back"),
    ),
];

/// A status-bar hint of a text field: what to press (or "type") and what it does. While
/// a field has focus it reads keys itself, so these are the field's whole keymap.
pub type Hint = (&'static str, &'static str);

/// The portfolio's name filter.
pub const FILTER_FIELD: &[Hint] = &[
    ("type", "filter by name"),
    ("Enter", "open"),
    ("Esc", "clear"),
];

/// The `:` palette.
pub const PALETTE_FIELD: &[Hint] = &[
    ("type", "find"),
    ("↑↓", "choose"),
    ("Enter", "run"),
    ("Esc", "close"),
];

/// A follow-up's new date.
pub const RESCHEDULE_FIELD: &[Hint] = &[("type", "new date"), ("Enter", "set"), ("Esc", "cancel")];

/// The reason for Red or Yellow in the triage pass.
pub const TRIAGE_REASON: &[Hint] = &[("type", "reason"), ("Enter", "save"), ("Esc", "cancel")];

/// The values table, moving and editing a cell.
pub const VALUE_MOVE: &[Hint] = &[
    ("↑↓←→/hjkl", "move"),
    ("Enter/type", "edit"),
    ("?", "help"),
    ("Esc", "back"),
];
pub const VALUE_EDIT: &[Hint] = &[
    ("type", "value"),
    ("Enter", "save, down"),
    ("Tab", "save, right"),
    ("Esc", "cancel"),
];

/// The persona form (add or edit).
pub const PERSONA_FORM: &[Hint] = &[
    ("type", "text"),
    ("Tab/↑↓", "field"),
    ("←→", "choose"),
    ("Enter", "save"),
    ("Esc", "cancel"),
];

/// The CSM sentiment form.
pub const PULSE_FORM: &[Hint] = &[
    ("↑↓", "color"),
    ("type", "reason"),
    ("Enter", "save"),
    ("Esc", "cancel"),
];

/// "Archive this persona?"
pub const CONFIRM_ARCHIVE: &[Hint] = &[("y", "archive"), ("any other key", "keep")];

/// The audit seed.
pub const SEED_FIELD: &[Hint] = &[
    ("type", "a seed (digits)"),
    ("Enter", "use it"),
    ("Esc", "cancel"),
];

/// The audit scoring form, on its comment and on its scores.
pub const AUDIT_COMMENT: &[Hint] = &[
    ("type", "comment (saved as you type)"),
    ("Tab", "scores"),
    ("Esc", "back"),
];
pub const AUDIT_SCORES: &[Hint] = &[
    ("1-5", "score"),
    ("0", "clear"),
    ("↑↓", "field"),
    ("Enter", "comment"),
    ("n/p", "next/prev touch"),
    ("PgDn", "scroll"),
    ("Esc", "back"),
];

/// The live call's fields: the step's note (and the same while its write is retried),
/// a skip's reason, a typed follow-up date.
pub const CALL_NOTE: &[Hint] = &[
    ("type", "note, saved as you type"),
    ("Enter", "new line"),
    ("Esc", "done"),
];
pub const CALL_NOTE_UNSAVED: &[Hint] = &[
    ("type", "note (NOT SAVED yet: kept here, retrying)"),
    ("Enter", "new line"),
    ("Esc", "done"),
];
pub const CALL_SKIP: &[Hint] = &[("type", "why skip"), ("Enter", "skip"), ("Esc", "cancel")];
pub const CALL_FOLLOWUP_DATE: &[Hint] = &[
    ("type", "YYYY-MM-DD or +days"),
    ("Enter", "set"),
    ("Esc", "cancel"),
];

/// The call's "quit?" question, and the ended call waiting for its tags.
pub const CALL_CONFIRM_DISCARD: &[Hint] = &[("D", "discard it"), ("any key", "keep it")];
pub const CALL_CONFIRM_QUIT: &[Hint] = &[("q", "quit (the call stays saved)"), ("any key", "stay")];
pub const CALL_ENDED: &[Hint] = &[
    ("r/y/g", "sentiment"),
    ("i", "intervention"),
    ("f/F", "follow-up"),
    ("Enter", "save tags"),
    ("a", "note"),
    ("?", "help"),
];

/// The retrospective form, on its prompt list and on its text fields.
pub const RETRO_PROMPTS: &[Hint] = &[
    ("j/k", "move"),
    ("Space", "helped?"),
    ("Enter", "save"),
    ("Tab", "field"),
    ("Esc", "cancel"),
];
pub const RETRO_TEXT: &[Hint] = &[
    ("type", "text"),
    ("Enter/Tab", "next field"),
    ("Ctrl-s", "save"),
    ("Esc", "cancel"),
];

/// The wrap-up form's pieces, put together for the field that has focus.
pub mod wrap_up {
    use super::Hint;
    pub const FIELD: Hint = ("Tab/↑↓", "field");
    pub const SENTIMENT: &[Hint] = &[("r/y/g", "sentiment")];
    pub const CHOOSE: &[Hint] = &[("←/→", "choose")];
    pub const PERSON: &[Hint] = &[("+/-", "strength"), ("]/[", "sentiment")];
    pub const TOOK_PART: Hint = ("Space", "took part");
    pub const NOTES: &[Hint] = &[("Enter", "new line")];
    pub const TEXT: &[Hint] = &[("type", "text")];
    /// In the notes Enter is a new line, so Ctrl-S saves.
    pub const SAVE_FROM_NOTES: Hint = ("Ctrl-S", "save");
    pub const SAVE: Hint = ("Enter", "save");
    pub const CANCEL: Hint = ("Esc", "cancel");
}

/// The bindings that work in `context`, most specific first.
pub fn bindings(context: Context) -> Vec<&'static Binding> {
    let specific: &'static [Binding] = match context {
        Context::Portfolio => &PORTFOLIO,
        Context::Account => &ACCOUNT,
        Context::Help => &HELP,
        Context::CallStart => &CALL_START,
        Context::Call => &CALL,
        Context::Retros => &RETROS,
        Context::Resume => &RESUME,
        Context::Persona => &PERSONA,
        Context::Touch => &TOUCH,
        Context::OrgChart => &ORG_CHART,
        Context::WrapUp => &WRAP_UP,
        Context::Followups => &FOLLOWUPS,
        Context::Team => &TEAM,
        Context::Audits => &AUDITS,
        Context::AuditScore => &AUDIT_SCORE,
        Context::Kpis => &KPIS,
        Context::SetUp => &SET_UP,
        Context::RoleReview => &ROLE_REVIEW,
        Context::ValueTable => &VALUE_TABLE,
        Context::Triage => &TRIAGE,
        Context::WhoIsMe => &WHO_IS_ME,
    };
    let mut all: Vec<&'static Binding> = specific.iter().collect();
    if matches!(context, Context::Account | Context::Persona) {
        all.extend(PERSONA_EDIT.iter());
    }
    match context {
        Context::RoleReview => all.extend(ROLE_KEYS.iter().chain(&ROLE_NUMBERS)),
        Context::Triage => all.extend(TRIAGE_NUMBERS.iter()),
        _ => {}
    }
    // During a call j/k/g/G are free for the call's own keys (g is Green).
    if !matches!(
        context,
        Context::Call
            | Context::WrapUp
            | Context::AuditScore
            | Context::Team
            | Context::Triage
            | Context::ValueTable
    ) {
        all.extend(MOVE.iter());
    }
    if context == Context::Team {
        all.extend(TEAM_MOVE.iter());
        all.extend(TEAM_AUDITS.iter());
    }
    if !matches!(
        context,
        Context::Help | Context::WrapUp | Context::AuditScore | Context::ValueTable
    ) {
        all.extend(GLOBAL.iter());
    }
    // After the global keys, so `? help` keeps its place in a narrow status bar.
    match context {
        Context::Portfolio => all.extend(PORTFOLIO_CALLS.iter()),
        Context::Account => all.extend(ACCOUNT_CALLS.iter()),
        _ => {}
    }
    if context == Context::Portfolio {
        all.extend(TEAM_OPEN.iter());
        all.extend(KPIS_FROM_PORTFOLIO.iter());
        all.extend(SET_UP_OPEN.iter());
    }
    if context == Context::Team {
        all.extend(KPIS_FROM_TEAM.iter());
    }
    all
}

/// The status bar's keys in `context`, most needed first: the actions `status_first`
/// names, in its order, then the rest in table order. The bar drops from the end what
/// does not fit (help, `?`, is always kept).
pub fn status_hints(context: Context) -> Vec<(String, &'static str)> {
    ordered(context)
        .into_iter()
        .filter_map(|b| b.hint.map(|h| (b.key_label(), h)))
        .collect()
}

/// A screen's own keys as one line for its body ("g green · Enter next · …"), from the
/// same table and in the same order as its status bar; the keys every screen has (help,
/// commands, quit) are left to the bar.
pub fn legend(context: Context) -> String {
    let own = ordered(context)
        .into_iter()
        .filter(|b| !matches!(b.action, Action::Help | Action::Palette | Action::Quit));
    join(own.filter_map(|b| b.hint.map(|h| (b.key_label(), h))))
}

/// A text field's keys as one line, from its `Hint` table ("type …" left out: typing
/// needs no telling).
pub fn field_legend(hints: &[Hint]) -> String {
    join(
        hints
            .iter()
            .filter(|(k, _)| *k != "type")
            .map(|(k, h)| (k.to_string(), *h)),
    )
}

fn join(pairs: impl Iterator<Item = (String, &'static str)>) -> String {
    pairs
        .map(|(k, h)| format!("{k} {h}"))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// The bindings with a hint, most needed first (see `status_hints`).
fn ordered(context: Context) -> Vec<&'static Binding> {
    let mut hinted: Vec<&Binding> = bindings(context)
        .into_iter()
        .filter(|b| b.hint.is_some())
        .collect();
    let first = status_first(context);
    let rank = |b: &Binding| match first.iter().position(|a| *a == b.action) {
        Some(i) => i,
        None if matches!(b.action, Action::Palette | Action::Quit) => first.len() + 1,
        None => first.len(),
    };
    // A stable sort keeps table order among the unranked.
    hinted.sort_by_key(|b| rank(b));
    hinted
}

/// The keys a CSM reaches for most on each screen, in that order; the rest of the
/// screen's keys follow, the palette and quit last.
fn status_first(context: Context) -> &'static [Action] {
    use Action::*;
    match context {
        Context::Portfolio => &[
            Open, Filter, StartCall, LogTouch, Followups, Palette, Quit, SortNext,
        ],
        Context::Account => &[Open, StartCall, LogTouch, SetPulse, Back, NextPane],
        Context::Team => &[Open, Kpis, Audits, SortNext, Back],
        Context::Followups => &[Open, FollowupDone, FollowupSnooze, FollowupReschedule, Back],
        Context::Audits => &[Open, Back, AuditDraw, QuarterPrev],
        Context::Kpis => &[KpiTable, KpiCharts, KpiScopeNext, Back],
        _ => &[],
    }
}

/// What `event` means in `context`, if anything.
pub fn resolve(event: &KeyEvent, context: Context) -> Option<Action> {
    bindings(context)
        .into_iter()
        .find(|b| b.keys.iter().any(|k| k.matches(event)))
        .map(|b| b.action)
}

/// The commands the palette offers in `context`: every binding plus what has no key.
pub fn commands(context: Context) -> Vec<(String, Action)> {
    let mut out: Vec<(String, Action)> = Vec::new();
    for b in bindings(context) {
        if matches!(b.action, Action::Palette)
            || b.keys.is_empty()
            || out.iter().any(|(_, a)| *a == b.action)
        {
            continue;
        }
        out.push((b.description.to_string(), b.action));
    }
    if context == Context::Portfolio {
        for column in SortColumn::ALL {
            out.push((
                format!("Sort by {}", column.label()),
                Action::SortBy(column),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
    }

    #[test]
    fn keys_mean_different_things_in_different_contexts() {
        let esc = KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE);
        assert_eq!(resolve(&esc, Context::Account), Some(Action::Back));
        assert_eq!(
            resolve(&esc, Context::Portfolio),
            Some(Action::ClearFilters)
        );
        assert_eq!(resolve(&key('q'), Context::Portfolio), Some(Action::Quit));
        assert_eq!(resolve(&key('q'), Context::Help), Some(Action::Back));
        assert_eq!(resolve(&key('/'), Context::Account), None);
    }

    #[test]
    fn shifted_and_control_keys() {
        let shifted = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(resolve(&shifted, Context::Portfolio), Some(Action::Bottom));
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(resolve(&ctrl_c, Context::Account), Some(Action::Quit));
        assert_eq!(
            resolve(&key('c'), Context::Account),
            Some(Action::StartCall)
        );
    }

    #[test]
    fn no_key_has_two_meanings_in_one_context() {
        for &context in Context::ALL {
            let all = bindings(context);
            for (i, a) in all.iter().enumerate() {
                for b in &all[i + 1..] {
                    let shared = a.keys.iter().any(|k| b.keys.contains(k));
                    assert!(!shared, "{context:?}: {:?} and {:?}", a.action, b.action);
                }
            }
        }
    }

    #[test]
    fn call_contexts_have_one_meaning_per_key_and_the_contract_keys() {
        for context in [
            Context::Portfolio,
            Context::Account,
            Context::CallStart,
            Context::Call,
            Context::Retros,
        ] {
            let all = bindings(context);
            for (i, a) in all.iter().enumerate() {
                for b in &all[i + 1..] {
                    let shared = a.keys.iter().any(|k| b.keys.contains(k));
                    assert!(!shared, "{context:?}: {:?} and {:?}", a.action, b.action);
                }
            }
        }
        for (c, action) in [
            ('n', Action::CallNext),
            ('p', Action::CallPrev),
            ('a', Action::CallNote),
            ('x', Action::CallEnd),
            ('D', Action::CallDiscard),
            ('q', Action::Quit),
        ] {
            assert_eq!(resolve(&key(c), Context::Call), Some(action));
        }
        assert_eq!(
            resolve(&key('c'), Context::Portfolio),
            Some(Action::StartCall)
        );
    }

    #[test]
    fn team_view_moves_without_k_and_leaves_k_and_a_free() {
        assert_eq!(resolve(&key('j'), Context::Team), Some(Action::Down));
        let up = KeyEvent::new(KeyCode::Up, KeyModifiers::NONE);
        assert_eq!(resolve(&up, Context::Team), Some(Action::Up));
        // k is the selected CSM's (or team's) coaching KPIs.
        assert_eq!(resolve(&key('k'), Context::Team), Some(Action::Kpis));
        assert_eq!(resolve(&key('a'), Context::Team), Some(Action::Audits));
        assert_eq!(
            resolve(&key('T'), Context::Portfolio),
            Some(Action::TeamView)
        );
        assert!(
            commands(Context::Portfolio)
                .iter()
                .any(|(_, a)| *a == Action::TeamView)
        );
    }

    #[test]
    fn role_review_numbers_follow_the_roles_of_the_domain() {
        use crate::domain::model::Role;
        for (i, role) in Role::ALL.iter().enumerate() {
            let digit = char::from_digit(i as u32 + 1, 10).unwrap();
            assert_eq!(
                resolve(&key(digit), Context::RoleReview),
                Some(Action::RoleSet(*role))
            );
        }
        // The hint-only lines bind no key and stay out of help and the palette.
        assert!(
            commands(Context::Triage)
                .iter()
                .all(|(name, _)| !name.is_empty())
        );
        assert_eq!(
            resolve(&key('g'), Context::Triage).map(|a| a.edit().is_some()),
            Some(true)
        );
    }

    #[test]
    fn the_status_bar_lists_the_screens_main_keys_first() {
        let keys =
            |c: Context| -> Vec<String> { status_hints(c).into_iter().map(|(k, _)| k).collect() };
        assert_eq!(keys(Context::Portfolio)[..5], ["Enter", "/", "c", "l", "f"]);
        assert_eq!(keys(Context::Followups)[..4], ["Enter", "d", "z", "r"]);
        // Every hinted binding is there once; the palette and quit come after the
        // screen's own keys where no order is given.
        for &context in Context::ALL {
            let hinted = bindings(context)
                .iter()
                .filter(|b| b.hint.is_some())
                .count();
            assert_eq!(status_hints(context).len(), hinted, "{context:?}");
        }
        let call = keys(Context::Call);
        assert!(call.iter().position(|k| k == ":") > call.iter().position(|k| k == "x"));
    }

    #[test]
    fn palette_offers_every_sort_column() {
        let commands = commands(Context::Portfolio);
        assert!(commands.iter().any(|(name, _)| name == "Sort by renewal"));
        assert!(!commands.iter().any(|(_, a)| *a == Action::Palette));
    }
}
