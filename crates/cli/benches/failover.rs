//! Failover-time benchmark (run: `cargo bench -p claude-failover --bench failover`).
//!
//! Not a test: it measures and prints. A pool of 10 fake agents works on 10 long tasks on
//! account A; the limit is switched on for A (every working turn ends on the session-limit
//! banner within ~250 ms, as a real mid-task limit does). Measured: from the switch to every
//! pool session busy again on account B (its "continue" prompt received, as recorded by the
//! fake agent), over `CF_BENCH_ROUNDS` rounds (default 3), median and worst.

use std::sync::Arc;
use std::time::Duration;

use cf_daemon::{NoticeKind, SystemClock};
use claude_failover::sandbox::{Sandbox, SandboxSpec};
use jiff::Timestamp;

const SESSIONS: usize = 10;

fn main() -> anyhow::Result<()> {
    let rounds: usize = std::env::var("CF_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let mut times = Vec::new();
    for round in 0..rounds {
        let ms = runtime.block_on(one_round())?;
        println!(
            "round {}: every one of {SESSIONS} pool sessions busy again on account b {ms:.0} ms after the limit hit",
            round + 1
        );
        times.push(ms);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "\nfailover time for {SESSIONS} sessions: median {:.0} ms, worst {:.0} ms",
        times[times.len() / 2],
        times[times.len() - 1]
    );
    Ok(())
}

async fn one_round() -> anyhow::Result<f64> {
    let mut spec = SandboxSpec::new(env!("CARGO_BIN_EXE_claude-failover").into());
    spec.accounts = vec!["a".into(), "b".into()];
    spec.pool_size = SESSIONS as u32;
    spec.projects = vec!["bench".into()];
    spec.work = "30s".into();
    spec.poll_interval = "500ms".into();
    let sandbox = Sandbox::create(&spec)?;
    let (daemon, mut notices) = sandbox.start_daemon(Arc::new(SystemClock)).await?;
    for i in 0..SESSIONS {
        sandbox.add_task(
            "bench",
            &format!("t{i:02}"),
            &format!("Long task {i}. fake-agent:work=120s"),
        )?;
    }
    let mut working = 0;
    while working < SESSIONS {
        let notice = tokio::time::timeout(Duration::from_secs(60), notices.recv()).await??;
        if notice.kind == NoticeKind::Working {
            working += 1;
        }
    }
    let hit = Timestamp::now();
    std::fs::write(sandbox.account_dir.join("fake-quota"), "session")?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    let last = loop {
        let resumed: Vec<Timestamp> = sandbox
            .records()
            .iter()
            .filter(|r| {
                r["prompt"] == "Continue from where you left off." && r["account_marker"] == "b"
            })
            .filter_map(|r| r["ts"].as_str().and_then(|t| t.parse().ok()))
            .collect();
        if resumed.len() >= SESSIONS {
            break resumed.into_iter().max().unwrap_or(hit);
        }
        if tokio::time::Instant::now() > deadline {
            anyhow::bail!(
                "only {} of {SESSIONS} sessions resumed on account b",
                resumed.len()
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    daemon.stop().await?;
    Ok(last.duration_since(hit).as_secs_f64() * 1000.0)
}
