//! The bearer-token check in front of every state-changing request.

use axum::http::{HeaderMap, StatusCode, header};
use subtle::ConstantTimeEq;

use crate::error::HttpError;
use crate::state::ApiState;

/// Allows the request only with `Authorization: Bearer <token>` matching the configured
/// token (compared in constant time). Without a configured token, every change is refused.
pub(crate) fn require_token(state: &ApiState, headers: &HeaderMap) -> Result<(), HttpError> {
    let Some(expected) = &state.token else {
        return Err(HttpError::new(
            StatusCode::FORBIDDEN,
            "changes over http are disabled because no api token is configured: \
             set `api.token` or `api.token_env` (an environment variable holding it) \
             in the config and restart the daemon",
        ));
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let Some(given) = given else {
        return Err(HttpError::new(
            StatusCode::UNAUTHORIZED,
            "missing `Authorization: Bearer <token>` header: send the api token",
        ));
    };
    if bool::from(given.as_bytes().ct_eq(expected.expose().as_bytes())) {
        Ok(())
    } else {
        Err(HttpError::new(
            StatusCode::UNAUTHORIZED,
            "the bearer token does not match the configured api token",
        ))
    }
}
