//! Accounts, roles and sessions.

use super::{DAY, T0, account, conflict, fresh_name, new_account, not_found, ok};
use crate::{Account, Session, Store};
use amparo_core::ids::AccountId;
use amparo_core::leaf::sha256;
use amparo_core::roles::Role;

/// A session token's SHA-256 that no other check uses.
fn fresh_token() -> [u8; 32] {
    sha256(AccountId::new().as_bytes())
}

/// Usernames are unique ignoring case, keep the case they were given, and log in in any case.
pub async fn usernames_are_unique_case_insensitively(store: &dyn Store) {
    let new = new_account(fresh_name("Ana"));
    let created = ok(store.create_account(&new).await, "create_account");
    let expected = Account {
        id: new.id,
        username: new.username.clone(),
        roles: vec![Role::Member],
        created_at_us: new.created_at_us,
    };
    assert_eq!(
        created, expected,
        "create_account returns the account with the member role"
    );
    assert_eq!(ok(store.account(new.id).await, "account"), Some(expected.clone()));

    for spelling in [
        new.username.clone(),
        new.username.to_lowercase(),
        new.username.to_uppercase(),
    ] {
        let found = ok(store.account_credentials(&spelling).await, "account_credentials");
        assert_eq!(
            found,
            Some((expected.clone(), new.password_hash.clone())),
            "account_credentials({spelling:?}) finds {:?}",
            new.username
        );
    }

    let mut shouting = new_account(new.username.to_uppercase());
    conflict(
        store.create_account(&shouting).await,
        "create_account with the username in capitals",
    );
    assert_eq!(
        ok(store.account(shouting.id).await, "account"),
        None,
        "a refused account is not stored"
    );

    shouting.id = new.id;
    shouting.username = fresh_name("other");
    conflict(store.create_account(&shouting).await, "create_account with a taken id");
    let stranger = ok(
        store.account_credentials(&shouting.username).await,
        "account_credentials",
    );
    assert_eq!(stranger, None, "a refused account is not stored");

    assert_eq!(ok(store.account(AccountId::new()).await, "account(unknown)"), None);
    let unknown = fresh_name("nobody");
    assert_eq!(
        ok(
            store.account_credentials(&unknown).await,
            "account_credentials(unknown)"
        ),
        None
    );
}

/// Every account is a member; other roles come and go idempotently and stay sorted.
pub async fn roles_always_include_member(store: &dyn Store) {
    let acct = account(store, "roles").await;
    let roles = |account: Account| account.roles;

    let granted = ok(store.grant_role(acct.id, Role::Admin).await, "grant_role(admin)");
    assert_eq!(roles(granted), [Role::Member, Role::Admin]);
    let again = ok(store.grant_role(acct.id, Role::Admin).await, "grant_role(admin) again");
    assert_eq!(
        roles(again),
        [Role::Member, Role::Admin],
        "granting twice is granting once"
    );
    let more = ok(store.grant_role(acct.id, Role::Attorney).await, "grant_role(attorney)");
    assert_eq!(
        roles(more),
        [Role::Member, Role::Attorney, Role::Admin],
        "roles are sorted"
    );
    let member = ok(store.grant_role(acct.id, Role::Member).await, "grant_role(member)");
    assert_eq!(roles(member), [Role::Member, Role::Attorney, Role::Admin]);

    let revoked = ok(store.revoke_role(acct.id, Role::Admin).await, "revoke_role(admin)");
    assert_eq!(roles(revoked), [Role::Member, Role::Attorney]);
    let again = ok(
        store.revoke_role(acct.id, Role::Admin).await,
        "revoke_role(admin) again",
    );
    assert_eq!(
        roles(again),
        [Role::Member, Role::Attorney],
        "revoking twice is revoking once"
    );
    let never = ok(
        store.revoke_role(acct.id, Role::Responder).await,
        "revoke_role(never granted)",
    );
    assert_eq!(roles(never), [Role::Member, Role::Attorney]);

    conflict(store.revoke_role(acct.id, Role::Member).await, "revoke_role(member)");
    let stored = ok(store.account(acct.id).await, "account").map(roles);
    assert_eq!(
        stored,
        Some(vec![Role::Member, Role::Attorney]),
        "the member role stays"
    );
    let login = ok(store.account_credentials(&acct.username).await, "account_credentials");
    assert_eq!(login.map(|(a, _)| a.roles), Some(vec![Role::Member, Role::Attorney]));

    not_found(
        store.grant_role(AccountId::new(), Role::Admin).await,
        "grant_role(unknown account)",
    );
    not_found(
        store.revoke_role(AccountId::new(), Role::Admin).await,
        "revoke_role(unknown account)",
    );
}

/// A session finds its account (with current roles) until it expires or is deleted.
pub async fn sessions_expire_and_can_be_deleted(store: &dyn Store) {
    let acct = account(store, "session").await;
    let session = Session {
        token_sha256: fresh_token(),
        account: acct.id,
        created_at_us: T0,
        expires_at_us: T0 + DAY,
    };
    ok(store.create_session(&session).await, "create_session");
    let token = &session.token_sha256;

    let at = |now: i64| store.session_account(token, now);
    assert_eq!(ok(at(T0).await, "session_account"), Some(acct.clone()));
    let last = ok(at(T0 + DAY - 1).await, "session_account one microsecond before expiry");
    assert_eq!(last, Some(acct.clone()));
    let expired = ok(at(T0 + DAY).await, "session_account at expiry");
    assert_eq!(expired, None, "a session is over at its expires_at_us");
    assert_eq!(ok(at(T0 + 2 * DAY).await, "session_account after expiry"), None);
    assert_eq!(
        ok(
            store.session_account(&fresh_token(), T0).await,
            "session_account(unknown)"
        ),
        None
    );

    let admin = ok(store.grant_role(acct.id, Role::Admin).await, "grant_role");
    let current = ok(at(T0).await, "session_account after a grant");
    assert_eq!(current, Some(admin), "a session sees the account's current roles");

    conflict(
        store.create_session(&session).await,
        "create_session with a stored token",
    );

    let other = Session {
        token_sha256: fresh_token(),
        ..session.clone()
    };
    ok(store.create_session(&other).await, "create_session (second device)");
    ok(store.delete_session(token).await, "delete_session");
    assert_eq!(ok(at(T0).await, "session_account after delete"), None);
    ok(store.delete_session(token).await, "delete_session of a deleted session");
    let kept = ok(store.session_account(&other.token_sha256, T0).await, "session_account");
    assert!(kept.is_some(), "deleting one session leaves the account's others");
}
