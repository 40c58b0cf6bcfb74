//! Folder trust in an account's `$CLAUDE_CONFIG_DIR/.claude.json`: a session resumed on another
//! account must not stop at the "Do you trust the files in this folder?" dialog.
//!
//! The client keeps `projects.<absolute folder>.hasTrustDialogAccepted` there, and trust is
//! inherited from parent folders (trusting the projects folder covers every project below it).
//! The client owns the file and rewrites it often: every key we do not set is kept in its order,
//! a dated backup precedes a change, the write is atomic, and nothing is written when the folder
//! already has both flags. Call it while no session of that account runs, or the client's next
//! write may drop ours.

use std::fs;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde_json::Value;

use crate::AccountsError;
use crate::file;
use crate::json::{Origin, key_path, object_entry};
use crate::symlinks::absolute;

/// The client's state file's name inside a config dir.
pub const CLIENT_STATE_FILE_NAME: &str = ".claude.json";

/// The top-level key holding one entry per folder.
const PROJECTS_KEY: &str = "projects";
/// The per-folder flag the trust dialog sets.
const TRUST_KEY: &str = "hasTrustDialogAccepted";
/// The per-folder flag that skips the first-run project tips.
const ONBOARDING_KEY: &str = "hasCompletedProjectOnboarding";
/// What to run once a broken `.claude.json` is fixed.
const RETRY: &str = "start the account's sessions again (the client may have been writing it)";

/// What [`ensure_folder_trusted`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrustChange {
    /// The folder already had both flags: nothing was written.
    AlreadyTrusted,
    /// There was no `.claude.json`; one holding only the folder's entry was created.
    Created,
    /// The file was rewritten; its previous content is in `backup`.
    Rewritten {
        /// The dated copy of the previous file.
        backup: PathBuf,
    },
}

/// The client state file of the account whose config dir is `config_dir`.
pub fn client_state_path(config_dir: &Path) -> PathBuf {
    config_dir.join(CLIENT_STATE_FILE_NAME)
}

/// Makes sure `projects.<folder>` in `config_dir/.claude.json` has `hasTrustDialogAccepted`
/// and `hasCompletedProjectOnboarding` set to `true`, keeping every other key.
///
/// `folder` is keyed by its canonical path (what the client sees as its working directory),
/// or its absolute path when it does not exist yet. `now` names the backup.
pub fn ensure_folder_trusted(
    config_dir: &Path,
    folder: &Path,
    now: Timestamp,
) -> Result<TrustChange, AccountsError> {
    let key = forms(folder)
        .into_iter()
        .next()
        .and_then(|form| form.to_str().map(str::to_string))
        .ok_or_else(|| AccountsError::PathNotUtf8 {
            path: folder.to_path_buf(),
        })?;
    let path = file::resolve(&client_state_path(config_dir));
    let origin = Origin {
        path: &path,
        retry: RETRY,
    };
    let mut loaded = file::load(origin)?;
    let projects = object_entry(&mut loaded.settings, None, PROJECTS_KEY, origin)?;
    let project = object_entry(projects, Some(PROJECTS_KEY), &key, origin)?;
    let mut changed = false;
    for flag in [TRUST_KEY, ONBOARDING_KEY] {
        if project.get(flag) != Some(&Value::Bool(true)) {
            project.insert(flag.to_string(), Value::Bool(true));
            changed = true;
        }
    }
    if !changed {
        return Ok(TrustChange::AlreadyTrusted);
    }
    Ok(match file::save(&path, &loaded, now)? {
        None => TrustChange::Created,
        Some(backup) => TrustChange::Rewritten { backup },
    })
}

/// True when `folder` or one of its parents is trusted in `config_dir/.claude.json` (as the
/// client decides: any trusted ancestor is enough). A missing file means not trusted.
pub fn is_folder_trusted(config_dir: &Path, folder: &Path) -> Result<bool, AccountsError> {
    let path = file::resolve(&client_state_path(config_dir));
    let origin = Origin {
        path: &path,
        retry: RETRY,
    };
    let loaded = file::load(origin)?;
    let projects = match loaded.settings.get(PROJECTS_KEY) {
        None => return Ok(false),
        Some(Value::Object(projects)) => projects,
        Some(other) => {
            return Err(origin.wrong_type(key_path(None, PROJECTS_KEY), other, "an object"));
        }
    };
    let trusted = |key: &str| {
        projects
            .get(key)
            .and_then(|project| project.get(TRUST_KEY))
            .is_some_and(|flag| flag == &Value::Bool(true))
    };
    for form in forms(folder) {
        for ancestor in form.ancestors() {
            if ancestor.to_str().is_some_and(trusted) {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// The canonical path (when the folder exists), then the absolute path if it differs.
fn forms(folder: &Path) -> Vec<PathBuf> {
    let absolute = absolute(folder);
    let mut forms = Vec::with_capacity(2);
    if let Ok(canonical) = fs::canonicalize(folder) {
        forms.push(canonical);
    }
    if !forms.contains(&absolute) {
        forms.push(absolute);
    }
    forms
}
