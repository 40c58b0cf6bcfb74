//! Tests for shell quoting and the launch line, including running it through a real `sh`.

// These tests time a parse budget or run a real `sh`; the library may not.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use super::*;

#[track_caller]
fn check_quote(input: &str, expected: &str) {
    assert_eq!(shell_quote(input), expected, "input {input:?}");
}

#[test]
fn quoting() {
    check_quote("claude", "claude");
    check_quote("/a/b-c_d.e:f=g@h%i+j,k", "/a/b-c_d.e:f=g@h%i+j,k");
    check_quote("", "''");
    check_quote("a b", "'a b'");
    check_quote("it's", r"'it'\''s'");
    check_quote("$(rm -rf /)", "'$(rm -rf /)'");
    check_quote("`id`", "'`id`'");
    check_quote("a;b", "'a;b'");
    check_quote("~", "'~'");
    check_quote("*", "'*'");
    check_quote("é", "'é'");
}

fn spec(cwd: &str) -> LaunchSpec {
    LaunchSpec {
        env_file: None,
        cwd: PathBuf::from(cwd),
        program: "claude".into(),
        program_args: vec![],
        env: vec![
            ("CLAUDE_CONFIG_DIR".into(), "/a".into()),
            ("IS_SANDBOX".into(), "1".into()),
        ],
        model: Some("opus".into()),
        skip_permissions: SkipPermissions::Yes,
        resume: Some(ResumeId::parse("D3DFC52D-1248-4328-a877-e0f73ec7fe51").unwrap()),
    }
}

#[test]
fn launch_line_shape() {
    assert_eq!(
        launch_command_line(&spec("/p/x y")).unwrap(),
        "cd -- '/p/x y' && CLAUDE_CONFIG_DIR='/a' IS_SANDBOX='1' 'claude' --model opus \
         --dangerously-skip-permissions --resume d3dfc52d-1248-4328-a877-e0f73ec7fe51"
    );
    let mut minimal = spec("/p");
    minimal.env.clear();
    minimal.model = None;
    minimal.resume = None;
    minimal.skip_permissions = SkipPermissions::No;
    minimal.program_args = vec!["--verbose".into(), "two words".into()];
    assert_eq!(
        launch_command_line(&minimal).unwrap(),
        "cd -- /p && 'claude' --verbose 'two words'"
    );
    // A program that looks like an assignment or keyword stays a quoted command word.
    minimal.program = "A=b".into();
    minimal.program_args.clear();
    assert_eq!(launch_command_line(&minimal).unwrap(), "cd -- /p && 'A=b'");
}

#[test]
fn refuses_bad_keys_and_control_characters() {
    let mut s = spec("/p");
    s.env.push(("1BAD".into(), "v".into()));
    assert_eq!(
        launch_command_line(&s),
        Err(ShellError::BadEnvKey { key: "1BAD".into() })
    );
    for key in ["", "A-B", "A B", "A=B", "$(x)", "É"] {
        let mut s = spec("/p");
        s.env = vec![(key.into(), "v".into())];
        assert!(
            matches!(launch_command_line(&s), Err(ShellError::BadEnvKey { .. })),
            "{key:?}"
        );
    }

    let control = |s: &LaunchSpec| match launch_command_line(s) {
        Err(ShellError::ControlCharacter { field }) => field,
        other => panic!("{other:?}"),
    };
    let mut s = spec("/p");
    s.env = vec![("SECRET".into(), "top\nsecret".into())];
    let err = launch_command_line(&s).unwrap_err().to_string();
    assert!(err.contains("env SECRET") && !err.contains("top"), "{err}");
    assert_eq!(control(&s), "env SECRET");
    let mut s = spec("/p");
    s.model = Some("opus\0".into());
    assert_eq!(control(&s), "model");
    let mut s = spec("/p");
    s.program_args = vec!["ok".into(), "a\rb".into()];
    assert_eq!(control(&s), "program argument 2");
    let mut s = spec("/p");
    s.program = "claude\x1b".into();
    assert_eq!(control(&s), "program");
    assert_eq!(control(&spec("/p\n/q")), "cwd");

    assert!(matches!(
        launch_command_line(&spec("rel/dir")),
        Err(ShellError::RelativeCwd { .. })
    ));
    assert!(matches!(
        launch_command_line(&spec("")),
        Err(ShellError::RelativeCwd { .. })
    ));
    let mut s = spec("/p");
    s.program.clear();
    assert_eq!(launch_command_line(&s), Err(ShellError::EmptyProgram));
}

const HOSTILE: [&str; 6] = [
    "$(touch pwned)",
    "`touch pwned`",
    "it's",
    "a; touch pwned",
    "two  spaces",
    "\\n $HOME *",
];

fn write_script(path: &Path) {
    std::fs::write(
        path,
        "#!/bin/sh\n\
         printf 'pwd=[%s]\\n' \"$(pwd)\"\n\
         for a in \"$@\"; do printf 'arg=[%s]\\n' \"$a\"; done\n\
         printf 'env=[%s]\\n' \"$HOSTILE_VALUE\"\n",
    )
    .unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn hostile_values_pass_through_a_real_shell_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().canonicalize().unwrap();
    let cwd = root.join("proj $(touch pwned) 'q' `touch pwned`; x");
    std::fs::create_dir(&cwd).unwrap();
    let bin = root.join("bin it's $(x)");
    std::fs::create_dir(&bin).unwrap();
    let program = bin.join("fake agent");
    write_script(&program);

    let spec = LaunchSpec {
        env_file: None,
        cwd: cwd.clone(),
        program: program.to_str().unwrap().to_string(),
        program_args: HOSTILE.iter().map(|s| s.to_string()).collect(),
        env: vec![("HOSTILE_VALUE".into(), "$(touch pwned)'`;x y".into())],
        model: Some("op'us $(touch pwned)".into()),
        skip_permissions: SkipPermissions::Yes,
        resume: Some(ResumeId::parse("d3dfc52d-1248-4328-a877-e0f73ec7fe51").unwrap()),
    };
    let line = launch_command_line(&spec).unwrap();
    let output = Command::new("sh")
        .arg("-c")
        .arg(format!("{line}; echo back-in-shell"))
        .current_dir(&root)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "{line}\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let mut expected = vec![format!("pwd=[{}]", cwd.display())];
    for arg in HOSTILE {
        expected.push(format!("arg=[{arg}]"));
    }
    for arg in [
        "--model",
        "op'us $(touch pwned)",
        "--dangerously-skip-permissions",
        "--resume",
    ] {
        expected.push(format!("arg=[{arg}]"));
    }
    expected.push("arg=[d3dfc52d-1248-4328-a877-e0f73ec7fe51]".into());
    expected.push("env=[$(touch pwned)'`;x y]".into());
    expected.push("back-in-shell".into());
    assert_eq!(stdout.lines().collect::<Vec<_>>(), expected, "line: {line}");

    for dir in [&root, &cwd, &bin] {
        assert!(
            !dir.join("pwned").exists(),
            "a command ran in {}",
            dir.display()
        );
    }
}

#[test]
fn agent_env_goes_in_a_sourced_file_never_in_the_line() {
    let mut s = spec("/p");
    s.env = vec![("CLAUDE_CONFIG_DIR".into(), "/a".into())];
    s.env_file = Some("/state dir/agent-env.sh".into());
    let line = launch_command_line(&s).unwrap();
    assert!(
        line.starts_with(
            "cd -- /p && . '/state dir/agent-env.sh' && CLAUDE_CONFIG_DIR='/a' 'claude'"
        ),
        "{line}"
    );
    let text = env_file_text(&[
        ("ANTHROPIC_API_KEY".into(), "sk-it's-secret".into()),
        ("IS_SANDBOX".into(), "1".into()),
    ])
    .unwrap();
    assert!(
        text.contains("export ANTHROPIC_API_KEY='sk-it'\\''s-secret'\n"),
        "{text}"
    );
    assert!(text.contains("export IS_SANDBOX='1'\n"), "{text}");
    assert_eq!(
        env_file_text(&[("1BAD".into(), "v".into())]),
        Err(ShellError::BadEnvKey { key: "1BAD".into() })
    );
    assert!(matches!(
        env_file_text(&[("K".into(), "a\nb".into())]),
        Err(ShellError::ControlCharacter { .. })
    ));
}
