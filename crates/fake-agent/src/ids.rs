//! Random session ids (UUID v4) and a small random source for spinner verbs.

use std::io::Read;
use std::time::{SystemTime, UNIX_EPOCH};

/// Sixteen random bytes from `/dev/urandom`, or from the clock and pid if that cannot be read.
pub fn random_bytes() -> [u8; 16] {
    let mut bytes = [0u8; 16];
    let from_urandom = std::fs::File::open("/dev/urandom")
        .and_then(|mut file| file.read_exact(&mut bytes))
        .is_ok();
    if !from_urandom {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let mixed = nanos ^ (u128::from(std::process::id()) << 64);
        bytes = mixed.to_le_bytes();
    }
    bytes
}

/// A random number below `bound` (`bound` > 0), good enough to pick a spinner verb.
pub fn random_below(bound: usize) -> usize {
    let bytes = random_bytes();
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[..8]);
    (u64::from_le_bytes(word) % bound.max(1) as u64) as usize
}

/// A new random UUID v4 in the lower-case hyphenated form the real client uses.
pub fn new_uuid() -> String {
    format_uuid(random_bytes())
}

/// Formats sixteen bytes as a UUID v4 (sets the version and variant bits).
pub fn format_uuid(mut bytes: [u8; 16]) -> String {
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Whether `text` looks like a session id (hex digits and hyphens only), so it is safe as a file name.
pub fn is_session_id(text: &str) -> bool {
    !text.is_empty() && text.len() <= 64 && text.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_has_v4_shape() {
        let id = new_uuid();
        assert_eq!(id.len(), 36);
        let parts: Vec<&str> = id.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('4'));
        assert!(matches!(&parts[3][..1], "8" | "9" | "a" | "b"));
        assert!(is_session_id(&id));
        assert_ne!(new_uuid(), id);
    }

    #[test]
    fn session_ids_are_safe_file_names() {
        assert!(!is_session_id("../etc/passwd"));
        assert!(!is_session_id(""));
        assert!(is_session_id("d3dfc52d-1248-4328-a877-e0f73ec7fe51"));
    }
}
