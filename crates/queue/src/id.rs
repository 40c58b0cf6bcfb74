//! Task ids for the queue: validation of file stems and generated ids for new tasks.

use cf_core::TaskId;

/// Longest slug taken from a title in [`new_task_id`].
const MAX_SLUG_CHARS: usize = 40;

/// True when `s` is one safe path segment (`[A-Za-z0-9._-]+`, not `.`/`..`): the rule for
/// project folder names, stricter than the one for task ids.
pub(crate) fn is_valid_segment(s: &str) -> bool {
    cf_core::deps::validate_segment(s).is_ok()
}

/// The task id for a file stem (see [`TaskId::parse`]: spaces and accents are fine), or why
/// it is not one, in words for the operator.
pub(crate) fn parse_stem(stem: &str) -> Result<TaskId, String> {
    TaskId::parse(stem).map_err(|e| format!("{e}: rename the file"))
}

/// An id for a task the user gave no id: `YYYYMMDD-HHMMSS[-slug]` in UTC, e.g.
/// `20261121-091500-fix-login`. The slug is the title lowercased, runs of anything but ASCII
/// letters and digits turned into one `-`, at most 40 characters.
pub fn new_task_id(now: jiff::Timestamp, title: Option<&str>) -> TaskId {
    let mut id = now.strftime("%Y%m%d-%H%M%S").to_string();
    let slug = title.map(slugify).unwrap_or_default();
    if !slug.is_empty() {
        id.push('-');
        id.push_str(&slug);
    }
    // Digits and '-' only, plus [a-z0-9-] from the slug: always a valid segment.
    TaskId::parse(&id).unwrap_or_else(|_| fallback_id(now))
}

/// The timestamp part alone; unreachable in practice, kept so no panic path exists.
fn fallback_id(now: jiff::Timestamp) -> TaskId {
    let digits: String = now.as_second().unsigned_abs().to_string();
    TaskId::parse(&digits).unwrap_or_else(|_| fallback_id(jiff::Timestamp::UNIX_EPOCH))
}

fn slugify(title: &str) -> String {
    let mut slug = String::new();
    let mut pending_dash = false;
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            if pending_dash && !slug.is_empty() {
                slug.push('-');
            }
            pending_dash = false;
            slug.push(c.to_ascii_lowercase());
            if slug.len() >= MAX_SLUG_CHARS {
                break;
            }
        } else {
            pending_dash = true;
        }
    }
    slug
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_task_id_has_time_and_slug() {
        let now: jiff::Timestamp = "2026-11-21T09:15:00Z".parse().unwrap();
        assert_eq!(
            new_task_id(now, Some("Fix login!")).as_str(),
            "20261121-091500-fix-login"
        );
        assert_eq!(new_task_id(now, None).as_str(), "20261121-091500");
        assert_eq!(
            new_task_id(now, Some("  ../../etc/passwd ")).as_str(),
            "20261121-091500-etc-passwd"
        );
        assert_eq!(
            new_task_id(now, Some("été ☃")).as_str(),
            "20261121-091500-t"
        );
        assert_eq!(new_task_id(now, Some("☃")).as_str(), "20261121-091500");
        let long = new_task_id(now, Some(&"a".repeat(100)));
        assert_eq!(
            long.as_str().len(),
            "20261121-091500-".len() + MAX_SLUG_CHARS
        );
    }

    #[test]
    fn segments() {
        assert!(is_valid_segment("a.b_c-1"));
        assert!(!is_valid_segment("a b"));
        assert!(!is_valid_segment(".."));
        assert!(parse_stem("").is_err());
        assert_eq!(
            parse_stem("a:b").unwrap_err(),
            "task id `a:b` has the character ':' at byte 1; `/`, `:` and control characters \
             (line breaks, escapes, bidirectional controls) are not allowed: rename the file"
        );
        assert_eq!(parse_stem("a.b_c-1").unwrap().as_str(), "a.b_c-1");
        assert_eq!(parse_stem("a b").unwrap().as_str(), "a b");
    }
}
