//! Tests of the `.invalid` sidecar: written atomically, current while the file is unchanged,
//! removed once the file changes.

mod common;

use std::fs;

use cf_queue::{SidecarKind, invalid_marker_current, mark_invalid, remove_sidecar, sidecar_path};
use common::{put, temp_project};

#[test]
fn invalid_marker_is_current_until_the_file_changes() {
    let (_dir, project) = temp_project();
    let task = put(&project, "bad.md", "---\ntitle: [unclosed\n---\nbody");
    assert_eq!(invalid_marker_current(&task).unwrap(), None);
    mark_invalid(&task, "frontmatter is not valid YAML at line 2").unwrap();
    let sidecar = sidecar_path(&task, SidecarKind::Invalid);
    assert_eq!(sidecar, project.inbox_dir().join("bad.md.invalid"));
    let json: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&sidecar).unwrap()).unwrap();
    assert_eq!(json["reason"], "frontmatter is not valid YAML at line 2");
    assert_eq!(
        json["fingerprint"]["size"],
        fs::metadata(&task).unwrap().len()
    );
    assert_eq!(
        invalid_marker_current(&task).unwrap().as_deref(),
        Some("frontmatter is not valid YAML at line 2")
    );

    // The operator fixes the file (same size, even): the marker is stale and removed.
    fs::write(&task, "---\ntitle: [closed]]\n---\nbody").unwrap();
    assert_eq!(invalid_marker_current(&task).unwrap(), None);
    assert!(!sidecar.exists());
}

#[test]
fn a_replaced_file_with_same_size_and_mtime_is_seen_as_changed() {
    let (_dir, project) = temp_project();
    let task = put(&project, "bad.md", "aaaa");
    mark_invalid(&task, "reason").unwrap();
    let mtime = fs::metadata(&task).unwrap().modified().unwrap();
    let replacement = project.inbox_dir().join("other");
    fs::write(&replacement, "bbbb").unwrap();
    fs::File::options()
        .write(true)
        .open(&replacement)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    fs::rename(&replacement, &task).unwrap();
    assert_eq!(invalid_marker_current(&task).unwrap(), None);
}

#[test]
fn a_garbled_marker_is_stale_and_a_missing_task_leaves_it() {
    let (_dir, project) = temp_project();
    let task = put(&project, "t.md", "x");
    let sidecar = put(&project, "t.md.invalid", "not json");
    assert_eq!(invalid_marker_current(&task).unwrap(), None);
    assert!(!sidecar.exists());

    mark_invalid(&task, "r").unwrap();
    fs::remove_file(&task).unwrap();
    assert_eq!(invalid_marker_current(&task).unwrap(), None);
    assert!(
        sidecar.exists(),
        "orphan markers are left for the scan to report"
    );
}

#[test]
fn marking_a_symlink_fingerprints_the_link_itself() {
    let (_dir, project) = temp_project();
    let outside = tempfile::tempdir().unwrap();
    fs::write(outside.path().join("t"), "x").unwrap();
    let link = project.inbox_dir().join("l.md");
    std::os::unix::fs::symlink(outside.path().join("t"), &link).unwrap();
    mark_invalid(&link, "task file is a symbolic link").unwrap();
    // Changing the target does not change the link.
    fs::write(outside.path().join("t"), "changed").unwrap();
    assert_eq!(
        invalid_marker_current(&link).unwrap().as_deref(),
        Some("task file is a symbolic link")
    );
}

#[test]
fn remove_sidecar_is_fine_when_absent() {
    let (_dir, project) = temp_project();
    let task = put(&project, "t.md", "x");
    let blocked = put(&project, "t.md.blocked", "");
    remove_sidecar(&task, SidecarKind::Blocked).unwrap();
    assert!(!blocked.exists());
    remove_sidecar(&task, SidecarKind::Blocked).unwrap();
    remove_sidecar(&task, SidecarKind::Delegated).unwrap();
    assert!(task.exists());
}

#[test]
fn a_sidecar_is_never_marked_invalid() {
    let (_dir, project) = temp_project();
    for name in [
        "a:b.md.invalid",
        "t.md.blocked",
        "t.md.delegated",
        "t.md.retry",
    ] {
        let sidecar = put(&project, name, "{}");
        let err = mark_invalid(&sidecar, "whatever").unwrap_err();
        assert!(err.to_string().contains("marker"), "{name}: {err}");
        assert!(
            !project.inbox_dir().join(format!("{name}.invalid")).exists(),
            "{name}"
        );
    }
}
