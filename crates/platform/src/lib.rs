//! Client for the external AI job platform ("secutools") that delegated tasks run on.
//!
//! A task routed away from the local pool by [`cf_core::route::decide_route`] is
//! submitted here as a [`JobRequest`], tracked by its [`JobId`] and read back as a
//! [`Job`]. The HTTP contract is `docs/platform-openapi.yaml`: `POST /v1/jobs` and
//! `GET /v1/jobs/{id}`, bearer key from the environment, JSON bodies.
//!
//! Calls retry with exponential backoff and jitter on no answer, 429 (honouring
//! `Retry-After`) and 5xx, never on other 4xx, and give up after
//! [`PlatformConfig::max_elapsed`]. The API key is never logged, never in `Debug`,
//! never in an error message.

mod client;
mod config;
mod decode;
mod error;
mod model;
mod retry;
mod secret;

pub use cf_core::route::Provider;
pub use client::PlatformClient;
pub use config::{DEFAULT_API_KEY_ENV, PlatformConfig, PlatformConfigError, parse_base_url};
pub use error::PlatformError;
pub use model::{Job, JobId, JobRequest, JobStatus};
pub use reqwest::Url;
pub use secret::ApiKey;
