//! Which conversation a task runs in: learnt from the hooks (every hook payload carries the
//! client's `session_id`), kept on the task and in the store (`conversation.<project>/<id>`, so
//! that it survives a reboot even when the signal folder is `/tmp`), and used to resume the
//! task after any interruption. A task whose conversation cannot be found starts over, and its
//! footer says why.

use std::path::PathBuf;

use cf_core::resume::ResumeId;

use crate::daemon::Daemon;
use crate::signals::{self, SignalPayload};
use crate::slots::ClaimedTask;

impl Daemon {
    /// An `agent-session-<session>` file was written: the conversation of the task there.
    pub(crate) fn learn_conversation(&mut self, session: &str) {
        let dir = self.cfg.watcher.done_signal_dir.clone();
        if let Some(payload) = signals::read_session_id(&dir, session) {
            self.learn_from_payload(session, &payload);
        }
    }

    /// Takes the conversation id and transcript path from a hook payload of `session`, if the
    /// payload was written during the task's current launch (an older one belongs to the
    /// session's previous task).
    pub(crate) fn learn_from_payload(&mut self, session: &str, payload: &SignalPayload) {
        let Some(slot) = self.pool.slot_mut(session) else {
            return;
        };
        let Some(launched_at) = slot.task().map(|t| t.launched_at) else {
            return;
        };
        if !written_during(payload, launched_at) {
            return;
        }
        if let Some(path) = &payload.transcript_path {
            slot.hints.transcript = Some(PathBuf::from(path));
        }
        let Some(task) = slot.task_mut() else {
            return;
        };
        let Some(id) = payload
            .session_id
            .as_deref()
            .and_then(|id| ResumeId::parse(id).ok())
        else {
            return;
        };
        if task.conversation.as_ref() == Some(&id) {
            return;
        }
        task.conversation = Some(id.clone());
        let key = conversation_key(&task.project, task.id.as_str());
        self.store_kv(&key, id.as_str());
    }

    /// The conversation of `task` (running in `session`): what the task knows, else what the
    /// store or the session's hook file recorded during this launch.
    pub(crate) fn conversation_of(&self, session: &str, task: &ClaimedTask) -> Option<ResumeId> {
        if let Some(id) = &task.conversation {
            return Some(id.clone());
        }
        if let Some(stored) = self.stored_conversation(&task.project, task.id.as_str()) {
            return Some(stored);
        }
        let dir = &self.cfg.watcher.done_signal_dir;
        let payload = signals::read_session_id(dir, session)?;
        if !written_during(&payload, task.launched_at) {
            return None;
        }
        payload.session_id.and_then(|id| ResumeId::parse(&id).ok())
    }

    /// The stored conversation of a task, by project and id (start-up recovery).
    pub(crate) fn stored_conversation(&self, project: &str, id: &str) -> Option<ResumeId> {
        self.store
            .get_kv(&conversation_key(project, id))
            .ok()
            .flatten()
            .and_then(|id| ResumeId::parse(&id).ok())
    }

    /// Forgets the stored conversation of a finished (or requeued) task.
    pub(crate) fn forget_conversation(&self, task: &ClaimedTask) {
        self.forget_conversation_of(&task.project, task.id.as_str());
    }

    /// Forgets the stored conversation of the task `id` of `project`.
    pub(crate) fn forget_conversation_of(&self, project: &str, id: &str) {
        self.store_kv(&conversation_key(project, id), "");
    }

    /// Puts a claimed task back in the inbox because its conversation is unknown: it starts over,
    /// and the footer of its final file will say why.
    pub(crate) fn restart_from_scratch(&mut self, task: &ClaimedTask, why: &str) {
        self.store_kv(&restart_key(&task.project, task.id.as_str()), why);
        let _ = cf_queue::remove_retry(&task.dispatched_path);
        self.put_back(task, &format!("{why}: the task starts over"));
    }

    /// Why a task that starts now was restarted from scratch earlier, if it was (used once).
    pub(crate) fn take_restart_note(&self, project: &str, id: &str) -> Option<String> {
        let key = restart_key(project, id);
        let note = self
            .store
            .get_kv(&key)
            .ok()
            .flatten()
            .filter(|n| !n.is_empty())?;
        self.store_kv(&key, "");
        Some(note)
    }
}

/// Whether a hook payload was written during the launch that began at `launched_at` (an older
/// one, or one without a time, belongs to the session's previous task).
fn written_during(payload: &SignalPayload, launched_at: jiff::Timestamp) -> bool {
    payload
        .written_at
        .as_deref()
        .and_then(|w| w.parse::<jiff::Timestamp>().ok())
        .is_some_and(|w| w >= launched_at)
}

fn conversation_key(project: &str, id: &str) -> String {
    format!("conversation.{project}/{id}")
}

fn restart_key(project: &str, id: &str) -> String {
    format!("restarted.{project}/{id}")
}
