//! Tests of `FsWatcher` on real directories: only complete files are reported.

use std::collections::HashSet;
use std::ffi::OsString;
use std::fs;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use cf_queue::{FsEvent, FsWatcher, WatchTag};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

/// Collects events until `done` says so or the deadline passes; returns what arrived.
fn collect_until(
    rx: &mut UnboundedReceiver<FsEvent>,
    deadline: Duration,
    mut done: impl FnMut(&[FsEvent]) -> bool,
) -> Vec<FsEvent> {
    let start = Instant::now();
    let mut events = Vec::new();
    while start.elapsed() < deadline {
        while let Ok(e) = rx.try_recv() {
            events.push(e);
        }
        if done(&events) {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    events
}

/// Writes the file `dir/name` and collects events until its own event arrives, returning the
/// events before it. One watcher reports events in the order the kernel queued them, so
/// anything that was going to be reported before the sentinel has been: this replaces waiting
/// a while for an event that must not come.
fn events_before_sentinel(
    rx: &mut UnboundedReceiver<FsEvent>,
    dir: &Path,
    tag: &WatchTag,
    name: &str,
) -> Vec<FsEvent> {
    fs::write(dir.join(name), "sentinel").unwrap();
    let sentinel = changed(tag, name);
    let mut events = collect_until(rx, Duration::from_secs(5), |e| e.contains(&sentinel));
    let Some(position) = events.iter().position(|e| *e == sentinel) else {
        panic!("the sentinel {name} was never reported: {events:?}");
    };
    events.truncate(position);
    events
}

fn changed(tag: &WatchTag, name: &str) -> FsEvent {
    FsEvent::Changed {
        tag: tag.clone(),
        file_name: Some(OsString::from(name)),
    }
}

fn watcher_on(dir: &Path, tag: WatchTag) -> (FsWatcher, UnboundedReceiver<FsEvent>) {
    let (tx, rx) = unbounded_channel();
    let mut watcher = FsWatcher::new(tx).unwrap();
    watcher.watch(dir, tag).unwrap();
    (watcher, rx)
}

#[test]
fn a_file_written_in_two_chunks_is_reported_only_when_closed() {
    let dir = tempfile::tempdir().unwrap();
    let tag = WatchTag::Inbox("proj".into());
    let (_watcher, mut rx) = watcher_on(dir.path(), tag.clone());

    let mut file = fs::File::create(dir.path().join("t.md")).unwrap();
    file.write_all(b"first half").unwrap();
    file.flush().unwrap();
    // While the file is open nothing may be reported (create/modify are not events).
    let early = events_before_sentinel(&mut rx, dir.path(), &tag, "sentinel.md");
    assert!(early.is_empty(), "reported before close: {early:?}");
    file.write_all(b" second half").unwrap();
    drop(file);
    let events = collect_until(&mut rx, Duration::from_secs(5), |e| !e.is_empty());
    assert_eq!(events, [changed(&tag, "t.md")]);
}

#[test]
fn a_rename_into_the_dir_gives_one_event_and_hidden_temps_are_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = dir.path().join("inbox");
    let outside = dir.path().join("outside");
    fs::create_dir(&inbox).unwrap();
    fs::create_dir(&outside).unwrap();
    let tag = WatchTag::Inbox("proj".into());
    let (_watcher, mut rx) = watcher_on(&inbox, tag.clone());

    fs::write(outside.join("t.md"), "body").unwrap();
    fs::write(inbox.join(".t2.md.tmp-1-1"), "hidden temp").unwrap();
    fs::rename(outside.join("t.md"), inbox.join("t.md")).unwrap();
    fs::rename(inbox.join(".t2.md.tmp-1-1"), inbox.join("t2.md")).unwrap();
    let events = collect_until(&mut rx, Duration::from_secs(5), |e| e.len() >= 2);
    // Stray duplicates would come before the sentinel's event.
    let extra = events_before_sentinel(&mut rx, &inbox, &tag, "sentinel.md");
    assert_eq!(events, [changed(&tag, "t.md"), changed(&tag, "t2.md")]);
    assert!(extra.is_empty(), "{extra:?}");
}

#[test]
fn signals_see_touch_and_projects_dir_sees_new_folders() {
    let dir = tempfile::tempdir().unwrap();
    let signals = dir.path().join("signals");
    let projects = dir.path().join("projects");
    fs::create_dir(&signals).unwrap();
    fs::create_dir(&projects).unwrap();
    let (tx, mut rx) = unbounded_channel();
    let mut watcher = FsWatcher::new(tx).unwrap();
    watcher.watch(&signals, WatchTag::Signals).unwrap();
    watcher.watch(&projects, WatchTag::ProjectsDir).unwrap();

    fs::File::create(signals.join("agent-done-ccl-auto-11")).unwrap();
    fs::create_dir(projects.join("newproj")).unwrap();
    let want_signal = changed(&WatchTag::Signals, "agent-done-ccl-auto-11");
    let want_project = changed(&WatchTag::ProjectsDir, "newproj");
    let events = collect_until(&mut rx, Duration::from_secs(5), |e| {
        e.contains(&want_signal) && e.contains(&want_project)
    });
    assert!(events.contains(&want_signal), "{events:?}");
    assert!(events.contains(&want_project), "{events:?}");

    // Drain what the signal file may still report (create, then close), then unwatch: nothing
    // more from that directory, up to an event from the other one.
    events_before_sentinel(&mut rx, &projects, &WatchTag::ProjectsDir, "drained");
    watcher.unwatch(&signals).unwrap();
    fs::File::create(signals.join("agent-done-ccl-auto-12")).unwrap();
    let after = events_before_sentinel(&mut rx, &projects, &WatchTag::ProjectsDir, "after");
    assert!(
        after.iter().all(|e| !matches!(
            e,
            FsEvent::Changed {
                tag: WatchTag::Signals,
                ..
            }
        )),
        "{after:?}"
    );
}

#[test]
fn removing_a_watched_directory_asks_for_a_rescan() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = dir.path().join("inbox");
    fs::create_dir(&inbox).unwrap();
    let (_watcher, mut rx) = watcher_on(&inbox, WatchTag::Inbox("p".into()));
    fs::remove_dir(&inbox).unwrap();
    let events = collect_until(&mut rx, Duration::from_secs(5), |e| {
        e.iter().any(|e| matches!(e, FsEvent::Rescan { .. }))
    });
    assert!(
        events.iter().any(|e| matches!(e, FsEvent::Rescan { .. })),
        "{events:?}"
    );
}

#[test]
fn two_thousand_quick_files_are_all_seen_or_a_rescan_is_asked() {
    let dir = tempfile::tempdir().unwrap();
    let tag = WatchTag::Done("proj".into());
    let (_watcher, mut rx) = watcher_on(dir.path(), tag.clone());
    let wanted: HashSet<OsString> = (0..2000)
        .map(|i| OsString::from(format!("t{i}.md")))
        .collect();
    for name in &wanted {
        fs::write(dir.path().join(name), "x").unwrap();
    }
    let mut seen = HashSet::new();
    let mut rescan = false;
    let _ = collect_until(&mut rx, Duration::from_secs(20), |events| {
        for e in events {
            match e {
                FsEvent::Changed {
                    file_name: Some(n), ..
                } => {
                    seen.insert(n.clone());
                }
                FsEvent::Rescan { .. } => rescan = true,
                FsEvent::Changed { .. } => {}
            }
        }
        rescan || seen.len() == wanted.len()
    });
    eprintln!(
        "saw {} of {} files as events, rescan asked: {rescan}",
        seen.len(),
        wanted.len()
    );
    assert!(
        rescan || seen == wanted,
        "saw {} of {} and no rescan",
        seen.len(),
        wanted.len()
    );
}
