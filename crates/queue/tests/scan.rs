//! Tests of `scan_inbox`: classification of every kind of inbox entry.

mod common;

use std::path::PathBuf;

use cf_queue::{SidecarKind, scan_inbox};
use common::{put, temp_project};

#[test]
fn classifies_tasks_dispatched_sidecars_and_rejects() {
    let (_dir, project) = temp_project();
    let inbox = project.inbox_dir();
    put(&project, "b-task.md", "hello");
    put(&project, "a-task.md", "x");
    put(&project, "a-task.md.invalid", "{}");
    put(&project, "a-task.md.blocked", "");
    put(&project, "run.md.dispatched", "running");
    put(&project, "run.md.delegated", "");
    put(&project, "gone.md.blocked", "");
    put(&project, "a:b.md", "bad name");
    put(&project, ".hidden.md", "ignored");
    put(&project, ".x.md.tmp-1-2", "ignored temp");
    put(&project, "README.txt", "other");
    std::fs::create_dir(inbox.join("dir.md")).unwrap();
    common::mkfifo(&inbox.join("pipe.md"));
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("t"), "x").unwrap();
    std::os::unix::fs::symlink(outside.path().join("t"), inbox.join("link.md")).unwrap();

    let scan = scan_inbox(&project).unwrap();

    let queued: Vec<&str> = scan.queued.iter().map(|q| q.id.as_str()).collect();
    assert_eq!(queued, ["a-task", "b-task"]);
    let a = &scan.queued[0];
    assert_eq!(a.file_name, "a-task.md");
    assert_eq!(a.path, inbox.join("a-task.md"));
    assert_eq!(a.size, 1);
    assert!(a.has_invalid_sidecar && a.has_blocked_sidecar && !a.has_delegated_sidecar);
    let b = &scan.queued[1];
    assert_eq!(b.size, 5);
    assert!(!b.has_invalid_sidecar && !b.has_blocked_sidecar);
    let age = jiff::Timestamp::now().duration_since(b.modified);
    assert!(
        age.as_secs() < 60,
        "modified is the file's mtime: {}",
        b.modified
    );

    assert_eq!(scan.dispatched.len(), 1);
    assert_eq!(scan.dispatched[0].id.as_str(), "run");
    assert_eq!(scan.dispatched[0].path, inbox.join("run.md.dispatched"));

    assert_eq!(scan.orphan_sidecars.len(), 1, "{:?}", scan.orphan_sidecars);
    assert_eq!(scan.orphan_sidecars[0].id.as_str(), "gone");
    assert_eq!(scan.orphan_sidecars[0].kind, SidecarKind::Blocked);

    let rejected: Vec<(PathBuf, &str)> = scan
        .rejected
        .iter()
        .map(|r| (r.path.clone(), r.reason.as_str()))
        .collect();
    let names: Vec<String> = rejected
        .iter()
        .map(|(p, _)| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["a:b.md", "dir.md", "link.md", "pipe.md"]);
    assert!(rejected[0].1.contains("task id"), "{}", rejected[0].1);
    assert!(rejected[1].1.contains("directory"), "{}", rejected[1].1);
    assert!(rejected[2].1.contains("symbolic link"), "{}", rejected[2].1);
    assert!(rejected[3].1.contains("fifo"), "{}", rejected[3].1);

    assert_eq!(scan.other, [inbox.join("README.txt")]);
}

#[test]
fn missing_inbox_is_an_error_naming_it() {
    let (_dir, project) = temp_project();
    std::fs::remove_dir_all(project.inbox_dir()).unwrap();
    let err = scan_inbox(&project).unwrap_err();
    assert!(err.to_string().contains("inbox"), "{err}");
}

/// What the daemon does with a scan: every rejected entry gets an `.invalid` marker (unless a
/// current one exists), once per pass.
fn mark_rejected(project: &cf_queue::Project) -> cf_queue::InboxScan {
    let scan = scan_inbox(project).unwrap();
    for rejected in &scan.rejected {
        if cf_queue::invalid_marker_current(&rejected.path)
            .unwrap()
            .is_none()
        {
            cf_queue::mark_invalid(&rejected.path, &rejected.reason).unwrap();
        }
    }
    scan
}

fn inbox_names(project: &cf_queue::Project) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(project.inbox_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn the_invalid_marker_of_a_badly_named_task_is_never_rejected_in_turn() {
    let (_dir, project) = temp_project();
    put(&project, "a:b.md", "a name that is no task id");
    put(&project, "ok.md", "fine");
    for pass in 0..3 {
        let scan = mark_rejected(&project);
        let rejected: Vec<String> = scan
            .rejected
            .iter()
            .map(|r| r.path.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(rejected, ["a:b.md"], "pass {pass}");
        let queued: Vec<&str> = scan.queued.iter().map(|q| q.id.as_str()).collect();
        assert_eq!(queued, ["ok"], "pass {pass}");
        assert!(scan.orphan_sidecars.is_empty(), "pass {pass}");
        assert_eq!(
            inbox_names(&project),
            ["a:b.md", "a:b.md.invalid", "ok.md"],
            "pass {pass}: one marker, no marker of the marker"
        );
    }
}

#[test]
fn a_sidecar_of_a_removed_badly_named_task_is_listed_as_other() {
    let (_dir, project) = temp_project();
    let bad = put(&project, "a:b.md", "x");
    mark_rejected(&project);
    std::fs::remove_file(&bad).unwrap();
    put(&project, "c:d.md.blocked", "");
    let scan = mark_rejected(&project);
    assert!(scan.rejected.is_empty(), "{:?}", scan.rejected);
    assert!(scan.queued.is_empty() && scan.orphan_sidecars.is_empty());
    let inbox = project.inbox_dir();
    assert_eq!(
        scan.other,
        [inbox.join("a:b.md.invalid"), inbox.join("c:d.md.blocked")]
    );
    assert_eq!(inbox_names(&project), ["a:b.md.invalid", "c:d.md.blocked"]);
}

#[test]
fn names_with_spaces_and_accents_are_tasks_that_run_through_the_queue() {
    let (_dir, project) = temp_project();
    let inbox = project.inbox_dir();
    put(&project, "Fix login bug.md", "The login page is broken.");
    put(&project, "Ünïcode tâche.md", "Une tâche.");
    put(&project, "quote'name $(x).md", "Quotes and a dollar.");
    let scan = mark_rejected(&project);
    assert!(scan.rejected.is_empty(), "{:?}", scan.rejected);
    let queued: Vec<&str> = scan.queued.iter().map(|q| q.id.as_str()).collect();
    assert_eq!(
        queued,
        ["Fix login bug", "quote'name $(x)", "Ünïcode tâche"]
    );
    for q in &scan.queued {
        let cf_queue::Claim::Claimed { dispatched_path } = cf_queue::claim(&q.path).unwrap() else {
            panic!("{} was not claimed", q.file_name);
        };
        assert_eq!(
            dispatched_path,
            inbox.join(format!("{}.md.dispatched", q.id))
        );
        let done = cf_queue::finish(
            &project,
            &dispatched_path,
            cf_queue::Destination::Done,
            "\n---\nfooter\n",
        )
        .unwrap();
        assert_eq!(done, project.done_dir().join(format!("{}.md", q.id)));
    }
    assert!(
        inbox_names(&project).is_empty(),
        "{:?}",
        inbox_names(&project)
    );
}

#[test]
fn names_with_colons_or_controls_are_refused_with_a_reason_and_hidden_ones_ignored() {
    let (_dir, project) = temp_project();
    put(&project, "a:b.md", "x");
    put(&project, "esc\u{1b}[201~.md", "x");
    put(&project, "tab\tname.md", "x");
    put(&project, ".hidden.md", "x");
    let scan = mark_rejected(&project);
    let reasons: Vec<(String, &str)> = scan
        .rejected
        .iter()
        .map(|r| {
            let name = r.path.file_name().unwrap().to_string_lossy().into_owned();
            (name, r.reason.as_str())
        })
        .collect();
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    for (name, reason) in &reasons {
        assert!(
            reason.contains("task id") && reason.contains("rename the file"),
            "{name:?}: {reason}"
        );
        assert!(
            !reason.chars().any(char::is_control),
            "{name:?}: escaped: {reason:?}"
        );
    }
    assert!(reasons[0].1.contains("':'"), "{reasons:?}");
    assert!(scan.queued.is_empty());
    let names = inbox_names(&project);
    assert!(
        !names.iter().any(|n| n.starts_with(".hidden.md.")),
        "a hidden file is left alone: {names:?}"
    );
}
