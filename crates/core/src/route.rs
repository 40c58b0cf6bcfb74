//! Routing: decides whether a task runs in a local Claude Code session or is
//! delegated to a provider of the external job platform.
//!
//! Pure: the decision reads only the task's frontmatter and whether delegation
//! is configured. The precedence is strict (SPEC.md, "Delegation to the job
//! platform") and every answer that is not a clear opt-in is local (fail-safe).

use std::fmt;

use crate::task::Frontmatter;

/// Whether the operator configured the job platform (`delegation.base_url`).
/// Without it every task is local, whatever its frontmatter says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DelegationAvailability {
    /// The platform is configured; tasks may opt in to delegation.
    On,
    /// No platform is configured; routing always answers local.
    Off,
}

/// A back end of the job platform that a task can be delegated to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Provider {
    /// GPU-hosted open models: cheap, for low-complexity work.
    Gpu,
    /// Google Gemini: medium-complexity work.
    Gemini,
    /// The Claude API: high-complexity work that still needs no Claude Code tools.
    ClaudeApi,
}

impl Provider {
    /// Every provider, cheapest first.
    pub const ALL: [Provider; 3] = [Provider::Gpu, Provider::Gemini, Provider::ClaudeApi];

    /// The wire name used in frontmatter (`preferred_ai`) and in the platform API.
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Gpu => "gpu",
            Provider::Gemini => "gemini",
            Provider::ClaudeApi => "claude-api",
        }
    }

    /// The provider with this wire name, or `None` for anything else.
    pub fn from_wire_name(name: &str) -> Option<Provider> {
        Provider::ALL.into_iter().find(|p| p.as_str() == name)
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a task goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// A local Claude Code session of the pool (the behaviour without delegation).
    Local,
    /// A job on the platform, run by this provider.
    Platform(Provider),
}

/// A routing decision and why it was taken, for logs, `delegate decide` and status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteDecision {
    /// Where the task goes.
    pub route: Route,
    /// A short human sentence naming the field that decided.
    pub reason: String,
}

impl RouteDecision {
    fn local(reason: impl Into<String>) -> RouteDecision {
        RouteDecision {
            route: Route::Local,
            reason: reason.into(),
        }
    }

    fn platform(provider: Provider, reason: impl Into<String>) -> RouteDecision {
        RouteDecision {
            route: Route::Platform(provider),
            reason: reason.into(),
        }
    }
}

/// Normalises a raw frontmatter value: surrounding blanks and letter case do not matter.
fn normalise(raw: &str) -> String {
    raw.trim().to_ascii_lowercase()
}

/// Decides where a task runs. Strict precedence, first match wins:
///
/// 1. delegation not configured → local;
/// 2. `needs_claude_code: true` → local;
/// 3. `preferred_ai: claude-code` → local;
/// 4. `allow_delegation` not true → local;
/// 5. `preferred_ai` a platform provider (`gpu`, `gemini`, `claude-api`) → that provider;
/// 6. `preferred_ai: auto` → by `complexity_hint` (`low` → gpu, `medium` → gemini,
///    `high` → claude-api; missing or unknown hint → local);
/// 7. anything else (missing or unknown `preferred_ai`) → local.
///
/// A task without any of these fields is therefore always local. Values are
/// compared after trimming blanks and lowering ASCII case (`" Gemini"` is `gemini`).
pub fn decide_route(fm: &Frontmatter, delegation: DelegationAvailability) -> RouteDecision {
    if delegation == DelegationAvailability::Off {
        return RouteDecision::local("delegation is not configured");
    }
    if fm.needs_claude_code {
        return RouteDecision::local("needs_claude_code is true");
    }
    let preferred = fm.preferred_ai.as_deref().map(normalise);
    if preferred.as_deref() == Some("claude-code") {
        return RouteDecision::local("preferred_ai is claude-code");
    }
    if !fm.allow_delegation {
        return RouteDecision::local("allow_delegation is not true");
    }
    let Some(preferred) = preferred else {
        return RouteDecision::local("allow_delegation is true but no preferred_ai is set");
    };
    if let Some(provider) = Provider::from_wire_name(&preferred) {
        return RouteDecision::platform(provider, format!("preferred_ai is {provider}"));
    }
    if preferred == "auto" {
        return route_by_complexity(fm.complexity_hint.as_deref());
    }
    RouteDecision::local(format!(
        "preferred_ai `{}` is not a known value (auto, claude-code, gpu, gemini, claude-api); \
         staying local",
        preferred.escape_debug()
    ))
}

/// Step 6 of [`decide_route`]: `preferred_ai: auto` picks the provider by complexity.
fn route_by_complexity(hint: Option<&str>) -> RouteDecision {
    let Some(raw) = hint else {
        return RouteDecision::local("preferred_ai is auto but complexity_hint is missing");
    };
    let hint = normalise(raw);
    let provider = match hint.as_str() {
        "low" => Provider::Gpu,
        "medium" => Provider::Gemini,
        "high" => Provider::ClaudeApi,
        other => {
            return RouteDecision::local(format!(
                "preferred_ai is auto but complexity_hint `{}` is not low, medium or high; \
                 staying local",
                other.escape_debug()
            ));
        }
    };
    RouteDecision::platform(
        provider,
        format!("preferred_ai is auto and complexity_hint is {hint}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use DelegationAvailability::{Off, On};

    /// Builds frontmatter from the four routing fields.
    fn fm(
        needs_claude_code: bool,
        preferred_ai: Option<&str>,
        allow_delegation: bool,
        complexity_hint: Option<&str>,
    ) -> Frontmatter {
        Frontmatter {
            needs_claude_code,
            preferred_ai: preferred_ai.map(str::to_owned),
            allow_delegation,
            complexity_hint: complexity_hint.map(str::to_owned),
            ..Frontmatter::default()
        }
    }

    #[track_caller]
    fn check(
        front: Frontmatter,
        delegation: DelegationAvailability,
        route: Route,
        reason_has: &str,
    ) {
        let decision = decide_route(&front, delegation);
        assert_eq!(
            decision.route, route,
            "route for {front:?} ({delegation:?}): {decision:?}"
        );
        assert!(
            decision.reason.contains(reason_has),
            "reason `{}` should contain `{reason_has}` for {front:?}",
            decision.reason
        );
    }

    use Provider::{ClaudeApi, Gemini, Gpu};
    use Route::{Local, Platform};

    #[test]
    fn precedence_table() {
        // 0. No routing fields at all: exactly local, with or without delegation.
        check(Frontmatter::default(), Off, Local, "not configured");
        check(
            Frontmatter::default(),
            On,
            Local,
            "allow_delegation is not true",
        );
        // 1. Delegation off beats even the clearest opt-in.
        check(
            fm(false, Some("gemini"), true, None),
            Off,
            Local,
            "not configured",
        );
        check(
            fm(false, Some("auto"), true, Some("low")),
            Off,
            Local,
            "not configured",
        );
        // 2. needs_claude_code beats a platform provider and allow_delegation.
        check(
            fm(true, Some("gemini"), true, None),
            On,
            Local,
            "needs_claude_code",
        );
        check(
            fm(true, Some("auto"), true, Some("high")),
            On,
            Local,
            "needs_claude_code",
        );
        // 3. preferred_ai: claude-code beats allow_delegation.
        check(
            fm(false, Some("claude-code"), true, Some("low")),
            On,
            Local,
            "claude-code",
        );
        check(
            fm(false, Some("claude-code"), false, None),
            On,
            Local,
            "claude-code",
        );
        // 4. allow_delegation false beats a platform provider and auto.
        check(
            fm(false, Some("gpu"), false, None),
            On,
            Local,
            "allow_delegation",
        );
        check(
            fm(false, Some("auto"), false, Some("low")),
            On,
            Local,
            "allow_delegation",
        );
        // 5. A platform provider is taken as is, whatever the hint says.
        check(
            fm(false, Some("gpu"), true, None),
            On,
            Platform(Gpu),
            "preferred_ai is gpu",
        );
        check(
            fm(false, Some("gemini"), true, Some("high")),
            On,
            Platform(Gemini),
            "gemini",
        );
        check(
            fm(false, Some("claude-api"), true, None),
            On,
            Platform(ClaudeApi),
            "claude-api",
        );
        check(
            fm(false, Some(" Gemini "), true, None),
            On,
            Platform(Gemini),
            "gemini",
        );
        // 6. auto picks by complexity_hint; a missing or unknown hint stays local.
        check(
            fm(false, Some("auto"), true, Some("low")),
            On,
            Platform(Gpu),
            "low",
        );
        check(
            fm(false, Some("auto"), true, Some("medium")),
            On,
            Platform(Gemini),
            "medium",
        );
        check(
            fm(false, Some("auto"), true, Some("high")),
            On,
            Platform(ClaudeApi),
            "high",
        );
        check(
            fm(false, Some("AUTO"), true, Some(" High")),
            On,
            Platform(ClaudeApi),
            "high",
        );
        check(
            fm(false, Some("auto"), true, None),
            On,
            Local,
            "complexity_hint is missing",
        );
        check(
            fm(false, Some("auto"), true, Some("extreme")),
            On,
            Local,
            "`extreme`",
        );
        // 7. Unknown or missing preferred_ai with allow_delegation: local, fail-safe.
        check(
            fm(false, Some("gpt-5"), true, Some("low")),
            On,
            Local,
            "`gpt-5` is not a known",
        );
        check(
            fm(false, Some(""), true, Some("low")),
            On,
            Local,
            "is not a known",
        );
        check(
            fm(false, None, true, Some("low")),
            On,
            Local,
            "no preferred_ai",
        );
    }

    #[test]
    fn provider_wire_names_round_trip() {
        for provider in Provider::ALL {
            assert_eq!(Provider::from_wire_name(provider.as_str()), Some(provider));
            let json = format!("\"{}\"", provider.as_str());
            assert_eq!(serde_json_like(provider), json);
        }
        assert_eq!(Provider::from_wire_name("claude_api"), None);
    }

    /// The serde name, via the YAML serializer the crate already depends on.
    fn serde_json_like(provider: Provider) -> String {
        let yaml = serde_saphyr::to_string(&provider).expect("provider serializes");
        format!("\"{}\"", yaml.trim())
    }
}
