//! Encounters, their attorneys, and the access log.

use crate::PostgresStore;
use crate::convert::from_sqlx;
use amparo_core::ids::{AccountId, EncounterId};
use amparo_store::{AccessRecord, Encounter, StoreError};
use sqlx::Row;
use sqlx::postgres::PgRow;
use uuid::Uuid;

macro_rules! encounter_columns {
    () => {
        "id, owner, started_at_us, ended_at_us, latitude, longitude, accuracy_m, us_state, \
         language, wants_attorney, note"
    };
}

fn encounter(row: &PgRow) -> Result<Encounter, StoreError> {
    let get = |e| from_sqlx(e, "reading an encounter");
    Ok(Encounter {
        id: EncounterId(row.try_get("id").map_err(get)?),
        owner: AccountId(row.try_get("owner").map_err(get)?),
        started_at_us: row.try_get("started_at_us").map_err(get)?,
        ended_at_us: row.try_get("ended_at_us").map_err(get)?,
        latitude: row.try_get("latitude").map_err(get)?,
        longitude: row.try_get("longitude").map_err(get)?,
        accuracy_m: row.try_get("accuracy_m").map_err(get)?,
        us_state: row.try_get("us_state").map_err(get)?,
        language: row.try_get("language").map_err(get)?,
        wants_attorney: row.try_get("wants_attorney").map_err(get)?,
        note: row.try_get("note").map_err(get)?,
    })
}

pub(crate) async fn create(store: &PostgresStore, e: &Encounter) -> Result<(), StoreError> {
    let query = concat!(
        "INSERT INTO encounters (",
        encounter_columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    );
    sqlx::query(query)
        .bind(e.id.0)
        .bind(e.owner.0)
        .bind(e.started_at_us)
        .bind(e.ended_at_us)
        .bind(e.latitude)
        .bind(e.longitude)
        .bind(e.accuracy_m)
        .bind(e.us_state.as_deref())
        .bind(e.language.as_deref())
        .bind(e.wants_attorney)
        .bind(e.note.as_deref())
        .execute(&store.pool)
        .await
        .map_err(|err| from_sqlx(err, &format!("creating encounter {}", e.id)))?;
    Ok(())
}

/// Walks the primary key from the first id `since_us` can have (see
/// [`first_id_at`](amparo_store::convert::first_id_at)), newest first; each candidate's call
/// records and attorneys are looked up by their own keys.
pub(crate) async fn unrecorded_attorney_requests(
    store: &PostgresStore,
    since_us: i64,
    limit: u32,
) -> Result<Vec<Encounter>, StoreError> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        encounter_columns!(),
        " FROM encounters e WHERE id >= $1 AND started_at_us >= $2 AND wants_attorney AND ended_at_us IS NULL \
         AND NOT EXISTS (SELECT 1 FROM attorney_calls c WHERE c.encounter = e.id) \
         AND NOT EXISTS (SELECT 1 FROM encounter_attorneys a WHERE a.encounter = e.id) \
         ORDER BY id DESC LIMIT $3"
    ))
    .bind(amparo_store::convert::first_id_at(since_us))
    .bind(since_us)
    .bind(i64::from(limit))
    .fetch_all(&store.pool)
    .await
    .map_err(|e| from_sqlx(e, "listing requests for an attorney never recorded"))?;
    rows.iter().map(encounter).collect()
}

pub(crate) async fn get(store: &PostgresStore, id: EncounterId) -> Result<Option<Encounter>, StoreError> {
    let row = sqlx::query(concat!(
        "SELECT ",
        encounter_columns!(),
        " FROM encounters WHERE id = $1"
    ))
    .bind(id.0)
    .fetch_optional(&store.pool)
    .await
    .map_err(|e| from_sqlx(e, "reading an encounter"))?;
    row.as_ref().map(encounter).transpose()
}

pub(crate) async fn of_owner(store: &PostgresStore, owner: AccountId) -> Result<Vec<Encounter>, StoreError> {
    let query = concat!(
        "SELECT ",
        encounter_columns!(),
        " FROM encounters WHERE owner = $1 ORDER BY started_at_us DESC, id DESC"
    );
    let rows = sqlx::query(query)
        .bind(owner.0)
        .fetch_all(&store.pool)
        .await
        .map_err(|e| from_sqlx(e, "listing encounters"))?;
    rows.iter().map(encounter).collect()
}

pub(crate) async fn end(store: &PostgresStore, id: EncounterId, ended_at_us: i64) -> Result<Encounter, StoreError> {
    let query = concat!(
        "UPDATE encounters SET ended_at_us = $1 WHERE id = $2 AND ended_at_us IS NULL RETURNING ",
        encounter_columns!()
    );
    let ended = sqlx::query(query)
        .bind(ended_at_us)
        .bind(id.0)
        .fetch_optional(&store.pool)
        .await
        .map_err(|e| from_sqlx(e, &format!("ending encounter {id}")))?;
    if let Some(row) = ended {
        return encounter(&row);
    }
    // Nothing was updated: say why. An encounter is never un-ended, so this answer stays true.
    match get(store, id).await? {
        Some(e) => Err(StoreError::Conflict(format!(
            "encounter {id} already ended (at {} µs)",
            e.ended_at_us.unwrap_or_default()
        ))),
        None => Err(StoreError::NotFound(format!("encounter {id}"))),
    }
}

pub(crate) async fn assign_attorney(
    store: &PostgresStore,
    encounter: EncounterId,
    attorney: AccountId,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO encounter_attorneys (encounter, attorney) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(encounter.0)
        .bind(attorney.0)
        .execute(&store.pool)
        .await
        .map_err(|e| from_sqlx(e, &format!("assigning attorney {attorney} to encounter {encounter}")))?;
    Ok(())
}

pub(crate) async fn attorneys(store: &PostgresStore, encounter: EncounterId) -> Result<Vec<AccountId>, StoreError> {
    let ids: Vec<Uuid> =
        sqlx::query_scalar("SELECT attorney FROM encounter_attorneys WHERE encounter = $1 ORDER BY attorney")
            .bind(encounter.0)
            .fetch_all(&store.pool)
            .await
            .map_err(|e| from_sqlx(e, "listing attorneys"))?;
    Ok(ids.into_iter().map(AccountId).collect())
}

pub(crate) async fn record_access(store: &PostgresStore, access: &AccessRecord) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO access_log (encounter, account, role, action, at_us) VALUES ($1, $2, $3, $4, $5)")
        .bind(access.encounter.0)
        .bind(access.account.0)
        .bind(&access.role)
        .bind(&access.action)
        .bind(access.at_us)
        .execute(&store.pool)
        .await
        .map_err(|e| from_sqlx(e, &format!("recording an access to encounter {}", access.encounter)))?;
    Ok(())
}

pub(crate) async fn access_log(store: &PostgresStore, encounter: EncounterId) -> Result<Vec<AccessRecord>, StoreError> {
    let rows =
        sqlx::query("SELECT account, role, action, at_us FROM access_log WHERE encounter = $1 ORDER BY at_us, seq")
            .bind(encounter.0)
            .fetch_all(&store.pool)
            .await
            .map_err(|e| from_sqlx(e, "reading the access log"))?;
    let get = |e| from_sqlx(e, "reading the access log");
    rows.iter()
        .map(|row| {
            Ok(AccessRecord {
                encounter,
                account: AccountId(row.try_get("account").map_err(get)?),
                role: row.try_get("role").map_err(get)?,
                action: row.try_get("action").map_err(get)?,
                at_us: row.try_get("at_us").map_err(get)?,
            })
        })
        .collect()
}
