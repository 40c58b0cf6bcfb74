//! The subcommands, one file each, and the argument definitions.

mod account_health;
mod accounts;
mod config_check;
mod delegate;
mod demo;
mod docs;
mod hook;
mod hooks;
mod notify;
mod run;
mod screen;
mod service;
mod status;
mod statusline;
mod task_add;

pub use hooks::hook_commands_for;

use std::path::PathBuf;
use std::process::ExitCode;

use crate::output::out;
use anyhow::Context;
use clap::{Parser, Subcommand};

/// Runs a pool of Claude Code sessions in tmux, fed from per-project task queues.
#[derive(Debug, Parser)]
#[command(name = "claude-failover", version, about)]
pub struct Cli {
    /// More log output (-v: debug, -vv: trace). `RUST_LOG` overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the daemon in the foreground until SIGINT or SIGTERM.
    Run(ConfigArg),
    /// Show sessions, what each works on, and queue counts per project.
    Status {
        #[command(flatten)]
        config: ConfigArg,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// List every task by state (queued, blocked, invalid, running, done, failed) with its reason.
    Tasks {
        #[command(flatten)]
        config: ConfigArg,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Move every session to another account now (the daemon must run).
    Swap {
        #[command(flatten)]
        config: ConfigArg,
        /// The account to move to (default: the next usable one).
        #[arg(long)]
        to: Option<String>,
    },
    /// Each account's health: usable, out of quota until, or needing attention (and why); `clear NAME`
    /// makes a marked account usable again.
    Accounts(account_health::AccountsArgs),
    /// List the account swaps, newest first.
    Swaps {
        #[command(flatten)]
        config: ConfigArg,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Check, create or migrate the links every account shares (`projects`, `session-env`, `file-history`).
    Symlinks {
        /// What to do.
        #[arg(value_enum)]
        action: accounts::LinksAction,
        #[command(flatten)]
        config: ConfigArg,
    },
    /// The job-platform contract for scripts: submit, get, result, decide (JSON out).
    #[command(subcommand)]
    Delegate(delegate::DelegateCommand),
    /// Work with the config file.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Work with tasks.
    #[command(subcommand)]
    Task(TaskCommand),
    /// Inspect captured screens.
    #[command(subcommand)]
    Screen(ScreenCommand),
    /// Install or check the Claude Code hooks that signal the end of a turn.
    #[command(subcommand)]
    Hooks(HooksCommand),
    /// Notifications: `notify test [--sink NAME]` sends a test alert and says what each sink answered.
    #[command(subcommand)]
    Notify(NotifyCommand),
    /// Run the daemon as a systemd service: `service install [--system] [--print]`, `service uninstall`.
    #[command(subcommand)]
    Service(ServiceCommand),
    /// Print shell completions (`claude-failover completions bash > …`).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff: `claude-failover man | man -l -`).
    Man,
    /// Run a demo: a private tmux server, two fake agents, five tasks in three projects.
    Demo(demo::DemoArgs),
    /// Called by the Claude Code hooks installed by `hooks install` (reads the hook JSON on stdin).
    #[command(hide = true)]
    Hook(hook::HookArgs),
    /// The fake Claude Code used by the tests and the demo.
    #[command(hide = true, disable_help_flag = true)]
    FakeAgent {
        /// Arguments for the fake agent.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

#[derive(Debug, clap::Args)]
struct ConfigArg {
    /// The YAML config file.
    #[arg(long, short = 'c', value_name = "FILE")]
    config: PathBuf,
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Check a config file and print every problem at once.
    Check(ConfigArg),
    /// Print a commented example config.
    Example,
}

#[derive(Debug, Subcommand)]
enum TaskCommand {
    /// Write a task atomically into a project's inbox.
    Add(task_add::TaskAddArgs),
}

#[derive(Debug, Subcommand)]
enum ScreenCommand {
    /// Print what the classifier makes of a captured screen (`tmux capture-pane -p` output).
    Classify {
        /// The captured screen; `-` for standard input.
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum ServiceCommand {
    /// Write a systemd unit for `run --config FILE` (a user unit unless --system) and reload systemd.
    Install {
        #[command(flatten)]
        config: ConfigArg,
        #[command(flatten)]
        scope: service::ServiceArgs,
        /// Only print the unit.
        #[arg(long)]
        print: bool,
    },
    /// Stop and disable the service and remove its unit (the agents keep running).
    Uninstall {
        #[command(flatten)]
        scope: service::ServiceArgs,
    },
}

#[derive(Debug, Subcommand)]
enum NotifyCommand {
    /// Send a test alert to every sink (or one) and print what each answered.
    Test {
        #[command(flatten)]
        config: ConfigArg,
        /// Only this sink.
        #[arg(long, value_name = "NAME")]
        sink: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum HooksCommand {
    /// Add the Stop and StopFailure hooks to every account's settings.json (idempotent, with a backup).
    Install(ConfigArg),
    /// Say whether the hooks are in place for every account.
    Check(ConfigArg),
    /// Take our hooks and status line out of every account (your own status line comes back).
    Uninstall(ConfigArg),
}

/// Sets up logging to stderr.
pub fn init_logging(cli: &Cli) {
    // The demo prints its own progress lines; the log only adds noise there.
    let quiet = matches!(
        cli.command,
        Command::Demo(_) | Command::Hook(_) | Command::FakeAgent { .. }
    );
    let default = match cli.verbose {
        0 if quiet => "warn",
        0 => "info",
        1 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let style = LogStyle::for_output(
        std::env::var_os("JOURNAL_STREAM").is_some(),
        std::io::IsTerminal::is_terminal(&std::io::stderr()),
    );
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(style.ansi)
        .with_writer(std::io::stderr)
        .with_target(false);
    let _ = match style.timestamps {
        Timestamps::Own => builder.try_init(),
        Timestamps::Journal => builder.without_time().try_init(),
    };
}

/// How log lines look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct LogStyle {
    /// ANSI colours.
    ansi: bool,
    /// Who stamps the time.
    timestamps: Timestamps,
}

/// Who stamps a log line's time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Timestamps {
    /// The line carries its own.
    Own,
    /// journald stamps every line: a second time would be noise.
    Journal,
}

impl LogStyle {
    /// Colours only on a terminal (a log redirected to a file stays plain text); under journald
    /// (`JOURNAL_STREAM` set) no colour and no own timestamp.
    fn for_output(under_journald: bool, stderr_is_terminal: bool) -> LogStyle {
        if under_journald {
            LogStyle {
                ansi: false,
                timestamps: Timestamps::Journal,
            }
        } else {
            LogStyle {
                ansi: stderr_is_terminal,
                timestamps: Timestamps::Own,
            }
        }
    }
}

/// Runs the chosen subcommand.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Run(c) => runtime()?.block_on(run::run(&c.config)),
        Command::Status { config, json } => runtime()?.block_on(status::run(&config.config, json)),
        Command::Delegate(command) => delegate::run(command),
        Command::Tasks { config, json } => status::tasks(&config.config, json),
        Command::Swap { config, to } => accounts::swap(&config.config, to),
        Command::Accounts(args) => account_health::run(&args),
        Command::Swaps { config, json } => accounts::swaps(&config.config, json, 100),
        Command::Symlinks { action, config } => accounts::symlinks(&config.config, action),
        Command::Config(ConfigCommand::Check(c)) => config_check::run(&c.config),
        Command::Config(ConfigCommand::Example) => {
            out!("{}", cf_config::example_config())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Task(TaskCommand::Add(args)) => task_add::run(&args),
        Command::Screen(ScreenCommand::Classify { file }) => screen::run(&file),
        Command::Hooks(HooksCommand::Install(c)) => hooks::install(&c.config),
        Command::Hooks(HooksCommand::Check(c)) => hooks::check(&c.config),
        Command::Hooks(HooksCommand::Uninstall(c)) => hooks::uninstall(&c.config),
        Command::Notify(NotifyCommand::Test { config, sink }) => {
            runtime()?.block_on(notify::test(&config.config, sink.as_deref()))
        }
        Command::Service(ServiceCommand::Install {
            config,
            scope,
            print,
        }) => service::install(&config.config, &scope, print),
        Command::Service(ServiceCommand::Uninstall { scope }) => service::uninstall(&scope),
        Command::Completions { shell } => docs::completions(shell),
        Command::Man => docs::man(),
        Command::Demo(args) => runtime()?.block_on(demo::run(args)),
        Command::Hook(args) => hook::run(&args),
        Command::FakeAgent { args } => {
            let code = cf_fake_agent::run(args);
            Ok(ExitCode::from(u8::try_from(code).unwrap_or(1)))
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Loads a config, or explains every problem in it.
pub fn load_config(path: &std::path::Path) -> anyhow::Result<cf_config::Config> {
    cf_config::load_config(path).map_err(|errors| {
        anyhow::anyhow!(
            "{errors}\nrun `claude-failover config check --config {}` after fixing",
            path.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journald_gets_plain_lines_without_a_second_timestamp() {
        let journal = LogStyle::for_output(true, true);
        assert_eq!(
            (journal.ansi, journal.timestamps),
            (false, Timestamps::Journal)
        );
        let terminal = LogStyle::for_output(false, true);
        assert_eq!(
            (terminal.ansi, terminal.timestamps),
            (true, Timestamps::Own)
        );
        assert!(
            !LogStyle::for_output(false, false).ansi,
            "a file stays plain"
        );
    }
}
