//! The YAML configuration of claude-failover: parsing and validation that reports every
//! problem at once (file, line, column, dotted key and what to do), then a typed [`Config`]
//! with defaults applied and every path absolute.

mod build;
mod build_agent;
mod build_notify;
mod duration;
mod error;
mod model;
mod paths;
mod project;
mod tree;
mod walk;

use std::path::{Path, PathBuf};

pub use error::{ConfigError, ConfigErrors, Problem};
pub use model::{
    Account, AgentConfig, ApiSettings, AutonomousPool, Config, DedicatedSession,
    DelegationSettings, DispatcherConfig, Models, NotifyConfig, PoolConfig, QuotaConfig,
    RetryConfig, SinkConfig, SinkTarget, TmuxConfig, UnknownAccount, WatchdogConfig, WatcherConfig,
};
pub use project::{PROJECT_CONFIG_FILE, ProjectConfig, load_project_config, parse_project_config};

/// Where a config text came from: needed for messages and to resolve `~` and relative paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigSource {
    /// The config file; named in every error, and its directory anchors relative paths.
    /// Give an absolute path, or relative paths in the config stay relative.
    pub path: PathBuf,
    /// The home directory that `~` expands to.
    pub home: PathBuf,
}

/// Parses and validates a config text. Pure: no disk, no environment.
///
/// All problems are returned together, sorted by line.
pub fn parse_config(source: &ConfigSource, text: &str) -> Result<Config, ConfigErrors> {
    let root = tree::parse_tree(text).map_err(|error| error.into_errors(&source.path))?;
    let config_dir = source.path.parent().unwrap_or(Path::new(""));
    let mut walk = walk::Walk {
        source: text,
        paths: paths::PathBase {
            home: &source.home,
            config_dir,
        },
        errors: Vec::new(),
    };
    let config = build::read_config(&mut walk, &root);
    if walk.errors.is_empty() {
        Ok(config)
    } else {
        Err(ConfigErrors::new(source.path.clone(), walk.errors))
    }
}

/// Reads and validates the config file at `path`, with `~` taken from `$HOME`.
///
/// A relative `path` is taken from the current directory. A missing or unreadable file, or an
/// unset `$HOME`, is an error naming the path.
pub fn load_config(path: &Path) -> Result<Config, ConfigErrors> {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let text = std::fs::read_to_string(&absolute).map_err(|error| {
        ConfigErrors::whole_file(
            absolute.clone(),
            Problem::Unreadable {
                detail: error.to_string(),
            },
        )
    })?;
    let home = std::env::var_os("HOME")
        .filter(|home| Path::new(home).is_absolute())
        .ok_or_else(|| {
            let detail =
                "$HOME is not set to an absolute path, so `~` cannot be expanded; set HOME"
                    .to_owned();
            ConfigErrors::whole_file(absolute.clone(), Problem::Environment { detail })
        })?;
    parse_config(
        &ConfigSource {
            path: absolute,
            home: PathBuf::from(home),
        },
        &text,
    )
}

/// A commented example with every key, as `config init` could write it. It parses.
pub fn example_config() -> &'static str {
    include_str!("example.yaml")
}
