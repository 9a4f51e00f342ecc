//! Read-only questions a server asks between events: where a request stands, when the next
//! [`Event::Tick`](super::Event::Tick) is due, and the whole picture for an admin's screen.

use super::event::Request;
use super::machine::Dispatcher;
use super::profile::OrgId;
use super::request::{RequestStatus, Stage};
use crate::ids::{AccountId, EncounterId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One attorney as the dispatcher sees them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttorneyView {
    pub attorney: AccountId,
    pub org: OrgId,
    pub on_duty: bool,
    /// Heartbeat fresh at the snapshot's time.
    pub present: bool,
    pub capacity: u32,
    pub calls: Vec<EncounterId>,
    /// Requests ringing them now.
    pub offers: Vec<EncounterId>,
    pub idle_since_us: i64,
}

/// One open request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestView {
    pub request: Request,
    pub status: RequestStatus,
}

/// Everything the dispatcher holds, for a server to render. Requests are oldest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub attorneys: Vec<AttorneyView>,
    pub requests: Vec<RequestView>,
}

impl Dispatcher {
    /// Where an open request stands; `None` once it is cancelled or ended, or if it never was.
    pub fn request_status(&self, encounter: EncounterId) -> Option<RequestStatus> {
        self.requests.get(&encounter).map(|open| open.status())
    }

    /// A waiting request's place in its organization's queue, 1 being next.
    pub fn queue_position(&self, encounter: EncounterId) -> Option<u32> {
        match self.requests.get(&encounter)?.stage {
            Stage::Queued { position } => Some(position),
            _ => None,
        }
    }

    /// The earliest time after the last event at which time alone changes something: an offer
    /// expires, a ringing attorney's heartbeat lapses, or a request everyone passed on may ring
    /// them again. A server sends [`Event::Tick`](super::Event::Tick) then (or sooner).
    pub fn next_deadline(&self) -> Option<i64> {
        let now = self.now_us;
        let timeout = self.settings.offer_timeout_us;
        let mut deadlines = Vec::new();
        for open in self
            .waiting
            .iter()
            .filter_map(|(_, encounter)| self.requests.get(encounter))
        {
            match &open.stage {
                Stage::Offering { offers } => {
                    for (attorney, expires_at) in offers {
                        deadlines.push(*expires_at);
                        if let Some(lawyer) = self.roster.get(*attorney) {
                            deadlines.push(
                                lawyer
                                    .last_heartbeat_us
                                    .saturating_add(self.settings.heartbeat_timeout_us),
                            );
                        }
                    }
                }
                Stage::Queued { .. } => deadlines.extend(open.last_pass_us.map(|at| at.saturating_add(timeout))),
                Stage::Connected { .. } => {}
            }
        }
        // Only the future: a deadline already past would have a server tick in a tight loop.
        deadlines.into_iter().filter(|at| *at > now).min()
    }

    /// The roster and the open requests, with presence judged at `now_us`.
    pub fn snapshot(&self, now_us: i64) -> Snapshot {
        let mut offers: BTreeMap<AccountId, Vec<EncounterId>> = BTreeMap::new();
        for (encounter, open) in &self.requests {
            for attorney in open.offers().into_iter().flat_map(|offers| offers.keys()) {
                offers.entry(*attorney).or_default().push(*encounter);
            }
        }
        let attorneys = self
            .roster
            .attorneys
            .iter()
            .map(|(id, lawyer)| AttorneyView {
                attorney: *id,
                org: lawyer.profile.org,
                on_duty: lawyer.on_duty,
                present: lawyer.on_duty && lawyer.is_present(now_us, &self.settings),
                capacity: lawyer.profile.capacity,
                calls: lawyer.calls.iter().copied().collect(),
                offers: offers.remove(id).unwrap_or_default(),
                idle_since_us: lawyer.idle_since_us,
            })
            .collect();
        let mut requests: Vec<RequestView> = self
            .requests
            .values()
            .map(|open| RequestView {
                request: open.request,
                status: open.status(),
            })
            .collect();
        requests.sort_by_key(|view| (view.request.requested_at_us, view.request.encounter));
        Snapshot { attorneys, requests }
    }
}
