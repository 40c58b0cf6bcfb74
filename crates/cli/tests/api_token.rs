//! `claude-failover run` with an unusable API token: it refuses to start, and says why once.

mod support;

use assert_cmd::Command;
use claude_failover::sandbox::Sandbox;

#[test]
fn a_short_token_in_the_environment_is_refused_in_one_sentence() {
    let sandbox = Sandbox::create(&support::spec()).expect("sandbox");
    let out = Command::new(support::binary())
        .args(["run", "--config"])
        .arg(&sandbox.config_path)
        .env("CLAUDE_FAILOVER_API_TOKEN", "short")
        .env("RUST_LOG", "off")
        .timeout(std::time::Duration::from_secs(30))
        .output()
        .expect("run the binary");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
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
    let out = Command::new(support::binary())
        .args(["run", "--config"])
        .arg(&sandbox.config_path)
        .env_remove("CLAUDE_FAILOVER_API_TOKEN")
        .env("RUST_LOG", "off")
        .timeout(std::time::Duration::from_secs(30))
        .output()
        .expect("run the binary");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: api.token: the api token is too short: use at least 16 characters \
         (e.g. `openssl rand -hex 32`)\n"
    );
}
