//! What a task cost: money and tokens of its turns, and its accounts' use around it. A task may
//! run on several accounts (a swap moves it): `TaskSpending` keeps one `Share` per account it ran
//! on while it runs (kept in its `.retry` record, so a restart loses nothing), and `Spent` is what
//! its footer says at the end. Pure bookkeeping: the daemon feeds it the figures it reads.

use super::{one_line, run_footer_field};

/// What a task cost on one account it ran on.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct Share {
    /// The account.
    pub account: String,
    /// USD of the client processes that ran it there.
    pub cost_usd: f64,
    /// Input tokens of the assistant entries written while it ran there.
    pub input_tokens: u64,
    /// Output tokens of those entries.
    pub output_tokens: u64,
    /// The account's higher window's use when the task first started there, if reported.
    pub usage_before: Option<f64>,
    /// …and when the task ended.
    #[serde(default)]
    pub usage_after: Option<f64>,
}

/// A running task's spending so far, per account, in the order it ran on them.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct TaskSpending {
    /// One per account it ran on.
    pub shares: Vec<Share>,
    /// The conversation's tokens (input, output) already given to a share.
    pub tokens_counted: (u64, u64),
}

impl TaskSpending {
    /// The task starts (or goes on) on `account`, whose use is `usage` now: its share begins
    /// with that figure the first time.
    pub fn started_on(&mut self, account: &str, usage: Option<f64>) {
        if !self.shares.iter().any(|s| s.account == account) {
            self.shares.push(Share {
                account: account.to_owned(),
                usage_before: usage,
                ..Share::default()
            });
        }
    }

    /// A client process on `account` cost `usd` more.
    pub fn add_cost(&mut self, account: &str, usd: f64) {
        self.share_mut(account).cost_usd += usd;
    }

    /// The conversation has used `total` tokens (input, output) so far; what is new since the
    /// last count was spent on `account`.
    pub fn count_tokens(&mut self, account: &str, total: (u64, u64)) {
        let (input, output) = (
            total.0.saturating_sub(self.tokens_counted.0),
            total.1.saturating_sub(self.tokens_counted.1),
        );
        let share = self.share_mut(account);
        share.input_tokens = share.input_tokens.saturating_add(input);
        share.output_tokens = share.output_tokens.saturating_add(output);
        self.tokens_counted = (
            self.tokens_counted.0.max(total.0),
            self.tokens_counted.1.max(total.1),
        );
    }

    /// The task starts over in a new conversation: its tokens count from zero (what the old one
    /// used stays in the shares).
    pub fn new_conversation(&mut self) {
        self.tokens_counted = (0, 0);
    }

    /// What the footer says: the totals, and each account's use at the end from `usage_now`.
    pub fn spent(&self, usage_now: impl Fn(&str) -> Option<f64>) -> Spent {
        let shares: Vec<Share> = self
            .shares
            .iter()
            .map(|s| Share {
                usage_after: usage_now(&s.account),
                ..s.clone()
            })
            .collect();
        let single = match shares.as_slice() {
            [one] => Some(one),
            _ => None,
        };
        Spent {
            cost_usd: shares.iter().map(|s| s.cost_usd).sum(),
            input_tokens: shares.iter().map(|s| s.input_tokens).sum(),
            output_tokens: shares.iter().map(|s| s.output_tokens).sum(),
            usage_before: single.and_then(|s| s.usage_before),
            usage_after: single.and_then(|s| s.usage_after),
            by_account: match single {
                Some(_) => Vec::new(),
                None => shares,
            },
        }
    }

    fn share_mut(&mut self, account: &str) -> &mut Share {
        let index = match self.shares.iter().position(|s| s.account == account) {
            Some(index) => index,
            None => {
                self.started_on(account, None);
                self.shares.len() - 1
            }
        };
        &mut self.shares[index]
    }
}

/// What one task cost: money and tokens of its turns, and its account's use around it.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct Spent {
    /// USD, summed over the client processes that ran it (from the status line reports).
    pub cost_usd: f64,
    /// Input tokens of its assistant entries (`message.usage.input_tokens`).
    pub input_tokens: u64,
    /// Output tokens of its assistant entries.
    pub output_tokens: u64,
    /// When it ran on one account: that account's use when the task started, if reported.
    pub usage_before: Option<f64>,
    /// …and when it ended.
    pub usage_after: Option<f64>,
    /// When it ran on several accounts: each one's part, in order (the flat usage is `None`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub by_account: Vec<Share>,
}

impl Spent {
    /// Each account's part: `by_account`, or the whole on `account` (the one it ended on).
    pub fn shares(&self, account: &str) -> Vec<Share> {
        match self.by_account.is_empty() {
            false => self.by_account.clone(),
            true => vec![Share {
                account: account.to_owned(),
                cost_usd: self.cost_usd,
                input_tokens: self.input_tokens,
                output_tokens: self.output_tokens,
                usage_before: self.usage_before,
                usage_after: self.usage_after,
            }],
        }
    }

    /// The footer's `- cost: …`, `- tokens: …`, `- usage: …` (and `- by account: …`) values.
    pub(super) fn lines(&self) -> Vec<(&'static str, String)> {
        let percent = |p: Option<f64>| p.map_or("unknown".to_owned(), |p| format!("{p:.0}%"));
        let usage = match self.by_account.is_empty() {
            true => format!(
                "{} -> {}",
                percent(self.usage_before),
                percent(self.usage_after)
            ),
            false => self
                .by_account
                .iter()
                .map(|s| {
                    format!(
                        "{} {} -> {}",
                        one_line(&s.account),
                        percent(s.usage_before),
                        percent(s.usage_after)
                    )
                })
                .collect::<Vec<_>>()
                .join(", "),
        };
        let mut lines = vec![
            ("cost", format!("${:.6}", self.cost_usd)),
            (
                "tokens",
                format!("{} in, {} out", self.input_tokens, self.output_tokens),
            ),
            ("usage", usage),
        ];
        if !self.by_account.is_empty() {
            let parts: Vec<String> = self
                .by_account
                .iter()
                .map(|s| {
                    format!(
                        "{} ${:.6}, {} in, {} out",
                        one_line(&s.account),
                        s.cost_usd,
                        s.input_tokens,
                        s.output_tokens
                    )
                })
                .collect();
            lines.push(("by account", parts.join("; ")));
        }
        lines
    }

    /// Reads the `cost` and `tokens` lines of a finished task's last run footer back (the totals;
    /// `usage` and `by_account` are not read).
    pub fn from_footer(text: &str) -> Option<Spent> {
        let cost = run_footer_field(text, "cost")?
            .strip_prefix('$')?
            .parse::<f64>()
            .ok()?;
        let tokens = run_footer_field(text, "tokens")?;
        let (input, output) = tokens.split_once(" in, ")?;
        Some(Spent {
            cost_usd: cost,
            input_tokens: input.trim().parse().ok()?,
            output_tokens: output.strip_suffix(" out")?.trim().parse().ok()?,
            ..Spent::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Outcome, RunFooter, render_footer};
    use super::*;

    fn footer_with(spent: Spent) -> String {
        render_footer(&RunFooter {
            session: "cf-1".into(),
            account: "b".into(),
            model: "sonnet".into(),
            started_at: "2026-11-21T09:00:00Z".parse().expect("time"),
            ended_at: "2026-11-21T09:01:00Z".parse().expect("time"),
            outcome: Outcome::TimedOut,
            attempts: Vec::new(),
            restart_note: None,
            run: Some(7),
            spent: Some(spent),
            worktree: None,
        })
    }

    #[test]
    fn what_a_task_cost_on_one_account_is_written_and_read_back() {
        let mut spending = TaskSpending::default();
        spending.started_on("a", Some(80.0));
        spending.add_cost("a", 0.0312);
        spending.count_tokens("a", (1200, 340));
        let spent = spending.spent(|_| None);
        let text = footer_with(spent.clone());
        assert!(
            text.contains(
                "- cost: $0.031200\n- tokens: 1200 in, 340 out\n- usage: 80% -> unknown\n- run: 7"
            ),
            "{text}"
        );
        let read = Spent::from_footer(&format!("# task{text}")).expect("read back");
        assert_eq!(
            (read.cost_usd, read.input_tokens, read.output_tokens),
            (0.0312, 1200, 340)
        );
        assert_eq!(Spent::from_footer("# no footer"), None);
        assert_eq!(spent.shares("a").len(), 1);
    }

    #[test]
    fn a_task_that_moved_is_charged_to_each_account_it_ran_on() {
        let mut spending = TaskSpending::default();
        spending.started_on("a", Some(88.0));
        spending.add_cost("a", 0.5);
        // It moves: the conversation's tokens so far were a's.
        spending.count_tokens("a", (100, 10));
        spending.started_on("b", Some(20.0));
        spending.add_cost("b", 0.25);
        // At the end the conversation holds 130 in, 14 out in all.
        spending.count_tokens("b", (130, 14));
        let spent = spending.spent(|account| match account {
            "a" => Some(100.0),
            _ => Some(22.0),
        });
        assert_eq!(
            (spent.cost_usd, spent.input_tokens, spent.output_tokens),
            (0.75, 130, 14)
        );
        assert_eq!((spent.usage_before, spent.usage_after), (None, None));
        let shares = spent.shares("b");
        let a = &shares[0];
        let b = &shares[1];
        assert_eq!(
            (
                a.account.as_str(),
                a.cost_usd,
                a.input_tokens,
                a.output_tokens
            ),
            ("a", 0.5, 100, 10)
        );
        assert_eq!(
            (
                b.account.as_str(),
                b.cost_usd,
                b.input_tokens,
                b.output_tokens
            ),
            ("b", 0.25, 30, 4)
        );
        assert_eq!((a.usage_before, a.usage_after), (Some(88.0), Some(100.0)));
        let text = footer_with(spent);
        assert!(
            text.contains("- usage: a 88% -> 100%, b 20% -> 22%\n"),
            "{text}"
        );
        assert!(
            text.contains("- by account: a $0.500000, 100 in, 10 out; b $0.250000, 30 in, 4 out\n"),
            "{text}"
        );
    }

    #[test]
    fn a_shrinking_count_never_takes_tokens_back() {
        let mut spending = TaskSpending::default();
        spending.count_tokens("a", (100, 10));
        // A transcript read that found less (a file cut short) adds nothing.
        spending.count_tokens("a", (40, 2));
        spending.count_tokens("a", (120, 12));
        let spent = spending.spent(|_| None);
        assert_eq!((spent.input_tokens, spent.output_tokens), (120, 12));
        // It starts over in a new conversation, which has used 30 in, 3 out by the end.
        spending.new_conversation();
        spending.count_tokens("a", (30, 3));
        let spent = spending.spent(|_| None);
        assert_eq!((spent.input_tokens, spent.output_tokens), (150, 15));
    }
}
