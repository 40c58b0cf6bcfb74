//! Tests of task ids: file stems with spaces and accents are ids, names that would hide a
//! file, cross a folder or type keys are not, and `depends_on` keeps the strict rule.

use super::*;
use crate::deps::{DependencyError, parse_dependency};

#[test]
fn file_stems_with_spaces_accents_and_quotes_are_ids() {
    for name in [
        "Fix login bug.md",
        "Ünïcode tâche.md",
        "quote'name.md",
        "$(touch pwned).md",
        "semi;colon.md",
        "back\\slash.md",
        "-rf.md",
        "TASK-1.md",
        "日本語のタスク.md",
        "trailing space .md",
    ] {
        let id = TaskId::from_file_name(name).unwrap_or_else(|e| panic!("{name:?}: {e}"));
        assert_eq!(format!("{id}.md"), name);
    }
    assert_eq!(
        TaskId::parse("Fix login bug").map(|id| id.to_string()),
        Ok("Fix login bug".to_string())
    );
}

#[test]
fn a_colon_or_a_slash_is_refused_with_the_character_named() {
    let err = TaskId::from_file_name("a:b.md").unwrap_err();
    assert_eq!(
        err.to_string(),
        "task file `a:b.md`: task id `a:b` has the character ':' at byte 1; `/`, `:` and \
         control characters (line breaks, escapes, bidirectional controls) are not allowed"
    );
    assert_eq!(
        TaskId::parse("ab/c"),
        Err(TaskIdError::BadCharacter {
            id: "ab/c".into(),
            character: '/',
            byte_offset: 2,
        })
    );
}

#[test]
fn control_characters_are_refused_and_shown_escaped() {
    for bad in [
        "new\nline",
        "tab\tname",
        "cr\rname",
        "esc\u{1b}[201~name",
        "nul\0name",
        "del\u{7f}name",
        "c1\u{85}name",
        "csi\u{9b}name",
        "line\u{2028}separator",
        "bidi\u{202e}dm.exe",
        "isolate\u{2066}x",
    ] {
        let err = TaskId::parse(bad).unwrap_err();
        assert!(
            matches!(err, TaskIdError::BadCharacter { .. }),
            "{bad:?}: {err:?}"
        );
        let message = err.to_string();
        assert!(message.contains("control characters"), "{bad:?}: {message}");
        assert!(
            !message.chars().any(|c| c.is_control() || c == '\u{202e}'),
            "{bad:?}: the refusal shows the id escaped: {message:?}"
        );
    }
}

#[test]
fn hidden_names_dot_names_and_empty_names_are_refused() {
    let err = TaskId::from_file_name(".hidden.md").unwrap_err();
    assert_eq!(
        err.to_string(),
        "task file `.hidden.md`: task id `.hidden` starts with `.`, which makes a hidden file; \
         remove the leading dot"
    );
    assert_eq!(TaskId::parse("."), Err(TaskIdError::DotName(".".into())));
    assert_eq!(TaskId::parse(".."), Err(TaskIdError::DotName("..".into())));
    assert_eq!(TaskId::parse(""), Err(TaskIdError::Empty));
    assert!(TaskId::from_file_name(".md").is_err());
    assert!(TaskId::from_file_name("a.txt").is_err());
    // A dot elsewhere is fine.
    assert!(TaskId::parse("v1.2..final.").is_ok());
}

#[test]
fn the_length_cap_counts_bytes() {
    assert!(TaskId::parse(&"é".repeat(100)).is_ok(), "200 bytes");
    let err = TaskId::parse(&format!("{}x", "é".repeat(100))).unwrap_err();
    assert_eq!(err, TaskIdError::TooLong(201));
    assert_eq!(
        err.to_string(),
        "task id is 201 bytes long; keep it to 200 bytes"
    );
}

#[test]
fn depends_on_keeps_the_strict_rule() {
    for entry in [
        "web:Fix login bug",
        "web:Ünïcode",
        "web:quote'name",
        "web:a b",
    ] {
        let task = entry.split_once(':').map(|(_, t)| t).unwrap_or_default();
        assert!(TaskId::parse(task).is_ok(), "{task:?} is an id");
        assert!(
            matches!(parse_dependency(entry), Err(DependencyError::TaskId { .. })),
            "{entry:?} is no reference"
        );
    }
    let err = parse_dependency("web:Fix login bug")
        .unwrap_err()
        .to_string();
    assert!(err.contains("task id part") && err.contains("' '"), "{err}");
    let dep = parse_dependency("web:TASK-1").unwrap();
    assert_eq!(dep.task_id.as_str(), "TASK-1");
    assert_eq!(dep.to_string(), "web:TASK-1");
}
