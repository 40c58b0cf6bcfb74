//! Prompt directives (`fake-agent:work=2s`, `fake-agent:error=401`, `fake-agent:quota=session`)
//! that tell the fake how a turn should go, and the duration syntax they, `FAKE_AGENT_WORK` and
//! `FAKE_AGENT_RETRY_DELAY` use.

use crate::api_error::ApiStatus;
use crate::limit::AccountLimit;
use std::time::Duration;
use thiserror::Error;

/// Prefix of every directive token inside a prompt.
pub const DIRECTIVE_PREFIX: &str = "fake-agent:";

/// A duration that could not be read.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("invalid duration '{0}': write a number with a unit, like 1500ms, 2s, 1.5s, 3m or 1h")]
pub struct DurationError(pub String);

/// Parses `1500ms`, `2s`, `1.5s`, `3m`, `1h`; a bare number means seconds.
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| DurationError(text.to_string()))?;
    let seconds_per_unit = match unit {
        "ms" => 0.001,
        "" | "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        _ => return Err(DurationError(text.to_string())),
    };
    Duration::try_from_secs_f64(value * seconds_per_unit)
        .map_err(|_| DurationError(text.to_string()))
}

/// Which usage limit a `fake-agent:quota=…` turn hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaKind {
    /// `quota=session`: the five-hour session limit.
    Session,
    /// `quota=weekly`: the weekly limit.
    Weekly,
}

/// How a turn ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TurnOutcome {
    /// A normal reply; the Stop hook runs.
    Reply,
    /// An API error with this HTTP status (400, 401, 403, 429, 500, 529); StopFailure runs.
    ApiError(ApiStatus),
    /// A subscription usage limit; StopFailure runs with `rate_limit`.
    Quota(QuotaKind),
    /// The account-wide limit switch (`$CLAUDE_CONFIG_DIR/fake-quota`) was on; StopFailure runs
    /// with `rate_limit`.
    AccountLimit(AccountLimit),
}

impl TurnOutcome {
    /// The `error` field of the StopFailure hook and transcript, `None` for a normal reply.
    pub fn error_kind(self) -> Option<&'static str> {
        match self {
            TurnOutcome::Reply => None,
            TurnOutcome::ApiError(status) => Some(status.error_kind()),
            TurnOutcome::Quota(_) | TurnOutcome::AccountLimit(_) => Some("rate_limit"),
        }
    }

    /// The HTTP status the real client would have seen, `None` for a normal reply.
    pub fn http_status(self) -> Option<u16> {
        match self {
            TurnOutcome::Reply => None,
            TurnOutcome::ApiError(status) => Some(status.code()),
            TurnOutcome::Quota(_) | TurnOutcome::AccountLimit(_) => Some(429),
        }
    }
}

/// What a prompt asks the fake to do; `None` fields fall back to the defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Directives {
    /// `work=<dur>`: how long the turn "works" before it ends.
    pub work: Option<Duration>,
    /// `error=<status>` / `quota=<kind>`: how the turn ends.
    pub outcome: Option<TurnOutcome>,
    /// `commit=<file>`: a reply writes `<file>` in the working folder and commits it with git
    /// (a plain file name: letters, digits, `.`, `_`, `-`).
    pub commit: Option<String>,
}

/// A file name with no folder in it, that no option or shell could misread.
fn is_plain_file_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(['.', '-'])
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

/// Reads every `fake-agent:<key>=<value>` token in the prompt; unknown or malformed ones are
/// ignored (prompts are user text and must never break the fake). Later tokens win.
pub fn parse_directives(prompt: &str) -> Directives {
    let mut directives = Directives::default();
    for token in prompt.split_whitespace() {
        let Some(body) = token.strip_prefix(DIRECTIVE_PREFIX) else {
            continue;
        };
        let Some((key, value)) = body.split_once('=') else {
            continue;
        };
        let value = value.trim_end_matches(['.', ',', ';', ')', '`', '"', '\'']);
        match key {
            "work" => {
                if let Ok(duration) = parse_duration(value) {
                    directives.work = Some(duration);
                }
            }
            "error" => {
                if let Some(status) = value.parse::<u16>().ok().and_then(ApiStatus::from_code) {
                    directives.outcome = Some(TurnOutcome::ApiError(status));
                }
            }
            "commit" if is_plain_file_name(value) => directives.commit = Some(value.to_string()),
            "quota" => match value {
                "session" => directives.outcome = Some(TurnOutcome::Quota(QuotaKind::Session)),
                "weekly" => directives.outcome = Some(TurnOutcome::Quota(QuotaKind::Weekly)),
                _ => {}
            },
            _ => {}
        }
    }
    directives
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_all_units() {
        assert_eq!(parse_duration("1500ms"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("3m"), Ok(Duration::from_secs(180)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert!(parse_duration("fast").is_err());
        assert!(parse_duration("2x").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn directives_anywhere_in_the_prompt() {
        let d = parse_directives("please do it\nfake-agent:work=250ms and fake-agent:error=500");
        assert_eq!(d.work, Some(Duration::from_millis(250)));
        assert_eq!(
            d.outcome,
            Some(TurnOutcome::ApiError(ApiStatus::InternalServerError))
        );
        assert_eq!(
            d.outcome.and_then(TurnOutcome::error_kind),
            Some("server_error")
        );

        let q = parse_directives("(fake-agent:quota=session)");
        assert_eq!(q.outcome, None, "a directive must start a token");
        let q = parse_directives("x fake-agent:quota=session.");
        assert_eq!(q.outcome, Some(TurnOutcome::Quota(QuotaKind::Session)));
        assert_eq!(
            q.outcome.and_then(TurnOutcome::error_kind),
            Some("rate_limit")
        );
    }

    #[test]
    fn account_and_task_errors_by_status() {
        for (prompt, status, kind) in [
            ("fake-agent:error=401", 401, "authentication_failed"),
            ("fake-agent:error=403", 403, "oauth_org_not_allowed"),
            ("fake-agent:error=400", 400, "invalid_request"),
            ("fake-agent:error=429", 429, "rate_limit"),
            ("fake-agent:error=529", 529, "server_error"),
        ] {
            let outcome = parse_directives(prompt).outcome;
            assert_eq!(outcome.and_then(TurnOutcome::http_status), Some(status));
            assert_eq!(outcome.and_then(TurnOutcome::error_kind), Some(kind));
        }
    }

    #[test]
    fn a_commit_names_a_plain_file_only() {
        assert_eq!(
            parse_directives("do it fake-agent:commit=notes-1.txt")
                .commit
                .as_deref(),
            Some("notes-1.txt")
        );
        for bad in ["../x", "a/b", "-rf", ".git", ""] {
            let prompt = format!("fake-agent:commit={bad}");
            assert_eq!(parse_directives(&prompt).commit, None, "{bad}");
        }
    }

    #[test]
    fn malformed_directives_are_ignored() {
        let d = parse_directives(
            "fake-agent:work=soon fake-agent:error=418 fake-agent:nope=1 fake-agent:",
        );
        assert_eq!(d, Directives::default());
    }
}
