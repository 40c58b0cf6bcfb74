//! Tests of project discovery and queue layout creation.

use std::fs;

use cf_queue::{ProblemKind, discover_projects};

#[test]
fn finds_projects_with_queues_and_extra_roots() {
    let dir = tempfile::tempdir().unwrap();
    let projects = dir.path().join("projects");
    fs::create_dir(&projects).unwrap();
    fs::create_dir_all(projects.join("alpha/.agent-queue")).unwrap();
    fs::create_dir_all(projects.join("beta/.agent-queue/inbox")).unwrap();
    fs::create_dir_all(projects.join("no-queue")).unwrap();
    fs::create_dir_all(projects.join(".hidden/.agent-queue")).unwrap();
    fs::create_dir_all(projects.join("bad name/.agent-queue")).unwrap();
    // A symlinked project folder is followed and noted.
    let elsewhere = dir.path().join("elsewhere/gamma");
    fs::create_dir_all(elsewhere.join(".agent-queue")).unwrap();
    std::os::unix::fs::symlink(&elsewhere, projects.join("gamma")).unwrap();
    // Extra roots: a new one (layout created), one that duplicates a discovered one by path,
    // and one whose name clashes with a different folder.
    let extra = dir.path().join("extra/delta");
    fs::create_dir_all(&extra).unwrap();
    let clash = dir.path().join("other/alpha");
    fs::create_dir_all(&clash).unwrap();
    let missing = dir.path().join("missing/epsilon");

    let found = discover_projects(
        &projects,
        &[
            extra.clone(),
            projects.join("beta"),
            clash.clone(),
            missing.clone(),
        ],
    )
    .unwrap();

    let names: Vec<&str> = found.projects.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["alpha", "beta", "delta", "gamma"]);
    for p in &found.projects {
        assert!(
            p.inbox_dir().is_dir() && p.done_dir().is_dir() && p.failed_dir().is_dir(),
            "{p:?}"
        );
    }
    assert_eq!(found.projects[2].root, extra);

    let problem = |path: &std::path::Path| {
        found
            .problems
            .iter()
            .find(|p| p.path == path)
            .map(|p| p.kind.clone())
    };
    assert_eq!(
        problem(&projects.join("bad name")),
        Some(ProblemKind::InvalidName)
    );
    assert_eq!(
        problem(&clash),
        Some(ProblemKind::DuplicateName {
            kept: projects.join("alpha")
        })
    );
    assert_eq!(
        problem(&projects.join("gamma")),
        Some(ProblemKind::Symlinked { target: elsewhere })
    );
    assert!(
        matches!(problem(&missing), Some(ProblemKind::Unusable { .. })),
        "{:?}",
        found.problems
    );
    assert!(
        !clash.join(".agent-queue").exists(),
        "a skipped duplicate gets no layout"
    );
    assert_eq!(found.problems.len(), 4, "{:?}", found.problems);
    for p in &found.problems {
        assert!(p.to_string().contains(&*p.path.to_string_lossy()));
    }
}

#[test]
fn a_missing_projects_dir_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = discover_projects(&dir.path().join("nope"), &[]).unwrap_err();
    assert!(err.to_string().contains("nope"), "{err}");
}
