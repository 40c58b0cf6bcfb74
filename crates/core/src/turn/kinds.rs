//! Error kinds (the `StopFailure` hook's `error`, the transcript's `error`) and their classes.

/// What an error means for the task and the account (`SPEC.md`, "How a turn ended").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    /// The account cannot work (expired login, subscription refused): the task is kept and
    /// resumed on another account; the account needs attention.
    Account,
    /// Likely to pass (server error, overload, per-minute 429, network): the task is resumed in
    /// its conversation after a backoff.
    Transient,
    /// The request itself is refused (prompt too long, invalid request): the task fails.
    Task,
}

impl ErrorClass {
    /// The lowercase name for logs, the store and status.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::Account => "account",
            ErrorClass::Transient => "transient",
            ErrorClass::Task => "task",
        }
    }
}

/// Whether an error kind is one this code has seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KindKnown {
    /// Listed below.
    Known,
    /// Not listed: treated as transient, and worth one log line.
    Unknown,
}

/// The kind of a per-minute 429 or a usage limit (the screen tells them apart).
pub(crate) const RATE_LIMIT: &str = "rate_limit";

/// Every kind this code knows, with its class. From the recordings (`authentication_failed`,
/// `oauth_org_not_allowed`, `server_error`, `rate_limit`) and the client's documented hook kinds.
const KINDS: &[(&str, ErrorClass)] = &[
    ("authentication_failed", ErrorClass::Account),
    ("oauth_org_not_allowed", ErrorClass::Account),
    ("billing_error", ErrorClass::Account),
    ("permission_error", ErrorClass::Account),
    ("server_error", ErrorClass::Transient),
    ("overloaded", ErrorClass::Transient),
    ("overloaded_error", ErrorClass::Transient),
    (RATE_LIMIT, ErrorClass::Transient),
    ("network_error", ErrorClass::Transient),
    ("timeout", ErrorClass::Transient),
    ("max_output_tokens", ErrorClass::Transient),
    ("invalid_request", ErrorClass::Task),
    ("prompt_too_long", ErrorClass::Task),
];

/// The class of `kind`; an unknown kind is transient (retried, never taken for success).
pub fn class_of_kind(kind: &str) -> (ErrorClass, KindKnown) {
    KINDS
        .iter()
        .find(|(name, _)| *name == kind)
        .map_or((ErrorClass::Transient, KindKnown::Unknown), |(_, class)| {
            (*class, KindKnown::Known)
        })
}

/// The kind an HTTP status stands for, when an entry carries only `apiErrorStatus`.
pub fn kind_of_status(status: u16) -> &'static str {
    match status {
        401 => "authentication_failed",
        402 => "billing_error",
        403 => "oauth_org_not_allowed",
        429 => RATE_LIMIT,
        400 | 413 | 422 => "invalid_request",
        500..=599 => "server_error",
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_kinds_have_their_class() {
        assert_eq!(
            class_of_kind("authentication_failed"),
            (ErrorClass::Account, KindKnown::Known)
        );
        assert_eq!(
            class_of_kind("oauth_org_not_allowed").0,
            ErrorClass::Account
        );
        assert_eq!(class_of_kind("server_error").0, ErrorClass::Transient);
        assert_eq!(class_of_kind("rate_limit").0, ErrorClass::Transient);
        assert_eq!(class_of_kind("invalid_request").0, ErrorClass::Task);
    }

    #[test]
    fn an_unseen_kind_is_transient_and_flagged() {
        assert_eq!(
            class_of_kind("brand_new_kind"),
            (ErrorClass::Transient, KindKnown::Unknown)
        );
    }

    #[test]
    fn statuses_map_to_kinds_of_the_right_class() {
        for (status, class) in [
            (401, ErrorClass::Account),
            (403, ErrorClass::Account),
            (500, ErrorClass::Transient),
            (529, ErrorClass::Transient),
            (429, ErrorClass::Transient),
            (400, ErrorClass::Task),
        ] {
            assert_eq!(class_of_kind(kind_of_status(status)).0, class, "{status}");
        }
        assert_eq!(class_of_kind(kind_of_status(418)).1, KindKnown::Unknown);
    }
}
