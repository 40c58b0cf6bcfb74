//! `claude-failover`: the daemon and the operator's command line.

use clap::Parser;
use claude_failover::command;
use claude_failover::output;

fn main() -> std::process::ExitCode {
    let cli = command::Cli::parse();
    command::init_logging(&cli);
    match command::run(cli) {
        Ok(code) => code,
        // The reader of our output went away (`… | head -1`): it has what it wanted.
        Err(error) if output::is_stdout_closed(&error) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            output::eprint(format_args!("error: {}\n", output::error_text(&error)));
            std::process::ExitCode::from(1)
        }
    }
}
