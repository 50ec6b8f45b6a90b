//! The live call screen: the six steps, timers, prompts, the account's signals, notes
//! saved as they are typed, and step 5's tags. Also the flow around it (resume offer,
//! start picker, retrospectives), so the app holds a single screen for all of it.

use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use super::call_start::StartView;
use super::keymap::{self, Action, Context};
use super::note_editor::{self, Edit};
use super::screen::{Cx, Reply};
use super::theme::Theme;
use crate::config::Config;
use crate::domain::Clock;
use crate::domain::checklist::{
    self, BoxCue, Checklist, Phase, Step, StepMark, StepState, clock_text,
};
use crate::domain::limits;
use crate::domain::model::{CallType, Intervention, Pulse};
use crate::domain::prompts::{self, Library, Prompt, PromptContext};
use crate::error::Result;
use crate::store::Store;
use crate::store::account::{self, AccountDetail};
use crate::store::call::{self, NewCall, SavedCall, StepRecord};
use crate::store::summary::AsOf;

/// Every screen of the call flow.
pub enum CallFlow {
    /// The last start found a call that never finished.
    Resume(Box<SavedCall>),
    Start(Box<StartView>),
    Live(Box<CallView>),
}

impl CallFlow {
    pub fn offer_resume(saved: SavedCall) -> CallFlow {
        CallFlow::Resume(Box::new(saved))
    }

    pub fn pick(store: &Store, account_id: i64, clock: &dyn Clock) -> Result<CallFlow> {
        let detail = account::load(store.conn(), account_id, &AsOf::new(clock))?;
        Ok(CallFlow::Start(Box::new(StartView::new(
            detail,
            clock.today(),
        ))))
    }

    pub fn context(&self) -> Context {
        match self {
            CallFlow::Resume(_) => Context::Resume,
            CallFlow::Start(_) => Context::CallStart,
            CallFlow::Live(_) => Context::Call,
        }
    }

    pub fn title(&self) -> String {
        match self {
            CallFlow::Resume(_) => "Interrupted call".into(),
            CallFlow::Start(v) => format!("{} › New call", v.detail.name),
            CallFlow::Live(v) => format!("{} › {} call", v.detail.name, v.call_type.label()),
        }
    }

    /// A text field has the keyboard: printable keys type.
    pub fn text_focus(&self) -> bool {
        match self {
            CallFlow::Live(v) => v.focus.is_typing(),
            _ => false,
        }
    }

    /// Status bar hints while a text field has focus.
    pub fn hints(&self) -> Option<Vec<(&'static str, &'static str)>> {
        match self {
            CallFlow::Live(v) => v.hints(),
            _ => None,
        }
    }

    /// A paste into the field that has focus: one insert, one save.
    pub fn paste(&mut self, pasted: &str, store: &mut Store, clock: &dyn Clock) -> Result<()> {
        match self {
            CallFlow::Live(v) => {
                v.paste(pasted, store, clock);
                v.checkpoint(store)
            }
            _ => Ok(()),
        }
    }

    /// Some typed text is not in the file yet (a write failed).
    pub fn unsaved(&self) -> bool {
        matches!(self, CallFlow::Live(v) if v.save_error.is_some())
    }

    /// Writes the notes typed since the last write (see `App::end_burst`).
    pub fn flush(&mut self, store: &mut Store) {
        if let CallFlow::Live(v) = self {
            v.flush_notes(store);
        }
    }

    /// A key bound to nothing: it answers the quit question with "stay".
    pub fn unbound_key(&mut self) {
        if let CallFlow::Live(v) = self {
            v.confirm_quit = false;
            v.confirm_discard = false;
        }
    }

    pub fn text_key(&mut self, key: KeyEvent, store: &mut Store, clock: &dyn Clock) -> Result<()> {
        match self {
            CallFlow::Live(v) => {
                v.text_key(key, store, clock)?;
                v.checkpoint(store)
            }
            _ => Ok(()),
        }
    }

    pub fn action(&mut self, action: Action, cx: &mut Cx) -> Result<Reply> {
        let (store, clock, config) = (&mut *cx.store, cx.clock, cx.config);
        match self {
            CallFlow::Resume(saved) => match action {
                Action::CallBegin | Action::Open => {
                    let view = CallView::resume(store, clock, saved, config)?;
                    *self = CallFlow::Live(Box::new(view));
                    Ok(Reply::Stay)
                }
                Action::Back => {
                    cx.done("The interrupted call stays saved; it is offered again next time");
                    Ok(Reply::PopRead(1))
                }
                Action::Quit => Ok(Reply::Quit),
                _ => Ok(Reply::Stay),
            },
            CallFlow::Start(start) => match action {
                Action::CallBegin => {
                    let (account_id, call_type, participants) = start.choice();
                    let view = CallView::start(
                        store,
                        clock,
                        start.detail.clone(),
                        call_type,
                        participants,
                        config,
                    )?;
                    let _ = account_id;
                    *self = CallFlow::Live(Box::new(view));
                    Ok(Reply::Stay)
                }
                Action::Back => Ok(Reply::PopRead(1)),
                Action::Quit => Ok(Reply::Quit),
                other => {
                    start.action(other);
                    Ok(Reply::Stay)
                }
            },
            CallFlow::Live(v) => {
                let reply = v.action(action, cx)?;
                if matches!(reply, Reply::Stay) {
                    v.checkpoint(cx.store)?;
                }
                Ok(reply)
            }
        }
    }

    /// How long until the clock on screen changes, while a call runs.
    pub fn tick_in(&self) -> Option<Duration> {
        match self {
            CallFlow::Live(v) => v.tick_in(),
            _ => None,
        }
    }

    /// Once a second during a call: the clock moves and the times are saved.
    pub fn tick(&mut self, store: &mut Store, clock: &dyn Clock) -> Result<()> {
        if let CallFlow::Live(v) = self {
            v.tick(store, clock)?;
        }
        Ok(())
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        match self {
            CallFlow::Resume(saved) => draw_resume(frame, area, theme, saved),
            CallFlow::Start(v) => v.draw(frame, area, theme),
            CallFlow::Live(v) => v.draw(frame, area, theme),
        }
    }
}

fn draw_resume(frame: &mut Frame, area: Rect, theme: &Theme, saved: &SavedCall) {
    let total: i64 = saved.steps.iter().map(|s| s.elapsed_ms).sum();
    let noted = saved.steps.iter().filter(|s| !s.note.is_empty()).count();
    let step = Step::from_number(saved.current).unwrap_or(Step::Assess);
    let mut lines = vec![
        Line::styled("A call was interrupted", theme.title()),
        Line::raw(""),
        Line::raw(format!(
            "{} · {} call · started {} UTC",
            saved.account_name,
            saved.call_type.map_or("—", |c| c.label()),
            saved.occurred_at.format("%Y-%m-%d %H:%M")
        )),
        Line::raw(format!(
            "{} on the clock · on step {} ({}) · notes on {}",
            clock_text(total),
            step.number(),
            step.title(),
            crate::domain::text::count_of(noted as i64, "step")
        )),
    ];
    if saved.ended {
        lines.push(Line::raw(
            "The conversation had ended; it still needs its tags.",
        ));
    }
    lines.push(Line::raw(""));
    lines.push(Line::from(vec![
        Span::styled("Enter", theme.key()),
        Span::raw(" resume it (paused, with its notes and times)   "),
        Span::styled("Esc", theme.key()),
        Span::raw(" not now"),
    ]));
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: true })
            .block(Block::new().borders(Borders::ALL)),
        area,
    );
}

/// Which field has the keyboard.
#[derive(Debug)]
pub enum Focus {
    None,
    /// The note of the current step; the cursor is a char index.
    Note {
        cursor: usize,
    },
    Skip(Input),
    FollowupDate(Input),
}

impl Focus {
    fn is_typing(&self) -> bool {
        !matches!(self, Focus::None)
    }
}

/// Step 5's tags as the CSM picks them.
#[derive(Debug, Clone)]
pub struct TagDraft {
    pub sentiment: Option<Pulse>,
    pub intervention: Intervention,
    pub followup: Option<NaiveDate>,
    /// Which preset `f` is on (index into FOLLOWUP_PRESETS), or None for a typed date.
    pub preset: Option<usize>,
}

const FOLLOWUP_PRESETS: [(&str, Option<i64>); 4] = [
    ("+2 days", Some(2)),
    ("+1 week", Some(7)),
    ("+2 weeks", Some(14)),
    ("none", None),
];

pub struct CallView {
    pub touch_id: i64,
    pub detail: AccountDetail,
    pub call_type: CallType,
    pub participants: Vec<String>,
    pub checklist: Checklist,
    pub notes: [String; 6],
    pub focus: Focus,
    pub library: Library,
    pub prompt_idx: usize,
    /// The prompt on screen, as recorded.
    shown: Option<String>,
    /// Prompts marked used on this call.
    used: Vec<String>,
    pub tags: TagDraft,
    /// A calm one-liner (a refused move, a reuse notice, a saved tag).
    pub notice: Option<String>,
    pub confirm_quit: bool,
    /// `D` was pressed once: the next `D` deletes the call, any other key keeps it.
    pub confirm_discard: bool,
    /// The time the screen shows; moved by ticks and keys, never read in draw.
    pub now: DateTime<Utc>,
    pub today: NaiveDate,
    /// The call time last written, so an idle paused call writes nothing.
    saved_ms: i64,
    /// Steps whose note on screen is not in the file yet (a write failed): kept here and
    /// written again on the next key and every few seconds until it lands.
    unsaved: [bool; 6],
    /// Why the last write of a note failed, shown in the note pane until one succeeds.
    pub save_error: Option<String>,
}

impl CallView {
    fn new(
        touch_id: i64,
        detail: AccountDetail,
        call_type: CallType,
        participants: Vec<String>,
        checklist: Checklist,
        clock: &dyn Clock,
        config: &Config,
    ) -> CallView {
        let (library, warning) = (config.prompts.clone(), config.prompts_warning.clone());
        let sentiment = detail.pulse_history.first().map(|p| p.pulse);
        let today = clock.today();
        CallView {
            touch_id,
            call_type,
            participants,
            checklist,
            notes: Default::default(),
            focus: Focus::None,
            library,
            prompt_idx: 0,
            shown: None,
            used: Vec::new(),
            tags: TagDraft {
                sentiment: None,
                intervention: prompts::suggested_intervention(call_type, sentiment),
                followup: today.checked_add_days(chrono::Days::new(7)),
                preset: Some(1),
            },
            notice: warning,
            confirm_quit: false,
            confirm_discard: false,
            now: clock.now(),
            today,
            saved_ms: 0,
            unsaved: [false; 6],
            save_error: None,
            detail,
        }
    }

    /// Starts a new call: written to the file before the screen shows.
    pub fn start(
        store: &mut Store,
        clock: &dyn Clock,
        detail: AccountDetail,
        call_type: CallType,
        participants: Vec<i64>,
        config: &Config,
    ) -> Result<CallView> {
        let now = clock.now();
        let touch_id = call::start(
            store,
            &NewCall {
                account_id: detail.id,
                call_type,
                participants: &participants,
                at: now,
            },
        )?;
        let names = names_of(&detail, &participants);
        let mut view = CallView::new(
            touch_id,
            detail,
            call_type,
            names,
            Checklist::start(now),
            clock,
            config,
        );
        view.refresh_prompt(store)?;
        Ok(view)
    }

    /// Picks an interrupted call up where it was saved: paused, with its notes and times.
    pub fn resume(
        store: &mut Store,
        clock: &dyn Clock,
        saved: &SavedCall,
        config: &Config,
    ) -> Result<CallView> {
        let detail = account::load(store.conn(), saved.account_id, &AsOf::new(clock))?;
        let mut steps: [StepState; 6] = Default::default();
        let mut notes: [String; 6] = Default::default();
        for (i, s) in saved.steps.iter().take(6).enumerate() {
            steps[i] = StepState {
                elapsed_ms: s.elapsed_ms,
                visited: s.started,
                skipped: s.skipped_reason.clone(),
            };
            notes[i] = s.note.clone();
        }
        let current = Step::from_number(saved.current).unwrap_or(Step::Assess);
        let checklist = Checklist::restore(current, steps, saved.ended);
        let call_type = saved.call_type.unwrap_or(CallType::CheckIn);
        let names = names_of(&detail, &saved.participants);
        let mut view = CallView::new(
            saved.touch_id,
            detail,
            call_type,
            names,
            checklist,
            clock,
            config,
        );
        view.notes = notes;
        if saved.draft_sentiment.is_some() {
            view.tags.sentiment = saved.draft_sentiment;
        }
        if let Some(i) = saved.draft_intervention {
            view.tags.intervention = i;
        }
        if let Some(d) = saved.draft_followup {
            view.tags.followup = Some(d);
            view.tags.preset = None;
        }
        view.saved_ms = view.checklist.call_ms(view.now);
        view.used = call::prompts_of(store.conn(), saved.touch_id)?
            .into_iter()
            .filter(|p| p.used)
            .map(|p| p.key)
            .collect();
        view.notice = Some(if saved.ended {
            "Resumed after the call ended: tag it on step 5 (r/y/g, i, f, Enter)".into()
        } else {
            "Resumed, paused where it stopped. Space continues the clock".into()
        });
        view.refresh_prompt(store)?;
        Ok(view)
    }

    fn current(&self) -> Step {
        self.checklist.current()
    }

    fn note(&self) -> &str {
        &self.notes[usize::from(self.current().number() - 1)]
    }

    fn prompt_context(&self) -> PromptContext {
        PromptContext {
            call_type: self.call_type,
            segment: self.detail.segment,
            sentiment: self
                .tags
                .sentiment
                .or(self.detail.pulse_history.first().map(|p| p.pulse)),
            intervention: self.tags.intervention,
        }
    }

    fn prompts(&self) -> Vec<&Prompt> {
        self.library
            .for_step(self.current().number(), &self.prompt_context())
    }

    fn prompt(&self) -> Option<(&Prompt, usize, usize)> {
        let list = self.prompts();
        let n = list.len();
        list.get(self.prompt_idx % n.max(1))
            .map(|p| (*p, self.prompt_idx % n + 1, n))
    }

    /// Records the prompt on screen as shown, and notices a line reused across calls.
    fn refresh_prompt(&mut self, store: &mut Store) -> Result<()> {
        let Some((p, _, _)) = self.prompt() else {
            self.shown = None;
            return Ok(());
        };
        let key = p.key.clone();
        if self.shown.as_deref() == Some(key.as_str()) {
            return Ok(());
        }
        if !store.is_read_only() {
            call::prompt_shown(
                store,
                self.touch_id,
                self.current().number(),
                &key,
                self.now,
            )?;
        }
        let reused = call::prompt_use_count(store.conn(), &key, self.touch_id)?;
        if let Some(n) = prompts::reuse_notice(reused) {
            self.notice = Some(n);
        }
        self.shown = Some(key);
        Ok(())
    }

    fn records(&self) -> Vec<StepRecord> {
        Step::ALL
            .iter()
            .map(|s| {
                let st = self.checklist.step(*s);
                StepRecord {
                    step: s.number(),
                    started: st.visited,
                    elapsed_ms: self.checklist.step_ms(*s, self.now),
                    note: String::new(),
                    skipped_reason: st.skipped.clone(),
                }
            })
            .collect()
    }

    fn save_progress(&mut self, store: &mut Store) -> Result<()> {
        call::save_progress(
            store,
            self.touch_id,
            self.current().number(),
            &self.records(),
            self.now,
        )?;
        self.saved_ms = self.checklist.call_ms(self.now);
        Ok(())
    }

    /// Marks the current step's note as changed; the app writes it before the next frame
    /// (`flush_notes`), once for a burst of keys or a paste.
    fn note_changed(&mut self, store: &Store) {
        if !store.is_read_only() {
            self.unsaved[usize::from(self.current().number() - 1)] = true;
        }
    }

    fn pending(&self) -> bool {
        self.unsaved.contains(&true)
    }

    /// Writes the notes a failed write left behind; on failure the text stays on screen and
    /// in memory, the note pane says so, and the next key or tick tries again.
    fn flush_notes(&mut self, store: &mut Store) {
        if !self.pending() {
            return;
        }
        for i in 0..self.notes.len() {
            if !self.unsaved[i] {
                continue;
            }
            let step = i as u8 + 1;
            match call::save_note(store, self.touch_id, step, &self.notes[i], self.now) {
                Ok(()) => self.unsaved[i] = false,
                Err(e) => {
                    self.save_error = Some(e.to_string());
                    return;
                }
            }
        }
        self.save_error = None;
    }

    fn paste(&mut self, pasted: &str, store: &mut Store, clock: &dyn Clock) {
        self.now = clock.now();
        match &mut self.focus {
            Focus::None => {}
            Focus::Note { cursor } => {
                let i = usize::from(self.checklist.current().number() - 1);
                if note_editor::paste(&mut self.notes[i], cursor, pasted) == Edit::Changed {
                    self.note_changed(store);
                }
            }
            Focus::Skip(input) | Focus::FollowupDate(input) => {
                note_editor::paste_into(input, pasted);
            }
        }
    }

    pub fn tick_in(&self) -> Option<Duration> {
        let retry = self
            .save_error
            .is_some()
            .then_some(super::screen::RETRY_SAVE_EVERY);
        if self.checklist.phase() != Phase::Running {
            return retry;
        }
        let ms = self.checklist.call_ms(self.now);
        Some(Duration::from_millis(
            (1000 - ms.rem_euclid(1000)).clamp(1, 1000) as u64,
        ))
    }

    pub fn tick(&mut self, store: &mut Store, clock: &dyn Clock) -> Result<()> {
        self.now = clock.now();
        self.flush_notes(store);
        self.checkpoint(store)
    }

    /// Saves the times when the clock has moved on by a second since the last save, so
    /// typing (which may keep the tick from firing) never delays it.
    fn checkpoint(&mut self, store: &mut Store) -> Result<()> {
        if self.checklist.call_ms(self.now) / 1000 != self.saved_ms / 1000 && !store.is_read_only()
        {
            self.save_progress(store)?;
        }
        Ok(())
    }

    /// The status bar's keys for what has focus, from the keymap's tables.
    fn hints(&self) -> Option<Vec<(&'static str, &'static str)>> {
        let table = match self.focus {
            Focus::None if self.confirm_discard => keymap::CALL_CONFIRM_DISCARD,
            Focus::None if self.confirm_quit => keymap::CALL_CONFIRM_QUIT,
            Focus::None if self.checklist.phase() == Phase::Ended => keymap::CALL_ENDED,
            Focus::None => return None,
            Focus::Note { .. } if self.save_error.is_some() => keymap::CALL_NOTE_UNSAVED,
            Focus::Note { .. } => keymap::CALL_NOTE,
            Focus::Skip(_) => keymap::CALL_SKIP,
            Focus::FollowupDate(_) => keymap::CALL_FOLLOWUP_DATE,
        };
        Some(table.to_vec())
    }

    fn text_key(&mut self, key: KeyEvent, store: &mut Store, clock: &dyn Clock) -> Result<()> {
        self.now = clock.now();
        match &mut self.focus {
            Focus::None => {}
            Focus::Note { cursor } => {
                let i = usize::from(self.checklist.current().number() - 1);
                let text = &mut self.notes[i];
                if key.code == KeyCode::Esc {
                    self.focus = Focus::None;
                    return Ok(());
                }
                // Tab indents here: the note is the only field while it is open.
                let key = if key.code == KeyCode::Tab {
                    KeyEvent::new(KeyCode::Char(' '), KeyModifiers::NONE)
                } else {
                    key
                };
                let types = matches!(key.code, KeyCode::Char(_) | KeyCode::Enter)
                    && !key.modifiers.contains(KeyModifiers::CONTROL);
                if types && !super::field::fits_one_more(text, limits::NOTES) {
                    self.notice = Some(super::field::full(limits::NOTES));
                    return Ok(());
                }
                if note_editor::edit(text, cursor, key) == Edit::Changed {
                    self.note_changed(store);
                }
            }
            Focus::Skip(input) => match key.code {
                KeyCode::Esc => self.focus = Focus::None,
                KeyCode::Enter => {
                    let reason = input.value().to_string();
                    match self.checklist.skip(&reason, self.now) {
                        Ok(_) => {
                            self.focus = Focus::None;
                            self.moved(store)?;
                        }
                        Err(e) => self.notice = Some(capitalized(&e.to_string())),
                    }
                }
                _ => {
                    if let Some(why) = super::field::type_into(input, key, limits::REASON) {
                        self.notice = Some(why);
                    }
                }
            },
            Focus::FollowupDate(input) => match key.code {
                KeyCode::Esc => self.focus = Focus::None,
                KeyCode::Enter => {
                    let typed = input.value().trim().to_string();
                    match parse_followup(&typed, self.today) {
                        Some(d) => {
                            self.tags.followup = Some(d);
                            self.tags.preset = None;
                            self.focus = Focus::None;
                            self.save_draft(store)?;
                        }
                        None => {
                            self.notice = Some(format!(
                                "'{typed}' is not a date: use YYYY-MM-DD (today or later) or +days"
                            ))
                        }
                    }
                }
                _ => {
                    input.handle_event(&Event::Key(key));
                }
            },
        }
        Ok(())
    }

    /// After the step changed: record it, reset the prompt.
    fn moved(&mut self, store: &mut Store) -> Result<()> {
        self.prompt_idx = 0;
        self.save_progress(store)?;
        self.refresh_prompt(store)
    }

    fn action(&mut self, action: Action, cx: &mut Cx) -> Result<Reply> {
        let (store, clock) = (&mut *cx.store, cx.clock);
        self.now = clock.now();
        self.today = clock.today();
        // Notes typed in the same burst are written before the call moves on.
        self.flush_notes(store);
        if self.save_error.is_some() {
            // Leaving now would lose the note that is not written: stay until it is.
            if matches!(action, Action::Quit | Action::CallSave) {
                self.confirm_quit = false;
                self.notice = Some(
                    "The note is not saved yet, so the call stays open: free some disk space; it retries every few seconds".into(),
                );
                return Ok(Reply::Stay);
            }
        }
        // The quit question: q again quits; any other key answers "stay" and still does
        // what it does, so no key is lost to the question.
        if std::mem::take(&mut self.confirm_quit) {
            if action == Action::Quit {
                self.pause_quietly(store)?;
                return Ok(Reply::Quit);
            }
            if action == Action::Back {
                return Ok(Reply::Stay);
            }
        }
        // The discard question: D again deletes the call; any other key keeps it and
        // still does what it does, like the quit question (Esc only answers).
        if std::mem::take(&mut self.confirm_discard) {
            if action == Action::CallDiscard {
                call::discard(store, self.touch_id, clock)?;
                cx.done("Call discarded: its notes and times are deleted and it counts nowhere");
                return Ok(Reply::PopRead(1));
            }
            if action == Action::Back {
                self.notice = Some("Kept the call".into());
                return Ok(Reply::Stay);
            }
        }
        self.notice = None;
        let now = self.now;
        match action {
            Action::CallDiscard => {
                self.confirm_quit = false;
                self.confirm_discard = true;
            }
            Action::Quit => self.confirm_quit = true,
            Action::CallNext | Action::CallPrev => {
                let moved = if action == Action::CallNext {
                    self.checklist.next(now)
                } else {
                    self.checklist.prev(now)
                };
                match moved {
                    Ok(_) => self.moved(store)?,
                    Err(e) => self.notice = Some(capitalized(&e.to_string())),
                }
            }
            Action::CallNote => {
                self.focus = Focus::Note {
                    cursor: self.note().chars().count(),
                }
            }
            Action::CallSkip => {
                if self.current() == Step::Retro {
                    self.notice =
                        Some("The retrospective can wait: it stays pending after tagging".into());
                } else {
                    self.focus = Focus::Skip(Input::default());
                }
            }
            Action::CallPause => {
                let r = match self.checklist.phase() {
                    Phase::Running => self.checklist.pause(now),
                    _ => self.checklist.resume(now),
                };
                match r {
                    Ok(()) => self.save_progress(store)?,
                    Err(e) => self.notice = Some(capitalized(&e.to_string())),
                }
            }
            Action::CallEnd => match self.checklist.end(now) {
                Ok(()) => {
                    call::mark_ended(store, self.touch_id, now)?;
                    self.moved(store)?;
                    self.notice = Some("Call ended. Tag it: r/y/g sentiment, i intervention, f follow-up, Enter saves".into());
                }
                Err(e) => self.notice = Some(capitalized(&e.to_string())),
            },
            Action::PromptNext => {
                self.prompt_idx = self.prompt_idx.wrapping_add(1);
                self.refresh_prompt(store)?;
            }
            Action::PromptUsed => {
                if let Some(key) = self.shown.clone() {
                    let used = !self.used.contains(&key);
                    call::prompt_used(store, self.touch_id, &key, used)?;
                    if used {
                        self.used.push(key.clone());
                        let n = call::prompt_use_count(store.conn(), &key, self.touch_id)?;
                        self.notice =
                            prompts::reuse_notice(n).or(Some("Marked as used on this call".into()));
                    } else {
                        self.used.retain(|k| *k != key);
                    }
                }
            }
            Action::InterventionNext => {
                let all = Intervention::ALL;
                let i = all
                    .iter()
                    .position(|x| *x == self.tags.intervention)
                    .unwrap_or(0);
                self.tags.intervention = all[(i + 1) % all.len()];
                self.prompt_idx = 0;
                self.refresh_prompt(store)?;
            }
            Action::CallPulse(p) => {
                self.tags.sentiment = Some(p);
                self.refresh_prompt(store)?;
            }
            Action::FollowupNext => {
                let next = self
                    .tags
                    .preset
                    .map_or(0, |i| (i + 1) % FOLLOWUP_PRESETS.len());
                self.tags.preset = Some(next);
                self.tags.followup = FOLLOWUP_PRESETS[next]
                    .1
                    .and_then(|d| self.today.checked_add_days(chrono::Days::new(d as u64)));
            }
            Action::FollowupType => self.focus = Focus::FollowupDate(Input::default()),
            Action::CallSave => {
                return match self.save_tags(store)? {
                    Some(prefill) => super::wrapup::WrapUp::after_call(&prefill, cx),
                    None => Ok(Reply::Stay),
                };
            }
            _ => {}
        }
        if matches!(
            action,
            Action::InterventionNext | Action::CallPulse(_) | Action::FollowupNext
        ) {
            self.save_draft(store)?;
        }
        Ok(Reply::Stay)
    }

    fn save_draft(&mut self, store: &mut Store) -> Result<()> {
        if store.is_read_only() {
            return Ok(());
        }
        call::save_draft_tags(
            store,
            self.touch_id,
            self.tags.sentiment,
            self.tags.intervention,
            self.tags.followup,
        )
    }

    fn pause_quietly(&mut self, store: &mut Store) -> Result<()> {
        if self.checklist.phase() == Phase::Running {
            let _ = self.checklist.pause(self.now);
        }
        self.save_progress(store)
    }

    /// Saves the tags at step 5; what the wrap-up starts from (None: not yet, says why).
    fn save_tags(&mut self, store: &mut Store) -> Result<Option<super::wrapup::CallPrefill>> {
        if self.current() != Step::Document {
            self.notice = Some("Tags are saved on step 5 (x ends the call and goes there)".into());
            return Ok(None);
        }
        let Some(sentiment) = self.tags.sentiment else {
            self.notice = Some("Choose the sentiment first: r Red, y Yellow, g Green".into());
            return Ok(None);
        };
        if self.checklist.phase() != Phase::Ended {
            let _ = self.checklist.end(self.now);
            call::mark_ended(store, self.touch_id, self.now)?;
        }
        self.save_progress(store)?;
        let fix = self.notes[3]
            .lines()
            .next()
            .unwrap_or("")
            .trim()
            .to_string();
        self.save_draft(store)?;
        Ok(Some(super::wrapup::CallPrefill {
            touch_id: self.touch_id,
            sentiment: Some(sentiment),
            intervention: self.tags.intervention,
            followup: self.tags.followup,
            fix,
        }))
    }

    fn draw(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        if area.width == 0 || area.height == 0 {
            return;
        }
        let [head, body] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
        frame.render_widget(Paragraph::new(self.head_line(theme)), head);
        let wide = body.width >= 76;
        let (steps_area, main) = if wide {
            let [l, r] =
                Layout::horizontal([Constraint::Length(24), Constraint::Min(0)]).areas(body);
            (Some(l), r)
        } else {
            (None, body)
        };
        if let Some(l) = steps_area {
            frame.render_widget(
                Paragraph::new(self.step_lines(theme)).block(Block::new().borders(Borders::RIGHT)),
                l,
            );
        }
        let mut lines = Vec::new();
        if !wide {
            lines.push(self.step_strip(theme));
        }
        let step = self.current();
        lines.push(Line::styled(
            format!("{}  {}", step.number(), step.title().to_uppercase()),
            theme.title().add_modifier(Modifier::BOLD),
        ));
        lines.push(Line::styled(step.what_to_do(), theme.dim()));
        if let Some(reason) = &self.checklist.step(step).skipped {
            lines.push(Line::styled(format!("Skipped: {reason}"), theme.warn()));
        }
        if let Some(n) = &self.notice {
            lines.push(Line::styled(format!("› {n}"), theme.warn()));
        }
        if self.confirm_discard {
            lines.push(Line::styled(
                "Discard this call? Its notes, step times and tags are deleted and it counts nowhere. D discards, any other key keeps it.",
                theme.danger(),
            ));
        }
        if self.confirm_quit {
            lines.push(Line::styled(
                "Quit during a call? It is saved and offered again next time. q quits, any other key stays.",
                theme.danger(),
            ));
        }
        lines.push(Line::raw(""));
        lines.extend(self.prompt_lines(theme));
        lines.push(Line::raw(""));
        match step {
            Step::Assess => lines.extend(self.signal_lines(theme)),
            Step::Propose => lines.extend(self.propose_lines(theme)),
            Step::Document => lines.extend(self.tag_lines(theme, main.width)),
            Step::Retro => lines.push(Line::raw(
                "The retrospective can happen once the issue resolves: after tagging, R on the portfolio lists the calls waiting for one.",
            )),
            _ => {}
        }
        match &self.focus {
            Focus::Skip(input) => {
                lines.push(Line::from(vec![
                    Span::styled("Skip because: ", theme.key()),
                    Span::raw(format!("{}█", input.value())),
                ]));
            }
            Focus::FollowupDate(input) => {
                lines.push(Line::from(vec![
                    Span::styled("Follow-up date: ", theme.key()),
                    Span::raw(format!("{}█", input.value())),
                ]));
            }
            _ => {}
        }
        // The note takes room while it is written, otherwise a short preview; on a tall
        // screen it also takes the rows the step does not need.
        let typing = matches!(self.focus, Focus::Note { .. });
        let least = if typing {
            if main.height >= 16 { 8 } else { 5 }
        } else if self.note().is_empty() {
            2
        } else {
            4
        }
        .min(main.height / 2);
        let step_rows: usize = lines
            .iter()
            .map(|l| l.width().max(1).div_ceil(usize::from(main.width.max(1))))
            .sum();
        let spare = usize::from(main.height).saturating_sub(step_rows + 1) as u16;
        let note_h = least.max(spare);
        let [top, note_area] =
            Layout::vertical([Constraint::Min(0), Constraint::Length(note_h)]).areas(main);
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), top);
        self.draw_note(frame, note_area, theme);
    }

    fn head_line(&self, theme: &Theme) -> Line<'static> {
        let step = self.current();
        let ms = self.checklist.step_ms(step, self.now);
        let cue = self.checklist.cue(self.now);
        let (cue_text, cue_style) = match cue {
            BoxCue::Untimed | BoxCue::Within => ("", theme.good()),
            BoxCue::Near => (" nearly at the time box", theme.warn()),
            BoxCue::Over => (" past the time box", theme.danger()),
        };
        let phase = match self.checklist.phase() {
            Phase::Running => Span::styled(" ● live ", theme.good()),
            Phase::Paused => Span::styled(" ‖ paused (Space) ", theme.warn()),
            Phase::Ended => Span::styled(" ■ ended ", theme.dim()),
        };
        Line::from(vec![
            phase,
            Span::raw(format!(" Step {}/6 ", step.number())),
            Span::styled(clock_text(ms), cue_style.add_modifier(Modifier::BOLD)),
            Span::styled(
                if step.time_box().is_some() {
                    format!(" of {}", step.time_box_label())
                } else {
                    format!(" · {}", step.time_box_label())
                },
                theme.dim(),
            ),
            Span::styled(cue_text.to_string(), cue_style),
            Span::raw(format!(
                "   Call {}",
                clock_text(self.checklist.call_ms(self.now))
            )),
            Span::styled(format!("   {}", self.participants.join(", ")), theme.dim()),
        ])
    }

    fn step_lines(&self, theme: &Theme) -> Vec<Line<'static>> {
        let mut lines = Vec::new();
        for s in Step::ALL {
            let st = self.checklist.step(s);
            let current = s == self.current();
            let noted = !self.notes[usize::from(s.number() - 1)].is_empty();
            let mark = match self.checklist.mark(s, self.now, noted) {
                StepMark::Current => "▶",
                StepMark::Skipped => "↷",
                StepMark::Done => "✓",
                StepMark::Passed => "·",
                StepMark::Ahead => " ",
            };
            let ms = self.checklist.step_ms(s, self.now);
            let time = if st.visited {
                clock_text(ms)
            } else {
                String::new()
            };
            let style = if current {
                theme.selected()
            } else if st.visited {
                Style::default()
            } else {
                theme.dim()
            };
            let noted = if noted { "✎" } else { " " };
            lines.push(Line::styled(
                format!(
                    "{mark}{} {:<14}{noted}{time:>5}",
                    s.number(),
                    short_title(s)
                ),
                style,
            ));
            lines.push(Line::styled(
                format!("    {}", s.time_box_label()),
                theme.dim(),
            ));
        }
        lines
    }

    fn step_strip(&self, theme: &Theme) -> Line<'static> {
        let mut spans = Vec::new();
        for s in Step::ALL {
            let st = self.checklist.step(s);
            let here = if s == self.current() { "▶" } else { " " };
            let text = format!("{here}{} ", s.number());
            let style = if s == self.current() {
                theme.selected()
            } else if st.visited {
                Style::default()
            } else {
                theme.dim()
            };
            let mark = if st.skipped.is_some() { "↷" } else { "" };
            spans.push(Span::styled(format!("{text}{mark}"), style));
        }
        Line::from(spans)
    }

    fn prompt_lines(&self, theme: &Theme) -> Vec<Line<'static>> {
        let Some((p, i, n)) = self.prompt() else {
            return vec![Line::styled(
                "No prompt for this step in your library",
                theme.dim(),
            )];
        };
        let used = if self.used.contains(&p.key) {
            " · used"
        } else {
            ""
        };
        vec![
            Line::styled(
                format!(
                    "Prompt {i}/{n}{used} · v another · u used · {}",
                    self.tags.intervention.label()
                ),
                theme.header(),
            ),
            Line::styled(
                format!("“{}”", p.text.trim()),
                Style::default().add_modifier(Modifier::ITALIC),
            ),
        ]
    }

    fn signal_lines(&self, theme: &Theme) -> Vec<Line<'static>> {
        let d = &self.detail;
        let mut lines = vec![Line::styled("Signals at a glance", theme.header())];
        let flags = checklist::red_flags(&d.inputs);
        if flags.is_empty() {
            lines.push(Line::styled("No red flags", theme.good()));
        }
        // One wrapped line: every flag stays in view on a small screen.
        let mut spans = Vec::new();
        for f in flags {
            spans.push(Span::styled(format!("⚑ {f}"), theme.danger()));
            spans.push(Span::raw("  "));
        }
        if !spans.is_empty() {
            lines.push(Line::from(spans));
        }
        let trend: Vec<String> = d
            .pulse_history
            .iter()
            .take(5)
            .rev()
            .map(|p| p.pulse.letter().to_string())
            .collect();
        lines.push(Line::raw(format!(
            "Sentiment trend: {}   Risk {} ({})",
            if trend.is_empty() {
                "never set".into()
            } else {
                trend.join(" → ")
            },
            d.risk.score,
            d.risk.band.label()
        )));
        // The relationship grid in one line: personas per shade, worst first.
        let mut shades = [0usize; 5];
        for p in &d.personas {
            shades[crate::domain::grid::shade(p.strength, p.sentiment) as usize] += 1;
        }
        let grid: Vec<String> = ["danger", "concern", "neutral", "good", "strong"]
            .iter()
            .zip(shades)
            .filter(|(_, n)| *n > 0)
            .map(|(g, n)| format!("{n} {g}"))
            .collect();
        let missing: Vec<&str> = d.coverage.missing_roles.iter().map(|r| r.label()).collect();
        lines.push(Line::raw(format!(
            "Personas {} ({} at Okay+): {}{}",
            d.coverage.personas,
            d.coverage.strong,
            grid.join(", "),
            if missing.is_empty() {
                String::new()
            } else {
                format!(" · no {}", missing.join(", "))
            }
        )));
        for f in d.open_followups.iter().take(2) {
            lines.push(Line::raw(format!(
                "Open follow-up {}: {}",
                f.due_on.format("%b %d"),
                f.action
            )));
        }
        for t in d.touches.iter().filter(|t| t.id != self.touch_id).take(3) {
            lines.push(Line::styled(
                format!(
                    "{} {}{}{}",
                    crate::domain::clock::local_day(t.occurred_at).format("%b %d"),
                    t.call_type.map_or(t.kind.label(), |c| c.label()),
                    t.sentiment
                        .map_or(String::new(), |p| format!(" · {}", p.label())),
                    t.intervention
                        .map_or(String::new(), |i| format!(" · {}", i.label()))
                ),
                theme.dim(),
            ));
        }
        lines
    }

    fn followup_text(&self) -> String {
        match (self.tags.followup, self.tags.preset) {
            (None, _) => "none".into(),
            (Some(d), Some(i)) => format!("{} ({})", d.format("%a %b %d"), FOLLOWUP_PRESETS[i].0),
            (Some(d), None) => d.format("%a %b %d").to_string(),
        }
    }

    fn propose_lines(&self, theme: &Theme) -> Vec<Line<'static>> {
        let fix = self.notes[3]
            .lines()
            .next()
            .unwrap_or("")
            .trim()
            .to_string();
        vec![
            Line::styled("Proposed fix and follow-up", theme.header()),
            Line::raw(format!(
                "Fix: {}",
                if fix.is_empty() {
                    "— (a: write it; the note's first line is the fix)".into()
                } else {
                    fix
                }
            )),
            Line::raw(format!(
                "Follow-up: {}   f +2 days/+1 week/+2 weeks/none · F type a date",
                self.followup_text()
            )),
        ]
    }

    fn tag_lines(&self, theme: &Theme, width: u16) -> Vec<Line<'static>> {
        let s = match self.tags.sentiment {
            Some(p) => Span::styled(
                p.label().to_string(),
                theme.pulse(Some(p)).add_modifier(Modifier::BOLD),
            ),
            None => Span::styled("— choose r, y or g".to_string(), theme.warn()),
        };
        // Rows wrap under their value (14 columns in), not back to the edge.
        let room = usize::from(width).saturating_sub(14);
        let hang = |label: &str, text: String, style: Style| -> Vec<Line<'static>> {
            super::format::wrap_hanging(&text, room, 0)
                .into_iter()
                .enumerate()
                .map(|(i, l)| {
                    let label = if i == 0 { label } else { "" };
                    Line::styled(format!("{label:14}{l}"), style)
                })
                .collect()
        };
        let mut lines = vec![
            Line::styled("Tags", theme.header()),
            Line::from(vec![Span::raw("Sentiment:    "), s]),
        ];
        // What tagging does to the account's CSM sentiment, as the wrap-up says it.
        let standing = super::wrapup::Standing::of(&self.detail.pulse_history, None);
        let (effect, overturns) =
            super::wrapup::sentiment_effect(standing.as_ref(), self.tags.sentiment);
        let style = if overturns { theme.warn() } else { theme.dim() };
        lines.extend(hang("", effect, style));
        lines.extend(hang(
            "Intervention:",
            format!(
                "{} · i: empathy, coaching, escalation, product fix",
                self.tags.intervention.label()
            ),
            Style::default(),
        ));
        lines.extend(hang(
            "Follow-up:",
            format!("{} · f presets, F type", self.followup_text()),
            Style::default(),
        ));
        lines.push(Line::styled(
            "Enter saves the tags; the retrospective stays pending.",
            theme.dim(),
        ));
        lines
    }

    fn draw_note(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        if area.height == 0 {
            return;
        }
        let typing = matches!(self.focus, Focus::Note { .. });
        let title = if self.save_error.is_some() {
            format!(" Note on step {} · NOT SAVED ", self.current().number())
        } else if typing {
            format!(
                " Note on step {} · saved as you type · Esc done ",
                self.current().number()
            )
        } else {
            format!(" Note on step {} (a to write) ", self.current().number())
        };
        let block = Block::new()
            .borders(Borders::TOP)
            .title(title)
            .border_style(if self.save_error.is_some() {
                theme.danger()
            } else if typing {
                theme.key()
            } else {
                theme.dim()
            });
        let mut inner = block.inner(area);
        frame.render_widget(block, area);
        if let Some(why) = &self.save_error {
            inner = note_editor::draw_unsaved_banner(frame, inner, theme, why);
        }
        let mut text = self.note().to_string();
        if let Focus::Note { cursor } = self.focus {
            note_editor::insert_at(&mut text, cursor, '█');
        }
        let lines: Vec<Line> = text.split('\n').map(|l| Line::raw(l.to_string())).collect();
        // Keep the end (where one types) in view.
        let width = inner.width.max(1) as usize;
        let rows: usize = lines.iter().map(|l| l.width().max(1).div_ceil(width)).sum();
        let scroll = rows.saturating_sub(inner.height as usize) as u16;
        frame.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .scroll((scroll, 0)),
            inner,
        );
    }
}

fn short_title(s: Step) -> &'static str {
    match s {
        Step::Assess => "Assess",
        Step::Mirror => "Mirror",
        Step::Clarify => "Clarify",
        Step::Propose => "Propose",
        Step::Document => "Document",
        Step::Retro => "Retro",
    }
}

fn names_of(detail: &AccountDetail, ids: &[i64]) -> Vec<String> {
    detail
        .personas
        .iter()
        .filter(|p| ids.contains(&p.id))
        .map(|p| p.name.clone())
        .collect()
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// A typed follow-up: `YYYY-MM-DD` or `+N` days; never in the past.
pub fn parse_followup(s: &str, today: NaiveDate) -> Option<NaiveDate> {
    let d = if let Some(n) = s.strip_prefix('+') {
        let n: u64 = n.trim().trim_end_matches('d').parse().ok()?;
        today.checked_add_days(chrono::Days::new(n))?
    } else {
        call::parse_followup_day(s)?
    };
    (d >= today).then_some(d)
}

impl super::screen::Screen for CallFlow {
    fn context(&self) -> Context {
        CallFlow::context(self)
    }

    fn on_unbound_key(&mut self) {
        self.unbound_key();
    }

    fn title(&self, _under: &str) -> String {
        CallFlow::title(self)
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &super::screen::DrawCx) {
        CallFlow::draw(self, frame, area, cx.theme);
    }

    fn on_action(
        &mut self,
        action: Action,
        cx: &mut super::screen::Cx,
    ) -> Result<super::screen::Reply> {
        self.action(action, cx)
    }

    fn text_focus(&self) -> bool {
        CallFlow::text_focus(self)
    }

    fn on_text(
        &mut self,
        key: KeyEvent,
        cx: &mut super::screen::Cx,
    ) -> Result<super::screen::Reply> {
        self.text_key(key, cx.store, cx.clock)?;
        Ok(super::screen::Reply::Stay)
    }

    fn on_paste(&mut self, text: &str, cx: &mut super::screen::Cx) -> Result<bool> {
        self.paste(text, cx.store, cx.clock)?;
        Ok(true)
    }

    fn text_hints(&self) -> Option<Vec<(&'static str, &'static str)>> {
        self.hints()
    }

    fn flush(&mut self, cx: &mut super::screen::Cx) {
        CallFlow::flush(self, cx.store);
    }

    fn unsaved(&self) -> bool {
        CallFlow::unsaved(self)
    }

    fn tick_in(&self) -> Option<Duration> {
        CallFlow::tick_in(self)
    }

    fn tick(&mut self, cx: &mut super::screen::Cx) -> Result<()> {
        CallFlow::tick(self, cx.store, cx.clock)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_followups() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        assert_eq!(
            parse_followup("+2", today),
            NaiveDate::from_ymd_opt(2026, 11, 25)
        );
        assert_eq!(
            parse_followup("2026-12-01", today),
            NaiveDate::from_ymd_opt(2026, 12, 1)
        );
        assert_eq!(parse_followup("2026-11-01", today), None);
        assert_eq!(parse_followup("soon", today), None);
    }
}
