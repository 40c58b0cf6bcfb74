//! The `depends_on` gate: whether a queued task may start, the `.blocked` sidecars that say why
//! not (created once: their mtime is "blocked since"), and dependency cycles (reported once).

use cf_core::TaskKey;
use std::collections::HashMap;

use cf_core::deps::{self, DependencyRef};
use cf_queue::SidecarKind;

use crate::daemon::Daemon;
use crate::dispatch::Candidate;
use crate::notice::{About, NoticeKind};

/// Whether a task may start, as far as `depends_on` goes.
#[derive(Debug)]
pub(crate) enum Gate {
    /// Every dependency is done (or there are none).
    Ready,
    /// Something is missing; each list says what.
    Waiting {
        /// Valid dependencies not in `done/` yet.
        missing: Vec<DependencyRef>,
        /// Entries refused as malformed (never looked up on disk).
        refused: Vec<String>,
        /// Dependencies on projects the daemon does not know.
        unknown: Vec<String>,
        /// The dependency cycle this task is part of, if any.
        cycle: Option<String>,
    },
}

impl Gate {
    /// One line for the `.blocked` sidecar, the log and status.
    fn reason(&self) -> String {
        let Gate::Waiting {
            missing,
            refused,
            unknown,
            cycle,
        } = self
        else {
            return String::new();
        };
        let mut parts = Vec::new();
        if !missing.is_empty() {
            parts.push(format!(
                "waiting on {}",
                missing
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if !unknown.is_empty() {
            parts.push(format!("unknown project in {}", unknown.join(", ")));
        }
        if !refused.is_empty() {
            parts.push(format!("refused depends_on {}", refused.join(", ")));
        }
        if let Some(cycle) = cycle {
            parts.push(format!("dependency cycle {cycle}"));
        }
        parts.join("; ")
    }
}

impl Daemon {
    /// Evaluates the `depends_on` gate of every candidate: creates the `.blocked` sidecar of
    /// a newly blocked task (once: its mtime is "blocked since"), removes it when the task is
    /// ready, and reports dependency cycles once each.
    pub(crate) fn apply_gates(&mut self, candidates: &[Candidate]) -> Vec<Gate> {
        // Each project's `done/` is listed at most once per pass, however many tasks wait on it.
        let mut done_listings: HashMap<String, Vec<String>> = HashMap::new();
        let mut gates: Vec<Gate> = candidates
            .iter()
            .map(|c| self.gate(c, &mut done_listings))
            .collect();
        let mut edges = Vec::new();
        for (candidate, gate) in candidates.iter().zip(&gates) {
            if let Gate::Waiting { missing, .. } = gate {
                for dep in missing {
                    edges.push((
                        (candidate.project.clone(), candidate.file.id.to_string()),
                        (dep.project.clone(), dep.task_id.to_string()),
                    ));
                }
            }
        }
        for cycle in deps::find_cycles(&edges) {
            let text = cycle
                .iter()
                .chain(cycle.first())
                .map(|(p, t)| format!("{p}:{t}"))
                .collect::<Vec<_>>()
                .join(" -> ");
            for (candidate, gate) in candidates.iter().zip(gates.iter_mut()) {
                if let Gate::Waiting { cycle: slot, .. } = gate
                    && cycle
                        .iter()
                        .any(|(p, t)| *p == candidate.project && t == candidate.file.id.as_str())
                {
                    *slot = Some(text.clone());
                }
            }
            if self.projects.first_report_of_cycle(&text) {
                self.say(NoticeKind::Blocked, About::default(), format!("dependency cycle: {text}; these tasks can never run until one of them drops the dependency"));
            }
        }
        for (candidate, gate) in candidates.iter().zip(&gates) {
            let label = TaskKey::new(candidate.project.clone(), candidate.file.id.clone());
            match gate {
                Gate::Ready if candidate.file.has_blocked_sidecar => {
                    match cf_queue::remove_sidecar(&candidate.file.path, SidecarKind::Blocked) {
                        Ok(()) => self.say(
                            NoticeKind::Unblocked,
                            About::default().task(&label),
                            "every dependency is done",
                        ),
                        Err(e) => self.say(
                            NoticeKind::Problem,
                            About::default().task(&label),
                            format!("cannot remove the .blocked sidecar: {e}"),
                        ),
                    }
                }
                Gate::Ready => {}
                Gate::Waiting { .. } => {
                    let reason = gate.reason();
                    match cf_queue::mark_blocked(&candidate.file.path, &reason) {
                        Ok(true) => {
                            self.say(NoticeKind::Blocked, About::default().task(&label), reason)
                        }
                        Ok(false) => {}
                        Err(e) => self.say(
                            NoticeKind::Problem,
                            About::default().task(&label),
                            format!("cannot write the .blocked sidecar: {e}"),
                        ),
                    }
                }
            }
        }
        gates
    }

    /// The gate of one task: every `depends_on` entry must be a valid `project:task_id` of a
    /// known project, and in that project's `done/`. Invalid entries are refused before any
    /// filesystem look-up.
    fn gate(
        &self,
        candidate: &Candidate,
        done_listings: &mut HashMap<String, Vec<String>>,
    ) -> Gate {
        let (mut missing, mut refused, mut unknown) = (Vec::new(), Vec::new(), Vec::new());
        for raw in &candidate.doc.frontmatter.depends_on {
            match deps::parse_dependency(raw) {
                Err(e) => refused.push(format!("`{}` ({e})", raw.escape_debug())),
                Ok(dep) if !self.projects.contains(&dep.project) => unknown.push(dep.to_string()),
                Ok(dep) if self.dependency_done(&dep, done_listings) => {}
                Ok(dep) => missing.push(dep),
            }
        }
        if missing.is_empty() && refused.is_empty() && unknown.is_empty() {
            Gate::Ready
        } else {
            Gate::Waiting {
                missing,
                refused,
                unknown,
                cycle: None,
            }
        }
    }

    /// Whether `dep` is in its project's `done/` (each listing read once per pass).
    fn dependency_done(
        &self,
        dep: &DependencyRef,
        done_listings: &mut HashMap<String, Vec<String>>,
    ) -> bool {
        let Some(project) = self.projects.get(&dep.project) else {
            return false;
        };
        let names = done_listings
            .entry(dep.project.clone())
            .or_insert_with(|| cf_queue::finished_names(project, cf_queue::Destination::Done));
        names
            .iter()
            .any(|name| deps::done_file_matches(&dep.task_id, name))
    }
}
