//! The API key never leaks: not in `Debug`, not in error messages (even when the
//! server echoes it). The logs are checked in `logs.rs`.

use std::time::Duration;

use cf_platform::{JobId, PlatformClient, PlatformError};
use serde_json::json;
use support::{KEY, assert_no_key, config, request};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

mod support;

#[tokio::test]
async fn the_key_never_shows_in_debug_or_errors() {
    let server = MockServer::start().await;
    // A server that echoes the key back in its error bodies.
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(422).set_body_json(json!({"error": format!("bad {KEY}")})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/jobs/gone"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/jobs/denied"))
        .respond_with(ResponseTemplate::new(401).set_body_string(KEY))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/jobs/busy"))
        .respond_with(ResponseTemplate::new(503).set_body_string(format!("busy {KEY}")))
        .mount(&server)
        .await;
    let mut cfg = config(&server.uri());
    cfg.max_elapsed = Duration::from_millis(200);
    let client = PlatformClient::new(cfg.clone()).unwrap();

    for shown in [
        format!("{cfg:?}"),
        format!("{client:?}"),
        format!("{:?}", cfg.api_key),
    ] {
        assert!(!shown.contains(KEY), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
    }

    let rejected = client.submit_job(&request()).await.unwrap_err();
    assert!(
        rejected.to_string().contains("bad <redacted>"),
        "{rejected}"
    );
    let not_found = client.get_job(&JobId::new("gone")).await.unwrap_err();
    assert!(
        matches!(not_found, PlatformError::JobNotFound { .. }),
        "{not_found:?}"
    );
    let denied = client.get_job(&JobId::new("denied")).await.unwrap_err();
    assert!(
        matches!(denied, PlatformError::Unauthorized { status: 401, .. }),
        "{denied:?}"
    );
    let busy = client.get_job(&JobId::new("busy")).await.unwrap_err();
    assert!(matches!(busy, PlatformError::GaveUp { .. }), "{busy:?}");
    for err in [&rejected, &not_found, &denied, &busy] {
        assert_no_key(err);
    }
}
