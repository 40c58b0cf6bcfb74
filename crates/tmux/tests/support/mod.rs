//! Shared helpers for the integration tests: a private tmux server killed on drop, and
//! polling with a deadline.

#![allow(dead_code)]

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use cf_tmux::{NewSession, Tmux};

/// Configuration of test servers (see [`PrivateServer`]).
pub const SERVER_CONFIG: &str =
    "set -g default-shell /bin/sh\nset -g default-command 'exec /bin/sh'\n";

/// How long a condition may take to become true before the test fails.
pub const DEADLINE: Duration = Duration::from_secs(10);

/// A tmux server on a socket of its own (`-L cf-test-<pid>-<n>`), killed when dropped so
/// no test touches the user's server or leaks one. Its configuration makes panes run
/// a plain non-login `/bin/sh`: login shells run profiles (pyenv, `mesg`, ...) that are
/// slow, change the foreground command, and can hang on lock files when killed mid-start.
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

    /// Creates an 80x24 shell session and waits for its prompt, so typed text is read
    /// by the shell rather than echoed ahead of the prompt.
    pub async fn start_shell(&self, name: &str) {
        self.tmux
            .new_session(&self.shell_spec(name))
            .await
            .expect("new session");
        self.wait_for_prompt(name).await;
    }

    /// Waits until the last non-blank screen line is a bare `sh` prompt (`#` or `$`).
    pub async fn wait_for_prompt(&self, name: &str) {
        wait_for_screen(&self.tmux, name, "the shell prompt shows", |screen| {
            let last = screen.lines().rev().find(|line| !line.trim().is_empty());
            matches!(last.map(str::trim_end), Some("#" | "$"))
        })
        .await;
    }

    /// Waits for the shell prompt, starts `cat > file` and waits until `cat` runs.
    pub async fn start_cat_into(&self, name: &str, file: &str) -> PathBuf {
        self.wait_for_prompt(name).await;
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

impl PrivateServer {
    /// Where tmux puts a `-L` socket: `$TMUX_TMPDIR` (or `/tmp`) `/tmux-<uid>/<name>`.
    fn socket_path(&self) -> PathBuf {
        use std::os::unix::fs::MetadataExt;
        let uid = std::fs::metadata("/proc/self")
            .map(|meta| meta.uid())
            .unwrap_or(0);
        let base = std::env::var_os("TMUX_TMPDIR").unwrap_or_else(|| "/tmp".into());
        PathBuf::from(base)
            .join(format!("tmux-{uid}"))
            .join(&self.socket)
    }
}

impl Drop for PrivateServer {
    fn drop(&mut self) {
        let _ = std::process::Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
        // tmux 3.3 leaves its socket file behind when the server exits.
        let _ = std::fs::remove_file(self.socket_path());
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

/// Polls the session's screen until `condition` holds for it; panics with the last
/// screen after [`DEADLINE`]. Returns the screen that satisfied the condition.
pub async fn wait_for_screen(
    tmux: &Tmux,
    name: &str,
    what: &str,
    condition: impl Fn(&str) -> bool,
) -> String {
    let started = Instant::now();
    loop {
        let screen = tmux.capture_screen(name).await.expect("capture screen");
        if condition(&screen) {
            return screen;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "timed out after {DEADLINE:?} waiting until {what}; screen of {name}:\n{screen}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
