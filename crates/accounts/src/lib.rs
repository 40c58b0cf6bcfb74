//! Account set-up for Claude Code: our `Stop` / `StopFailure` hooks in each account's
//! `$CLAUDE_CONFIG_DIR/settings.json`, the shared-state symlinks between accounts
//! ([`check_links`], [`ensure_links`], [`migrate`]) and folder trust in `.claude.json`
//! ([`ensure_folder_trusted`], [`is_folder_trusted`]).
//!
//! The `Stop` hook writes the done-signal of its tmux session; `StopFailure` (which fires
//! instead of `Stop` when a turn ends on an API error) records the error kind. The caller builds
//! both shell commands; they must contain [`HOOK_MARKER`] so that a later install finds and
//! updates them instead of adding copies.
//!
//! The client rewrites `settings.json` itself at times and keeps an `env` block there, so every
//! key we do not own is kept, in its order. Before a change a dated backup is written; the new
//! file replaces the old atomically. No change needed means no write and no backup.
//!
//! Architecture invariant: this is the only crate that edits an account's `settings.json` and
//! `.claude.json`, and that creates or moves its shared-state links.

mod credentials;
mod error;
mod file;
mod hooks;
mod json;
mod status_line;
mod symlinks;
mod trust;

use std::fmt;
use std::path::{Path, PathBuf};

use jiff::Timestamp;

pub use credentials::{CREDENTIALS_FILE_NAME, credentials_fingerprint};
pub use error::AccountsError;
pub use status_line::{SAVED_STATUS_LINE, saved_status_line_command, saved_status_line_path};
pub use symlinks::{
    FoundKind, LinkReport, LinkState, LinkStatus, MigrateReport, MigrateStart, SHARED_ENTRIES,
    TargetState, TargetStatus, check_links, ensure_links, migrate,
};
pub use trust::{
    CLIENT_STATE_FILE_NAME, TrustChange, client_state_path, ensure_folder_trusted,
    is_folder_trusted,
};

/// The text that marks a hook command as ours; both commands must contain it.
pub const HOOK_MARKER: &str = "claude-failover hook";

/// The settings file's name inside a config dir.
pub const SETTINGS_FILE_NAME: &str = "settings.json";

/// The full shell commands of our hooks, built by the caller (they run in the pane's
/// environment, so `$TMUX_PANE` is available to find the session).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookCommands {
    /// Run by the `Stop` hook when a turn completes: writes the session's done-signal.
    pub stop: String,
    /// Run by the `StopFailure` hook when a turn ends on an API error: records the error kind.
    pub stop_failure: String,
    /// Run by the `SessionStart` hook: records the conversation's session id (the resume id)
    /// for the tmux session, so that an account swap can resume it. `None`: not managed.
    pub session_start: Option<String>,
    /// The `statusLine` command: records the account's usage after every reply. `None`: not
    /// managed.
    pub status_line: Option<String>,
}

/// The Claude Code hook events we install.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HookEvent {
    /// A turn completed normally.
    Stop,
    /// A turn ended on an API error (rate limit, server error).
    StopFailure,
    /// The agent started or resumed a conversation.
    SessionStart,
    /// Not a hook but the `statusLine` command: the usage after every reply.
    StatusLine,
}

impl HookEvent {
    /// The event's key under `"hooks"` in settings.json.
    pub fn name(self) -> &'static str {
        match self {
            HookEvent::Stop => "Stop",
            HookEvent::StopFailure => "StopFailure",
            HookEvent::SessionStart => "SessionStart",
            HookEvent::StatusLine => "statusLine",
        }
    }
}

impl fmt::Display for HookEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One hook's state in a settings file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookState {
    /// Present once with exactly the wanted command.
    Installed,
    /// No entry of ours for this event.
    Missing,
    /// Our entry is there but its command differs, or it is there more than once.
    Outdated,
}

/// What [`check_hooks`] found. When hooks are both missing and outdated, `Missing` lists the
/// missing ones; one install fixes all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookStatus {
    /// Both hooks are present once with the wanted commands.
    Installed,
    /// These hooks have no entry of ours.
    Missing(Vec<HookEvent>),
    /// These hooks are ours but differ from the wanted commands (or are duplicated).
    Outdated(Vec<HookEvent>),
}

/// What happened to the settings file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileChange {
    /// Everything was already installed: nothing was written.
    Unchanged,
    /// There was no settings file; one holding only our hooks was created.
    Created,
    /// The file was rewritten; its previous content is in `backup`.
    Rewritten {
        /// The dated copy of the previous file.
        backup: PathBuf,
    },
}

/// What [`install_hooks`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallReport {
    /// The settings file that was checked (after following a symlink).
    pub settings_path: PathBuf,
    /// Whether and how it was written.
    pub file: FileChange,
    /// Hooks that were added.
    pub added: Vec<HookEvent>,
    /// Hooks whose existing entry was corrected in place.
    pub updated: Vec<HookEvent>,
    /// Where the operator's own status line was saved, when ours replaced it (ours runs it).
    pub saved_status_line: Option<PathBuf>,
}

/// The settings file of the account whose config dir is `config_dir`.
pub fn settings_path(config_dir: &Path) -> PathBuf {
    config_dir.join(SETTINGS_FILE_NAME)
}

/// Adds or corrects our hooks in `config_dir/settings.json`, keeping everything else.
///
/// Idempotent: with the hooks already in place the file is not touched. `now` names the
/// backup (`settings.json.bak-<YYYYmmddTHHMMSSZ>`). A file that is not a JSON object is
/// refused and left as it is.
pub fn install_hooks(
    config_dir: &Path,
    commands: &HookCommands,
    now: Timestamp,
) -> Result<InstallReport, AccountsError> {
    let Reconciled {
        path,
        loaded,
        states,
        displaced,
    } = reconcile(config_dir, commands)?;
    let added = events_in(&states, HookState::Missing);
    let updated = events_in(&states, HookState::Outdated);
    // Theirs is saved before ours replaces it in the file: it is never lost.
    let saved_status_line = match displaced {
        Some(theirs) => {
            let saved = status_line::saved_status_line_path(config_dir);
            let body = serde_json::to_vec_pretty(&serde_json::json!({ "statusLine": theirs }))
                .map_err(|e| AccountsError::Write {
                    path: saved.clone(),
                    source: std::io::Error::other(e),
                })?;
            file::write_atomically(&saved, &body)?;
            Some(saved)
        }
        None => None,
    };
    let file = if added.is_empty() && updated.is_empty() {
        FileChange::Unchanged
    } else {
        match file::save(&path, &loaded, now)? {
            None => FileChange::Created,
            Some(backup) => FileChange::Rewritten { backup },
        }
    };
    Ok(InstallReport {
        settings_path: path,
        file,
        added,
        updated,
        saved_status_line,
    })
}

/// Takes our hooks and status line out of `config_dir/settings.json` and puts the operator's
/// own status line back; everything else stays. `Unchanged` when none of ours was there.
pub fn uninstall_hooks(config_dir: &Path, now: Timestamp) -> Result<FileChange, AccountsError> {
    let path = file::resolve(&settings_path(config_dir));
    let mut loaded = file::load(json::Origin {
        path: &path,
        retry: hooks::RETRY,
    })?;
    let saved = status_line::saved_status_line_entry(config_dir);
    let removed_hooks = hooks::remove_ours(&mut loaded.settings);
    let removed_line = status_line::remove_status_line(&mut loaded.settings, saved);
    if !removed_hooks && !removed_line {
        return Ok(FileChange::Unchanged);
    }
    let change = match file::save(&path, &loaded, now)? {
        None => FileChange::Created,
        Some(backup) => FileChange::Rewritten { backup },
    };
    let _ = std::fs::remove_file(status_line::saved_status_line_path(config_dir));
    let _ = std::fs::remove_file(status_line::legacy_saved_status_line_path(config_dir));
    Ok(change)
}

/// Reports whether our hooks are in `config_dir/settings.json`, without changing anything.
/// A missing file means both hooks are missing.
pub fn check_hooks(
    config_dir: &Path,
    commands: &HookCommands,
) -> Result<HookStatus, AccountsError> {
    let states = reconcile(config_dir, commands)?.states;
    let missing = events_in(&states, HookState::Missing);
    let outdated = events_in(&states, HookState::Outdated);
    Ok(if !missing.is_empty() {
        HookStatus::Missing(missing)
    } else if !outdated.is_empty() {
        HookStatus::Outdated(outdated)
    } else {
        HookStatus::Installed
    })
}

/// `config_dir/settings.json` as read, with our hooks brought up to date in memory.
struct Reconciled {
    /// The settings file (after following a symlink).
    path: PathBuf,
    /// Its content, hooks already reconciled; written only by [`install_hooks`].
    loaded: file::Loaded,
    /// Each hook's state before the change.
    states: Vec<(HookEvent, HookState)>,
    /// The operator's own status line that ours replaced in memory.
    displaced: Option<serde_json::Value>,
}

/// Reads `config_dir/settings.json` and reconciles our hooks in memory (nothing is written).
fn reconcile(config_dir: &Path, commands: &HookCommands) -> Result<Reconciled, AccountsError> {
    check_markers(commands)?;
    let path = file::resolve(&settings_path(config_dir));
    let mut loaded = file::load(json::Origin {
        path: &path,
        retry: hooks::RETRY,
    })?;
    let mut states = hooks::reconcile(&mut loaded.settings, commands, &path)?;
    let mut displaced = None;
    if let Some(command) = &commands.status_line {
        let change = status_line::reconcile_status_line(&mut loaded.settings, command);
        states.push((HookEvent::StatusLine, change.state));
        displaced = change.displaced;
    }
    Ok(Reconciled {
        path,
        loaded,
        states,
        displaced,
    })
}

/// The events of `states` that are in state `wanted`, in order.
fn events_in(states: &[(HookEvent, HookState)], wanted: HookState) -> Vec<HookEvent> {
    states
        .iter()
        .filter(|(_, state)| *state == wanted)
        .map(|(event, _)| *event)
        .collect()
}

/// Refuses commands a later install could not recognise as ours.
fn check_markers(commands: &HookCommands) -> Result<(), AccountsError> {
    for (event, command) in [
        (HookEvent::Stop, &commands.stop),
        (HookEvent::StopFailure, &commands.stop_failure),
    ]
    .into_iter()
    .chain(
        commands
            .session_start
            .as_ref()
            .map(|c| (HookEvent::SessionStart, c)),
    )
    .chain(
        commands
            .status_line
            .as_ref()
            .map(|c| (HookEvent::StatusLine, c)),
    ) {
        if !command.contains(HOOK_MARKER) {
            return Err(AccountsError::CommandLacksMarker {
                event,
                command: command.clone(),
                marker: HOOK_MARKER,
            });
        }
    }
    Ok(())
}
