//! Reading a pane: its visible text, its scrollback, and what runs in it.

use crate::Tmux;
use crate::command::Invocation;
use crate::error::TmuxError;
use crate::names::pane_target;

/// What runs in a session's active pane, from `list-panes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaneInfo {
    /// Name of the foreground process (`bash`, `cat`, `claude`, ...): tells a shell
    /// prompt from a running agent.
    pub current_command: String,
    /// Process id of the pane's first process (the shell or the session command).
    pub pid: u32,
    /// Whether that process has exited while the pane stays open (`remain-on-exit on`).
    pub dead: bool,
    /// Pane width in columns.
    pub width: u16,
    /// Pane height in rows.
    pub height: u16,
}

/// The `list-panes -F` format: fixed-shape fields first, the free-text command last.
const PANE_FORMAT: &str = "#{pane_active}\t#{pane_pid}\t#{pane_dead}\t#{pane_width}\t#{pane_height}\t#{pane_current_command}";

impl Tmux {
    /// The visible text of the session's active pane (`capture-pane -p`, no colours).
    ///
    /// Returned as tmux prints it: one line per pane row, each ending in `\n` (so the
    /// text ends with `\n`), trailing spaces of each row removed by tmux, and trailing
    /// blank rows kept (a fresh 50-row pane gives mostly empty lines): strip them
    /// before looking at "the last lines". This is byte for byte the format of the
    /// recordings in `shared/claude-code/*.txt`. Note `❯` is followed by U+00A0,
    /// which `str::trim` removes.
    pub async fn capture_screen(&self, name: &str) -> Result<String, TmuxError> {
        let target = pane_target(name)?;
        let output = self
            .run(
                &Invocation::new(["capture-pane", "-p", "-t", &target]),
                Some(name),
            )
            .await?;
        Ok(output.stdout)
    }

    /// Like [`Tmux::capture_screen`], but starting up to `lines` rows back in the
    /// scrollback (`-S -lines`); the result has as many lines as history exists plus
    /// the visible rows.
    pub async fn capture_with_history(&self, name: &str, lines: u32) -> Result<String, TmuxError> {
        let target = pane_target(name)?;
        let start = format!("-{lines}");
        let invocation = Invocation::new(["capture-pane", "-p", "-S", &start, "-t", &target]);
        let output = self.run(&invocation, Some(name)).await?;
        Ok(output.stdout)
    }

    /// What runs in the active pane of the session's current window.
    ///
    /// Uses `list-panes` (which fails on a missing session) rather than
    /// `display-message`, which in tmux 3.3 prints an empty line and succeeds.
    pub async fn pane_info(&self, name: &str) -> Result<PaneInfo, TmuxError> {
        let target = pane_target(name)?;
        let invocation = Invocation::new(["list-panes", "-t", &target, "-F", PANE_FORMAT]);
        let output = self.run(&invocation, Some(name)).await?;
        let lines: Vec<&str> = output.stdout.lines().collect();
        let chosen = lines
            .iter()
            .find(|line| line.starts_with("1\t"))
            .or_else(|| lines.first());
        let parsed = chosen.and_then(|line| parse_pane_line(line));
        parsed.ok_or_else(|| TmuxError::UnexpectedOutput {
            command: output.command,
            detail: format!(
                "expected one `{PANE_FORMAT}` line per pane, got {:?}",
                output.stdout
            ),
        })
    }

    /// The name of the session that holds pane `pane_id` (`%12`, as in `$TMUX_PANE`).
    /// Used by the hooks of agents the daemon did not launch (dedicated sessions).
    pub async fn session_of_pane(&self, pane_id: &str) -> Result<String, TmuxError> {
        let valid = pane_id.len() > 1
            && pane_id.starts_with('%')
            && pane_id[1..].bytes().all(|b| b.is_ascii_digit());
        if !valid {
            return Err(TmuxError::InvalidArgument {
                operation: "session-of-pane",
                reason: format!("`{pane_id}` is not a pane id like `%12`"),
            });
        }
        let invocation = Invocation::new(["list-panes", "-a", "-F", "#{pane_id}\t#{session_name}"]);
        let output = self.run(&invocation, None).await?;
        output
            .stdout
            .lines()
            .filter_map(|line| line.split_once('\t'))
            .find(|(pane, _)| *pane == pane_id)
            .map(|(_, session)| session.to_string())
            .ok_or_else(|| TmuxError::UnexpectedOutput {
                command: output.command,
                detail: format!("no pane {pane_id} on this server"),
            })
    }
}

/// Parses one line of [`PANE_FORMAT`].
fn parse_pane_line(line: &str) -> Option<PaneInfo> {
    let mut fields = line.splitn(6, '\t');
    let _active = fields.next()?;
    let pid = fields.next()?.parse().ok()?;
    let dead = match fields.next()? {
        "1" => true,
        "0" => false,
        _ => return None,
    };
    let width = fields.next()?.parse().ok()?;
    let height = fields.next()?.parse().ok()?;
    let current_command = fields.next()?.to_owned();
    Some(PaneInfo {
        current_command,
        pid,
        dead,
        width,
        height,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_pane_line() {
        assert_eq!(
            parse_pane_line("1\t4242\t0\t200\t50\tclaude"),
            Some(PaneInfo {
                current_command: "claude".to_owned(),
                pid: 4242,
                dead: false,
                width: 200,
                height: 50,
            })
        );
        let with_tab = parse_pane_line("0\t1\t1\t80\t24\tweird\tname").unwrap();
        assert_eq!(with_tab.current_command, "weird\tname");
        assert!(with_tab.dead);
    }

    #[test]
    fn refuses_malformed_pane_lines() {
        assert_eq!(parse_pane_line(""), None);
        assert_eq!(parse_pane_line("1\tx\t0\t80\t24\tbash"), None);
        assert_eq!(parse_pane_line("1\t1\t2\t80\t24\tbash"), None);
        assert_eq!(parse_pane_line("1\t1\t0\t80\t24"), None);
    }
}
