//! A sink with its secrets read from the environment: the only place a URL or token is held,
//! behind a type whose `Debug` and `Display` never show it.

use std::fmt;

use cf_config::{NotifyConfig, SinkConfig, SinkTarget};
use cf_core::alert::AlertKind;

/// A URL or token: shown as `<redacted>` everywhere.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret(String);

impl Secret {
    /// The value, for the one request that needs it.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Where a resolved sink sends.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    Webhook { url: Secret, token: Option<Secret> },
    Ntfy { url: Secret, token: Option<Secret> },
    Slack { url: Secret },
    Command { argv: Vec<String> },
}

/// One receiver, ready to send to.
#[derive(Debug, Clone)]
pub struct Sink {
    /// Its configured name.
    pub name: String,
    pub(crate) config: SinkConfig,
    pub(crate) target: Target,
}

impl Sink {
    /// The configured sink with its `*_env` variables looked up with `lookup`.
    pub fn resolve(
        config: &SinkConfig,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Sink, SinkError> {
        let secret = |key: &'static str, var: &str| -> Result<Secret, SinkError> {
            match lookup(var) {
                Some(value) if !value.trim().is_empty() => Ok(Secret(value.trim().to_owned())),
                _ => Err(SinkError::Unset {
                    sink: config.name.clone(),
                    key,
                    var: var.to_owned(),
                }),
            }
        };
        let url = |var: &str| -> Result<Secret, SinkError> {
            let url = secret("url_env", var)?;
            check_url(&config.name, var, url.expose())?;
            Ok(url)
        };
        let token =
            |var: &Option<String>| var.as_deref().map(|v| secret("token_env", v)).transpose();
        let target = match &config.target {
            SinkTarget::Webhook { url_env, token_env } => Target::Webhook {
                url: url(url_env)?,
                token: token(token_env)?,
            },
            SinkTarget::Ntfy { url_env, token_env } => Target::Ntfy {
                url: url(url_env)?,
                token: token(token_env)?,
            },
            SinkTarget::Slack { url_env } => Target::Slack { url: url(url_env)? },
            SinkTarget::Command { argv } => Target::Command { argv: argv.clone() },
        };
        Ok(Sink {
            name: config.name.clone(),
            config: config.clone(),
            target,
        })
    }

    /// `webhook`, `ntfy`, `slack` or `command`.
    pub fn kind_name(&self) -> &'static str {
        self.config.target.kind_name()
    }

    /// Whether it wants alerts of `kind`.
    pub fn wants(&self, kind: AlertKind) -> bool {
        self.config.wants(kind)
    }

    /// The secret values it holds, to scrub from any text before it is shown.
    pub(crate) fn secrets(&self) -> Vec<&str> {
        match &self.target {
            Target::Webhook { url, token } | Target::Ntfy { url, token } => std::iter::once(url)
                .chain(token.iter())
                .map(Secret::expose)
                .collect(),
            Target::Slack { url } => vec![url.expose()],
            Target::Command { .. } => Vec::new(),
        }
    }
}

/// Every configured sink, resolved; all problems at once.
pub fn resolve_sinks(
    config: &NotifyConfig,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<Sink>, Vec<SinkError>> {
    let (sinks, errors): (Vec<_>, Vec<_>) = config
        .sinks
        .iter()
        .map(|sink| Sink::resolve(sink, lookup))
        .partition(Result::is_ok);
    if errors.is_empty() {
        Ok(sinks.into_iter().filter_map(Result::ok).collect())
    } else {
        Err(errors.into_iter().filter_map(Result::err).collect())
    }
}

/// An http(s) URL, or an error that says what is wrong without quoting it.
fn check_url(sink: &str, var: &str, url: &str) -> Result<(), SinkError> {
    let why = match reqwest::Url::parse(url) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => return Ok(()),
        Ok(parsed) => format!("its scheme is `{}`, not http or https", parsed.scheme()),
        Err(e) => format!("it is not a URL ({e})"),
    };
    Err(SinkError::BadUrl {
        sink: sink.to_owned(),
        var: var.to_owned(),
        why,
    })
}

/// A sink that cannot be used as configured.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SinkError {
    /// A variable named in the config is not set.
    #[error(
        "notify sink `{sink}`: the environment variable {var} (its `{key}`) is not set; export it, or put it in the service's EnvironmentFile"
    )]
    Unset {
        /// The sink.
        sink: String,
        /// `url_env` or `token_env`.
        key: &'static str,
        /// The variable.
        var: String,
    },
    /// The URL in the variable is no http(s) URL (the message never quotes it).
    #[error("notify sink `{sink}`: the URL in {var} cannot be used: {why}")]
    BadUrl {
        /// The sink.
        sink: String,
        /// The variable.
        var: String,
        /// What is wrong.
        why: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn webhook(token_env: Option<&str>) -> SinkConfig {
        SinkConfig {
            name: "hook".into(),
            target: SinkTarget::Webhook {
                url_env: "HOOK_URL".into(),
                token_env: token_env.map(str::to_owned),
            },
            events: Vec::new(),
        }
    }

    #[test]
    fn secrets_come_from_the_named_variables_and_never_show() {
        let lookup = |var: &str| match var {
            "HOOK_URL" => Some("https://example.test/very-secret-path".to_owned()),
            "HOOK_TOKEN" => Some("tok-123".to_owned()),
            _ => None,
        };
        let sink = Sink::resolve(&webhook(Some("HOOK_TOKEN")), &lookup).expect("resolves");
        let shown = format!("{sink:?}");
        assert!(
            !shown.contains("very-secret-path") && !shown.contains("tok-123"),
            "{shown}"
        );
        assert_eq!(
            sink.secrets(),
            ["https://example.test/very-secret-path", "tok-123"]
        );
    }

    #[test]
    fn an_unset_or_unusable_variable_is_named_without_its_value() {
        let none = |_: &str| None;
        let unset = Sink::resolve(&webhook(None), &none).expect_err("unset");
        assert_eq!(
            unset.to_string(),
            "notify sink `hook`: the environment variable HOOK_URL (its `url_env`) is not set; export it, or put it in the service's EnvironmentFile"
        );
        let ftp = |_: &str| Some("ftp://secret-host/x".to_owned());
        let bad = Sink::resolve(&webhook(None), &ftp).expect_err("not http");
        assert!(bad.to_string().contains("scheme is `ftp`"), "{bad}");
        assert!(!bad.to_string().contains("secret-host"), "{bad}");
        let config = NotifyConfig {
            sinks: vec![webhook(None), webhook(Some("T"))],
            flood_per_minute: 10,
            queue: 10,
            max_attempts: 1,
            retry_backoff: std::time::Duration::from_secs(1),
            timeout: std::time::Duration::from_secs(1),
        };
        assert_eq!(resolve_sinks(&config, &none).expect_err("both").len(), 2);
    }
}
