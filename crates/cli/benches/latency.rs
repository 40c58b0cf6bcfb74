//! Latency benchmark of the dispatch loop (run: `cargo bench -p claude-failover --bench latency`).
//!
//! Not a test: it measures and prints. Over N tasks (default 50, `CF_BENCH_TASKS`), one at
//! a time so that a pool session is always free, on a real private tmux server with the
//! fake agent and the daemon's default poll settings (500 ms poll, 1 s stable idle):
//! - dispatch overhead: task file renamed into the inbox → the agent received the prompt
//!   (its own record), and → the daemon verified it busy; this includes starting the agent,
//!   since every task gets a fresh agent in its project folder;
//! - completion detection: the agent's turn ended (prompt received + its fixed work time)
//!   → the task is in `done/` (the daemon's `completed` notice), once with the done-signal
//!   hooks and once by the screen alone.

use std::sync::Arc;
use std::time::Duration;

use cf_daemon::{NoticeKind, SystemClock};
use claude_failover::sandbox::{Hooks, Sandbox, SandboxSpec};
use jiff::Timestamp;

const WORK_MS: i64 = 300;

struct Sample {
    to_prompt_ms: f64,
    to_busy_ms: f64,
    completion_ms: f64,
}

fn main() -> anyhow::Result<()> {
    let tasks: usize = std::env::var("CF_BENCH_TASKS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    for hooks in [Hooks::Installed, Hooks::None] {
        let samples = runtime.block_on(measure(tasks, hooks))?;
        let label = if hooks == Hooks::Installed {
            "with done signals"
        } else {
            "by screen alone"
        };
        println!("\n{tasks} tasks, {label}:");
        report(
            "dispatch: file closed -> prompt received",
            samples.iter().map(|s| s.to_prompt_ms).collect(),
        );
        report(
            "dispatch: file closed -> agent busy (verified)",
            samples.iter().map(|s| s.to_busy_ms).collect(),
        );
        report(
            "completion: turn ended -> task in done/",
            samples.iter().map(|s| s.completion_ms).collect(),
        );
    }
    Ok(())
}

async fn measure(tasks: usize, hooks: Hooks) -> anyhow::Result<Vec<Sample>> {
    let mut spec = SandboxSpec::new(env!("CARGO_BIN_EXE_claude-failover").into());
    spec.hooks = hooks;
    spec.pool_size = 1;
    spec.projects = vec!["bench".into()];
    spec.work = format!("{WORK_MS}ms");
    spec.poll_interval = "500ms".into();
    spec.stable_idle = "1s".into();
    let sandbox = Sandbox::create(&spec)?;
    let (daemon, mut notices) = sandbox.start_daemon(Arc::new(SystemClock)).await?;
    let mut samples = Vec::new();
    for i in 0..tasks {
        let id = format!("t{i:03}");
        let closed = Timestamp::now();
        sandbox.add_task("bench", &id, &format!("Benchmark task {i}."))?;
        let mut busy_at = None;
        let completed_at = loop {
            let notice = tokio::time::timeout(Duration::from_secs(60), notices.recv()).await??;
            if notice.task_id.as_deref() != Some(id.as_str()) {
                continue;
            }
            match notice.kind {
                NoticeKind::Working => busy_at = Some(notice.at),
                NoticeKind::Completed => break notice.at,
                NoticeKind::Failed | NoticeKind::LaunchFailed => {
                    anyhow::bail!("task {id} did not complete: {}", notice.detail)
                }
                _ => {}
            }
        };
        let record = sandbox.records().into_iter().find(|r| {
            r["prompt"]
                .as_str()
                .is_some_and(|p| p.starts_with(&format!("[{id}.md]")))
        });
        let received: Timestamp = record
            .and_then(|r| r["ts"].as_str().and_then(|t| t.parse().ok()))
            .ok_or_else(|| anyhow::anyhow!("no record for {id}"))?;
        let busy_at = busy_at.ok_or_else(|| anyhow::anyhow!("no working notice for {id}"))?;
        let turn_end = received.checked_add(jiff::SignedDuration::from_millis(WORK_MS))?;
        samples.push(Sample {
            to_prompt_ms: ms(closed, received),
            to_busy_ms: ms(closed, busy_at),
            completion_ms: ms(turn_end, completed_at),
        });
    }
    daemon.stop().await?;
    Ok(samples)
}

fn ms(from: Timestamp, to: Timestamp) -> f64 {
    to.duration_since(from).as_secs_f64() * 1000.0
}

fn report(what: &str, mut values: Vec<f64>) {
    values.sort_by(f64::total_cmp);
    let pick = |q: f64| values[((values.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "  {what:<48} median {:>7.1} ms   p99 {:>7.1} ms   max {:>7.1} ms",
        pick(0.5),
        pick(0.99),
        pick(1.0)
    );
}
