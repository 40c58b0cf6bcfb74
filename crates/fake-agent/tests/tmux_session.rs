//! The fake client inside a real tmux pane: idle frame, bracketed paste, submit, busy frame,
//! Stop / StopFailure hooks, record file, interrupt, `/exit` and `--resume`.

mod support;

use serde_json::Value;
use std::path::Path;
use support::{Dirs, TmuxServer, is_busy, is_idle, rows, wait_file};

fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

fn start(dirs: &Dirs, work: &str, extra_args: &str) -> TmuxServer {
    let server = TmuxServer::start(&dirs.work(), &dirs.command(work, "", extra_args));
    server.wait_screen("the idle frame", |s| {
        is_idle(s) && s.contains("Claude Code v2.1.197") && s.contains("bypass permissions on")
    });
    server
}

fn wait_hook(path: &Path, count: usize) -> Vec<Value> {
    let deadline = std::time::Instant::now() + support::DEADLINE;
    loop {
        let lines = json_lines(&wait_file(path));
        if lines.len() >= count {
            return lines;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{} has {} of {count} events",
            path.display(),
            lines.len()
        );
        std::thread::sleep(std::time::Duration::from_millis(30));
    }
}

#[test]
fn paste_submit_work_reply_hook_and_exit() {
    let dirs = Dirs::new();
    let server = start(&dirs, "1500ms", "");
    let idle = server.screen();
    let idle_rows = rows(&idle);
    assert_eq!(
        idle_rows.last(),
        Some(&"  ⏵⏵ bypass permissions on (shift+tab to cycle) · ← for agents")
    );
    assert!(
        idle_rows.contains(&"❯\u{a0}"),
        "input row is ❯ + NO-BREAK SPACE: {idle_rows:?}"
    );
    assert!(
        idle_rows.contains(&"─".repeat(200).as_str()),
        "full-width rule"
    );

    let text = "line one TAG\nline two TAG\nline three TAG\nline four TAG\nline five TAG";
    server.paste(text);
    let pasted = server.wait_screen("the paste placeholder", |s| {
        s.contains("❯\u{a0}[Pasted text #1 +4 lines]") && s.contains("  paste again to expand")
    });
    assert!(!is_busy(&pasted));
    // Something that must NOT happen: a submit from a late chunk of the paste would only show
    // as a record file, and no later event marks "all input read", so give it a moment.
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(
        !dirs.record().exists(),
        "a bracketed paste alone must not submit"
    );

    server.send_keys(&["Enter"]);
    let busy = server.wait_screen("the busy frame", is_busy);
    assert!(
        busy.contains("❯ line one TAG"),
        "echoed prompt with a normal space:\n{busy}"
    );
    assert!(
        rows(&busy)
            .iter()
            .any(|r| r.ends_with('…') && "·✢*✶✻✽".contains(r.chars().next().unwrap())),
        "spinner line:\n{busy}"
    );
    let done = server.wait_screen("the reply", |s| {
        is_idle(s) && s.contains("● Done: line one TAG")
    });
    assert!(
        rows(&done).iter().any(|r| r.starts_with("✻ Worked for ")),
        "{done}"
    );

    let records = json_lines(&std::fs::read_to_string(dirs.record()).unwrap());
    assert_eq!(records.len(), 1, "the prompt is recorded once");
    assert_eq!(records[0]["prompt"], text);
    assert_eq!(records[0]["resumed"], false);
    assert!(records[0]["tmux_pane"].as_str().unwrap().starts_with('%'));
    let session_id = records[0]["session_id"].as_str().unwrap().to_string();

    let stop = wait_hook(&dirs.hook_file("Stop"), 1);
    assert_eq!(stop[0]["hook_event_name"], "Stop");
    assert_eq!(stop[0]["session_id"], session_id.as_str());
    assert_eq!(
        stop[0]["last_assistant_message"],
        "Done: line one TAG line two TAG line three TAG"
    );
    let start = wait_hook(&dirs.hook_file("SessionStart"), 1);
    assert_eq!(start[0]["source"], "startup");

    server.type_text("/exit");
    server.send_keys(&["Enter"]);
    assert_eq!(server.wait_exit(), 0);
    let last = server.screen();
    assert!(last.contains("Resume this session with:"), "{last}");
    assert!(
        last.contains(&format!("claude --resume {session_id}")),
        "{last}"
    );
    let transcript = dirs
        .config()
        .join("projects")
        .join(cf_fake_agent::paths::project_slug(
            &dirs.work().display().to_string(),
        ))
        .join(format!("{session_id}.jsonl"));
    assert!(
        transcript.exists(),
        "transcript at {}",
        transcript.display()
    );
}

#[test]
fn resume_replays_history_and_error_directives_fire_stop_failure() {
    let dirs = Dirs::new();
    let first = start(&dirs, "100ms", "");
    first.type_text("first question");
    first.send_keys(&["Enter"]);
    first.wait_screen("first reply", |s| {
        is_idle(s) && s.contains("● Done: first question")
    });
    first.send_keys(&["C-c"]);
    first.wait_screen("ctrl-c note", |s| {
        s.contains("  Press Ctrl-C again to exit")
    });
    first.send_keys(&["C-c"]);
    assert_eq!(first.wait_exit(), 0);
    let session_id = json_lines(&std::fs::read_to_string(dirs.record()).unwrap())[0]["session_id"]
        .as_str()
        .unwrap()
        .to_string();
    drop(first);

    let second = start(&dirs, "100ms", &format!("--resume {session_id}"));
    let replayed = second.screen();
    assert!(replayed.contains("❯ first question"), "{replayed}");
    assert!(replayed.contains("● Done: first question"), "{replayed}");
    let starts = wait_hook(&dirs.hook_file("SessionStart"), 2);
    assert_eq!(starts[1]["source"], "resume");
    assert_eq!(starts[1]["session_id"], session_id.as_str());

    second.type_text("break please fake-agent:error=500");
    second.send_keys(&["Enter"]);
    second.wait_screen("the API error", |s| {
        is_idle(s)
            && s.contains("● API Error: 500 Internal server error. This is a server-side issue")
    });
    let failure = wait_hook(&dirs.hook_file("StopFailure"), 1);
    assert_eq!(failure[0]["error"], "server_error");
    assert_eq!(failure[0]["session_id"], session_id.as_str());

    second.type_text("limit fake-agent:quota=session");
    second.send_keys(&["Enter"]);
    second.wait_screen("the limit line", |s| {
        is_idle(s)
            && s.contains("  ⎿ \u{a0}You've hit your session limit · resets ")
            && s.contains("m (UTC)")
    });
    let failures = wait_hook(&dirs.hook_file("StopFailure"), 2);
    assert_eq!(failures[1]["error"], "rate_limit");
    let records = json_lines(&std::fs::read_to_string(dirs.record()).unwrap());
    assert_eq!(records.len(), 3);
    assert_eq!(records[2]["resumed"], true);
    assert_eq!(
        json_lines(&std::fs::read_to_string(dirs.hook_file("Stop")).unwrap()).len(),
        1
    );
}

#[test]
fn escape_interrupts_without_hooks_and_queued_messages_run_after() {
    let dirs = Dirs::new();
    let server = start(&dirs, "30s", "");
    server.type_text("interrupt me");
    server.send_keys(&["Enter"]);
    server.wait_screen("busy", is_busy);
    server.send_keys(&["Escape"]);
    server.wait_screen("prompt back in the input", |s| {
        is_idle(s) && s.contains("❯\u{a0}interrupt me")
    });

    // Clear the input, then run a short turn and queue a follow-up while it works.
    for _ in 0.."interrupt me".len() {
        server.send_keys(&["BSpace"]);
    }
    server.wait_screen("empty input", |s| rows(s).contains(&"❯\u{a0}"));
    server.type_text("slow one fake-agent:work=2s");
    server.send_keys(&["Enter"]);
    server.wait_screen("busy", is_busy);
    server.type_text("follow-up");
    server.send_keys(&["Enter"]);
    server.wait_screen("queued message", |s| s.contains("  ❯ follow-up"));
    // The default work is 30 s, so wait for the follow-up to start rather than end.
    server.wait_screen("follow-up running", |s| {
        s.contains("● Done: slow one") && s.contains("\n❯ follow-up") && is_busy(s)
    });
    let stop = wait_hook(&dirs.hook_file("Stop"), 1);
    assert_eq!(
        stop[0]["last_assistant_message"],
        "Done: slow one fake-agent:work=2s"
    );
    let records = json_lines(&std::fs::read_to_string(dirs.record()).unwrap());
    let prompts: Vec<&str> = records
        .iter()
        .map(|r| r["prompt"].as_str().unwrap())
        .collect();
    assert_eq!(
        prompts,
        ["interrupt me", "slow one fake-agent:work=2s", "follow-up"]
    );
}
