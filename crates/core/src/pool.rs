//! Placeholder: pool.
