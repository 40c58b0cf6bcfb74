//! The fake session's state machine: input editing, turns (work, reply, hooks), queued messages,
//! interrupts, the account-wide usage limit with its menu and error switch, and exit. Time comes
//! in as `now`; output goes to the transcript, record and hooks.

pub use crate::info::{SessionInfo, Start};

use crate::api_error::ApiStatus;
use crate::client::ClientStyle;
use crate::directive::{TurnOutcome, parse_directives};
use crate::editor::InputBuffer;
use crate::hooks::{HookEvent, HookRunner};
use crate::ids::{new_uuid, random_below};
use crate::input::InputEvent;
use crate::limit::{
    AUTO_CONTINUE_CANCELLED, MENU_COMMAND, MENU_HINT, MENU_OPTIONS, MENU_TITLE, MenuHistory,
};
use crate::menu::{MenuAction, RateLimitMenu};
use crate::outcome::TurnEnding;
use crate::render::{
    Activity, Block, FooterNote, Frame, FrameView, MenuView, SpinnerView, render_frame,
};
use crate::transcript::{EndedTurn, TranscriptWriter};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Second Ctrl-C within this window exits.
const CTRL_C_WINDOW: Duration = Duration::from_secs(2);
/// How often a working turn looks for the account-wide switches (a limit or error that hits
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

/// How the prompt asked a turn to go; restored when a failing request goes through on a retry.
#[derive(Debug, Clone, Copy)]
struct Plan {
    /// The directive's outcome, or a reply.
    outcome: TurnOutcome,
    /// How long the turn works once its request goes through.
    work: Duration,
}

/// The client retrying a request that failed with a 500 or 529.
#[derive(Debug, Clone, Copy)]
struct Retry {
    /// What the last request got.
    status: ApiStatus,
    /// The retry shown now (1 for the first).
    attempt: u32,
    /// When it is sent.
    next_at: Instant,
}

/// A running turn.
#[derive(Debug, Clone)]
struct Turn {
    /// The exact prompt text.
    prompt: String,
    /// Fresh per turn: the hooks' `prompt_id`, the user entry's `promptId`.
    prompt_id: String,
    /// When it started (spinner, duration).
    started: Instant,
    /// When it ends (not while retrying).
    ends_at: Instant,
    /// How it ends.
    outcome: TurnOutcome,
    /// Whose error screens, hooks and transcript entries it gets.
    client: ClientStyle,
    /// Spinner verb.
    verb: &'static str,
    /// When the switches were last looked at.
    limit_checked: Instant,
    /// What the prompt asked for.
    plan: Plan,
    /// The client's own retries while the error switch answers 500 or 529.
    retry: Option<Retry>,
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
    /// The dim hint the empty input shows after a 2.1.329 error turn, until the next turn.
    input_hint: Option<&'static str>,
    /// The `statusLine` command and what it printed.
    status_line: crate::status_line::StatusLine,
    /// This process's running cost, USD (`cost.total_cost_usd`).
    cost_usd: f64,
}

/// How long the end of a turn waits for the status line command.
const STATUS_LINE_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

impl App {
    /// A session showing `history` (replayed blocks; empty when fresh).
    pub fn new(info: SessionInfo, transcript: TranscriptWriter, history: Vec<Block>) -> Self {
        let hooks = HookRunner::new(
            info.config_dir.join("settings.json"),
            PathBuf::from(&info.cwd),
        );
        let status_line = crate::status_line::StatusLine::new(
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
            input_hint: None,
            status_line,
            cost_usd: 0.0,
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
        self.update_status_line(None);
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

    fn start_turn(&mut self, prompt: String, now: Instant) {
        let directives = parse_directives(&prompt);
        let prompt_id = new_uuid();
        // Every prompt is recorded once, also one that then runs into a limit or an error (like
        // the real client, which sends each prompt once and retries it by itself).
        self.record_prompt(&prompt);
        self.transcript.user_prompt(&prompt, &prompt_id);
        self.blocks.push(Block::Prompt(prompt.clone()));
        self.banner = None;
        self.input_hint = None;
        let plan = Plan {
            outcome: directives.outcome.unwrap_or(TurnOutcome::Reply),
            work: directives.work.unwrap_or(self.info.default_work),
        };
        let mut turn = Turn {
            prompt,
            prompt_id,
            started: now,
            ends_at: switches::after(now, plan.work),
            outcome: plan.outcome,
            client: self.info.client,
            verb: VERBS[random_below(VERBS.len())],
            limit_checked: now,
            plan,
            retry: None,
        };
        self.apply_switches(&mut turn, now);
        self.turn = Some(turn);
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

    /// Advances time: looks at the account-wide switches while working, moves the client's
    /// retries on, ends the turn when due, then starts queued messages (not while the limit menu
    /// is open).
    pub fn tick(&mut self, now: Instant) {
        self.poll_switches(now);
        self.advance_retry(now);
        match self.turn.as_ref() {
            None => {
                self.start_queued(now);
                return;
            }
            Some(turn) if turn.retry.is_some() || now < turn.ends_at => return,
            Some(_) => {}
        }
        if let Some(turn) = self.turn.take() {
            self.finish(&turn, now);
        }
        self.start_queued(now);
    }

    /// Shows, writes and reports the end of `turn`.
    fn finish(&mut self, turn: &Turn, now: Instant) {
        let took = now.saturating_duration_since(turn.started);
        let ending = self.show_ending(turn, took);
        let model = self.info.model_id();
        self.transcript.turn_ended(&EndedTurn {
            outcome: turn.outcome,
            text: &ending.message,
            model: &model,
            took,
            client: turn.client,
            prompt: &turn.prompt,
            permission_mode: self.info.permission_mode.hook_name(),
        });
        self.work_on_folder(turn);
        let (event, payload) = self.end_payload(turn, &ending);
        // The status line first (and waited for): its report, with this reply's cost, is
        // written before the hooks say the turn is over.
        self.cost_usd += crate::status_line::COST_PER_REPLY;
        self.update_status_line(Some(&turn.prompt_id));
        self.status_line.wait(STATUS_LINE_WAIT);
        self.hooks.fire(event, None, &payload);
    }

    /// A reply that was asked to commit a file does so; every turn's end is recorded.
    fn work_on_folder(&self, turn: &Turn) {
        let wanted = crate::directive::parse_directives(&turn.prompt).commit;
        let committed = match (&turn.outcome, &wanted) {
            (TurnOutcome::Reply, Some(file)) => {
                let text = format!(
                    "written by {} for: {}\n",
                    self.info.session_id, turn.prompt_id
                );
                crate::workspace::commit_file(std::path::Path::new(&self.info.cwd), file, &text)
                    .then_some(file.as_str())
            }
            _ => None,
        };
        crate::workspace::record_turn_end(
            self.info.record_path.as_deref(),
            &crate::workspace::TurnEndRecord {
                event: "turn_end",
                ts: jiff::Timestamp::now().to_string(),
                pid: std::process::id(),
                session_id: &self.info.session_id,
                cwd: &self.info.cwd,
                committed,
            },
        );
    }

    /// Calls the status line with the session's figures (`rate_limits` only after a reply).
    fn update_status_line(&mut self, prompt_id: Option<&str>) {
        let mut payload = self.base_payload(HookEvent::Stop);
        if let Some(map) = payload.as_object_mut() {
            map.remove("hook_event_name");
        }
        payload["model"] = json!({"id": self.info.model_id(), "display_name": self.model_line});
        payload["version"] = json!(crate::args::VERSION);
        payload["cost"] = json!({"total_cost_usd": self.cost_usd});
        if let Some(prompt_id) = prompt_id {
            payload["prompt_id"] = json!(prompt_id);
            let now = jiff::Timestamp::now();
            if let Some(limits) = crate::status_line::rate_limits(&self.info.config_dir, now) {
                payload["rate_limits"] = limits;
            }
        }
        self.status_line.update(&payload);
    }

    /// `Stop` after a reply, `StopFailure` (with the `error` kind) after an error or limit.
    fn end_payload(&self, turn: &Turn, ending: &TurnEnding) -> (HookEvent, Value) {
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
        payload["prompt_id"] = json!(turn.prompt_id);
        payload["effort"] = json!({"level": turn.client.effort()});
        payload["last_assistant_message"] = json!(ending.message);
        (event, payload)
    }

    /// Starts the queued messages as one turn, unless a turn runs or the menu is open.
    fn start_queued(&mut self, now: Instant) {
        if self.turn.is_none() && self.menu.is_none() && !self.queued.is_empty() {
            let next = std::mem::take(&mut self.queued).join("\n");
            self.start_turn(next, now);
        }
    }

    /// The frame's rows for a `width` × `height` terminal at `now` (see [`App::render_frame`]).
    pub fn frame(&self, now: Instant, width: u16, height: u16) -> Vec<String> {
        self.render_frame(now, width, height).lines
    }

    /// The frame for a `width` × `height` terminal at `now`, with its dim hint.
    pub fn render_frame(&self, now: Instant, width: u16, height: u16) -> Frame {
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
        let status_text = self.status_line.text();
        let view = FrameView {
            model_line: &self.model_line,
            cwd: &self.info.cwd,
            blocks: &self.blocks,
            spinner: self.turn.as_ref().map(|turn| SpinnerView {
                verb: turn.verb.to_string(),
                elapsed: now.saturating_duration_since(turn.started),
                retry: self.retry_line(turn, now),
            }),
            queued: &self.queued,
            input: &input,
            input_hint: self.input_hint,
            permission_mode: self.info.permission_mode,
            activity: if self.is_working() {
                Activity::Working
            } else {
                Activity::Idle
            },
            note,
            banner: self.banner.as_ref().map_or(&[], |rows| rows.as_slice()),
            status_line: status_text.as_deref(),
            menu: self.menu.map(|menu| MenuView {
                command: MENU_COMMAND,
                title: MENU_TITLE,
                options: &MENU_OPTIONS,
                selected: menu.selected,
                hint: MENU_HINT,
            }),
        };
        render_frame(&view, width, height)
    }
}

#[path = "app_effects.rs"]
mod effects;

#[path = "app_switches.rs"]
mod switches;

#[cfg(test)]
#[path = "app_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "app_limit_tests.rs"]
mod limit_tests;

#[cfg(test)]
#[path = "app_error_tests.rs"]
mod error_tests;
