//! cf-git on real repositories in temp dirs: `HEAD` in each state, worktrees added, listed,
//! locked and removed, and what a task left in one.

use std::path::Path;
use std::process::Command;

use cf_git::{GitError, Head};

fn run(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?}");
}

fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    run(dir.path(), &["init", "-q", "-b", "main"]);
    dir
}

fn commit(dir: &Path, file: &str, message: &str) {
    std::fs::write(dir.join(file), message).expect("write");
    run(dir, &["add", file]);
    run(dir, &["commit", "-q", "-m", message]);
}

#[test]
fn head_is_told_apart_in_every_state() {
    let plain = tempfile::tempdir().expect("temp dir");
    assert!(matches!(
        cf_git::head(plain.path()),
        Err(GitError::NotARepo { .. })
    ));
    let repo = repo();
    let err = cf_git::head(repo.path()).expect_err("unborn");
    assert!(matches!(err, GitError::UnbornHead { .. }), "{err}");
    assert!(err.to_string().contains("no commit yet"), "{err}");
    commit(repo.path(), "a.txt", "first");
    let Head::Branch {
        name,
        commit: first,
    } = cf_git::head(repo.path()).expect("head")
    else {
        panic!("on a branch");
    };
    assert_eq!(name, "main");
    run(repo.path(), &["checkout", "-q", "--detach"]);
    assert_eq!(
        cf_git::head(repo.path()).expect("head"),
        Head::Detached {
            commit: first.clone()
        }
    );
    assert_eq!(cf_git::resolve(repo.path(), "main").expect("main"), first);
    assert!(matches!(
        cf_git::resolve(repo.path(), "nope"),
        Err(GitError::NoSuchRevision { .. })
    ));
    assert!(matches!(
        cf_git::resolve(repo.path(), "--output=/tmp/x"),
        Err(GitError::BadRef { .. })
    ));
}

#[test]
fn a_worktree_is_added_listed_locked_and_removed() {
    let repo = repo();
    commit(repo.path(), "a.txt", "first");
    let base = cf_git::resolve(repo.path(), "HEAD").expect("head");
    let path = repo.path().join(".agent-queue/worktrees/t1");
    cf_git::add_worktree(repo.path(), &path, "agent/t1", &base).expect("add");
    assert!(cf_git::branch_exists(repo.path(), "agent/t1").expect("exists"));
    assert_eq!(
        cf_git::current_branch(&path).expect("branch").as_deref(),
        Some("agent/t1")
    );
    assert!(!cf_git::is_dirty(&path).expect("clean"));
    commit(&path, "b.txt", "the task's change");
    std::fs::write(path.join("scratch.txt"), "left over").expect("write");
    assert!(cf_git::is_dirty(&path).expect("dirty"));
    let commits = cf_git::commits_since(&path, &base).expect("log");
    assert_eq!(commits.len(), 1);
    assert_eq!(commits[0].subject, "the task's change");
    // The main checkout is untouched.
    assert!(!repo.path().join("b.txt").exists());
    let listed = cf_git::worktrees(repo.path()).expect("list");
    let ours = listed
        .iter()
        .find(|w| w.branch.as_deref() == Some("agent/t1"))
        .expect("listed");
    assert!(!ours.locked);
    // git refuses to remove a dirty worktree, and so do we.
    assert!(cf_git::remove_worktree(repo.path(), &path).is_err());
    std::fs::remove_file(path.join("scratch.txt")).expect("clean up");
    run(repo.path(), &["worktree", "lock", &path.to_string_lossy()]);
    assert!(
        cf_git::worktrees(repo.path())
            .expect("list")
            .iter()
            .any(|w| w.locked)
    );
    run(
        repo.path(),
        &["worktree", "unlock", &path.to_string_lossy()],
    );
    cf_git::remove_worktree(repo.path(), &path).expect("remove");
    assert!(!path.exists());
    assert!(
        cf_git::branch_exists(repo.path(), "agent/t1").expect("exists"),
        "the branch stays for review"
    );
    // Its folder can be made again for the same branch (a resume after the folder was lost).
    cf_git::restore_worktree(repo.path(), &path, "agent/t1").expect("restore");
    assert!(path.join("b.txt").exists());
}
