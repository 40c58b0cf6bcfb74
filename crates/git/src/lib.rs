//! Git, driven through the `git` program itself: the operator's git, with their hooks and
//! config, the way they would run it. Only what a task's worktree needs: where a project's
//! `HEAD` is, resolving a base, the branches and worktrees there, adding and removing a
//! worktree, and what a task left in one (its commits, whether it is dirty).
//!
//! Every argument goes to `git` as its own argv entry (no shell); refs that could read as
//! options are refused; git never prompts (`GIT_TERMINAL_PROMPT=0`, stdin closed); the
//! variables that would point it at another repository (`GIT_DIR`, `GIT_WORK_TREE`, …) are
//! removed; and a call that outlasts [`TIMEOUT`] (a hook that hangs, a huge checkout) is killed.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Longest one `git` call may take.
pub const TIMEOUT: Duration = Duration::from_secs(120);

/// Variables that would make git work on another repository than the folder given.
const LOCATION_VARIABLES: &[&str] = &[
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_COMMON_DIR",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_NAMESPACE",
    "GIT_CEILING_DIRECTORIES",
];

/// What went wrong, naming the folder and the command.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// The folder is not inside a git working tree.
    #[error(
        "{dir} is not a git repository (run `git init` there, or give the task `isolation: shared`)"
    )]
    NotARepo {
        /// The folder.
        dir: PathBuf,
    },
    /// `HEAD` has no commit yet.
    #[error(
        "{dir} has no commit yet (its HEAD is unborn): commit something first, or give the task a `base:`"
    )]
    UnbornHead {
        /// The repository.
        dir: PathBuf,
    },
    /// A ref could be taken for an option.
    #[error("`{rev}` is not a usable ref (it starts with `-`)")]
    BadRef {
        /// The ref as given.
        rev: String,
    },
    /// A revision does not name a commit.
    #[error("`{rev}` names no commit in {dir}")]
    NoSuchRevision {
        /// The ref as given.
        rev: String,
        /// The repository.
        dir: PathBuf,
    },
    /// `git` could not be started.
    #[error("cannot run git in {dir}: {source}")]
    Spawn {
        /// Where.
        dir: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// `git` did not finish in time and was killed.
    #[error("`git {command}` in {dir} took longer than {seconds} s and was stopped")]
    TimedOut {
        /// The arguments, joined.
        command: String,
        /// Where.
        dir: PathBuf,
        /// The limit.
        seconds: u64,
    },
    /// `git` ran and failed.
    #[error("`git {command}` failed in {dir}: {stderr}")]
    Failed {
        /// The arguments, joined.
        command: String,
        /// Where.
        dir: PathBuf,
        /// What git said (its last lines).
        stderr: String,
    },
}

/// Where a repository's `HEAD` is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Head {
    /// On a branch, at a commit.
    Branch {
        /// The branch name (`main`).
        name: String,
        /// Its commit.
        commit: String,
    },
    /// Detached at a commit.
    Detached {
        /// The commit.
        commit: String,
    },
}

/// One entry of `git worktree list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Worktree {
    /// Its folder.
    pub path: PathBuf,
    /// The branch checked out there (`agent/t1`), if any.
    pub branch: Option<String>,
    /// Whether it is locked (`git worktree lock`).
    pub locked: bool,
}

/// A commit a task made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    /// Its short hash.
    pub short: String,
    /// Its subject line.
    pub subject: String,
}

fn git(dir: &Path, args: &[&str]) -> Result<Output, GitError> {
    let spawn_error = |source| GitError::Spawn {
        dir: dir.to_path_buf(),
        source,
    };
    let mut command = Command::new("git");
    command.arg("-C").arg(dir).args(args);
    for name in LOCATION_VARIABLES {
        command.env_remove(name);
    }
    let mut child = command
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(spawn_error)?;
    // Both pipes are drained while git runs, so that a chatty git never blocks on a full pipe.
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let stdout = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let deadline = Instant::now() + TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().map_err(spawn_error)? {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(GitError::TimedOut {
                command: args.join(" "),
                dir: dir.to_path_buf(),
                seconds: TIMEOUT.as_secs(),
            });
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let output = Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    };
    tracing::debug!(dir = %dir.display(), ?args, status = %output.status, "ran git");
    Ok(output)
}

fn checked(dir: &Path, args: &[&str]) -> Result<String, GitError> {
    let output = git(dir, args)?;
    if !output.status.success() {
        return Err(failed(dir, args, &output));
    }
    Ok(String::from_utf8_lossy(&output.stdout)
        .trim_end()
        .to_string())
}

fn failed(dir: &Path, args: &[&str], output: &Output) -> GitError {
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    let tail = lines[lines.len().saturating_sub(3)..].join(" / ");
    GitError::Failed {
        command: args.join(" "),
        dir: dir.to_path_buf(),
        stderr: match tail.is_empty() {
            true => format!("exit {}", output.status),
            false => tail,
        },
    }
}

fn refuse_option_like(rev: &str) -> Result<(), GitError> {
    match rev.starts_with('-') || rev.is_empty() {
        true => Err(GitError::BadRef {
            rev: rev.to_string(),
        }),
        false => Ok(()),
    }
}

/// The top folder of the working tree `dir` is in.
pub fn toplevel(dir: &Path) -> Result<PathBuf, GitError> {
    let output = git(dir, &["rev-parse", "--show-toplevel"])?;
    if !output.status.success() {
        return Err(GitError::NotARepo {
            dir: dir.to_path_buf(),
        });
    }
    Ok(PathBuf::from(
        String::from_utf8_lossy(&output.stdout).trim_end(),
    ))
}

/// Where `dir` is inside its working tree (`sub/dir/`, empty at the top).
pub fn prefix(dir: &Path) -> Result<PathBuf, GitError> {
    Ok(PathBuf::from(checked(
        dir,
        &["rev-parse", "--show-prefix"],
    )?))
}

/// Where `HEAD` of the repository at `dir` is.
pub fn head(dir: &Path) -> Result<Head, GitError> {
    toplevel(dir)?;
    let commit = git(dir, &["rev-parse", "-q", "--verify", "HEAD^{commit}"])?;
    if !commit.status.success() {
        return Err(GitError::UnbornHead {
            dir: dir.to_path_buf(),
        });
    }
    let commit = String::from_utf8_lossy(&commit.stdout).trim().to_string();
    Ok(match current_branch(dir)? {
        Some(name) => Head::Branch { name, commit },
        None => Head::Detached { commit },
    })
}

/// The commit `rev` names in the repository at `dir`.
pub fn resolve(dir: &Path, rev: &str) -> Result<String, GitError> {
    refuse_option_like(rev)?;
    let spec = format!("{rev}^{{commit}}");
    let output = git(dir, &["rev-parse", "-q", "--verify", &spec])?;
    match output.status.success() {
        true => Ok(String::from_utf8_lossy(&output.stdout).trim().to_string()),
        false => Err(GitError::NoSuchRevision {
            rev: rev.to_string(),
            dir: dir.to_path_buf(),
        }),
    }
}

/// Whether the branch `name` exists in the repository at `dir`.
pub fn branch_exists(dir: &Path, name: &str) -> Result<bool, GitError> {
    refuse_option_like(name)?;
    let full = format!("refs/heads/{name}");
    let output = git(dir, &["show-ref", "--verify", "--quiet", &full])?;
    Ok(output.status.success())
}

/// The worktrees of the repository at `dir` (its main one first).
pub fn worktrees(dir: &Path) -> Result<Vec<Worktree>, GitError> {
    let text = checked(dir, &["worktree", "list", "--porcelain"])?;
    let mut out = Vec::new();
    for block in text.split("\n\n") {
        let mut entry: Option<Worktree> = None;
        for line in block.lines() {
            if let Some(path) = line.strip_prefix("worktree ") {
                entry = Some(Worktree {
                    path: PathBuf::from(path),
                    branch: None,
                    locked: false,
                });
            } else if let Some(e) = entry.as_mut() {
                if let Some(branch) = line.strip_prefix("branch ") {
                    e.branch = Some(branch.trim_start_matches("refs/heads/").to_string());
                } else if line == "locked" || line.starts_with("locked ") {
                    e.locked = true;
                }
            }
        }
        out.extend(entry);
    }
    Ok(out)
}

/// Makes a worktree at `path` on the new branch `branch`, starting at `base` (a commit).
pub fn add_worktree(repo: &Path, path: &Path, branch: &str, base: &str) -> Result<(), GitError> {
    refuse_option_like(branch)?;
    refuse_option_like(base)?;
    let path_text = path.to_string_lossy();
    checked(
        repo,
        &["worktree", "add", "-b", branch, "--", &path_text, base],
    )
    .map(|_| ())
}

/// Makes a worktree at `path` for the existing branch `branch` (its folder was lost).
pub fn restore_worktree(repo: &Path, path: &Path, branch: &str) -> Result<(), GitError> {
    refuse_option_like(branch)?;
    checked(repo, &["worktree", "prune"])?;
    let path_text = path.to_string_lossy();
    checked(repo, &["worktree", "add", "--", &path_text, branch]).map(|_| ())
}

/// Removes the worktree at `path` (git refuses a dirty one; so does this).
pub fn remove_worktree(repo: &Path, path: &Path) -> Result<(), GitError> {
    let path_text = path.to_string_lossy();
    checked(repo, &["worktree", "remove", "--", &path_text]).map(|_| ())
}

/// The branch checked out in the working tree at `dir`, if any.
pub fn current_branch(dir: &Path) -> Result<Option<String>, GitError> {
    let output = git(dir, &["symbolic-ref", "-q", "--short", "HEAD"])?;
    Ok(output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_string()))
}

/// Whether the working tree at `dir` has changes not committed (untracked files included).
pub fn is_dirty(dir: &Path) -> Result<bool, GitError> {
    Ok(!checked(dir, &["status", "--porcelain"])?.is_empty())
}

/// The commits on `HEAD` of the working tree at `dir` since `base`, oldest first.
pub fn commits_since(dir: &Path, base: &str) -> Result<Vec<Commit>, GitError> {
    commits_between(dir, base, "HEAD")
}

/// The commits on `tip` since `base` in the repository at `dir`, oldest first.
pub fn commits_between(dir: &Path, base: &str, tip: &str) -> Result<Vec<Commit>, GitError> {
    refuse_option_like(base)?;
    refuse_option_like(tip)?;
    let range = format!("{base}..{tip}");
    let text = checked(dir, &["log", "--reverse", "--format=%h %s", &range, "--"])?;
    Ok(text
        .lines()
        .filter(|l| !l.is_empty())
        .map(|line| {
            let (short, subject) = line.split_once(' ').unwrap_or((line, ""));
            Commit {
                short: short.to_string(),
                subject: subject.to_string(),
            }
        })
        .collect())
}
