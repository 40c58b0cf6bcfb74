//! The fake session's state machine: input editing, turns (work, reply, hooks), queued messages,
//! interrupts and exit. Time comes in as `now`; output goes to the transcript, record and hooks.

use crate::args::PermissionMode;
use crate::directive::{TurnOutcome, parse_directives};
use crate::editor::InputBuffer;
use crate::hooks::{HookEvent, HookRunner};
use crate::ids::random_below;
use crate::input::InputEvent;
use crate::outcome::turn_ending;
use crate::record::{PromptRecord, append_record};
use crate::render::{Activity, Block, FooterNote, FrameView, SpinnerView, render};
use crate::transcript::TranscriptWriter;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Second Ctrl-C within this window exits.
const CTRL_C_WINDOW: Duration = Duration::from_secs(2);
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

/// Whether this session continues an earlier one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// A new session id.
    Fresh,
    /// `--resume`: same id, history replayed.
    Resumed,
}

/// Fixed facts about the running session.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    /// Session id (transcript file name, resume id).
    pub session_id: String,
    /// Fresh or resumed.
    pub start: Start,
    /// Working directory.
    pub cwd: String,
    /// `$CLAUDE_CONFIG_DIR` in effect.
    pub config_dir: PathBuf,
    /// `--model`, if given.
    pub model: Option<String>,
    /// Footer wording and hook `permission_mode`.
    pub permission_mode: PermissionMode,
    /// `$TMUX_PANE`, for the record.
    pub tmux_pane: Option<String>,
    /// `$FAKE_AGENT_RECORD`, if set.
    pub record_path: Option<PathBuf>,
    /// `$FAKE_AGENT_WORK` (default 1 s): how long a turn works without a directive.
    pub default_work: Duration,
}

impl SessionInfo {
    /// The model id reported in hooks and the transcript.
    pub fn model_id(&self) -> String {
        match self.model.as_deref() {
            None | Some("sonnet") => "claude-sonnet-5".to_string(),
            Some(other) => other.to_string(),
        }
    }

    /// Second header line.
    pub fn model_line(&self) -> String {
        let name = match self.model.as_deref() {
            None | Some("sonnet") => "Sonnet 5",
            Some("opus") => "Opus 5",
            Some("haiku") => "Haiku 5",
            Some(other) => other,
        };
        format!("{name} · API Usage Billing")
    }
}

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
        }
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
        match event {
            InputEvent::Text(text) => self.input.type_text(&text),
            InputEvent::Paste(text) => self.input.paste(&text),
            InputEvent::Newline => self.input.type_text("\n"),
            InputEvent::Backspace => self.input.backspace(),
            InputEvent::Escape => self.interrupt(),
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
        if let Some(path) = &self.info.record_path {
            let record = PromptRecord {
                ts: jiff::Timestamp::now().to_string(),
                pid: std::process::id(),
                session_id: &self.info.session_id,
                tmux_pane: self.info.tmux_pane.as_deref(),
                cwd: &self.info.cwd,
                config_dir: &self.info.config_dir.display().to_string(),
                model: self.info.model.as_deref(),
                resumed: self.info.start == Start::Resumed,
                prompt: &prompt,
            };
            // The record is a test aid; failing to write it must not stop the session.
            let _ = append_record(path, &record);
        }
        self.transcript.user_prompt(&prompt);
        self.blocks.push(Block::Prompt(prompt.clone()));
        let work = directives.work.unwrap_or(self.info.default_work);
        self.turn = Some(Turn {
            prompt,
            started: now,
            ends_at: now + work,
            outcome: directives.outcome.unwrap_or(TurnOutcome::Reply),
            verb: VERBS[random_below(VERBS.len())],
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

    /// Advances time: ends the turn when due, then starts queued messages.
    pub fn tick(&mut self, now: Instant) {
        let Some(turn) = self.turn.as_ref() else {
            return;
        };
        if now < turn.ends_at {
            return;
        }
        let Some(turn) = self.turn.take() else {
            return;
        };
        let took = now.saturating_duration_since(turn.started);
        let ending = turn_ending(turn.outcome, &turn.prompt, jiff::Timestamp::now());
        self.blocks.push(ending.block);
        self.blocks.push(Block::Worked(took));
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
        if !self.queued.is_empty() {
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
        };
        render(&view, width, height)
    }
}

#[cfg(test)]
#[path = "app_tests.rs"]
mod tests;
