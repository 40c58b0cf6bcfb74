//! Builds the typed `Config` from the YAML tree: the root and the pool, tmux, dispatcher,
//! watcher and quota sections (agent and accounts are in `build_agent`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::build_agent::{read_accounts, read_agent};
use crate::error::Problem;
use crate::model::{
    ApiSettings, AutonomousPool, Config, DedicatedSession, DelegationSettings, DispatcherConfig,
    PoolConfig, QuotaConfig, RetryConfig, TmuxConfig, WatchdogConfig, WatcherConfig,
};
use crate::tree::{Node, Value};
use crate::walk::{Section, Walk, Zero};
use cf_core::placement::{PlacementPolicy, Strategy};
use cf_core::retry::{BreakerPolicy, RetryPolicy};

/// Keys allowed at the top level.
const ROOT_KEYS: &[&str] = &[
    "state_dir",
    "tmux",
    "pool",
    "dispatcher",
    "watcher",
    "agent",
    "quota",
    "retry",
    "watchdog",
    "accounts",
    "shared_dir",
    "delegation",
    "api",
    "notify",
];

/// Builds the config from the root node; problems go to `walk.errors` (the returned value is
/// only meaningful when there are none).
pub(crate) fn read_config(walk: &mut Walk<'_>, root: &Node) -> Config {
    // Anything but a mapping is reported here, once, and then read as an empty file.
    let root_map = match root.value {
        Value::Map(_) | Value::Null => Some(root),
        _ => {
            walk.wrong_type(root, "", "a mapping of settings at the top level");
            None
        }
    };
    let top = walk.section(root_map, "", (1, 1), ROOT_KEYS);
    let home = walk.paths.home.to_path_buf();
    let state_dir = walk
        .path(&top, "state_dir")
        .unwrap_or_else(|| home.join(".local/state/claude-failover"));
    let tmux = read_tmux(walk, &top);
    // Accounts first: a dedicated session may name one.
    let accounts = read_accounts(walk, &top, &home);
    let (pool, shared_projects_dir) = read_pool(walk, &top, &accounts);
    let dispatcher = read_dispatcher(walk, &top, shared_projects_dir, &home);
    let watcher = read_watcher(walk, &top, &state_dir);
    let quota = read_quota(walk, &top);
    let retry = read_retry(walk, &top);
    let watchdog = read_watchdog(walk, &top);
    let agent = read_agent(walk, &top);
    let shared_dir = walk.path(&top, "shared_dir");
    let delegation = read_delegation(walk, &top);
    let api = read_api(walk, &top);
    let notify = crate::build_notify::read_notify(walk, &top);
    if accounts.len() > 1 && shared_dir.is_none() && walk.errors.is_empty() {
        walk.report_at(
            1,
            1,
            "shared_dir",
            Problem::Missing {
                hint: "with two or more accounts, set `shared_dir:` to the folder their `projects`, \
                       `session-env` and `file-history` link to (conversations resume across accounts through it)"
                    .to_owned(),
            },
        );
    }
    Config {
        state_dir,
        tmux,
        pool,
        dispatcher,
        watcher,
        agent,
        quota,
        retry,
        watchdog,
        accounts,
        shared_dir,
        delegation,
        api,
        notify,
    }
}

/// `tmux:`.
fn read_tmux(walk: &mut Walk<'_>, top: &Section<'_>) -> TmuxConfig {
    let section = walk.child_section(top, "tmux", &["socket"]);
    let key = section.child("socket");
    let socket = section.get("socket").and_then(|node| {
        let socket = walk.string_node(node, &key)?;
        if is_safe_name(&socket) {
            return Some(socket);
        }
        let message =
            format!("`{socket}` is not a socket name; use only letters, digits, `.`, `_` and `-`");
        walk.report(node, &key, Problem::Invalid(message));
        None
    });
    TmuxConfig { socket }
}

/// `[A-Za-z0-9._-]+`: socket and account names.
pub(crate) fn is_safe_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Why `name` cannot be (part of) a tmux session name, if it cannot.
fn session_name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("is empty; write a session name such as `ccl-auto-`".to_owned());
    }
    let forbidden = |c: &char| *c == ':' || *c == '.' || c.is_whitespace() || c.is_control();
    name.chars().find(forbidden).map(|bad| {
        format!("`{name}` contains {bad:?}, which tmux does not allow in session names; remove it")
    })
}

/// `pool:`; also returns `pool.shared_projects_dir` for the dispatcher's default.
fn read_pool(
    walk: &mut Walk<'_>,
    top: &Section<'_>,
    accounts: &[crate::model::Account],
) -> (PoolConfig, Option<PathBuf>) {
    let known = ["shared_projects_dir", "autonomous", "dedicated"];
    let section = walk.child_section(top, "pool", &known);
    let shared = walk.path(&section, "shared_projects_dir");
    let autonomous = read_autonomous(walk, &section);
    let dedicated = read_dedicated(walk, &section, &autonomous, accounts);
    (
        PoolConfig {
            autonomous,
            dedicated,
        },
        shared,
    )
}

/// `pool.autonomous:`.
fn read_autonomous(walk: &mut Walk<'_>, pool: &Section<'_>) -> AutonomousPool {
    let known = ["prefix", "start_index", "min", "max"];
    let section = walk.child_section(pool, "autonomous", &known);
    let mut prefix = walk
        .string(&section, "prefix")
        .unwrap_or_else(|| "ccl-auto-".to_owned());
    if let (Some(problem), Some(node)) = (session_name_problem(&prefix), section.get("prefix")) {
        walk.report(node, &section.child("prefix"), Problem::Invalid(problem));
        prefix = "ccl-auto-".to_owned();
    }
    let start_index = walk.u32(&section, "start_index").unwrap_or(11);
    let min = walk.u32(&section, "min");
    let max = walk.u32(&section, "max");
    if let (Some(0), Some(node)) = (max, section.get("max")) {
        let message = "is 0; the pool needs at least 1 session (write `max: 1` or more)".to_owned();
        walk.report(node, &section.child("max"), Problem::Invalid(message));
    }
    let (min_value, max_value) = (min.unwrap_or(1), max.unwrap_or(10).max(1));
    // `min` is given here: its default (1) never exceeds `max`, which is at least 1.
    if min_value > max_value {
        let message = format!(
            "min ({min_value}) is larger than max ({max_value}); lower `min` or raise `max`"
        );
        walk.invalid_value(&section, "min", message);
    }
    if start_index.checked_add(max_value).is_none() {
        let message = "start_index + max overflows; use a smaller start_index".to_owned();
        walk.invalid_value(&section, "start_index", message);
    }
    AutonomousPool {
        prefix,
        start_index,
        min: min_value.min(max_value),
        max: max_value,
    }
}

/// `pool.dedicated:` — names valid, unique and outside the autonomous range.
fn read_dedicated(
    walk: &mut Walk<'_>,
    pool: &Section<'_>,
    autonomous: &AutonomousPool,
    accounts: &[crate::model::Account],
) -> Vec<DedicatedSession> {
    let items = walk.list(
        pool.get("dedicated"),
        "pool.dedicated",
        "a list of `{name, project}` entries",
    );
    let mut sessions: Vec<(DedicatedSession, u64)> = Vec::new();
    for (index, item) in items.unwrap_or_default().iter().enumerate() {
        let key = format!("pool.dedicated[{index}]");
        let expected = "a mapping with `name` and `project`";
        let known = ["name", "project", "account"];
        let Some(entry) = walk.entry_section(item, &key, expected, &known) else {
            continue;
        };
        let name_hint = "write the tmux session name, e.g. `name: ccl-1-myproject`";
        let name = walk.required(&entry, "name", name_hint).and_then(|node| {
            walk.string_node(node, &entry.child("name"))
                .map(|name| (node, name))
        });
        let project_hint = "write the project directory, e.g. `project: /srv/projects/x`";
        let project = walk
            .required(&entry, "project", project_hint)
            .and_then(|node| walk.path_node(node, &entry.child("project")));
        let Some((name_node, name)) = name else {
            continue;
        };
        let prefix = &autonomous.prefix;
        if let Some(problem) = session_name_problem(&name) {
            walk.report(name_node, &entry.child("name"), Problem::Invalid(problem));
            continue;
        }
        if autonomous.contains(&name) {
            let message = format!(
                "`{name}` is inside the autonomous pool range ({prefix}{}…{prefix}{}); rename it or move the pool",
                autonomous.start_index,
                autonomous
                    .start_index
                    .saturating_add(autonomous.max.saturating_sub(1)),
            );
            walk.report(name_node, &entry.child("name"), Problem::Invalid(message));
            continue;
        }
        if let Some((_, first_line)) = sessions.iter().find(|(session, _)| session.name == name) {
            let first_line = *first_line;
            walk.report(
                name_node,
                &entry.child("name"),
                Problem::Duplicate { first_line },
            );
            continue;
        }
        let account = dedicated_account(walk, &entry, accounts);
        if let Some(project) = project {
            let session = DedicatedSession {
                name,
                project,
                account,
            };
            sessions.push((session, name_node.line));
        }
    }
    sessions.into_iter().map(|(session, _)| session).collect()
}

/// `pool.dedicated[i].account`, which must name a configured account.
fn dedicated_account(
    walk: &mut Walk<'_>,
    entry: &Section<'_>,
    accounts: &[crate::model::Account],
) -> Option<String> {
    let name = walk.string(entry, "account")?;
    if accounts.iter().any(|a| a.name == name) {
        return Some(name);
    }
    let names: Vec<&str> = accounts.iter().map(|a| a.name.as_str()).collect();
    let message = format!(
        "`{name}` is no configured account (accounts: {}); name one of them or remove the key",
        names.join(", ")
    );
    walk.invalid_value(entry, "account", message);
    None
}

/// `dispatcher:`.
fn read_dispatcher(
    walk: &mut Walk<'_>,
    top: &Section<'_>,
    shared: Option<PathBuf>,
    home: &Path,
) -> DispatcherConfig {
    let known = [
        "projects_dir",
        "projects",
        "prompt_timeout",
        "rescan_interval",
        "launch_cooldown",
        "resume_dir",
        "max_running_per_project",
        "isolation",
        "worktrees_dir",
        "keep_worktrees",
    ];
    let section = walk.child_section(top, "dispatcher", &known);
    let projects_dir = match (section.get("projects_dir"), shared) {
        (Some(_), _) => walk.path(&section, "projects_dir"),
        (None, Some(shared)) => Some(shared),
        (None, None) => {
            let hint = "write the folder holding the projects, e.g. `projects_dir: /srv/projects` \
                        (or set `pool.shared_projects_dir`)";
            walk.required(&section, "projects_dir", hint)
                .and_then(|node| walk.path_node(node, &section.child("projects_dir")))
        }
    };
    let mut projects = Vec::new();
    let items = walk.list(
        section.get("projects"),
        &section.child("projects"),
        "a list of project paths",
    );
    for (index, item) in items.unwrap_or_default().iter().enumerate() {
        if let Some(path) = walk.path_node(item, &format!("dispatcher.projects[{index}]")) {
            projects.push(path);
        }
    }
    DispatcherConfig {
        projects_dir: projects_dir.unwrap_or_default(),
        projects,
        prompt_timeout: walk
            .duration(&section, "prompt_timeout", Zero::Refused)
            .unwrap_or(Duration::from_secs(30)),
        rescan_interval: walk
            .duration(&section, "rescan_interval", Zero::Refused)
            .unwrap_or(Duration::from_secs(30)),
        launch_cooldown: walk
            .duration(&section, "launch_cooldown", Zero::Allowed)
            .unwrap_or(Duration::from_secs(300)),
        resume_dir: walk
            .path(&section, "resume_dir")
            .unwrap_or_else(|| home.join(".claude-context")),
        max_running_per_project: crate::project::at_least_one(
            walk,
            &section,
            "max_running_per_project",
        ),
        isolation: crate::project::isolation(walk, &section, "isolation").unwrap_or_default(),
        worktrees_dir: walk.path(&section, "worktrees_dir"),
        keep_worktrees: walk.bool(&section, "keep_worktrees").unwrap_or(false),
    }
}

/// `watcher:`.
fn read_watcher(walk: &mut Walk<'_>, top: &Section<'_>, state_dir: &Path) -> WatcherConfig {
    let known = ["interval", "idle_timeout", "done_signal_dir", "stable_idle"];
    let section = walk.child_section(top, "watcher", &known);
    WatcherConfig {
        interval: walk
            .duration(&section, "interval", Zero::Refused)
            .unwrap_or(Duration::from_millis(500)),
        idle_timeout: walk
            .duration(&section, "idle_timeout", Zero::Refused)
            .unwrap_or(Duration::from_secs(3600)),
        done_signal_dir: walk
            .path(&section, "done_signal_dir")
            .unwrap_or_else(|| state_dir.join("signals")),
        stable_idle: walk
            .duration(&section, "stable_idle", Zero::Refused)
            .unwrap_or(Duration::from_secs(1)),
    }
}

/// `quota:`.
fn read_quota(walk: &mut Walk<'_>, top: &Section<'_>) -> QuotaConfig {
    let known = ["reactivate_cooldown", "switch_at", "strategy", "hysteresis"];
    let section = walk.child_section(top, "quota", &known);
    let cooldown = walk.duration(&section, "reactivate_cooldown", Zero::Allowed);
    let defaults = PlacementPolicy::default();
    let percent = |walk: &mut Walk<'_>, name: &str, range: std::ops::RangeInclusive<u32>| {
        let value = walk.u32(&section, name)?;
        if range.contains(&value) {
            return Some(f64::from(value));
        }
        let message = format!(
            "{value} is out of range; write a percentage from {} to {}",
            range.start(),
            range.end()
        );
        walk.invalid_value(&section, name, message);
        None
    };
    let switch_at = percent(walk, "switch_at", 1..=100).unwrap_or(defaults.switch_at);
    let hysteresis = percent(walk, "hysteresis", 0..=50).unwrap_or(defaults.hysteresis);
    let strategy = match walk.string(&section, "strategy").as_deref() {
        None | Some("fill-first") => Strategy::FillFirst,
        Some("spread") => Strategy::Spread,
        Some(other) => {
            let message = format!("`{other}` is no strategy; write `fill-first` or `spread`");
            walk.invalid_value(&section, "strategy", message);
            Strategy::FillFirst
        }
    };
    QuotaConfig {
        reactivate_cooldown: cooldown.unwrap_or(Duration::from_secs(300)),
        placement: PlacementPolicy {
            switch_at,
            strategy,
            hysteresis,
        },
    }
}

/// `retry:` (defaults: 30 s doubling to 15 min, 5 attempts, 6 h; the breaker opens after 3
/// failures within 2 min and probes every minute, doubling to 10 min).
fn read_retry(walk: &mut Walk<'_>, top: &Section<'_>) -> RetryConfig {
    let section = walk.child_section(
        top,
        "retry",
        &[
            "initial_backoff",
            "max_backoff",
            "max_attempts",
            "max_elapsed",
            "breaker_failures",
            "breaker_window",
            "probe_interval",
            "max_probe_interval",
        ],
    );
    let duration = |walk: &mut Walk<'_>, name: &str, default: u64| {
        walk.duration(&section, name, Zero::Refused)
            .unwrap_or(Duration::from_secs(default))
    };
    let policy = RetryPolicy {
        initial_backoff: duration(walk, "initial_backoff", 30),
        max_backoff: duration(walk, "max_backoff", 15 * 60),
        max_attempts: walk.u32(&section, "max_attempts").unwrap_or(5).max(1),
        max_elapsed: duration(walk, "max_elapsed", 6 * 3600),
    };
    let breaker = BreakerPolicy {
        failures: walk.u32(&section, "breaker_failures").unwrap_or(3).max(1),
        window: duration(walk, "breaker_window", 120),
        probe_interval: duration(walk, "probe_interval", 60),
        max_probe_interval: duration(walk, "max_probe_interval", 600),
    };
    RetryConfig { policy, breaker }
}

/// `watchdog:`.
fn read_watchdog(walk: &mut Walk<'_>, top: &Section<'_>) -> WatchdogConfig {
    let section = walk.child_section(
        top,
        "watchdog",
        &["interval", "blocked_timeout", "fail_blocked", "stale_after"],
    );
    WatchdogConfig {
        interval: walk
            .duration(&section, "interval", Zero::Refused)
            .unwrap_or(Duration::from_secs(30)),
        blocked_timeout: walk
            .duration(&section, "blocked_timeout", Zero::Refused)
            .unwrap_or(Duration::from_secs(24 * 3600)),
        fail_blocked: walk.bool(&section, "fail_blocked").unwrap_or(false),
        stale_after: walk
            .duration(&section, "stale_after", Zero::Refused)
            .unwrap_or(Duration::from_secs(2 * 3600)),
    }
}

/// `delegation:` — off unless `base_url` is set.
fn read_delegation(walk: &mut Walk<'_>, top: &Section<'_>) -> DelegationSettings {
    let section = walk.child_section(
        top,
        "delegation",
        &["base_url", "api_key_env", "poll_interval", "max_elapsed"],
    );
    DelegationSettings {
        base_url: walk.string(&section, "base_url"),
        api_key_env: walk
            .string(&section, "api_key_env")
            .unwrap_or_else(|| "SECUTOOLS_API_KEY".to_owned()),
        poll_interval: walk
            .duration(&section, "poll_interval", Zero::Refused)
            .unwrap_or(Duration::from_secs(15)),
        max_elapsed: walk
            .duration(&section, "max_elapsed", Zero::Refused)
            .unwrap_or(Duration::from_secs(120)),
    }
}

/// `api:` — the HTTP status/control API.
fn read_api(walk: &mut Walk<'_>, top: &Section<'_>) -> ApiSettings {
    let section = walk.child_section(top, "api", &["enabled", "listen", "token", "token_env"]);
    let listen = match section.get("listen") {
        Some(node) => {
            let key = section.child("listen");
            walk.string_node(node, &key).and_then(|text| {
                match text.parse::<std::net::SocketAddr>() {
                    Ok(addr) => Some(addr),
                    Err(_) => {
                        walk.report(
                            node,
                            &key,
                            Problem::Invalid(format!(
                                "`{text}` is not an address like `127.0.0.1:7878`"
                            )),
                        );
                        None
                    }
                }
            })
        }
        None => None,
    };
    ApiSettings {
        enabled: walk.bool(&section, "enabled").unwrap_or(true),
        listen: listen.unwrap_or_else(|| std::net::SocketAddr::from(([127, 0, 0, 1], 7878))),
        token: walk.string(&section, "token"),
        token_env: walk
            .string(&section, "token_env")
            .unwrap_or_else(|| "CLAUDE_FAILOVER_API_TOKEN".to_owned()),
    }
}
