//! Leases as session-level advisory locks: `pg_try_advisory_lock` on a connection of the lease's
//! own (not the pool's, whose connections come and go), kept by a task that asks the session
//! every second whether it is alive. PostgreSQL releases the lock the moment the session ends, so
//! a holder that dies (killed, its machine gone, its connection cut) frees the lease for the next
//! node's attempt; a holder whose session stops answering counts its lease lost and steps down.
//!
//! The holder's note (`leases` table) is written on the locking session itself, so it is only
//! ever written by a session that holds the lock: the last note is the last holder's.
//!
//! Connect directly or through a session-pooling proxy: a transaction-pooling one (PgBouncer's
//! `pool_mode = transaction`) would hand the lock's session to others.

use crate::PostgresStore;
use crate::convert::from_sqlx;
use amparo_store::{LeaseHold, StoreError};
use sqlx::{Connection, PgConnection};
use std::time::Duration;
use tokio::sync::{oneshot, watch};

/// How often the keeper asks the session whether it is alive.
const HEALTH_INTERVAL: Duration = Duration::from_secs(1);
/// How long an answer may take before the lease counts as lost.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(2);

// The advisory lock's key is a 64-bit hash of the name, computed by PostgreSQL (stable across
// versions: hash partitioning relies on it), in a namespace of Amparo's own.
const LOCK: &str = "SELECT pg_try_advisory_lock(hashtextextended('amparo lease: ' || $1, 0))";
const UNLOCK: &str = "SELECT pg_advisory_unlock(hashtextextended('amparo lease: ' || $1, 0))";

pub(crate) async fn acquire(store: &PostgresStore, name: &str, holder: &str) -> Result<Option<LeaseHold>, StoreError> {
    let what = || format!("taking the lease {name:?}");
    let mut session = PgConnection::connect_with(&store.pool.connect_options())
        .await
        .map_err(|e| from_sqlx(e, &what()))?;
    let taken: bool = sqlx::query_scalar(LOCK)
        .bind(name)
        .fetch_one(&mut session)
        .await
        .map_err(|e| from_sqlx(e, &what()))?;
    if !taken {
        // Closing the session is all there is to clean up; a failure to say goodbye changes nothing.
        let _ = session.close().await;
        return Ok(None);
    }
    sqlx::query(
        "INSERT INTO leases (name, holder, acquired_at_us) \
         VALUES ($1, $2, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint) \
         ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, acquired_at_us = EXCLUDED.acquired_at_us",
    )
    .bind(name)
    .bind(holder)
    .execute(&mut session)
    .await
    .map_err(|e| from_sqlx(e, &what()))?;
    let (lost_tx, lost) = watch::channel(false);
    let (release, released) = oneshot::channel::<()>();
    tokio::spawn(keep(session, name.to_owned(), lost_tx, released));
    Ok(Some(LeaseHold::new(name, lost, release)))
}

pub(crate) async fn holder(store: &PostgresStore, name: &str) -> Result<Option<String>, StoreError> {
    sqlx::query_scalar("SELECT holder FROM leases WHERE name = $1")
        .bind(name)
        .fetch_optional(&store.pool)
        .await
        .map_err(|e| from_sqlx(e, "reading a lease's holder"))
}

/// Keeps the locking session until the hold is dropped (`released` closes), checking every
/// second that it still answers; if it does not, says the lease is lost and drops the session.
async fn keep(mut session: PgConnection, name: String, lost: watch::Sender<bool>, mut released: oneshot::Receiver<()>) {
    let mut ticker = tokio::time::interval(HEALTH_INTERVAL);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = &mut released => {
                // Closing the session releases the lock; unlocking first makes it immediate even
                // if the goodbye is slow to reach the server.
                let _ = sqlx::query(UNLOCK).bind(&name).execute(&mut session).await;
                let _ = session.close().await;
                return;
            }
            _ = ticker.tick() => {
                let alive = tokio::time::timeout(HEALTH_TIMEOUT, session.ping()).await;
                if !matches!(alive, Ok(Ok(()))) {
                    lost.send_replace(true);
                    // Dropping the session (not closing it politely) ends it on the server too.
                    return;
                }
            }
        }
    }
}
