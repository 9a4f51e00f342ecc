//! Bringing every open request in line with the roster and the clock. Event handlers only change
//! the state; these passes turn the change into offers, withdrawals and queue places, so each rule
//! lives in one place whichever event set it off.

use super::event::{Effect, GapReason, WithdrawReason};
use super::machine::Dispatcher;
use super::offers;
use super::profile::{Language, OrgId, UsState};
use super::request::{Pass, Stage};
use super::roster::Roster;
use crate::ids::{AccountId, EncounterId};
use std::collections::BTreeMap;

impl Dispatcher {
    /// Offers whose time ran out at `now` are withdrawn, and the attorney has passed this round.
    pub(crate) fn expire_offers(&mut self, now: i64, out: &mut Vec<Effect>) {
        for (_, encounter) in &self.waiting {
            let Some(open) = self.requests.get_mut(encounter) else {
                continue;
            };
            let Stage::Offering { offers } = &mut open.stage else {
                continue;
            };
            for attorney in offers::take_expired(offers, now) {
                open.passed.insert(attorney, Pass::Expired);
                open.last_pass_us = Some(now);
                out.push(Effect::WithdrawOffer {
                    attorney,
                    encounter: *encounter,
                    reason: WithdrawReason::Expired,
                });
            }
        }
    }

    /// Offers to attorneys who may no longer take the request (off duty, away, at capacity, or no
    /// longer fitting it) are withdrawn. They have not passed: they are rung again when they fit.
    pub(crate) fn withdraw_unavailable(&mut self, now: i64, out: &mut Vec<Effect>) {
        for (_, encounter) in &self.waiting {
            let Some(open) = self.requests.get_mut(encounter) else {
                continue;
            };
            let Stage::Offering { offers } = &mut open.stage else {
                continue;
            };
            let request = open.request;
            let unfit = |attorney: &AccountId| match self.roster.get(*attorney) {
                Some(lawyer) => lawyer.check(&request, now, &self.settings).err(),
                // Forgotten: they went off duty with no call.
                None => Some(WithdrawReason::OffDuty),
            };
            // Most events change nothing here: look before taking anything apart.
            if offers.keys().all(|attorney| unfit(attorney).is_none()) {
                continue;
            }
            offers.retain(|attorney, _| match unfit(attorney) {
                Some(reason) => {
                    out.push(Effect::WithdrawOffer {
                        attorney: *attorney,
                        encounter: *encounter,
                        reason,
                    });
                    false
                }
                None => true,
            });
        }
    }

    /// Withdraws what no longer fits, rings whoever now can, queues what nobody can take, and
    /// tells waiting people their place.
    pub(crate) fn settle(&mut self, now: i64, out: &mut Vec<Effect>) {
        self.withdraw_unavailable(now, out);
        let gaps = self.fill(now, out);
        self.renumber_queue(out);
        // After the queue places, so an admin's alert follows the person's "you are waiting".
        for (encounter, reason) in gaps {
            if let Some(open) = self.requests.get(&encounter) {
                let request = open.request;
                out.push(Effect::CoverageGap {
                    org: request.org,
                    encounter,
                    language: request.language,
                    state: request.state,
                    reason,
                });
            }
        }
    }

    /// Open, unconnected requests, oldest first: the queue's order, and the order in which
    /// requests pick attorneys.
    pub(crate) fn fifo(&self) -> Vec<EncounterId> {
        self.waiting.iter().map(|(_, encounter)| *encounter).collect()
    }

    /// Tops every request up to the ring count from the best attorneys who have not passed on
    /// it, and starts a new round for a request everyone has passed on once it has waited an
    /// offer timeout. Returns the requests that joined the queue, and why.
    fn fill(&mut self, now: i64, out: &mut Vec<Effect>) -> Vec<(EncounterId, GapReason)> {
        let ring = self.settings.ring_count.get();
        let timeout = self.settings.offer_timeout_us;
        let mut gaps = Vec::new();
        let mut ringing = self.offers_held();
        let mut pools: BTreeMap<(OrgId, Language, UsState), Pool> = BTreeMap::new();
        for encounter in self.fifo() {
            let Some(open) = self.requests.get_mut(&encounter) else {
                continue;
            };
            // Ringing as many as it may: nothing to pick (the passes before withdrew any offer
            // that no longer fits).
            if matches!(&open.stage, Stage::Offering { offers } if offers.len() >= ring) {
                continue;
            }
            let mut offers = match &mut open.stage {
                Stage::Offering { offers } => std::mem::take(offers),
                Stage::Queued { .. } => BTreeMap::new(),
                Stage::Connected { .. } => continue,
            };
            let wanted = ring.saturating_sub(offers.len());
            // Who may take a request depends only on its organization, language and state: rank
            // the roster once per kind of request, not once per request, so a long queue costs
            // a walk of the queue and not a ranking of the roster for each person in it.
            let request = open.request;
            let roster = &self.roster;
            let pool = pools
                .entry((request.org, request.language, request.state))
                .or_insert_with(|| Pool::new(roster.ranked_for(&request, now, &self.settings), roster, &ringing));
            // Another kind's request in this pass may have taken an attorney's last room.
            let has_room = |a: &&AccountId| ringing.get(*a).copied().unwrap_or(0) < room(roster, **a);
            let mut fresh: Vec<AccountId> = pool
                .free
                .iter()
                .filter(|a| !offers.contains_key(a) && !open.passed.contains_key(a))
                .filter(has_room)
                .take(wanted)
                .copied()
                .collect();
            let round_over = open.last_pass_us.is_none_or(|at| now >= at.saturating_add(timeout));
            let all_passed = || pool.eligible.iter().all(|a| open.passed.contains_key(a));
            if fresh.is_empty() && offers.is_empty() && !pool.eligible.is_empty() && round_over && all_passed() {
                // Everyone who could take it has passed, and a pause has gone by so a decline is
                // not answered by the same ring a moment later: start over with everyone. Only
                // once someone can be rung: with all of them ringing for others, the passes stand
                // until one is free (clearing them now would let a decline made meanwhile be
                // answered at once).
                fresh = pool.free.iter().filter(has_room).take(wanted).copied().collect();
                if !fresh.is_empty() {
                    open.passed.clear();
                }
            }
            for attorney in fresh {
                let expires_at_us = now.saturating_add(timeout);
                offers.insert(attorney, expires_at_us);
                out.push(Effect::Offer {
                    attorney,
                    encounter,
                    expires_at_us,
                });
                let held = ringing.entry(attorney).or_default();
                *held += 1;
                if *held >= room(roster, attorney) {
                    pool.free.retain(|a| *a != attorney);
                }
            }
            if !offers.is_empty() {
                open.stage = Stage::Offering { offers };
            } else if !matches!(open.stage, Stage::Queued { .. }) {
                open.stage = Stage::Queued { position: 0 };
                // Queued because everyone who could take it is ringing for someone who asked
                // earlier is not a gap: it is next in line, and rings as soon as one is free.
                if pool.eligible.is_empty() {
                    gaps.push((encounter, GapReason::NobodyAvailable));
                } else if pool.eligible.iter().all(|a| open.passed.contains_key(a)) {
                    gaps.push((encounter, GapReason::NobodyAnswered));
                }
            }
        }
        gaps
    }

    /// How many requests ring each attorney now.
    fn offers_held(&self) -> BTreeMap<AccountId, u32> {
        let mut held: BTreeMap<AccountId, u32> = BTreeMap::new();
        for open in self.waiting.iter().filter_map(|(_, e)| self.requests.get(e)) {
            if let Stage::Offering { offers } = &open.stage {
                for attorney in offers.keys() {
                    *held.entry(*attorney).or_default() += 1;
                }
            }
        }
        held
    }

    /// Numbers each organization's waiting requests 1, 2, … oldest first, and tells each person
    /// whose place is new or changed.
    fn renumber_queue(&mut self, out: &mut Vec<Effect>) {
        let mut next: BTreeMap<OrgId, u32> = BTreeMap::new();
        for encounter in self.fifo() {
            let Some(open) = self.requests.get_mut(&encounter) else {
                continue;
            };
            let Stage::Queued { position } = &mut open.stage else {
                continue;
            };
            let place = next.entry(open.request.org).or_insert(0);
            *place += 1;
            if *position == 0 {
                out.push(Effect::Queued {
                    encounter,
                    position: *place,
                });
            } else if *position != *place {
                out.push(Effect::QueuePositionChanged {
                    encounter,
                    position: *place,
                });
            }
            *position = *place;
        }
    }
}

/// The attorneys who may take one kind of request in this pass: all of them, best first, and
/// those who may still be rung (their offers fewer than their free capacity).
struct Pool {
    eligible: Vec<AccountId>,
    free: Vec<AccountId>,
}

impl Pool {
    fn new(eligible: Vec<AccountId>, roster: &Roster, ringing: &BTreeMap<AccountId, u32>) -> Self {
        let free = eligible
            .iter()
            .filter(|a| ringing.get(a).copied().unwrap_or(0) < room(roster, **a))
            .copied()
            .collect();
        Self { eligible, free }
    }
}

/// Calls the attorney may still take: their capacity less the calls they hold.
fn room(roster: &Roster, attorney: AccountId) -> u32 {
    roster.get(attorney).map_or(0, |lawyer| {
        let calls = u32::try_from(lawyer.calls.len()).unwrap_or(u32::MAX);
        lawyer.profile.capacity.saturating_sub(calls)
    })
}
