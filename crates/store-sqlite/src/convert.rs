//! Between the store's types and SQLite's: errors, unsigned counters, ids and fixed-size blobs.

use amparo_core::Hash;
use amparo_core::roles::Role;
use amparo_store::StoreError;
use sqlx::error::ErrorKind;
use uuid::Uuid;

/// Maps a database error to the store's vocabulary. `what` says what was being done, so the
/// message means something to the person who reads it in a log.
pub(crate) fn from_sqlx(error: sqlx::Error, what: &str) -> StoreError {
    match &error {
        sqlx::Error::Database(db) => match db.kind() {
            ErrorKind::UniqueViolation => StoreError::Conflict(format!("{what}: it already exists")),
            ErrorKind::ForeignKeyViolation => {
                StoreError::NotFound(format!("{what}: a record it refers to does not exist"))
            }
            _ => StoreError::Backend(format!("{what}: {error}")),
        },
        sqlx::Error::RowNotFound => StoreError::NotFound(what.to_owned()),
        _ => StoreError::Backend(format!("{what}: {error}")),
    }
}

/// A u64 as SQLite's INTEGER (an i64). Values past `i64::MAX` are refused, never wrapped.
pub(crate) fn to_i64(value: u64, what: &str) -> Result<i64, StoreError> {
    i64::try_from(value)
        .map_err(|_| StoreError::Conflict(format!("{what} {value} is beyond what the store holds ({})", i64::MAX)))
}

/// A stored INTEGER back to u64; a negative one means the database was changed by hand.
pub(crate) fn to_u64(value: i64, what: &str) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Backend(format!("corrupt row: {what} is {value}")))
}

/// The exclusive end of `start..start+count` as an INTEGER bound, clamped: ranges read short.
pub(crate) fn range(start: u64, count: u64) -> Option<(i64, i64)> {
    let start = i64::try_from(start).ok()?;
    let end = start.saturating_add(i64::try_from(count).unwrap_or(i64::MAX));
    Some((start, end))
}

pub(crate) fn uuid(blob: &[u8], what: &str) -> Result<Uuid, StoreError> {
    Uuid::from_slice(blob).map_err(|_| StoreError::Backend(format!("corrupt row: {what} is not a UUID")))
}

pub(crate) fn bytes32(blob: &[u8], what: &str) -> Result<[u8; 32], StoreError> {
    blob.try_into()
        .map_err(|_| StoreError::Backend(format!("corrupt row: {what} is not 32 bytes")))
}

pub(crate) fn hash(blob: &[u8]) -> Result<Hash, StoreError> {
    bytes32(blob, "a stored hash").map(Hash)
}

/// Roles as `group_concat` returns them, parsed and sorted.
pub(crate) fn roles(list: Option<&str>) -> Result<Vec<Role>, StoreError> {
    let mut roles = list
        .unwrap_or_default()
        .split(',')
        .filter(|r| !r.is_empty())
        .map(|r| r.parse().map_err(|e| StoreError::Backend(format!("corrupt row: {e}"))))
        .collect::<Result<Vec<Role>, _>>()?;
    roles.sort();
    roles.dedup();
    Ok(roles)
}
