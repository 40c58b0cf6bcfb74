//! The `claude-failover` command line as a library: the subcommands, and the sandbox
//! (a private tmux server, temp projects, the fake agent) shared by the demo, the
//! integration tests and the benchmark.

pub mod command;
pub mod output;
pub mod sandbox;
