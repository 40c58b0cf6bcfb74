//! The state-changing endpoints, both behind the bearer token: `POST /api/swap` drops a swap
//! request file for the daemon, `POST /api/tasks` adds a task to a project's inbox.

use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use cf_config::Config;
use cf_daemon::failover::SwapRequest;
use cf_queue::{NewTask, NewTaskError, add_new_task};
use serde_json::{Value, json};

use crate::auth::require_token;
use crate::error::HttpError;
use crate::router::Shared;

/// Largest task text accepted: the daemon refuses to dispatch bigger files.
pub const MAX_TASK_CONTENT_BYTES: u64 = cf_daemon::MAX_TASK_BYTES;

/// Largest request body: the content limit with room for JSON escaping (`\uXXXX` is 6 bytes).
const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// Reads the whole body, refusing one over [`MAX_BODY_BYTES`] with a JSON error.
async fn read_body(body: Body) -> Result<axum::body::Bytes, HttpError> {
    axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|e| {
            HttpError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "the request body cannot be read or is over {MAX_BODY_BYTES} bytes: {e}; \
                 send a smaller task"
                ),
            )
        })
}

/// Runs the blocking part of a change (files, the store) off the async threads; `what` names it
/// in the error if it panicked.
async fn blocking<T: Send + 'static>(
    what: &str,
    work: impl FnOnce() -> Result<T, HttpError> + Send + 'static,
) -> Result<T, HttpError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| HttpError::internal(format!("{what} failed: {e}")))?
}

/// Decodes a JSON body; serde's message names the missing, unknown or mistyped field.
fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8], shape: &str) -> Result<T, HttpError> {
    serde_json::from_slice(bytes)
        .map_err(|e| HttpError::bad_request(format!("bad request body: {e}; expected {shape}")))
}

/// The body of `POST /api/swap`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SwapBody {
    /// The account to move to; none: the next usable one.
    #[serde(default)]
    to: Option<String>,
}

/// `POST /api/swap`: asks the daemon to move every session to another account. The daemon
/// picks the request file up; 202 means asked, not done (see `/api/swaps`).
pub(crate) async fn swap(
    State(shared): State<Shared>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<Value>), HttpError> {
    require_token(&shared.api, &headers)?;
    let bytes = read_body(body).await?;
    let request = if bytes.iter().all(u8::is_ascii_whitespace) {
        SwapBody { to: None }
    } else {
        decode::<SwapBody>(&bytes, r#"{"to": "<account name>"} or an empty body"#)?
    };
    let cfg = Arc::clone(&shared.api.cfg);
    if let Some(name) = &request.to
        && let Err(unknown) = cfg.account_named(name)
    {
        return Err(HttpError::bad_request(format!("field `to`: {unknown}")));
    }
    let to = request.to.clone();
    let (file, running) = blocking("writing the swap request", move || {
        let file = cf_daemon::failover::write_swap_request(&cfg.state_dir, &SwapRequest { to })
            .map_err(|e| HttpError::internal(format!("cannot place the swap request: {e}")))?;
        Ok((file, cf_daemon::status::daemon_running(&cfg)))
    })
    .await?;
    tracing::info!(to = ?request.to, file = %file.display(), "swap requested over http");
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({
            "requested": true,
            "to": request.to,
            "daemon_running": running,
        })),
    ))
}

/// The body of `POST /api/tasks`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct NewTaskBody {
    /// The project name (its folder name).
    project: String,
    /// The task id (file stem); none: one from the time and the title.
    #[serde(default)]
    id: Option<String>,
    /// The task file's text: optional YAML frontmatter, then markdown.
    content: String,
}

/// `POST /api/tasks`: validates the task and writes it into the project's inbox; 201 with
/// its path.
pub(crate) async fn add_task(
    State(shared): State<Shared>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<Value>), HttpError> {
    require_token(&shared.api, &headers)?;
    let bytes = read_body(body).await?;
    let task: NewTaskBody = decode(
        &bytes,
        r#"{"project": "<name>", "id": "<optional id>", "content": "<markdown>"}"#,
    )?;
    let cfg = Arc::clone(&shared.api.cfg);
    blocking("adding the task", move || place_task(&cfg, task)).await
}

/// The blocking part of `POST /api/tasks`.
fn place_task(cfg: &Config, task: NewTaskBody) -> Result<(StatusCode, Json<Value>), HttpError> {
    let new = NewTask {
        project: &task.project,
        id: task.id.as_deref(),
        content: task.content.as_bytes(),
        now: jiff::Timestamp::now(),
    };
    let added = add_new_task(&cfg.dispatcher.projects_dir, &cfg.dispatcher.projects, &new)
        .map_err(|e| match e {
            NewTaskError::TooLarge { .. } => HttpError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("field `content`: {e}"),
            ),
            NewTaskError::Empty | NewTaskError::Invalid(_) => {
                HttpError::bad_request(format!("field `content`: {e}"))
            }
            // The error names the id (escaped) and the rule.
            NewTaskError::BadId(_) => HttpError::bad_request(format!("field `id`: {e}")),
            NewTaskError::NoProject { .. } => {
                HttpError::bad_request(format!("field `project`: {e}"))
            }
            NewTaskError::Exists(_) => HttpError::new(
                StatusCode::CONFLICT,
                format!("field `id`: {e} or leave `id` out"),
            ),
            NewTaskError::Queue(_) => HttpError::internal(format!("cannot add the task: {e}")),
        })?;
    let (project, id, path) = (added.project, added.id, added.path);
    tracing::info!(project = %project, id = %id, "task added over http");
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "project": project,
            "id": id.as_str(),
            "path": path,
        })),
    ))
}

/// The body of `POST /api/tasks/requeue`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RequeueBody {
    /// The project name.
    project: String,
    /// The failed task's file name (as `/api/tasks` lists it).
    file: String,
}

/// `POST /api/tasks/requeue`: puts a failed task back into its project's inbox (without the
/// footers of its earlier runs); 201 with the new path.
pub(crate) async fn requeue(
    State(shared): State<Shared>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<Value>), HttpError> {
    require_token(&shared.api, &headers)?;
    let bytes = read_body(body).await?;
    let asked: RequeueBody = decode(&bytes, r#"{"project": "<name>", "file": "<id>.md"}"#)?;
    let cfg = Arc::clone(&shared.api.cfg);
    blocking("requeueing the task", move || {
        let project = find_project(&cfg, &asked.project)?;
        let path = cf_queue::requeue_failed(&project, &asked.file).map_err(|e| match e {
            cf_queue::QueueError::NotFailed { .. } => {
                HttpError::new(StatusCode::NOT_FOUND, format!("field `file`: {e}"))
            }
            cf_queue::QueueError::TaskExists { .. } => {
                HttpError::new(StatusCode::CONFLICT, format!("field `file`: {e}"))
            }
            other => HttpError::internal(format!("cannot requeue the task: {other}")),
        })?;
        tracing::info!(project = %asked.project, file = %asked.file, "failed task requeued over http");
        Ok((
            StatusCode::CREATED,
            Json(json!({ "project": asked.project, "path": path })),
        ))
    })
    .await
}

/// The project called `name` among the configured ones.
fn find_project(cfg: &Config, name: &str) -> Result<cf_queue::Project, HttpError> {
    let found = cf_queue::discover_projects(&cfg.dispatcher.projects_dir, &cfg.dispatcher.projects)
        .map_err(|e| HttpError::internal(format!("cannot list the projects: {e}")))?;
    found
        .projects
        .into_iter()
        .find(|p| p.name == name)
        .ok_or_else(|| {
            HttpError::bad_request(format!("field `project`: no project named `{name}`"))
        })
}

/// The body of `POST /api/accounts/clear`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ClearBody {
    /// The account whose attention mark goes.
    account: String,
}

/// `POST /api/accounts/clear`: asks the daemon to make an account that needs attention usable
/// again (as `claude-failover accounts clear NAME`); 202 means asked.
pub(crate) async fn clear_account(
    State(shared): State<Shared>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<Value>), HttpError> {
    require_token(&shared.api, &headers)?;
    let bytes = read_body(body).await?;
    let asked: ClearBody = decode(&bytes, r#"{"account": "<name>"}"#)?;
    let cfg = Arc::clone(&shared.api.cfg);
    if let Err(unknown) = cfg.account_named(&asked.account) {
        return Err(HttpError::bad_request(format!(
            "field `account`: {unknown}"
        )));
    }
    let account = asked.account.clone();
    blocking("writing the clear request", move || {
        cf_daemon::account_view::write_clear_request(&cfg.state_dir, &account)
            .map_err(|e| HttpError::internal(format!("cannot place the clear request: {e}")))
    })
    .await?;
    tracing::info!(account = %asked.account, "account clear requested over http");
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "requested": true, "account": asked.account })),
    ))
}
