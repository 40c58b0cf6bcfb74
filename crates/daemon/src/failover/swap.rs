//! The swap itself: carry every conversation over to the target account.

use std::path::PathBuf;

use cf_core::failover::{Target, pick_target};
use cf_core::resume::{ResumeId, find_resume_hint};
use cf_core::shell::{LaunchSpec, SkipPermissions, launch_command_line};
use cf_store::NewSwap;
use cf_tmux::NewSession;

use super::{CONTINUE_MESSAGE, SwapCause, SwapTrigger, UNKNOWN_RESET};
use crate::daemon::Daemon;
use crate::notice::NoticeKind;
use crate::signals;
use crate::slots::{ClaimedTask, Held};
use crate::waiting::WaitReason;

/// A conversation to carry over to the target account.
struct Carry {
    session: String,
    task: ClaimedTask,
    resume: Option<ResumeId>,
}

impl Daemon {
    /// Moves every session to another account.
    pub(crate) async fn swap(&mut self, trigger: SwapTrigger) {
        let now = self.clock.now();
        let from = self.accounts.active;
        if trigger.cause == SwapCause::Quota
            && let Some(state) = self.accounts.states.get_mut(from)
        {
            state.exhausted_until = Some(
                trigger
                    .reset_at
                    .unwrap_or_else(|| now.saturating_add(UNKNOWN_RESET).unwrap_or(now)),
            );
        }
        let target = match &trigger.to {
            Some(name) => match self.accounts.states.iter().position(|s| &s.name == name) {
                Some(index) => Target::Account(index),
                None => {
                    let why = match self.cfg.account_named(name) {
                        Err(unknown) => unknown.to_string(),
                        Ok(_) => format!("account `{name}` is not tracked"),
                    };
                    self.notify(
                        NoticeKind::Problem,
                        None,
                        None,
                        format!("swap refused: {why}"),
                    );
                    return;
                }
            },
            None => pick_target(&self.accounts.states, from, now),
        };
        let to = match target {
            Target::Account(to) => to,
            Target::AllExhausted { earliest_reset } => {
                self.pause_all(trigger.session.clone(), earliest_reset)
                    .await;
                return;
            }
        };
        let from_name = self
            .accounts
            .states
            .get(from)
            .map(|s| s.name.clone())
            .unwrap_or_default();
        let to_name = self.accounts.states[to].name.clone();
        let Some(to_dir) = self.cfg.accounts.get(to).map(|a| a.config_dir.clone()) else {
            return;
        };

        // 1. What to carry over: every conversation, with its resume id.
        let dir = self.cfg.watcher.done_signal_dir.clone();
        let mut carries = Vec::new();
        let held = self.sessions_with_tasks();
        let why = match trigger.cause {
            SwapCause::Quota => format!("account {from_name} ran out of quota"),
            SwapCause::Account => format!("account {from_name} needs attention"),
            SwapCause::ByHand => "swap by hand".to_string(),
            SwapCause::Resumed => format!("{to_name} is usable again"),
        };
        for session in held {
            let Some((run, mut task)) = self.slots.get_mut(&session).and_then(|s| s.take_task())
            else {
                continue;
            };
            self.abandon_probe(&task.account, task.probe);
            task.probe = crate::slots::Probe::No;
            // Only a conversation that holds the task text may be resumed with "continue".
            let resume = match task.held {
                Held::Yes => self.conversation_of(&session, &task),
                Held::No => None,
            };
            if let Some(id) = &resume {
                // Recorded before its run closes: a crash from here on finds it to go on.
                task.conversation = Some(id.clone());
                self.save_retry_record(&task, Some(now), WaitReason::Interrupted);
            }
            self.limit_hints.remove(&session);
            self.transcript_hints.remove(&session);
            let _ = self.store.finish_run(
                run,
                now,
                "swapped",
                &format!("{why}; resuming on {to_name}"),
            );
            carries.push(Carry {
                session,
                task,
                resume,
            });
        }
        let mut dedicated = Vec::new();
        for d in self.cfg.pool.dedicated.clone() {
            if !self.terminal.has_session(&d.name).await.unwrap_or(false) {
                continue;
            }
            let from_hook = signals::read_session_id(&dir, &d.name)
                .and_then(|p| p.session_id)
                .and_then(|id| ResumeId::parse(&id).ok());
            let from_screen = match from_hook {
                Some(_) => None,
                None => self
                    .terminal
                    .capture_screen(&d.name)
                    .await
                    .ok()
                    .and_then(|s| find_resume_hint(&s)),
            };
            dedicated.push((d, from_hook.or(from_screen)));
        }

        // 2. Switch and record.
        self.accounts.active = to;
        self.accounts.pause = None;
        self.save_accounts();
        self.monitor.note_swap(now);
        let detail = format!(
            "{} pool task(s) resumed, {} dedicated session(s) relaunched; {}",
            carries.iter().filter(|c| c.resume.is_some()).count(),
            dedicated.iter().filter(|(_, id)| id.is_some()).count(),
            trigger.snippet
        );
        let swap = NewSwap {
            at: now,
            from_account: &from_name,
            to_account: &to_name,
            trigger_session: trigger.session.as_deref(),
            pattern: &trigger.pattern,
            reset_at: trigger.reset_at,
            detail: &detail,
        };
        if let Err(e) = self.store.record_swap(&swap) {
            tracing::error!("cannot record the swap: {e}");
        }
        self.notify(
            NoticeKind::Swapped,
            trigger.session.clone(),
            None,
            format!("{from_name} -> {to_name} ({}); {detail}", trigger.pattern),
        );

        // 3. The target must be able to open the conversations: trust the folders.
        let mut folders: Vec<PathBuf> = vec![self.cfg.dispatcher.projects_dir.clone()];
        folders.extend(self.cfg.dispatcher.projects.iter().cloned());
        folders.extend(dedicated.iter().map(|(d, _)| d.project.clone()));
        for folder in folders {
            if let Err(e) = cf_accounts::ensure_folder_trusted(&to_dir, &folder, now) {
                self.notify(
                    NoticeKind::Problem,
                    None,
                    None,
                    format!(
                        "cannot mark {} as trusted for account {to_name}: {e}",
                        folder.display()
                    ),
                );
            }
        }

        // 4. Fresh sessions (own range and dedicated only).
        for carry in &carries {
            let _ = self.terminal.kill_session(&carry.session).await;
            if let Some(slot) = self.slots.get_mut(&carry.session) {
                slot.alive = false;
            }
        }
        for (d, _) in &dedicated {
            let _ = self.terminal.kill_session(&d.name).await;
        }
        self.maintain_pool().await;

        // 5. Resume the interrupted pool tasks; relaunch the dedicated conversations.
        for carry in carries {
            match carry.resume {
                Some(id) => self.begin_launch(
                    &carry.session,
                    carry.task,
                    Some(id),
                    CONTINUE_MESSAGE.to_string(),
                ),
                // It never reached its agent: back to the inbox, nothing ran.
                None if carry.task.held == Held::No => self.put_back(
                    &carry.task,
                    &format!(
                        "its launch in {} was under way when the sessions moved",
                        carry.session
                    ),
                ),
                None => self.restart_from_scratch(
                    &carry.task,
                    &format!(
                        "no conversation id was known for {} when it moved to {to_name}",
                        carry.session
                    ),
                ),
            }
        }
        for (d, id) in dedicated {
            self.relaunch_dedicated(&d.name, &d.project, id, &to_dir)
                .await;
        }
        self.dispatch_wanted = true;
    }

    /// Recreates a dedicated session and, with a valid conversation id, resumes it on the
    /// target account; without one it is left at a shell and reported.
    async fn relaunch_dedicated(
        &mut self,
        name: &str,
        project: &std::path::Path,
        id: Option<ResumeId>,
        config_dir: &std::path::Path,
    ) {
        let command = match &id {
            Some(id) => {
                let mut env = vec![(
                    "CLAUDE_CONFIG_DIR".to_string(),
                    config_dir.display().to_string(),
                )];
                env.extend(self.cfg.agent.env.iter().cloned());
                let spec = LaunchSpec {
                    cwd: project.to_path_buf(),
                    program: self.cfg.agent.command.clone(),
                    program_args: self.cfg.agent.args.clone(),
                    env,
                    model: None,
                    skip_permissions: if self.cfg.agent.skip_permissions {
                        SkipPermissions::Yes
                    } else {
                        SkipPermissions::No
                    },
                    resume: Some(id.clone()),
                };
                match launch_command_line(&spec) {
                    // When the agent exits, the operator gets a shell in the session.
                    Ok(line) => Some(format!("{line}; exec \"${{SHELL:-/bin/sh}}\"")),
                    Err(e) => {
                        self.notify(
                            NoticeKind::Problem,
                            Some(name.to_string()),
                            None,
                            format!("cannot build the relaunch line: {e}"),
                        );
                        None
                    }
                }
            }
            None => None,
        };
        let spec = NewSession {
            name: name.to_string(),
            cwd: project.to_path_buf(),
            width: self.opts.pane_size.0,
            height: self.opts.pane_size.1,
            env: Vec::new(),
            command: command.clone(),
        };
        match (self.terminal.new_session(&spec).await, id) {
            (Ok(()), Some(id)) => self.notify(
                NoticeKind::Relaunched,
                Some(name.to_string()),
                None,
                format!("resumed conversation {} on the new account", id.as_str()),
            ),
            (Ok(()), None) => self.notify(
                NoticeKind::Problem,
                Some(name.to_string()),
                None,
                "no valid conversation id known: left at a shell; resume it by hand".into(),
            ),
            (Err(e), _) => self.notify(
                NoticeKind::Problem,
                Some(name.to_string()),
                None,
                format!("cannot recreate the dedicated session: {e}"),
            ),
        }
    }
}
