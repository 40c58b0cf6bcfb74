//! A scripted in-memory terminal: sessions with a shell that starts the scripted agent when the
//! daemon types a launch line, the agent's screens from the fake agent's renderer, and the hooks
//! the daemon installs (SessionStart, Stop, StopFailure) written as the real hook writes them and
//! announced as the file events a watcher would have seen.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use cf_daemon::Clock;
use cf_daemon::signals::{self, SignalKind, SignalPayload};
use cf_daemon::terminal::{Terminal, TerminalFuture};
use cf_fake_agent::render::Block;
use cf_queue::{FsEvent, WatchTag};
use cf_tmux::{Key, NewSession, PaneInfo, TmuxError};
use tokio::sync::mpsc::UnboundedSender;

use crate::agent::{Agent, Ending};
use crate::shell_words::{LaunchLine, parse_launch_line};

/// A prompt an agent took (Enter on a non-empty input).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submitted {
    /// The tmux session.
    pub session: String,
    /// The agent's `CLAUDE_CONFIG_DIR`.
    pub config_dir: PathBuf,
    /// Its conversation.
    pub conversation: String,
    /// The folder its agent works in.
    pub cwd: PathBuf,
    /// The prompt text.
    pub prompt: String,
}

/// One session.
#[derive(Debug)]
struct Session {
    /// Its working directory.
    cwd: PathBuf,
    /// Pane size.
    size: (u16, u16),
    /// What the shell printed so far.
    shell_output: Vec<String>,
    /// What is typed at the shell prompt.
    typed: String,
    /// The agent running in it, with the exit marker its launch line prints.
    agent: Option<(Agent, Option<String>)>,
    /// The pane's pid.
    pid: u32,
}

/// How a turn on the account with this config dir ends at this wall time.
pub type EndingRule = Box<dyn Fn(&std::path::Path, jiff::Timestamp) -> Ending + Send>;

/// Turns that end by themselves, like the fake agent's: after `work`, as `ending` says for the
/// agent's account at that moment.
pub struct AutoTurns {
    /// How long each turn works.
    pub work: std::time::Duration,
    /// How each ends.
    pub ending: EndingRule,
}

/// Everything the terminal holds.
#[derive(Default)]
struct State {
    sessions: BTreeMap<String, Session>,
    /// Conversations that ended (or whose agent was killed): what `--resume` replays.
    conversations: HashMap<String, Vec<Block>>,
    /// Numbering of conversation ids and pids.
    counter: u32,
    /// Every prompt an agent took, in order.
    submitted: Vec<Submitted>,
    /// Whether the hooks run (without them only the screen tells a turn ended).
    hooks_off: bool,
    /// Turns that end by themselves (otherwise the test ends each).
    auto: Option<AutoTurns>,
    /// Every text typed or pasted into any session, in order.
    typed: Vec<String>,
}

/// The scripted terminal; cheap to share (`Arc`).
pub struct ScriptedTerminal {
    state: Mutex<State>,
    /// Where the hooks write their signal files.
    signal_dir: PathBuf,
    /// The running daemon's file events (replaced at each start).
    events: Mutex<Option<UnboundedSender<FsEvent>>>,
    /// The wall clock the hooks stamp their payloads with (`written_at`).
    clock: Arc<dyn Clock>,
}

impl ScriptedTerminal {
    /// A terminal with no sessions whose hooks write into `signal_dir`.
    pub fn new(signal_dir: PathBuf, clock: Arc<dyn Clock>) -> ScriptedTerminal {
        ScriptedTerminal {
            state: Mutex::new(State::default()),
            signal_dir,
            events: Mutex::new(None),
            clock,
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("terminal lock")
    }

    /// Sends the hooks' file events to this daemon from now on.
    pub fn announce_to(&self, events: UnboundedSender<FsEvent>) {
        *self.events.lock().expect("events lock") = Some(events);
    }

    /// Turns the hooks off (or on again).
    pub fn set_hooks(&self, on: bool) {
        self.state().hooks_off = !on;
    }

    /// Lets every turn end by itself from now on.
    pub fn set_auto_turns(&self, auto: AutoTurns) {
        self.state().auto = Some(auto);
    }

    /// Ends the turns that are due (auto turns): what the fake agent's own loop does.
    fn play_due(&self) {
        let now = tokio::time::Instant::now();
        let wall = self.clock.now();
        let due: Vec<(String, Ending)> = {
            let state = self.state();
            let Some(auto) = state.auto.as_ref() else {
                return;
            };
            state
                .sessions
                .iter()
                .filter_map(|(name, s)| {
                    let (agent, _) = s.agent.as_ref()?;
                    let since = agent.working_since()?;
                    (now.saturating_duration_since(since) >= auto.work)
                        .then(|| (name.clone(), (auto.ending)(&agent.config_dir, wall)))
                })
                .collect()
        };
        for (session, ending) in due {
            self.end_turn(&session, ending);
        }
    }

    /// Every text typed or pasted into any session so far.
    pub fn everything_typed(&self) -> Vec<String> {
        self.state().typed.clone()
    }

    /// Every session's screen now.
    pub fn every_screen(&self) -> Vec<String> {
        self.session_names()
            .iter()
            .filter_map(|name| self.screen_of(name).ok())
            .collect()
    }

    /// Every prompt taken so far.
    pub fn submitted(&self) -> Vec<Submitted> {
        self.state().submitted.clone()
    }

    /// The prompts that start with `[<file name>]` (the task messages of one task).
    pub fn prompts_of(&self, file_name: &str) -> Vec<Submitted> {
        let tag = format!("[{file_name}]");
        self.submitted()
            .into_iter()
            .filter(|s| s.prompt.starts_with(&tag))
            .collect()
    }

    /// Whether an agent works on a turn in `session`.
    pub fn is_working(&self, session: &str) -> bool {
        self.state()
            .sessions
            .get(session)
            .and_then(|s| s.agent.as_ref())
            .is_some_and(|(a, _)| a.is_working())
    }

    /// The sessions whose agent works on a turn.
    pub fn working_sessions(&self) -> Vec<String> {
        let state = self.state();
        state
            .sessions
            .iter()
            .filter(|(_, s)| s.agent.as_ref().is_some_and(|(a, _)| a.is_working()))
            .map(|(n, _)| n.clone())
            .collect()
    }

    /// The account dir and conversation of the agent in `session`.
    pub fn agent_in(&self, session: &str) -> Option<(PathBuf, String)> {
        let state = self.state();
        let (agent, _) = state.sessions.get(session)?.agent.as_ref()?;
        Some((agent.config_dir.clone(), agent.conversation.clone()))
    }

    /// The session names.
    pub fn session_names(&self) -> Vec<String> {
        self.state().sessions.keys().cloned().collect()
    }

    /// Ends the running turn in `session` as `ending` and runs its hook; false when no turn ran.
    pub fn end_turn(&self, session: &str, ending: Ending) -> bool {
        let wall = self.clock.now();
        let now = tokio::time::Instant::now();
        let (conversation, hooks_on) = {
            let mut state = self.state();
            let hooks_on = !state.hooks_off;
            let Some(s) = state.sessions.get_mut(session) else {
                return false;
            };
            let Some((agent, _)) = s.agent.as_mut() else {
                return false;
            };
            if agent.end_turn(ending, now, wall).is_none() {
                return false;
            }
            (agent.conversation.clone(), hooks_on)
        };
        if hooks_on {
            let (kind, event_name) = match ending.stop_failure_kind() {
                Some(_) => (SignalKind::StopFailure, "StopFailure"),
                None => (SignalKind::Done, "Stop"),
            };
            let payload = SignalPayload {
                session_id: Some(conversation),
                hook_event_name: Some(event_name.into()),
                error: ending.stop_failure_kind().map(str::to_string),
                transcript_path: None,
                written_at: Some(wall.to_string()),
            };
            self.hook_writes(session, Some(kind), &payload);
        }
        true
    }

    /// Kills a session from outside (as `tmux kill-session` by hand would).
    pub fn kill_by_hand(&self, session: &str) {
        let mut state = self.state();
        remove_session(&mut state, session);
    }

    /// Kills every session (as `tmux kill-server` would).
    pub fn kill_server(&self) {
        let mut state = self.state();
        let names: Vec<String> = state.sessions.keys().cloned().collect();
        for name in names {
            remove_session(&mut state, &name);
        }
    }

    /// Writes what the daemon's hook writes for `session`: the conversation id always, the
    /// signal of `kind` when given; each announced as a file event.
    fn hook_writes(&self, session: &str, kind: Option<SignalKind>, payload: &SignalPayload) {
        let mut names = Vec::new();
        if let Ok(path) = signals::write_session_id(&self.signal_dir, session, payload) {
            names.push(path);
        }
        if let Some(kind) = kind
            && let Ok(path) = signals::write_signal(&self.signal_dir, kind, session, payload)
        {
            names.push(path);
        }
        let events = self.events.lock().expect("events lock");
        if let Some(tx) = events.as_ref() {
            for path in names {
                let _ = tx.send(FsEvent::Changed {
                    tag: WatchTag::Signals,
                    file_name: path.file_name().map(Into::into),
                });
            }
        }
    }

    /// Enter at the shell: runs the typed line (a launch line starts the agent).
    fn shell_enter(&self, state: &mut State, name: &str) -> Option<SignalPayload> {
        let s = state.sessions.get_mut(name)?;
        let line = std::mem::take(&mut s.typed);
        s.shell_output.push(format!("$ {line}"));
        let launch = parse_launch_line(&line)?;
        start_agent(state, name, launch)
    }

    /// Enter in the agent: submits, or `/exit` ends it.
    fn agent_enter(state: &mut State, name: &str) {
        let now = tokio::time::Instant::now();
        let Some(s) = state.sessions.get_mut(name) else {
            return;
        };
        let Some((agent, _)) = s.agent.as_mut() else {
            return;
        };
        let Some(prompt) = agent.enter(now) else {
            return;
        };
        if prompt.trim() == "/exit" {
            if let Some((agent, marker)) = s.agent.take() {
                state
                    .conversations
                    .insert(agent.conversation.clone(), agent.blocks().to_vec());
                if let Some(marker) = marker {
                    s.shell_output.push(String::new());
                    s.shell_output.push(format!("{marker} (status 0)"));
                }
            }
            return;
        }
        let submitted = Submitted {
            session: name.to_string(),
            config_dir: agent.config_dir.clone(),
            conversation: agent.conversation.clone(),
            cwd: agent.cwd.clone(),
            prompt,
        };
        state.submitted.push(submitted);
    }
}

/// Starts the agent of `launch` in session `name`; the SessionStart payload when it started.
fn start_agent(state: &mut State, name: &str, launch: LaunchLine) -> Option<SignalPayload> {
    let (conversation, history) = match &launch.resume {
        Some(id) => match state.conversations.get(id) {
            Some(history) => (id.clone(), history.clone()),
            None => {
                // The real client refuses an unknown id and exits with status 1.
                let s = state.sessions.get_mut(name)?;
                s.shell_output
                    .push(format!("No conversation found with session ID: {id}"));
                if let Some(marker) = launch.exit_marker {
                    s.shell_output.push(format!("{marker} (status 1)"));
                }
                return None;
            }
        },
        None => {
            state.counter += 1;
            (
                format!("00000000-0000-4000-8000-{:012}", state.counter),
                Vec::new(),
            )
        }
    };
    let s = state.sessions.get_mut(name)?;
    let config_dir = launch.config_dir.clone().unwrap_or_default();
    let mut agent = Agent::new(config_dir, conversation.clone(), history);
    agent.cwd = launch.cwd.clone().unwrap_or_else(|| s.cwd.clone());
    s.agent = Some((agent, launch.exit_marker));
    Some(SignalPayload {
        session_id: Some(conversation),
        hook_event_name: Some("SessionStart".into()),
        ..SignalPayload::default()
    })
}

/// Removes a session; its agent's conversation stays resumable.
fn remove_session(state: &mut State, name: &str) -> bool {
    let Some(s) = state.sessions.remove(name) else {
        return false;
    };
    if let Some((agent, _)) = s.agent {
        state
            .conversations
            .insert(agent.conversation.clone(), agent.blocks().to_vec());
    }
    true
}

fn no_such_session(name: &str, command: &str) -> TmuxError {
    TmuxError::NoSuchSession {
        session: name.to_string(),
        command: format!("{command} -t ={name}"),
        stderr: format!("can't find session: {name}"),
    }
}

impl ScriptedTerminal {
    fn create(&self, spec: &NewSession) -> Result<(), TmuxError> {
        let payload = {
            let mut state = self.state();
            if state.sessions.contains_key(&spec.name) {
                return Err(TmuxError::SessionExists {
                    session: spec.name.clone(),
                    command: format!("new-session -s {}", spec.name),
                });
            }
            state.counter += 1;
            let session = Session {
                cwd: spec.cwd.clone(),
                size: (spec.width, spec.height),
                shell_output: Vec::new(),
                typed: String::new(),
                agent: None,
                pid: 1000 + state.counter,
            };
            state.sessions.insert(spec.name.clone(), session);
            // A session made to run the agent itself (a dedicated session relaunched).
            match spec.command.as_deref().and_then(parse_launch_line) {
                Some(launch) => start_agent(&mut state, &spec.name, launch),
                None => None,
            }
        };
        if let Some(payload) = payload {
            self.announce_start(&spec.name, &payload);
        }
        Ok(())
    }

    fn announce_start(&self, session: &str, payload: &SignalPayload) {
        if !self.state().hooks_off {
            let stamped = SignalPayload {
                written_at: Some(self.clock.now().to_string()),
                ..payload.clone()
            };
            self.hook_writes(session, None, &stamped);
        }
    }

    fn screen_of(&self, name: &str) -> Result<String, TmuxError> {
        let state = self.state();
        let s = state
            .sessions
            .get(name)
            .ok_or_else(|| no_such_session(name, "capture-pane"))?;
        let cwd = s.cwd.display().to_string();
        Ok(match &s.agent {
            Some((agent, _)) => agent.screen(&cwd, tokio::time::Instant::now(), s.size),
            None => {
                let mut text = String::new();
                for line in &s.shell_output {
                    text.push_str(line);
                    text.push('\n');
                }
                text.push_str(&format!("$ {}\n", s.typed));
                text
            }
        })
    }

    fn info_of(&self, name: &str) -> Result<PaneInfo, TmuxError> {
        let state = self.state();
        let s = state
            .sessions
            .get(name)
            .ok_or_else(|| no_such_session(name, "list-panes"))?;
        Ok(PaneInfo {
            current_command: if s.agent.is_some() { "claude" } else { "sh" }.to_string(),
            pid: s.pid,
            dead: false,
            width: s.size.0,
            height: s.size.1,
        })
    }

    fn typed(&self, name: &str, text: &str, how: Typing) -> Result<(), TmuxError> {
        let mut state = self.state();
        state.typed.push(text.to_string());
        let s = state
            .sessions
            .get_mut(name)
            .ok_or_else(|| no_such_session(name, "send-keys"))?;
        match (s.agent.as_mut(), how) {
            (Some((agent, _)), Typing::Keys) => agent.type_text(text),
            (Some((agent, _)), Typing::Paste) => agent.paste(text),
            (None, _) => s.typed.push_str(text),
        }
        Ok(())
    }

    fn pressed(&self, name: &str, key: Key) -> Result<(), TmuxError> {
        let payload = {
            let mut state = self.state();
            let s = state
                .sessions
                .get_mut(name)
                .ok_or_else(|| no_such_session(name, "send-keys"))?;
            match (key, s.agent.as_mut()) {
                (Key::Enter, None) => self.shell_enter(&mut state, name),
                (Key::Enter, Some(_)) => {
                    ScriptedTerminal::agent_enter(&mut state, name);
                    None
                }
                (Key::Escape, Some((agent, _))) => {
                    agent.escape();
                    None
                }
                _ => None,
            }
        };
        if let Some(payload) = payload {
            self.announce_start(name, &payload);
        }
        Ok(())
    }
}

/// How text arrives.
#[derive(Debug, Clone, Copy)]
enum Typing {
    /// `send-keys -l`.
    Keys,
    /// A bracketed paste.
    Paste,
}

impl Terminal for ScriptedTerminal {
    fn list_sessions(&self) -> TerminalFuture<'_, Vec<String>> {
        self.play_due();
        let names = self.session_names();
        Box::pin(async move { Ok(names) })
    }

    fn has_session<'a>(&'a self, name: &'a str) -> TerminalFuture<'a, bool> {
        let found = self.state().sessions.contains_key(name);
        Box::pin(async move { Ok(found) })
    }

    fn new_session<'a>(&'a self, spec: &'a NewSession) -> TerminalFuture<'a, ()> {
        let result = self.create(spec);
        Box::pin(async move { result })
    }

    fn kill_session<'a>(&'a self, name: &'a str) -> TerminalFuture<'a, ()> {
        let removed = remove_session(&mut self.state(), name);
        let result = if removed {
            Ok(())
        } else {
            Err(no_such_session(name, "kill-session"))
        };
        Box::pin(async move { result })
    }

    fn capture_screen<'a>(&'a self, name: &'a str) -> TerminalFuture<'a, String> {
        self.play_due();
        let result = self.screen_of(name);
        Box::pin(async move { result })
    }

    fn pane_info<'a>(&'a self, name: &'a str) -> TerminalFuture<'a, PaneInfo> {
        let result = self.info_of(name);
        Box::pin(async move { result })
    }

    fn type_text<'a>(&'a self, name: &'a str, text: &'a str) -> TerminalFuture<'a, ()> {
        let result = self.typed(name, text, Typing::Keys);
        Box::pin(async move { result })
    }

    fn press<'a>(&'a self, name: &'a str, key: Key) -> TerminalFuture<'a, ()> {
        let result = self.pressed(name, key);
        Box::pin(async move { result })
    }

    fn paste<'a>(&'a self, name: &'a str, text: &'a str) -> TerminalFuture<'a, ()> {
        let result = self.typed(name, text, Typing::Paste);
        Box::pin(async move { result })
    }
}
