//! The observer dispatcher: one state, changed only by [`ObserverDispatcher::handle`].

use super::event::{Effect, Event, Request};
use super::settings::ObserverSettings;
use super::{RefuseReason, WithdrawReason};
use crate::dispatch::offers::{self, Offers};
use crate::geo::Cell;
use crate::ids::{AccountId, IncidentId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A responder who said they are available: where now (one cell, no history), and since when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Responder {
    pub(crate) cell: Cell,
    /// When they became free: available, or their last incident done. Longest idle first.
    pub(crate) idle_since_us: i64,
    /// Their availability lapses `availability_ttl_us` after this.
    pub(crate) refreshed_at_us: i64,
}

/// How a responder passed on a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Passed {
    Declined,
    Expired,
    /// Accepted, then never arrived in time.
    Lapsed,
}

/// An observer on the way: whether they arrived, and when they lapse if they mark nothing more.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Going {
    pub(crate) arrived: bool,
    pub(crate) lapses_at_us: i64,
}

/// One open request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Open {
    pub(crate) request: Request,
    pub(crate) offers: Offers,
    /// Declined or let an offer expire: not asked for this request again.
    pub(crate) passed: BTreeMap<AccountId, Passed>,
    pub(crate) on_the_way: BTreeMap<AccountId, Going>,
    /// Observers who went and are done.
    pub(crate) done: u32,
    /// Whether the requester was told nobody is left to ask, since the last offer.
    pub(crate) told_waiting: bool,
}

impl Open {
    /// Observers sent, on the way or done.
    pub(crate) fn sent(&self) -> u64 {
        self.on_the_way.len() as u64 + u64::from(self.done)
    }

    pub(crate) fn fulfilled(&self) -> bool {
        self.sent() >= u64::from(self.request.wanted)
    }

    /// Fulfilled and everyone done: nothing left to decide about this incident.
    pub(crate) fn finished(&self) -> bool {
        self.fulfilled() && self.on_the_way.is_empty() && self.offers.is_empty()
    }
}

/// Matches requests for observers with the responders available near them. Deterministic: the
/// same events at the same times give the same effects.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObserverDispatcher {
    pub(crate) settings: ObserverSettings,
    pub(crate) available: BTreeMap<AccountId, Responder>,
    pub(crate) requests: BTreeMap<IncidentId, Open>,
    /// Who is on the way where: a responder goes to one incident at a time.
    pub(crate) busy: BTreeMap<AccountId, IncidentId>,
    pub(crate) now_us: i64,
}

impl ObserverDispatcher {
    pub fn new(settings: ObserverSettings) -> Self {
        Self {
            settings,
            available: BTreeMap::new(),
            requests: BTreeMap::new(),
            busy: BTreeMap::new(),
            now_us: i64::MIN,
        }
    }

    pub fn settings(&self) -> &ObserverSettings {
        &self.settings
    }

    /// Applies `event` at `now_us` and returns what the server must do, in order.
    pub fn handle(&mut self, now_us: i64, event: Event) -> Vec<Effect> {
        // The machine's clock never steps back, so an announced deadline cannot move.
        let now = now_us.max(self.now_us);
        self.now_us = now;
        let mut out = Vec::new();
        // Time first: an offer that ran out cannot be accepted, a lapsed responder is gone.
        self.expire(now, &mut out);
        match event {
            Event::Available { responder, cell } => self.set_available(responder, cell, now),
            Event::Unavailable { responder } => {
                self.available.remove(&responder);
            }
            Event::Request {
                request,
                on_the_way,
                done,
            } => self.open(request, on_the_way, done, now),
            Event::Accept { responder, incident } => self.accept(responder, incident, now, &mut out),
            Event::Decline { responder, incident } => self.decline(responder, incident, &mut out),
            Event::Arrived { responder, incident } => self.arrived(responder, incident, now),
            Event::Done { responder, incident } => self.done(responder, incident, now),
            Event::Cancel { incident } => self.cancel(incident, &mut out),
            Event::Tick => {}
        }
        self.settle(now, &mut out);
        out
    }

    fn set_available(&mut self, responder: AccountId, cell: Cell, now: i64) {
        let entry = self.available.entry(responder).or_insert(Responder {
            cell,
            idle_since_us: now,
            refreshed_at_us: now,
        });
        entry.cell = cell;
        entry.refreshed_at_us = now;
    }

    fn going(&self, now: i64) -> Going {
        Going {
            arrived: false,
            lapses_at_us: now.saturating_add(self.settings.on_the_way_ttl_us),
        }
    }

    fn open(&mut self, request: Request, on_the_way: Vec<AccountId>, done: u32, now: i64) {
        let going = self.going(now);
        let open = self.requests.entry(request.incident).or_insert_with(|| Open {
            request,
            offers: Offers::new(),
            passed: BTreeMap::new(),
            on_the_way: BTreeMap::new(),
            done: 0,
            told_waiting: false,
        });
        // Asking again sets how many are wanted; the place and the time stay the first ones.
        open.request.wanted = request.wanted;
        open.done = open.done.max(done);
        for responder in on_the_way {
            // Someone the store says is on the way here cannot also be on the way elsewhere.
            if self.busy.get(&responder).is_none_or(|at| *at == request.incident) {
                // Already known: their clock keeps running; from the store: it starts now.
                open.on_the_way.entry(responder).or_insert(going);
                open.offers.remove(&responder);
                self.busy.insert(responder, request.incident);
            }
        }
    }

    fn accept(&mut self, responder: AccountId, incident: IncidentId, now: i64, out: &mut Vec<Effect>) {
        let going = self.going(now);
        let refuse = |reason| Effect::AcceptRefused {
            responder,
            incident,
            reason,
        };
        let Some(open) = self.requests.get_mut(&incident) else {
            return out.push(refuse(RefuseReason::NotOffered));
        };
        if open.on_the_way.contains_key(&responder) {
            // A repeated accept (a retry after a lost response): already theirs.
            return;
        }
        if open.fulfilled() {
            return out.push(refuse(RefuseReason::AlreadyTaken));
        }
        if open.offers.remove(&responder).is_none() {
            let reason = match open.passed.get(&responder) {
                Some(Passed::Expired) => RefuseReason::Expired,
                _ => RefuseReason::NotOffered,
            };
            return out.push(refuse(reason));
        }
        // Every offer still held is to an eligible responder (the passes before this event
        // withdrew the rest), so this one may go.
        open.on_the_way.insert(responder, going);
        self.busy.insert(responder, incident);
        out.push(Effect::Dispatched { responder, incident });
        if open.fulfilled() {
            for other in offers::others(std::mem::take(&mut open.offers), responder) {
                out.push(Effect::WithdrawOffer {
                    responder: other,
                    incident,
                    reason: WithdrawReason::TakenByOther,
                });
            }
        }
    }

    fn decline(&mut self, responder: AccountId, incident: IncidentId, out: &mut Vec<Effect>) {
        let Some(open) = self.requests.get_mut(&incident) else {
            return;
        };
        if open.offers.remove(&responder).is_some() {
            open.passed.insert(responder, Passed::Declined);
            out.push(Effect::WithdrawOffer {
                responder,
                incident,
                reason: WithdrawReason::Declined,
            });
        }
    }

    fn arrived(&mut self, responder: AccountId, incident: IncidentId, now: i64) {
        let ttl = self.settings.on_the_way_ttl_us;
        if let Some(going) = self
            .requests
            .get_mut(&incident)
            .and_then(|open| open.on_the_way.get_mut(&responder))
        {
            going.arrived = true;
            going.lapses_at_us = now.saturating_add(ttl);
        }
    }

    fn done(&mut self, responder: AccountId, incident: IncidentId, now: i64) {
        let Some(open) = self.requests.get_mut(&incident) else {
            return;
        };
        if open.on_the_way.remove(&responder).is_none() {
            return;
        }
        open.done = open.done.saturating_add(1);
        self.busy.remove(&responder);
        if let Some(free) = self.available.get_mut(&responder) {
            free.idle_since_us = now;
        }
        if open.finished() {
            self.requests.remove(&incident);
        }
    }

    fn cancel(&mut self, incident: IncidentId, out: &mut Vec<Effect>) {
        let Some(open) = self.requests.remove(&incident) else {
            return;
        };
        for responder in open.offers.into_keys() {
            out.push(Effect::WithdrawOffer {
                responder,
                incident,
                reason: WithdrawReason::Cancelled,
            });
        }
        for responder in open.on_the_way.keys() {
            self.busy.remove(responder);
        }
        out.push(Effect::Cancelled {
            incident,
            on_the_way: open.on_the_way.into_keys().collect(),
        });
    }
}
