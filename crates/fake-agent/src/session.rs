//! Start-up checks (arguments, root refusal, resume lookup) and the main loop that joins the
//! terminal, the input decoder and the [`App`] state machine.

use crate::api_error::gateway_host;
use crate::app::{App, Flow, SessionInfo, Start};
use crate::args::{self, Command, Options, PermissionMode, USAGE, VERSION};
use crate::client::{CLIENT_ENV, ClientStyle, ClientStyleError};
use crate::directive::{DurationError, parse_duration};
use crate::error_switch::{DEFAULT_RETRIES, DEFAULT_RETRY_DELAY, RetryPolicy};
use crate::ids::{is_session_id, new_uuid};
use crate::input::InputDecoder;
use crate::paths::{config_dir, transcript_path};
use crate::terminal::{self, TerminalGuard};
use crate::transcript::{TranscriptWriter, replay_blocks};
use std::path::PathBuf;
use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant};
use thiserror::Error;

/// Turn length when `FAKE_AGENT_WORK` is not set.
const DEFAULT_WORK: Duration = Duration::from_secs(1);
/// How long a lone ESC waits for the rest of a sequence before it counts as the Esc key.
const ESCAPE_WAIT: Duration = Duration::from_millis(40);
/// Loop period while a turn runs (spinner frames change every 250 ms).
const WORKING_TICK: Duration = Duration::from_millis(50);
/// Loop period while idle (resize and footer-note expiry).
const IDLE_TICK: Duration = Duration::from_millis(200);
/// How long exit waits for hooks still running.
const EXIT_HOOK_WAIT: Duration = Duration::from_secs(5);

/// Environment variable: how many times the client retries a 500 or 529.
const RETRIES_ENV: &str = "FAKE_AGENT_RETRIES";
/// Environment variable: time between those retries.
const RETRY_DELAY_ENV: &str = "FAKE_AGENT_RETRY_DELAY";

/// An environment variable the fake cannot use; the process exits with status 2.
#[derive(Debug, Error)]
enum EnvError {
    /// A duration variable that does not parse.
    #[error("environment variable {name}: {source}")]
    Duration {
        /// The variable.
        name: &'static str,
        /// What was wrong.
        source: DurationError,
    },
    /// `FAKE_AGENT_CLIENT` names a version without recordings.
    #[error("environment variable FAKE_AGENT_CLIENT: {0}")]
    Client(#[from] ClientStyleError),
    /// `FAKE_AGENT_RETRIES` is not a whole number.
    #[error(
        "environment variable FAKE_AGENT_RETRIES: '{0}' is not a count: write a whole number such as 2 (0 fails at once)"
    )]
    Retries(String),
}

/// What the environment says about turns and their errors.
struct EnvSettings {
    /// `FAKE_AGENT_WORK`.
    default_work: Duration,
    /// `FAKE_AGENT_CLIENT`.
    client: ClientStyle,
    /// `FAKE_AGENT_RETRIES`, `FAKE_AGENT_RETRY_DELAY`.
    retry: RetryPolicy,
    /// Host of `ANTHROPIC_BASE_URL`.
    gateway: Option<String>,
}

/// A variable's value, `None` when unset or blank.
fn env_value(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .filter(|text| !text.trim().is_empty())
}

fn env_duration(name: &'static str, default: Duration) -> Result<Duration, EnvError> {
    env_value(name).map_or(Ok(default), |text| {
        parse_duration(&text).map_err(|source| EnvError::Duration { name, source })
    })
}

fn env_settings() -> Result<EnvSettings, EnvError> {
    let client =
        env_value(CLIENT_ENV).map_or(Ok(ClientStyle::DEFAULT), |text| ClientStyle::parse(&text))?;
    let attempts = env_value(RETRIES_ENV).map_or(Ok(DEFAULT_RETRIES), |text| {
        text.trim()
            .parse()
            .map_err(|_| EnvError::Retries(text.clone()))
    })?;
    Ok(EnvSettings {
        default_work: env_duration("FAKE_AGENT_WORK", DEFAULT_WORK)?,
        client,
        retry: RetryPolicy {
            attempts,
            delay: env_duration(RETRY_DELAY_ENV, DEFAULT_RETRY_DELAY)?,
        },
        gateway: env_value("ANTHROPIC_BASE_URL").and_then(|url| gateway_host(&url)),
    })
}

/// The refusal line of the real client when run as root in bypass mode.
const ROOT_REFUSAL: &str =
    "--dangerously-skip-permissions cannot be used with root/sudo privileges for security reasons";

pub(crate) fn run(raw_args: &[String]) -> i32 {
    let options = match args::parse(raw_args) {
        Ok(Command::Interactive(options)) => options,
        Ok(Command::PrintVersion) => {
            println!("{VERSION} (Claude Code)");
            return 0;
        }
        Ok(Command::PrintHelp) => {
            print!("{USAGE}");
            return 0;
        }
        Err(error) => {
            eprintln!("{error}");
            return 2;
        }
    };
    // SAFETY: geteuid has no preconditions.
    let is_root = unsafe { libc::geteuid() } == 0;
    let sandboxed = std::env::var("IS_SANDBOX").is_ok_and(|v| v == "1");
    if is_root && options.permission_mode == PermissionMode::Bypass && !sandboxed {
        eprintln!("{ROOT_REFUSAL}");
        return 1;
    }
    let env = match env_settings() {
        Ok(env) => env,
        Err(error) => {
            eprintln!("{error}");
            return 2;
        }
    };
    let cwd = match std::env::current_dir() {
        Ok(dir) => dir.display().to_string(),
        Err(error) => {
            eprintln!(
                "cannot read the working directory ({error}): start fake-claude in an existing directory"
            );
            return 1;
        }
    };
    let config = config_dir();
    let (session_id, start, history) = match &options.resume {
        None => (new_uuid(), Start::Fresh, Vec::new()),
        Some(id) => {
            let text = is_session_id(id)
                .then(|| std::fs::read_to_string(transcript_path(&config, &cwd, id)).ok())
                .flatten();
            match text {
                Some(text) => (id.clone(), Start::Resumed, replay_blocks(&text)),
                None => {
                    eprintln!("No conversation found with session ID: {id}");
                    return 1;
                }
            }
        }
    };
    let info = SessionInfo {
        session_id,
        start,
        cwd,
        config_dir: config,
        model: options.model.clone(),
        permission_mode: options.permission_mode,
        tmux_pane: std::env::var("TMUX_PANE").ok().filter(|p| !p.is_empty()),
        record_path: std::env::var_os("FAKE_AGENT_RECORD")
            .filter(|p| !p.is_empty())
            .map(PathBuf::from),
        default_work: env.default_work,
        client: env.client,
        retry: env.retry,
        gateway: env.gateway,
    };
    interactive(info, history, &options)
}

fn interactive(info: SessionInfo, history: Vec<crate::render::Block>, options: &Options) -> i32 {
    let guard = match TerminalGuard::enter() {
        Ok(guard) => guard,
        Err(error) => {
            eprintln!("cannot set up the terminal: {error}");
            return 1;
        }
    };
    let path = transcript_path(&info.config_dir, &info.cwd, &info.session_id);
    let transcript = TranscriptWriter::new(path, &info.session_id, &info.cwd);
    let mut app = App::new(info, transcript, history);
    app.started();
    if let Some(prompt) = &options.initial_prompt {
        app.submit(prompt.clone(), Instant::now());
    }
    let input = terminal::spawn_stdin_reader();
    let mut decoder = InputDecoder::new();
    let mut last_frame = crate::render::Frame::default();
    let mut last_size = (0, 0);
    let status = 'session: loop {
        let now = Instant::now();
        app.tick(now);
        let size = terminal::size();
        let frame = app.render_frame(now, size.0, size.1);
        if frame != last_frame || size != last_size {
            if terminal::draw(&frame, size.0, size != last_size).is_err() {
                break 'session 1; // the terminal is gone
            }
            last_frame = frame;
            last_size = size;
        }
        let wait = if decoder.has_pending_escape() {
            ESCAPE_WAIT
        } else if app.is_working() {
            WORKING_TICK
        } else {
            IDLE_TICK
        };
        let events = match input.recv_timeout(wait) {
            Ok(bytes) => decoder.feed(&bytes),
            Err(RecvTimeoutError::Timeout) => decoder.flush_escape(),
            Err(RecvTimeoutError::Disconnected) => break 'session 1,
        };
        for event in events {
            if app.handle(event, Instant::now()) == Flow::Exit {
                break 'session 0;
            }
        }
    };
    if status == 0 {
        // Show the frame as it was when the exit was asked for, like the real client.
        let size = terminal::size();
        let frame = app.render_frame(Instant::now(), size.0, size.1);
        let _ = terminal::draw(&frame, size.0, false);
    }
    drop(guard);
    if status == 0 {
        terminal::print_below(&format!(
            "Resume this session with:\nclaude --resume {}\n",
            app.session_id()
        ));
    }
    app.ended(EXIT_HOOK_WAIT);
    status
}
