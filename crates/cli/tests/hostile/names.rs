//! Names at the edge of the filesystem's limits and sidecars that are in the way: a task is
//! never left half-done, never lost, and the daemon neither dies nor spins.

use std::ffi::OsStr;
use std::time::Duration;

use crate::harness::{Hostile, drop_file, with_suffix};
use crate::support::{prompts_for, wait_until};

/// Whether `done/` (or `failed/`) of `project` holds a file whose content starts with `body`.
fn finished_with_body(h: &Hostile, project: &str, body: &[u8]) -> bool {
    ["done", "failed"].iter().any(|folder| {
        h.sandbox.files_in(project, folder).iter().any(|name| {
            let path = h
                .sandbox
                .projects_dir
                .join(project)
                .join(".agent-queue")
                .join(folder)
                .join(name);
            std::fs::read(path).is_ok_and(|c| c.starts_with(body))
        })
    })
}

#[test]
fn a_name_too_long_to_claim_is_kept_and_others_still_run() {
    let mut h = Hostile::new(&crate::quick_spec(), |_| {});
    let alpha = h.inbox("alpha");
    // 255 bytes: the longest name the filesystem takes; `<name>.dispatched` cannot exist.
    let name = format!("{}.md", "L".repeat(252));
    drop_file(
        &alpha,
        &name,
        b"A task whose name leaves no room for a suffix.\n",
    );
    h.start("long-name");
    h.run_control_task("gamma", "control-1");
    h.run_control_task("gamma", "control-2");
    h.assert_waiting_in_inbox("alpha", OsStr::new(&name));
    assert_eq!(h.sandbox.records().len(), 2, "only the controls ran");
    h.assert_outside_untouched();
    h.assert_alive();
    assert!(h.daemon().stop(), "the daemon exits cleanly on SIGTERM");
}

#[test]
fn a_long_task_id_that_can_be_claimed_is_also_finished() {
    let mut h = Hostile::new(&crate::quick_spec(), |_| {});
    let alpha = h.inbox("alpha");
    let id = "M".repeat(240);
    let body = b"A task with a long but valid id.\n";
    drop_file(&alpha, format!("{id}.md"), body);
    h.start("long-id");
    h.run_control_task("gamma", "control");
    let dispatched = alpha.join(format!("{id}.md.dispatched"));
    wait_until(
        Duration::from_secs(20),
        "the long-id task is finished (done/ or failed/) or refused before it runs",
        || {
            let refused =
                alpha.join(format!("{id}.md")).exists() && prompts_for(&h.sandbox, &id).is_empty();
            !dispatched.exists() && (finished_with_body(&h, "alpha", body) || refused)
        },
    );
    assert!(
        prompts_for(&h.sandbox, &id).len() <= 1,
        "it ran at most once"
    );
    if prompts_for(&h.sandbox, &id).is_empty() {
        // Refused (ids are capped at 200 bytes): an `.invalid` sidecar must say why.
        wait_until(Duration::from_secs(10), "the refusal is explained", || {
            std::fs::read_to_string(alpha.join(format!("{id}.md.invalid")))
                .is_ok_and(|reason| reason.contains("200 bytes"))
        });
    }
    h.assert_alive();
}

#[test]
fn a_folder_in_place_of_the_invalid_sidecar_does_not_make_the_daemon_spin() {
    let mut h = Hostile::new(&crate::quick_spec(), |_| {});
    let alpha = h.inbox("alpha");
    drop_file(&alpha, "blocked-by-folder.md", b"---\nnever closed\n");
    std::fs::create_dir(with_suffix(&alpha.join("blocked-by-folder.md"), ".invalid"))
        .expect("folder in the sidecar's place");
    h.start("sidecar-folder");
    h.run_control_task("gamma", "control-1");
    let problems = |h: &mut Hostile| {
        h.daemon()
            .log_text()
            .matches("cannot write the .invalid sidecar")
            .count()
    };
    let before = problems(&mut h);
    assert!(before >= 1, "the problem is reported");
    h.run_control_task("gamma", "control-2");
    let after = problems(&mut h);
    assert!(
        after - before <= 10,
        "one report per pass, no busy loop: {before} then {after}"
    );
    h.assert_waiting_in_inbox("alpha", OsStr::new("blocked-by-folder.md"));
    assert_eq!(h.sandbox.records().len(), 2, "only the controls ran");
    h.assert_alive();
}
