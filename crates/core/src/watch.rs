//! Placeholder: watch.
