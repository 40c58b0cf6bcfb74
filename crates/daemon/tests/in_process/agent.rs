//! The scripted agent of the in-memory terminal: the fake agent's screens (its renderer, input
//! editor and turn endings, which copy the recordings in `shared/claude-code/`), with turns that
//! end when the test says so instead of on a timer.

use std::path::PathBuf;
use std::time::Duration;

use cf_fake_agent::api_error::{ApiStatus, ErrorWording};
use cf_fake_agent::args::PermissionMode;
use cf_fake_agent::client::ClientStyle;
use cf_fake_agent::directive::{QuotaKind, TurnOutcome};
use cf_fake_agent::editor::InputBuffer;
use cf_fake_agent::outcome::turn_ending;
use cf_fake_agent::render::{Activity, Block, FooterNote, FrameView, SpinnerView, render};
use jiff::Timestamp;

/// How a turn the test ends comes out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// A normal reply; the Stop hook runs.
    Reply,
    /// An API error with this HTTP status; the StopFailure hook runs with its kind.
    ApiError(u16),
    /// The session usage limit (resets an hour later); StopFailure with `rate_limit`.
    SessionLimit,
}

impl Ending {
    /// The fake agent's outcome for it.
    fn outcome(self) -> TurnOutcome {
        match self {
            Ending::Reply => TurnOutcome::Reply,
            Ending::ApiError(code) => TurnOutcome::ApiError(
                ApiStatus::from_code(code).unwrap_or(ApiStatus::InternalServerError),
            ),
            Ending::SessionLimit => TurnOutcome::Quota(QuotaKind::Session),
        }
    }

    /// The `error` of the StopFailure hook, `None` when Stop runs.
    pub fn stop_failure_kind(self) -> Option<&'static str> {
        self.outcome().error_kind()
    }
}

/// A turn that runs.
#[derive(Debug, Clone)]
struct Working {
    /// The submitted prompt.
    prompt: String,
    /// When it started (tokio time).
    since: tokio::time::Instant,
}

/// One agent process in a session.
#[derive(Debug)]
pub struct Agent {
    /// `CLAUDE_CONFIG_DIR` of its launch line: which account it runs on.
    pub config_dir: PathBuf,
    /// Its conversation id (the resume id).
    pub conversation: String,
    /// The folder it works in (the `cd` of its launch line, else its session's).
    pub cwd: PathBuf,
    /// The visible conversation.
    blocks: Vec<Block>,
    /// The input box.
    input: InputBuffer,
    /// How many pastes so far (the placeholder's number).
    pastes: u32,
    /// The running turn.
    working: Option<Working>,
    /// The dim hint of an empty input after a 2.1.329 error turn.
    input_hint: Option<&'static str>,
}

impl Agent {
    /// A fresh (or resumed, showing `history`) agent.
    pub fn new(config_dir: PathBuf, conversation: String, history: Vec<Block>) -> Agent {
        Agent {
            config_dir,
            conversation,
            cwd: PathBuf::new(),
            blocks: history,
            input: InputBuffer::new(),
            pastes: 0,
            working: None,
            input_hint: None,
        }
    }

    /// The visible conversation (kept for a later `--resume`).
    pub fn blocks(&self) -> &[Block] {
        &self.blocks
    }

    /// Whether a turn runs.
    pub fn is_working(&self) -> bool {
        self.working.is_some()
    }

    /// When the running turn started.
    pub fn working_since(&self) -> Option<tokio::time::Instant> {
        self.working.as_ref().map(|w| w.since)
    }

    /// Typed characters go into the input.
    pub fn type_text(&mut self, text: &str) {
        self.input.type_text(text);
    }

    /// A bracketed paste goes into the input (as a placeholder when long).
    pub fn paste(&mut self, text: &str) {
        self.pastes += 1;
        self.input.paste(text);
    }

    /// Enter: submits the input when idle; returns the submitted prompt. `/exit` is returned
    /// too (the terminal ends the agent).
    pub fn enter(&mut self, now: tokio::time::Instant) -> Option<String> {
        if self.working.is_some() || self.input.is_blank() {
            return None;
        }
        let prompt = self.input.take();
        if prompt.trim() == "/exit" {
            return Some(prompt);
        }
        self.blocks.push(Block::Prompt(prompt.clone()));
        self.input_hint = None;
        self.working = Some(Working {
            prompt: prompt.clone(),
            since: now,
        });
        Some(prompt)
    }

    /// Esc interrupts a running turn: like the fake agent (and the client), the prompt leaves
    /// the conversation and goes back into the input.
    pub fn escape(&mut self) {
        if let Some(working) = self.working.take() {
            if self.blocks.last() == Some(&Block::Prompt(working.prompt.clone())) {
                self.blocks.pop();
            }
            self.input.set_text(&working.prompt);
        }
    }

    /// Ends the running turn as `ending`; returns its prompt, or `None` when nothing ran.
    pub fn end_turn(
        &mut self,
        ending: Ending,
        now: tokio::time::Instant,
        wall: Timestamp,
    ) -> Option<String> {
        let working = self.working.take()?;
        let wording = ErrorWording {
            client: ClientStyle::V2_1_197,
            gateway: None,
        };
        let end = turn_ending(ending.outcome(), &working.prompt, wall, &wording);
        self.blocks.push(end.block);
        if end.shows_worked {
            let took = now.saturating_duration_since(working.since);
            self.blocks
                .push(Block::Worked(took.max(Duration::from_secs(1))));
        }
        self.input_hint = end.input_hint;
        Some(working.prompt)
    }

    /// The screen, as `capture-pane -p` prints it: one `\n`-ended line per row.
    pub fn screen(&self, cwd: &str, now: tokio::time::Instant, size: (u16, u16)) -> String {
        let input = self.input.display();
        let view = FrameView {
            model_line: "Sonnet 5 · Claude Max",
            cwd,
            blocks: &self.blocks,
            spinner: self.working.as_ref().map(|w| SpinnerView {
                verb: "Pondering".into(),
                elapsed: now.saturating_duration_since(w.since),
                retry: None,
            }),
            queued: &[],
            input: &input,
            input_hint: self.input_hint,
            permission_mode: PermissionMode::Bypass,
            activity: if self.working.is_some() {
                Activity::Working
            } else {
                Activity::Idle
            },
            note: if self.input.has_placeholder() {
                FooterNote::PasteAgain
            } else {
                FooterNote::Plain
            },
            banner: &[],
            status_line: None,
            menu: None,
        };
        let mut text = String::new();
        for row in render(&view, size.0, size.1) {
            text.push_str(row.trim_end());
            text.push('\n');
        }
        text
    }
}
