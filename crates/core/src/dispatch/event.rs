//! What the server tells the dispatcher ([`Event`]) and what the dispatcher asks the server to do
//! ([`Effect`]). Both are plain data so a server can log events and replay them.

use super::policy::StatePolicy;
use super::profile::{AttorneyProfile, Language, OrgId, UsState};
use crate::ids::{AccountId, EncounterId};
use serde::{Deserialize, Serialize};

/// A person's request for an attorney during an encounter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    pub encounter: EncounterId,
    /// The organization whose plan covers the person: only its attorneys are offered the call.
    pub org: OrgId,
    pub language: Language,
    /// Where the encounter happens.
    pub state: UsState,
    /// When the person asked. The queue is first come, first served by this time, so a server
    /// replaying events keeps the original order.
    pub requested_at_us: i64,
}

/// Something that happened, at the `now` passed to [`super::Dispatcher::handle`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    /// The attorney is on duty, with the profile their admin vetted. Also counts as a heartbeat.
    /// Sent again while on duty, it replaces the profile (an admin revoked vetting, a language
    /// was added) and keeps their place in the idle order.
    AttorneyOnDuty {
        attorney: AccountId,
        profile: AttorneyProfile,
    },
    /// The attorney stops taking calls. Their offers are withdrawn; calls in progress go on.
    AttorneyOffDuty { attorney: AccountId },
    /// The attorney's app is still there. Ignored unless they are on duty; after a lapse, the
    /// next heartbeat makes them available again.
    Heartbeat { attorney: AccountId },
    /// A person asks for an attorney. Repeated for an open request, it is ignored.
    RequestAttorney(Request),
    Accept {
        attorney: AccountId,
        encounter: EncounterId,
    },
    Decline {
        attorney: AccountId,
        encounter: EncounterId,
    },
    /// The person no longer wants an attorney. On a connected call this ends the call.
    CancelRequest { encounter: EncounterId },
    /// The call (or the whole encounter) is over. Before a connection this cancels the request.
    CallEnded { encounter: EncounterId },
    /// An organization's admin chose its state policy.
    SetStatePolicy { org: OrgId, policy: StatePolicy },
    /// Only time passed: offers expire and heartbeats lapse. See
    /// [`super::Dispatcher::next_deadline`] for when one is due.
    Tick,
}

/// Something the server must do: tell an attorney's or a person's app, or alert admins.
///
/// Every [`Effect::Offer`] is later answered by exactly one [`Effect::Connected`] or
/// [`Effect::WithdrawOffer`] for the same attorney and encounter, so a server can keep its table of
/// ringing offers from effects alone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Effect {
    /// Ring this attorney; the offer lapses at `expires_at_us`.
    Offer {
        attorney: AccountId,
        encounter: EncounterId,
        expires_at_us: i64,
    },
    /// Stop ringing this attorney for this encounter.
    WithdrawOffer {
        attorney: AccountId,
        encounter: EncounterId,
        reason: WithdrawReason,
    },
    /// The attorney has the call: join them to the encounter.
    Connected {
        attorney: AccountId,
        encounter: EncounterId,
    },
    /// Nobody is ringing for this request; it waits at `position` (1 is next) in its
    /// organization's queue.
    Queued { encounter: EncounterId, position: u32 },
    /// A waiting request moved up (or, rarely, down: an older request came back to the queue).
    QueuePositionChanged { encounter: EncounterId, position: u32 },
    /// A request just joined the queue: the organization's admins should know nobody is answering.
    CoverageGap {
        org: OrgId,
        encounter: EncounterId,
        language: Language,
        state: UsState,
        reason: GapReason,
    },
    /// An accept that did not connect; the attorney's app should say why.
    AcceptRefused {
        attorney: AccountId,
        encounter: EncounterId,
        reason: RefuseReason,
    },
    /// The request is over and forgotten. `attorney` is who had the call, if anyone did.
    Closed {
        encounter: EncounterId,
        outcome: Outcome,
        attorney: Option<AccountId>,
    },
}

/// Why an offer stopped ringing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WithdrawReason {
    /// Another attorney accepted first.
    TakenByOther,
    /// This attorney declined.
    Declined,
    /// Nobody answered in time.
    Expired,
    /// The person cancelled, or the encounter ended.
    Cancelled,
    /// The attorney went off duty.
    OffDuty,
    /// The attorney's heartbeat lapsed.
    Away,
    /// The attorney accepted other calls up to their capacity.
    AtCapacity,
    /// The attorney's profile or their organization's state policy no longer fits the request.
    NoLongerEligible,
}

/// Why an accept did not connect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefuseReason {
    /// Another attorney has the call.
    AlreadyTaken,
    /// There is no offer for this attorney: never made, withdrawn, declined, or the request is over.
    NotOffered,
    /// The attorney already holds as many calls as their capacity.
    AtCapacity,
    /// The offer ran out before the accept arrived.
    Expired,
}

/// Why a request is waiting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GapReason {
    /// No attorney on duty, present and with free capacity can take it.
    NobodyAvailable,
    /// Every attorney who could take it declined or let the offer expire; they are rung again
    /// after a pause (see the module docs).
    NobodyAnswered,
}

/// How a request ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Before any attorney took the call.
    Cancelled,
    /// After an attorney took it.
    Ended,
}
