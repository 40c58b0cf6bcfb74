//! The `delegate` script logic: decide without contacting anything, submit/get/result
//! against a mock platform, JSON shapes and exit codes.

mod support;

use std::fs;
use std::time::Duration;

use cf_core::route::DelegationAvailability::{Off, On};
use cf_delegation::read_sidecar;
use cf_delegation::script::{self, ScriptExit};
use cf_platform::{JobId, Provider};
use serde_json::json;
use support::{TASK, TestProject, client, job};
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[test]
fn decide_reports_route_provider_and_reason() {
    let cases: [(&str, _, &str, serde_json::Value, &str); 6] = [
        (
            "Just do it.\n",
            On,
            "local",
            json!(null),
            "allow_delegation is not true",
        ),
        (
            TASK,
            On,
            "platform",
            json!("gemini"),
            "preferred_ai is gemini",
        ),
        (TASK, Off, "local", json!(null), "not configured"),
        (
            "---\nallow_delegation: true\npreferred_ai: auto\ncomplexity_hint: low\n---\nx\n",
            On,
            "platform",
            json!("gpu"),
            "complexity_hint is low",
        ),
        (
            "---\nneeds_claude_code: true\nallow_delegation: true\npreferred_ai: gpu\n---\nx\n",
            On,
            "local",
            json!(null),
            "needs_claude_code",
        ),
        (
            "---\nallow_delegation: true\npreferred_ai: gpt-9\n---\nx\n",
            On,
            "local",
            json!(null),
            "gpt-9",
        ),
    ];
    for (task, availability, route, provider, reason) in cases {
        let out = script::decide(task.as_bytes(), availability);
        assert_eq!(out.exit, ScriptExit::Ok, "{task}");
        assert_eq!(out.json["route"], json!(route), "{task}: {}", out.json);
        assert_eq!(out.json["provider"], provider, "{task}: {}", out.json);
        let got = out.json["reason"].as_str().unwrap();
        assert!(got.contains(reason), "{task}: reason {got}");
    }
}

#[test]
fn decide_refuses_a_broken_frontmatter_with_exit_2() {
    let out = script::decide(b"---\nallow_delegation: [\n---\nx\n", On);
    assert_eq!(out.exit, ScriptExit::Usage);
    assert_eq!(out.exit.code(), 2);
    assert_eq!(out.json["kind"], json!("usage"));
    assert!(
        out.json["error"]
            .as_str()
            .unwrap()
            .contains("frontmatter line"),
        "{}",
        out.json
    );
}

#[tokio::test]
async fn submit_of_an_inbox_task_writes_the_sidecar() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/jobs"))
        .and(body_partial_json(
            json!({"provider": "gemini", "task_id": "logs"}),
        ))
        .respond_with(ResponseTemplate::new(202).set_body_json(job("job-1", "queued")))
        .expect(1)
        .mount(&server)
        .await;
    let tp = TestProject::new();
    tp.add("logs", TASK);

    let out = script::submit(&client(&server), &tp.inbox("logs"), &tp.project, None).await;

    assert_eq!(out.exit, ScriptExit::Ok, "{}", out.json);
    assert_eq!(out.json["id"], json!("job-1"));
    assert_eq!(out.json["status"], json!("queued"));
    assert!(
        out.json["sidecar"]
            .as_str()
            .unwrap()
            .ends_with("logs.md.delegated")
    );
    let sidecar = read_sidecar(&tp.inbox("logs")).unwrap().unwrap();
    assert_eq!(sidecar.job_id, JobId::new("job-1"));

    // Submitting it again sends nothing (the mock expects exactly one POST).
    let again = script::submit(&client(&server), &tp.inbox("logs"), &tp.project, None).await;
    assert_eq!(again.exit, ScriptExit::Usage, "{}", again.json);
    assert!(
        again.json["error"]
            .as_str()
            .unwrap()
            .contains("already delegated")
    );
}

#[tokio::test]
async fn submit_of_a_local_task_sends_nothing_unless_a_provider_is_given() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/jobs"))
        .and(body_partial_json(json!({"provider": "gpu"})))
        .respond_with(ResponseTemplate::new(202).set_body_json(job("job-2", "queued")))
        .expect(1)
        .mount(&server)
        .await;
    let tp = TestProject::new();
    let outside = tp.dir.path().join("note.md");
    fs::write(&outside, "Plain task.\n").unwrap();

    let refused = script::submit(&client(&server), &outside, &tp.project, None).await;
    assert_eq!(refused.exit, ScriptExit::Usage, "{}", refused.json);
    assert!(
        refused.json["error"]
            .as_str()
            .unwrap()
            .contains("local pool")
    );

    let forced = script::submit(&client(&server), &outside, &tp.project, Some(Provider::Gpu)).await;
    assert_eq!(forced.exit, ScriptExit::Ok, "{}", forced.json);
    assert_eq!(
        forced.json["sidecar"],
        json!(null),
        "outside the inbox: no sidecar"
    );
    assert!(!tp.dir.path().join("note.md.delegated").exists());
}

#[tokio::test]
async fn submit_reports_platform_errors_with_exit_3() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": "prompt too long"})))
        .mount(&server)
        .await;
    let tp = TestProject::new();
    tp.add("logs", TASK);

    let out = script::submit(&client(&server), &tp.inbox("logs"), &tp.project, None).await;

    assert_eq!(out.exit.code(), 3);
    assert_eq!(out.json["http_status"], json!(400));
    assert!(
        out.json["error"]
            .as_str()
            .unwrap()
            .contains("prompt too long")
    );
    assert!(read_sidecar(&tp.inbox("logs")).unwrap().is_none());
}

#[tokio::test]
async fn get_and_result_map_job_states_to_exit_codes() {
    let server = MockServer::start().await;
    for (id, status) in [("ok", "completed"), ("bad", "failed"), ("slow", "running")] {
        Mock::given(method("GET"))
            .and(path(format!("/v1/jobs/{id}")))
            .respond_with(ResponseTemplate::new(200).set_body_json(job(id, status)))
            .mount(&server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path("/v1/jobs/nope"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"error": "unknown"})))
        .mount(&server)
        .await;
    let c = client(&server);
    let wait = Duration::from_millis(200);
    let poll = Duration::from_millis(20);

    let got = script::get(&c, "bad").await;
    assert_eq!(
        (got.exit, &got.json["status"]),
        (ScriptExit::Ok, &json!("failed"))
    );
    let missing = script::get(&c, "nope").await;
    assert_eq!(
        (missing.exit.code(), &missing.json["http_status"]),
        (3, &json!(404))
    );
    assert_eq!(script::get(&c, "  ").await.exit, ScriptExit::Usage);

    let done = script::result(&c, "ok", wait, poll).await;
    assert_eq!(done.exit.code(), 0);
    assert_eq!(
        done.json["result"],
        json!("Three errors, all from the cache.")
    );
    let failed = script::result(&c, "bad", wait, poll).await;
    assert_eq!(failed.exit.code(), 4);
    assert_eq!(failed.json["error"], json!("model overloaded: try later"));
    let slow = script::result(&c, "slow", wait, poll).await;
    assert_eq!(slow.exit.code(), 3, "{}", slow.json);
    assert!(
        slow.json["error"].as_str().unwrap().contains("running"),
        "{}",
        slow.json
    );
}
