//! Reads the platform's JSON answers into [`Job`]s, naming the endpoint and the
//! field whenever a body is not what `docs/platform-openapi.yaml` promises.

use cf_core::route::Provider;
use jiff::Timestamp;
use serde_json::{Map, Value};

use crate::error::PlatformError;
use crate::model::{Job, JobId, JobStatus};

/// The longest server text quoted in an error, so a huge body cannot flood a log.
const QUOTE_LIMIT: usize = 200;

/// Parses a job body returned by `endpoint` (e.g. `GET /v1/jobs/{id}`).
pub(crate) fn job(endpoint: &str, body: &str) -> Result<Job, PlatformError> {
    let value: Value = serde_json::from_str(body)
        .map_err(|e| invalid(endpoint, "(body)", &format!("not JSON: {e}")))?;
    let Value::Object(object) = value else {
        return Err(invalid(endpoint, "(body)", "expected a JSON object"));
    };
    let fields = Fields {
        endpoint,
        object: &object,
    };
    let id = fields.required_str("id")?;
    if id.trim().is_empty() {
        return Err(invalid(endpoint, "id", "must not be empty"));
    }
    let status_text = fields.required_str("status")?;
    let status = JobStatus::ALL
        .into_iter()
        .find(|s| s.as_str() == status_text)
        .ok_or_else(|| {
            invalid(
                endpoint,
                "status",
                &format!(
                    "`{}` is not one of queued, running, completed, failed, cancelled",
                    quote(status_text)
                ),
            )
        })?;
    let provider_text = fields.required_str("provider")?;
    let provider = Provider::from_wire_name(provider_text).ok_or_else(|| {
        invalid(
            endpoint,
            "provider",
            &format!(
                "`{}` is not one of gpu, gemini, claude-api",
                quote(provider_text)
            ),
        )
    })?;
    let submitted_at = fields.timestamp("submitted_at")?.ok_or_else(|| {
        invalid(
            endpoint,
            "submitted_at",
            "is missing; expected an RFC 3339 timestamp",
        )
    })?;
    Ok(Job {
        id: JobId::new(id),
        status,
        result: fields.optional_str("result")?,
        error: fields.optional_str("error")?,
        provider,
        cost_usd: fields.optional_cost("cost_usd")?,
        submitted_at,
        started_at: fields.timestamp("started_at")?,
        finished_at: fields.timestamp("finished_at")?,
    })
}

/// Extracts the human message of an error body (`{"error": "..."}`), or quotes the
/// start of the raw text when the body is not that shape.
pub(crate) fn error_message(body: &str) -> String {
    let from_json = serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v.get("error").and_then(Value::as_str).map(str::to_owned));
    let text = from_json.unwrap_or_else(|| body.trim().to_owned());
    if text.is_empty() {
        "(empty body)".to_owned()
    } else {
        quote(&text)
    }
}

/// Shortens and escapes server text before it goes into an error message.
pub(crate) fn quote(text: &str) -> String {
    let mut short: String = text.chars().take(QUOTE_LIMIT).collect();
    if text.chars().count() > QUOTE_LIMIT {
        short.push('…');
    }
    short.escape_debug().to_string()
}

fn invalid(endpoint: &str, field: &str, detail: &str) -> PlatformError {
    PlatformError::InvalidBody {
        endpoint: endpoint.to_owned(),
        field: field.to_owned(),
        detail: detail.to_owned(),
    }
}

/// One JSON object being read field by field.
struct Fields<'a> {
    endpoint: &'a str,
    object: &'a Map<String, Value>,
}

impl<'a> Fields<'a> {
    fn required_str(&self, name: &str) -> Result<&'a str, PlatformError> {
        match self.object.get(name) {
            Some(Value::String(s)) => Ok(s),
            None | Some(Value::Null) => Err(invalid(self.endpoint, name, "is missing")),
            Some(other) => Err(self.wrong_type(name, "a string", other)),
        }
    }

    fn optional_str(&self, name: &str) -> Result<Option<String>, PlatformError> {
        match self.object.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(self.wrong_type(name, "a string or null", other)),
        }
    }

    fn optional_cost(&self, name: &str) -> Result<Option<f64>, PlatformError> {
        match self.object.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => match n.as_f64() {
                Some(cost) if cost.is_finite() && cost >= 0.0 => Ok(Some(cost)),
                _ => Err(invalid(
                    self.endpoint,
                    name,
                    "must be a non-negative number",
                )),
            },
            Some(other) => Err(self.wrong_type(name, "a number or null", other)),
        }
    }

    fn timestamp(&self, name: &str) -> Result<Option<Timestamp>, PlatformError> {
        let Some(text) = self.optional_str(name)? else {
            return Ok(None);
        };
        text.parse::<Timestamp>().map(Some).map_err(|e| {
            invalid(
                self.endpoint,
                name,
                &format!("`{}` is not an RFC 3339 timestamp: {e}", quote(&text)),
            )
        })
    }

    fn wrong_type(&self, name: &str, expected: &str, got: &Value) -> PlatformError {
        let kind = match got {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        };
        invalid(
            self.endpoint,
            name,
            &format!("expected {expected}, got {kind}"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EP: &str = "GET /v1/jobs/{id}";

    fn field_of(body: &str) -> String {
        match job(EP, body) {
            Err(PlatformError::InvalidBody {
                field, endpoint, ..
            }) => {
                assert_eq!(endpoint, EP);
                field
            }
            other => panic!("expected InvalidBody for {body}, got {other:?}"),
        }
    }

    #[test]
    fn a_full_job_parses() {
        let job = job(
            EP,
            r#"{"id":"j-1","status":"completed","provider":"claude-api","result":"done",
                "error":null,"cost_usd":0.25,"submitted_at":"2026-04-17T02:00:00Z",
                "started_at":"2026-04-17T02:00:01Z","finished_at":"2026-04-17T02:01:00Z",
                "extra":"ignored"}"#,
        )
        .unwrap();
        assert_eq!(job.id.as_str(), "j-1");
        assert_eq!(job.status, JobStatus::Completed);
        assert_eq!(job.provider, Provider::ClaudeApi);
        assert_eq!(job.result.as_deref(), Some("done"));
        assert_eq!(job.cost_usd, Some(0.25));
        assert_eq!(job.finished_at.unwrap().to_string(), "2026-04-17T02:01:00Z");
    }

    #[test]
    fn each_bad_field_is_named() {
        let ok = r#""provider":"gpu","submitted_at":"2026-04-17T02:00:00Z""#;
        assert_eq!(field_of("not json"), "(body)");
        assert_eq!(field_of("[1]"), "(body)");
        assert_eq!(field_of(&format!(r#"{{"status":"queued",{ok}}}"#)), "id");
        assert_eq!(
            field_of(&format!(r#"{{"id":7,"status":"queued",{ok}}}"#)),
            "id"
        );
        assert_eq!(
            field_of(&format!(r#"{{"id":"","status":"queued",{ok}}}"#)),
            "id"
        );
        assert_eq!(
            field_of(&format!(r#"{{"id":"j","status":"done",{ok}}}"#)),
            "status"
        );
        assert_eq!(
            field_of(
                r#"{"id":"j","status":"queued","provider":"gpt","submitted_at":"2026-04-17T02:00:00Z"}"#
            ),
            "provider"
        );
        assert_eq!(
            field_of(r#"{"id":"j","status":"queued","provider":"gpu"}"#),
            "submitted_at"
        );
        assert_eq!(
            field_of(&format!(
                r#"{{"id":"j","status":"queued",{ok},"cost_usd":"1"}}"#
            )),
            "cost_usd"
        );
        assert_eq!(
            field_of(&format!(
                r#"{{"id":"j","status":"queued",{ok},"cost_usd":-1}}"#
            )),
            "cost_usd"
        );
        assert_eq!(
            field_of(&format!(
                r#"{{"id":"j","status":"queued",{ok},"started_at":"yesterday"}}"#
            )),
            "started_at"
        );
        assert_eq!(
            field_of(&format!(r#"{{"id":"j","status":"failed",{ok},"error":5}}"#)),
            "error"
        );
    }

    #[test]
    fn error_messages_are_short_and_escaped() {
        assert_eq!(error_message(r#"{"error":"bad provider"}"#), "bad provider");
        assert_eq!(error_message(""), "(empty body)");
        assert_eq!(error_message("oops\n\u{1b}[2J"), "oops\\n\\u{1b}[2J");
        let long = "x".repeat(1000);
        assert_eq!(error_message(&long).chars().count(), QUOTE_LIMIT + 1);
    }
}
