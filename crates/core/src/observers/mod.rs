//! Legal observers (issue 6): for a verified incident, the nearest available responders are
//! asked to go, and the first to accept is on the way.
//!
//! [`ObserverDispatcher`] is a pure state machine like the attorney dispatcher
//! ([`crate::dispatch`]), and shares its machinery where the logic is the same: offers with
//! expiry and first-accept-wins ([`crate::dispatch::offers`]), and the reasons an offer is
//! withdrawn or an accept refused ([`WithdrawReason`], [`RefuseReason`]). The server feeds it
//! [`Event`]s with the time and carries out the [`Effect`]s, so every rule is tested without a
//! clock, a socket or a database.
//!
//! Module map:
//! - [`settings`]: [`ObserverSettings`]: how many are asked at once, how long an offer lasts,
//!   how far a responder may be, how long availability lasts without a refresh.
//! - [`event`]: the [`Event`]s it takes and the [`Effect`]s it returns.
//! - `machine`: [`ObserverDispatcher::handle`] and each event's handler.
//! - `settle`: the passes after every event that expire, withdraw, offer and say "waiting".
//! - `view`: where a request stands, and when the next tick is due.
//!
//! # The rules
//!
//! **Available.** A responder says they are available with the H3 cell they are in; only the
//! current cell is kept (a new one replaces the last), and it is forgotten when they say they
//! are unavailable or when [`ObserverSettings::availability_ttl_us`] passes without a refresh.
//! There is no history of where anyone was.
//!
//! **Eligible.** A responder may be offered a request when they are available (fresh), not on
//! the way to another incident, have not passed on this request, and are within
//! [`ObserverSettings::max_distance`] grid steps of the incident's cell (a cell H3 cannot
//! measure to counts as too far). An offer held by someone who stops being eligible is
//! withdrawn at once.
//!
//! **Offering.** Each request asks up to [`ObserverSettings::offer_count`] responders at once,
//! nearest first (grid distance), then longest idle (since they became available or their last
//! incident was done), then account id. The count is a window: an offer that ends (declined,
//! expired, withdrawn) is replaced by the next nearest straight away. The first to accept is
//! dispatched; once a request has as many observers as it asked for, the other offers are
//! withdrawn in the same step ([`WithdrawReason::TakenByOther`]) and a later accept is refused
//! ([`RefuseReason::AlreadyTaken`]). A responder who accepts is on the way and their other
//! offers are withdrawn ([`WithdrawReason::AtCapacity`]).
//!
//! **Passing.** A responder who declines or lets an offer expire is not asked for that request
//! again (no rounds, unlike attorneys: an observer who cannot go now should not be asked every
//! minute). When nobody eligible is left the request waits ([`Effect::Waiting`], once per
//! wait), and is offered the moment someone eligible becomes available near enough.
//!
//! **Lapsing.** An observer on the way who marks nothing for
//! [`ObserverSettings::on_the_way_ttl_us`] (not arrived that long after accepting, or not done
//! that long after arriving) lapses ([`Effect::Lapsed`]) and is free again. One who never
//! arrived no longer counts: the request asks the next nearest, and does not ask them again.
//! One who arrived counts as done.
//!
//! **Every request accounted for.** An open request is exactly one of offering, waiting or
//! fulfilled ([`RequestStatus`]); it never has more observers than it asked for (asking again
//! with a larger number is asking for more); it leaves by [`Event::Cancel`]
//! ([`Effect::Cancelled`]), or once it is fulfilled and every observer is done or lapsed. Every
//! [`Effect::Offer`] is answered by exactly one [`Effect::Dispatched`] or
//! [`Effect::WithdrawOffer`].

pub mod event;
mod machine;
pub mod settings;
mod settle;
mod view;

pub use crate::dispatch::{RefuseReason, WithdrawReason};
pub use event::{Effect, Event, Request};
pub use machine::ObserverDispatcher;
pub use settings::ObserverSettings;
pub use view::RequestStatus;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;
