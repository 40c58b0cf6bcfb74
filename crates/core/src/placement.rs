//! Which account a new task starts on, by usage: an account at or above `switch_at` gets no new
//! work while another has headroom; `fill-first` keeps using the preferred account until it
//! reaches the line (like one active account), `spread` takes the one with the most headroom.
//! Hysteresis keeps an account just under the line from flapping. An account that never
//! reported is unknown — never taken for 0 % or 100 %: with `fill-first` the preferred account
//! keeps the work while it is unknown (the operator chose it: `swap --to`); any other unknown
//! account comes after those that report headroom and before those above the line. Pure: usage
//! at `now` is computed by the caller.

/// How new work is spread over the accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// Keep the preferred account until it reaches the line (the default).
    FillFirst,
    /// The account with the most headroom.
    Spread,
}

/// `quota.switch_at`, `quota.strategy`, `quota.hysteresis`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlacementPolicy {
    /// Percent at or above which an account gets no new work while another has headroom.
    pub switch_at: f64,
    /// Fill-first or spread.
    pub strategy: Strategy,
    /// Percentage points: an account other than the preferred one must be this far under the
    /// line to count as having headroom (and, with `spread`, this much emptier than the
    /// preferred one to take its place).
    pub hysteresis: f64,
}

impl Default for PlacementPolicy {
    fn default() -> Self {
        PlacementPolicy {
            switch_at: 90.0,
            strategy: Strategy::FillFirst,
            hysteresis: 5.0,
        }
    }
}

/// One account as placement sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate<'a> {
    /// Its name.
    pub name: &'a str,
    /// It may take work at all (not out of quota, not needing attention, breaker closed).
    pub usable: bool,
    /// Its higher window's use now, in percent; `None`: never reported.
    pub used: Option<f64>,
}

/// Where a task goes, and why.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placement {
    /// Index into the candidates.
    pub index: usize,
    /// Why.
    pub why: Why,
}

/// Why an account was chosen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Why {
    /// The preferred account still has headroom.
    Preferred,
    /// Another account has headroom (the preferred one is at the line, unusable or unknown).
    Headroom,
    /// No account reports headroom; this one never reported.
    Unknown,
    /// Every usable account is at or above the line: the one with the most headroom.
    MostHeadroom,
}

/// The account for the next task, or `None` when no account is usable.
pub fn place(
    candidates: &[Candidate<'_>],
    preferred: Option<usize>,
    policy: &PlacementPolicy,
) -> Option<Placement> {
    let usable: Vec<(usize, &Candidate<'_>)> = candidates
        .iter()
        .enumerate()
        .filter(|(_, c)| c.usable)
        .collect();
    let line = |index: usize| match Some(index) == preferred {
        true => policy.switch_at,
        false => policy.switch_at - policy.hysteresis,
    };
    let headroom: Vec<(usize, f64)> = usable
        .iter()
        .filter_map(|(i, c)| {
            c.used
                .filter(|used| *used < line(*i))
                .map(|used| (*i, used))
        })
        .collect();
    let preferred_headroom = headroom
        .iter()
        .find(|(i, _)| Some(*i) == preferred)
        .copied();
    let preferred_unknown = usable
        .iter()
        .find(|(i, c)| Some(*i) == preferred && c.used.is_none())
        .map(|(i, _)| *i);
    let chosen = match policy.strategy {
        Strategy::FillFirst => preferred_headroom
            .map(|(i, _)| (i, Why::Preferred))
            .or_else(|| preferred_unknown.map(|i| (i, Why::Preferred)))
            .or_else(|| headroom.first().map(|(i, _)| (*i, Why::Headroom))),
        Strategy::Spread => {
            let emptiest = lowest(&headroom);
            match (preferred_headroom, emptiest) {
                (Some((p, used)), Some((_, best))) if used <= best + policy.hysteresis => {
                    Some((p, Why::Preferred))
                }
                (_, Some((i, _))) => Some((i, Why::Headroom)),
                (_, None) => None,
            }
        }
    };
    let chosen = chosen
        .or_else(|| preferred_unknown.map(|i| (i, Why::Unknown)))
        .or_else(|| {
            usable
                .iter()
                .find(|(_, c)| c.used.is_none())
                .map(|(i, _)| (*i, Why::Unknown))
        })
        .or_else(|| {
            let reported: Vec<(usize, f64)> = usable
                .iter()
                .filter_map(|(i, c)| c.used.map(|u| (*i, u)))
                .collect();
            lowest(&reported).map(|(i, _)| (i, Why::MostHeadroom))
        })?;
    Some(Placement {
        index: chosen.0,
        why: chosen.1,
    })
}

/// The entry with the lowest use (the first of equals).
fn lowest(entries: &[(usize, f64)]) -> Option<(usize, f64)> {
    entries
        .iter()
        .copied()
        .reduce(|best, next| if next.1 < best.1 { next } else { best })
}

/// One line for the log: each account's use, the line, and the choice.
pub fn describe(
    candidates: &[Candidate<'_>],
    placement: &Placement,
    policy: &PlacementPolicy,
) -> String {
    let accounts: Vec<String> = candidates
        .iter()
        .map(|c| match (c.usable, c.used) {
            (false, _) => format!("{} unusable", c.name),
            (true, None) => format!("{} unknown", c.name),
            (true, Some(used)) => format!("{} {used:.0}%", c.name),
        })
        .collect();
    let name = candidates.get(placement.index).map_or("?", |c| c.name);
    let why = match placement.why {
        Why::Preferred => "the preferred account has headroom",
        Why::Headroom => "it has headroom",
        Why::Unknown => "no account reports headroom and it never reported",
        Why::MostHeadroom => "every account is at or above the line: the most headroom",
    };
    format!(
        "{name}: {why} ({}; switch at {:.0}%)",
        accounts.join(", "),
        policy.switch_at
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accounts(used: &[Option<f64>]) -> Vec<Candidate<'static>> {
        const NAMES: [&str; 4] = ["a", "b", "c", "d"];
        used.iter()
            .zip(NAMES)
            .map(|(used, name)| Candidate {
                name,
                usable: true,
                used: *used,
            })
            .collect()
    }

    fn fill_first() -> PlacementPolicy {
        PlacementPolicy::default()
    }

    fn spread() -> PlacementPolicy {
        PlacementPolicy {
            strategy: Strategy::Spread,
            ..PlacementPolicy::default()
        }
    }

    /// Use per account, the preferred one, the policy, the expected account and why.
    type Row = (Vec<Option<f64>>, Option<usize>, PlacementPolicy, usize, Why);

    #[test]
    fn the_placement_table() {
        use Why::*;
        let table: Vec<Row> = vec![
            (
                vec![Some(80.0), Some(10.0)],
                Some(0),
                fill_first(),
                0,
                Preferred,
            ),
            (
                vec![Some(95.0), Some(10.0)],
                Some(0),
                fill_first(),
                1,
                Headroom,
            ),
            (
                vec![Some(90.0), Some(10.0)],
                Some(0),
                fill_first(),
                1,
                Headroom,
            ),
            // Hysteresis: b just under the line is not taken back from a preferred c…
            (
                vec![Some(95.0), Some(87.0), Some(50.0)],
                Some(2),
                fill_first(),
                2,
                Preferred,
            ),
            // …and b at 87 % is no headroom for someone leaving a full preferred a.
            (
                vec![Some(95.0), Some(87.0), Some(50.0)],
                Some(0),
                fill_first(),
                2,
                Headroom,
            ),
            // The preferred one keeps its work up to the line itself.
            (
                vec![Some(87.0), Some(10.0)],
                Some(0),
                fill_first(),
                0,
                Preferred,
            ),
            // Every account above the line: the most headroom.
            (
                vec![Some(97.0), Some(93.0)],
                Some(0),
                fill_first(),
                1,
                MostHeadroom,
            ),
            // Never reported: after headroom, before the accounts above the line.
            (
                vec![Some(95.0), None, Some(20.0)],
                Some(0),
                fill_first(),
                2,
                Headroom,
            ),
            (
                vec![Some(95.0), None, Some(96.0)],
                Some(0),
                fill_first(),
                1,
                Unknown,
            ),
            (vec![None, None], None, fill_first(), 0, Unknown),
            // Fill-first keeps an unknown preferred account (the operator chose it); spread
            // takes an account that reports headroom first.
            (vec![None, Some(30.0)], Some(0), fill_first(), 0, Preferred),
            (vec![None, Some(30.0)], Some(0), spread(), 1, Headroom),
            (vec![Some(30.0), None], Some(1), fill_first(), 1, Preferred),
            (vec![Some(95.0), None, None], Some(2), spread(), 2, Unknown),
            // Spread: the most headroom, unless the preferred one is close enough.
            (vec![Some(40.0), Some(10.0)], Some(0), spread(), 1, Headroom),
            (
                vec![Some(12.0), Some(10.0)],
                Some(0),
                spread(),
                0,
                Preferred,
            ),
            (
                vec![Some(95.0), Some(60.0), Some(30.0)],
                Some(0),
                spread(),
                2,
                Headroom,
            ),
            (
                vec![Some(97.0), Some(93.0)],
                Some(1),
                spread(),
                1,
                MostHeadroom,
            ),
        ];
        for (used, preferred, policy, want, why) in table {
            let candidates = accounts(&used);
            let got = place(&candidates, preferred, &policy).expect("a placement");
            assert_eq!(
                (got.index, got.why),
                (want, why),
                "{used:?} preferred {preferred:?} {policy:?}"
            );
        }
    }

    #[test]
    fn an_unusable_account_is_never_chosen_and_none_usable_is_none() {
        let mut candidates = accounts(&[Some(10.0), Some(95.0)]);
        candidates[0].usable = false;
        let got = place(&candidates, Some(0), &fill_first()).expect("b");
        assert_eq!((got.index, got.why), (1, Why::MostHeadroom));
        candidates[1].usable = false;
        assert_eq!(place(&candidates, Some(0), &fill_first()), None);
    }

    #[test]
    fn the_log_line_says_why() {
        let candidates = accounts(&[Some(95.0), Some(12.0), None]);
        let got = place(&candidates, Some(0), &fill_first()).expect("b");
        assert_eq!(
            describe(&candidates, &got, &fill_first()),
            "b: it has headroom (a 95%, b 12%, c unknown; switch at 90%)"
        );
    }
}
