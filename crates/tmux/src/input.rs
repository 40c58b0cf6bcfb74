//! Sending input to a pane: typed text, single keys, and bracketed pastes.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::Tmux;
use crate::command::{Arg, Invocation};
use crate::error::TmuxError;
use crate::names::{pane_target, reject_nul};

/// A key pressed on its own (`send-keys` with a tmux key name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// Submits a line (tmux sends CR).
    Enter,
    /// Interrupts Claude Code / closes its menus.
    Escape,
    /// Ctrl-C.
    CtrlC,
    /// Cursor up (menu navigation).
    Up,
    /// Cursor down (menu navigation).
    Down,
    /// A digit key `0`..=`9` (menu choices); larger values are refused.
    Digit(u8),
}

impl Key {
    /// The tmux key name, or an error for an out-of-range digit.
    fn tmux_name(self) -> Result<String, TmuxError> {
        Ok(match self {
            Key::Enter => "Enter".to_owned(),
            Key::Escape => "Escape".to_owned(),
            Key::CtrlC => "C-c".to_owned(),
            Key::Up => "Up".to_owned(),
            Key::Down => "Down".to_owned(),
            Key::Digit(digit @ 0..=9) => digit.to_string(),
            Key::Digit(other) => {
                return Err(TmuxError::InvalidArgument {
                    operation: "send-keys",
                    reason: format!("Key::Digit({other}) is not a single digit; use 0 to 9"),
                });
            }
        })
    }
}

/// Counts pastes made by this process, part of each buffer name.
static PASTE_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A paste-buffer name no other paste uses: tmux buffers belong to the whole server,
/// so a shared name lets concurrent pastes paste each other's text.
fn unique_buffer_name() -> String {
    let count = PASTE_COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos())
        .unwrap_or_default();
    let random = RandomState::new().hash_one((count, nanos)) as u32;
    format!("cf-paste-{}-{count}-{random:08x}", std::process::id())
}

impl Tmux {
    /// Types `text` literally into the pane (`send-keys -l -- text`): for shell command
    /// lines. No Enter is added; use [`Tmux::press`] with [`Key::Enter`] as its own call.
    pub async fn type_text(&self, name: &str, text: &str) -> Result<(), TmuxError> {
        let target = pane_target(name)?;
        reject_nul("send-keys", "the typed text", text)?;
        let mut invocation = Invocation::new(["send-keys", "-t", &target, "-l", "--"]);
        invocation.arg(Arg::Hidden(text.to_owned()));
        self.run(&invocation, Some(name)).await?;
        Ok(())
    }

    /// Presses one key, as its own tmux call (Claude Code takes an Enter that arrives in
    /// the same write as text as part of a paste).
    pub async fn press(&self, name: &str, key: Key) -> Result<(), TmuxError> {
        let target = pane_target(name)?;
        let key_name = key.tmux_name()?;
        let invocation = Invocation::new(["send-keys", "-t", &target, &key_name]);
        self.run(&invocation, Some(name)).await?;
        Ok(())
    }

    /// Pastes `text` into the pane as a bracketed paste (markers are sent only if the
    /// program in the pane asked for them): one tmux process runs
    /// `load-buffer -b <unique> -` with the text on stdin, then
    /// `paste-buffer -p -d -b <unique> -t =name:`. The buffer is deleted by the paste,
    /// or by an extra `delete-buffer` when the paste failed. Newlines arrive as newlines.
    /// Sanitizing the text is the caller's job; it never appears in argv, errors or logs.
    pub async fn paste(&self, name: &str, text: &str) -> Result<(), TmuxError> {
        let target = pane_target(name)?;
        if text.is_empty() {
            return Err(TmuxError::InvalidArgument {
                operation: "paste",
                reason: format!(
                    "the text to paste into {name:?} is empty; there is nothing to paste"
                ),
            });
        }
        let buffer = unique_buffer_name();
        let mut invocation = Invocation::new(["load-buffer", "-b", &buffer, "-"]);
        invocation.separator().plain_all([
            "paste-buffer",
            "-p",
            "-d",
            "-b",
            &buffer,
            "-t",
            &target,
        ]);
        invocation.stdin(text);
        let result = self.run(&invocation, Some(name)).await;
        if result.is_err() {
            self.delete_buffer_quietly(&buffer).await;
        }
        result.map(|_output| ())
    }

    /// Best-effort removal of a paste buffer left behind by a failed paste.
    async fn delete_buffer_quietly(&self, buffer: &str) {
        let invocation = Invocation::new(["delete-buffer", "-b", buffer]);
        match self.run_raw(&invocation).await {
            Ok(output) if output.success => {}
            // "no buffer": the load never happened or the paste consumed it.
            Ok(output) => tracing::debug!(stderr = %output.stderr, "paste buffer was already gone"),
            Err(error) => tracing::warn!(%error, "could not delete paste buffer {buffer}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn key_names_match_tmux() {
        assert_eq!(Key::Enter.tmux_name().unwrap(), "Enter");
        assert_eq!(Key::Escape.tmux_name().unwrap(), "Escape");
        assert_eq!(Key::CtrlC.tmux_name().unwrap(), "C-c");
        assert_eq!(Key::Up.tmux_name().unwrap(), "Up");
        assert_eq!(Key::Down.tmux_name().unwrap(), "Down");
        assert_eq!(Key::Digit(0).tmux_name().unwrap(), "0");
        assert_eq!(Key::Digit(9).tmux_name().unwrap(), "9");
        assert!(Key::Digit(10).tmux_name().is_err());
    }

    #[test]
    fn buffer_names_are_unique_and_carry_the_pid() {
        let names: HashSet<String> = (0..1000).map(|_| unique_buffer_name()).collect();
        assert_eq!(names.len(), 1000);
        let pid = format!("cf-paste-{}-", std::process::id());
        assert!(names.iter().all(|name| name.starts_with(&pid)));
    }
}
