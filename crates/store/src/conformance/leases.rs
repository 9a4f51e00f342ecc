//! Leases: one hold per name at a time, given up when dropped, with the last holder's note.

use super::{fresh_name, ok};
use crate::{LeaseHold, Store};
use std::time::Duration;

/// How long giving a lease up may take to be seen (PostgreSQL: the keeper's unlock, a round trip).
const GIVE_UP_WITHIN: Duration = Duration::from_secs(5);

/// A lease is held once; another name is another lease; the holder's note names the last taker;
/// a hold stays held past its backend's health checks; a dropped hold frees the name.
pub async fn leases_are_held_once_and_given_up_on_drop(store: &dyn Store) {
    let name = fresh_name("lease");
    let first = ok(store.acquire_lease(&name, "http://node-a").await, "acquire_lease")
        .unwrap_or_else(|| panic!("a lease nobody holds ({name}) is taken"));
    assert_eq!(first.name(), name);
    assert!(!first.is_lost(), "a fresh hold is not lost");
    let again = ok(store.acquire_lease(&name, "http://node-b").await, "acquire_lease");
    assert!(again.is_none(), "a held lease is taken a second time: {again:?}");
    let other = ok(
        store.acquire_lease(&fresh_name("lease"), "http://node-b").await,
        "acquire_lease",
    );
    assert!(other.is_some(), "another name is another lease");
    let holder = ok(store.lease_holder(&name).await, "lease_holder");
    assert_eq!(holder.as_deref(), Some("http://node-a"));
    let never = ok(store.lease_holder(&fresh_name("never")).await, "lease_holder");
    assert_eq!(never, None, "a lease nobody took has no holder");

    // Past a health check or two (PostgreSQL checks every second), the hold is still held.
    let stayed = tokio::time::timeout(Duration::from_millis(2_500), first.lost()).await;
    assert!(stayed.is_err(), "a healthy hold reported itself lost");

    drop(first);
    let second = take_within(store, &name, "http://node-b", GIVE_UP_WITHIN).await;
    assert!(!second.is_lost());
    let holder = ok(store.lease_holder(&name).await, "lease_holder");
    assert_eq!(
        holder.as_deref(),
        Some("http://node-b"),
        "the note names the last taker"
    );
}

/// Tries to take the lease until it is free, for at most `within`.
pub async fn take_within(store: &dyn Store, name: &str, holder: &str, within: Duration) -> LeaseHold {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if let Some(hold) = ok(store.acquire_lease(name, holder).await, "acquire_lease") {
            return hold;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the lease {name} was not free again within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
