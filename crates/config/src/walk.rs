//! The validation walk over the YAML tree: reads typed values key by key and collects every
//! problem (with its position and dotted key) instead of stopping at the first one.

use std::path::PathBuf;
use std::time::Duration;

use crate::duration::parse_duration;
use crate::error::{ConfigError, Problem};
use crate::paths::{PathBase, expand_path};
use crate::tree::{Node, Value};

/// Whether a zero duration makes sense for a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Zero {
    /// `0s` is meaningful (e.g. "no cooldown").
    Allowed,
    /// `0s` would be nonsense (a poll period, a timeout).
    Refused,
}

/// Collects problems while the builder reads the tree.
pub(crate) struct Walk<'s> {
    /// The config text, to recover scalars exactly as written.
    pub source: &'s str,
    /// Anchors for `~` and relative paths.
    pub paths: PathBase<'s>,
    /// Every problem found so far.
    pub errors: Vec<ConfigError>,
}

/// A mapping being read: its known keys checked, its values looked up by name.
pub(crate) struct Section<'n> {
    /// Dotted key of the mapping itself (empty for the root).
    pub key: String,
    /// Where "missing key" problems of this mapping are reported: the key that introduced it,
    /// or its parent's position when the mapping is absent.
    pub line: u64,
    /// Column matching `line`.
    pub column: u64,
    /// The entries with string keys, in source order, first occurrence only: (name, key node, value).
    entries: Vec<(&'n str, &'n Node, &'n Node)>,
}

impl<'n> Section<'n> {
    /// The dotted key of a child.
    pub fn child(&self, name: &str) -> String {
        join_key(&self.key, name)
    }

    /// The value of `name`, treating an explicit null (`key:` or `key: ~`) as absent.
    pub fn get(&self, name: &str) -> Option<&'n Node> {
        self.entries
            .iter()
            .find(|(key, _, _)| *key == name)
            .map(|(_, _, node)| *node)
            .filter(|node| node.value != Value::Null)
    }

    /// The value of `name` even when it is an explicit null.
    pub fn get_including_null(&self, name: &str) -> Option<&'n Node> {
        self.entries
            .iter()
            .find(|(key, _, _)| *key == name)
            .map(|(_, _, node)| *node)
    }

    /// Where the value of `name` is written, or this mapping's own anchor when it is absent.
    pub fn value_position(&self, name: &str) -> (u64, u64) {
        self.get(name)
            .map_or((self.line, self.column), |node| (node.line, node.column))
    }

    /// Where the key `name` is written, or this mapping's own anchor when it is absent.
    pub fn anchor_of(&self, name: &str) -> (u64, u64) {
        self.entries
            .iter()
            .find(|(key, _, _)| *key == name)
            .map_or((self.line, self.column), |(_, key_node, _)| {
                (key_node.line, key_node.column)
            })
    }
}

/// `parent.child`, or `child` at the root.
pub(crate) fn join_key(parent: &str, child: &str) -> String {
    if parent.is_empty() {
        child.to_owned()
    } else {
        format!("{parent}.{child}")
    }
}

impl<'s> Walk<'s> {
    /// Records a problem at `node`.
    pub fn report(&mut self, node: &Node, key: &str, problem: Problem) {
        self.report_at(node.line, node.column, key, problem);
    }

    /// Records a problem at an explicit position.
    pub fn report_at(&mut self, line: u64, column: u64, key: &str, problem: Problem) {
        self.errors.push(ConfigError {
            line,
            column,
            key: key.to_owned(),
            problem,
        });
    }

    /// Records that the value of `name` in `section` is not usable, at where it is written (or
    /// the mapping's anchor when it is absent).
    pub fn invalid_value(&mut self, section: &Section<'_>, name: &str, message: String) {
        let (line, column) = section.value_position(name);
        self.report_at(
            line,
            column,
            &section.child(name),
            Problem::Invalid(message),
        );
    }

    /// Records a type mismatch at `node`.
    pub fn wrong_type(&mut self, node: &Node, key: &str, expected: &str) {
        let problem = Problem::WrongType {
            expected: expected.to_owned(),
            found: node.value.kind_name(),
        };
        self.report(node, key, problem);
    }

    /// Reads the child mapping `name` of `parent` (see [`Walk::section`]).
    pub fn child_section<'n>(
        &mut self,
        parent: &Section<'n>,
        name: &str,
        known: &[&str],
    ) -> Section<'n> {
        self.section(
            parent.get(name),
            &parent.child(name),
            parent.anchor_of(name),
            known,
        )
    }

    /// Reads `node` (absent or null = empty) as a mapping whose keys must be among `known`;
    /// reports wrong types, non-string keys, unknown keys (with a suggestion) and duplicates.
    /// `anchor` is where problems about missing keys of this mapping are reported.
    pub fn section<'n>(
        &mut self,
        node: Option<&'n Node>,
        key: &str,
        anchor: (u64, u64),
        known: &[&str],
    ) -> Section<'n> {
        let (line, column) = anchor;
        let mut section = Section {
            key: key.to_owned(),
            line,
            column,
            entries: Vec::new(),
        };
        let Some(node) = node else { return section };
        let entries = match &node.value {
            Value::Map(entries) => entries,
            Value::Null => return section,
            _ => {
                self.wrong_type(node, key, "a mapping of keys to values");
                return section;
            }
        };
        for (key_node, value) in entries {
            let Value::Str(name) = &key_node.value else {
                self.wrong_type(key_node, key, "a plain string key");
                continue;
            };
            let child = join_key(key, name);
            if !known.contains(&name.as_str()) {
                let problem = Problem::UnknownKey {
                    name: name.clone(),
                    suggestion: suggest(name, known),
                };
                self.report(key_node, &child, problem);
                continue;
            }
            let first = entries
                .iter()
                .map(|(k, _)| k)
                .find(|k| k.value == key_node.value);
            if let Some(first) = first.filter(|first| !std::ptr::eq(*first, key_node)) {
                let problem = Problem::Duplicate {
                    first_line: first.line,
                };
                self.report(key_node, &child, problem);
                continue;
            }
            section.entries.push((name.as_str(), key_node, value));
        }
        section
    }

    /// Reads one entry of a list of mappings (`pool.dedicated[0]`, `accounts[1]`) like
    /// [`Walk::section`], anchored at the entry itself; anything but a mapping is reported with
    /// `expected` and gives `None`, so the caller skips the entry.
    pub fn entry_section<'n>(
        &mut self,
        item: &'n Node,
        key: &str,
        expected: &str,
        known: &[&str],
    ) -> Option<Section<'n>> {
        if !matches!(item.value, Value::Map(_)) {
            self.wrong_type(item, key, expected);
            return None;
        }
        Some(self.section(Some(item), key, (item.line, item.column), known))
    }

    /// The value of the required key `name` of `section`; when it is absent, reports it as
    /// missing at the mapping's anchor with `hint` saying what to write.
    pub fn required<'n>(
        &mut self,
        section: &Section<'n>,
        name: &str,
        hint: &str,
    ) -> Option<&'n Node> {
        let node = section.get(name);
        if node.is_none() {
            let problem = Problem::Missing {
                hint: hint.to_owned(),
            };
            self.report_at(section.line, section.column, &section.child(name), problem);
        }
        node
    }

    /// Reads `node` (absent or null = empty) as a free-form mapping with string keys (e.g. env),
    /// reporting non-string and duplicate keys; returns `(key node, value node)` pairs.
    pub fn free_map<'n>(
        &mut self,
        node: Option<&'n Node>,
        key: &str,
    ) -> Vec<(&'n Node, &'n str, &'n Node)> {
        let Some(node) = node else { return Vec::new() };
        let entries = match &node.value {
            Value::Map(entries) => entries,
            Value::Null => return Vec::new(),
            _ => {
                self.wrong_type(node, key, "a mapping of names to values");
                return Vec::new();
            }
        };
        let mut out: Vec<(&'n Node, &'n str, &'n Node)> = Vec::new();
        for (key_node, value) in entries {
            let Value::Str(name) = &key_node.value else {
                self.wrong_type(key_node, key, "a plain string key");
                continue;
            };
            if let Some((first, _, _)) = out.iter().find(|(_, seen, _)| *seen == name) {
                let first_line = first.line;
                self.report(
                    key_node,
                    &join_key(key, name),
                    Problem::Duplicate { first_line },
                );
                continue;
            }
            out.push((key_node, name.as_str(), value));
        }
        out
    }

    /// Reads `node` (absent or null = none) as a list; reports anything else.
    pub fn list<'n>(
        &mut self,
        node: Option<&'n Node>,
        key: &str,
        expected: &str,
    ) -> Option<&'n [Node]> {
        let node = node?;
        match &node.value {
            Value::Seq(items) => Some(items),
            Value::Null => None,
            _ => {
                self.wrong_type(node, key, expected);
                None
            }
        }
    }

    /// A string value (quoted or plain text; numbers and booleans are refused).
    pub fn string(&mut self, section: &Section<'_>, name: &str) -> Option<String> {
        let node = section.get(name)?;
        self.string_node(node, &section.child(name))
    }

    /// `node` as a string.
    pub fn string_node(&mut self, node: &Node, key: &str) -> Option<String> {
        match &node.value {
            Value::Str(text) => Some(text.clone()),
            _ => {
                self.wrong_type(node, key, "a string");
                None
            }
        }
    }

    /// Any scalar as text, exactly as written (`1`, `true`, `010` are accepted as strings).
    pub fn scalar_text(&mut self, node: &Node, key: &str) -> Option<String> {
        let text = node.scalar_text(self.source);
        if text.is_none() {
            self.wrong_type(node, key, "a string (or a number/boolean, taken as text)");
        }
        text
    }

    /// A whole number in `u32` range.
    pub fn u32(&mut self, section: &Section<'_>, name: &str) -> Option<u32> {
        let node = section.get(name)?;
        let key = section.child(name);
        match &node.value {
            Value::Int(number) => match u32::try_from(*number) {
                Ok(value) => Some(value),
                Err(_) => {
                    let message = format!(
                        "{number} is out of range; write a whole number from 0 to {}",
                        u32::MAX
                    );
                    self.report(node, &key, Problem::Invalid(message));
                    None
                }
            },
            _ => {
                self.wrong_type(node, &key, "a whole number");
                None
            }
        }
    }

    /// `true` or `false`.
    pub fn bool(&mut self, section: &Section<'_>, name: &str) -> Option<bool> {
        let node = section.get(name)?;
        match &node.value {
            Value::Bool(value) => Some(*value),
            _ => {
                self.wrong_type(node, &section.child(name), "`true` or `false`");
                None
            }
        }
    }

    /// A duration like `30s`; a bare number is refused with the unit to add.
    pub fn duration(&mut self, section: &Section<'_>, name: &str, zero: Zero) -> Option<Duration> {
        let node = section.get(name)?;
        let key = section.child(name);
        let text = match &node.value {
            Value::Str(text) => text.clone(),
            Value::Int(_) | Value::Float(_) => node.scalar_text(self.source).unwrap_or_default(),
            _ => {
                self.wrong_type(node, &key, "a duration like `30s`");
                return None;
            }
        };
        match parse_duration(&text) {
            Ok(duration) if duration.is_zero() && zero == Zero::Refused => {
                let message = format!(
                    "`{text}` is zero, which makes no sense here; write a positive duration like `30s`"
                );
                self.report(node, &key, Problem::Invalid(message));
                None
            }
            Ok(duration) => Some(duration),
            Err(message) => {
                self.report(node, &key, Problem::Invalid(message));
                None
            }
        }
    }

    /// A path, expanded (`~`, relative to the config file) to an absolute one.
    pub fn path(&mut self, section: &Section<'_>, name: &str) -> Option<PathBuf> {
        let raw = section.get_including_null(name)?;
        if raw.value == Value::Null && raw.written(self.source) == Some("~") {
            let message = "a bare `~` is YAML for \"nothing\"; write `\"~\"` (quoted) for the home directory, \
                           or remove the key for the default"
                .to_owned();
            self.report(raw, &section.child(name), Problem::Invalid(message));
            return None;
        }
        let node = section.get(name)?;
        self.path_node(node, &section.child(name))
    }

    /// `node` as a path.
    pub fn path_node(&mut self, node: &Node, key: &str) -> Option<PathBuf> {
        let text = match &node.value {
            Value::Str(text) => text.clone(),
            _ => {
                self.wrong_type(node, key, "a path");
                return None;
            }
        };
        match expand_path(&text, &self.paths) {
            Ok(path) => Some(path),
            Err(message) => {
                self.report(node, key, Problem::Invalid(message));
                None
            }
        }
    }
}

/// The known key closest to `name`, if it is close enough to be a typo.
fn suggest(name: &str, known: &[&str]) -> Option<String> {
    let limit = (name.chars().count() / 3).max(1);
    known
        .iter()
        .map(|candidate| (edit_distance(name, candidate), *candidate))
        .filter(|(distance, _)| *distance <= limit)
        .min()
        .map(|(_, candidate)| candidate.to_owned())
}

/// Levenshtein distance between two short strings.
fn edit_distance(left: &str, right: &str) -> usize {
    let right: Vec<char> = right.chars().collect();
    let mut previous: Vec<usize> = (0..=right.len()).collect();
    for (i, l) in left.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, r) in right.iter().enumerate() {
            let substitution = previous[j] + usize::from(l != *r);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[right.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_keys_only() {
        let known = ["autonomous", "dedicated", "shared_projects_dir"];
        assert_eq!(suggest("autonomus", &known), Some("autonomous".to_owned()));
        assert_eq!(suggest("dedicatd", &known), Some("dedicated".to_owned()));
        assert_eq!(suggest("colour", &known), None);
    }

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }
}
