//! Households: invitations, the one-household rule, the six-seat limit under a race, the period.

use super::{DAY, T0, account, conflict, not_found, ok};
use crate::{
    Account, HOUSEHOLD_SEATS, Household, HouseholdId, Invitation, JoinRefusal, Left, NewHousehold, PlanPeriod, Store,
};
use amparo_core::ids::AccountId;
use amparo_core::leaf::sha256;

fn period() -> PlanPeriod {
    PlanPeriod {
        starts_at_us: T0,
        ends_at_us: None,
        grace_days: 0,
    }
}

async fn household_owned_by(store: &dyn Store, owner: &Account) -> Household {
    let new = NewHousehold {
        id: HouseholdId::new(),
        owner: owner.id,
        created_at_us: T0,
        period: period(),
    };
    ok(store.create_household(&new).await, "create_household")
}

/// Stores an invitation into `household` that expires a day after T0; returns its code's hash.
async fn invite(store: &dyn Store, household: &Household) -> [u8; 32] {
    let invitation = Invitation {
        code_sha256: sha256(AccountId::new().as_bytes()),
        household: household.id,
        created_by: household.owner,
        created_at_us: T0,
        expires_at_us: T0 + DAY,
    };
    ok(store.create_invitation(&invitation).await, "create_invitation");
    invitation.code_sha256
}

/// Accepts at T0, expecting it to work.
async fn join(store: &dyn Store, code: &[u8; 32], who: &Account) -> Household {
    let result = ok(store.accept_invitation(code, who.id, T0).await, "accept_invitation");
    result.unwrap_or_else(|refusal| panic!("accept_invitation by {}: refused with {refusal:?}", who.username))
}

async fn refused(store: &dyn Store, code: &[u8; 32], who: &Account, now_us: i64) -> JoinRefusal {
    match ok(store.accept_invitation(code, who.id, now_us).await, "accept_invitation") {
        Ok(household) => panic!(
            "accept_invitation by {}: expected a refusal, joined {household:?}",
            who.username
        ),
        Err(refusal) => refusal,
    }
}

fn members(household: &Household) -> Vec<AccountId> {
    household.members.iter().map(|m| m.account).collect()
}

/// The whole life of a household: create, invite, accept, remove, leave, close.
pub async fn households_invite_accept_remove_and_leave(store: &dyn Store) {
    let owner = account(store, "owner").await;
    let created = household_owned_by(store, &owner).await;
    assert_eq!(members(&created), [owner.id], "the owner is the first member");
    assert_eq!(
        created.members[0].username, owner.username,
        "members come with usernames"
    );
    assert_eq!(created.seats_left(), HOUSEHOLD_SEATS - 1);
    assert_eq!(
        ok(store.household(created.id).await, "household"),
        Some(created.clone())
    );
    assert_eq!(
        ok(store.household_of(owner.id).await, "household_of"),
        Some(created.clone())
    );

    let (ana, ben) = (account(store, "ana").await, account(store, "ben").await);
    let joined = join(store, &invite(store, &created).await, &ana).await;
    assert_eq!(members(&joined), [owner.id, ana.id], "members in the order they joined");
    assert_eq!(
        ok(store.household_of(ana.id).await, "household_of(member)"),
        Some(joined)
    );
    let ben_code = invite(store, &created).await;
    join(store, &ben_code, &ben).await;

    conflict(store.remove_member(created.id, owner.id).await, "remove_member(owner)");
    let after = ok(store.remove_member(created.id, ana.id).await, "remove_member");
    assert_eq!(members(&after), [owner.id, ben.id]);
    assert_eq!(ok(store.household_of(ana.id).await, "household_of(removed)"), None);
    not_found(store.remove_member(created.id, ana.id).await, "remove_member twice");
    not_found(
        store.remove_member(HouseholdId::new(), ben.id).await,
        "remove_member(unknown household)",
    );

    conflict(
        store.leave_household(owner.id).await,
        "leave_household(owner, others remain)",
    );
    assert_eq!(
        ok(store.leave_household(ben.id).await, "leave_household(member)"),
        Left::Member
    );
    not_found(store.leave_household(ben.id).await, "leave_household twice");
    assert_eq!(ok(store.household_of(ben.id).await, "household_of(left)"), None);

    let pending = invite(store, &created).await;
    let closed = ok(store.leave_household(owner.id).await, "leave_household(owner alone)");
    assert_eq!(closed, Left::Closed, "the last person leaving closes the household");
    assert_eq!(ok(store.household(created.id).await, "household(closed)"), None);
    assert_eq!(ok(store.household_of(owner.id).await, "household_of(closed)"), None);
    let late = refused(store, &pending, &ana, T0).await;
    assert_eq!(
        late,
        JoinRefusal::InvalidCode,
        "a closed household's invitations are gone"
    );
    household_owned_by(store, &owner).await;
}

/// A code works once, and only before it expires; unknown, used and expired look the same.
pub async fn invitations_expire_and_are_used_once(store: &dyn Store) {
    let owner = account(store, "owner").await;
    let household = household_owned_by(store, &owner).await;
    let (ana, ben) = (account(store, "ana").await, account(store, "ben").await);

    let code = invite(store, &household).await;
    let at_expiry = refused(store, &code, &ana, T0 + DAY).await;
    assert_eq!(
        at_expiry,
        JoinRefusal::InvalidCode,
        "a code is over at its expires_at_us"
    );
    let joined = ok(store.accept_invitation(&code, ana.id, T0 + DAY - 1).await, "accept");
    assert!(
        joined.is_ok(),
        "a code works until one microsecond before expiry: {joined:?}"
    );
    assert_eq!(refused(store, &code, &ben, T0).await, JoinRefusal::InvalidCode, "used");
    let unknown = sha256(b"never issued");
    assert_eq!(refused(store, &unknown, &ben, T0).await, JoinRefusal::InvalidCode);

    let stored = invite(store, &household).await;
    let again = Invitation {
        code_sha256: stored,
        household: household.id,
        created_by: owner.id,
        created_at_us: T0,
        expires_at_us: T0 + DAY,
    };
    conflict(
        store.create_invitation(&again).await,
        "create_invitation with a stored hash",
    );
    let nowhere = Invitation {
        household: HouseholdId::new(),
        code_sha256: sha256(AccountId::new().as_bytes()),
        ..again
    };
    not_found(
        store.create_invitation(&nowhere).await,
        "create_invitation(unknown household)",
    );
}

/// An account belongs to one household; a refusal for that reason leaves the code usable.
pub async fn an_account_belongs_to_one_household(store: &dyn Store) {
    let (first, second) = (account(store, "first").await, account(store, "second").await);
    let one = household_owned_by(store, &first).await;
    let two = household_owned_by(store, &second).await;
    let again = NewHousehold {
        id: HouseholdId::new(),
        owner: first.id,
        created_at_us: T0,
        period: period(),
    };
    conflict(store.create_household(&again).await, "create_household by an owner");
    assert_eq!(ok(store.household(again.id).await, "household"), None, "nothing stored");

    let code = invite(store, &one).await;
    let owner_elsewhere = refused(store, &code, &second, T0).await;
    assert_eq!(owner_elsewhere, JoinRefusal::AlreadyInHousehold);
    assert_eq!(refused(store, &code, &first, T0).await, JoinRefusal::AlreadyInHousehold);
    let ana = account(store, "ana").await;
    join(store, &code, &ana).await;
    let member_elsewhere = refused(store, &invite(store, &two).await, &ana, T0).await;
    assert_eq!(member_elsewhere, JoinRefusal::AlreadyInHousehold);
    let by_member = NewHousehold { owner: ana.id, ..again };
    conflict(store.create_household(&by_member).await, "create_household by a member");
    let stranger = NewHousehold {
        owner: AccountId::new(),
        id: HouseholdId::new(),
        ..by_member
    };
    not_found(
        store.create_household(&stranger).await,
        "create_household(unknown owner)",
    );
}

/// Five people present, six valid codes accepted at once: exactly one gets the last seat.
pub async fn the_last_seat_is_filled_once_under_a_race(store: &dyn Store) {
    let owner = account(store, "owner").await;
    let household = household_owned_by(store, &owner).await;
    for i in 0..HOUSEHOLD_SEATS - 2 {
        let member = account(store, &format!("member{i}")).await;
        join(store, &invite(store, &household).await, &member).await;
    }
    let mut racers = Vec::new();
    for i in 0..6 {
        racers.push((
            account(store, &format!("racer{i}")).await,
            invite(store, &household).await,
        ));
    }
    let accept = |i: usize| store.accept_invitation(&racers[i].1, racers[i].0.id, T0);
    let outcomes = tokio::join!(accept(0), accept(1), accept(2), accept(3), accept(4), accept(5));
    let outcomes = [outcomes.0, outcomes.1, outcomes.2, outcomes.3, outcomes.4, outcomes.5]
        .map(|outcome| ok(outcome, "accept_invitation in the race"));
    let winners = outcomes.iter().filter(|o| o.is_ok()).count();
    let full = outcomes.iter().filter(|o| **o == Err(JoinRefusal::Full)).count();
    let seen: Vec<_> = outcomes.iter().map(|o| o.as_ref().map(|h| h.members.len())).collect();
    assert_eq!(
        (winners, full),
        (1, 5),
        "one winner, five told it is full (Ok: people after): {seen:?}"
    );
    let after = ok(store.household(household.id).await, "household").expect("the household");
    assert_eq!(after.members.len(), HOUSEHOLD_SEATS, "exactly six people");
    assert_eq!(after.seats_left(), 0);

    // The losers' codes were not used up: one works once a seat frees.
    let loser = outcomes.iter().position(|o| o.is_err()).expect("a loser");
    let gone = after.members[1].account;
    ok(store.remove_member(household.id, gone).await, "remove_member");
    join(store, &racers[loser].1, &racers[loser].0).await;
}

/// The plan's period is set by an admin and read back with the household.
pub async fn plan_periods_are_stored(store: &dyn Store) {
    let owner = account(store, "owner").await;
    let household = household_owned_by(store, &owner).await;
    assert_eq!(household.period, period());
    let set = PlanPeriod {
        starts_at_us: T0 - DAY,
        ends_at_us: Some(T0 + 365 * DAY),
        grace_days: 14,
    };
    let updated = ok(store.set_plan_period(household.id, &set).await, "set_plan_period");
    assert_eq!(updated.period, set);
    assert_eq!(updated.members, household.members, "the members are untouched");
    let read = ok(store.household_of(owner.id).await, "household_of").map(|h| h.period);
    assert_eq!(read, Some(set.clone()));
    let open = PlanPeriod {
        ends_at_us: None,
        ..set.clone()
    };
    let reopened = ok(
        store.set_plan_period(household.id, &open).await,
        "set_plan_period(open)",
    );
    assert_eq!(reopened.period, open, "an end can be cleared");
    not_found(
        store.set_plan_period(HouseholdId::new(), &set).await,
        "set_plan_period(unknown household)",
    );
}
