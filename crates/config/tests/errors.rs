//! Table tests: each kind of config problem is reported with file, line, column, key and advice,
//! and all problems of a file come out together.

mod common;

use cf_config::Problem;
use common::{MINIMAL, check_err, parse_err};

#[test]
fn unknown_keys_name_the_key_and_suggest_the_closest() {
    let yaml = format!("{MINIMAL}pool:\n  autonomus:\n    max: 3\n");
    check_err(
        &yaml,
        "/etc/cf/config.yaml:4:3: pool.autonomus: unknown key `autonomus` (did you mean `autonomous`?); remove it or fix its spelling",
    );
    check_err(
        &format!("{MINIMAL}colour: blue\n"),
        "config.yaml:3:1: colour: unknown key `colour`; remove it",
    );
    check_err(
        &format!("{MINIMAL}agent:\n  models:\n    urgent: opus\n"),
        "5:5: agent.models.urgent: unknown key",
    );
}

#[test]
fn wrong_types_say_what_was_expected_and_found() {
    let cases = [
        (
            "tmux: 5\n",
            "3:7: tmux: expected a mapping of keys to values, found a number",
        ),
        (
            "pool:\n  autonomous:\n    max: ten\n",
            "5:10: pool.autonomous.max: expected a whole number, found a string",
        ),
        (
            "agent:\n  skip_permissions: \"yes\"\n",
            "4:21: agent.skip_permissions: expected `true` or `false`, found a string",
        ),
        (
            "agent:\n  skip_permissions: yes\n",
            "agent.skip_permissions: expected `true` or `false`, found a string",
        ),
        (
            "pool:\n  dedicated: {name: x}\n",
            "4:14: pool.dedicated: expected a list of `{name, project}` entries, found a mapping",
        ),
        (
            "agent:\n  command: [claude]\n",
            "4:12: agent.command: expected a string, found a list",
        ),
        (
            "agent:\n  env:\n    A: [1]\n",
            "5:8: agent.env.A: expected a string",
        ),
        (
            "accounts:\n  - just-a-name\n",
            "4:5: accounts[0]: expected a mapping with `name` and `config_dir`, found a string",
        ),
        (
            "state_dir: 12\n",
            "3:12: state_dir: expected a path, found a number",
        ),
    ];
    for (extra, expected) in cases {
        check_err(&format!("{MINIMAL}{extra}"), expected);
    }
}

#[test]
fn top_level_must_be_a_mapping() {
    check_err(
        "- a\n- b\n",
        "config.yaml:1:1: expected a mapping of settings at the top level, found a list",
    );
    let rendered = parse_err("- a\n- b\n").to_string();
    assert_eq!(
        rendered.matches("found a list").count(),
        1,
        "the top-level type is reported once:\n{rendered}"
    );
}

#[test]
fn bad_values_are_explained() {
    let cases = [
        (
            "quota:\n  reactivate_cooldown: 30\n",
            "4:24: quota.reactivate_cooldown: `30` has no unit: write `30s`",
        ),
        (
            "retry:\n  max_attempts: many\n",
            "4:17: retry.max_attempts:",
        ),
        (
            "retry:\n  initial_backoff: 0s\n",
            "retry.initial_backoff: `0s` is zero",
        ),
        (
            "watcher:\n  idle_timeout: soon\n",
            "4:17: watcher.idle_timeout: `soon` is not a duration",
        ),
        (
            "watcher:\n  interval: 0s\n",
            "watcher.interval: `0s` is zero",
        ),
        (
            "watcher:\n  interval: -1s\n",
            "watcher.interval: `-1s` is negative",
        ),
        (
            "watcher:\n  stable_idle: 0ms\n",
            "watcher.stable_idle: `0ms` is zero",
        ),
        (
            "tmux:\n  socket: \"my sock\"\n",
            "4:11: tmux.socket: `my sock` is not a socket name",
        ),
        (
            "pool:\n  autonomous:\n    prefix: \"ccl.auto\"\n",
            "5:13: pool.autonomous.prefix: `ccl.auto` contains '.'",
        ),
        (
            "pool:\n  autonomous:\n    prefix: \"\"\n",
            "pool.autonomous.prefix: is empty",
        ),
        (
            "pool:\n  autonomous:\n    max: 0\n",
            "5:10: pool.autonomous.max: is 0",
        ),
        (
            "pool:\n  autonomous:\n    min: 5\n    max: 3\n",
            "5:10: pool.autonomous.min: min (5) is larger than max (3)",
        ),
        (
            "pool:\n  autonomous:\n    min: 11\n",
            "pool.autonomous.min: min (11) is larger than max (10)",
        ),
        (
            "pool:\n  autonomous:\n    max: -2\n",
            "pool.autonomous.max: -2 is out of range",
        ),
        (
            "pool:\n  autonomous:\n    start_index: 4294967295\n",
            "pool.autonomous.start_index: start_index + max overflows",
        ),
        (
            "state_dir: ~\n",
            "3:12: state_dir: a bare `~` is YAML for \"nothing\"; write `\"~\"` (quoted)",
        ),
        (
            "watcher:\n  done_signal_dir: ~\n",
            "4:20: watcher.done_signal_dir: a bare `~` is YAML",
        ),
        (
            "state_dir: ~bob/state\n",
            "3:12: state_dir: `~bob/state`: only `~` and `~/…` are expanded",
        ),
        (
            "agent:\n  env:\n    1BAD: x\n",
            "5:5: agent.env.1BAD: `1BAD` is not a variable name",
        ),
        ("agent:\n  command: \"  \"\n", "agent.command: is empty"),
        (
            "agent:\n  models:\n    low: \"\"\n",
            "agent.models.low: is empty",
        ),
        (
            "accounts: []\n",
            "3:11: accounts: is empty; list at least one account",
        ),
        (
            "accounts:\n  - name: \"a b\"\n    config_dir: /x\n",
            "4:11: accounts[0].name: `a b` is not an account name",
        ),
    ];
    for (extra, expected) in cases {
        check_err(&format!("{MINIMAL}{extra}"), expected);
    }
    let dispatcher_cases = [
        (
            "  prompt_timeout: 30\n",
            "3:19: dispatcher.prompt_timeout: `30` has no unit: write `30s`",
        ),
        (
            "  rescan_interval: 1.5\n",
            "3:20: dispatcher.rescan_interval: `1.5` has no unit",
        ),
        (
            "  rescan_interval: 0s\n",
            "3:20: dispatcher.rescan_interval: `0s` is zero",
        ),
        (
            "  projects: /one\n",
            "3:13: dispatcher.projects: expected a list of project paths, found a string",
        ),
        (
            "  projects: [\"\"]\n",
            "3:14: dispatcher.projects[0]: is empty",
        ),
    ];
    for (extra, expected) in dispatcher_cases {
        check_err(&format!("{MINIMAL}{extra}"), expected);
    }
}

#[test]
fn missing_required_keys_point_at_their_mapping() {
    check_err(
        "watcher:\n  interval: 1s\n",
        "config.yaml:1:1: dispatcher.projects_dir: is required: write the folder",
    );
    check_err(
        "dispatcher:\n  prompt_timeout: 5s\n",
        "config.yaml:1:1: dispatcher.projects_dir: is required",
    );
    check_err(
        "tmux: {}\ndispatcher: {}\n",
        "config.yaml:2:1: dispatcher.projects_dir: is required",
    );
    let dedicated = format!("{MINIMAL}pool:\n  dedicated:\n    - name: ccl-1-x\n");
    check_err(
        &dedicated,
        "5:7: pool.dedicated[0].project: is required: write the project directory",
    );
    check_err(
        &format!("{MINIMAL}accounts:\n  - config_dir: /x\n"),
        "4:5: accounts[0].name: is required",
    );
}

#[test]
fn duplicates_are_reported_with_the_first_line() {
    check_err(
        &format!("{MINIMAL}tmux:\n  socket: a\n  socket: b\n"),
        "5:3: tmux.socket: is given twice (first on line 4)",
    );
    check_err(
        &format!("{MINIMAL}agent:\n  env:\n    A: 1\n    A: 2\n"),
        "6:5: agent.env.A: is given twice (first on line 5)",
    );
    let accounts = format!(
        "{MINIMAL}accounts:\n  - name: a\n    config_dir: /x\n  - name: a\n    config_dir: /y\n"
    );
    check_err(
        &accounts,
        "6:11: accounts[1].name: is given twice (first on line 4)",
    );
    let dirs = format!(
        "{MINIMAL}accounts:\n  - name: a\n    config_dir: /x\n  - name: b\n    config_dir: /x/\n"
    );
    check_err(
        &dirs,
        "7:17: accounts[1].config_dir: is given twice (first on line 5)",
    );
    let sessions = format!(
        "{MINIMAL}pool:\n  dedicated:\n    - {{name: ccl-1, project: /a}}\n    - {{name: ccl-1, project: /b}}\n"
    );
    check_err(
        &sessions,
        "6:14: pool.dedicated[1].name: is given twice (first on line 5)",
    );
}

#[test]
fn dedicated_sessions_may_not_fall_inside_the_pool_range() {
    let inside =
        format!("{MINIMAL}pool:\n  dedicated:\n    - name: ccl-auto-15\n      project: /p\n");
    check_err(
        &inside,
        "5:13: pool.dedicated[0].name: `ccl-auto-15` is inside the autonomous pool range (ccl-auto-11…ccl-auto-20)",
    );
    let bad_name =
        format!("{MINIMAL}pool:\n  dedicated:\n    - name: \"a:b\"\n      project: /p\n");
    check_err(&bad_name, "pool.dedicated[0].name: `a:b` contains ':'");
    // Just outside the range, and a zero-padded look-alike, are fine.
    for name in ["ccl-auto-10", "ccl-auto-21", "ccl-auto-015"] {
        common::parse_ok(&format!(
            "{MINIMAL}pool:\n  dedicated:\n    - name: {name}\n      project: /p\n"
        ));
    }
}

#[test]
fn syntax_errors_have_a_position() {
    check_err("dispatcher:\n  projects_dir: [\n", "config.yaml:2:");
    let errors = parse_err("a: b: c\n");
    assert!(
        matches!(errors.errors[0].problem, Problem::Syntax { .. }),
        "{errors}"
    );
    assert_eq!(errors.errors[0].line, 1);
}

#[test]
fn alias_bombs_and_deep_nesting_are_refused_not_expanded() {
    let mut bomb = String::from("a: &a [x,x,x,x,x,x,x,x,x,x]\n");
    for pair in ["a", "b", "c", "d", "e", "f", "g", "h", "i"].windows(2) {
        let refs = vec![format!("*{}", pair[0]); 10].join(",");
        bomb.push_str(&format!("{}: &{} [{refs}]\n", pair[1], pair[1]));
    }
    check_err(&bomb, "the file is not valid YAML");
    let deep = format!("agent:\n  args: {}x{}\n", "[".repeat(100), "]".repeat(100));
    check_err(&deep, "the file is not valid YAML");
}

#[test]
fn every_problem_is_reported_at_once_sorted_by_line() {
    let yaml = "\
state_dir: 5
tmux:
  sockit: a
pool:
  autonomous:
    max: 0
    min: many
dispatcher:
  prompt_timeout: 30
watcher:
  interval: 0s
accounts:
  - name: a
    config_dir: /x
  - name: a
    config_dir: /y
";
    let errors = parse_err(yaml);
    let lines: Vec<u64> = errors.errors.iter().map(|error| error.line).collect();
    assert_eq!(lines, [1, 3, 6, 7, 8, 9, 11, 15], "{errors}");
    let keys: Vec<&str> = errors
        .errors
        .iter()
        .map(|error| error.key.as_str())
        .collect();
    assert_eq!(
        keys,
        [
            "state_dir",
            "tmux.sockit",
            "pool.autonomous.max",
            "pool.autonomous.min",
            "dispatcher.projects_dir",
            "dispatcher.prompt_timeout",
            "watcher.interval",
            "accounts[1].name",
        ],
        "{errors}"
    );
    let rendered = errors.to_string();
    assert_eq!(rendered.lines().count(), 8, "{rendered}");
    assert!(
        rendered
            .lines()
            .all(|line| line.starts_with("/etc/cf/config.yaml:")),
        "{rendered}"
    );
}

#[test]
fn notify_sinks_refuse_secrets_in_the_file_and_unknown_words() {
    let sinks = |body: &str| format!("{MINIMAL}notify:\n  sinks:\n    - {body}\n");
    check_err(
        &sinks("{name: a, kind: webhook, url: \"https://x/y\"}"),
        "notify.sinks[0].url: a sink's url is a secret and is never written in the config: put it in an environment variable and write its name as `url_env`",
    );
    check_err(
        &sinks("{name: a, kind: webhook}"),
        "5:7: notify.sinks[0].url_env: is required: name the environment variable that holds the URL",
    );
    check_err(
        &sinks("{name: a, kind: pager, url_env: X}"),
        "notify.sinks[0].kind: `pager` is no kind of sink",
    );
    check_err(
        &sinks("{name: a, kind: ntfy, url_env: X, events: [task_done]}"),
        "5:50: notify.sinks[0].events[0]: `task_done` is no event; use one of task_failed,",
    );
    check_err(
        &sinks("{name: a, kind: command, command: \"page-me --now\"}"),
        "notify.sinks[0].command: expected a list: the program, then its arguments",
    );
    check_err(
        &sinks("{name: a, kind: slack, url_env: 9X}"),
        "notify.sinks[0].url_env: `9X` is not a variable name",
    );
    check_err(
        &format!(
            "{MINIMAL}notify:\n  sinks:\n    - {{name: a, kind: slack, url_env: X}}\n    - {{name: a, kind: slack, url_env: Y}}\n"
        ),
        "6:7: notify.sinks[1].name: is given twice (first on line 5)",
    );
}

#[test]
fn a_dedicated_sessions_account_must_be_configured() {
    let yaml = format!(
        "{MINIMAL}pool:\n  dedicated:\n    - {{name: mine, project: /srv/x, account: zz}}\naccounts:\n  - {{name: a, config_dir: /c/a}}\n"
    );
    check_err(
        &yaml,
        "pool.dedicated[0].account: `zz` is no configured account (accounts: a)",
    );
}
