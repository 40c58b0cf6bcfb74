//! Per-project limits: a project that allows one task at a time never runs two, while another
//! project's tasks take the free sessions; a project whose settings file is broken is held (and
//! said so, with the file and line) until the file is fixed, and the daemon goes on.

use crate::agent::Ending;
use crate::harness::{Harness, Spec};

/// The task file each working session runs (from the last prompt it took).
fn running_files(h: &Harness) -> Vec<String> {
    h.term
        .working_sessions()
        .iter()
        .filter_map(|session| {
            let prompt = h
                .term
                .submitted()
                .into_iter()
                .rev()
                .find(|s| &s.session == session)?
                .prompt;
            let file = prompt.strip_prefix('[')?.split(']').next()?.to_string();
            Some(file)
        })
        .collect()
}

/// What `status` says of `project`.
async fn project_status(h: &Harness, project: &str) -> cf_daemon::status::ProjectCounts {
    let status = cf_daemon::status::collect_status(&h.config())
        .await
        .expect("status");
    status
        .projects
        .into_iter()
        .find(|p| p.name == project)
        .expect("the project is in status")
}

fn alpha_running(h: &Harness) -> usize {
    running_files(h)
        .iter()
        .filter(|f| f.starts_with('a'))
        .count()
}

#[tokio::test(start_paused = true)]
async fn a_project_that_allows_one_task_never_runs_two_while_others_fill_the_pool() {
    let mut h = Harness::new(&Spec {
        pool: 3,
        ..Spec::default()
    });
    // No limit in the main config; alpha's own file allows one.
    std::fs::write(h.queue("alpha", "").join("config.yaml"), "max_running: 1\n")
        .expect("alpha's settings");
    h.start().await;
    for id in ["a1", "a2", "a3"] {
        h.add_task("alpha", id, "Edit the checkout.");
    }
    for id in ["b1", "b2"] {
        h.add_task("beta", id, "Edit the other checkout.");
    }
    h.until("three turns run", |h| h.term.working_sessions().len() == 3)
        .await;
    assert_eq!(alpha_running(&h), 1, "{:?}", running_files(&h));
    let mut done = 0;
    while done < 5 {
        h.until("a turn runs", |h| !h.term.working_sessions().is_empty())
            .await;
        assert!(alpha_running(&h) <= 1, "{:?}", running_files(&h));
        let session = h.term.working_sessions().remove(0);
        h.end_turn(&session, Ending::Reply);
        done += 1;
        h.until("it is done", |h| {
            ["a1", "a2", "a3"]
                .iter()
                .filter(|id| h.is_done("alpha", id))
                .count()
                + ["b1", "b2"]
                    .iter()
                    .filter(|id| h.is_done("beta", id))
                    .count()
                == done
        })
        .await;
    }
    let alpha = project_status(&h, "alpha").await;
    assert_eq!(alpha.max_running, Some(1));
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn the_main_configs_limit_applies_to_every_project() {
    let mut h = Harness::new(&Spec {
        pool: 3,
        ..Spec::default()
    });
    let config = h.root.join("config.yaml");
    let text = std::fs::read_to_string(&config).expect("config");
    let text = text.replace(
        "dispatcher:\n",
        "dispatcher:\n  max_running_per_project: 1\n",
    );
    std::fs::write(&config, text).expect("config");
    h.start().await;
    for id in ["a1", "a2"] {
        h.add_task("alpha", id, "Edit the checkout.");
    }
    h.until("one turn runs", |h| h.term.working_sessions().len() == 1)
        .await;
    // The pool has room, but alpha allows one: nothing else starts through several rescans
    // (5 s each, in paused time).
    for _ in 0..5 {
        tokio::time::sleep(std::time::Duration::from_secs(10)).await;
        assert_eq!(
            h.term.working_sessions().len(),
            1,
            "{:?}",
            running_files(&h)
        );
    }
    h.finish_task("a1").await;
    h.finish_task("a2").await;
    h.until("both are done", |h| {
        h.is_done("alpha", "a1") && h.is_done("alpha", "a2")
    })
    .await;
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_broken_settings_file_holds_its_project_until_it_is_fixed() {
    let mut h = Harness::new(&Spec::default());
    let settings = h.queue("alpha", "").join("config.yaml");
    h.start().await;
    // Broken while the daemon runs: the next pass reads it and says so.
    std::fs::write(&settings, "max_running: 1\nisolation: copy\n").expect("alpha's settings");
    h.add_task("alpha", "a1", "Held.");
    h.add_task("beta", "b1", "Runs.");
    h.finish_task("b1").await;
    h.until("b1 is done", |h| h.is_done("beta", "b1")).await;
    assert!(h.term.prompts_of("a1.md").is_empty(), "alpha is held");
    let said = h.notice_lines();
    assert!(
        said.contains("config.yaml:2:") && said.contains("`copy` is no isolation"),
        "the file and the line are named: {said}"
    );
    let alpha = project_status(&h, "alpha").await;
    assert!(
        alpha
            .held
            .as_deref()
            .is_some_and(|why| why.contains("isolation")),
        "{alpha:?}"
    );
    // Fixed: the next pass reads it again and alpha's task runs.
    std::fs::write(&settings, "max_running: 1\n").expect("fixed");
    h.file_event(cf_queue::WatchTag::Inbox("alpha".into()), "a1.md");
    h.finish_task("a1").await;
    h.until("a1 is done", |h| h.is_done("alpha", "a1")).await;
    h.stop().await;
}
