//! The README's first command: `claude-failover demo` runs the whole loop on a private tmux
//! server and cleans up; `--failover` also moves every session to the second account.

mod support;

fn demo(args: &[&str]) -> String {
    let out = std::process::Command::new(support::binary())
        .arg("demo")
        .args(args)
        .output()
        .expect("run the demo");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "demo {args:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn the_demo_finishes_every_task() {
    let out = demo(&[]);
    assert!(
        out.contains("5/5 tasks done; the fake agents received 5 prompt(s)"),
        "{out}"
    );
    assert!(
        out.contains("beta/hotfix") && out.contains("model opus"),
        "the critical task ran on opus:\n{out}"
    );
    let socket = out
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("tmux:")
                .and_then(|r| r.split_whitespace().nth(2))
        })
        .expect("socket printed");
    let listed = std::process::Command::new("tmux")
        .args(["-L", socket, "list-sessions"])
        .output()
        .expect("tmux");
    assert!(!listed.status.success(), "the demo's tmux server is gone");
}

#[test]
fn the_failover_demo_swaps_and_still_finishes_every_task() {
    let out = demo(&["--failover"]);
    assert!(
        out.contains("swap: a -> b (session-limit), 2 pool task(s) resumed"),
        "{out}"
    );
    assert!(
        out.contains("5/5 tasks done; the fake agents received 7 prompt(s)"),
        "five tasks plus two continues:\n{out}"
    );
}
