//! Tests of the limit switch file and the limit screens of 2.1.197 and 2.1.329.

use super::*;

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

const NOW: &str = "2026-11-21T09:07:00Z";

#[test]
fn reset_times_use_the_real_clients_format() {
    let now = at(NOW);
    for (reset, shown) in [
        ("2026-11-21T10:07:00Z", "10:07am (UTC)"),
        ("2026-11-22T00:05:00Z", "12:05am (UTC)"),
        ("2026-11-21T12:30:00Z", "12:30pm (UTC)"),
        ("2026-11-21T21:09:59Z", "9:09pm (UTC)"),
        ("2026-11-21T15:00:00Z", "3pm (UTC)"),
        ("2026-11-24T08:00:00Z", "Nov 24, 8am (UTC)"),
    ] {
        assert_eq!(format_reset(at(reset), now), shown, "reset at {reset}");
    }
    assert_eq!(
        format_reset_time(at("2026-12-01T20:45:00Z"), now),
        "Dec 1, 8:45pm"
    );
    // Exactly 24 h ahead still shows the time only.
    assert_eq!(format_reset_time(at("2026-11-22T09:07:00Z"), now), "9:07am");
}

#[test]
fn switch_file_content_names_style_and_reset() {
    let now = at(NOW);
    let default_reset = at("2026-11-21T10:07:00Z");
    assert_eq!(
        parse_quota_file("", now),
        Ok(AccountLimit {
            style: LimitStyle::Session,
            resets_at: default_reset
        })
    );
    assert_eq!(
        parse_quota_file("  weekly\n", now).map(|l| l.style),
        Ok(LimitStyle::Weekly)
    );
    assert_eq!(
        parse_quota_file("5h-new reset=2026-11-24T08:00:00Z", now),
        Ok(AccountLimit {
            style: LimitStyle::FiveHourNew,
            resets_at: at("2026-11-24T08:00:00Z")
        })
    );
    assert_eq!(
        parse_quota_file("menu reset=1795683600", now),
        Ok(AccountLimit {
            style: LimitStyle::Menu,
            resets_at: Timestamp::from_second(1_795_683_600).unwrap()
        })
    );
    assert_eq!(
        parse_quota_file("reset=1795683600", now).map(|l| l.style),
        Ok(LimitStyle::Session)
    );
    assert_eq!(
        parse_quota_file("monthly", now),
        Err(QuotaFileError::UnknownStyle("monthly".into()))
    );
    assert_eq!(
        parse_quota_file("menu reset=soon", now),
        Err(QuotaFileError::BadReset("soon".into()))
    );
    assert_eq!(
        parse_quota_file("menu please", now),
        Err(QuotaFileError::UnexpectedWord("please".into()))
    );
}

#[test]
fn reads_the_switch_from_the_config_dir() {
    let dir = tempfile::tempdir().unwrap();
    let now = at(NOW);
    assert_eq!(read_account_limit(dir.path(), now), None);
    std::fs::write(dir.path().join(QUOTA_FILE), "weekly").unwrap();
    assert_eq!(
        read_account_limit(dir.path(), now).map(|l| l.style),
        Some(LimitStyle::Weekly)
    );
    std::fs::write(dir.path().join(QUOTA_FILE), "garbage words").unwrap();
    assert_eq!(
        read_account_limit(dir.path(), now),
        Some(AccountLimit {
            style: LimitStyle::Session,
            resets_at: at("2026-11-21T10:07:00Z")
        }),
        "a broken switch still means limited"
    );
    std::fs::remove_file(dir.path().join(QUOTA_FILE)).unwrap();
    std::fs::create_dir(dir.path().join(QUOTA_FILE)).unwrap();
    assert!(read_account_limit(dir.path(), now).is_some());
}

#[test]
fn screens_match_the_recordings() {
    let now = at(NOW);
    let limit = |style| AccountLimit {
        style,
        resets_at: at("2026-11-21T10:13:00Z"),
    };
    let session = limit_screen(limit(LimitStyle::Session), MenuHistory::NotShown, now);
    assert_eq!(
        session.message,
        "You've hit your session limit · resets 10:13am (UTC)"
    );
    assert_eq!(session.hint, Some(LOGIN_HINT));
    assert!(session.shows_worked && !session.opens_menu && session.banner.is_none());

    let weekly = limit_screen(limit(LimitStyle::Weekly), MenuHistory::NotShown, now);
    assert_eq!(
        weekly.message,
        "You've hit your weekly limit · resets 10:13am (UTC)"
    );
    assert_eq!(weekly.hint, Some(UPGRADE_HINT));

    let menu = limit_screen(limit(LimitStyle::Menu), MenuHistory::NotShown, now);
    assert!(menu.opens_menu && menu.hint.is_none() && menu.shows_worked);
    let again = limit_screen(limit(LimitStyle::Menu), MenuHistory::AlreadyShown, now);
    assert!(!again.opens_menu);
    assert_eq!(again.hint, Some(UPGRADE_HINT));
    assert_eq!(again.message, menu.message);

    let new = limit_screen(limit(LimitStyle::FiveHourNew), MenuHistory::NotShown, now);
    assert_eq!(
        new.message,
        "You've hit your 5-hour limit · resets 10:13am (UTC)"
    );
    assert_eq!(
        new.follow_up.as_deref(),
        Some("Usage limit reached · continuing automatically at 10:13am · esc to cancel")
    );
    assert!(!new.shows_worked && !new.opens_menu);
    assert_eq!(
        new.banner,
        Some([
            "  ⚠ Usage limit reached · limit resets 10:13am".to_string(),
            "    Continuing automatically at 10:13am · Esc to cancel".to_string(),
        ])
    );
}

#[test]
fn the_usage_style_prints_no_reset_time() {
    let now = at(NOW);
    let limit = parse_quota_file("usage", now).unwrap();
    assert_eq!(limit.style, LimitStyle::UsageNoReset);
    let screen = limit_screen(limit, MenuHistory::NotShown, now);
    assert_eq!(screen.message, "You've hit your usage limit");
    assert!(!screen.opens_menu);
}
