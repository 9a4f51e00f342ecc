//! The knobs of observer dispatch. Times are microseconds, like every timestamp in Amparo.

use serde::{Deserialize, Serialize};
use std::num::NonZeroUsize;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObserverSettings {
    /// Responders asked at once for one request. Not zero: a request that asks nobody waits
    /// forever.
    pub offer_count: NonZeroUsize,
    /// How long a responder has to accept before the offer goes to the next nearest.
    pub offer_timeout_us: i64,
    /// The most H3 grid steps between a responder's cell and the incident's: farther responders
    /// are never asked.
    pub max_distance: u32,
    /// Availability not refreshed for this long is forgotten, cell and all: a phone left in a
    /// drawer stops getting offers, and no stale place is kept.
    pub availability_ttl_us: i64,
    /// An observer on the way who marks nothing for this long lapses: not arrived this long
    /// after accepting, or not done this long after arriving. One who never arrived no longer
    /// counts (the request asks the next nearest); one who arrived counts as having gone. Either
    /// way they are free again, so a forgotten phone does not keep a responder busy for ever.
    pub on_the_way_ttl_us: i64,
}

/// Three responders at once.
pub const DEFAULT_OFFER_COUNT: NonZeroUsize = NonZeroUsize::MIN.saturating_add(2);
/// A minute to answer: an observer is deciding whether to go somewhere, not picking up a phone.
pub const DEFAULT_OFFER_TIMEOUT_US: i64 = 60_000_000;
/// Ten grid steps: at the default precision (resolution 8, cells about 460 m across an edge)
/// roughly 8 km, a short drive or a long walk.
pub const DEFAULT_MAX_DISTANCE: u32 = 10;
/// Half an hour without a refresh (the app refreshes every few minutes while the switch is on).
pub const DEFAULT_AVAILABILITY_TTL_US: i64 = 30 * 60 * 1_000_000;

/// Two hours: long enough to cross a city and watch a long raid, short enough that a request
/// whose observer never came is asked again the same evening.
pub const DEFAULT_ON_THE_WAY_TTL_US: i64 = 2 * 60 * 60 * 1_000_000;

impl Default for ObserverSettings {
    fn default() -> Self {
        Self {
            offer_count: DEFAULT_OFFER_COUNT,
            offer_timeout_us: DEFAULT_OFFER_TIMEOUT_US,
            max_distance: DEFAULT_MAX_DISTANCE,
            availability_ttl_us: DEFAULT_AVAILABILITY_TTL_US,
            on_the_way_ttl_us: DEFAULT_ON_THE_WAY_TTL_US,
        }
    }
}
