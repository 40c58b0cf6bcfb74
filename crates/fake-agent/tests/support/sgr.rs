//! Test aid, shared by the unit tests (`src/lib.rs` includes this file) and the tmux tests:
//! reads one terminal row with SGR sequences (as the fake draws it, or as
//! `tmux capture-pane -e` recorded it) into characters with the two attributes that tell a dim
//! hint from typed text: reverse video (the cursor cell) and dim.

/// One character cell and its attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cell {
    /// The character.
    pub ch: char,
    /// SGR 7 in effect.
    pub reverse: bool,
    /// SGR 2 in effect.
    pub dim: bool,
}

/// Attributes while reading a row.
#[derive(Debug, Clone, Copy, Default)]
struct Attributes {
    reverse: bool,
    dim: bool,
}

impl Attributes {
    /// Applies one `ESC[…m`; colour parameters (`38;5;n`, `48;2;r;g;b`, …) are skipped.
    fn apply(&mut self, params: &str) {
        let mut codes = params.split(';');
        while let Some(code) = codes.next() {
            match code {
                "" | "0" => *self = Attributes::default(),
                "2" => self.dim = true,
                "22" => self.dim = false,
                "7" => self.reverse = true,
                "27" => self.reverse = false,
                "38" | "48" | "58" => match codes.next() {
                    Some("5") => {
                        codes.next();
                    }
                    Some("2") => {
                        codes.next();
                        codes.next();
                        codes.next();
                    }
                    _ => {}
                },
                _ => {}
            }
        }
    }
}

/// The cells of `row` (control sequences other than SGR are dropped), starting from plain
/// attributes; trailing plain spaces are cut like `capture-pane` does.
pub fn cells(row: &str) -> Vec<Cell> {
    let mut out = Vec::new();
    let mut attributes = Attributes::default();
    let mut chars = row.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            chars.next();
            let mut params = String::new();
            for p in chars.by_ref() {
                if ('\u{40}'..='\u{7e}').contains(&p) {
                    if p == 'm' {
                        attributes.apply(&params);
                    }
                    break;
                }
                params.push(p);
            }
            continue;
        }
        if c.is_control() {
            continue;
        }
        out.push(Cell {
            ch: c,
            reverse: attributes.reverse,
            dim: attributes.dim,
        });
    }
    while out
        .last()
        .is_some_and(|cell| cell.ch == ' ' && !cell.reverse && !cell.dim)
    {
        out.pop();
    }
    out
}

/// The plain text of `cells`.
pub fn text(cells: &[Cell]) -> String {
    cells.iter().map(|cell| cell.ch).collect()
}
