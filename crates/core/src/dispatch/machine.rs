//! The dispatcher itself: one state, changed only by [`Dispatcher::handle`], which applies one
//! event and says what to do about it.

use super::event::{Effect, Event, Outcome, RefuseReason, Request, WithdrawReason};
use super::offers;
use super::policy::DispatchSettings;
use super::request::{OpenRequest, Pass, Stage};
use super::roster::Roster;
use crate::ids::{AccountId, EncounterId};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Matches requests for an attorney with the attorneys on duty. Deterministic: the same events at
/// the same times give the same effects, so a server can persist the events (or this state,
/// which serializes) and replay them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dispatcher {
    pub(crate) settings: DispatchSettings,
    pub(crate) roster: Roster,
    /// Open requests only: a request leaves when it is cancelled or its call ends.
    pub(crate) requests: BTreeMap<EncounterId, OpenRequest>,
    /// The open requests not yet connected, oldest first (by request time, then encounter): the
    /// queue's order, kept as requests join, connect and close, so that the passes every event
    /// makes touch only these and never sort. Connected calls (most of the open requests on a
    /// busy night) have no offers, no deadlines and no place in the queue.
    pub(crate) waiting: BTreeSet<(i64, EncounterId)>,
    /// The latest `now` seen.
    pub(crate) now_us: i64,
}

impl Dispatcher {
    pub fn new(settings: DispatchSettings) -> Self {
        Self {
            settings,
            roster: Roster::default(),
            requests: BTreeMap::new(),
            waiting: BTreeSet::new(),
            now_us: i64::MIN,
        }
    }

    pub fn settings(&self) -> &DispatchSettings {
        &self.settings
    }

    /// Applies `event` at `now_us` (microseconds since the Unix epoch) and returns what the
    /// server must do, in order.
    pub fn handle(&mut self, now_us: i64, event: Event) -> Vec<Effect> {
        // A server's clock can step back; the machine's never does, so an announced deadline
        // cannot move.
        let now = now_us.max(self.now_us);
        self.now_us = now;
        let mut out = Vec::new();
        // Time first: an offer that ran out cannot be accepted, a lapsed attorney cannot accept.
        self.expire_offers(now, &mut out);
        self.withdraw_unavailable(now, &mut out);
        match event {
            Event::AttorneyOnDuty { attorney, profile } => self.roster.on_duty(attorney, profile, now),
            Event::AttorneyOffDuty { attorney } => self.roster.off_duty(attorney),
            Event::Heartbeat { attorney } => self.roster.heartbeat(attorney, now),
            Event::RequestAttorney(request) => self.open(request),
            Event::Accept { attorney, encounter } => self.accept(attorney, encounter, &mut out),
            Event::Decline { attorney, encounter } => self.decline(attorney, encounter, now, &mut out),
            Event::CancelRequest { encounter } | Event::CallEnded { encounter } => self.close(encounter, now, &mut out),
            Event::SetStatePolicy { org, policy } => {
                self.settings.state_policies.by_org.insert(org, policy);
            }
            Event::Tick => {}
        }
        // Then what the event changed: withdraw what no longer fits, ring whoever now can, and
        // queue what nobody can take.
        self.settle(now, &mut out);
        out
    }

    fn open(&mut self, request: Request) {
        if let std::collections::btree_map::Entry::Vacant(entry) = self.requests.entry(request.encounter) {
            entry.insert(OpenRequest::new(request));
            self.waiting.insert((request.requested_at_us, request.encounter));
        }
    }

    /// How many open requests are not connected yet: offering or queued.
    pub fn waiting_count(&self) -> usize {
        self.waiting.len()
    }

    fn accept(&mut self, attorney: AccountId, encounter: EncounterId, out: &mut Vec<Effect>) {
        let refuse = |reason| Effect::AcceptRefused {
            attorney,
            encounter,
            reason,
        };
        let Some(open) = self.requests.get_mut(&encounter) else {
            return out.push(refuse(RefuseReason::NotOffered));
        };
        let offers = match &mut open.stage {
            // A repeated accept (a retry after a lost response): the call is already theirs.
            Stage::Connected { attorney: taken } if *taken == attorney => return,
            Stage::Connected { .. } => return out.push(refuse(RefuseReason::AlreadyTaken)),
            Stage::Queued { .. } => None,
            Stage::Offering { offers } => Some(offers),
        };
        // Capacity before the offer: a full attorney's offers were withdrawn, and "you are at
        // capacity" is the answer that tells them why.
        match self.roster.get(attorney) {
            None => return out.push(refuse(RefuseReason::NotOffered)),
            Some(lawyer) if !lawyer.has_room() => return out.push(refuse(RefuseReason::AtCapacity)),
            Some(_) => {}
        }
        let Some(offers) = offers.filter(|offers| offers.contains_key(&attorney)) else {
            let reason = match open.passed.get(&attorney) {
                Some(Pass::Expired) => RefuseReason::Expired,
                _ => RefuseReason::NotOffered,
            };
            return out.push(refuse(reason));
        };
        // Every offer still held is to an eligible attorney (the settling before this event
        // withdrew the rest), so this one may take the call.
        let others = std::mem::take(offers);
        open.stage = Stage::Connected { attorney };
        self.waiting.remove(&(open.request.requested_at_us, encounter));
        self.roster.start_call(attorney, encounter);
        out.push(Effect::Connected { attorney, encounter });
        for other in offers::others(others, attorney) {
            out.push(Effect::WithdrawOffer {
                attorney: other,
                encounter,
                reason: WithdrawReason::TakenByOther,
            });
        }
    }

    fn decline(&mut self, attorney: AccountId, encounter: EncounterId, now: i64, out: &mut Vec<Effect>) {
        let Some(open) = self.requests.get_mut(&encounter) else {
            return;
        };
        let Stage::Offering { offers } = &mut open.stage else {
            return;
        };
        if offers.remove(&attorney).is_some() {
            open.pass(attorney, Pass::Declined, now);
            out.push(Effect::WithdrawOffer {
                attorney,
                encounter,
                reason: WithdrawReason::Declined,
            });
        }
    }

    fn close(&mut self, encounter: EncounterId, now: i64, out: &mut Vec<Effect>) {
        let Some(open) = self.requests.remove(&encounter) else {
            return;
        };
        self.waiting.remove(&(open.request.requested_at_us, encounter));
        let (outcome, attorney) = match open.stage {
            Stage::Offering { offers } => {
                for attorney in offers.into_keys() {
                    out.push(Effect::WithdrawOffer {
                        attorney,
                        encounter,
                        reason: WithdrawReason::Cancelled,
                    });
                }
                (Outcome::Cancelled, None)
            }
            Stage::Queued { .. } => (Outcome::Cancelled, None),
            Stage::Connected { attorney } => {
                self.roster.end_call(attorney, encounter, now);
                (Outcome::Ended, Some(attorney))
            }
        };
        out.push(Effect::Closed {
            encounter,
            outcome,
            attorney,
        });
    }
}
