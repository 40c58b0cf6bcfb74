//! Two accounts in real tmux panes: the account-wide limit switch (`fake-quota`) hitting a
//! working turn and opening the `/rate-limit-options` menu, and `--resume` on account B of a
//! conversation started on account A when both `projects/` are symlinks to one folder.

mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use support::{BIN, TmuxServer, is_busy, is_idle, sh_quote, wait_file, write_hook_settings};

/// A temp root with a work dir, a record file and any number of account config dirs.
struct Accounts {
    root: tempfile::TempDir,
}

impl Accounts {
    fn new() -> Self {
        let accounts = Self {
            root: tempfile::tempdir().unwrap(),
        };
        std::fs::create_dir_all(accounts.work()).unwrap();
        accounts
    }
    fn path(&self, name: &str) -> PathBuf {
        self.root.path().join(name)
    }
    fn work(&self) -> PathBuf {
        self.path("work")
    }
    fn record(&self) -> PathBuf {
        self.path("record.jsonl")
    }
    /// Makes config dir `name` with hooks writing to `hooks-<name>/` and an account marker.
    fn account(&self, name: &str) -> PathBuf {
        let config = self.path(&format!("config-{name}"));
        let hooks = self.path(&format!("hooks-{name}"));
        std::fs::create_dir_all(&hooks).unwrap();
        write_hook_settings(&config, &hooks);
        std::fs::write(
            config.join("fake-account-name"),
            format!("account-{name}\n"),
        )
        .unwrap();
        config
    }
    fn hook_file(&self, name: &str, event: &str) -> PathBuf {
        self.path(&format!("hooks-{name}/{event}.json"))
    }
    fn start(&self, config: &Path, work: &str, extra_args: &str) -> TmuxServer {
        let command = format!(
            "env CLAUDE_CONFIG_DIR={} FAKE_AGENT_RECORD={} FAKE_AGENT_WORK={work} IS_SANDBOX=1 {} --dangerously-skip-permissions {extra_args}",
            sh_quote(&config.display().to_string()),
            sh_quote(&self.record().display().to_string()),
            sh_quote(BIN),
        );
        let server = TmuxServer::start(&self.work(), &command);
        server.wait_screen("the idle frame", |s| {
            is_idle(s) && s.contains("bypass permissions on")
        });
        server
    }
    fn records(&self) -> Vec<Value> {
        json_lines(&std::fs::read_to_string(self.record()).unwrap_or_default())
    }
}

fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

const MENU_ROWS: [&str; 4] = [
    "  What do you want to do?",
    "  ❯ 1. Stop and wait for limit to reset",
    "    2. Upgrade your plan",
    "  Enter to confirm · Esc to cancel",
];

#[test]
fn account_limit_hits_a_working_turn_and_the_menu_is_answered() {
    let accounts = Accounts::new();
    let config = accounts.account("A");
    let server = accounts.start(&config, "30s", "");
    server.type_text("TASK-3 via account A");
    server.send_keys(&["Enter"]);
    server.wait_screen("the busy frame", is_busy);

    // The account runs out mid-task: the 30 s turn ends at the next poll with the limit.
    std::fs::write(config.join("fake-quota"), "menu reset=2099-11-24T08:00:00Z").unwrap();
    let hit_at = Instant::now();
    let menu = server.wait_screen("the limit menu", |s| {
        MENU_ROWS.iter().all(|row| s.contains(row))
    });
    assert!(
        hit_at.elapsed() < Duration::from_secs(3),
        "the limit took {:?} to show",
        hit_at.elapsed()
    );
    assert!(
        menu.contains("❯ TASK-3 via account A\n  ⎿ \u{a0}You've hit your session limit · resets Nov 24, 8am (UTC)\n"),
        "{menu}"
    );
    assert!(menu.contains("\n❯ /rate-limit-options\n"), "{menu}");
    assert!(
        !menu.contains("❯\u{a0}"),
        "no input line under the menu:\n{menu}"
    );
    assert!(!is_idle(&menu) && !is_busy(&menu));
    let failure = json_lines(&wait_file(&accounts.hook_file("A", "StopFailure")));
    assert_eq!(failure[0]["error"], "rate_limit");

    server.type_text("1");
    server.send_keys(&["Enter"]);
    let idle = server.wait_screen("idle after the menu", is_idle);
    assert!(!idle.contains("/rate-limit-options"), "{idle}");

    // Still limited: the prompt is recorded and fails at once, now without the menu.
    server.type_text("continue");
    server.send_keys(&["Enter"]);
    server.wait_screen("the second limit", |s| {
        is_idle(s) && s.contains("     /upgrade to increase your usage limit.")
    });
    std::fs::remove_file(config.join("fake-quota")).unwrap();
    server.type_text("after reset fake-agent:work=100ms");
    server.send_keys(&["Enter"]);
    server.wait_screen("a normal reply", |s| {
        is_idle(s) && s.contains("● Done: after reset")
    });

    let records = accounts.records();
    let prompts: Vec<&str> = records
        .iter()
        .filter(|r| r["event"] == "prompt")
        .map(|r| r["prompt"].as_str().unwrap())
        .collect();
    assert_eq!(
        prompts,
        [
            "TASK-3 via account A",
            "continue",
            "after reset fake-agent:work=100ms"
        ]
    );
    let choices: Vec<&str> = records
        .iter()
        .filter(|r| r["event"] == "menu_choice")
        .map(|r| r["choice"].as_str().unwrap())
        .collect();
    assert_eq!(choices, ["Stop and wait for limit to reset"]);
    assert!(records.iter().all(|r| r["account_marker"] == "account-A"));
}

#[test]
fn resume_on_account_b_through_shared_projects() {
    let accounts = Accounts::new();
    let shared = accounts.path("shared-projects");
    std::fs::create_dir_all(&shared).unwrap();
    let config_a = accounts.account("A");
    let config_b = accounts.account("B");
    for config in [&config_a, &config_b] {
        std::os::unix::fs::symlink(&shared, config.join("projects")).unwrap();
    }

    let first = accounts.start(&config_a, "100ms", "");
    first.type_text("question on A");
    first.send_keys(&["Enter"]);
    first.wait_screen("A's reply", |s| {
        is_idle(s) && s.contains("● Done: question on A")
    });
    first.type_text("/exit");
    first.send_keys(&["Enter"]);
    assert_eq!(first.wait_exit(), 0);
    drop(first);
    let session_id = accounts.records()[0]["session_id"]
        .as_str()
        .unwrap()
        .to_string();

    let second = accounts.start(&config_b, "100ms", &format!("--resume {session_id}"));
    let replayed = second.screen();
    assert!(replayed.contains("❯ question on A"), "{replayed}");
    second.type_text("continue on B");
    second.send_keys(&["Enter"]);
    second.wait_screen("B's reply", |s| {
        is_idle(s) && s.contains("● Done: continue on B")
    });

    let records = accounts.records();
    assert_eq!(records.len(), 2);
    assert_eq!(records[1]["session_id"], session_id.as_str());
    assert_eq!(records[1]["resumed"], true);
    assert_eq!(
        records[1]["config_dir"],
        config_b.display().to_string().as_str()
    );
    assert_eq!(records[1]["account_marker"], "account-B");
    assert_eq!(records[0]["account_marker"], "account-A");
    let starts = json_lines(&wait_file(&accounts.hook_file("B", "SessionStart")));
    assert_eq!(starts[0]["source"], "resume");
    // Both turns went into the one transcript in the shared folder.
    let transcript = shared
        .join(cf_fake_agent::paths::project_slug(
            &accounts.work().display().to_string(),
        ))
        .join(format!("{session_id}.jsonl"));
    let prompts: Vec<String> = json_lines(&std::fs::read_to_string(&transcript).unwrap())
        .iter()
        .filter(|l| l["type"] == "user")
        .filter_map(|l| l["message"]["content"].as_str().map(str::to_string))
        .collect();
    assert_eq!(prompts, ["question on A", "continue on B"]);
}
