//! Households (issue 5): members, invitations, the plan's period.
//!
//! Every write is one `BEGIN IMMEDIATE` transaction on the single writer, so the seat count read
//! while accepting an invitation cannot change before the member is inserted: concurrent accepts
//! for the last seat are ordered, and only the first finds it free.

use crate::SqliteStore;
use crate::convert::{from_sqlx, uuid};
use amparo_core::ids::AccountId;
use amparo_store::{
    HOUSEHOLD_SEATS, Household, HouseholdId, HouseholdMember, Invitation, JoinRefusal, Left, NewHousehold, PlanPeriod,
    StoreError,
};
use sqlx::{Row, SqliteConnection};

fn id_bytes(id: &HouseholdId) -> &[u8] {
    id.0.as_bytes().as_slice()
}

/// The household and its members, read on `conn` (inside a write transaction, or on a reader).
pub(crate) async fn load(conn: &mut SqliteConnection, id: HouseholdId) -> Result<Option<Household>, StoreError> {
    let get = |e| from_sqlx(e, &format!("reading household {id}"));
    let row =
        sqlx::query("SELECT owner, created_at_us, starts_at_us, ends_at_us, grace_days FROM households WHERE id = ?")
            .bind(id_bytes(&id))
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
         JOIN accounts a ON a.id = m.account WHERE m.household = ? ORDER BY m.seq",
    )
    .bind(id_bytes(&id))
    .fetch_all(&mut *conn)
    .await
    .map_err(get)?;
    let members = rows
        .iter()
        .map(|m| {
            Ok(HouseholdMember {
                account: AccountId(uuid(m.try_get("account").map_err(get)?, "member account")?),
                username: m.try_get("username").map_err(get)?,
                joined_at_us: m.try_get("joined_at_us").map_err(get)?,
            })
        })
        .collect::<Result<_, StoreError>>()?;
    Ok(Some(Household {
        id,
        owner: AccountId(uuid(row.try_get("owner").map_err(get)?, "household owner")?),
        created_at_us: row.try_get("created_at_us").map_err(get)?,
        period,
        members,
    }))
}

/// The id of the account's household, if it is in one.
async fn household_id_of(conn: &mut SqliteConnection, account: AccountId) -> Result<Option<HouseholdId>, StoreError> {
    let blob: Option<Vec<u8>> = sqlx::query_scalar("SELECT household FROM household_members WHERE account = ?")
        .bind(account.as_bytes().as_slice())
        .fetch_optional(&mut *conn)
        .await
        .map_err(|e| from_sqlx(e, &format!("finding the household of account {account}")))?;
    blob.map(|b| uuid(&b, "household id").map(HouseholdId)).transpose()
}

async fn add_member(
    conn: &mut SqliteConnection,
    household: HouseholdId,
    account: AccountId,
    at_us: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO household_members (account, household, joined_at_us, seq) VALUES (?, ?, ?, \
         (SELECT coalesce(max(seq), 0) + 1 FROM household_members WHERE household = ?))",
    )
    .bind(account.as_bytes().as_slice())
    .bind(id_bytes(&household))
    .bind(at_us)
    .bind(id_bytes(&household))
    .execute(&mut *conn)
    .await
    .map_err(|e| from_sqlx(e, &format!("adding account {account} to household {household}")))?;
    Ok(())
}

fn vanished(id: HouseholdId) -> StoreError {
    StoreError::Backend(format!("household {id} vanished inside its own transaction"))
}

pub(crate) async fn create(store: &SqliteStore, new: &NewHousehold) -> Result<Household, StoreError> {
    let mut tx = store.write().await?;
    if household_id_of(&mut tx, new.owner).await?.is_some() {
        return Err(StoreError::Conflict(format!(
            "account {} already belongs to a household",
            new.owner
        )));
    }
    sqlx::query(
        "INSERT INTO households (id, owner, created_at_us, starts_at_us, ends_at_us, grace_days) \
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(id_bytes(&new.id))
    .bind(new.owner.as_bytes().as_slice())
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

pub(crate) async fn get(store: &SqliteStore, id: HouseholdId) -> Result<Option<Household>, StoreError> {
    let mut conn = store.read().await?;
    load(&mut conn, id).await
}

pub(crate) async fn of_account(store: &SqliteStore, account: AccountId) -> Result<Option<Household>, StoreError> {
    // One read transaction, so a member leaving in between cannot split the two reads.
    let mut tx = store
        .readers
        .begin()
        .await
        .map_err(|e| from_sqlx(e, "starting a read"))?;
    let Some(id) = household_id_of(&mut tx, account).await? else {
        return Ok(None);
    };
    load(&mut tx, id).await
}

pub(crate) async fn invite(store: &SqliteStore, invitation: &Invitation) -> Result<(), StoreError> {
    let mut conn = store.write_conn().await?;
    sqlx::query(
        "INSERT INTO household_invitations (code_sha256, household, created_by, created_at_us, expires_at_us) \
         VALUES (?, ?, ?, ?, ?)",
    )
    .bind(invitation.code_sha256.as_slice())
    .bind(id_bytes(&invitation.household))
    .bind(invitation.created_by.as_bytes().as_slice())
    .bind(invitation.created_at_us)
    .bind(invitation.expires_at_us)
    .execute(&mut *conn)
    .await
    .map_err(|e| from_sqlx(e, &format!("inviting into household {}", invitation.household)))?;
    Ok(())
}

pub(crate) async fn accept(
    store: &SqliteStore,
    code: &[u8; 32],
    account: AccountId,
    now_us: i64,
) -> Result<Result<Household, JoinRefusal>, StoreError> {
    let what = || format!("account {account} accepting an invitation");
    let mut tx = store.write().await?;
    let household: Option<Vec<u8>> = sqlx::query_scalar(
        "SELECT household FROM household_invitations \
         WHERE code_sha256 = ? AND used_at_us IS NULL AND expires_at_us > ?",
    )
    .bind(code.as_slice())
    .bind(now_us)
    .fetch_optional(&mut *tx)
    .await
    .map_err(|e| from_sqlx(e, &what()))?;
    let Some(household) = household else {
        return Ok(Err(JoinRefusal::InvalidCode));
    };
    let household = HouseholdId(uuid(&household, "invitation household")?);
    if household_id_of(&mut tx, account).await?.is_some() {
        return Ok(Err(JoinRefusal::AlreadyInHousehold));
    }
    let seated: i64 = sqlx::query_scalar("SELECT count(*) FROM household_members WHERE household = ?")
        .bind(id_bytes(&household))
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| from_sqlx(e, &what()))?;
    if usize::try_from(seated).unwrap_or(usize::MAX) >= HOUSEHOLD_SEATS {
        return Ok(Err(JoinRefusal::Full));
    }
    add_member(&mut tx, household, account, now_us).await?;
    sqlx::query("UPDATE household_invitations SET used_at_us = ?, used_by = ? WHERE code_sha256 = ?")
        .bind(now_us)
        .bind(account.as_bytes().as_slice())
        .bind(code.as_slice())
        .execute(&mut *tx)
        .await
        .map_err(|e| from_sqlx(e, &what()))?;
    let joined = load(&mut tx, household).await?.ok_or_else(|| vanished(household))?;
    tx.commit().await.map_err(|e| from_sqlx(e, &what()))?;
    Ok(Ok(joined))
}

pub(crate) async fn remove(store: &SqliteStore, id: HouseholdId, account: AccountId) -> Result<Household, StoreError> {
    let mut tx = store.write().await?;
    let household = load(&mut tx, id)
        .await?
        .filter(|h| h.has_member(account))
        .ok_or_else(|| StoreError::NotFound(format!("member {account} of household {id}")))?;
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

pub(crate) async fn leave(store: &SqliteStore, account: AccountId) -> Result<Left, StoreError> {
    let mut tx = store.write().await?;
    let id = household_id_of(&mut tx, account)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("a household of account {account}")))?;
    let household = load(&mut tx, id).await?.ok_or_else(|| vanished(id))?;
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
            "DELETE FROM household_invitations WHERE household = ?",
            "DELETE FROM household_members WHERE household = ?",
            "DELETE FROM households WHERE id = ?",
        ] {
            sqlx::query(statement)
                .bind(id_bytes(&id))
                .execute(&mut *tx)
                .await
                .map_err(|e| from_sqlx(e, &format!("closing household {id}")))?;
        }
        Left::Closed
    };
    tx.commit().await.map_err(|e| from_sqlx(e, "leaving a household"))?;
    Ok(left)
}

async fn delete_member(conn: &mut SqliteConnection, account: AccountId) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM household_members WHERE account = ?")
        .bind(account.as_bytes().as_slice())
        .execute(&mut *conn)
        .await
        .map_err(|e| from_sqlx(e, &format!("removing account {account} from its household")))?;
    Ok(())
}

pub(crate) async fn set_period(
    store: &SqliteStore,
    id: HouseholdId,
    period: &PlanPeriod,
) -> Result<Household, StoreError> {
    let mut tx = store.write().await?;
    sqlx::query("UPDATE households SET starts_at_us = ?, ends_at_us = ?, grace_days = ? WHERE id = ?")
        .bind(period.starts_at_us)
        .bind(period.ends_at_us)
        .bind(i64::from(period.grace_days))
        .bind(id_bytes(&id))
        .execute(&mut *tx)
        .await
        .map_err(|e| from_sqlx(e, &format!("setting the period of household {id}")))?;
    let household = load(&mut tx, id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("household {id}")))?;
    tx.commit().await.map_err(|e| from_sqlx(e, "setting a plan period"))?;
    Ok(household)
}
