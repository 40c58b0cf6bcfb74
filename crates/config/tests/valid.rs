//! Valid configs: defaults, path expansion, merging, the shipped example and the file loader.

mod common;

use cf_config::SinkTarget;
use cf_core::alert::AlertKind;

use std::path::{Path, PathBuf};
use std::time::Duration;

use cf_config::{Account, DedicatedSession, Problem, example_config, load_config};
use cf_core::Priority;
use common::{MINIMAL, parse_ok};

#[test]
fn defaults_fill_everything_but_the_projects_dir() {
    let config = parse_ok(MINIMAL);
    assert_eq!(
        config.state_dir,
        Path::new("/home/op/.local/state/claude-failover")
    );
    assert_eq!(config.tmux.socket, None);
    let pool = &config.pool.autonomous;
    assert_eq!(
        (pool.prefix.as_str(), pool.start_index, pool.min, pool.max),
        ("ccl-auto-", 11, 1, 10)
    );
    assert!(config.pool.dedicated.is_empty());
    let dispatcher = &config.dispatcher;
    assert_eq!(dispatcher.projects_dir, Path::new("/srv/projects"));
    assert!(dispatcher.projects.is_empty());
    assert_eq!(dispatcher.prompt_timeout, Duration::from_secs(30));
    assert_eq!(dispatcher.rescan_interval, Duration::from_secs(30));
    assert_eq!(dispatcher.launch_cooldown, Duration::from_secs(300));
    assert_eq!(dispatcher.resume_dir, Path::new("/home/op/.claude-context"));
    let watcher = &config.watcher;
    assert_eq!(watcher.interval, Duration::from_millis(500));
    assert_eq!(watcher.idle_timeout, Duration::from_secs(3600));
    assert_eq!(
        watcher.done_signal_dir,
        Path::new("/home/op/.local/state/claude-failover/signals")
    );
    assert_eq!(watcher.stable_idle, Duration::from_secs(1));
    assert_eq!(config.quota.reactivate_cooldown, Duration::from_secs(300));
    assert_eq!(config.retry.policy.initial_backoff, Duration::from_secs(30));
    assert_eq!(config.retry.policy.max_backoff, Duration::from_secs(900));
    assert_eq!(config.retry.policy.max_attempts, 5);
    assert_eq!(
        config.retry.policy.max_elapsed,
        Duration::from_secs(6 * 3600)
    );
    assert_eq!(config.retry.breaker.failures, 3);
    assert_eq!(config.retry.breaker.window, Duration::from_secs(120));
    assert_eq!(config.retry.breaker.probe_interval, Duration::from_secs(60));
    assert_eq!(
        config.retry.breaker.max_probe_interval,
        Duration::from_secs(600)
    );
    let agent = &config.agent;
    assert_eq!(agent.command, "claude");
    assert!(agent.args.is_empty() && agent.env.is_empty());
    assert!(agent.skip_permissions);
    assert!(
        agent.message_suffix.contains("do not just describe"),
        "{}",
        agent.message_suffix
    );
    assert_eq!(agent.models.model_for(Priority::Critical), "opus");
    for priority in [Priority::High, Priority::Default, Priority::Low] {
        assert_eq!(agent.models.model_for(priority), "sonnet");
    }
    assert_eq!(
        config.accounts,
        [Account {
            name: "default".into(),
            config_dir: PathBuf::from("/home/op/.claude")
        }]
    );
}

#[test]
fn explicit_nulls_mean_default() {
    let config = parse_ok(&format!(
        "{MINIMAL}tmux:\n  socket: ~\nwatcher:\nagent:\n  args:\n"
    ));
    assert_eq!(config.tmux.socket, None);
    assert_eq!(config.watcher.interval, Duration::from_millis(500));
}

#[test]
fn done_signal_dir_follows_state_dir() {
    let config = parse_ok(&format!("{MINIMAL}state_dir: /var/lib/cf\n"));
    assert_eq!(
        config.watcher.done_signal_dir,
        Path::new("/var/lib/cf/signals")
    );
}

#[test]
fn shared_projects_dir_seeds_the_dispatcher() {
    let config = parse_ok("pool:\n  shared_projects_dir: ~/projects\n");
    assert_eq!(
        config.dispatcher.projects_dir,
        Path::new("/home/op/projects")
    );
    let both = parse_ok("pool:\n  shared_projects_dir: /a\ndispatcher:\n  projects_dir: /b\n");
    assert_eq!(
        both.dispatcher.projects_dir,
        Path::new("/b"),
        "an explicit projects_dir wins"
    );
}

#[test]
fn paths_expand_home_and_resolve_relative_to_the_config_file() {
    let yaml = "\
state_dir: state
dispatcher:
  projects_dir: ../projects
  projects: [~/p1, ./p2, /abs/p3]
  resume_dir: \"~\"
watcher:
  done_signal_dir: ~/signals
pool:
  dedicated:
    - name: ccl-1-x
      project: x
accounts:
  - name: a
    config_dir: ~/.claude-a
";
    let config = parse_ok(yaml);
    assert_eq!(config.state_dir, Path::new("/etc/cf/state"));
    assert_eq!(config.dispatcher.projects_dir, Path::new("/etc/projects"));
    let projects: Vec<&Path> = config
        .dispatcher
        .projects
        .iter()
        .map(PathBuf::as_path)
        .collect();
    assert_eq!(
        projects,
        [
            Path::new("/home/op/p1"),
            Path::new("/etc/cf/p2"),
            Path::new("/abs/p3")
        ]
    );
    assert_eq!(config.dispatcher.resume_dir, Path::new("/home/op"));
    assert_eq!(
        config.watcher.done_signal_dir,
        Path::new("/home/op/signals")
    );
    assert_eq!(config.pool.dedicated[0].project, Path::new("/etc/cf/x"));
    assert_eq!(
        config.accounts[0].config_dir,
        Path::new("/home/op/.claude-a")
    );
}

#[test]
fn models_merge_over_defaults() {
    let config = parse_ok(&format!(
        "{MINIMAL}agent:\n  models:\n    low: haiku\n    critical: opus-4\n"
    ));
    let models = &config.agent.models;
    assert_eq!(models.model_for(Priority::Critical), "opus-4");
    assert_eq!(models.model_for(Priority::High), "sonnet");
    assert_eq!(models.model_for(Priority::Low), "haiku");
}

#[test]
fn env_values_are_kept_as_written_and_sorted_by_key() {
    let yaml = format!(
        "{MINIMAL}agent:\n  env:\n    ZED: zed\n    IS_SANDBOX: 1\n    MODE: 010\n    FLAG: yes\n    ON: true\n"
    );
    let config = parse_ok(&yaml);
    let env: Vec<(&str, &str)> = config
        .agent
        .env
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        env,
        [
            ("FLAG", "yes"),
            ("IS_SANDBOX", "1"),
            ("MODE", "010"),
            ("ON", "true"),
            ("ZED", "zed")
        ]
    );
}

#[test]
fn debug_of_agent_config_hides_env_values() {
    let config = parse_ok(&format!(
        "{MINIMAL}agent:\n  env:\n    API_TOKEN: s3cret-value\n"
    ));
    let debug = format!("{config:?}");
    assert!(debug.contains("API_TOKEN=<redacted>"), "{debug}");
    assert!(!debug.contains("s3cret-value"), "{debug}");
}

#[test]
fn pool_session_names_cover_the_range() {
    let config = parse_ok(&format!(
        "{MINIMAL}pool:\n  autonomous:\n    prefix: w-\n    start_index: 3\n    max: 3\n"
    ));
    assert_eq!(config.pool_session_names(), ["w-3", "w-4", "w-5"]);
    assert_eq!(parse_ok(MINIMAL).pool_session_names().len(), 10);
    assert_eq!(parse_ok(MINIMAL).pool_session_names()[0], "ccl-auto-11");
}

#[test]
fn the_example_parses_and_sets_every_section() {
    let config = parse_ok(example_config());
    assert_eq!(config.tmux.socket.as_deref(), Some("cf-demo"));
    assert_eq!(
        (config.pool.autonomous.min, config.pool.autonomous.max),
        (2, 10)
    );
    assert_eq!(
        config.pool.dedicated[0],
        DedicatedSession {
            name: "ccl-1-conformvault".into(),
            project: PathBuf::from("/srv/projects/conformvault"),
            account: None,
        }
    );
    assert_eq!(
        config.dispatcher.projects,
        [PathBuf::from("/opt/other-project")]
    );
    assert_eq!(config.watcher.done_signal_dir, Path::new("/tmp"));
    assert_eq!(
        config.agent.env,
        [("IS_SANDBOX".to_owned(), "1".to_owned())]
    );
    let names: Vec<&str> = config
        .accounts
        .iter()
        .map(|account| account.name.as_str())
        .collect();
    assert_eq!(names, ["a", "b"]);
    let phone = &config.notify.sinks[0];
    assert_eq!(phone.name, "phone");
    assert_eq!(
        phone.target,
        SinkTarget::Ntfy {
            url_env: "NTFY_TOPIC_URL".into(),
            token_env: None
        }
    );
    assert!(phone.wants(AlertKind::TaskFailed) && !phone.wants(AlertKind::Swapped));
    assert!(phone.wants(AlertKind::Test), "a test reaches every sink");
}

#[test]
fn notify_sinks_name_their_secrets_and_default_to_every_event() {
    let yaml = format!(
        "{MINIMAL}notify:\n  sinks:\n    - {{name: hook, kind: webhook, url_env: HOOK_URL, token_env: HOOK_TOKEN}}\n    - {{name: run, kind: command, command: [/bin/pager, -u, 1]}}\n    - {{name: chat, kind: slack, url_env: CHAT}}\n  flood_per_minute: 3\n"
    );
    let config = parse_ok(&yaml);
    let notify = &config.notify;
    assert_eq!(notify.sinks.len(), 3);
    assert_eq!(
        notify.sinks[0].target,
        SinkTarget::Webhook {
            url_env: "HOOK_URL".into(),
            token_env: Some("HOOK_TOKEN".into())
        }
    );
    assert_eq!(
        notify.sinks[1].target,
        SinkTarget::Command {
            argv: vec!["/bin/pager".into(), "-u".into(), "1".into()]
        }
    );
    assert!(AlertKind::ALL.iter().all(|k| notify.sinks[2].wants(*k)));
    assert_eq!(notify.flood_per_minute, 3);
    assert_eq!((notify.queue, notify.max_attempts), (100, 5));
    assert!(
        parse_ok(MINIMAL).notify.sinks.is_empty(),
        "no sinks by default"
    );
}

#[test]
fn load_config_reads_the_file_and_resolves_against_its_folder() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cf.yaml");
    std::fs::write(&path, "dispatcher:\n  projects_dir: projects\n").unwrap();
    let config = load_config(&path).unwrap();
    assert_eq!(config.dispatcher.projects_dir, dir.path().join("projects"));
}

#[test]
fn load_config_names_a_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("absent.yaml");
    let errors = load_config(&path).unwrap_err();
    assert!(
        matches!(errors.errors[0].problem, Problem::Unreadable { .. }),
        "{errors}"
    );
    let rendered = errors.to_string();
    assert!(
        rendered.starts_with(&format!("{}: cannot read the config file", path.display())),
        "{rendered}"
    );
}

#[test]
fn load_config_reports_validation_errors_with_the_file_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cf.yaml");
    std::fs::write(
        &path,
        "dispatcher:\n  projects_dir: /p\nwatcher:\n  interval: 5\n",
    )
    .unwrap();
    let rendered = load_config(&path).unwrap_err().to_string();
    assert!(
        rendered.starts_with(&format!("{}:4:13: watcher.interval:", path.display())),
        "{rendered}"
    );
}

#[test]
fn watchdog_has_defaults_and_takes_values() {
    let defaults = parse_ok(MINIMAL).watchdog;
    assert_eq!(defaults.interval, Duration::from_secs(30));
    assert_eq!(defaults.blocked_timeout, Duration::from_secs(24 * 3600));
    assert!(!defaults.fail_blocked);
    assert_eq!(defaults.stale_after, Duration::from_secs(2 * 3600));
    let set = parse_ok(&format!(
        "{MINIMAL}watchdog:\n  interval: 5s\n  blocked_timeout: 90m\n  fail_blocked: true\n  stale_after: 10m\n"
    ))
    .watchdog;
    assert_eq!(set.interval, Duration::from_secs(5));
    assert_eq!(set.blocked_timeout, Duration::from_secs(90 * 60));
    assert!(set.fail_blocked);
    assert_eq!(set.stale_after, Duration::from_secs(600));
    let errors = common::parse_err(&format!(
        "{MINIMAL}watchdog:\n  fail_blocked: yes please\n  stale_after: 0s\n"
    ))
    .to_string();
    assert!(
        errors.contains("watchdog.fail_blocked") && errors.contains("watchdog.stale_after"),
        "{errors}"
    );
}

#[test]
fn two_accounts_need_a_shared_dir() {
    let two = "accounts:\n  - name: a\n    config_dir: /x/a\n  - name: b\n    config_dir: /x/b\n";
    let errors = common::parse_err(&format!("{MINIMAL}{two}")).to_string();
    assert!(errors.contains("shared_dir"), "{errors}");
    let ok = parse_ok(&format!("{MINIMAL}{two}shared_dir: /x/shared\n"));
    assert_eq!(ok.shared_dir.as_deref(), Some(Path::new("/x/shared")));
    assert_eq!(parse_ok(MINIMAL).shared_dir, None, "one account needs none");
}

#[test]
fn an_unknown_account_name_is_explained_with_the_known_ones() {
    let config = example_config_parsed();
    let known: Vec<String> = config.accounts.iter().map(|a| a.name.clone()).collect();
    assert!(known.len() >= 2, "the example has two accounts: {known:?}");
    assert_eq!(
        config.account_named(&known[1]).map(|a| a.name.clone()),
        Ok(known[1].clone())
    );
    let unknown = config.account_named("nope").expect_err("no such account");
    assert_eq!(
        unknown.to_string(),
        format!("no account named `nope` (accounts: {})", known.join(", "))
    );
}

fn example_config_parsed() -> cf_config::Config {
    parse_ok(example_config())
}

#[test]
fn a_dedicated_session_may_name_its_account() {
    let yaml = format!(
        "{MINIMAL}pool:\n  dedicated:\n    - {{name: mine, project: /srv/x, account: b}}\nshared_dir: /s\naccounts:\n  - {{name: a, config_dir: /c/a}}\n  - {{name: b, config_dir: /c/b}}\n"
    );
    let config = parse_ok(&yaml);
    assert_eq!(config.pool.dedicated[0].account.as_deref(), Some("b"));
}
