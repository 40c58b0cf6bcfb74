//! `claude-failover`: the daemon and the operator's command line.

use clap::Parser;
use claude_failover::command;

fn main() -> std::process::ExitCode {
    let cli = command::Cli::parse();
    command::init_logging(&cli);
    match command::run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::from(1)
        }
    }
}
