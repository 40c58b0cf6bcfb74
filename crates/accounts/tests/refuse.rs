//! install_hooks refusing settings it cannot safely change: nothing is written then.

mod common;

use cf_accounts::{AccountsError, HookCommands, HookEvent, check_hooks, install_hooks};
use common::{Account, FAILURE, commands, now};

#[test]
fn invalid_json_is_refused_with_line_and_column_and_nothing_is_written() {
    let account = Account::new();
    let before = "{\n  \"env\": {\"A\": \"1\"},\n  \"hooks\": {,}\n}\n";
    account.write(before);

    let err = install_hooks(account.config_dir(), &commands(), now()).unwrap_err();
    let AccountsError::InvalidJson {
        path, line, column, ..
    } = &err
    else {
        panic!("expected InvalidJson, got {err:?}");
    };
    assert_eq!(path, &account.settings());
    assert_eq!((*line, *column), (3, 13));
    let message = err.to_string();
    assert!(
        message.contains(&account.settings().display().to_string()),
        "{message}"
    );
    assert!(message.contains("line 3, column 13"), "{message}");

    assert!(check_hooks(account.config_dir(), &commands()).is_err());
    assert_eq!(account.read(), before);
    assert_eq!(account.files(), ["settings.json"]);
}

#[test]
fn settings_of_the_wrong_shape_are_refused() {
    for (before, key) in [
        ("[1, 2]", "the top level"),
        (r#"{"hooks": "none"}"#, "\"hooks\""),
        (
            r#"{"hooks": {"Stop": {"matcher": ""}}}"#,
            "\"hooks\".\"Stop\"",
        ),
        (
            r#"{"hooks": {"StopFailure": null}}"#,
            "\"hooks\".\"StopFailure\"",
        ),
    ] {
        let account = Account::new();
        account.write(before);
        let err = install_hooks(account.config_dir(), &commands(), now()).unwrap_err();
        assert!(
            matches!(&err, AccountsError::WrongType { key: found, .. } if found == key),
            "{before}: {err:?}"
        );
        assert!(err.to_string().contains("settings.json"));
        assert_eq!(account.read(), before);
        assert_eq!(account.files(), ["settings.json"]);
    }
}

#[test]
fn commands_without_the_marker_are_refused() {
    let account = Account::new();
    let unmarked = HookCommands {
        stop: "touch /tmp/done".to_string(),
        stop_failure: FAILURE.to_string(),
        session_start: None,
        status_line: None,
    };
    let err = install_hooks(account.config_dir(), &unmarked, now()).unwrap_err();
    assert!(
        matches!(
            err,
            AccountsError::CommandLacksMarker {
                event: HookEvent::Stop,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(account.files().is_empty());
}
