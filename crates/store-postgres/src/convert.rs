//! PostgreSQL's errors in the store's vocabulary. The value conversions every backend shares
//! (unsigned counters as BIGINT, 32-byte strings, role names) are in `amparo_store::convert`.

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
