//! check_links / ensure_links on two temp accounts: creation from scratch, idempotence, and
//! every kind of problem (reported for all accounts at once, never "fixed" destructively).

mod shared;

use std::fs;
use std::path::PathBuf;

use cf_accounts::{FoundKind, LinkState, SHARED_ENTRIES, TargetState, check_links, ensure_links};
use shared::{Setup, tree};

fn state_of(report: &cf_accounts::LinkReport, account: &str, entry: &str) -> LinkState {
    report
        .links
        .iter()
        .find(|link| link.account == account && link.entry == entry)
        .unwrap_or_else(|| panic!("no status for {account}/{entry}"))
        .state
        .clone()
}

#[test]
fn ensure_creates_missing_links_targets_and_account_dirs_then_all_is_healthy() {
    let setup = Setup::new();
    let before = check_links(&setup.accounts(), &setup.shared());
    assert!(!before.is_healthy());
    assert_eq!(before.problem_count(), 3 + 6, "{before}");
    assert!(
        before
            .links
            .iter()
            .all(|link| link.state == LinkState::Missing)
    );

    let report = ensure_links(&setup.accounts(), &setup.shared()).unwrap();

    assert!(report.is_healthy(), "{report}");
    assert_eq!(report.created.len(), 3 + 6, "{:?}", report.created);
    for entry in SHARED_ENTRIES {
        assert!(setup.shared().join(entry).is_dir(), "{entry}");
        for account in ["a", "b"] {
            let link = setup.path(account).join(entry);
            assert!(
                fs::symlink_metadata(&link)
                    .unwrap()
                    .file_type()
                    .is_symlink()
            );
            assert_eq!(fs::read_link(&link).unwrap(), setup.shared().join(entry));
        }
    }
    // A file written through one account is visible through the other.
    fs::write(setup.path("a/projects/t.jsonl"), "x").unwrap();
    assert_eq!(
        fs::read_to_string(setup.path("b/projects/t.jsonl")).unwrap(),
        "x"
    );

    let check = check_links(&setup.accounts(), &setup.shared());
    assert!(check.is_healthy(), "{check}");
    assert!(check.created.is_empty());
    assert_eq!(
        check.to_string(),
        format!(
            "all 6 shared-state links point into {}",
            setup.shared().display()
        )
    );
}

#[test]
fn ensure_is_idempotent_and_changes_nothing_the_second_time() {
    let setup = Setup::new();
    let first = ensure_links(&setup.accounts(), &setup.shared()).unwrap();
    let snapshot = tree(setup.root.path());

    let second = ensure_links(&setup.accounts(), &setup.shared()).unwrap();

    assert!(second.created.is_empty(), "{:?}", second.created);
    assert_eq!(second.links, first.links);
    assert_eq!(second.targets, first.targets);
    assert_eq!(tree(setup.root.path()), snapshot);
}

#[test]
fn a_link_pointing_elsewhere_is_refused_and_reported_but_the_rest_is_created() {
    let setup = Setup::new();
    setup.write("elsewhere/precious.jsonl", "keep me");
    setup.symlink(setup.path("elsewhere"), "a/projects");

    let report = ensure_links(&setup.accounts(), &setup.shared()).unwrap();

    assert_eq!(
        state_of(&report, "a", "projects"),
        LinkState::PointsElsewhere {
            target: setup.path("elsewhere")
        }
    );
    assert_eq!(
        fs::read_link(setup.path("a/projects")).unwrap(),
        setup.path("elsewhere")
    );
    assert_eq!(
        fs::read_to_string(setup.path("elsewhere/precious.jsonl")).unwrap(),
        "keep me"
    );
    assert!(!report.is_healthy());
    assert_eq!(report.problem_count(), 1, "{report}");
    assert_eq!(state_of(&report, "b", "projects"), LinkState::Ok);
    assert_eq!(state_of(&report, "a", "session-env"), LinkState::Ok);

    let text = report.to_string();
    assert!(text.contains("account \"a\""), "{text}");
    assert!(
        text.contains(&setup.path("a/projects").display().to_string()),
        "{text}"
    );
    assert!(text.contains("refused"), "{text}");
    assert!(text.contains("`claude-failover symlinks ensure`"), "{text}");
}

#[test]
fn a_directory_or_file_in_the_way_is_reported_and_left_alone() {
    let setup = Setup::new();
    setup.write("b/file-history/x/1.txt", "history");
    setup.write("b/session-env", "a file");
    let before = tree(&setup.path("b"));

    let report = ensure_links(&setup.accounts(), &setup.shared()).unwrap();

    assert_eq!(
        state_of(&report, "b", "file-history"),
        LinkState::InTheWay {
            kind: FoundKind::Directory
        }
    );
    assert_eq!(
        state_of(&report, "b", "session-env"),
        LinkState::InTheWay {
            kind: FoundKind::File
        }
    );
    let after: Vec<_> = tree(&setup.path("b"))
        .into_iter()
        .filter(|(path, _)| path != "projects")
        .collect();
    assert_eq!(after, before.into_iter().collect::<Vec<_>>());
    let text = report.to_string();
    assert!(
        text.contains("is a real directory where the link"),
        "{text}"
    );
    assert!(
        text.contains("`claude-failover symlinks migrate`"),
        "{text}"
    );
    assert!(text.contains("is a regular file where the link"), "{text}");
}

#[test]
fn problems_of_both_accounts_are_reported_together() {
    let setup = Setup::new();
    ensure_links(&setup.accounts(), &setup.shared()).unwrap();
    fs::remove_file(setup.path("a/projects")).unwrap();
    setup.symlink("/nonexistent/other", "a/projects");
    fs::remove_file(setup.path("a/session-env")).unwrap();
    fs::remove_file(setup.path("b/file-history")).unwrap();
    setup.write("b/file-history/h.txt", "h");
    fs::remove_file(setup.path("b/projects")).unwrap();

    let report = check_links(&setup.accounts(), &setup.shared());

    let problems: Vec<_> = report
        .link_problems()
        .map(|link| (link.account.as_str(), link.entry, link.state.clone()))
        .collect();
    assert_eq!(
        problems,
        [
            ("a", "session-env", LinkState::Missing),
            (
                "a",
                "projects",
                LinkState::PointsElsewhere {
                    target: PathBuf::from("/nonexistent/other")
                }
            ),
            (
                "b",
                "file-history",
                LinkState::InTheWay {
                    kind: FoundKind::Directory
                }
            ),
            ("b", "projects", LinkState::Missing),
        ]
    );
    let text = report.to_string();
    assert!(text.starts_with("4 problem(s)"), "{text}");
    assert_eq!(
        text.lines()
            .filter(|line| line.starts_with("- account \"a\""))
            .count(),
        2,
        "{text}"
    );
    assert_eq!(
        text.lines()
            .filter(|line| line.starts_with("- account \"b\""))
            .count(),
        2,
        "{text}"
    );
}

#[test]
fn a_missing_shared_target_is_reported_and_recreated() {
    let setup = Setup::new();
    ensure_links(&setup.accounts(), &setup.shared()).unwrap();
    fs::remove_dir(setup.shared().join("session-env")).unwrap();

    let report = check_links(&setup.accounts(), &setup.shared());
    let target_problems: Vec<_> = report
        .target_problems()
        .map(|target| (target.entry, target.state.clone()))
        .collect();
    assert_eq!(target_problems, [("session-env", TargetState::Missing)]);
    // The dangling links still point to the right place.
    assert_eq!(report.link_problems().count(), 0);
    assert!(!report.is_healthy());
    assert!(report.to_string().contains("shared target"), "{report}");

    let fixed = ensure_links(&setup.accounts(), &setup.shared()).unwrap();
    assert!(fixed.is_healthy(), "{fixed}");
    assert_eq!(fixed.created, [setup.shared().join("session-env")]);
}

#[test]
fn links_are_compared_by_where_they_resolve_not_by_their_text() {
    let setup = Setup::new();
    fs::create_dir_all(setup.shared().join("projects")).unwrap();
    // A relative link, and a link through a symlinked alias of the shared dir.
    setup.symlink("../shared/projects", "a/projects");
    setup.symlink(setup.shared(), "alias");
    setup.symlink(setup.path("alias/projects"), "b/projects");

    let report = check_links(&setup.accounts(), &setup.shared());
    assert_eq!(state_of(&report, "a", "projects"), LinkState::Ok);
    assert_eq!(state_of(&report, "b", "projects"), LinkState::Ok);

    // Asking with the alias as shared dir gives the same answer.
    let via_alias = check_links(&setup.accounts(), &setup.path("alias"));
    assert_eq!(state_of(&via_alias, "a", "projects"), LinkState::Ok);
}

#[test]
fn a_shared_target_that_is_a_file_blocks_only_its_own_links() {
    let setup = Setup::new();
    setup.write("shared/projects", "not a dir");

    let report = ensure_links(&setup.accounts(), &setup.shared()).unwrap();

    let target_problems: Vec<_> = report
        .target_problems()
        .map(|target| (target.entry, target.state.clone()))
        .collect();
    assert_eq!(
        target_problems,
        [(
            "projects",
            TargetState::NotADirectory {
                kind: FoundKind::File
            }
        )]
    );
    assert_eq!(state_of(&report, "a", "projects"), LinkState::Missing);
    assert!(!setup.path("a/projects").exists());
    assert_eq!(state_of(&report, "a", "file-history"), LinkState::Ok);
    assert_eq!(
        fs::read_to_string(setup.shared().join("projects")).unwrap(),
        "not a dir"
    );
}
