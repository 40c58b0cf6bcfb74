//! `claude-failover task add`: write a task atomically into a project's inbox.

use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::process::ExitCode;

use crate::output::outln;
use anyhow::{Context, bail};
use cf_core::Priority;
use cf_queue::{NewTask, NewTaskError, add_new_task};

#[derive(Debug, clap::Args)]
pub struct TaskAddArgs {
    /// The YAML config file.
    #[arg(long, short = 'c', value_name = "FILE")]
    config: PathBuf,
    /// The project (its folder name under projects_dir).
    project: String,
    /// The task's markdown; `-` or absent for standard input.
    file: Option<PathBuf>,
    /// Priority written into the frontmatter.
    #[arg(long, value_enum)]
    priority: Option<PriorityArg>,
    /// Title written into the frontmatter.
    #[arg(long)]
    title: Option<String>,
    /// Task id (the file stem); default: the input file's stem, or one made from the time and title.
    #[arg(long)]
    id: Option<String>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum PriorityArg {
    Critical,
    High,
    Default,
    Low,
}

impl From<PriorityArg> for Priority {
    fn from(p: PriorityArg) -> Priority {
        match p {
            PriorityArg::Critical => Priority::Critical,
            PriorityArg::High => Priority::High,
            PriorityArg::Default => Priority::Default,
            PriorityArg::Low => Priority::Low,
        }
    }
}

pub fn run(args: &TaskAddArgs) -> anyhow::Result<ExitCode> {
    let cfg = super::load_config(&args.config)?;
    let body = read_input(args)?;
    let content = with_frontmatter(
        body,
        args.priority.map(Priority::from),
        args.title.as_deref(),
    )?;
    let source = args
        .file
        .as_ref()
        .filter(|f| f.as_os_str() != "-")
        .map(|f| f.display().to_string())
        .unwrap_or_else(|| "standard input".into());
    // The id: --id, else the input file's stem, else one made from the time and title.
    let (id, id_from) = match (&args.id, &args.file) {
        (Some(id), _) => (Some(id.clone()), "--id".to_string()),
        (None, Some(file)) if file.as_os_str() != "-" => {
            let stem = file
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default();
            (Some(stem.to_string()), format!("{}", file.display()))
        }
        _ => (None, String::new()),
    };
    let task = NewTask {
        project: &args.project,
        id: id.as_deref(),
        content: &content,
        now: jiff::Timestamp::now(),
    };
    let added = add_new_task(
        &cfg.dispatcher.projects_dir,
        &cfg.dispatcher.projects,
        &task,
    )
    .map_err(|e| match e {
        NewTaskError::BadId(e) if id_from == "--id" => anyhow::anyhow!("--id: {e}"),
        NewTaskError::BadId(e) => anyhow::anyhow!("{id_from}: {e}; or pass --id"),
        e @ (NewTaskError::TooLarge { .. } | NewTaskError::Empty | NewTaskError::Invalid(_)) => {
            anyhow::anyhow!("{source}: {e}")
        }
        e => anyhow::anyhow!("cannot add the task to {}: {e}", args.project),
    })?;
    outln!("{}", added.path.display())?;
    Ok(ExitCode::SUCCESS)
}

fn read_input(args: &TaskAddArgs) -> anyhow::Result<Vec<u8>> {
    match &args.file {
        Some(file) if file.as_os_str() != "-" => {
            std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))
        }
        _ => {
            let stdin = std::io::stdin();
            if stdin.is_terminal() {
                bail!(
                    "give the task as a file, or pipe it: `echo 'Fix the login page' | claude-failover task add …`"
                );
            }
            let mut bytes = Vec::new();
            stdin
                .lock()
                .take(cf_daemon::MAX_TASK_BYTES + 1)
                .read_to_end(&mut bytes)
                .context("cannot read standard input")?;
            Ok(bytes)
        }
    }
}

/// Adds `priority`/`title` as a frontmatter block. A task that has its own frontmatter keeps it:
/// the flags are refused then rather than guessing how to merge.
fn with_frontmatter(
    body: Vec<u8>,
    priority: Option<Priority>,
    title: Option<&str>,
) -> anyhow::Result<Vec<u8>> {
    if priority.is_none() && title.is_none() {
        return Ok(body);
    }
    let text = String::from_utf8_lossy(&body);
    if text
        .trim_start_matches('\u{feff}')
        .lines()
        .next()
        .is_some_and(|l| l.trim_end() == "---")
    {
        bail!(
            "the task already has a frontmatter block: set priority/title there instead of with --priority/--title"
        );
    }
    let mut out = String::from("---\n");
    if let Some(title) = title {
        let clean = cf_core::text::sanitize_task_text(title).replace('\n', " ");
        out.push_str(&format!("title: {}\n", serde_json::to_string(&clean)?));
    }
    if let Some(priority) = priority {
        out.push_str(&format!("priority: {priority}\n"));
    }
    out.push_str("---\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(&body);
    Ok(bytes)
}
