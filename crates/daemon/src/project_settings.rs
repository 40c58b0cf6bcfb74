//! Each project's own settings (`<project>/.agent-queue/config.yaml`): read again whenever the
//! file changes (checked on every dispatch pass by its size and mtime). A broken file holds the
//! project's tasks, said once, until it is fixed; the daemon never guesses a setting from it.
//! How many of a project's tasks run at once follows from them.

use std::collections::HashMap;

use crate::daemon::Daemon;
use crate::notice::{About, NoticeKind};

impl Daemon {
    /// Reads the settings file of every project whose file changed since it was last read.
    pub(crate) fn refresh_project_settings(&mut self) {
        for project in self.projects.all() {
            let path = project.queue_dir().join(cf_config::PROJECT_CONFIG_FILE);
            let stamp = std::fs::metadata(&path)
                .ok()
                .map(|m| (m.len(), m.modified().unwrap_or(std::time::UNIX_EPOCH)));
            if self.projects.settings_read_at(&project.name, stamp) {
                continue;
            }
            let read = cf_config::load_project_config(&project.queue_dir())
                .map_err(|errors| errors.to_string());
            let before = self
                .projects
                .set_settings(&project.name, stamp, read.clone());
            let about = About::default().project(project.name.clone());
            match (read, before) {
                (Err(why), _) => self.say(
                    NoticeKind::Problem,
                    about,
                    format!("its settings cannot be used, so its tasks wait until the file is fixed: {why}"),
                ),
                (Ok(_), Some(Err(_))) => {
                    self.say(NoticeKind::Problem, about, "its settings are usable again");
                    self.dispatch_wanted = true;
                }
                (Ok(config), _) if stamp.is_some() => {
                    tracing::info!(project = %project.name, ?config, "project settings read");
                }
                (Ok(_), _) => {}
            }
        }
    }

    /// Why the tasks of `project` are held (its settings file is broken), if they are.
    pub(crate) fn project_held(&self, project: &str) -> Option<String> {
        self.projects.settings(project).err().map(str::to_owned)
    }

    /// How many of `project`'s tasks may run at once: its own `max_running`, else
    /// `dispatcher.max_running_per_project`; `None`: no limit.
    pub(crate) fn running_limit(&self, project: &str) -> Option<u32> {
        let own = self
            .projects
            .settings(project)
            .ok()
            .and_then(|s| s.max_running);
        own.or(self.cfg.dispatcher.max_running_per_project)
    }

    /// Per project, its claimed tasks that run in a session or wait to go on in one.
    pub(crate) fn running_per_project(&self) -> HashMap<String, u32> {
        let mut running: HashMap<String, u32> = HashMap::new();
        let held = self.pool.tasks().map(|t| t.project.clone());
        let waiting = self.waiting.values().map(|w| w.task.project.clone());
        for project in held.chain(waiting) {
            *running.entry(project).or_default() += 1;
        }
        running
    }
}
