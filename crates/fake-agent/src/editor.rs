//! The text in the input box: typed text plus pastes, where a big paste shows as a
//! `[Pasted text #N +L lines]` placeholder but keeps its full text for submission.

/// A paste shows as a placeholder above this many characters…
pub const PLACEHOLDER_MIN_CHARS: usize = 800;
/// …or above this many newlines.
pub const PLACEHOLDER_MIN_NEWLINES: usize = 2;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Text(String),
    Placeholder { label: String, text: String },
}

/// The input box contents; the cursor is always at the end.
#[derive(Debug, Clone, Default)]
pub struct InputBuffer {
    segments: Vec<Segment>,
    /// Number of the last paste that became a placeholder; counts per process like the real client.
    paste_count: u32,
}

/// The placeholder label a paste gets, or `None` when it is shown as plain text.
pub fn placeholder_label(text: &str, paste_number: u32) -> Option<String> {
    let newlines = text.matches('\n').count();
    if text.chars().count() <= PLACEHOLDER_MIN_CHARS && newlines <= PLACEHOLDER_MIN_NEWLINES {
        return None;
    }
    Some(if newlines == 0 {
        format!("[Pasted text #{paste_number}]")
    } else {
        format!("[Pasted text #{paste_number} +{newlines} lines]")
    })
}

impl InputBuffer {
    /// An empty input.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends typed text.
    pub fn type_text(&mut self, text: &str) {
        if let Some(Segment::Text(last)) = self.segments.last_mut() {
            last.push_str(text);
        } else {
            self.segments.push(Segment::Text(text.to_string()));
        }
    }

    /// Appends a paste, as a placeholder when it is big.
    pub fn paste(&mut self, text: &str) {
        match placeholder_label(text, self.paste_count + 1) {
            Some(label) => {
                self.paste_count += 1;
                self.segments.push(Segment::Placeholder {
                    label,
                    text: text.to_string(),
                });
            }
            None => self.type_text(text),
        }
    }

    /// Removes the last character, or the whole last placeholder.
    pub fn backspace(&mut self) {
        match self.segments.last_mut() {
            Some(Segment::Text(text)) => {
                text.pop();
                if text.is_empty() {
                    self.segments.pop();
                }
            }
            Some(Segment::Placeholder { .. }) => {
                self.segments.pop();
            }
            None => {}
        }
    }

    /// The full text that Enter would submit (placeholders expanded).
    pub fn submission(&self) -> String {
        self.segments
            .iter()
            .map(|segment| match segment {
                Segment::Text(text) | Segment::Placeholder { text, .. } => text.as_str(),
            })
            .collect()
    }

    /// What the box shows (placeholders as their labels).
    pub fn display(&self) -> String {
        self.segments
            .iter()
            .map(|segment| match segment {
                Segment::Text(text) => text.as_str(),
                Segment::Placeholder { label, .. } => label.as_str(),
            })
            .collect()
    }

    /// Whether a placeholder is in the box (the footer then says `paste again to expand`).
    pub fn has_placeholder(&self) -> bool {
        self.segments
            .iter()
            .any(|segment| matches!(segment, Segment::Placeholder { .. }))
    }

    /// Whether nothing but whitespace is in the box.
    pub fn is_blank(&self) -> bool {
        self.submission().trim().is_empty()
    }

    /// Empties the box and returns what it held (expanded).
    pub fn take(&mut self) -> String {
        let text = self.submission();
        self.segments.clear();
        text
    }

    /// Replaces the contents with plain text (used to put an interrupted prompt back).
    pub fn set_text(&mut self, text: &str) {
        self.segments.clear();
        if !text.is_empty() {
            self.segments.push(Segment::Text(text.to_string()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholder_rule() {
        assert_eq!(
            placeholder_label("a\nb\nc", 1),
            None,
            "two newlines stay plain"
        );
        assert_eq!(
            placeholder_label("a\nb\nc\nd\ne", 2).as_deref(),
            Some("[Pasted text #2 +4 lines]")
        );
        assert_eq!(placeholder_label(&"x".repeat(800), 1), None);
        assert_eq!(
            placeholder_label(&"x".repeat(801), 3).as_deref(),
            Some("[Pasted text #3]")
        );
    }

    #[test]
    fn big_paste_shows_placeholder_but_submits_full_text() {
        let mut input = InputBuffer::new();
        input.type_text("see: ");
        input.paste("line one\nline two\nline three\nline four");
        assert_eq!(input.display(), "see: [Pasted text #1 +3 lines]");
        assert!(input.has_placeholder());
        assert_eq!(
            input.submission(),
            "see: line one\nline two\nline three\nline four"
        );
        input.paste("1\n2\n3\n4");
        assert_eq!(
            input.display(),
            "see: [Pasted text #1 +3 lines][Pasted text #2 +3 lines]"
        );
        input.backspace();
        assert_eq!(input.display(), "see: [Pasted text #1 +3 lines]");
        assert_eq!(
            input.take(),
            "see: line one\nline two\nline three\nline four"
        );
        assert!(input.is_blank());
        input.paste("a\nb\nc\nd");
        assert_eq!(
            input.display(),
            "[Pasted text #3 +3 lines]",
            "numbers keep counting"
        );
    }

    #[test]
    fn small_paste_and_typing_edit_as_text() {
        let mut input = InputBuffer::new();
        input.paste("ab\ncd");
        input.type_text("é");
        assert_eq!(input.display(), "ab\ncdé");
        assert!(!input.has_placeholder());
        input.backspace();
        input.backspace();
        assert_eq!(input.display(), "ab\nc");
        input.set_text("back");
        assert_eq!(input.submission(), "back");
    }
}
