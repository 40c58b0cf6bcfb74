//! Running one tmux process: argv building with redaction, stdin, deadline, classification.

use std::ffi::OsStr;
use std::fmt;
use std::process::Stdio;
use std::time::Instant;

use tokio::io::AsyncWriteExt;
use tokio::process::Command;

use crate::Tmux;
use crate::error::{FailureKind, TmuxError, classify_stderr};

/// One argv element, and whether it may be shown in errors and logs.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    /// Shown as is.
    Plain(String),
    /// Shown only as its length: typed text, environment values.
    Hidden(String),
    /// `-e KEY=VALUE`: the key is shown, the value only as its length.
    EnvAssignment {
        /// The variable name.
        key: String,
        /// The value, which may be a secret.
        value: String,
    },
    /// A `;` that ends one tmux command and starts the next in the same process.
    Separator,
}

impl Arg {
    /// The argv element tmux must receive so that it reads back this argument.
    fn to_argv(&self) -> String {
        match self {
            Arg::Plain(text) | Arg::Hidden(text) => escape_trailing_semicolon(text),
            Arg::EnvAssignment { key, value } => {
                escape_trailing_semicolon(&format!("{key}={value}"))
            }
            Arg::Separator => ";".to_owned(),
        }
    }
}

/// tmux reads any argv element ending in `;` as "this argument, then end of command"
/// (even after `send-keys -l --`), and turns a final `\;` into `;`. Writing the last `;`
/// as `\;` makes tmux see the original text.
fn escape_trailing_semicolon(text: &str) -> String {
    match text.strip_suffix(';') {
        Some(head) => format!("{head}\\;"),
        None => text.to_owned(),
    }
}

impl fmt::Display for Arg {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Arg::Plain(text) if text.is_empty() || text.contains(char::is_whitespace) => {
                write!(formatter, "{text:?}")
            }
            Arg::Plain(text) => formatter.write_str(text),
            Arg::Hidden(text) => write!(formatter, "<{} bytes>", text.len()),
            Arg::EnvAssignment { key, value } => write!(formatter, "{key}=<{} bytes>", value.len()),
            Arg::Separator => formatter.write_str(";"),
        }
    }
}

/// A tmux command line (after the global options) plus optional stdin.
#[derive(Debug, Default)]
pub(crate) struct Invocation {
    args: Vec<Arg>,
    stdin: Option<Vec<u8>>,
}

impl Invocation {
    /// Starts a command line with its first words (command name and plain flags).
    pub(crate) fn new<const N: usize>(words: [&str; N]) -> Self {
        let mut invocation = Self::default();
        invocation.plain_all(words);
        invocation
    }

    /// Appends plain arguments.
    pub(crate) fn plain_all<const N: usize>(&mut self, words: [&str; N]) -> &mut Self {
        self.args
            .extend(words.iter().map(|word| Arg::Plain((*word).to_owned())));
        self
    }

    /// Appends one argument.
    pub(crate) fn arg(&mut self, arg: Arg) -> &mut Self {
        self.args.push(arg);
        self
    }

    /// Ends the current tmux command; the next words start another one in the same process.
    pub(crate) fn separator(&mut self) -> &mut Self {
        self.args.push(Arg::Separator);
        self
    }

    /// Text for tmux's standard input (paste buffers); never shown.
    pub(crate) fn stdin(&mut self, data: &str) -> &mut Self {
        self.stdin = Some(data.as_bytes().to_vec());
        self
    }
}

/// What a finished tmux process said.
#[derive(Debug)]
pub(crate) struct RawOutput {
    /// Whether tmux exited with status 0.
    pub(crate) success: bool,
    /// The exit status as printed.
    pub(crate) status: String,
    /// Standard output, decoded lossily as UTF-8.
    pub(crate) stdout: String,
    /// Standard error, trimmed.
    pub(crate) stderr: String,
    /// The shown command line (for errors built by callers).
    pub(crate) command: String,
}

impl RawOutput {
    /// The failure kind tmux's stderr describes.
    pub(crate) fn failure_kind(&self) -> FailureKind {
        classify_stderr(&self.stderr)
    }

    /// Turns an unsuccessful run into the matching error; `session` names the target, if any.
    pub(crate) fn into_error(self, session: Option<&str>) -> TmuxError {
        match (self.failure_kind(), session) {
            (FailureKind::NoServer, _) => TmuxError::NoServer {
                command: self.command,
                stderr: self.stderr,
            },
            (FailureKind::NoSuchTarget, Some(session)) => TmuxError::NoSuchSession {
                session: session.to_owned(),
                command: self.command,
                stderr: self.stderr,
            },
            (FailureKind::DuplicateSession, Some(session)) => TmuxError::SessionExists {
                session: session.to_owned(),
                command: self.command,
            },
            _ => TmuxError::Failed {
                command: self.command,
                status: self.status,
                stderr: self.stderr,
            },
        }
    }
}

impl Tmux {
    /// The shown form of a full command line, global options included.
    fn render(&self, invocation: &Invocation) -> String {
        let mut shown = self.program.display().to_string();
        for (flag, value) in self.global_options() {
            let value = Arg::Plain(value.to_string_lossy().into_owned());
            shown.push_str(&format!(" {flag} {value}"));
        }
        for arg in &invocation.args {
            shown.push(' ');
            shown.push_str(&arg.to_string());
        }
        shown
    }

    /// `-f config` and `-L socket`, which go before every command: flag and value, passed
    /// to tmux as they are (they are options, not command arguments).
    fn global_options(&self) -> impl Iterator<Item = (&'static str, &OsStr)> {
        let config = self
            .config_file
            .as_deref()
            .map(|file| ("-f", file.as_os_str()));
        let socket = self
            .socket
            .as_deref()
            .map(|socket| ("-L", OsStr::new(socket)));
        config.into_iter().chain(socket)
    }

    /// Runs one tmux process under the deadline and returns what it said, whatever its status.
    pub(crate) async fn run_raw(&self, invocation: &Invocation) -> Result<RawOutput, TmuxError> {
        let command_line = self.render(invocation);
        let started = Instant::now();
        let mut command = Command::new(&self.program);
        for (flag, value) in self.global_options() {
            command.arg(flag).arg(value);
        }
        for name in &self.hidden_env {
            command.env_remove(name);
        }
        command
            .args(invocation.args.iter().map(Arg::to_argv))
            .stdin(if invocation.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let io_error = |source| TmuxError::Io {
            command: command_line.clone(),
            source,
        };
        let mut child = command.spawn().map_err(io_error)?;
        let stdin_pipe = child.stdin.take();
        let feed_stdin = async {
            match (stdin_pipe, &invocation.stdin) {
                (Some(mut pipe), Some(data)) => {
                    let written = pipe.write_all(data).await;
                    drop(pipe);
                    written
                }
                _ => Ok(()),
            }
        };
        let both = async { tokio::join!(feed_stdin, child.wait_with_output()) };
        let (written, output) =
            tokio::time::timeout(self.timeout, both)
                .await
                .map_err(|_elapsed| TmuxError::Timeout {
                    command: command_line.clone(),
                    timeout: self.timeout,
                })?;
        let output = output.map_err(io_error)?;
        tracing::debug!(
            command = %command_line,
            status = %output.status,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "ran tmux"
        );
        if output.status.success()
            && let Err(source) = written
        {
            return Err(io_error(source));
        }
        Ok(RawOutput {
            success: output.status.success(),
            status: output.status.to_string(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
            command: command_line,
        })
    }

    /// Runs one tmux process and turns an unsuccessful exit into an error.
    pub(crate) async fn run(
        &self,
        invocation: &Invocation,
        session: Option<&str>,
    ) -> Result<RawOutput, TmuxError> {
        let output = self.run_raw(invocation).await?;
        if output.success {
            Ok(output)
        } else {
            Err(output.into_error(session))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_semicolons_are_escaped_for_tmux() {
        assert_eq!(Arg::Plain("a;".to_owned()).to_argv(), "a\\;");
        assert_eq!(Arg::Plain(";".to_owned()).to_argv(), "\\;");
        assert_eq!(Arg::Hidden("a\\;".to_owned()).to_argv(), "a\\\\;");
        assert_eq!(Arg::Plain("a;b".to_owned()).to_argv(), "a;b");
        assert_eq!(Arg::Separator.to_argv(), ";");
        let env = Arg::EnvAssignment {
            key: "P".to_owned(),
            value: "x;".to_owned(),
        };
        assert_eq!(env.to_argv(), "P=x\\;");
    }

    #[test]
    fn hidden_arguments_show_only_their_length() {
        let tmux = Tmux::new(Some("sock".to_owned()));
        let mut invocation = Invocation::new(["send-keys", "-t", "=a:", "-l", "--"]);
        invocation.arg(Arg::Hidden("secret text".to_owned()));
        invocation.arg(Arg::EnvAssignment {
            key: "TOKEN".to_owned(),
            value: "sk-123".to_owned(),
        });
        invocation.arg(Arg::Plain("with space".to_owned()));
        let shown = tmux.render(&invocation);
        assert_eq!(
            shown,
            "tmux -L sock send-keys -t =a: -l -- <11 bytes> TOKEN=<6 bytes> \"with space\""
        );
        assert!(!shown.contains("secret"));
        assert!(!shown.contains("sk-123"));
    }
}
