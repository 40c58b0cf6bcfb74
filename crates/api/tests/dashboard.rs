//! The dashboard's endpoints over real HTTP: the page and its assets under a strict content
//! security policy, panes of our sessions only, requeue and clear behind the token, and reads
//! behind the token when the API listens beyond loopback.

mod common;

use common::{Harness, Setup, TOKEN};
use serde_json::json;

#[tokio::test]
async fn the_page_and_its_assets_are_served_under_a_strict_policy() {
    let h = Harness::start().await;
    for (path, kind) in [
        ("/", "text/html"),
        ("/dashboard.js", "text/javascript"),
        ("/dashboard.css", "text/css"),
    ] {
        let response = h.client.get(h.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let headers = response.headers().clone();
        assert!(
            headers["content-type"].to_str().unwrap().starts_with(kind),
            "{path}"
        );
        let policy = headers["content-security-policy"].to_str().unwrap();
        assert!(
            policy.contains("script-src 'self'") && !policy.contains("unsafe"),
            "{policy}"
        );
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert!(!response.text().await.unwrap().is_empty());
    }
    let page = h
        .client
        .get(h.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !page.contains("<script>"),
        "no inline script: the policy would refuse it"
    );
    assert!(!page.contains("innerHTML"));
    let script = h
        .client
        .get(h.url("/dashboard.js"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !script.contains("innerHTML") && !script.contains("insertAdjacentHTML"),
        "text only"
    );
}

#[tokio::test]
async fn a_pane_is_shown_only_for_our_own_sessions() {
    let h = Harness::start().await;
    let response = h
        .client
        .get(h.url("/api/sessions/someone-else/pane"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("no pool or dedicated session"),
        "{body}"
    );
    // A pool name whose session does not run (no tmux server here): a clear 404 too.
    let response = h
        .client
        .get(h.url("/api/sessions/ccl-auto-11/pane"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn a_failed_task_is_requeued_only_with_the_token() {
    let h = Harness::start().await;
    let failed = h.queue("alpha", "failed").join("broke.md");
    std::fs::write(
        &failed,
        "# Broke\n\n---\n<!-- claude-failover run -->\n- outcome: agent error: 400\n",
    )
    .unwrap();
    let body = json!({ "project": "alpha", "file": "broke.md" }).to_string();
    let (status, _) = h.post("/api/tasks/requeue", None, body.clone()).await;
    assert_eq!(status, 401, "no token, no requeue");
    assert!(failed.exists());
    let (status, answer) = h
        .post("/api/tasks/requeue", Some(TOKEN), body.clone())
        .await;
    assert_eq!(status, 201, "{answer}");
    let queued = h.queue("alpha", "inbox").join("broke.md");
    assert_eq!(std::fs::read_to_string(queued).unwrap(), "# Broke\n");
    assert!(!failed.exists());
    let (status, answer) = h.post("/api/tasks/requeue", Some(TOKEN), body).await;
    assert_eq!(status, 404, "{answer}");
    let escape = json!({ "project": "alpha", "file": "../inbox/broke.md" }).to_string();
    let (status, _) = h.post("/api/tasks/requeue", Some(TOKEN), escape).await;
    assert_eq!(status, 404, "no path escapes failed/");
    let unknown = json!({ "project": "nope", "file": "x.md" }).to_string();
    let (status, answer) = h.post("/api/tasks/requeue", Some(TOKEN), unknown).await;
    assert_eq!(status, 400, "{answer}");
}

#[tokio::test]
async fn clearing_an_account_places_a_request_for_the_daemon() {
    let h = Harness::start().await;
    let (status, _) = h
        .post("/api/accounts/clear", None, r#"{"account":"a"}"#)
        .await;
    assert_eq!(status, 401);
    let (status, answer) = h
        .post("/api/accounts/clear", Some(TOKEN), r#"{"account":"zz"}"#)
        .await;
    assert_eq!(status, 400, "{answer}");
    let (status, answer) = h
        .post("/api/accounts/clear", Some(TOKEN), r#"{"account":"a"}"#)
        .await;
    assert_eq!(status, 202, "{answer}");
    let requests: Vec<String> = std::fs::read_dir(h.root().join("state/requests"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        requests.iter().any(|n| n.starts_with("clear-")),
        "{requests:?}"
    );
}

#[tokio::test]
async fn beyond_loopback_reads_need_the_token_but_the_page_loads() {
    let h = Harness::start_with(Setup {
        reads_need_token: true,
        ..Setup::default()
    })
    .await;
    for path in ["/api/status", "/api/tasks", "/api/events", "/metrics"] {
        let response = h.client.get(h.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 401, "{path}");
    }
    let response = h
        .client
        .get(h.url("/api/status"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    for path in ["/", "/dashboard.js", "/healthz"] {
        let response = h.client.get(h.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
    }
}

#[tokio::test]
async fn on_loopback_a_request_naming_another_host_is_refused() {
    let h = Harness::start().await;
    for host in ["evil.example", "evil.example:7878", "10.0.0.1"] {
        let response = h
            .client
            .get(h.url("/api/sessions"))
            .header("host", host)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "{host}");
    }
    for host in ["localhost:7878", "127.0.0.1", "[::1]:80"] {
        let response = h
            .client
            .get(h.url("/healthz"))
            .header("host", host)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{host}");
    }
}
