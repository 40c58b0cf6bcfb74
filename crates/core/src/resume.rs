//! Placeholder: resume.
