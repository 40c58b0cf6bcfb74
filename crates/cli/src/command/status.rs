//! `claude-failover status` and `claude-failover tasks`.

use crate::output::{out, outln};
use std::path::Path;
use std::process::ExitCode;

pub async fn run(config: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let cfg = super::load_config(config)?;
    let report = cf_daemon::status::collect_status(&cfg).await?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        out!("{}", cf_daemon::status::render_text(&report))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `claude-failover tasks`.
pub fn tasks(config: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let cfg = super::load_config(config)?;
    let tasks = cf_daemon::tasks::collect_tasks(&cfg);
    if json {
        outln!("{}", serde_json::to_string_pretty(&tasks)?)?;
    } else {
        out!("{}", cf_daemon::tasks::render_tasks(&tasks))?;
    }
    Ok(ExitCode::SUCCESS)
}
