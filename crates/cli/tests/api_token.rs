//! `claude-failover run` with an unusable API token: it refuses to start, and says why once.

mod support;

use assert_cmd::Command;
use claude_failover::sandbox::Sandbox;

/// `claude-failover run` on the sandbox's config, quiet log, bounded in time.
fn run_command(sandbox: &Sandbox) -> Command {
    let mut run = Command::new(support::binary());
    run.args(["run", "--config"])
        .arg(&sandbox.config_path)
        .env("RUST_LOG", "off")
        .timeout(std::time::Duration::from_secs(30));
    run
}

/// Runs it, asserts it was refused (exit 1), and returns what it said on stderr.
#[track_caller]
fn refused_stderr(mut run: Command) -> String {
    let out = run.output().expect("run the binary");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_short_token_in_the_environment_is_refused_in_one_sentence() {
    let sandbox = Sandbox::create(&support::spec()).expect("sandbox");
    let mut run = run_command(&sandbox);
    run.env("CLAUDE_FAILOVER_API_TOKEN", "short");
    assert_eq!(
        refused_stderr(run),
        "error: the environment variable CLAUDE_FAILOVER_API_TOKEN (api.token_env): the api \
         token is too short: use at least 16 characters (e.g. `openssl rand -hex 32`)\n"
    );
}

#[test]
fn a_short_token_in_the_config_is_refused_in_one_sentence() {
    let sandbox = Sandbox::create(&support::spec()).expect("sandbox");
    let config = std::fs::read_to_string(&sandbox.config_path).expect("read the config");
    let config = config.replace(
        "api:\n  listen: \"127.0.0.1:0\"\n",
        "api:\n  listen: \"127.0.0.1:0\"\n  token: \"tiny\"\n",
    );
    assert!(
        config.contains("token: \"tiny\""),
        "the api section moved:\n{config}"
    );
    std::fs::write(&sandbox.config_path, config).expect("write the config");
    let mut run = run_command(&sandbox);
    run.env_remove("CLAUDE_FAILOVER_API_TOKEN");
    assert_eq!(
        refused_stderr(run),
        "error: api.token: the api token is too short: use at least 16 characters \
         (e.g. `openssl rand -hex 32`)\n"
    );
}
