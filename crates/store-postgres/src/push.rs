//! Web Push subscriptions (issue 5). A save locks the account's row first (`SELECT ... FOR
//! UPDATE`), so concurrent saves for one account take turns and the cap holds.

use crate::PostgresStore;
use crate::convert::from_sqlx;
use amparo_core::ids::AccountId;
use amparo_store::{PushSubscription, StoreError};
use sqlx::Row;
use sqlx::postgres::PgRow;
use uuid::Uuid;

pub(crate) async fn save(store: &PostgresStore, sub: &PushSubscription, max: usize) -> Result<(), StoreError> {
    let what = || format!("saving a push subscription of account {}", sub.account);
    let mut tx = store.pool.begin().await.map_err(|e| from_sqlx(e, &what()))?;
    let found: Option<Uuid> = sqlx::query_scalar("SELECT id FROM accounts WHERE id = $1 FOR UPDATE")
        .bind(sub.account.0)
        .fetch_optional(&mut *tx)
        .await
        .map_err(|e| from_sqlx(e, &what()))?;
    if found.is_none() {
        return Err(StoreError::NotFound(format!("account {}", sub.account)));
    }
    let others: i64 =
        sqlx::query_scalar("SELECT count(*) FROM push_subscriptions WHERE account = $1 AND endpoint <> $2")
            .bind(sub.account.0)
            .bind(&sub.endpoint)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| from_sqlx(e, &what()))?;
    if usize::try_from(others).unwrap_or(usize::MAX) >= max {
        return Err(PushSubscription::cap_reached(sub.account, max));
    }
    sqlx::query(
        "INSERT INTO push_subscriptions (endpoint, account, p256dh, auth, language, created_at_us) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (endpoint) DO UPDATE SET account = excluded.account, \
         p256dh = excluded.p256dh, auth = excluded.auth, language = excluded.language, \
         created_at_us = excluded.created_at_us",
    )
    .bind(&sub.endpoint)
    .bind(sub.account.0)
    .bind(sub.p256dh.as_slice())
    .bind(sub.auth.as_slice())
    .bind(&sub.language)
    .bind(sub.created_at_us)
    .execute(&mut *tx)
    .await
    .map_err(|e| from_sqlx(e, &what()))?;
    tx.commit().await.map_err(|e| from_sqlx(e, &what()))
}

pub(crate) async fn of_account(store: &PostgresStore, account: AccountId) -> Result<Vec<PushSubscription>, StoreError> {
    let rows = sqlx::query(
        "SELECT endpoint, account, p256dh, auth, language, created_at_us FROM push_subscriptions \
         WHERE account = $1 ORDER BY created_at_us, endpoint",
    )
    .bind(account.0)
    .fetch_all(&store.pool)
    .await
    .map_err(|e| from_sqlx(e, &format!("reading the push subscriptions of account {account}")))?;
    rows.iter().map(subscription).collect()
}

fn subscription(row: &PgRow) -> Result<PushSubscription, StoreError> {
    let get = |e| from_sqlx(e, "reading a push subscription");
    let p256dh: Vec<u8> = row.try_get("p256dh").map_err(get)?;
    let auth: Vec<u8> = row.try_get("auth").map_err(get)?;
    amparo_store::convert::push_subscription(
        row.try_get("endpoint").map_err(get)?,
        AccountId(row.try_get("account").map_err(get)?),
        &p256dh,
        &auth,
        row.try_get("language").map_err(get)?,
        row.try_get("created_at_us").map_err(get)?,
    )
}

pub(crate) async fn delete(store: &PostgresStore, account: AccountId, endpoint: &str) -> Result<bool, StoreError> {
    let done = sqlx::query("DELETE FROM push_subscriptions WHERE account = $1 AND endpoint = $2")
        .bind(account.0)
        .bind(endpoint)
        .execute(&store.pool)
        .await
        .map_err(|e| from_sqlx(e, &format!("deleting a push subscription of account {account}")))?;
    Ok(done.rows_affected() > 0)
}
