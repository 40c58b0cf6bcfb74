//! The error reply line that ends a turn on screen: `● API Error: 500 …`,
//! `● Please run /login · API Error: 401 …`, `● Your organization has disabled …`.
//!
//! Only the last `●` block of the current turn counts (the rows after the last echoed prompt),
//! and only when nothing but its own continuation rows, the `✻ Worked for 3s` line and
//! right-aligned decorations (`◐ medium · /effort`, status-line output) follow it before the
//! input box: an error line that the turn went on after was quoted, not the end of the turn.

use crate::screen::{PROMPT, is_rule, is_turn_done_line, screen_rows};

/// An error reply line found at the end of the current turn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScreenError {
    /// The error kind it stands for (same names as the hook's `error`).
    pub kind: &'static str,
    /// The reply text without the `● ` bullet, continuation rows joined with spaces.
    pub text: String,
}

/// How the client words an error reply, first match wins: (text the reply starts with or
/// contains, kind). From `shared/claude-code/errors/` (401, 403 in both versions, 500), section f
/// (500, 529) and section e (per-minute 429).
const REPLIES: &[(Match, &str)] = &[
    (
        Match::Contains("Please run /login"),
        "authentication_failed",
    ),
    (Match::StartsWith("API Error: 401"), "authentication_failed"),
    (
        Match::Contains("OAuth token has expired"),
        "authentication_failed",
    ),
    (
        Match::StartsWith("Invalid API key"),
        "authentication_failed",
    ),
    (
        Match::StartsWith("Your organization has disabled Claude subscription access"),
        "oauth_org_not_allowed",
    ),
    (
        Match::StartsWith("Claude Code can't use your Claude subscription"),
        "oauth_org_not_allowed",
    ),
    (Match::StartsWith("API Error: 403"), "oauth_org_not_allowed"),
    (
        Match::StartsWith("Credit balance is too low"),
        "billing_error",
    ),
    (
        Match::StartsWith("API Error: Request rejected (429)"),
        "rate_limit",
    ),
    (Match::StartsWith("API Error: 429"), "rate_limit"),
    (Match::StartsWith("API Error: 5"), "server_error"),
    (Match::StartsWith("API Error: Repeated 529"), "server_error"),
    (Match::StartsWith("API Error: 400"), "invalid_request"),
    (Match::StartsWith("API Error: 413"), "invalid_request"),
    (Match::StartsWith("Prompt is too long"), "invalid_request"),
    (
        Match::StartsWith("API Error: Connection error"),
        "network_error",
    ),
    (
        Match::StartsWith("API Error: Request timed out"),
        "network_error",
    ),
    (Match::StartsWith("Request timed out"), "network_error"),
];

#[derive(Debug, Clone, Copy)]
enum Match {
    StartsWith(&'static str),
    Contains(&'static str),
}

impl Match {
    fn is_match(self, text: &str) -> bool {
        match self {
            Match::StartsWith(p) => text.starts_with(p),
            Match::Contains(p) => text.contains(p),
        }
    }
}

/// The reply bullet.
const BULLET: &str = "● ";
/// Rows indented at least this much are right-aligned decorations, not reply text.
const DECORATION_INDENT: usize = 10;

/// The error reply that ends the current turn of `screen`, if there is one.
pub fn screen_error(screen: &str) -> Option<ScreenError> {
    let rows = screen_rows(screen);
    let end = input_box_top(&rows).unwrap_or(rows.len());
    let start = rows[..end]
        .iter()
        .rposition(|row| is_echoed_prompt(row))
        .map_or(0, |i| i + 1);
    let bullet = (start..end).rev().find(|&i| rows[i].starts_with(BULLET))?;
    let mut text = rows[bullet][BULLET.len()..].trim().to_string();
    for row in &rows[bullet + 1..end] {
        match row_kind(row) {
            Row::Continuation(more) => {
                text.push(' ');
                text.push_str(more);
            }
            Row::Ignorable => {}
            Row::Other => return None,
        }
    }
    let kind = REPLIES
        .iter()
        .find(|(pattern, _)| pattern.is_match(&text))
        .map(|(_, kind)| *kind)?;
    Some(ScreenError { kind, text })
}

enum Row<'a> {
    /// A reply's continuation row (two-space indent), its text.
    Continuation(&'a str),
    /// Blank, the worked line, a right-aligned decoration.
    Ignorable,
    /// Anything else: the turn went on.
    Other,
}

fn row_kind(row: &str) -> Row<'_> {
    let indent = row.len() - row.trim_start_matches(' ').len();
    if row.trim().is_empty() || indent >= DECORATION_INDENT || is_turn_done_line(row) {
        return Row::Ignorable;
    }
    match row.strip_prefix("  ") {
        Some(rest) if !rest.starts_with(' ') && !rest.starts_with('⎿') => {
            Row::Continuation(rest.trim())
        }
        _ => Row::Other,
    }
}

/// An echoed user prompt in the transcript area: `❯` + a normal space.
fn is_echoed_prompt(row: &str) -> bool {
    let mut chars = row.chars();
    chars.next() == Some(PROMPT) && chars.next() == Some(' ')
}

/// The upper rule of the lowest input box (`rule` over a `❯` input line).
fn input_box_top(rows: &[&str]) -> Option<usize> {
    (1..rows.len())
        .rev()
        .find(|&i| crate::screen::is_input_line(rows[i]) && is_rule(rows[i - 1]))
        .map(|i| i - 1)
}

/// What the client shows when its account has no working login: at start-up (a login dialog, a
/// `Please run /login` reply) or after a turn.
const LOGIN_SIGNS: &[&str] = &[
    "Please run /login",
    "Select login method",
    "OAuth token has expired",
    "Invalid API key",
    "Not logged in",
    "Claude Code can't use your Claude subscription",
    "Your organization has disabled Claude subscription access",
];

/// Whether `text` (screen lines quoted by a failed launch) says that the account needs a login.
pub fn login_required(text: &str) -> bool {
    LOGIN_SIGNS.iter().any(|sign| text.contains(sign))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_signs_are_seen_and_ordinary_text_is_not() {
        assert!(login_required(
            "x | Select login method: | 1. Claude account"
        ));
        assert!(login_required("● Please run /login · API Error: 401"));
        assert!(!login_required("bash: claude: command not found"));
    }
}
