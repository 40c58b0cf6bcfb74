//! The delegation part: the job-platform manager (when `delegation.base_url` is set) and what is
//! in flight with it — inbox files being submitted, files that fell back to the local pool, a
//! reaper round under way. Private fields; the loop's handlers in `delegate.rs` ask it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use cf_delegation::DelegationManager;

/// Where an inbox file stands with the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Standing {
    /// Delegation is off, or its submit failed: it runs locally.
    Local,
    /// Its submit is under way: neither the pool nor another submit may take it.
    Submitting,
    /// Nothing yet: the route decides.
    Undecided,
}

/// The platform and what is in flight with it.
#[derive(Debug, Default)]
pub(crate) struct Delegations {
    manager: Option<Arc<DelegationManager>>,
    submitting: BTreeSet<PathBuf>,
    local_only: BTreeSet<PathBuf>,
    reaping: bool,
}

impl Delegations {
    /// With `manager` when delegation is configured.
    pub(crate) fn new(manager: Option<Arc<DelegationManager>>) -> Delegations {
        Delegations {
            manager,
            ..Delegations::default()
        }
    }

    /// The manager, when delegation is on.
    pub(crate) fn manager(&self) -> Option<&Arc<DelegationManager>> {
        self.manager.as_ref()
    }

    /// Whether delegation is on.
    pub(crate) fn is_on(&self) -> bool {
        self.manager.is_some()
    }

    /// Where `file` stands.
    pub(crate) fn standing(&self, file: &Path) -> Standing {
        if self.manager.is_none() || self.local_only.contains(file) {
            Standing::Local
        } else if self.submitting.contains(file) {
            Standing::Submitting
        } else {
            Standing::Undecided
        }
    }

    /// `file`'s submit begins.
    pub(crate) fn submit_begun(&mut self, file: PathBuf) {
        self.submitting.insert(file);
    }

    /// `file`'s submit ended; it runs locally when it `fell_back`.
    pub(crate) fn submit_ended(&mut self, file: &Path, outcome: SubmitEnd) {
        self.submitting.remove(file);
        if outcome == SubmitEnd::FellBack {
            self.local_only.insert(file.to_path_buf());
        }
    }

    /// A reaper round may begin: the manager, unless delegation is off or a round runs.
    pub(crate) fn begin_reap(&mut self) -> Option<Arc<DelegationManager>> {
        if self.reaping {
            return None;
        }
        let manager = self.manager.clone()?;
        self.reaping = true;
        Some(manager)
    }

    /// The reaper round ended.
    pub(crate) fn reap_ended(&mut self) {
        self.reaping = false;
    }
}

/// How a submit ended, for the part's bookkeeping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SubmitEnd {
    /// The platform has it.
    Delegated,
    /// It runs locally.
    FellBack,
}
