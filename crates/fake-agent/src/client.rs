//! Which Claude Code release the fake imitates where the recorded releases differ (the error
//! turns of `shared/claude-code/errors/`): 2.1.197 or 2.1.329.

use crate::args::VERSION;
use thiserror::Error;

/// Environment variable that picks the client style of a session.
pub const CLIENT_ENV: &str = "FAKE_AGENT_CLIENT";

/// A recorded client release whose error turns the fake copies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientStyle {
    /// 2.1.197: the error line, then `✻ <Verb>ed for Ns` and an ordinary empty input.
    V2_1_197,
    /// 2.1.329: the error line, no completion line, a dim hint in the empty input.
    V2_1_329,
}

/// A client version the fake has no recordings of.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("unknown client version '{0}': write 2.1.197 or 2.1.329")]
pub struct ClientStyleError(pub String);

impl ClientStyle {
    /// The style of the release the fake shows in its header ([`VERSION`]).
    pub const DEFAULT: ClientStyle = ClientStyle::V2_1_197;

    /// Reads `2.1.197` or `2.1.329` (surrounding whitespace ignored).
    pub fn parse(text: &str) -> Result<Self, ClientStyleError> {
        match text.trim() {
            "2.1.197" => Ok(ClientStyle::V2_1_197),
            "2.1.329" => Ok(ClientStyle::V2_1_329),
            other => Err(ClientStyleError(other.to_string())),
        }
    }

    /// The version string, e.g. `2.1.329`.
    pub fn version(self) -> &'static str {
        match self {
            ClientStyle::V2_1_197 => VERSION,
            ClientStyle::V2_1_329 => "2.1.329",
        }
    }

    /// The `effort.level` the recorded client put into hook payloads.
    pub fn effort(self) -> &'static str {
        match self {
            ClientStyle::V2_1_197 => "high",
            ClientStyle::V2_1_329 => "medium",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_two_recorded_versions() {
        assert_eq!(ClientStyle::parse("2.1.197"), Ok(ClientStyle::V2_1_197));
        assert_eq!(ClientStyle::parse(" 2.1.329\n"), Ok(ClientStyle::V2_1_329));
        assert_eq!(
            ClientStyle::parse("2.2.0"),
            Err(ClientStyleError("2.2.0".into()))
        );
    }

    #[test]
    fn the_default_is_the_version_in_the_header() {
        assert_eq!(ClientStyle::DEFAULT.version(), VERSION);
        assert_eq!(ClientStyle::V2_1_329.version(), "2.1.329");
    }
}
