//! The read-only endpoints: health, status, sessions, tasks, swaps, delegation, watchdog.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use cf_config::Config;
use cf_daemon::status::StatusReport;
use cf_daemon::tasks::{TaskLine, TaskState};
use serde_json::{Value, json};

use crate::error::HttpError;
use crate::router::Shared;

/// Swaps returned by `/api/swaps` without `?limit=`.
const DEFAULT_SWAPS: usize = 50;
/// Most swaps one request may ask for.
const MAX_SWAPS: usize = 1000;

/// `GET /healthz`.
pub(crate) async fn healthz() -> Json<Value> {
    Json(json!({ "ok": true }))
}

/// The daemon's status report, as `claude-failover status --json` shows it.
pub(crate) async fn status_report(cfg: &Config) -> Result<StatusReport, HttpError> {
    cf_daemon::status::collect_status(cfg)
        .await
        .map_err(|e| HttpError::internal(format!("cannot collect the status: {e:#}")))
}

/// Every task of every project, listed off the async threads (it walks folders).
pub(crate) async fn task_lines(cfg: &Arc<Config>) -> Result<Vec<TaskLine>, HttpError> {
    let cfg = Arc::clone(cfg);
    tokio::task::spawn_blocking(move || cf_daemon::tasks::collect_tasks(&cfg))
        .await
        .map_err(|e| HttpError::internal(format!("listing the tasks failed: {e}")))
}

/// `GET /api/status`.
pub(crate) async fn status(State(shared): State<Shared>) -> Result<Json<StatusReport>, HttpError> {
    Ok(Json(status_report(&shared.api.cfg).await?))
}

/// `GET /api/sessions`.
pub(crate) async fn sessions(State(shared): State<Shared>) -> Result<Json<Value>, HttpError> {
    let report = status_report(&shared.api.cfg).await?;
    Ok(Json(json!({ "sessions": report.sessions })))
}

/// `GET /api/tasks`.
pub(crate) async fn tasks(State(shared): State<Shared>) -> Result<Json<Value>, HttpError> {
    let tasks = task_lines(&shared.api.cfg).await?;
    Ok(Json(json!({ "tasks": tasks })))
}

/// The query of `/api/swaps`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SwapsQuery {
    /// How many, newest first.
    limit: Option<usize>,
}

/// `GET /api/swaps?limit=N`: the swap history, newest first.
pub(crate) async fn swaps(
    State(shared): State<Shared>,
    query: Result<Query<SwapsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, HttpError> {
    let Query(query) = query.map_err(|e| {
        HttpError::bad_request(format!(
            "bad query: {}; the only parameter is `limit` (a number)",
            e.body_text()
        ))
    })?;
    let limit = query.limit.unwrap_or(DEFAULT_SWAPS).min(MAX_SWAPS);
    let cfg = Arc::clone(&shared.api.cfg);
    let swaps = tokio::task::spawn_blocking(move || recent_swaps(&cfg, limit))
        .await
        .map_err(|e| HttpError::internal(format!("reading the swaps failed: {e}")))??;
    Ok(Json(json!({ "swaps": swaps })))
}

/// The latest swaps from the store; none when the daemon never ran.
pub(crate) fn recent_swaps(
    cfg: &Config,
    limit: usize,
) -> Result<Vec<cf_store::SwapRecord>, HttpError> {
    let path = cf_daemon::store_path(cfg);
    if !path.exists() {
        return Ok(Vec::new());
    }
    let store = cf_store::Store::open_read_only(&path).map_err(|e| {
        HttpError::internal(format!("cannot open the store {}: {e}", path.display()))
    })?;
    store
        .recent_swaps(limit)
        .map_err(|e| HttpError::internal(format!("cannot read the swaps: {e}")))
}

/// `GET /api/delegated/status`.
pub(crate) async fn delegated(State(shared): State<Shared>) -> Json<Value> {
    Json(shared.api.delegation.snapshot())
}

/// `GET /watchdog/status`: blocked tasks, runs older than `watchdog.stale_after`, and the
/// delegation counters.
pub(crate) async fn watchdog(State(shared): State<Shared>) -> Result<Json<Value>, HttpError> {
    let cfg = &shared.api.cfg;
    let tasks = task_lines(cfg).await?;
    let now = jiff::Timestamp::now();
    let stale_after = cfg.watchdog.stale_after;
    let blocked: Vec<&TaskLine> = tasks
        .iter()
        .filter(|t| t.state == TaskState::Blocked)
        .collect();
    let stale: Vec<Value> = tasks
        .iter()
        .filter(|t| t.state == TaskState::Running)
        .filter_map(|t| {
            let since: jiff::Timestamp = t.since.as_deref()?.parse().ok()?;
            let running_for = now.duration_since(since);
            let running_secs = u64::try_from(running_for.as_secs()).ok()?;
            (running_secs >= stale_after.as_secs()).then(|| {
                json!({
                    "project": t.project,
                    "file": t.file,
                    "since": t.since,
                    "running_secs": running_secs,
                })
            })
        })
        .collect();
    let snapshot = shared.api.delegation.snapshot();
    Ok(Json(json!({
        "blocked": blocked,
        "stale": stale,
        "stale_after_secs": stale_after.as_secs(),
        "delegation": snapshot.get("counters").cloned().unwrap_or(Value::Null),
    })))
}
