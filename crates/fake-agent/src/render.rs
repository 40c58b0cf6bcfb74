//! Draws one frame of the fake TUI as plain lines, laid out like the recorded Claude Code screens:
//! header, transcript, spinner, input box between two full-width rules, footer; plus where the
//! one styled span (the dim hint in an empty input) sits.

use crate::api_error::RetryLine;
use crate::args::{PermissionMode, VERSION};
use std::time::Duration;

/// Spinner glyphs, cycled forward then backward like the real client.
pub const SPINNER_GLYPHS: [char; 6] = ['·', '✢', '*', '✶', '✻', '✽'];
/// How often the spinner glyph changes.
pub const SPINNER_STEP: Duration = Duration::from_millis(250);
/// From this much elapsed time on the spinner shows ` (Ns)`.
pub const ELAPSED_SUFFIX_FROM: Duration = Duration::from_secs(16);
/// The input prompt: `❯` followed by a NO-BREAK SPACE, exactly as the real client draws it.
pub const INPUT_PROMPT: &str = "❯\u{a0}";
/// Prefix of a result line under a prompt (`⎿` + space + NO-BREAK SPACE, as recorded).
pub const RESULT_PREFIX: &str = "  ⎿ \u{a0}";
/// Columns a `● ` reply keeps free on the right: at 200 columns the recorded client wraps reply
/// text at 190 (a 192-column row at most; the 429 and 403 recordings).
const REPLY_RIGHT_MARGIN: usize = 8;
/// Below this width the reply margin is dropped (too little room to keep it).
const REPLY_MARGIN_FROM_WIDTH: usize = 40;

/// One entry of the visible conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// An echoed user prompt: `❯ <text>` (normal space), continuation lines indented.
    Prompt(String),
    /// An assistant reply or API error: `● <text>`.
    Reply(String),
    /// A result line such as a usage limit: `  ⎿  <text>`.
    Notice(String),
    /// The completion line `✻ Worked for <duration>`.
    Worked(Duration),
}

/// What the footer says besides the permission mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FooterNote {
    /// The usual hints.
    Plain,
    /// A paste placeholder is in the input: `paste again to expand`.
    PasteAgain,
    /// Ctrl-C was pressed once: `Press Ctrl-C again to exit`.
    CtrlCAgain,
}

/// Whether a turn is running, as far as the footer is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activity {
    /// Waiting for input.
    Idle,
    /// A turn is running (footer says `esc to interrupt`).
    Working,
}

/// The spinner line while a turn runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpinnerView {
    /// The gerund shown, e.g. `Billowing`.
    pub verb: String,
    /// Time since the turn started; picks the glyph and the `(Ns)` suffix.
    pub elapsed: Duration,
    /// While the client retries a failed request: the retry row instead of the verb.
    pub retry: Option<RetryLine>,
}

/// A selection menu that replaces the input box and footer (the `/rate-limit-options` menu).
#[derive(Debug, Clone)]
pub struct MenuView<'a> {
    /// The command echoed above the menu, e.g. `/rate-limit-options`.
    pub command: &'a str,
    /// The question, e.g. `What do you want to do?`.
    pub title: &'a str,
    /// Option labels, numbered from 1 on screen.
    pub options: &'a [&'a str],
    /// Index of the highlighted option (`❯` in front).
    pub selected: usize,
    /// The key hint at the bottom, e.g. `Enter to confirm · Esc to cancel`.
    pub hint: &'a str,
}

/// Everything a frame shows.
#[derive(Debug, Clone)]
pub struct FrameView<'a> {
    /// Second header line, e.g. `Sonnet 5 · API Usage Billing`.
    pub model_line: &'a str,
    /// Third header line: the working directory.
    pub cwd: &'a str,
    /// The conversation so far.
    pub blocks: &'a [Block],
    /// The spinner, while working.
    pub spinner: Option<SpinnerView>,
    /// Messages typed while working, shown above the box.
    pub queued: &'a [String],
    /// The input box text as displayed (placeholders as labels).
    pub input: &'a str,
    /// A dim hint shown while the input is empty (`Resend your message to try again`).
    pub input_hint: Option<&'a str>,
    /// Permission mode (footer wording).
    pub permission_mode: PermissionMode,
    /// Idle or working (footer wording).
    pub activity: Activity,
    /// Transient footer note.
    pub note: FooterNote,
    /// Rows between the lower rule and the footer (the 2.1.329 `⚠ Usage limit reached` lines).
    pub banner: &'a [String],
    /// What the `statusLine` command printed, drawn under the input box.
    pub status_line: Option<&'a str>,
    /// A menu in place of the input box and footer.
    pub menu: Option<MenuView<'a>>,
}

/// The spinner glyph for this much elapsed time.
pub fn spinner_glyph(elapsed: Duration) -> char {
    const ORDER: [usize; 10] = [0, 1, 2, 3, 4, 5, 4, 3, 2, 1];
    let step = (elapsed.as_millis() / SPINNER_STEP.as_millis()) as usize;
    SPINNER_GLYPHS[ORDER[step % ORDER.len()]]
}

/// `15s`, `3m 19s`, `1h 2m 3s`, like the real completion line.
pub fn format_elapsed(elapsed: Duration) -> String {
    let total = elapsed.as_secs();
    let (hours, minutes, seconds) = (total / 3600, (total % 3600) / 60, total % 60);
    if hours > 0 {
        format!("{hours}h {minutes}m {seconds}s")
    } else if minutes > 0 {
        format!("{minutes}m {seconds}s")
    } else {
        format!("{seconds}s")
    }
}

/// The spinner line, e.g. `* Billowing…`, `· Effecting… (17s)` or, while retrying,
/// `✻ API error · Retrying in 1s · attempt 1/2`.
pub fn spinner_line(spinner: &SpinnerView) -> String {
    if let Some(retry) = &spinner.retry {
        return format!("{} {}", spinner_glyph(spinner.elapsed), retry.text);
    }
    let mut line = format!("{} {}…", spinner_glyph(spinner.elapsed), spinner.verb);
    if spinner.elapsed >= ELAPSED_SUFFIX_FROM {
        line.push_str(&format!(" ({}s)", spinner.elapsed.as_secs()));
    }
    line
}

/// The footer line for this mode and state.
pub fn footer(mode: PermissionMode, activity: Activity, note: FooterNote) -> String {
    match (note, activity) {
        (FooterNote::CtrlCAgain, _) => "  Press Ctrl-C again to exit".to_string(),
        (FooterNote::PasteAgain, Activity::Idle) => "  paste again to expand".to_string(),
        (_, Activity::Idle) => match mode {
            PermissionMode::Bypass => {
                "  ⏵⏵ bypass permissions on (shift+tab to cycle) · ← for agents".to_string()
            }
            PermissionMode::Default => "  ? for shortcuts · ← for agents".to_string(),
        },
        (_, Activity::Working) => match mode {
            PermissionMode::Bypass => {
                "  ⏵⏵ bypass permissions on (shift+tab to cycle) · esc to interrupt · ← for agents"
                    .to_string()
            }
            PermissionMode::Default => "  esc to interrupt · ← for agents".to_string(),
        },
    }
}

/// Splits `text` into rows of at most `width` characters; rows after the first start with
/// `indent`. Every `\n` starts a new row (with the indent).
fn wrap(first_prefix: &str, indent: &str, text: &str, width: usize, out: &mut Vec<String>) {
    let width = width
        .max(indent.chars().count() + 1)
        .max(first_prefix.chars().count() + 1);
    for (index, line) in text.split('\n').enumerate() {
        let prefix = if index == 0 { first_prefix } else { indent };
        let mut row = prefix.to_string();
        let mut row_len = prefix.chars().count();
        // Control characters (ESC, tab, …) would drive the terminal: show them as spaces.
        for c in line.chars().map(|c| if c.is_control() { ' ' } else { c }) {
            if row_len >= width {
                out.push(std::mem::replace(&mut row, indent.to_string()));
                row_len = indent.chars().count();
            }
            row.push(c);
            row_len += 1;
        }
        out.push(row);
    }
}

/// Like [`wrap`] with the same prefix and indent width, but breaks at spaces where it can (the
/// recorded client word-wraps replies); a word longer than a row is cut.
fn wrap_words(first_prefix: &str, indent: &str, text: &str, width: usize, out: &mut Vec<String>) {
    let room = width.saturating_sub(indent.chars().count()).max(1);
    for (index, line) in text.split('\n').enumerate() {
        let mut row = String::from(if index == 0 { first_prefix } else { indent });
        let mut used = 0;
        let clean: String = line
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        for word in clean.split(' ') {
            let len = word.chars().count();
            if used > 0 && used + 1 + len > room {
                out.push(std::mem::replace(&mut row, indent.to_string()));
                used = 0;
            } else if used > 0 {
                row.push(' ');
                used += 1;
            }
            for c in word.chars() {
                if used >= room {
                    out.push(std::mem::replace(&mut row, indent.to_string()));
                    used = 0;
                }
                row.push(c);
                used += 1;
            }
        }
        out.push(row);
    }
}

/// Row width a reply may fill in a `width`-column terminal.
fn reply_width(width: usize) -> usize {
    if width >= REPLY_MARGIN_FROM_WIDTH {
        width - REPLY_RIGHT_MARGIN
    } else {
        width
    }
}

fn block_lines(block: &Block, width: usize, out: &mut Vec<String>) {
    match block {
        Block::Prompt(text) => wrap("❯ ", "  ", text, width, out),
        Block::Reply(text) => wrap_words("● ", "  ", text, reply_width(width), out),
        Block::Notice(text) => wrap(RESULT_PREFIX, "     ", text, width, out),
        Block::Worked(elapsed) => out.push(format!("✻ Worked for {}", format_elapsed(*elapsed))),
    }
}

/// A drawn frame: the rows as plain text and where the dim input hint sits, if shown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frame {
    /// The rows, top to bottom, without any escape sequence.
    pub lines: Vec<String>,
    /// The hint's cells, drawn like the recorded client: the first in reverse video (its cursor
    /// cell), the rest dim (SGR 2).
    pub hint: Option<HintCells>,
}

/// Where a styled span sits in a [`Frame`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HintCells {
    /// Index into [`Frame::lines`].
    pub row: usize,
    /// Character index where the span starts.
    pub column: usize,
    /// Number of characters in the span.
    pub len: usize,
}

/// Renders the frame for a `width` × `height` terminal as plain rows (see [`render_frame`]).
pub fn render(view: &FrameView<'_>, width: u16, height: u16) -> Vec<String> {
    render_frame(view, width, height).lines
}

/// Renders the frame for a `width` × `height` terminal. The result has at most `height - 1`
/// lines (one blank row stays under the footer, as on the real screen once it is full);
/// older transcript lines scroll off the top.
pub fn render_frame(view: &FrameView<'_>, width: u16, height: u16) -> Frame {
    let width = usize::from(width.max(8));
    let mut lines = vec![
        format!(" ▐▛███▜▌   Claude Code v{VERSION} (fake)"),
        format!("▝▜█████▛▘  {}", view.model_line),
        format!("  ▘▘ ▝▝    {}", view.cwd),
        String::new(),
    ];
    push_blocks(view.blocks, width, height, &mut lines);
    if let Some(spinner) = &view.spinner {
        lines.push(String::new());
        lines.push(spinner_line(spinner));
        if let Some(detail) = spinner.retry.as_ref().and_then(|r| r.detail.as_ref()) {
            wrap(RESULT_PREFIX, "     ", detail, width, &mut lines);
        }
    }
    lines.push(String::new());
    if let Some(menu) = &view.menu {
        push_menu(menu, width, &mut lines);
        return fit(lines, None, width, height);
    }
    if !view.queued.is_empty() {
        lines.push(String::new());
        for message in view.queued {
            wrap("  ❯ ", "    ", message, width, &mut lines);
        }
    }
    let rule = "─".repeat(width);
    lines.push(rule.clone());
    let (input, hint) = match (
        view.input.is_empty(),
        view.queued.is_empty(),
        view.input_hint,
    ) {
        (true, false, _) => ("Press up to edit queued messages", None),
        (true, true, Some(hint)) => (hint, Some(lines.len())),
        _ => (view.input, None),
    };
    wrap(INPUT_PROMPT, "  ", input, width, &mut lines);
    let hint = hint.map(|row| HintCells {
        row,
        column: INPUT_PROMPT.chars().count(),
        len: lines[row].chars().count() - INPUT_PROMPT.chars().count(),
    });
    lines.push(rule);
    if let Some(text) = view.status_line {
        lines.extend(text.lines().map(|line| format!("  {line}")));
    }
    lines.extend(view.banner.iter().cloned());
    lines.push(footer(view.permission_mode, view.activity, view.note));
    fit(lines, hint, width, height)
}

/// Lays out the newest blocks that can still be on screen (a huge paste or a long history must
/// not slow every frame down).
fn push_blocks(blocks: &[Block], width: usize, height: u16, lines: &mut Vec<String>) {
    let mut visible: Vec<Vec<String>> = Vec::new();
    let mut visible_rows = 0;
    for block in blocks.iter().rev() {
        // A result line hangs right under its prompt; everything else has a blank row above.
        let mut rows = match block {
            Block::Notice(_) => Vec::new(),
            _ => vec![String::new()],
        };
        block_lines(block, width, &mut rows);
        visible_rows += rows.len();
        visible.push(rows);
        if visible_rows > usize::from(height) {
            break;
        }
    }
    lines.extend(visible.into_iter().rev().flatten());
}

/// The menu rows as recorded: command echo, rule, title, numbered options, key hint.
fn push_menu(menu: &MenuView<'_>, width: usize, lines: &mut Vec<String>) {
    wrap("❯ ", "  ", menu.command, width, lines);
    lines.push(String::new());
    lines.push("─".repeat(width));
    lines.push(format!("  {}", menu.title));
    lines.push(String::new());
    for (index, option) in menu.options.iter().enumerate() {
        let marker = if index == menu.selected { "❯" } else { " " };
        lines.push(format!("  {marker} {}. {option}", index + 1));
    }
    lines.push(String::new());
    lines.push(format!("  {}", menu.hint));
}

/// Cuts rows to the terminal width and keeps the newest `height - 1` rows; moves `hint` along
/// (gone when its row scrolled off, shortened when its row was cut).
fn fit(mut lines: Vec<String>, hint: Option<HintCells>, width: usize, height: u16) -> Frame {
    // Rows wider than the terminal would wrap and break the layout: cut them.
    for line in &mut lines {
        if let Some((cut, _)) = line.char_indices().nth(width) {
            line.truncate(cut);
        }
    }
    let keep = usize::from(height.max(2)) - 1;
    let dropped = lines.len().saturating_sub(keep);
    lines.drain(..dropped);
    let hint = hint.and_then(|cells| {
        let row = cells.row.checked_sub(dropped)?;
        let room = lines.get(row)?.chars().count().checked_sub(cells.column)?;
        let len = cells.len.min(room);
        (len > 0).then_some(HintCells { row, len, ..cells })
    });
    Frame { lines, hint }
}

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;
