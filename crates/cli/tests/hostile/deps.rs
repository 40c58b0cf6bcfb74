//! Path traversal and other refused entries in `depends_on`: the task never runs, even when
//! a decoy outside the projects folder would "resolve" the traversal, and nothing outside the
//! sandbox is created.

use std::ffi::OsStr;
use std::path::Path;
use std::time::Duration;

use crate::harness::{Hostile, drop_file, with_suffix};
use crate::support::{is_done, prompts_for, wait_until};

/// `(task id, YAML value of depends_on)` for every entry that must be refused or stay
/// unresolved. `{sentinel}` is replaced by the sentinel folder's name, reachable from
/// `<projects_dir>/<project>` as `../../{sentinel}`.
const REFUSED: &[(&str, &str)] = &[
    ("dep-dotdot-tmp", r#"["../../tmp:foo"]"#),
    ("dep-dotdot-sentinel", r#"["../../{sentinel}:foo"]"#),
    ("dep-slash", r#"["a/b:c"]"#),
    ("dep-empty-project", r#"[":x"]"#),
    ("dep-empty-task", r#"["x:"]"#),
    ("dep-nocolon", r#"[nocolon]"#),
    ("dep-two-colons", r#"["beta:dep-target:x"]"#),
    ("dep-dotdot-task", r#"["beta:.."]"#),
    ("dep-task-traversal", r#"["beta:../done/dep-target"]"#),
    ("dep-single-string", r#""../../tmp:foo""#),
    ("dep-absolute", r#"["/etc:passwd"]"#),
    ("dep-nul", r#"["beta:dep-target\0"]"#),
    ("dep-glob", r#"["beta:dep-*"]"#),
    ("dep-unknown-project", r#"[nosuch:foo]"#),
    // One good entry does not outweigh a refused one.
    ("dep-mixed", r#"[beta:dep-target, "../../{sentinel}:foo"]"#),
];

fn task_text(depends_on: &str, sentinel: &str) -> String {
    format!(
        "---\npriority: critical\ndepends_on: {}\n---\nMust never run: refused dependency.\n",
        depends_on.replace("{sentinel}", sentinel)
    )
}

/// Decoys that a naive path join would find: `done/` folders outside the projects folder.
fn plant_decoys(h: &Hostile) {
    let decoy = h.sandbox.projects_dir.join("a/b/.agent-queue/done");
    std::fs::create_dir_all(&decoy).expect("decoy folder");
    std::fs::write(decoy.join("c.md"), "decoy\n").expect("decoy file");
}

#[test]
fn dependency_traversal_is_refused_before_any_lookup() {
    let mut h = Hostile::new(&crate::quick_spec(), |s| {
        let done = s.join(".agent-queue/done");
        std::fs::create_dir_all(&done).expect("sentinel decoy folder");
        std::fs::write(
            done.join("foo.md"),
            "decoy: resolves ../../<sentinel>:foo\n",
        )
        .expect("sentinel decoy");
    });
    plant_decoys(&h);
    let sentinel = h
        .sentinel_dir()
        .file_name()
        .and_then(|n| n.to_str())
        .expect("sentinel name")
        .to_string();
    h.start("deps");
    let alpha = h.inbox("alpha");
    for (id, deps) in REFUSED {
        drop_file(
            &alpha,
            format!("{id}.md"),
            task_text(deps, &sentinel).as_bytes(),
        );
    }
    // The positive control: a valid dependency opens the gate once its target is done.
    drop_file(
        &alpha,
        "dep-ok.md",
        b"---\npriority: critical\ndepends_on: [beta:dep-target]\n---\nRuns after its dependency.\n",
    );
    h.sandbox
        .add_task("beta", "dep-target", "The dependency target.\n")
        .expect("add the target");
    wait_until(Duration::from_secs(45), "the valid dependent ran", || {
        is_done(&h.sandbox, "alpha", "dep-ok")
    });
    assert!(is_done(&h.sandbox, "beta", "dep-target"));
    // Two more full passes (one after a done/ event) with the refused tasks first in line.
    h.run_control_task("gamma", "control-1");
    h.run_control_task("gamma", "control-2");
    h.assert_alive();

    for (id, _) in REFUSED {
        h.assert_waiting_in_inbox("alpha", OsStr::new(&format!("{id}.md")));
        assert!(
            waiting_reason(&alpha, id).is_some(),
            "{id} has a sidecar that says why it waits"
        );
    }
    assert_eq!(prompts_for(&h.sandbox, "dep-ok").len(), 1);
    assert_eq!(
        h.sandbox.records().len(),
        4,
        "only dep-target, dep-ok and the two controls ran"
    );
    assert_eq!(
        std::fs::read_dir(h.sandbox.projects_dir.join("a/b/.agent-queue/done"))
            .expect("decoy folder")
            .count(),
        1,
        "the decoy folder inside the projects folder is untouched"
    );
    h.assert_prompts_clean();
    h.assert_outside_untouched();
    assert!(h.daemon().stop(), "the daemon exits cleanly on SIGTERM");
}

/// The text of the sidecar (`.blocked`, or `.invalid`) that explains why `<id>.md` waits.
fn waiting_reason(inbox: &Path, id: &str) -> Option<String> {
    [".blocked", ".invalid"]
        .iter()
        .find_map(|s| std::fs::read_to_string(with_suffix(&inbox.join(format!("{id}.md")), s)).ok())
}

#[test]
fn refused_dependencies_are_explained_in_a_sidecar() {
    let mut h = Hostile::new(&crate::quick_spec(), |_| {});
    h.start("deps-reason");
    let alpha = h.inbox("alpha");
    // (id, words its reason must hold)
    let expected: [(&str, &[&str]); 5] = [
        ("dep-dotdot-tmp", &["refused", "../../tmp:foo"]),
        ("dep-slash", &["refused", "a/b:c"]),
        ("dep-nocolon", &["refused", "nocolon"]),
        ("dep-nul", &["refused", "beta:dep-target"]),
        ("dep-unknown-project", &["unknown project", "nosuch:foo"]),
    ];
    for (id, deps) in REFUSED
        .iter()
        .filter(|(id, _)| expected.iter().any(|(e, _)| e == id))
    {
        drop_file(
            &alpha,
            format!("{id}.md"),
            task_text(deps, "unused").as_bytes(),
        );
    }
    h.run_control_task("gamma", "control");
    wait_until(
        Duration::from_secs(10),
        "every task with a refused or unresolved dependency has a sidecar saying why",
        || {
            expected
                .iter()
                .all(|(id, _)| waiting_reason(&alpha, id).is_some())
        },
    );
    for (id, words) in expected {
        let reason = waiting_reason(&alpha, id).expect("reason").to_lowercase();
        for word in words {
            assert!(
                reason.contains(word),
                "{id}: {reason:?} must mention {word:?}"
            );
        }
        assert!(
            !reason.chars().any(|c| c.is_control() && c != '\n'),
            "{id}: the reason shows the entry escaped: {reason:?}"
        );
        h.assert_waiting_in_inbox("alpha", OsStr::new(&format!("{id}.md")));
    }
    h.assert_outside_untouched();
    h.assert_alive();
}

#[test]
fn hostile_blocked_sidecars_are_never_followed() {
    let mut h = Hostile::new(&crate::quick_spec(), |s| {
        std::fs::write(
            s.join("blocked-target.txt"),
            "a .blocked link points here\n",
        )
        .expect("sentinel file");
        std::fs::write(
            s.join("stale-target.txt"),
            "a stale .blocked link points here\n",
        )
        .expect("sentinel file");
    });
    let alpha = h.inbox("alpha");
    let sentinel = h.sentinel_dir().to_path_buf();
    // A blocked task whose sidecar is a link out of the project: never written through.
    drop_file(
        &alpha,
        "linked-block.md",
        b"---\ndepends_on: [beta:never-done]\n---\nMust never run: its dependency is missing.\n",
    );
    std::os::unix::fs::symlink(
        sentinel.join("blocked-target.txt"),
        with_suffix(&alpha.join("linked-block.md"), ".blocked"),
    )
    .expect("symlink");
    // A ready task with a stale sidecar link: the link goes, its target stays.
    drop_file(&alpha, "stale-block.md", b"Runs: nothing blocks it.\n");
    std::os::unix::fs::symlink(
        sentinel.join("stale-target.txt"),
        with_suffix(&alpha.join("stale-block.md"), ".blocked"),
    )
    .expect("symlink");
    h.start("blocked-links");
    wait_until(Duration::from_secs(30), "the ready task ran", || {
        is_done(&h.sandbox, "alpha", "stale-block")
    });
    h.run_control_task("gamma", "control");
    h.assert_waiting_in_inbox("alpha", OsStr::new("linked-block.md"));
    assert!(
        std::fs::symlink_metadata(with_suffix(&alpha.join("stale-block.md"), ".blocked")).is_err(),
        "the stale sidecar link is removed"
    );
    assert_eq!(
        h.sandbox.records().len(),
        2,
        "stale-block and the control ran"
    );
    h.assert_outside_untouched();
    h.assert_alive();
    assert!(h.daemon().stop(), "the daemon exits cleanly on SIGTERM");
}
