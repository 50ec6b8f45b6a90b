//! What every screen is to the app: the `Screen` trait, the `Reply` that moves the screen
//! stack, and the context (`Cx`, `DrawCx`) a screen works in. A new screen is one file
//! implementing `Screen`, its keymap table, and one `Reply::Push` where it is opened.

use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;

use super::keymap::{Action, Context};
use super::theme::Theme;
use crate::config::Config;
use crate::domain::Clock;
use crate::error::Result;
use crate::store::Store;
use crate::store::kpi::Who;
use crate::store::summary::AsOf;

/// How often a write that failed (a full disk) is tried again while nothing is typed.
pub const RETRY_SAVE_EVERY: Duration = Duration::from_secs(2);

/// One screen of the workstation. Keys reach it one way: a text field with focus gets
/// the raw key (`on_text`); otherwise the keymap resolves the key for `context` and the
/// app's global actions and read-only gate come first, then `on_action`.
pub trait Screen {
    /// The keymap table that decides what a key means here.
    fn context(&self) -> Context;

    /// The title bar's words; `under` is the title of the screen this one sits over.
    fn title(&self, under: &str) -> String;

    /// Draws from state only (no queries).
    fn draw(&self, frame: &mut Frame, area: Rect, cx: &DrawCx);

    /// One action the keymap resolved (Help and Palette never reach a screen).
    fn on_action(&mut self, action: Action, cx: &mut Cx) -> Result<Reply>;

    /// A text field (or a form that reads raw keys) has the keyboard.
    fn text_focus(&self) -> bool {
        false
    }

    /// A key while `text_focus` is true.
    fn on_text(&mut self, _key: KeyEvent, _cx: &mut Cx) -> Result<Reply> {
        Ok(Reply::Stay)
    }

    /// A paste while `text_focus` is true; false when no field took it.
    fn on_paste(&mut self, _text: &str, _cx: &mut Cx) -> Result<bool> {
        Ok(false)
    }

    /// The status bar while a text field has focus (None: the keymap's hints).
    fn text_hints(&self) -> Option<Vec<(&'static str, &'static str)>> {
        None
    }

    /// Lines the help adds after the keys (a legend of the screen's table).
    fn help_notes(&self, _cx: &DrawCx) -> Vec<Line<'static>> {
        Vec::new()
    }

    /// Back on top after a screen over it wrote something: read again what changed.
    fn on_resume(&mut self, _cx: &mut Cx) -> Result<()> {
        Ok(())
    }

    /// A key bound to nothing here (a question on screen may take it as "no").
    fn on_unbound_key(&mut self) {}

    /// Writes what was typed since the last write (once per burst of keys).
    fn flush(&mut self, _cx: &mut Cx) {}

    /// Some typed text is only in memory: its write failed and is retried.
    fn unsaved(&self) -> bool {
        false
    }

    /// How long until this screen wants a `tick` (a running clock).
    fn tick_in(&self) -> Option<Duration> {
        None
    }

    /// Time passed: a clock moves, or a failed write is due another try.
    fn tick(&mut self, cx: &mut Cx) -> Result<()> {
        self.flush(cx);
        Ok(())
    }
}

/// What a screen asks of the stack after a key.
pub enum Reply {
    Stay,
    /// A new screen over this one.
    Push(Box<dyn Screen>),
    /// This screen gives way to another.
    Replace(Box<dyn Screen>),
    /// Back to the screen underneath, as it was.
    Pop,
    /// Close this many screens after a write: the one left on top and the home screen
    /// read again what changed.
    PopRead(usize),
    /// A screen any screen may open (built by `open.rs`), over this one.
    Open(Open),
    /// The help over this screen.
    Help,
    Quit,
}

/// What a key did in a form: the persona and sentiment forms the account workspace
/// holds, the score form of the audits, the wrap-up's fields. Not a `Reply`: a form does
/// not know what the screen holding it does next (save and read again, open the next
/// touch, close the form and stay), so it says only what happened and the screen answers
/// with its `Reply`. Every form writes through its own `save` (the store's API).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormKey {
    Stay,
    /// Esc: the form closes.
    Cancel,
    /// Enter on a valid form: the screen calls the form's `save`.
    Submit,
    /// A form that writes each change did; a confirmation for the status bar if any.
    Saved(Option<String>),
    /// The score form: the next (+1) or previous (-1) audited touch.
    Move(i64),
}

/// The screens opened by name: a screen asks for one without knowing how it is built, so
/// no screen imports another.
pub enum Open {
    Account(i64),
    /// `c`: a call on the account.
    Call(i64),
    /// `l`: a touch logged on the account.
    LogTouch(i64),
    /// `C`: the touch corrected.
    Correction(i64),
    Followups,
    /// Of one CSM, or every CSM (None).
    Audits(Option<i64>),
    Kpis(Who),
    Retros,
    /// The set-up checklist and its three passes.
    SetUp,
    ValueTable,
    RoleReview,
    Triage,
}

/// The global keys on a screen about `account` (the selected or open one, if any); None
/// for any other action.
pub fn global(action: Action, account: Option<i64>) -> Option<Reply> {
    let on_account = |open: fn(i64) -> Open| Reply::from(account.map(open));
    Some(match action {
        Action::LogTouch => on_account(Open::LogTouch),
        Action::StartCall => on_account(Open::Call),
        Action::Followups => Reply::Open(Open::Followups),
        Action::Audits => Reply::Open(Open::Audits(None)),
        Action::Kpis => Reply::Open(Open::Kpis(Who::All)),
        Action::Retros => Reply::Open(Open::Retros),
        Action::Quit => Reply::Quit,
        _ => return None,
    })
}

/// Opens the screen if there is one (no account selected: nothing happens).
impl From<Option<Open>> for Reply {
    fn from(open: Option<Open>) -> Reply {
        open.map_or(Reply::Stay, Reply::Open)
    }
}

/// A one-line message on the status bar; the glyph tells which kind without color.
pub enum Notice {
    Done(String),
    Problem(String),
}

/// What a screen may use while handling a key: the store, the clock, the settings, and a
/// slot for the status bar's message.
pub struct Cx<'a> {
    pub store: &'a mut Store,
    pub clock: &'a dyn Clock,
    pub config: &'a Config,
    /// The terminal's height (for paging).
    pub screen_height: u16,
    pub notice: Option<Notice>,
}

impl Cx<'_> {
    /// "Now" for reads and writes, with the staleness window.
    pub fn as_of(&self) -> AsOf {
        AsOf {
            stale_after_days: self.config.stale_after_days,
            ..AsOf::new(self.clock)
        }
    }

    pub fn done(&mut self, text: impl Into<String>) {
        self.notice = Some(Notice::Done(text.into()));
    }

    pub fn problem(&mut self, text: impl Into<String>) {
        self.notice = Some(Notice::Problem(text.into()));
    }
}

/// What a screen may read while drawing.
pub struct DrawCx<'a> {
    pub theme: &'a Theme,
    pub config: &'a Config,
    /// The moment the portfolio was last read: ages and due dates count from it.
    pub now: DateTime<Utc>,
    pub today: NaiveDate,
}
