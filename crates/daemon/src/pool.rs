//! The pool part: the daemon's own sessions (the configured range), their slots (what each is
//! doing, what its hooks said about its current task), and which of them were ever seen alive.
//! Its fields are private: handlers ask it, never reach into it.

use std::collections::{BTreeMap, BTreeSet};

use cf_core::pool::PoolSpec;
use cf_store::RunId;

use crate::slots::{ClaimedTask, Phase, Slot};

/// The pool's sessions and slots.
#[derive(Debug)]
pub(crate) struct Pool {
    /// The configured range.
    spec: PoolSpec,
    /// One slot per session of the range that exists (or existed).
    slots: BTreeMap<String, Slot>,
    /// Sessions seen alive at some point: vanished ones are recreated.
    known: BTreeSet<String>,
}

impl Pool {
    /// An empty pool over `spec`'s range.
    pub(crate) fn new(spec: PoolSpec) -> Pool {
        Pool {
            spec,
            slots: BTreeMap::new(),
            known: BTreeSet::new(),
        }
    }

    /// Whether `name` is one of the pool's own sessions (nothing else is ever touched).
    pub(crate) fn contains(&self, name: &str) -> bool {
        self.spec.contains(name)
    }

    /// Every name of the range.
    pub(crate) fn names(&self) -> Vec<String> {
        self.spec.names()
    }

    /// The sessions to create now, given the ones tmux has.
    pub(crate) fn sessions_to_create(&self, alive: &BTreeSet<String>) -> Vec<String> {
        self.spec.sessions_to_create(alive, &self.known)
    }

    /// The slot of `name`.
    pub(crate) fn slot(&self, name: &str) -> Option<&Slot> {
        self.slots.get(name)
    }

    /// The slot of `name`, to change.
    pub(crate) fn slot_mut(&mut self, name: &str) -> Option<&mut Slot> {
        self.slots.get_mut(name)
    }

    /// The slot of `name`, made (free and alive) when there is none: a session of the range that
    /// exists.
    pub(crate) fn slot_or_new(&mut self, name: &str) -> &mut Slot {
        self.known.insert(name.to_string());
        self.slots
            .entry(name.to_string())
            .or_insert_with(|| Slot::new(true))
    }

    /// tmux has `name`: its slot exists and is alive.
    pub(crate) fn seen_alive(&mut self, name: &str) {
        self.slot_or_new(name).alive = true;
    }

    /// tmux does not have `name` (any more).
    pub(crate) fn seen_gone(&mut self, name: &str) {
        if let Some(slot) = self.slots.get_mut(name) {
            slot.alive = false;
        }
    }

    /// Takes the task (and its run) out of `name`'s slot, leaving it free.
    pub(crate) fn take_task(&mut self, name: &str) -> Option<(RunId, ClaimedTask)> {
        self.slots.get_mut(name).and_then(Slot::take_task)
    }

    /// The task `name` holds.
    pub(crate) fn task(&self, name: &str) -> Option<&ClaimedTask> {
        self.slots.get(name).and_then(Slot::task)
    }

    /// Every held task.
    pub(crate) fn tasks(&self) -> impl Iterator<Item = &ClaimedTask> {
        self.slots.values().filter_map(Slot::task)
    }

    /// The sessions that hold a task (launching, working or parked).
    pub(crate) fn sessions_with_tasks(&self) -> Vec<String> {
        self.names_where(|s| s.task().is_some())
    }

    /// The sessions whose agent works on a task.
    pub(crate) fn working(&self) -> Vec<String> {
        self.names_where(|s| matches!(s.phase, Phase::Working { .. }))
    }

    /// The sessions free for a task at `now`.
    pub(crate) fn free_at(&self, now: jiff::Timestamp) -> Vec<String> {
        self.names_where(|s| s.is_free(now))
    }

    fn names_where(&self, keep: impl Fn(&Slot) -> bool) -> Vec<String> {
        self.slots
            .iter()
            .filter(|(_, s)| keep(s))
            .map(|(n, _)| n.clone())
            .collect()
    }
}
