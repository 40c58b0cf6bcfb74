//! Command-line arguments of the fake client, parsed like the real `claude` CLI.

use thiserror::Error;

/// Version string shown in the header and by `--version`.
pub const VERSION: &str = "2.1.197";

/// How the client treats tool permissions; only changes the footer and hook payloads here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PermissionMode {
    /// No `--dangerously-skip-permissions`: footer `? for shortcuts`.
    Default,
    /// `--dangerously-skip-permissions`: footer `⏵⏵ bypass permissions on …`.
    Bypass,
}

impl PermissionMode {
    /// The value the real client puts into hook payloads (`permission_mode`).
    pub fn hook_name(self) -> &'static str {
        match self {
            PermissionMode::Default => "default",
            PermissionMode::Bypass => "bypassPermissions",
        }
    }
}

/// What the process was asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Run the interactive session.
    Interactive(Options),
    /// `--version`: print the version and exit.
    PrintVersion,
    /// `--help`: print usage and exit.
    PrintHelp,
}

/// Options of an interactive session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// `--model <m>`: shown in the header and recorded; `None` when not given.
    pub model: Option<String>,
    /// Whether `--dangerously-skip-permissions` was given.
    pub permission_mode: PermissionMode,
    /// `--resume <uuid>`: continue that session instead of starting a new one.
    pub resume: Option<String>,
    /// A positional prompt: submitted as the first turn right after start-up, like the real client.
    pub initial_prompt: Option<String>,
}

/// Why the arguments were refused; the process exits with status 2.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ArgsError {
    /// A flag this fake does not know.
    #[error(
        "error: unknown option '{0}' (fake-claude knows --model, --dangerously-skip-permissions, --resume, --version, --help)"
    )]
    UnknownOption(String),
    /// A flag that needs a value was last.
    #[error("error: option '{0}' argument missing: pass a value after it")]
    MissingValue(String),
    /// More than one positional prompt.
    #[error("error: too many arguments: '{0}' (quote the prompt as one argument)")]
    TooManyArguments(String),
}

/// Usage text printed by `--help`.
pub const USAGE: &str = "Usage: fake-claude [options] [prompt]\n\n\
A stand-in for Claude Code used in tests.\n\n\
Options:\n  \
--model <model>                   model name shown in the header\n  \
--dangerously-skip-permissions    bypass permission checks (refused as root unless IS_SANDBOX=1)\n  \
-r, --resume <session-id>         resume a conversation by session id\n  \
-v, --version                     print the version\n  \
-h, --help                        print this help\n";

/// Parses the arguments that follow the program name.
pub fn parse(args: &[String]) -> Result<Command, ArgsError> {
    let mut options = Options {
        model: None,
        permission_mode: PermissionMode::Default,
        resume: None,
        initial_prompt: None,
    };
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        let (flag, inline_value) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag, Some(value.to_string())),
            _ => (arg.as_str(), None),
        };
        let mut value = |name: &str| -> Result<String, ArgsError> {
            match inline_value.clone() {
                Some(v) => Ok(v),
                None => rest
                    .next()
                    .cloned()
                    .ok_or_else(|| ArgsError::MissingValue(name.to_string())),
            }
        };
        match flag {
            "--model" => options.model = Some(value("--model")?),
            "--resume" | "-r" => options.resume = Some(value("--resume")?),
            "--dangerously-skip-permissions" => options.permission_mode = PermissionMode::Bypass,
            "--version" | "-v" => return Ok(Command::PrintVersion),
            "--help" | "-h" => return Ok(Command::PrintHelp),
            _ if flag.starts_with('-') && flag.len() > 1 => {
                return Err(ArgsError::UnknownOption(arg.clone()));
            }
            _ => {
                if options.initial_prompt.is_some() {
                    return Err(ArgsError::TooManyArguments(arg.clone()));
                }
                options.initial_prompt = Some(arg.clone());
            }
        }
    }
    Ok(Command::Interactive(options))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parses_the_flags_the_daemon_passes() {
        let parsed = parse(&strings(&[
            "--model",
            "sonnet",
            "--dangerously-skip-permissions",
            "--resume",
            "d3dfc52d-1248-4328-a877-e0f73ec7fe51",
        ]));
        assert_eq!(
            parsed,
            Ok(Command::Interactive(Options {
                model: Some("sonnet".into()),
                permission_mode: PermissionMode::Bypass,
                resume: Some("d3dfc52d-1248-4328-a877-e0f73ec7fe51".into()),
                initial_prompt: None,
            }))
        );
    }

    #[test]
    fn accepts_inline_values_and_a_positional_prompt() {
        let parsed = parse(&strings(&["--model=opus", "do it"])).unwrap();
        let Command::Interactive(options) = parsed else {
            panic!("expected interactive");
        };
        assert_eq!(options.model.as_deref(), Some("opus"));
        assert_eq!(options.permission_mode, PermissionMode::Default);
        assert_eq!(options.initial_prompt.as_deref(), Some("do it"));
    }

    #[test]
    fn refuses_unknown_flags_and_missing_values() {
        assert_eq!(
            parse(&strings(&["--frobnicate"])),
            Err(ArgsError::UnknownOption("--frobnicate".into()))
        );
        assert_eq!(
            parse(&strings(&["--model"])),
            Err(ArgsError::MissingValue("--model".into()))
        );
        assert_eq!(
            parse(&strings(&["a", "b"])),
            Err(ArgsError::TooManyArguments("b".into()))
        );
    }
}
