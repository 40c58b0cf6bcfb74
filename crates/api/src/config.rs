//! Where the API listens and the bearer token that guards changes, with the start-up check
//! that refuses an unguarded API on a non-loopback address.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use crate::error::ApiError;

/// The default address: loopback only, port 7878.
pub const DEFAULT_LISTEN: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 7878);

/// Shortest token accepted: a short token can be guessed over the network.
pub const MIN_TOKEN_CHARS: usize = 16;

/// The bearer token that state-changing requests must carry. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiToken(String);

impl ApiToken {
    /// Wraps a token; refuses one shorter than [`MIN_TOKEN_CHARS`] or with whitespace or
    /// control characters (it could not be sent in an `Authorization` header as is).
    pub fn new(token: impl Into<String>) -> Result<ApiToken, ApiError> {
        let token = token.into();
        if token.chars().count() < MIN_TOKEN_CHARS {
            return Err(ApiError::TokenTooShort {
                min: MIN_TOKEN_CHARS,
            });
        }
        if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(ApiError::TokenBadCharacters);
        }
        Ok(ApiToken(token))
    }

    /// Reads the token from the environment variable `var` (config key `api.token_env`).
    pub fn from_env(var: &str) -> Result<ApiToken, ApiError> {
        ApiToken::from_var_value(var, std::env::var(var).ok())
    }

    /// [`ApiToken::from_env`] on the value the variable `var` holds (`None`: unset or not
    /// UTF-8).
    fn from_var_value(var: &str, value: Option<String>) -> Result<ApiToken, ApiError> {
        match value {
            Some(value) if !value.is_empty() => {
                ApiToken::new(value).map_err(|problem| ApiError::TokenEnv {
                    var: var.to_string(),
                    problem: Box::new(problem),
                })
            }
            _ => Err(ApiError::TokenEnvUnset {
                var: var.to_string(),
            }),
        }
    }

    /// The token text, for comparing with a request's header.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiToken(<redacted>)")
    }
}

/// How the API is exposed (config keys `api.listen`, `api.token` / `api.token_env`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiConfig {
    /// The address to bind; loopback by default so only this machine can reach it.
    pub listen: SocketAddr,
    /// The token for changes; without one, every change over HTTP is refused.
    pub token: Option<ApiToken>,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            listen: DEFAULT_LISTEN,
            token: None,
        }
    }
}

impl ApiConfig {
    /// Refuses a non-loopback address without a token: the status would be readable, and
    /// the API unguarded, from the whole network.
    pub fn check(&self) -> Result<(), ApiError> {
        if !self.listen.ip().is_loopback() && self.token.is_none() {
            return Err(ApiError::NonLoopbackWithoutToken {
                listen: self.listen,
            });
        }
        Ok(())
    }

    /// Checks the config, then binds its address.
    pub async fn bind(&self) -> Result<tokio::net::TcpListener, ApiError> {
        self.check()?;
        tokio::net::TcpListener::bind(self.listen)
            .await
            .map_err(|source| ApiError::Bind {
                listen: self.listen,
                source,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> ApiToken {
        ApiToken::new("0123456789abcdef-secret").unwrap()
    }

    #[test]
    fn default_is_loopback_7878_and_passes() {
        let cfg = ApiConfig::default();
        assert_eq!(cfg.listen.to_string(), "127.0.0.1:7878");
        assert!(cfg.check().is_ok());
    }

    #[test]
    fn non_loopback_without_token_is_refused() {
        for listen in ["0.0.0.0:7878", "192.168.1.5:80", "[::]:7878"] {
            let cfg = ApiConfig {
                listen: listen.parse().unwrap(),
                token: None,
            };
            let err = cfg.check().unwrap_err();
            assert!(matches!(err, ApiError::NonLoopbackWithoutToken { .. }));
            let message = err.to_string();
            assert!(
                message.contains("api.token") && message.contains(listen),
                "{message}"
            );
        }
        let guarded = ApiConfig {
            listen: "0.0.0.0:7878".parse().unwrap(),
            token: Some(token()),
        };
        assert!(guarded.check().is_ok());
        let v6_loopback = ApiConfig {
            listen: "[::1]:7878".parse().unwrap(),
            token: None,
        };
        assert!(v6_loopback.check().is_ok());
    }

    #[tokio::test]
    async fn bind_checks_first() {
        let cfg = ApiConfig {
            listen: "0.0.0.0:0".parse().unwrap(),
            token: None,
        };
        assert!(matches!(
            cfg.bind().await,
            Err(ApiError::NonLoopbackWithoutToken { .. })
        ));
        let cfg = ApiConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            token: None,
        };
        assert!(cfg.bind().await.is_ok());
    }

    #[test]
    fn token_is_redacted_and_validated() {
        let cfg = ApiConfig {
            listen: DEFAULT_LISTEN,
            token: Some(token()),
        };
        let debug = format!("{cfg:?}");
        assert!(!debug.contains("secret"), "{debug}");
        assert!(debug.contains("redacted"));
        assert!(matches!(
            ApiToken::new("short"),
            Err(ApiError::TokenTooShort { .. })
        ));
        assert!(matches!(
            ApiToken::new("0123456789abcdef with space"),
            Err(ApiError::TokenBadCharacters)
        ));
    }

    #[test]
    fn a_short_token_from_the_environment_is_explained_once() {
        let err = ApiToken::from_var_value("CLAUDE_FAILOVER_API_TOKEN", Some("short".into()))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "the environment variable CLAUDE_FAILOVER_API_TOKEN (api.token_env): the api token \
             is too short: use at least 16 characters (e.g. `openssl rand -hex 32`)"
        );
        // The problem is in the message, so it is not a source too: a chain printer (anyhow's
        // `{:#}`, `Report`) would add it a second time.
        assert!(std::error::Error::source(&err).is_none());
        let err =
            ApiToken::from_var_value("T", Some("0123456789abcdef with space".into())).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the environment variable T (api.token_env): the api token contains whitespace or \
             control characters: use letters, digits and punctuation only"
        );
        assert!(matches!(
            ApiToken::from_var_value("T", Some(String::new())),
            Err(ApiError::TokenEnvUnset { .. })
        ));
    }

    #[test]
    fn token_from_env_names_the_variable() {
        let err = ApiToken::from_env("CF_API_TEST_SURELY_UNSET_VAR").unwrap_err();
        assert!(err.to_string().contains("CF_API_TEST_SURELY_UNSET_VAR"));
        assert!(err.to_string().contains("api.token_env"));
    }
}
