//! The swap itself: carry every conversation over to the target account.

use std::path::PathBuf;

use cf_core::failover::plan::{Carry, Destination, Reached, SwapRequest, carry, plan_swap};
use cf_core::resume::{ResumeId, find_resume_hint};
use cf_core::shell::launch_command_line;

use crate::launch_spec::{AgentStart, agent_env_path, launch_spec};
use cf_store::NewSwap;
use cf_tmux::NewSession;

use jiff::Timestamp;

use super::{CONTINUE_MESSAGE, SwapCause, SwapTrigger};
use crate::daemon::Daemon;
use crate::notice::{About, NoticeKind};
use crate::signals;
use crate::slots::{ClaimedTask, Held};
use crate::waiting::WaitReason;

/// A task to carry over to the target account, and what becomes of it there.
struct Moving {
    session: String,
    task: ClaimedTask,
    carry: Carry,
}

/// Which account's sessions move where.
#[derive(Debug, Clone, Copy)]
struct Route {
    /// The account left.
    from: usize,
    /// The account moved to.
    to: usize,
}

/// A dedicated session to relaunch on the target, with its conversation when known.
type Relaunch = (cf_config::DedicatedSession, Option<ResumeId>);

impl Daemon {
    /// Moves every session to another account: the plan is pure (`cf_core::failover::plan`);
    /// this carries it out.
    pub(crate) async fn swap(&mut self, trigger: SwapTrigger) {
        let now = self.clock.now();
        let active = self.failover.accounts.active;
        // Sessions run on several accounts: a limit or a failed login moves the sessions of the
        // account it hit; a swap by hand (and the end of a pause) moves every session.
        let from = self.swap_source(&trigger).unwrap_or(active);
        let leaves_active = from == active || trigger.cause == SwapCause::ByHand;
        let to = self.swap_target(&trigger, from, now);
        let plan = plan_swap(&SwapRequest {
            accounts: &self.failover.accounts.states,
            active: from,
            cause: trigger.cause,
            to: to.as_deref(),
            reset_at: trigger.reset_at,
            now,
        });
        if let (Some(until), Some(left)) = (
            plan.exhausted_until,
            self.failover.accounts.states.get_mut(from),
        ) {
            left.exhausted_until = Some(until);
            let name = left.name.clone();
            self.say(
                NoticeKind::AccountExhausted,
                About::default().account(&name).until(Some(until)),
                format!("account {name} is out of quota until {until}"),
            );
        }
        let to = match plan.destination {
            Destination::Account(to) => to,
            Destination::PauseAll { earliest_reset } => {
                self.pause_all(trigger.session.clone(), earliest_reset)
                    .await;
                return;
            }
            Destination::UnknownAccount(name) => {
                let why = match self.cfg.account_named(&name) {
                    Err(unknown) => unknown.to_string(),
                    Ok(_) => format!("account `{name}` is not tracked"),
                };
                self.say(
                    NoticeKind::Problem,
                    About::default(),
                    format!("swap refused: {why}"),
                );
                return;
            }
        };
        let Some(to_dir) = self.cfg.accounts.get(to).map(|a| a.config_dir.clone()) else {
            return;
        };
        let moving = self.take_moving_tasks(&trigger, Route { from, to }, now);
        let dedicated = self.dedicated_that_move(&trigger, Route { from, to }).await;
        if !leaves_active && moving.is_empty() && dedicated.is_empty() {
            // Nothing runs on the account left: no move to record.
            tracing::info!(from = %self.failover.accounts.states[from].name, "no session runs on the account left");
            self.save_accounts();
            self.dispatch_wanted = true;
            return;
        }
        self.switch_to(
            Route { from, to },
            leaves_active,
            &trigger,
            &moving,
            &dedicated,
            now,
        );
        self.trust_folders_for(to, &dedicated, now);
        // Fresh sessions (own range and dedicated only).
        for m in &moving {
            let _ = self.terminal.kill_session(&m.session).await;
            self.pool.seen_gone(&m.session);
        }
        for (d, _) in &dedicated {
            let _ = self.terminal.kill_session(&d.name).await;
            // Its last report is about the process just ended (on the account left).
            signals::remove_usage(&self.cfg.watcher.done_signal_dir, &d.name);
        }
        self.maintain_pool().await;
        let to_name = self.failover.accounts.states[to].name.clone();
        for m in moving {
            self.carry_on(m, &to_name);
        }
        for (d, id) in dedicated {
            if self
                .relaunch_dedicated(&d.name, &d.project, id, &to_dir)
                .await
            {
                self.set_dedicated_account(&d.name, &to_name);
            }
        }
        self.dispatch_wanted = true;
    }

    /// Where the sessions go: the target named (by hand, or the account that reset), else for a
    /// limit or a failed login the account the placement policy picks among the others
    /// (`Daemon::move_target`; `None`: the plan picks, and pauses when none is usable).
    fn swap_target(&self, trigger: &SwapTrigger, from: usize, now: Timestamp) -> Option<String> {
        if trigger.to.is_some() || !matches!(trigger.cause, SwapCause::Quota | SwapCause::Account) {
            return trigger.to.clone();
        }
        let from_name = self.failover.accounts.states.get(from)?.name.clone();
        let (to, why) = self.move_target(&from_name, now)?;
        tracing::info!(from = %from_name, "sessions move to {why}");
        Some(to)
    }

    /// The account whose sessions a limit or a failed login moves: that of the task in the
    /// session that showed it (`None`: the active one).
    fn swap_source(&self, trigger: &SwapTrigger) -> Option<usize> {
        if !matches!(trigger.cause, SwapCause::Quota | SwapCause::Account) {
            return None;
        }
        let account = trigger.account.clone().or_else(|| {
            let session = trigger.session.as_deref()?;
            Some(self.pool.slot(session)?.task()?.account.clone())
        })?;
        self.failover
            .accounts
            .states
            .iter()
            .position(|s| s.name == account)
    }

    /// Takes the claimed tasks that move off their sessions, closes their runs and decides what
    /// becomes of each.
    fn take_moving_tasks(
        &mut self,
        trigger: &SwapTrigger,
        route: Route,
        now: Timestamp,
    ) -> Vec<Moving> {
        let from_name = self.failover.accounts.states[route.from].name.clone();
        let to_name = self.failover.accounts.states[route.to].name.clone();
        let why = match trigger.cause {
            SwapCause::Quota => format!("account {from_name} ran out of quota"),
            SwapCause::Account => format!("account {from_name} needs attention"),
            SwapCause::ByHand => "swap by hand".to_string(),
            SwapCause::Resumed => format!("{to_name} is usable again"),
        };
        let mut moving = Vec::new();
        for session in self.sessions_with_tasks() {
            let on_from = self
                .pool
                .slot(&session)
                .and_then(|slot| slot.task())
                .is_some_and(|task| task.account == from_name);
            let on_target = self
                .pool
                .slot(&session)
                .and_then(|slot| slot.task())
                .is_some_and(|task| task.account == to_name);
            let stays = match trigger.cause {
                // By hand every session moves, but one already on the target stays.
                SwapCause::ByHand => on_target,
                // After a pause every waiting session goes on.
                SwapCause::Resumed => false,
                // It runs on another account: it finishes where it is.
                SwapCause::Quota | SwapCause::Account => !on_from,
            };
            if stays {
                continue;
            }
            let Some((run, mut task)) = self.pool.take_task(&session) else {
                continue;
            };
            self.abandon_probe(&task.account, task.probe);
            task.probe = crate::slots::Probe::No;
            let reached = match task.held {
                Held::Yes => Reached::Agent,
                Held::No => Reached::NotYet,
            };
            let conversation = match reached {
                Reached::Agent => self.conversation_of(&session, &task),
                Reached::NotYet => None,
            };
            let carry = carry(reached, conversation);
            if let Carry::Resume(id) = &carry {
                // Recorded before its run closes: a crash from here on finds it to go on.
                task.conversation = Some(id.clone());
                self.save_retry_record(&task, Some(now), WaitReason::Interrupted);
            }
            if let Some(slot) = self.pool.slot_mut(&session) {
                slot.forget_hints();
            }
            let _ = self.store.finish_run(
                run,
                now,
                "swapped",
                &format!("{why}; resuming on {to_name}"),
            );
            moving.push(Moving {
                session,
                task,
                carry,
            });
        }
        moving
    }

    /// The dedicated sessions that move: a limit or a failed login moves those that run on the
    /// account left; a swap by hand and the end of a pause move every one not on the target.
    async fn dedicated_that_move(&mut self, trigger: &SwapTrigger, route: Route) -> Vec<Relaunch> {
        let from_name = self.failover.accounts.states[route.from].name.clone();
        let to_name = self.failover.accounts.states[route.to].name.clone();
        let mut moving = self.dedicated_to_relaunch().await;
        moving.retain(|(d, _)| {
            let on = self.failover.dedicated_account(&d.name);
            match trigger.cause {
                SwapCause::Quota | SwapCause::Account => on == Some(from_name.as_str()),
                SwapCause::ByHand | SwapCause::Resumed => on != Some(to_name.as_str()),
            }
        });
        moving
    }

    /// The dedicated sessions that exist, each with its conversation (from the hooks, else the
    /// resume hint on its screen). `&mut`: the loop's future must stay `Send` (`Daemon` is not `Sync`).
    async fn dedicated_to_relaunch(&mut self) -> Vec<Relaunch> {
        let dir = self.cfg.watcher.done_signal_dir.clone();
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
        dedicated
    }

    /// Records the swap; `to` becomes the active account when the active one is left.
    fn switch_to(
        &mut self,
        route: Route,
        leaves_active: bool,
        trigger: &SwapTrigger,
        moving: &[Moving],
        dedicated: &[Relaunch],
        now: Timestamp,
    ) {
        let from_name = self.failover.accounts.states[route.from].name.clone();
        if leaves_active {
            self.failover.accounts.active = route.to;
        }
        let was_paused = self.failover.accounts.pause.take().is_some();
        let to_name = self.failover.accounts.states[route.to].name.clone();
        if was_paused {
            self.say(
                NoticeKind::Resumed,
                About::default().account(&to_name),
                format!("work resumes on account {to_name}"),
            );
        }
        self.save_accounts();
        let moved: Vec<&str> = moving.iter().map(|m| m.session.as_str()).collect();
        let relaunched = dedicated.iter().map(|(d, _)| d.name.as_str());
        let watched_later: Vec<&str> = moved.iter().copied().chain(relaunched).collect();
        self.failover.monitor.note_swap(now, &watched_later);
        let detail = format!(
            "{} pool task(s) resumed, {} dedicated session(s) relaunched (moved: {}); {}",
            moving
                .iter()
                .filter(|m| matches!(m.carry, Carry::Resume(_)))
                .count(),
            dedicated.iter().filter(|(_, id)| id.is_some()).count(),
            match moved.is_empty() {
                true => "none".to_string(),
                false => moved.join(", "),
            },
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
        // After a pause the sessions may go on on the account they were on: no swap to tell of.
        let kind = match from_name == to_name {
            true => NoticeKind::Continued,
            false => NoticeKind::Swapped,
        };
        self.say(
            kind,
            About::default()
                .maybe_session(trigger.session.clone())
                .account(&to_name),
            format!("{from_name} -> {to_name} ({}); {detail}", trigger.pattern),
        );
    }

    /// The target must be able to open the conversations: trust their folders.
    pub(crate) fn trust_folders_for(&self, to: usize, dedicated: &[Relaunch], now: Timestamp) {
        let Some(account) = self.cfg.accounts.get(to) else {
            return;
        };
        let mut folders: Vec<PathBuf> = vec![self.cfg.dispatcher.projects_dir.clone()];
        folders.extend(self.cfg.dispatcher.projects.iter().cloned());
        folders.extend(dedicated.iter().map(|(d, _)| d.project.clone()));
        for folder in folders {
            if let Err(e) = cf_accounts::ensure_folder_trusted(&account.config_dir, &folder, now) {
                self.say(
                    NoticeKind::Problem,
                    About::default(),
                    format!(
                        "cannot mark {} as trusted for account {}: {e}",
                        folder.display(),
                        account.name
                    ),
                );
            }
        }
    }

    /// Does what the plan said for a moving task.
    fn carry_on(&mut self, m: Moving, to_name: &str) {
        match m.carry {
            Carry::Resume(id) => self.begin_launch(
                &m.session,
                m.task,
                Some(id),
                CONTINUE_MESSAGE.to_string(),
                crate::dispatch::LaunchOn::Account(to_name.to_string()),
            ),
            Carry::PutBack => self.put_back(
                &m.task,
                &format!(
                    "its launch in {} was under way when the sessions moved",
                    m.session
                ),
            ),
            Carry::StartOver => self.restart_from_scratch(
                &m.task,
                &format!(
                    "no conversation id was known for {} when it moved to {to_name}",
                    m.session
                ),
            ),
        }
    }

    /// Recreates a dedicated session and, with a valid conversation id, resumes it on the
    /// target account (true); without one it is left at a shell and reported.
    async fn relaunch_dedicated(
        &mut self,
        name: &str,
        project: &std::path::Path,
        id: Option<ResumeId>,
        config_dir: &std::path::Path,
    ) -> bool {
        let command = match &id {
            Some(id) => {
                let spec = launch_spec(
                    &self.cfg.agent,
                    &agent_env_path(&self.cfg.state_dir),
                    AgentStart {
                        cwd: project.to_path_buf(),
                        config_dir,
                        pool_session: None,
                        model: None,
                        resume: Some(id.clone()),
                    },
                );
                match launch_command_line(&spec) {
                    // When the agent exits, the operator gets a shell in the session.
                    Ok(line) => Some(format!("{line}; exec \"${{SHELL:-/bin/sh}}\"")),
                    Err(e) => {
                        self.say(
                            NoticeKind::Problem,
                            About::default().session(name.to_string()),
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
            (Ok(()), Some(id)) if command.is_some() => {
                self.say(
                    NoticeKind::Relaunched,
                    About::default().session(name.to_string()),
                    format!("resumed conversation {} on the new account", id.as_str()),
                );
                true
            }
            (Ok(()), _) => {
                self.say(
                    NoticeKind::Problem,
                    About::default().session(name.to_string()),
                    "no valid conversation id known: left at a shell; resume it by hand",
                );
                false
            }
            (Err(e), _) => {
                self.say(
                    NoticeKind::Problem,
                    About::default().session(name.to_string()),
                    format!("cannot recreate the dedicated session: {e}"),
                );
                false
            }
        }
    }
}
