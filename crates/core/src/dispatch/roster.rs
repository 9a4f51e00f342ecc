//! Who is on duty, whether their app is still there, and which calls they hold: everything that
//! decides whether one attorney may be offered one request, and who rings first.

use super::event::{Request, WithdrawReason};
use super::policy::DispatchSettings;
use super::profile::AttorneyProfile;
use crate::ids::{AccountId, EncounterId};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// One attorney the dispatcher knows: on duty, or off duty with calls still going.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Attorney {
    pub(crate) profile: AttorneyProfile,
    /// Their own choice. Presence is separate: a sleeping laptop makes them away without
    /// changing what they chose, so waking it brings them back without a click.
    pub(crate) on_duty: bool,
    pub(crate) last_heartbeat_us: i64,
    /// When they last became free: coming on duty, or the end of their last call. The longest
    /// idle ring first, so calls are shared out.
    pub(crate) idle_since_us: i64,
    pub(crate) calls: BTreeSet<EncounterId>,
}

impl Attorney {
    /// Whether their heartbeat is recent enough at `now`.
    pub(crate) fn is_present(&self, now: i64, settings: &DispatchSettings) -> bool {
        now.saturating_sub(self.last_heartbeat_us) < settings.heartbeat_timeout_us
    }

    /// Whether one more call fits their capacity. Offers do not count: see the module docs.
    pub(crate) fn has_room(&self) -> bool {
        (self.calls.len() as u64) < u64::from(self.profile.capacity)
    }

    /// `Ok` if they may be offered `request` at `now`; otherwise why not, as the reason an offer
    /// they hold is withdrawn.
    pub(crate) fn check(&self, request: &Request, now: i64, settings: &DispatchSettings) -> Result<(), WithdrawReason> {
        if !self.on_duty {
            return Err(WithdrawReason::OffDuty);
        }
        if !self.is_present(now, settings) {
            return Err(WithdrawReason::Away);
        }
        let profile = &self.profile;
        let policy = settings.state_policies.for_org(request.org);
        if !profile.vetted
            || profile.org != request.org
            || !profile.languages.contains(&request.language)
            || !policy.admits(&profile.bar_admissions, request.state)
        {
            return Err(WithdrawReason::NoLongerEligible);
        }
        if !self.has_room() {
            return Err(WithdrawReason::AtCapacity);
        }
        Ok(())
    }
}

/// Every attorney the dispatcher knows, by account, and the same attorneys best first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "Attorneys", into = "Attorneys")]
pub(crate) struct Roster {
    pub(crate) attorneys: Attorneys,
    /// Every attorney above by [`Rank`], kept as calls start and end and attorneys come and go,
    /// so that finding the best few for a request walks from the front and stops, instead of
    /// sorting the whole roster for every request (at 1,000 on duty that sort was most of a
    /// decision). Derived from `attorneys`: not serialized, rebuilt when read back.
    by_rank: BTreeSet<Rank>,
}

pub(crate) type Attorneys = BTreeMap<AccountId, Attorney>;

/// Who rings first: fewest calls, then longest idle (since their last call ended or they came on
/// duty), then account id, so the order never depends on anything but the state.
type Rank = (usize, i64, AccountId);

fn rank(id: AccountId, attorney: &Attorney) -> Rank {
    (attorney.calls.len(), attorney.idle_since_us, id)
}

impl From<Attorneys> for Roster {
    fn from(attorneys: Attorneys) -> Self {
        let by_rank = attorneys.iter().map(|(id, attorney)| rank(*id, attorney)).collect();
        Self { attorneys, by_rank }
    }
}

impl From<Roster> for Attorneys {
    fn from(roster: Roster) -> Self {
        roster.attorneys
    }
}

impl Roster {
    pub(crate) fn get(&self, id: AccountId) -> Option<&Attorney> {
        self.attorneys.get(&id)
    }

    pub(crate) fn on_duty(&mut self, id: AccountId, profile: AttorneyProfile, now: i64) {
        self.rerank(id, |attorney| {
            let attorney = attorney.get_or_insert_with(|| Attorney {
                profile: profile.clone(),
                on_duty: false,
                last_heartbeat_us: now,
                idle_since_us: now,
                calls: BTreeSet::new(),
            });
            // Coming back on duty with no call restarts the idle clock; an attorney already on
            // duty who sends their profile again keeps their place.
            if !attorney.on_duty && attorney.calls.is_empty() {
                attorney.idle_since_us = now;
            }
            attorney.on_duty = true;
            attorney.profile = profile;
            attorney.last_heartbeat_us = now;
        });
    }

    pub(crate) fn off_duty(&mut self, id: AccountId) {
        if let Some(attorney) = self.attorneys.get_mut(&id) {
            attorney.on_duty = false;
        }
        self.forget_if_done(id);
    }

    pub(crate) fn heartbeat(&mut self, id: AccountId, now: i64) {
        if let Some(attorney) = self.attorneys.get_mut(&id).filter(|a| a.on_duty) {
            attorney.last_heartbeat_us = now;
        }
    }

    /// Records an accepted call. The caller checked [`Attorney::has_room`].
    pub(crate) fn start_call(&mut self, id: AccountId, encounter: EncounterId) {
        self.rerank(id, |attorney| {
            if let Some(attorney) = attorney {
                attorney.calls.insert(encounter);
            }
        });
    }

    pub(crate) fn end_call(&mut self, id: AccountId, encounter: EncounterId, now: i64) {
        self.rerank(id, |attorney| {
            if let Some(attorney) = attorney {
                attorney.calls.remove(&encounter);
                if attorney.calls.is_empty() {
                    attorney.idle_since_us = now;
                }
            }
        });
        self.forget_if_done(id);
    }

    /// Changes one attorney (`None`: not known yet) and moves them to their new place in
    /// `by_rank`: every change to what [`Rank`] is made of goes through here.
    fn rerank(&mut self, id: AccountId, change: impl FnOnce(&mut Option<Attorney>)) {
        let mut attorney = self.attorneys.remove(&id);
        if let Some(before) = &attorney {
            self.by_rank.remove(&rank(id, before));
        }
        change(&mut attorney);
        if let Some(after) = attorney {
            self.by_rank.insert(rank(id, &after));
            self.attorneys.insert(id, after);
        }
    }

    /// An attorney off duty with no calls has nothing left to count; dropping them keeps the
    /// state (and what a server persists) the size of who is working.
    fn forget_if_done(&mut self, id: AccountId) {
        if let Some(attorney) = self.attorneys.get(&id).filter(|a| !a.on_duty && a.calls.is_empty()) {
            self.by_rank.remove(&rank(id, attorney));
            self.attorneys.remove(&id);
        }
    }

    /// The attorneys who may be offered `request` at `now`, best first (by [`Rank`]), found as
    /// they are asked for: taking the best three from a roster of a thousand looks at a few,
    /// not at all of them.
    pub(crate) fn ranked_for<'a>(
        &'a self,
        request: Request,
        now: i64,
        settings: &'a DispatchSettings,
    ) -> impl Iterator<Item = AccountId> + 'a {
        self.by_rank.iter().map(|(_, _, id)| *id).filter(move |id| {
            self.attorneys
                .get(id)
                .is_some_and(|attorney| attorney.check(&request, now, settings).is_ok())
        })
    }
}
