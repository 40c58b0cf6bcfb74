//! A generic YAML tree that keeps the line and column of every node, so that validation can
//! walk the whole document and report every problem with its position (serde alone stops at
//! the first error).

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

/// One YAML node and where it starts in the source.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    /// What the node holds.
    pub value: Value,
    /// 1-based line of the node (0 when the parser could not tell).
    pub line: u64,
    /// 1-based column of the node (0 when the parser could not tell).
    pub column: u64,
    /// Byte range of the node's definition in the source, to recover a plain scalar's exact text
    /// (`010` stays `010` in an env value instead of becoming `10`).
    pub source_bytes: Option<(usize, usize)>,
}

impl Node {
    /// The scalar as text: strings as they are, other scalars exactly as written in the source
    /// (falling back to their canonical form). `None` for null and collections.
    pub fn scalar_text(&self, source: &str) -> Option<String> {
        if let Value::Str(text) = &self.value {
            return Some(text.clone());
        }
        let canonical = self.value.canonical_text()?;
        Some(self.written(source).map_or(canonical, str::to_owned))
    }

    /// The node's own text in the source, trimmed; `None` when unknown or reached via an alias.
    pub fn written<'s>(&self, source: &'s str) -> Option<&'s str> {
        self.source_bytes
            .and_then(|(start, len)| source.get(start..start.checked_add(len)?))
            .map(str::trim)
            .filter(|text| !text.is_empty() && !text.starts_with(['*', '&', '!']))
    }
}

/// The content of a node, as YAML's core schema typed it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    /// `~`, `null` or an empty value.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer scalar.
    Int(i128),
    /// A floating-point scalar.
    Float(f64),
    /// Any other scalar, including quoted ones.
    Str(String),
    /// A sequence, in source order.
    Seq(Vec<Node>),
    /// A mapping, in source order, duplicates kept so that they can be reported.
    Map(Vec<(Node, Node)>),
}

impl Value {
    /// A short description of the kind of value, for "expected X, found Y" messages.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Null => "nothing (null)",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "a number",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    /// The scalar in canonical text form, `None` for null and collections.
    fn canonical_text(&self) -> Option<String> {
        match self {
            Value::Bool(b) => Some(b.to_string()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(f.to_string()),
            Value::Str(s) => Some(s.clone()),
            Value::Null | Value::Seq(_) | Value::Map(_) => None,
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<Value>::deserialize(deserializer)?;
        let span = spanned.defined.span();
        let source_bytes = match (span.byte_offset(), span.byte_len()) {
            (Some(offset), Some(len)) => {
                usize::try_from(offset).ok().zip(usize::try_from(len).ok())
            }
            _ => None,
        };
        Ok(Node {
            value: spanned.value,
            line: spanned.referenced.line(),
            column: spanned.referenced.column(),
            source_bytes,
        })
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

/// Builds a [`Value`] from whatever the YAML deserializer reports.
struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(i128::from(v)))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Int(i128::from(v)))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value, E> {
        Ok(Value::Int(v))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
        // Beyond i128 is beyond any limit we check; saturate rather than fail the whole parse.
        Ok(Value::Int(i128::try_from(v).unwrap_or(i128::MAX)))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Str(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::Str(v))
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Value, E> {
        Ok(Value::Str(String::from_utf8_lossy(v).into_owned()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(Value::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::new();
        while let Some((key, value)) = map.next_entry::<Node, Node>()? {
            entries.push((key, value));
        }
        Ok(Value::Map(entries))
    }
}

/// Why the text could not be read as YAML at all.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SyntaxError {
    /// 1-based line, 0 when unknown.
    pub line: u64,
    /// 1-based column, 0 when unknown.
    pub column: u64,
    /// The parser's message, without position or snippet.
    pub message: String,
}

/// Deepest nesting accepted; a config needs about five levels.
const MAX_DEPTH: usize = 32;

/// Most nodes accepted (after alias expansion); a config has a few hundred.
const MAX_NODES: usize = 20_000;

/// Removes the parser's " at line N, column M …" suffix: our messages carry the position already.
fn strip_position(message: &str) -> &str {
    message
        .find(" at line ")
        .map_or(message, |at| &message[..at])
        .trim_end()
}

/// Parses `text` into a tree, with limits against alias bombs and deep nesting.
pub(crate) fn parse_tree(text: &str) -> Result<Node, SyntaxError> {
    let options = serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_depth: MAX_DEPTH,
            max_aliases: 1_000,
            max_anchors: 1_000,
            max_nodes: MAX_NODES,
            max_documents: 1,
        },
        // Duplicates are kept by our visitor and reported, all of them, by the validation walk.
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::LastWins,
        // `yes`/`on` stay strings: an env value `FOO: yes` must not turn into `true`.
        strict_booleans: true,
    };
    serde_saphyr::from_str_with_options::<Node>(text, options).map_err(|error| {
        let location = error.location();
        let plain = error.render_with_options(serde_saphyr::render_options! {
            snippets: serde_saphyr::SnippetMode::Off,
        });
        SyntaxError {
            line: location.map_or(0, |l| l.line()),
            column: location.map_or(0, |l| l.column()),
            message: strip_position(&plain).to_owned(),
        }
    })
}

impl SyntaxError {
    /// The error as the problems of the file at `path`.
    pub(crate) fn into_errors(self, path: &std::path::Path) -> crate::error::ConfigErrors {
        let error = crate::error::ConfigError {
            line: self.line,
            column: self.column,
            key: String::new(),
            problem: crate::error::Problem::Syntax {
                detail: self.message,
            },
        };
        crate::error::ConfigErrors::new(path.to_path_buf(), vec![error])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map_entries(node: &Node) -> &[(Node, Node)] {
        match &node.value {
            Value::Map(entries) => entries,
            other => panic!("expected a map, got {other:?}"),
        }
    }

    #[test]
    fn keeps_positions_types_and_duplicates() {
        let text = "a: 1\nb:\n  - x\n  - \"30\"\n  - 2.5\nc: ~\nd:\ne: true\na: 2\n";
        let tree = parse_tree(text).unwrap();
        let entries = map_entries(&tree);
        assert_eq!(entries.len(), 6, "both `a` entries are kept");
        assert_eq!(
            (
                entries[0].1.value.clone(),
                entries[0].1.line,
                entries[0].1.column
            ),
            (Value::Int(1), 1, 4)
        );
        let Value::Seq(items) = &entries[1].1.value else {
            panic!("b is a list")
        };
        assert_eq!(items[1].value, Value::Str("30".into()));
        assert_eq!((items[2].line, items[2].column), (5, 5));
        assert_eq!(entries[2].1.value, Value::Null);
        assert_eq!(entries[3].1.value, Value::Null);
        assert_eq!(entries[4].1.value, Value::Bool(true));
        assert_eq!(
            (entries[5].0.line, entries[5].1.value.clone()),
            (9, Value::Int(2))
        );
    }

    #[test]
    fn scalar_text_keeps_what_was_written() {
        let text = "a: 010\nb: 1.10\nc: yes\nd: true\ne: &x 7\nf: *x\n";
        let tree = parse_tree(text).unwrap();
        let texts: Vec<_> = map_entries(&tree)
            .iter()
            .map(|(_, v)| v.scalar_text(text).unwrap())
            .collect();
        assert_eq!(texts, ["010", "1.10", "yes", "true", "7", "7"]);
    }

    #[test]
    fn syntax_errors_have_positions_without_duplicated_suffix() {
        let error = parse_tree("a: 1\nb: [\n").unwrap_err();
        assert_eq!(error.line, 2);
        assert!(!error.message.contains("at line"), "{error:?}");
        assert!(!error.message.is_empty());
    }

    #[test]
    fn deep_nesting_is_refused() {
        let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
        let error = parse_tree(&deep).unwrap_err();
        assert!(error.message.contains("budget"), "{error:?}");
    }

    #[test]
    fn billion_laughs_is_refused() {
        let mut text = String::from("a: &a [x,x,x,x,x,x,x,x,x,x]\n");
        for (prev, name) in ["a", "b", "c", "d", "e", "f", "g", "h"]
            .windows(2)
            .map(|w| (w[0], w[1]))
        {
            let refs = vec![format!("*{prev}"); 10].join(",");
            text.push_str(&format!("{name}: &{name} [{refs}]\n"));
        }
        let error = parse_tree(&text).unwrap_err();
        assert!(error.message.contains("budget"), "{error:?}");
    }

    #[test]
    fn several_documents_are_refused() {
        assert!(parse_tree("a: 1\n---\nb: 2\n").is_err());
    }
}
