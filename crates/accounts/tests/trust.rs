//! Folder trust in `.claude.json`: added keeping the client's keys, inherited from parents,
//! no write when already trusted, broken files refused untouched.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use cf_accounts::{
    AccountsError, TrustChange, client_state_path, ensure_folder_trusted, is_folder_trusted,
};
use jiff::Timestamp;
use serde_json::{Value, json};

fn now() -> Timestamp {
    "2026-11-21T09:05:07Z".parse().unwrap()
}

/// A config dir and a real folder to trust (canonical, as the client would key it).
struct Fixture {
    config: tempfile::TempDir,
    work: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture {
            config: tempfile::tempdir().unwrap(),
            work: tempfile::tempdir().unwrap(),
        }
    }

    fn config_dir(&self) -> &Path {
        self.config.path()
    }

    fn folder(&self, relative: &str) -> PathBuf {
        let folder = fs::canonicalize(self.work.path()).unwrap().join(relative);
        fs::create_dir_all(&folder).unwrap();
        folder
    }

    fn key(&self, relative: &str) -> String {
        self.folder(relative).to_str().unwrap().to_string()
    }

    fn write(&self, value: &Value) {
        fs::write(
            client_state_path(self.config_dir()),
            serde_json::to_string_pretty(value).unwrap(),
        )
        .unwrap();
    }

    fn read(&self) -> Value {
        serde_json::from_slice(&fs::read(client_state_path(self.config_dir())).unwrap()).unwrap()
    }

    fn files(&self) -> Vec<String> {
        let mut names: Vec<_> = fs::read_dir(self.config_dir())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }
}

#[test]
fn trust_is_added_keeping_every_other_key_in_order_with_a_backup() {
    let fixture = Fixture::new();
    let project = fixture.key("proj");
    let before = json!({
        "hasCompletedOnboarding": true,
        "projects": {
            "/tmp/other": {"hasTrustDialogAccepted": true, "allowedTools": ["Bash"]},
            project.clone(): {"allowedTools": [], "hasTrustDialogAccepted": false, "projectOnboardingSeenCount": 1}
        },
        "theme": "dark",
        "customApiKeyResponses": {"approved": ["sk-ant-test-000"], "rejected": []}
    });
    fixture.write(&before);
    let original_bytes = fs::read(client_state_path(fixture.config_dir())).unwrap();
    assert!(!is_folder_trusted(fixture.config_dir(), &fixture.folder("proj")).unwrap());

    let change =
        ensure_folder_trusted(fixture.config_dir(), &fixture.folder("proj"), now()).unwrap();

    let TrustChange::Rewritten { backup } = change else {
        panic!("expected Rewritten, got {change:?}");
    };
    assert_eq!(
        backup,
        fixture
            .config_dir()
            .join(".claude.json.bak-20261121T090507Z")
    );
    assert_eq!(fs::read(&backup).unwrap(), original_bytes);
    let after = fixture.read();
    let keys: Vec<_> = after.as_object().unwrap().keys().cloned().collect();
    assert_eq!(
        keys,
        [
            "hasCompletedOnboarding",
            "projects",
            "theme",
            "customApiKeyResponses"
        ]
    );
    assert_eq!(
        after["projects"]["/tmp/other"],
        before["projects"]["/tmp/other"]
    );
    assert_eq!(
        after["customApiKeyResponses"],
        before["customApiKeyResponses"]
    );
    assert_eq!(
        after["projects"][&project],
        json!({
            "allowedTools": [],
            "hasTrustDialogAccepted": true,
            "projectOnboardingSeenCount": 1,
            "hasCompletedProjectOnboarding": true
        })
    );
    assert!(is_folder_trusted(fixture.config_dir(), &fixture.folder("proj")).unwrap());
}

#[test]
fn nothing_is_written_when_the_folder_is_already_trusted() {
    let fixture = Fixture::new();
    let project = fixture.key("proj");
    // Compact, unusual formatting: a rewrite would be visible.
    let text = format!(
        "{{\"projects\":{{{project:?}:{{\"hasTrustDialogAccepted\":true,\"hasCompletedProjectOnboarding\":true}}}}}}"
    );
    fs::write(client_state_path(fixture.config_dir()), &text).unwrap();

    let change =
        ensure_folder_trusted(fixture.config_dir(), &fixture.folder("proj"), now()).unwrap();

    assert_eq!(change, TrustChange::AlreadyTrusted);
    assert_eq!(
        fs::read_to_string(client_state_path(fixture.config_dir())).unwrap(),
        text
    );
    assert_eq!(fixture.files(), [".claude.json"]);
}

#[test]
fn trust_is_inherited_from_parent_folders_only() {
    let fixture = Fixture::new();
    fixture.write(&json!({
        "projects": {
            fixture.key("all"): {"hasTrustDialogAccepted": true},
            fixture.key("all/one/explicitly-false"): {"hasTrustDialogAccepted": false}
        }
    }));

    let trusted = |relative: &str| {
        is_folder_trusted(fixture.config_dir(), &fixture.folder(relative)).unwrap()
    };
    assert!(trusted("all"));
    assert!(trusted("all/one/two"));
    assert!(
        trusted("all/one/explicitly-false"),
        "any trusted ancestor is enough"
    );
    assert!(
        !trusted("allx"),
        "a sibling with a common prefix is not a child"
    );
    assert!(!trusted(""), "trust does not go up to the parent");
    // A relative path is resolved against the current directory, so it is not trusted here.
    assert!(!is_folder_trusted(fixture.config_dir(), Path::new("all")).unwrap());
}

#[test]
fn a_missing_file_is_untrusted_and_created_private() {
    let fixture = Fixture::new();
    assert!(!is_folder_trusted(fixture.config_dir(), &fixture.folder("p")).unwrap());

    let change = ensure_folder_trusted(fixture.config_dir(), &fixture.folder("p"), now()).unwrap();

    assert_eq!(change, TrustChange::Created);
    assert_eq!(
        fixture.read(),
        json!({"projects": {fixture.key("p"): {"hasTrustDialogAccepted": true, "hasCompletedProjectOnboarding": true}}})
    );
    let mode = fs::metadata(client_state_path(fixture.config_dir()))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    assert_eq!(fixture.files(), [".claude.json"]);
}

#[test]
fn broken_files_are_refused_and_left_untouched() {
    let fixture = Fixture::new();
    let folder_key = format!("\"projects\".{:?}", fixture.key("p"));
    for (text, wrong_key) in [
        ("{\"projects\": {,}}", None),
        ("{\"projects\": []}", Some("\"projects\"")),
        ("{\"projects\": {\"FOLDER\": 3}}", Some(folder_key.as_str())),
    ] {
        let text = text.replace("FOLDER", &fixture.key("p"));
        fs::write(client_state_path(fixture.config_dir()), &text).unwrap();

        let error =
            ensure_folder_trusted(fixture.config_dir(), &fixture.folder("p"), now()).unwrap_err();

        match (&error, wrong_key) {
            (AccountsError::InvalidJson { .. }, None) => {}
            (AccountsError::WrongType { key, .. }, Some(wanted)) if key == wanted => {}
            _ => panic!("{text}: unexpected {error:?}"),
        }
        let message = error.to_string();
        assert!(message.contains(".claude.json"), "{message}");
        assert!(!message.contains("hooks install"), "{message}");
        assert_eq!(
            fs::read_to_string(client_state_path(fixture.config_dir())).unwrap(),
            text
        );
        assert_eq!(fixture.files(), [".claude.json"]);
    }
}
