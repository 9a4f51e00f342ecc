//! Invitation hygiene (issue 5): the owner's list of pending invitations (never the codes),
//! revoking one, and purging the used and expired.

use crate::PostgresStore;
use crate::convert::from_sqlx;
use amparo_core::ids::AccountId;
use amparo_store::convert::bytes32;
use amparo_store::{HouseholdId, InvitationId, PendingInvitation, StoreError};
use sqlx::Row;

pub(crate) async fn pending(
    store: &PostgresStore,
    household: HouseholdId,
    now_us: i64,
) -> Result<Vec<PendingInvitation>, StoreError> {
    let get = |e| from_sqlx(e, &format!("listing the invitations of household {household}"));
    let rows = sqlx::query(
        "SELECT code_sha256, created_by, created_at_us, expires_at_us FROM household_invitations \
         WHERE household = $1 AND used_at_us IS NULL AND expires_at_us > $2 ORDER BY created_at_us, code_sha256",
    )
    .bind(household.0)
    .bind(now_us)
    .fetch_all(&store.pool)
    .await
    .map_err(get)?;
    rows.iter()
        .map(|row| {
            let code: Vec<u8> = row.try_get("code_sha256").map_err(get)?;
            Ok(PendingInvitation {
                id: InvitationId::of(&bytes32(&code, "an invitation's code hash")?),
                created_by: AccountId(row.try_get("created_by").map_err(get)?),
                created_at_us: row.try_get("created_at_us").map_err(get)?,
                expires_at_us: row.try_get("expires_at_us").map_err(get)?,
            })
        })
        .collect()
}

pub(crate) async fn revoke(store: &PostgresStore, household: HouseholdId, id: InvitationId) -> Result<(), StoreError> {
    let what = || format!("revoking invitation {id} of household {household}");
    // The id is derived from the code's hash, so the household's unused codes are searched; the
    // delete checks again that the code is unused, so an accept that commits first wins.
    let codes: Vec<Vec<u8>> =
        sqlx::query_scalar("SELECT code_sha256 FROM household_invitations WHERE household = $1 AND used_at_us IS NULL")
            .bind(household.0)
            .fetch_all(&store.pool)
            .await
            .map_err(|e| from_sqlx(e, &what()))?;
    let mut found = None;
    for code in codes {
        if id.names(&code)? {
            found = Some(code);
        }
    }
    let gone = || StoreError::NotFound(format!("unused invitation {id} of household {household}"));
    let code = found.ok_or_else(gone)?;
    let done = sqlx::query("DELETE FROM household_invitations WHERE code_sha256 = $1 AND used_at_us IS NULL")
        .bind(code)
        .execute(&store.pool)
        .await
        .map_err(|e| from_sqlx(e, &what()))?;
    if done.rows_affected() == 0 {
        return Err(gone());
    }
    Ok(())
}

pub(crate) async fn purge(store: &PostgresStore, now_us: i64) -> Result<u64, StoreError> {
    let done = sqlx::query("DELETE FROM household_invitations WHERE used_at_us IS NOT NULL OR expires_at_us <= $1")
        .bind(now_us)
        .execute(&store.pool)
        .await
        .map_err(|e| from_sqlx(e, "purging used and expired invitations"))?;
    Ok(done.rows_affected())
}
