//! Offers with expiry: who is being asked to take one request, and until when. Shared by the
//! attorney dispatcher (this module's parent) and the legal-observer dispatcher
//! (`crate::observers`), whose offers follow the same two rules: an offer lapses at its time
//! (and the person has passed on it), and the first to accept wins, the others' offers being
//! withdrawn in the same step.

use crate::ids::AccountId;
use std::collections::BTreeMap;

/// The offers ringing for one request: each person asked, and when their offer lapses
/// (microseconds since the Unix epoch).
pub type Offers = BTreeMap<AccountId, i64>;

/// Removes the offers whose time ran out at `now` (lapsing at or before it) and returns who
/// held them, in account order. Costs one look when nothing lapsed, which is most events.
pub fn take_expired(offers: &mut Offers, now: i64) -> Vec<AccountId> {
    if offers.values().all(|at| *at > now) {
        return Vec::new();
    }
    let expired: Vec<AccountId> = offers.iter().filter(|(_, at)| **at <= now).map(|(a, _)| *a).collect();
    for account in &expired {
        offers.remove(account);
    }
    expired
}

/// First accept wins: everyone else who was offered the request, in account order, whose offers
/// are withdrawn at once.
pub fn others(offers: Offers, winner: AccountId) -> impl Iterator<Item = AccountId> {
    offers.into_keys().filter(move |other| *other != winner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn who(n: u128) -> AccountId {
        AccountId(Uuid::from_u128(n))
    }

    #[test]
    fn only_offers_at_or_past_their_time_expire() {
        let mut offers = Offers::from([(who(1), 10), (who(2), 20), (who(3), 30)]);
        assert!(take_expired(&mut offers, 9).is_empty());
        assert_eq!(take_expired(&mut offers, 20), vec![who(1), who(2)]);
        assert_eq!(offers.keys().copied().collect::<Vec<_>>(), vec![who(3)]);
    }

    #[test]
    fn the_winner_is_not_among_the_others() {
        let offers = Offers::from([(who(1), 10), (who(2), 20), (who(3), 30)]);
        assert_eq!(others(offers, who(2)).collect::<Vec<_>>(), vec![who(1), who(3)]);
    }
}
