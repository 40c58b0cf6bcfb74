//! Tests for sanitizing task text and building the agent message.

use proptest::prelude::*;

use super::*;

#[track_caller]
fn check(input: &str, expected: &str) {
    assert_eq!(sanitize_task_text(input), expected, "input {input:?}");
}

#[test]
fn removes_escape_sequences() {
    check("a\x1b[31mred\x1b[0m b", "ared b");
    check("x\x1b[200~pasted\x1b[201~y", "xpastedy");
    check("\x1b[?2004h\x1b[1;2Hok", "ok");
    check("t\x1b]0;title\x07u", "tu");
    check("t\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\u", "tlinku");
    check("d\x1bPq#0;2;0;0;0\x1b\\e", "de");
    check("a\x1b_apc\x1b\\b\x1b^pm\x1b\\c\x1bXsos\x1b\\d", "abcd");
    check("a\x1bcb\x1b7c\x1b(Bd", "abcd");
    check("end\x1b", "end");
    check("esc then newline\x1b\nnext", "esc then newline\nnext");
    check("unterminated\x1b]0;title and the rest", "unterminated");
}

#[test]
fn removes_c1_controls_and_8bit_sequences() {
    check("a\u{9b}31mb", "ab");
    check("a\u{9b}?25lb", "ab");
    check("a\u{9d}0;t\u{9c}b", "ab");
    check("a\u{9d}0;t\x07b", "ab");
    check("a\u{90}dcs\u{9c}b", "ab");
    check("a\u{85}b\u{80}\u{81}c", "abc");
    check("a\u{9f}apc\u{9c}b\u{98}sos\x1b\\c", "abc");
}

#[test]
fn removes_c0_and_del_but_keeps_newline_and_tab() {
    check("a\0b\x03c\x08d\x7fe\x04", "abcde");
    check("a\tb\nc", "a\tb\nc");
    check("a\r\nb\rc\r\r\nd", "a\nb\nc\n\nd");
}

#[test]
fn plain_text_is_unchanged() {
    let text = "# Fix the login\n\nSteps:\n\t1. `cargo test` — ünïcödé ✓ 日本語\n";
    check(text, text);
}

fn is_forbidden(c: char) -> bool {
    (c < '\u{20}' && c != '\n' && c != '\t') || c == '\u{7f}' || ('\u{80}'..='\u{9f}').contains(&c)
}

proptest! {
    #[test]
    fn output_never_has_controls_and_is_idempotent(s in any::<String>()) {
        let once = sanitize_task_text(&s);
        prop_assert!(!once.chars().any(is_forbidden), "{:?} -> {:?}", s, once);
        prop_assert_eq!(sanitize_task_text(&once), once.clone());
    }

    #[test]
    fn control_heavy_input_is_cleaned(s in "[\\x00-\\x20\\x1b\\[\\]\\\\a-z0-9;~\\x7f\\u{80}-\\u{9f}]{0,64}") {
        let once = sanitize_task_text(&s);
        prop_assert!(!once.chars().any(is_forbidden), "{:?} -> {:?}", s, once);
        prop_assert_eq!(sanitize_task_text(&once), once.clone());
    }

    #[test]
    fn plain_text_passes_through(s in "[^\\x00-\\x08\\x0b-\\x1f\\x7f\\u{80}-\\u{9f}]*") {
        prop_assert_eq!(sanitize_task_text(&s), s);
    }
}

#[test]
fn message_has_name_body_and_suffix() {
    assert_eq!(
        build_task_message("T1.md", "  \n do the thing \n\n", "When done, say DONE."),
        "[T1.md] do the thing\n\nWhen done, say DONE."
    );
    assert_eq!(build_task_message("T1.md", "body", ""), "[T1.md] body");
    assert_eq!(build_task_message("T1.md", "body", " \n "), "[T1.md] body");
}

#[test]
fn empty_body_gets_the_default_text() {
    assert_eq!(
        build_task_message("T1.md", " \n\t", ""),
        "[T1.md] Check .agent-queue/inbox/ — one task assigned."
    );
    assert_eq!(
        build_task_message("T1.md", "\x1b[31m\x1b[0m", "s"),
        "[T1.md] Check .agent-queue/inbox/ — one task assigned.\n\ns"
    );
}

#[test]
fn message_parts_are_sanitized() {
    let message = build_task_message("T\x1b[2J1.md", "a\x1b[201~\r\nb\x03", "x\x1b]0;t\x07y");
    assert_eq!(message, "[T1.md] a\nb\n\nxy");
}
