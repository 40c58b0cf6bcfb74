//! What quota detection must say about each fixture file (see `tests/quota.rs`).

use cf_core::quota::QuotaPattern;

/// The verdict expected for one screen.
#[derive(Debug)]
pub enum Expect {
    /// Not a quota hit.
    NotQuota,
    /// A hit with this pattern and reset time (RFC 3339, `None` = no reset time on screen).
    Hit {
        pattern: QuotaPattern,
        reset_at: Option<&'static str>,
    },
}

use Expect::NotQuota;

const fn session(reset_at: &'static str) -> Expect {
    Expect::Hit {
        pattern: QuotaPattern::SessionLimit,
        reset_at: Some(reset_at),
    }
}

const fn five_hour(reset_at: &'static str) -> Expect {
    Expect::Hit {
        pattern: QuotaPattern::FiveHourLimit,
        reset_at: Some(reset_at),
    }
}

const fn weekly(reset_at: &'static str) -> Expect {
    Expect::Hit {
        pattern: QuotaPattern::WeeklyLimit,
        reset_at: Some(reset_at),
    }
}

const fn hit(pattern: QuotaPattern, reset_at: Option<&'static str>) -> Expect {
    Expect::Hit { pattern, reset_at }
}

fn named(name: &str, reset_at: Option<&'static str>) -> Expect {
    Expect::Hit {
        pattern: QuotaPattern::NamedLimit(name.to_owned()),
        reset_at,
    }
}

/// Every recorded screen. Hits are the screens whose current turn (after the last echoed prompt)
/// ends on a limit line. Notable calls:
/// * `e5_…frame_t0.0s` / `e6_…frame_t0.0s`: the next prompt still sits in the input box, so the
///   current turn is the one that ended on the earlier limit (and that limit has not reset).
/// * `failover_*_3b_b_resume_shared_projects`: account B replays A's limit line after `--resume`;
///   it looks exactly like a live hit, and the monitor's post-swap cooldown (plus the `continue`
///   prompt that starts a new turn) is what keeps it from swapping again.
/// * `failover_2.1.197*_2_a_exited`: the client exited (`Resume this session with:` follows the
///   limit): a dead frame, not a hit.
/// * every `e1`/`e2`/`i_stopfailure_ratelimit`/`v2.1.329_e_ratelimit` screen: per-minute or account
///   429s, not quota; `e7`: `not your usage limit`; `e6` final: a warning in the footer;
///   `f*`/`i_stopfailure_5*`: server errors.
pub fn recorded() -> Vec<(&'static str, Expect)> {
    vec![
        ("a_idle_default_permissions.txt", NotQuota),
        ("a_idle_default_permissions_after10s.txt", NotQuota),
        ("a_idle_start.txt", NotQuota),
        ("a_idle_start_after10s.txt", NotQuota),
        ("b_interrupted_by_esc.txt", NotQuota),
        ("b_interrupted_ok_by_esc.txt", NotQuota),
        ("b_typed_before_enter.txt", NotQuota),
        ("b_working_1.txt", NotQuota),
        ("b_working_12s.txt", NotQuota),
        ("b_working_14s_of_25.txt", NotQuota),
        ("b_working_18s_of_25.txt", NotQuota),
        ("b_working_19s_of_25.txt", NotQuota),
        ("b_working_2.txt", NotQuota),
        ("b_working_3.txt", NotQuota),
        ("b_working_8s.txt", NotQuota),
        ("b_working_default_permissions.txt", NotQuota),
        ("b_working_with_queued_message.txt", NotQuota),
        ("c_after_queued_message.txt", NotQuota),
        ("c_after_reply.txt", NotQuota),
        ("c_after_reply2.txt", NotQuota),
        ("c_after_reply_default_permissions.txt", NotQuota),
        ("d1_after.txt", NotQuota),
        ("d1_followup_enter_0.5s.txt", NotQuota),
        ("d1_sendkeys_one_invocation_0.3s.txt", NotQuota),
        ("d1_sendkeys_one_invocation_1.8s.txt", NotQuota),
        ("d2_sendkeys_two_cmds_nodelay_0.3s.txt", NotQuota),
        ("d2_sendkeys_two_cmds_nodelay_1.8s.txt", NotQuota),
        ("d3_bracketed_paste_enter_nodelay_0.3s.txt", NotQuota),
        ("d3_bracketed_paste_enter_nodelay_1.8s.txt", NotQuota),
        ("d4_bracketed_paste_after_enter_500ms.txt", NotQuota),
        ("d4_bracketed_paste_before_enter.txt", NotQuota),
        ("d5_sendkeys_enter_after_500ms_0.3s.txt", NotQuota),
        ("d5_sendkeys_enter_after_500ms_1.8s.txt", NotQuota),
        ("d6_bracketed_paste_enter_one_invocation.txt", NotQuota),
        ("d7_paste_nobracket_enter_500ms_0.3s.txt", NotQuota),
        ("d7_paste_nobracket_enter_500ms_1.8s.txt", NotQuota),
        ("d8_sendkeys_2k_enter_one_invocation.txt", NotQuota),
        ("d8_sendkeys_2k_enter_one_invocation_after9s.txt", NotQuota),
        ("e1_ratelimit_api_final.txt", NotQuota),
        ("e1_ratelimit_api_retryafter5.final.txt", NotQuota),
        ("e1_ratelimit_api_retryafter5.frame_t0.0s.txt", NotQuota),
        ("e1_ratelimit_api_retryafter5.frame_t1.0s.txt", NotQuota),
        ("e1_ratelimit_api_retryafter5.frame_t47.2s.txt", NotQuota),
        ("e1_ratelimit_api_retryafter5.frame_t74.3s.txt", NotQuota),
        ("e2_ratelimit_unified5h_apikey_noretry.final.txt", NotQuota),
        (
            "e2_ratelimit_unified5h_apikey_noretry.frame_t0.0s.txt",
            NotQuota,
        ),
        (
            "e2_ratelimit_unified5h_apikey_noretry.frame_t1.0s.txt",
            NotQuota,
        ),
        ("e3_oauth_ok.final.txt", NotQuota),
        ("e3_oauth_ok.frame_t0.0s.txt", NotQuota),
        ("e3_oauth_ok.frame_t1.0s.txt", NotQuota),
        ("e3_oauth_ok.frame_t2.0s.txt", NotQuota),
        (
            "e4_oauth_unified5h.final.txt",
            session("2026-11-21T10:07:00Z"),
        ),
        ("e4_oauth_unified5h.frame_t0.0s.txt", NotQuota),
        (
            "e4_oauth_unified5h.frame_t1.0s.txt",
            session("2026-11-21T10:07:00Z"),
        ),
        (
            "e4_oauth_unified5h_after_option1.txt",
            session("2026-11-21T10:07:00Z"),
        ),
        (
            "e4_oauth_unified5h_menu.txt",
            session("2026-11-21T10:07:00Z"),
        ),
        (
            "e5_oauth_unified7d.final.txt",
            weekly("2026-11-21T09:07:00Z"),
        ),
        (
            "e5_oauth_unified7d.frame_t0.0s.txt",
            session("2026-11-21T10:07:00Z"),
        ),
        (
            "e5_oauth_unified7d.frame_t1.0s.txt",
            weekly("2026-11-21T09:07:00Z"),
        ),
        (
            "e5_oauth_unified7d.frame_t5.0s.txt",
            weekly("2026-11-21T09:07:00Z"),
        ),
        (
            "e5_oauth_unified7d_after_esc.txt",
            weekly("2026-11-21T09:07:00Z"),
        ),
        ("e6_oauth_ok_warn5h.final.txt", NotQuota),
        (
            "e6_oauth_ok_warn5h.frame_t0.0s.txt",
            weekly("2026-11-21T09:07:00Z"),
        ),
        ("e6_oauth_ok_warn5h.frame_t1.0s.txt", NotQuota),
        ("e6_oauth_ok_warn5h.frame_t2.0s.txt", NotQuota),
        ("e7_oauth_bare429_noretry.final.txt", NotQuota),
        ("e7_oauth_bare429_noretry.frame_t0.0s.txt", NotQuota),
        ("e7_oauth_bare429_noretry.frame_t1.0s.txt", NotQuota),
        (
            "e8_oauth_unified5h_second.final.txt",
            session("2026-11-21T10:38:00Z"),
        ),
        ("e8_oauth_unified5h_second.frame_t0.0s.txt", NotQuota),
        (
            "e8_oauth_unified5h_second.frame_t1.0s.txt",
            session("2026-11-21T10:38:00Z"),
        ),
        ("f1_server500.final.txt", NotQuota),
        ("f1_server500.frame_t0.0s.txt", NotQuota),
        ("f1_server500.frame_t1.0s.txt", NotQuota),
        ("f1_server500.frame_t145.6s.txt", NotQuota),
        ("f1_server500.frame_t178.8s.txt", NotQuota),
        ("f1_server500.frame_t34.1s.txt", NotQuota),
        ("f2_overloaded529.final.txt", NotQuota),
        ("f2_overloaded529.frame_t0.0s.txt", NotQuota),
        ("f2_overloaded529.frame_t1.0s.txt", NotQuota),
        ("f2_overloaded529.frame_t137.6s.txt", NotQuota),
        ("f2_overloaded529.frame_t171.8s.txt", NotQuota),
        ("f2_overloaded529.frame_t35.2s.txt", NotQuota),
        ("f2_overloaded529.frame_t8.0s.txt", NotQuota),
        ("f3_server500_max_retries_2.final.txt", NotQuota),
        ("f3_server500_max_retries_2.frame_t0.0s.txt", NotQuota),
        ("f3_server500_max_retries_2.frame_t1.0s.txt", NotQuota),
        ("f3_server500_max_retries_2.frame_t2.0s.txt", NotQuota),
        ("f3_server500_max_retries_2.frame_t4.0s.txt", NotQuota),
        ("failover_2.1.197-max5x_1_a_ok.txt", NotQuota),
        ("failover_2.1.197-max5x_1_b_ok.txt", NotQuota),
        ("failover_2.1.197-max5x_2_a_exited.txt", NotQuota),
        (
            "failover_2.1.197-max5x_2_a_session_limit.txt",
            session("2026-11-21T09:28:00Z"),
        ),
        ("failover_2.1.197-max5x_2_b_ok.txt", NotQuota),
        (
            "failover_2.1.197-max5x_3a_b_resume_separate_projects.txt",
            NotQuota,
        ),
        (
            "failover_2.1.197-max5x_3b_b_resume_shared_projects.txt",
            session("2026-11-21T09:28:00Z"),
        ),
        ("failover_2.1.197-max5x_3b_b_resumed_answered.txt", NotQuota),
        ("failover_2.1.197_1_a_ok.txt", NotQuota),
        ("failover_2.1.197_1_b_ok.txt", NotQuota),
        ("failover_2.1.197_2_a_exited.txt", NotQuota),
        (
            "failover_2.1.197_2_a_session_limit.txt",
            session("2026-11-21T09:27:00Z"),
        ),
        ("failover_2.1.197_2_b_ok.txt", NotQuota),
        (
            "failover_2.1.197_3a_b_resume_separate_projects.txt",
            NotQuota,
        ),
        (
            "failover_2.1.197_3b_b_resume_shared_projects.txt",
            session("2026-11-21T09:27:00Z"),
        ),
        ("failover_2.1.197_3b_b_resumed_answered.txt", NotQuota),
        ("failover_2.1.329_1_a_ok.txt", NotQuota),
        ("failover_2.1.329_1_b_ok.txt", NotQuota),
        ("failover_2.1.329_2_a_exited.txt", NotQuota),
        (
            "failover_2.1.329_2_a_session_limit.txt",
            five_hour("2026-11-21T09:28:00Z"),
        ),
        ("failover_2.1.329_2_b_ok.txt", NotQuota),
        (
            "failover_2.1.329_3a_b_resume_separate_projects.txt",
            NotQuota,
        ),
        (
            "failover_2.1.329_3b_b_resume_shared_projects.txt",
            five_hour("2026-11-21T09:28:00Z"),
        ),
        ("failover_2.1.329_3b_b_resumed_answered.txt", NotQuota),
        ("g_ctrl_c_once.txt", NotQuota),
        ("g_ctrl_c_twice.txt", NotQuota),
        ("g_exit_after.txt", NotQuota),
        ("g_exit_after_with_scrollback.txt", NotQuota),
        ("g_exit_cc2_with_scrollback.txt", NotQuota),
        ("g_exit_typed.txt", NotQuota),
        ("h_resume_screen.txt", NotQuota),
        ("i_stop_hook_turn.final.txt", NotQuota),
        ("i_stop_hook_turn.frame_t0.0s.txt", NotQuota),
        ("i_stop_hook_turn.frame_t0.5s.txt", NotQuota),
        ("i_stop_hook_turn.frame_t1.5s.txt", NotQuota),
        ("i_stop_hook_turn.frame_t3.5s.txt", NotQuota),
        ("i_stopfailure_500.final.txt", NotQuota),
        ("i_stopfailure_500.frame_t0.0s.txt", NotQuota),
        ("i_stopfailure_500.frame_t0.5s.txt", NotQuota),
        ("i_stopfailure_529.final.txt", NotQuota),
        ("i_stopfailure_529.frame_t0.0s.txt", NotQuota),
        ("i_stopfailure_529.frame_t0.5s.txt", NotQuota),
        ("i_stopfailure_529.frame_t4.0s.txt", NotQuota),
        ("i_stopfailure_ratelimit.final.txt", NotQuota),
        ("i_stopfailure_ratelimit.frame_t0.0s.txt", NotQuota),
        ("i_stopfailure_ratelimit.frame_t0.5s.txt", NotQuota),
        ("v2.1.329_a_idle_start.txt", NotQuota),
        ("v2.1.329_b_working_timeline.final.txt", NotQuota),
        ("v2.1.329_b_working_timeline.frame_t0.0s.txt", NotQuota),
        ("v2.1.329_b_working_timeline.frame_t1.0s.txt", NotQuota),
        ("v2.1.329_b_working_timeline.frame_t16.1s.txt", NotQuota),
        ("v2.1.329_b_working_timeline.frame_t21.1s.txt", NotQuota),
        ("v2.1.329_b_working_timeline.frame_t5.0s.txt", NotQuota),
        (
            "v2.1.329_e_oauth_unified5h.final.txt",
            five_hour("2026-11-21T10:13:00Z"),
        ),
        ("v2.1.329_e_oauth_unified5h.frame_t0.0s.txt", NotQuota),
        (
            "v2.1.329_e_oauth_unified5h.frame_t1.0s.txt",
            five_hour("2026-11-21T10:13:00Z"),
        ),
        (
            "v2.1.329_e_oauth_unified5h_after10s.txt",
            five_hour("2026-11-21T10:13:00Z"),
        ),
        (
            "v2.1.329_e_oauth_unified5h_after_esc.txt",
            five_hour("2026-11-21T10:13:00Z"),
        ),
        ("v2.1.329_e_ratelimit_api_noretry.final.txt", NotQuota),
        ("v2.1.329_e_ratelimit_api_noretry.frame_t0.0s.txt", NotQuota),
        ("v2.1.329_e_ratelimit_api_noretry.frame_t1.0s.txt", NotQuota),
        ("v2.1.329_f_overloaded_first_retries.final.txt", NotQuota),
        (
            "v2.1.329_f_overloaded_first_retries.frame_t0.0s.txt",
            NotQuota,
        ),
        (
            "v2.1.329_f_overloaded_first_retries.frame_t1.0s.txt",
            NotQuota,
        ),
        (
            "v2.1.329_f_overloaded_first_retries.frame_t2.0s.txt",
            NotQuota,
        ),
        (
            "v2.1.329_f_overloaded_first_retries.frame_t5.0s.txt",
            NotQuota,
        ),
        ("v2.1.329_f_server500_noretry.final.txt", NotQuota),
        ("v2.1.329_f_server500_noretry.frame_t0.0s.txt", NotQuota),
        ("v2.1.329_f_server500_noretry.frame_t1.0s.txt", NotQuota),
        ("v2.1.329_g_exit_after.txt", NotQuota),
    ]
}

/// Our own corpus: quota variants and zones (`hit_*`), and screens that mention limits without
/// being a quota hit (`not_*`).
pub fn corpus() -> Vec<(&'static str, Expect)> {
    vec![
        (
            "hit_5h_limit_no_zone.txt",
            five_hour("2026-11-21T15:00:00Z"),
        ),
        (
            "hit_after_500_in_earlier_turn.txt",
            session("2026-11-21T11:00:00Z"),
        ),
        (
            "hit_auto_continue_again.txt",
            hit(
                QuotaPattern::UsageLimitAutoContinue,
                Some("2026-11-21T11:45:00Z"),
            ),
        ),
        (
            "hit_auto_continue_footer_only.txt",
            hit(
                QuotaPattern::UsageLimitAutoContinue,
                Some("2026-11-21T09:50:00Z"),
            ),
        ),
        (
            "hit_auto_continue_only.txt",
            hit(
                QuotaPattern::UsageLimitAutoContinue,
                Some("2026-11-21T10:13:00Z"),
            ),
        ),
        (
            "hit_curly_apostrophe_new_york.txt",
            weekly("2026-11-27T14:00:00Z"),
        ),
        (
            "hit_menu_open_after_limit.txt",
            named("Opus limit", Some("2026-11-21T18:00:00Z")),
        ),
        (
            "hit_mid_turn_after_tools.txt",
            session("2026-11-21T16:00:00Z"),
        ),
        (
            "hit_new_limit_after_old_one.txt",
            weekly("2026-11-27T09:00:00Z"),
        ),
        (
            "hit_old_banner_5h.txt",
            hit(QuotaPattern::OldBanner, Some("2026-11-22T03:00:00Z")),
        ),
        (
            "hit_old_banner_epoch.txt",
            hit(QuotaPattern::OldBanner, Some("2026-11-21T09:00:00Z")),
        ),
        (
            "hit_old_banner_text_zone.txt",
            hit(QuotaPattern::OldBanner, Some("2026-11-21T14:00:00Z")),
        ),
        (
            "hit_opus_limit.txt",
            named("Opus limit", Some("2026-11-21T15:30:00Z")),
        ),
        (
            "hit_session_limit_paris.txt",
            session("2026-11-21T09:07:00Z"),
        ),
        ("hit_sonnet_limit_no_reset.txt", named("Sonnet limit", None)),
        (
            "hit_spend_limit.txt",
            named("org's monthly spend limit", None),
        ),
        (
            "hit_spinner_session_limit_reached.txt",
            session("2026-11-21T15:00:00Z"),
        ),
        (
            "hit_typed_rate_limit_error.txt",
            hit(QuotaPattern::TypedRateLimitError, None),
        ),
        (
            "hit_usage_limit_resets_in.txt",
            hit(QuotaPattern::UsageLimit, Some("2026-11-21T10:43:00Z")),
        ),
        ("hit_weekly_month_day.txt", weekly("2026-11-24T08:00:00Z")),
        (
            "hit_with_queued_message.txt",
            session("2026-11-21T10:07:00Z"),
        ),
        (
            "hit_wrapped_prompt_mentions_rate_limit.txt",
            session("2026-11-21T10:30:00Z"),
        ),
        ("not_500_payload_mentions_limits.txt", NotQuota),
        ("not_500_retry_spinner.txt", NotQuota),
        ("not_529_overloaded_typed.txt", NotQuota),
        ("not_account_rate_limit_429.txt", NotQuota),
        ("not_approaching_limit.txt", NotQuota),
        ("not_limit_in_previous_turn.txt", NotQuota),
        ("not_limit_in_scrolled_turn_with_ok_reply.txt", NotQuota),
        ("not_limit_then_500_same_turn.txt", NotQuota),
        ("not_model_quotes_session_limit.txt", NotQuota),
        ("not_old_banner_above_last_prompt.txt", NotQuota),
        ("not_prompt_quotes_limit_busy.txt", NotQuota),
        ("not_rate_limit_in_code.txt", NotQuota),
        ("not_repeated_529.txt", NotQuota),
        ("not_server_limiting_requests.txt", NotQuota),
        ("not_tool_output_quotes_limit.txt", NotQuota),
        ("not_tool_result_then_busy.txt", NotQuota),
        ("not_tpm_429_typed.txt", NotQuota),
        ("not_typed_error_in_input_line.txt", NotQuota),
        ("not_usage_limit_has_reset.txt", NotQuota),
        ("not_warning_footer.txt", NotQuota),
    ]
}
