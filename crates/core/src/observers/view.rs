//! Read-only questions a server asks between events: where a request stands, who is
//! available, and when the next [`Event::Tick`](super::Event::Tick) is due.

use super::machine::ObserverDispatcher;
use crate::geo::Cell;
use crate::ids::{AccountId, IncidentId};
use serde::{Deserialize, Serialize};

/// Where an open request stands. A cancelled request, or one fulfilled with every observer
/// done, is no longer open and has no status.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum RequestStatus {
    /// These responders are being asked.
    Offering { responders: Vec<AccountId> },
    /// Nobody available near enough is left to ask; asked as soon as someone is.
    Waiting,
    /// As many observers as wanted accepted.
    Fulfilled,
}

impl ObserverDispatcher {
    pub fn request_status(&self, incident: IncidentId) -> Option<RequestStatus> {
        let open = self.requests.get(&incident)?;
        Some(if open.fulfilled() {
            RequestStatus::Fulfilled
        } else if open.offers.is_empty() {
            RequestStatus::Waiting
        } else {
            RequestStatus::Offering {
                responders: open.offers.keys().copied().collect(),
            }
        })
    }

    /// The responder's current cell, while they are available.
    pub fn available_at(&self, responder: AccountId) -> Option<Cell> {
        self.available.get(&responder).map(|free| free.cell)
    }

    /// When the responder's availability lapses without a refresh.
    pub fn available_until(&self, responder: AccountId) -> Option<i64> {
        self.available
            .get(&responder)
            .map(|free| free.refreshed_at_us.saturating_add(self.settings.availability_ttl_us))
    }

    /// The incident a responder is on the way to, if any.
    pub fn on_the_way_to(&self, responder: AccountId) -> Option<IncidentId> {
        self.busy.get(&responder).copied()
    }

    /// The offers a responder holds now: (incident, lapses at).
    pub fn offers_of(&self, responder: AccountId) -> Vec<(IncidentId, i64)> {
        self.requests
            .iter()
            .filter_map(|(incident, open)| open.offers.get(&responder).map(|at| (*incident, *at)))
            .collect()
    }

    /// The earliest time after the last event at which time alone changes something: an offer
    /// lapses, someone's availability does, or an observer on the way does.
    pub fn next_deadline(&self) -> Option<i64> {
        let ttl = self.settings.availability_ttl_us;
        let offers = self.requests.values().flat_map(|open| open.offers.values().copied());
        let lapses = self
            .available
            .values()
            .map(|free| free.refreshed_at_us.saturating_add(ttl));
        let going = self
            .requests
            .values()
            .flat_map(|open| open.on_the_way.values().map(|g| g.lapses_at_us));
        offers.chain(lapses).chain(going).filter(|at| *at > self.now_us).min()
    }

    /// How many requests are open (offering, waiting or fulfilled with observers on the way).
    pub fn open_requests(&self) -> usize {
        self.requests.len()
    }
}

impl ObserverDispatcher {
    /// Everyone available now, in account order.
    pub fn available_responders(&self) -> impl Iterator<Item = AccountId> + '_ {
        self.available.keys().copied()
    }

    /// Who is on the way where.
    pub fn on_the_way(&self) -> impl Iterator<Item = (AccountId, IncidentId)> + '_ {
        self.busy.iter().map(|(r, i)| (*r, *i))
    }
}
