//! The account-wide error switch `$CLAUDE_CONFIG_DIR/fake-error` ("every request of this account
//! fails with this HTTP status", for every fake on that config dir) and the client's own retries
//! of 500 and 529 (`FAKE_AGENT_RETRIES`, `FAKE_AGENT_RETRY_DELAY`).
//!
//! Content: `<status> [client=2.1.197|2.1.329] [until=<RFC 3339 or epoch seconds>]`, status one
//! of 400 401 403 500 529; empty means 500. Content that is not understood also means 500: a
//! broken switch must not silently let work through.

use crate::api_error::ApiStatus;
use crate::client::ClientStyle;
use crate::limit::parse_switch_time;
use jiff::Timestamp;
use std::path::Path;
use std::time::Duration;
use thiserror::Error;

/// File name, inside the config dir, of the account-wide error switch.
pub const ERROR_FILE: &str = "fake-error";
/// Retries of a 500 or 529 when `FAKE_AGENT_RETRIES` is not set.
pub const DEFAULT_RETRIES: u32 = 2;
/// Time between retries when `FAKE_AGENT_RETRY_DELAY` is not set.
pub const DEFAULT_RETRY_DELAY: Duration = Duration::from_millis(300);

/// An account's error as read from the switch file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorSwitch {
    /// What every request of the account gets.
    pub status: ApiStatus,
    /// `client=…`: the style the error turns take, over the session's own.
    pub client: Option<ClientStyle>,
    /// `until=…`: from then on the switch counts as off.
    pub until: Option<Timestamp>,
}

/// How the client retries a 500 or 529 before it gives up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first failed request (0: fail at once).
    pub attempts: u32,
    /// Time before each retry.
    pub delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: DEFAULT_RETRIES,
            delay: DEFAULT_RETRY_DELAY,
        }
    }
}

/// Why the switch file's content was not understood.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ErrorFileError {
    /// The first word is not a status the switch knows.
    #[error(
        "fake-error: unknown status '{0}': write one of 400, 401, 403, 500, 529 (optionally followed by client=<version> and until=<time>)"
    )]
    UnknownStatus(String),
    /// `client=` names a version without recordings.
    #[error("fake-error: unknown client '{0}': write client=2.1.197 or client=2.1.329")]
    UnknownClient(String),
    /// `until=` holds neither an RFC 3339 time nor epoch seconds.
    #[error(
        "fake-error: time '{0}' not understood: write RFC 3339 (2026-12-01T10:00:00Z) or epoch seconds"
    )]
    BadUntil(String),
    /// A word after the status that is neither `client=…` nor `until=…`.
    #[error(
        "fake-error: unexpected '{0}': only client=<version> and until=<time> may follow the status"
    )]
    UnexpectedWord(String),
}

fn parse_status(word: &str) -> Result<ApiStatus, ErrorFileError> {
    let unknown = || ErrorFileError::UnknownStatus(word.to_string());
    let status = word
        .parse::<u16>()
        .ok()
        .and_then(ApiStatus::from_code)
        .ok_or_else(unknown)?;
    // 429 is a usage question: the `fake-quota` switch covers it.
    match status {
        ApiStatus::TooManyRequests => Err(unknown()),
        _ => Ok(status),
    }
}

/// Parses the switch file's content.
pub fn parse_error_file(text: &str) -> Result<ErrorSwitch, ErrorFileError> {
    let mut switch = ErrorSwitch {
        status: ApiStatus::InternalServerError,
        client: None,
        until: None,
    };
    for (index, word) in text.split_whitespace().enumerate() {
        if let Some(value) = word.strip_prefix("client=") {
            let client = ClientStyle::parse(value)
                .map_err(|_| ErrorFileError::UnknownClient(value.to_string()))?;
            switch.client = Some(client);
        } else if let Some(value) = word.strip_prefix("until=") {
            let until = parse_switch_time(value)
                .ok_or_else(|| ErrorFileError::BadUntil(value.to_string()))?;
            switch.until = Some(until);
        } else if index == 0 {
            switch.status = parse_status(word)?;
        } else {
            return Err(ErrorFileError::UnexpectedWord(word.to_string()));
        }
    }
    Ok(switch)
}

/// The account's error if `<config_dir>/fake-error` exists and its `until` has not passed.
/// Content that cannot be read or is not understood means a 500 (in the session's style).
pub fn read_error_switch(config_dir: &Path, now: Timestamp) -> Option<ErrorSwitch> {
    let path = config_dir.join(ERROR_FILE);
    let switch = match std::fs::read_to_string(&path) {
        Ok(text) => parse_error_file(&text).unwrap_or(FALLBACK),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return None,
        // Exists but unreadable (a folder, no permission, not UTF-8).
        Err(_) => return path.exists().then_some(FALLBACK),
    };
    match switch.until {
        Some(until) if until <= now => None,
        _ => Some(switch),
    }
}

/// What a switch that cannot be understood means.
const FALLBACK: ErrorSwitch = ErrorSwitch {
    status: ApiStatus::InternalServerError,
    client: None,
    until: None,
};

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn content_names_status_client_and_until() {
        assert_eq!(parse_error_file(""), Ok(FALLBACK));
        assert_eq!(
            parse_error_file("401 client=2.1.329 until=2026-12-01T10:00:00Z\n"),
            Ok(ErrorSwitch {
                status: ApiStatus::Unauthorized,
                client: Some(ClientStyle::V2_1_329),
                until: Some(at("2026-12-01T10:00:00Z")),
            })
        );
        assert_eq!(
            parse_error_file("  529 until=1795683600").map(|s| (s.status, s.until)),
            Ok((
                ApiStatus::Overloaded,
                Some(Timestamp::from_second(1_795_683_600).unwrap())
            ))
        );
        for (text, status) in [
            ("400", ApiStatus::BadRequest),
            ("403", ApiStatus::Forbidden),
            ("500", ApiStatus::InternalServerError),
        ] {
            assert_eq!(parse_error_file(text).map(|s| s.status), Ok(status));
        }
    }

    #[test]
    fn bad_content_is_refused_with_the_word() {
        for (text, error) in [
            ("429", ErrorFileError::UnknownStatus("429".into())),
            ("teapot", ErrorFileError::UnknownStatus("teapot".into())),
            (
                "401 client=3.0",
                ErrorFileError::UnknownClient("3.0".into()),
            ),
            ("500 until=soon", ErrorFileError::BadUntil("soon".into())),
            (
                "403 please",
                ErrorFileError::UnexpectedWord("please".into()),
            ),
        ] {
            assert_eq!(parse_error_file(text), Err(error), "{text}");
        }
    }

    #[test]
    fn reads_the_switch_and_honours_until() {
        let dir = tempfile::tempdir().unwrap();
        let now = at("2026-12-01T09:00:00Z");
        let write = |text: &str| std::fs::write(dir.path().join(ERROR_FILE), text).unwrap();
        assert_eq!(read_error_switch(dir.path(), now), None);
        write("403 until=2026-12-01T09:00:01Z");
        assert_eq!(
            read_error_switch(dir.path(), now).map(|s| s.status),
            Some(ApiStatus::Forbidden)
        );
        write("403 until=2026-12-01T09:00:00Z");
        assert_eq!(read_error_switch(dir.path(), now), None, "until has passed");
        write("garbage words");
        assert_eq!(
            read_error_switch(dir.path(), now),
            Some(FALLBACK),
            "a broken switch means 500"
        );
        std::fs::remove_file(dir.path().join(ERROR_FILE)).unwrap();
        std::fs::create_dir(dir.path().join(ERROR_FILE)).unwrap();
        assert_eq!(read_error_switch(dir.path(), now), Some(FALLBACK));
    }
}
