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
    let reading = cf_core::screen::classify(&text);
    out!("{}", cf_core::screen::render_report(&reading))?;
    if !cf_core::screen::render_report(&reading).ends_with('\n') {
        outln!()?;
    }
    Ok(ExitCode::SUCCESS)
}
