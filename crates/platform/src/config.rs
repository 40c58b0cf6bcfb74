//! How to reach the job platform: base URL, API key (from the environment), time limits.

use std::time::Duration;

use reqwest::Url;

use crate::secret::ApiKey;

/// The environment variable that holds the API key when the config names none
/// (`delegation.api_key_env`).
pub const DEFAULT_API_KEY_ENV: &str = "SECUTOOLS_API_KEY";

/// Everything the client needs to talk to the platform.
#[derive(Debug, Clone)]
pub struct PlatformConfig {
    /// Where the platform's API lives (`delegation.base_url`); the `/v1/...` paths are
    /// appended to its path, so `https://host/secutools` works behind a prefix.
    pub base_url: Url,
    /// Sent as `Authorization: Bearer <key>`; redacted everywhere else.
    pub api_key: ApiKey,
    /// Limit for one HTTP request (connect + answer), so that a hung platform
    /// turns into a retry instead of a stuck task.
    pub timeout: Duration,
    /// Limit for one call including all its retries and backoff sleeps; after it the
    /// call gives up and the caller falls back (e.g. to the local pool).
    pub max_elapsed: Duration,
    /// First backoff delay; doubled (with jitter) on each retry.
    pub initial_backoff: Duration,
    /// Largest backoff delay between two attempts (a `Retry-After` may ask for more).
    pub max_backoff: Duration,
}

/// Why a [`PlatformConfig`] could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlatformConfigError {
    /// The environment variable that should hold the key is not set.
    #[error(
        "environment variable `{variable}` is not set; export the job platform API key in it \
         (or name another variable in delegation.api_key_env)"
    )]
    MissingApiKey {
        /// The variable's name (never its value).
        variable: String,
    },
    /// The variable is set but holds only blanks or is not valid Unicode.
    #[error(
        "environment variable `{variable}` is empty or not valid text; put the job platform API key in it"
    )]
    EmptyApiKey {
        /// The variable's name (never its value).
        variable: String,
    },
    /// The key contains characters that cannot go in an HTTP header.
    #[error(
        "the API key in `{variable}` contains characters not allowed in an HTTP header \
         (control characters or non-ASCII); check for a stray newline"
    )]
    KeyNotHeaderSafe {
        /// Where the key came from.
        variable: String,
    },
    /// `delegation.base_url` is not an absolute http(s) URL.
    #[error(
        "delegation.base_url `{value}` is not an absolute http:// or https:// URL: {detail}; \
         write it like https://platform.example/"
    )]
    BadBaseUrl {
        /// The configured value, escaped.
        value: String,
        /// What the URL parser said.
        detail: String,
    },
}

impl PlatformConfig {
    /// Limits that suit a daemon: 30 s per request, 2 min per call with retries,
    /// backoff from 500 ms up to 30 s.
    pub fn new(base_url: Url, api_key: ApiKey) -> PlatformConfig {
        PlatformConfig {
            base_url,
            api_key,
            timeout: Duration::from_secs(30),
            max_elapsed: Duration::from_secs(120),
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
        }
    }

    /// Builds the config from `delegation.base_url` and the key in the environment
    /// variable `api_key_env` (use [`DEFAULT_API_KEY_ENV`] when none is configured).
    pub fn from_env(
        base_url: &str,
        api_key_env: &str,
    ) -> Result<PlatformConfig, PlatformConfigError> {
        PlatformConfig::from_lookup(base_url, api_key_env, |name| {
            std::env::var_os(name).map(|value| value.to_string_lossy().into_owned())
        })
    }

    /// Like [`PlatformConfig::from_env`] with the environment given as a function
    /// (tests and callers that read secrets elsewhere).
    pub fn from_lookup(
        base_url: &str,
        api_key_env: &str,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<PlatformConfig, PlatformConfigError> {
        let base_url = parse_base_url(base_url)?;
        let variable = api_key_env.to_owned();
        let Some(raw) = lookup(api_key_env) else {
            return Err(PlatformConfigError::MissingApiKey { variable });
        };
        let key = raw.trim();
        if key.is_empty() || key.contains('\u{FFFD}') {
            return Err(PlatformConfigError::EmptyApiKey { variable });
        }
        if !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(PlatformConfigError::KeyNotHeaderSafe { variable });
        }
        Ok(PlatformConfig::new(base_url, ApiKey::new(key)))
    }
}

/// Parses `delegation.base_url`, accepting only absolute http(s) URLs with a host.
pub fn parse_base_url(value: &str) -> Result<Url, PlatformConfigError> {
    let bad = |detail: String| PlatformConfigError::BadBaseUrl {
        value: value.escape_debug().to_string(),
        detail,
    };
    let url = Url::parse(value.trim()).map_err(|e| bad(e.to_string()))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(bad(format!(
            "scheme `{}` is not http or https",
            url.scheme()
        )));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("it has no host".to_owned()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad(
            "it must not carry credentials; put the key in the environment variable instead"
                .to_owned(),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("it must not have a query or fragment".to_owned()));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_with(key: Option<&'static str>) -> impl Fn(&str) -> Option<String> {
        move |name| {
            (name == "MY_KEY")
                .then_some(key)
                .flatten()
                .map(str::to_owned)
        }
    }

    #[test]
    fn key_comes_from_the_named_variable_and_is_redacted() {
        let cfg = PlatformConfig::from_lookup(
            "http://127.0.0.1:9/",
            "MY_KEY",
            env_with(Some(" sk-abc\n")),
        )
        .unwrap();
        assert_eq!(cfg.api_key.expose(), "sk-abc");
        let debug = format!("{cfg:?}");
        assert!(!debug.contains("sk-abc"), "{debug}");
        assert!(debug.contains("<redacted>"), "{debug}");
    }

    #[test]
    fn missing_or_bad_key_names_the_variable_not_the_value() {
        let err = PlatformConfig::from_lookup("http://h/", "MY_KEY", env_with(None)).unwrap_err();
        assert_eq!(
            err,
            PlatformConfigError::MissingApiKey {
                variable: "MY_KEY".into()
            }
        );
        assert!(err.to_string().contains("`MY_KEY` is not set"), "{err}");

        let err =
            PlatformConfig::from_lookup("http://h/", "MY_KEY", env_with(Some("  "))).unwrap_err();
        assert!(
            matches!(err, PlatformConfigError::EmptyApiKey { .. }),
            "{err:?}"
        );

        let err = PlatformConfig::from_lookup("http://h/", "MY_KEY", env_with(Some("sk a\u{7}")))
            .unwrap_err();
        assert!(
            matches!(err, PlatformConfigError::KeyNotHeaderSafe { .. }),
            "{err:?}"
        );
        assert!(!err.to_string().contains("sk a"), "{err}");
    }

    #[test]
    fn base_url_must_be_absolute_http() {
        for bad in [
            "",
            "platform.local",
            "ftp://h/",
            "http://h/?a=1",
            "http://u:p@h/",
            "unix:/tmp/sock",
        ] {
            let err = parse_base_url(bad).unwrap_err();
            assert!(
                err.to_string().contains("delegation.base_url"),
                "{bad}: {err}"
            );
        }
        assert_eq!(
            parse_base_url("https://h/prefix").unwrap().as_str(),
            "https://h/prefix"
        );
    }
}
