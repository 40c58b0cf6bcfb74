//! Builds the `agent` and `accounts` sections of the config.

use std::path::Path;

use cf_core::Priority;
use cf_core::shell::is_env_key;

use crate::build::is_safe_name;
use crate::error::Problem;
use crate::model::{Account, AgentConfig, Models};
use crate::walk::{Section, Walk};

/// The default instruction appended to every task message.
pub(crate) const DEFAULT_MESSAGE_SUFFIX: &str = "Carry out the task above now: make the changes, run the checks, and \
     finish the work yourself; do not just describe what you would do.";

/// `agent:`.
pub(crate) fn read_agent(walk: &mut Walk<'_>, top: &Section<'_>) -> AgentConfig {
    let known = [
        "command",
        "args",
        "env",
        "models",
        "message_suffix",
        "skip_permissions",
    ];
    let section = walk.child_section(top, "agent", &known);
    let command = section.get("command").and_then(|node| {
        let key = section.child("command");
        let command = walk.string_node(node, &key)?;
        if command.trim().is_empty() || command.contains('\0') {
            let message = "is empty; write the program to run, e.g. `command: claude`".to_owned();
            walk.report(node, &key, Problem::Invalid(message));
            return None;
        }
        Some(command)
    });
    let mut args = Vec::new();
    let items = walk.list(
        section.get("args"),
        &section.child("args"),
        "a list of arguments",
    );
    for (index, item) in items.unwrap_or_default().iter().enumerate() {
        if let Some(arg) = walk.scalar_text(item, &format!("agent.args[{index}]")) {
            args.push(arg);
        }
    }
    AgentConfig {
        command: command.unwrap_or_else(|| "claude".to_owned()),
        args,
        env: read_env(walk, &section),
        models: read_models(walk, &section),
        message_suffix: walk
            .string(&section, "message_suffix")
            .unwrap_or_else(|| DEFAULT_MESSAGE_SUFFIX.to_owned()),
        skip_permissions: walk.bool(&section, "skip_permissions").unwrap_or(true),
    }
}

/// `agent.env:` — names like shell variables, scalar values taken as text; sorted by name.
fn read_env(walk: &mut Walk<'_>, agent: &Section<'_>) -> Vec<(String, String)> {
    let mut env = Vec::new();
    for (key_node, name, value) in walk.free_map(agent.get("env"), "agent.env") {
        let key = format!("agent.env.{name}");
        if !is_env_key(name) {
            let message = format!(
                "`{name}` is not a variable name; use letters, digits and `_`, not starting with a digit"
            );
            walk.report(key_node, &key, Problem::Invalid(message));
            continue;
        }
        let Some(text) = walk.scalar_text(value, &key) else {
            continue;
        };
        if text.contains('\0') {
            walk.report(
                value,
                &key,
                Problem::Invalid("contains a NUL character; remove it".to_owned()),
            );
            continue;
        }
        env.push((name.to_owned(), text));
    }
    env.sort();
    env
}

/// `agent.models:` — merged over the defaults.
fn read_models(walk: &mut Walk<'_>, agent: &Section<'_>) -> Models {
    let names = Priority::ALL.map(Priority::as_str);
    let section = walk.child_section(agent, "models", &names);
    let mut models = Models::default();
    for priority in Priority::ALL {
        let name = priority.as_str();
        let Some(model) = walk.string(&section, name) else {
            continue;
        };
        if model.trim().is_empty() {
            let message =
                "is empty; write a model name such as `opus` or `sonnet`, or remove the key"
                    .to_owned();
            if let Some(node) = section.get(name) {
                walk.report(node, &section.child(name), Problem::Invalid(message));
            }
            continue;
        }
        *models.slot_mut(priority) = model;
    }
    models
}

/// `accounts:` — at least one; names and config dirs unique.
pub(crate) fn read_accounts(walk: &mut Walk<'_>, top: &Section<'_>, home: &Path) -> Vec<Account> {
    let default = vec![Account {
        name: "default".to_owned(),
        config_dir: home.join(".claude"),
    }];
    let Some(node) = top.get("accounts") else {
        return default;
    };
    let Some(items) = walk.list(
        Some(node),
        "accounts",
        "a list of `{name, config_dir}` entries",
    ) else {
        return default;
    };
    if items.is_empty() {
        let message =
            "is empty; list at least one account or remove the key for the default".to_owned();
        walk.report(node, "accounts", Problem::Invalid(message));
    }
    let mut accounts: Vec<(Account, u64, u64)> = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let key = format!("accounts[{index}]");
        let expected = "a mapping with `name` and `config_dir`";
        let Some(entry) = walk.entry_section(item, &key, expected, &["name", "config_dir"]) else {
            continue;
        };
        let name = walk
            .required(&entry, "name", "write a short account name, e.g. `name: a`")
            .and_then(|node| Some((node, walk.string_node(node, &entry.child("name"))?)));
        let dir_hint = "write the account's Claude home, e.g. `config_dir: ~/.claude-a`";
        let dir = walk
            .required(&entry, "config_dir", dir_hint)
            .and_then(|node| Some((node, walk.path_node(node, &entry.child("config_dir"))?)));
        let (Some((name_node, name)), Some((dir_node, config_dir))) = (name, dir) else {
            continue;
        };
        if !is_safe_name(&name) {
            let message = format!(
                "`{name}` is not an account name; use only letters, digits, `.`, `_` and `-`"
            );
            walk.report(name_node, &entry.child("name"), Problem::Invalid(message));
            continue;
        }
        if let Some((_, first_line, _)) =
            accounts.iter().find(|(account, _, _)| account.name == name)
        {
            let first_line = *first_line;
            walk.report(
                name_node,
                &entry.child("name"),
                Problem::Duplicate { first_line },
            );
            continue;
        }
        if let Some((_, _, first_line)) = accounts
            .iter()
            .find(|(account, _, _)| account.config_dir == config_dir)
        {
            let first_line = *first_line;
            walk.report(
                dir_node,
                &entry.child("config_dir"),
                Problem::Duplicate { first_line },
            );
            continue;
        }
        accounts.push((Account { name, config_dir }, name_node.line, dir_node.line));
    }
    accounts
        .into_iter()
        .map(|(account, _, _)| account)
        .collect()
}
