//! Encounters, their attorneys, and the access log.

use crate::SqliteStore;
use crate::convert::{from_sqlx, uuid};
use amparo_core::ids::{AccountId, EncounterId};
use amparo_store::{AccessRecord, Encounter, StoreError};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

macro_rules! encounter_columns {
    () => {
        "id, owner, started_at_us, ended_at_us, latitude, longitude, accuracy_m, us_state, \
         language, wants_attorney, note"
    };
}

fn encounter(row: &SqliteRow) -> Result<Encounter, StoreError> {
    let get = |e| from_sqlx(e, "reading an encounter");
    Ok(Encounter {
        id: EncounterId(uuid(row.try_get("id").map_err(get)?, "encounter id")?),
        owner: AccountId(uuid(row.try_get("owner").map_err(get)?, "encounter owner")?),
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

pub(crate) async fn create(store: &SqliteStore, e: &Encounter) -> Result<(), StoreError> {
    let query = concat!(
        "INSERT INTO encounters (",
        encounter_columns!(),
        ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    );
    let e = e.clone();
    store
        .grouped(move |conn| {
            Box::pin(async move {
                sqlx::query(query)
                    .bind(e.id.as_bytes().as_slice())
                    .bind(e.owner.as_bytes().as_slice())
                    .bind(e.started_at_us)
                    .bind(e.ended_at_us)
                    .bind(e.latitude)
                    .bind(e.longitude)
                    .bind(e.accuracy_m)
                    .bind(e.us_state.as_deref())
                    .bind(e.language.as_deref())
                    .bind(e.wants_attorney)
                    .bind(e.note.as_deref())
                    .execute(conn)
                    .await
                    .map_err(|err| from_sqlx(err, &format!("creating encounter {}", e.id)))?;
                Ok(())
            })
        })
        .await
}

pub(crate) async fn get(store: &SqliteStore, id: EncounterId) -> Result<Option<Encounter>, StoreError> {
    let mut conn = store.read().await?;
    let row = sqlx::query(concat!(
        "SELECT ",
        encounter_columns!(),
        " FROM encounters WHERE id = ?"
    ))
    .bind(id.as_bytes().as_slice())
    .fetch_optional(&mut *conn)
    .await
    .map_err(|e| from_sqlx(e, "reading an encounter"))?;
    row.as_ref().map(encounter).transpose()
}

/// Walks the primary key from the first id `since_us` can have (see
/// [`first_id_at`](amparo_store::convert::first_id_at)), newest first; each candidate's call
/// records and attorneys are looked up by their own keys.
pub(crate) async fn unrecorded_attorney_requests(
    store: &SqliteStore,
    since_us: i64,
    limit: u32,
) -> Result<Vec<Encounter>, StoreError> {
    let query = concat!(
        "SELECT ",
        encounter_columns!(),
        " FROM encounters e WHERE id >= ? AND started_at_us >= ? AND wants_attorney AND ended_at_us IS NULL \
         AND NOT EXISTS (SELECT 1 FROM attorney_calls c WHERE c.encounter = e.id) \
         AND NOT EXISTS (SELECT 1 FROM encounter_attorneys a WHERE a.encounter = e.id) \
         ORDER BY id DESC LIMIT ?"
    );
    let first = amparo_store::convert::first_id_at(since_us);
    let mut conn = store.read().await?;
    let rows = sqlx::query(query)
        .bind(first.as_bytes().as_slice())
        .bind(since_us)
        .bind(i64::from(limit))
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| from_sqlx(e, "listing requests for an attorney never recorded"))?;
    rows.iter().map(encounter).collect()
}

pub(crate) async fn of_owner(store: &SqliteStore, owner: AccountId) -> Result<Vec<Encounter>, StoreError> {
    let query = concat!(
        "SELECT ",
        encounter_columns!(),
        " FROM encounters WHERE owner = ? ORDER BY started_at_us DESC, id DESC"
    );
    let mut conn = store.read().await?;
    let rows = sqlx::query(query)
        .bind(owner.as_bytes().as_slice())
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| from_sqlx(e, "listing encounters"))?;
    rows.iter().map(encounter).collect()
}

pub(crate) async fn end(store: &SqliteStore, id: EncounterId, ended_at_us: i64) -> Result<Encounter, StoreError> {
    let query = concat!(
        "UPDATE encounters SET ended_at_us = ? WHERE id = ? AND ended_at_us IS NULL RETURNING ",
        encounter_columns!()
    );
    let mut conn = store.write_conn().await?;
    let ended = sqlx::query(query)
        .bind(ended_at_us)
        .bind(id.as_bytes().as_slice())
        .fetch_optional(&mut *conn)
        .await
        .map_err(|e| from_sqlx(e, &format!("ending encounter {id}")))?;
    if let Some(row) = ended {
        return encounter(&row);
    }
    // Nothing was updated: say why. Only the writer changes `ended_at_us`, and it is ours.
    drop(conn);
    match get(store, id).await? {
        Some(e) => Err(StoreError::Conflict(format!(
            "encounter {id} already ended (at {} µs)",
            e.ended_at_us.unwrap_or_default()
        ))),
        None => Err(StoreError::NotFound(format!("encounter {id}"))),
    }
}

pub(crate) async fn assign_attorney(
    store: &SqliteStore,
    encounter: EncounterId,
    attorney: AccountId,
) -> Result<(), StoreError> {
    store
        .grouped(move |conn| {
            Box::pin(async move {
                sqlx::query(
                    "INSERT INTO encounter_attorneys (encounter, attorney) VALUES (?, ?) ON CONFLICT DO NOTHING",
                )
                .bind(encounter.as_bytes().as_slice())
                .bind(attorney.as_bytes().as_slice())
                .execute(conn)
                .await
                .map_err(|e| from_sqlx(e, &format!("assigning attorney {attorney} to encounter {encounter}")))?;
                Ok(())
            })
        })
        .await
}

pub(crate) async fn attorneys(store: &SqliteStore, encounter: EncounterId) -> Result<Vec<AccountId>, StoreError> {
    let mut conn = store.read().await?;
    let rows: Vec<Vec<u8>> =
        sqlx::query_scalar("SELECT attorney FROM encounter_attorneys WHERE encounter = ? ORDER BY attorney")
            .bind(encounter.as_bytes().as_slice())
            .fetch_all(&mut *conn)
            .await
            .map_err(|e| from_sqlx(e, "listing attorneys"))?;
    rows.iter().map(|id| uuid(id, "attorney id").map(AccountId)).collect()
}

pub(crate) async fn record_access(store: &SqliteStore, access: &AccessRecord) -> Result<(), StoreError> {
    let mut conn = store.write_conn().await?;
    sqlx::query("INSERT INTO access_log (encounter, account, role, action, at_us) VALUES (?, ?, ?, ?, ?)")
        .bind(access.encounter.as_bytes().as_slice())
        .bind(access.account.as_bytes().as_slice())
        .bind(&access.role)
        .bind(&access.action)
        .bind(access.at_us)
        .execute(&mut *conn)
        .await
        .map_err(|e| from_sqlx(e, &format!("recording an access to encounter {}", access.encounter)))?;
    Ok(())
}

pub(crate) async fn access_log(store: &SqliteStore, encounter: EncounterId) -> Result<Vec<AccessRecord>, StoreError> {
    let mut conn = store.read().await?;
    let rows =
        sqlx::query("SELECT account, role, action, at_us FROM access_log WHERE encounter = ? ORDER BY at_us, seq")
            .bind(encounter.as_bytes().as_slice())
            .fetch_all(&mut *conn)
            .await
            .map_err(|e| from_sqlx(e, "reading the access log"))?;
    let get = |e| from_sqlx(e, "reading the access log");
    rows.iter()
        .map(|row| {
            Ok(AccessRecord {
                encounter,
                account: AccountId(uuid(row.try_get("account").map_err(get)?, "access account")?),
                role: row.try_get("role").map_err(get)?,
                action: row.try_get("action").map_err(get)?,
                at_us: row.try_get("at_us").map_err(get)?,
            })
        })
        .collect()
}
