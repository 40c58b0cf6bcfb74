//! The platform API key as a type that cannot leak through `Debug`, `Display` or logs.

use std::fmt;

/// The bearer key of the job platform.
///
/// Its `Debug` prints `<redacted>` and it has no `Display`, so it cannot end up in a
/// log line, an error message or a status response by accident. The only way to the
/// text is [`ApiKey::expose`], used once: to build the `Authorization` header.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key read from the environment or a secret store.
    pub fn new(key: impl Into<String>) -> ApiKey {
        ApiKey(key.into())
    }

    /// The key itself. Call only where it goes on the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Replaces every occurrence of the key in `text` (e.g. an error body echoed
    /// by a server) so that it cannot travel further in a message.
    pub(crate) fn scrub(&self, text: &str) -> String {
        if self.0.is_empty() {
            return text.to_owned();
        }
        text.replace(&self.0, "<redacted>")
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_key() {
        let key = ApiKey::new("sk-very-secret");
        assert_eq!(format!("{key:?}"), "<redacted>");
        assert_eq!(format!("{key:#?}"), "<redacted>");
        assert_eq!(key.expose(), "sk-very-secret");
    }

    #[test]
    fn scrub_removes_echoed_keys() {
        let key = ApiKey::new("sk-1");
        assert_eq!(
            key.scrub("bad key sk-1 (sk-1)"),
            "bad key <redacted> (<redacted>)"
        );
        assert_eq!(ApiKey::new("").scrub("text"), "text");
    }
}
