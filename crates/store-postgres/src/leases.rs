//! Leases as session-level advisory locks: `pg_try_advisory_lock` on a connection of the lease's
//! own (not the pool's, whose connections come and go), kept by a task that asks the session
//! every second whether it is alive. PostgreSQL releases the lock the moment the session ends, so
//! a holder that dies (killed, its machine gone, its connection cut) frees the lease for the next
//! node's attempt; a holder whose session stops answering counts its lease lost and steps down.
//!
//! An attempt that finds the lease taken keeps its session for the next attempt ([`Spare`]), so a
//! node waiting for a lease does not open a session every second.
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
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
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

/// Most idle sessions kept for later attempts (one per lease a node campaigns for is plenty).
const SPARE_SESSIONS: usize = 4;

/// Sessions of attempts that found their lease taken, for the next attempt: a node that does not
/// hold a lease tries every second, and a new session each time would cost the server a backend
/// each time.
#[derive(Clone, Default)]
pub(crate) struct Spare(Arc<Mutex<Vec<PgConnection>>>);

impl fmt::Debug for Spare {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Spare").field(&self.lock().len()).finish()
    }
}

impl Spare {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<PgConnection>> {
        // A list of idle sessions: consistent whatever panicked while holding it.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn take(&self) -> Option<PgConnection> {
        self.lock().pop()
    }

    /// Keeps an idle session (one that holds no lock), or closes it if enough are kept.
    async fn keep(&self, session: PgConnection) {
        let extra = {
            let mut spare = self.lock();
            if spare.len() < SPARE_SESSIONS {
                spare.push(session);
                None
            } else {
                Some(session)
            }
        };
        if let Some(session) = extra {
            // Closing is all there is to clean up; a failed goodbye changes nothing.
            let _ = session.close().await;
        }
    }
}

pub(crate) async fn acquire(store: &PostgresStore, name: &str, holder: &str) -> Result<Option<LeaseHold>, StoreError> {
    let what = || format!("taking the lease {name:?}");
    // A kept session may have died meanwhile (a restarted server): then try once on a new one.
    let kept = store.lease_sessions.take();
    let (mut session, taken) = match kept {
        Some(mut session) => match try_lock(&mut session, name).await {
            Ok(taken) => (session, taken),
            Err(_) => fresh_attempt(store, name).await.map_err(|e| from_sqlx(e, &what()))?,
        },
        None => fresh_attempt(store, name).await.map_err(|e| from_sqlx(e, &what()))?,
    };
    if !taken {
        store.lease_sessions.keep(session).await;
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

/// One attempt on a new session.
async fn fresh_attempt(store: &PostgresStore, name: &str) -> Result<(PgConnection, bool), sqlx::Error> {
    let mut session = PgConnection::connect_with(&store.pool.connect_options()).await?;
    let taken = try_lock(&mut session, name).await?;
    Ok((session, taken))
}

async fn try_lock(session: &mut PgConnection, name: &str) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(LOCK).bind(name).fetch_one(session).await
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
