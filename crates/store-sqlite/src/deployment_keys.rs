//! The fingerprints of the key files every node shares: recorded once, never changed.

use crate::SqliteStore;
use crate::convert::from_sqlx;
use amparo_store::StoreError;

pub(crate) async fn fingerprint(store: &SqliteStore, name: &str) -> Result<Option<String>, StoreError> {
    let mut conn = store.read().await?;
    sqlx::query_scalar("SELECT fingerprint FROM deployment_keys WHERE name = ?")
        .bind(name)
        .fetch_optional(&mut *conn)
        .await
        .map_err(|e| from_sqlx(e, "reading a shared key's fingerprint"))
}

pub(crate) async fn claim(store: &SqliteStore, name: &str, fingerprint: &str) -> Result<String, StoreError> {
    let mut conn = store.write_conn().await?;
    // On the writer, the one connection every write takes: the insert and the read that follows
    // it see the same row, whoever inserted it.
    sqlx::query("INSERT INTO deployment_keys (name, fingerprint) VALUES (?, ?) ON CONFLICT (name) DO NOTHING")
        .bind(name)
        .bind(fingerprint)
        .execute(&mut *conn)
        .await
        .map_err(|e| from_sqlx(e, "recording a shared key's fingerprint"))?;
    sqlx::query_scalar("SELECT fingerprint FROM deployment_keys WHERE name = ?")
        .bind(name)
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| from_sqlx(e, "reading a shared key's fingerprint"))
}
