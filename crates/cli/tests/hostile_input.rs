//! The hostile-input corpus of issue 3, end to end on a real (private) tmux server with the
//! fake agent: malformed, malicious and odd task files never crash the daemon, never make it
//! touch anything outside the sandbox, never type keys of their own into a terminal, and are
//! never lost (each stays in the inbox with a reason, or runs and lands in `done/`).

mod support;

#[path = "hostile/burst.rs"]
mod burst;
#[path = "hostile/corpus.rs"]
mod corpus;
#[path = "hostile/deps.rs"]
mod deps;
#[path = "hostile/harness.rs"]
mod harness;
#[path = "hostile/names.rs"]
mod names;
#[path = "hostile/valid.rs"]
mod valid;

use std::ffi::OsStr;
use std::path::Path;
use std::time::Duration;

use corpus::Make;
use harness::{Hostile, drop_file, with_suffix};
use support::{is_done, prompts_for, wait_until};

/// A sandbox spec with short agent turns, so that the valid tasks finish fast.
fn quick_spec() -> claude_failover::sandbox::SandboxSpec {
    let mut spec = support::spec();
    spec.work = "100ms".into();
    spec
}

fn symlink(target: &Path, link: &Path) {
    std::os::unix::fs::symlink(target, link).expect("create a symlink");
}

#[test]
fn malformed_files_are_refused_with_a_reason_and_kept() {
    let mut h = Hostile::new(&quick_spec(), |s| {
        for (name, text) in [
            ("secret.md", "Secret outside task: must never run.\n"),
            (
                "sidecar-target.txt",
                "A file a hostile sidecar link points at.\n",
            ),
            ("ghost-target.md", "Ghost outside task: must never run.\n"),
            ("hard-target.md", "Hard-linked task body.\n"),
        ] {
            std::fs::write(s.join(name), text).expect("write a sentinel file");
        }
    });
    let inbox = h.inbox("alpha");
    let sentinel = h.sentinel_dir().to_path_buf();

    // Already there at start-up: a claimed task that is a link out of the project, a sidecar
    // that is a link out, and a project whose folder name is a shell command.
    symlink(
        &sentinel.join("ghost-target.md"),
        &inbox.join("ghost.md.dispatched"),
    );
    drop_file(&inbox, "victim.md", b"---\nnever closed\n");
    symlink(
        &sentinel.join("sidecar-target.txt"),
        &inbox.join("victim.md.invalid"),
    );
    let evil_project = h.sandbox.projects_dir.join("evil$(touch pwned-project)");
    for sub in ["inbox", "done", "failed"] {
        std::fs::create_dir_all(evil_project.join(".agent-queue").join(sub)).expect("evil project");
    }
    drop_file(
        &evil_project.join(".agent-queue/inbox"),
        "t.md",
        b"Must not run: the project folder name is not a safe segment.\n",
    );

    h.start("corpus");
    let corpus = corpus::refused_files(&sentinel.join("secret.md"), &sentinel);
    for case in &corpus {
        case.create(&inbox);
    }
    std::fs::hard_link(sentinel.join("hard-target.md"), inbox.join("hardlink.md"))
        .expect("hard link");
    h.run_control_task("alpha", "control");

    let ghost = OsStr::new("ghost.md");
    let victim = OsStr::new("victim.md");
    wait_until(
        Duration::from_secs(30),
        "every refused file has a .invalid sidecar",
        || {
            corpus
                .iter()
                .map(|c| c.name.as_os_str())
                .chain([ghost, victim])
                .all(|name| h.invalid_reason("alpha", name).is_some())
        },
    );
    wait_until(Duration::from_secs(30), "the hard-linked task ran", || {
        is_done(&h.sandbox, "alpha", "hardlink")
    });
    h.assert_alive();

    for case in &corpus {
        let reason = h
            .invalid_reason("alpha", &case.name)
            .expect("reason")
            .to_lowercase();
        for needle in case.reason_has {
            assert!(
                reason.contains(&needle.to_lowercase()),
                "{}: the reason {reason:?} must mention {needle:?}",
                case.name.display()
            );
        }
        h.assert_waiting_in_inbox("alpha", &case.name);
        let path = inbox.join(&case.name);
        let meta = std::fs::symlink_metadata(&path).expect("still there");
        match &case.make {
            Make::Bytes(bytes) => assert!(
                meta.is_file() && std::fs::read(&path).expect("read") == *bytes,
                "{} must keep its content",
                case.name.display()
            ),
            Make::Symlink(target) => assert_eq!(
                std::fs::read_link(&path).ok().as_deref(),
                Some(target.as_path()),
                "{} stays the same link",
                case.name.display()
            ),
            Make::Fifo => {
                use std::os::unix::fs::FileTypeExt;
                assert!(meta.file_type().is_fifo(), "the fifo stays a fifo");
            }
            Make::Dir => assert!(meta.is_dir(), "the folder stays a folder"),
        }
    }

    // The claimed link was put back under its task name and refused as a link; its target
    // was never read into a prompt.
    h.assert_waiting_in_inbox("alpha", ghost);
    assert!(
        std::fs::symlink_metadata(inbox.join(ghost)).is_ok_and(|m| m.file_type().is_symlink()),
        "ghost.md is still the link"
    );
    assert!(
        h.invalid_reason("alpha", ghost)
            .is_some_and(|r| r.contains("symbolic link")),
        "ghost.md is refused as a link"
    );
    // The hostile sidecar link was replaced by a real sidecar, never written through.
    let victim_sidecar = with_suffix(&inbox.join(victim), ".invalid");
    assert!(
        std::fs::symlink_metadata(&victim_sidecar).is_ok_and(|m| m.is_file()),
        "the sidecar link is replaced by a regular file"
    );
    h.assert_waiting_in_inbox("alpha", victim);
    // The project with a shell command for a name is skipped, its task kept.
    assert!(
        evil_project.join(".agent-queue/inbox/t.md").is_file(),
        "the evil project's task is kept"
    );
    // The hard link is an ordinary file of the inbox: it runs; the file it shares its inode
    // with keeps its content (the sentinel snapshot checks that below).
    assert_eq!(prompts_for(&h.sandbox, "hardlink").len(), 1);

    let records = h.sandbox.records();
    let prompts: Vec<&str> = records
        .iter()
        .filter_map(|r| r["prompt"].as_str())
        .collect();
    assert_eq!(
        prompts.len(),
        2,
        "only the control and the hard-linked task reached an agent: {prompts:#?}"
    );
    assert!(
        prompts
            .iter()
            .all(|p| !p.contains("must never run") && !p.contains("Must not run")),
        "no refused content reached an agent: {prompts:#?}"
    );
    h.assert_prompts_clean();
    h.assert_outside_untouched();
    h.assert_alive();
    assert!(h.daemon().stop(), "the daemon exits cleanly on SIGTERM");
}
