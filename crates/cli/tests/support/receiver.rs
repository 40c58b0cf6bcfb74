//! A notification receiver on 127.0.0.1 port 0 standing in for ntfy, Slack or a webhook: it
//! records every request it answers (with when it came) and answers as its script says.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use jiff::Timestamp;

/// What the receiver does with the next request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    /// Answer with this status.
    Status(u16),
    /// Never answer.
    Hang,
}

/// One request as received.
#[derive(Debug, Clone)]
pub struct Received {
    /// The status it was answered with (none: it hangs).
    pub status: Option<u16>,
    /// Its headers.
    pub headers: HeaderMap,
    /// Its body.
    pub body: String,
    /// When it arrived.
    pub at: Timestamp,
}

/// A running receiver.
#[derive(Clone)]
pub struct Receiver {
    script: Arc<Mutex<Vec<Reply>>>,
    then: Reply,
    seen: Arc<Mutex<Vec<Received>>>,
    /// Its URL (the path is part of the secret: it must never be logged).
    pub url: String,
}

impl Receiver {
    /// Starts one that answers as `script` says, then `then` for ever.
    pub async fn start(script: Vec<Reply>, then: Reply) -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let receiver = Receiver {
            script: Arc::new(Mutex::new(script)),
            then,
            seen: Arc::new(Mutex::new(Vec::new())),
            url: format!("http://{addr}/notify-secret-{}", addr.port()),
        };
        let app = axum::Router::new()
            .route("/{*path}", axum::routing::post(answer))
            .with_state(receiver.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        receiver
    }

    /// Every request so far.
    pub fn received(&self) -> Vec<Received> {
        self.seen.lock().expect("lock").clone()
    }

    /// The JSON bodies of the requests answered with 2xx.
    pub fn accepted_json(&self) -> Vec<serde_json::Value> {
        self.received()
            .iter()
            .filter(|r| r.status.is_some_and(|s| (200..300).contains(&s)))
            .map(|r| serde_json::from_str(&r.body).expect("a JSON body"))
            .collect()
    }
}

async fn answer(State(rx): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let reply = {
        let mut script = rx.script.lock().expect("lock");
        if script.is_empty() {
            rx.then
        } else {
            script.remove(0)
        }
    };
    let status = match reply {
        Reply::Status(code) => Some(code),
        Reply::Hang => None,
    };
    rx.seen.lock().expect("lock").push(Received {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
        at: Timestamp::now(),
    });
    match status {
        Some(code) => StatusCode::from_u16(code).unwrap_or(StatusCode::OK),
        None => std::future::pending().await,
    }
}
