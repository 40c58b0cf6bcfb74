//! The text appended to a delegated task when it finishes: the result (or error) and a footer.
//!
//! Pure: built from the platform's [`Job`] and the sidecar. Every value is sanitized (no
//! escape sequences from a model's answer end up in a file an operator `cat`s) and footer
//! values are kept on one line so that hostile text cannot break the block.

use cf_core::footer::{format_duration, one_line, render_block};
use cf_core::text::sanitize_task_text;
use cf_platform::{Job, JobStatus};
use jiff::Timestamp;

use crate::sidecar::DelegatedSidecar;

/// The marker line that identifies a delegation footer block in a finished task file.
pub const DELEGATION_FOOTER_MARKER: &str = "<!-- claude-failover delegated -->";

/// The result section and footer for a job in a terminal state; `finished_fallback` stands
/// in for `finished_at` when the platform did not report it (the time the reaper saw it).
pub fn render_outcome(
    job: &Job,
    sidecar: &DelegatedSidecar,
    finished_fallback: Timestamp,
) -> String {
    let (heading, text) = match job.status {
        JobStatus::Completed => (
            format!("Result ({})", job.provider),
            job.result.as_deref().unwrap_or(""),
        ),
        status => (
            format!("Job {status}"),
            job.error
                .as_deref()
                .unwrap_or("the platform gave no reason"),
        ),
    };
    let mut out = format!(
        "\n\n---\n## {heading}\n\n{}\n",
        sanitize_task_text(text).trim_end()
    );
    out.push_str(&render_footer(job, sidecar, finished_fallback));
    out
}

/// The footer for a task that never got a terminal job (e.g. the platform forgot the id).
pub fn render_lost_job(sidecar: &DelegatedSidecar, reason: &str, now: Timestamp) -> String {
    let lines = [
        ("provider", sidecar.provider.to_string()),
        ("job", one_line(sidecar.job_id.as_str())),
        ("submitted", sidecar.submitted_at.to_string()),
        ("given up", now.to_string()),
        ("outcome", "lost".to_owned()),
    ];
    let mut out = format!("\n\n---\n## Job lost\n\n{}\n", one_line(reason));
    out.push_str(&render_block("\n", DELEGATION_FOOTER_MARKER, &lines));
    out
}

/// `---`, the marker, then `- key: value` lines.
fn render_footer(job: &Job, sidecar: &DelegatedSidecar, finished_fallback: Timestamp) -> String {
    let submitted = sidecar.submitted_at.min(job.submitted_at);
    let finished = job.finished_at.unwrap_or(finished_fallback);
    let cost = job
        .cost_usd
        .map_or_else(|| "unknown".to_owned(), |c| format!("${c:.4}"));
    let mut lines = vec![
        ("provider", job.provider.to_string()),
        ("cost", cost),
        ("job", one_line(job.id.as_str())),
        ("submitted", submitted.to_string()),
    ];
    if let Some(started) = job.started_at {
        lines.push(("started", started.to_string()));
        lines.push(("waited", format_duration(submitted, started)));
        lines.push(("ran", format_duration(started, finished)));
    }
    lines.push(("finished", finished.to_string()));
    lines.push(("total", format_duration(submitted, finished)));
    lines.push(("outcome", job.status.to_string()));
    render_block("\n", DELEGATION_FOOTER_MARKER, &lines)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cf_core::Priority;
    use cf_core::route::Provider;
    use cf_platform::JobId;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn sidecar() -> DelegatedSidecar {
        DelegatedSidecar {
            job_id: JobId::new("job-7"),
            provider: Provider::Gemini,
            submitted_at: ts("2026-04-17T02:00:00Z"),
            priority: Priority::Default,
        }
    }

    fn job(status: JobStatus) -> Job {
        Job {
            id: JobId::new("job-7"),
            status,
            result: Some("the \u{1b}[31manswer\n".into()),
            error: Some("model overloaded".into()),
            provider: Provider::Gemini,
            cost_usd: Some(0.0125),
            submitted_at: ts("2026-04-17T02:00:00Z"),
            started_at: Some(ts("2026-04-17T02:00:05Z")),
            finished_at: Some(ts("2026-04-17T02:01:10Z")),
        }
    }

    #[test]
    fn completed_has_result_and_full_footer() {
        let text = render_outcome(&job(JobStatus::Completed), &sidecar(), Timestamp::now());
        assert_eq!(
            text,
            "\n\n---\n## Result (gemini)\n\nthe answer\n\n---\n\
             <!-- claude-failover delegated -->\n\
             - provider: gemini\n- cost: $0.0125\n- job: job-7\n\
             - submitted: 2026-04-17T02:00:00Z\n- started: 2026-04-17T02:00:05Z\n\
             - waited: 5s\n- ran: 1m 5s\n- finished: 2026-04-17T02:01:10Z\n\
             - total: 1m 10s\n- outcome: completed\n"
        );
    }

    #[test]
    fn lost_job_has_the_reason_on_one_line_and_a_short_footer() {
        let text = render_lost_job(
            &sidecar(),
            "the platform does not know\njob `job-7`",
            ts("2026-04-17T03:00:00Z"),
        );
        assert_eq!(
            text,
            "\n\n---\n## Job lost\n\nthe platform does not know job `job-7`\n\n---\n\
             <!-- claude-failover delegated -->\n\
             - provider: gemini\n- job: job-7\n- submitted: 2026-04-17T02:00:00Z\n\
             - given up: 2026-04-17T03:00:00Z\n- outcome: lost\n"
        );
    }

    #[test]
    fn failed_has_the_error_and_fallback_time() {
        let mut failed = job(JobStatus::Failed);
        failed.started_at = None;
        failed.finished_at = None;
        failed.cost_usd = None;
        let text = render_outcome(&failed, &sidecar(), ts("2026-04-17T03:00:00Z"));
        assert!(
            text.contains("## Job failed\n\nmodel overloaded\n"),
            "{text}"
        );
        assert!(text.contains("- cost: unknown\n"), "{text}");
        assert!(
            text.contains("- finished: 2026-04-17T03:00:00Z\n"),
            "{text}"
        );
        assert!(text.contains("- total: 1h 0m 0s\n"), "{text}");
        assert!(!text.contains("- started:"), "{text}");
        assert!(!text.contains("answer"), "{text}");
    }
}
