//! `claude-failover config check`: every problem of a config file at once.

use crate::output::{errln, outln};
use std::path::Path;
use std::process::ExitCode;

pub fn run(path: &Path) -> anyhow::Result<ExitCode> {
    match cf_config::load_config(path) {
        Ok(cfg) => {
            outln!("{}: ok", path.display())?;
            outln!("  projects_dir: {}", cfg.dispatcher.projects_dir.display())?;
            outln!(
                "  pool: {} .. {} (min {})",
                cfg.pool_session_names()
                    .first()
                    .map(String::as_str)
                    .unwrap_or("-"),
                cfg.pool_session_names()
                    .last()
                    .map(String::as_str)
                    .unwrap_or("-"),
                cfg.pool.autonomous.min
            )?;
            outln!(
                "  accounts: {}",
                cfg.accounts
                    .iter()
                    .map(|a| a.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Err(errors) => {
            errln!("{errors}");
            Ok(ExitCode::from(2))
        }
    }
}
