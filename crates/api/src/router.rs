//! The routes and the server loop with graceful shutdown (which also ends SSE streams, or
//! they would keep the server from stopping).

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use tokio::sync::watch;

use crate::error::{ApiError, HttpError};
use crate::state::ApiState;
use crate::{dashboard, events, metrics, panes, read, write};

/// The state handlers get: the caller's state plus the shutdown flag SSE streams watch.
#[derive(Clone, Debug)]
pub(crate) struct Shared {
    pub(crate) api: ApiState,
    pub(crate) stopping: watch::Receiver<bool>,
}

fn router(shared: Shared) -> Router {
    // The page and its assets hold no data: they load without the token (it is typed in there).
    let open = Router::new()
        .route("/", get(dashboard::page))
        .route("/dashboard.js", get(dashboard::script))
        .route("/dashboard.css", get(dashboard::style))
        .route("/favicon.svg", get(dashboard::icon))
        .route("/healthz", get(read::healthz));
    Router::new()
        .route("/api/status", get(read::status))
        .route("/api/sessions", get(read::sessions))
        .route("/api/tasks", get(read::tasks).post(write::add_task))
        .route("/api/tasks/requeue", post(write::requeue))
        .route("/api/accounts/clear", post(write::clear_account))
        .route("/api/sessions/{name}/pane", get(panes::pane))
        .route("/api/swaps", get(read::swaps))
        .route("/api/swap", post(write::swap))
        .route("/api/delegated/status", get(read::delegated))
        .route("/api/events", get(events::events))
        .route("/watchdog/status", get(read::watchdog))
        .route("/metrics", get(metrics::metrics))
        .route_layer(middleware::from_fn_with_state(shared.clone(), reads_guard))
        .merge(open)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(shared.clone(), host_guard))
        .with_state(shared)
}

/// Beyond loopback, reads need the token as much as changes do.
async fn reads_guard(
    State(shared): State<Shared>,
    request: Request,
    next: Next,
) -> Result<Response, HttpError> {
    if shared.api.reads_need_token {
        crate::auth::require_token(&shared.api, request.headers())?;
    }
    Ok(next.run(request).await)
}

/// On loopback (reads without a token), a request must name a loopback host: a web page whose
/// name was rebound to 127.0.0.1 (DNS rebinding) must not read the panes as "same origin".
async fn host_guard(
    State(shared): State<Shared>,
    request: Request,
    next: Next,
) -> Result<Response, HttpError> {
    if !shared.api.reads_need_token {
        let host = request
            .headers()
            .get(axum::http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or_default();
        if !is_loopback_host(host) {
            return Err(HttpError::new(
                StatusCode::FORBIDDEN,
                "the Host header must name this machine's loopback address (localhost, 127.0.0.1 \
                 or [::1]): the API listens on loopback only",
            ));
        }
    }
    Ok(next.run(request).await)
}

/// `localhost`, `127.x.y.z` or `[::1]`, with or without a port.
fn is_loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

async fn not_found() -> HttpError {
    HttpError::new(
        StatusCode::NOT_FOUND,
        "no such endpoint: see / (the dashboard), /healthz, /api/status, /api/sessions, \
         /api/sessions/NAME/pane, /api/tasks, /api/tasks/requeue, /api/accounts/clear, /api/swaps, \
         /api/swap, /api/delegated/status, /api/events, /watchdog/status, /metrics",
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
