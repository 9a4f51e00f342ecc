//! The `[observers]` settings, parsed once into what the core dispatcher uses.

use amparo_core::observers::ObserverSettings;
use serde::{Deserialize, Serialize};
use std::num::NonZeroUsize;

/// How legal observers are asked. Defaults: three at once, a minute to answer, ten grid steps
/// away at most, availability forgotten after half an hour without a refresh, an observer who
/// marks nothing for two hours lapsed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ObserverConfig {
    /// Responders asked at once for one request.
    pub offer_count: NonZeroUsize,
    /// How long a responder has to accept before the offer goes to the next nearest.
    pub offer_timeout_ms: u64,
    /// The most H3 grid steps between a responder's cell and the incident's.
    pub max_distance_cells: u32,
    /// A responder's availability (and their cell) is forgotten this long after their last
    /// refresh. The app refreshes every few minutes while the switch is on.
    pub availability_ttl_secs: u64,
    /// An observer on the way who marks nothing for this long (arrived after accepting, done
    /// after arriving) lapses and is free again; one who never arrived is replaced.
    pub on_the_way_ttl_secs: u64,
}

impl Default for ObserverConfig {
    fn default() -> Self {
        let core = ObserverSettings::default();
        Self {
            offer_count: core.offer_count,
            offer_timeout_ms: (core.offer_timeout_us / 1_000) as u64,
            max_distance_cells: core.max_distance,
            availability_ttl_secs: (core.availability_ttl_us / 1_000_000) as u64,
            on_the_way_ttl_secs: (core.on_the_way_ttl_us / 1_000_000) as u64,
        }
    }
}

impl ObserverConfig {
    /// The core dispatcher's settings (times in microseconds, saturating, never zero).
    pub fn core(&self) -> ObserverSettings {
        let us = |ms: u64| i64::try_from(ms.max(1).saturating_mul(1_000)).unwrap_or(i64::MAX);
        ObserverSettings {
            offer_count: self.offer_count,
            offer_timeout_us: us(self.offer_timeout_ms),
            max_distance: self.max_distance_cells,
            availability_ttl_us: us(self.availability_ttl_secs.saturating_mul(1_000)),
            on_the_way_ttl_us: us(self.on_the_way_ttl_secs.saturating_mul(1_000)),
        }
    }
}
