//! Placeholder: shell.
