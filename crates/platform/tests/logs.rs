//! The API key never reaches the logs, even at trace level through retries and failures.
//!
//! Alone in its test binary on purpose: tracing caches per-callsite interest
//! globally, so a test running in parallel without a subscriber can make the
//! callsites look disabled to this one's thread-local subscriber.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cf_platform::{JobId, PlatformClient};
use serde_json::json;
use support::{KEY, config, request};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

mod support;

/// A log sink shared with the test.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn logs_never_contain_the_key() {
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || sink.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503).set_body_string(format!("down {KEY}")))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(202).set_body_json(json!({
            "id": "j-log", "status": "queued", "provider": "gpu",
            "submitted_at": "2026-04-17T02:00:00Z",
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500).set_body_string(KEY))
        .mount(&server)
        .await;

    let mut cfg = config(&server.uri());
    cfg.max_elapsed = Duration::from_millis(300);
    let client = PlatformClient::new(cfg).unwrap();
    client.submit_job(&request()).await.unwrap();
    let err = client.get_job(&JobId::new("j-log")).await.unwrap_err();
    tracing::error!(%err, ?err, ?client, "as a caller would log it");

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("retrying"),
        "the retries should be logged: {logs}"
    );
    assert!(logs.contains("job submitted"), "{logs}");
    assert!(!logs.contains(KEY), "the key leaked into the logs:\n{logs}");
}
