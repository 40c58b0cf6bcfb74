//! Session-name validation and the exact-match target strings built from valid names.
//!
//! tmux resolves `-t name` by prefix and fnmatch pattern, so `ccl-auto-1` could hit
//! `ccl-auto-11`. Prefixing `=` makes tmux 3.3 match the session name exactly; pane
//! targets add `:` (the session's current window and its active pane). Names are
//! checked first so that what tmux stores is exactly what we wrote: tmux rewrites `:`
//! and `.` to `_`, escapes `\` and control characters, and expands `#{…}` formats in
//! `new-session -s`.

use crate::error::TmuxError;

/// Checks that `name` can be used as a tmux session name and matched back exactly.
///
/// Refused: empty names, names starting with `=` or `-`, and names containing `:`, `.`,
/// `#`, `\` or any control character. Spaces and non-ASCII letters are allowed.
pub fn validate_session_name(name: &str) -> Result<(), TmuxError> {
    let refuse = |reason: &'static str| {
        Err(TmuxError::InvalidSessionName {
            name: name.to_owned(),
            reason,
        })
    };
    if name.is_empty() {
        return refuse("it is empty");
    }
    if name.starts_with('=') {
        return refuse("it starts with `=`, which tmux reads as an exact-match marker");
    }
    if name.starts_with('-') {
        return refuse("it starts with `-`, which tmux reads as an option");
    }
    for character in name.chars() {
        match character {
            ':' => return refuse("it contains `:`, which separates session and window"),
            '.' => return refuse("it contains `.`, which separates window and pane"),
            '#' => return refuse("it contains `#`, which tmux expands as a format"),
            '\\' => return refuse("it contains `\\`, which tmux escapes in names"),
            other if other.is_control() => return refuse("it contains a control character"),
            _ => {}
        }
    }
    Ok(())
}

/// Target for commands that take a session (`has-session`, `kill-session`, ...).
pub(crate) fn session_target(name: &str) -> Result<String, TmuxError> {
    validate_session_name(name)?;
    Ok(format!("={name}"))
}

/// Target for commands that take a pane (`send-keys`, `capture-pane`, `paste-buffer`, ...):
/// the active pane of the session's current window.
pub(crate) fn pane_target(name: &str) -> Result<String, TmuxError> {
    validate_session_name(name)?;
    Ok(format!("={name}:"))
}

/// Checks an environment variable name for `-e` / `show-environment`.
pub(crate) fn validate_env_key(operation: &'static str, key: &str) -> Result<(), TmuxError> {
    if key.is_empty() || key.contains('=') || key.chars().any(char::is_control) {
        return Err(TmuxError::InvalidArgument {
            operation,
            reason: format!(
                "environment variable name {key:?} must be non-empty, without `=` and control characters"
            ),
        });
    }
    Ok(())
}

/// Refuses text that cannot travel in an argv element (NUL bytes).
pub(crate) fn reject_nul(operation: &'static str, what: &str, text: &str) -> Result<(), TmuxError> {
    if text.contains('\0') {
        return Err(TmuxError::InvalidArgument {
            operation,
            reason: format!(
                "{what} contains a NUL byte, which cannot be passed to tmux; remove it"
            ),
        });
    }
    Ok(())
}

/// Escapes `#` so tmux's format expansion (applied to `new-session -c`) gives back the input.
pub(crate) fn escape_format(text: &str) -> String {
    text.replace('#', "##")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_names() {
        for name in [
            "ccl-auto-1",
            "ccl-1-conformvault",
            "a b",
            "é",
            "x*",
            "x[1]",
            "$1",
            "%2",
        ] {
            assert!(validate_session_name(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn refuses_names_tmux_would_change_or_misread() {
        for name in [
            "",
            "=a",
            "-a",
            "a:b",
            "a.b",
            "a#{pid}",
            "a\\b",
            "a\nb",
            "a\tb",
            "a\u{7f}",
            "a\u{1b}[0m",
            "a\0",
        ] {
            let error = validate_session_name(name).expect_err(name);
            assert!(
                matches!(error, TmuxError::InvalidSessionName { .. }),
                "{name}: {error}"
            );
        }
    }

    #[test]
    fn targets_use_exact_match_form() {
        assert_eq!(session_target("ccl-auto-1").unwrap(), "=ccl-auto-1");
        assert_eq!(pane_target("ccl-auto-1").unwrap(), "=ccl-auto-1:");
        assert!(pane_target("a.b").is_err());
    }

    #[test]
    fn env_keys_are_checked() {
        assert!(validate_env_key("x", "HOME").is_ok());
        assert!(validate_env_key("x", "").is_err());
        assert!(validate_env_key("x", "A=B").is_err());
        assert!(validate_env_key("x", "A\nB").is_err());
    }

    #[test]
    fn format_escape_doubles_hashes() {
        assert_eq!(escape_format("/tmp/a#{pid}#"), "/tmp/a##{pid}##");
        assert_eq!(escape_format("/tmp/plain"), "/tmp/plain");
    }
}
