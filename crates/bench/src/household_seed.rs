//! The population for `household-alerts`, written straight through the [`Store`] trait: accounts
//! with one precomputed Argon2id hash (hashing 62,000 passwords would take the run's two cores
//! for most of an hour and measures nothing here), households, invitations accepted as the
//! server accepts them, and sessions whose tokens are made and hashed as the server makes them.
//!
//! SQLite commits each call with an fsync, one at a time, and the trait has no bulk insert; so the
//! file is seeded in a tmpfs (where fsync costs nothing) and then copied beside the server, which
//! opens it on the disk like any other store. The server's own writes during the run are the
//! ones that pay for the disk.

use amparo_core::ids::AccountId;
use amparo_server::auth::{hash_password, new_token, token_hash};
use amparo_server::clock::now_us;
use amparo_store::{HouseholdId, Invitation, NewAccount, NewHousehold, PlanPeriod, Session, Store};
use anyhow::{Context, Result, anyhow, ensure};
use futures::StreamExt;
use rand::RngCore;
use std::path::Path;
use std::sync::Arc;

/// People in a household, the owner included (the "an owner plus five").
pub const SEATS: usize = 6;
/// Store calls in flight while seeding: enough to keep the one writer busy.
const AT_ONCE: usize = 16;
const DAY_US: i64 = 86_400_000_000;

/// Who takes part in the run, by session token.
#[derive(Debug)]
pub struct Population {
    /// Households whose owner starts encounters, in the order the run uses them.
    pub active: Vec<Family>,
    /// Members in no household: the baseline's starts alert nobody.
    pub solo: Vec<String>,
}

/// One active household's tokens.
#[derive(Debug)]
pub struct Family {
    pub owner: String,
    /// The five others: each listens on the live WebSocket.
    pub others: Vec<String>,
}

/// What to seed: `households` households of six, the first `active` of them with sessions for
/// all six, and `solo` members without a household, each with a session.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    pub households: usize,
    pub active: usize,
    pub solo: usize,
}

/// Seeds a new SQLite file at `db` (in a tmpfs when the machine has one) and closes it.
pub async fn seed_file(db: &Path, plan: Plan) -> Result<Population> {
    let sqlite = Arc::new(amparo_store_sqlite::SqliteStore::open(db).await?);
    let store: Arc<dyn Store> = sqlite.clone();
    let population = seed(&store, plan).await;
    // Closing the last connection checkpoints the WAL into the file, so one file holds it all.
    sqlite.close().await;
    population
}

async fn seed(store: &Arc<dyn Store>, plan: Plan) -> Result<Population> {
    let hash = hash_password("a benchmark's password".to_owned())
        .await
        .map_err(|e| anyhow!("hashing the shared password: {e:?}"))?;
    let hash = hash.as_str();
    let families: Vec<Option<Family>> = futures::stream::iter(0..plan.households)
        .map(|h| household(store.as_ref(), hash, h, h < plan.active))
        .buffered(AT_ONCE)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_>>()?;
    let solo = futures::stream::iter(0..plan.solo)
        .map(|n| async move {
            let id = account(store.as_ref(), hash, format!("solo{n:06}")).await?;
            session(store.as_ref(), id).await
        })
        .buffered(AT_ONCE)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_>>()?;
    Ok(Population {
        active: families.into_iter().flatten().collect(),
        solo,
    })
}

/// One household of six; its tokens if it is active.
async fn household(store: &dyn Store, hash: &str, h: usize, active: bool) -> Result<Option<Family>> {
    let now = now_us();
    let owner = account(store, hash, format!("h{h:05}-0")).await?;
    let id = HouseholdId::new();
    store
        .create_household(&NewHousehold {
            id,
            owner,
            created_at_us: now,
            // Open-ended, as the server creates it.
            period: PlanPeriod {
                starts_at_us: now,
                ends_at_us: None,
                grace_days: 0,
            },
        })
        .await?;
    let mut others = Vec::with_capacity(SEATS - 1);
    for m in 1..SEATS {
        let member = account(store, hash, format!("h{h:05}-{m}")).await?;
        // Only the code's hash is stored, and nobody types this code: random bytes stand in.
        let mut code_sha256 = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut code_sha256);
        store
            .create_invitation(&Invitation {
                code_sha256,
                household: id,
                created_by: owner,
                created_at_us: now,
                expires_at_us: now + DAY_US,
            })
            .await?;
        let joined = store.accept_invitation(&code_sha256, member, now_us()).await?;
        ensure!(joined.is_ok(), "household {h} refused member {m}: {joined:?}");
        others.push(member);
    }
    if !active {
        return Ok(None);
    }
    let owner = session(store, owner).await?;
    let mut tokens = Vec::with_capacity(others.len());
    for member in others {
        tokens.push(session(store, member).await?);
    }
    Ok(Some(Family { owner, others: tokens }))
}

pub async fn account(store: &dyn Store, hash: &str, username: String) -> Result<AccountId> {
    let id = AccountId::new();
    store
        .create_account(&NewAccount {
            id,
            username,
            password_hash: hash.to_owned(),
            created_at_us: now_us(),
        })
        .await
        .context("creating an account")?;
    Ok(id)
}

/// A session valid for a day; its bearer token.
pub async fn session(store: &dyn Store, account: AccountId) -> Result<String> {
    let token = new_token();
    let now = now_us();
    store
        .create_session(&Session {
            token_sha256: token_hash(&token),
            account,
            created_at_us: now,
            expires_at_us: now + DAY_US,
        })
        .await
        .context("creating a session")?;
    Ok(token)
}
