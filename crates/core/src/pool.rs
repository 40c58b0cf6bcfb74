//! The autonomous pool: which tmux session names are ours, and which to create.
//!
//! The pool is `prefix + i` for `i` in `[start_index, start_index + max)`. Names
//! outside that range are never ours, even when they share the prefix.

use std::collections::BTreeSet;

/// The shape of the pool, from the config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolSpec {
    /// Session name prefix, e.g. `ccl-auto-`.
    pub prefix: String,
    /// First index of the range.
    pub start_index: u32,
    /// How many sessions to keep alive at least.
    pub min: u32,
    /// Size of the range.
    pub max: u32,
}

impl PoolSpec {
    /// Every session name of the pool, in index order.
    pub fn names(&self) -> Vec<String> {
        (0..self.max)
            .map(|offset| self.name_at(self.start_index.saturating_add(offset)))
            .collect()
    }

    /// The session name for index `i`.
    pub fn name_at(&self, index: u32) -> String {
        format!("{}{}", self.prefix, index)
    }

    /// True when `name` is exactly `prefix + i` with `i` in range, written without
    /// leading zeros or signs (so `ccl-auto-011` and `ccl-auto-+11` are not ours).
    pub fn contains(&self, name: &str) -> bool {
        let Some(digits) = name.strip_prefix(&self.prefix) else {
            return false;
        };
        if digits.is_empty()
            || !digits.bytes().all(|b| b.is_ascii_digit())
            || (digits.len() > 1 && digits.starts_with('0'))
        {
            return false;
        }
        match digits.parse::<u64>() {
            Ok(i) => {
                i >= u64::from(self.start_index)
                    && i < u64::from(self.start_index) + u64::from(self.max)
            }
            Err(_) => false,
        }
    }

    /// The pool sessions to create now, in index order: every `known` pool session
    /// that vanished, then the lowest free indices until at least `min` are alive.
    pub fn sessions_to_create(
        &self,
        alive: &BTreeSet<String>,
        known: &BTreeSet<String>,
    ) -> Vec<String> {
        let alive_in_pool = self
            .names()
            .into_iter()
            .filter(|n| alive.contains(n))
            .count();
        let mut planned: Vec<String> = Vec::new();
        for name in self.names() {
            if alive.contains(&name) {
                continue;
            }
            let below_min = alive_in_pool + planned.len() < self.min as usize;
            if known.contains(&name) || below_min {
                planned.push(name);
            }
        }
        planned
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> PoolSpec {
        PoolSpec {
            prefix: "ccl-auto-".into(),
            start_index: 11,
            min: 2,
            max: 10,
        }
    }

    fn set(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn names_cover_the_range() {
        let names = spec().names();
        assert_eq!(names.first().map(String::as_str), Some("ccl-auto-11"));
        assert_eq!(names.last().map(String::as_str), Some("ccl-auto-20"));
        assert_eq!(names.len(), 10);
    }

    #[track_caller]
    fn check_contains(name: &str, expected: bool) {
        assert_eq!(spec().contains(name), expected, "{name}");
    }

    #[test]
    fn membership_is_exact() {
        check_contains("ccl-auto-11", true);
        check_contains("ccl-auto-20", true);
        check_contains("ccl-auto-10", false);
        check_contains("ccl-auto-21", false);
        check_contains("ccl-auto-1", false);
        check_contains("ccl-auto-011", false);
        check_contains("ccl-auto-+11", false);
        check_contains("ccl-auto-", false);
        check_contains("ccl-0", false);
        check_contains("ccl-1-conformvault", false);
        check_contains("ccl-auto-11x", false);
        check_contains("ccl-auto-99999999999999999999999", false);
    }

    #[test]
    fn creates_up_to_min_from_the_lowest_index() {
        assert_eq!(
            spec().sessions_to_create(&set(&[]), &set(&[])),
            vec!["ccl-auto-11", "ccl-auto-12"]
        );
        assert_eq!(
            spec().sessions_to_create(&set(&["ccl-auto-15"]), &set(&[])),
            vec!["ccl-auto-11"]
        );
        assert!(
            spec()
                .sessions_to_create(&set(&["ccl-auto-13", "ccl-auto-19"]), &set(&[]))
                .is_empty()
        );
    }

    #[test]
    fn foreign_sessions_do_not_count_towards_min() {
        let alive = set(&["ccl-0", "ccl-auto-1", "ccl-auto-21"]);
        assert_eq!(
            spec().sessions_to_create(&alive, &set(&[])),
            vec!["ccl-auto-11", "ccl-auto-12"]
        );
    }

    #[test]
    fn vanished_known_sessions_are_recreated_even_above_min() {
        let alive = set(&["ccl-auto-11", "ccl-auto-12"]);
        let known = set(&["ccl-auto-11", "ccl-auto-12", "ccl-auto-14", "ccl-9"]);
        assert_eq!(
            spec().sessions_to_create(&alive, &known),
            vec!["ccl-auto-14"]
        );
    }
}
