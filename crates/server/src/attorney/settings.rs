//! The `[dispatch]`, `[turn]` and `[metrics]` settings, parsed once into what the service uses.

use amparo_core::dispatch::{DispatchSettings, StatePolicies, StatePolicy};
use amparo_core::ids::OrgId;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::num::NonZeroUsize;

/// How attorneys are rung. Defaults follow the issue: three at once, fifteen seconds to answer,
/// ten seconds of silence before an attorney counts as away.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DispatchConfig {
    pub ring_count: NonZeroUsize,
    pub offer_timeout_ms: u64,
    pub heartbeat_timeout_ms: u64,
    /// For organizations whose admins have not chosen: `admitted_in_state` or `any_us_admission`.
    pub default_state_policy: StatePolicy,
    /// The organization whose attorneys answer people on a personal (household) plan, or on no
    /// plan where the operator keeps the line open. Unset: those people are told their plan has
    /// no attorney line.
    pub personal_plans_org: Option<OrgId>,
}

impl Default for DispatchConfig {
    fn default() -> Self {
        let core = DispatchSettings::default();
        Self {
            ring_count: core.ring_count,
            offer_timeout_ms: (core.offer_timeout_us / 1_000) as u64,
            heartbeat_timeout_ms: (core.heartbeat_timeout_us / 1_000) as u64,
            default_state_policy: StatePolicy::AdmittedInState,
            personal_plans_org: None,
        }
    }
}

impl DispatchConfig {
    /// The core dispatcher's settings (times in microseconds, saturating).
    pub fn core(&self) -> DispatchSettings {
        let us = |ms: u64| i64::try_from(ms.saturating_mul(1_000)).unwrap_or(i64::MAX);
        DispatchSettings {
            ring_count: self.ring_count,
            offer_timeout_us: us(self.offer_timeout_ms.max(1)),
            heartbeat_timeout_us: us(self.heartbeat_timeout_ms.max(1)),
            state_policies: StatePolicies {
                default: self.default_state_policy,
                by_org: Default::default(),
            },
        }
    }
}

/// ICE servers handed to both sides of a call. With a `secret`, TURN credentials are issued in
/// coturn's REST scheme (`use-auth-secret`); see docs/attorney-line.md.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TurnSettings {
    /// `turn:` / `turns:` URLs of the TURN server(s).
    pub urls: Vec<String>,
    /// coturn's `static-auth-secret`. Never logged.
    pub secret: Option<String>,
    /// How long issued credentials last; 0 means the default of an hour.
    pub ttl_secs: u64,
    /// `stun:` URLs, handed out without credentials.
    pub stun_urls: Vec<String>,
}

impl fmt::Debug for TurnSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TurnSettings")
            .field("urls", &self.urls)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("ttl_secs", &self.ttl_secs)
            .field("stun_urls", &self.stun_urls)
            .finish()
    }
}

/// Who may read `/metrics`.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsSettings {
    /// A bearer token for the scraper. Unset: only connections from loopback may read.
    pub token: Option<String>,
}

impl fmt::Debug for MetricsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetricsSettings")
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}
