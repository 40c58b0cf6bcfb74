//! The platform client against a wiremock server on loopback: the HTTP contract,
//! retries and give-ups, waiting for results. Key leaks: `secrets.rs`, `logs.rs`.

use std::time::{Duration, Instant};

use cf_platform::{JobId, JobStatus, PlatformClient, PlatformError, Provider};
use serde_json::json;
use support::{KEY, accepted, assert_no_key, client, config, job_json, request};

use wiremock::matchers::{bearer_token, body_json, header_exists, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

mod support;

#[tokio::test]
async fn submit_sends_the_contract_and_reads_the_job() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/jobs"))
        .and(bearer_token(KEY))
        .and(header_exists("idempotency-key"))
        .and(body_json(json!({
            "provider": "gemini", "prompt": "Summarise the logs.", "priority": "high",
            "project": "webshop", "task_id": "summarise-logs",
        })))
        .respond_with(accepted("job-1"))
        .expect(1)
        .mount(&server)
        .await;

    let job = client(&server).submit_job(&request()).await.unwrap();
    assert_eq!(job.id, JobId::new("job-1"));
    assert_eq!(job.status, JobStatus::Queued);
    assert_eq!(job.provider, Provider::Gemini);

    let received = server.received_requests().await.unwrap();
    let auth = received[0].headers.get("authorization").unwrap();
    assert_eq!(auth.to_str().unwrap(), format!("Bearer {KEY}"));
}

#[tokio::test]
async fn retries_on_503_then_succeeds_with_one_idempotency_key() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503).set_body_string("overloaded"))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(accepted("job-2"))
        .mount(&server)
        .await;

    let job = client(&server).submit_job(&request()).await.unwrap();
    assert_eq!(job.id.as_str(), "job-2");

    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), 3, "two 503s, then the success");
    let keys: Vec<_> = received
        .iter()
        .map(|r| r.headers.get("idempotency-key").cloned())
        .collect();
    assert!(keys[0].is_some());
    assert!(
        keys.iter().all(|k| *k == keys[0]),
        "retries must reuse the key: {keys:?}"
    );
}

#[tokio::test]
async fn a_429_waits_for_retry_after() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/jobs/job-3"))
        .respond_with(ResponseTemplate::new(200).set_body_json(job_json("job-3", "running")))
        .mount(&server)
        .await;

    let started = Instant::now();
    let job = client(&server).get_job(&JobId::new("job-3")).await.unwrap();
    let elapsed = started.elapsed();
    assert_eq!(job.status, JobStatus::Running);
    assert!(
        elapsed >= Duration::from_millis(900),
        "waited only {elapsed:?}"
    );
    assert!(elapsed < Duration::from_secs(5), "waited {elapsed:?}");
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_400_is_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(json!({"error": "unknown provider"})),
        )
        .expect(1)
        .mount(&server)
        .await;

    let err = client(&server).submit_job(&request()).await.unwrap_err();
    match &err {
        PlatformError::Rejected {
            status,
            message,
            endpoint,
        } => {
            assert_eq!(*status, 400);
            assert_eq!(message, "unknown provider");
            assert_eq!(endpoint, "POST /v1/jobs");
        }
        other => panic!("expected Rejected, got {other:?}"),
    }
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn invalid_json_names_the_endpoint_and_field_and_is_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/jobs/job-4"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "job-4", "status": 42, "provider": "gpu", "submitted_at": "2026-04-17T02:00:00Z",
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(202).set_body_string("<html>ok</html>"))
        .mount(&server)
        .await;
    let client = client(&server);

    let err = client.get_job(&JobId::new("job-4")).await.unwrap_err();
    match &err {
        PlatformError::InvalidBody {
            endpoint, field, ..
        } => {
            assert_eq!(endpoint, "GET /v1/jobs/job-4");
            assert_eq!(field, "status");
        }
        other => panic!("expected InvalidBody, got {other:?}"),
    }
    assert!(err.to_string().contains("field `status`"), "{err}");

    let err = client.submit_job(&request()).await.unwrap_err();
    assert!(
        matches!(&err, PlatformError::InvalidBody { field, .. } if field == "(body)"),
        "{err:?}"
    );
}

#[tokio::test]
async fn gives_up_within_the_time_budget() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500).set_body_string("boom"))
        .mount(&server)
        .await;
    let mut cfg = config(&server.uri());
    cfg.max_elapsed = Duration::from_millis(600);
    let client = PlatformClient::new(cfg).unwrap();

    let started = Instant::now();
    let err = client.submit_job(&request()).await.unwrap_err();
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(3), "took {elapsed:?}");
    match &err {
        PlatformError::GaveUp { attempts, last, .. } => {
            assert!(*attempts >= 2, "retried only {attempts} times");
            assert_eq!(last.http_status(), Some(500));
        }
        other => panic!("expected GaveUp, got {other:?}"),
    }
    let received = server.received_requests().await.unwrap().len();
    assert_eq!(received as u32, err_attempts(&err));
}

fn err_attempts(err: &PlatformError) -> u32 {
    match err {
        PlatformError::GaveUp { attempts, .. } => *attempts,
        _ => 0,
    }
}

#[tokio::test]
async fn a_retry_after_beyond_the_budget_gives_up_at_once() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "60"))
        .mount(&server)
        .await;
    let started = Instant::now();
    let err = client(&server).get_job(&JobId::new("j")).await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "slept {:?}",
        started.elapsed()
    );
    assert!(
        matches!(&err, PlatformError::GaveUp { attempts: 1, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn connection_refused_is_retried_then_gives_up() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let mut cfg = config(&format!("http://127.0.0.1:{port}/"));
    cfg.max_elapsed = Duration::from_millis(300);
    let err = PlatformClient::new(cfg)
        .unwrap()
        .submit_job(&request())
        .await
        .unwrap_err();
    match &err {
        PlatformError::GaveUp { last, attempts, .. } => {
            assert!(
                matches!(**last, PlatformError::Transport { .. }),
                "{last:?}"
            );
            assert!(*attempts >= 2, "{attempts}");
        }
        other => panic!("expected GaveUp, got {other:?}"),
    }
    assert_no_key(&err);
}

#[tokio::test]
async fn wait_for_result_polls_until_terminal() {
    let server = MockServer::start().await;
    for status in ["queued", "running"] {
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_body_json(job_json("job-5", status)))
            .up_to_n_times(1)
            .mount(&server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path("/v1/jobs/job-5"))
        .respond_with(ResponseTemplate::new(200).set_body_json(job_json("job-5", "completed")))
        .mount(&server)
        .await;

    let job = client(&server)
        .wait_for_result(
            &JobId::new("job-5"),
            Duration::from_millis(20),
            Duration::from_secs(5),
        )
        .await
        .unwrap();
    assert_eq!(job.status, JobStatus::Completed);
    assert_eq!(job.result.as_deref(), Some("the summary"));
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn wait_for_result_outlasts_an_outage_longer_than_one_call_budget() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(3)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(job_json("job-7", "completed")))
        .mount(&server)
        .await;
    // 30 ms is enough for two attempts at most, so the three 503s span several polls.
    let mut cfg = config(&server.uri());
    cfg.max_elapsed = Duration::from_millis(30);
    let client = PlatformClient::new(cfg).unwrap();

    let job = client
        .wait_for_result(
            &JobId::new("job-7"),
            Duration::from_millis(10),
            Duration::from_secs(5),
        )
        .await
        .unwrap();
    assert_eq!(job.status, JobStatus::Completed);
    assert!(server.received_requests().await.unwrap().len() >= 4);
}

#[tokio::test]
async fn wait_for_result_stops_at_the_deadline() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(job_json("job-6", "running")))
        .mount(&server)
        .await;

    let started = Instant::now();
    let err = client(&server)
        .wait_for_result(
            &JobId::new("job-6"),
            Duration::from_millis(50),
            Duration::from_millis(300),
        )
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(250) && elapsed < Duration::from_secs(3),
        "{elapsed:?}"
    );
    match err {
        PlatformError::WaitDeadline { last_status, .. } => {
            assert_eq!(last_status, Some(JobStatus::Running));
        }
        other => panic!("expected WaitDeadline, got {other:?}"),
    }
}

#[tokio::test]
async fn a_base_url_with_a_path_prefix_is_kept_and_ids_are_encoded() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/secutools/v1/jobs/a%2Fb"))
        .respond_with(ResponseTemplate::new(200).set_body_json(job_json("a/b", "queued")))
        .expect(1)
        .mount(&server)
        .await;
    let client = PlatformClient::new(config(&format!("{}/secutools", server.uri()))).unwrap();
    let job = client.get_job(&JobId::new("a/b")).await.unwrap();
    assert_eq!(job.id.as_str(), "a/b");
}
