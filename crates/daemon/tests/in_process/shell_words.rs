//! Reading the launch line the daemon types into a pool session's shell, the way `sh` would:
//! words with single quotes, double quotes and backslashes, split into commands at `;` and `&&`.

use std::path::PathBuf;

/// The agent program of the in-process tests' config (`agent.command`).
pub const AGENT_PROGRAM: &str = "claude";

/// What a launch line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchLine {
    /// The `CLAUDE_CONFIG_DIR=` assignment of the agent's command.
    pub config_dir: Option<PathBuf>,
    /// `--resume <id>`.
    pub resume: Option<String>,
    /// The marker the `printf` after the agent prints with its exit status.
    pub exit_marker: Option<String>,
    /// The folder a `cd` before the agent went to.
    pub cwd: Option<PathBuf>,
}

/// The launch line's parts, or `None` when the line runs no [`AGENT_PROGRAM`] (e.g. `/exit`
/// typed at a shell).
pub fn parse_launch_line(line: &str) -> Option<LaunchLine> {
    let commands = split_commands(line);
    let mut launch = LaunchLine {
        config_dir: None,
        resume: None,
        exit_marker: None,
        cwd: None,
    };
    let mut agent_seen = false;
    for words in commands {
        match words.first().map(String::as_str) {
            None => {}
            Some("cd") => launch.cwd = words[1..].iter().find(|w| *w != "--").map(PathBuf::from),
            Some("printf") => launch.exit_marker = words.get(2).cloned(),
            Some(_) => {
                let program = words.iter().find(|w| !w.contains('='));
                if program.map(String::as_str) != Some(AGENT_PROGRAM) {
                    continue;
                }
                agent_seen = true;
                let mut rest = words.iter().peekable();
                while let Some(word) = rest.next() {
                    if let Some(dir) = word.strip_prefix("CLAUDE_CONFIG_DIR=") {
                        launch.config_dir = Some(PathBuf::from(dir));
                    }
                    if word == "--resume" {
                        launch.resume = rest.peek().map(|id| id.to_string());
                    }
                }
            }
        }
    }
    agent_seen.then_some(launch)
}

/// The commands of `line`, each as its words.
fn split_commands(line: &str) -> Vec<Vec<String>> {
    let mut commands = vec![Vec::new()];
    let mut word: Option<String> = None;
    let mut chars = line.chars().peekable();
    let end_word = |word: &mut Option<String>, commands: &mut Vec<Vec<String>>| {
        if let Some(w) = word.take()
            && let Some(current) = commands.last_mut()
        {
            current.push(w);
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                for q in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                    w.push(q);
                }
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                while let Some(q) = chars.next() {
                    match q {
                        '"' => break,
                        '\\' => w.extend(chars.next()),
                        other => w.push(other),
                    }
                }
            }
            '\\' => word.get_or_insert_with(String::new).extend(chars.next()),
            ';' => {
                end_word(&mut word, &mut commands);
                commands.push(Vec::new());
            }
            '&' if chars.peek() == Some(&'&') => {
                chars.next();
                end_word(&mut word, &mut commands);
                commands.push(Vec::new());
            }
            c if c.is_whitespace() => end_word(&mut word, &mut commands),
            other => word.get_or_insert_with(String::new).push(other),
        }
    }
    end_word(&mut word, &mut commands);
    commands.retain(|c| !c.is_empty());
    commands
}

#[test]
fn a_launch_line_is_read_like_sh_reads_it() {
    let line = "cd -- '/p/x y' && CLAUDE_CONFIG_DIR='/a b' IS_SANDBOX='1' 'claude' --model opus \
                --resume d3dfc52d-1248-4328-a877-e0f73ec7fe51; printf '\\n%s (status %s)\\n' \
                'claude-failover: launch 3 ended' \"$?\"";
    let launch = parse_launch_line(line).expect("a launch");
    assert_eq!(launch.config_dir, Some(PathBuf::from("/a b")));
    assert_eq!(
        launch.resume.as_deref(),
        Some("d3dfc52d-1248-4328-a877-e0f73ec7fe51")
    );
    assert_eq!(
        launch.exit_marker.as_deref(),
        Some("claude-failover: launch 3 ended")
    );
    assert_eq!(parse_launch_line("cd -- /p"), None);
    assert_eq!(parse_launch_line("/exit"), None, "not the agent program");
}
