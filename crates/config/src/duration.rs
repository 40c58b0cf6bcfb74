//! Durations as operators write them in the config: `500ms`, `30s`, `5m`, `1h30m`, `2h 5m`.

use std::time::Duration;

/// Parses a human duration with jiff's friendly format; the error text says what to write.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let trimmed = text.trim();
    if !trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err(format!(
            "`{trimmed}` has no unit: write `{trimmed}s`, `{trimmed}ms` or `{trimmed}m`"
        ));
    }
    let signed: jiff::SignedDuration = trimmed.parse().map_err(|error| {
        format!(
            "`{trimmed}` is not a duration ({error}); write e.g. `500ms`, `30s`, `5m` or `1h30m`"
        )
    })?;
    Duration::try_from(signed)
        .map_err(|_| format!("`{trimmed}` is negative; write a positive duration like `30s`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_documented_forms() {
        let cases = [
            ("500ms", Duration::from_millis(500)),
            ("30s", Duration::from_secs(30)),
            ("5m", Duration::from_secs(300)),
            ("1h", Duration::from_secs(3600)),
            ("1h30m", Duration::from_secs(5400)),
            ("2h 5m", Duration::from_secs(7500)),
            ("0s", Duration::ZERO),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_duration(text), Ok(expected), "{text}");
        }
    }

    #[test]
    fn refuses_bare_numbers_negative_and_garbage() {
        assert!(parse_duration("30").unwrap_err().contains("write `30s`"));
        assert!(parse_duration("-5m").unwrap_err().contains("negative"));
        assert!(
            parse_duration("soon")
                .unwrap_err()
                .contains("not a duration")
        );
        assert!(parse_duration("").is_err());
    }
}
