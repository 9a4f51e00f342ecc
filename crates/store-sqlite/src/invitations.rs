//! Invitation hygiene (issue 5): the owner's list of pending invitations (never the codes),
//! revoking one, and purging the used and expired.

use crate::SqliteStore;
use crate::convert::{from_sqlx, uuid};
use amparo_core::ids::AccountId;
use amparo_store::convert::bytes32;
use amparo_store::{HouseholdId, InvitationId, PendingInvitation, StoreError};
use sqlx::Row;

pub(crate) async fn pending(
    store: &SqliteStore,
    household: HouseholdId,
    now_us: i64,
) -> Result<Vec<PendingInvitation>, StoreError> {
    let get = |e| from_sqlx(e, &format!("listing the invitations of household {household}"));
    let mut conn = store.read().await?;
    let rows = sqlx::query(
        "SELECT code_sha256, created_by, created_at_us, expires_at_us FROM household_invitations \
         WHERE household = ? AND used_at_us IS NULL AND expires_at_us > ? ORDER BY created_at_us, code_sha256",
    )
    .bind(household.0.as_bytes().as_slice())
    .bind(now_us)
    .fetch_all(&mut *conn)
    .await
    .map_err(get)?;
    rows.iter()
        .map(|row| {
            let code: Vec<u8> = row.try_get("code_sha256").map_err(get)?;
            Ok(PendingInvitation {
                id: InvitationId::of(&bytes32(&code, "an invitation's code hash")?),
                created_by: AccountId(uuid(row.try_get("created_by").map_err(get)?, "invitation creator")?),
                created_at_us: row.try_get("created_at_us").map_err(get)?,
                expires_at_us: row.try_get("expires_at_us").map_err(get)?,
            })
        })
        .collect()
}

pub(crate) async fn revoke(store: &SqliteStore, household: HouseholdId, id: InvitationId) -> Result<(), StoreError> {
    let what = || format!("revoking invitation {id} of household {household}");
    let mut tx = store.write().await?;
    // The id is derived from the code's hash, so the household's unused codes are searched.
    let codes: Vec<Vec<u8>> =
        sqlx::query_scalar("SELECT code_sha256 FROM household_invitations WHERE household = ? AND used_at_us IS NULL")
            .bind(household.0.as_bytes().as_slice())
            .fetch_all(&mut *tx)
            .await
            .map_err(|e| from_sqlx(e, &what()))?;
    let mut found = None;
    for code in codes {
        if id.names(&code)? {
            found = Some(code);
        }
    }
    let code = found.ok_or_else(|| StoreError::NotFound(format!("unused invitation {id} of household {household}")))?;
    sqlx::query("DELETE FROM household_invitations WHERE code_sha256 = ?")
        .bind(code)
        .execute(&mut *tx)
        .await
        .map_err(|e| from_sqlx(e, &what()))?;
    tx.commit().await.map_err(|e| from_sqlx(e, &what()))
}

pub(crate) async fn purge(store: &SqliteStore, now_us: i64) -> Result<u64, StoreError> {
    let mut conn = store.write_conn().await?;
    let done = sqlx::query("DELETE FROM household_invitations WHERE used_at_us IS NOT NULL OR expires_at_us <= ?")
        .bind(now_us)
        .execute(&mut *conn)
        .await
        .map_err(|e| from_sqlx(e, "purging used and expired invitations"))?;
    Ok(done.rows_affected())
}
