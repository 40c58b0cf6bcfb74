//! `claude-failover run`: the daemon in the foreground.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use cf_daemon::{Daemon, DaemonOptions, SystemClock};
use tokio::signal::unix::{SignalKind, signal};

pub async fn run(config: &Path) -> anyhow::Result<ExitCode> {
    let cfg = super::load_config(config)?;
    let daemon = Daemon::start(cfg, DaemonOptions::default(), Arc::new(SystemClock)).await?;
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot listen for SIGINT")?;
    let mut terminate = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
    let shutdown = async move {
        tokio::select! {
            _ = interrupt.recv() => tracing::info!("SIGINT: stopping"),
            _ = terminate.recv() => tracing::info!("SIGTERM: stopping"),
        }
    };
    daemon.run(shutdown).await?;
    Ok(ExitCode::SUCCESS)
}
