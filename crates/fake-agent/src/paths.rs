//! Where the fake keeps its files: the config dir and the per-project transcript folder.

use std::path::{Path, PathBuf};

/// Longest slug kept as is; longer ones get a hash suffix like the real client.
const MAX_SLUG_LEN: usize = 200;

/// `$CLAUDE_CONFIG_DIR`, else `$HOME/.claude`, else `./.claude`.
pub fn config_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CLAUDE_CONFIG_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    home.join(".claude")
}

/// The project folder name the real client derives from the working directory: every character
/// outside `[A-Za-z0-9]` becomes `-`; past 200 characters, the first 200 plus `-` and a hash.
pub fn project_slug(cwd: &str) -> String {
    let slug: String = cwd
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    if slug.chars().count() <= MAX_SLUG_LEN {
        return slug;
    }
    let head: String = slug.chars().take(MAX_SLUG_LEN).collect();
    format!("{head}-{}", base36(java_string_hash(cwd).unsigned_abs()))
}

/// Java's `String.hashCode` over UTF-16 code units, as the real client computes it.
fn java_string_hash(text: &str) -> i32 {
    text.encode_utf16().fold(0i32, |hash, unit| {
        hash.wrapping_mul(31).wrapping_add(i32::from(unit))
    })
}

fn base36(mut value: u32) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(value % 36) as usize]);
        value /= 36;
        if value == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8_lossy(&out).into_owned()
}

/// `<config>/projects/<slug>/<session>.jsonl`.
pub fn transcript_path(config_dir: &Path, cwd: &str, session_id: &str) -> PathBuf {
    config_dir
        .join("projects")
        .join(project_slug(cwd))
        .join(format!("{session_id}.jsonl"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slug_matches_recorded_examples() {
        assert_eq!(project_slug("/tmp/ccwork"), "-tmp-ccwork");
        assert_eq!(project_slug("/tmp/ccwork_t"), "-tmp-ccwork-t");
        assert_eq!(project_slug("/home/a.b/Projekt ä"), "-home-a-b-Projekt--");
    }

    #[test]
    fn long_slugs_get_a_hash_suffix() {
        let long = format!("/{}", "x".repeat(300));
        let slug = project_slug(&long);
        assert!(slug.starts_with(&format!("-{}", "x".repeat(199))));
        assert_eq!(slug.as_bytes()[200], b'-');
        assert!(slug.len() > 201 && slug.len() <= 208, "{slug}");
    }

    #[test]
    fn java_hash_matches_known_values() {
        assert_eq!(java_string_hash("hello"), 99162322);
        assert_eq!(java_string_hash(""), 0);
        assert_eq!(base36(35), "z");
        assert_eq!(base36(36), "10");
    }

    #[test]
    fn transcript_path_layout() {
        let path = transcript_path(Path::new("/c"), "/tmp/w", "abc");
        assert_eq!(path, PathBuf::from("/c/projects/-tmp-w/abc.jsonl"));
    }
}
