//! The terminal port: every operation the daemon needs from tmux, behind one small trait.
//!
//! [`cf_tmux::Tmux`] implements it for real; tests implement it with a scripted in-memory
//! terminal that plays the recorded agent screens (`crates/daemon/tests/in_process/`), so that
//! dispatch, completion, recovery and swaps run in-process on tokio's paused time. The trait
//! is object-safe (boxed futures): the daemon holds an `Arc<dyn Terminal>` and hands clones to
//! its launch jobs.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use cf_tmux::{Key, NewSession, PaneInfo, Tmux, TmuxError};

/// What a terminal operation returns: a boxed future, so that the trait stays object-safe.
pub type TerminalFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, TmuxError>> + Send + 'a>>;

/// The sessions the daemon drives, and what it does to them.
///
/// Names are exact (never prefixes); typed and pasted text is data, never keys: an
/// implementation must deliver it literally (cf-tmux does: `send-keys -l`, bracketed paste).
pub trait Terminal: Send + Sync + 'static {
    /// The names of every session on the server (none when no server runs).
    fn list_sessions(&self) -> TerminalFuture<'_, Vec<String>>;
    /// Whether the session exists.
    fn has_session<'a>(&'a self, name: &'a str) -> TerminalFuture<'a, bool>;
    /// Creates a detached session.
    fn new_session<'a>(&'a self, spec: &'a NewSession) -> TerminalFuture<'a, ()>;
    /// Kills the session (and whatever runs in it).
    fn kill_session<'a>(&'a self, name: &'a str) -> TerminalFuture<'a, ()>;
    /// The visible text of the session's pane, one line per row.
    fn capture_screen<'a>(&'a self, name: &'a str) -> TerminalFuture<'a, String>;
    /// What runs in the session's pane.
    fn pane_info<'a>(&'a self, name: &'a str) -> TerminalFuture<'a, PaneInfo>;
    /// Types `text` literally (no key names).
    fn type_text<'a>(&'a self, name: &'a str, text: &'a str) -> TerminalFuture<'a, ()>;
    /// Presses one key.
    fn press<'a>(&'a self, name: &'a str, key: Key) -> TerminalFuture<'a, ()>;
    /// Pastes `text` as one bracketed paste.
    fn paste<'a>(&'a self, name: &'a str, text: &'a str) -> TerminalFuture<'a, ()>;
}

/// The terminal the daemon shares with its launch jobs.
pub type SharedTerminal = Arc<dyn Terminal>;

impl Terminal for Tmux {
    fn list_sessions(&self) -> TerminalFuture<'_, Vec<String>> {
        Box::pin(Tmux::list_sessions(self))
    }

    fn has_session<'a>(&'a self, name: &'a str) -> TerminalFuture<'a, bool> {
        Box::pin(Tmux::has_session(self, name))
    }

    fn new_session<'a>(&'a self, spec: &'a NewSession) -> TerminalFuture<'a, ()> {
        Box::pin(Tmux::new_session(self, spec))
    }

    fn kill_session<'a>(&'a self, name: &'a str) -> TerminalFuture<'a, ()> {
        Box::pin(Tmux::kill_session(self, name))
    }

    fn capture_screen<'a>(&'a self, name: &'a str) -> TerminalFuture<'a, String> {
        Box::pin(Tmux::capture_screen(self, name))
    }

    fn pane_info<'a>(&'a self, name: &'a str) -> TerminalFuture<'a, PaneInfo> {
        Box::pin(Tmux::pane_info(self, name))
    }

    fn type_text<'a>(&'a self, name: &'a str, text: &'a str) -> TerminalFuture<'a, ()> {
        Box::pin(Tmux::type_text(self, name, text))
    }

    fn press<'a>(&'a self, name: &'a str, key: Key) -> TerminalFuture<'a, ()> {
        Box::pin(Tmux::press(self, name, key))
    }

    fn paste<'a>(&'a self, name: &'a str, text: &'a str) -> TerminalFuture<'a, ()> {
        Box::pin(Tmux::paste(self, name, text))
    }
}
