//! Checks the screen classifier against every recorded Claude Code screen in
//! `tests/fixtures/screens/` (copied from `shared/claude-code/`) and against synthetic screens.

// Tests read the recorded fixtures from disk and time their budgets; the library may not.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use ScreenState::{Busy, Idle, InputPending, Menu, NoAgent};
use cf_core::screen::{ScreenState, classify, render_report, turn_count};
use regex::Regex;

/// Synthetic screens: shells, empty panes, edge cases not in the recordings.
#[path = "screens/synthetic.rs"]
mod synthetic;

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/screens")
}

fn fixture(name: &str) -> String {
    let path = fixtures_dir().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Asserts that the recorded screen `name` classifies as `expected`.
#[track_caller]
fn check(name: &str, expected: ScreenState) {
    let reading = classify(&fixture(name));
    assert_eq!(
        reading.state,
        expected,
        "{name}:\n{}",
        render_report(&reading)
    );
}

#[test]
fn idle_screens() {
    check("a_idle_default_permissions.txt", Idle);
    check("a_idle_default_permissions_after10s.txt", Idle);
    check("a_idle_start.txt", Idle);
    check("a_idle_start_after10s.txt", Idle);
    check("c_after_queued_message.txt", Idle);
    check("c_after_reply.txt", Idle);
    check("c_after_reply2.txt", Idle);
    check("c_after_reply_default_permissions.txt", Idle);
    check("d1_after.txt", Idle);
    check("e1_ratelimit_api_final.txt", Idle);
    check("e2_ratelimit_unified5h_apikey_noretry.final.txt", Idle);
    check(
        "e2_ratelimit_unified5h_apikey_noretry.frame_t1.0s.txt",
        Idle,
    );
    check("e3_oauth_ok.final.txt", Idle);
    check("e3_oauth_ok.frame_t2.0s.txt", Idle);
    check("e4_oauth_unified5h_after_option1.txt", Idle);
    check("e5_oauth_unified7d.final.txt", Idle);
    check("e5_oauth_unified7d.frame_t1.0s.txt", Idle);
    check("e5_oauth_unified7d.frame_t5.0s.txt", Idle);
    check("e5_oauth_unified7d_after_esc.txt", Idle);
    check("e6_oauth_ok_warn5h.final.txt", Idle);
    check("e6_oauth_ok_warn5h.frame_t2.0s.txt", Idle);
    check("e7_oauth_bare429_noretry.final.txt", Idle);
    check("e7_oauth_bare429_noretry.frame_t1.0s.txt", Idle);
    check("e8_oauth_unified5h_second.final.txt", Idle);
    check("e8_oauth_unified5h_second.frame_t1.0s.txt", Idle);
    check("f1_server500.final.txt", Idle);
    check("f1_server500.frame_t178.8s.txt", Idle);
    check("f2_overloaded529.final.txt", Idle);
    check("f2_overloaded529.frame_t171.8s.txt", Idle);
    check("f3_server500_max_retries_2.final.txt", Idle);
    check("f3_server500_max_retries_2.frame_t2.0s.txt", Idle);
    check("f3_server500_max_retries_2.frame_t4.0s.txt", Idle);
    check("g_ctrl_c_once.txt", Idle);
    check("h_resume_screen.txt", Idle);
    check("i_stop_hook_turn.final.txt", Idle);
    check("i_stop_hook_turn.frame_t3.5s.txt", Idle);
    check("i_stopfailure_500.final.txt", Idle);
    check("i_stopfailure_500.frame_t0.5s.txt", Idle);
    check("i_stopfailure_ratelimit.final.txt", Idle);
    check("i_stopfailure_ratelimit.frame_t0.5s.txt", Idle);
}

#[test]
fn idle_screens_on_other_versions_and_accounts() {
    check("v2.1.329_a_idle_start.txt", Idle);
    check("v2.1.329_b_working_timeline.final.txt", Idle);
    check("v2.1.329_b_working_timeline.frame_t21.1s.txt", Idle);
    check("v2.1.329_e_oauth_unified5h.final.txt", Idle);
    check("v2.1.329_e_oauth_unified5h.frame_t1.0s.txt", Idle);
    check("v2.1.329_e_oauth_unified5h_after10s.txt", Idle);
    check("v2.1.329_e_oauth_unified5h_after_esc.txt", Idle);
    check("v2.1.329_e_ratelimit_api_noretry.final.txt", Idle);
    check("v2.1.329_e_ratelimit_api_noretry.frame_t1.0s.txt", Idle);
    check("v2.1.329_f_server500_noretry.final.txt", Idle);
    check("v2.1.329_f_server500_noretry.frame_t1.0s.txt", Idle);
    check("failover_2.1.197-max5x_1_a_ok.txt", Idle);
    check("failover_2.1.197-max5x_1_b_ok.txt", Idle);
    check("failover_2.1.197-max5x_2_b_ok.txt", Idle);
    check(
        "failover_2.1.197-max5x_3b_b_resume_shared_projects.txt",
        Idle,
    );
    check("failover_2.1.197-max5x_3b_b_resumed_answered.txt", Idle);
    check("failover_2.1.197_1_a_ok.txt", Idle);
    check("failover_2.1.197_1_b_ok.txt", Idle);
    check("failover_2.1.197_2_a_session_limit.txt", Idle);
    check("failover_2.1.197_2_b_ok.txt", Idle);
    check("failover_2.1.197_3b_b_resume_shared_projects.txt", Idle);
    check("failover_2.1.197_3b_b_resumed_answered.txt", Idle);
    check("failover_2.1.329_1_a_ok.txt", Idle);
    check("failover_2.1.329_1_b_ok.txt", Idle);
    check("failover_2.1.329_2_a_session_limit.txt", Idle);
    check("failover_2.1.329_2_b_ok.txt", Idle);
    check("failover_2.1.329_3b_b_resume_shared_projects.txt", Idle);
    check("failover_2.1.329_3b_b_resumed_answered.txt", Idle);
}

#[test]
fn busy_screens() {
    check("b_working_1.txt", Busy);
    check("b_working_2.txt", Busy);
    check("b_working_3.txt", Busy);
    check("b_working_8s.txt", Busy);
    check("b_working_12s.txt", Busy);
    check("b_working_14s_of_25.txt", Busy);
    check("b_working_18s_of_25.txt", Busy);
    check("b_working_19s_of_25.txt", Busy);
    check("b_working_default_permissions.txt", Busy);
    check("b_working_with_queued_message.txt", Busy);
    check("d1_followup_enter_0.5s.txt", Busy);
    check("d2_sendkeys_two_cmds_nodelay_0.3s.txt", Busy);
    check("d2_sendkeys_two_cmds_nodelay_1.8s.txt", Busy);
    check("d5_sendkeys_enter_after_500ms_0.3s.txt", Busy);
    check("d5_sendkeys_enter_after_500ms_1.8s.txt", Busy);
    check("d7_paste_nobracket_enter_500ms_0.3s.txt", Busy);
    check("d7_paste_nobracket_enter_500ms_1.8s.txt", Busy);
    check("e3_oauth_ok.frame_t1.0s.txt", Busy);
    check("e6_oauth_ok_warn5h.frame_t1.0s.txt", Busy);
    check("i_stop_hook_turn.frame_t0.5s.txt", Busy);
    check("i_stop_hook_turn.frame_t1.5s.txt", Busy);
    check("v2.1.329_b_working_timeline.frame_t1.0s.txt", Busy);
    check("v2.1.329_b_working_timeline.frame_t5.0s.txt", Busy);
    check("v2.1.329_b_working_timeline.frame_t16.1s.txt", Busy);
}

#[test]
fn busy_screens_with_retry_lines() {
    check("e1_ratelimit_api_retryafter5.final.txt", Busy);
    check("e1_ratelimit_api_retryafter5.frame_t1.0s.txt", Busy);
    check("e1_ratelimit_api_retryafter5.frame_t47.2s.txt", Busy);
    check("e1_ratelimit_api_retryafter5.frame_t74.3s.txt", Busy);
    check("f1_server500.frame_t1.0s.txt", Busy);
    check("f1_server500.frame_t34.1s.txt", Busy);
    check("f1_server500.frame_t145.6s.txt", Busy);
    check("f2_overloaded529.frame_t1.0s.txt", Busy);
    check("f2_overloaded529.frame_t8.0s.txt", Busy);
    check("f2_overloaded529.frame_t35.2s.txt", Busy);
    check("f2_overloaded529.frame_t137.6s.txt", Busy);
    check("f3_server500_max_retries_2.frame_t1.0s.txt", Busy);
    check("i_stopfailure_529.final.txt", Busy);
    check("i_stopfailure_529.frame_t0.5s.txt", Busy);
    check("i_stopfailure_529.frame_t4.0s.txt", Busy);
    check("v2.1.329_f_overloaded_first_retries.final.txt", Busy);
    check("v2.1.329_f_overloaded_first_retries.frame_t1.0s.txt", Busy);
    check("v2.1.329_f_overloaded_first_retries.frame_t2.0s.txt", Busy);
    check("v2.1.329_f_overloaded_first_retries.frame_t5.0s.txt", Busy);
}

/// After a paste and Enter the footer says `paste again to expand` instead of
/// `esc to interrupt`; only the spinner line shows the agent works.
#[test]
fn busy_screens_whose_footer_hides_esc_to_interrupt() {
    check("d3_bracketed_paste_enter_nodelay_0.3s.txt", Busy);
    check("d3_bracketed_paste_enter_nodelay_1.8s.txt", Busy);
    check("d4_bracketed_paste_after_enter_500ms.txt", Busy);
    check("d6_bracketed_paste_enter_one_invocation.txt", Busy);
}

#[test]
fn input_pending_screens() {
    check("b_typed_before_enter.txt", InputPending);
    check("b_interrupted_by_esc.txt", InputPending);
    check("b_interrupted_ok_by_esc.txt", InputPending);
    check("d1_sendkeys_one_invocation_0.3s.txt", InputPending);
    check("d1_sendkeys_one_invocation_1.8s.txt", InputPending);
    check("d4_bracketed_paste_before_enter.txt", InputPending);
    check("d8_sendkeys_2k_enter_one_invocation.txt", InputPending);
    check(
        "d8_sendkeys_2k_enter_one_invocation_after9s.txt",
        InputPending,
    );
    check("g_exit_typed.txt", InputPending);
}

/// The first frame of each timeline is the prompt typed but not yet submitted.
#[test]
fn input_pending_first_frames_of_timelines() {
    check("e1_ratelimit_api_retryafter5.frame_t0.0s.txt", InputPending);
    check(
        "e2_ratelimit_unified5h_apikey_noretry.frame_t0.0s.txt",
        InputPending,
    );
    check("e3_oauth_ok.frame_t0.0s.txt", InputPending);
    check("e4_oauth_unified5h.frame_t0.0s.txt", InputPending);
    check("e5_oauth_unified7d.frame_t0.0s.txt", InputPending);
    check("e6_oauth_ok_warn5h.frame_t0.0s.txt", InputPending);
    check("e7_oauth_bare429_noretry.frame_t0.0s.txt", InputPending);
    check("e8_oauth_unified5h_second.frame_t0.0s.txt", InputPending);
    check("f1_server500.frame_t0.0s.txt", InputPending);
    check("f2_overloaded529.frame_t0.0s.txt", InputPending);
    check("f3_server500_max_retries_2.frame_t0.0s.txt", InputPending);
    check("i_stop_hook_turn.frame_t0.0s.txt", InputPending);
    check("i_stopfailure_500.frame_t0.0s.txt", InputPending);
    check("i_stopfailure_529.frame_t0.0s.txt", InputPending);
    check("i_stopfailure_ratelimit.frame_t0.0s.txt", InputPending);
    check("v2.1.329_b_working_timeline.frame_t0.0s.txt", InputPending);
    check("v2.1.329_e_oauth_unified5h.frame_t0.0s.txt", InputPending);
    check(
        "v2.1.329_e_ratelimit_api_noretry.frame_t0.0s.txt",
        InputPending,
    );
    check(
        "v2.1.329_f_overloaded_first_retries.frame_t0.0s.txt",
        InputPending,
    );
    check("v2.1.329_f_server500_noretry.frame_t0.0s.txt", InputPending);
}

#[test]
fn menu_screens() {
    check("e4_oauth_unified5h.final.txt", Menu);
    check("e4_oauth_unified5h.frame_t1.0s.txt", Menu);
    check("e4_oauth_unified5h_menu.txt", Menu);
    check("failover_2.1.197-max5x_2_a_session_limit.txt", Menu);
}

#[test]
fn no_agent_screens() {
    check("g_ctrl_c_twice.txt", NoAgent);
    check("g_exit_after.txt", NoAgent);
    check("g_exit_after_with_scrollback.txt", NoAgent);
    check("g_exit_cc2_with_scrollback.txt", NoAgent);
    check("v2.1.329_g_exit_after.txt", NoAgent);
    check("failover_2.1.197-max5x_2_a_exited.txt", NoAgent);
    check(
        "failover_2.1.197-max5x_3a_b_resume_separate_projects.txt",
        NoAgent,
    );
    check("failover_2.1.197_2_a_exited.txt", NoAgent);
    check(
        "failover_2.1.197_3a_b_resume_separate_projects.txt",
        NoAgent,
    );
    check("failover_2.1.329_2_a_exited.txt", NoAgent);
    check(
        "failover_2.1.329_3a_b_resume_separate_projects.txt",
        NoAgent,
    );
}

/// Every fixture must have a `check("<name>", …)` line in this file, and every checked name must
/// exist, so a new recording cannot sit in the directory unclassified.
#[test]
fn every_screen_fixture_has_an_expected_state() {
    let this_file = include_str!("screens.rs");
    let check_call = Regex::new(r#"(?m)^\s*check\(\s*"([^"]+)",\s*\w+,?\s*\);"#).unwrap();
    let listed: BTreeSet<String> = check_call
        .captures_iter(this_file)
        .map(|c| c[1].to_string())
        .collect();
    let on_disk: BTreeSet<String> = std::fs::read_dir(fixtures_dir())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        on_disk.len() > 100,
        "expected the recorded screens, found {}",
        on_disk.len()
    );
    let unlisted: Vec<_> = on_disk.difference(&listed).collect();
    let missing: Vec<_> = listed.difference(&on_disk).collect();
    assert!(
        unlisted.is_empty(),
        "fixtures without an expected state: {unlisted:?}"
    );
    assert!(
        missing.is_empty(),
        "checked fixtures that do not exist: {missing:?}"
    );
}

#[test]
fn screen_input_text_of_recorded_screens() {
    let input = |name: &str| classify(&fixture(name)).input;
    assert_eq!(
        input("b_typed_before_enter.txt").as_deref(),
        Some("say hello")
    );
    assert_eq!(
        input("b_interrupted_ok_by_esc.txt").as_deref(),
        Some("interrupt me")
    );
    assert_eq!(
        input("d1_sendkeys_one_invocation_0.3s.txt").as_deref(),
        Some("line one TAGA\nline two TAGA\nline three TAGA\nline four TAGA\nline five TAGA")
    );
    assert_eq!(
        input("d4_bracketed_paste_before_enter.txt").as_deref(),
        Some("[Pasted text #2 +4 lines]")
    );
    assert_eq!(
        input("d8_sendkeys_2k_enter_one_invocation.txt").as_deref(),
        Some("[Pasted text #6 +10 lines]")
    );
    assert_eq!(input("g_exit_typed.txt").as_deref(), Some("/exit"));
    assert_eq!(
        input("b_working_with_queued_message.txt"),
        None,
        "queued-message hint is not input"
    );
    assert_eq!(
        input("v2.1.329_f_server500_noretry.final.txt"),
        None,
        "resend hint is not input"
    );
    assert_eq!(input("c_after_reply.txt"), None);
}

#[test]
fn screen_evidence_names_the_deciding_rule() {
    let evidence = |name: &str| classify(&fixture(name)).evidence;
    assert!(evidence("b_working_1.txt").contains("esc to interrupt"));
    assert!(evidence("d3_bracketed_paste_enter_nodelay_0.3s.txt").contains("spinner"));
    assert!(evidence("d4_bracketed_paste_before_enter.txt").contains("paste"));
    assert!(evidence("e4_oauth_unified5h_menu.txt").contains("Enter to confirm"));
    assert!(evidence("g_exit_after.txt").contains("exited"));
    assert!(evidence("c_after_reply.txt").contains("empty input"));
}

#[test]
fn screen_turn_count_counts_completed_turn_lines() {
    assert_eq!(turn_count(&fixture("a_idle_start.txt")), 0);
    assert_eq!(turn_count(&fixture("b_working_1.txt")), 0);
    assert_eq!(turn_count(&fixture("c_after_reply.txt")), 1);
    assert_eq!(turn_count(&fixture("c_after_reply2.txt")), 2);
    assert_eq!(turn_count(&fixture("e1_ratelimit_api_final.txt")), 3);
    assert_eq!(turn_count(&fixture("g_exit_after_with_scrollback.txt")), 32);
    assert_eq!(
        turn_count(&fixture("v2.1.329_b_working_timeline.final.txt")),
        1,
        "`· done 8:12 AM` suffix"
    );
    assert_eq!(
        turn_count("✻ Churned for 3m 19s\n✻ Worked for 1h 2m 3s\n"),
        2
    );
    assert_eq!(
        turn_count("✻ API error · Retrying in 5s · attempt 1/10\n✻ Billowing… (17s)\n"),
        0
    );
}
