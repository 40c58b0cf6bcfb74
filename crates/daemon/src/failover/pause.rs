//! No usable account left: dispatching pauses (until the earliest quota reset, or until an
//! account that needs attention is usable again), and the clients' own auto-continue is
//! cancelled so that a task is never continued twice.

use cf_core::quota;
use cf_tmux::Key;
use jiff::Timestamp;

use super::Pause;
use crate::daemon::Daemon;
use crate::notice::{About, NoticeKind};

impl Daemon {
    /// Pauses dispatching: every account is out of quota or needs attention. Tasks stay where
    /// they are; when the pause ends they resume on the account that came back.
    pub(crate) async fn pause_all(&mut self, trigger: Option<String>, earliest: Option<Timestamp>) {
        let now = self.clock.now();
        let why = self.why_no_account_is_usable(now);
        self.failover.accounts.pause = Some(Pause {
            until: earliest,
            why: why.clone(),
        });
        self.save_accounts();
        // Every session waits: none is watched for a limit until the cooldown ends.
        let mut waiting = self.sessions_with_tasks();
        waiting.extend(self.cfg.pool.dedicated.iter().map(|d| d.name.clone()));
        self.failover.monitor.note_swap(now, &waiting);
        self.cancel_auto_continue().await;
        let until = match earliest {
            Some(until) => format!("until {until}"),
            None => "until an account is usable again (log it in again, or `claude-failover accounts clear NAME`)".to_string(),
        };
        self.say(
            NoticeKind::Paused,
            About::default().maybe_session(trigger).until(earliest),
            format!(
                "no usable account ({why}): dispatching pauses {until}; tasks stay where they are"
            ),
        );
    }

    /// One line: each account and what is wrong with it.
    fn why_no_account_is_usable(&self, now: Timestamp) -> String {
        let parts: Vec<String> = self
            .failover
            .accounts
            .states
            .iter()
            .map(|s| match (&s.attention, s.exhausted_until) {
                (Some(a), _) => format!("{} needs attention: {}", s.name, a.kind),
                (None, Some(until)) if until > now => {
                    format!("{} out of quota until {until}", s.name)
                }
                _ => format!("{} usable", s.name),
            })
            .collect();
        parts.join("; ")
    }

    /// 2.1.329 arms its own continue at the reset (`Usage limit reached · continuing
    /// automatically at …`); the daemon resumes the task itself, so the client's is cancelled with
    /// Esc (README section e) in every pool session that shows it.
    async fn cancel_auto_continue(&mut self) {
        for session in self.sessions_with_tasks() {
            if let Ok(screen) = self.terminal.capture_screen(&session).await {
                self.cancel_auto_continue_in(&session, &screen).await;
            }
        }
    }

    /// Presses Esc in `session` if its `screen` shows the client's armed auto-continue. Also
    /// called by the screen poll, on the screen it captured anyway, while dispatching is paused
    /// (a session that met its limit after the pause began armed it too).
    pub(crate) async fn cancel_auto_continue_in(&mut self, session: &str, screen: &str) {
        if !quota::auto_continue_armed(screen) {
            return;
        }
        match self.terminal.press(session, Key::Escape).await {
            Ok(()) => tracing::info!(%session, "cancelled the client's automatic continue"),
            Err(e) => tracing::warn!("cannot cancel the automatic continue in {session}: {e}"),
        }
    }
}
