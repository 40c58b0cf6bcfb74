//! Claude Code resume ids: validated UUIDs, and finding the `claude --resume <uuid>` hint on a screen.

use std::fmt;
use std::sync::LazyLock;

use regex::Regex;

/// A Claude Code session id that `claude --resume` accepts: a canonical 8-4-4-4-12 hex UUID,
/// stored lowercase. Being validated, it is safe to put on a command line.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResumeId(String);

/// Why a string is not a resume id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "resume id `{0}` is not a uuid like 0f8e1c2a-1234-4abc-9def-0123456789ab; \
     delete the saved id or replace it with the one Claude Code printed"
)]
pub struct ResumeIdError(pub String);

impl ResumeId {
    /// Parses a canonical UUID, case-insensitively; surrounding whitespace (e.g. the newline of
    /// a saved file) is ignored.
    pub fn parse(s: &str) -> Result<ResumeId, ResumeIdError> {
        let trimmed = s.trim();
        let canonical = trimmed.len() == 36
            && trimmed.char_indices().all(|(i, c)| match i {
                8 | 13 | 18 | 23 => c == '-',
                _ => c.is_ascii_hexdigit(),
            });
        if canonical {
            Ok(ResumeId(trimmed.to_ascii_lowercase()))
        } else {
            let shown: String = trimmed.chars().take(64).collect();
            Err(ResumeIdError(shown.escape_debug().to_string()))
        }
    }

    /// The lowercase UUID.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ResumeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for ResumeId {
    type Err = ResumeIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ResumeId::parse(s)
    }
}

/// `claude … --resume <uuid>` as printed when Claude Code exits; 2.1.329 repeats the original
/// flags between `claude` and `--resume`. The uuid must not run on into more uuid characters.
static RESUME_HINT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"claude .*--resume ([0-9a-f-]{36})(?:[^0-9a-f-]|$)")
        .expect("the resume hint pattern is a valid constant regex")
});

/// The resume id of the last `claude … --resume <uuid>` line on a screen, if any is valid.
pub fn find_resume_hint(screen: &str) -> Option<ResumeId> {
    screen
        .lines()
        .rev()
        .filter_map(|line| RESUME_HINT.captures_iter(line).last())
        .find_map(|caps| ResumeId::parse(&caps[1]).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The end of the recording `g_exit_after.txt` (client 2.1.x, `/exit`).
    const EXIT_SCREEN: &str = "\
/compact                      Free up context by summarizing the conversation so far\n\
\n\n\n\
Resume this session with:\n\
claude --resume d3dfc52d-1248-4328-a877-e0f73ec7fe51\n\
bash-5.2#\n";

    /// The recording `v2.1.329/g_exit_after.txt`: the client repeats its flags.
    const EXIT_SCREEN_2_1_329: &str = "\n\
Resume this session with:\n\
claude --model sonnet --dangerously-skip-permissions --resume ec49ca5d-a93a-4bed-8d60-8a8646642223\n\
[claude exited rc=0]\n\
bash-5.2#\n\n\n";

    #[test]
    fn parses_canonical_uuids_only() {
        let id = ResumeId::parse("  D3DFC52D-1248-4328-a877-e0f73ec7fe51\n").unwrap();
        assert_eq!(id.as_str(), "d3dfc52d-1248-4328-a877-e0f73ec7fe51");
        for bad in [
            "",
            "d3dfc52d12484328a877e0f73ec7fe51",
            "d3dfc52d-1248-4328-a877-e0f73ec7fe5",
            "d3dfc52d-1248-4328-a877-e0f73ec7fe511",
            "d3dfc52d-1248-4328-a877_e0f73ec7fe51",
            "g3dfc52d-1248-4328-a877-e0f73ec7fe51",
            "d3dfc52d-1248-4328-a877-e0f73ec7fe5é",
            "d3dfc52d-1248-4328-a877-e0f73ec7fe51; rm -rf /",
            "------------------------------------",
        ] {
            assert!(ResumeId::parse(bad).is_err(), "{bad:?}");
        }
        let err = ResumeId::parse("x\ny").unwrap_err().to_string();
        assert!(err.contains("x\\ny"), "{err}");
    }

    #[test]
    fn finds_the_hint_in_the_exit_recordings() {
        assert_eq!(
            find_resume_hint(EXIT_SCREEN).unwrap().as_str(),
            "d3dfc52d-1248-4328-a877-e0f73ec7fe51"
        );
        assert_eq!(
            find_resume_hint(EXIT_SCREEN_2_1_329).unwrap().as_str(),
            "ec49ca5d-a93a-4bed-8d60-8a8646642223"
        );
    }

    #[test]
    fn takes_the_last_valid_hint_with_repeated_flags() {
        let screen = "claude --resume 11111111-1111-1111-1111-111111111111\n\
                      some output\n\
                      claude --model sonnet --dangerously-skip-permissions --resume ec49ca5d-0000-4000-8000-000000000abc\n\
                      claude --resume ------------------------------------\n\
                      $ ";
        assert_eq!(
            find_resume_hint(screen).unwrap().as_str(),
            "ec49ca5d-0000-4000-8000-000000000abc"
        );
    }

    #[test]
    fn no_hint_without_a_full_uuid() {
        assert_eq!(find_resume_hint(""), None);
        assert_eq!(
            find_resume_hint("Resume this session with:\nclaude --resume\n"),
            None
        );
        assert_eq!(
            find_resume_hint("claude --resume d3dfc52d-1248-4328-a877-e0f73ec7fe51ff\n"),
            None,
            "a longer hex run is not a uuid"
        );
        assert_eq!(
            find_resume_hint("resume d3dfc52d-1248-4328-a877-e0f73ec7fe51"),
            None
        );
    }
}
