//! Classifies one captured Claude Code screen (`tmux capture-pane -p`) as idle, busy, waiting with
//! text in its input, showing a menu, or not running at all.
//!
//! The rules follow the recordings in `shared/claude-code/` (see its README, section b):
//! the input box (a `❯` + U+00A0 line under a full-width `─` rule) stays visible while the agent
//! works, so the signs of work are the footer's `esc to interrupt`, the spinner line and the retry
//! line. Pure code: the screen text goes in, a [`ScreenReading`] comes out.

use std::fmt;
use std::sync::LazyLock;

use regex::Regex;

mod styled;

/// What the agent in a pane is doing, as far as its screen shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScreenState {
    /// The agent waits for a prompt: its empty input line (`❯` + U+00A0, or a bare `❯` at the end
    /// of the line) is near the bottom, and there is no `esc to interrupt` in the footer, no spinner
    /// line, no retry line and no menu. A finished task looks like this.
    Idle,
    /// The agent works on a turn: footer `esc to interrupt`, or a spinner line (`✻ Billowing…`),
    /// or an API retry line (`✻ API error · Retrying in 5s · attempt 1/10`). The input box stays
    /// visible while busy, so the prompt glyph alone never means idle.
    Busy,
    /// The agent is idle but text sits in its input (typed text, or a `[Pasted text #N +M lines]`
    /// placeholder with the footer `paste again to expand`): a submit did not register and needs
    /// another Enter. Dim hints such as `Resend your message to try again` count as empty input.
    InputPending,
    /// A selection menu blocks the input (`Enter to confirm · Esc to cancel`, e.g. the
    /// `/rate-limit-options` menu, or an indented `  ❯ 1. …` cursor): keys must answer it first.
    Menu,
    /// No agent UI: an empty pane, a shell prompt, or an agent that printed
    /// `Resume this session with:` and exited (its last frame may still be visible above).
    NoAgent,
}

impl ScreenState {
    /// The short lowercase name used in logs and the CLI (`idle`, `busy`, `input-pending`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ScreenState::Idle => "idle",
            ScreenState::Busy => "busy",
            ScreenState::InputPending => "input-pending",
            ScreenState::Menu => "menu",
            ScreenState::NoAgent => "no-agent",
        }
    }
}

impl fmt::Display for ScreenState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The verdict on one screen, with the reason, so logs and the CLI can say why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScreenReading {
    /// What the agent is doing.
    pub state: ScreenState,
    /// The text sitting in the input box (continuation lines joined with `\n`), or `None` when the
    /// input is empty, shows only a dim hint, or there is no input box. A paste placeholder such as
    /// `[Pasted text #2 +4 lines]` is reported as it appears: it is real pending input.
    pub input: Option<String>,
    /// Which rule decided, in a few words, for logs and `claude-failover screen classify`.
    pub evidence: &'static str,
}

/// The input prompt glyph (U+276F).
pub(crate) const PROMPT: char = '❯';
/// The NO-BREAK SPACE that follows the prompt glyph on the real input line (echoed transcript
/// lines use a normal space instead).
const NBSP: char = '\u{a0}';
/// A row of at least this many `─` and nothing else is a box rule (real ones span the pane).
const RULE_MIN_WIDTH: usize = 20;
/// At most this many non-blank rows may follow the input box's lower rule (footer, notices,
/// autocomplete list); more means the box is a stale frame left above other output.
const MAX_ROWS_BELOW_BOX: usize = 8;
/// `esc to interrupt` counts only within this many last non-blank rows (the footer).
const BUSY_FOOTER_ROWS: usize = 3;
/// How many non-blank rows above the input box are searched for a spinner or retry line.
const SPINNER_SEARCH_ROWS: usize = 10;
/// `Enter to confirm · Esc to cancel` counts only within this many last non-blank rows.
const MENU_FOOTER_ROWS: usize = 4;
/// Without an input box, a menu cursor counts only within this many last non-blank rows.
const MENU_CURSOR_ROWS: usize = 12;
/// Dim hints the client draws inside an empty input box; they are not typed text.
/// The recorded strings are the fallback for captures without attributes; with attributes
/// ([`classify_styled`]) the dim rendition tells a hint from typed text whatever its wording.
const EMPTY_INPUT_HINTS: &[&str] = &[
    "Resend your message to try again",
    "Press up to edit queued messages",
    "Once fixed, resend your message",
];

const EVIDENCE_EMPTY: &str = "empty pane";
const EVIDENCE_EXITED: &str = "resume hint below the last agent frame: the agent exited";
const EVIDENCE_SHELL: &str = "shell prompt on the last row";
const EVIDENCE_MENU_CONFIRM: &str = "selection menu: `Enter to confirm · Esc to cancel`";
const EVIDENCE_MENU_CURSOR: &str = "selection menu: indented `❯ 1.` cursor";
const EVIDENCE_NO_BOX: &str = "no agent input box on screen";
const EVIDENCE_STALE_BOX: &str = "input box far above the bottom row: stale frame";
const EVIDENCE_FOOTER: &str = "footer shows `esc to interrupt`";
const EVIDENCE_RETRY: &str = "API retry line above the input box";
const EVIDENCE_SPINNER: &str = "spinner line above the input box";
const EVIDENCE_PASTE: &str = "paste placeholder sits in the input line";
const EVIDENCE_TYPED: &str = "typed text sits in the input line";
const EVIDENCE_IDLE: &str = "empty input line, no sign of work";

/// Compiles one of this module's constant patterns.
fn pattern(source: &str) -> Regex {
    Regex::new(source)
        .unwrap_or_else(|error| panic!("screen pattern {source:?} is invalid: {error}"))
}

/// `* Billowing…`, `· Effecting… (17s)`: the working spinner (README BUSY_SPINNER).
static BUSY_SPINNER: LazyLock<Regex> = LazyLock::new(|| pattern(r"^[·✢*✶✻✽✳] \S.*…(?: \(.*\))?$"));
/// `✻ API error · Retrying in 5s · attempt 1/10` (README BUSY_RETRY; 2.1.329 writes `retrying`).
static BUSY_RETRY: LazyLock<Regex> =
    LazyLock::new(|| pattern(r"^[·✢*✶✻✽✳] .+ · [Rr]etrying in \d+[smh][^·]* · attempt \d+/\d+$"));
/// `✻ Brewed for 15s`, `✻ Baked for 20s · done 8:12 AM`: a completed turn (README TURN_DONE).
static TURN_DONE: LazyLock<Regex> =
    LazyLock::new(|| pattern(r"^✻ \S+ for (?:\d+h )?(?:\d+m )?\d+s(?: · done .*)?$"));
/// What the client prints when it exits or cannot resume.
static EXIT_MARKER: LazyLock<Regex> = LazyLock::new(|| {
    pattern(
        r"^(?:Resume this session with:|claude .*--resume [0-9a-f-]{36}|No conversation found with session ID)",
    )
});
/// A shell prompt on the last row: `bash-5.2#`, `user@host:~$`, `%` (no leading blank, short).
static SHELL_PROMPT: LazyLock<Regex> = LazyLock::new(|| pattern(r"^(?:[^\s❯─].{0,118})?[$#%]$"));
/// `  ❯ 1. Stop and wait for limit to reset`: the cursor of a numbered selection menu.
static MENU_CURSOR: LazyLock<Regex> = LazyLock::new(|| pattern(r"^ +❯ \d+\. "));
/// `[Pasted text #2 +4 lines]`, `[Pasted text #3]`: a collapsed paste in the input.
static PASTE_PLACEHOLDER: LazyLock<Regex> =
    LazyLock::new(|| pattern(r"^\[Pasted text #\d+(?: \+\d+ lines)?\]"));

/// Where the agent's input box sits, as row indices into the trimmed screen.
struct InputBox {
    /// The `─` rule above the input line.
    upper_rule: usize,
    /// The `❯` + U+00A0 input line.
    prompt: usize,
    /// The `─` rule below the input (and below any continuation lines).
    lower_rule: usize,
}

/// Reads one captured screen and says what the agent in it is doing.
pub fn classify(screen: &str) -> ScreenReading {
    classify_rows(screen, InputStyle::Unknown)
}

/// Like [`classify`], for a capture with attributes (`tmux capture-pane -e`): escape sequences
/// are read, not matched, and text in the input line drawn dim is a placeholder hint (an empty
/// input), whatever it says.
pub fn classify_styled(screen: &str) -> ScreenReading {
    let styled = styled::read_styled(screen);
    let style = if styled.dim_input_line {
        InputStyle::DimHint
    } else {
        InputStyle::Unknown
    };
    classify_rows(&styled.plain, style)
}

/// The text of a capture with attributes, escape sequences dropped (what `capture-pane -p`
/// without `-e` would have given).
pub fn strip_styles(screen: &str) -> String {
    styled::read_styled(screen).plain
}

/// What the capture tells about the input line's rendition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum InputStyle {
    /// No attributes: the recorded hint strings decide.
    Unknown,
    /// The input line's text is drawn dim: a placeholder, not typed text.
    DimHint,
}

fn classify_rows(screen: &str, style: InputStyle) -> ScreenReading {
    let rows = screen_rows(screen);
    let non_blank: Vec<usize> = (0..rows.len()).filter(|&i| !rows[i].is_empty()).collect();
    let Some(&last_row) = non_blank.last() else {
        return reading(ScreenState::NoAgent, None, EVIDENCE_EMPTY);
    };
    let input_box = find_input_box(&rows);
    let below_box = |row: usize| input_box.as_ref().is_none_or(|b| row > b.lower_rule);

    if rows
        .iter()
        .rposition(|r| EXIT_MARKER.is_match(r))
        .is_some_and(below_box)
    {
        return reading(ScreenState::NoAgent, None, EVIDENCE_EXITED);
    }
    if SHELL_PROMPT.is_match(rows[last_row]) && below_box(last_row) {
        return reading(ScreenState::NoAgent, None, EVIDENCE_SHELL);
    }
    let tail = |count: usize| non_blank.iter().rev().take(count).map(|&i| (i, rows[i]));
    if tail(MENU_FOOTER_ROWS).any(|(_, r)| r.contains("Enter to confirm · Esc to cancel")) {
        return reading(ScreenState::Menu, None, EVIDENCE_MENU_CONFIRM);
    }
    if tail(MENU_CURSOR_ROWS).any(|(i, r)| below_box(i) && MENU_CURSOR.is_match(r)) {
        return reading(ScreenState::Menu, None, EVIDENCE_MENU_CURSOR);
    }
    let Some(input_box) = input_box else {
        return reading(ScreenState::NoAgent, None, EVIDENCE_NO_BOX);
    };
    if non_blank
        .iter()
        .filter(|&&i| i > input_box.lower_rule)
        .count()
        > MAX_ROWS_BELOW_BOX
    {
        return reading(ScreenState::NoAgent, None, EVIDENCE_STALE_BOX);
    }

    let input = match style {
        InputStyle::DimHint => None,
        InputStyle::Unknown => input_text(&rows, &input_box),
    };
    if tail(BUSY_FOOTER_ROWS)
        .any(|(i, r)| i > input_box.lower_rule && r.contains("esc to interrupt"))
    {
        return reading(ScreenState::Busy, input, EVIDENCE_FOOTER);
    }
    if let Some(evidence) = work_line_above(&rows, input_box.upper_rule) {
        return reading(ScreenState::Busy, input, evidence);
    }
    match input {
        Some(text) if PASTE_PLACEHOLDER.is_match(&text) => {
            reading(ScreenState::InputPending, Some(text), EVIDENCE_PASTE)
        }
        Some(text) => reading(ScreenState::InputPending, Some(text), EVIDENCE_TYPED),
        None => reading(ScreenState::Idle, None, EVIDENCE_IDLE),
    }
}

/// Whether `row` is a completed-turn line (`✻ Brewed for 15s`, `✻ Baked for 20s · done 8:12 AM`).
pub(crate) fn is_turn_done_line(row: &str) -> bool {
    TURN_DONE.is_match(row.trim_end())
}

/// Counts the completed-turn lines (`✻ Brewed for 15s`) on the screen: one per finished turn still
/// visible, which tells whether work was done since an earlier look.
pub fn turn_count(screen: &str) -> usize {
    screen_rows(screen)
        .into_iter()
        .filter(|row| TURN_DONE.is_match(row))
        .count()
}

/// Renders a reading as one to three lines for `claude-failover screen classify FILE`:
/// the state, the rule that decided, and the pending input if there is any.
pub fn render_report(reading: &ScreenReading) -> String {
    let mut report = format!("state: {}\nevidence: {}", reading.state, reading.evidence);
    if let Some(text) = &reading.input {
        report.push_str(&format!("\ninput: {text:?}"));
    }
    report
}

fn reading(state: ScreenState, input: Option<String>, evidence: &'static str) -> ScreenReading {
    ScreenReading {
        state,
        input,
        evidence,
    }
}

/// The screen's rows, right-trimmed of ASCII spaces only (U+00A0 after `❯` must survive), with
/// trailing blank rows dropped.
pub(crate) fn screen_rows(screen: &str) -> Vec<&str> {
    let mut rows: Vec<&str> = screen
        .lines()
        .map(|row| row.trim_end_matches(' '))
        .collect();
    while rows.last().is_some_and(|row| row.is_empty()) {
        rows.pop();
    }
    rows
}

pub(crate) fn is_rule(row: &str) -> bool {
    row.chars().count() >= RULE_MIN_WIDTH && row.chars().all(|c| c == '─')
}

/// The real input line: `❯` at column 0 followed by U+00A0 or nothing (never a normal space,
/// which marks an echoed transcript line). The one rule for it: quota and menu reading use it too.
pub(crate) fn is_input_line(row: &str) -> bool {
    let mut chars = row.chars();
    chars.next() == Some(PROMPT) && matches!(chars.next(), None | Some(NBSP))
}

/// Finds the lowest `rule / ❯ input / … / rule` group on the screen.
fn find_input_box(rows: &[&str]) -> Option<InputBox> {
    (1..rows.len()).rev().find_map(|prompt| {
        if !(is_input_line(rows[prompt]) && is_rule(rows[prompt - 1])) {
            return None;
        }
        let lower_rule = (prompt + 1..rows.len()).find(|&i| is_rule(rows[i]))?;
        Some(InputBox {
            upper_rule: prompt - 1,
            prompt,
            lower_rule,
        })
    })
}

/// The text in the input box, without the prompt glyph, the continuation indent or a dim hint.
fn input_text(rows: &[&str], input_box: &InputBox) -> Option<String> {
    let first = rows[input_box.prompt].trim_start_matches(PROMPT);
    let first = first.strip_prefix(NBSP).unwrap_or(first);
    let continuation = rows[input_box.prompt + 1..input_box.lower_rule]
        .iter()
        .map(|row| row.strip_prefix("  ").unwrap_or(row));
    let mut lines: Vec<&str> = std::iter::once(first).chain(continuation).collect();
    while lines.last().is_some_and(|line| line.is_empty()) {
        lines.pop();
    }
    let text = lines.join("\n");
    if text.trim().is_empty() || EMPTY_INPUT_HINTS.contains(&text.trim()) {
        return None;
    }
    Some(text)
}

/// Looks for a retry or spinner line in the rows just above the input box, without crossing the
/// last echoed user message (`❯ ` + space), above which everything belongs to earlier turns.
fn work_line_above(rows: &[&str], upper_rule: usize) -> Option<&'static str> {
    let above = rows[..upper_rule]
        .iter()
        .rev()
        .filter(|row| !row.is_empty());
    for row in above.take(SPINNER_SEARCH_ROWS) {
        if BUSY_RETRY.is_match(row) {
            return Some(EVIDENCE_RETRY);
        }
        if BUSY_SPINNER.is_match(row) {
            return Some(EVIDENCE_SPINNER);
        }
        if row.starts_with("❯ ") {
            break;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: &str = "────────────────────────────────────────";

    #[test]
    fn screen_rows_keeps_the_no_break_space_after_the_prompt() {
        let rows = screen_rows("❯\u{a0}  \n\n   \n");
        assert_eq!(rows, vec!["❯\u{a0}"]);
    }

    #[test]
    fn screen_input_line_needs_no_break_space_or_end_of_line() {
        assert!(is_input_line("❯\u{a0}hello"));
        assert!(is_input_line("❯"));
        assert!(
            !is_input_line("❯ hello"),
            "an echoed transcript line is not the input"
        );
        assert!(
            !is_input_line("  ❯ 1. Stop"),
            "a menu cursor is not the input"
        );
    }

    #[test]
    fn screen_rule_must_be_wide_and_only_box_drawing() {
        assert!(is_rule(RULE));
        assert!(!is_rule("────"));
        assert!(!is_rule(&format!("{RULE} x")));
    }

    #[test]
    fn screen_input_text_joins_continuation_lines_and_drops_hints() {
        let rows = [RULE, "❯\u{a0}one", "  two", "", RULE];
        let input_box = find_input_box(&rows).map(|b| input_text(&rows, &b));
        assert_eq!(input_box, Some(Some("one\ntwo".to_string())));
        let rows = [RULE, "❯\u{a0}Resend your message to try again", RULE];
        let input_box = find_input_box(&rows).map(|b| input_text(&rows, &b));
        assert_eq!(input_box, Some(None));
    }

    #[test]
    fn screen_render_report_shows_state_evidence_and_input() {
        let report = render_report(&reading(
            ScreenState::InputPending,
            Some("a\nb".into()),
            EVIDENCE_TYPED,
        ));
        assert_eq!(
            report,
            format!("state: input-pending\nevidence: {EVIDENCE_TYPED}\ninput: \"a\\nb\"")
        );
        let report = render_report(&reading(ScreenState::Idle, None, EVIDENCE_IDLE));
        assert_eq!(report.lines().count(), 2);
    }
}
