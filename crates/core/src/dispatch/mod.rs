//! Dispatch: a lawyer on the line in seconds.
//!
//! When a person at an encounter asks for an attorney, [`Dispatcher`] rings the attorneys of
//! their organization who can take the call, gives it to the first who accepts, and queues the
//! request when nobody can. It is a pure state machine: the server feeds it [`Event`]s with the
//! current time and carries out the [`Effect`]s it returns, so every rule below is tested
//! without a clock, a socket or a database.
//!
//! Module map:
//! - [`profile`]: what an admin vets about an attorney (organization, bar admissions, languages,
//!   specialties, capacity) and the parsed codes it is made of.
//! - [`policy`]: [`DispatchSettings`]: ring count, offer and heartbeat timeouts, and each
//!   organization's [`StatePolicy`].
//! - `roster`: who is on duty and present, their calls, eligibility and the idle order.
//! - `request`: one open request's stage and who has passed on it.
//! - [`event`]: the [`Event`]s the dispatcher takes and the [`Effect`]s it returns.
//! - `machine`: [`Dispatcher::handle`] and the handler for each event.
//! - [`offers`]: offers with expiry and first-accept-wins, shared with `crate::observers`.
//! - `settle`: the passes after every event that expire, withdraw, ring and queue.
//! - [`view`]: read-only queries and the [`Snapshot`] a server renders.
//!
//! # The rules
//!
//! **Eligible.** An attorney may be offered a request when they are on duty, present (a heartbeat
//! younger than [`DispatchSettings::heartbeat_timeout_us`]), vetted, of the request's
//! organization, below capacity, speak its language, and may advise in its state under the
//! organization's [`StatePolicy`]. An offer held by someone who stops being eligible is withdrawn
//! at once (with the reason), and the request rings someone else.
//!
//! **Ringing.** Each request rings up to [`DispatchSettings::ring_count`] attorneys at once, best
//! first: fewest calls, then longest idle (since their last call ended or they came on duty).
//! The count is a window, not a batch: when one offer ends (declined, expired, withdrawn) the next
//! best is rung straight away. As offers rung together expire together, a silent group is
//! followed by the next group. The first to accept gets the call; the other offers are
//! withdrawn in the same step, and a later accept is refused as [`RefuseReason::AlreadyTaken`].
//!
//! **Capacity and offers.** Capacity counts accepted calls. An attorney rings for at most as
//! many requests at once as they have room for calls (capacity less calls held), so a burst
//! spreads over the roster: each request rings its own few, rather than every request ringing
//! the same best few, where each accept would withdraw and re-ring all the others (at 500
//! requests a second that churn grew with the queue until nothing was rung). A request whose
//! eligible attorneys are all ringing for earlier requests waits in the queue, next in line, with
//! no coverage alert. Accepting is refused ([`RefuseReason::AtCapacity`]) when it would exceed
//! capacity, and the moment an accept fills an attorney up, their other offers are withdrawn
//! ([`WithdrawReason::AtCapacity`]) so those requests move on instead of waiting out the timeout.
//!
//! **Passing and rounds.** An attorney who declines a request or lets its offer expire has passed
//! on it and is not rung for it again this round. When every eligible attorney has passed and
//! none is ringing, the request waits in the queue ([`GapReason::NobodyAnswered`]); one offer
//! timeout after the last pass a new round starts and everyone eligible is rung again, best first.
//! The pause keeps a decline from being answered by the same ring a moment later; starting over
//! keeps a person from waiting forever while a lawyer who said "not this second" sits free.
//! Attorneys whose offer was withdrawn for any other reason (away, off duty, at capacity) have not
//! passed and are rung again as soon as they fit.
//!
//! **Queue.** A request nobody is ringing waits in its organization's queue, first come first
//! served by [`Request::requested_at_us`], and its person is told the place ([`Effect::Queued`],
//! then [`Effect::QueuePositionChanged`]). Each time a request joins the queue because nobody
//! eligible is there or everyone has passed, the organization's admins are alerted
//! ([`Effect::CoverageGap`]). Requests pick attorneys oldest first after every
//! event, so whoever comes on duty, returns from a lapse or ends a call is offered the head of the
//! queue first (and, having room for offers, the rest it fits).
//!
//! **Presence.** Staleness is judged against the `now` of each event, so a [`Event::Tick`] at
//! [`Dispatcher::next_deadline`] is all it takes for a sleeping laptop's offers to be withdrawn.
//! Off duty or away, an attorney's calls in progress go on and still count against capacity.
//!
//! **Every request accounted for.** An open request is exactly one of offering, queued or
//! connected ([`RequestStatus`]); it leaves only by [`Event::CancelRequest`] or
//! [`Event::CallEnded`], announced by [`Effect::Closed`]. Every [`Effect::Offer`] is answered by
//! exactly one [`Effect::Connected`] or [`Effect::WithdrawOffer`].

pub mod event;
mod machine;
pub mod offers;
pub mod policy;
pub mod profile;
mod request;
mod roster;
mod settle;
pub mod view;

pub use event::{Effect, Event, GapReason, Outcome, RefuseReason, Request, WithdrawReason};
pub use machine::Dispatcher;
pub use policy::{DispatchSettings, StatePolicies, StatePolicy, UnknownStatePolicy};
pub use profile::{
    AttorneyProfile, InvalidLanguage, Language, OrgId, Specialty, UnknownSpecialty, UnknownUsState, UsState,
};
pub use request::RequestStatus;
pub use view::{AttorneyView, RequestView, Snapshot};

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;
