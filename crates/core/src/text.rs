//! Making task text safe to paste into a terminal, and building the message sent to the agent.
//!
//! A task body must not be able to type keys of its own: every escape sequence (7-bit and
//! 8-bit), C0 control except newline and tab, DEL and C1 control is removed, and carriage
//! returns become newlines.

use std::iter::Peekable;
use std::str::Chars;

const ESC: char = '\u{1b}';
const BEL: char = '\u{7}';
/// 8-bit String Terminator.
const ST8: char = '\u{9c}';
/// 8-bit Control Sequence Introducer.
const CSI8: char = '\u{9b}';

/// What an unterminated or terminated control string (OSC, DCS, …) may end with.
#[derive(Clone, Copy)]
enum StringEnd {
    /// OSC: BEL or ST.
    BelOrSt,
    /// DCS, SOS, PM, APC: ST only.
    StOnly,
}

/// Removes escape sequences and control characters (see the module doc) and turns `\r\n` and
/// lone `\r` into `\n`. A control string that is never terminated swallows the rest of the
/// text, as a terminal would. Idempotent; text without controls is returned unchanged.
pub fn sanitize_task_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' | '\t' => out.push(c),
            '\r' => {
                chars.next_if_eq(&'\n');
                out.push('\n');
            }
            ESC => skip_escape(&mut chars),
            CSI8 => skip_csi_body(&mut chars),
            // 8-bit DCS, SOS, OSC, PM, APC.
            '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars, StringEnd::StOnly),
            '\u{9d}' => skip_string(&mut chars, StringEnd::BelOrSt),
            // Every other C0 control, DEL and C1.
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Skips what follows an ESC.
fn skip_escape(chars: &mut Peekable<Chars<'_>>) {
    let Some(&next) = chars.peek() else {
        return; // A lone trailing ESC.
    };
    match next {
        '[' => {
            chars.next();
            skip_csi_body(chars);
        }
        ']' => {
            chars.next();
            skip_string(chars, StringEnd::BelOrSt);
        }
        'P' | '_' | '^' | 'X' => {
            chars.next();
            skip_string(chars, StringEnd::StOnly);
        }
        // `ESC intermediates* final`, e.g. `ESC c`, `ESC ( B`, `ESC 7`.
        '\u{20}'..='\u{7e}' => {
            while chars
                .next_if(|c| ('\u{20}'..='\u{2f}').contains(c))
                .is_some()
            {}
            chars.next_if(|c| ('\u{30}'..='\u{7e}').contains(c));
        }
        // ESC followed by a control or non-ASCII: drop the ESC alone; the next char is
        // handled on its own.
        _ => {}
    }
}

/// Skips CSI parameter (0x30–0x3F) and intermediate (0x20–0x2F) bytes and the final byte
/// (0x40–0x7E). Anything else ends the sequence without being consumed.
fn skip_csi_body(chars: &mut Peekable<Chars<'_>>) {
    while chars
        .next_if(|c| ('\u{20}'..='\u{3f}').contains(c))
        .is_some()
    {}
    chars.next_if(|c| ('\u{40}'..='\u{7e}').contains(c));
}

/// Skips a control string up to and including its terminator (`ESC \`, 8-bit ST, or BEL
/// where allowed), or to the end of the text.
fn skip_string(chars: &mut Peekable<Chars<'_>>, end: StringEnd) {
    while let Some(c) = chars.next() {
        match c {
            ST8 => return,
            BEL if matches!(end, StringEnd::BelOrSt) => return,
            ESC if chars.next_if_eq(&'\\').is_some() => return,
            _ => {}
        }
    }
}

/// What the agent is told when a task has no body text.
pub const EMPTY_BODY_MESSAGE: &str = "Check .agent-queue/inbox/ — one task assigned.";

/// Builds the message pasted into the agent: `[<file name>] <body>` and, when `suffix` is not
/// empty, a blank line and the suffix. Everything is sanitized and trimmed; an empty body is
/// replaced by [`EMPTY_BODY_MESSAGE`].
pub fn build_task_message(task_file_name: &str, body: &str, suffix: &str) -> String {
    let name = sanitize_task_text(task_file_name);
    let name = name.trim();
    let body = sanitize_task_text(body);
    let body = match body.trim() {
        "" => EMPTY_BODY_MESSAGE,
        trimmed => trimmed,
    };
    let suffix = sanitize_task_text(suffix);
    let mut message = format!("[{name}] {body}");
    if !suffix.trim().is_empty() {
        message.push_str("\n\n");
        message.push_str(suffix.trim());
    }
    message
}

#[cfg(test)]
mod tests;
