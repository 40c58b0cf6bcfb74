//! What the screen and hooks say when a turn ends: the reply, API error or usage-limit text,
//! worded like the recorded real screens.

use crate::api_error::ErrorWording;
use crate::directive::{QuotaKind, TurnOutcome};
use crate::limit::{MenuHistory, format_reset, limit_screen};
use crate::render::Block;
use jiff::{Timestamp, ToSpan};

/// How many characters of the prompt the reply quotes.
const REPLY_QUOTE_CHARS: usize = 40;

/// The end of a turn as shown and reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurnEnding {
    /// The block shown under the prompt (`● …` or `  ⎿  …`).
    pub block: Block,
    /// The text for the transcript and `last_assistant_message`.
    pub message: String,
    /// Whether `✻ Worked for …` follows the block.
    pub shows_worked: bool,
    /// The dim hint the empty input shows afterwards (2.1.329 after an API error).
    pub input_hint: Option<&'static str>,
}

/// The ending of a turn for `prompt` with `outcome`, at time `now`; API errors are worded by
/// `wording`.
pub fn turn_ending(
    outcome: TurnOutcome,
    prompt: &str,
    now: Timestamp,
    wording: &ErrorWording<'_>,
) -> TurnEnding {
    let message = match outcome {
        TurnOutcome::Reply => {
            let quote: String = prompt
                .chars()
                .take(REPLY_QUOTE_CHARS)
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            format!("Done: {quote}")
        }
        TurnOutcome::ApiError(status) => wording.message(status),
        TurnOutcome::Quota(kind) => {
            let which = match kind {
                QuotaKind::Session => "session",
                QuotaKind::Weekly => "weekly",
            };
            let reset = now.checked_add(1.hour()).unwrap_or(now);
            format!(
                "You've hit your {which} limit · resets {}",
                format_reset(reset, now)
            )
        }
        TurnOutcome::AccountLimit(limit) => limit_screen(limit, MenuHistory::NotShown, now).message,
    };
    let (block, shows_worked, input_hint) = match outcome {
        TurnOutcome::Quota(_) | TurnOutcome::AccountLimit(_) => {
            (Block::Notice(message.clone()), true, None)
        }
        TurnOutcome::ApiError(status) => (
            Block::Reply(message.clone()),
            wording.shows_worked(),
            wording.input_hint(status),
        ),
        TurnOutcome::Reply => (Block::Reply(message.clone()), true, None),
    };
    TurnEnding {
        block,
        message,
        shows_worked,
        input_hint,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api_error::ApiStatus;
    use crate::client::ClientStyle;

    const OLD: ErrorWording<'static> = ErrorWording {
        client: ClientStyle::V2_1_197,
        gateway: None,
    };

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn reply_quotes_the_first_forty_characters() {
        let ending = turn_ending(
            TurnOutcome::Reply,
            "line one\nline two is long enough to be cut here",
            at("2026-01-01T00:00:00Z"),
            &OLD,
        );
        assert_eq!(
            ending.message,
            "Done: line one line two is long enough to be c"
        );
        assert_eq!(ending.block, Block::Reply(ending.message.clone()));
    }

    #[test]
    fn errors_and_limits_are_worded_like_the_real_client() {
        let now = at("2026-11-21T09:07:00Z");
        let server = turn_ending(
            TurnOutcome::ApiError(ApiStatus::InternalServerError),
            "x",
            now,
            &OLD,
        );
        assert_eq!(
            server.message,
            "API Error: 500 Internal server error. This is a server-side issue, usually temporary — try again in a moment. If it persists, check https://status.claude.com."
        );
        assert!(server.shows_worked && server.input_hint.is_none());
        let new = ErrorWording {
            client: ClientStyle::V2_1_329,
            gateway: None,
        };
        let auth = turn_ending(
            TurnOutcome::ApiError(ApiStatus::Unauthorized),
            "x",
            now,
            &new,
        );
        assert!(!auth.shows_worked);
        assert_eq!(auth.input_hint, Some("Once fixed, resend your message"));
        let limit = turn_ending(TurnOutcome::Quota(QuotaKind::Session), "x", now, &new);
        assert_eq!(
            limit.message,
            "You've hit your session limit · resets 10:07am (UTC)"
        );
        assert_eq!(limit.block, Block::Notice(limit.message.clone()));
        assert!(limit.shows_worked && limit.input_hint.is_none());
    }
}
