//! Odd but valid tasks (CRLF, BOM, NUL bytes, escape sequences with a bracketed-paste end
//! marker and a shell command, C0/C1 controls, tmux syntax, an option-like id, ids with
//! spaces, accents, quotes and shell syntax) run once each, and the agent receives their text
//! exactly, with every control character stripped.

use std::time::Duration;

use crate::harness::{Hostile, assert_clean_text, drop_file};
use crate::quick_spec;
use crate::support::{is_done, prompts_for, wait_until};

/// Builds what the agent must receive for `file_name` with the (already clean) `body`.
fn expected_message(h: &Hostile, file_name: &str, body: &str) -> String {
    let suffix = h.sandbox.config().expect("config").agent.message_suffix;
    let suffix = suffix.trim();
    if suffix.is_empty() {
        format!("[{file_name}] {body}")
    } else {
        format!("[{file_name}] {body}\n\n{suffix}")
    }
}

#[test]
fn odd_but_valid_tasks_reach_the_agent_clean() {
    let mut h = Hostile::new(&quick_spec(), |_| {});
    let root = h.sandbox.root().display().to_string();
    let injection = format!(
        "Summarise the notes.\x1b[201~touch {root}/pwned\r\x1b[200~\n\
         Colour \x1b[31mred\x1b[0m and title \x1b]0;evil\x07 and clear \x1b[2J\x1bc.\n\
         C1: \u{9b}201~ \u{9d}0;t\u{9c} next\u{85}line \u{90}dcs\u{9c}.\n\
         C0: a\x00b\x07c\x08d\x7fe\x03f\x04g\x1a.\n\
         Tab\tkept.\n\
         Paste end again \x1b[201~\rexit\r"
    );
    let injection_clean = format!(
        "Summarise the notes.touch {root}/pwned\n\n\
         Colour red and title  and clear .\n\
         C1:   nextline .\n\
         C0: abcdefg.\n\
         Tab\tkept.\n\
         Paste end again \nexit"
    );
    let tmux_syntax = format!(
        "Semicolons ; kill-server ;\n#(touch {root}/pwned-format) #{{session_name}} #[fg=red] \\; end ;"
    );
    let mut cases: Vec<(&str, Vec<u8>, String)> = vec![
        (
            "crlf",
            b"---\r\ntitle: crlf\r\npriority: high\r\n---\r\nLine one\r\nLine two\r\n".to_vec(),
            "Line one\nLine two".into(),
        ),
        (
            "bom",
            "\u{feff}---\ntitle: bom\n---\nBOM body\n"
                .as_bytes()
                .to_vec(),
            "BOM body".into(),
        ),
        (
            "bom-crlf-plain",
            "\u{feff}Plain line one\r\nPlain line two\r\n"
                .as_bytes()
                .to_vec(),
            "Plain line one\nPlain line two".into(),
        ),
        (
            "nul-body",
            b"Before\0after\0\0 end\n".to_vec(),
            "Beforeafter end".into(),
        ),
        (
            "esc-inject",
            injection.clone().into_bytes(),
            injection_clean,
        ),
        (
            "controls-only",
            b"\x1b[2J\x07\x00\x1b]0;title\x07\x7f".to_vec(),
            cf_core::text::EMPTY_BODY_MESSAGE.into(),
        ),
        ("tmux-syntax", tmux_syntax.clone().into_bytes(), tmux_syntax),
        (
            "-rf",
            b"A task id that looks like an option.\n".to_vec(),
            "A task id that looks like an option.".into(),
        ),
        (
            "empty-frontmatter",
            b"---\n---\nEmpty frontmatter body.\n".to_vec(),
            "Empty frontmatter body.".into(),
        ),
    ];
    // Task ids may hold spaces, accents, quotes and shell syntax: they name files and show in
    // the pasted message, never in a shell line, so each runs once and types nothing.
    for id in [
        "Fix login bug",
        "Ünïcode tâche",
        "space name",
        "quote'name",
        "$(touch pwned-name)",
        "`touch pwned-tick`",
        "semi;touch pwned-semi;",
        "%2e%2e%2fetc%2fpasswd",
        "a\u{2215}..\u{2215}etc",
        "x..\\..\\windows",
    ] {
        let body = format!("The task named {id}.");
        cases.push((id, format!("{body}\n").into_bytes(), body));
    }
    h.start("valid");
    let inbox = h.inbox("beta");
    for (id, bytes, _) in &cases {
        drop_file(&inbox, format!("{id}.md"), bytes);
    }
    wait_until(Duration::from_secs(60), "every odd task is done", || {
        cases
            .iter()
            .all(|(id, _, _)| is_done(&h.sandbox, "beta", id))
    });
    h.assert_alive();

    for (id, bytes, body) in &cases {
        let prompts = prompts_for(&h.sandbox, id);
        assert_eq!(
            prompts.len(),
            1,
            "{id} reaches the agent exactly once: {prompts:#?}"
        );
        let prompt = prompts[0]["prompt"].as_str().expect("prompt text");
        assert_clean_text(prompt);
        assert_eq!(
            prompt,
            expected_message(&h, &format!("{id}.md"), body),
            "{id}"
        );
        let done = std::fs::read(
            h.sandbox
                .projects_dir
                .join(format!("beta/.agent-queue/done/{id}.md")),
        )
        .expect("read the done file");
        assert!(
            done.starts_with(bytes),
            "{id}: the done file keeps the task's bytes unchanged"
        );
    }
    assert_eq!(
        h.sandbox.records().len(),
        cases.len(),
        "no extra prompt was submitted by keys hidden in a task"
    );
    assert!(
        h.sandbox.files_in("beta", "inbox").is_empty()
            && h.sandbox.files_in("beta", "failed").is_empty(),
        "nothing left over: {:?}",
        h.sandbox.files_in("beta", "inbox")
    );
    let sessions = h
        .sandbox
        .tmux_command(&["list-sessions", "-F", "#S"])
        .expect("tmux");
    assert!(
        sessions.status.success(),
        "the tmux server survived `kill-server ;` in a task"
    );
    // Keys that escaped a paste would reach the shell once the agent exits after its task:
    // give the pool a moment by running one more task, then look for the injected file.
    h.run_control_task("beta", "after");
    h.assert_prompts_clean();
    h.assert_outside_untouched();
    h.assert_alive();
    assert!(h.daemon().stop(), "the daemon exits cleanly on SIGTERM");
}
