//! Placeholder: screen.
