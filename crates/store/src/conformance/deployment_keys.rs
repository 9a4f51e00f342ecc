//! The deployment's shared keys: the first fingerprint recorded for a name is kept.

use super::{fresh_name, ok};
use crate::Store;

/// Nothing is recorded for a name until a node claims it; the first claim is kept and returned to
/// every later claim, whatever that one brings; names are independent; racing claims agree.
pub async fn deployment_keys_keep_the_first_fingerprint(store: &dyn Store) {
    let name = fresh_name("key");
    let none = ok(store.deployment_key(&name).await, "deployment_key");
    assert_eq!(none, None, "a key nobody recorded has no fingerprint");

    let first = ok(store.claim_deployment_key(&name, "aaaa").await, "claim_deployment_key");
    assert_eq!(first, "aaaa", "the first claim is recorded and returned");
    let again = ok(store.claim_deployment_key(&name, "aaaa").await, "claim_deployment_key");
    assert_eq!(again, "aaaa", "claiming the same fingerprint again changes nothing");
    let other = ok(store.claim_deployment_key(&name, "bbbb").await, "claim_deployment_key");
    assert_eq!(
        other, "aaaa",
        "a later claim is answered with the fingerprint recorded first"
    );
    let read = ok(store.deployment_key(&name).await, "deployment_key");
    assert_eq!(
        read.as_deref(),
        Some("aaaa"),
        "a different claim never replaces the first"
    );

    let second_name = fresh_name("key");
    let second = ok(
        store.claim_deployment_key(&second_name, "cccc").await,
        "claim_deployment_key",
    );
    assert_eq!(second, "cccc", "another name is another key");

    // Two nodes starting at once with different keys: both are told the same winner.
    let raced = fresh_name("key");
    let (a, b) = tokio::join!(
        store.claim_deployment_key(&raced, "node-a"),
        store.claim_deployment_key(&raced, "node-b"),
    );
    let (a, b) = (ok(a, "claim_deployment_key"), ok(b, "claim_deployment_key"));
    assert_eq!(a, b, "racing claims are told different fingerprints");
    assert!(a == "node-a" || a == "node-b", "the winner is one of the claims: {a}");
}
