//! Households (issue 5): members, invitations, the plan's period.
//!
//! Every write that changes who is in a household first locks the household's row
//! (`SELECT ... FOR UPDATE`). Concurrent accepts for one household therefore take turns, and each
//! counts the seats after the one before it committed: the last seat is filled exactly once.
//! Locks are always taken household first, then its members and invitations, so two writers
//! cannot deadlock. An account's single household is the primary key of `household_members`: a
//! race between two households for one account ends in a unique violation for the second.

use crate::PostgresStore;
use crate::convert::from_sqlx;
use amparo_core::ids::AccountId;
use amparo_store::{
    HOUSEHOLD_SEATS, Household, HouseholdId, HouseholdMember, Invitation, JoinRefusal, Left, NewHousehold, PlanPeriod,
    StoreError,
};
use sqlx::{PgConnection, Postgres, Row, Transaction};
use uuid::Uuid;

async fn begin(store: &PostgresStore, what: &str) -> Result<Transaction<'static, Postgres>, StoreError> {
    store.pool.begin().await.map_err(|e| from_sqlx(e, what))
}

/// The household and its members, read on `conn`.
pub(crate) async fn load(conn: &mut PgConnection, id: HouseholdId) -> Result<Option<Household>, StoreError> {
    let get = |e| from_sqlx(e, &format!("reading household {id}"));
    let row =
        sqlx::query("SELECT owner, created_at_us, starts_at_us, ends_at_us, grace_days FROM households WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&mut *conn)
            .await
            .map_err(get)?;
    let Some(row) = row else { return Ok(None) };
    let grace: i64 = row.try_get("grace_days").map_err(get)?;
    let period = PlanPeriod {
        starts_at_us: row.try_get("starts_at_us").map_err(get)?,
        ends_at_us: row.try_get("ends_at_us").map_err(get)?,
        grace_days: u32::try_from(grace)
            .map_err(|_| StoreError::Backend(format!("corrupt row: grace_days {grace}")))?,
    };
    let rows = sqlx::query(
        "SELECT m.account, a.username, m.joined_at_us FROM household_members m \
         JOIN accounts a ON a.id = m.account WHERE m.household = $1 ORDER BY m.seq",
    )
    .bind(id.0)
    .fetch_all(&mut *conn)
    .await
    .map_err(get)?;
    let members = rows
        .iter()
        .map(|m| {
            Ok(HouseholdMember {
                account: AccountId(m.try_get("account").map_err(get)?),
                username: m.try_get("username").map_err(get)?,
                joined_at_us: m.try_get("joined_at_us").map_err(get)?,
            })
        })
        .collect::<Result<_, StoreError>>()?;
    Ok(Some(Household {
        id,
        owner: AccountId(row.try_get("owner").map_err(get)?),
        created_at_us: row.try_get("created_at_us").map_err(get)?,
        period,
        members,
    }))
}

/// Locks the household's row until the transaction ends; `false` if there is no such household.
async fn lock(conn: &mut PgConnection, id: HouseholdId) -> Result<bool, StoreError> {
    let found: Option<Uuid> = sqlx::query_scalar("SELECT id FROM households WHERE id = $1 FOR UPDATE")
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await
        .map_err(|e| from_sqlx(e, &format!("locking household {id}")))?;
    Ok(found.is_some())
}

async fn household_id_of(conn: &mut PgConnection, account: AccountId) -> Result<Option<HouseholdId>, StoreError> {
    let id: Option<Uuid> = sqlx::query_scalar("SELECT household FROM household_members WHERE account = $1")
        .bind(account.0)
        .fetch_optional(&mut *conn)
        .await
        .map_err(|e| from_sqlx(e, &format!("finding the household of account {account}")))?;
    Ok(id.map(HouseholdId))
}

/// Adds a member; `Conflict` if the account is in a household (the primary key says so).
async fn add_member(
    conn: &mut PgConnection,
    household: HouseholdId,
    account: AccountId,
    at_us: i64,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO household_members (account, household, joined_at_us) VALUES ($1, $2, $3)")
        .bind(account.0)
        .bind(household.0)
        .bind(at_us)
        .execute(&mut *conn)
        .await
        .map_err(|e| match from_sqlx(e, "") {
            StoreError::Conflict(_) => {
                StoreError::Conflict(format!("account {account} already belongs to a household"))
            }
            StoreError::NotFound(_) => StoreError::NotFound(format!("account {account} or household {household}")),
            other => other,
        })?;
    Ok(())
}

fn vanished(id: HouseholdId) -> StoreError {
    StoreError::Backend(format!("household {id} vanished inside its own transaction"))
}

pub(crate) async fn create(store: &PostgresStore, new: &NewHousehold) -> Result<Household, StoreError> {
    let mut tx = begin(store, "creating a household").await?;
    sqlx::query(
        "INSERT INTO households (id, owner, created_at_us, starts_at_us, ends_at_us, grace_days) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(new.id.0)
    .bind(new.owner.0)
    .bind(new.created_at_us)
    .bind(new.period.starts_at_us)
    .bind(new.period.ends_at_us)
    .bind(i64::from(new.period.grace_days))
    .execute(&mut *tx)
    .await
    .map_err(|e| from_sqlx(e, &format!("creating household {} for account {}", new.id, new.owner)))?;
    add_member(&mut tx, new.id, new.owner, new.created_at_us).await?;
    let created = load(&mut tx, new.id).await?.ok_or_else(|| vanished(new.id))?;
    tx.commit().await.map_err(|e| from_sqlx(e, "creating a household"))?;
    Ok(created)
}

pub(crate) async fn get(store: &PostgresStore, id: HouseholdId) -> Result<Option<Household>, StoreError> {
    let mut tx = snapshot(store).await?;
    load(&mut tx, id).await
}

pub(crate) async fn of_account(store: &PostgresStore, account: AccountId) -> Result<Option<Household>, StoreError> {
    let mut tx = snapshot(store).await?;
    let Some(id) = household_id_of(&mut tx, account).await? else {
        return Ok(None);
    };
    load(&mut tx, id).await
}

/// A read-only transaction on one snapshot, so a household and its members are read as of one
/// moment (read committed would let a member leave between the two statements).
async fn snapshot(store: &PostgresStore) -> Result<Transaction<'static, Postgres>, StoreError> {
    let mut tx = begin(store, "starting a read").await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await
        .map_err(|e| from_sqlx(e, "starting a read"))?;
    Ok(tx)
}

pub(crate) async fn invite(store: &PostgresStore, invitation: &Invitation) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO household_invitations (code_sha256, household, created_by, created_at_us, expires_at_us) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(invitation.code_sha256.as_slice())
    .bind(invitation.household.0)
    .bind(invitation.created_by.0)
    .bind(invitation.created_at_us)
    .bind(invitation.expires_at_us)
    .execute(&store.pool)
    .await
    .map_err(|e| from_sqlx(e, &format!("inviting into household {}", invitation.household)))?;
    Ok(())
}

pub(crate) async fn accept(
    store: &PostgresStore,
    code: &[u8; 32],
    account: AccountId,
    now_us: i64,
) -> Result<Result<Household, JoinRefusal>, StoreError> {
    let what = || format!("account {account} accepting an invitation");
    let mut tx = begin(store, &what()).await?;
    // Which household, without a lock: the household's row is locked first (see the module).
    let household: Option<Uuid> =
        sqlx::query_scalar("SELECT household FROM household_invitations WHERE code_sha256 = $1")
            .bind(code.as_slice())
            .fetch_optional(&mut *tx)
            .await
            .map_err(|e| from_sqlx(e, &what()))?;
    let Some(household) = household.map(HouseholdId) else {
        return Ok(Err(JoinRefusal::InvalidCode));
    };
    if !lock(&mut tx, household).await? {
        return Ok(Err(JoinRefusal::InvalidCode));
    }
    // Under the lock, the code is used only if still unused and unexpired: a concurrent accept of
    // the same code that committed first makes this update find nothing.
    let used = sqlx::query(
        "UPDATE household_invitations SET used_at_us = $2, used_by = $3 \
         WHERE code_sha256 = $1 AND used_at_us IS NULL AND expires_at_us > $2",
    )
    .bind(code.as_slice())
    .bind(now_us)
    .bind(account.0)
    .execute(&mut *tx)
    .await
    .map_err(|e| from_sqlx(e, &what()))?;
    if used.rows_affected() != 1 {
        return Ok(Err(JoinRefusal::InvalidCode));
    }
    if household_id_of(&mut tx, account).await?.is_some() {
        return Ok(Err(JoinRefusal::AlreadyInHousehold));
    }
    let seated: i64 = sqlx::query_scalar("SELECT count(*) FROM household_members WHERE household = $1")
        .bind(household.0)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| from_sqlx(e, &what()))?;
    if usize::try_from(seated).unwrap_or(usize::MAX) >= HOUSEHOLD_SEATS {
        return Ok(Err(JoinRefusal::Full));
    }
    match add_member(&mut tx, household, account, now_us).await {
        Ok(()) => {}
        // Joined another household in a transaction that committed while this one ran.
        Err(StoreError::Conflict(_)) => return Ok(Err(JoinRefusal::AlreadyInHousehold)),
        Err(other) => return Err(other),
    }
    let joined = load(&mut tx, household).await?.ok_or_else(|| vanished(household))?;
    tx.commit().await.map_err(|e| from_sqlx(e, &what()))?;
    Ok(Ok(joined))
}

pub(crate) async fn remove(
    store: &PostgresStore,
    id: HouseholdId,
    account: AccountId,
) -> Result<Household, StoreError> {
    let mut tx = begin(store, "removing a member").await?;
    let missing = || StoreError::NotFound(format!("member {account} of household {id}"));
    if !lock(&mut tx, id).await? {
        return Err(missing());
    }
    let household = load(&mut tx, id).await?.ok_or_else(|| vanished(id))?;
    if !household.has_member(account) {
        return Err(missing());
    }
    if household.owner == account {
        return Err(StoreError::Conflict(
            "the owner cannot be removed from their own household".into(),
        ));
    }
    delete_member(&mut tx, account).await?;
    let after = load(&mut tx, id).await?.ok_or_else(|| vanished(id))?;
    tx.commit().await.map_err(|e| from_sqlx(e, "removing a member"))?;
    Ok(after)
}

pub(crate) async fn leave(store: &PostgresStore, account: AccountId) -> Result<Left, StoreError> {
    let mut tx = begin(store, "leaving a household").await?;
    let missing = || StoreError::NotFound(format!("a household of account {account}"));
    let id = household_id_of(&mut tx, account).await?.ok_or_else(missing)?;
    // Removed, or the household closed, between the read above and the lock: nothing to leave.
    let household = match lock(&mut tx, id).await? {
        true => load(&mut tx, id).await?.filter(|h| h.has_member(account)),
        false => None,
    }
    .ok_or_else(missing)?;
    let left = if household.owner != account {
        delete_member(&mut tx, account).await?;
        Left::Member
    } else if household.members.len() > 1 {
        return Err(StoreError::Conflict(
            "the owner can leave only once everyone else has left or been removed".into(),
        ));
    } else {
        // The last person leaving closes the plan: nothing of it is kept.
        for statement in [
            "DELETE FROM household_invitations WHERE household = $1",
            "DELETE FROM household_members WHERE household = $1",
            "DELETE FROM households WHERE id = $1",
        ] {
            sqlx::query(statement)
                .bind(id.0)
                .execute(&mut *tx)
                .await
                .map_err(|e| from_sqlx(e, &format!("closing household {id}")))?;
        }
        Left::Closed
    };
    tx.commit().await.map_err(|e| from_sqlx(e, "leaving a household"))?;
    Ok(left)
}

async fn delete_member(conn: &mut PgConnection, account: AccountId) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM household_members WHERE account = $1")
        .bind(account.0)
        .execute(&mut *conn)
        .await
        .map_err(|e| from_sqlx(e, &format!("removing account {account} from its household")))?;
    Ok(())
}

pub(crate) async fn set_period(
    store: &PostgresStore,
    id: HouseholdId,
    period: &PlanPeriod,
) -> Result<Household, StoreError> {
    let mut tx = begin(store, "setting a plan period").await?;
    sqlx::query("UPDATE households SET starts_at_us = $2, ends_at_us = $3, grace_days = $4 WHERE id = $1")
        .bind(id.0)
        .bind(period.starts_at_us)
        .bind(period.ends_at_us)
        .bind(i64::from(period.grace_days))
        .execute(&mut *tx)
        .await
        .map_err(|e| from_sqlx(e, &format!("setting the period of household {id}")))?;
    let household = load(&mut tx, id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("household {id}")))?;
    tx.commit().await.map_err(|e| from_sqlx(e, "setting a plan period"))?;
    Ok(household)
}
