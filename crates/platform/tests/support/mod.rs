//! Shared fixtures of the platform client tests: a fast-retry config, a job body, the key.
#![allow(dead_code)] // each test file uses a different subset

use std::time::Duration;

use cf_core::Priority;
use cf_platform::{
    ApiKey, JobRequest, PlatformClient, PlatformConfig, PlatformError, Provider, Url,
};
use serde_json::json;
use wiremock::{MockServer, ResponseTemplate};

pub const KEY: &str = "sk-test-0123456789-secret";

/// Fast retries so that the tests run in milliseconds unless a `Retry-After` says otherwise.
pub fn config(base: &str) -> PlatformConfig {
    let mut cfg = PlatformConfig::new(Url::parse(base).unwrap(), ApiKey::new(KEY));
    cfg.timeout = Duration::from_secs(5);
    cfg.max_elapsed = Duration::from_secs(10);
    cfg.initial_backoff = Duration::from_millis(10);
    cfg.max_backoff = Duration::from_millis(50);
    cfg
}

pub fn client(server: &MockServer) -> PlatformClient {
    PlatformClient::new(config(&server.uri())).unwrap()
}

pub fn request() -> JobRequest {
    JobRequest {
        provider: Provider::Gemini,
        prompt: "Summarise the logs.".into(),
        priority: Priority::High,
        project: "webshop".into(),
        task_id: "summarise-logs".into(),
    }
}

pub fn job_json(id: &str, status: &str) -> serde_json::Value {
    json!({
        "id": id, "status": status, "provider": "gemini",
        "submitted_at": "2026-04-17T02:00:00Z",
        "result": if status == "completed" { json!("the summary") } else { json!(null) },
        "error": null, "cost_usd": null, "started_at": null, "finished_at": null,
    })
}

pub fn accepted(id: &str) -> ResponseTemplate {
    ResponseTemplate::new(202).set_body_json(job_json(id, "queued"))
}

/// Asserts the key is nowhere in an error's message or debug output.
#[track_caller]
pub fn assert_no_key(err: &PlatformError) {
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(KEY), "key leaked in: {shown}");
}
