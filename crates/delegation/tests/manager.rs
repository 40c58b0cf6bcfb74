//! The delegation manager against a mock platform on loopback: submit, fallback, reap,
//! restart, crash recovery, counters.

mod support;

use std::fs;

use cf_core::route::Provider;
use cf_core::task::parse_task;
use cf_core::{Priority, TaskDoc};
use cf_delegation::{
    DelegatedSidecar, DelegationManager, ReapOutcome, Submitted, read_sidecar, write_sidecar,
};
use cf_platform::{JobId, JobStatus};
use cf_queue::QueuedFile;
use serde_json::json;
use support::{TASK, TestProject, job, manager};
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// `GET /v1/jobs/<id>` answers with the job in `status`.
async fn mock_get(server: &MockServer, id: &str, status: &str) {
    mock_get_answer(
        server,
        id,
        ResponseTemplate::new(200).set_body_json(job(id, status)),
    )
    .await;
}

/// `GET /v1/jobs/<id>` answers with `answer`.
async fn mock_get_answer(server: &MockServer, id: &str, answer: ResponseTemplate) {
    Mock::given(method("GET"))
        .and(path(format!("/v1/jobs/{id}")))
        .respond_with(answer)
        .mount(server)
        .await;
}

/// The task `logs` in the inbox of a new project, as the scan and the parser see it.
fn logs_task() -> (TestProject, QueuedFile, TaskDoc) {
    let tp = TestProject::new();
    let task = tp.add("logs", TASK);
    let doc = parse_task(TASK.as_bytes()).unwrap();
    (tp, task, doc)
}

/// Writes a sidecar for `id` as if a previous run had submitted it.
fn delegated(tp: &TestProject, id: &str, job_id: &str) {
    let sidecar = DelegatedSidecar {
        job_id: JobId::new(job_id),
        provider: Provider::Gemini,
        submitted_at: "2026-04-17T02:00:00Z".parse().unwrap(),
        priority: Priority::High,
    };
    fs::write(tp.inbox(id), TASK).unwrap();
    write_sidecar(&tp.inbox(id), &sidecar).unwrap();
}

#[tokio::test]
async fn submit_writes_the_sidecar_and_keeps_the_task_in_the_inbox() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/jobs"))
        .and(body_partial_json(json!({
            "provider": "gemini", "priority": "high", "project": "webshop",
            "task_id": "logs", "prompt": "Summarise the logs.\n",
        })))
        .respond_with(ResponseTemplate::new(202).set_body_json(job("job-1", "queued")))
        .expect(1)
        .mount(&server)
        .await;
    let (tp, task, doc) = logs_task();
    let mgr = manager(&server);

    let outcome = mgr.submit(&tp.project, &task, &doc, Provider::Gemini).await;

    let Submitted::Delegated(sidecar) = outcome else {
        panic!("expected a delegation, got {outcome:?}");
    };
    assert_eq!(sidecar.job_id, JobId::new("job-1"));
    assert_eq!(sidecar.priority, Priority::High);
    assert_eq!(read_sidecar(&task.path).unwrap(), Some(sidecar));
    assert_eq!(tp.inbox_names(), ["logs.md", "logs.md.delegated"]);
    assert!(tp.queued("logs").has_delegated_sidecar);
    let counters = mgr.counters();
    assert_eq!(
        (counters.submitted, counters.active, counters.fallbacks),
        (1, 1, 0)
    );
    let snapshot = mgr.snapshot();
    assert_eq!(snapshot["enabled"], json!(true));
    assert_eq!(snapshot["active_jobs"][0]["job_id"], json!("job-1"));
    assert_eq!(snapshot["active_jobs"][0]["task"], json!("logs"));

    // A second submit of the same task sends nothing.
    let again = mgr.submit(&tp.project, &task, &doc, Provider::Gemini).await;
    assert!(
        matches!(&again, Submitted::AlreadyDelegated { reason } if reason.contains("job-1")),
        "{again:?}"
    );
    assert_eq!(mgr.counters().submitted, 1);
}

#[tokio::test]
async fn a_failing_submit_falls_back_and_writes_nothing() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/jobs"))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({"error": "db down"})))
        .mount(&server)
        .await;
    let (tp, task, doc) = logs_task();
    let mgr = manager(&server);

    let outcome = mgr.submit(&tp.project, &task, &doc, Provider::Gemini).await;

    match &outcome {
        Submitted::FallBackLocal { reason } => {
            assert!(reason.contains("gave up"), "{reason}");
            assert!(reason.contains("500"), "{reason}");
        }
        other => panic!("expected a fallback, got {other:?}"),
    }
    let attempts = server.received_requests().await.unwrap().len();
    assert!(
        attempts >= 2,
        "the client retried before giving up ({attempts})"
    );
    assert_eq!(tp.inbox_names(), ["logs.md"], "no sidecar, no temp file");
    let counters = mgr.counters();
    assert_eq!(
        (counters.submitted, counters.active, counters.fallbacks),
        (0, 0, 1)
    );
}

#[tokio::test]
async fn reap_moves_a_completed_job_to_done_with_result_and_footer() {
    let server = MockServer::start().await;
    mock_get(&server, "job-1", "completed").await;
    let tp = TestProject::new();
    delegated(&tp, "logs", "job-1");
    let mgr = manager(&server);

    let reaped = mgr.reap_once(std::slice::from_ref(&tp.project)).await;

    assert_eq!(reaped.len(), 1, "{reaped:?}");
    let done = tp.project.done_dir().join("logs.md");
    assert_eq!(reaped[0].outcome, ReapOutcome::Completed(done.clone()));
    assert_eq!(reaped[0].job_id, Some(JobId::new("job-1")));
    let text = fs::read_to_string(&done).unwrap();
    assert!(text.starts_with(TASK), "task content first: {text}");
    assert!(
        text.contains("## Result (gemini)\n\nThree errors, all from the cache.\n"),
        "{text}"
    );
    for line in [
        "- provider: gemini\n",
        "- cost: $0.0125\n",
        "- job: job-1\n",
        "- ran: 1m 5s\n",
        "- outcome: completed\n",
    ] {
        assert!(text.contains(line), "missing {line:?} in {text}");
    }
    assert!(tp.inbox_names().is_empty(), "{:?}", tp.inbox_names());
    let counters = mgr.counters();
    assert_eq!(
        (counters.completed, counters.failed, counters.active),
        (1, 0, 0)
    );
    assert_eq!(mgr.snapshot()["active_jobs"], json!([]));
}

#[tokio::test]
async fn reap_moves_a_failed_job_to_failed_with_the_error() {
    let server = MockServer::start().await;
    mock_get(&server, "job-2", "failed").await;
    let tp = TestProject::new();
    delegated(&tp, "bad", "job-2");
    let mgr = manager(&server);

    let reaped = mgr.reap_once(std::slice::from_ref(&tp.project)).await;

    let failed = tp.project.failed_dir().join("bad.md");
    assert_eq!(
        reaped[0].outcome,
        ReapOutcome::Failed {
            path: failed.clone(),
            error: "model overloaded: try later".into()
        }
    );
    let text = fs::read_to_string(&failed).unwrap();
    assert!(text.starts_with(TASK), "{text}");
    assert!(
        text.contains("## Job failed\n\nmodel overloaded: try later\n"),
        "{text}"
    );
    assert!(text.contains("- outcome: failed\n"), "{text}");
    assert!(tp.inbox_names().is_empty());
    assert!(tp.done_names().is_empty());
    let counters = mgr.counters();
    assert_eq!((counters.completed, counters.failed), (0, 1));
}

#[tokio::test]
async fn a_job_the_platform_forgot_goes_to_failed() {
    let server = MockServer::start().await;
    mock_get_answer(
        &server,
        "job-9",
        ResponseTemplate::new(404).set_body_json(json!({"error": "no such job"})),
    )
    .await;
    let tp = TestProject::new();
    delegated(&tp, "lost", "job-9");
    let mgr = manager(&server);

    let reaped = mgr.reap_once(std::slice::from_ref(&tp.project)).await;

    assert!(
        matches!(&reaped[0].outcome, ReapOutcome::Failed { error, .. } if error.contains("does not know job")),
        "{reaped:?}"
    );
    let text = fs::read_to_string(tp.project.failed_dir().join("lost.md")).unwrap();
    assert!(text.contains("- outcome: lost\n"), "{text}");
    assert_eq!(mgr.counters().failed, 1);
}

#[tokio::test]
async fn pending_and_unreachable_jobs_stay_tracked() {
    let server = MockServer::start().await;
    mock_get(&server, "job-1", "running").await;
    mock_get_answer(&server, "job-2", ResponseTemplate::new(503)).await;
    let tp = TestProject::new();
    delegated(&tp, "a", "job-1");
    delegated(&tp, "b", "job-2");
    delegated(&tp, "c", "job-3");
    let mgr = manager(&server);

    let reaped = mgr.reap_once(std::slice::from_ref(&tp.project)).await;

    assert_eq!(reaped.len(), 3, "{reaped:?}");
    assert_eq!(reaped[0].outcome, ReapOutcome::Pending(JobStatus::Running));
    assert!(
        matches!(&reaped[1].outcome, ReapOutcome::PollFailed(e) if e.contains("503")),
        "{reaped:?}"
    );
    assert!(
        matches!(&reaped[2].outcome, ReapOutcome::PollFailed(e) if e.starts_with("not polled")),
        "after a poll gave up the rest of the reap is skipped: {reaped:?}"
    );
    let polled_job_3 = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .any(|r| r.url.path().ends_with("job-3"));
    assert!(!polled_job_3);
    assert_eq!(
        tp.inbox_names(),
        [
            "a.md",
            "a.md.delegated",
            "b.md",
            "b.md.delegated",
            "c.md",
            "c.md.delegated"
        ]
    );
    let counters = mgr.counters();
    assert_eq!((counters.active, counters.poll_errors), (3, 2));
    let jobs = mgr.active_jobs();
    let ids: Vec<&str> = jobs.iter().map(|j| j.job_id.as_str()).collect();
    assert_eq!(ids, ["job-1", "job-2", "job-3"]);
}

#[tokio::test]
async fn a_new_manager_resumes_from_the_sidecars() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/jobs"))
        .respond_with(ResponseTemplate::new(202).set_body_json(job("job-5", "queued")))
        .mount(&server)
        .await;
    // The first poll says running, every later one completed.
    Mock::given(method("GET"))
        .and(path("/v1/jobs/job-5"))
        .respond_with(ResponseTemplate::new(200).set_body_json(job("job-5", "running")))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    mock_get(&server, "job-5", "completed").await;
    let (tp, task, doc) = logs_task();
    let first = manager(&server);
    let submitted = first
        .submit(&tp.project, &task, &doc, Provider::Gemini)
        .await;
    assert!(
        matches!(submitted, Submitted::Delegated(_)),
        "{submitted:?}"
    );
    drop(first); // The daemon stops.

    let second: DelegationManager = manager(&server);
    assert_eq!(second.counters().active, 0, "a new manager starts empty");
    let reaped = second.reap_once(std::slice::from_ref(&tp.project)).await;
    assert_eq!(reaped[0].outcome, ReapOutcome::Pending(JobStatus::Running));
    assert_eq!(second.counters().active, 1);
    assert_eq!(
        second.snapshot()["active_jobs"][0]["job_id"],
        json!("job-5")
    );

    let reaped = second.reap_once(std::slice::from_ref(&tp.project)).await;
    assert!(
        matches!(reaped[0].outcome, ReapOutcome::Completed(_)),
        "{reaped:?}"
    );
    assert_eq!(tp.done_names(), ["logs.md"]);
    assert!(tp.inbox_names().is_empty());
    let counters = second.counters();
    assert_eq!((counters.active, counters.completed), (0, 1));
}

#[tokio::test]
async fn a_crash_between_claim_and_finish_is_completed_once() {
    let server = MockServer::start().await;
    mock_get(&server, "job-1", "completed").await;
    let tp = TestProject::new();
    delegated(&tp, "logs", "job-1");
    // An earlier reap claimed the task and died before finishing it.
    fs::rename(
        tp.inbox("logs"),
        tp.project.inbox_dir().join("logs.md.dispatched"),
    )
    .unwrap();
    // Another task was finished, but the crash came before its sidecar was removed.
    delegated(&tp, "old", "job-0");
    fs::rename(tp.inbox("old"), tp.project.done_dir().join("old.md")).unwrap();
    let mgr = manager(&server);

    let reaped = mgr.reap_once(std::slice::from_ref(&tp.project)).await;

    assert_eq!(reaped.len(), 2, "{reaped:?}");
    assert!(
        reaped
            .iter()
            .any(|r| matches!(r.outcome, ReapOutcome::StaleSidecarRemoved(_))),
        "{reaped:?}"
    );
    assert!(
        reaped
            .iter()
            .any(|r| r.outcome == ReapOutcome::Completed(tp.project.done_dir().join("logs.md"))),
        "{reaped:?}"
    );
    assert_eq!(tp.done_names(), ["logs.md", "old.md"]);
    assert!(tp.inbox_names().is_empty(), "{:?}", tp.inbox_names());
    let text = fs::read_to_string(tp.project.done_dir().join("logs.md")).unwrap();
    assert_eq!(text.matches("## Result").count(), 1, "{text}");
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1, "only job-1 is polled");
}
