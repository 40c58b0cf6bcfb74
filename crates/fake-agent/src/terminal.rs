//! The real terminal: raw mode with bracketed paste (restored on drop), a stdin reader thread,
//! the terminal size, and drawing whole frames (with the dim input hint) in one write.

use crate::render::{Frame, HintCells};
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

/// Starts the hint's first cell: reverse video, as the recorded client draws its cursor there.
const SGR_CURSOR_CELL: &[u8] = b"\x1b[7m";
/// After the cursor cell: attributes off, then dim (the recordings' `ESC[0;2m`).
const SGR_DIM: &[u8] = b"\x1b[0;2m";
/// Attributes off.
const SGR_RESET: &[u8] = b"\x1b[0m";

/// Draws `frame` from the top-left corner in one write (see [`frame_bytes`]).
pub fn draw(frame: &Frame, width: u16, full_clear: bool) -> std::io::Result<()> {
    let bytes = frame_bytes(frame, width, full_clear);
    let mut out = std::io::stdout().lock();
    out.write_all(&bytes)?;
    out.flush()
}

/// The bytes that draw `frame`. Each row is overwritten in place and cleared to its end, then
/// everything below is cleared, so the screen is never blank between frames (a `capture-pane`
/// in the middle of a redraw still sees a whole frame or a mix of two). With `full_clear`
/// (after a resize) the screen is cleared first. The hint cells get their attributes here.
pub fn frame_bytes(frame: &Frame, width: u16, full_clear: bool) -> Vec<u8> {
    let lines = &frame.lines;
    let mut bytes = Vec::with_capacity(lines.iter().map(|l| l.len() + 8).sum::<usize>() + 32);
    if full_clear {
        bytes.extend_from_slice(b"\x1b[2J");
    }
    bytes.extend_from_slice(b"\x1b[H");
    for (index, line) in lines.iter().enumerate() {
        if index > 0 {
            bytes.extend_from_slice(b"\r\n");
        }
        match frame.hint.filter(|hint| hint.row == index) {
            Some(hint) => push_hint_row(line, hint, &mut bytes),
            None => bytes.extend_from_slice(line.as_bytes()),
        }
        // On a full-width row the cursor sits on the last cell: clearing would erase it.
        if line.chars().count() < usize::from(width) {
            bytes.extend_from_slice(b"\x1b[K");
        }
    }
    // Park the cursor on the row under the footer (the frame never fills the last row).
    bytes.extend_from_slice(b"\r\n\x1b[J");
    bytes
}

/// One row with its hint span: plain prefix, reverse-video first cell, dim rest, reset.
fn push_hint_row(line: &str, hint: HintCells, bytes: &mut Vec<u8>) {
    let mut chars = line.chars();
    let prefix: String = chars.by_ref().take(hint.column).collect();
    let span: String = chars.by_ref().take(hint.len).collect();
    let rest: String = chars.collect();
    let mut span_chars = span.chars();
    let first: String = span_chars.by_ref().take(1).collect();
    bytes.extend_from_slice(prefix.as_bytes());
    bytes.extend_from_slice(SGR_CURSOR_CELL);
    bytes.extend_from_slice(first.as_bytes());
    bytes.extend_from_slice(SGR_DIM);
    bytes.extend_from_slice(span_chars.as_str().as_bytes());
    bytes.extend_from_slice(SGR_RESET);
    bytes.extend_from_slice(rest.as_bytes());
}

/// Prints `text` under the last frame (call after raw mode is off).
pub fn print_below(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_sgr::{cells, text};

    fn hinted_frame() -> Frame {
        Frame {
            lines: vec![
                "─".repeat(10),
                "❯\u{a0}Once fixed, resend your message".to_string(),
                "─".repeat(10),
            ],
            hint: Some(HintCells {
                row: 1,
                column: 2,
                len: 31,
            }),
        }
    }

    #[test]
    fn reads_the_recorded_hint_row() {
        let row = "\u{1b}[39m❯\u{a0}\u{1b}[7mR\u{1b}[0;2m\u{1b}[39m\u{1b}[49mesend\u{1b}[0m  ";
        let cells = cells(row);
        assert_eq!(text(&cells), "❯\u{a0}Resend");
        assert!(cells[2].reverse && !cells[2].dim);
        assert!(cells[3..].iter().all(|cell| cell.dim && !cell.reverse));
        assert!(!cells[0].dim && !cells[0].reverse);
    }

    #[test]
    fn the_hint_is_drawn_with_a_cursor_cell_then_dim() {
        let bytes = String::from_utf8(frame_bytes(&hinted_frame(), 200, false)).unwrap();
        assert!(
            bytes.contains("\r\n❯\u{a0}\u{1b}[7mO\u{1b}[0;2mnce fixed, resend your message\u{1b}[0m\u{1b}[K\r\n"),
            "{bytes:?}"
        );
        let plain = Frame {
            hint: None,
            ..hinted_frame()
        };
        let bytes = String::from_utf8(frame_bytes(&plain, 200, true)).unwrap();
        assert!(bytes.starts_with("\u{1b}[2J\u{1b}[H"));
        assert!(!bytes.contains("\u{1b}[7m") && !bytes.contains(";2m"));
    }

    #[test]
    fn the_hint_cells_carry_the_recorded_attributes() {
        let recorded = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/claude-code/errors/2.1.329-auth401.esc.txt"
        ));
        let Ok(recorded) = recorded else {
            return; // recordings not present in this checkout
        };
        let find = |screen: &str| {
            screen
                .split('\n')
                .map(|row| cells(row.trim_end_matches('\r')))
                .find(|row| text(row).starts_with("❯\u{a0}"))
                .unwrap()
        };
        let bytes = String::from_utf8(frame_bytes(&hinted_frame(), 200, false)).unwrap();
        assert_eq!(find(&bytes), find(&recorded));
    }
}
