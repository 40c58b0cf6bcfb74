//! `claude-failover hooks install|check`: the Claude Code hooks that signal the end of a turn.

use std::path::Path;
use std::process::ExitCode;

use crate::output::outln;
use anyhow::Context;
use cf_accounts::{FileChange, HookCommands, HookStatus};
use cf_core::shell::shell_quote;

/// The hook commands for this binary and this config's signal dir.
pub fn hook_commands(signal_dir: &Path) -> anyhow::Result<HookCommands> {
    let exe = std::env::current_exe()
        .context("cannot find the path of this program for the hook commands")?;
    Ok(hook_commands_for(&exe, signal_dir))
}

/// The hook commands that run `program hook …` for the signal dir.
pub fn hook_commands_for(program: &Path, signal_dir: &Path) -> HookCommands {
    let exe = shell_quote(&program.display().to_string());
    let dir = shell_quote(&signal_dir.display().to_string());
    // The trailing comment carries the marker that recognises our entries whatever the path.
    HookCommands {
        stop: format!("{exe} hook stop --signal-dir {dir} # claude-failover hook (managed)"),
        stop_failure: format!(
            "{exe} hook stop-failure --signal-dir {dir} # claude-failover hook (managed)"
        ),
        session_start: Some(format!(
            "{exe} hook session-start --signal-dir {dir} # claude-failover hook (managed)"
        )),
        status_line: Some(format!(
            "{exe} hook statusline --signal-dir {dir} # claude-failover hook (managed)"
        )),
    }
}

pub fn install(config: &Path) -> anyhow::Result<ExitCode> {
    let cfg = super::load_config(config)?;
    let commands = hook_commands(&cfg.watcher.done_signal_dir)?;
    for account in &cfg.accounts {
        let report =
            cf_accounts::install_hooks(&account.config_dir, &commands, jiff::Timestamp::now())
                .with_context(|| format!("account {}: cannot install the hooks", account.name))?;
        let what = match &report.file {
            FileChange::Unchanged => "already in place, nothing changed".to_string(),
            FileChange::Created => "created".to_string(),
            FileChange::Rewritten { backup } => format!("updated (backup: {})", backup.display()),
        };
        outln!(
            "{}: {} {what}",
            account.name,
            report.settings_path.display()
        )?;
        if let Some(saved) = &report.saved_status_line {
            outln!(
                "{}: your own status line was saved in {}; ours runs it and shows what it prints (`hooks uninstall` puts it back)",
                account.name,
                saved.display()
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `hooks uninstall`: takes our hooks and status line out and puts the operator's own back.
pub fn uninstall(config: &Path) -> anyhow::Result<ExitCode> {
    let cfg = super::load_config(config)?;
    for account in &cfg.accounts {
        let change = cf_accounts::uninstall_hooks(&account.config_dir, jiff::Timestamp::now())
            .with_context(|| format!("account {}: cannot remove the hooks", account.name))?;
        let what = match change {
            FileChange::Unchanged => "none of ours was there, nothing changed".to_string(),
            FileChange::Created => "written".to_string(),
            FileChange::Rewritten { backup } => {
                format!(
                    "hooks and status line removed (backup: {})",
                    backup.display()
                )
            }
        };
        outln!("{}: {what}", account.name)?;
    }
    Ok(ExitCode::SUCCESS)
}

pub fn check(config: &Path) -> anyhow::Result<ExitCode> {
    let cfg = super::load_config(config)?;
    let commands = hook_commands(&cfg.watcher.done_signal_dir)?;
    let mut all_ok = true;
    for account in &cfg.accounts {
        let status = cf_accounts::check_hooks(&account.config_dir, &commands)
            .with_context(|| format!("account {}: cannot check the hooks", account.name))?;
        let line = match &status {
            HookStatus::Installed => {
                match cf_accounts::saved_status_line_command(&account.config_dir) {
                    Some(theirs) => format!(
                        "ok: Stop, StopFailure and SessionStart hooks and the status line in place (it also runs yours: {theirs})"
                    ),
                    None => {
                        "ok: Stop, StopFailure and SessionStart hooks and the status line in place"
                            .to_string()
                    }
                }
            }
            HookStatus::Missing(events) => format!("missing: {}", join(events)),
            HookStatus::Outdated(events) => format!("outdated: {}", join(events)),
        };
        all_ok &= status == HookStatus::Installed;
        outln!("{}: {line}", account.name)?;
    }
    if all_ok {
        Ok(ExitCode::SUCCESS)
    } else {
        outln!(
            "run `claude-failover hooks install --config {}` to fix",
            config.display()
        )?;
        Ok(ExitCode::from(1))
    }
}

fn join(events: &[cf_accounts::HookEvent]) -> String {
    events
        .iter()
        .map(|e| e.name())
        .collect::<Vec<_>>()
        .join(", ")
}
