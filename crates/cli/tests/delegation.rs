//! Delegation end to end: a mock job platform on loopback, three tasks (one local, one for
//! gemini, one whose job fails), the daemon restarted while a job is active; in the end the
//! local task is done by a fake agent, the delegated one is in `done/` with the result and
//! footer, the failing one in `failed/`, and `/api/delegated/status` counted all of it.

mod support;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use claude_failover::sandbox::Sandbox;
use support::{DaemonProcess, api_address, http_get, is_done, prompts_for, wait_until};

/// The mock platform: jobs are `running` until released; a task id containing `fails` fails.
struct MockPlatform {
    addr: String,
    released: Arc<AtomicBool>,
    submits: Arc<AtomicUsize>,
}

impl MockPlatform {
    fn start() -> MockPlatform {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr").to_string();
        let released = Arc::new(AtomicBool::new(false));
        let submits = Arc::new(AtomicUsize::new(0));
        let jobs: Arc<Mutex<HashMap<String, (String, String)>>> = Arc::default();
        let (r, n) = (released.clone(), submits.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (r, n, jobs) = (r.clone(), n.clone(), jobs.clone());
                std::thread::spawn(move || serve(stream, &r, &n, &jobs));
            }
        });
        MockPlatform {
            addr,
            released,
            submits,
        }
    }
}

fn serve(
    mut stream: TcpStream,
    released: &AtomicBool,
    submits: &AtomicUsize,
    jobs: &Mutex<HashMap<String, (String, String)>>,
) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let (mut length, mut authorized) = (0usize, false);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).is_err() || line.trim().is_empty() {
            break;
        }
        let lower = line.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
        authorized |= line.trim() == "Authorization: Bearer test-platform-key"
            || lower.trim() == "authorization: bearer test-platform-key";
    }
    let mut body = vec![0; length];
    let _ = reader.read_exact(&mut body);
    let now = "2026-11-21T10:00:00Z";
    let (status, json) = if !authorized {
        (401, r#"{"error":"bad key"}"#.to_string())
    } else if request_line.starts_with("POST /v1/jobs ") {
        let request: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        let id = format!("job-{}", submits.fetch_add(1, Ordering::SeqCst) + 1);
        let task = request["task_id"].as_str().unwrap_or_default().to_string();
        let provider = request["provider"].as_str().unwrap_or_default().to_string();
        jobs.lock()
            .expect("lock")
            .insert(id.clone(), (task, provider.clone()));
        (202, serde_json::json!({"id": id, "status": "queued", "provider": provider, "submitted_at": now}).to_string())
    } else if let Some(id) = request_line
        .strip_prefix("GET /v1/jobs/")
        .and_then(|r| r.split_whitespace().next())
    {
        match jobs.lock().expect("lock").get(id).cloned() {
            None => (404, r#"{"error":"no such job"}"#.to_string()),
            Some((task, provider)) if task.contains("fails") => (
                200,
                serde_json::json!({"id": id, "status": "failed", "provider": provider, "error": "the model refused the task", "submitted_at": now, "finished_at": now}).to_string(),
            ),
            Some((task, provider)) if released.load(Ordering::SeqCst) => (
                200,
                serde_json::json!({"id": id, "status": "completed", "provider": provider, "result": format!("RESULT for {task}"), "cost_usd": 0.12, "submitted_at": now, "started_at": now, "finished_at": now}).to_string(),
            ),
            Some((_, provider)) => (200, serde_json::json!({"id": id, "status": "running", "provider": provider, "submitted_at": now, "started_at": now}).to_string()),
        }
    } else {
        (404, r#"{"error":"unknown endpoint"}"#.to_string())
    };
    let _ = write!(
        stream,
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{json}",
        json.len()
    );
}

#[test]
fn delegated_tasks_survive_a_restart_and_are_counted() {
    let platform = MockPlatform::start();
    let mut spec = support::spec();
    spec.extra_yaml = format!(
        "delegation:\n  base_url: \"http://{}\"\n  api_key_env: CF_TEST_PLATFORM_KEY\n  poll_interval: 300ms\n  max_elapsed: 5s\nwatchdog:\n  interval: 300ms\n  stale_after: 1s\n",
        platform.addr
    );
    let sandbox = Sandbox::create(&spec).expect("sandbox");
    let env = [("CF_TEST_PLATFORM_KEY", "test-platform-key")];
    sandbox
        .add_task("alpha", "local", "Runs here.")
        .expect("add");
    sandbox
        .add_task(
            "beta",
            "gem",
            "---\npreferred_ai: gemini\nallow_delegation: true\n---\nSummarise the report.",
        )
        .expect("add");
    sandbox
        .add_task(
            "gamma",
            "fails",
            "---\npreferred_ai: gpu\nallow_delegation: true\n---\nThis one fails.",
        )
        .expect("add");

    let mut first = DaemonProcess::start_with_env(&sandbox, "first", &env);
    wait_until(
        Duration::from_secs(30),
        "local done, failing job in failed/",
        || {
            is_done(&sandbox, "alpha", "local")
                && sandbox
                    .files_in("gamma", "failed")
                    .contains(&"fails.md".to_string())
        },
    );
    assert!(
        sandbox
            .files_in("beta", "inbox")
            .contains(&"gem.md.delegated".to_string()),
        "the job is tracked by its sidecar"
    );
    assert!(
        sandbox
            .files_in("beta", "inbox")
            .contains(&"gem.md".to_string()),
        "the task stays in the inbox while delegated"
    );
    let status: serde_json::Value =
        serde_json::from_str(&support::cli_stdout(&sandbox, &["status", "--json"])).expect("json");
    let beta = status["projects"]
        .as_array()
        .and_then(|p| p.iter().find(|p| p["name"] == "beta"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        (beta["delegated"].as_u64(), beta["queued"].as_u64()),
        (Some(1), Some(0)),
        "status counts the delegated task apart: {status}"
    );
    assert!(first.stop(), "clean stop while the job is active");

    let mut second = DaemonProcess::start_with_env(&sandbox, "second", &env);
    wait_until(Duration::from_secs(10), "the API is up", || {
        api_address(&sandbox).is_some_and(|a| http_get(&a, "/healthz").0 == 200)
    });
    // The watchdog runs several rounds while the job is active: a delegated task is neither stale
    // nor an orphaned claim.
    second.wait_for_more("watchdog round done", 4, Duration::from_secs(10));
    let log = second.log_text();
    assert!(
        !log.contains("stale ") && !log.contains("orphan_requeued"),
        "the watchdog left the delegated task alone:\n{log}"
    );
    platform.released.store(true, Ordering::SeqCst);
    // The reaper writes done/ first and then removes the claim and the sidecar and counts the
    // job (a crash in between loses nothing): wait for the last step, not the first.
    let addr = api_address(&sandbox).expect("api address");
    wait_until(
        Duration::from_secs(30),
        "the delegated task is done, cleaned up and counted",
        || {
            is_done(&sandbox, "beta", "gem")
                && sandbox.files_in("beta", "inbox").is_empty()
                && serde_json::from_str::<serde_json::Value>(
                    &http_get(&addr, "/api/delegated/status").1,
                )
                .is_ok_and(|s| s["counters"]["completed"] == 1)
        },
    );
    let done = sandbox
        .read_file_in("beta", "done", "gem.md")
        .ok_or("no done file")
        .expect("done file");
    assert!(
        done.contains("Summarise the report.")
            && done.contains("RESULT for gem")
            && done.contains("gemini")
            && done.contains("job-"),
        "{done}"
    );
    let failed = sandbox
        .read_file_in("gamma", "failed", "fails.md")
        .ok_or("no failed file")
        .expect("failed file");
    assert!(failed.contains("the model refused the task"), "{failed}");
    assert!(
        sandbox.files_in("beta", "inbox").is_empty(),
        "inbox file and sidecar removed: {:?}",
        sandbox.files_in("beta", "inbox")
    );
    assert_eq!(
        platform.submits.load(Ordering::SeqCst),
        2,
        "each delegated task submitted once"
    );
    assert!(
        prompts_for(&sandbox, "gem").is_empty() && prompts_for(&sandbox, "fails").is_empty(),
        "delegated tasks never ran locally"
    );
    assert_eq!(prompts_for(&sandbox, "local").len(), 1);

    let (status, body) = http_get(&addr, "/api/delegated/status");
    assert_eq!(status, 200, "{body}");
    let stats: serde_json::Value = serde_json::from_str(&body).expect("json");
    let counters = &stats["counters"];
    assert_eq!(stats["enabled"], true, "{stats}");
    assert_eq!(
        (
            counters["submitted"].as_u64(),
            counters["completed"].as_u64(),
            counters["failed"].as_u64()
        ),
        (Some(2), Some(1), Some(1)),
        "{stats}"
    );
    assert_eq!(counters["fallbacks"].as_u64(), Some(0), "{stats}");
    assert!(second.stop());
}

#[test]
fn a_platform_that_is_down_falls_back_to_the_local_pool() {
    let dead = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = dead.local_addr().expect("addr").to_string();
    drop(dead);
    let mut spec = support::spec();
    spec.extra_yaml = format!(
        "delegation:\n  base_url: \"http://{addr}\"\n  api_key_env: CF_TEST_PLATFORM_KEY\n  max_elapsed: 1s\n"
    );
    let sandbox = Sandbox::create(&spec).expect("sandbox");
    sandbox
        .add_task(
            "beta",
            "gem",
            "---\npreferred_ai: gemini\nallow_delegation: true\n---\nSummarise.",
        )
        .expect("add");
    let mut daemon = DaemonProcess::start_with_env(
        &sandbox,
        "down",
        &[("CF_TEST_PLATFORM_KEY", "test-platform-key")],
    );
    wait_until(Duration::from_secs(30), "the task ran locally", || {
        is_done(&sandbox, "beta", "gem")
    });
    assert!(
        daemon.log_text().contains("delegation_fallback"),
        "the fallback is logged with its reason"
    );
    assert!(daemon.stop());
}

#[test]
fn the_script_cli_decides_submits_and_gets() {
    let platform = MockPlatform::start();
    let mut spec = support::spec();
    spec.extra_yaml = format!(
        "delegation:\n  base_url: \"http://{}\"\n  api_key_env: CF_TEST_PLATFORM_KEY\n",
        platform.addr
    );
    let sandbox = Sandbox::create(&spec).expect("sandbox");
    let task = sandbox
        .add_task(
            "beta",
            "scripted",
            "---\npreferred_ai: auto\ncomplexity_hint: medium\nallow_delegation: true\n---\nDo it.",
        )
        .expect("add");
    let cli = |args: &[&str]| {
        let out = std::process::Command::new(support::binary())
            .args(args)
            .env("CF_TEST_PLATFORM_KEY", "test-platform-key")
            .output()
            .expect("run");
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        (out.status.code(), json)
    };
    let config = sandbox.config_path.display().to_string();
    let task_path = task.display().to_string();
    let (code, decision) = cli(&["delegate", "decide", &task_path, "-c", &config]);
    assert_eq!(code, Some(0), "{decision}");
    assert!(
        decision.to_string().contains("gemini"),
        "auto + medium goes to gemini: {decision}"
    );
    let (code, submitted) = cli(&["delegate", "submit", "-c", &config, "beta", &task_path]);
    assert_eq!(code, Some(0), "{submitted}");
    let job_id = submitted
        .to_string()
        .split("job-")
        .nth(1)
        .map(|rest| {
            format!(
                "job-{}",
                rest.chars()
                    .take_while(char::is_ascii_digit)
                    .collect::<String>()
            )
        })
        .expect("a job id");
    let (code, job) = cli(&["delegate", "get", "-c", &config, &job_id]);
    assert_eq!(code, Some(0), "{job}");
    assert!(job.to_string().contains("running"), "{job}");
    let (code, missing) = cli(&["delegate", "get", "-c", &config, "job-999"]);
    assert_eq!(
        code,
        Some(3),
        "an unknown job is a platform error: {missing}"
    );
    let (code, bad) = cli(&["delegate", "submit", "-c", &config, "nope", &task_path]);
    assert_eq!(code, Some(2), "{bad}");
}
