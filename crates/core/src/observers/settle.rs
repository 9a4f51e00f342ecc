//! Bringing every open request in line with who is available and the clock. Handlers only change
//! the state; these passes turn the change into offers, withdrawals and "waiting", so each rule
//! lives in one place whichever event set it off.

use super::WithdrawReason;
use super::event::Effect;
use super::machine::{ObserverDispatcher, Passed};
use crate::dispatch::offers;
use crate::geo::Cell;
use crate::ids::{AccountId, IncidentId};

impl ObserverDispatcher {
    /// Offers whose time ran out are withdrawn (the responder passed), and availability not
    /// refreshed in time is forgotten.
    pub(crate) fn expire(&mut self, now: i64, out: &mut Vec<Effect>) {
        for (incident, open) in &mut self.requests {
            for responder in offers::take_expired(&mut open.offers, now) {
                open.passed.insert(responder, Passed::Expired);
                out.push(Effect::WithdrawOffer {
                    responder,
                    incident: *incident,
                    reason: WithdrawReason::Expired,
                });
            }
        }
        let ttl = self.settings.availability_ttl_us;
        self.available
            .retain(|_, responder| now < responder.refreshed_at_us.saturating_add(ttl));
        self.lapse(now, out);
    }

    /// Observers on the way who marked nothing in time are no longer on the way: free again;
    /// one who never arrived no longer counts for the request and is not asked for it again,
    /// one who arrived counts as done.
    fn lapse(&mut self, now: i64, out: &mut Vec<Effect>) {
        let mut finished = Vec::new();
        for (incident, open) in &mut self.requests {
            let lapsed: Vec<(AccountId, bool)> = open
                .on_the_way
                .iter()
                .filter(|(_, going)| going.lapses_at_us <= now)
                .map(|(responder, going)| (*responder, going.arrived))
                .collect();
            for (responder, arrived) in lapsed {
                open.on_the_way.remove(&responder);
                self.busy.remove(&responder);
                if arrived {
                    open.done = open.done.saturating_add(1);
                } else {
                    open.passed.insert(responder, Passed::Lapsed);
                }
                out.push(Effect::Lapsed {
                    responder,
                    incident: *incident,
                    arrived,
                });
            }
            if open.finished() {
                finished.push(*incident);
            }
        }
        for incident in finished {
            self.requests.remove(&incident);
        }
    }

    /// Why `responder` may not be asked to go to an incident in `cell` now, if they may not.
    /// Passing is the request's business, not the responder's: see `fill`.
    pub(crate) fn unfit(&self, responder: AccountId, incident: IncidentId, cell: Cell) -> Option<WithdrawReason> {
        let Some(free) = self.available.get(&responder) else {
            return Some(WithdrawReason::OffDuty);
        };
        if self.busy.get(&responder).is_some_and(|at| *at != incident) {
            return Some(WithdrawReason::AtCapacity);
        }
        match free.cell.grid_distance(cell) {
            Some(steps) if steps <= self.settings.max_distance => None,
            _ => Some(WithdrawReason::NoLongerEligible),
        }
    }

    /// Withdraws offers that no longer fit, asks whoever now can, and tells a request that has
    /// nobody left to ask that it waits.
    pub(crate) fn settle(&mut self, now: i64, out: &mut Vec<Effect>) {
        self.withdraw_unfit(out);
        self.fill(now, out);
    }

    fn withdraw_unfit(&mut self, out: &mut Vec<Effect>) {
        let mut withdrawn = Vec::new();
        for (incident, open) in &self.requests {
            for responder in open.offers.keys() {
                if let Some(reason) = self.unfit(*responder, *incident, open.request.cell) {
                    withdrawn.push((*incident, *responder, reason));
                }
            }
        }
        for (incident, responder, reason) in withdrawn {
            if let Some(open) = self.requests.get_mut(&incident) {
                open.offers.remove(&responder);
            }
            out.push(Effect::WithdrawOffer {
                responder,
                incident,
                reason,
            });
        }
    }

    /// The open requests oldest first: the order in which they pick responders.
    fn oldest_first(&self) -> Vec<IncidentId> {
        let mut order: Vec<(i64, IncidentId)> = self
            .requests
            .values()
            .map(|open| (open.request.requested_at_us, open.request.incident))
            .collect();
        order.sort_unstable();
        order.into_iter().map(|(_, incident)| incident).collect()
    }

    /// The responders who may be asked to go to `incident` at `cell`, best first: nearest, then
    /// longest idle, then account id (so the order depends on nothing but the state).
    fn ranked(&self, incident: IncidentId, cell: Cell) -> Vec<(AccountId, u32)> {
        let mut fit: Vec<(u32, i64, AccountId)> = self
            .available
            .iter()
            .filter(|(id, _)| self.unfit(**id, incident, cell).is_none() && !self.busy.contains_key(*id))
            .filter_map(|(id, free)| Some((free.cell.grid_distance(cell)?, free.idle_since_us, *id)))
            .collect();
        fit.sort_unstable();
        fit.into_iter().map(|(distance, _, id)| (id, distance)).collect()
    }

    /// Tops every unfulfilled request up to the offer count from the best responders who have
    /// not passed on it.
    fn fill(&mut self, now: i64, out: &mut Vec<Effect>) {
        let window = self.settings.offer_count.get();
        let expires_at_us = now.saturating_add(self.settings.offer_timeout_us);
        for incident in self.oldest_first() {
            let Some(open) = self.requests.get_mut(&incident) else {
                continue;
            };
            if open.fulfilled() {
                // Asked for fewer than it had offers out for: nobody else is needed.
                for responder in std::mem::take(&mut open.offers).into_keys() {
                    out.push(Effect::WithdrawOffer {
                        responder,
                        incident,
                        reason: WithdrawReason::TakenByOther,
                    });
                }
                if open.on_the_way.is_empty() {
                    self.requests.remove(&incident);
                }
                continue;
            }
            if open.offers.len() >= window {
                continue;
            }
            let wanted = window - open.offers.len();
            let cell = open.request.cell;
            let Some(open) = self.requests.get(&incident) else {
                continue;
            };
            let fresh: Vec<(AccountId, u32)> = self
                .ranked(incident, cell)
                .into_iter()
                .filter(|(id, _)| !open.offers.contains_key(id) && !open.passed.contains_key(id))
                .take(wanted)
                .collect();
            let Some(open) = self.requests.get_mut(&incident) else {
                continue;
            };
            for (responder, distance) in fresh {
                open.offers.insert(responder, expires_at_us);
                out.push(Effect::Offer {
                    responder,
                    incident,
                    distance,
                    expires_at_us,
                });
            }
            if !open.offers.is_empty() {
                open.told_waiting = false;
            } else if !open.told_waiting {
                open.told_waiting = true;
                out.push(Effect::Waiting { incident });
            }
        }
    }
}
