//! Keeping the world in shape: the watched folders, the projects, the pool's sessions, and the
//! links the accounts share (checked before anything starts).

use std::collections::BTreeSet;
use std::path::PathBuf;

use cf_config::Config;
use cf_queue::WatchTag;
use cf_tmux::NewSession;

use crate::daemon::{Daemon, POOL_SHELL};
use crate::error::StartError;
use crate::notice::{About, NoticeKind};

impl Daemon {
    pub(crate) fn watch_fixed_dirs(&mut self) -> Result<(), StartError> {
        let requests = crate::failover::requests_dir(&self.cfg.state_dir);
        std::fs::create_dir_all(&requests).map_err(|source| StartError::CreateDir {
            what: "the requests dir",
            path: requests.clone(),
            source,
        })?;
        for (what, path, tag) in [
            (
                "the done-signal dir",
                self.cfg.watcher.done_signal_dir.clone(),
                WatchTag::Signals,
            ),
            (
                "projects_dir",
                self.cfg.dispatcher.projects_dir.clone(),
                WatchTag::ProjectsDir,
            ),
            ("the requests dir", requests, WatchTag::Requests),
        ] {
            self.watcher
                .watch(&path, tag)
                .map_err(|source| StartError::Watch {
                    what,
                    path,
                    source: Box::new(source),
                })?;
        }
        Ok(())
    }

    /// (Re)discovers the projects and watches the inbox and done folder of new ones.
    pub(crate) fn discover_projects(&mut self) {
        let discovery = match cf_queue::discover_projects(
            &self.cfg.dispatcher.projects_dir,
            &self.cfg.dispatcher.projects,
        ) {
            Ok(d) => d,
            Err(e) => {
                self.say(
                    NoticeKind::Problem,
                    About::default(),
                    format!("project discovery failed: {e}"),
                );
                return;
            }
        };
        for problem in &discovery.problems {
            tracing::warn!("project discovery: {problem}");
        }
        for project in discovery.projects {
            if self.projects.contains(&project.name) {
                continue;
            }
            if let Err(e) = cf_queue::ensure_layout(&project) {
                self.say(
                    NoticeKind::Problem,
                    About::default().project(project.name.clone()),
                    format!("cannot prepare the queue folders: {e}"),
                );
                continue;
            }
            for (dir, tag) in [
                (project.inbox_dir(), WatchTag::Inbox(project.name.clone())),
                (project.done_dir(), WatchTag::Done(project.name.clone())),
            ] {
                if let Err(e) = self.watcher.watch(&dir, tag) {
                    self.say(
                        NoticeKind::Problem,
                        About::default().project(project.name.clone()),
                        format!("cannot watch {}: {e}", dir.display()),
                    );
                }
            }
            tracing::info!(project = %project.name, root = %project.root.display(), "project found");
            self.projects.add(project);
            self.dispatch_wanted = true;
        }
    }

    /// Creates missing pool sessions (up to `min`, and every vanished known one) and
    /// refreshes which slots are alive. Never touches a session outside the pool range.
    pub(crate) async fn maintain_pool(&mut self) {
        let alive: BTreeSet<String> = match self.terminal.list_sessions().await {
            Ok(names) => names.into_iter().collect(),
            Err(e) => {
                self.say(
                    NoticeKind::Problem,
                    About::default(),
                    format!("cannot list tmux sessions: {e}"),
                );
                return;
            }
        };
        for name in self.pool.names() {
            if alive.contains(&name) {
                self.pool.seen_alive(&name);
            } else {
                self.pool.seen_gone(&name);
            }
        }
        for name in self.pool.sessions_to_create(&alive) {
            let spec = NewSession {
                name: name.clone(),
                cwd: self.cfg.dispatcher.projects_dir.clone(),
                width: self.opts.pane_size.0,
                height: self.opts.pane_size.1,
                env: vec![("CLAUDE_FAILOVER_SESSION".to_string(), name.clone())],
                // A plain POSIX shell: no rc files that can stall start-up (a pyenv lock, a
                // prompt framework) or change the environment the agents get.
                command: Some(format!("exec {}", POOL_SHELL)),
            };
            match self.terminal.new_session(&spec).await {
                Ok(()) => {
                    self.pool.seen_alive(&name);
                    self.say(
                        NoticeKind::SessionCreated,
                        About::default().session(name.clone()),
                        String::new(),
                    );
                    self.save_slot(&name);
                    self.dispatch_wanted = true;
                }
                Err(e) => self.say(
                    NoticeKind::Problem,
                    About::default().session(name),
                    format!("cannot create the pool session: {e}"),
                ),
            }
        }
    }
}

/// With two or more accounts, every account's shared entries must link into `shared_dir`:
/// missing links (and targets) are created; a link elsewhere or a file in the way refuses the start.
pub(crate) fn check_shared_links(cfg: &Config) -> Result<(), StartError> {
    let (Some(shared), true) = (&cfg.shared_dir, cfg.accounts.len() > 1) else {
        return Ok(());
    };
    let accounts: Vec<(String, PathBuf)> = cfg
        .accounts
        .iter()
        .map(|a| (a.name.clone(), a.config_dir.clone()))
        .collect();
    let report = cf_accounts::ensure_links(&accounts, shared)
        .map_err(|e| StartError::SharedLinks(Box::new(e)))?;
    if !report.is_healthy() {
        return Err(StartError::UnsafeLinks {
            report: report.to_string(),
        });
    }
    Ok(())
}
