//! The parts of [`App`] that turn events into lasting effects: record lines (prompts, menu
//! answers) and the screen at the end of a turn, including the usage-limit and error screens.

use super::{App, Start, Turn};
use crate::directive::TurnOutcome;
use crate::limit::{MenuHistory, limit_screen};
use crate::menu::RateLimitMenu;
use crate::outcome::{TurnEnding, turn_ending};
use crate::record::{MenuChoiceRecord, PromptRecord, RecordContext, account_marker, append_record};
use crate::render::Block;
use std::time::Duration;

impl App {
    /// Appends a menu answer to the record file.
    pub(super) fn record_menu_choice(&self, choice: &str) {
        let Some(path) = &self.info.record_path else {
            return;
        };
        let marker = account_marker(&self.info.config_dir);
        let config_dir = self.info.config_dir.display().to_string();
        let record = MenuChoiceRecord {
            event: "menu_choice",
            choice,
            context: RecordContext {
                ts: jiff::Timestamp::now().to_string(),
                pid: std::process::id(),
                session_id: &self.info.session_id,
                tmux_pane: self.info.tmux_pane.as_deref(),
                config_dir: &config_dir,
                account_marker: marker.as_deref(),
            },
        };
        // The record is a test aid; failing to write it must not stop the session.
        let _ = append_record(path, &record);
    }

    /// Appends a received prompt to the record file.
    pub(super) fn record_prompt(&self, prompt: &str) {
        let Some(path) = &self.info.record_path else {
            return;
        };
        let marker = account_marker(&self.info.config_dir);
        let record = PromptRecord {
            event: "prompt",
            ts: jiff::Timestamp::now().to_string(),
            pid: std::process::id(),
            session_id: &self.info.session_id,
            tmux_pane: self.info.tmux_pane.as_deref(),
            cwd: &self.info.cwd,
            config_dir: &self.info.config_dir.display().to_string(),
            account_marker: marker.as_deref(),
            model: self.info.model.as_deref(),
            resumed: self.info.start == Start::Resumed,
            prompt,
        };
        // The record is a test aid; failing to write it must not stop the session.
        let _ = append_record(path, &record);
    }

    /// Puts the end of `turn` on screen (and opens the menu or banner of a limit); returns the
    /// text for the transcript and hooks.
    pub(super) fn show_ending(&mut self, turn: &Turn, took: Duration) -> TurnEnding {
        let now = jiff::Timestamp::now();
        let TurnOutcome::AccountLimit(limit) = turn.outcome else {
            let wording = self.wording(turn.client);
            let ending = turn_ending(turn.outcome, &turn.prompt, now, &wording);
            self.blocks.push(ending.block.clone());
            if ending.shows_worked {
                self.blocks.push(Block::Worked(took));
            }
            self.input_hint = ending.input_hint;
            return ending;
        };
        let screen = limit_screen(limit, self.menu_history, now);
        let shown = match screen.hint {
            Some(hint) => format!("{}\n{hint}", screen.message),
            None => screen.message.clone(),
        };
        let block = Block::Notice(shown);
        self.blocks.push(block.clone());
        if let Some(follow_up) = screen.follow_up {
            self.blocks.push(Block::Reply(follow_up));
        }
        if screen.shows_worked {
            self.blocks.push(Block::Worked(took));
        }
        if screen.opens_menu {
            self.menu = Some(RateLimitMenu::default());
            self.menu_history = MenuHistory::AlreadyShown;
        }
        self.banner = screen.banner;
        TurnEnding {
            block,
            message: screen.message,
            shows_worked: screen.shows_worked,
            input_hint: None,
        }
    }
}
