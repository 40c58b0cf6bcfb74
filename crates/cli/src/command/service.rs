//! `claude-failover service install [--system] [--print]` and `service uninstall`: a systemd
//! unit for `run --config …` with readiness (`Type=notify`), the loop's own watchdog pings,
//! restart on failure, secrets from an `EnvironmentFile`, and `KillMode=process` so that
//! stopping the service never takes the tmux server, the agents or the operator's sessions.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Context, bail};

use crate::output::out;

/// The unit's file name.
pub const UNIT_NAME: &str = "claude-failover.service";

/// Which systemd manager the unit is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The operator's own manager (`systemctl --user`): the default.
    User,
    /// The system's (`/etc/systemd/system`), run as the installing user.
    System,
}

/// `service install` / `service uninstall` arguments.
#[derive(Debug, clap::Args)]
pub struct ServiceArgs {
    /// A system unit (`/etc/systemd/system`, run as you) instead of a user unit.
    #[arg(long, conflicts_with = "user")]
    system: bool,
    /// A user unit (`~/.config/systemd/user`): the default.
    #[arg(long)]
    user: bool,
}

impl ServiceArgs {
    fn scope(&self) -> Scope {
        if self.system {
            Scope::System
        } else {
            Scope::User
        }
    }
}

/// What goes into the unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitSpec {
    /// For which manager.
    pub scope: Scope,
    /// This program, absolute.
    pub program: PathBuf,
    /// The config file, absolute.
    pub config: PathBuf,
    /// The file with the secrets (`KEY=value` lines).
    pub env_file: PathBuf,
    /// The user a system unit runs as.
    pub run_as: Option<String>,
    /// `PATH` for the daemon and its agents (the service manager's own lacks `~/.local/bin`
    /// and npm's folder, where `claude` usually lives): the installing shell's.
    pub path_env: Option<String>,
}

/// The unit's text.
pub fn render_unit(spec: &UnitSpec) -> String {
    let exec = [
        spec.program.display().to_string(),
        "run".into(),
        "--config".into(),
        spec.config.display().to_string(),
    ]
    .iter()
    .map(|arg| systemd_quote(arg))
    .collect::<Vec<_>>()
    .join(" ");
    let user = match (&spec.run_as, spec.scope) {
        (Some(user), Scope::System) => format!("User={user}\n"),
        _ => String::new(),
    };
    let wanted_by = match spec.scope {
        Scope::User => "default.target",
        Scope::System => "multi-user.target",
    };
    // A user manager has no network-online.target of its own.
    let network = match spec.scope {
        Scope::User => "",
        Scope::System => "After=network-online.target\nWants=network-online.target\n",
    };
    let path = match &spec.path_env {
        Some(path) => format!(
            "# The PATH of the shell that installed the unit (agent.command is looked up in it).\nEnvironment={}\n",
            environment_quote(&format!("PATH={path}"))
        ),
        None => String::new(),
    };
    format!(
        "# Written by `claude-failover service install`; `claude-failover service uninstall` removes it.
[Unit]
Description=claude-failover: a pool of Claude Code sessions fed from task queues
{network}
[Service]
Type=notify
NotifyAccess=main
{user}{path}ExecStart={exec}
# Secrets (API token, notification URLs, …) as KEY=value lines; the leading - allows none.
EnvironmentFile=-{env_file}
Restart=on-failure
RestartSec=5s
# The event loop itself pings the watchdog: a loop that is stuck is restarted.
WatchdogSec=60s
TimeoutStopSec=90s
# Only the daemon is stopped: the tmux server it may have started, the agents and the
# operator's sessions live on, and the next start adopts the running agents.
KillMode=process

[Install]
WantedBy={wanted_by}
",
        env_file = systemd_quote_path(&spec.env_file),
    )
}

/// One word of a systemd command line: quoted when it needs it, with `%` and `$` escaped.
pub fn systemd_quote(arg: &str) -> String {
    let escaped = arg.replace('%', "%%").replace('$', "$$");
    let plain = !escaped.is_empty()
        && escaped
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+=:,@%$".contains(c));
    if plain {
        return escaped;
    }
    let inner = escaped.replace('\\', "\\\\").replace('"', "\\\"");
    format!("\"{inner}\"")
}

/// One `VAR=value` of an `Environment=` line: quoted, with `%` escaped (no `$` expansion there).
fn environment_quote(assignment: &str) -> String {
    let inner = assignment
        .replace('%', "%%")
        .replace('\\', "\\\\")
        .replace('"', "\\\"");
    format!("\"{inner}\"")
}

/// Whether `text` can go into a unit file (a line break would start a new setting).
fn fits_a_unit(text: &str) -> bool {
    !text.chars().any(char::is_control)
}

/// A path in a setting that takes one path (no quotes: spaces are allowed as they are).
fn systemd_quote_path(path: &Path) -> String {
    path.display().to_string().replace('%', "%%")
}

/// `service install`.
pub fn install(config: &Path, args: &ServiceArgs, print_only: bool) -> anyhow::Result<ExitCode> {
    let scope = args.scope();
    let cfg = super::load_config(config)?;
    let config = std::path::absolute(config)
        .with_context(|| format!("cannot make {} absolute", config.display()))?;
    let program = std::env::current_exe().context("cannot find this program's path")?;
    let spec = UnitSpec {
        scope,
        program,
        config,
        env_file: env_file_path(scope)?,
        run_as: user_name(),
        path_env: std::env::var("PATH").ok().filter(|p| fits_a_unit(p)),
    };
    for (what, text) in [
        ("this program's path", spec.program.display().to_string()),
        ("the config's path", spec.config.display().to_string()),
        (
            "the secrets file's path",
            spec.env_file.display().to_string(),
        ),
    ] {
        if !fits_a_unit(&text) {
            bail!(
                "{what} contains a control character (a line break?): a unit file cannot hold it; move the file"
            );
        }
    }
    if scope == Scope::System && spec.run_as.as_deref() == Some("root") {
        tracing::warn!(
            "the system unit would run the daemon as root: run `service install --system` with sudo from your own account (SUDO_USER), or prefer a user unit"
        );
    }
    let unit = render_unit(&spec);
    if print_only {
        out!("{unit}")?;
        return Ok(ExitCode::SUCCESS);
    }
    let path = unit_path(scope)?;
    write_file(&path, &unit, 0o644)?;
    out!("wrote {}\n", path.display())?;
    if !spec.env_file.exists() {
        write_file(&spec.env_file, &env_template(&cfg), 0o600)?;
        out!(
            "wrote {} (mode 0600): put the secrets the config names there\n",
            spec.env_file.display()
        )?;
    }
    systemctl(scope, &["daemon-reload"]);
    let ctl = match scope {
        Scope::User => "systemctl --user",
        Scope::System => "systemctl",
    };
    out!("start it now and at every boot: {ctl} enable --now claude-failover\n")?;
    out!(
        "its log: journalctl {}-u claude-failover -f\n",
        match scope {
            Scope::User => "--user ",
            Scope::System => "",
        }
    )?;
    if scope == Scope::User {
        out!("{}\n", linger_note(user_name().as_deref()))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `service uninstall`: stops and disables the unit and removes it (the secrets file stays).
pub fn uninstall(args: &ServiceArgs) -> anyhow::Result<ExitCode> {
    let scope = args.scope();
    let path = unit_path(scope)?;
    if !path.exists() {
        bail!("no unit at {}: nothing to uninstall", path.display());
    }
    systemctl(scope, &["disable", "--now", UNIT_NAME]);
    std::fs::remove_file(&path).with_context(|| format!("cannot remove {}", path.display()))?;
    systemctl(scope, &["daemon-reload"]);
    out!(
        "removed {}; the tmux sessions and agents keep running\n",
        path.display()
    )?;
    let env_file = env_file_path(scope)?;
    if env_file.exists() {
        out!(
            "kept {} (your secrets): remove it yourself if you want\n",
            env_file.display()
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Where the unit goes.
fn unit_path(scope: Scope) -> anyhow::Result<PathBuf> {
    Ok(match scope {
        Scope::User => config_home()?.join("systemd/user").join(UNIT_NAME),
        Scope::System => PathBuf::from("/etc/systemd/system").join(UNIT_NAME),
    })
}

/// Where the secrets go.
fn env_file_path(scope: Scope) -> anyhow::Result<PathBuf> {
    Ok(match scope {
        Scope::User => config_home()?.join("claude-failover/env"),
        Scope::System => PathBuf::from("/etc/claude-failover/env"),
    })
}

/// `$XDG_CONFIG_HOME`, or `~/.config`.
fn config_home() -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os("XDG_CONFIG_HOME").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    match std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        Some(home) => Ok(PathBuf::from(home).join(".config")),
        None => {
            bail!("neither XDG_CONFIG_HOME nor HOME is set: cannot tell where a user unit goes")
        }
    }
}

/// A commented list of the variables the config names, for the operator to fill in.
fn env_template(cfg: &cf_config::Config) -> String {
    let mut names = vec![cfg.api.token_env.clone()];
    if cfg.delegation.base_url.is_some() {
        names.push(cfg.delegation.api_key_env.clone());
    }
    for sink in &cfg.notify.sinks {
        match &sink.target {
            cf_config::SinkTarget::Webhook { url_env, token_env }
            | cf_config::SinkTarget::Ntfy { url_env, token_env } => {
                names.push(url_env.clone());
                names.extend(token_env.iter().cloned());
            }
            cf_config::SinkTarget::Slack { url_env } => names.push(url_env.clone()),
            cf_config::SinkTarget::Command { .. } => {}
        }
    }
    let mut text = String::from(
        "# Secrets for claude-failover, one KEY=value per line (read by systemd, never logged).\n",
    );
    for name in names {
        text.push_str(&format!("# {name}=\n"));
    }
    text
}

/// What a user unit needs to run without a login session.
fn linger_note(user: Option<&str>) -> String {
    let user = user.unwrap_or("$USER");
    let lingering = Path::new("/var/lib/systemd/linger").join(user).exists();
    if lingering {
        format!("lingering is on for {user}: the service runs without a login")
    } else {
        format!(
            "a user unit stops when you log out unless lingering is on: loginctl enable-linger {user}"
        )
    }
}

/// Runs `systemctl [--user] args…`; a failure is said, not fatal (the file is written).
/// `CLAUDE_FAILOVER_SYSTEMCTL` names another program (the tests: never the real manager).
fn systemctl(scope: Scope, args: &[&str]) {
    let program =
        std::env::var_os("CLAUDE_FAILOVER_SYSTEMCTL").unwrap_or_else(|| "systemctl".into());
    let mut command = Command::new(program);
    if scope == Scope::User {
        command.arg("--user");
    }
    match command.args(args).output() {
        Ok(output) if output.status.success() => {}
        Ok(output) => tracing::warn!(
            "systemctl {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        ),
        Err(e) => tracing::warn!("cannot run systemctl {}: {e}", args.join(" ")),
    }
}

/// Writes `text` to `path` (creating its folder) with `mode`.
fn write_file(path: &Path, text: &str, mode: u32) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.write_all(text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))
}

/// The name of the user running this: under sudo the one who ran sudo (`$SUDO_USER`), else
/// `$USER` or `$LOGNAME`.
fn user_name() -> Option<String> {
    ["SUDO_USER", "USER", "LOGNAME"]
        .iter()
        .find_map(|var| std::env::var(var).ok().filter(|name| !name.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_quoted_the_way_systemd_reads_them() {
        assert_eq!(
            systemd_quote("/usr/bin/claude-failover"),
            "/usr/bin/claude-failover"
        );
        assert_eq!(
            systemd_quote("/srv/my config.yaml"),
            "\"/srv/my config.yaml\""
        );
        assert_eq!(systemd_quote("100%"), "100%%");
        assert_eq!(systemd_quote("$HOME"), "$$HOME");
        assert_eq!(systemd_quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
        assert_eq!(systemd_quote(""), "\"\"");
    }

    #[test]
    fn a_user_unit_notifies_restarts_and_never_kills_the_sessions() {
        let unit = render_unit(&UnitSpec {
            scope: Scope::User,
            program: "/opt/cf/claude-failover".into(),
            config: "/home/op/cf.yaml".into(),
            env_file: "/home/op/.config/claude-failover/env".into(),
            run_as: Some("op".into()),
            path_env: Some("/home/op/.local/bin:/usr/bin".into()),
        });
        for line in [
            "Type=notify",
            "ExecStart=/opt/cf/claude-failover run --config /home/op/cf.yaml",
            "EnvironmentFile=-/home/op/.config/claude-failover/env",
            "Restart=on-failure",
            "WatchdogSec=60s",
            "KillMode=process",
            "WantedBy=default.target",
            "Environment=\"PATH=/home/op/.local/bin:/usr/bin\"",
        ] {
            assert!(unit.lines().any(|l| l == line), "{line} in:\n{unit}");
        }
        assert!(!unit.contains("User="), "a user unit runs as its user");
        assert!(
            !unit.contains("network-online"),
            "no such target in a user manager"
        );
    }
}
