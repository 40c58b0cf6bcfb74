//! Every interruption resumes the conversation: the tmux server dies (reboot, OOM) under two
//! working agents, and both tasks finish in their own conversations in fresh sessions — the task
//! text sent once, the fake agent's record showing the same session id before and after.

mod support;

use std::time::{Duration, Instant};

use claude_failover::sandbox::Sandbox;
use support::{DaemonProcess, is_done, prompts_for, wait_until};

#[test]
fn the_tmux_server_dying_under_two_agents_loses_no_conversation() {
    let mut spec = support::spec();
    spec.pool_size = 2;
    spec.work = "1s".into();
    let sandbox = Sandbox::create(&spec).expect("sandbox");
    let tasks = [("alpha", "k1"), ("beta", "k2")];
    for (project, id) in tasks {
        sandbox
            .add_task(project, id, &format!("Long {id}. fake-agent:work=30s"))
            .expect("add");
    }
    let mut daemon = DaemonProcess::start(&sandbox, "kill-server");
    wait_until(Duration::from_secs(30), "both agents working", || {
        let log = daemon.log_text();
        tasks.iter().all(|(p, id)| {
            log.lines().any(|l| {
                l.contains("working") && l.contains(&format!("{p}/{id}")) && l.contains("submitted")
            })
        })
    });
    let before: Vec<serde_json::Value> = tasks
        .iter()
        .map(|(_, id)| prompts_for(&sandbox, id)[0]["session_id"].clone())
        .collect();
    let killed_at = Instant::now();
    sandbox
        .tmux_command(&["kill-server"])
        .expect("kill the tmux server");
    wait_until(Duration::from_secs(60), "both resumed", || {
        sandbox
            .records()
            .iter()
            .filter(|r| r["prompt"] == support::CONTINUE)
            .count()
            == 2
    });
    eprintln!(
        "tmux server killed -> both tasks running again in {} ms",
        killed_at.elapsed().as_millis()
    );

    wait_until(Duration::from_secs(60), "both tasks done", || {
        tasks.iter().all(|(p, id)| is_done(&sandbox, p, id))
    });
    eprintln!(
        "tmux server killed -> both tasks done in {} ms",
        killed_at.elapsed().as_millis()
    );
    let resumed: Vec<serde_json::Value> = sandbox
        .records()
        .into_iter()
        .filter(|r| r["prompt"] == "Continue from where you left off.")
        .collect();
    assert_eq!(resumed.len(), 2, "each resumed once: {resumed:?}");
    for ((_, id), session) in tasks.iter().zip(&before) {
        assert_eq!(
            prompts_for(&sandbox, id).len(),
            1,
            "{id}: the text went once"
        );
        assert!(
            resumed
                .iter()
                .any(|r| &r["session_id"] == session && r["resumed"] == true),
            "{id}: resumed in its conversation {session}"
        );
    }
    for (project, _) in tasks {
        assert!(sandbox.files_in(project, "failed").is_empty());
    }
    assert!(daemon.stop(), "clean stop");
}
