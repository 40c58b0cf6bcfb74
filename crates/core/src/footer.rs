//! Placeholder: footer.
