//! Shared harness for the cf-api tests: a temp project tree, a parsed config, and the API
//! served on 127.0.0.1 port 0 until the harness is dropped.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cf_api::{ApiState, ApiToken, DelegationStats, NoDelegation};
use cf_config::{Config, ConfigSource, parse_config};
use cf_daemon::{Notice, NoticeKind};
use tokio::sync::{broadcast, oneshot};

/// The token tests configure when they want changes allowed.
pub const TOKEN: &str = "test-token-0123456789abcdef";

/// A value in the agent's env that must never show up in a response.
pub const AGENT_SECRET: &str = "agent-env-secret-value-42";

/// The served API and its files.
pub struct Harness {
    /// Keeps the temp tree alive.
    pub dir: tempfile::TempDir,
    /// The config the API reads.
    pub cfg: Arc<Config>,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// The notice channel (what the daemon would send on).
    pub notices: broadcast::Sender<Notice>,
    /// The HTTP client.
    pub client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<Result<(), cf_api::ApiError>>>,
}

/// How the harness is set up.
pub struct Setup {
    /// The configured token.
    pub token: Option<&'static str>,
    /// The delegation statistics to serve.
    pub delegation: Arc<dyn DelegationStats>,
    /// Reads need the token (as beyond loopback).
    pub reads_need_token: bool,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            token: Some(TOKEN),
            delegation: Arc::new(NoDelegation),
            reads_need_token: false,
        }
    }
}

impl Harness {
    /// Starts with a token configured.
    pub async fn start() -> Harness {
        Harness::start_with(Setup::default()).await
    }

    /// Starts with `setup`.
    pub async fn start_with(setup: Setup) -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for sub in [
            "state",
            "projects/alpha/.agent-queue/inbox",
            "projects/alpha/.agent-queue/done",
            "projects/alpha/.agent-queue/failed",
            "projects/beta/.agent-queue/inbox",
            "shared",
            "claude-a",
            "claude-b",
        ] {
            std::fs::create_dir_all(root.join(sub)).unwrap();
        }
        let socket = format!("cf-api-test-{}-{}", std::process::id(), unique());
        let yaml = format!(
            "state_dir: {root}/state\n\
             tmux:\n  socket: {socket}\n\
             dispatcher:\n  projects_dir: {root}/projects\n\
             watchdog:\n  stale_after: 1h\n\
             agent:\n  env:\n    SOME_API_KEY: \"{AGENT_SECRET}\"\n\
             shared_dir: {root}/shared\n\
             accounts:\n  - name: a\n    config_dir: {root}/claude-a\n  - name: b\n    config_dir: {root}/claude-b\n",
            root = root.display()
        );
        let source = ConfigSource {
            path: root.join("config.yaml"),
            home: root.to_path_buf(),
        };
        let cfg = match parse_config(&source, &yaml) {
            Ok(cfg) => Arc::new(cfg),
            Err(e) => panic!("test config does not parse:\n{e}"),
        };
        let (notices, _) = broadcast::channel(64);
        let state = ApiState {
            cfg: Arc::clone(&cfg),
            notices: notices.clone(),
            delegation: setup.delegation,
            token: setup.token.map(|t| ApiToken::new(t).unwrap()),
            reads_need_token: setup.reads_need_token,
            terminal: Arc::new(cf_tmux::Tmux::new(Some(socket.clone()))),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(cf_api::serve(state, listener, async move {
            let _ = stopped.await;
        }));
        Harness {
            dir,
            cfg,
            base,
            notices,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .build()
                .unwrap(),
            stop: Some(stop),
            server: Some(server),
        }
    }

    /// The temp root.
    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// `<root>/projects/<name>/.agent-queue/<folder>`.
    pub fn queue(&self, project: &str, folder: &str) -> PathBuf {
        self.root()
            .join("projects")
            .join(project)
            .join(".agent-queue")
            .join(folder)
    }

    /// The full URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// GETs `path`, expecting 200 and JSON.
    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        let response = self.client.get(self.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "GET {path}");
        let text = response.text().await.unwrap();
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("GET {path}: not JSON ({e}): {text}"))
    }

    /// POSTs `body` to `path` with `token` (if any); returns status and JSON.
    pub async fn post(
        &self,
        path: &str,
        token: Option<&str>,
        body: impl Into<reqwest::Body>,
    ) -> (u16, serde_json::Value) {
        let mut request = self
            .client
            .post(self.url(path))
            .header("content-type", "application/json")
            .body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        let json = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("POST {path}: not JSON ({e}): {text}"));
        (status, json)
    }

    /// Records a swap in the store, as the daemon does.
    pub fn record_swap(&self, from: &str, to: &str) -> i64 {
        std::fs::create_dir_all(&self.cfg.state_dir).unwrap();
        let store = cf_store::Store::open(&cf_daemon::store_path(&self.cfg)).unwrap();
        store
            .record_swap(&cf_store::NewSwap {
                at: jiff::Timestamp::now(),
                from_account: from,
                to_account: to,
                trigger_session: Some("ccl-auto-11"),
                pattern: "session-limit",
                reset_at: None,
                detail: "test swap",
            })
            .unwrap()
    }

    /// Stops the server and waits for `serve` to return (bounded).
    pub async fn shutdown(mut self) -> Result<(), cf_api::ApiError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let server = self.server.take().unwrap();
        tokio::time::timeout(Duration::from_secs(10), server)
            .await
            .expect("serve returns within 10 s of shutdown")
            .unwrap()
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        if let Some(server) = &self.server {
            server.abort();
        }
    }
}

/// A notice of `kind` about `alpha/<task>`.
pub fn notice(kind: NoticeKind, task: &str) -> Notice {
    Notice {
        at: jiff::Timestamp::now(),
        kind,
        session: Some("ccl-auto-11".into()),
        project: Some("alpha".into()),
        task_id: Some(task.into()),
        account: None,
        until: None,
        detail: "launching".into(),
    }
}

/// Polls `check` every 20 ms until it returns `Some`, or panics after `limit`.
pub async fn wait_for<T>(limit: Duration, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}
