//! The web dashboard in a real headless Chromium against the real daemon (fake agent, private
//! tmux): it loads with no console error, follows a task from the inbox to running to done
//! without a reload, shows a session's pane, shows agent output with `<script>` and
//! `<img onerror>` as text without running it, and refuses a requeue without the token but does
//! it with the token. Screenshots of the wide and the phone view are kept under
//! `target/tmp/dashboard/`.

mod support;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use claude_failover::sandbox::Sandbox;
use support::webdriver::Browser;
use support::{DaemonProcess, api_address, is_finished_in, prompts_for, wait_until};

const TOKEN: &str = "dashboard-test-token-0123456789";

/// Agent output that would run if the page ever built HTML from it.
const HOSTILE: &str = "Echo <script>window.__pwned = 1</script> and <img src=x onerror=\"window.__pwned = 2\"> as text.";

fn artefact(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("dashboard")
        .join(name)
}

/// A script: the state of the task row `project/file` (null while there is none).
fn row_state(task: &str) -> String {
    format!(
        "const row = document.querySelector('[data-task=\"{task}\"]'); return row ? row.dataset.state : null;"
    )
}

/// A script: whether the task row `project/file` shows `state`.
fn row_is(task: &str, state: &str) -> String {
    format!(
        "const row = document.querySelector('[data-task=\"{task}\"]'); return row !== null && row.dataset.state === '{state}';"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_follows_the_pool_live_and_never_runs_agent_output() {
    let mut spec = support::spec();
    spec.pool_size = 1;
    spec.work = "3s".into();
    let sandbox = Sandbox::create(&spec).expect("sandbox");
    let mut daemon = DaemonProcess::start_with_env(
        &sandbox,
        "dashboard",
        &[("CLAUDE_FAILOVER_API_TOKEN", TOKEN)],
    );
    wait_until(Duration::from_secs(30), "the API is up", || {
        api_address(&sandbox).is_some()
    });
    let addr = api_address(&sandbox).expect("address");
    let browser = Browser::start(1400, 1000).await;
    browser.goto(&format!("http://{addr}/")).await;
    browser
        .until(
            "the daemon shown running",
            "return document.getElementById('daemon').textContent.includes('daemon running');",
        )
        .await;
    browser
        .until(
            "the pool session shown",
            "return document.querySelector('[data-session]') !== null;",
        )
        .await;
    browser
        .until(
            "the live stream",
            "return document.getElementById('live').textContent === 'live';",
        )
        .await;
    let errors: Vec<_> = browser
        .console()
        .await
        .into_iter()
        .filter(|(level, _)| level == "SEVERE")
        .collect();
    assert!(errors.is_empty(), "console errors on load: {errors:?}");
    browser
        .eval("window.__sameLoad = 'yes'; return true;")
        .await;

    // A task dropped into the inbox appears, turns running, then done, without a reload.
    let dropped = Instant::now();
    sandbox.add_task("alpha", "visible", HOSTILE).expect("add");
    browser
        .until("the new task listed", &row_state("alpha/visible.md"))
        .await;
    let listed = dropped.elapsed();
    wait_until(Duration::from_secs(30), "the agent has the task", || {
        !prompts_for(&sandbox, "visible").is_empty()
    });
    let taken = Instant::now();
    browser
        .until(
            "the task shown running",
            &row_is("alpha/visible.md", "running"),
        )
        .await;
    let running = taken.elapsed();

    // The pane: opened on demand, refreshed while open, agent output shown as text.
    let session = browser
        .eval("return document.querySelector('[data-session]').dataset.session;")
        .await;
    let session = session.as_str().expect("a session name").to_owned();
    browser
        .click(&format!("[data-session=\"{session}\"] summary"))
        .await;
    let pane = browser
        .until("the pane shows the task", &format!(
            "const p = document.querySelector('[data-pane=\"{session}\"]'); return p && p.textContent.includes('<script>window.__pwned') ? p.textContent : null;"
        ))
        .await;
    assert!(
        pane.as_str().is_some_and(|p| p.contains("onerror=")),
        "{pane}"
    );
    browser.screenshot(&artefact("wide-working.png")).await;

    wait_until(Duration::from_secs(30), "the task done", || {
        support::is_done(&sandbox, "alpha", "visible")
    });
    let finished = Instant::now();
    browser
        .until("the task shown done", &row_is("alpha/visible.md", "done"))
        .await;
    let done = finished.elapsed();
    eprintln!(
        "dashboard latency: inbox -> row {} ms; agent took it -> running {} ms; done -> done {} ms",
        listed.as_millis(),
        running.as_millis(),
        done.as_millis()
    );
    let ran = browser
        .eval("return [window.__pwned === undefined, document.querySelectorAll('main img').length, window.__sameLoad];")
        .await;
    assert_eq!(
        ran,
        serde_json::json!([true, 0, "yes"]),
        "nothing ran, no image was made, no reload"
    );

    // A failed task: requeue refused without the token, done with it.
    sandbox
        .add_task("alpha", "broken", "Refused. fake-agent:error=400")
        .expect("add");
    browser
        .until("the failed task", &row_is("alpha/broken.md", "failed"))
        .await;
    browser
        .click("[data-task=\"alpha/broken.md\"] [data-action=requeue]")
        .await;
    let refused = browser
        .until("the refusal said", "const m = document.getElementById('message'); return !m.hidden && m.textContent.startsWith('401') ? m.textContent : null;")
        .await;
    assert!(
        refused.as_str().is_some_and(|m| m.contains("Bearer")),
        "{refused}"
    );
    assert!(
        is_finished_in(&sandbox, "alpha", "failed", "broken"),
        "still failed"
    );
    browser.type_into("#token", TOKEN).await;
    browser.click("#login button[type=submit]").await;
    browser
        .until(
            "actions allowed",
            "return document.getElementById('mode').textContent.startsWith('token set');",
        )
        .await;
    browser
        .click("[data-task=\"alpha/broken.md\"] [data-action=requeue]")
        .await;
    browser
        .until(
            "the requeue said",
            "return document.getElementById('message').textContent === 'requeued alpha/broken.md';",
        )
        .await;
    wait_until(
        Duration::from_secs(30),
        "the requeued task ran again",
        || prompts_for(&sandbox, "broken").len() == 2,
    );
    assert_eq!(
        browser.eval("return sessionStorage.getItem('claude-failover-token') !== null && !location.href.includes('token');").await,
        serde_json::json!(true),
        "the token is kept in the tab, never in the URL"
    );
    // A task added from the page's form lands in the inbox and runs.
    browser.type_into("#add-id", "from-the-page").await;
    browser
        .type_into("#add-content", "# Added from the dashboard\n\nDo it.")
        .await;
    browser.click("#add-form button[type=submit]").await;
    browser
        .until(
            "the add said",
            "return document.getElementById('message').textContent === 'task added to alpha';",
        )
        .await;
    wait_until(Duration::from_secs(30), "the added task done", || {
        support::is_done(&sandbox, "alpha", "from-the-page")
    });
    browser.screenshot(&artefact("wide-failed.png")).await;
    browser.resize(390, 844).await;
    browser.screenshot(&artefact("phone.png")).await;
    let errors: Vec<_> = browser
        .console()
        .await
        .into_iter()
        .filter(|(level, message)| level == "SEVERE" && !message.contains("status of 401"))
        .collect();
    assert!(errors.is_empty(), "console errors: {errors:?}");
    browser.quit().await;

    // The dark theme, for the record.
    let dark = Browser::start_with(1400, 1000, &["--force-dark-mode"]).await;
    dark.goto(&format!("http://{addr}/")).await;
    dark.until(
        "the page drawn",
        "return document.querySelector('[data-session]') !== null;",
    )
    .await;
    let background = dark
        .eval("return getComputedStyle(document.body).backgroundColor;")
        .await;
    assert_eq!(background, "rgb(18, 22, 28)", "the dark palette is used");
    dark.screenshot(&artefact("wide-dark.png")).await;
    dark.quit().await;
    assert!(daemon.stop(), "clean stop");
}
