//! Tests for dependency references, done-file matching and cycle finding.

use super::*;

fn id(s: &str) -> TaskId {
    TaskId::parse(s).unwrap()
}

#[test]
fn segments_accept_safe_names() {
    for ok in ["a", "A-b_c.9", "...", ".hidden", "x..y", "-", "_"] {
        assert_eq!(validate_segment(ok), Ok(()), "{ok}");
    }
}

#[test]
fn segments_refuse_unsafe_names() {
    assert_eq!(validate_segment(""), Err(SegmentError::Empty));
    assert_eq!(
        validate_segment("."),
        Err(SegmentError::DotName(".".into()))
    );
    assert_eq!(
        validate_segment(".."),
        Err(SegmentError::DotName("..".into()))
    );
    for bad in ["a/b", "a b", "a\0b", "é", "a\\b", "a:b", "a\n", "~", "a*"] {
        assert!(
            matches!(
                validate_segment(bad),
                Err(SegmentError::BadCharacter { .. })
            ),
            "{bad:?}"
        );
    }
    let err = validate_segment("ab/c").unwrap_err();
    assert_eq!(
        err,
        SegmentError::BadCharacter {
            segment: "ab/c".into(),
            character: '/',
            byte_offset: 2
        }
    );
    assert!(err.to_string().contains("'/'"), "{err}");
}

#[test]
fn dependency_parses_project_and_task() {
    let dep = parse_dependency("web-app:TASK-12.v2").unwrap();
    assert_eq!(dep.project, "web-app");
    assert_eq!(dep.task_id.as_str(), "TASK-12.v2");
    assert_eq!(dep.to_string(), "web-app:TASK-12.v2");
}

#[test]
fn dependency_refuses_hostile_entries() {
    let colon_cases = [("nocolon", 0), ("a:b:c", 2), ("", 0)];
    for (entry, colons) in colon_cases {
        match parse_dependency(entry) {
            Err(DependencyError::Colons { colons: c, .. }) => assert_eq!(c, colons, "{entry}"),
            other => panic!("{entry}: {other:?}"),
        }
    }
    for entry in [
        "../../tmp:foo",
        "a/b:c",
        ":x",
        "..:x",
        " a:b",
        "p\0:x",
        "é:x",
    ] {
        assert!(
            matches!(
                parse_dependency(entry),
                Err(DependencyError::Project { .. })
            ),
            "{entry:?}"
        );
    }
    for entry in ["x:", "x:..", "x:a b", "x:a\tb", "x:ü", "x:../y", "x:b\n"] {
        assert!(
            matches!(parse_dependency(entry), Err(DependencyError::TaskId { .. })),
            "{entry:?}"
        );
    }
    let msg = parse_dependency("../../tmp:foo").unwrap_err().to_string();
    assert!(msg.contains("project part"), "{msg}");
    let msg = parse_dependency("p:a\0b").unwrap_err().to_string();
    assert!(msg.contains("task id part") && msg.contains("\\0"), "{msg}");
}

#[test]
fn done_file_matching_follows_the_glob() {
    let t = id("T1");
    assert!(done_file_matches(&t, "T1.md"));
    assert!(done_file_matches(&t, "T1-retry.md"));
    assert!(
        done_file_matches(&t, "T10.md"),
        "the spec's glob `<id>*.md` matches this"
    );
    assert!(!done_file_matches(&t, "T1.md.dispatched"));
    assert!(!done_file_matches(&t, "T1"));
    assert!(!done_file_matches(&t, "XT1.md"));
    assert!(!done_file_matches(&t, "t1.md"));
    // The prefix and the suffix must not overlap: `a.m*.md` needs at least 6 characters.
    assert!(!done_file_matches(&id("a.m"), "a.md"));
    assert!(done_file_matches(&id("a.m"), "a.m.md"));
}

fn n(s: &str) -> Node {
    let (p, t) = s.split_once(':').unwrap();
    (p.to_string(), t.to_string())
}

fn edges(list: &[(&str, &str)]) -> Vec<(Node, Node)> {
    list.iter().map(|(a, b)| (n(a), n(b))).collect()
}

fn cycles(list: &[(&str, &str)]) -> Vec<Vec<String>> {
    find_cycles(&edges(list))
        .into_iter()
        .map(|c| c.into_iter().map(|(p, t)| format!("{p}:{t}")).collect())
        .collect()
}

#[test]
fn no_cycles_in_a_dag() {
    assert!(cycles(&[]).is_empty());
    assert!(cycles(&[("p:a", "p:b"), ("p:b", "p:c"), ("p:a", "p:c")]).is_empty());
}

#[test]
fn finds_two_cycles_self_loops_and_long_cycles_once() {
    assert_eq!(
        cycles(&[("p:a", "q:b"), ("q:b", "p:a")]),
        vec![vec!["p:a", "q:b"]]
    );
    assert_eq!(cycles(&[("p:a", "p:a")]), vec![vec!["p:a"]]);
    assert_eq!(
        cycles(&[
            ("p:c", "p:a"),
            ("p:a", "p:b"),
            ("p:b", "p:c"),
            ("p:c", "p:d")
        ]),
        vec![vec!["p:a", "p:b", "p:c"]]
    );
    // Two cycles sharing a node, plus a duplicate edge.
    assert_eq!(
        cycles(&[
            ("p:a", "p:b"),
            ("p:b", "p:a"),
            ("p:b", "p:c"),
            ("p:c", "p:b"),
            ("p:c", "p:b"),
        ]),
        vec![vec!["p:a", "p:b"], vec!["p:b", "p:c"]]
    );
}

#[test]
fn complete_graph_cycles_are_all_found_and_capped() {
    // K4 has 20 elementary cycles (6 of length 2, 8 of length 3, 6 of length 4).
    let names = ["p:a", "p:b", "p:c", "p:d"];
    let list: Vec<(&str, &str)> = names
        .iter()
        .flat_map(|a| names.iter().filter(move |b| *b != a).map(move |b| (*a, *b)))
        .collect();
    assert_eq!(cycles(&list).len(), 20);
    // K8 has far more than the cap.
    let many: Vec<String> = (0..8).map(|i| format!("p:{i}")).collect();
    let list: Vec<(&str, &str)> = many
        .iter()
        .flat_map(|a| {
            many.iter()
                .filter(move |b| *b != a)
                .map(move |b| (a.as_str(), b.as_str()))
        })
        .collect();
    assert_eq!(cycles(&list).len(), MAX_REPORTED_CYCLES);
}
