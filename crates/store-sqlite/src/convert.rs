//! Between the store's types and SQLite's, where SQLite differs: its errors, ids as 16-byte
//! blobs, roles as `group_concat` lists, an attorney's codes as comma-separated text. What every
//! backend shares is in `amparo_store::convert`.

use amparo_core::roles::Role;
use amparo_store::StoreError;
use sqlx::error::ErrorKind;
use std::collections::BTreeSet;
use std::fmt::Display;
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

pub(crate) fn uuid(blob: &[u8], what: &str) -> Result<Uuid, StoreError> {
    Uuid::from_slice(blob).map_err(|_| StoreError::Backend(format!("corrupt row: {what} is not a UUID")))
}

/// Roles as `group_concat` returns them (comma-separated, `NULL` for none), parsed and sorted.
pub(crate) fn roles(list: Option<&str>) -> Result<Vec<Role>, StoreError> {
    amparo_store::convert::roles(list.unwrap_or_default().split(',').filter(|r| !r.is_empty()))
}

/// Codes (states, languages, specialties) as one comma-separated text; none of them holds a comma.
pub(crate) fn list<T: Display>(codes: &BTreeSet<T>) -> String {
    amparo_store::convert::code_names(codes).join(",")
}

/// The codes of a [`list`], for `amparo_store::convert` to parse (the empty text is no codes).
pub(crate) fn items(list: &str) -> impl Iterator<Item = &str> {
    list.split(',').filter(|code| !code.is_empty())
}
