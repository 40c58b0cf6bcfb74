//! Answers the client's rate-limit menu (`What do you want to do?` after a subscription limit)
//! without a blind Enter, which could pick "Upgrade your plan".

use std::sync::LazyLock;

use regex::Regex;

use crate::screen::is_input_line;

/// The menu's title line.
const MENU_TITLE: &str = "What do you want to do?";

/// The option that keeps the account and waits: safe to choose.
const SAFE_OPTION_PREFIX: &str = "Stop and wait";

/// A numbered option line: `  ❯ 1. Stop and wait for limit to reset`, `    2. Upgrade your plan`.
static OPTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?:❯\s*)?(?P<number>\d)\.\s+(?P<text>.*?)\s*$")
        .expect("the option regex is valid")
});

/// The key to send to close the menu safely.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MenuAnswer {
    /// Press this digit (option 1 is "Stop and wait for limit to reset").
    Digit(u8),
    /// Press Esc (the options are not the ones we know).
    Escape,
}

/// If the rate-limit menu is open on `screen`, the key that closes it safely.
///
/// The menu is open when its title is on screen, followed by numbered options and the
/// `Enter to confirm · Esc to cancel` hint, with no live input line (`❯` + U+00A0) after it
/// (the menu hides the input box while it is up).
pub fn menu_answer(screen: &str) -> Option<MenuAnswer> {
    let lines: Vec<&str> = screen.lines().collect();
    let title = lines.iter().rposition(|line| line.trim() == MENU_TITLE)?;
    let after = &lines[title + 1..];
    if after.iter().any(|line| is_input_line(line.trim_end())) {
        return None;
    }
    if !after.iter().any(|line| line.contains("Esc to cancel")) {
        return None;
    }
    let first_option = after.iter().find_map(|line| {
        let caps = OPTION.captures(line)?;
        Some((caps["number"].to_owned(), caps["text"].to_owned()))
    });
    match first_option {
        Some((number, text)) if number == "1" && text.starts_with(SAFE_OPTION_PREFIX) => {
            Some(MenuAnswer::Digit(1))
        }
        // Unknown options, or none we can read: leave the menu without choosing anything.
        _ => Some(MenuAnswer::Escape),
    }
}
