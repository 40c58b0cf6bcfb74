//! Integration tests of typing, key presses and pastes on private tmux servers.

mod support;

use std::collections::HashSet;

use cf_tmux::{Key, TmuxError};
use support::{PrivateServer, wait_for_file};

#[tokio::test]
async fn paste_arrives_intact_and_multi_line() {
    let server = PrivateServer::new();
    let tmux = &server.tmux;
    tmux.new_session(&server.shell_spec("cf-paste"))
        .await
        .unwrap();
    let file = server.start_cat_into("cf-paste", "pasted.txt").await;
    let text = "[task-1.md] first line\n\
                second line with 'quotes' \"double\" $(not run) `nor this`; && |\n\
                third: unicode ❯ é 日本\ttab\n\
                -starts with dash\n";
    tmux.paste("cf-paste", text).await.unwrap();
    let content = wait_for_file(&file, text).await;
    assert_eq!(content, text);
    assert_eq!(
        server.buffer_names(),
        Vec::<String>::new(),
        "buffer deleted after use"
    );
}

#[tokio::test]
async fn concurrent_pastes_into_two_sessions_never_mix() {
    const PASTES: usize = 20;
    let server = PrivateServer::new();
    let tmux = &server.tmux;
    let mut files = Vec::new();
    for session in ["cf-left", "cf-right"] {
        tmux.new_session(&server.shell_spec(session)).await.unwrap();
        files.push(
            server
                .start_cat_into(session, &format!("{session}.txt"))
                .await,
        );
    }
    let mut tasks = tokio::task::JoinSet::new();
    for index in 0..PASTES {
        for session in ["cf-left", "cf-right"] {
            let tmux = tmux.clone();
            tasks.spawn(async move {
                let text = format!("{session}-{index:02}-a\n{session}-{index:02}-b\n");
                tmux.paste(session, &text).await
            });
        }
    }
    while let Some(result) = tasks.join_next().await {
        result.unwrap().unwrap();
    }
    for (session, file) in ["cf-left", "cf-right"].iter().zip(&files) {
        let expected_lines = 2 * PASTES;
        support::wait_until("all pasted lines are written", || async {
            std::fs::read_to_string(file)
                .unwrap_or_default()
                .lines()
                .count()
                >= expected_lines
        })
        .await;
        let content = std::fs::read_to_string(file).unwrap();
        let lines: Vec<&str> = content.lines().collect();
        assert_eq!(lines.len(), expected_lines, "{content}");
        // Each paste's two lines stay together and belong to this session.
        for pair in lines.chunks(2) {
            assert!(pair[0].starts_with(&format!("{session}-")), "{content}");
            assert_eq!(pair[1], pair[0].replace("-a", "-b").as_str(), "{content}");
        }
        let seen: HashSet<&str> = lines.iter().copied().collect();
        for index in 0..PASTES {
            assert!(
                seen.contains(format!("{session}-{index:02}-a").as_str()),
                "{content}"
            );
        }
    }
    assert_eq!(server.buffer_names(), Vec::<String>::new());
}

#[tokio::test]
async fn failed_paste_leaves_no_buffer_and_hides_text() {
    let server = PrivateServer::new();
    let tmux = &server.tmux;
    tmux.new_session(&server.shell_spec("cf-present"))
        .await
        .unwrap();
    let error = tmux
        .paste("cf-absent", "very secret pasted text\n")
        .await
        .unwrap_err();
    assert!(matches!(error, TmuxError::NoSuchSession { .. }), "{error}");
    assert!(!error.to_string().contains("secret"), "{error}");
    assert_eq!(server.buffer_names(), Vec::<String>::new());

    let error = tmux
        .type_text("cf-absent", "typed secret")
        .await
        .unwrap_err();
    assert!(matches!(error, TmuxError::NoSuchSession { .. }), "{error}");
    let shown = error.to_string();
    assert!(!shown.contains("typed secret"), "{shown}");
    assert!(shown.contains("<12 bytes>"), "{shown}");

    let error = tmux.paste("cf-present", "").await.unwrap_err();
    assert!(
        matches!(error, TmuxError::InvalidArgument { .. }),
        "{error}"
    );
}

#[tokio::test]
async fn typed_text_and_keys_arrive_literally() {
    let server = PrivateServer::new();
    let tmux = &server.tmux;
    tmux.new_session(&server.shell_spec("cf-keys"))
        .await
        .unwrap();
    let file = server.start_cat_into("cf-keys", "keys.txt").await;
    tmux.type_text("cf-keys", "-t =other: Enter C-c ;")
        .await
        .unwrap();
    tmux.press("cf-keys", Key::Enter).await.unwrap();
    tmux.press("cf-keys", Key::Digit(7)).await.unwrap();
    tmux.press("cf-keys", Key::Enter).await.unwrap();
    let expected = "-t =other: Enter C-c ;\n7\n";
    assert_eq!(wait_for_file(&file, expected).await, expected);

    let error = tmux.press("cf-keys", Key::Digit(12)).await.unwrap_err();
    assert!(
        matches!(error, TmuxError::InvalidArgument { .. }),
        "{error}"
    );
    let error = tmux.type_text("cf-keys", "nul\0byte").await.unwrap_err();
    assert!(
        matches!(error, TmuxError::InvalidArgument { .. }),
        "{error}"
    );
}
