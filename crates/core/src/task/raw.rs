//! The serde side of frontmatter parsing: field-by-field visitors whose errors name the field.
//!
//! Unknown keys are allowed (operators add their own); known keys with a wrong type are
//! errors whose message says which field and what it expects.

use std::fmt;

use serde::de::{self, Deserializer, SeqAccess, Visitor};

use crate::task::{Frontmatter, Priority};
use crate::worktree::Isolation;

/// The frontmatter mapping as written, before defaults are applied.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(expecting = "a mapping of frontmatter fields (`key: value` lines)")]
pub(super) struct RawFrontmatter {
    #[serde(default, deserialize_with = "title")]
    title: Option<String>,
    #[serde(default, deserialize_with = "priority")]
    priority: Option<Priority>,
    #[serde(default, deserialize_with = "tags")]
    tags: Vec<String>,
    #[serde(default, deserialize_with = "needs_claude_code")]
    needs_claude_code: Option<bool>,
    #[serde(default, deserialize_with = "depends_on")]
    depends_on: Vec<String>,
    #[serde(default, deserialize_with = "preferred_ai")]
    preferred_ai: Option<String>,
    #[serde(default, deserialize_with = "allow_delegation")]
    allow_delegation: Option<bool>,
    #[serde(default, deserialize_with = "complexity_hint")]
    complexity_hint: Option<String>,
    #[serde(default, deserialize_with = "isolation")]
    isolation: Option<Isolation>,
    #[serde(default, deserialize_with = "base")]
    base: Option<String>,
}

impl From<RawFrontmatter> for Frontmatter {
    fn from(raw: RawFrontmatter) -> Self {
        Frontmatter {
            title: raw.title,
            priority: raw.priority.unwrap_or_default(),
            tags: raw.tags,
            needs_claude_code: raw.needs_claude_code.unwrap_or(false),
            depends_on: raw.depends_on,
            preferred_ai: raw.preferred_ai,
            allow_delegation: raw.allow_delegation.unwrap_or(false),
            complexity_hint: raw.complexity_hint,
            isolation: raw.isolation,
            base: raw.base,
        }
    }
}

fn title<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    d.deserialize_any(ScalarText { field: "title" })
}

fn preferred_ai<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    d.deserialize_any(ScalarText {
        field: "preferred_ai",
    })
}

fn complexity_hint<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    d.deserialize_any(ScalarText {
        field: "complexity_hint",
    })
}

fn base<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    d.deserialize_any(ScalarText { field: "base" })
}

fn isolation<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Isolation>, D::Error> {
    d.deserialize_any(IsolationVisitor)
}

fn needs_claude_code<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    d.deserialize_any(Flag {
        field: "needs_claude_code",
    })
}

fn allow_delegation<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    d.deserialize_any(Flag {
        field: "allow_delegation",
    })
}

fn tags<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    d.deserialize_any(TextList {
        field: "tags",
        single: SingleText::Refused,
    })
}

fn depends_on<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    d.deserialize_any(TextList {
        field: "depends_on",
        single: SingleText::Accepted,
    })
}

fn priority<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Priority>, D::Error> {
    d.deserialize_any(PriorityVisitor)
}

/// A scalar (string, number or boolean) kept as text; null means absent.
struct ScalarText {
    field: &'static str,
}

impl<'de> Visitor<'de> for ScalarText {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` to be a single line of text", self.field)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// A boolean; null means absent.
struct Flag {
    field: &'static str,
}

impl<'de> Visitor<'de> for Flag {
    type Value = Option<bool>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` to be true or false", self.field)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// Whether a list field also accepts one bare string meaning a one-element list.
#[derive(Clone, Copy)]
enum SingleText {
    Accepted,
    Refused,
}

/// A list of scalars kept as text; null means empty.
struct TextList {
    field: &'static str,
    single: SingleText,
}

impl<'de> Visitor<'de> for TextList {
    type Value = Vec<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.single {
            SingleText::Accepted => {
                write!(
                    f,
                    "`{}` to be a list of strings or a single string",
                    self.field
                )
            }
            SingleText::Refused => write!(f, "`{}` to be a list of strings", self.field),
        }
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        match self.single {
            SingleText::Accepted => Ok(vec![v.to_string()]),
            SingleText::Refused => Err(E::invalid_type(de::Unexpected::Str(v), &self)),
        }
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(ListItem { field: self.field })? {
            items.push(item);
        }
        Ok(items)
    }
}

/// One element of a [`TextList`]: a scalar as text.
struct ListItem {
    field: &'static str,
}

impl<'de> de::DeserializeSeed<'de> for ListItem {
    type Value = String;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ListItem {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "each entry of `{}` to be a string", self.field)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(v.to_string())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(v.to_string())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(v.to_string())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(v.to_string())
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(v.to_string())
    }
}

/// A priority name, case-insensitive; null means absent.
struct PriorityVisitor;

impl<'de> Visitor<'de> for PriorityVisitor {
    type Value = Option<Priority>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("`priority` to be one of critical, high, default, low")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        v.parse::<Priority>()
            .map(Some)
            .map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// `shared` or `worktree`, case-insensitive; null means absent.
struct IsolationVisitor;

impl<'de> Visitor<'de> for IsolationVisitor {
    type Value = Option<Isolation>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("`isolation` to be `shared` or `worktree`")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Isolation::parse(v)
            .map(Some)
            .ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}
