//! Tests of `read_task_file`: regular files only, no symlinks, fifos never block, size limit.

mod common;

use std::time::{Duration, Instant};

use cf_queue::{DEFAULT_MAX_TASK_BYTES, FileKind, ReadError, read_task_file};

#[test]
fn reads_a_regular_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.md");
    std::fs::write(&path, "hello").unwrap();
    assert_eq!(
        read_task_file(&path, DEFAULT_MAX_TASK_BYTES).unwrap(),
        b"hello"
    );
}

#[test]
fn refuses_a_symlink_pointing_outside() {
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secret");
    std::fs::write(&secret, "do not read").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("a.md");
    std::os::unix::fs::symlink(&secret, &link).unwrap();
    let err = read_task_file(&link, DEFAULT_MAX_TASK_BYTES).unwrap_err();
    assert!(
        matches!(err, ReadError::Symlink { ref path } if *path == link),
        "{err:?}"
    );
    assert!(err.to_string().contains("symbolic link"), "{err}");
}

#[test]
fn a_fifo_does_not_block_and_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("a.md");
    common::mkfifo(&fifo);
    let started = Instant::now();
    let (tx, rx) = std::sync::mpsc::channel();
    let fifo_for_thread = fifo.clone();
    std::thread::spawn(move || {
        let _ = tx.send(read_task_file(&fifo_for_thread, DEFAULT_MAX_TASK_BYTES));
    });
    let result = rx
        .recv_timeout(Duration::from_secs(5))
        .expect("reading a fifo blocked");
    assert!(started.elapsed() < Duration::from_secs(5));
    let err = result.unwrap_err();
    assert!(
        matches!(
            err,
            ReadError::NotRegular {
                kind: FileKind::Fifo,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn a_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("x.md");
    std::fs::create_dir(&sub).unwrap();
    let err = read_task_file(&sub, DEFAULT_MAX_TASK_BYTES).unwrap_err();
    assert!(
        matches!(
            err,
            ReadError::NotRegular {
                kind: FileKind::Directory,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("x.md"), "{err}");
}

#[test]
fn a_two_mib_file_is_too_large() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.md");
    std::fs::write(&path, vec![b'a'; 2 * 1024 * 1024]).unwrap();
    let err = read_task_file(&path, DEFAULT_MAX_TASK_BYTES).unwrap_err();
    match err {
        ReadError::TooLarge { size, max, .. } => {
            assert_eq!(size, 2 * 1024 * 1024);
            assert_eq!(max, DEFAULT_MAX_TASK_BYTES);
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }
    // Exactly at the limit is fine.
    std::fs::write(&path, vec![b'a'; 1024 * 1024]).unwrap();
    assert_eq!(
        read_task_file(&path, DEFAULT_MAX_TASK_BYTES).unwrap().len(),
        1024 * 1024
    );
}

#[test]
fn a_missing_file_is_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let err = read_task_file(&dir.path().join("nope.md"), 10).unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert!(err.to_string().contains("nope.md"));
}
