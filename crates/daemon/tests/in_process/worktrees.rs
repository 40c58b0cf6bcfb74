//! Worktree tasks in-process (real git, scripted agents): a task goes on in its own worktree
//! after a swap, a retry, a restart, a lost tmux server and a lost folder; a task that depends on another starts from
//! its branch; a branch of the same name that is not the daemon's gets a suffix; and every way
//! a worktree cannot be made fails the task with the reason, the daemon going on.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::agent::Ending;
use crate::harness::{Harness, Spec};

fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

fn project_dir(h: &Harness, project: &str) -> PathBuf {
    h.root.join("projects").join(project)
}

/// Makes `project` a repository (`commit`: with a first commit) whose tasks run in worktrees.
fn worktree_project(h: &Harness, project: &str, commit: bool) -> PathBuf {
    let dir = project_dir(h, project);
    git(&dir, &["init", "-q", "-b", "main"]);
    std::fs::write(dir.join(".git/info/exclude"), ".agent-queue/\n").expect("exclude");
    if commit {
        std::fs::write(dir.join("README.md"), "x\n").expect("write");
        git(&dir, &["add", "README.md"]);
        git(&dir, &["commit", "-q", "-m", "start"]);
    }
    std::fs::write(
        h.queue(project, "").join("config.yaml"),
        "isolation: worktree\n",
    )
    .expect("settings");
    dir
}

/// Adds `line` to the config's `dispatcher:` section.
fn set_dispatcher(h: &Harness, line: &str) {
    let path = h.root.join("config.yaml");
    let text = std::fs::read_to_string(&path).expect("config");
    let text = text.replace("dispatcher:\n", &format!("dispatcher:\n  {line}\n"));
    std::fs::write(&path, text).expect("config");
}

fn continues(h: &Harness, conversation: &str) -> Vec<crate::terminal::Submitted> {
    h.term
        .submitted()
        .into_iter()
        .filter(|s| s.conversation == conversation && s.prompt.starts_with("Continue"))
        .collect()
}

#[tokio::test(start_paused = true)]
async fn a_worktree_task_goes_on_in_its_worktree_after_a_swap_a_restart_and_a_lost_server() {
    let mut h = Harness::new(&Spec {
        accounts: vec!["a", "b"],
        pool: 1,
        ..Spec::default()
    });
    worktree_project(&h, "alpha", true);
    // Worktrees outside the projects folder: trusted for each account on their own.
    let outside = h.root.join("worktrees");
    set_dispatcher(&h, &format!("worktrees_dir: {}", outside.display()));
    h.start().await;
    h.add_task("alpha", "t1", "Work in your own tree.");
    let (session, conversation) = h.until_one_runs().await;
    let worktree = std::fs::canonicalize(&outside)
        .expect("made")
        .join("alpha/t1");
    assert_eq!(h.term.prompts_of("t1.md")[0].cwd, worktree);
    assert_eq!(git(&worktree, &["branch", "--show-current"]), "agent/t1");
    // The client opens the folder without a trust dialog on either account.
    for account in ["a", "b"] {
        assert!(
            cf_accounts::is_folder_trusted(&h.account_dir(account), &worktree).expect("read"),
            "{account} trusts the worktree"
        );
    }
    // A limit: it goes on on b, in the same worktree.
    h.end_turn(&session, Ending::SessionLimit);
    h.until("it goes on on b", |h| {
        continues(h, &conversation).len() == 1
    })
    .await;
    assert_eq!(continues(&h, &conversation)[0].cwd, worktree);
    assert_eq!(
        continues(&h, &conversation)[0].config_dir,
        h.account_dir("b")
    );
    // The daemon and the tmux server die, and its folder is lost (the branch stays): it is made
    // again on the task's branch, and the task goes on there.
    h.crash().await;
    h.term.kill_server();
    std::fs::remove_dir_all(&worktree).expect("lose the folder");
    h.start().await;
    h.until("it goes on after the restart", |h| {
        continues(h, &conversation).len() == 2
    })
    .await;
    assert_eq!(continues(&h, &conversation)[1].cwd, worktree);
    assert_eq!(git(&worktree, &["branch", "--show-current"]), "agent/t1");
    let resumed = continues(&h, &conversation)[1].session.clone();
    h.until_working(&resumed).await;
    h.end_turn(&resumed, Ending::Reply);
    h.until("t1 is done", |h| h.is_done("alpha", "t1")).await;
    let done = h.read("alpha", "done", "t1");
    assert!(
        done.contains("- branch: agent/t1\n") && done.contains("- dirty: no\n"),
        "{done}"
    );
    assert_eq!(h.term.prompts_of("t1.md").len(), 1, "the text went once");
    assert!(!worktree.exists(), "clean and done: its folder is removed");
    h.stop().await;
}

/// A worktree task t1 of alpha, running: the harness, its worktree, session and conversation.
async fn a_running_worktree_task() -> (Harness, PathBuf, String, String) {
    let mut h = Harness::new(&Spec::default());
    let repo = worktree_project(&h, "alpha", true);
    h.start().await;
    h.add_task("alpha", "t1", "Work in your own tree.");
    let (session, conversation) = h.until_one_runs().await;
    let worktree = std::fs::canonicalize(repo.join(".agent-queue/worktrees/t1")).expect("made");
    (h, worktree, session, conversation)
}

/// `conversation` goes on (once) in `worktree`, and t1 ends done on its branch.
async fn goes_on_in(h: &mut Harness, worktree: &Path, conversation: &str) {
    h.until("it goes on", |h| continues(h, conversation).len() == 1)
        .await;
    assert_eq!(continues(h, conversation)[0].cwd, worktree);
    let session = continues(h, conversation)[0].session.clone();
    h.until_working(&session).await;
    h.end_turn(&session, Ending::Reply);
    h.until("t1 is done", |h| h.is_done("alpha", "t1")).await;
    let done = h.read("alpha", "done", "t1");
    assert!(done.contains("- branch: agent/t1\n"), "{done}");
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_first_run_cut_short_by_a_crash_goes_on_in_its_worktree() {
    let (mut h, worktree, _, conversation) = a_running_worktree_task().await;
    // No .retry record yet: only the store knows its worktree.
    h.crash().await;
    h.term.kill_server();
    h.start().await;
    goes_on_in(&mut h, &worktree, &conversation).await;
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_a_server_error_goes_on_in_the_worktree() {
    let (mut h, worktree, session, conversation) = a_running_worktree_task().await;
    h.end_turn(&session, Ending::ApiError(500));
    goes_on_in(&mut h, &worktree, &conversation).await;
}

#[tokio::test(start_paused = true)]
async fn a_dependent_task_starts_from_its_dependencys_branch_and_a_foreign_branch_is_no_clash() {
    let mut h = Harness::new(&Spec::default());
    let repo = worktree_project(&h, "alpha", true);
    // The operator has a branch named like the first task's: not the daemon's.
    git(&repo, &["branch", "agent/t1"]);
    h.start().await;
    h.add_task("alpha", "t1", "First.");
    let (session, _) = h.until_one_runs().await;
    let first = repo.join(".agent-queue/worktrees/t1-2");
    assert_eq!(h.term.prompts_of("t1.md")[0].cwd, first);
    // The agent commits in its tree.
    std::fs::write(first.join("one.txt"), "1\n").expect("write");
    git(&first, &["add", "one.txt"]);
    git(&first, &["commit", "-q", "-m", "one"]);
    let tip = git(&first, &["rev-parse", "HEAD"]);
    h.end_turn(&session, Ending::Reply);
    h.until("t1 is done", |h| h.is_done("alpha", "t1")).await;
    let done = h.read("alpha", "done", "t1");
    assert!(
        done.contains("- branch: agent/t1-2\n") && done.contains("- commits: 1: "),
        "{done}"
    );
    h.add_task(
        "alpha",
        "t2",
        "---\ndepends_on: [alpha:t1]\n---\nSecond, on top of the first.",
    );
    h.finish_task("t2").await;
    h.until("t2 is done", |h| h.is_done("alpha", "t2")).await;
    let done = h.read("alpha", "done", "t2");
    assert!(
        done.contains(&format!("- base: {}\n", &tip[..12])),
        "{done}"
    );
    h.stop().await;
}

/// Adds `t1` to alpha and waits for it to fail; its failed file.
async fn fails_with(h: &mut Harness, body: &str) -> String {
    h.start().await;
    h.add_task("alpha", "t1", body);
    h.until("t1 fails", |h| h.is_failed("alpha", "t1")).await;
    assert!(h.term.prompts_of("t1.md").is_empty(), "it never ran");
    // The daemon goes on: another project's task runs.
    h.add_task("beta", "b1", "Still working.");
    h.finish_task("b1").await;
    h.until("b1 is done", |h| h.is_done("beta", "b1")).await;
    let failed = h.read("alpha", "failed", "t1");
    h.stop().await;
    failed
}

#[tokio::test(start_paused = true)]
async fn every_way_a_worktree_cannot_be_made_fails_the_task_with_the_reason() {
    // Not a repository.
    let mut h = Harness::new(&Spec::default());
    std::fs::write(
        h.queue("alpha", "").join("config.yaml"),
        "isolation: worktree\n",
    )
    .expect("s");
    let failed = fails_with(&mut h, "x").await;
    assert!(failed.contains("is not a git repository"), "{failed}");

    // An unborn HEAD.
    let mut h = Harness::new(&Spec::default());
    worktree_project(&h, "alpha", false);
    let failed = fails_with(&mut h, "x").await;
    assert!(failed.contains("has no commit yet"), "{failed}");

    // A detached HEAD.
    let mut h = Harness::new(&Spec::default());
    let repo = worktree_project(&h, "alpha", true);
    git(&repo, &["checkout", "-q", "--detach"]);
    let failed = fails_with(&mut h, "x").await;
    assert!(failed.contains("detached HEAD"), "{failed}");

    // A base that names nothing.
    let mut h = Harness::new(&Spec::default());
    worktree_project(&h, "alpha", true);
    let failed = fails_with(&mut h, "---\nbase: no-such-branch\n---\nx").await;
    assert!(
        failed.contains("`base:` cannot be used") && failed.contains("no-such-branch"),
        "{failed}"
    );

    // Its worktree is there and locked.
    let mut h = Harness::new(&Spec::default());
    let repo = worktree_project(&h, "alpha", true);
    let folder = repo.join(".agent-queue/worktrees/t1");
    let folder_text = folder.display().to_string();
    git(
        &repo,
        &["worktree", "add", "-q", "-b", "agent/t1", &folder_text],
    );
    git(&repo, &["worktree", "lock", &folder_text]);
    let failed = fails_with(&mut h, "x").await;
    assert!(failed.contains("is locked"), "{failed}");

    // The project is a folder of a bigger repository that does not track it.
    let mut h = Harness::new(&Spec::default());
    let outer = h.root.join("projects");
    git(&outer, &["init", "-q", "-b", "main"]);
    std::fs::write(outer.join("notes.txt"), "x\n").expect("write");
    git(&outer, &["add", "notes.txt"]);
    git(&outer, &["commit", "-q", "-m", "outer"]);
    std::fs::write(
        h.queue("alpha", "").join("config.yaml"),
        "isolation: worktree\n",
    )
    .expect("s");
    let failed = fails_with(&mut h, "x").await;
    assert!(failed.contains("not tracked there"), "{failed}");

    // The worktree folder cannot be written (a file where the folder should be: the same path
    // as a full disk, an I/O error from git).
    let mut h = Harness::new(&Spec::default());
    let repo = worktree_project(&h, "alpha", true);
    std::fs::write(repo.join(".agent-queue/worktrees"), "not a folder").expect("write");
    let failed = fails_with(&mut h, "x").await;
    assert!(failed.contains("its worktree cannot be made"), "{failed}");
}

/// Waits in real time (the git step runs on a thread of its own, not on paused time).
fn wait_real(what: &str, condition: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !condition() {
        assert!(
            std::time::Instant::now() < deadline,
            "waited a minute for: {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// Waits for `condition`, letting the loop run in between, under a real deadline: for while
/// a blocking git step holds paused time still.
async fn until_yielding(h: &Harness, what: &str, condition: impl Fn(&Harness) -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !condition(h) {
        assert!(
            std::time::Instant::now() < deadline,
            "waited a minute for: {what}"
        );
        tokio::task::yield_now().await;
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
}

#[tokio::test(start_paused = true)]
async fn a_swap_while_the_worktree_is_being_made_types_nothing_for_the_stale_launch() {
    let mut h = Harness::new(&Spec {
        accounts: vec!["a", "b"],
        pool: 1,
        ..Spec::default()
    });
    let repo = worktree_project(&h, "alpha", true);
    // The checkout's hook holds `git worktree add` until the test lets it go.
    let (started, go) = (h.root.join("hook-started"), h.root.join("hook-go"));
    let hook = repo.join(".git/hooks/post-checkout");
    std::fs::write(
        &hook,
        format!(
            "#!/bin/sh\ntouch '{}'\nwhile [ ! -e '{}' ]; do sleep 0.02; done\n",
            started.display(),
            go.display()
        ),
    )
    .expect("hook");
    std::fs::set_permissions(&hook, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");
    h.start().await;
    h.add_task("alpha", "t1", "Work in your own tree.");
    // While a blocking step runs, paused time stands still (tokio does not auto-advance): wait
    // by yielding to the loop, under a real deadline.
    until_yielding(&h, "the worktree step runs", |_| started.exists()).await;
    // A swap by hand takes the launching task off its session, which is made anew.
    let request =
        cf_daemon::failover::write_swap_request(&h.root.join("state"), &Default::default())
            .expect("swap request");
    let name = request.file_name().expect("a name").to_string_lossy();
    h.file_event(cf_queue::WatchTag::Requests, &name);
    until_yielding(&h, "the swap is done", |h| {
        h.notice_count(cf_daemon::NoticeKind::Swapped) == 1
    })
    .await;
    std::fs::write(&go, "").expect("let git go");
    let worktree = std::fs::canonicalize(repo.join(".agent-queue/worktrees"))
        .expect("made")
        .join("t1");
    wait_real("the worktree is made", || {
        worktree.join("README.md").exists()
    });
    h.until("t1 is sent", |h| !h.term.prompts_of("t1.md").is_empty())
        .await;
    let sent = h.term.prompts_of("t1.md");
    assert_eq!(sent.len(), 1, "the text went once: {sent:?}");
    assert_eq!(sent[0].cwd, worktree, "in its one worktree");
    assert_eq!(sent[0].config_dir, h.account_dir("b"));
    let session = sent[0].session.clone();
    h.until_working(&session).await;
    h.end_turn(&session, Ending::Reply);
    h.until("t1 is done", |h| h.is_done("alpha", "t1")).await;
    assert!(
        !repo.join(".agent-queue/worktrees/t1-2").exists(),
        "no second worktree"
    );
    h.stop().await;
}
