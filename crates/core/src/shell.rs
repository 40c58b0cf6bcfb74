//! POSIX shell quoting and the command line that starts the agent in a pool session's shell.
//!
//! Nothing from a task or a config value may inject shell commands: every word is quoted
//! (or provably safe bare), env keys are validated, and values with control characters are
//! refused rather than escaped, because a newline typed into a terminal is an Enter.

use std::path::PathBuf;

use crate::resume::ResumeId;

/// True when `s` needs no quoting: non-empty and only `[A-Za-z0-9_./:=@%+,-]`.
fn is_bare_safe(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./:=@%+,-".contains(c))
}

/// Quotes `s` as one POSIX shell word: bare when it is only `[A-Za-z0-9_./:=@%+,-]`, else in
/// single quotes with each `'` written as `'\''`.
pub fn shell_quote(s: &str) -> String {
    if is_bare_safe(s) {
        s.to_string()
    } else {
        always_quote(s)
    }
}

/// Single-quotes `s` even when it would be safe bare: for the command word, where a bare
/// `A=b` would be taken as an assignment and a bare `if` as a keyword.
fn always_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Whether the agent runs with `--dangerously-skip-permissions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SkipPermissions {
    /// Pass the flag: the unattended pool cannot answer permission prompts.
    #[default]
    Yes,
    /// Leave permissions to the agent's own settings.
    No,
}

/// Everything needed to start the agent in a shell.
#[derive(Debug, Clone, PartialEq)]
pub struct LaunchSpec {
    /// The project folder; must be absolute (a relative `cd` would depend on the shell's state).
    pub cwd: PathBuf,
    /// The agent program, e.g. `claude`.
    pub program: String,
    /// Arguments before the generated flags (e.g. for a wrapper).
    pub program_args: Vec<String>,
    /// A file the shell sources first (`. '<file>'`): the configured `agent.env`, whose values
    /// (API keys) must never be typed into a pane, where the scrollback would keep them.
    pub env_file: Option<PathBuf>,
    /// Environment for the agent only, typed before the program: values that are no secret
    /// (`CLAUDE_CONFIG_DIR`, the session name).
    pub env: Vec<(String, String)>,
    /// `--model <model>` when set.
    pub model: Option<String>,
    /// `--dangerously-skip-permissions` when [`SkipPermissions::Yes`].
    pub skip_permissions: SkipPermissions,
    /// `--resume <uuid>` when set.
    pub resume: Option<ResumeId>,
}

/// Why a launch line could not be built. Values are never echoed (they may be secrets).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShellError {
    /// The env key is not `[A-Za-z_][A-Za-z0-9_]*`.
    #[error(
        "environment variable name `{key}` is invalid; use letters, digits and `_`, not starting with a digit"
    )]
    BadEnvKey {
        /// The key, escaped.
        key: String,
    },
    /// A value holds NUL, a line break or another control character.
    #[error("{field} contains a control character (newline, NUL, …); remove it from the config")]
    ControlCharacter {
        /// Which value: `cwd`, `program`, `program argument 2`, `env CLAUDE_CONFIG_DIR`, `model`.
        field: String,
    },
    /// The working folder is not valid UTF-8.
    #[error("working folder `{cwd}` is not valid utf-8; use a utf-8 path")]
    NonUtf8Cwd {
        /// The path, lossily shown.
        cwd: String,
    },
    /// The working folder is relative or empty.
    #[error("working folder `{cwd}` is not an absolute path; configure an absolute project path")]
    RelativeCwd {
        /// The path, escaped.
        cwd: String,
    },
    /// The program is empty.
    #[error("the agent program is empty; set the program (e.g. `claude`) in the config")]
    EmptyProgram,
}

fn check_value(field: impl FnOnce() -> String, value: &str) -> Result<(), ShellError> {
    if value.chars().any(char::is_control) {
        return Err(ShellError::ControlCharacter { field: field() });
    }
    Ok(())
}

/// True when `key` is a portable environment variable name, `[A-Za-z_][A-Za-z0-9_]*`: the
/// only names that can be written as `KEY=value` before a command.
pub fn is_env_key(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Builds the line typed into the session's shell:
/// `cd -- '<cwd>' && K='v' 'program' args… [--model m] [--dangerously-skip-permissions] [--resume uuid]`.
/// No `exec`: when the agent exits the pane returns to the shell. Env assignments are
/// prefixes, so they apply to the agent only.
pub fn launch_command_line(spec: &LaunchSpec) -> Result<String, ShellError> {
    let cwd = spec.cwd.to_str().ok_or_else(|| ShellError::NonUtf8Cwd {
        cwd: spec.cwd.to_string_lossy().into_owned(),
    })?;
    check_value(|| "cwd".to_string(), cwd)?;
    if !spec.cwd.is_absolute() {
        return Err(ShellError::RelativeCwd {
            cwd: cwd.escape_debug().to_string(),
        });
    }
    if spec.program.is_empty() {
        return Err(ShellError::EmptyProgram);
    }
    check_value(|| "program".to_string(), &spec.program)?;

    let mut words = vec![
        "cd".to_string(),
        "--".to_string(),
        shell_quote(cwd),
        "&&".to_string(),
    ];
    if let Some(file) = &spec.env_file {
        let file = file.to_str().ok_or_else(|| ShellError::NonUtf8Cwd {
            cwd: file.to_string_lossy().into_owned(),
        })?;
        check_value(|| "env file".to_string(), file)?;
        words.extend([".".to_string(), shell_quote(file), "&&".to_string()]);
    }
    for (key, value) in &spec.env {
        if !is_env_key(key) {
            return Err(ShellError::BadEnvKey {
                key: key.escape_debug().to_string(),
            });
        }
        check_value(|| format!("env {key}"), value)?;
        words.push(format!("{key}={}", always_quote(value)));
    }
    words.push(always_quote(&spec.program));
    for (i, arg) in spec.program_args.iter().enumerate() {
        check_value(|| format!("program argument {}", i + 1), arg)?;
        words.push(shell_quote(arg));
    }
    if let Some(model) = &spec.model {
        check_value(|| "model".to_string(), model)?;
        words.push("--model".to_string());
        words.push(shell_quote(model));
    }
    if spec.skip_permissions == SkipPermissions::Yes {
        words.push("--dangerously-skip-permissions".to_string());
    }
    if let Some(resume) = &spec.resume {
        words.push("--resume".to_string());
        words.push(shell_quote(resume.as_str()));
    }
    Ok(words.join(" "))
}

/// The text of an env file for [`LaunchSpec::env_file`]: one `export KEY='value'` line per
/// entry, checked like the typed assignments.
pub fn env_file_text(env: &[(String, String)]) -> Result<String, ShellError> {
    let mut text =
        String::from("# Written by claude-failover: the agent's environment (agent.env).\n");
    for (key, value) in env {
        if !is_env_key(key) {
            return Err(ShellError::BadEnvKey {
                key: key.escape_debug().to_string(),
            });
        }
        check_value(|| format!("env {key}"), value)?;
        text.push_str(&format!("export {key}={}\n", always_quote(value)));
    }
    Ok(text)
}

#[cfg(test)]
mod tests;
