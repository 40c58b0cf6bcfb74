//! The API errors a turn can end on (HTTP 400, 401, 403, 429, 500, 529) and how each recorded
//! client version words them: the reply line, the StopFailure `error` kind, the transcript's
//! `apiErrorType`, the client's own retry line and the dim hint in the empty input afterwards.
//!
//! 401, 403 and 500 are copied from `shared/claude-code/errors/`, 429 and 529 from README
//! sections e and f. The 400 (`prompt is too long`) was never recorded: its line follows the
//! recorded 401 pattern (`API Error: <status> <API message>`) and its hint that of 401/403.

use crate::client::ClientStyle;
use std::time::Duration;

/// Middle sentence of the 500 and 529 lines.
const SERVER_ISSUE: &str =
    "This is a server-side issue, usually temporary — try again in a moment.";
/// The 401 line of both versions.
const UNAUTHORIZED_LINE: &str = "Please run /login · API Error: 401 OAuth token has expired. Please obtain a new token or refresh your existing token.";
/// The 403 line of 2.1.197.
const FORBIDDEN_LINE_197: &str = "Your organization has disabled Claude subscription access for Claude Code · Use an Anthropic API key instead, or ask your admin to enable access";
/// The 403 line of 2.1.329 (a different text altogether).
const FORBIDDEN_LINE_329: &str = "Claude Code can't use your Claude subscription, usually because a payment is past due · Pay or renew at https://claude.ai/settings/billing (if you just paid, try again shortly), or use an Anthropic API key instead";
/// The 429 line (API key, unified headers ignored).
const TOO_MANY_REQUESTS_LINE: &str = "API Error: Request rejected (429) · This request would exceed your account's rate limit. Please try again later.";
/// Not recorded: a context-window overflow, worded like the recorded 401 line.
const BAD_REQUEST_LINE: &str = "API Error: 400 prompt is too long: 215378 tokens > 200000 maximum";
/// 2.1.329's dim hint after an error that resending may cure.
pub const RESEND_HINT: &str = "Resend your message to try again";
/// 2.1.329's dim hint after an error the user has to fix first.
pub const ONCE_FIXED_HINT: &str = "Once fixed, resend your message";

/// An HTTP error status the fake can end a turn on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiStatus {
    /// 400 `invalid_request_error` (a task-class error: the prompt is too long).
    BadRequest,
    /// 401 `authentication_error` (the login expired).
    Unauthorized,
    /// 403 `permission_error` (the organisation or billing refuses the subscription).
    Forbidden,
    /// 429 `rate_limit_error` (a per-minute rate limit, not a usage limit).
    TooManyRequests,
    /// 500 `api_error`.
    InternalServerError,
    /// 529 `overloaded_error`.
    Overloaded,
}

impl ApiStatus {
    /// The status for an HTTP code, `None` for codes the fake does not imitate.
    pub fn from_code(code: u16) -> Option<Self> {
        match code {
            400 => Some(ApiStatus::BadRequest),
            401 => Some(ApiStatus::Unauthorized),
            403 => Some(ApiStatus::Forbidden),
            429 => Some(ApiStatus::TooManyRequests),
            500 => Some(ApiStatus::InternalServerError),
            529 => Some(ApiStatus::Overloaded),
            _ => None,
        }
    }

    /// The HTTP code (`apiErrorStatus` in the transcript).
    pub fn code(self) -> u16 {
        match self {
            ApiStatus::BadRequest => 400,
            ApiStatus::Unauthorized => 401,
            ApiStatus::Forbidden => 403,
            ApiStatus::TooManyRequests => 429,
            ApiStatus::InternalServerError => 500,
            ApiStatus::Overloaded => 529,
        }
    }

    /// The `error` field of the StopFailure hook and of the transcript entry.
    pub fn error_kind(self) -> &'static str {
        match self {
            ApiStatus::BadRequest => "invalid_request",
            ApiStatus::Unauthorized => "authentication_failed",
            ApiStatus::Forbidden => "oauth_org_not_allowed",
            ApiStatus::TooManyRequests => "rate_limit",
            ApiStatus::InternalServerError | ApiStatus::Overloaded => "server_error",
        }
    }

    /// The API's error type (`apiErrorType`, written by 2.1.329 only).
    pub fn api_error_type(self) -> &'static str {
        match self {
            ApiStatus::BadRequest => "invalid_request_error",
            ApiStatus::Unauthorized => "authentication_error",
            ApiStatus::Forbidden => "permission_error",
            ApiStatus::TooManyRequests => "rate_limit_error",
            ApiStatus::InternalServerError => "api_error",
            ApiStatus::Overloaded => "overloaded_error",
        }
    }

    /// Whether the client retries this status by itself before giving up (500 and 529 here).
    pub fn is_retried(self) -> bool {
        matches!(self, ApiStatus::InternalServerError | ApiStatus::Overloaded)
    }

    /// The status as the retry line names it (`500 Internal server error`, `529 Overloaded`).
    fn retry_label(self) -> &'static str {
        match self {
            ApiStatus::InternalServerError => "500 Internal server error",
            ApiStatus::Overloaded => "529 Overloaded",
            _ => "API error",
        }
    }
}

/// The host (and port) of `ANTHROPIC_BASE_URL`, as the client names its "inference gateway":
/// `http://127.0.0.1:8765/v1` → `127.0.0.1:8765`. `None` when nothing is left.
pub fn gateway_host(base_url: &str) -> Option<String> {
    let rest = base_url
        .trim()
        .split_once("://")
        .map_or(base_url.trim(), |(_, rest)| rest);
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    (!host.is_empty()).then(|| host.to_string())
}

/// Where a server error says to look when it persists.
fn persist_hint(gateway: Option<&str>) -> String {
    match gateway {
        Some(host) => format!("If it persists, check your inference gateway ({host})."),
        None => "If it persists, check https://status.claude.com.".to_string(),
    }
}

/// One of the client's own retries, as shown in the spinner row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAttempt {
    /// 1 for the first retry.
    pub number: u32,
    /// How many retries the client makes in all.
    pub of: u32,
    /// Time left until this retry is sent.
    pub wait: Duration,
}

/// The spinner row while the client retries, and the row under it (2.1.329).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryLine {
    /// The row after the glyph: `API error · Retrying in 1s · attempt 1/2`.
    pub text: String,
    /// 2.1.329 from its second retry on: `If it persists, check …` under a `⎿`.
    pub detail: Option<String>,
}

/// How errors are worded for one client version and API endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorWording<'a> {
    /// The imitated release.
    pub client: ClientStyle,
    /// Host of `ANTHROPIC_BASE_URL`, if set (named in server-error lines).
    pub gateway: Option<&'a str>,
}

impl ErrorWording<'_> {
    /// The reply line (without `● `): transcript text and `last_assistant_message`.
    pub fn message(&self, status: ApiStatus) -> String {
        match (status, self.client) {
            (ApiStatus::BadRequest, _) => BAD_REQUEST_LINE.to_string(),
            (ApiStatus::Unauthorized, _) => UNAUTHORIZED_LINE.to_string(),
            (ApiStatus::Forbidden, ClientStyle::V2_1_197) => FORBIDDEN_LINE_197.to_string(),
            (ApiStatus::Forbidden, ClientStyle::V2_1_329) => FORBIDDEN_LINE_329.to_string(),
            (ApiStatus::TooManyRequests, _) => TOO_MANY_REQUESTS_LINE.to_string(),
            (ApiStatus::InternalServerError, _) => format!(
                "API Error: 500 Internal server error. {SERVER_ISSUE} {}",
                persist_hint(self.gateway)
            ),
            (ApiStatus::Overloaded, _) => format!(
                "API Error: 529 Overloaded. {SERVER_ISSUE} {}",
                persist_hint(self.gateway)
            ),
        }
    }

    /// The dim hint in the empty input after the error (2.1.329 only).
    pub fn input_hint(&self, status: ApiStatus) -> Option<&'static str> {
        match (self.client, status) {
            (ClientStyle::V2_1_197, _) => None,
            (
                ClientStyle::V2_1_329,
                ApiStatus::BadRequest | ApiStatus::Unauthorized | ApiStatus::Forbidden,
            ) => Some(ONCE_FIXED_HINT),
            (ClientStyle::V2_1_329, _) => Some(RESEND_HINT),
        }
    }

    /// Whether `✻ <Verb>ed for Ns` follows the error line (2.1.197 yes, 2.1.329 no).
    pub fn shows_worked(&self) -> bool {
        self.client == ClientStyle::V2_1_197
    }

    /// The spinner row during a retry. 2.1.197 names the status on the last retry only
    /// (`API error · Retrying …` before); 2.1.329 from the second retry on, lower-case
    /// `retrying`, with the `If it persists` row under it.
    pub fn retry_line(&self, status: ApiStatus, attempt: RetryAttempt) -> RetryLine {
        let seconds = attempt.wait.as_millis().div_ceil(1000).max(1);
        let (label, retrying, detail) = match self.client {
            ClientStyle::V2_1_197 if attempt.number >= attempt.of => {
                (status.retry_label(), "Retrying", None)
            }
            ClientStyle::V2_1_197 => ("API error", "Retrying", None),
            ClientStyle::V2_1_329 if attempt.number > 1 => (
                status.retry_label(),
                "retrying",
                Some(persist_hint(self.gateway)),
            ),
            ClientStyle::V2_1_329 => ("API error", "retrying", None),
        };
        RetryLine {
            text: format!(
                "{label} · {retrying} in {seconds}s · attempt {}/{}",
                attempt.number, attempt.of
            ),
            detail,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: ErrorWording<'static> = ErrorWording {
        client: ClientStyle::V2_1_197,
        gateway: Some("127.0.0.1:8766"),
    };
    const NEW: ErrorWording<'static> = ErrorWording {
        client: ClientStyle::V2_1_329,
        gateway: Some("127.0.0.1:8770"),
    };

    #[test]
    fn codes_kinds_and_types() {
        for code in [400, 401, 403, 429, 500, 529] {
            let status = ApiStatus::from_code(code).unwrap();
            assert_eq!(status.code(), code);
        }
        assert_eq!(ApiStatus::from_code(418), None);
        assert_eq!(
            ApiStatus::Unauthorized.error_kind(),
            "authentication_failed"
        );
        assert_eq!(ApiStatus::Forbidden.error_kind(), "oauth_org_not_allowed");
        assert_eq!(ApiStatus::BadRequest.error_kind(), "invalid_request");
        assert_eq!(ApiStatus::Overloaded.error_kind(), "server_error");
        assert_eq!(ApiStatus::Forbidden.api_error_type(), "permission_error");
        assert!(ApiStatus::Overloaded.is_retried() && !ApiStatus::Unauthorized.is_retried());
    }

    #[test]
    fn server_errors_name_the_gateway_or_the_status_page() {
        assert_eq!(
            OLD.message(ApiStatus::Overloaded),
            "API Error: 529 Overloaded. This is a server-side issue, usually temporary — try again in a moment. If it persists, check your inference gateway (127.0.0.1:8766)."
        );
        let public = ErrorWording {
            gateway: None,
            ..OLD
        };
        assert!(
            public
                .message(ApiStatus::InternalServerError)
                .ends_with("moment. If it persists, check https://status.claude.com.")
        );
        assert_eq!(
            gateway_host("http://127.0.0.1:8765/v1").as_deref(),
            Some("127.0.0.1:8765")
        );
        assert_eq!(
            gateway_host("gw.example:443").as_deref(),
            Some("gw.example:443")
        );
        assert_eq!(gateway_host("https://"), None);
    }

    #[test]
    fn hints_and_completion_line_per_version() {
        assert_eq!(OLD.input_hint(ApiStatus::Unauthorized), None);
        assert!(OLD.shows_worked() && !NEW.shows_worked());
        assert_eq!(NEW.input_hint(ApiStatus::Forbidden), Some(ONCE_FIXED_HINT));
        assert_eq!(
            NEW.input_hint(ApiStatus::InternalServerError),
            Some(RESEND_HINT)
        );
        assert_ne!(
            OLD.message(ApiStatus::Forbidden),
            NEW.message(ApiStatus::Forbidden)
        );
    }

    #[test]
    fn retry_lines_like_the_recordings() {
        let attempt = |number, of, millis| RetryAttempt {
            number,
            of,
            wait: Duration::from_millis(millis),
        };
        // f1/f3 (2.1.197): `API error` until the last attempt, which names the status.
        assert_eq!(
            OLD.retry_line(ApiStatus::InternalServerError, attempt(1, 2, 300))
                .text,
            "API error · Retrying in 1s · attempt 1/2"
        );
        assert_eq!(
            OLD.retry_line(ApiStatus::InternalServerError, attempt(2, 2, 1000)),
            RetryLine {
                text: "500 Internal server error · Retrying in 1s · attempt 2/2".into(),
                detail: None
            }
        );
        // f_overloaded_first_retries (2.1.329).
        assert_eq!(
            NEW.retry_line(ApiStatus::Overloaded, attempt(1, 10, 900))
                .text,
            "API error · retrying in 1s · attempt 1/10"
        );
        assert_eq!(
            NEW.retry_line(ApiStatus::Overloaded, attempt(3, 10, 2500)),
            RetryLine {
                text: "529 Overloaded · retrying in 3s · attempt 3/10".into(),
                detail: Some(
                    "If it persists, check your inference gateway (127.0.0.1:8770).".into()
                ),
            }
        );
    }
}
