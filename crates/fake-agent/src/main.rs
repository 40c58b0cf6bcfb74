//! `fake-claude`: the Claude Code stand-in binary; all logic lives in the library.

fn main() {
    let status = cf_fake_agent::run(std::env::args().skip(1).collect());
    std::process::exit(status);
}
