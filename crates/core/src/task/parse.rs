//! Parsing a task file's bytes into a [`TaskDoc`]: UTF-8 check, frontmatter split, YAML fields.
//!
//! The frontmatter is split by hand (first line exactly `---`, closed by `---` or `...`) and
//! only the text between is given to the YAML parser, under tight budgets so that alias bombs
//! and deep nesting are refused quickly instead of eating memory or stack.

use serde_saphyr::{DefaultMessageFormatter, MessageFormatter};

use super::raw::RawFrontmatter;
use crate::task::{Frontmatter, TaskDoc};

/// Why a task file could not be read. Every variant says where and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaskParseError {
    /// The bytes are not UTF-8.
    #[error("task file is not valid utf-8 at byte {offset} (line {line}); save it as utf-8")]
    NotUtf8 {
        /// Byte offset of the first invalid byte.
        offset: usize,
        /// 1-based line of that byte.
        line: usize,
    },
    /// The first line opens a frontmatter that is never closed.
    #[error(
        "frontmatter starts at line 1 but has no closing `---`; \
         add a `---` line after the fields, or remove the first line"
    )]
    UnclosedFrontmatter,
    /// The YAML between the `---` lines is invalid or has a field of the wrong type.
    #[error("frontmatter line {line}: {message}")]
    Frontmatter {
        /// 1-based line in the task file (not in the YAML).
        line: usize,
        /// What is wrong, naming the field and what it expects where known.
        message: String,
    },
}

impl TaskParseError {
    /// The 1-based line of the task file the error points at.
    pub fn line(&self) -> Option<usize> {
        match self {
            TaskParseError::NotUtf8 { line, .. } | TaskParseError::Frontmatter { line, .. } => {
                Some(*line)
            }
            TaskParseError::UnclosedFrontmatter => Some(1),
        }
    }
}

/// Frontmatter is a handful of short fields: these limits are generous for that and small
/// enough that hostile YAML fails in microseconds.
fn yaml_options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_depth: 32,
            flow_nesting_limit: 32,
            max_events: 100_000,
            max_nodes: 50_000,
            max_aliases: 1_000,
            max_anchors: 1_000,
            max_documents: 1,
            max_total_scalar_bytes: 4 * 1024 * 1024,
            max_recorded_anchor_events: 100_000,
            max_merge_keys: 100,
        },
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: 10_000,
            max_replay_stack_depth: 16,
        },
    }
}

/// Parses a task file. A leading UTF-8 BOM is skipped and CRLF line ends are accepted.
/// Without a first line of exactly `---` the whole text is the body.
pub fn parse_task(bytes: &[u8]) -> Result<TaskDoc, TaskParseError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let offset = e.valid_up_to();
        let line = 1 + bytes[..offset].iter().filter(|&&b| b == b'\n').count();
        TaskParseError::NotUtf8 { offset, line }
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);

    let mut lines = text.split_inclusive('\n');
    let Some(first) = lines.next().filter(|l| is_fence(l, Fence::Open)) else {
        return Ok(TaskDoc {
            frontmatter: Frontmatter::default(),
            body: text.to_string(),
        });
    };
    let yaml_start = first.len();
    let mut offset = yaml_start;
    for line in lines {
        if is_fence(line, Fence::Close) {
            let yaml = &text[yaml_start..offset];
            let body = &text[offset + line.len()..];
            return Ok(TaskDoc {
                frontmatter: parse_frontmatter(yaml)?,
                body: body.to_string(),
            });
        }
        offset += line.len();
    }
    Err(TaskParseError::UnclosedFrontmatter)
}

/// Which frontmatter delimiter a line is tested for.
#[derive(Clone, Copy)]
enum Fence {
    /// Only `---` opens.
    Open,
    /// `---` or `...` closes.
    Close,
}

fn is_fence(line: &str, fence: Fence) -> bool {
    let line = line.trim_end_matches(['\n', '\r', ' ', '\t']);
    match fence {
        Fence::Open => line == "---",
        Fence::Close => line == "---" || line == "...",
    }
}

/// Deserializes the YAML between the fences. Its first line is line 2 of the file.
fn parse_frontmatter(yaml: &str) -> Result<Frontmatter, TaskParseError> {
    const FIRST_YAML_LINE: usize = 2;
    let raw: Option<RawFrontmatter> = serde_saphyr::from_str_with_options(yaml, yaml_options())
        .map_err(|err| {
            let yaml_line = err
                .location()
                .map(|loc| loc.line())
                .filter(|&l| l > 0)
                .and_then(|l| usize::try_from(l).ok())
                .unwrap_or(1);
            let message = describe(&DefaultMessageFormatter.format_message(err.without_snippet()));
            TaskParseError::Frontmatter {
                line: FIRST_YAML_LINE + yaml_line - 1,
                message,
            }
        })?;
    Ok(raw.map(Frontmatter::from).unwrap_or_default())
}

/// Makes the YAML error text one printable line, and says plainly what a non-mapping is.
fn describe(message: &str) -> String {
    if message == "expected mapping start" {
        return "the frontmatter must be a mapping of `key: value` lines, found something else"
            .to_string();
    }
    let mut printable = String::with_capacity(message.len());
    for c in message.chars() {
        if c.is_control() {
            printable.extend(c.escape_default());
        } else {
            printable.push(c);
        }
    }
    printable
}

#[cfg(test)]
mod tests;
