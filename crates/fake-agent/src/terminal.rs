//! The real terminal: raw mode with bracketed paste (restored on drop), a stdin reader thread,
//! the terminal size, and drawing whole frames in one write.

use std::io::{Read, Write};
use std::sync::mpsc::{Receiver, channel};

/// Fallback size when the terminal does not say.
const FALLBACK_SIZE: (u16, u16) = (80, 24);

/// Raw mode plus bracketed paste and a hidden cursor, undone when dropped.
#[derive(Debug)]
pub struct TerminalGuard {
    /// Private: only [`TerminalGuard::enter`] makes one.
    _private: (),
}

impl TerminalGuard {
    /// Switches the terminal on stdin to raw mode, enables bracketed paste, clears the screen.
    pub fn enter() -> std::io::Result<Self> {
        // SAFETY: isatty only inspects the file descriptor.
        if unsafe { libc::isatty(libc::STDIN_FILENO) } != 1 {
            return Err(std::io::Error::other(
                "stdin is not a terminal: run fake-claude inside a terminal such as a tmux pane",
            ));
        }
        crossterm::terminal::enable_raw_mode()?;
        let guard = Self { _private: () };
        let mut out = std::io::stdout().lock();
        out.write_all(b"\x1b[?2004h\x1b[?25l\x1b[H\x1b[2J")?;
        out.flush()?;
        Ok(guard)
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(b"\x1b[?2004l\x1b[?25h");
        let _ = out.flush();
        let _ = crossterm::terminal::disable_raw_mode();
    }
}

/// Reads stdin on a thread; each chunk arrives on the channel. The channel closes at EOF or on
/// a read error (the pane went away).
pub fn spawn_stdin_reader() -> Receiver<Vec<u8>> {
    let (sender, receiver) = channel();
    let spawned = std::thread::Builder::new()
        .name("stdin-reader".into())
        .spawn(move || {
            let mut stdin = std::io::stdin().lock();
            let mut buffer = vec![0u8; 64 * 1024];
            loop {
                match stdin.read(&mut buffer) {
                    Ok(0) => return,
                    Ok(n) => {
                        if sender.send(buffer[..n].to_vec()).is_err() {
                            return;
                        }
                    }
                    Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => return,
                }
            }
        });
    // If the thread cannot start, the sender is dropped and the loop sees a closed channel.
    drop(spawned);
    receiver
}

/// Terminal width and height.
pub fn size() -> (u16, u16) {
    match crossterm::terminal::size() {
        Ok((width, height)) if width > 0 && height > 0 => (width, height),
        _ => FALLBACK_SIZE,
    }
}

/// Draws `lines` from the top-left corner in one write. Each row is overwritten in place and
/// cleared to its end, then everything below is cleared, so the screen is never blank between
/// frames (a `capture-pane` in the middle of a redraw still sees a whole frame or a mix of two).
/// With `full_clear` (after a resize) the screen is cleared first.
pub fn draw(lines: &[String], width: u16, full_clear: bool) -> std::io::Result<()> {
    let mut bytes = Vec::with_capacity(lines.iter().map(|l| l.len() + 8).sum::<usize>() + 16);
    if full_clear {
        bytes.extend_from_slice(b"\x1b[2J");
    }
    bytes.extend_from_slice(b"\x1b[H");
    for (index, line) in lines.iter().enumerate() {
        if index > 0 {
            bytes.extend_from_slice(b"\r\n");
        }
        bytes.extend_from_slice(line.as_bytes());
        // On a full-width row the cursor sits on the last cell: clearing would erase it.
        if line.chars().count() < usize::from(width) {
            bytes.extend_from_slice(b"\x1b[K");
        }
    }
    // Park the cursor on the row under the footer (the frame never fills the last row).
    bytes.extend_from_slice(b"\r\n\x1b[J");
    let mut out = std::io::stdout().lock();
    out.write_all(&bytes)?;
    out.flush()
}

/// Prints `text` under the last frame (call after raw mode is off).
pub fn print_below(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}
