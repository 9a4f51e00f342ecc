//! Uploads (one per recording) and their chunks.

use crate::SqliteStore;
use crate::convert::{from_sqlx, uuid};
use amparo_core::ids::{AccountId, EncounterId, RecordingId};
use amparo_store::convert::{bytes32, to_i64, to_u64};
use amparo_store::{Chunk, StoreError, Upload};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

macro_rules! upload_columns {
    () => {
        "id, encounter, owner, length, received, chain, media_type, metadata, created_at_us, \
         expires_at_us, terminated_at_us"
    };
}

fn upload(row: &SqliteRow) -> Result<Upload, StoreError> {
    let get = |e| from_sqlx(e, "reading an upload");
    let length: Option<i64> = row.try_get("length").map_err(get)?;
    Ok(Upload {
        id: RecordingId(uuid(row.try_get("id").map_err(get)?, "upload id")?),
        encounter: EncounterId(uuid(row.try_get("encounter").map_err(get)?, "upload encounter")?),
        owner: AccountId(uuid(row.try_get("owner").map_err(get)?, "upload owner")?),
        length: length.map(|l| to_u64(l, "upload length")).transpose()?,
        offset: to_u64(row.try_get("received").map_err(get)?, "upload offset")?,
        chain: bytes32(row.try_get("chain").map_err(get)?, "upload chain")?,
        media_type: row.try_get("media_type").map_err(get)?,
        metadata: row.try_get("metadata").map_err(get)?,
        created_at_us: row.try_get("created_at_us").map_err(get)?,
        expires_at_us: row.try_get("expires_at_us").map_err(get)?,
        terminated_at_us: row.try_get("terminated_at_us").map_err(get)?,
    })
}

pub(crate) async fn create(store: &SqliteStore, u: &Upload) -> Result<(), StoreError> {
    let length = u.length.map(|l| to_i64(l, "upload length")).transpose()?;
    let offset = to_i64(u.offset, "upload offset")?;
    let query = concat!(
        "INSERT INTO uploads (",
        upload_columns!(),
        ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    );
    let mut conn = store.write_conn().await?;
    sqlx::query(query)
        .bind(u.id.as_bytes().as_slice())
        .bind(u.encounter.as_bytes().as_slice())
        .bind(u.owner.as_bytes().as_slice())
        .bind(length)
        .bind(offset)
        .bind(u.chain.as_slice())
        .bind(u.media_type.as_deref())
        .bind(&u.metadata)
        .bind(u.created_at_us)
        .bind(u.expires_at_us)
        .bind(u.terminated_at_us)
        .execute(&mut *conn)
        .await
        .map_err(|e| from_sqlx(e, &format!("creating upload {}", u.id)))?;
    Ok(())
}

pub(crate) async fn get(store: &SqliteStore, id: RecordingId) -> Result<Option<Upload>, StoreError> {
    let mut conn = store.read().await?;
    let row = sqlx::query(concat!("SELECT ", upload_columns!(), " FROM uploads WHERE id = ?"))
        .bind(id.as_bytes().as_slice())
        .fetch_optional(&mut *conn)
        .await
        .map_err(|e| from_sqlx(e, "reading an upload"))?;
    row.as_ref().map(upload).transpose()
}

pub(crate) async fn of_encounter(store: &SqliteStore, encounter: EncounterId) -> Result<Vec<Upload>, StoreError> {
    let query = concat!(
        "SELECT ",
        upload_columns!(),
        " FROM uploads WHERE encounter = ? ORDER BY created_at_us, id"
    );
    let mut conn = store.read().await?;
    let rows = sqlx::query(query)
        .bind(encounter.as_bytes().as_slice())
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| from_sqlx(e, "listing uploads"))?;
    rows.iter().map(upload).collect()
}

pub(crate) async fn set_length(store: &SqliteStore, id: RecordingId, length: u64) -> Result<Upload, StoreError> {
    let stored_length = to_i64(length, "upload length")?;
    let query = concat!(
        "UPDATE uploads SET length = ? WHERE id = ? AND length IS NULL AND received <= ? RETURNING ",
        upload_columns!()
    );
    let mut conn = store.write_conn().await?;
    let updated = sqlx::query(query)
        .bind(stored_length)
        .bind(id.as_bytes().as_slice())
        .bind(stored_length)
        .fetch_optional(&mut *conn)
        .await
        .map_err(|e| from_sqlx(e, &format!("setting the length of upload {id}")))?;
    if let Some(row) = updated {
        return upload(&row);
    }
    drop(conn);
    // Nothing was updated: say why.
    match get(store, id).await? {
        None => Err(StoreError::NotFound(format!("upload {id}"))),
        Some(Upload { length: Some(set), .. }) => Err(StoreError::Conflict(format!(
            "upload {id} already has a length ({set} bytes)"
        ))),
        Some(u) => Err(StoreError::Conflict(format!(
            "upload {id} already has {} bytes, more than a length of {length}",
            u.offset
        ))),
    }
}

pub(crate) async fn terminate(store: &SqliteStore, id: RecordingId, at_us: i64) -> Result<(), StoreError> {
    let mut conn = store.write_conn().await?;
    // The first termination time stays: it is the one that was reported to the client.
    let done = sqlx::query("UPDATE uploads SET terminated_at_us = coalesce(terminated_at_us, ?) WHERE id = ?")
        .bind(at_us)
        .bind(id.as_bytes().as_slice())
        .execute(&mut *conn)
        .await
        .map_err(|e| from_sqlx(e, &format!("terminating upload {id}")))?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound(format!("upload {id}")));
    }
    Ok(())
}

pub(crate) async fn chunks(store: &SqliteStore, id: RecordingId) -> Result<Vec<Chunk>, StoreError> {
    let mut conn = store.read().await?;
    let rows = sqlx::query(
        "SELECT byte_offset, length, sha256, chain, received_at_us, leaf_index FROM chunks \
         WHERE recording = ? ORDER BY byte_offset, leaf_index",
    )
    .bind(id.as_bytes().as_slice())
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| from_sqlx(e, "listing chunks"))?;
    let get = |e| from_sqlx(e, "reading a chunk");
    rows.iter()
        .map(|row| {
            Ok(Chunk {
                recording: id,
                offset: to_u64(row.try_get("byte_offset").map_err(get)?, "chunk offset")?,
                length: to_u64(row.try_get("length").map_err(get)?, "chunk length")?,
                sha256: bytes32(row.try_get("sha256").map_err(get)?, "chunk sha256")?,
                chain: bytes32(row.try_get("chain").map_err(get)?, "chunk chain")?,
                received_at_us: row.try_get("received_at_us").map_err(get)?,
                leaf_index: to_u64(row.try_get("leaf_index").map_err(get)?, "chunk leaf index")?,
            })
        })
        .collect()
}
