//! Runs, events, sessions and key-values: what goes in comes back out, with the right errors.

mod common;

use cf_store::{NewEvent, RunId, RunState, SessionKind, SessionRow, StoreError};
use common::{TempDb, at, new_run};

#[test]
fn run_goes_from_launching_to_working_to_finished() {
    let db = TempDb::new();
    let store = db.open();
    let id = store.begin_run(&new_run("T-1", "cf-1", 0)).unwrap();

    let launching = store.run_by_id(id).unwrap().unwrap();
    assert_eq!(launching.state, RunState::Launching);
    assert_eq!(launching.task_file_name, "T-1.md.dispatched");
    assert_eq!(launching.started_at, at(0));
    assert_eq!(launching.working_at, None);

    store.mark_run_working(id, at(1_000)).unwrap();
    store.mark_run_working(id, at(2_000)).unwrap();
    let working = store.run_by_id(id).unwrap().unwrap();
    assert_eq!(working.state, RunState::Working);
    assert_eq!(
        working.working_at,
        Some(at(1_000)),
        "the first time is kept"
    );

    store
        .finish_run(id, at(60_000), "done", "stop hook")
        .unwrap();
    let finished = store.run_by_id(id).unwrap().unwrap();
    assert_eq!(finished.state, RunState::Finished);
    assert_eq!(finished.ended_at, Some(at(60_000)));
    assert_eq!(finished.outcome.as_deref(), Some("done"));
    assert_eq!(finished.detail.as_deref(), Some("stop hook"));
    assert!(store.active_runs().unwrap().is_empty());
}

#[test]
fn active_runs_lists_unfinished_runs_oldest_first() {
    let db = TempDb::new();
    let store = db.open();
    let first = store.begin_run(&new_run("T-1", "cf-1", 0)).unwrap();
    let second = store.begin_run(&new_run("T-2", "cf-2", 10)).unwrap();
    let third = store.begin_run(&new_run("T-3", "cf-3", 20)).unwrap();
    store.mark_run_working(third, at(30)).unwrap();
    store.finish_run(second, at(40), "failed", "boom").unwrap();

    let active = store.active_runs().unwrap();
    let summary: Vec<_> = active.iter().map(|r| (r.id, r.state)).collect();
    assert_eq!(
        summary,
        [(first, RunState::Launching), (third, RunState::Working)]
    );
}

#[test]
fn recent_runs_are_newest_first_and_limited() {
    let db = TempDb::new();
    let store = db.open();
    let ids: Vec<RunId> = (0..5)
        .map(|i| {
            store
                .begin_run(&new_run(&format!("T-{i}"), "cf-1", i))
                .unwrap()
        })
        .collect();
    store.finish_run(ids[4], at(100), "done", "").unwrap();
    let recent: Vec<RunId> = store.recent_runs(3).unwrap().iter().map(|r| r.id).collect();
    assert_eq!(recent, [ids[4], ids[3], ids[2]]);
    assert_eq!(store.recent_runs(usize::MAX).unwrap().len(), 5);
    assert!(store.recent_runs(0).unwrap().is_empty());
}

#[test]
fn finishing_twice_or_an_unknown_run_is_an_error_and_keeps_the_first_outcome() {
    let db = TempDb::new();
    let store = db.open();
    let id = store.begin_run(&new_run("T-1", "cf-1", 0)).unwrap();
    store.finish_run(id, at(10), "done", "").unwrap();

    let err = store.finish_run(id, at(20), "timed_out", "").unwrap_err();
    assert!(
        matches!(&err, StoreError::RunAlreadyFinished { outcome, .. } if outcome == "done"),
        "{err:?}"
    );
    let err = store.mark_run_working(id, at(20)).unwrap_err();
    assert!(
        matches!(err, StoreError::RunAlreadyFinished { .. }),
        "{err:?}"
    );
    assert_eq!(
        store.run_by_id(id).unwrap().unwrap().outcome.as_deref(),
        Some("done")
    );

    let missing = RunId(id.0 + 100);
    let err = store.finish_run(missing, at(20), "done", "").unwrap_err();
    assert!(matches!(err, StoreError::UnknownRun { .. }), "{err:?}");
    let err = store.mark_run_working(missing, at(20)).unwrap_err();
    assert!(matches!(err, StoreError::UnknownRun { .. }), "{err:?}");
    assert_eq!(store.run_by_id(missing).unwrap(), None);
}

#[test]
fn events_come_back_newest_first_with_every_field() {
    let db = TempDb::new();
    let store = db.open();
    let first = store
        .record_event(&NewEvent {
            at: at(0),
            kind: "dispatched",
            session: Some("cf-1"),
            project: Some("alpha"),
            task_id: Some("T-1"),
            detail: "model sonnet",
        })
        .unwrap();
    let second = store
        .record_event(&NewEvent {
            at: at(5),
            kind: "swap",
            session: None,
            project: None,
            task_id: None,
            detail: "acct-a -> acct-b",
        })
        .unwrap();
    assert!(second > first);

    let events = store.recent_events(10).unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].id, second);
    assert_eq!(events[0].kind, "swap");
    assert_eq!(events[0].session, None);
    assert_eq!(events[1].at, at(0));
    assert_eq!(events[1].session.as_deref(), Some("cf-1"));
    assert_eq!(events[1].project.as_deref(), Some("alpha"));
    assert_eq!(events[1].task_id.as_deref(), Some("T-1"));
    assert_eq!(events[1].detail, "model sonnet");
    assert_eq!(store.recent_events(1).unwrap()[0].id, second);
}

#[test]
fn session_state_is_upserted_by_name() {
    let db = TempDb::new();
    let store = db.open();
    let mut row = SessionRow {
        name: "cf-2".to_string(),
        kind: SessionKind::Pool,
        state: "working".to_string(),
        account: "acct-a".to_string(),
        updated_at: at(0),
        cooldown_until: Some(at(300_000)),
    };
    store.set_session_state(&row).unwrap();
    let other = SessionRow {
        name: "alpha-dedicated".to_string(),
        kind: SessionKind::Dedicated,
        state: "idle".to_string(),
        account: "acct-a".to_string(),
        updated_at: at(0),
        cooldown_until: None,
    };
    store.set_session_state(&other).unwrap();

    row.state = "idle".to_string();
    row.account = "acct-b".to_string();
    row.updated_at = at(10);
    row.cooldown_until = None;
    store.set_session_state(&row).unwrap();

    assert_eq!(store.sessions().unwrap(), [other.clone(), row]);
    store.remove_session("cf-2").unwrap();
    store.remove_session("cf-2").unwrap();
    assert_eq!(store.sessions().unwrap(), [other]);
}

#[test]
fn kv_sets_replaces_and_removes() {
    let db = TempDb::new();
    let store = db.open();
    assert_eq!(store.get_kv("active_account").unwrap(), None);
    store.set_kv("active_account", "acct-a").unwrap();
    store.set_kv("active_account", "acct-b").unwrap();
    assert_eq!(
        store.get_kv("active_account").unwrap().as_deref(),
        Some("acct-b")
    );
    store.remove_kv("active_account").unwrap();
    assert_eq!(store.get_kv("active_account").unwrap(), None);
}

#[test]
fn a_foreign_session_kind_is_reported_not_panicked_on() {
    let db = TempDb::new();
    let store = db.open();
    let raw = rusqlite::Connection::open(&db.path).unwrap();
    raw.execute_batch(
        "PRAGMA ignore_check_constraints = ON;
         INSERT INTO sessions VALUES ('x', 'borrowed', 'idle', 'a', 0, NULL);",
    )
    .unwrap();
    let err = store.sessions().unwrap_err();
    assert!(
        matches!(&err, StoreError::BadValue { column: "kind", value, .. } if value == "borrowed"),
        "{err:?}"
    );
}

#[test]
fn timestamps_round_trip_at_millisecond_precision() {
    let db = TempDb::new();
    let store = db.open();
    let precise = jiff::Timestamp::from_nanosecond(1_795_251_600_123_456_789).unwrap();
    let mut run = new_run("T-1", "cf-1", 0);
    run.started_at = precise;
    let id = store.begin_run(&run).unwrap();
    let back = store.run_by_id(id).unwrap().unwrap().started_at;
    assert_eq!(back.as_millisecond(), 1_795_251_600_123);
}
