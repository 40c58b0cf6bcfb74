//! State machine tests: turns, hooks, record, interrupts, queueing and exit, on a temp config dir.

use super::*;
use crate::args::PermissionMode;
use crate::paths::transcript_path;

pub(super) struct Fixture {
    pub(super) dir: tempfile::TempDir,
    pub(super) app: App,
    pub(super) t0: Instant,
}

pub(super) fn fixture(work: Duration) -> Fixture {
    fixture_with(work, |_| {})
}

/// A fixture whose session facts `configure` may change first (client style, retries, gateway).
pub(super) fn fixture_with(work: Duration, configure: impl FnOnce(&mut SessionInfo)) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    std::fs::create_dir_all(&config).unwrap();
    let hook = |name: &str| {
        json!([{"matcher": "", "hooks": [{"type": "command",
            "command": format!("cat > '{}'", dir.path().join(name).display())}]}])
    };
    let settings = json!({"hooks": {"Stop": hook("stop.json"), "StopFailure": hook("failure.json"),
        "SessionStart": hook("start.json")}});
    std::fs::write(config.join("settings.json"), settings.to_string()).unwrap();
    let mut info = SessionInfo {
        session_id: "00000000-0000-4000-8000-000000000001".into(),
        start: Start::Fresh,
        cwd: "/tmp/work".into(),
        config_dir: config.clone(),
        model: None,
        permission_mode: PermissionMode::Bypass,
        tmux_pane: Some("%3".into()),
        record_path: Some(dir.path().join("record.jsonl")),
        default_work: work,
        client: crate::client::ClientStyle::DEFAULT,
        retry: crate::error_switch::RetryPolicy::default(),
        gateway: None,
    };
    configure(&mut info);
    let path = transcript_path(&config, &info.cwd, &info.session_id);
    let transcript = TranscriptWriter::new(path, &info.session_id, &info.cwd);
    let app = App::new(info, transcript, Vec::new());
    Fixture {
        dir,
        app,
        t0: Instant::now(),
    }
}

pub(super) fn read_json(path: PathBuf) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(value) = std::fs::read_to_string(&path)
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok())
        {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "{} never appeared",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn footer(app: &App, now: Instant) -> String {
    app.frame(now, 200, 50).last().cloned().unwrap_or_default()
}

#[test]
fn paste_then_enter_runs_a_turn_and_fires_stop() {
    let mut f = fixture(Duration::from_secs(1));
    f.app.started();
    let text = "line one\nline two\nline three\nline four\nline five";
    f.app.handle(InputEvent::Paste(text.into()), f.t0);
    let frame = f.app.frame(f.t0, 200, 50);
    assert!(frame.contains(&"❯\u{a0}[Pasted text #1 +4 lines]".to_string()));
    assert_eq!(footer(&f.app, f.t0), "  paste again to expand");
    assert!(!f.app.is_working(), "a paste alone is not submitted");

    f.app.handle(InputEvent::Enter, f.t0);
    assert!(f.app.is_working());
    assert!(footer(&f.app, f.t0).contains("esc to interrupt"));
    f.app.tick(f.t0 + Duration::from_millis(999));
    assert!(f.app.is_working());
    f.app.tick(f.t0 + Duration::from_secs(1));
    assert!(!f.app.is_working());
    let frame = f.app.frame(f.t0 + Duration::from_secs(1), 200, 50);
    assert!(
        frame.contains(&"● Done: line one line two line three line four l".to_string()),
        "{frame:?}"
    );
    assert!(frame.contains(&"✻ Worked for 1s".to_string()));
    assert!(!frame.last().unwrap().contains("esc to interrupt"));

    let stop = read_json(f.dir.path().join("stop.json"));
    assert_eq!(stop["hook_event_name"], "Stop");
    assert_eq!(stop["session_id"], "00000000-0000-4000-8000-000000000001");
    assert_eq!(
        stop["last_assistant_message"],
        "Done: line one line two line three line four l"
    );
    assert_eq!(stop["cwd"], "/tmp/work");
    let start = read_json(f.dir.path().join("start.json"));
    assert_eq!(start["source"], "startup");

    let record = std::fs::read_to_string(f.dir.path().join("record.jsonl")).unwrap();
    let lines: Vec<Value> = record
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["prompt"], text);
    assert_eq!(lines[0]["tmux_pane"], "%3");
    assert!(std::path::Path::new(stop["transcript_path"].as_str().unwrap()).exists());
}

#[test]
fn error_directive_fires_stop_failure() {
    let mut f = fixture(Duration::from_secs(5));
    f.app.handle(
        InputEvent::Text("boom fake-agent:error=500 fake-agent:work=10ms".into()),
        f.t0,
    );
    f.app.handle(InputEvent::Enter, f.t0);
    f.app.tick(f.t0 + Duration::from_millis(10));
    assert!(!f.app.is_working());
    let failure = read_json(f.dir.path().join("failure.json"));
    assert_eq!(failure["hook_event_name"], "StopFailure");
    assert_eq!(failure["error"], "server_error");
    assert!(
        failure["last_assistant_message"]
            .as_str()
            .unwrap()
            .starts_with("API Error: 500")
    );
    assert!(!f.dir.path().join("stop.json").exists());
}

#[test]
fn escape_interrupts_and_puts_the_prompt_back() {
    let mut f = fixture(Duration::from_secs(5));
    f.app.handle(InputEvent::Text("interrupt me".into()), f.t0);
    f.app.handle(InputEvent::Enter, f.t0);
    f.app.handle(InputEvent::Escape, f.t0);
    assert!(!f.app.is_working());
    let frame = f.app.frame(f.t0, 200, 50);
    assert!(frame.contains(&"❯\u{a0}interrupt me".to_string()));
    assert!(!frame.contains(&"❯ interrupt me".to_string()));
    f.app.tick(f.t0 + Duration::from_secs(10));
    // A hook fired by Esc or the tick would be among the running ones: wait for them all.
    f.app.hooks.wait_all(Duration::from_secs(10));
    assert!(
        !f.dir.path().join("stop.json").exists(),
        "no hook fires on Esc"
    );
}

#[test]
fn messages_typed_while_working_are_queued_then_run() {
    let mut f = fixture(Duration::from_secs(1));
    f.app.submit("first".into(), f.t0);
    f.app.handle(InputEvent::Text("follow-up".into()), f.t0);
    f.app.handle(InputEvent::Enter, f.t0);
    let frame = f.app.frame(f.t0, 200, 50);
    assert!(frame.contains(&"  ❯ follow-up".to_string()), "{frame:?}");
    f.app.tick(f.t0 + Duration::from_secs(1));
    assert!(f.app.is_working(), "the queued message starts at once");
    let frame = f.app.frame(f.t0 + Duration::from_secs(1), 200, 50);
    assert!(frame.contains(&"❯ follow-up".to_string()));
    assert!(!frame.contains(&"  ❯ follow-up".to_string()));
}

#[test]
fn exit_by_command_or_double_ctrl_c() {
    let mut f = fixture(Duration::from_secs(1));
    f.app.handle(InputEvent::Text("/exit".into()), f.t0);
    assert_eq!(f.app.handle(InputEvent::Enter, f.t0), Flow::Exit);

    let mut f = fixture(Duration::from_secs(1));
    assert_eq!(f.app.handle(InputEvent::Interrupt, f.t0), Flow::Continue);
    assert_eq!(footer(&f.app, f.t0), "  Press Ctrl-C again to exit");
    let later = f.t0 + Duration::from_secs(3);
    assert_eq!(
        f.app.handle(InputEvent::Interrupt, later),
        Flow::Continue,
        "too late: re-arms"
    );
    assert_eq!(f.app.handle(InputEvent::Interrupt, later), Flow::Exit);
}
