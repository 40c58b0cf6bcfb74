//! `claude-failover notify test [--sink NAME]`, and reading the sinks' secrets from the
//! environment for `run`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::bail;
use cf_config::Config;

use crate::output::out;

/// The configured sinks with their URLs and tokens read from this process's environment; every
/// variable that is missing is named at once.
pub fn sinks_from_env(cfg: &Config) -> anyhow::Result<Vec<cf_notify::Sink>> {
    resolve_from_env(&cfg.notify)
}

fn resolve_from_env(notify: &cf_config::NotifyConfig) -> anyhow::Result<Vec<cf_notify::Sink>> {
    let lookup = |name: &str| std::env::var(name).ok();
    cf_notify::resolve_sinks(notify, &lookup).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
        anyhow::anyhow!("{}", lines.join("\n"))
    })
}

/// Sends a test alert to every sink (or the one named) and prints what each answered.
pub async fn test(config: &Path, sink: Option<&str>) -> anyhow::Result<ExitCode> {
    let cfg = super::load_config(config)?;
    if cfg.notify.sinks.is_empty() {
        bail!(
            "{} configures no notification sinks; add `notify.sinks` (see `claude-failover config example`)",
            config.display()
        );
    }
    // Only the sink asked for is resolved: another one's unset variable is no reason to fail.
    let mut wanted = cfg.notify.clone();
    if let Some(name) = sink {
        let known: Vec<String> = wanted.sinks.iter().map(|s| s.name.clone()).collect();
        wanted.sinks.retain(|s| s.name == name);
        if wanted.sinks.is_empty() {
            bail!("no sink named `{name}` (sinks: {})", known.join(", "));
        }
    }
    let sinks = resolve_from_env(&wanted)?;
    let kinds: Vec<(String, &'static str)> = sinks
        .iter()
        .map(|s| (s.name.clone(), s.kind_name()))
        .collect();
    let answers = cf_notify::test_sinks(&sinks, &cfg.notify, jiff::Timestamp::now()).await;
    let mut failed = 0;
    for ((name, answer), (_, kind)) in answers.iter().zip(&kinds) {
        match answer {
            Ok(answer) => out!("{name} ({kind}): delivered ({})\n", answer.0)?,
            Err(error) => {
                failed += 1;
                out!("{name} ({kind}): failed: {error}\n")?;
            }
        }
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
