//! Legal observers' rows (issue 6): a request for observers at an incident, and each observer
//! sent there with when they accepted, arrived and were done.
//!
//! What is not here is deliberate: no responder's cell or availability. Where a responder is
//! lives only in the dispatcher's memory on the node, replaced by each refresh and forgotten
//! when they stop; the store keeps only what the incident page shows and what a restart needs
//! to keep a request going.

use amparo_core::ids::{AccountId, IncidentId};

/// Someone asked for observers at an incident.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObserverRequest {
    pub incident: IncidentId,
    /// The responder who asked (the latest, when asked again).
    pub requested_by: AccountId,
    /// How many observers the incident should have in all.
    pub wanted: u32,
    /// When first asked: requests are served oldest first, also after a restart.
    pub requested_at_us: i64,
    /// Set when it was called off or every observer it wanted was done.
    pub closed_at_us: Option<i64>,
}

/// An observer sent to an incident. Serializable: the dispatcher that writes it may answer an
/// accept made on another node.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ObserverDispatch {
    pub incident: IncidentId,
    pub observer: AccountId,
    /// What the incident page shows of them, and all it shows.
    pub display_name: String,
    pub accepted_at_us: i64,
    pub arrived_at_us: Option<i64>,
    pub done_at_us: Option<i64>,
    /// Set when they marked nothing in time (`[observers] on_the_way_ttl_secs`) and were let
    /// go: no longer on the way, and no mark after it counts.
    pub lapsed_at_us: Option<i64>,
}

impl ObserverDispatch {
    /// Still on the way or at the incident: neither done nor lapsed.
    pub fn going(&self) -> bool {
        self.done_at_us.is_none() && self.lapsed_at_us.is_none()
    }

    /// Counts as having gone: done, or lapsed after arriving.
    pub fn went(&self) -> bool {
        self.done_at_us.is_some() || (self.lapsed_at_us.is_some() && self.arrived_at_us.is_some())
    }
}

/// What an observer marks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObserverMark {
    Arrived,
    Done,
}

impl ObserverDispatch {
    /// The refusal for a mark that would move an observer back (or repeat it).
    pub fn already(mark: ObserverMark) -> crate::StoreError {
        crate::StoreError::Conflict(match mark {
            ObserverMark::Arrived => "this observer already marked arriving, is done, or lapsed".to_owned(),
            ObserverMark::Done => "this observer is already done, or lapsed".to_owned(),
        })
    }
}
