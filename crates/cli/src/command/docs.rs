//! `completions` and `man`: shell completions (clap_complete) and the man page (clap_mangen),
//! generated from the very CLI definition the binary parses, so they cannot drift from it.

use std::process::ExitCode;

use anyhow::Context;
use clap::CommandFactory;

use super::Cli;
use crate::output::out;

/// Prints the completion script for `shell`.
pub fn completions(shell: clap_complete::Shell) -> anyhow::Result<ExitCode> {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "claude-failover", &mut script);
    out!("{}", String::from_utf8_lossy(&script))?;
    Ok(ExitCode::SUCCESS)
}

/// Prints the man page (roff).
pub fn man() -> anyhow::Result<ExitCode> {
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut page)
        .context("cannot render the man page")?;
    out!("{}", String::from_utf8_lossy(&page))?;
    Ok(ExitCode::SUCCESS)
}
