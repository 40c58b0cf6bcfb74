//! `claude-failover demo`: the whole dispatch loop on any machine, in a minute.
//!
//! Builds a sandbox (private tmux server, three projects, an account with the hooks),
//! queues five tasks (one multi-line, one critical), runs the daemon with a pool of two
//! fake agents until every task is finished, prints progress and a summary, and cleans up.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use cf_daemon::{NoticeKind, SystemClock};
use tokio::time::Instant;

use crate::output::outln;
use crate::sandbox::{Sandbox, SandboxSpec};

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Keep the sandbox folder afterwards (its path is printed).
    #[arg(long)]
    keep: bool,
    /// How long each fake agent works on a task.
    #[arg(long, default_value = "2s")]
    work: String,
    /// Also show a failover: two accounts, and account `a` runs out of quota while the first
    /// tasks work; every session moves to account `b` and resumes its conversation.
    #[arg(long)]
    failover: bool,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 180)]
    timeout: u64,
}

/// The demo's tasks: (project, id, content).
const TASKS: [(&str, &str, &str); 5] = [
    (
        "alpha",
        "hello-world",
        "Write a hello-world script in the language of the project.",
    ),
    (
        "alpha",
        "multi-line",
        "---\ntitle: A task over several lines\ntags: [demo]\n---\nRefactor the parser:\n- split the tokenizer out\n- add tests for empty input\n- keep the public API\n- update the changelog\n",
    ),
    (
        "beta",
        "hotfix",
        "---\ntitle: Production is down\npriority: critical\n---\nFind why the login endpoint returns 500 and fix it.\n",
    ),
    (
        "beta",
        "docs",
        "---\npriority: low\n---\nProof-read the README.\n",
    ),
    (
        "gamma",
        "cleanup",
        "---\npriority: high\n---\nRemove the dead code in utils.\n",
    ),
];

pub async fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    let program =
        std::env::current_exe().context("cannot find this program's path for the fake agent")?;
    let mut spec = SandboxSpec::new(program);
    spec.work = args.work.clone();
    spec.pool_prefix = "demo-".into();
    if args.failover {
        spec.accounts = vec!["a".into(), "b".into()];
    }
    let sandbox = Sandbox::create(&spec)?;
    outln!("claude-failover demo")?;
    outln!("  sandbox:  {}", sandbox.root().display())?;
    outln!(
        "  tmux:     tmux -L {} attach   (to watch the fake agents)",
        sandbox.socket
    )?;
    outln!("  pool:     2 fake Claude Code sessions; 5 tasks in 3 projects\n")?;
    for (project, id, content) in TASKS {
        // With --failover the first two tasks run long enough for the limit to hit them.
        let content = if args.failover && matches!(id, "hotfix" | "cleanup") {
            format!("{content}\nfake-agent:work=8s\n")
        } else {
            content.to_string()
        };
        sandbox.add_task(project, id, &content)?;
    }
    let mut limit_pending = args.failover;
    let mut working = 0;
    let (daemon, mut notices) = sandbox.start_daemon(Arc::new(SystemClock)).await?;

    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.timeout);
    let mut finished = 0;
    while finished < TASKS.len() {
        let notice = tokio::select! {
            n = notices.recv() => n,
            () = tokio::time::sleep_until(deadline) => break,
        };
        let Ok(notice) = notice else { continue };
        if matches!(notice.kind, NoticeKind::Completed | NoticeKind::Failed) {
            finished += 1;
        }
        if notice.kind == NoticeKind::Working {
            working += 1;
            if limit_pending && working == 2 {
                limit_pending = false;
                outln!(
                    "  {:>6.1}s  -- account a runs out of quota now (the fake agents show the session-limit banner) --",
                    started.elapsed().as_secs_f64()
                )?;
                std::fs::write(sandbox.account_dir.join("fake-quota"), "session")
                    .context("cannot switch account a off")?;
            }
        }
        if !matches!(
            notice.kind,
            NoticeKind::SessionCreated | NoticeKind::Started
        ) {
            outln!("  {:>6.1}s  {notice}", started.elapsed().as_secs_f64())?;
        }
    }
    daemon.stop().await?;

    outln!("\nsummary:")?;
    let mut done = 0;
    for (project, id, _) in TASKS {
        let in_done = sandbox
            .files_in(project, "done")
            .iter()
            .any(|f| f == &format!("{id}.md"));
        let in_failed = sandbox
            .files_in(project, "failed")
            .iter()
            .any(|f| f == &format!("{id}.md"));
        let state = match (in_done, in_failed) {
            (true, _) => "done",
            (_, true) => "failed",
            _ => "not finished",
        };
        done += usize::from(in_done);
        outln!("  {:<24} {state}", format!("{project}/{id}"))?;
    }
    if args.failover {
        let store = cf_store::Store::open_read_only(&cf_daemon::store_path(&sandbox.config()?))?;
        for swap in store.recent_swaps(10)? {
            outln!(
                "  swap: {} -> {} ({}), {}",
                swap.from_account,
                swap.to_account,
                swap.pattern,
                swap.detail
            )?;
        }
    }
    let prompts = sandbox.records().len();
    outln!(
        "\n{done}/{} tasks done; the fake agents received {prompts} prompt(s) in {:.1}s",
        TASKS.len(),
        started.elapsed().as_secs_f64()
    )?;
    if args.keep {
        let path = sandbox.keep();
        outln!("kept the sandbox in {}", path.display())?;
    }
    Ok(if done == TASKS.len() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
