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

    /// Tops every request up to the ring count from the best attorneys who have not passed on
    /// it, and starts a new round for a request everyone has passed on once it has waited an
    /// offer timeout. Returns the requests that joined the queue, and why.
    fn fill(&mut self, now: i64, out: &mut Vec<Effect>) -> Vec<(EncounterId, GapReason)> {
        let ring = self.settings.ring_count.get();
        let timeout = self.settings.offer_timeout_us;
        let mut gaps = Vec::new();
        let mut ringing = self.offers_held();
        let roster = &self.roster;
        let settings = &self.settings;
        let mut pools: BTreeMap<(OrgId, Language, UsState), Pool<'_>> = BTreeMap::new();
        // Oldest first: the queue's order is the order in which requests pick attorneys.
        for (_, encounter) in &self.waiting {
            let encounter = *encounter;
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
            // Who may take a request depends only on its organization, language and state: one
            // pool per kind of request in this pass, so a long queue costs a walk of the queue
            // and not a walk of the roster for each person in it.
            let request = open.request;
            let pool = pools
                .entry((request.org, request.language, request.state))
                .or_insert_with(|| Pool::new(Box::new(roster.ranked_for(request, now, settings))));
            let has_room = |a: AccountId| ringing.get(&a).copied().unwrap_or(0) < room(roster, a);
            let mut fresh = pool.pick(
                wanted,
                |a| offers.contains_key(&a) || open.passed.contains_key(&a),
                has_room,
            );
            let round_over = open.last_pass_us.is_none_or(|at| now >= at.saturating_add(timeout));
            if fresh.is_empty() && offers.is_empty() && round_over && pool.all_passed(&open.passed) {
                // Everyone who could take it has passed, and a pause has gone by so a decline is
                // not answered by the same ring a moment later: start over with everyone. Only
                // once someone can be rung: with all of them ringing for others, the passes stand
                // until one is free (clearing them now would let a decline made meanwhile be
                // answered at once).
                fresh = pool.pick(wanted, |_| false, has_room);
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
                *ringing.entry(attorney).or_default() += 1;
            }
            if !offers.is_empty() {
                open.stage = Stage::Offering { offers };
            } else if !matches!(open.stage, Stage::Queued { .. }) {
                open.stage = Stage::Queued { position: 0 };
                // Queued because everyone who could take it is ringing for someone who asked
                // earlier is not a gap: it is next in line, and rings as soon as one is free.
                if pool.is_empty() {
                    gaps.push((encounter, GapReason::NobodyAvailable));
                } else if pool.all_passed(&open.passed) {
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
        for (_, encounter) in &self.waiting {
            let encounter = *encounter;
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

/// The attorneys who may take one kind of request in this pass, drawn best first from the
/// roster's ranking only as far as the requests of this kind need to look.
struct Pool<'r> {
    ranked: Box<dyn Iterator<Item = AccountId> + 'r>,
    /// Everyone drawn so far, best first; `ranked` holds the rest.
    eligible: Vec<AccountId>,
    /// Those of `eligible` who were not found ringing as often as they have room for. Offers
    /// only grow during a pass, so whoever is found full is dropped for good and the next
    /// request of this kind does not look at them again.
    free: Vec<AccountId>,
}

impl<'r> Pool<'r> {
    fn new(ranked: Box<dyn Iterator<Item = AccountId> + 'r>) -> Self {
        Self {
            ranked,
            eligible: Vec::new(),
            free: Vec::new(),
        }
    }

    /// The next attorney from the ranking, now counted as drawn.
    fn draw(&mut self) -> Option<AccountId> {
        let next = self.ranked.next()?;
        self.eligible.push(next);
        self.free.push(next);
        Some(next)
    }

    /// Up to `wanted` attorneys, best first, who have room to ring and are not `skipped`.
    fn pick(
        &mut self,
        wanted: usize,
        skipped: impl Fn(AccountId) -> bool,
        has_room: impl Fn(AccountId) -> bool,
    ) -> Vec<AccountId> {
        let mut picked = Vec::new();
        let mut at = 0;
        while picked.len() < wanted {
            let Some(attorney) = self.free.get(at).copied().or_else(|| self.draw()) else {
                break;
            };
            if !has_room(attorney) {
                self.free.remove(at);
                continue;
            }
            if !skipped(attorney) {
                picked.push(attorney);
            }
            at += 1;
        }
        picked
    }

    /// Nobody at all may take this kind of request.
    fn is_empty(&mut self) -> bool {
        self.eligible.is_empty() && self.draw().is_none()
    }

    /// Everyone who may take this kind of request has passed on it (and someone may).
    fn all_passed(&mut self, passed: &BTreeMap<AccountId, Pass>) -> bool {
        if self.is_empty() {
            return false;
        }
        if !self.eligible.iter().all(|a| passed.contains_key(a)) {
            return false;
        }
        // Draw only until someone has not passed: for a request nobody has passed on, one.
        while let Some(next) = self.draw() {
            if !passed.contains_key(&next) {
                return false;
            }
        }
        true
    }
}

/// Calls the attorney may still take: their capacity less the calls they hold.
fn room(roster: &Roster, attorney: AccountId) -> u32 {
    roster.get(attorney).map_or(0, |lawyer| {
        let calls = u32::try_from(lawyer.calls.len()).unwrap_or(u32::MAX);
        lawyer.profile.capacity.saturating_sub(calls)
    })
}
