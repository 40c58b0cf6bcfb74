//! One try at delivering one alert to one sink: an HTTP request (webhook, ntfy, Slack) or a
//! program's run (command). Every error is scrubbed of the sink's secrets before anyone sees it.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::alert::Alert;
use crate::sink::{Secret, Sink, Target};

/// What a sink answered to a try that worked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer(pub String);

/// Why a try failed, with every secret of the sink replaced by `<redacted>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SendError {
    /// What went wrong.
    pub message: String,
    /// Trying again cannot help (the receiver refused the request itself: a 4xx other than
    /// 408 and 429).
    pub permanent: bool,
}

/// A try's failure before scrubbing.
struct Failure {
    text: String,
    permanent: bool,
}

impl From<String> for Failure {
    fn from(text: String) -> Failure {
        Failure {
            text,
            permanent: false,
        }
    }
}

/// How much of a receiver's answer or a command's stderr is quoted.
const QUOTED: usize = 200;

impl Sink {
    /// One try, limited to `timeout`.
    pub async fn send_once(
        &self,
        client: &reqwest::Client,
        alert: &Alert,
        timeout: Duration,
    ) -> Result<Answer, SendError> {
        let tried = match &self.target {
            Target::Webhook { url, token } => {
                let request = with_token(client.post(url.expose()), token.as_ref())
                    .header("content-type", "application/json")
                    .body(alert.to_json());
                http(request, timeout).await
            }
            Target::Ntfy { url, token } => {
                let request = with_token(client.post(url.expose()), token.as_ref())
                    .header("Title", header_text(&alert.title))
                    .header("Priority", alert.ntfy_priority())
                    .header("Tags", alert.ntfy_tags())
                    .body(alert.message.clone());
                http(request, timeout).await
            }
            Target::Slack { url } => {
                let body =
                    serde_json::json!({ "text": alert.chat_text(), "username": "claude-failover" });
                http(client.post(url.expose()).json(&body), timeout).await
            }
            Target::Command { argv } => command(argv, alert, timeout).await,
        };
        tried.map_err(|e| SendError {
            message: scrub(&e.text, &self.secrets()),
            permanent: e.permanent,
        })
    }
}

fn with_token(request: reqwest::RequestBuilder, token: Option<&Secret>) -> reqwest::RequestBuilder {
    match token {
        Some(token) => request.bearer_auth(token.expose()),
        None => request,
    }
}

/// A header value: one line of printable text (ntfy reads UTF-8 titles as sent).
fn header_text(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Sends `request`; a 2xx status is an answer, anything else an error quoting the body's start.
async fn http(request: reqwest::RequestBuilder, timeout: Duration) -> Result<Answer, Failure> {
    let response = request.timeout(timeout).send().await.map_err(|e| {
        Failure::from(match e.is_timeout() {
            true => format!("no answer within {}s", timeout.as_secs_f64()),
            false => error_text(e.without_url()),
        })
    })?;
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    let quoted = quote(&body);
    let code = status.as_u16();
    if status.is_success() {
        Ok(Answer(format!("HTTP {code}")))
    } else {
        Err(Failure {
            text: format!("HTTP {code}: {quoted}"),
            permanent: status.is_client_error() && code != 408 && code != 429,
        })
    }
}

/// A reqwest error with its causes, in one line.
fn error_text(error: reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// How long a finished command's stderr is still read (a background child may hold it open).
const STDERR_GRACE: Duration = Duration::from_millis(200);

/// Runs `argv` in its own process group with the alert as JSON on stdin; exit status 0 within
/// `timeout` is an answer. On the timeout the whole group is killed.
async fn command(argv: &[String], alert: &Alert, timeout: Duration) -> Result<Answer, Failure> {
    let Some((program, args)) = argv.split_first() else {
        return Err(Failure::from("no program to run".to_owned()));
    };
    let mut child = tokio::process::Command::new(program)
        .args(args)
        .env("CLAUDE_FAILOVER_EVENT", alert.event.as_str())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| Failure::from(format!("cannot run {program}: {e}")))?;
    let group = child.id();
    if let Some(mut stdin) = child.stdin.take() {
        let json = alert.to_json();
        // Written beside the wait: a program that never reads its input must not hang us.
        tokio::spawn(async move {
            let _ = stdin.write_all(json.as_bytes()).await;
        });
    }
    let stderr = child.stderr.take().map(|mut pipe| {
        tokio::spawn(async move {
            let mut text = String::new();
            let _ = (&mut pipe).take(4096).read_to_string(&mut text).await;
            text
        })
    });
    let status = match tokio::time::timeout(timeout, child.wait()).await {
        Ok(status) => {
            status.map_err(|e| Failure::from(format!("cannot wait for {program}: {e}")))?
        }
        Err(_) => {
            kill_group(group);
            return Err(Failure::from(format!(
                "{program} did not finish within {}s (killed)",
                timeout.as_secs_f64()
            )));
        }
    };
    if status.success() {
        return Ok(Answer("exit status 0".to_owned()));
    }
    let said = match stderr {
        Some(task) => tokio::time::timeout(STDERR_GRACE, task)
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or_default(),
        None => String::new(),
    };
    Err(Failure::from(format!(
        "{program} failed ({status}): {}",
        quote(&said)
    )))
}

/// Kills the process group `group` leads (the command and whatever it started).
fn kill_group(group: Option<u32>) {
    let Some(pid) = group.and_then(|g| i32::try_from(g).ok()) else {
        return;
    };
    // SAFETY: kill(2) with a negative pid signals that process group; no memory is involved.
    unsafe {
        libc::kill(-pid, libc::SIGKILL);
    }
}

/// The first characters of `text`, on one line.
fn quote(text: &str) -> String {
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(QUOTED) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line,
    }
}

/// `text` with every secret (and the part of a URL secret after its host) replaced.
pub(crate) fn scrub(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_owned();
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        out = out.replace(secret, "<redacted>");
        if let Ok(url) = reqwest::Url::parse(secret) {
            let path = url.path();
            if path.len() > 1 {
                out = out.replace(path, "/<redacted>");
            }
            if let Some(query) = url.query() {
                out = out.replace(query, "<redacted>");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrubbing_removes_the_secret_and_its_path() {
        let url = "https://hooks.example/services/T0/B0/XYZ?k=v";
        let text = format!("error sending request for url ({url}): /services/T0/B0/XYZ refused");
        let scrubbed = scrub(&text, &[url]);
        assert!(
            !scrubbed.contains("XYZ") && !scrubbed.contains("k=v"),
            "{scrubbed}"
        );
    }

    #[test]
    fn quotes_are_short_and_on_one_line() {
        assert_eq!(quote("a\n  b"), "a b");
        assert_eq!(quote(&"x".repeat(500)).chars().count(), QUOTED + 1);
    }
}
