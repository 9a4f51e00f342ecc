//! Web Push subscriptions (issue 5). A save is one `BEGIN IMMEDIATE` transaction on the single
//! writer, so the per-account count it checks cannot change before its insert.

use crate::SqliteStore;
use crate::convert::{from_sqlx, uuid};
use amparo_core::ids::AccountId;
use amparo_store::{PushSubscription, StoreError};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

pub(crate) async fn save(store: &SqliteStore, sub: &PushSubscription, max: usize) -> Result<(), StoreError> {
    let what = || format!("saving a push subscription of account {}", sub.account);
    let mut tx = store.write().await?;
    let others: i64 = sqlx::query_scalar("SELECT count(*) FROM push_subscriptions WHERE account = ? AND endpoint <> ?")
        .bind(sub.account.as_bytes().as_slice())
        .bind(&sub.endpoint)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| from_sqlx(e, &what()))?;
    if usize::try_from(others).unwrap_or(usize::MAX) >= max {
        return Err(PushSubscription::cap_reached(sub.account, max));
    }
    sqlx::query(
        "INSERT INTO push_subscriptions (endpoint, account, p256dh, auth, language, created_at_us) \
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (endpoint) DO UPDATE SET account = excluded.account, \
         p256dh = excluded.p256dh, auth = excluded.auth, language = excluded.language, \
         created_at_us = excluded.created_at_us",
    )
    .bind(&sub.endpoint)
    .bind(sub.account.as_bytes().as_slice())
    .bind(sub.p256dh.as_slice())
    .bind(sub.auth.as_slice())
    .bind(&sub.language)
    .bind(sub.created_at_us)
    .execute(&mut *tx)
    .await
    .map_err(|e| from_sqlx(e, &what()))?;
    tx.commit().await.map_err(|e| from_sqlx(e, &what()))
}

pub(crate) async fn of_account(store: &SqliteStore, account: AccountId) -> Result<Vec<PushSubscription>, StoreError> {
    let mut conn = store.read().await?;
    let rows = sqlx::query(
        "SELECT endpoint, account, p256dh, auth, language, created_at_us FROM push_subscriptions \
         WHERE account = ? ORDER BY created_at_us, endpoint",
    )
    .bind(account.as_bytes().as_slice())
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| from_sqlx(e, &format!("reading the push subscriptions of account {account}")))?;
    rows.iter().map(subscription).collect()
}

fn subscription(row: &SqliteRow) -> Result<PushSubscription, StoreError> {
    let get = |e| from_sqlx(e, "reading a push subscription");
    let account: Vec<u8> = row.try_get("account").map_err(get)?;
    let p256dh: Vec<u8> = row.try_get("p256dh").map_err(get)?;
    let auth: Vec<u8> = row.try_get("auth").map_err(get)?;
    amparo_store::convert::push_subscription(
        row.try_get("endpoint").map_err(get)?,
        AccountId(uuid(&account, "push subscription account")?),
        &p256dh,
        &auth,
        row.try_get("language").map_err(get)?,
        row.try_get("created_at_us").map_err(get)?,
    )
}

pub(crate) async fn delete(store: &SqliteStore, account: AccountId, endpoint: &str) -> Result<bool, StoreError> {
    let mut conn = store.write_conn().await?;
    let done = sqlx::query("DELETE FROM push_subscriptions WHERE account = ? AND endpoint = ?")
        .bind(account.as_bytes().as_slice())
        .bind(endpoint)
        .execute(&mut *conn)
        .await
        .map_err(|e| from_sqlx(e, &format!("deleting a push subscription of account {account}")))?;
    Ok(done.rows_affected() > 0)
}
