//! The `delegation` section as plain data, and turning it into a platform client.
//!
//! cf-config parses the YAML keys (`delegation.base_url`, `delegation.api_key_env`,
//! `delegation.poll_interval`) and hands this struct over; nothing here reads files.

use std::time::Duration;

use cf_core::route::DelegationAvailability;
use cf_platform::{DEFAULT_API_KEY_ENV, PlatformClient, PlatformConfig};

use crate::error::DelegationError;

/// How delegation to the job platform is set up. Without `base_url` it is off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DelegationConfig {
    /// `delegation.base_url`: where the platform's API lives. `None` turns delegation off
    /// (routing always answers local and no manager is built).
    pub base_url: Option<String>,
    /// `delegation.api_key_env`: the environment variable holding the API key (the key
    /// itself never appears in the config).
    pub api_key_env: String,
    /// `delegation.poll_interval`: how often the reaper asks the platform about active jobs.
    pub poll_interval: Duration,
    /// Limit for one HTTP request, so a hung platform becomes a retry.
    pub request_timeout: Duration,
    /// Limit for one call with all its retries; after it a submit falls back to the local pool.
    pub max_elapsed: Duration,
}

impl Default for DelegationConfig {
    /// Off, key from `SECUTOOLS_API_KEY`, poll every 15 s, 30 s per request, 2 min per call.
    fn default() -> DelegationConfig {
        DelegationConfig {
            base_url: None,
            api_key_env: DEFAULT_API_KEY_ENV.to_owned(),
            poll_interval: Duration::from_secs(15),
            request_timeout: Duration::from_secs(30),
            max_elapsed: Duration::from_secs(120),
        }
    }
}

impl DelegationConfig {
    /// Whether routing may send tasks to the platform: on exactly when `base_url` is set.
    pub fn availability(&self) -> DelegationAvailability {
        match self.base_url.as_deref().map(str::trim) {
            Some(url) if !url.is_empty() => DelegationAvailability::On,
            _ => DelegationAvailability::Off,
        }
    }

    /// The client config, the key read from the environment; `None` when delegation is off.
    pub fn platform_config(&self) -> Result<Option<PlatformConfig>, DelegationError> {
        self.platform_config_with(|name| {
            std::env::var_os(name).map(|value| value.to_string_lossy().into_owned())
        })
    }

    /// Like [`DelegationConfig::platform_config`] with the environment given as a function.
    pub fn platform_config_with(
        &self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<PlatformConfig>, DelegationError> {
        let Some(base_url) = self.base_url.as_deref().filter(|u| !u.trim().is_empty()) else {
            return Ok(None);
        };
        let mut cfg = PlatformConfig::from_lookup(base_url, &self.api_key_env, lookup)?;
        cfg.timeout = self.request_timeout;
        cfg.max_elapsed = self.max_elapsed;
        Ok(Some(cfg))
    }

    /// A ready client, or `None` when delegation is off.
    pub fn client(&self) -> Result<Option<PlatformClient>, DelegationError> {
        match self.platform_config()? {
            Some(cfg) => Ok(Some(PlatformClient::new(cfg)?)),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_without_base_url_and_limits_applied_with_it() {
        let off = DelegationConfig::default();
        assert_eq!(off.availability(), DelegationAvailability::Off);
        assert!(off.platform_config_with(|_| None).unwrap().is_none());
        let blank = DelegationConfig {
            base_url: Some("  ".into()),
            ..DelegationConfig::default()
        };
        assert_eq!(blank.availability(), DelegationAvailability::Off);

        let on = DelegationConfig {
            base_url: Some("http://127.0.0.1:9/".into()),
            api_key_env: "K".into(),
            max_elapsed: Duration::from_secs(7),
            ..DelegationConfig::default()
        };
        assert_eq!(on.availability(), DelegationAvailability::On);
        let cfg = on
            .platform_config_with(|n| (n == "K").then(|| "sk-x".to_owned()))
            .unwrap()
            .unwrap();
        assert_eq!(cfg.max_elapsed, Duration::from_secs(7));
        assert_eq!(cfg.api_key.expose(), "sk-x");
        assert!(
            crate::DelegationManager::from_config(&DelegationConfig::default())
                .unwrap()
                .is_none()
        );
        let err = on.platform_config_with(|_| None).unwrap_err();
        assert!(err.to_string().contains("`K` is not set"), "{err}");
    }
}
