//! Tests for task file parsing.

// These tests time a parse budget or run a real `sh`; the library may not.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use std::time::{Duration, Instant};

use super::*;
use crate::task::Priority;

fn parse(text: &str) -> TaskDoc {
    parse_task(text.as_bytes()).unwrap()
}

fn err_of(text: &str) -> TaskParseError {
    parse_task(text.as_bytes()).unwrap_err()
}

#[track_caller]
fn check_frontmatter_error(text: &str, line: usize, needles: &[&str]) {
    match err_of(text) {
        TaskParseError::Frontmatter { line: got, message } => {
            assert_eq!(got, line, "line for {text:?}: {message}");
            for needle in needles {
                assert!(message.contains(needle), "{message:?} lacks {needle:?}");
            }
        }
        other => panic!("{text:?}: {other:?}"),
    }
}

#[test]
fn no_frontmatter_means_whole_text_is_body() {
    let doc = parse("# Title\n\nDo it.\n");
    assert_eq!(doc.frontmatter, Frontmatter::default());
    assert_eq!(doc.body, "# Title\n\nDo it.\n");
    // `----` or an indented `---` do not open frontmatter.
    assert_eq!(parse("----\nx\n").body, "----\nx\n");
    assert_eq!(parse(" ---\nx\n").body, " ---\nx\n");
    assert_eq!(parse("").body, "");
}

#[test]
fn all_fields_parse() {
    let doc = parse(
        "---\n\
         title: Fix login\n\
         priority: CRITICAL\n\
         tags: [auth, 2024]\n\
         needs_claude_code: true\n\
         depends_on:\n  - web:T1\n  - api:T2\n\
         preferred_ai: gemini\n\
         allow_delegation: true\n\
         complexity_hint: high\n\
         isolation: Worktree\n\
         base: release/1.2\n\
         my_own_key: {nested: [1, 2]}\n\
         ---\n\
         Body here.\n",
    );
    let fm = doc.frontmatter;
    assert_eq!(fm.title.as_deref(), Some("Fix login"));
    assert_eq!(fm.priority, Priority::Critical);
    assert_eq!(fm.tags, vec!["auth", "2024"]);
    assert!(fm.needs_claude_code);
    assert_eq!(fm.depends_on, vec!["web:T1", "api:T2"]);
    assert_eq!(fm.preferred_ai.as_deref(), Some("gemini"));
    assert!(fm.allow_delegation);
    assert_eq!(fm.complexity_hint.as_deref(), Some("high"));
    assert_eq!(fm.isolation, Some(crate::worktree::Isolation::Worktree));
    assert_eq!(fm.base.as_deref(), Some("release/1.2"));
    assert_eq!(doc.body, "Body here.\n");
}

#[test]
fn an_unknown_isolation_names_the_field_and_its_line() {
    let err = parse_task(b"---\ntitle: x\nisolation: copy\n---\nbody\n").expect_err("bad");
    let text = err.to_string();
    assert!(
        text.contains("line 3") && text.contains("`isolation` to be `shared` or `worktree`"),
        "{text}"
    );
}

#[test]
fn depends_on_accepts_a_single_string_and_null_means_absent() {
    assert_eq!(
        parse("---\ndepends_on: web:T1\n---\n")
            .frontmatter
            .depends_on,
        vec!["web:T1"]
    );
    let fm = parse("---\ndepends_on:\npriority: ~\ntitle:\n---\n").frontmatter;
    assert_eq!(fm, Frontmatter::default());
}

#[test]
fn priority_is_case_insensitive() {
    for (text, p) in [
        ("High", Priority::High),
        ("low", Priority::Low),
        ("DEFAULT", Priority::Default),
    ] {
        assert_eq!(
            parse(&format!("---\npriority: {text}\n---\n"))
                .frontmatter
                .priority,
            p
        );
    }
}

#[test]
fn bom_crlf_and_dot_terminator() {
    let doc = parse("\u{feff}---  \r\npriority: high\r\n---\r\nbody\r\n");
    assert_eq!(doc.frontmatter.priority, Priority::High);
    assert_eq!(doc.body, "body\r\n");
    let doc = parse("---\ntitle: t\n...\nbody");
    assert_eq!(doc.frontmatter.title.as_deref(), Some("t"));
    assert_eq!(doc.body, "body");
    let doc = parse("\u{feff}no frontmatter");
    assert_eq!(doc.body, "no frontmatter");
}

#[test]
fn empty_frontmatter_is_fine() {
    let doc = parse("---\n---");
    assert_eq!(doc.frontmatter, Frontmatter::default());
    assert_eq!(doc.body, "");
    assert_eq!(parse("---\n# only a comment\n\n---\nb").body, "b");
}

#[test]
fn unclosed_frontmatter_is_an_error() {
    for text in ["---", "---\n", "---\ntitle: x\nbody\n", "---\n----\n"] {
        let err = err_of(text);
        assert_eq!(err, TaskParseError::UnclosedFrontmatter, "{text:?}");
        assert_eq!(err.line(), Some(1));
        assert!(
            err.to_string()
                .contains("frontmatter starts at line 1 but has no closing `---`")
        );
    }
}

#[test]
fn not_utf8_reports_offset_and_line() {
    let err = parse_task(b"ok\nfine\nbad \xff here").unwrap_err();
    assert_eq!(
        err,
        TaskParseError::NotUtf8 {
            offset: 12,
            line: 3
        }
    );
    assert_eq!(err.line(), Some(3));
    assert!(err.to_string().contains("byte 12"), "{err}");
}

#[test]
fn wrong_types_name_the_field_and_the_file_line() {
    check_frontmatter_error(
        "---\npriority: [a]\n---\n",
        2,
        &["`priority`", "critical, high"],
    );
    check_frontmatter_error(
        "---\ntitle: t\n\ndepends_on: 5\n---\n",
        4,
        &["`depends_on`", "list of strings"],
    );
    check_frontmatter_error(
        "---\ntitle: x\ntags: 3\n---\n",
        3,
        &["`tags`", "list of strings"],
    );
    check_frontmatter_error(
        "---\npriority: urgent\n---\n",
        2,
        &["`priority`", "\"urgent\""],
    );
    check_frontmatter_error(
        "---\nneeds_claude_code: maybe\n---\n",
        2,
        &["`needs_claude_code`", "true or false"],
    );
    check_frontmatter_error("---\ntags: [[a]]\n---\n", 2, &["`tags`"]);
    check_frontmatter_error("---\ntitle: [a]\n---\n", 2, &["`title`"]);
    check_frontmatter_error("---\ntags: one\n---\n", 2, &["`tags`"]);
}

#[test]
fn non_mapping_and_broken_yaml_are_errors() {
    check_frontmatter_error("---\n- a\n---\n", 2, &["mapping"]);
    check_frontmatter_error("---\nhello\n---\n", 2, &["mapping"]);
    check_frontmatter_error("---\ntitle: a\nx: [\n---\n", 3, &[]);
}

#[track_caller]
fn assert_refused_fast(text: &str) {
    let started = Instant::now();
    let result = parse_task(text.as_bytes());
    let took = started.elapsed();
    assert!(
        matches!(result, Err(TaskParseError::Frontmatter { .. })),
        "{result:?}"
    );
    assert!(took < Duration::from_secs(2), "took {took:?}");
    eprintln!("refused in {took:?}: {result:?}");
}

#[test]
fn billion_laughs_is_refused_fast() {
    let mut yaml =
        String::from("---\na0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let refs = vec![format!("*a{}", i - 1); 10].join(", ");
        yaml.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    yaml.push_str("title: t\n---\nbody\n");
    assert_refused_fast(&yaml);
}

#[test]
fn deep_nesting_is_refused_fast() {
    let deep = format!(
        "---\nx: {}{}\n---\n",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    assert_refused_fast(&deep);
    let deep_maps = format!(
        "---\nx: {}1{}\n---\n",
        "{a: ".repeat(10_000),
        "}".repeat(10_000)
    );
    assert_refused_fast(&deep_maps);
    let unclosed = format!("---\nx: {}\n---\n", "[".repeat(10_000));
    assert_refused_fast(&unclosed);
}
