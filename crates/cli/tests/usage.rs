//! Usage from every session, end to end (fake agent on real tmux): the status line the hooks
//! install records what the client reports after each reply; `accounts`, `status` and
//! `/metrics` show each account's five-hour and weekly figures with their reset times; the
//! line drawn under the input box is ours, or the operator's own when they had one.

mod support;

use std::time::Duration;

use claude_failover::sandbox::Sandbox;
use support::{DaemonProcess, api_address, cli_stdout, http_get, is_done, wait_until};

/// Account `a`'s five-hour use as `accounts --json` shows it.
fn five_hour(sandbox: &Sandbox) -> Option<f64> {
    let out = cli_stdout(sandbox, &["accounts", "--json"]);
    let accounts: serde_json::Value = serde_json::from_str(&out).expect("accounts json");
    accounts[0]["usage"]["five_hour"]["used_percentage"].as_f64()
}

/// What the pool session's pane shows now.
fn pane(sandbox: &Sandbox) -> String {
    let names = sandbox
        .tmux_command(&["list-sessions", "-F", "#{session_name}"])
        .expect("tmux");
    let name = String::from_utf8_lossy(&names.stdout)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    let out = sandbox
        .tmux_command(&["capture-pane", "-p", "-t", &format!("={name}:")])
        .expect("capture");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn each_reply_reports_the_accounts_usage_everywhere() {
    let mut spec = support::spec();
    spec.pool_size = 1;
    spec.work = "1s".into();
    let sandbox = Sandbox::create(&spec).expect("sandbox");
    let usage = sandbox.account_dir.join("fake-usage");
    std::fs::write(&usage, "five_hour=80 seven_day=10").expect("usage");
    let mut daemon = DaemonProcess::start(&sandbox, "usage");
    assert_eq!(
        five_hour(&sandbox),
        None,
        "unknown until a reply reports it"
    );
    assert!(cli_stdout(&sandbox, &["accounts"]).contains("usage not reported yet"));

    sandbox.add_task("alpha", "first", "First.").expect("add");
    wait_until(Duration::from_secs(30), "first done", || {
        is_done(&sandbox, "alpha", "first")
    });
    wait_until(Duration::from_secs(30), "80 % reported", || {
        five_hour(&sandbox) == Some(80.0)
    });

    let reset = jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::from_hours(1))
        .expect("time");
    std::fs::write(
        &usage,
        format!("five_hour=95 seven_day=10 five_hour_resets={reset}"),
    )
    .expect("usage");
    sandbox.add_task("beta", "second", "Second.").expect("add");
    wait_until(Duration::from_secs(30), "second done", || {
        is_done(&sandbox, "beta", "second")
    });
    wait_until(Duration::from_secs(30), "95 % reported", || {
        five_hour(&sandbox) == Some(95.0)
    });

    let status = cli_stdout(&sandbox, &["status"]);
    assert!(status.contains("5h 95% (resets"), "{status}");
    assert!(status.contains("week 10%"), "{status}");
    let addr = api_address(&sandbox).expect("api");
    let (code, metrics) = http_get(&addr, "/metrics");
    assert_eq!(code, 200);
    assert!(
        metrics.contains(
            "claude_failover_account_usage_ratio{account=\"a\",window=\"five_hour\"} 0.95"
        ),
        "{metrics}"
    );
    let resets = format!(
        "claude_failover_account_usage_resets_at_seconds{{account=\"a\",window=\"five_hour\"}} {}",
        reset.as_second()
    );
    assert!(metrics.contains(&resets), "{metrics}");
    wait_until(
        Duration::from_secs(30),
        "our line under the input box",
        || pane(&sandbox).contains("claude-failover · 5h 95% · week 10%"),
    );
    assert!(daemon.stop());
}

#[test]
fn an_operators_own_status_line_keeps_printing_under_ours() {
    let mut spec = support::spec();
    spec.pool_size = 1;
    spec.work = "1s".into();
    let sandbox = Sandbox::create(&spec).expect("sandbox");
    std::fs::write(sandbox.account_dir.join("fake-usage"), "five_hour=42").expect("usage");
    // The operator's own status line, then our install: theirs is kept and run by ours.
    let settings_path = sandbox.account_dir.join("settings.json");
    let mut settings: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&settings_path).expect("settings"))
            .expect("json");
    settings["statusLine"] =
        serde_json::json!({"type": "command", "command": "cat > /dev/null; echo operator-line-7"});
    std::fs::write(&settings_path, settings.to_string()).expect("write");
    let said = cli_stdout(&sandbox, &["hooks", "install"]);
    assert!(said.contains("your own status line was saved"), "{said}");
    assert!(cli_stdout(&sandbox, &["hooks", "check"]).contains("it also runs yours"));

    let mut daemon = DaemonProcess::start(&sandbox, "their-line");
    sandbox.add_task("alpha", "t", "Task.").expect("add");
    wait_until(Duration::from_secs(30), "done", || {
        is_done(&sandbox, "alpha", "t")
    });
    wait_until(Duration::from_secs(30), "their line on screen", || {
        pane(&sandbox).contains("operator-line-7")
    });
    wait_until(
        Duration::from_secs(30),
        "and the usage still recorded",
        || five_hour(&sandbox) == Some(42.0),
    );
    assert!(daemon.stop());

    let said = cli_stdout(&sandbox, &["hooks", "uninstall"]);
    assert!(said.contains("removed"), "{said}");
    let settings: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&settings_path).expect("settings"))
            .expect("json");
    assert_eq!(
        settings["statusLine"]["command"],
        "cat > /dev/null; echo operator-line-7"
    );
}

/// The footers carry each task's account, cost and tokens; `tasks --json` and `/metrics` carry
/// the same figures, summed per account.
#[test]
fn footers_carry_cost_and_tokens_and_metrics_sum_them() {
    let mut spec = support::spec();
    spec.pool_size = 2;
    spec.work = "1s".into();
    let sandbox = Sandbox::create(&spec).expect("sandbox");
    std::fs::write(sandbox.account_dir.join("fake-usage"), "five_hour=30").expect("usage");
    let mut daemon = DaemonProcess::start(&sandbox, "cost");
    let tasks = [("alpha", "c1"), ("beta", "c2"), ("gamma", "c3")];
    for (project, id) in tasks {
        sandbox
            .add_task(project, id, "Costs something.")
            .expect("add");
    }
    wait_until(Duration::from_secs(60), "all done", || {
        tasks.iter().all(|(p, id)| is_done(&sandbox, p, id))
    });
    let mut cost = 0.0;
    let mut input = 0;
    for (project, id) in tasks {
        let text = sandbox
            .read_file_in(project, "done", &format!("{id}.md"))
            .expect("done");
        let spent = cf_core::footer::Spent::from_footer(&text).expect("a cost in the footer");
        assert!(
            spent.cost_usd > 0.0 && spent.input_tokens > 0 && spent.output_tokens > 0,
            "{text}"
        );
        assert!(text.contains("- account: a"), "{text}");
        cost += spent.cost_usd;
        input += spent.input_tokens;
    }
    let listed = cli_stdout(&sandbox, &["tasks", "--json"]);
    let listed: serde_json::Value = serde_json::from_str(&listed).expect("json");
    let listed_cost: f64 = listed
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|t| t["spent"]["cost_usd"].as_f64())
        .sum();
    assert!(
        (listed_cost - cost).abs() < 1e-9,
        "tasks --json {listed_cost} vs footers {cost}"
    );
    let addr = api_address(&sandbox).expect("api");
    let (_, metrics) = http_get(&addr, "/metrics");
    let value = |prefix: &str| -> f64 {
        metrics
            .lines()
            .find(|l| l.starts_with(prefix))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{prefix} in:\n{metrics}"))
    };
    let metric_cost = value("claude_failover_account_cost_usd_total{account=\"a\"}");
    assert!(
        (metric_cost - cost).abs() < 1e-6,
        "metrics {metric_cost} vs footers {cost}"
    );
    let metric_input =
        value("claude_failover_account_tokens_total{account=\"a\",direction=\"input\"}");
    assert_eq!(metric_input as u64, input);
    assert_eq!(
        value("claude_failover_account_tasks_total{account=\"a\"}") as u64,
        3
    );
    assert!(daemon.stop());
}
