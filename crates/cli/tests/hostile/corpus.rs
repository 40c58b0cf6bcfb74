//! The hostile task files themselves: what each one is made of and what must become of it.
//! Contents are generated (a 50 MiB file does not belong in git); every case names its
//! expected outcome.

use std::ffi::OsString;
use std::path::Path;

use super::harness::{drop_file, make_fifo, raw_name};

/// How a corpus entry is put into the inbox.
pub enum Make {
    /// A regular file with these bytes, renamed in atomically.
    Bytes(Vec<u8>),
    /// A symbolic link to this target.
    Symlink(std::path::PathBuf),
    /// A named pipe.
    Fifo,
    /// A directory.
    Dir,
}

/// One file of the corpus that must be refused with a reason and left where it is.
pub struct Refused {
    /// The inbox entry's name.
    pub name: OsString,
    /// What it is.
    pub make: Make,
    /// Words the `.invalid` reason must contain (lowercase compare).
    pub reason_has: &'static [&'static str],
}

impl Refused {
    fn new(name: impl Into<OsString>, make: Make, reason_has: &'static [&'static str]) -> Self {
        Refused {
            name: name.into(),
            make,
            reason_has,
        }
    }

    /// Creates the entry in `inbox`.
    pub fn create(&self, inbox: &Path) {
        let path = inbox.join(&self.name);
        match &self.make {
            Make::Bytes(bytes) => drop_file(inbox, &self.name, bytes),
            Make::Symlink(target) => {
                std::os::unix::fs::symlink(target, &path).expect("create the symlink")
            }
            Make::Fifo => make_fifo(&path),
            Make::Dir => std::fs::create_dir(&path).expect("create the folder"),
        }
    }
}

const UTF8: &[&str] = &["utf-8"];
const TOO_LARGE: &[&str] = &["1048576"];
const UNCLOSED: &[&str] = &["---"];
const FRONTMATTER: &[&str] = &["frontmatter line"];
const BAD_ID: &[&str] = &["task id", "rename"];

/// The frontmatter of a "billion laughs" alias bomb: nine levels of nine aliases each.
pub fn billion_laughs() -> String {
    let mut yaml = String::from("---\na: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
    for pair in names.windows(2) {
        let refs = vec![format!("*{}", pair[0]); 9].join(", ");
        yaml.push_str(&format!("{}: &{} [{refs}]\n", pair[1], pair[1]));
    }
    yaml.push_str("tags: *i\n---\nLaugh.\n");
    yaml
}

/// A 50 MiB task: valid frontmatter, then an endless body.
pub fn fifty_mib() -> Vec<u8> {
    let mut bytes = b"---\ntitle: enormous\n---\n".to_vec();
    bytes.resize(50 * 1024 * 1024, b'x');
    bytes
}

/// Every file that must end up refused with a `.invalid` sidecar. `outside` is a file in the
/// sentinel folder (a valid task) and `outside_dir` the sentinel folder itself.
pub fn refused_files(outside: &Path, outside_dir: &Path) -> Vec<Refused> {
    let deep = 10_000;
    vec![
        // Encoding.
        Refused::new(
            "not-utf8.md",
            Make::Bytes(b"---\ntitle: x\n---\nbody \xff\xfe end\n".to_vec()),
            UTF8,
        ),
        Refused::new(
            "overlong-slash.md",
            Make::Bytes(b"..\xc0\xaf..\xc0\xafetc".to_vec()),
            UTF8,
        ),
        Refused::new(
            "surrogate.md",
            Make::Bytes(b"half \xed\xa0\x80 pair".to_vec()),
            UTF8,
        ),
        Refused::new(
            "raw-c1.md",
            Make::Bytes(b"paste end \x9b201~ as a raw byte".to_vec()),
            UTF8,
        ),
        // Size.
        Refused::new("fifty-mib.md", Make::Bytes(fifty_mib()), TOO_LARGE),
        Refused::new(
            "one-byte-over.md",
            Make::Bytes(vec![b'y'; 1024 * 1024 + 1]),
            TOO_LARGE,
        ),
        // Truncated or broken frontmatter.
        Refused::new(
            "truncated.md",
            Make::Bytes(b"---\ntitle: half a task\npriority: hi".to_vec()),
            UNCLOSED,
        ),
        Refused::new("fence-only.md", Make::Bytes(b"---".to_vec()), UNCLOSED),
        Refused::new(
            "unterminated-quote.md",
            Make::Bytes(b"---\ntitle: \"never closed\n---\nbody\n".to_vec()),
            FRONTMATTER,
        ),
        Refused::new(
            "nul-in-frontmatter.md",
            Make::Bytes(b"---\ntitle: a\0b\n---\nbody\n".to_vec()),
            FRONTMATTER,
        ),
        Refused::new(
            "esc-in-frontmatter.md",
            Make::Bytes(b"---\ntitle: \x1b[201~\n---\nbody\n".to_vec()),
            FRONTMATTER,
        ),
        Refused::new(
            "not-a-mapping.md",
            Make::Bytes(b"---\n- a\n- b\n---\nbody\n".to_vec()),
            &["mapping"],
        ),
        // Hostile YAML.
        Refused::new(
            "billion-laughs.md",
            Make::Bytes(billion_laughs().into_bytes()),
            FRONTMATTER,
        ),
        Refused::new(
            "deep-flow.md",
            Make::Bytes(
                format!("---\ntags: {}{}\n---\n", "[".repeat(deep), "]".repeat(deep)).into_bytes(),
            ),
            FRONTMATTER,
        ),
        Refused::new(
            "deep-map.md",
            Make::Bytes(
                format!(
                    "---\nx: {}1{}\n---\n",
                    "{a: ".repeat(deep),
                    "}".repeat(deep)
                )
                .into_bytes(),
            ),
            FRONTMATTER,
        ),
        Refused::new(
            "deep-block.md",
            Make::Bytes(format!("---\ndepends_on:\n  {}x\n---\n", "- ".repeat(deep)).into_bytes()),
            FRONTMATTER,
        ),
        // Wrong types.
        Refused::new(
            "depends-on-five.md",
            Make::Bytes(b"---\ndepends_on: 5\n---\nbody\n".to_vec()),
            &["depends_on", "line 2"],
        ),
        Refused::new(
            "priority-list.md",
            Make::Bytes(b"---\npriority: [a]\n---\nbody\n".to_vec()),
            &["priority", "line 2"],
        ),
        Refused::new(
            "tags-map.md",
            Make::Bytes(b"---\ntitle: ok\ntags: {a: b}\n---\nbody\n".to_vec()),
            &["tags", "line 3"],
        ),
        Refused::new(
            "flag-text.md",
            Make::Bytes(b"---\nneeds_claude_code: \"yes\"\n---\nbody\n".to_vec()),
            &["needs_claude_code"],
        ),
        // Not regular files.
        Refused::new(
            "link-out.md",
            Make::Symlink(outside.to_path_buf()),
            &["symbolic link"],
        ),
        Refused::new(
            "link-dir.md",
            Make::Symlink(outside_dir.to_path_buf()),
            &["symbolic link"],
        ),
        Refused::new(
            "link-dangling.md",
            Make::Symlink(outside_dir.join("no-such-file.md")),
            &["symbolic link"],
        ),
        Refused::new(
            "link-zero.md",
            Make::Symlink("/dev/zero".into()),
            &["symbolic link"],
        ),
        Refused::new("pipe.md", Make::Fifo, &["fifo"]),
        Refused::new("x.md", Make::Dir, &["directory"]),
        // File names that are no task ids: a `:` (the `project:task` separator), a line break,
        // an escape sequence with a bracketed-paste end marker, a tab, a bidirectional override
        // that would show the name reversed. (Spaces, quotes and shell syntax are fine in a
        // task id; those names run, see `valid.rs`.)
        Refused::new("proj:task.md", Make::Bytes(b"body".to_vec()), BAD_ID),
        Refused::new("new\nline.md", Make::Bytes(b"body".to_vec()), BAD_ID),
        Refused::new("esc\x1b[201~name.md", Make::Bytes(b"body".to_vec()), BAD_ID),
        Refused::new("tab\tname.md", Make::Bytes(b"body".to_vec()), BAD_ID),
        Refused::new(
            "bidi\u{202e}dm.exe.md",
            Make::Bytes(b"body".to_vec()),
            BAD_ID,
        ),
        Refused::new(
            raw_name(b"latin1-\xe9t\xe9.md"),
            Make::Bytes(b"body".to_vec()),
            &["utf-8"],
        ),
    ]
}
