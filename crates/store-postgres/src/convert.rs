//! Between the store's types and PostgreSQL's: errors, unsigned counters and fixed-size byte
//! strings.

use amparo_core::Hash;
use amparo_core::roles::Role;
use amparo_store::StoreError;
use sqlx::error::ErrorKind;

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

/// A u64 as BIGINT. Values past `i64::MAX` are refused, never wrapped.
pub(crate) fn to_i64(value: u64, what: &str) -> Result<i64, StoreError> {
    i64::try_from(value)
        .map_err(|_| StoreError::Conflict(format!("{what} {value} is beyond what the store holds ({})", i64::MAX)))
}

/// A stored BIGINT back to u64; the schema's CHECKs keep them non-negative.
pub(crate) fn to_u64(value: i64, what: &str) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Backend(format!("corrupt row: {what} is {value}")))
}

/// `start..start+count` as BIGINT bounds, the end clamped: ranges read short. `None` when the
/// start is past anything a BIGINT key can hold.
pub(crate) fn range(start: u64, count: u64) -> Option<(i64, i64)> {
    let start = i64::try_from(start).ok()?;
    let end = start.saturating_add(i64::try_from(count).unwrap_or(i64::MAX));
    Some((start, end))
}

pub(crate) fn bytes32(bytes: &[u8], what: &str) -> Result<[u8; 32], StoreError> {
    bytes
        .try_into()
        .map_err(|_| StoreError::Backend(format!("corrupt row: {what} is not 32 bytes")))
}

pub(crate) fn hash(bytes: &[u8]) -> Result<Hash, StoreError> {
    bytes32(bytes, "a stored hash").map(Hash)
}

/// Role names as stored, parsed and sorted.
pub(crate) fn roles(names: Vec<String>) -> Result<Vec<Role>, StoreError> {
    let mut roles = names
        .iter()
        .map(|r| r.parse().map_err(|e| StoreError::Backend(format!("corrupt row: {e}"))))
        .collect::<Result<Vec<Role>, _>>()?;
    roles.sort();
    roles.dedup();
    Ok(roles)
}
