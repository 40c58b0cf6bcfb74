//! The routes and the server loop with graceful shutdown (which also ends SSE streams, or
//! they would keep the server from stopping).

use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};
use tokio::sync::watch;

use crate::error::{ApiError, HttpError};
use crate::state::ApiState;
use crate::{events, metrics, read, write};

/// The state handlers get: the caller's state plus the shutdown flag SSE streams watch.
#[derive(Clone, Debug)]
pub(crate) struct Shared {
    pub(crate) api: ApiState,
    pub(crate) stopping: watch::Receiver<bool>,
}

fn router(shared: Shared) -> Router {
    Router::new()
        .route("/healthz", get(read::healthz))
        .route("/api/status", get(read::status))
        .route("/api/sessions", get(read::sessions))
        .route("/api/tasks", get(read::tasks).post(write::add_task))
        .route("/api/swaps", get(read::swaps))
        .route("/api/swap", post(write::swap))
        .route("/api/delegated/status", get(read::delegated))
        .route("/api/events", get(events::events))
        .route("/watchdog/status", get(read::watchdog))
        .route("/metrics", get(metrics::metrics))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(shared)
}

async fn not_found() -> HttpError {
    HttpError::new(
        StatusCode::NOT_FOUND,
        "no such endpoint: see /healthz, /api/status, /api/sessions, /api/tasks, /api/swaps, \
         /api/delegated/status, /api/events, /watchdog/status, /metrics",
    )
}

async fn method_not_allowed() -> HttpError {
    HttpError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "this endpoint does not take that method: reads are GET, changes are POST",
    )
}

/// Serves the API on `listener` until `shutdown` resolves; then open SSE streams end and
/// the function returns once every connection is closed.
pub async fn serve(
    state: ApiState,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ApiError> {
    let (stop_tx, stopping) = watch::channel(false);
    let app = router(Shared {
        api: state,
        stopping,
    });
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown.await;
            let _ = stop_tx.send(true);
        })
        .await
        .map_err(|source| ApiError::Serve { source })
}
