//! What the server tells the observer dispatcher ([`Event`]) and what it asks the server to do
//! ([`Effect`]). Plain data, so a server can log events and replay them.

use super::{RefuseReason, WithdrawReason};
use crate::geo::Cell;
use crate::ids::{AccountId, IncidentId};
use serde::{Deserialize, Serialize};

/// A request for observers at a verified incident.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    pub incident: IncidentId,
    /// Where the incident is: distances are counted from here.
    pub cell: Cell,
    /// How many observers the incident should have in all (those already sent included).
    pub wanted: u32,
    /// Requests pick responders oldest first, by this time.
    pub requested_at_us: i64,
}

/// Something that happened, at the `now` passed to [`super::ObserverDispatcher::handle`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    /// The responder is available in `cell` (again): replaces their last cell and refreshes
    /// their availability.
    Available {
        responder: AccountId,
        cell: Cell,
    },
    /// The responder is no longer available; their cell is forgotten and their offers withdrawn.
    Unavailable {
        responder: AccountId,
    },
    /// Someone asks for observers. For an incident with an open request it sets how many are
    /// wanted (never fewer than it already has). `on_the_way` and `done` are the observers the
    /// incident already has (from the store, after a restart or a second request), so none is
    /// sent twice and none on the way is asked elsewhere.
    Request {
        request: Request,
        on_the_way: Vec<AccountId>,
        done: u32,
    },
    Accept {
        responder: AccountId,
        incident: IncidentId,
    },
    Decline {
        responder: AccountId,
        incident: IncidentId,
    },
    /// The observer is at the incident: their time to be done starts now.
    Arrived {
        responder: AccountId,
        incident: IncidentId,
    },
    /// The observer is done at the incident: free for others.
    Done {
        responder: AccountId,
        incident: IncidentId,
    },
    /// The request is over (the incident was withdrawn, or the requester called it off).
    Cancel {
        incident: IncidentId,
    },
    /// Only time passed: offers expire, availability lapses.
    Tick,
}

/// Something the server must do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Effect {
    /// Ask this responder to go; the offer lapses at `expires_at_us`.
    Offer {
        responder: AccountId,
        incident: IncidentId,
        /// Grid steps from the responder's cell to the incident's.
        distance: u32,
        expires_at_us: i64,
    },
    /// Stop asking this responder.
    WithdrawOffer {
        responder: AccountId,
        incident: IncidentId,
        reason: WithdrawReason,
    },
    /// The responder accepted and is on the way.
    Dispatched { responder: AccountId, incident: IncidentId },
    /// Nobody available near enough is left to ask: tell the requester honestly. Said once each
    /// time the request starts waiting.
    Waiting { incident: IncidentId },
    AcceptRefused {
        responder: AccountId,
        incident: IncidentId,
        reason: RefuseReason,
    },
    /// The observer marked nothing for `on_the_way_ttl_us` and is no longer on the way. One who
    /// never `arrived` no longer counts for the request (the next nearest is asked, and they
    /// are not asked again for it); one who arrived counts as done.
    Lapsed {
        responder: AccountId,
        incident: IncidentId,
        arrived: bool,
    },
    /// The request was cancelled; `on_the_way` should be told.
    Cancelled {
        incident: IncidentId,
        on_the_way: Vec<AccountId>,
    },
}
