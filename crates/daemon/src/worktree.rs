//! A task's own git worktree (`isolation: worktree`): made on a new branch named after the task
//! when it is claimed, from its `base:`, else the branch of a task it depends on in the same
//! project, else the project's `HEAD`; its folder is trusted for every account. Every launch of
//! the task (a resume after a swap, a retry, a restart, a lost tmux server) runs in it; a folder
//! lost since is made again on the task's branch. At the end the footer says what is on the
//! branch, and the folder is removed when the task is done and the tree clean (unless kept).
//!
//! The loop decides (quick `git` queries: where `HEAD` is, which branches and worktrees exist);
//! the slow part — `git worktree add`, a checkout that runs the operator's hooks — is a
//! [`Preparation`] that the launch job runs on a blocking thread before it types anything, each
//! `git` call bounded by `cf_git::TIMEOUT`. The record of it (`worktree.<project>/<id>` in the store, written before
//! the worktree is made, and the `.retry` record) lets a restarted daemon find it, and is what
//! makes a worktree this task's own.

use std::path::{Path, PathBuf};

use cf_core::footer::WorktreeFooter;
use cf_core::task::Frontmatter;
use cf_core::worktree::{Existing, Isolation, Pick, Recorded, isolation_for, pick_worktree};
use cf_queue::Project;

use crate::daemon::Daemon;
use crate::slots::ClaimedTask;

/// Where a task works when it has a worktree of its own.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TaskWorktree {
    /// The repository it belongs to (its main working tree).
    pub repo: PathBuf,
    /// The worktree's folder.
    pub path: PathBuf,
    /// Its branch.
    pub branch: String,
    /// The commit it started from.
    pub base: String,
    /// The folder the agent runs in: the project's place inside the worktree.
    pub cwd: PathBuf,
}

/// The slow git step a launch must take before the agent can start in the task's worktree: run
/// by the launch job (blocking thread), never in the loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Preparation {
    /// Make the worktree on its new branch from its base.
    Add(TaskWorktree),
    /// Make its lost folder again on its existing branch.
    Restore(TaskWorktree),
}

impl Preparation {
    /// The worktree folder it makes.
    pub fn folder(&self) -> &Path {
        match self {
            Preparation::Add(w) | Preparation::Restore(w) => &w.path,
        }
    }

    /// Runs the step (blocking: many `git` calls); the reason when it cannot be done.
    pub fn run(&self) -> Result<(), String> {
        match self {
            Preparation::Add(w) => {
                cf_git::add_worktree(&w.repo, &w.path, &w.branch, &w.base)
                    .map_err(|e| format!("its worktree cannot be made: {e}"))?;
                if !w.cwd.is_dir() {
                    // The project folder is not tracked in the repository it sits in (an
                    // enclosing repository, e.g. a home folder under git).
                    let _ = cf_git::remove_worktree(&w.repo, &w.path);
                    return Err(format!(
                        "its worktree cannot be made: the project is inside the repository {} but not tracked there, so its worktree has no folder {}: make the project a repository of its own, or give it `isolation: shared`",
                        w.repo.display(),
                        w.cwd.display()
                    ));
                }
                Ok(())
            }
            Preparation::Restore(w) => cf_git::restore_worktree(&w.repo, &w.path, &w.branch)
                .map_err(|e| format!("its worktree folder was lost and cannot be made again: {e}")),
        }
    }
}

/// Why the folder a task works in is not ready.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FolderError {
    /// An earlier launch's git step still makes its worktree: the task waits for it.
    Busy,
    /// It cannot be used; the reason.
    Unusable(String),
}

/// The worktree the store records for `project`'s task `id`, if any.
pub(crate) fn recorded_worktree(
    store: &cf_store::Store,
    project: &str,
    id: &str,
) -> Option<TaskWorktree> {
    store
        .get_kv(&worktree_key(project, id))
        .ok()
        .flatten()
        .filter(|json| !json.is_empty())
        .and_then(|json| serde_json::from_str(&json).ok())
}

/// The store key of a task's worktree record.
fn worktree_key(project: &str, id: &str) -> String {
    format!("worktree.{project}/{id}")
}

impl Daemon {
    /// Where a task of `project` with `frontmatter` works: its own setting, else its project's,
    /// else the main config's.
    pub(crate) fn isolation_of(&self, project: &str, frontmatter: &Frontmatter) -> Isolation {
        let own = self
            .projects
            .settings(project)
            .ok()
            .and_then(|s| s.isolation);
        isolation_for(self.cfg.dispatcher.isolation, own, frontmatter.isolation)
    }

    /// Makes the worktree of the task `id` of `project` (just claimed), and records it; the
    /// worktree recorded for this very task (a put-back task, a crash after it was made) is
    /// used again.
    pub(crate) fn make_worktree(
        &self,
        project: &Project,
        id: &str,
        frontmatter: &Frontmatter,
    ) -> Result<(TaskWorktree, Option<Preparation>), String> {
        let repo = cf_git::toplevel(&project.root).map_err(|e| e.to_string())?;
        let inside = cf_git::prefix(&project.root).map_err(|e| e.to_string())?;
        let root = self.worktrees_root(project);
        std::fs::create_dir_all(&root)
            .map_err(|e| format!("cannot make {}: {e}", root.display()))?;
        // Git names folders by their real path: compare like with like.
        let root = std::fs::canonicalize(&root)
            .map_err(|e| format!("cannot resolve {}: {e}", root.display()))?;
        let recorded = self.recorded_worktree(&project.name, id);
        let known = cf_git::worktrees(&repo).map_err(|e| e.to_string())?;
        let existing: Vec<Existing<'_>> = known
            .iter()
            .map(|w| Existing {
                path: &w.path,
                branch: w.branch.as_deref(),
                locked: w.locked,
            })
            .collect();
        let own = recorded.as_ref().map(|r| Recorded {
            folder: &r.path,
            branch: &r.branch,
        });
        let branch_exists = |b: &str| cf_git::branch_exists(&repo, b).unwrap_or(true);
        let folder_taken = |f: &Path| f.exists();
        let pick = pick_worktree(id, &root, own, &existing, &branch_exists, &folder_taken);
        let (worktree, preparation) = match pick {
            Pick::Own { .. } => match recorded {
                Some(recorded) => (recorded, None),
                None => return Err("its recorded worktree vanished".to_string()),
            },
            Pick::Fresh { branch, folder } => {
                let base = self.base_of(project, &repo, frontmatter)?;
                let worktree = TaskWorktree {
                    cwd: folder.join(&inside),
                    repo: repo.clone(),
                    path: folder,
                    branch,
                    base,
                };
                // Recorded first: a crash after `git worktree add` finds it as this task's own.
                self.record_worktree(&project.name, id, Some(&worktree));
                let preparation = Preparation::Add(worktree.clone());
                (worktree, Some(preparation))
            }
            Pick::Locked { folder } => {
                return Err(format!(
                    "its worktree {} is locked (`git worktree unlock {}` to let the task use it)",
                    folder.display(),
                    folder.display()
                ));
            }
            Pick::NoFreeName => {
                return Err(format!(
                    "every branch name for it is taken (agent/{id} up to -{})",
                    cf_core::worktree::MAX_BRANCH_CHOICES
                ));
            }
        };
        self.trust_for_every_account(&worktree.path);
        tracing::info!(project = %project.name, task = %id, branch = %worktree.branch, path = %worktree.path.display(), "worktree chosen");
        Ok((worktree, preparation))
    }

    /// Keeps (or, with `None`, forgets) the record of the worktree of `project`'s task `id`.
    pub(crate) fn record_worktree(&self, project: &str, id: &str, worktree: Option<&TaskWorktree>) {
        let json = match worktree.map(serde_json::to_string) {
            None => String::new(),
            Some(Ok(json)) => json,
            Some(Err(e)) => {
                tracing::warn!("cannot encode the worktree of {id}: {e}");
                return;
            }
        };
        self.store_kv(&worktree_key(project, id), &json);
    }

    /// The commit a new worktree starts from: the task's `base:`, else the branch of a task of
    /// the same project it depends on (when that one ran in a worktree), else `HEAD`.
    fn base_of(
        &self,
        project: &Project,
        repo: &Path,
        frontmatter: &Frontmatter,
    ) -> Result<String, String> {
        if let Some(base) = &frontmatter.base {
            return cf_git::resolve(repo, base)
                .map_err(|e| format!("its `base:` cannot be used: {e}"));
        }
        for entry in &frontmatter.depends_on {
            let Ok(dep) = cf_core::deps::parse_dependency(entry) else {
                continue;
            };
            if dep.project != project.name {
                continue;
            }
            let done = project.done_dir().join(format!("{}.md", dep.task_id));
            let branch = std::fs::read_to_string(done).ok().and_then(|text| {
                cf_core::footer::run_footer_field(&text, "branch").map(str::to_owned)
            });
            if let Some(branch) = branch
                && let Ok(commit) = cf_git::resolve(repo, &branch)
            {
                return Ok(commit);
            }
        }
        match cf_git::head(repo).map_err(|e| e.to_string())? {
            cf_git::Head::Branch { commit, .. } => Ok(commit),
            cf_git::Head::Detached { commit } => Err(format!(
                "{} has a detached HEAD (at {}): check out a branch there, or give the task a `base:`",
                repo.display(),
                &commit[..commit.len().min(12)]
            )),
        }
    }

    /// Where `project`'s worktrees are made.
    fn worktrees_root(&self, project: &Project) -> PathBuf {
        match &self.cfg.dispatcher.worktrees_dir {
            Some(dir) => dir.join(&project.name),
            None => project.queue_dir().join("worktrees"),
        }
    }

    fn trust_for_every_account(&self, folder: &Path) {
        let now = self.clock.now();
        for account in &self.cfg.accounts {
            if let Err(e) = cf_accounts::ensure_folder_trusted(&account.config_dir, folder, now) {
                tracing::warn!(account = %account.name, folder = %folder.display(), "cannot trust the worktree: {e}");
            }
        }
    }

    /// The folder `task` works in — its worktree, else its project's folder — and the slow step
    /// the launch must take first: the one decided when it was claimed, or making a lost folder
    /// again on the task's branch.
    pub(crate) fn working_folder(
        &self,
        task: &mut ClaimedTask,
    ) -> Result<(PathBuf, Option<Preparation>), FolderError> {
        let Some(worktree) = &task.worktree else {
            let root = self.projects.get(&task.project).map(|p| p.root.clone());
            return Ok((root.unwrap_or_default(), None));
        };
        if let Some(preparation) = task.preparation.take() {
            return Ok((worktree.cwd.clone(), Some(preparation)));
        }
        if self.preparing.contains(&worktree.path) {
            return Err(FolderError::Busy);
        }
        let on_its_branch = worktree.path.is_dir()
            && cf_git::current_branch(&worktree.path)
                .ok()
                .flatten()
                .is_some_and(|b| b == worktree.branch);
        if on_its_branch {
            return Ok((worktree.cwd.clone(), None));
        }
        if worktree.path.exists() {
            return Err(FolderError::Unusable(format!(
                "its worktree {} is no longer on its branch {}: fix it by hand",
                worktree.path.display(),
                worktree.branch
            )));
        }
        match cf_git::branch_exists(&worktree.repo, &worktree.branch) {
            Ok(true) => {
                self.trust_for_every_account(&worktree.path);
                tracing::info!(branch = %worktree.branch, "worktree folder to be made again");
                Ok((
                    worktree.cwd.clone(),
                    Some(Preparation::Restore(worktree.clone())),
                ))
            }
            Ok(false) => Err(FolderError::Unusable(format!(
                "its worktree {} and its branch {} are gone",
                worktree.path.display(),
                worktree.branch
            ))),
            Err(e) => Err(FolderError::Unusable(e.to_string())),
        }
    }

    /// Whether the worktree recorded for `project`'s task `id` is still being made by an
    /// earlier launch's git step (the task waits for it).
    pub(crate) fn worktree_busy(&self, project: &str, id: &str) -> bool {
        !self.preparing.is_empty()
            && self
                .recorded_worktree(project, id)
                .is_some_and(|w| self.preparing.contains(&w.path))
    }

    /// The worktree recorded for a task (at a restart without a `.retry` record).
    pub(crate) fn recorded_worktree(&self, project: &str, id: &str) -> Option<TaskWorktree> {
        recorded_worktree(&self.store, project, id)
    }

    /// At the task's end: what is on its branch, and its folder removed when it is done and
    /// clean (unless worktrees are kept). A failed task keeps its folder for inspection. Its
    /// record goes only once the task file has moved (`finish`).
    pub(crate) fn close_worktree(
        &self,
        task: &ClaimedTask,
        success: bool,
    ) -> Option<WorktreeFooter> {
        let worktree = task.worktree.as_ref()?;
        // Its folder may be gone (a failed step): the branch still tells what is on it.
        let present = worktree.path.is_dir();
        let dirty = present && cf_git::is_dirty(&worktree.path).unwrap_or(true);
        let commits = match present {
            true => cf_git::commits_since(&worktree.path, &worktree.base),
            false => cf_git::commits_between(&worktree.repo, &worktree.base, &worktree.branch),
        };
        let commits = commits
            .unwrap_or_default()
            .into_iter()
            .map(|c| format!("{} {}", c.short, c.subject))
            .collect();
        // Settings that cannot be read keep the folder: never a guessed removal.
        let keep = match self.projects.settings(&task.project) {
            Ok(own) => own
                .keep_worktrees
                .unwrap_or(self.cfg.dispatcher.keep_worktrees),
            Err(_) => true,
        };
        let removed = !present
            || (success
                && !dirty
                && !keep
                && match cf_git::remove_worktree(&worktree.repo, &worktree.path) {
                    Ok(()) => true,
                    Err(e) => {
                        tracing::warn!(
                            "cannot remove the worktree {}: {e}",
                            worktree.path.display()
                        );
                        false
                    }
                });
        Some(WorktreeFooter {
            branch: worktree.branch.clone(),
            base: worktree.base[..worktree.base.len().min(12)].to_string(),
            commits,
            dirty,
            kept: (!removed).then(|| worktree.path.display().to_string()),
        })
    }
}
