//! Shared helpers for the integration tests: a private tmux server killed on drop, and
//! polling with a deadline.

#![allow(dead_code)]

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use cf_tmux::{NewSession, Tmux};

/// Configuration of test servers (see [`PrivateServer`]).
pub const SERVER_CONFIG: &str = "set -g default-shell /bin/sh\n";

/// How long a condition may take to become true before the test fails.
pub const DEADLINE: Duration = Duration::from_secs(10);

/// A tmux server on a socket of its own (`-L cf-test-<pid>-<n>`), killed when dropped so
/// no test touches the user's server or leaks one. Its configuration only sets
/// `default-shell /bin/sh`: the user's login shell runs profiles (pyenv, ...) that are
/// slow and can hang on lock files when shells are killed mid-start.
pub struct PrivateServer {
    /// The adapter pointed at the private socket.
    pub tmux: Tmux,
    /// The socket name, for raw `tmux` calls that check server state.
    pub socket: String,
    /// Working directory for sessions and files written by panes.
    pub dir: tempfile::TempDir,
}

impl PrivateServer {
    /// A fresh socket name; no server runs on it until the first session.
    pub fn new() -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let socket = format!(
            "cf-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        let dir = tempfile::tempdir().expect("temp dir");
        let config = dir.path().join("tmux.conf");
        std::fs::write(&config, SERVER_CONFIG).expect("write tmux.conf");
        let tmux = Tmux::new(Some(socket.clone())).with_config_file(&config);
        Self { tmux, socket, dir }
    }

    /// The spec of an 80x24 session running the default shell (`sh`) in the temp dir.
    pub fn shell_spec(&self, name: &str) -> NewSession {
        NewSession {
            name: name.to_owned(),
            cwd: self.dir.path().to_path_buf(),
            width: 80,
            height: 24,
            env: Vec::new(),
            command: None,
        }
    }

    /// A path inside the temp dir.
    pub fn path(&self, file: &str) -> PathBuf {
        self.dir.path().join(file)
    }

    /// Runs tmux directly on the private socket (to observe state the adapter hides).
    pub fn raw(&self, args: &[&str]) -> std::process::Output {
        std::process::Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("run tmux")
    }

    /// Names of the paste buffers currently on the server.
    pub fn buffer_names(&self) -> Vec<String> {
        let output = self.raw(&["list-buffers", "-F", "#{buffer_name}"]);
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// Starts `cat > file` in the session's shell and waits until `cat` runs.
    pub async fn start_cat_into(&self, name: &str, file: &str) -> PathBuf {
        let path = self.path(file);
        self.tmux
            .type_text(name, &format!("cat > {}", path.display()))
            .await
            .expect("type cat command");
        self.tmux
            .press(name, cf_tmux::Key::Enter)
            .await
            .expect("press enter");
        let started = Instant::now();
        while self
            .tmux
            .pane_info(name)
            .await
            .expect("pane info")
            .current_command
            != "cat"
        {
            if started.elapsed() > DEADLINE {
                let screen = self.tmux.capture_screen(name).await.expect("capture");
                panic!("cat did not start in {name} within {DEADLINE:?}; screen:\n{screen}");
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        path
    }
}

impl Drop for PrivateServer {
    fn drop(&mut self) {
        let _ = std::process::Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

/// Polls `condition` every 25 ms until it holds; panics after [`DEADLINE`].
pub async fn wait_until<F, Fut>(what: &str, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let started = Instant::now();
    loop {
        if condition().await {
            return;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "timed out after {DEADLINE:?} waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Waits until `path` holds exactly `expected`, and returns what it finally held.
pub async fn wait_for_file(path: &Path, expected: &str) -> String {
    let started = Instant::now();
    loop {
        let content = std::fs::read_to_string(path).unwrap_or_default();
        if content == expected || started.elapsed() >= DEADLINE {
            return content;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
