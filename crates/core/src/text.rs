//! Placeholder: text.
