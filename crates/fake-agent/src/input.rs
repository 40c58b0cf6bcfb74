//! Turns raw terminal bytes into key and paste events: bracketed paste, Enter, Backspace, Esc,
//! Ctrl-C and UTF-8 text. Never fails: bytes it does not understand are dropped.

/// One thing the user did at the keyboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputEvent {
    /// Printable text typed (one or more characters).
    Text(String),
    /// A bracketed paste, line ends normalised to `\n`.
    Paste(String),
    /// Enter (CR) outside a paste: submit.
    Enter,
    /// Ctrl-J (LF): a newline inside the input.
    Newline,
    /// Backspace (DEL or Ctrl-H).
    Backspace,
    /// A lone Esc: interrupt while working.
    Escape,
    /// Ctrl-C.
    Interrupt,
    /// Arrow up (moves a menu selection; ignored elsewhere).
    Up,
    /// Arrow down (moves a menu selection; ignored elsewhere).
    Down,
}

const ESC: u8 = 0x1b;
const PASTE_END: &[u8] = b"\x1b[201~";
/// A CSI sequence longer than this is garbage; give up on it.
const MAX_CSI_LEN: usize = 32;

#[derive(Debug, Default)]
enum State {
    #[default]
    Ground,
    /// Saw ESC; waiting for the next byte to tell Esc from a sequence.
    Escape,
    /// Inside `ESC [` collecting parameter bytes.
    Csi(Vec<u8>),
    /// Saw `ESC O`; the next byte ends the sequence.
    Ss3,
    /// Inside a bracketed paste.
    Paste(Vec<u8>),
}

/// Incremental decoder; feed it every chunk read from the terminal.
#[derive(Debug, Default)]
pub struct InputDecoder {
    state: State,
    /// Bytes of a UTF-8 character split across chunks.
    partial_char: Vec<u8>,
    /// Printable text collected in the current chunk, flushed as one `Text` event.
    text: String,
}

impl InputDecoder {
    /// A decoder in its ground state.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether a lone ESC is waiting: call [`InputDecoder::flush_escape`] if nothing follows soon.
    pub fn has_pending_escape(&self) -> bool {
        matches!(self.state, State::Escape)
    }

    /// Resolves a pending lone ESC into an [`InputEvent::Escape`].
    pub fn flush_escape(&mut self) -> Vec<InputEvent> {
        if self.has_pending_escape() {
            self.state = State::Ground;
            return vec![InputEvent::Escape];
        }
        Vec::new()
    }

    /// Decodes one chunk of bytes.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<InputEvent> {
        let mut events = Vec::new();
        for &byte in bytes {
            self.feed_byte(byte, &mut events);
        }
        self.flush_text(&mut events);
        events
    }

    fn flush_text(&mut self, events: &mut Vec<InputEvent>) {
        if !self.text.is_empty() {
            events.push(InputEvent::Text(std::mem::take(&mut self.text)));
        }
    }

    fn push_event(&mut self, event: InputEvent, events: &mut Vec<InputEvent>) {
        self.flush_text(events);
        events.push(event);
    }

    fn feed_byte(&mut self, byte: u8, events: &mut Vec<InputEvent>) {
        match std::mem::take(&mut self.state) {
            State::Ground => self.ground(byte, events),
            State::Escape => match byte {
                b'[' => self.state = State::Csi(Vec::new()),
                b'O' => self.state = State::Ss3,
                ESC => {
                    self.push_event(InputEvent::Escape, events);
                    self.state = State::Escape;
                }
                // Alt+key: ignored.
                _ => {}
            },
            State::Ss3 => match byte {
                b'A' => self.push_event(InputEvent::Up, events),
                b'B' => self.push_event(InputEvent::Down, events),
                _ => {}
            },
            State::Csi(mut params) => {
                if (0x40..=0x7e).contains(&byte) {
                    match (byte, params.as_slice()) {
                        (b'~', b"200") => {
                            self.flush_text(events);
                            self.state = State::Paste(Vec::new());
                        }
                        (b'A', b"") => self.push_event(InputEvent::Up, events),
                        (b'B', b"") => self.push_event(InputEvent::Down, events),
                        _ => {}
                    }
                } else if (0x20..=0x3f).contains(&byte) {
                    if params.len() < MAX_CSI_LEN {
                        params.push(byte);
                    }
                    self.state = State::Csi(params);
                } else {
                    // Not a CSI byte: the sequence was broken; read the byte as ordinary input.
                    self.ground(byte, events);
                }
            }
            State::Paste(mut content) => {
                content.push(byte);
                if content.ends_with(PASTE_END) {
                    content.truncate(content.len() - PASTE_END.len());
                    self.push_event(InputEvent::Paste(normalise_paste(&content)), events);
                } else {
                    self.state = State::Paste(content);
                }
            }
        }
    }

    fn ground(&mut self, byte: u8, events: &mut Vec<InputEvent>) {
        if !self.partial_char.is_empty() || byte >= 0x80 {
            self.utf8_byte(byte);
            return;
        }
        match byte {
            ESC => {
                self.flush_text(events);
                self.state = State::Escape;
            }
            b'\r' => self.push_event(InputEvent::Enter, events),
            b'\n' => self.push_event(InputEvent::Newline, events),
            0x7f | 0x08 => self.push_event(InputEvent::Backspace, events),
            0x03 => self.push_event(InputEvent::Interrupt, events),
            0x20..=0x7e => self.text.push(char::from(byte)),
            // Other control characters (tab, Ctrl-D, …) do nothing here.
            _ => {}
        }
    }

    fn utf8_byte(&mut self, byte: u8) {
        self.partial_char.push(byte);
        match std::str::from_utf8(&self.partial_char) {
            Ok(text) => {
                self.text.push_str(text);
                self.partial_char.clear();
            }
            Err(error) if error.error_len().is_some() || self.partial_char.len() >= 4 => {
                // Invalid sequence: drop it.
                self.partial_char.clear();
            }
            Err(_) => {}
        }
    }
}

/// Paste bytes as text: invalid UTF-8 replaced, CRLF and CR turned into LF (tmux sends LF as CR).
pub fn normalise_paste(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .replace("\r\n", "\n")
        .replace('\r', "\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use InputEvent::*;

    #[test]
    fn typed_text_and_enter() {
        let mut decoder = InputDecoder::new();
        assert_eq!(
            decoder.feed(b"hi \xc3\xa4\r"),
            vec![Text("hi ä".into()), Enter]
        );
    }

    #[test]
    fn bracketed_paste_keeps_newlines_and_does_not_submit() {
        let mut decoder = InputDecoder::new();
        let events = decoder.feed(b"\x1b[200~one\rtwo\r\nthree\x1b[201~");
        assert_eq!(events, vec![Paste("one\ntwo\nthree".into())]);
        assert_eq!(decoder.feed(b"\r"), vec![Enter]);
    }

    #[test]
    fn paste_split_across_chunks() {
        let mut decoder = InputDecoder::new();
        assert!(decoder.feed(b"\x1b[20").is_empty());
        assert!(decoder.feed(b"0~abc\xe2\x9d").is_empty());
        assert_eq!(decoder.feed(b"\xaf\x1b[201~"), vec![Paste("abc❯".into())]);
    }

    #[test]
    fn utf8_split_across_chunks() {
        let mut decoder = InputDecoder::new();
        assert!(decoder.feed(b"\xe2\x9d").is_empty());
        assert_eq!(decoder.feed(b"\xaf"), vec![Text("❯".into())]);
    }

    #[test]
    fn lone_escape_needs_a_flush() {
        let mut decoder = InputDecoder::new();
        assert!(decoder.feed(b"\x1b").is_empty());
        assert!(decoder.has_pending_escape());
        assert_eq!(decoder.flush_escape(), vec![Escape]);
        assert!(!decoder.has_pending_escape());
    }

    #[test]
    fn arrows_up_down_and_garbage() {
        let mut decoder = InputDecoder::new();
        assert_eq!(
            decoder.feed(b"\x1b[A\x1bOPa\xff\xfeb\x01\x7f\x03\x1b[B\x1bOA\x1b[C\x1b[1;5A"),
            vec![Up, Text("ab".into()), Backspace, Interrupt, Down, Up]
        );
        let long_csi = [b"\x1b[".as_slice(), &[b'1'; 100], b"mX"].concat();
        assert_eq!(decoder.feed(&long_csi), vec![Text("X".into())]);
    }
}
