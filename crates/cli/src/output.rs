//! Writing the commands' output without panicking when the reader goes away.
//!
//! `println!` panics when standard output is a pipe whose reader has closed
//! (`claude-failover tasks | head -1`). Every command writes through [`outln!`] / [`out!`]
//! instead: a closed pipe becomes the [`StdoutClosed`] error, which `main` turns into a quiet
//! exit with status 0; any other write failure (a full disk behind a redirect) is reported.
//!
//! Why not reset `SIGPIPE` to its default at the start of `main`, as C programs behave? The
//! signal would kill the process on a write to *any* closed pipe, not only standard output:
//! the daemon (`run`, `demo`) writes into the stdin of `tmux` children (pastes go through
//! `load-buffer -`), and one such child dying early would take the whole daemon down without
//! a word. With Rust's default (`SIGPIPE` ignored) those writes fail with `EPIPE` and are
//! handled where they happen; only standard output is treated as "the reader is gone, stop".
//!
//! Standard error gets [`errln!`], which never fails: when nobody reads our complaints there is
//! nobody left to tell, and the exit status must stay the command's own.

use std::fmt;
use std::io::{self, Write};

/// Standard output is a pipe nobody reads any more: stop quietly.
#[derive(Debug)]
pub struct StdoutClosed;

impl fmt::Display for StdoutClosed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("standard output is closed")
    }
}

impl std::error::Error for StdoutClosed {}

/// Whether `error` (or anything in its chain) is [`StdoutClosed`].
pub fn is_stdout_closed(error: &anyhow::Error) -> bool {
    error.chain().any(|e| e.is::<StdoutClosed>())
}

/// Writes `args` to standard output and flushes, so that a closed pipe is seen here and not
/// when the buffer is dropped at exit.
pub fn print(args: fmt::Arguments<'_>) -> anyhow::Result<()> {
    let mut stdout = io::stdout().lock();
    match stdout.write_fmt(args).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Err(StdoutClosed.into()),
        Err(e) => Err(anyhow::Error::new(e).context("cannot write to standard output")),
    }
}

/// Writes `args` to standard error, ignoring failures (see the module comment).
pub fn eprint(args: fmt::Arguments<'_>) {
    let _ = io::stderr().lock().write_fmt(args);
}

/// The error and its causes joined with `: ` (what `{:#}` prints), each said once: a cause
/// whose text its outer message already includes (`cannot open x: {source}` over that same
/// `source`) is not repeated.
pub fn error_text(error: &anyhow::Error) -> String {
    let error: &(dyn std::error::Error + 'static) = error.as_ref();
    cf_daemon::error_chain(error)
}

/// `print!` that returns an error instead of panicking: `out!("…")?`.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::output::print(format_args!($($arg)*))
    };
}

/// `println!` that returns an error instead of panicking: `outln!("…")?`.
macro_rules! outln {
    () => {
        $crate::output::print(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::output::print(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `eprintln!` that never panics.
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::output::eprint(format_args!("{}\n", format_args!($($arg)*)))
    };
}

pub(crate) use {errln, out, outln};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closed_stdout_is_recognised_through_context() {
        let error = anyhow::Error::new(StdoutClosed).context("while listing the tasks");
        assert!(is_stdout_closed(&error));
        let other = anyhow::anyhow!("standard output is closed");
        assert!(!is_stdout_closed(&other));
    }

    /// An error whose message includes its source, as `thiserror` ones with `{source}` do.
    #[derive(Debug)]
    struct Wrapping(std::io::Error);

    impl fmt::Display for Wrapping {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "cannot open x.md: {}", self.0)
        }
    }

    impl std::error::Error for Wrapping {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn error_text_says_each_cause_once() {
        let io = std::io::Error::other("disk on fire");
        let error = anyhow::Error::new(Wrapping(io)).context("cannot add the task");
        assert_eq!(
            format!("{error:#}"),
            "cannot add the task: cannot open x.md: disk on fire: disk on fire"
        );
        assert_eq!(
            error_text(&error),
            "cannot add the task: cannot open x.md: disk on fire"
        );
        let plain = anyhow::anyhow!("inner").context("outer");
        assert_eq!(error_text(&plain), "outer: inner");
    }
}
