//! Our `statusLine` in `settings.json` (`{"type": "command", "command": "…"}`): the client
//! calls it after every reply with the account's usage. An operator's own status line is kept:
//! installing ours moves theirs to [`SAVED_STATUS_LINE`] beside the settings (our command runs
//! it and prints what it prints), and uninstalling puts it back.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use crate::{HOOK_MARKER, HookState};

/// The file beside `settings.json` that keeps the operator's own status line while ours is in
/// place: `{"statusLine": <their entry>}`.
pub const SAVED_STATUS_LINE: &str = "claude-failover-statusline.json";

/// Where an account's saved status line is: beside the settings file it really uses, so that
/// accounts sharing one `settings.json` through a symlink share the saved line too (ours is
/// installed in that one file, and its session on any of them runs theirs).
pub fn saved_status_line_path(config_dir: &Path) -> PathBuf {
    let settings = crate::file::resolve(&crate::settings_path(config_dir));
    match settings.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.join(SAVED_STATUS_LINE),
        _ => config_dir.join(SAVED_STATUS_LINE),
    }
}

/// Where earlier installs kept it: in the config dir itself, even when its `settings.json` is a
/// symlink. Still read, and removed by an uninstall.
pub(crate) fn legacy_saved_status_line_path(config_dir: &Path) -> PathBuf {
    config_dir.join(SAVED_STATUS_LINE)
}

/// The operator's own status line entry saved for `config_dir`, if there is one (at its place,
/// else where older versions kept it).
pub(crate) fn saved_status_line_entry(config_dir: &Path) -> Option<Value> {
    [
        saved_status_line_path(config_dir),
        legacy_saved_status_line_path(config_dir),
    ]
    .iter()
    .find_map(|path| {
        let text = std::fs::read_to_string(path).ok()?;
        let saved: Value = serde_json::from_str(&text).ok()?;
        saved.get("statusLine").cloned()
    })
}

/// The operator's own status line command saved for `config_dir`, if there is one.
pub fn saved_status_line_command(config_dir: &Path) -> Option<String> {
    saved_status_line_entry(config_dir)?
        .get("command")?
        .as_str()
        .map(str::to_owned)
}

/// What bringing the status line to ours did.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StatusLineChange {
    /// Its state before.
    pub(crate) state: HookState,
    /// The operator's own entry that ours replaced (to be saved).
    pub(crate) displaced: Option<Value>,
}

/// Sets `settings.statusLine` to ours (keeping its other keys, e.g. `padding`).
pub(crate) fn reconcile_status_line(
    settings: &mut Map<String, Value>,
    command: &str,
) -> StatusLineChange {
    let current = settings.get("statusLine").cloned();
    let ours = |entry: &Value| {
        entry
            .get("command")
            .and_then(Value::as_str)
            .is_some_and(|c| c.contains(HOOK_MARKER))
    };
    match current {
        None => {
            settings.insert("statusLine".into(), our_entry(command));
            StatusLineChange {
                state: HookState::Missing,
                displaced: None,
            }
        }
        Some(entry) if ours(&entry) => {
            let up_to_date = entry.get("command") == Some(&json!(command))
                && entry.get("type") == Some(&json!("command"));
            if !up_to_date {
                let mut updated = entry.as_object().cloned().unwrap_or_default();
                updated.insert("type".into(), json!("command"));
                updated.insert("command".into(), json!(command));
                settings.insert("statusLine".into(), Value::Object(updated));
            }
            StatusLineChange {
                state: if up_to_date {
                    HookState::Installed
                } else {
                    HookState::Outdated
                },
                displaced: None,
            }
        }
        Some(theirs) => {
            settings.insert("statusLine".into(), our_entry(command));
            StatusLineChange {
                state: HookState::Missing,
                displaced: Some(theirs),
            }
        }
    }
}

/// Takes ours out: `saved` (the operator's own) goes back, or the key goes. True if it changed.
pub(crate) fn remove_status_line(settings: &mut Map<String, Value>, saved: Option<Value>) -> bool {
    let ours = settings
        .get("statusLine")
        .and_then(|e| e.get("command"))
        .and_then(Value::as_str)
        .is_some_and(|c| c.contains(HOOK_MARKER));
    if !ours {
        return false;
    }
    match saved {
        Some(theirs) => settings.insert("statusLine".into(), theirs),
        None => settings.remove("statusLine"),
    };
    true
}

fn our_entry(command: &str) -> Value {
    json!({"type": "command", "command": command, "padding": 0})
}

#[cfg(test)]
mod tests {
    use super::*;

    const OURS: &str = "/bin/cf hook statusline # claude-failover hook (managed)";

    fn settings(value: Value) -> Map<String, Value> {
        value.as_object().cloned().expect("an object")
    }

    #[test]
    fn an_operators_status_line_is_displaced_and_comes_back() {
        let theirs = json!({"type": "command", "command": "~/bin/my-line", "padding": 1});
        let mut s = settings(json!({"statusLine": theirs, "model": "opus"}));
        let change = reconcile_status_line(&mut s, OURS);
        assert_eq!(change.state, HookState::Missing);
        assert_eq!(change.displaced, Some(theirs.clone()));
        assert_eq!(s["statusLine"]["command"], OURS);
        let again = reconcile_status_line(&mut s, OURS);
        assert_eq!((again.state, again.displaced), (HookState::Installed, None));
        assert!(remove_status_line(&mut s, Some(theirs.clone())));
        assert_eq!(s["statusLine"], theirs);
        assert_eq!(s["model"], "opus", "other keys stay");
        assert!(
            !remove_status_line(&mut s, None),
            "theirs is not ours to remove"
        );
    }

    #[test]
    fn without_one_ours_is_added_and_removed() {
        let mut s = settings(json!({}));
        assert_eq!(
            reconcile_status_line(&mut s, OURS).state,
            HookState::Missing
        );
        let newer = "/opt/cf hook statusline # claude-failover hook (managed)";
        assert_eq!(
            reconcile_status_line(&mut s, newer).state,
            HookState::Outdated
        );
        assert!(remove_status_line(&mut s, None));
        assert!(!s.contains_key("statusLine"));
    }
}
