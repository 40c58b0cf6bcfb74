//! The token-guarded changes over real HTTP: refusals without or with a wrong token, the
//! swap request file, and tasks written into the inbox.

mod common;

use common::{Harness, Setup, TOKEN};
use serde_json::json;

fn files_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[tokio::test]
async fn without_a_configured_token_changes_are_forbidden() {
    let h = Harness::start_with(Setup {
        token: None,
        ..Setup::default()
    })
    .await;
    let (status, body) = h.post("/api/swap", None, "{}").await;
    assert_eq!(status, 403);
    let message = body["error"].as_str().unwrap();
    assert!(message.contains("api.token"), "{message}");
    assert!(message.contains("api.token_env"), "{message}");
    // Even a token in the request does not help.
    let task = json!({ "project": "alpha", "content": "# t\n" }).to_string();
    let (status, _) = h.post("/api/tasks", Some(TOKEN), task).await;
    assert_eq!(status, 403);
    assert!(files_in(&h.queue("alpha", "inbox")).is_empty());
    assert!(files_in(&h.root().join("state/requests")).is_empty());
}

#[tokio::test]
async fn a_missing_or_wrong_token_is_unauthorized() {
    let h = Harness::start().await;
    let response = h
        .client
        .post(h.url("/api/swap"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("Bearer"));

    let (status, body) = h
        .post("/api/swap", Some("not-the-token-at-all"), "{}")
        .await;
    assert_eq!(status, 401, "{body}");
    let (status, _) = h
        .post("/api/swap", Some(&TOKEN[..TOKEN.len() - 1]), "{}")
        .await;
    assert_eq!(status, 401);
    let task = json!({ "project": "alpha", "content": "# t\n" }).to_string();
    let (status, _) = h.post("/api/tasks", Some("wrong"), task).await;
    assert_eq!(status, 401);
    assert!(files_in(&h.queue("alpha", "inbox")).is_empty());
    assert!(files_in(&h.root().join("state/requests")).is_empty());
}

#[tokio::test]
async fn swap_writes_a_request_file() {
    let h = Harness::start().await;
    let (status, body) = h.post("/api/swap", Some(TOKEN), r#"{"to": "b"}"#).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["requested"], true);
    assert_eq!(body["to"], "b");
    assert_eq!(body["daemon_running"], false);
    let dir = h.root().join("state/requests");
    let names = files_in(&dir);
    assert_eq!(names.len(), 1, "{names:?}");
    assert!(names[0].starts_with("swap-") && names[0].ends_with(".json"));
    let request: cf_daemon::failover::SwapRequest =
        serde_json::from_slice(&std::fs::read(dir.join(&names[0])).unwrap()).unwrap();
    assert_eq!(request.to.as_deref(), Some("b"));

    // An empty body asks for the next usable account.
    let (status, body) = h.post("/api/swap", Some(TOKEN), "").await;
    assert_eq!(status, 202, "{body}");
    assert!(body["to"].is_null());
    let names = files_in(&dir);
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(
        names.iter().all(|n| !n.starts_with('.')),
        "temp file left: {names:?}"
    );
}

#[tokio::test]
async fn swap_refuses_bad_bodies_naming_the_field() {
    let h = Harness::start().await;
    let (status, body) = h.post("/api/swap", Some(TOKEN), r#"{"to": "zzz"}"#).await;
    assert_eq!(status, 400);
    let message = body["error"].as_str().unwrap();
    assert!(
        message.contains("`to`") && message.contains("a, b"),
        "{message}"
    );
    let (status, body) = h.post("/api/swap", Some(TOKEN), r#"{"to": 5}"#).await;
    assert_eq!(status, 400);
    assert!(
        body["error"].as_str().unwrap().contains("invalid type"),
        "{body}"
    );
    let (status, body) = h.post("/api/swap", Some(TOKEN), r#"{"target": "b"}"#).await;
    assert_eq!(status, 400);
    assert!(body["error"].as_str().unwrap().contains("target"), "{body}");
    let (status, _) = h.post("/api/swap", Some(TOKEN), "{not json").await;
    assert_eq!(status, 400);
    assert!(files_in(&h.root().join("state/requests")).is_empty());
}

#[tokio::test]
async fn add_task_writes_the_file_into_the_inbox() {
    let h = Harness::start().await;
    let content = "---\ntitle: Fix the login\npriority: high\n---\nMake login work.\n";
    let body = json!({ "project": "alpha", "id": "fix-login", "content": content });
    let (status, reply) = h.post("/api/tasks", Some(TOKEN), body.to_string()).await;
    assert_eq!(status, 201, "{reply}");
    assert_eq!(reply["project"], "alpha");
    assert_eq!(reply["id"], "fix-login");
    let path = h.queue("alpha", "inbox").join("fix-login.md");
    assert_eq!(
        std::path::Path::new(reply["path"].as_str().unwrap()),
        path.as_path()
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), content);
    // Written through a temp file that is gone: only the task is in the inbox.
    assert_eq!(files_in(&h.queue("alpha", "inbox")), vec!["fix-login.md"]);

    // The daemon's listing sees it as queued.
    let tasks = h.get_json("/api/tasks").await;
    assert_eq!(tasks["tasks"][0]["file"], "fix-login.md");
    assert_eq!(tasks["tasks"][0]["state"], "queued");

    // The same id again is a conflict, and the first file is untouched.
    let again = json!({ "project": "alpha", "id": "fix-login", "content": "# other\n" });
    let (status, reply) = h.post("/api/tasks", Some(TOKEN), again.to_string()).await;
    assert_eq!(status, 409, "{reply}");
    assert!(reply["error"].as_str().unwrap().contains("`id`"));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), content);
}

#[tokio::test]
async fn add_task_takes_ids_with_spaces_and_accents() {
    let h = Harness::start().await;
    for id in ["Fix login bug", "Ünïcode tâche"] {
        let body = json!({ "project": "alpha", "id": id, "content": "# t\n" });
        let (status, reply) = h.post("/api/tasks", Some(TOKEN), body.to_string()).await;
        assert_eq!(status, 201, "{id}: {reply}");
        assert_eq!(reply["id"], id);
        assert!(h.queue("alpha", "inbox").join(format!("{id}.md")).is_file());
    }
}

#[tokio::test]
async fn add_task_without_an_id_takes_one_from_the_title() {
    let h = Harness::start().await;
    let body = json!({ "project": "beta", "content": "---\ntitle: Tidy Docs\n---\nTidy.\n" });
    let (status, reply) = h.post("/api/tasks", Some(TOKEN), body.to_string()).await;
    assert_eq!(status, 201, "{reply}");
    let id = reply["id"].as_str().unwrap();
    assert!(id.ends_with("-tidy-docs"), "{id}");
    assert!(h.queue("beta", "inbox").join(format!("{id}.md")).is_file());
}

#[tokio::test]
async fn add_task_refuses_bad_input_naming_the_field() {
    let h = Harness::start().await;
    let cases = [
        (
            json!({ "project": "gamma", "content": "# t\n" }),
            400,
            "`project`",
        ),
        (
            json!({ "project": "alpha", "id": "../escape", "content": "# t\n" }),
            400,
            "`id`",
        ),
        (
            json!({ "project": "alpha", "id": "a:b", "content": "# t\n" }),
            400,
            "`id`",
        ),
        (
            json!({ "project": "alpha", "id": ".hidden", "content": "# t\n" }),
            400,
            "leading dot",
        ),
        (
            json!({ "project": "alpha", "id": "new\nline", "content": "# t\n" }),
            400,
            "control characters",
        ),
        (
            json!({ "project": "alpha", "content": "---\npriority: [nope\n---\nbody\n" }),
            400,
            "`content`",
        ),
        (
            json!({ "project": "alpha", "content": "---\ntitle: never closed\n" }),
            400,
            "`content`",
        ),
        (
            json!({ "project": "alpha", "content": "  \n" }),
            400,
            "`content`",
        ),
        (json!({ "project": "alpha" }), 400, "content"),
        (json!({ "content": "# t\n" }), 400, "project"),
        (
            json!({ "project": "alpha", "content": "# t\n", "extra": 1 }),
            400,
            "extra",
        ),
        (
            json!({ "project": 7, "content": "# t\n" }),
            400,
            "invalid type",
        ),
        (
            json!({ "project": "alpha", "content": "x".repeat(1024 * 1024 + 1) }),
            413,
            "`content`",
        ),
    ];
    for (body, expected, needle) in cases {
        let (status, reply) = h.post("/api/tasks", Some(TOKEN), body.to_string()).await;
        let message = reply["error"].as_str().unwrap_or_default().to_string();
        assert_eq!(status, expected, "{message}");
        assert!(message.contains(needle), "`{needle}` not in: {message}");
    }
    for raw in ["", "null", "[1]", "{\"project\":", "\u{0}"] {
        let (status, reply) = h.post("/api/tasks", Some(TOKEN), raw).await;
        assert_eq!(status, 400, "{raw:?}: {reply}");
        assert!(reply["error"].is_string());
    }
    assert!(files_in(&h.queue("alpha", "inbox")).is_empty());
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_with_json() {
    let h = Harness::start().await;
    let huge = vec![b' '; 9 * 1024 * 1024];
    let (status, reply) = h.post("/api/tasks", Some(TOKEN), huge).await;
    assert_eq!(status, 413);
    assert!(reply["error"].as_str().unwrap().contains("bytes"));
}
