//! Shared fixtures of the delegation tests: a mock platform client, a project on disk, jobs.
#![allow(dead_code)] // each test file uses a different subset

use std::fs;
use std::path::PathBuf;
use std::time::Duration;

use cf_delegation::DelegationManager;
use cf_platform::{ApiKey, PlatformClient, PlatformConfig, Url};
use cf_queue::{Project, QueuedFile, ensure_layout, scan_inbox};
use serde_json::{Value, json};
use wiremock::MockServer;

/// A client with fast retries and a short give-up budget.
pub fn client(server: &MockServer) -> PlatformClient {
    let mut cfg = PlatformConfig::new(Url::parse(&server.uri()).unwrap(), ApiKey::new("sk-test"));
    cfg.timeout = Duration::from_secs(5);
    cfg.max_elapsed = Duration::from_millis(300);
    cfg.initial_backoff = Duration::from_millis(10);
    cfg.max_backoff = Duration::from_millis(40);
    PlatformClient::new(cfg).unwrap()
}

pub fn manager(server: &MockServer) -> DelegationManager {
    DelegationManager::new(client(server))
}

/// A project `webshop` in a temp folder, with its queue layout.
pub struct TestProject {
    pub dir: tempfile::TempDir,
    pub project: Project,
}

impl TestProject {
    pub fn new() -> TestProject {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("webshop");
        fs::create_dir_all(&root).unwrap();
        let project = Project {
            name: "webshop".into(),
            root,
        };
        ensure_layout(&project).unwrap();
        TestProject { dir, project }
    }

    /// Writes `inbox/<id>.md` and returns it as the scan sees it.
    pub fn add(&self, id: &str, content: &str) -> QueuedFile {
        fs::write(self.inbox(id), content).unwrap();
        self.queued(id)
    }

    pub fn queued(&self, id: &str) -> QueuedFile {
        scan_inbox(&self.project)
            .unwrap()
            .queued
            .into_iter()
            .find(|q| q.id.as_str() == id)
            .unwrap()
    }

    pub fn inbox(&self, id: &str) -> PathBuf {
        self.project.inbox_dir().join(format!("{id}.md"))
    }

    /// Every visible file name in the inbox, sorted.
    pub fn inbox_names(&self) -> Vec<String> {
        names(self.project.inbox_dir())
    }

    pub fn done_names(&self) -> Vec<String> {
        names(self.project.done_dir())
    }

    pub fn failed_names(&self) -> Vec<String> {
        names(self.project.failed_dir())
    }
}

fn names(dir: PathBuf) -> Vec<String> {
    let mut out: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    out.sort();
    out
}

pub const TASK: &str =
    "---\npriority: high\nallow_delegation: true\npreferred_ai: gemini\n---\nSummarise the logs.\n";

/// A job body as the platform sends it.
pub fn job(id: &str, status: &str) -> Value {
    let terminal = matches!(status, "completed" | "failed" | "cancelled");
    json!({
        "id": id, "status": status, "provider": "gemini",
        "submitted_at": "2026-04-17T02:00:00Z",
        "result": if status == "completed" { json!("Three errors, all from the cache.") } else { json!(null) },
        "error": if status == "failed" { json!("model overloaded: try later") } else { json!(null) },
        "cost_usd": if terminal { json!(0.0125) } else { json!(null) },
        "started_at": if status == "queued" { json!(null) } else { json!("2026-04-17T02:00:05Z") },
        "finished_at": if terminal { json!("2026-04-17T02:01:10Z") } else { json!(null) },
    })
}
