//! The links every account shares: `symlinks check|ensure|migrate`, and the daemon refusing to
//! start failover with a link it must not touch.

mod support;

use claude_failover::sandbox::Sandbox;

fn two_accounts() -> Sandbox {
    let mut spec = support::spec();
    spec.accounts = vec!["a".into(), "b".into()];
    spec.hooks = claude_failover::sandbox::Hooks::None;
    Sandbox::create(&spec).expect("sandbox")
}

fn run(sandbox: &Sandbox, args: &[&str]) -> (Option<i32>, String) {
    let out = std::process::Command::new(support::binary())
        .args(args)
        .arg("--config")
        .arg(&sandbox.config_path)
        .output()
        .expect("run");
    (
        out.status.code(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn check_ensure_and_migrate() {
    let sandbox = two_accounts();
    let a = sandbox.root().join("accounts/a");
    let b = sandbox.root().join("accounts/b");
    // Account b has a real `projects` folder with a conversation in it.
    std::fs::create_dir_all(b.join("projects/-p")).expect("mkdir");
    std::fs::write(b.join("projects/-p/conv.jsonl"), "{}\n").expect("write");

    let (code, out) = run(&sandbox, &["symlinks", "check"]);
    assert_eq!(code, Some(1), "problems are reported:\n{out}");
    assert!(
        out.contains("a") && out.contains("b") && out.contains("projects"),
        "every account's problems at once:\n{out}"
    );

    let (code, out) = run(&sandbox, &["symlinks", "ensure"]);
    assert_eq!(
        code,
        Some(1),
        "a directory in the way is not replaced by ensure:\n{out}"
    );
    assert!(
        a.join("projects")
            .symlink_metadata()
            .expect("link")
            .file_type()
            .is_symlink(),
        "missing links were created"
    );
    assert!(
        b.join("projects").is_dir()
            && !b
                .join("projects")
                .symlink_metadata()
                .expect("dir")
                .file_type()
                .is_symlink()
    );

    let (code, out) = run(&sandbox, &["symlinks", "migrate"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        b.join("projects")
            .symlink_metadata()
            .expect("link")
            .file_type()
            .is_symlink()
    );
    let moved = sandbox.root().join("shared/projects/-p/conv.jsonl");
    assert_eq!(
        std::fs::read_to_string(&moved).expect("moved"),
        "{}\n",
        "the conversation moved, not lost"
    );
    assert_eq!(
        std::fs::read_to_string(a.join("projects/-p/conv.jsonl")).expect("visible from a"),
        "{}\n"
    );
    let (code, out) = run(&sandbox, &["symlinks", "check"]);
    assert_eq!(code, Some(0), "{out}");
}

#[test]
fn the_daemon_refuses_to_start_with_a_link_pointing_elsewhere() {
    let sandbox = two_accounts();
    let elsewhere = sandbox.root().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).expect("mkdir");
    std::os::unix::fs::symlink(&elsewhere, sandbox.root().join("accounts/b/projects"))
        .expect("link");
    let (code, out) = run(&sandbox, &["run"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("projects") && out.contains("elsewhere"),
        "names the link and where it points:\n{out}"
    );
    assert!(
        std::fs::read_link(sandbox.root().join("accounts/b/projects")).expect("still a link")
            == elsewhere,
        "never auto-corrected"
    );
}
