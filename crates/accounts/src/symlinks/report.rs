//! What a check of the shared-state links found, and how it reads for the operator: every
//! problem with the account's name, the path and the command that fixes it.

use std::fmt;
use std::path::PathBuf;

/// The command that creates missing links and targets.
const ENSURE: &str = "claude-failover symlinks ensure";
/// The command that moves a real directory's contents into the shared target.
const MIGRATE: &str = "claude-failover symlinks migrate";

/// What sits where a link (or a shared target directory) belongs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FoundKind {
    /// A regular file.
    File,
    /// A real directory (not a symlink).
    Directory,
    /// A fifo, socket or device.
    Special,
}

impl FoundKind {
    /// How it reads in a sentence, e.g. `a regular file`.
    pub fn phrase(self) -> &'static str {
        match self {
            FoundKind::File => "a regular file",
            FoundKind::Directory => "a real directory",
            FoundKind::Special => "a special file",
        }
    }
}

impl fmt::Display for FoundKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.phrase())
    }
}

/// The state of one account's link for one shared entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkState {
    /// A symlink that resolves to the shared target.
    Ok,
    /// Nothing there; `ensure` creates the link.
    Missing,
    /// A symlink to somewhere else; never changed automatically (data loss risk).
    PointsElsewhere {
        /// The link's target as stored in the link.
        target: PathBuf,
    },
    /// A real file or directory where the link belongs.
    InTheWay {
        /// What is there.
        kind: FoundKind,
    },
    /// The path could not be inspected (permissions, a config dir that is a file …).
    Unreadable {
        /// What the OS said.
        message: String,
    },
}

/// One account's link for one shared entry, e.g. `<config_dir>/projects`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkStatus {
    /// The account's name from the config, so the operator knows which one to fix.
    pub account: String,
    /// The shared entry (one of [`crate::SHARED_ENTRIES`]).
    pub entry: &'static str,
    /// Where the link belongs: `<config_dir>/<entry>`.
    pub link: PathBuf,
    /// Where it must point: `<shared_dir>/<entry>` (absolute).
    pub expected_target: PathBuf,
    /// What was found.
    pub state: LinkState,
}

/// The state of one shared target directory `<shared_dir>/<entry>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetState {
    /// A directory (or a symlink to one).
    Ok,
    /// Nothing there; `ensure` creates it.
    Missing,
    /// Something else is there.
    NotADirectory {
        /// What is there.
        kind: FoundKind,
    },
    /// The path could not be inspected.
    Unreadable {
        /// What the OS said.
        message: String,
    },
}

/// One shared target directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetStatus {
    /// The shared entry.
    pub entry: &'static str,
    /// `<shared_dir>/<entry>` (absolute).
    pub path: PathBuf,
    /// What was found.
    pub state: TargetState,
}

/// Everything [`crate::check_links`] / [`crate::ensure_links`] found, for all accounts at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkReport {
    /// The shared directory (absolute).
    pub shared_dir: PathBuf,
    /// One status per shared entry.
    pub targets: Vec<TargetStatus>,
    /// One status per account and shared entry, in account order then entry order.
    pub links: Vec<LinkStatus>,
    /// What `ensure_links` created (directories and links), in creation order; empty for a check.
    pub created: Vec<PathBuf>,
}

impl LinkReport {
    /// True when every link points to its shared target and every target is a directory.
    pub fn is_healthy(&self) -> bool {
        self.targets
            .iter()
            .all(|target| target.state == TargetState::Ok)
            && self.links.iter().all(|link| link.state == LinkState::Ok)
    }

    /// The links that are not [`LinkState::Ok`].
    pub fn link_problems(&self) -> impl Iterator<Item = &LinkStatus> {
        self.links.iter().filter(|link| link.state != LinkState::Ok)
    }

    /// The shared targets that are not [`TargetState::Ok`].
    pub fn target_problems(&self) -> impl Iterator<Item = &TargetStatus> {
        self.targets
            .iter()
            .filter(|target| target.state != TargetState::Ok)
    }

    /// How many problems there are in all.
    pub fn problem_count(&self) -> usize {
        self.link_problems().count() + self.target_problems().count()
    }
}

impl fmt::Display for LinkReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for path in &self.created {
            writeln!(f, "created {}", path.display())?;
        }
        if self.is_healthy() {
            return write!(
                f,
                "all {} shared-state links point into {}",
                self.links.len(),
                self.shared_dir.display()
            );
        }
        write!(
            f,
            "{} problem(s) with the shared-state links into {}:",
            self.problem_count(),
            self.shared_dir.display()
        )?;
        for target in self.target_problems() {
            write!(f, "\n- ")?;
            write_target_problem(f, target)?;
        }
        for link in self.link_problems() {
            write!(f, "\n- ")?;
            write_link_problem(f, link)?;
        }
        Ok(())
    }
}

fn write_target_problem(f: &mut fmt::Formatter<'_>, target: &TargetStatus) -> fmt::Result {
    let path = target.path.display();
    match &target.state {
        TargetState::Ok => write!(f, "shared target {path} is fine"),
        TargetState::Missing => write!(f, "shared target {path} is missing; run `{ENSURE}`"),
        TargetState::NotADirectory { kind } => write!(
            f,
            "shared target {path} is {kind}, not a directory; move it away by hand, then run `{ENSURE}`"
        ),
        TargetState::Unreadable { message } => write!(
            f,
            "shared target {path} cannot be inspected ({message}); fix its permissions, then run `{ENSURE}`"
        ),
    }
}

fn write_link_problem(f: &mut fmt::Formatter<'_>, link: &LinkStatus) -> fmt::Result {
    let account = &link.account;
    let path = link.link.display();
    let expected = link.expected_target.display();
    match &link.state {
        LinkState::Ok => write!(f, "account {account:?}: {path} is fine"),
        LinkState::Missing => write!(
            f,
            "account {account:?}: {path} is missing (should link to {expected}); run `{ENSURE}`"
        ),
        LinkState::PointsElsewhere { target } => write!(
            f,
            "account {account:?}: {path} links to {}, not to {expected}; refused to change it (data loss risk): move what it holds into {expected} by hand, remove the link, then run `{ENSURE}`",
            target.display()
        ),
        LinkState::InTheWay {
            kind: FoundKind::Directory,
        } => write!(
            f,
            "account {account:?}: {path} is a real directory where the link to {expected} belongs; run `{MIGRATE}` to move its contents there and link it"
        ),
        LinkState::InTheWay { kind } => write!(
            f,
            "account {account:?}: {path} is {kind} where the link to {expected} belongs; move it away by hand, then run `{ENSURE}`"
        ),
        LinkState::Unreadable { message } => write!(
            f,
            "account {account:?}: {path} cannot be inspected ({message}); fix the permissions of the config dir, then run `{ENSURE}`"
        ),
    }
}
