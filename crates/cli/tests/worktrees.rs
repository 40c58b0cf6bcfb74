//! Parallel agents on one project, end to end with the fake agent on a private tmux server:
//! with `isolation: worktree` three parallel tasks get three branches, each with only its own
//! commit, the main checkout untouched and the worktree folders gone afterwards; with
//! `max_running: 1` the project's turns never overlap while another project's run beside them; a
//! swap in the middle of a worktree task resumes its conversation in the same worktree.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use claude_failover::sandbox::Sandbox;
use support::{DaemonProcess, is_done, wait_until};

/// Runs git in `dir` (with an identity, as an operator's checkout has one); its stdout.
fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "operator")
        .env("GIT_AUTHOR_EMAIL", "operator@example.invalid")
        .env("GIT_COMMITTER_NAME", "operator")
        .env("GIT_COMMITTER_EMAIL", "operator@example.invalid")
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// Makes `project` a git repository with one commit; its queue folder is ignored, as an
/// operator's `.gitignore` would.
fn make_repository(sandbox: &Sandbox, project: &str) -> std::path::PathBuf {
    let dir = sandbox.projects_dir.join(project);
    git(&dir, &["init", "-q", "-b", "main"]);
    std::fs::write(dir.join(".git/info/exclude"), ".agent-queue/\n").expect("exclude");
    std::fs::write(dir.join("README.md"), "the project\n").expect("readme");
    git(&dir, &["add", "README.md"]);
    git(&dir, &["commit", "-q", "-m", "start"]);
    dir
}

fn settings(sandbox: &Sandbox, project: &str, text: &str) {
    let path = sandbox
        .projects_dir
        .join(project)
        .join(".agent-queue/config.yaml");
    std::fs::write(path, text).expect("project settings");
}

#[test]
fn parallel_tasks_get_a_worktree_and_a_branch_each() {
    let mut spec = support::spec();
    spec.pool_size = 3;
    let sandbox = Sandbox::create(&spec).expect("sandbox");
    let repo = make_repository(&sandbox, "alpha");
    settings(&sandbox, "alpha", "isolation: worktree\n");
    let ids = ["w1", "w2", "w3"];
    for id in ids {
        let body = format!("Add your file. fake-agent:commit={id}.txt fake-agent:work=2s");
        sandbox.add_task("alpha", id, &body).expect("add");
    }
    let daemon = DaemonProcess::start(&sandbox, "worktrees");
    wait_until(Duration::from_secs(90), "the three tasks are done", || {
        ids.iter().all(|id| is_done(&sandbox, "alpha", id))
    });
    let worktrees = repo.join(".agent-queue/worktrees");
    for id in ids {
        let branch = format!("agent/{id}");
        let range = format!("main..{branch}");
        assert_eq!(
            git(&repo, &["log", "--format=%s", &range]),
            format!("fake-agent: add {id}.txt"),
            "{branch} has only its own commit"
        );
        assert_eq!(
            git(&repo, &["diff", "--name-only", "main", &branch]),
            format!("{id}.txt")
        );
        assert!(
            !worktrees.join(id).exists(),
            "{id}'s clean worktree is removed"
        );
        let done = std::fs::read_to_string(repo.join(format!(".agent-queue/done/{id}.md")))
            .expect("done file");
        assert!(done.contains(&format!("- branch: {branch}\n")), "{done}");
        assert!(
            done.contains("- commits: 1: ") && done.contains(&format!("add {id}.txt")),
            "{done}"
        );
        assert!(
            done.contains("- dirty: no\n") && !done.contains("- worktree: "),
            "{done}"
        );
    }
    // Each agent ran in its own worktree; the main checkout is as it was.
    for record in sandbox.records() {
        let cwd = record["cwd"].as_str().unwrap_or_default();
        assert!(cwd.starts_with(&worktrees.display().to_string()), "{cwd}");
    }
    assert_eq!(
        git(&repo, &["status", "--porcelain"]),
        "",
        "main checkout untouched"
    );
    assert_eq!(git(&repo, &["log", "--format=%s", "main"]), "start");
    let tasks = support::cli_stdout(&sandbox, &["tasks", "--json"]);
    assert!(tasks.contains("\"branch\": \"agent/w1\""), "{tasks}");
    drop(daemon);
}

/// Each turn of a project's tasks, as (start, end) times from the fake agent's record.
fn turns_of(sandbox: &Sandbox, prefix: char) -> Vec<(jiff::Timestamp, jiff::Timestamp)> {
    let ends = sandbox.turn_ends();
    sandbox
        .records()
        .iter()
        .filter(|r| {
            r["prompt"]
                .as_str()
                .is_some_and(|p| p.starts_with(&format!("[{prefix}")))
        })
        .map(|r| {
            let start: jiff::Timestamp = r["ts"].as_str().expect("ts").parse().expect("time");
            let end = ends
                .iter()
                .find(|e| e["session_id"] == r["session_id"])
                .and_then(|e| e["ts"].as_str())
                .expect("its turn ended")
                .parse()
                .expect("time");
            (start, end)
        })
        .collect()
}

#[test]
fn a_project_that_allows_one_task_never_runs_two_at_once() {
    let mut spec = support::spec();
    spec.pool_size = 3;
    let sandbox = Sandbox::create(&spec).expect("sandbox");
    settings(&sandbox, "alpha", "max_running: 1\n");
    for id in ["a1", "a2", "a3"] {
        sandbox
            .add_task("alpha", id, "Edit the checkout. fake-agent:work=1500ms")
            .expect("add");
    }
    for id in ["b1", "b2"] {
        sandbox
            .add_task("beta", id, "Edit the other one. fake-agent:work=1500ms")
            .expect("add");
    }
    let daemon = DaemonProcess::start(&sandbox, "limits");
    wait_until(Duration::from_secs(90), "every task is done", || {
        ["a1", "a2", "a3"]
            .iter()
            .all(|id| is_done(&sandbox, "alpha", id))
            && ["b1", "b2"].iter().all(|id| is_done(&sandbox, "beta", id))
    });
    let mut alpha = turns_of(&sandbox, 'a');
    alpha.sort();
    assert_eq!(alpha.len(), 3);
    for pair in alpha.windows(2) {
        assert!(
            pair[0].1 <= pair[1].0,
            "alpha's turns overlap: {:?} and {:?}",
            pair[0],
            pair[1]
        );
    }
    let beta = turns_of(&sandbox, 'b');
    let overlaps =
        |x: &(jiff::Timestamp, jiff::Timestamp)| alpha.iter().any(|a| x.0 < a.1 && a.0 < x.1);
    assert!(
        beta.iter().any(overlaps),
        "beta ran beside alpha: {beta:?} / {alpha:?}"
    );
    drop(daemon);
}

#[test]
fn a_swap_in_the_middle_of_a_worktree_task_resumes_in_the_same_worktree() {
    let mut spec = support::spec();
    spec.accounts = vec!["a".into(), "b".into()];
    spec.pool_size = 1;
    let sandbox = Sandbox::create(&spec).expect("sandbox");
    let repo = make_repository(&sandbox, "alpha");
    settings(&sandbox, "alpha", "isolation: worktree\n");
    sandbox
        .add_task("alpha", "s1", "A long one. fake-agent:work=60s")
        .expect("add");
    let daemon = DaemonProcess::start(&sandbox, "worktree-swap");
    let worktree = repo.join(".agent-queue/worktrees/s1");
    wait_until(Duration::from_secs(30), "s1 works on account a", || {
        support::prompts_for(&sandbox, "s1")
            .first()
            .is_some_and(|r| r["account_marker"] == "a")
    });
    let first = support::prompts_for(&sandbox, "s1").remove(0);
    assert_eq!(first["cwd"], worktree.display().to_string());
    // Account a runs out in the middle of the turn.
    std::fs::write(sandbox.account_dir.join("fake-quota"), "session").expect("exhaust a");
    wait_until(Duration::from_secs(30), "s1 goes on on account b", || {
        sandbox.records().iter().any(|r| {
            r["prompt"] == "Continue from where you left off." && r["account_marker"] == "b"
        })
    });
    let resumed = sandbox
        .records()
        .into_iter()
        .find(|r| r["prompt"] == "Continue from where you left off.")
        .expect("the continue");
    assert_eq!(
        resumed["cwd"],
        worktree.display().to_string(),
        "the same worktree"
    );
    assert_eq!(
        resumed["session_id"], first["session_id"],
        "the same conversation"
    );
    wait_until(Duration::from_secs(30), "s1 is done", || {
        is_done(&sandbox, "alpha", "s1")
    });
    let done = std::fs::read_to_string(repo.join(".agent-queue/done/s1.md")).expect("done");
    assert!(
        done.contains("- branch: agent/s1\n") && done.contains("- account: b\n"),
        "{done}"
    );
    drop(daemon);
}
