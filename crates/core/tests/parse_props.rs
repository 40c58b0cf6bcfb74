//! Property tests of the two parsers that read hostile input: `parse_task` (a task file's bytes)
//! never panics and stays consistent, and `parse_dependency`/`validate_segment` accept exactly
//! the segments of a reference regex, `[A-Za-z0-9._-]+` minus `.` and `..`, at most 200 bytes.

// Tests read the recorded fixtures from disk and time their budgets; the library may not.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use std::sync::LazyLock;
use std::time::{Duration, Instant};

use cf_core::deps::{DependencyError, parse_dependency, validate_segment};
use cf_core::task::{Priority, TaskParseError, parse_task};
use proptest::prelude::*;
use regex::Regex;

/// The reference for one safe segment, written independently of `validate_segment`.
fn reference_segment(s: &str) -> bool {
    static PATTERN: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\A[A-Za-z0-9._-]+\z").expect("segment regex"));
    PATTERN.is_match(s) && s != "." && s != ".." && s.len() <= 200
}

/// The reference for a dependency entry: exactly `seg:seg`.
fn reference_dependency(s: &str) -> Option<(String, String)> {
    static PATTERN: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\A([^:]*):([^:]*)\z").expect("dependency regex"));
    let caps = PATTERN.captures(s)?;
    let (project, task) = (&caps[1], &caps[2]);
    (reference_segment(project) && reference_segment(task))
        .then(|| (project.to_string(), task.to_string()))
}

/// Characters that make segment validation interesting: the allowed set, separators, dots,
/// whitespace, controls and Unicode look-alikes that `is_alphanumeric` would accept.
fn segmentish_char() -> impl Strategy<Value = char> {
    prop_oneof![
        8 => prop::sample::select(
            "abzAZ09._-".chars().collect::<Vec<_>>()
        ),
        4 => prop::sample::select(vec![
            ':', '/', '\\', '.', ' ', '\t', '\n', '\r', '\0', '\u{1b}', '*', '?', '$', '~', '%',
            '\u{ff1a}', // fullwidth colon
            '\u{ff41}', // fullwidth a
            '\u{e9}',   // é
            '\u{663}',  // Arabic-Indic digit three
            '\u{2024}', // one dot leader
            '\u{2215}', // division slash
            '\u{200b}', // zero-width space
            '\u{feff}', // BOM
        ]),
        1 => any::<char>(),
    ]
}

fn segmentish_string(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(segmentish_char(), 0..max).prop_map(|cs| cs.into_iter().collect())
}

/// A dependency-shaped string: mostly `a:b` with hostile pieces, sometimes anything.
fn dependencyish() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (segmentish_string(8), segmentish_string(8)).prop_map(|(a, b)| format!("{a}:{b}")),
        2 => segmentish_string(16),
        1 => prop::sample::select(vec![".", "..", "...", "", ":"]).prop_flat_map(|side| {
            segmentish_string(6).prop_map(move |other| format!("{side}:{other}"))
        }),
        1 => prop::sample::select(vec![".", "..", "...", "", ":"]).prop_flat_map(|side| {
            segmentish_string(6).prop_map(move |other| format!("{other}:{side}"))
        }),
        1 => any::<String>(),
    ]
}

/// A YAML-ish value fragment for a frontmatter line: scalars, lists, maps, anchors and aliases,
/// broken quoting, tabs and controls.
fn yaml_value() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "critical",
            "HIGH",
            "low",
            "default",
            "urgent",
            "5",
            "-1",
            "3.5",
            "true",
            "no",
            "~",
            "null",
            "''",
            "\"\"",
            "[]",
            "{}",
            "[a, b]",
            "[[a]]",
            "{a: b}",
            "[a, {b: c}]",
            "&x [a]",
            "*x",
            "&x a",
            "!!str x",
            "!!binary aGk=",
            "!custom x",
            "|\n  block",
            ">\n  folded",
            "\"unterminated",
            "'unterminated",
            "[unclosed",
            "{unclosed",
            "a: b: c",
            "- a",
            "\t",
            "\"\\x1b[201~\"",
            "\"\\0\"",
            "alpha:beta",
            "../../tmp:foo",
            "[\"a/b:c\", \":x\"]",
            "<<: *x",
            "? complex",
            "%YAML 1.2",
            "---",
            "...",
        ])
        .prop_map(str::to_string),
        "[ -~]{0,20}",
        any::<String>().prop_map(|s| s.chars().take(20).collect()),
    ]
}

fn yaml_key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "title",
            "priority",
            "tags",
            "needs_claude_code",
            "depends_on",
            "preferred_ai",
            "allow_delegation",
            "complexity_hint",
            "other",
            "<<",
            "? x",
            "- item",
            "",
        ])
        .prop_map(str::to_string),
        "[a-z_]{1,8}",
    ]
}

/// A whole task file shaped like frontmatter + body, with optional BOM, CRLF, missing fences.
fn frontmatter_shaped() -> impl Strategy<Value = String> {
    (
        any::<bool>(),
        any::<bool>(),
        prop::sample::select(vec!["---", "--- ", "---\t", "----", " ---", ""]),
        prop::collection::vec((yaml_key(), yaml_value(), 0usize..3), 0..8),
        prop::sample::select(vec!["---", "...", "--- ", "", "--"]),
        ".{0,40}",
    )
        .prop_map(|(bom, crlf, open, fields, close, body)| {
            let newline = if crlf { "\r\n" } else { "\n" };
            let mut text = String::new();
            if bom {
                text.push('\u{feff}');
            }
            text.push_str(open);
            text.push_str(newline);
            for (key, value, indent) in fields {
                text.push_str(&" ".repeat(indent));
                text.push_str(&key);
                text.push_str(": ");
                text.push_str(&value);
                text.push_str(newline);
            }
            text.push_str(close);
            text.push_str(newline);
            text.push_str(&body);
            text
        })
}

/// Checks what holds for any input: no panic, and a result that agrees with the input.
fn check_parse_consistency(bytes: &[u8]) -> Result<(), TestCaseError> {
    let result = parse_task(bytes);
    let Ok(text) = std::str::from_utf8(bytes) else {
        let valid = std::str::from_utf8(bytes).err().map(|e| e.valid_up_to());
        match result {
            Err(TaskParseError::NotUtf8 { offset, line }) => {
                prop_assert_eq!(Some(offset), valid);
                let newlines = bytes[..offset].iter().filter(|&&b| b == b'\n').count();
                prop_assert_eq!(line, newlines + 1);
            }
            other => prop_assert!(false, "non-utf-8 input gave {:?}", other),
        }
        return Ok(());
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let opens = text
        .split_inclusive('\n')
        .next()
        .is_some_and(|l| l.trim_end_matches(['\n', '\r', ' ', '\t']) == "---");
    match result {
        Ok(doc) => {
            prop_assert!(
                text.ends_with(&doc.body),
                "body {:?} is not the tail of {:?}",
                doc.body,
                text
            );
            if !opens {
                prop_assert_eq!(&doc.body, text);
            }
            for entry in &doc.frontmatter.depends_on {
                // Whatever the file says, the entries are only ever validated, never trusted.
                let _ = parse_dependency(entry);
            }
        }
        Err(TaskParseError::NotUtf8 { .. }) => prop_assert!(false, "utf-8 input refused"),
        Err(TaskParseError::UnclosedFrontmatter) => prop_assert!(opens),
        Err(e @ TaskParseError::Frontmatter { .. }) => {
            prop_assert!(opens, "frontmatter error without frontmatter: {}", e);
            let lines = text.split_inclusive('\n').count().max(1);
            let line = e.line().unwrap_or(0);
            prop_assert!(
                (2..=lines + 1).contains(&line),
                "line {} outside 2..={} for {:?}",
                line,
                lines + 1,
                text
            );
            let message = e.to_string();
            prop_assert!(
                !message.chars().any(|c| c.is_control()),
                "the error message must be one printable line: {:?}",
                message
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn parse_task_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        check_parse_consistency(&bytes)?;
    }

    #[test]
    fn parse_task_never_panics_on_bytes_after_a_fence(
        tail in prop::collection::vec(any::<u8>(), 0..1024),
        close in any::<bool>(),
    ) {
        let mut bytes = b"---\n".to_vec();
        bytes.extend_from_slice(&tail);
        if close {
            bytes.extend_from_slice(b"\n---\nbody\n");
        }
        check_parse_consistency(&bytes)?;
    }

    #[test]
    fn parse_task_never_panics_on_frontmatter_shaped_text(text in frontmatter_shaped()) {
        check_parse_consistency(text.as_bytes())?;
    }

    #[test]
    fn well_formed_frontmatter_round_trips(
        title in "[a-zA-Z0-9 _.,:;#&*!|>'\"%@`{}\\[\\]-]{0,30}",
        priority in prop::sample::select(Priority::ALL.to_vec()),
        upper in any::<bool>(),
        tags in prop::collection::vec("[a-z0-9:#-]{1,8}", 0..4),
        deps in prop::collection::vec(dependencyish(), 0..4),
        crlf in any::<bool>(),
        bom in any::<bool>(),
        body in "[^\r]{0,40}",
    ) {
        let json = |s: &str| yaml_quote(s);
        let list = |items: &[String]| {
            format!("[{}]", items.iter().map(|s| json(s)).collect::<Vec<_>>().join(", "))
        };
        let priority_text = if upper {
            priority.as_str().to_uppercase()
        } else {
            priority.as_str().to_string()
        };
        let nl = if crlf { "\r\n" } else { "\n" };
        let text = format!(
            "{bom}---{nl}title: {}{nl}priority: {priority_text}{nl}tags: {}{nl}depends_on: {}{nl}---{nl}{body}",
            json(&title),
            list(&tags),
            list(&deps),
            bom = if bom { "\u{feff}" } else { "" },
        );
        let doc = parse_task(text.as_bytes())
            .map_err(|e| TestCaseError::fail(format!("{e} in {text:?}")))?;
        prop_assert_eq!(doc.frontmatter.title.as_deref(), Some(title.as_str()));
        prop_assert_eq!(doc.frontmatter.priority, priority);
        prop_assert_eq!(&doc.frontmatter.tags, &tags);
        prop_assert_eq!(&doc.frontmatter.depends_on, &deps);
        prop_assert_eq!(doc.body, body);
    }

    #[test]
    fn validate_segment_matches_the_reference(s in prop_oneof![segmentish_string(12), any::<String>()]) {
        prop_assert_eq!(validate_segment(&s).is_ok(), reference_segment(&s), "segment {:?}", s);
    }

    #[test]
    fn parse_dependency_accepts_exactly_two_safe_segments(s in dependencyish()) {
        let got = parse_dependency(&s);
        match (reference_dependency(&s), got) {
            (Some((project, task)), Ok(dep)) => {
                prop_assert_eq!(&dep.project, &project);
                prop_assert_eq!(dep.task_id.as_str(), task.as_str());
                prop_assert_eq!(dep.to_string(), s);
            }
            (None, Err(e)) => {
                let colons = s.matches(':').count();
                if colons != 1 {
                    let is_colons = matches!(e, DependencyError::Colons { .. });
                    prop_assert!(is_colons, "{:?} has {} colons but got {:?}", s, colons, e);
                }
                let message = e.to_string();
                prop_assert!(
                    !message.chars().any(|c| c.is_control()),
                    "the refusal shows the entry escaped: {:?}",
                    message
                );
            }
            (reference, got) => prop_assert!(false, "{:?}: reference {:?}, got {:?}", s, reference, got),
        }
    }
}

/// A YAML double-quoted scalar for `s`, pure ASCII: everything but printable ASCII is written
/// as a `\u`/`\U` escape, so newlines, controls and BOMs survive the YAML round trip.
fn yaml_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            ' '..='~' => out.push(c),
            c if u32::from(c) <= 0xffff => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push_str(&format!("\\U{:08X}", u32::from(c))),
        }
    }
    out.push('"');
    out
}

#[test]
fn dependency_examples_from_the_issue_are_refused() {
    for entry in [
        "../../tmp:foo",
        "a/b:c",
        ":x",
        "x:",
        "nocolon",
        "",
        ":",
        "a:b:c",
        "alpha:..",
        "alpha:.",
        "..:x",
        ".:x",
        "alpha:x/../../y",
        "alpha:x\\y",
        "alpha: x",
        "alpha:x\n",
        "alpha:x\0",
        "alpha\u{ff1a}x",
        "\u{ff41}lpha:x",
        "alpha:\u{e9}",
        "alpha:x\u{200b}",
        "/etc:passwd",
        "~:x",
        "alpha:*",
    ] {
        assert!(
            parse_dependency(entry).is_err(),
            "{entry:?} must be refused, got {:?}",
            parse_dependency(entry)
        );
        assert!(
            reference_dependency(entry).is_none(),
            "reference agrees on {entry:?}"
        );
    }
    for entry in [
        "alpha:x",
        "a.b-c_d:...",
        "-rf:x",
        ".hidden:..x",
        "A9:z_9.md",
    ] {
        let dep = parse_dependency(entry).unwrap_or_else(|e| panic!("{entry:?}: {e}"));
        assert_eq!(dep.to_string(), entry);
        assert!(
            reference_dependency(entry).is_some(),
            "reference agrees on {entry:?}"
        );
    }
}

/// Parses `text` and demands a refusal within `limit`: hostile YAML must fail fast, not eat
/// memory or the stack.
#[track_caller]
fn assert_refused_quickly(what: &str, text: &str, limit: Duration) -> TaskParseError {
    let started = Instant::now();
    let result = parse_task(text.as_bytes());
    let took = started.elapsed();
    assert!(took < limit, "{what}: took {took:?}");
    match result {
        Err(e) => e,
        Ok(doc) => panic!("{what}: accepted as {:?}", doc.frontmatter),
    }
}

fn billion_laughs(field: &str) -> String {
    let mut yaml = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
    for pair in names.windows(2) {
        let (prev, next) = (pair[0], pair[1]);
        let refs = vec![format!("*{prev}"); 9].join(",");
        yaml.push_str(&format!("{next}: &{next} [{refs}]\n"));
    }
    format!("---\n{yaml}{field}: *i\n---\nbody\n")
}

#[test]
fn alias_bombs_are_refused_fast() {
    let limit = Duration::from_secs(2);
    for field in ["tags", "depends_on", "title", "unknown_key"] {
        let err = assert_refused_quickly(
            &format!("billion laughs in {field}"),
            &billion_laughs(field),
            limit,
        );
        assert!(
            matches!(err, TaskParseError::Frontmatter { .. }),
            "{field}: {err:?}"
        );
    }
    // Merge keys replayed many times.
    let mut merges = String::from("---\nbase: &b {x: 1, y: 2}\n");
    for i in 0..200 {
        merges.push_str(&format!("m{i}: {{<<: *b, <<: *b}}\n"));
    }
    merges.push_str("---\nbody\n");
    let err = assert_refused_quickly("merge keys replayed", &merges, limit);
    assert!(
        matches!(err, TaskParseError::Frontmatter { .. }),
        "merge keys: {err:?}"
    );
}

#[test]
fn deep_nesting_is_refused_without_overflowing_the_stack() {
    let limit = Duration::from_secs(2);
    let depth = 10_000;
    let cases = [
        (
            "flow sequences",
            format!(
                "---\ntags: {}{}\n---\n",
                "[".repeat(depth),
                "]".repeat(depth)
            ),
        ),
        (
            "flow mappings",
            format!(
                "---\nx: {}1{}\n---\n",
                "{a: ".repeat(depth),
                "}".repeat(depth)
            ),
        ),
        (
            "block sequences on one line",
            format!("---\ndepends_on:\n  {}x\n---\n", "- ".repeat(depth)),
        ),
        (
            "unclosed flow",
            format!("---\ntitle: {}\n---\n", "[".repeat(depth)),
        ),
        (
            "mixed",
            format!("---\nk: {}\n---\n", "[{a: ".repeat(depth / 2)),
        ),
    ];
    for (what, text) in cases {
        let err = assert_refused_quickly(what, &text, limit);
        assert!(
            matches!(err, TaskParseError::Frontmatter { .. }),
            "{what}: {err:?}"
        );
    }
    // Block mappings indented one more space per level (about 1 MB at depth 1,400).
    let mut block = String::from("---\n");
    for level in 0..1_400 {
        block.push_str(&" ".repeat(level));
        block.push_str("a:\n");
    }
    block.push_str("---\n");
    let err = assert_refused_quickly("block mappings", &block, limit);
    assert!(matches!(err, TaskParseError::Frontmatter { .. }), "{err:?}");
}

#[test]
fn wrong_types_name_the_field() {
    for (text, field) in [
        ("---\ndepends_on: 5\n---\n", "depends_on"),
        ("---\ndepends_on: {a: b}\n---\n", "depends_on"),
        ("---\ndepends_on: [[a]]\n---\n", "depends_on"),
        ("---\npriority: [a]\n---\n", "priority"),
        ("---\npriority: 7\n---\n", "priority"),
        ("---\ntags: {a: b}\n---\n", "tags"),
        ("---\ntags: solo\n---\n", "tags"),
        (
            "---\nneeds_claude_code: \"yes\"\n---\n",
            "needs_claude_code",
        ),
        ("---\ntitle: [1, 2]\n---\n", "title"),
    ] {
        match parse_task(text.as_bytes()) {
            Err(TaskParseError::Frontmatter { line, message }) => {
                assert_eq!(line, 2, "{text:?}: {message}");
                assert!(message.contains(field), "{text:?}: {message}");
            }
            other => panic!("{text:?}: {other:?}"),
        }
    }
}

#[test]
fn nul_bytes_and_controls_in_frontmatter_do_not_panic() {
    for text in [
        "---\ntitle: a\0b\n---\nbody\n",
        "---\ntitle: \"a\\0b\"\n---\nbody\n",
        "---\n\0\n---\nbody\n",
        "---\ntitle: \x1b[201~\n---\n",
        "---\ntitle: \u{85}\u{9b}\n---\n",
        "---\r\n\0\r\n---\r\n",
    ] {
        let _ = parse_task(text.as_bytes());
    }
}
