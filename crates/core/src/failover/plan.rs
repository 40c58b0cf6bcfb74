//! The account swap as a plan: which account the sessions go to (or that every one is out and
//! dispatch pauses), and what becomes of each conversation that moves. Data and `now` in, a
//! plan out; the daemon's executor (`crates/daemon/src/failover/swap.rs`) carries it out.

use jiff::{SignedDuration, Timestamp};

use super::{AccountState, Target, pick_target};
use crate::resume::ResumeId;

/// How long an account whose limit did not say when it resets is considered exhausted.
pub const UNKNOWN_RESET: SignedDuration = SignedDuration::from_hours(5);

/// What moves the sessions to another account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SwapCause {
    /// The account ran out of quota (a screen showed the limit).
    Quota,
    /// The account cannot work (expired login, refused subscription); already marked.
    Account,
    /// Asked for by hand (`claude-failover swap`, `POST /api/swap`).
    ByHand,
    /// The pause ended: an account reset or became usable again.
    Resumed,
}

/// What the plan is made from.
#[derive(Debug, Clone)]
pub struct SwapRequest<'a> {
    /// Every account, in config order.
    pub accounts: &'a [AccountState],
    /// The account being left.
    pub active: usize,
    /// Why.
    pub cause: SwapCause,
    /// The account asked for by name (a swap by hand with `--to`).
    pub to: Option<&'a str>,
    /// When the account being left resets, if its limit said.
    pub reset_at: Option<Timestamp>,
    /// Now.
    pub now: Timestamp,
}

/// Where the sessions go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// To the account at this index.
    Account(usize),
    /// No account is usable: dispatch pauses until the earliest reset (`None`: every account
    /// needs a person).
    PauseAll {
        /// When to try again.
        earliest_reset: Option<Timestamp>,
    },
    /// The account asked for by name is not among the accounts: nothing moves.
    UnknownAccount(String),
}

/// The account side of a swap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwapPlan {
    /// The account being left is exhausted until then (a usage limit only).
    pub exhausted_until: Option<Timestamp>,
    /// Where the sessions go.
    pub destination: Destination,
}

/// Plans the account side of a swap.
pub fn plan_swap(request: &SwapRequest<'_>) -> SwapPlan {
    let now = request.now;
    let exhausted_until = (request.cause == SwapCause::Quota).then(|| {
        request
            .reset_at
            .unwrap_or_else(|| now.saturating_add(UNKNOWN_RESET).unwrap_or(now))
    });
    let mut accounts = request.accounts.to_vec();
    if let (Some(until), Some(left)) = (exhausted_until, accounts.get_mut(request.active)) {
        left.exhausted_until = Some(until);
    }
    let destination = match request.to {
        Some(name) => match accounts.iter().position(|a| a.name == name) {
            Some(index) => Destination::Account(index),
            None => Destination::UnknownAccount(name.to_string()),
        },
        None => match pick_target(&accounts, request.active, now) {
            Target::Account(index) => Destination::Account(index),
            Target::AllExhausted { earliest_reset } => Destination::PauseAll { earliest_reset },
        },
    };
    SwapPlan {
        exhausted_until,
        destination,
    }
}

/// Whether a moving task's text had reached its agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reached {
    /// The launch was verified: the conversation holds the task.
    Agent,
    /// The launch was still under way: nothing ran.
    NotYet,
}

/// What becomes of a task whose session moves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Carry {
    /// Resume its conversation on the target with a short "continue".
    Resume(ResumeId),
    /// Back to the inbox untouched: it never reached its agent.
    PutBack,
    /// It ran but its conversation is unknown: it starts over, and its footer says so.
    StartOver,
}

/// What becomes of a task that `reached` its agent (or not) in `conversation`.
pub fn carry(reached: Reached, conversation: Option<ResumeId>) -> Carry {
    match (reached, conversation) {
        (Reached::NotYet, _) => Carry::PutBack,
        (Reached::Agent, Some(id)) => Carry::Resume(id),
        (Reached::Agent, None) => Carry::StartOver,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().expect("a time")
    }

    fn request(accounts: &[AccountState], cause: SwapCause) -> SwapRequest<'_> {
        SwapRequest {
            accounts,
            active: 0,
            cause,
            to: None,
            reset_at: None,
            now: at("2026-12-01T10:00:00Z"),
        }
    }

    #[test]
    fn a_usage_limit_exhausts_the_account_left_and_goes_to_the_next() {
        let accounts = [AccountState::usable("a"), AccountState::usable("b")];
        let mut req = request(&accounts, SwapCause::Quota);
        req.reset_at = Some(at("2026-12-01T13:00:00Z"));
        let plan = plan_swap(&req);
        assert_eq!(plan.exhausted_until, Some(at("2026-12-01T13:00:00Z")));
        assert_eq!(plan.destination, Destination::Account(1));
        req.reset_at = None;
        assert_eq!(
            plan_swap(&req).exhausted_until,
            Some(at("2026-12-01T15:00:00Z")),
            "no reset said: five hours"
        );
    }

    #[test]
    fn with_every_account_out_it_pauses_until_the_earliest_reset() {
        let mut b = AccountState::usable("b");
        b.exhausted_until = Some(at("2026-12-01T12:00:00Z"));
        let accounts = [AccountState::usable("a"), b];
        let mut req = request(&accounts, SwapCause::Quota);
        req.reset_at = Some(at("2026-12-01T11:00:00Z"));
        assert_eq!(
            plan_swap(&req).destination,
            Destination::PauseAll {
                earliest_reset: Some(at("2026-12-01T11:00:00Z"))
            },
            "the account just left counts with its own reset"
        );
    }

    #[test]
    fn other_causes_leave_the_account_as_it_is_and_a_named_target_must_exist() {
        let accounts = [AccountState::usable("a"), AccountState::usable("b")];
        let mut req = request(&accounts, SwapCause::ByHand);
        req.to = Some("b");
        let plan = plan_swap(&req);
        assert_eq!(plan.exhausted_until, None);
        assert_eq!(plan.destination, Destination::Account(1));
        req.to = Some("zed");
        assert_eq!(
            plan_swap(&req).destination,
            Destination::UnknownAccount("zed".into())
        );
    }

    #[test]
    fn only_a_conversation_that_holds_the_task_is_resumed() {
        let id = ResumeId::parse("d3dfc52d-1248-4328-a877-e0f73ec7fe51").expect("an id");
        assert_eq!(
            carry(Reached::Agent, Some(id.clone())),
            Carry::Resume(id.clone())
        );
        assert_eq!(carry(Reached::Agent, None), Carry::StartOver);
        assert_eq!(carry(Reached::NotYet, Some(id)), Carry::PutBack);
        assert_eq!(carry(Reached::NotYet, None), Carry::PutBack);
    }
}
