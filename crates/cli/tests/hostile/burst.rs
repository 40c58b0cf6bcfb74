//! 2,000 task files landing in one inbox at once, live and while the daemon cannot read its
//! watcher (so that the kernel queue overflows): every file is seen, none is lost.

use std::time::{Duration, Instant};

use crate::harness::{self, Hostile, drop_file};
use crate::quick_spec;
use crate::support::{is_done, wait_until};

/// How many task files land at once.
const BURST: usize = 2_000;

#[test]
fn two_thousand_files_in_one_burst_are_all_seen() {
    let mut h = Hostile::new(&quick_spec(), |_| {});
    h.start("burst");
    // The watchers are set up once a first task has run.
    h.run_control_task("gamma", "warm-up");
    let inbox = h.inbox("gamma");
    let started = Instant::now();
    for i in 0..BURST - 1 {
        drop_file(
            &inbox,
            format!("burst-{i:04}.md"),
            format!("---\ntitle: burst {i}\nno closing fence\n").as_bytes(),
        );
    }
    drop_file(
        &inbox,
        "burst-valid.md",
        b"The one valid task of the burst.\n",
    );
    let burst_took = started.elapsed();
    assert!(
        burst_took < Duration::from_secs(10),
        "the burst must land within about a second, took {burst_took:?}"
    );

    wait_all_seen(
        &h,
        "all 2,000 burst files are seen (1,999 sidecars and one run)",
        "burst-valid",
    );
    h.assert_alive();
    let log = h.daemon().log_text();
    eprintln!(
        "burst of {BURST} written in {burst_took:?}; the watcher asked for {} rescan(s)",
        log.matches("asks for a rescan").count()
    );
    let inbox_files = h.sandbox.files_in("gamma", "inbox");
    for i in 0..BURST - 1 {
        let name = format!("burst-{i:04}.md");
        assert!(
            inbox_files.binary_search(&name).is_ok(),
            "{name} is still in the inbox"
        );
    }
    assert_eq!(
        inbox_files.len(),
        2 * (BURST - 1),
        "the inbox holds the 1,999 refused tasks and their sidecars only"
    );
    assert_eq!(
        h.sandbox.records().len(),
        2,
        "only the warm-up and the valid burst task ran"
    );
    h.assert_outside_untouched();
    assert!(h.daemon().stop(), "the daemon exits cleanly on SIGTERM");
}

#[test]
fn a_burst_that_overflows_the_watcher_queue_is_recovered_by_a_rescan() {
    const NOISE: usize = 4_000;
    let mut h = Hostile::new(&quick_spec(), |_| {});
    h.start("overflow");
    h.run_control_task("gamma", "warm-up");
    let inbox = h.inbox("gamma");
    {
        // While the daemon is stopped nobody reads the inotify queue: 2,000 tasks (five events
        // each) plus hidden files created and removed (three events each) are more than the
        // kernel keeps (16,384 by default), so events are lost and only a rescan can help.
        let _paused = harness::Paused::daemon(&h.daemon().log_text());
        for i in 0..BURST - 1 {
            drop_file(
                &inbox,
                format!("lost-{i:04}.md"),
                format!("---\ntitle: lost {i}\nno closing fence\n").as_bytes(),
            );
        }
        drop_file(
            &inbox,
            "lost-valid.md",
            b"The one valid task of the overflow burst.\n",
        );
        for i in 0..NOISE {
            let noise = inbox.join(format!(".noise-{i}"));
            std::fs::write(&noise, b"x").expect("noise file");
            std::fs::remove_file(&noise).expect("remove noise file");
        }
    }
    wait_all_seen(
        &h,
        "all 2,000 files of the overflowed burst are seen",
        "lost-valid",
    );
    h.assert_alive();
    assert!(
        h.daemon().log_text().contains("queue overflowed"),
        "the watcher reported the overflow and asked for a rescan"
    );
    assert_eq!(
        h.sandbox.files_in("gamma", "inbox").len(),
        2 * (BURST - 1),
        "the inbox holds the 1,999 refused tasks and their sidecars only"
    );
    assert_eq!(
        h.sandbox.records().len(),
        2,
        "only the warm-up and the valid task ran"
    );
    h.assert_outside_untouched();
    assert!(h.daemon().stop(), "the daemon exits cleanly on SIGTERM");
}

/// Waits until every file of a burst was seen: the 1,999 invalid ones have their sidecar and the
/// valid one (`valid_id`) is done.
fn wait_all_seen(h: &Hostile, what: &str, valid_id: &str) {
    let invalid_count = || {
        h.sandbox
            .files_in("gamma", "inbox")
            .iter()
            .filter(|n| n.ends_with(".md.invalid"))
            .count()
    };
    wait_until(Duration::from_secs(45), what, || {
        invalid_count() == BURST - 1 && is_done(&h.sandbox, "gamma", valid_id)
    });
}
