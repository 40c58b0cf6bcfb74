//! The daemon's view of its pool sessions: what each one is doing.

use std::path::PathBuf;

use cf_core::resume::ResumeId;
use cf_core::retry::RetryHistory;
use cf_core::watch::{Observation, RunWatch};
use cf_core::{Priority, TaskId};
use cf_store::RunId;
use jiff::Timestamp;

/// A task the daemon claimed (renamed to `.dispatched`) and gave to a session.
#[derive(Debug, Clone)]
pub struct ClaimedTask {
    /// The project's name.
    pub project: String,
    /// The task id (file stem).
    pub id: TaskId,
    /// `<id>.md`: the name the agent sees in the message.
    pub file_name: String,
    /// Where the claimed file is now (`inbox/<id>.md.dispatched`).
    pub dispatched_path: PathBuf,
    /// The task's priority.
    pub priority: Priority,
    /// The model it runs with.
    pub model: String,
    /// The account it runs on.
    pub account: String,
    /// When it was first assigned to a session (the footer's `started`; kept across resumes).
    pub assigned_at: Timestamp,
    /// When this launch of it began (a resume after a swap, a retry or a crash is a new launch):
    /// quota hits in a turn begun after the last swap are new evidence.
    pub launched_at: Timestamp,
    /// The conversation it runs in, once a hook reported it: what a resume needs.
    pub conversation: Option<ResumeId>,
    /// Its earlier attempts that ended on transient errors.
    pub history: RetryHistory,
    /// Whether this launch is the probe of an open breaker.
    pub probe: Probe,
    /// Said in the footer: why the task was restarted from scratch, if it was.
    pub restart_note: Option<String>,
    /// Launches of its conversation that failed in a row (a resume the account cannot open).
    pub resume_failures: u32,
    /// Whether its conversation holds the task text (a launch of it was verified): only then may
    /// an interruption resume it with the short continue message.
    pub held: Held,
    /// What it cost so far on each account it ran on (the client processes before the current
    /// one, and the tokens counted when it moved).
    pub spending: cf_core::footer::TaskSpending,
    /// Its own git worktree, when it runs in one (`isolation: worktree`).
    pub worktree: Option<crate::worktree::TaskWorktree>,
    /// The slow git step its next launch takes first (decided when it was claimed); not kept.
    pub preparation: Option<crate::worktree::Preparation>,
}

/// Whether a task's conversation holds the task text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Held {
    /// Not yet: the text may never have reached the agent (start it with the whole text).
    #[default]
    No,
    /// Yes: the agent took it (resume with the continue message).
    Yes,
}

impl ClaimedTask {
    /// The task's key (`project/id`).
    pub fn key(&self) -> cf_core::TaskKey {
        cf_core::TaskKey::new(self.project.clone(), self.id.clone())
    }
}

/// Whether a launch is an open breaker's probe (its outcome decides the breaker).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Probe {
    /// An ordinary launch.
    #[default]
    No,
    /// The one probe of the account's open breaker.
    Yes(cf_core::retry::ProbeId),
}

impl Probe {
    /// The probe's id, if this is one.
    pub fn id(self) -> Option<cf_core::retry::ProbeId> {
        match self {
            Probe::No => None,
            Probe::Yes(id) => Some(id),
        }
    }
}

/// What a pool session is doing.
#[derive(Debug)]
pub enum Phase {
    /// Nothing of ours: free for a task once alive and past its cooldown.
    Free,
    /// A launch is under way in a spawned task.
    Launching {
        /// The run in the store.
        run: RunId,
        /// The task.
        task: ClaimedTask,
        /// Signals that arrived before the launch reported back; applied once it does.
        early: Vec<Observation>,
    },
    /// The agent works on the task.
    Working {
        /// The run in the store.
        run: RunId,
        /// The task.
        task: ClaimedTask,
        /// What was seen so far, to decide when it is done.
        watch: RunWatch,
    },
    /// The task's turn ended on an account failure or a usage limit and the session waits for
    /// the account move (or a pause) to carry it on; its screen is no longer judged.
    Parked {
        /// The run in the store.
        run: RunId,
        /// The task.
        task: ClaimedTask,
    },
}

/// One pool session.
#[derive(Debug)]
pub struct Slot {
    /// What it does.
    pub phase: Phase,
    /// Not used for tasks before this instant (after a failed launch).
    pub cooldown_until: Option<Timestamp>,
    /// Whether tmux had it at the last look.
    pub alive: bool,
    /// What its hooks said about its current task.
    pub hints: HookHints,
}

/// What a session's hooks said about the task it holds now (forgotten when the task leaves:
/// it must not colour the next one).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HookHints {
    /// The turn ended on a `rate_limit` error, reported then: the screen decides between a usage
    /// limit (swap) and a plain failure.
    pub limit: Option<(Timestamp, String)>,
    /// The transcript path the hooks reported for the current launch.
    pub transcript: Option<std::path::PathBuf>,
    /// The running cost of the current client process, micro-USD (its status line reports).
    pub process_cost_micro: Option<u64>,
    /// How much of it was already added to the task (a parked task is taken and put back).
    pub folded_micro: u64,
}

impl Slot {
    /// A fresh, free slot.
    pub fn new(alive: bool) -> Slot {
        Slot {
            phase: Phase::Free,
            cooldown_until: None,
            alive,
            hints: HookHints::default(),
        }
    }

    /// Frees the slot and forgets what the hooks said about its task.
    pub fn set_free(&mut self) {
        self.phase = Phase::Free;
        self.forget_hints();
    }

    /// Forgets what the hooks said about the task that left.
    pub fn forget_hints(&mut self) {
        self.hints = HookHints::default();
    }

    /// True when a task may be launched here now.
    pub fn is_free(&self, now: Timestamp) -> bool {
        self.alive
            && matches!(self.phase, Phase::Free)
            && self.cooldown_until.is_none_or(|until| now >= until)
    }

    /// The task this slot holds, if any.
    pub fn task(&self) -> Option<&ClaimedTask> {
        match &self.phase {
            Phase::Free => None,
            Phase::Launching { task, .. }
            | Phase::Working { task, .. }
            | Phase::Parked { task, .. } => Some(task),
        }
    }

    /// The task this slot holds, to update what is known about it.
    pub fn task_mut(&mut self) -> Option<&mut ClaimedTask> {
        match &mut self.phase {
            Phase::Free => None,
            Phase::Launching { task, .. }
            | Phase::Working { task, .. }
            | Phase::Parked { task, .. } => Some(task),
        }
    }

    /// Takes the slot's task and run out, leaving it free.
    pub fn take_task(&mut self) -> Option<(RunId, ClaimedTask)> {
        let (run, mut task) = match std::mem::replace(&mut self.phase, Phase::Free) {
            Phase::Working { run, task, .. }
            | Phase::Launching { run, task, .. }
            | Phase::Parked { run, task } => (run, task),
            Phase::Free => return None,
        };
        // What its client process cost since the last time it was taken is the task's.
        if let Some(total) = self.hints.process_cost_micro {
            let new = total.saturating_sub(self.hints.folded_micro);
            let account = task.account.clone();
            task.spending.add_cost(&account, new as f64 / 1_000_000.0);
            self.hints.folded_micro = total;
        }
        Some((run, task))
    }

    /// A short word for status.
    pub fn state_word(&self) -> &'static str {
        match self.phase {
            Phase::Free => "idle",
            Phase::Launching { .. } => "launching",
            Phase::Working { .. } => "working",
            Phase::Parked { .. } => "parked",
        }
    }
}
