//! `claude-failover run`: the daemon in the foreground, with the HTTP API beside it.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use cf_api::{ApiConfig, ApiState, ApiToken, DelegationStats, NoDelegation};
use cf_daemon::{Daemon, DaemonOptions, SystemClock};
use tokio::signal::unix::{SignalKind, signal};

/// The delegation manager's counters, for the API.
struct ManagerStats(Arc<cf_delegation::DelegationManager>);

impl DelegationStats for ManagerStats {
    fn snapshot(&self) -> serde_json::Value {
        self.0.snapshot()
    }
}

pub async fn run(config: &Path) -> anyhow::Result<ExitCode> {
    let cfg = super::load_config(config)?;
    // Refuse before binding anything: a second daemon on this state dir must not even take the
    // API's port. (`Daemon::start` takes the lock itself; this is the early, friendly check.)
    if let Some(pid) = cf_daemon::lock::lock_holder(&cfg.state_dir) {
        return Err(cf_daemon::lock::LockError::Held {
            pid,
            state_dir: cfg.state_dir.clone(),
        }
        .into());
    }
    let api = api_config(&cfg)?;
    let options = DaemonOptions {
        sinks: super::notify::sinks_from_env(&cfg)?,
        service_watchdog: cf_daemon::service::watchdog_period(),
        ..DaemonOptions::default()
    };
    let listener = match &api {
        Some(api) => Some(
            api.bind()
                .await
                .context("cannot start the HTTP API (api.listen)")?,
        ),
        None => None,
    };
    let daemon = Daemon::start(cfg, options, Arc::new(SystemClock)).await?;
    let (stop_api, api_stopped) = tokio::sync::oneshot::channel::<()>();
    let server = match (api, listener) {
        (Some(api), Some(listener)) => {
            let delegation: Arc<dyn DelegationStats> = match daemon.delegation() {
                Some(manager) => Arc::new(ManagerStats(manager)),
                None => Arc::new(NoDelegation),
            };
            let state = ApiState {
                cfg: daemon.config(),
                notices: cf_api::relay_notices(daemon.subscribe()),
                delegation,
                token: api.token.clone(),
                reads_need_token: !api.listen.ip().is_loopback(),
                terminal: Arc::new(
                    cf_tmux::Tmux::new(daemon.config().tmux.socket.clone())
                        .without_env(daemon.config().private_env_names()),
                ),
            };
            let bound = listener
                .local_addr()
                .map(|a| a.to_string())
                .unwrap_or_else(|_| api.listen.to_string());
            daemon.record_fact("api_listen", &bound);
            tracing::info!(listen = %bound, "HTTP API listening");
            Some(tokio::spawn(cf_api::serve(state, listener, async move {
                let _ = api_stopped.await;
            })))
        }
        _ => None,
    };
    // The pool is up and the API listens: the service manager may call the daemon started.
    cf_daemon::service::ready();
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot listen for SIGINT")?;
    let mut terminate = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
    let shutdown = async move {
        tokio::select! {
            _ = interrupt.recv() => tracing::info!("SIGINT: stopping"),
            _ = terminate.recv() => tracing::info!("SIGTERM: stopping"),
        }
    };
    daemon.run(shutdown).await;
    let _ = stop_api.send(());
    if let Some(server) = server {
        server
            .await
            .context("the HTTP API task panicked")?
            .context("the HTTP API failed")?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The API settings: `None` when `api.enabled` is false. The token comes from `api.token` or
/// the variable named by `api.token_env`; without one, changes over HTTP are refused.
fn api_config(cfg: &cf_config::Config) -> anyhow::Result<Option<ApiConfig>> {
    if !cfg.api.enabled {
        return Ok(None);
    }
    let token = match (&cfg.api.token, std::env::var_os(&cfg.api.token_env)) {
        (Some(token), _) => Some(ApiToken::new(token.clone()).context("api.token")?),
        // The error names the variable and `api.token_env` itself: no context to repeat them.
        (None, Some(_)) => Some(ApiToken::from_env(&cfg.api.token_env)?),
        (None, None) => None,
    };
    let api = ApiConfig {
        listen: cfg.api.listen,
        token,
    };
    api.check().context("api.listen")?;
    Ok(Some(api))
}
