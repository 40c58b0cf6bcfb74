//! `claude-failover screen classify FILE`.

use std::io::Read;
use std::path::Path;
use std::process::ExitCode;

use crate::output::{out, outln};
use anyhow::Context;

pub fn run(file: &Path) -> anyhow::Result<ExitCode> {
    let mut bytes = Vec::new();
    if file == Path::new("-") {
        std::io::stdin()
            .read_to_end(&mut bytes)
            .context("cannot read the screen from standard input")?;
    } else {
        bytes = std::fs::read(file)
            .with_context(|| format!("cannot read the screen {}", file.display()))?;
    }
    let text = String::from_utf8_lossy(&bytes);
    // A capture with attributes (`capture-pane -e`) is read as such: a dim hint is no input.
    let reading = if text.contains('\u{1b}') {
        cf_core::screen::classify_styled(&text)
    } else {
        cf_core::screen::classify(&text)
    };
    let plain = cf_core::screen::strip_styles(&text);
    out!("{}", cf_core::screen::render_report(&reading))?;
    if !cf_core::screen::render_report(&reading).ends_with('\n') {
        outln!()?;
    }
    outln!("turn: {}", turn_line(&plain))?;
    Ok(ExitCode::SUCCESS)
}

/// What the screen alone says about how the last turn ended (`cf_core::turn`).
fn turn_line(screen: &str) -> String {
    use cf_core::turn::{TurnFacts, TurnOutcome, judge_turn};
    let facts = TurnFacts {
        screen: Some(screen),
        ..TurnFacts::default()
    };
    let tz = jiff::tz::TimeZone::try_system().unwrap_or(jiff::tz::TimeZone::UTC);
    match judge_turn(&facts, jiff::Timestamp::now(), &tz) {
        TurnOutcome::Success { .. } => "no error on screen".to_string(),
        TurnOutcome::UsageLimit { reset_at, .. } => match reset_at {
            Some(at) => format!("usage limit, resets {at}"),
            None => "usage limit".to_string(),
        },
        TurnOutcome::Failed(f) => format!("{} error ({}): {}", f.class.as_str(), f.kind, f.reason),
    }
}
