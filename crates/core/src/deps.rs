//! Placeholder: deps.
