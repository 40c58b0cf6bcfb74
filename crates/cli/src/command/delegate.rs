//! `claude-failover delegate submit|get|result|decide`: the job-platform contract for shell
//! scripts. Output is JSON on stdout; exit codes: 0 ok, 2 bad input, 3 platform error, 4 the
//! job failed.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use crate::output::outln;
use cf_core::route::{DelegationAvailability, Provider};
use cf_delegation::DelegationManager;
use cf_delegation::script::{self, ScriptExit, ScriptOutput};

#[derive(Debug, clap::Subcommand)]
pub enum DelegateCommand {
    /// Print the routing decision for a task file and why (contacts nothing).
    Decide {
        /// The task file.
        file: PathBuf,
        /// The YAML config (delegation is off without `delegation.base_url`).
        #[arg(long, short = 'c')]
        config: Option<PathBuf>,
    },
    /// Submit a task file from a project's inbox to the platform.
    Submit {
        #[arg(long, short = 'c')]
        config: PathBuf,
        /// The project (its folder name).
        project: String,
        /// The task file.
        file: PathBuf,
        /// The provider (`gpu`, `gemini`, `claude-api`); default: the task's routing.
        #[arg(long)]
        provider: Option<String>,
    },
    /// Print a job.
    Get {
        #[arg(long, short = 'c')]
        config: PathBuf,
        /// The job id.
        job_id: String,
    },
    /// Wait for a job's result.
    Result {
        #[arg(long, short = 'c')]
        config: PathBuf,
        /// The job id.
        job_id: String,
        /// How long to wait, in seconds.
        #[arg(long, default_value_t = 600)]
        wait: u64,
    },
}

pub fn run(command: DelegateCommand) -> anyhow::Result<ExitCode> {
    let output = match command {
        DelegateCommand::Decide { file, config } => {
            let availability = match config {
                Some(path) => match super::load_config(&path)?.delegation.base_url {
                    Some(_) => DelegationAvailability::On,
                    None => DelegationAvailability::Off,
                },
                None => DelegationAvailability::On,
            };
            match std::fs::read(&file) {
                Ok(bytes) => script::decide(&bytes, availability),
                Err(e) => usage(format!("cannot read {}: {e}", file.display())),
            }
        }
        DelegateCommand::Submit {
            config,
            project,
            file,
            provider,
        } => {
            let cfg = super::load_config(&config)?;
            let provider = match provider
                .as_deref()
                .map(|p| (p, Provider::from_wire_name(p)))
            {
                Some((name, None)) => {
                    return print(usage(format!(
                        "unknown provider `{name}`: use gpu, gemini or claude-api"
                    )));
                }
                Some((_, found)) => found,
                None => None,
            };
            let discovery = cf_queue::discover_projects(
                &cfg.dispatcher.projects_dir,
                &cfg.dispatcher.projects,
            )?;
            let Some(project) = discovery.projects.into_iter().find(|p| p.name == project) else {
                return print(usage(format!("no project `{project}`")));
            };
            let Some(manager) = manager(&cfg)? else {
                return print(usage(off()));
            };
            runtime()?.block_on(script::submit(manager.client(), &file, &project, provider))
        }
        DelegateCommand::Get { config, job_id } => {
            let cfg = super::load_config(&config)?;
            let Some(manager) = manager(&cfg)? else {
                return print(usage(off()));
            };
            runtime()?.block_on(script::get(manager.client(), &job_id))
        }
        DelegateCommand::Result {
            config,
            job_id,
            wait,
        } => {
            let cfg = super::load_config(&config)?;
            let poll = cfg.delegation.poll_interval;
            let Some(manager) = manager(&cfg)? else {
                return print(usage(off()));
            };
            runtime()?.block_on(script::result(
                manager.client(),
                &job_id,
                Duration::from_secs(wait),
                poll,
            ))
        }
    };
    print(output)
}

fn manager(cfg: &cf_config::Config) -> anyhow::Result<Option<DelegationManager>> {
    DelegationManager::from_config(&cf_daemon::delegate::delegation_config(cfg))
        .map_err(|e| anyhow::anyhow!("{e}"))
}

fn off() -> String {
    "delegation is off: set delegation.base_url in the config".to_string()
}

fn usage(message: String) -> ScriptOutput {
    ScriptOutput {
        json: serde_json::json!({ "error": message, "kind": "usage" }),
        exit: ScriptExit::Usage,
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

fn print(output: ScriptOutput) -> anyhow::Result<ExitCode> {
    outln!("{}", serde_json::to_string_pretty(&output.json)?)?;
    Ok(ExitCode::from(output.exit.code() as u8))
}
