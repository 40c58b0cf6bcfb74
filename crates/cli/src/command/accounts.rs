//! `claude-failover swap`, `swaps` and `symlinks`: the accounts and their shared state.

use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use crate::output::outln;
use anyhow::{Context, bail};
use cf_daemon::failover::{SwapRequest, write_swap_request};

/// `swap [--to NAME]`: asks the running daemon to move every session to another account and
/// waits until the swap is recorded.
pub fn swap(config: &Path, to: Option<String>) -> anyhow::Result<ExitCode> {
    let cfg = super::load_config(config)?;
    if let Some(name) = &to {
        cfg.account_named(name)?;
    }
    let store_path = cf_daemon::store_path(&cfg);
    let latest = || -> Option<i64> {
        let store = cf_store::Store::open_read_only(&store_path).ok()?;
        store.recent_swaps(1).ok()?.first().map(|s| s.id)
    };
    let before = latest();
    let running = cf_daemon::status::daemon_running(&cfg);
    if !running {
        bail!(
            "the daemon is not running: start it with `claude-failover run --config {}`",
            config.display()
        );
    }
    write_swap_request(&cfg.state_dir, &SwapRequest { to }).with_context(|| {
        format!(
            "cannot place a swap request under {}",
            cfg.state_dir.display()
        )
    })?;
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if latest() != before {
            return swaps(config, false, 1);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    bail!("the daemon did not record the swap within 30 s; see its log")
}

/// `swaps [--json]`: the swap history, newest first.
pub fn swaps(config: &Path, json: bool, limit: usize) -> anyhow::Result<ExitCode> {
    let cfg = super::load_config(config)?;
    let store_path = cf_daemon::store_path(&cfg);
    if !store_path.exists() {
        outln!("no swaps (the daemon has not run yet)")?;
        return Ok(ExitCode::SUCCESS);
    }
    let store = cf_store::Store::open_read_only(&store_path)
        .with_context(|| format!("cannot open {}", store_path.display()))?;
    let swaps = store.recent_swaps(limit).context("cannot read the swaps")?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&swaps)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    if swaps.is_empty() {
        outln!("no swaps")?;
    }
    for s in swaps {
        let trigger = s
            .trigger_session
            .as_deref()
            .map(|t| format!(" in {t}"))
            .unwrap_or_default();
        let reset = s
            .reset_at
            .map(|r| format!(", resets {r}"))
            .unwrap_or_default();
        outln!(
            "{} {} -> {}: {}{trigger}{reset}; {}",
            s.at,
            s.from_account,
            s.to_account,
            s.pattern,
            s.detail
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// What `symlinks` does.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum LinksAction {
    /// Report every problem for every account.
    Check,
    /// Create what is missing (never touches a link elsewhere or a file in the way).
    Ensure,
    /// Move an account's real directories into the shared folder, then link them.
    Migrate,
}

/// `symlinks check|ensure|migrate`.
pub fn symlinks(config: &Path, action: LinksAction) -> anyhow::Result<ExitCode> {
    let cfg = super::load_config(config)?;
    let Some(shared) = cfg.shared_dir.clone() else {
        bail!(
            "no `shared_dir` in {}: set it to the folder the accounts share",
            config.display()
        );
    };
    let accounts: Vec<(String, std::path::PathBuf)> = cfg
        .accounts
        .iter()
        .map(|a| (a.name.clone(), a.config_dir.clone()))
        .collect();
    if let LinksAction::Migrate = action {
        for account in &accounts {
            for entry in cf_accounts::SHARED_ENTRIES {
                let report = cf_accounts::migrate(account, entry, &shared)
                    .with_context(|| format!("account {}: cannot migrate {entry}", account.0))?;
                outln!("{report}")?;
            }
        }
    }
    let report = match action {
        LinksAction::Check => cf_accounts::check_links(&accounts, &shared),
        LinksAction::Ensure | LinksAction::Migrate => {
            cf_accounts::ensure_links(&accounts, &shared).context("cannot create the links")?
        }
    };
    outln!("{report}")?;
    Ok(if report.is_healthy() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
