//! Frame tests: the fake's frames must carry the markers of the recorded real screens.

use super::*;

const BYPASS_IDLE: &str = "  ⏵⏵ bypass permissions on (shift+tab to cycle) · ← for agents";
const BYPASS_BUSY: &str =
    "  ⏵⏵ bypass permissions on (shift+tab to cycle) · esc to interrupt · ← for agents";

fn view<'a>(blocks: &'a [Block], input: &'a str) -> FrameView<'a> {
    FrameView {
        model_line: "Sonnet 5 · API Usage Billing",
        cwd: "/tmp/ccwork",
        blocks,
        spinner: None,
        queued: &[],
        input,
        input_hint: None,
        permission_mode: PermissionMode::Bypass,
        activity: Activity::Idle,
        note: FooterNote::Plain,
        banner: &[],
        status_line: None,
        menu: None,
    }
}

#[test]
fn idle_frame_matches_the_recorded_layout() {
    let lines = render(&view(&[], ""), 100, 50);
    let rule = "─".repeat(100);
    assert_eq!(
        lines,
        vec![
            " ▐▛███▜▌   Claude Code v2.1.197 (fake)".to_string(),
            "▝▜█████▛▘  Sonnet 5 · API Usage Billing".to_string(),
            "  ▘▘ ▝▝    /tmp/ccwork".to_string(),
            String::new(),
            String::new(),
            rule.clone(),
            "❯\u{a0}".to_string(),
            rule,
            BYPASS_IDLE.to_string(),
        ]
    );
}

#[test]
fn after_reply_frame_matches_the_recorded_layout() {
    let blocks = [
        Block::Prompt("say hello".into()),
        Block::Reply("Done: say hello".into()),
        Block::Worked(Duration::from_secs(15)),
    ];
    let lines = render(&view(&blocks, ""), 200, 50);
    assert_eq!(
        &lines[3..12],
        &[
            "",
            "",
            "❯ say hello",
            "",
            "● Done: say hello",
            "",
            "✻ Worked for 15s",
            "",
            &"─".repeat(200),
        ]
    );
    assert_eq!(lines.last().map(String::as_str), Some(BYPASS_IDLE));
}

#[test]
fn busy_frame_has_spinner_and_esc_to_interrupt() {
    let blocks = [Block::Prompt("say hello".into())];
    let mut busy = view(&blocks, "");
    busy.activity = Activity::Working;
    busy.spinner = Some(SpinnerView {
        verb: "Billowing".into(),
        elapsed: Duration::from_millis(600),
        retry: None,
    });
    let lines = render(&busy, 100, 50);
    assert_eq!(&lines[5..9], &["❯ say hello", "", "* Billowing…", ""]);
    assert_eq!(lines.last().map(String::as_str), Some(BYPASS_BUSY));
    assert!(
        lines.contains(&"❯\u{a0}".to_string()),
        "input box stays while working"
    );

    busy.spinner = Some(SpinnerView {
        verb: "Effecting".into(),
        elapsed: Duration::from_millis(17_100),
        retry: None,
    });
    busy.permission_mode = PermissionMode::Default;
    let lines = render(&busy, 80, 50);
    assert!(
        lines.iter().any(|l| l.ends_with(" Effecting… (17s)")),
        "{lines:?}"
    );
    assert_eq!(
        lines.last().map(String::as_str),
        Some("  esc to interrupt · ← for agents")
    );
}

#[test]
fn paste_frame_shows_placeholder_and_paste_footer() {
    let mut pasted = view(&[], "[Pasted text #1 +4 lines]");
    pasted.note = FooterNote::PasteAgain;
    let lines = render(&pasted, 80, 50);
    let n = lines.len();
    assert_eq!(lines[n - 3], "❯\u{a0}[Pasted text #1 +4 lines]");
    assert_eq!(lines[n - 1], "  paste again to expand");
}

#[test]
fn default_mode_idle_footer() {
    let mut idle = view(&[], "");
    idle.permission_mode = PermissionMode::Default;
    let lines = render(&idle, 80, 50);
    assert_eq!(
        lines.last().map(String::as_str),
        Some("  ? for shortcuts · ← for agents")
    );
}

#[test]
fn multi_line_input_and_queued_messages() {
    let queued = vec!["queued follow-up".to_string()];
    let mut busy = view(&[], "");
    busy.queued = &queued;
    busy.activity = Activity::Working;
    let lines = render(&busy, 80, 50);
    let n = lines.len();
    assert_eq!(lines[n - 5], "  ❯ queued follow-up");
    assert_eq!(lines[n - 3], "❯\u{a0}Press up to edit queued messages");

    let lines = render(&view(&[], "line one\nline two"), 80, 50);
    let n = lines.len();
    assert_eq!(&lines[n - 4..n - 2], &["❯\u{a0}line one", "  line two"]);
}

#[test]
fn long_lines_wrap_and_old_lines_scroll_off() {
    let blocks: Vec<Block> = (0..40)
        .map(|i| Block::Reply(format!("reply {i}")))
        .collect();
    let lines = render(&view(&blocks, ""), 30, 24);
    assert_eq!(lines.len(), 23);
    assert_eq!(
        lines.last().map(String::as_str),
        Some("  ⏵⏵ bypass permissions on (sh")
    );
    assert!(lines.contains(&"● reply 39".to_string()));
    assert!(!lines.contains(&"● reply 0".to_string()));

    let long = [Block::Reply("x".repeat(25))];
    let lines = render(&view(&long, ""), 10, 50);
    assert!(lines.contains(&"● xxxxxxxx".to_string()), "{lines:?}");
    assert!(lines.contains(&"  xxxxxxxx".to_string()), "{lines:?}");
    assert!(lines.iter().all(|l| l.chars().count() <= 10));
}

#[test]
fn glyphs_cycle_and_elapsed_formats() {
    assert_eq!(spinner_glyph(Duration::ZERO), '·');
    assert_eq!(spinner_glyph(Duration::from_millis(500)), '*');
    assert_eq!(spinner_glyph(Duration::from_millis(1250)), '✽');
    assert_eq!(spinner_glyph(Duration::from_millis(1500)), '✻');
    assert_eq!(format_elapsed(Duration::from_secs(199)), "3m 19s");
    assert_eq!(format_elapsed(Duration::from_secs(3723)), "1h 2m 3s");
    assert_eq!(format_elapsed(Duration::from_millis(999)), "0s");
}

#[test]
fn notice_uses_the_recorded_prefix() {
    let blocks = [Block::Notice(
        "You've hit your session limit · resets 10:07am (UTC)".into(),
    )];
    let lines = render(&view(&blocks, ""), 200, 50);
    assert!(
        lines.contains(
            &"  ⎿ \u{a0}You've hit your session limit · resets 10:07am (UTC)".to_string()
        )
    );
}

#[test]
fn control_characters_are_not_sent_to_the_terminal() {
    let blocks = [Block::Prompt("a\u{1b}[2Jb\tc".into())];
    let lines = render(&view(&blocks, "x\u{7}y"), 100, 50);
    assert!(lines.contains(&"❯ a [2Jb c".to_string()), "{lines:?}");
    assert!(lines.contains(&"❯\u{a0}x y".to_string()), "{lines:?}");
}

#[test]
fn huge_history_renders_quickly() {
    let huge = "lorem ipsum dolor sit amet\n".repeat(40_000);
    let blocks: Vec<Block> = (0..2000)
        .map(|i| Block::Prompt(format!("p{i}")))
        .chain([Block::Prompt(huge)])
        .collect();
    let started = std::time::Instant::now();
    let lines = render(&view(&blocks, ""), 200, 50);
    assert_eq!(lines.len(), 49);
    assert!(lines.contains(&"  lorem ipsum dolor sit amet".to_string()));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn limit_line_hangs_under_its_prompt() {
    let blocks = [
        Block::Prompt("TASK-3 via account A".into()),
        Block::Notice(
            "You've hit your session limit · resets 9:27am (UTC)\n/login to switch to an API usage-billed account."
                .into(),
        ),
        Block::Worked(Duration::ZERO),
    ];
    let lines = render(&view(&blocks, ""), 200, 50);
    assert_eq!(
        &lines[5..10],
        &[
            "❯ TASK-3 via account A",
            "  ⎿ \u{a0}You've hit your session limit · resets 9:27am (UTC)",
            "     /login to switch to an API usage-billed account.",
            "",
            "✻ Worked for 0s",
        ]
    );
}

#[test]
fn menu_replaces_the_input_box_and_footer() {
    let blocks = [
        Block::Prompt("subscription limit test".into()),
        Block::Notice("You've hit your session limit · resets 10:07am (UTC)".into()),
        Block::Worked(Duration::ZERO),
    ];
    let options = ["Stop and wait for limit to reset", "Upgrade your plan"];
    let mut with_menu = view(&blocks, "");
    with_menu.menu = Some(MenuView {
        command: "/rate-limit-options",
        title: "What do you want to do?",
        options: &options,
        selected: 0,
        hint: "Enter to confirm · Esc to cancel",
    });
    let lines = render(&with_menu, 100, 50);
    assert_eq!(
        &lines[8..],
        &[
            "✻ Worked for 0s",
            "",
            "❯ /rate-limit-options",
            "",
            &"─".repeat(100),
            "  What do you want to do?",
            "",
            "  ❯ 1. Stop and wait for limit to reset",
            "    2. Upgrade your plan",
            "",
            "  Enter to confirm · Esc to cancel",
        ]
    );
    assert!(
        !lines.iter().any(|l| l.starts_with("❯\u{a0}")),
        "no input line"
    );

    if let Some(menu) = with_menu.menu.as_mut() {
        menu.selected = 1;
    }
    let lines = render(&with_menu, 100, 50);
    assert!(lines.contains(&"    1. Stop and wait for limit to reset".to_string()));
    assert!(lines.contains(&"  ❯ 2. Upgrade your plan".to_string()));
}

#[test]
fn banner_rows_sit_between_the_box_and_the_footer() {
    let banner = [
        "  ⚠ Usage limit reached · limit resets 10:13am".to_string(),
        "    Continuing automatically at 10:13am · Esc to cancel".to_string(),
    ];
    let mut with_banner = view(&[], "");
    with_banner.banner = &banner;
    let lines = render(&with_banner, 100, 50);
    let n = lines.len();
    assert_eq!(lines[n - 5], "❯\u{a0}");
    assert_eq!(lines[n - 4], "─".repeat(100));
    assert_eq!(&lines[n - 3..n - 1], &banner);
    assert_eq!(lines[n - 1], BYPASS_IDLE);
}

#[test]
fn an_empty_input_shows_the_hint_and_marks_its_cells() {
    let blocks = [
        Block::Prompt("x".into()),
        Block::Reply("API Error: 500".into()),
    ];
    let mut hinted = view(&blocks, "");
    hinted.input_hint = Some("Resend your message to try again");
    let frame = render_frame(&hinted, 200, 50);
    let hint = frame.hint.unwrap();
    assert_eq!(
        frame.lines[hint.row],
        "❯\u{a0}Resend your message to try again"
    );
    assert_eq!((hint.column, hint.len), (2, 32));
    assert_eq!(frame.lines[hint.row - 1], "─".repeat(200));

    // Typed text replaces the hint; queued messages keep their own line.
    let typed = FrameView {
        input: "c",
        ..hinted.clone()
    };
    let frame = render_frame(&typed, 200, 50);
    assert_eq!(frame.hint, None);
    assert!(frame.lines.contains(&"❯\u{a0}c".to_string()));
    let queued = vec!["next".to_string()];
    let waiting = FrameView {
        queued: &queued,
        ..hinted.clone()
    };
    let frame = render_frame(&waiting, 200, 50);
    assert_eq!(frame.hint, None);
    assert!(
        frame
            .lines
            .contains(&"❯\u{a0}Press up to edit queued messages".to_string())
    );

    // A narrow terminal cuts the hint with its row.
    let frame = render_frame(&hinted, 12, 50);
    let hint = frame.hint.unwrap();
    assert_eq!(frame.lines[hint.row], "❯\u{a0}Resend you");
    assert_eq!(hint.len, 10);
}

#[test]
fn the_retry_row_replaces_the_spinner_verb() {
    let blocks = [Block::Prompt("529 new version".into())];
    let mut busy = view(&blocks, "");
    busy.activity = Activity::Working;
    busy.spinner = Some(SpinnerView {
        verb: "Billowing".into(),
        elapsed: Duration::from_millis(1500),
        retry: Some(crate::api_error::RetryLine {
            text: "529 Overloaded · retrying in 3s · attempt 3/10".into(),
            detail: Some("If it persists, check your inference gateway (127.0.0.1:8770).".into()),
        }),
    });
    let lines = render(&busy, 200, 50);
    // As in v2.1.329/f_overloaded_first_retries.timeline.txt.
    assert_eq!(
        &lines[5..9],
        &[
            "❯ 529 new version",
            "",
            "✻ 529 Overloaded · retrying in 3s · attempt 3/10",
            "  ⎿ \u{a0}If it persists, check your inference gateway (127.0.0.1:8770).",
        ]
    );
    assert!(!lines.iter().any(|l| l.contains("Billowing")));
}

#[test]
fn replies_wrap_at_words_like_the_recorded_client() {
    let text = "Claude Code can't use your Claude subscription, usually because a payment is past due · Pay or renew at https://claude.ai/settings/billing (if you just paid, try again shortly), or use an Anthropic API key instead";
    let blocks = [Block::Reply(text.into())];
    let lines = render(&view(&blocks, ""), 200, 50);
    let at = lines.iter().position(|l| l.starts_with("● ")).unwrap();
    // Rows 9-10 of errors/2.1.329-forbidden403.txt.
    assert_eq!(
        &lines[at..at + 2],
        &[
            "● Claude Code can't use your Claude subscription, usually because a payment is past due · Pay or renew at https://claude.ai/settings/billing (if you just paid, try again shortly), or use an",
            "  Anthropic API key instead",
        ]
    );
    let recorded = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/claude-code/errors/2.1.329-forbidden403.txt"
    ));
    if let Ok(recorded) = recorded {
        let rows: Vec<&str> = recorded.lines().map(|l| l.trim_end_matches(' ')).collect();
        assert!(rows.windows(2).any(|pair| pair == &lines[at..at + 2]));
    }
    // Words longer than a row are cut; spacing between words is kept.
    let lines = render(&view(&[Block::Reply("ab cd".into())], ""), 200, 50);
    assert!(lines.contains(&"● ab cd".to_string()));
}
