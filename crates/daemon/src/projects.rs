//! The queue part: the projects found so far, which one was served last (projects take turns),
//! the parsed task files reused while unchanged, each project's own settings (its
//! `.agent-queue/config.yaml`, read again when it changes), and the dependency cycles already
//! reported.
//! Private fields; the handlers of dispatch, the gate, recovery and upkeep ask it.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use cf_core::TaskDoc;
use cf_queue::{Project, QueuedFile};

/// A parsed task file, valid while its size and mtime are unchanged.
#[derive(Debug, Clone)]
struct Parsed {
    size: u64,
    modified: jiff::Timestamp,
    doc: TaskDoc,
}

/// A project's settings file as last read: its size and mtime (`None`: no file), and what it
/// said (or why it cannot be used).
#[derive(Debug, Clone)]
struct Settings {
    stamp: Option<(u64, std::time::SystemTime)>,
    read: Result<cf_config::ProjectConfig, String>,
}

/// The projects and what is remembered about their inboxes.
#[derive(Debug, Default)]
pub(crate) struct Projects {
    known: BTreeMap<String, Project>,
    last_served: Option<String>,
    parsed: HashMap<PathBuf, Parsed>,
    settings: HashMap<String, Settings>,
    reported_cycles: BTreeSet<String>,
}

impl Projects {
    /// The project named `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&Project> {
        self.known.get(name)
    }

    /// Whether a project of that name is known.
    pub(crate) fn contains(&self, name: &str) -> bool {
        self.known.contains_key(name)
    }

    /// Every project, by name (cloned: handlers go on to change the daemon).
    pub(crate) fn all(&self) -> Vec<Project> {
        self.known.values().cloned().collect()
    }

    /// How many projects are known.
    pub(crate) fn len(&self) -> usize {
        self.known.len()
    }

    /// A newly found project.
    pub(crate) fn add(&mut self, project: Project) {
        self.known.insert(project.name.clone(), project);
    }

    /// The project served last.
    pub(crate) fn last_served(&self) -> Option<&str> {
        self.last_served.as_deref()
    }

    /// `name` was served now: the next dispatch starts after it.
    pub(crate) fn served(&mut self, name: &str) {
        self.last_served = Some(name.to_string());
    }

    /// The parsed document of `file`, if parsed before and unchanged since.
    pub(crate) fn parsed(&self, file: &QueuedFile) -> Option<TaskDoc> {
        self.parsed
            .get(&file.path)
            .filter(|p| p.size == file.size && p.modified == file.modified)
            .map(|p| p.doc.clone())
    }

    /// Remembers `file`'s parsed document.
    pub(crate) fn remember_parsed(&mut self, file: &QueuedFile, doc: &TaskDoc) {
        self.parsed.insert(
            file.path.clone(),
            Parsed {
                size: file.size,
                modified: file.modified,
                doc: doc.clone(),
            },
        );
    }

    /// Forgets the parsed files not `seen` in a complete scan (weeks of tasks must not pile up).
    pub(crate) fn keep_parsed(&mut self, seen: &std::collections::HashSet<PathBuf>) {
        self.parsed.retain(|path, _| seen.contains(path));
    }

    /// Whether the settings of `name` were read at `stamp` already.
    pub(crate) fn settings_read_at(
        &self,
        name: &str,
        stamp: Option<(u64, std::time::SystemTime)>,
    ) -> bool {
        self.settings.get(name).is_some_and(|s| s.stamp == stamp)
    }

    /// What the settings file of `name` said when read at `stamp`; the previous reading, if any.
    pub(crate) fn set_settings(
        &mut self,
        name: &str,
        stamp: Option<(u64, std::time::SystemTime)>,
        read: Result<cf_config::ProjectConfig, String>,
    ) -> Option<Result<cf_config::ProjectConfig, String>> {
        self.settings
            .insert(name.to_string(), Settings { stamp, read })
            .map(|old| old.read)
    }

    /// The settings of `name`, or why its tasks are held (a broken file); none read yet: none.
    pub(crate) fn settings(&self, name: &str) -> Result<cf_config::ProjectConfig, &str> {
        match self.settings.get(name).map(|s| &s.read) {
            Some(Ok(config)) => Ok(config.clone()),
            Some(Err(why)) => Err(why.as_str()),
            None => Ok(cf_config::ProjectConfig::default()),
        }
    }

    /// Whether the cycle `text` is reported for the first time (it is remembered).
    pub(crate) fn first_report_of_cycle(&mut self, text: &str) -> bool {
        self.reported_cycles.insert(text.to_string())
    }
}

/// The claims the loop keeps count of: claimed files that finished but could not be moved
/// (they ran: never requeued), and how often each claimed task went on after its agent vanished.
#[derive(Debug, Default)]
pub(crate) struct Claims {
    unfinishable: BTreeSet<PathBuf>,
    interruptions: HashMap<PathBuf, u32>,
}

impl Claims {
    /// The claim `path` ran but its file could not be moved.
    pub(crate) fn mark_unfinishable(&mut self, path: &Path) {
        self.unfinishable.insert(path.to_path_buf());
    }

    /// Whether the claim `path` ran but could not be moved.
    pub(crate) fn is_unfinishable(&self, path: &Path) -> bool {
        self.unfinishable.contains(path)
    }

    /// The agent of the claim `path` vanished once more: how many times now.
    pub(crate) fn interrupted(&mut self, path: &Path) -> u32 {
        let count = self.interruptions.entry(path.to_path_buf()).or_insert(0);
        *count += 1;
        *count
    }

    /// The claim `path` ended (finished or back in the inbox): its count is forgotten.
    pub(crate) fn ended(&mut self, path: &Path) {
        self.interruptions.remove(path);
    }
}
