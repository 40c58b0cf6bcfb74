//! migrate: an account's real directory merged into the shared target without overwriting
//! anything, refused as a whole on any clash, resumable after a crash, then linked.

mod shared;

use std::fs;
use std::path::{Path, PathBuf};

use cf_accounts::{AccountsError, MigrateStart, check_links, ensure_links, migrate};
use shared::{Setup, tree, write};

#[test]
fn migrate_moves_nested_contents_merges_directories_then_links() {
    let setup = Setup::new();
    setup.write("a/projects/-tmp-x/1111.jsonl", "a's conversation");
    setup.write("a/projects/-tmp-x/sub/deep/note.txt", "deep");
    setup.write("a/projects/-tmp-z/3333.jsonl", "z");
    setup.write("shared/projects/-tmp-x/2222.jsonl", "b's conversation");
    setup.write("shared/projects/-tmp-y/4444.jsonl", "y");

    let report = migrate(&setup.account("a"), "projects", &setup.shared()).unwrap();

    assert_eq!(report.start, MigrateStart::Directory);
    assert_eq!(
        report.moved,
        [
            PathBuf::from("-tmp-x/1111.jsonl"),
            PathBuf::from("-tmp-x/sub"),
            PathBuf::from("-tmp-z"),
        ]
    );
    assert!(report.identical_removed.is_empty());
    let link = setup.path("a/projects");
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(
        fs::read_link(&link).unwrap(),
        setup.shared().join("projects")
    );
    let shared: Vec<_> = tree(&setup.shared().join("projects")).into_iter().collect();
    let expected: Vec<(String, String)> = [
        ("-tmp-x", "dir"),
        ("-tmp-x/1111.jsonl", "file:a's conversation"),
        ("-tmp-x/2222.jsonl", "file:b's conversation"),
        ("-tmp-x/sub", "dir"),
        ("-tmp-x/sub/deep", "dir"),
        ("-tmp-x/sub/deep/note.txt", "file:deep"),
        ("-tmp-y", "dir"),
        ("-tmp-y/4444.jsonl", "file:y"),
        ("-tmp-z", "dir"),
        ("-tmp-z/3333.jsonl", "file:z"),
    ]
    .into_iter()
    .map(|(path, what)| (path.to_string(), what.to_string()))
    .collect();
    assert_eq!(shared, expected);
    assert!(report.to_string().contains("moved 3 path(s)"), "{report}");

    // With the other entries ensured, account a is healthy.
    let links = ensure_links(&[setup.account("a")], &setup.shared()).unwrap();
    assert!(links.is_healthy(), "{links}");
}

#[test]
fn a_clash_is_refused_listing_every_clash_and_nothing_moves() {
    let setup = Setup::new();
    setup.write("a/projects/-tmp-x/1111.jsonl", "a's version");
    setup.write("a/projects/-tmp-x/only-in-a.jsonl", "a");
    setup.write("a/projects/-tmp-w", "a file in a");
    setup.write("a/projects/-tmp-v/nested.jsonl", "v");
    setup.write("shared/projects/-tmp-x/1111.jsonl", "shared version");
    setup.write("shared/projects/-tmp-w/inside.jsonl", "a dir in shared");
    let account_before = tree(&setup.path("a"));
    let shared_before = tree(&setup.shared());

    let error = migrate(&setup.account("a"), "projects", &setup.shared()).unwrap_err();

    let AccountsError::MigrateClashes { clashes, .. } = &error else {
        panic!("expected MigrateClashes, got {error:?}");
    };
    assert_eq!(
        clashes,
        &[PathBuf::from("-tmp-w"), PathBuf::from("-tmp-x/1111.jsonl")]
    );
    assert_eq!(tree(&setup.path("a")), account_before);
    assert_eq!(tree(&setup.shared()), shared_before);
    let message = error.to_string();
    assert!(message.contains("2 path(s)"), "{message}");
    assert!(message.contains("-tmp-w, -tmp-x/1111.jsonl"), "{message}");
    assert!(message.contains("nothing was moved"), "{message}");

    // Once the operator resolves the clashes, migrate goes through.
    fs::remove_file(setup.shared().join("projects/-tmp-x/1111.jsonl")).unwrap();
    fs::rename(
        setup.path("a/projects/-tmp-w"),
        setup.path("a/projects/-tmp-w-from-a"),
    )
    .unwrap();
    let report = migrate(&setup.account("a"), "projects", &setup.shared()).unwrap();
    assert_eq!(report.start, MigrateStart::Directory);
    assert_eq!(
        fs::read_to_string(setup.path("a/projects/-tmp-x/1111.jsonl")).unwrap(),
        "a's version"
    );
}

#[test]
fn identical_files_from_an_interrupted_run_are_not_clashes() {
    let setup = Setup::new();
    // As if a previous run had placed -tmp-x/done.jsonl and crashed before removing the source.
    setup.write("a/projects/-tmp-x/done.jsonl", "same bytes");
    setup.write("a/projects/-tmp-x/todo.jsonl", "not moved yet");
    setup.write("shared/projects/-tmp-x/done.jsonl", "same bytes");

    let report = migrate(&setup.account("a"), "projects", &setup.shared()).unwrap();

    assert_eq!(
        report.identical_removed,
        [PathBuf::from("-tmp-x/done.jsonl")]
    );
    assert_eq!(report.moved, [PathBuf::from("-tmp-x/todo.jsonl")]);
    assert_eq!(
        fs::read_to_string(setup.path("a/projects/-tmp-x/todo.jsonl")).unwrap(),
        "not moved yet"
    );
}

#[test]
fn migrate_of_a_missing_or_linked_entry_just_links() {
    let setup = Setup::new();
    let first = migrate(&setup.account("a"), "session-env", &setup.shared()).unwrap();
    assert_eq!(first.start, MigrateStart::Missing);
    assert!(setup.shared().join("session-env").is_dir());
    assert_eq!(
        fs::read_link(setup.path("a/session-env")).unwrap(),
        setup.shared().join("session-env")
    );

    let again = migrate(&setup.account("a"), "session-env", &setup.shared()).unwrap();
    assert_eq!(again.start, MigrateStart::AlreadyLinked);
}

#[test]
fn migrate_refuses_what_it_must_not_touch() {
    let setup = Setup::new();
    setup.write("elsewhere/keep.jsonl", "keep");
    setup.symlink(setup.path("elsewhere"), "a/projects");
    setup.write("a/file-history", "a file");

    let error = migrate(&setup.account("a"), "projects", &setup.shared()).unwrap_err();
    assert!(
        matches!(error, AccountsError::LinkPointsElsewhere { .. }),
        "{error:?}"
    );
    assert_eq!(
        fs::read_link(setup.path("a/projects")).unwrap(),
        setup.path("elsewhere")
    );

    let error = migrate(&setup.account("a"), "file-history", &setup.shared()).unwrap_err();
    assert!(
        matches!(error, AccountsError::NotADirectory { .. }),
        "{error:?}"
    );
    assert_eq!(
        fs::read_to_string(setup.path("a/file-history")).unwrap(),
        "a file"
    );

    let error = migrate(&setup.account("a"), "../etc", &setup.shared()).unwrap_err();
    assert!(
        matches!(error, AccountsError::UnknownEntry { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("\"projects\""), "{error}");

    // The shared dir inside the account's own entry: moving into itself is refused.
    setup.write("b/projects/p.jsonl", "p");
    let error = migrate(&setup.account("b"), "projects", &setup.path("b")).unwrap_err();
    assert!(
        matches!(error, AccountsError::NestedMigration { .. }),
        "{error:?}"
    );
    assert_eq!(
        fs::read_to_string(setup.path("b/projects/p.jsonl")).unwrap(),
        "p"
    );
}

#[test]
fn migrate_across_file_systems_copies_then_removes_the_source() {
    let shm = Path::new("/dev/shm");
    let Ok(account_root) = tempfile::tempdir_in(shm) else {
        eprintln!("skipped: no writable /dev/shm");
        return;
    };
    let setup = Setup::new();
    let device = |path: &Path| std::os::unix::fs::MetadataExt::dev(&fs::metadata(path).unwrap());
    if device(account_root.path()) == device(setup.root.path()) {
        eprintln!("skipped: /dev/shm is on the same file system as the temp dir");
        return;
    }
    let config_dir = account_root.path().join("a");
    write(
        &config_dir.join("projects/-tmp-x/1111.jsonl"),
        "moved across",
    );
    write(&config_dir.join("projects/-tmp-x/sub/deep.txt"), "deep");
    setup.write("shared/projects/-tmp-x/2222.jsonl", "already shared");
    let account = ("a".to_string(), config_dir.clone());

    let report = migrate(&account, "projects", &setup.shared()).unwrap();

    assert_eq!(report.start, MigrateStart::Directory);
    let target = setup.shared().join("projects/-tmp-x");
    assert_eq!(
        fs::read_to_string(target.join("1111.jsonl")).unwrap(),
        "moved across"
    );
    assert_eq!(
        fs::read_to_string(target.join("sub/deep.txt")).unwrap(),
        "deep"
    );
    assert_eq!(
        fs::read_to_string(target.join("2222.jsonl")).unwrap(),
        "already shared"
    );
    assert_eq!(
        fs::read_link(config_dir.join("projects")).unwrap(),
        setup.shared().join("projects")
    );
    let names: Vec<_> = fs::read_dir(&target)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.starts_with('.'))
        .collect();
    assert!(names.is_empty(), "temp copies left behind: {names:?}");
    let report = check_links(&[account], &setup.shared());
    assert_eq!(
        report.link_problems().count(),
        2,
        "only the two other entries: {report}"
    );
}
