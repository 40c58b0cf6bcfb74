//! Tests of claim, put back, finish, find_finished and add_task on a real filesystem.

mod common;

use std::fs;
use std::sync::{Arc, Barrier};

use cf_core::TaskId;
use cf_queue::{
    Claim, Destination, QueueError, add_task, claim, find_finished, finish, put_back, scan_inbox,
};
use common::{put, temp_project};

#[test]
fn claim_moves_and_refuses_to_overwrite() {
    let (_dir, project) = temp_project();
    let task = put(&project, "t1.md", "body");
    let dispatched = project.inbox_dir().join("t1.md.dispatched");
    assert_eq!(
        claim(&task).unwrap(),
        Claim::Claimed {
            dispatched_path: dispatched.clone()
        }
    );
    assert!(!task.exists());
    assert_eq!(fs::read_to_string(&dispatched).unwrap(), "body");
    assert_eq!(claim(&task).unwrap(), Claim::Gone);

    // Operator re-adds the same id while it runs: the running one is not overwritten.
    put(&project, "t1.md", "new body");
    assert_eq!(
        claim(&task).unwrap(),
        Claim::AlreadyDispatched {
            dispatched_path: dispatched.clone()
        }
    );
    assert_eq!(fs::read_to_string(&dispatched).unwrap(), "body");
    assert_eq!(fs::read_to_string(&task).unwrap(), "new body");
}

#[test]
fn claim_refuses_paths_that_are_not_tasks() {
    let (_dir, project) = temp_project();
    for name in ["a:b.md", ".hidden.md", "new\nline.md"] {
        let err = claim(&project.inbox_dir().join(name)).unwrap_err();
        assert!(
            matches!(err, QueueError::NotATaskPath { .. }),
            "{name:?}: {err:?}"
        );
    }
    let err = claim(&project.inbox_dir().join("x.txt")).unwrap_err();
    assert!(matches!(err, QueueError::NotATaskPath { .. }), "{err:?}");
}

#[test]
fn claim_race_has_exactly_one_winner_each_time() {
    let (_dir, project) = temp_project();
    for round in 0..100 {
        let task = put(&project, &format!("race-{round}.md"), "x");
        let barrier = Arc::new(Barrier::new(2));
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let barrier = Arc::clone(&barrier);
                let task = task.clone();
                std::thread::spawn(move || {
                    barrier.wait();
                    claim(&task).unwrap()
                })
            })
            .collect();
        let results: Vec<Claim> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let winners = results
            .iter()
            .filter(|r| matches!(r, Claim::Claimed { .. }))
            .count();
        assert_eq!(winners, 1, "round {round}: {results:?}");
        assert!(
            results.iter().all(|r| matches!(
                r,
                Claim::Claimed { .. } | Claim::Gone | Claim::AlreadyDispatched { .. }
            )),
            "{results:?}"
        );
        assert!(!task.exists());
    }
}

#[test]
fn put_back_restores_or_keeps_both() {
    let (_dir, project) = temp_project();
    let task = put(&project, "t2.md", "original");
    let Claim::Claimed { dispatched_path } = claim(&task).unwrap() else {
        panic!("not claimed")
    };
    assert_eq!(put_back(&dispatched_path).unwrap(), task);
    assert_eq!(fs::read_to_string(&task).unwrap(), "original");
    assert!(!dispatched_path.exists());

    // Re-added meanwhile: both are kept, the returned one under a new name.
    let Claim::Claimed { dispatched_path } = claim(&task).unwrap() else {
        panic!("not claimed")
    };
    fs::write(&task, "re-added").unwrap();
    let returned = put_back(&dispatched_path).unwrap();
    assert_eq!(returned, project.inbox_dir().join("t2-returned-1.md"));
    assert_eq!(fs::read_to_string(&returned).unwrap(), "original");
    assert_eq!(fs::read_to_string(&task).unwrap(), "re-added");
    let scan = scan_inbox(&project).unwrap();
    let ids: Vec<&str> = scan.queued.iter().map(|q| q.id.as_str()).collect();
    assert_eq!(ids, ["t2-returned-1", "t2"], "sorted by file name");

    let err = put_back(&dispatched_path).unwrap_err();
    assert!(err.to_string().contains("t2.md.dispatched"), "{err}");
}

#[test]
fn finish_writes_content_and_footer_and_removes_dispatched() {
    let (_dir, project) = temp_project();
    let task = put(&project, "t3.md", "do the thing");
    let Claim::Claimed { dispatched_path } = claim(&task).unwrap() else {
        panic!("not claimed")
    };
    let done = finish(
        &project,
        &dispatched_path,
        Destination::Done,
        "---\nran by ccl-auto-11\n",
    )
    .unwrap();
    assert_eq!(done, project.done_dir().join("t3.md"));
    assert_eq!(
        fs::read_to_string(&done).unwrap(),
        "do the thing\n---\nran by ccl-auto-11\n"
    );
    assert!(!dispatched_path.exists());
    let id = TaskId::parse("t3").unwrap();
    assert_eq!(find_finished(&project, &id), Some(done.clone()));
    // No temp file left behind.
    let leftovers: Vec<_> = fs::read_dir(project.done_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, [std::ffi::OsString::from("t3.md")]);

    // Finishing again: the dispatched file is gone, nothing is written, the error says where it is.
    let err = finish(&project, &dispatched_path, Destination::Done, "again").unwrap_err();
    match &err {
        QueueError::DispatchedGone { finished, .. } => assert_eq!(finished.as_ref(), Some(&done)),
        other => panic!("expected DispatchedGone, got {other:?}"),
    }
    assert!(err.to_string().contains("t3.md"), "{err}");
    assert_eq!(fs::read_dir(project.done_dir()).unwrap().count(), 1);
}

#[test]
fn finish_name_clash_keeps_both() {
    let (_dir, project) = temp_project();
    fs::write(project.failed_dir().join("t4.md"), "earlier run").unwrap();
    fs::write(project.failed_dir().join("t4-2.md"), "earlier run 2").unwrap();
    let task = put(&project, "t4.md", "body\n");
    let Claim::Claimed { dispatched_path } = claim(&task).unwrap() else {
        panic!("not claimed")
    };
    let failed = finish(
        &project,
        &dispatched_path,
        Destination::Failed,
        "failed: timeout\n",
    )
    .unwrap();
    assert_eq!(failed, project.failed_dir().join("t4-3.md"));
    assert_eq!(
        fs::read_to_string(&failed).unwrap(),
        "body\nfailed: timeout\n"
    );
    assert_eq!(
        fs::read_to_string(project.failed_dir().join("t4.md")).unwrap(),
        "earlier run"
    );
    let id = TaskId::parse("t4").unwrap();
    assert_eq!(
        find_finished(&project, &id),
        Some(project.failed_dir().join("t4.md"))
    );
    assert_eq!(
        find_finished(&project, &TaskId::parse("nope").unwrap()),
        None
    );
}

#[test]
fn finish_refuses_a_symlinked_dispatched_file() {
    let (_dir, project) = temp_project();
    let outside = tempfile::tempdir().unwrap();
    fs::write(outside.path().join("secret"), "secret").unwrap();
    let dispatched = project.inbox_dir().join("t5.md.dispatched");
    std::os::unix::fs::symlink(outside.path().join("secret"), &dispatched).unwrap();
    let err = finish(&project, &dispatched, Destination::Done, "footer").unwrap_err();
    assert!(err.to_string().contains("symbolic link"), "{err}");
    assert_eq!(fs::read_dir(project.done_dir()).unwrap().count(), 0);
}

#[test]
fn add_task_writes_atomically_and_refuses_existing_ids() {
    let (_dir, project) = temp_project();
    let id = TaskId::parse("new-task").unwrap();
    let path = add_task(&project, &id, b"# do it\n").unwrap();
    assert_eq!(path, project.inbox_dir().join("new-task.md"));
    assert_eq!(fs::read_to_string(&path).unwrap(), "# do it\n");
    let names: Vec<_> = fs::read_dir(project.inbox_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        names,
        [std::ffi::OsString::from("new-task.md")],
        "no temp file left"
    );

    let err = add_task(&project, &id, b"other").unwrap_err();
    assert!(
        matches!(err, QueueError::TaskExists { ref path } if path.ends_with("new-task.md")),
        "{err:?}"
    );
    assert!(err.to_string().contains("another task id"), "{err}");
    assert_eq!(fs::read_to_string(&path).unwrap(), "# do it\n");

    // Running under that id: refused too.
    claim(&path).unwrap();
    let err = add_task(&project, &id, b"other").unwrap_err();
    assert!(
        matches!(err, QueueError::TaskExists { ref path } if path.ends_with("new-task.md.dispatched")),
        "{err:?}"
    );
    assert!(!path.exists());
}
