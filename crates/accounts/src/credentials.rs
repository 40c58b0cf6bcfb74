//! Whether an account's login changed: a fingerprint of the tokens in
//! `$CLAUDE_CONFIG_DIR/.credentials.json` (`claudeAiOauth.accessToken` and `refreshToken`).
//!
//! An account marked "needs attention" (expired login, refused subscription) becomes usable
//! again when its tokens change (the operator logged in again), never because the file was
//! touched: the client rewrites it at times with the same tokens. Only a SHA-256 digest of the
//! tokens leaves this module; the tokens themselves are never kept, logged or shown.

use std::path::Path;

use serde_json::Value;
use sha2::{Digest, Sha256};

/// The credentials file's name inside a config dir.
pub const CREDENTIALS_FILE_NAME: &str = ".credentials.json";

/// Largest credentials file read (a real one is well under 4 KiB).
const MAX_CREDENTIALS_BYTES: u64 = 256 * 1024;

/// A digest of the account's login tokens, as 32 hex digits; `None` when there is no readable
/// credentials file or it holds no token (an API-key account, or no login at all).
pub fn credentials_fingerprint(config_dir: &Path) -> Option<String> {
    let path = config_dir.join(CREDENTIALS_FILE_NAME);
    let file = std::fs::File::open(&path).ok()?;
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(
        &mut std::io::Read::take(file, MAX_CREDENTIALS_BYTES),
        &mut bytes,
    )
    .ok()?;
    let json: Value = serde_json::from_slice(&bytes).ok()?;
    let oauth = json.get("claudeAiOauth")?;
    let token = |key: &str| oauth.get(key).and_then(Value::as_str).unwrap_or_default();
    let (access, refresh) = (token("accessToken"), token("refreshToken"));
    if access.is_empty() && refresh.is_empty() {
        return None;
    }
    let mut digest = Sha256::new();
    digest.update(access.as_bytes());
    digest.update([0u8]);
    digest.update(refresh.as_bytes());
    let hash = digest.finalize();
    Some(hash.iter().take(16).map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, access: &str, refresh: &str, extra: &str) {
        let body = format!(
            r#"{{"claudeAiOauth":{{"accessToken":"{access}","refreshToken":"{refresh}","expiresAt":1,"scopes":[]{extra}}}}}"#
        );
        std::fs::write(dir.join(CREDENTIALS_FILE_NAME), body).expect("write");
    }

    #[test]
    fn changes_with_the_tokens_only() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(credentials_fingerprint(dir.path()), None, "no file");
        write(dir.path(), "sk-ant-oat01-aaa", "sk-ant-ort01-bbb", "");
        let first = credentials_fingerprint(dir.path()).expect("fingerprint");
        assert_eq!(first.len(), 32);
        assert!(!first.contains("aaa"), "no token in the fingerprint");
        write(
            dir.path(),
            "sk-ant-oat01-aaa",
            "sk-ant-ort01-bbb",
            r#","subscriptionType":"max""#,
        );
        assert_eq!(
            credentials_fingerprint(dir.path()).as_deref(),
            Some(first.as_str()),
            "a rewrite with the same tokens is no new login"
        );
        write(dir.path(), "sk-ant-oat01-ccc", "sk-ant-ort01-ddd", "");
        assert_ne!(credentials_fingerprint(dir.path()), Some(first));
    }

    #[test]
    fn garbage_or_no_tokens_give_none() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join(CREDENTIALS_FILE_NAME), "not json").expect("write");
        assert_eq!(credentials_fingerprint(dir.path()), None);
        std::fs::write(dir.path().join(CREDENTIALS_FILE_NAME), r#"{"other":1}"#).expect("write");
        assert_eq!(credentials_fingerprint(dir.path()), None);
    }
}
