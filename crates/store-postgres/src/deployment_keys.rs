//! The fingerprints of the key files every node shares: recorded by the first node to start,
//! never changed.

use crate::PostgresStore;
use crate::convert::from_sqlx;
use amparo_store::StoreError;

pub(crate) async fn fingerprint(store: &PostgresStore, name: &str) -> Result<Option<String>, StoreError> {
    sqlx::query_scalar("SELECT fingerprint FROM deployment_keys WHERE name = $1")
        .bind(name)
        .fetch_optional(&store.pool)
        .await
        .map_err(|e| from_sqlx(e, "reading a shared key's fingerprint"))
}

pub(crate) async fn claim(store: &PostgresStore, name: &str, fingerprint: &str) -> Result<String, StoreError> {
    // A row, once inserted, is never updated or deleted, so the read after the insert sees the
    // first node's fingerprint, whichever node inserted it.
    sqlx::query("INSERT INTO deployment_keys (name, fingerprint) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
        .bind(name)
        .bind(fingerprint)
        .execute(&store.pool)
        .await
        .map_err(|e| from_sqlx(e, "recording a shared key's fingerprint"))?;
    sqlx::query_scalar("SELECT fingerprint FROM deployment_keys WHERE name = $1")
        .bind(name)
        .fetch_one(&store.pool)
        .await
        .map_err(|e| from_sqlx(e, "reading a shared key's fingerprint"))
}
