//! Emergency contacts and detentions (issue 5).
//!
//! Adding a contact counts the account's contacts and inserts in one `BEGIN IMMEDIATE`
//! transaction, so two concurrent adds cannot both take the last place.

use crate::SqliteStore;
use crate::convert::{from_sqlx, uuid};
use amparo_core::ids::{AccountId, ContactId, EncounterId};
use amparo_store::{EmergencyContact, MAX_EMERGENCY_CONTACTS, StoreError};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

/// The columns every query reads and the insert writes, in this order (a macro so that the SQL
/// stays one static string, as sqlx requires).
macro_rules! columns {
    () => {
        "id, account, name, email, phone, language, prepared_message, created_at_us, updated_at_us"
    };
}

fn contact(row: &SqliteRow) -> Result<EmergencyContact, StoreError> {
    let get = |e| from_sqlx(e, "reading an emergency contact");
    Ok(EmergencyContact {
        id: ContactId(uuid(row.try_get("id").map_err(get)?, "contact id")?),
        account: AccountId(uuid(row.try_get("account").map_err(get)?, "contact account")?),
        name: row.try_get("name").map_err(get)?,
        email: row.try_get("email").map_err(get)?,
        phone: row.try_get("phone").map_err(get)?,
        language: row.try_get("language").map_err(get)?,
        prepared_message: row.try_get("prepared_message").map_err(get)?,
        created_at_us: row.try_get("created_at_us").map_err(get)?,
        updated_at_us: row.try_get("updated_at_us").map_err(get)?,
    })
}

pub(crate) async fn save(store: &SqliteStore, new: &EmergencyContact) -> Result<EmergencyContact, StoreError> {
    let what = format!("saving emergency contact {} of account {}", new.id, new.account);
    let mut tx = store.write().await?;
    let owner: Option<Vec<u8>> = sqlx::query_scalar("SELECT account FROM emergency_contacts WHERE id = ?")
        .bind(new.id.as_bytes().as_slice())
        .fetch_optional(&mut *tx)
        .await
        .map_err(|e| from_sqlx(e, &what))?;
    match owner {
        Some(owner) if owner.as_slice() != new.account.as_bytes().as_slice() => {
            return Err(StoreError::NotFound(format!(
                "{what}: no such contact for this account"
            )));
        }
        Some(_) => {
            // An update keeps when the contact was created.
            sqlx::query(
                "UPDATE emergency_contacts SET name = ?, email = ?, phone = ?, language = ?, \
                 prepared_message = ?, updated_at_us = ? WHERE id = ?",
            )
            .bind(&new.name)
            .bind(&new.email)
            .bind(&new.phone)
            .bind(&new.language)
            .bind(&new.prepared_message)
            .bind(new.updated_at_us)
            .bind(new.id.as_bytes().as_slice())
            .execute(&mut *tx)
            .await
            .map_err(|e| from_sqlx(e, &what))?;
        }
        None => {
            let count: i64 = sqlx::query_scalar("SELECT count(*) FROM emergency_contacts WHERE account = ?")
                .bind(new.account.as_bytes().as_slice())
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| from_sqlx(e, &what))?;
            if count >= MAX_EMERGENCY_CONTACTS as i64 {
                return Err(StoreError::Conflict(format!(
                    "{what}: the account already has {MAX_EMERGENCY_CONTACTS} contacts"
                )));
            }
            sqlx::query(concat!(
                "INSERT INTO emergency_contacts (",
                columns!(),
                ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            ))
            .bind(new.id.as_bytes().as_slice())
            .bind(new.account.as_bytes().as_slice())
            .bind(&new.name)
            .bind(&new.email)
            .bind(&new.phone)
            .bind(&new.language)
            .bind(&new.prepared_message)
            .bind(new.created_at_us)
            .bind(new.updated_at_us)
            .execute(&mut *tx)
            .await
            .map_err(|e| from_sqlx(e, &what))?;
        }
    }
    let row = sqlx::query(concat!("SELECT ", columns!(), " FROM emergency_contacts WHERE id = ?"))
        .bind(new.id.as_bytes().as_slice())
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| from_sqlx(e, &what))?;
    let saved = contact(&row)?;
    tx.commit().await.map_err(|e| from_sqlx(e, &what))?;
    Ok(saved)
}

pub(crate) async fn of_account(store: &SqliteStore, account: AccountId) -> Result<Vec<EmergencyContact>, StoreError> {
    let mut conn = store.read().await?;
    let rows = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM emergency_contacts WHERE account = ? ORDER BY created_at_us, id"
    ))
    .bind(account.as_bytes().as_slice())
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| from_sqlx(e, &format!("reading the emergency contacts of account {account}")))?;
    rows.iter().map(contact).collect()
}

pub(crate) async fn delete(store: &SqliteStore, account: AccountId, id: ContactId) -> Result<(), StoreError> {
    let what = format!("deleting emergency contact {id} of account {account}");
    let mut conn = store.write_conn().await?;
    let done = sqlx::query("DELETE FROM emergency_contacts WHERE id = ? AND account = ?")
        .bind(id.as_bytes().as_slice())
        .bind(account.as_bytes().as_slice())
        .execute(&mut *conn)
        .await
        .map_err(|e| from_sqlx(e, &what))?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound(format!(
            "{what}: no such contact for this account"
        )));
    }
    Ok(())
}

pub(crate) async fn mark_detained(store: &SqliteStore, encounter: EncounterId, at_us: i64) -> Result<bool, StoreError> {
    let what = format!("marking encounter {encounter} as a detention");
    let mut conn = store.write_conn().await?;
    let done = sqlx::query("INSERT INTO encounter_detentions (encounter, at_us) VALUES (?, ?) ON CONFLICT DO NOTHING")
        .bind(encounter.as_bytes().as_slice())
        .bind(at_us)
        .execute(&mut *conn)
        .await
        .map_err(|e| from_sqlx(e, &what))?;
    Ok(done.rows_affected() == 1)
}

pub(crate) async fn detained_at(store: &SqliteStore, encounter: EncounterId) -> Result<Option<i64>, StoreError> {
    let mut conn = store.read().await?;
    sqlx::query_scalar("SELECT at_us FROM encounter_detentions WHERE encounter = ?")
        .bind(encounter.as_bytes().as_slice())
        .fetch_optional(&mut *conn)
        .await
        .map_err(|e| from_sqlx(e, &format!("reading whether encounter {encounter} is a detention")))
}
