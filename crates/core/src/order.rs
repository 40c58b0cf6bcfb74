//! Dispatch order of queued tasks: priority first, projects take turns, then arrival.

use std::collections::{BTreeMap, VecDeque};

use crate::task::{Priority, TaskId};

/// A task waiting in some project's inbox, as far as ordering cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedTask {
    /// The project (inbox) it waits in; projects take turns.
    pub project: String,
    /// Its id; the last tie-breaker, so the order is total and stable.
    pub task_id: TaskId,
    /// Critical before high before default before low.
    pub priority: Priority,
    /// When it arrived (ns since epoch, or any monotone key): earlier first within a project.
    pub arrival: i128,
}

/// Returns indices into `tasks` in dispatch order.
///
/// Priority first (critical first). At equal priority the projects with waiting tasks take
/// turns one task at a time, in name order, starting with the first project after
/// `last_served_project` (wrapping around). Within a project: by arrival, then task id. The
/// turn carries over between priority levels: the level below starts after the project served
/// last above, so one busy project cannot take every first slot.
pub fn dispatch_order(tasks: &[QueuedTask], last_served_project: Option<&str>) -> Vec<usize> {
    let mut order = Vec::with_capacity(tasks.len());
    let mut last = last_served_project.map(str::to_string);
    for priority in Priority::ALL {
        // Per project (sorted by name), its tasks at this priority in arrival order.
        let mut queues: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, task) in tasks
            .iter()
            .enumerate()
            .filter(|(_, t)| t.priority == priority)
        {
            queues.entry(task.project.as_str()).or_default().push(i);
        }
        if queues.is_empty() {
            continue;
        }
        let mut rotation: VecDeque<(&str, VecDeque<usize>)> = queues
            .into_iter()
            .map(|(project, mut indices)| {
                indices.sort_by(|&a, &b| {
                    (tasks[a].arrival, &tasks[a].task_id)
                        .cmp(&(tasks[b].arrival, &tasks[b].task_id))
                });
                (project, indices.into())
            })
            .collect();
        // Start with the first project whose name sorts after the one served last.
        let first = last
            .as_deref()
            .and_then(|l| rotation.iter().position(|(project, _)| *project > l))
            .unwrap_or(0);
        rotation.rotate_left(first);
        while let Some((project, mut queue)) = rotation.pop_front() {
            if let Some(index) = queue.pop_front() {
                order.push(index);
                last = Some(project.to_string());
            }
            if !queue.is_empty() {
                rotation.push_back((project, queue));
            }
        }
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds tasks from `project/id/priority-letter/arrival` strings, e.g. `web/T1/h/5`.
    fn tasks(specs: &str) -> Vec<QueuedTask> {
        specs
            .split_whitespace()
            .map(|spec| {
                let parts: Vec<&str> = spec.split('/').collect();
                let priority = match parts[2] {
                    "c" => Priority::Critical,
                    "h" => Priority::High,
                    "d" => Priority::Default,
                    "l" => Priority::Low,
                    other => panic!("priority letter {other}"),
                };
                QueuedTask {
                    project: parts[0].to_string(),
                    task_id: TaskId::parse(parts[1]).unwrap(),
                    priority,
                    arrival: parts[3].parse().unwrap(),
                }
            })
            .collect()
    }

    /// Checks that the order, written as task ids, is `expected`.
    #[track_caller]
    fn check(specs: &str, last_served: Option<&str>, expected: &str) {
        let list = tasks(specs);
        let order = dispatch_order(&list, last_served);
        let ids: Vec<&str> = order.iter().map(|&i| list[i].task_id.as_str()).collect();
        assert_eq!(
            ids.join(" "),
            expected,
            "tasks: {specs}, last served: {last_served:?}"
        );
    }

    #[test]
    fn table() {
        check("", None, "");
        check("a/T1/d/1", None, "T1");
        // Priority beats arrival and project turns.
        check("a/L/l/1 a/D/d/2 b/H/h/3 c/C/c/4", None, "C H D L");
        // Within a project: arrival, then id.
        check("a/T3/d/1 a/T1/d/2 a/T2/d/2", None, "T3 T1 T2");
        // Projects take turns in name order.
        check(
            "a/A1/d/1 a/A2/d/2 a/A3/d/3 b/B1/d/9 c/C1/d/5",
            None,
            "A1 B1 C1 A2 A3",
        );
        // Starting after the last served project, wrapping around.
        check(
            "a/A1/d/1 a/A2/d/2 b/B1/d/9 c/C1/d/5",
            Some("a"),
            "B1 C1 A1 A2",
        );
        check("a/A1/d/1 b/B1/d/9 c/C1/d/5", Some("c"), "A1 B1 C1");
        // A last-served project that has nothing waiting still sets the turn.
        check("a/A1/d/1 c/C1/d/5", Some("b"), "C1 A1");
        check("a/A1/d/1 c/C1/d/5", Some("zzz"), "A1 C1");
        // The turn carries over into the next priority level.
        check("a/A1/h/1 b/B1/d/1 a/A2/d/2 c/C1/d/3", None, "A1 B1 C1 A2");
        // Interleaving at two levels.
        check(
            "a/AC/c/5 b/BC/c/1 a/AD/d/1 b/BD/d/2",
            Some("a"),
            "BC AC BD AD",
        );
    }

    #[test]
    fn every_index_appears_exactly_once() {
        let list = tasks("a/1/d/3 b/2/l/1 a/3/c/2 c/4/d/1 b/5/d/1 a/6/h/0 c/7/l/9");
        let mut order = dispatch_order(&list, Some("b"));
        order.sort_unstable();
        assert_eq!(order, (0..list.len()).collect::<Vec<_>>());
    }
}
