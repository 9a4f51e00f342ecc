//! Web Push subscriptions (issue 5): saved by endpoint, moved between accounts, deleted only by
//! their own account, and capped per account.

use super::{T0, account, conflict, fresh_name, not_found, ok};
use crate::{PushSubscription, Store};
use amparo_core::ids::AccountId;

fn subscription(account: AccountId, at_us: i64, seed: u8) -> PushSubscription {
    let mut p256dh = [seed; 65];
    p256dh[0] = 4;
    PushSubscription {
        endpoint: format!("https://push.example.org/wpush/{}", fresh_name("ep")),
        account,
        p256dh,
        auth: [seed; 16],
        language: "es".into(),
        created_at_us: at_us,
    }
}

pub async fn push_subscriptions_save_move_and_delete(store: &dyn Store) {
    let ana = account(store, "push_ana").await;
    let ben = account(store, "push_ben").await;
    let first = subscription(ana.id, T0, 1);
    let second = subscription(ana.id, T0 + 1, 2);
    ok(store.save_push_subscription(&second, 10).await, "save second");
    ok(store.save_push_subscription(&first, 10).await, "save first");
    let listed = ok(store.push_subscriptions_of(ana.id).await, "list");
    assert_eq!(
        listed,
        vec![first.clone(), second.clone()],
        "oldest first, every field kept"
    );

    // Subscribing again (new keys, new language) replaces the row.
    let renewed = PushSubscription {
        p256dh: [4; 65],
        auth: [9; 16],
        language: "en".into(),
        created_at_us: T0 + 5,
        ..first.clone()
    };
    ok(store.save_push_subscription(&renewed, 10).await, "save again");
    let listed = ok(store.push_subscriptions_of(ana.id).await, "list after renewal");
    assert_eq!(listed, vec![second.clone(), renewed.clone()], "replaced, not added");

    // The same browser signed in to another account: the endpoint moves.
    let moved = PushSubscription {
        account: ben.id,
        ..renewed.clone()
    };
    ok(
        store.save_push_subscription(&moved, 10).await,
        "save for another account",
    );
    assert_eq!(
        ok(store.push_subscriptions_of(ana.id).await, "ana's"),
        vec![second.clone()]
    );
    assert_eq!(
        ok(store.push_subscriptions_of(ben.id).await, "ben's"),
        vec![moved.clone()]
    );

    // Only the owner deletes.
    assert!(!ok(
        store.delete_push_subscription(ana.id, &moved.endpoint).await,
        "delete another's"
    ));
    assert_eq!(ok(store.push_subscriptions_of(ben.id).await, "ben's kept").len(), 1);
    assert!(ok(
        store.delete_push_subscription(ben.id, &moved.endpoint).await,
        "delete own"
    ));
    assert!(!ok(
        store.delete_push_subscription(ben.id, &moved.endpoint).await,
        "delete twice"
    ));
    assert!(ok(store.push_subscriptions_of(ben.id).await, "ben's gone").is_empty());
    assert!(!ok(
        store
            .delete_push_subscription(ana.id, "https://push.example.org/none")
            .await,
        "unknown"
    ));

    let stranger = subscription(AccountId::new(), T0, 3);
    not_found(
        store.save_push_subscription(&stranger, 10).await,
        "save for an unknown account",
    );
}

pub async fn push_subscriptions_are_capped_per_account(store: &dyn Store) {
    let ana = account(store, "push_cap").await;
    let saved: Vec<_> = (0..3u8).map(|i| subscription(ana.id, T0 + i64::from(i), i)).collect();
    for s in &saved {
        ok(store.save_push_subscription(s, 3).await, "save under the cap");
    }
    conflict(
        store.save_push_subscription(&subscription(ana.id, T0 + 9, 7), 3).await,
        "a fourth subscription with a cap of three",
    );
    // Renewing one the account holds is not a new one.
    ok(store.save_push_subscription(&saved[1], 3).await, "renew at the cap");
    assert_eq!(ok(store.push_subscriptions_of(ana.id).await, "list").len(), 3);
    // Nor does another account's cap stop a browser moving away from it.
    let ben = account(store, "push_cap_ben").await;
    let moved = PushSubscription {
        account: ben.id,
        ..saved[0].clone()
    };
    ok(store.save_push_subscription(&moved, 3).await, "move to another account");
    ok(
        store.save_push_subscription(&subscription(ana.id, T0 + 10, 8), 3).await,
        "a seat freed by the move",
    );
}
