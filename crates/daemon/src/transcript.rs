//! Finding and reading a conversation's transcript, one of the three sources of how a turn
//! ended (`cf_core::turn`).
//!
//! The file is `<config dir>/projects/<slug of cwd>/<session id>.jsonl`; with shared links
//! `projects/` is itself a link into the shared folder. It is looked up by session id (or at the
//! `transcript_path` a hook reported) and read only if its resolved path lies inside a resolved
//! transcript root: the shared folder's `projects/` with two or more accounts, else each
//! account's own. At most [`TAIL_BYTES`] from the end are read. A missing or unreadable
//! transcript is not an error: it only removes one source.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use cf_config::Config;
use cf_core::resume::ResumeId;
use cf_core::transcript::{AssistantEntry, last_assistant_entry};
use jiff::Timestamp;

/// How much of a transcript's end is read: the turn's last entries, never the whole file.
pub const TAIL_BYTES: u64 = 256 * 1024;

/// The folders transcripts may be read from, resolved.
pub fn transcript_roots(cfg: &Config) -> Vec<PathBuf> {
    let mut roots: Vec<PathBuf> = match &cfg.shared_dir {
        Some(shared) => vec![shared.join("projects")],
        None => cfg
            .accounts
            .iter()
            .map(|a| a.config_dir.join("projects"))
            .collect(),
    };
    roots.retain_mut(|root| match root.canonicalize() {
        Ok(resolved) => {
            *root = resolved;
            true
        }
        Err(_) => false,
    });
    roots
}

/// The last assistant entry of the conversation `id` written at or after `since` (an entry of
/// an earlier turn says nothing about this one). `hinted` is the `transcript_path` a hook gave.
pub fn turn_entry(
    roots: &[PathBuf],
    id: &ResumeId,
    hinted: Option<&Path>,
    since: Timestamp,
) -> Option<AssistantEntry> {
    // A hinted path counts only if it is this conversation's file.
    let named_for_id = |p: &&Path| p.file_stem().and_then(|s| s.to_str()) == Some(id.as_str());
    let path = hinted
        .filter(named_for_id)
        .and_then(|p| inside_roots(p, roots))
        .or_else(|| find_by_id(roots, id))?;
    let tail = read_tail(&path)?;
    let entry = last_assistant_entry(&tail)?;
    match entry.at {
        Some(at) if at < since => None,
        _ => Some(entry),
    }
}

/// Most of a transcript read to count a task's tokens.
const TOKENS_BYTES: u64 = 64 * 1024 * 1024;

/// The input and output tokens of the conversation `id` (its whole transcript, up to
/// [`TOKENS_BYTES`] from its end); `(0, 0)` when it cannot be found.
pub fn conversation_tokens(roots: &[PathBuf], id: &ResumeId, hinted: Option<&Path>) -> (u64, u64) {
    let named_for_id = |p: &&Path| p.file_stem().and_then(|s| s.to_str()) == Some(id.as_str());
    let path = hinted
        .filter(named_for_id)
        .and_then(|p| inside_roots(p, roots))
        .or_else(|| find_by_id(roots, id));
    path.and_then(|p| read_last(&p, TOKENS_BYTES))
        .map(|text| cf_core::transcript::token_totals(&text))
        .unwrap_or((0, 0))
}

/// `path` resolved, if it is a `<id>.jsonl` file inside one of the roots.
fn inside_roots(path: &Path, roots: &[PathBuf]) -> Option<PathBuf> {
    let resolved = path.canonicalize().ok()?;
    let inside = roots.iter().any(|root| resolved.starts_with(root));
    (inside && resolved.is_file()).then_some(resolved)
}

/// `<root>/<any slug>/<id>.jsonl`, the first found.
fn find_by_id(roots: &[PathBuf], id: &ResumeId) -> Option<PathBuf> {
    let name = format!("{}.jsonl", id.as_str());
    roots.iter().find_map(|root| {
        let slugs = std::fs::read_dir(root).ok()?;
        slugs
            .flatten()
            .map(|slug| slug.path().join(&name))
            .find_map(|candidate| inside_roots(&candidate, roots))
    })
}

/// The last [`TAIL_BYTES`] of the file as text (invalid UTF-8 replaced: such lines fail to parse
/// and are skipped).
fn read_tail(path: &Path) -> Option<String> {
    read_last(path, TAIL_BYTES)
}

/// The last `limit` bytes of the file as text.
fn read_last(path: &Path, limit: u64) -> Option<String> {
    let mut file = File::open(path).ok()?;
    let size = file.metadata().ok()?.len();
    file.seek(SeekFrom::Start(size.saturating_sub(limit)))
        .ok()?;
    let mut bytes = Vec::new();
    file.take(limit).read_to_end(&mut bytes).ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "02b01326-ead3-4f83-b38f-5f5eb9f672ee";

    fn entry_line(at: &str, error: &str) -> String {
        format!(
            r#"{{"type":"assistant","timestamp":"{at}","message":{{"content":"x"}},"error":"{error}","isApiErrorMessage":true}}"#
        )
    }

    #[test]
    fn found_by_id_inside_the_root_and_only_for_this_turn() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("shared/projects");
        std::fs::create_dir_all(root.join("-srv-alpha")).expect("mkdir");
        let file = root.join(format!("-srv-alpha/{ID}.jsonl"));
        let body = format!(
            "{}\n{{\"type\":\"mode\"}}\n",
            entry_line("2026-12-01T09:11:24Z", "authentication_failed")
        );
        std::fs::write(&file, body).expect("write");
        let roots = vec![root.canonicalize().expect("resolve")];
        let id = ResumeId::parse(ID).expect("id");
        let since: Timestamp = "2026-12-01T09:11:00Z".parse().expect("instant");
        let entry = turn_entry(&roots, &id, None, since).expect("found");
        assert_eq!(
            entry.api_error.and_then(|e| e.kind).as_deref(),
            Some("authentication_failed")
        );
        let later: Timestamp = "2026-12-01T09:12:00Z".parse().expect("instant");
        assert_eq!(turn_entry(&roots, &id, None, later), None, "an older turn");
    }

    #[test]
    fn a_hinted_path_outside_the_roots_is_not_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("projects");
        std::fs::create_dir_all(&root).expect("mkdir");
        let outside = dir.path().join(format!("{ID}.jsonl"));
        std::fs::write(&outside, entry_line("2026-12-01T09:11:24Z", "server_error"))
            .expect("write");
        // A link inside the root that points outside it is refused too.
        std::os::unix::fs::symlink(dir.path(), root.join("escape")).expect("link");
        let roots = vec![root.canonicalize().expect("resolve")];
        let id = ResumeId::parse(ID).expect("id");
        assert_eq!(
            turn_entry(&roots, &id, Some(&outside), Timestamp::UNIX_EPOCH),
            None
        );
        let through_link = root.join(format!("escape/{ID}.jsonl"));
        assert_eq!(
            turn_entry(&roots, &id, Some(&through_link), Timestamp::UNIX_EPOCH),
            None
        );
    }
}
