//! The pure part of hook installation: bring a parsed `settings.json` object to the wanted hooks.
//!
//! Claude Code's format is
//! `{"hooks": {"Stop": [{"matcher": "", "hooks": [{"type": "command", "command": "…"}]}]}}`.
//! Our hook entries are the inner `{"type": "command", …}` objects whose command contains
//! [`HOOK_MARKER`]. The first one of an event is updated in place; further ones are removed (a
//! group they leave empty goes too); with none, a new group is appended. Everything else —
//! other events, the user's own hooks, other keys, and the order of all of them — is kept.

use std::path::Path;

use serde_json::{Map, Value, json};

use crate::json::{Origin, array_entry, object_entry};
use crate::{AccountsError, HOOK_MARKER, HookCommands, HookEvent, HookState};

/// What to run once a broken settings file is fixed.
pub(crate) const RETRY: &str = "run `claude-failover hooks install` again";

/// Brings `settings` to the wanted hooks, returning each event's state *before* the change.
/// If every state is [`HookState::Installed`], `settings` was not changed.
pub(crate) fn reconcile(
    settings: &mut Map<String, Value>,
    commands: &HookCommands,
    path: &Path,
) -> Result<Vec<(HookEvent, HookState)>, AccountsError> {
    let origin = Origin { path, retry: RETRY };
    let hooks = object_entry(settings, None, "hooks", origin)?;
    let stop = reconcile_event(hooks, HookEvent::Stop, &commands.stop, origin)?;
    let stop_failure = reconcile_event(
        hooks,
        HookEvent::StopFailure,
        &commands.stop_failure,
        origin,
    )?;
    let mut states = vec![
        (HookEvent::Stop, stop),
        (HookEvent::StopFailure, stop_failure),
    ];
    if let Some(command) = &commands.session_start {
        let session_start = reconcile_event(hooks, HookEvent::SessionStart, command, origin)?;
        states.push((HookEvent::SessionStart, session_start));
    }
    Ok(states)
}

/// Removes every hook entry of ours (all events); true if there was one.
pub(crate) fn remove_ours(settings: &mut Map<String, Value>) -> bool {
    let Some(hooks) = settings.get_mut("hooks").and_then(Value::as_object_mut) else {
        return false;
    };
    let mut removed = false;
    for groups in hooks.values_mut().filter_map(Value::as_array_mut) {
        for (group, hook) in our_positions(groups).into_iter().rev() {
            remove_hook(groups, group, hook);
            removed = true;
        }
    }
    removed
}

/// Where one of our hook entries sits: group index, then index inside the group's `hooks`.
type Position = (usize, usize);

fn reconcile_event(
    hooks: &mut Map<String, Value>,
    event: HookEvent,
    command: &str,
    origin: Origin<'_>,
) -> Result<HookState, AccountsError> {
    let groups = array_entry(hooks, Some("hooks"), event.name(), origin)?;
    let ours = our_positions(groups);
    let Some((&(first_group, first_hook), duplicates)) = ours.split_first() else {
        groups.push(json!({"matcher": "", "hooks": [our_entry(command)]}));
        return Ok(HookState::Missing);
    };

    let mut state = HookState::Installed;
    // Remove duplicates from the back so the earlier positions stay valid.
    for &(group, hook) in duplicates.iter().rev() {
        remove_hook(groups, group, hook);
        state = HookState::Outdated;
    }
    if let Some(entry) = inner_hooks_mut(&mut groups[first_group])
        .and_then(|inner| inner.get_mut(first_hook))
        .and_then(Value::as_object_mut)
    {
        let up_to_date = entry.get("type") == Some(&json!("command"))
            && entry.get("command") == Some(&json!(command));
        if !up_to_date {
            entry.insert("type".to_string(), json!("command"));
            entry.insert("command".to_string(), json!(command));
            state = HookState::Outdated;
        }
    }
    Ok(state)
}

/// The hook entry we install for `command`.
fn our_entry(command: &str) -> Value {
    json!({"type": "command", "command": command})
}

/// Every inner hook whose command carries the marker, in file order.
fn our_positions(groups: &[Value]) -> Vec<Position> {
    let mut found = Vec::new();
    for (group_index, group) in groups.iter().enumerate() {
        let Some(inner) = group.get("hooks").and_then(Value::as_array) else {
            continue;
        };
        for (hook_index, hook) in inner.iter().enumerate() {
            let ours = hook
                .get("command")
                .and_then(Value::as_str)
                .is_some_and(|text| text.contains(HOOK_MARKER));
            if ours {
                found.push((group_index, hook_index));
            }
        }
    }
    found
}

/// Removes one inner hook, and its group if that leaves the group without hooks.
fn remove_hook(groups: &mut Vec<Value>, group: usize, hook: usize) {
    let now_empty = match inner_hooks_mut(&mut groups[group]) {
        Some(inner) => {
            inner.remove(hook);
            inner.is_empty()
        }
        None => false,
    };
    if now_empty {
        groups.remove(group);
    }
}

fn inner_hooks_mut(group: &mut Value) -> Option<&mut Vec<Value>> {
    group.get_mut("hooks").and_then(Value::as_array_mut)
}
