//! The fake session's state machine: input editing, turns (work, reply, hooks), queued messages,
//! interrupts, the account-wide usage limit with its menu, and exit. Time comes in as `now`;
//! output goes to the transcript, record and hooks.

pub use crate::info::{SessionInfo, Start};

use crate::directive::{TurnOutcome, parse_directives};
use crate::editor::InputBuffer;
use crate::hooks::{HookEvent, HookRunner};
use crate::ids::random_below;
use crate::input::InputEvent;
use crate::limit::{
    AUTO_CONTINUE_CANCELLED, AccountLimit, MENU_COMMAND, MENU_HINT, MENU_OPTIONS, MENU_TITLE,
    MenuHistory, read_account_limit,
};
use crate::menu::{MenuAction, RateLimitMenu};
use crate::render::{Activity, Block, FooterNote, FrameView, MenuView, SpinnerView, render};
use crate::transcript::TranscriptWriter;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Second Ctrl-C within this window exits.
const CTRL_C_WINDOW: Duration = Duration::from_secs(2);
/// How often a working turn looks for the account-wide limit switch (a limit that hits
/// mid-task ends the turn within about this long plus one loop tick).
const LIMIT_POLL: Duration = Duration::from_millis(200);
/// Spinner verbs (a few of the real client's ~190).
const VERBS: [&str; 8] = [
    "Billowing",
    "Effecting",
    "Mulling",
    "Pondering",
    "Brewing",
    "Churning",
    "Percolating",
    "Noodling",
];

/// A running turn.
#[derive(Debug, Clone)]
struct Turn {
    /// The exact prompt text.
    prompt: String,
    /// When it started (spinner, duration).
    started: Instant,
    /// When it ends.
    ends_at: Instant,
    /// How it ends.
    outcome: TurnOutcome,
    /// Spinner verb.
    verb: &'static str,
    /// When the limit switch was last looked at.
    limit_checked: Instant,
}

/// What the main loop should do after an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Keep going.
    Continue,
    /// Leave and print the resume hint.
    Exit,
}

/// The whole session state.
#[derive(Debug)]
pub struct App {
    /// Fixed session facts.
    info: SessionInfo,
    /// Cached header line.
    model_line: String,
    /// Visible conversation.
    blocks: Vec<Block>,
    /// The input box.
    input: InputBuffer,
    /// The running turn, if any.
    turn: Option<Turn>,
    /// Messages submitted while working, run after the turn.
    queued: Vec<String>,
    /// When Ctrl-C was last pressed (a second one soon after exits).
    ctrl_c_at: Option<Instant>,
    /// Hook runner.
    hooks: HookRunner,
    /// Transcript writer.
    transcript: TranscriptWriter,
    /// The `/rate-limit-options` menu while it is open (no input line then).
    menu: Option<RateLimitMenu>,
    /// Whether the menu opened before in this process (it only opens on the first limit).
    menu_history: MenuHistory,
    /// The 2.1.329 `⚠` rows above the footer while an automatic continue is armed.
    banner: Option<[String; 2]>,
}

impl App {
    /// A session showing `history` (replayed blocks; empty when fresh).
    pub fn new(info: SessionInfo, transcript: TranscriptWriter, history: Vec<Block>) -> Self {
        let hooks = HookRunner::new(
            info.config_dir.join("settings.json"),
            PathBuf::from(&info.cwd),
        );
        Self {
            model_line: info.model_line(),
            info,
            blocks: history,
            input: InputBuffer::new(),
            turn: None,
            queued: Vec::new(),
            ctrl_c_at: None,
            hooks,
            transcript,
            menu: None,
            menu_history: MenuHistory::NotShown,
            banner: None,
        }
    }

    /// Whether the `/rate-limit-options` menu is open.
    pub fn menu_is_open(&self) -> bool {
        self.menu.is_some()
    }

    /// Whether a turn is running.
    pub fn is_working(&self) -> bool {
        self.turn.is_some()
    }

    /// The session id.
    pub fn session_id(&self) -> &str {
        &self.info.session_id
    }

    fn base_payload(&self, event: HookEvent) -> Value {
        json!({
            "session_id": self.info.session_id,
            "transcript_path": self.transcript.path().display().to_string(),
            "cwd": self.info.cwd,
            "hook_event_name": event.name(),
        })
    }

    /// Fires SessionStart; call once after the first frame.
    pub fn started(&mut self) {
        self.transcript
            .session_opened(self.info.permission_mode.hook_name());
        let source = match self.info.start {
            Start::Fresh => "startup",
            Start::Resumed => "resume",
        };
        let mut payload = self.base_payload(HookEvent::SessionStart);
        payload["source"] = json!(source);
        payload["model"] = json!(self.info.model_id());
        self.hooks
            .fire(HookEvent::SessionStart, Some(source), &payload);
    }

    /// Fires SessionEnd and waits up to `limit` for running hooks.
    pub fn ended(&mut self, limit: Duration) {
        let mut payload = self.base_payload(HookEvent::SessionEnd);
        payload["reason"] = json!("prompt_input_exit");
        self.hooks.fire(HookEvent::SessionEnd, None, &payload);
        self.hooks.wait_all(limit);
    }

    /// Applies one input event.
    pub fn handle(&mut self, event: InputEvent, now: Instant) -> Flow {
        if event != InputEvent::Interrupt {
            self.ctrl_c_at = None;
        }
        if let Some(menu) = &mut self.menu {
            if let MenuAction::Close(choice) = menu.handle(&event) {
                self.menu = None;
                self.record_menu_choice(choice);
            }
            if event == InputEvent::Interrupt {
                self.ctrl_c_at = Some(now);
            }
            return Flow::Continue;
        }
        match event {
            InputEvent::Text(text) => self.input.type_text(&text),
            InputEvent::Paste(text) => self.input.paste(&text),
            InputEvent::Newline => self.input.type_text("\n"),
            InputEvent::Backspace => self.input.backspace(),
            InputEvent::Escape if self.is_working() => self.interrupt(),
            InputEvent::Escape => {
                if self.banner.take().is_some() {
                    self.blocks
                        .push(Block::Reply(AUTO_CONTINUE_CANCELLED.to_string()));
                }
            }
            InputEvent::Up | InputEvent::Down => {}
            InputEvent::Interrupt => {
                if self
                    .ctrl_c_at
                    .is_some_and(|at| now.duration_since(at) <= CTRL_C_WINDOW)
                {
                    return Flow::Exit;
                }
                self.ctrl_c_at = Some(now);
                if self.is_working() {
                    self.interrupt();
                } else {
                    self.input.take();
                }
            }
            InputEvent::Enter => {
                if self.input.is_blank() {
                    return Flow::Continue;
                }
                let text = self.input.take();
                if text.trim() == "/exit" {
                    // The last frame keeps showing the command, like the real client.
                    self.input.set_text(&text);
                    return Flow::Exit;
                }
                if self.is_working() {
                    self.queued.push(text);
                } else {
                    self.start_turn(text, now);
                }
            }
        }
        Flow::Continue
    }

    /// Submits `prompt` as if typed and entered (the positional start-up prompt).
    pub fn submit(&mut self, prompt: String, now: Instant) {
        if self.is_working() {
            self.queued.push(prompt);
        } else {
            self.start_turn(prompt, now);
        }
    }

    fn account_limit(&self) -> Option<AccountLimit> {
        read_account_limit(&self.info.config_dir, jiff::Timestamp::now())
    }

    fn start_turn(&mut self, prompt: String, now: Instant) {
        let directives = parse_directives(&prompt);
        // Every prompt is recorded, also one that then runs into the limit (like the real
        // client, which sends each prompt once and gets one 429 for it).
        self.record_prompt(&prompt);
        self.transcript.user_prompt(&prompt);
        self.blocks.push(Block::Prompt(prompt.clone()));
        self.banner = None;
        let work = directives.work.unwrap_or(self.info.default_work);
        let (outcome, ends_at) = match self.account_limit() {
            Some(limit) => (TurnOutcome::AccountLimit(limit), now),
            None => (directives.outcome.unwrap_or(TurnOutcome::Reply), now + work),
        };
        self.turn = Some(Turn {
            prompt,
            started: now,
            ends_at,
            outcome,
            verb: VERBS[random_below(VERBS.len())],
            limit_checked: now,
        });
    }

    /// Esc while working: drop the turn, put its prompt (and queued messages) back in the input.
    fn interrupt(&mut self) {
        let Some(turn) = self.turn.take() else {
            return;
        };
        if self.blocks.last() == Some(&Block::Prompt(turn.prompt.clone())) {
            self.blocks.pop();
        }
        self.transcript.interrupted();
        let mut parts = vec![turn.prompt];
        parts.append(&mut self.queued);
        let typed = self.input.take();
        if !typed.is_empty() {
            parts.push(typed);
        }
        self.input.set_text(&parts.join("\n"));
    }

    /// Advances time: looks for the account-wide limit while working, ends the turn when due,
    /// then starts queued messages (not while the limit menu is open).
    pub fn tick(&mut self, now: Instant) {
        let limit_due = self.turn.as_ref().is_some_and(|turn| {
            !matches!(turn.outcome, TurnOutcome::AccountLimit(_))
                && now.saturating_duration_since(turn.limit_checked) >= LIMIT_POLL
        });
        if limit_due {
            let limit = self.account_limit();
            if let Some(turn) = self.turn.as_mut() {
                turn.limit_checked = now;
                if let Some(limit) = limit {
                    turn.outcome = TurnOutcome::AccountLimit(limit);
                    turn.ends_at = now;
                }
            }
        }
        match self.turn.as_ref() {
            None => {
                self.start_queued(now);
                return;
            }
            Some(turn) if now < turn.ends_at => return,
            Some(_) => {}
        }
        let Some(turn) = self.turn.take() else {
            return;
        };
        let took = now.saturating_duration_since(turn.started);
        let ending = self.show_ending(&turn, took);
        self.transcript
            .turn_ended(turn.outcome, &ending.message, &self.info.model_id(), took);
        let (event, mut payload) = match turn.outcome.error_kind() {
            None => {
                let mut payload = self.base_payload(HookEvent::Stop);
                payload["permission_mode"] = json!(self.info.permission_mode.hook_name());
                payload["stop_hook_active"] = json!(false);
                (HookEvent::Stop, payload)
            }
            Some(error) => {
                let mut payload = self.base_payload(HookEvent::StopFailure);
                payload["error"] = json!(error);
                (HookEvent::StopFailure, payload)
            }
        };
        payload["last_assistant_message"] = json!(ending.message);
        self.hooks.fire(event, None, &payload);
        self.start_queued(now);
    }

    /// Starts the queued messages as one turn, unless a turn runs or the menu is open.
    fn start_queued(&mut self, now: Instant) {
        if self.turn.is_none() && self.menu.is_none() && !self.queued.is_empty() {
            let next = std::mem::take(&mut self.queued).join("\n");
            self.start_turn(next, now);
        }
    }

    /// The frame for a `width` × `height` terminal at `now`.
    pub fn frame(&self, now: Instant, width: u16, height: u16) -> Vec<String> {
        let note = if self
            .ctrl_c_at
            .is_some_and(|at| now.duration_since(at) <= CTRL_C_WINDOW)
        {
            FooterNote::CtrlCAgain
        } else if self.input.has_placeholder() {
            FooterNote::PasteAgain
        } else {
            FooterNote::Plain
        };
        let input = self.input.display();
        let view = FrameView {
            model_line: &self.model_line,
            cwd: &self.info.cwd,
            blocks: &self.blocks,
            spinner: self.turn.as_ref().map(|turn| SpinnerView {
                verb: turn.verb.to_string(),
                elapsed: now.saturating_duration_since(turn.started),
            }),
            queued: &self.queued,
            input: &input,
            permission_mode: self.info.permission_mode,
            activity: if self.is_working() {
                Activity::Working
            } else {
                Activity::Idle
            },
            note,
            banner: self.banner.as_ref().map_or(&[], |rows| rows.as_slice()),
            menu: self.menu.map(|menu| MenuView {
                command: MENU_COMMAND,
                title: MENU_TITLE,
                options: &MENU_OPTIONS,
                selected: menu.selected,
                hint: MENU_HINT,
            }),
        };
        render(&view, width, height)
    }
}

#[path = "app_effects.rs"]
mod effects;

#[cfg(test)]
#[path = "app_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "app_limit_tests.rs"]
mod limit_tests;
