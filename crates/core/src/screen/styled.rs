//! Reading a capture with attributes (`tmux capture-pane -e`): the plain text, and whether the
//! text in the input line is drawn dim (a placeholder hint such as `Once fixed, resend your
//! message`, README section k) rather than typed.
//!
//! Only SGR sequences (`ESC [ … m`) change what we track (dim, inverse); every other escape
//! sequence is dropped from the text.

use super::is_input_line;

/// A styled capture, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StyledScreen {
    /// The text without escape sequences.
    pub(crate) plain: String,
    /// The lowest input line (`❯` + U+00A0) holds text, and all of it is dim (the cursor
    /// cell, drawn inverse, may sit on its first character).
    pub(crate) dim_input_line: bool,
}

#[derive(Debug, Clone, Copy, Default)]
struct Rendition {
    dim: bool,
    inverse: bool,
}

/// One row's characters with the rendition each was drawn in.
type Cells = Vec<(char, Rendition)>;

/// Reads `screen` (escape sequences included).
pub(crate) fn read_styled(screen: &str) -> StyledScreen {
    let mut rendition = Rendition::default();
    let rows: Vec<Cells> = screen
        .split('\n')
        .map(|row| read_row(row, &mut rendition))
        .collect();
    let plain_rows: Vec<String> = rows
        .iter()
        .map(|cells| cells.iter().map(|(c, _)| *c).collect())
        .collect();
    let dim_input_line = plain_rows
        .iter()
        .rposition(|row| is_input_line(row.trim_end_matches(' ')))
        .is_some_and(|i| input_is_dim(&rows[i]));
    StyledScreen {
        plain: plain_rows.join("\n"),
        dim_input_line,
    }
}

/// The text after `❯` + U+00A0 is all dim (or under the inverse cursor), with some dim text.
fn input_is_dim(cells: &Cells) -> bool {
    let text = cells.iter().skip(2).filter(|(c, _)| !c.is_whitespace());
    let mut any_dim = false;
    for (_, rendition) in text {
        if rendition.dim {
            any_dim = true;
        } else if !rendition.inverse {
            return false;
        }
    }
    any_dim
}

fn read_row(row: &str, rendition: &mut Rendition) -> Cells {
    let mut cells = Vec::new();
    let mut chars = row.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            if c != '\r' {
                cells.push((c, *rendition));
            }
            continue;
        }
        match chars.next() {
            Some('[') => {
                let mut params = String::new();
                let mut last = None;
                for next in chars.by_ref() {
                    if ('\u{40}'..='\u{7e}').contains(&next) {
                        last = Some(next);
                        break;
                    }
                    params.push(next);
                }
                if last == Some('m') {
                    apply_sgr(&params, rendition);
                }
            }
            Some(']') => skip_osc(&mut chars),
            _ => {}
        }
    }
    cells
}

/// Skips an OSC string up to BEL or ST (`ESC \`).
fn skip_osc(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while let Some(c) = chars.next() {
        if c == '\u{7}' {
            return;
        }
        if c == '\u{1b}' && chars.peek() == Some(&'\\') {
            chars.next();
            return;
        }
    }
}

fn apply_sgr(params: &str, rendition: &mut Rendition) {
    let mut codes = params.split(';').map(|p| p.parse::<u16>().unwrap_or(0));
    while let Some(code) = codes.next() {
        match code {
            0 => *rendition = Rendition::default(),
            2 => rendition.dim = true,
            22 => rendition.dim = false,
            7 => rendition.inverse = true,
            27 => rendition.inverse = false,
            // Extended colours carry their own parameters: skip them.
            38 | 48 | 58 => match codes.next() {
                Some(5) => {
                    codes.next();
                }
                Some(2) => {
                    codes.nth(2);
                }
                _ => {}
            },
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dim_placeholder_is_dim_and_typed_text_is_not() {
        let hint = "\u{1b}[39m❯\u{a0}\u{1b}[7mO\u{1b}[0;2m\u{1b}[39mnce fixed\u{1b}[0m";
        let read = read_styled(hint);
        assert_eq!(read.plain, "❯\u{a0}Once fixed");
        assert!(read.dim_input_line);
        let typed = "❯\u{a0}\u{1b}[38;5;231mOnce fixed\u{1b}[7m \u{1b}[0m";
        assert!(!read_styled(typed).dim_input_line);
        let empty = "❯\u{a0}\u{1b}[7m \u{1b}[0m";
        assert!(!read_styled(empty).dim_input_line, "nothing to call a hint");
    }

    #[test]
    fn other_sequences_are_dropped_from_the_text() {
        let read = read_styled("a\u{1b}]0;title\u{7}b\u{1b}[2Kc\u{1b}[38;2;1;2;3md");
        assert_eq!(read.plain, "abcd");
    }
}
