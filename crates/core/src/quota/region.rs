//! Which lines of a captured screen belong to the current turn, and how lines group into blocks.
//!
//! Stale text must not trigger a swap: only what the client printed after the last prompt the
//! user (or the daemon) sent counts, optionally cut further at a caller's marker line.

use crate::screen::{PROMPT, is_input_line};

/// The command the client types by itself after a subscription limit (2.1.197): its echo is part
/// of the limit's turn, not a new prompt.
const AUTO_RUN_COMMAND: &str = "/rate-limit-options";

/// Where the caller last acted on a session (e.g. the swap's `continue` message carries a token):
/// lines up to and including the last line containing `marker` are stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Since<'a> {
    /// Text that identifies the marker line (a plain substring, not a pattern).
    pub marker: &'a str,
    /// What to do when the marker is not on the visible screen.
    pub when_absent: MarkerAbsent,
}

/// What a missing marker means: it may have scrolled off (everything visible is newer), or it may
/// not have been printed yet (everything visible is older).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkerAbsent {
    /// Scan the current turn as if no marker had been given (the marker scrolled off the top).
    ScanCurrentTurn,
    /// Treat the whole screen as stale and report nothing (the marker is not printed yet).
    IgnoreScreen,
}

/// True for an echoed prompt line (`❯` + normal space at column 0), but not for the client's own
/// `/rate-limit-options` echo.
fn is_echoed_prompt(line: &str) -> bool {
    let Some(rest) = line.strip_prefix(PROMPT).and_then(|r| r.strip_prefix(' ')) else {
        return false;
    };
    !rest.trim_start().starts_with(AUTO_RUN_COMMAND)
}

/// True for the live input line (`❯` + U+00A0 or a bare `❯`) and for indented `❯` lines (queued
/// messages, menu cursors): text the user typed or may pick, never output of the client.
/// (Echoed user messages are `❯` + a normal space at column 0.)
pub(crate) fn is_input_or_queued(line: &str) -> bool {
    let unindented = line.trim_start_matches(' ');
    let indented = unindented.len() != line.len();
    is_input_line(line) || (indented && unindented.starts_with(PROMPT))
}

/// A line that continues the block above it: indented by spaces, not blank, and not the start of
/// a `⎿` result line.
pub(crate) fn is_continuation(line: &str) -> bool {
    line.starts_with("  ") && !line.trim().is_empty() && !line.trim_start().starts_with('⎿')
}

/// The first line index of the current turn: after the last echoed prompt (and its wrapped
/// continuation lines), or 0 when no prompt is visible (the whole screen is one turn).
pub(crate) fn turn_start(lines: &[&str]) -> usize {
    let Some(prompt) = lines.iter().rposition(|line| is_echoed_prompt(line)) else {
        return 0;
    };
    let mut start = prompt + 1;
    while start < lines.len() && is_continuation(lines[start]) {
        start += 1;
    }
    start
}

/// The half-open range of lines to scan, or `None` when `since` says the whole screen is stale.
pub(crate) fn scan_range(lines: &[&str], since: Option<&Since<'_>>) -> Option<(usize, usize)> {
    let mut start = turn_start(lines);
    if let Some(since) = since {
        match lines.iter().rposition(|line| line.contains(since.marker)) {
            Some(marker_line) => start = start.max(marker_line + 1),
            None if since.when_absent == MarkerAbsent::IgnoreScreen => return None,
            None => {}
        }
    }
    Some((start, lines.len()))
}

/// The first line of the block holding line `index` (walking up over continuation lines, not
/// above `floor`).
pub(crate) fn block_start(lines: &[&str], index: usize, floor: usize) -> usize {
    let mut start = index;
    while start > floor && is_continuation(lines[start]) {
        start -= 1;
    }
    start
}

/// One past the last line of the block holding line `index`.
pub(crate) fn block_end(lines: &[&str], index: usize) -> usize {
    let mut end = index + 1;
    while end < lines.len() && is_continuation(lines[end]) && !is_input_or_queued(lines[end]) {
        end += 1;
    }
    end
}
