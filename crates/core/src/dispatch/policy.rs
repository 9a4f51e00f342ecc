//! The knobs of dispatch: how many attorneys ring at once, how long an offer and a heartbeat
//! last, and which bar admissions let an attorney advise on an encounter in a given state.

use super::profile::{OrgId, UsState};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::num::NonZeroUsize;
use std::str::FromStr;

/// Which bar admissions let an attorney advise on an encounter in a given state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatePolicy {
    /// Admitted to the bar of the state where the encounter happens. The safe reading for
    /// criminal matters, where advice is state law.
    AdmittedInState,
    /// Admitted in any US jurisdiction. Immigration law is federal, so an organization that only
    /// gives immigration advice may let any admitted attorney take any state's calls.
    AnyUsAdmission,
}

impl StatePolicy {
    /// The name it is sent and stored by (the same as its JSON).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AdmittedInState => "admitted_in_state",
            Self::AnyUsAdmission => "any_us_admission",
        }
    }

    /// Whether an attorney with `admissions` may advise on an encounter in `state`.
    pub fn admits(self, admissions: &BTreeSet<UsState>, state: UsState) -> bool {
        match self {
            StatePolicy::AdmittedInState => admissions.contains(&state),
            StatePolicy::AnyUsAdmission => !admissions.is_empty(),
        }
    }
}

impl fmt::Display for StatePolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text is not the name of a [`StatePolicy`].
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown state policy {0:?}: expected \"admitted_in_state\" or \"any_us_admission\"")]
pub struct UnknownStatePolicy(pub String);

impl FromStr for StatePolicy {
    type Err = UnknownStatePolicy;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "admitted_in_state" => Ok(Self::AdmittedInState),
            "any_us_admission" => Ok(Self::AnyUsAdmission),
            _ => Err(UnknownStatePolicy(s.to_owned())),
        }
    }
}

/// Each organization's [`StatePolicy`], with one for organizations that have not chosen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatePolicies {
    pub default: StatePolicy,
    pub by_org: BTreeMap<OrgId, StatePolicy>,
}

impl StatePolicies {
    pub fn for_org(&self, org: OrgId) -> StatePolicy {
        self.by_org.get(&org).copied().unwrap_or(self.default)
    }
}

impl Default for StatePolicies {
    /// Admitted in the state: an organization has to opt in to the looser rule.
    fn default() -> Self {
        Self {
            default: StatePolicy::AdmittedInState,
            by_org: BTreeMap::new(),
        }
    }
}

/// How the dispatcher rings attorneys. Times are microseconds, like every timestamp in Amparo.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DispatchSettings {
    /// Attorneys rung at once for one request. Not zero: a request that rings nobody waits forever.
    pub ring_count: NonZeroUsize,
    /// How long an attorney has to accept before the offer passes to someone else. The same span
    /// is the pause before a request that everyone passed on rings them again.
    pub offer_timeout_us: i64,
    /// An attorney whose last heartbeat is this old counts as away: a sleeping laptop stops
    /// getting offers within this time. Clients should beat at a third of it or more often, so one
    /// lost beat does not drop them.
    pub heartbeat_timeout_us: i64,
    pub state_policies: StatePolicies,
}

/// Three attorneys at once.
pub const DEFAULT_RING_COUNT: NonZeroUsize = NonZeroUsize::MIN.saturating_add(2);
/// Fifteen seconds to answer.
pub const DEFAULT_OFFER_TIMEOUT_US: i64 = 15_000_000;
/// Ten seconds without a heartbeat.
pub const DEFAULT_HEARTBEAT_TIMEOUT_US: i64 = 10_000_000;

impl Default for DispatchSettings {
    fn default() -> Self {
        Self {
            ring_count: DEFAULT_RING_COUNT,
            offer_timeout_us: DEFAULT_OFFER_TIMEOUT_US,
            heartbeat_timeout_us: DEFAULT_HEARTBEAT_TIMEOUT_US,
            state_policies: StatePolicies::default(),
        }
    }
}
