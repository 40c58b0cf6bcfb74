//! No `agent.env` value reaches a pane: the launch line sources a private file instead of typing
//! the values, so neither what was typed nor any screen holds them (the dashboard shows panes).

use std::os::unix::fs::PermissionsExt;

use crate::agent::Ending;
use crate::harness::{Harness, Spec};

const SECRET: &str = "sk-cf-in-process-7f3a9c";

#[tokio::test(start_paused = true)]
async fn agent_env_values_are_never_typed_into_a_pane() {
    let mut h = Harness::new(&Spec {
        agent_env: vec![("ANTHROPIC_API_KEY", SECRET)],
        ..Spec::default()
    });
    h.start().await;
    h.add_task("alpha", "t1", "Use the API.");
    let (session, _) = h.until_one_runs().await;
    h.end_turn(&session, Ending::Reply);
    h.until("t1 is done", |h| h.is_done("alpha", "t1")).await;
    let typed = h.term.everything_typed();
    let launch = typed
        .iter()
        .find(|t| t.contains("CLAUDE_CONFIG_DIR="))
        .expect("a launch line was typed");
    assert!(
        launch.contains(" && . ") && launch.contains("agent-env.sh &&"),
        "it sources the env file: {launch}"
    );
    for text in typed.iter().chain(h.term.every_screen().iter()) {
        assert!(!text.contains(SECRET), "a value reached a pane: {text}");
    }
    let file = h.root.join("state").join("agent-env.sh");
    let mode = std::fs::metadata(&file)
        .expect("the env file")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "owner only");
    let text = std::fs::read_to_string(&file).expect("read");
    assert!(
        text.contains(&format!("export ANTHROPIC_API_KEY='{SECRET}'")),
        "{text}"
    );
    h.stop().await;
}
