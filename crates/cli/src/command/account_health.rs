//! `claude-failover accounts [--json]` and `accounts clear NAME`: each account's health (usable,
//! exhausted until, needs attention since and why, its breaker), and clearing a mark by hand.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use crate::output::{out, outln};
use anyhow::{Context, bail};
use cf_daemon::account_view::{
    account_statuses, clear_in_store, render_accounts, write_clear_request,
};

/// `accounts`: the arguments.
#[derive(Debug, clap::Args)]
pub struct AccountsArgs {
    /// What to do (default: list the accounts).
    #[command(subcommand)]
    action: Option<AccountsAction>,
    /// The YAML config file.
    #[arg(long, short = 'c', value_name = "FILE", global = true)]
    config: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
}

#[derive(Debug, clap::Subcommand)]
enum AccountsAction {
    /// Make an account that needs attention usable again (after fixing its login by hand).
    Clear {
        /// The account's name.
        name: String,
    },
}

pub fn run(args: &AccountsArgs) -> anyhow::Result<ExitCode> {
    let Some(config) = &args.config else {
        bail!("accounts needs --config FILE (the daemon's config)");
    };
    match &args.action {
        None => list(config, args.json),
        Some(AccountsAction::Clear { name }) => clear(config, name),
    }
}

fn list(config: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let cfg = super::load_config(config)?;
    let store = cf_daemon::status::read_store(&cfg).context("cannot read the daemon's state")?;
    let accounts = account_statuses(&cfg, store.as_ref(), jiff::Timestamp::now());
    if json {
        outln!("{}", serde_json::to_string_pretty(&accounts)?)?;
    } else {
        out!("{}", render_accounts(&accounts))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn clear(config: &Path, name: &str) -> anyhow::Result<ExitCode> {
    let cfg = super::load_config(config)?;
    cfg.account_named(name)?;
    let store_path = cf_daemon::store_path(&cfg);
    if !cf_daemon::status::daemon_running(&cfg) {
        if !store_path.exists() {
            outln!("{name}: nothing to clear (the daemon has not run yet)")?;
            return Ok(ExitCode::SUCCESS);
        }
        let store = cf_store::Store::open(&store_path)
            .with_context(|| format!("cannot open the store {}", store_path.display()))?;
        let was = clear_in_store(&store, name).context("cannot clear the mark in the store")?;
        let said = if was {
            "usable again"
        } else {
            "was not marked"
        };
        outln!("{name}: {said}")?;
        return Ok(ExitCode::SUCCESS);
    }
    write_clear_request(&cfg.state_dir, name).with_context(|| {
        format!(
            "cannot place a clear request under {}",
            cfg.state_dir.display()
        )
    })?;
    let marked = || -> bool {
        let Ok(store) = cf_store::Store::open_read_only(&store_path) else {
            return true;
        };
        let now = jiff::Timestamp::now();
        account_statuses(&cfg, Some(&store), now)
            .iter()
            .any(|a| a.name == name && a.attention.is_some())
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if !marked() {
            outln!("{name}: usable")?;
            return Ok(ExitCode::SUCCESS);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    bail!("the daemon did not clear {name} within 30 s; see its log")
}
