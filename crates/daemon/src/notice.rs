//! Notices: what the daemon tells observers (the log, the store's event table, the demo).

use cf_core::TaskKey;
use jiff::Timestamp;

/// What kind of thing happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// The daemon started and finished its recovery.
    Started,
    /// A pool session was created.
    SessionCreated,
    /// A task was claimed and its launch began.
    Dispatched,
    /// The agent took the task and is working on it.
    Working,
    /// A launch failed; the task went back to the inbox.
    LaunchFailed,
    /// A task finished and went to `done/`.
    Completed,
    /// A task ended badly and went to `failed/`.
    Failed,
    /// A task file cannot be read or parsed; it got an `.invalid` sidecar.
    InvalidTask,
    /// A task waits on dependencies that are not done yet (or a dependency cycle was found).
    Blocked,
    /// A blocked task's dependencies are all done.
    Unblocked,
    /// The watchdog: a task has been blocked longer than `watchdog.blocked_timeout`.
    BlockedTooLong,
    /// The watchdog: a task has been running longer than `watchdog.stale_after`.
    Stale,
    /// A session's screen shows that the active account ran out of quota.
    QuotaHit,
    /// Every session moved to another account.
    Swapped,
    /// After a pause, the interrupted tasks went on on the account they were on.
    Continued,
    /// An account ran out of quota (until its reset).
    AccountExhausted,
    /// Every account is out of quota: dispatching waits for a reset.
    Paused,
    /// The pause is over: an account is usable again and work goes on.
    Resumed,
    /// A dedicated session was relaunched on the new account with its conversation.
    Relaunched,
    /// A task is being submitted to the job platform.
    Delegating,
    /// A task was submitted to the job platform.
    Delegated,
    /// A submit failed: the task runs locally.
    DelegationFallback,
    /// After a restart, a claimed task nobody works on went back to the inbox.
    OrphanRequeued,
    /// After a restart, a claimed task still running was taken over again.
    Adopted,
    /// A hook reported a turn that ended on an API error.
    StopFailure,
    /// A task's turn ended on a transient error: it waits and resumes its conversation.
    Retrying,
    /// An interrupted task (its agent vanished, the tmux server died, a restart) waits to resume
    /// its conversation in a fresh session.
    Interrupted,
    /// An account cannot work until a person acts (expired login, refused subscription).
    AccountAttention,
    /// An account that needed attention is usable again.
    AccountUsable,
    /// Repeated transient failures on an account: new work paused (or a probe failed).
    BreakerOpened,
    /// One probe task runs to decide whether work goes on on an account.
    BreakerProbe,
    /// A probe succeeded: work goes on.
    BreakerClosed,
    /// Launches keep failing the same way on an account.
    LaunchesFailing,
    /// Something went wrong in the daemon's own I/O (it keeps running).
    Problem,
    /// The daemon is stopping.
    Stopping,
}

impl NoticeKind {
    /// The snake_case name stored in the event table.
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Started => "started",
            NoticeKind::SessionCreated => "session_created",
            NoticeKind::Dispatched => "dispatched",
            NoticeKind::Working => "working",
            NoticeKind::LaunchFailed => "launch_failed",
            NoticeKind::Completed => "completed",
            NoticeKind::Failed => "failed",
            NoticeKind::InvalidTask => "invalid_task",
            NoticeKind::Blocked => "blocked",
            NoticeKind::Unblocked => "unblocked",
            NoticeKind::BlockedTooLong => "blocked_too_long",
            NoticeKind::Stale => "stale",
            NoticeKind::QuotaHit => "quota_hit",
            NoticeKind::Swapped => "swapped",
            NoticeKind::Continued => "continued",
            NoticeKind::AccountExhausted => "account_exhausted",
            NoticeKind::Paused => "paused",
            NoticeKind::Resumed => "resumed",
            NoticeKind::Relaunched => "relaunched",
            NoticeKind::Delegating => "delegating",
            NoticeKind::Delegated => "delegated",
            NoticeKind::DelegationFallback => "delegation_fallback",
            NoticeKind::OrphanRequeued => "orphan_requeued",
            NoticeKind::Adopted => "adopted",
            NoticeKind::StopFailure => "stop_failure",
            NoticeKind::Retrying => "retrying",
            NoticeKind::Interrupted => "interrupted",
            NoticeKind::AccountAttention => "account_attention",
            NoticeKind::AccountUsable => "account_usable",
            NoticeKind::BreakerOpened => "breaker_opened",
            NoticeKind::BreakerProbe => "breaker_probe",
            NoticeKind::BreakerClosed => "breaker_closed",
            NoticeKind::LaunchesFailing => "launches_failing",
            NoticeKind::Problem => "problem",
            NoticeKind::Stopping => "stopping",
        }
    }
}

/// One thing that happened, with enough context to print a line about it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Notice {
    /// When.
    pub at: Timestamp,
    /// What.
    pub kind: NoticeKind,
    /// The tmux session involved, if any.
    pub session: Option<String>,
    /// The project involved, if any.
    pub project: Option<String>,
    /// The task id involved, if any.
    pub task_id: Option<String>,
    /// The account involved, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// When the condition it announces ends (a reset), if known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<Timestamp>,
    /// A human sentence with the details.
    pub detail: String,
}

impl std::fmt::Display for Notice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:<15}", self.kind.as_str())?;
        if let (Some(project), Some(task)) = (&self.project, &self.task_id) {
            write!(f, " {project}/{task}")?;
        }
        if let Some(session) = &self.session {
            write!(f, " [{session}]")?;
        }
        if !self.detail.is_empty() {
            write!(f, " {}", self.detail)?;
        }
        Ok(())
    }
}

/// What a notice is about: a session, a project, a task, each only when given.
///
/// `About::default().session(name).task(&key)`: no positional `Option`s at the call sites.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct About {
    session: Option<String>,
    project: Option<String>,
    task_id: Option<String>,
    account: Option<String>,
    until: Option<Timestamp>,
}

impl About {
    /// About this tmux session.
    pub fn session(mut self, name: impl Into<String>) -> About {
        self.session = Some(name.into());
        self
    }

    /// About this session, if there is one.
    pub fn maybe_session(mut self, name: Option<String>) -> About {
        self.session = name;
        self
    }

    /// About this task.
    pub fn task(mut self, key: &TaskKey) -> About {
        self.project = Some(key.project.clone());
        self.task_id = Some(key.id.to_string());
        self
    }

    /// About this project (and no task of it in particular).
    pub fn project(mut self, name: impl Into<String>) -> About {
        self.project = Some(name.into());
        self
    }

    /// About the task file `id` of the project (an id that may not parse as a task id: an
    /// invalid file).
    pub fn task_id(mut self, id: impl Into<String>) -> About {
        self.task_id = Some(id.into());
        self
    }

    /// About the task file `id`, if known.
    pub fn maybe_task_id(mut self, id: Option<String>) -> About {
        self.task_id = id;
        self
    }

    /// About this account.
    pub fn account(mut self, name: impl Into<String>) -> About {
        self.account = Some(name.into());
        self
    }

    /// Lasting until this time, if known.
    pub fn until(mut self, until: Option<Timestamp>) -> About {
        self.until = until;
        self
    }

    /// The notice of `kind` at `at` saying `detail`.
    pub fn notice(self, at: Timestamp, kind: NoticeKind, detail: String) -> Notice {
        Notice {
            at,
            kind,
            session: self.session,
            project: self.project,
            task_id: self.task_id,
            account: self.account,
            until: self.until,
            detail,
        }
    }
}

impl Notice {
    /// The alert the operator is sent for this notice, if it is one they want to hear about.
    pub fn alert(&self) -> Option<cf_notify::Alert> {
        use cf_core::alert::AlertKind;
        let task = match (&self.project, &self.task_id) {
            (Some(project), Some(id)) => format!("{project}/{id}"),
            _ => "?".to_owned(),
        };
        let account = self.account.as_deref().unwrap_or("?");
        let (kind, title) = match self.kind {
            NoticeKind::Failed => (AlertKind::TaskFailed, format!("task {task} failed")),
            NoticeKind::AccountAttention => (
                AlertKind::AccountAttention,
                format!("account {account} needs attention"),
            ),
            NoticeKind::AccountUsable => (
                AlertKind::AccountUsable,
                format!("account {account} is usable again"),
            ),
            NoticeKind::AccountExhausted => (
                AlertKind::AccountExhausted,
                format!("account {account} is out of quota"),
            ),
            NoticeKind::Paused => (
                AlertKind::AllExhausted,
                "every account is out: work is paused".to_owned(),
            ),
            NoticeKind::Resumed => (AlertKind::Resumed, "work resumed".to_owned()),
            NoticeKind::Swapped => (
                AlertKind::Swapped,
                "sessions moved to another account".to_owned(),
            ),
            NoticeKind::BlockedTooLong => (
                AlertKind::BlockedTooLong,
                format!("task {task} is blocked too long"),
            ),
            NoticeKind::Stale => (AlertKind::Stale, format!("task {task} is stale")),
            NoticeKind::Started => (AlertKind::DaemonStarted, "daemon started".to_owned()),
            NoticeKind::Stopping => (AlertKind::DaemonStopped, "daemon stopping".to_owned()),
            _ => return None,
        };
        let mut alert = cf_notify::Alert::new(kind, self.at, title, self.detail.clone());
        alert.project.clone_from(&self.project);
        alert.task.clone_from(&self.task_id);
        alert.session.clone_from(&self.session);
        alert.account.clone_from(&self.account);
        alert.until = self.until;
        Some(alert)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notice_names_what_it_is_about() {
        let key = TaskKey::new("alpha", "t1".parse().expect("an id"));
        let notice = About::default().session("pool-1").task(&key).notice(
            Timestamp::UNIX_EPOCH,
            NoticeKind::Completed,
            "done".into(),
        );
        assert_eq!(notice.to_string(), "completed       alpha/t1 [pool-1] done");
        let bare =
            About::default().notice(Timestamp::UNIX_EPOCH, NoticeKind::Stopping, "bye".into());
        assert_eq!(bare.to_string(), "stopping        bye");
    }
}
