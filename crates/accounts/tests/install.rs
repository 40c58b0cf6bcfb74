//! install_hooks / check_hooks on real files in temp dirs: what gets written.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;

use cf_accounts::{FileChange, HookCommands, HookEvent, HookStatus, check_hooks, install_hooks};
use common::{Account, FAILURE, STOP, check_install, commands, now, ours, rendered};
use serde_json::{Value, json};

#[test]
fn fresh_install_creates_the_dir_and_a_file_with_only_our_hooks() {
    let root = tempfile::tempdir().unwrap();
    let config_dir = root.path().join("accounts").join("a");
    assert_eq!(
        check_hooks(&config_dir, &commands()).unwrap(),
        HookStatus::Missing(vec![HookEvent::Stop, HookEvent::StopFailure])
    );
    assert!(!config_dir.exists(), "check must not create anything");

    let report = install_hooks(&config_dir, &commands(), now()).unwrap();
    assert_eq!(report.file, FileChange::Created);
    assert_eq!(report.added, [HookEvent::Stop, HookEvent::StopFailure]);
    assert!(report.updated.is_empty());

    let path = config_dir.join("settings.json");
    assert_eq!(report.settings_path, path);
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        rendered(&json!({"hooks": {"Stop": [ours(STOP)], "StopFailure": [ours(FAILURE)]}}))
    );
    let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let names: Vec<_> = fs::read_dir(&config_dir).unwrap().collect();
    assert_eq!(names.len(), 1, "no backup and no temp file for a new file");
}

#[test]
fn second_install_is_a_no_op() {
    let account = Account::new();
    account.write(r#"{"theme": "dark"}"#);
    let first = install_hooks(account.config_dir(), &commands(), now()).unwrap();
    assert!(matches!(first.file, FileChange::Rewritten { .. }));
    let bytes = fs::read(account.settings()).unwrap();
    let files = account.files();

    let later = now() + jiff::SignedDuration::from_secs(3600);
    let second = install_hooks(account.config_dir(), &commands(), later).unwrap();
    assert_eq!(second.file, FileChange::Unchanged);
    assert!(second.added.is_empty() && second.updated.is_empty());
    assert_eq!(fs::read(account.settings()).unwrap(), bytes);
    assert_eq!(account.files(), files, "no second backup");
}

#[test]
fn every_key_we_do_not_own_is_kept_in_order_and_a_backup_is_written() {
    let before = r#"{
  "env": {"ANTHROPIC_MODEL": "sonnet", "DISABLE_TELEMETRY": "1"},
  "skipDangerousModePermissionPrompt": true,
  "hooks": {
    "SessionStart": [{"matcher": "startup", "hooks": [{"type": "command", "command": "echo hi"}]}],
    "Stop": [{"matcher": "", "hooks": [{"type": "command", "command": "notify-send done", "timeout": 5}]}]
  },
  "zzzUnknown": [3, 1, 2],
  "aaaUnknown": {"nested": null}
}"#;
    let account = Account::new();
    account.write(before);
    fs::set_permissions(account.settings(), fs::Permissions::from_mode(0o640)).unwrap();

    let report = install_hooks(account.config_dir(), &commands(), now()).unwrap();
    let backup = account
        .config_dir()
        .join("settings.json.bak-20261121T090507Z");
    assert_eq!(
        report.file,
        FileChange::Rewritten {
            backup: backup.clone()
        }
    );
    assert_eq!(fs::read_to_string(&backup).unwrap(), before);
    assert_eq!(
        fs::metadata(&backup).unwrap().permissions().mode() & 0o777,
        0o640
    );
    assert_eq!(
        fs::metadata(account.settings())
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o640,
        "the file keeps its permissions"
    );

    let expected = json!({
        "env": {"ANTHROPIC_MODEL": "sonnet", "DISABLE_TELEMETRY": "1"},
        "skipDangerousModePermissionPrompt": true,
        "hooks": {
            "SessionStart": [{"matcher": "startup", "hooks": [{"type": "command", "command": "echo hi"}]}],
            "Stop": [
                {"matcher": "", "hooks": [{"type": "command", "command": "notify-send done", "timeout": 5}]},
                ours(STOP)
            ],
            "StopFailure": [ours(FAILURE)]
        },
        "zzzUnknown": [3, 1, 2],
        "aaaUnknown": {"nested": null}
    });
    let after = account.read();
    assert_eq!(after, rendered(&expected));
    // Independent of how serde_json orders maps: the keys appear in the file's original order.
    let offsets: Vec<usize> = [
        "\"env\"",
        "\"skipDangerous",
        "\"hooks\"",
        "\"zzzUnknown\"",
        "\"aaaUnknown\"",
    ]
    .iter()
    .map(|key| after.find(key).unwrap())
    .collect();
    assert!(offsets.is_sorted(), "keys reordered: {after}");
    assert_eq!(
        account.files(),
        ["settings.json", "settings.json.bak-20261121T090507Z"]
    );
}

#[test]
fn an_outdated_command_is_replaced_in_place() {
    let account = Account::new();
    let before = json!({
        "hooks": {
            "Stop": [
                {"matcher": "", "hooks": [
                    {"type": "command", "command": "claude-failover hook stop --dir /old", "timeout": 30},
                    {"type": "command", "command": "notify-send done"}
                ]},
                {"matcher": "", "hooks": [{"type": "command", "command": "logger stopped"}]}
            ],
            "StopFailure": [ours(FAILURE)]
        }
    });
    account.write(&serde_json::to_string(&before).unwrap());
    assert_eq!(
        check_hooks(account.config_dir(), &commands()).unwrap(),
        HookStatus::Outdated(vec![HookEvent::Stop])
    );

    let report = install_hooks(account.config_dir(), &commands(), now()).unwrap();
    assert_eq!(report.updated, [HookEvent::Stop]);
    assert!(report.added.is_empty());
    let expected = json!({
        "hooks": {
            "Stop": [
                {"matcher": "", "hooks": [
                    {"type": "command", "command": STOP, "timeout": 30},
                    {"type": "command", "command": "notify-send done"}
                ]},
                {"matcher": "", "hooks": [{"type": "command", "command": "logger stopped"}]}
            ],
            "StopFailure": [ours(FAILURE)]
        }
    });
    assert_eq!(account.read(), rendered(&expected));
}

#[test]
fn duplicates_of_our_hook_are_removed() {
    check_install(
        json!({"hooks": {
            "Stop": [
                ours(STOP),
                {"matcher": "", "hooks": [{"type": "command", "command": "echo mine"}]},
                ours("claude-failover hook stop --dir /old"),
                {"matcher": "", "hooks": [
                    {"type": "command", "command": "echo also mine"},
                    {"type": "command", "command": STOP}
                ]}
            ],
            "StopFailure": [ours(FAILURE), ours(FAILURE)]
        }}),
        json!({"hooks": {
            "Stop": [
                ours(STOP),
                {"matcher": "", "hooks": [{"type": "command", "command": "echo mine"}]},
                {"matcher": "", "hooks": [{"type": "command", "command": "echo also mine"}]}
            ],
            "StopFailure": [ours(FAILURE)]
        }}),
    );
}

#[test]
fn a_wrong_hook_type_is_corrected() {
    check_install(
        json!({"hooks": {"Stop": [{"hooks": [{"type": "prompt", "command": STOP}]}]}}),
        json!({"hooks": {
            "Stop": [{"hooks": [{"type": "command", "command": STOP}]}],
            "StopFailure": [ours(FAILURE)]
        }}),
    );
}

#[test]
fn a_blank_file_is_treated_as_empty_settings() {
    let account = Account::new();
    account.write("  \n");
    let report = install_hooks(account.config_dir(), &commands(), now()).unwrap();
    assert!(matches!(report.file, FileChange::Rewritten { .. }));
    assert_eq!(
        account.read(),
        rendered(&json!({"hooks": {"Stop": [ours(STOP)], "StopFailure": [ours(FAILURE)]}}))
    );
}

#[test]
fn backups_in_the_same_second_do_not_overwrite_each_other() {
    let account = Account::new();
    account.write(r#"{"a": 1}"#);
    install_hooks(account.config_dir(), &commands(), now()).unwrap();
    let newer = HookCommands {
        stop: format!("{STOP} --verbose"),
        stop_failure: FAILURE.to_string(),
        session_start: None,
        status_line: None,
    };
    let report = install_hooks(account.config_dir(), &newer, now()).unwrap();
    let second = account
        .config_dir()
        .join("settings.json.bak-20261121T090507Z-2");
    assert_eq!(report.file, FileChange::Rewritten { backup: second });
    assert_eq!(
        fs::read_to_string(
            account
                .config_dir()
                .join("settings.json.bak-20261121T090507Z")
        )
        .unwrap(),
        r#"{"a": 1}"#
    );
}

#[test]
fn a_symlinked_settings_file_stays_a_symlink() {
    let account = Account::new();
    let real = account.config_dir().join("dotfiles-settings.json");
    fs::write(&real, r#"{"theme": "dark"}"#).unwrap();
    std::os::unix::fs::symlink(&real, account.settings()).unwrap();

    install_hooks(account.config_dir(), &commands(), now()).unwrap();
    assert!(
        fs::symlink_metadata(account.settings())
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let written: Value = serde_json::from_str(&fs::read_to_string(&real).unwrap()).unwrap();
    assert_eq!(written["theme"], "dark");
    assert_eq!(written["hooks"]["Stop"][0], ours(STOP));
}

#[test]
fn the_session_start_hook_is_managed_when_asked() {
    let root = tempfile::tempdir().unwrap();
    let config_dir = root.path().join("a");
    let mut with_start = commands();
    with_start.session_start = Some(common::START.to_string());
    assert_eq!(
        check_hooks(&config_dir, &with_start).unwrap(),
        HookStatus::Missing(vec![
            HookEvent::Stop,
            HookEvent::StopFailure,
            HookEvent::SessionStart
        ])
    );
    let report = install_hooks(&config_dir, &with_start, now()).unwrap();
    assert_eq!(
        report.added,
        [
            HookEvent::Stop,
            HookEvent::StopFailure,
            HookEvent::SessionStart
        ]
    );
    let text = fs::read_to_string(config_dir.join("settings.json")).unwrap();
    assert_eq!(
        text,
        rendered(
            &json!({"hooks": {"Stop": [ours(STOP)], "StopFailure": [ours(FAILURE)], "SessionStart": [ours(common::START)]}})
        )
    );
    assert_eq!(
        check_hooks(&config_dir, &with_start).unwrap(),
        HookStatus::Installed
    );
    assert_eq!(
        install_hooks(&config_dir, &with_start, now()).unwrap().file,
        FileChange::Unchanged
    );
}

#[test]
fn an_operators_status_line_is_saved_run_by_ours_and_restored_on_uninstall() {
    let account = Account::new();
    account.write(
        r#"{"statusLine": {"type": "command", "command": "~/bin/my-line"}, "model": "opus"}"#,
    );
    let with_line = HookCommands {
        status_line: Some("/bin/cf hook statusline # claude-failover hook (managed)".into()),
        ..commands()
    };
    let report = install_hooks(account.config_dir(), &with_line, now()).unwrap();
    let saved = report.saved_status_line.expect("theirs saved");
    assert_eq!(
        cf_accounts::saved_status_line_command(account.config_dir()).as_deref(),
        Some("~/bin/my-line")
    );
    let settings: serde_json::Value = serde_json::from_str(&account.read()).unwrap();
    assert!(
        settings["statusLine"]["command"]
            .as_str()
            .unwrap()
            .contains("hook statusline")
    );
    assert_eq!(
        cf_accounts::check_hooks(account.config_dir(), &with_line).unwrap(),
        cf_accounts::HookStatus::Installed
    );
    let again = install_hooks(account.config_dir(), &with_line, now()).unwrap();
    assert_eq!(again.file, FileChange::Unchanged);
    assert!(
        again.saved_status_line.is_none(),
        "ours is not saved as theirs"
    );

    cf_accounts::uninstall_hooks(account.config_dir(), now()).unwrap();
    let settings: serde_json::Value = serde_json::from_str(&account.read()).unwrap();
    assert_eq!(
        settings["statusLine"]["command"], "~/bin/my-line",
        "theirs is back"
    );
    assert_eq!(settings["model"], "opus");
    assert!(
        settings["hooks"]["Stop"]
            .as_array()
            .is_none_or(Vec::is_empty),
        "{settings}"
    );
    assert!(!saved.exists(), "the saved copy is gone with ours");
}

#[test]
fn accounts_sharing_one_settings_file_share_the_saved_status_line() {
    let (a, b) = (Account::new(), Account::new());
    a.write(r#"{"statusLine": {"type": "command", "command": "~/bin/my-line"}}"#);
    std::os::unix::fs::symlink(a.settings(), b.settings()).unwrap();
    let with_line = HookCommands {
        status_line: Some("/bin/cf hook statusline # claude-failover hook (managed)".into()),
        ..commands()
    };
    let first = install_hooks(a.config_dir(), &with_line, now()).unwrap();
    assert!(first.saved_status_line.is_some(), "theirs saved once");
    let second = install_hooks(b.config_dir(), &with_line, now()).unwrap();
    assert_eq!(
        second.file,
        FileChange::Unchanged,
        "the shared file has ours"
    );
    // A session on b runs our line with b's config dir: it must find theirs too.
    for account in [&a, &b] {
        assert_eq!(
            cf_accounts::saved_status_line_command(account.config_dir()).as_deref(),
            Some("~/bin/my-line"),
            "{}",
            account.config_dir().display()
        );
    }
    assert!(
        !b.config_dir().join(cf_accounts::SAVED_STATUS_LINE).exists(),
        "one saved copy, beside the real file"
    );
    // Uninstalling through b puts theirs back in the shared file.
    cf_accounts::uninstall_hooks(b.config_dir(), now()).unwrap();
    let settings: Value = serde_json::from_str(&a.read()).unwrap();
    assert_eq!(settings["statusLine"]["command"], "~/bin/my-line");
    assert_eq!(
        cf_accounts::uninstall_hooks(a.config_dir(), now()).unwrap(),
        FileChange::Unchanged
    );
}

#[test]
fn a_status_line_saved_where_earlier_installs_kept_it_is_still_run_and_restored() {
    let (a, b) = (Account::new(), Account::new());
    a.write(r#"{"statusLine": {"type": "command", "command": "/bin/cf hook statusline # claude-failover hook (managed)"}}"#);
    std::os::unix::fs::symlink(a.settings(), b.settings()).unwrap();
    // An earlier install kept b's saved line in b's own dir, beside the symlink.
    let legacy = b.config_dir().join(cf_accounts::SAVED_STATUS_LINE);
    fs::write(
        &legacy,
        r#"{"statusLine": {"type": "command", "command": "~/bin/my-line"}}"#,
    )
    .unwrap();
    assert_eq!(
        cf_accounts::saved_status_line_command(b.config_dir()).as_deref(),
        Some("~/bin/my-line")
    );
    cf_accounts::uninstall_hooks(b.config_dir(), now()).unwrap();
    let settings: Value = serde_json::from_str(&a.read()).unwrap();
    assert_eq!(settings["statusLine"]["command"], "~/bin/my-line");
    assert!(!legacy.exists(), "the old copy goes with ours");
}
