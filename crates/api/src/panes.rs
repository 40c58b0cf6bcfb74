//! `GET /api/sessions/{name}/pane`: what a pool or dedicated session's pane shows now, for the
//! dashboard. Never a session the daemon does not own or know (a foreign one is a 404).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::error::HttpError;
use crate::router::Shared;

/// `GET /api/sessions/{name}/pane`.
pub(crate) async fn pane(
    State(shared): State<Shared>,
    Path(name): Path<String>,
) -> Result<Json<Value>, HttpError> {
    let cfg = &shared.api.cfg;
    let ours =
        cfg.pool.autonomous.contains(&name) || cfg.pool.dedicated.iter().any(|d| d.name == name);
    if !ours {
        return Err(HttpError::new(
            StatusCode::NOT_FOUND,
            "no pool or dedicated session of this daemon has that name: see /api/sessions",
        ));
    }
    let text = shared
        .api
        .terminal
        .capture_screen(&name)
        .await
        .map_err(|e| {
            HttpError::new(
                StatusCode::NOT_FOUND,
                format!("cannot capture the pane of {name}: {e}"),
            )
        })?;
    Ok(Json(json!({
        "session": name,
        "text": text,
        "captured_at": jiff::Timestamp::now().to_string(),
    })))
}
