//! The state-changing endpoints, both behind the bearer token: `POST /api/swap` drops a swap
//! request file for the daemon, `POST /api/tasks` adds a task to a project's inbox.

use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use cf_config::Config;
use cf_core::TaskId;
use cf_daemon::failover::SwapRequest;
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
    let (file, running) = tokio::task::spawn_blocking(move || {
        let file = cf_daemon::failover::write_swap_request(&cfg.state_dir, &SwapRequest { to })
            .map_err(|e| HttpError::internal(format!("cannot place the swap request: {e}")))?;
        Ok::<_, HttpError>((file, cf_daemon::status::daemon_running(&cfg)))
    })
    .await
    .map_err(|e| HttpError::internal(format!("writing the swap request failed: {e}")))??;
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
    tokio::task::spawn_blocking(move || place_task(&cfg, task))
        .await
        .map_err(|e| HttpError::internal(format!("adding the task failed: {e}")))?
}

/// The blocking part of `POST /api/tasks`.
fn place_task(cfg: &Config, task: NewTaskBody) -> Result<(StatusCode, Json<Value>), HttpError> {
    let size = u64::try_from(task.content.len()).unwrap_or(u64::MAX);
    if size > MAX_TASK_CONTENT_BYTES {
        return Err(HttpError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "field `content` is {size} bytes, over the limit of {MAX_TASK_CONTENT_BYTES}: \
                 split the task or put the bulk in a file the task points to"
            ),
        ));
    }
    if task.content.trim().is_empty() {
        return Err(HttpError::bad_request(
            "field `content` is empty: write what the agent should do",
        ));
    }
    let doc = cf_core::task::parse_task(task.content.as_bytes())
        .map_err(|e| HttpError::bad_request(format!("field `content`: {e}")))?;
    let id = match &task.id {
        // The error names the id (escaped) and the rule; saying it again here would repeat it.
        Some(id) => {
            TaskId::parse(id).map_err(|e| HttpError::bad_request(format!("field `id`: {e}")))?
        }
        None => cf_queue::new_task_id(jiff::Timestamp::now(), doc.frontmatter.title.as_deref()),
    };
    let discovery =
        cf_queue::discover_projects(&cfg.dispatcher.projects_dir, &cfg.dispatcher.projects)
            .map_err(|e| HttpError::internal(format!("cannot list the projects: {e}")))?;
    let Some(project) = discovery.projects.iter().find(|p| p.name == task.project) else {
        let known: Vec<&str> = discovery.projects.iter().map(|p| p.name.as_str()).collect();
        return Err(HttpError::bad_request(format!(
            "field `project`: no project named `{}` (projects: {}); create its `.agent-queue/` folder first",
            task.project,
            known.join(", ")
        )));
    };
    let path = cf_queue::add_task(project, &id, task.content.as_bytes()).map_err(|e| match e {
        cf_queue::QueueError::TaskExists { .. } => HttpError::new(
            StatusCode::CONFLICT,
            format!("field `id`: {e}; pick another id or leave `id` out"),
        ),
        other => HttpError::internal(format!("cannot add the task: {other}")),
    })?;
    tracing::info!(project = %project.name, id = %id, "task added over http");
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "project": project.name,
            "id": id.as_str(),
            "path": path,
        })),
    ))
}
