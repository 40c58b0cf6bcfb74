//! Opening the state database: creation, WAL, reopening, read-only access, bad files.

mod common;

use std::time::{Duration, Instant};

use cf_store::{NewEvent, Store, StoreError, schema};
use common::{TempDb, at, new_run};
use rusqlite::Connection;

fn event(kind: &str, offset_ms: i64) -> NewEvent<'_> {
    NewEvent {
        at: at(offset_ms),
        kind,
        session: Some("cf-1"),
        project: Some("alpha"),
        task_id: Some("T-1"),
        detail: "",
    }
}

#[test]
fn open_creates_an_empty_file_at_the_current_schema_in_wal_mode() {
    let db = TempDb::new();
    let store = db.open();
    assert!(store.active_runs().unwrap().is_empty());
    drop(store);

    let raw = Connection::open(&db.path).unwrap();
    let mode: String = raw
        .query_row("PRAGMA journal_mode", [], |row| row.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let version: i64 = raw
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .unwrap();
    assert_eq!(version, schema::CURRENT_VERSION);
}

#[test]
fn migration_from_an_existing_empty_file() {
    let db = TempDb::new();
    std::fs::write(&db.path, b"").unwrap();
    let store = db.open();
    store.set_kv("active_account", "acct-a").unwrap();
    assert_eq!(
        store.get_kv("active_account").unwrap().as_deref(),
        Some("acct-a")
    );
}

#[test]
fn reopening_is_idempotent_and_keeps_everything() {
    let db = TempDb::new();
    let store = db.open();
    let run = store.begin_run(&new_run("T-1", "cf-1", 0)).unwrap();
    store.mark_run_working(run, at(500)).unwrap();
    store.record_event(&event("dispatched", 0)).unwrap();
    store.set_kv("daemon_pid", "4242").unwrap();
    drop(store);

    let store = db.open();
    let active = store.active_runs().unwrap();
    assert_eq!(active.len(), 1);
    assert_eq!(active[0].id, run);
    assert_eq!(active[0].working_at, Some(at(500)));
    assert_eq!(store.recent_events(10).unwrap()[0].kind, "dispatched");
    assert_eq!(store.get_kv("daemon_pid").unwrap().as_deref(), Some("4242"));
}

#[test]
fn open_in_a_missing_directory_names_the_path() {
    let db = TempDb::new();
    let path = db.dir.path().join("no-such-dir").join("state.db");
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::Open { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(!path.parent().unwrap().exists());
}

#[test]
fn garbage_file_is_refused_without_panic_and_left_untouched() {
    let db = TempDb::new();
    let garbage: Vec<u8> = (0..8192u32).map(|i| (i * 7 + 13) as u8).collect();
    std::fs::write(&db.path, &garbage).unwrap();

    let err = Store::open(&db.path).unwrap_err();
    assert!(matches!(err, StoreError::NotADatabase { .. }), "{err:?}");
    assert!(err.to_string().contains(&db.path.display().to_string()));
    let err = Store::open_read_only(&db.path).unwrap_err();
    assert!(matches!(err, StoreError::NotADatabase { .. }), "{err:?}");
    assert_eq!(std::fs::read(&db.path).unwrap(), garbage);
}

#[test]
fn short_text_file_is_refused() {
    let db = TempDb::new();
    std::fs::write(&db.path, b"not a database\n").unwrap();
    let err = Store::open(&db.path).unwrap_err();
    assert!(matches!(err, StoreError::NotADatabase { .. }), "{err:?}");
}

#[test]
fn read_only_open_of_a_missing_file_says_to_start_the_daemon() {
    let db = TempDb::new();
    let err = Store::open_read_only(&db.path).unwrap_err();
    assert!(matches!(err, StoreError::Missing { .. }), "{err:?}");
    assert!(err.to_string().contains("claude-failover run"));
    assert!(!db.path.exists());
}

#[test]
fn read_only_store_cannot_write() {
    let db = TempDb::new();
    drop(db.open());
    let reader = Store::open_read_only(&db.path).unwrap();
    let err = reader.set_kv("k", "v").unwrap_err();
    assert!(matches!(err, StoreError::Query { .. }), "{err:?}");
}

#[test]
fn read_only_open_refuses_an_unmigrated_or_newer_schema() {
    let db = TempDb::new();
    Connection::open(&db.path)
        .unwrap()
        .execute_batch("CREATE TABLE t (x);")
        .unwrap();
    let err = Store::open_read_only(&db.path).unwrap_err();
    assert!(
        matches!(err, StoreError::NotMigrated { found: 0, .. }),
        "{err:?}"
    );

    let newer = schema::CURRENT_VERSION + 1;
    Connection::open(&db.path)
        .unwrap()
        .pragma_update(None, "user_version", newer)
        .unwrap();
    let err = Store::open_read_only(&db.path).unwrap_err();
    assert!(matches!(err, StoreError::TooNew { .. }), "{err:?}");
    let err = Store::open(&db.path).unwrap_err();
    assert!(
        matches!(err, StoreError::TooNew { found, .. } if found == newer),
        "{err:?}"
    );
}

#[test]
fn reader_sees_committed_data_while_a_writer_holds_an_open_transaction() {
    let db = TempDb::new();
    let store = db.open();
    store.record_event(&event("dispatched", 0)).unwrap();

    let writer = Connection::open(&db.path).unwrap();
    writer.execute_batch("BEGIN IMMEDIATE;").unwrap();
    writer
        .execute(
            "INSERT INTO events (at, kind, detail) VALUES (1, 'uncommitted', '')",
            [],
        )
        .unwrap();

    let reader = Store::open_read_only(&db.path).unwrap();
    let started = Instant::now();
    let seen = reader.recent_events(10).unwrap();
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(
        seen.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(),
        ["dispatched"]
    );

    writer.execute_batch("COMMIT;").unwrap();
    assert_eq!(reader.recent_events(10).unwrap()[0].kind, "uncommitted");
}

#[test]
fn writer_commits_while_a_reader_holds_a_snapshot() {
    // Without WAL a reader's shared lock blocks the writer's commit until the busy timeout.
    let db = TempDb::new();
    let store = db.open();
    store.begin_run(&new_run("T-1", "cf-1", 0)).unwrap();

    let reader = Connection::open(&db.path).unwrap();
    reader.execute_batch("BEGIN;").unwrap();
    let count = |conn: &Connection| -> i64 {
        conn.query_row("SELECT count(*) FROM runs", [], |row| row.get(0))
            .unwrap()
    };
    assert_eq!(count(&reader), 1);

    let started = Instant::now();
    store.begin_run(&new_run("T-2", "cf-2", 10)).unwrap();
    assert!(started.elapsed() < Duration::from_secs(1));

    assert_eq!(count(&reader), 1, "the reader keeps its snapshot");
    reader.execute_batch("COMMIT;").unwrap();
    assert_eq!(count(&reader), 2);
}
