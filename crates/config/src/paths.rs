//! Path expansion for config values: `~` and `~/x` go to the home directory, relative paths
//! resolve against the config file's directory, so that every path in `Config` is absolute.

use std::path::{Component, Path, PathBuf};

/// Where relative and `~` paths are anchored.
#[derive(Debug, Clone)]
pub(crate) struct PathBase<'a> {
    /// The user's home directory, for `~`.
    pub home: &'a Path,
    /// The directory holding the config file, for relative paths.
    pub config_dir: &'a Path,
}

/// Expands `text` to an absolute, lexically normalised path; the error says what to write.
pub(crate) fn expand_path(text: &str, base: &PathBase<'_>) -> Result<PathBuf, String> {
    if text.trim().is_empty() {
        return Err("is empty; write a path or remove the key".to_owned());
    }
    if text.contains('\0') {
        return Err("contains a NUL character; write a plain path".to_owned());
    }
    let joined = if text == "~" {
        base.home.to_path_buf()
    } else if let Some(rest) = text.strip_prefix("~/") {
        base.home.join(rest)
    } else if text.starts_with('~') {
        return Err(format!(
            "`{text}`: only `~` and `~/…` are expanded (to $HOME); write the full path of other users' homes"
        ));
    } else {
        base.config_dir.join(text)
    };
    Ok(normalise(&joined))
}

/// Removes `.` components and resolves `..` lexically (without touching the disk).
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push(component);
                }
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> PathBase<'static> {
        PathBase {
            home: Path::new("/home/op"),
            config_dir: Path::new("/etc/cf"),
        }
    }

    #[test]
    fn expands_home_relative_and_absolute() {
        let cases = [
            ("~", "/home/op"),
            ("~/.claude-a", "/home/op/.claude-a"),
            ("state", "/etc/cf/state"),
            ("./a/../b", "/etc/cf/b"),
            ("../srv", "/etc/srv"),
            ("/srv/projects/", "/srv/projects"),
        ];
        for (text, expected) in cases {
            assert_eq!(
                expand_path(text, &base()),
                Ok(PathBuf::from(expected)),
                "{text}"
            );
        }
    }

    #[test]
    fn refuses_other_users_homes_and_empty() {
        assert!(
            expand_path("~bob/x", &base())
                .unwrap_err()
                .contains("only `~`")
        );
        assert!(expand_path("  ", &base()).unwrap_err().contains("empty"));
    }
}
