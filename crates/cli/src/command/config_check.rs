//! `claude-failover config check`: every problem of a config file at once.

use std::path::Path;
use std::process::ExitCode;

pub fn run(path: &Path) -> anyhow::Result<ExitCode> {
    match cf_config::load_config(path) {
        Ok(cfg) => {
            println!("{}: ok", path.display());
            println!("  projects_dir: {}", cfg.dispatcher.projects_dir.display());
            println!(
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
            );
            println!(
                "  accounts: {}",
                cfg.accounts
                    .iter()
                    .map(|a| a.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(errors) => {
            eprintln!("{errors}");
            Ok(ExitCode::from(2))
        }
    }
}
