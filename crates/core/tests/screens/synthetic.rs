//! Synthetic screens for the classifier: shells, empty panes and edge cases the recordings lack.

use ScreenState::{Busy, Idle, InputPending, Menu, NoAgent};
use cf_core::screen::{ScreenState, classify, render_report};

/// Asserts the state of a synthetic screen and returns its input text.
#[track_caller]
fn check_text(screen: &str, expected: ScreenState) -> Option<String> {
    let reading = classify(screen);
    assert_eq!(
        reading.state,
        expected,
        "synthetic screen:\n{screen}\n{}",
        render_report(&reading)
    );
    reading.input
}

const RULE: &str = "────────────────────────────────────────────────────────────";
const FOOTER_IDLE: &str = "  ⏵⏵ bypass permissions on (shift+tab to cycle) · ← for agents";
const FOOTER_BUSY: &str =
    "  ⏵⏵ bypass permissions on (shift+tab to cycle) · esc to interrupt · ← for agents";

/// A screen whose last rows are the input box with `input` and the footer.
fn boxed(above: &str, input: &str, footer: &str) -> String {
    format!("{above}\n\n{RULE}\n❯\u{a0}{input}\n{RULE}\n{footer}\n\n\n\n")
}

#[test]
fn synthetic_screen_empty_and_blank_panes_have_no_agent() {
    check_text("", NoAgent);
    check_text("\n\n   \n\n", NoAgent);
}

#[test]
fn synthetic_screen_bash_prompt_has_no_agent() {
    check_text(
        "root@host:/tmp/ccwork# ls\nnotes.md\nroot@host:/tmp/ccwork# \n\n\n",
        NoAgent,
    );
    check_text("user@box:~$ \n", NoAgent);
}

#[test]
fn synthetic_screen_old_prompt_above_a_shell_prompt_has_no_agent() {
    let screen = format!("{RULE}\n❯\u{a0}\n{RULE}\n{FOOTER_IDLE}\n\nsome output\nbash-5.2# \n\n");
    check_text(&screen, NoAgent);
    let far_below = format!(
        "{RULE}\n❯\u{a0}\n{RULE}\n{FOOTER_IDLE}\n{}",
        "log line\n".repeat(20)
    );
    check_text(&far_below, NoAgent);
}

#[test]
fn synthetic_screen_idle_busy_and_pending() {
    assert_eq!(
        check_text(&boxed("● DONE\n\n✻ Brewed for 1s", "", FOOTER_IDLE), Idle),
        None
    );
    check_text(
        &boxed(
            "❯ go\n\n✢ Zigzagging… (1m 5s · ↓ 1.2k tokens)",
            "",
            FOOTER_IDLE,
        ),
        Busy,
    );
    check_text(&boxed("❯ go", "", FOOTER_BUSY), Busy);
    let text = check_text(&boxed("● DONE", "fix the build", FOOTER_IDLE), InputPending);
    assert_eq!(text.as_deref(), Some("fix the build"));
    let bare_prompt = format!("{RULE}\n❯\n{RULE}\n{FOOTER_IDLE}\n");
    check_text(&bare_prompt, Idle);
}

#[test]
fn synthetic_screen_long_retry_label_is_busy() {
    let retry = "✻ 429 This request would exceed the rate limit for your organization (0000…) of 30,000 \
                 input tokens per minute. For details, refer t… · Retrying in 36s · attempt 10/10";
    let reading = classify(&boxed(
        &format!("❯ go\n\n{retry}"),
        "",
        "  ⏵⏵ bypass permissions on (shift+tab to cycle)",
    ));
    assert_eq!(
        (reading.state, reading.evidence.contains("retry")),
        (Busy, true),
        "{reading:?}"
    );
}

#[test]
fn synthetic_screen_echoed_transcript_line_is_not_the_input() {
    // Only echoed lines (`❯ ` + normal space) and no rule-framed input line: no agent box.
    check_text("❯ say hello\n\n● DONE-3\n\n✻ Brewed for 15s\n", NoAgent);
    // Framed by rules, a `❯ ` + normal space line is still not the input line (U+00A0 is).
    check_text(
        &format!("{RULE}\n❯ say hello\n{RULE}\n{FOOTER_IDLE}\n"),
        NoAgent,
    );
}

#[test]
fn synthetic_screen_old_spinner_in_an_earlier_turn_is_not_work() {
    // A spinner-like line above the last echoed user message belongs to an earlier turn.
    let screen = boxed(
        "* Thinking…\n\n❯ next question\n\n● DONE\n\n✻ Baked for 2s",
        "",
        FOOTER_IDLE,
    );
    check_text(&screen, Idle);
}

#[test]
fn synthetic_screen_menu_cursor_without_confirm_footer_is_menu() {
    let screen = format!("{RULE}\n  Do you want to proceed?\n  ❯ 1. Yes\n    2. No\n");
    check_text(&screen, Menu);
    // A queued message above the box is indented like a menu cursor but is not one.
    check_text(
        &boxed("✻ Mulling…\n\n  ❯ 1. queued follow-up", "", FOOTER_BUSY),
        Busy,
    );
}
