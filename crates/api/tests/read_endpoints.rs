//! The read-only endpoints over real HTTP: their JSON shapes and what they report.

mod common;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use cf_api::DelegationStats;
use common::{AGENT_SECRET, Harness, Setup, TOKEN};
use serde_json::json;

#[tokio::test]
async fn healthz_says_ok() {
    let h = Harness::start().await;
    assert_eq!(h.get_json("/healthz").await, json!({ "ok": true }));
}

#[tokio::test]
async fn status_reports_projects_accounts_and_last_swap() {
    let h = Harness::start().await;
    std::fs::write(h.queue("alpha", "inbox").join("t1.md"), "# one\n").unwrap();
    std::fs::write(h.queue("alpha", "done").join("d1.md"), "# done\n").unwrap();

    let status = h.get_json("/api/status").await;
    assert_eq!(status["daemon"]["running"], json!(false));
    assert!(status["sessions"].is_array());
    let alpha = status["projects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "alpha")
        .expect("alpha in projects");
    assert_eq!(alpha["queued"], 1);
    assert_eq!(alpha["done"], 1);
    assert_eq!(alpha["running"], 0);
    let accounts = status["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 2);
    assert_eq!(accounts[0]["name"], "a");
    assert_eq!(accounts[0]["active"], true);
    assert_eq!(accounts[1]["active"], false);
    assert!(status["last_swap"].is_null());

    let id = h.record_swap("a", "b");
    let status = h.get_json("/api/status").await;
    assert_eq!(status["last_swap"]["id"], id);
    assert_eq!(status["last_swap"]["to_account"], "b");
}

#[tokio::test]
async fn sessions_is_the_sessions_list() {
    let h = Harness::start().await;
    let sessions = h.get_json("/api/sessions").await;
    // No tmux server on the private socket and no store: no sessions, but the shape holds.
    assert_eq!(sessions, json!({ "sessions": [] }));
}

#[tokio::test]
async fn tasks_lists_every_state_with_reasons() {
    let h = Harness::start().await;
    let inbox = h.queue("alpha", "inbox");
    std::fs::write(inbox.join("queued-one.md"), "# q\n").unwrap();
    std::fs::write(inbox.join("waits.md"), "# w\n").unwrap();
    cf_queue::mark_blocked(&inbox.join("waits.md"), "waits on beta/missing").unwrap();
    std::fs::write(inbox.join("running-one.md.dispatched"), "# r\n").unwrap();
    std::fs::write(h.queue("alpha", "failed").join("bad.md"), "# b\n").unwrap();

    let body = h.get_json("/api/tasks").await;
    let tasks = body["tasks"].as_array().unwrap();
    let find = |file: &str| {
        tasks
            .iter()
            .find(|t| t["file"] == file)
            .unwrap_or_else(|| panic!("{file} missing in {body}"))
    };
    assert_eq!(find("queued-one.md")["state"], "queued");
    assert_eq!(find("queued-one.md")["project"], "alpha");
    assert_eq!(find("waits.md")["state"], "blocked");
    assert_eq!(find("waits.md")["reason"], "waits on beta/missing");
    assert_eq!(find("running-one.md")["state"], "running");
    assert_eq!(find("bad.md")["state"], "failed");
    assert_eq!(tasks.len(), 4);
}

#[tokio::test]
async fn swaps_are_listed_newest_first_with_a_limit() {
    let h = Harness::start().await;
    assert_eq!(h.get_json("/api/swaps").await, json!({ "swaps": [] }));
    h.record_swap("a", "b");
    let second = h.record_swap("b", "a");
    let all = h.get_json("/api/swaps").await;
    let swaps = all["swaps"].as_array().unwrap();
    assert_eq!(swaps.len(), 2);
    assert_eq!(swaps[0]["id"], second);
    assert_eq!(swaps[0]["from_account"], "b");
    assert_eq!(swaps[0]["pattern"], "session-limit");
    let one = h.get_json("/api/swaps?limit=1").await;
    assert_eq!(one["swaps"].as_array().unwrap().len(), 1);

    let response = h
        .client
        .get(h.url("/api/swaps?limit=lots"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let error: serde_json::Value = response.json().await.unwrap();
    assert!(
        error["error"].as_str().unwrap().contains("limit"),
        "{error}"
    );
}

#[tokio::test]
async fn delegated_status_without_delegation_is_all_zero() {
    let h = Harness::start().await;
    let body = h.get_json("/api/delegated/status").await;
    assert_eq!(body["enabled"], false);
    assert_eq!(body["active_jobs"], json!([]));
    for counter in [
        "submitted",
        "active",
        "completed",
        "failed",
        "fallbacks",
        "poll_errors",
    ] {
        assert_eq!(body["counters"][counter], 0, "{counter}");
    }
}

/// A delegation manager stand-in with fixed numbers.
struct FixedStats;

impl DelegationStats for FixedStats {
    fn snapshot(&self) -> serde_json::Value {
        json!({
            "enabled": true,
            "active_jobs": [{ "job_id": "j-1", "task": "alpha/x" }],
            "counters": { "submitted": 3, "active": 1, "completed": 1, "failed": 1, "fallbacks": 0 },
        })
    }
}

#[tokio::test]
async fn delegated_status_and_watchdog_show_the_plugged_in_stats() {
    let h = Harness::start_with(Setup {
        delegation: Arc::new(FixedStats),
        ..Setup::default()
    })
    .await;
    let body = h.get_json("/api/delegated/status").await;
    assert_eq!(body["active_jobs"][0]["job_id"], "j-1");
    let watchdog = h.get_json("/watchdog/status").await;
    assert_eq!(watchdog["delegation"]["submitted"], 3);
    assert_eq!(watchdog["delegation"]["active"], 1);
}

#[tokio::test]
async fn watchdog_lists_blocked_and_only_stale_runs() {
    let h = Harness::start().await;
    let inbox = h.queue("alpha", "inbox");
    std::fs::write(inbox.join("waits.md"), "# w\n").unwrap();
    cf_queue::mark_blocked(&inbox.join("waits.md"), "waits on alpha/other").unwrap();
    let old = inbox.join("old-run.md.dispatched");
    std::fs::write(&old, "# old\n").unwrap();
    let two_hours_ago = SystemTime::now() - Duration::from_secs(2 * 3600);
    std::fs::File::options()
        .write(true)
        .open(&old)
        .unwrap()
        .set_modified(two_hours_ago)
        .unwrap();
    std::fs::write(inbox.join("fresh-run.md.dispatched"), "# new\n").unwrap();

    let body = h.get_json("/watchdog/status").await;
    let blocked = body["blocked"].as_array().unwrap();
    assert_eq!(blocked.len(), 1);
    assert_eq!(blocked[0]["file"], "waits.md");
    assert_eq!(blocked[0]["reason"], "waits on alpha/other");
    assert!(blocked[0]["since"].is_string());
    let stale = body["stale"].as_array().unwrap();
    assert_eq!(stale.len(), 1, "{body}");
    assert_eq!(stale[0]["file"], "old-run.md");
    assert!(stale[0]["running_secs"].as_u64().unwrap() >= 2 * 3600 - 60);
    assert_eq!(body["stale_after_secs"], 3600);
    assert_eq!(body["delegation"]["fallbacks"], 0);
}

#[tokio::test]
async fn unknown_paths_and_methods_get_json_errors() {
    let h = Harness::start().await;
    let response = h.client.get(h.url("/nope")).send().await.unwrap();
    assert_eq!(response.status(), 404);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("/api/status"));

    let response = h.client.delete(h.url("/api/tasks")).send().await.unwrap();
    assert_eq!(response.status(), 405);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("POST"));
}

#[tokio::test]
async fn no_response_carries_a_secret() {
    let h = Harness::start().await;
    std::fs::write(h.queue("alpha", "inbox").join("t.md"), "# t\n").unwrap();
    h.record_swap("a", "b");
    for path in [
        "/healthz",
        "/api/status",
        "/api/sessions",
        "/api/tasks",
        "/api/swaps",
        "/api/delegated/status",
        "/watchdog/status",
        "/metrics",
        "/nope",
    ] {
        let text = h
            .client
            .get(h.url(path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!text.contains(AGENT_SECRET), "{path} leaks the agent env");
        assert!(!text.contains(TOKEN), "{path} leaks the token");
    }
    let (_, wrong) = h
        .post("/api/swap", Some("wrong-token-wrong-token"), "{}")
        .await;
    assert!(!wrong.to_string().contains(TOKEN));
}
