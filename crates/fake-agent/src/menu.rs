//! The `/rate-limit-options` menu the 2.1.197 max 5x client opens by itself at its first usage
//! limit: which keys move the selection, confirm or cancel.

use crate::input::InputEvent;
use crate::limit::{MENU_CANCELLED, MENU_OPTIONS};

/// The open menu.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RateLimitMenu {
    /// Index into [`MENU_OPTIONS`] of the highlighted option (0 when it opens).
    pub selected: usize,
}

/// What a key did to the menu.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MenuAction {
    /// The menu stays open (selection may have moved).
    Stay,
    /// The menu closes with this answer: an option label, or [`MENU_CANCELLED`].
    Close(&'static str),
}

impl RateLimitMenu {
    /// Applies one key. A digit highlights that option (Enter confirms it), arrows move,
    /// Enter confirms, Esc and Ctrl-C cancel; anything else (typing, pastes) is ignored.
    pub fn handle(&mut self, event: &InputEvent) -> MenuAction {
        match event {
            InputEvent::Text(text) => {
                let picked = text
                    .chars()
                    .filter_map(|c| c.to_digit(10))
                    .filter_map(|digit| usize::try_from(digit).ok())
                    .rfind(|digit| (1..=MENU_OPTIONS.len()).contains(digit));
                if let Some(number) = picked {
                    self.selected = number - 1;
                }
                MenuAction::Stay
            }
            InputEvent::Up => {
                self.selected = self.selected.saturating_sub(1);
                MenuAction::Stay
            }
            InputEvent::Down => {
                self.selected = (self.selected + 1).min(MENU_OPTIONS.len() - 1);
                MenuAction::Stay
            }
            InputEvent::Enter => MenuAction::Close(MENU_OPTIONS[self.selected]),
            InputEvent::Escape | InputEvent::Interrupt => MenuAction::Close(MENU_CANCELLED),
            InputEvent::Paste(_) | InputEvent::Newline | InputEvent::Backspace => MenuAction::Stay,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enter_confirms_the_default_first_option() {
        let mut menu = RateLimitMenu::default();
        assert_eq!(
            menu.handle(&InputEvent::Enter),
            MenuAction::Close("Stop and wait for limit to reset")
        );
    }

    #[test]
    fn digits_and_arrows_move_the_selection() {
        let mut menu = RateLimitMenu::default();
        assert_eq!(menu.handle(&InputEvent::Text("2".into())), MenuAction::Stay);
        assert_eq!(menu.selected, 1);
        assert_eq!(menu.handle(&InputEvent::Text("1".into())), MenuAction::Stay);
        assert_eq!(menu.selected, 0);
        menu.handle(&InputEvent::Text("9x".into()));
        assert_eq!(menu.selected, 0, "no such option");
        menu.handle(&InputEvent::Down);
        menu.handle(&InputEvent::Down);
        assert_eq!(menu.selected, 1, "stops at the last option");
        assert_eq!(
            menu.handle(&InputEvent::Enter),
            MenuAction::Close("Upgrade your plan")
        );
        menu.handle(&InputEvent::Up);
        menu.handle(&InputEvent::Up);
        assert_eq!(menu.selected, 0);
    }

    #[test]
    fn escape_and_ctrl_c_cancel_and_pastes_are_ignored() {
        let mut menu = RateLimitMenu::default();
        assert_eq!(
            menu.handle(&InputEvent::Paste("a task\nwith 2 lines".into())),
            MenuAction::Stay
        );
        assert_eq!(menu.selected, 0);
        assert_eq!(
            menu.handle(&InputEvent::Escape),
            MenuAction::Close("cancel")
        );
        assert_eq!(
            menu.handle(&InputEvent::Interrupt),
            MenuAction::Close("cancel")
        );
    }
}
