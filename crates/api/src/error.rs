//! Errors: [`ApiError`] for starting and running the server, and the JSON error responses
//! (`{"error": "..."}` with a status) that handlers return.

use std::net::SocketAddr;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Why the API could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// `api.listen` is not a loopback address and no token is configured.
    #[error(
        "api.listen is {listen}, which is not a loopback address, and no api token is set: \
         set `api.token` or `api.token_env`, or listen on 127.0.0.1"
    )]
    NonLoopbackWithoutToken {
        /// The configured address.
        listen: SocketAddr,
    },
    /// The token is too short to be safe.
    #[error(
        "the api token is too short: use at least {min} characters (e.g. `openssl rand -hex 32`)"
    )]
    TokenTooShort {
        /// The minimum length.
        min: usize,
    },
    /// The token cannot travel in a header.
    #[error(
        "the api token contains whitespace or control characters: use letters, digits and punctuation only"
    )]
    TokenBadCharacters,
    /// `api.token_env` names a variable that is not set.
    #[error(
        "the environment variable {var} (api.token_env) is not set or empty: export it before starting"
    )]
    TokenEnvUnset {
        /// The variable name.
        var: String,
    },
    /// The variable holds an unusable token.
    ///
    /// The message includes the problem, so `problem` is deliberately not the error's
    /// `source()`: a chain printer (`{:#}`) would say it twice.
    #[error("the environment variable {var} (api.token_env): {problem}")]
    TokenEnv {
        /// The variable name.
        var: String,
        /// What is wrong with its value.
        problem: Box<ApiError>,
    },
    /// The address cannot be bound.
    #[error("cannot listen on {listen} (api.listen): {source}; pick a free port")]
    Bind {
        /// The configured address.
        listen: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// The server failed while running.
    #[error("the http api stopped on an i/o error: {source}")]
    Serve {
        /// The OS error.
        source: std::io::Error,
    },
}

/// A failed request: a status and a message for the client, rendered as JSON.
#[derive(Debug)]
pub(crate) struct HttpError {
    pub(crate) status: StatusCode,
    pub(crate) message: String,
}

impl HttpError {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> HttpError {
        HttpError {
            status,
            message: message.into(),
        }
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> HttpError {
        HttpError::new(StatusCode::BAD_REQUEST, message)
    }

    pub(crate) fn internal(message: impl Into<String>) -> HttpError {
        HttpError::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            Json(serde_json::json!({ "error": self.message })),
        )
            .into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}
