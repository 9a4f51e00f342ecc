//! Emergency contacts and detentions (issue 5).
//!
//! Adding a contact locks the account's row first (`SELECT ... FOR UPDATE`), then counts and
//! inserts, so two concurrent adds cannot both take the last place.

use crate::PostgresStore;
use crate::convert::from_sqlx;
use amparo_core::ids::{AccountId, ContactId, EncounterId};
use amparo_store::{EmergencyContact, MAX_EMERGENCY_CONTACTS, StoreError};
use sqlx::Row;
use sqlx::postgres::PgRow;
use uuid::Uuid;

/// The columns every query reads and the insert writes, in this order (a macro so that the SQL
/// stays one static string, as sqlx requires).
macro_rules! columns {
    () => {
        "id, account, name, email, phone, language, prepared_message, created_at_us, updated_at_us"
    };
}

fn contact(row: &PgRow) -> Result<EmergencyContact, StoreError> {
    let get = |e| from_sqlx(e, "reading an emergency contact");
    Ok(EmergencyContact {
        id: ContactId(row.try_get("id").map_err(get)?),
        account: AccountId(row.try_get("account").map_err(get)?),
        name: row.try_get("name").map_err(get)?,
        email: row.try_get("email").map_err(get)?,
        phone: row.try_get("phone").map_err(get)?,
        language: row.try_get("language").map_err(get)?,
        prepared_message: row.try_get("prepared_message").map_err(get)?,
        created_at_us: row.try_get("created_at_us").map_err(get)?,
        updated_at_us: row.try_get("updated_at_us").map_err(get)?,
    })
}

pub(crate) async fn save(store: &PostgresStore, new: &EmergencyContact) -> Result<EmergencyContact, StoreError> {
    let what = format!("saving emergency contact {} of account {}", new.id, new.account);
    let mut tx = store.pool.begin().await.map_err(|e| from_sqlx(e, &what))?;
    let account: Option<Uuid> = sqlx::query_scalar("SELECT id FROM accounts WHERE id = $1 FOR UPDATE")
        .bind(new.account.0)
        .fetch_optional(&mut *tx)
        .await
        .map_err(|e| from_sqlx(e, &what))?;
    if account.is_none() {
        return Err(StoreError::NotFound(format!("{what}: no such account")));
    }
    let owner: Option<Uuid> = sqlx::query_scalar("SELECT account FROM emergency_contacts WHERE id = $1")
        .bind(new.id.0)
        .fetch_optional(&mut *tx)
        .await
        .map_err(|e| from_sqlx(e, &what))?;
    match owner {
        Some(owner) if owner != new.account.0 => {
            return Err(StoreError::NotFound(format!(
                "{what}: no such contact for this account"
            )));
        }
        Some(_) => {
            // An update keeps when the contact was created.
            sqlx::query(
                "UPDATE emergency_contacts SET name = $1, email = $2, phone = $3, language = $4, \
                 prepared_message = $5, updated_at_us = $6 WHERE id = $7",
            )
            .bind(&new.name)
            .bind(&new.email)
            .bind(&new.phone)
            .bind(&new.language)
            .bind(&new.prepared_message)
            .bind(new.updated_at_us)
            .bind(new.id.0)
            .execute(&mut *tx)
            .await
            .map_err(|e| from_sqlx(e, &what))?;
        }
        None => {
            let count: i64 = sqlx::query_scalar("SELECT count(*) FROM emergency_contacts WHERE account = $1")
                .bind(new.account.0)
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
                ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
            ))
            .bind(new.id.0)
            .bind(new.account.0)
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
    let row = sqlx::query(concat!("SELECT ", columns!(), " FROM emergency_contacts WHERE id = $1"))
        .bind(new.id.0)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| from_sqlx(e, &what))?;
    let saved = contact(&row)?;
    tx.commit().await.map_err(|e| from_sqlx(e, &what))?;
    Ok(saved)
}

pub(crate) async fn of_account(store: &PostgresStore, account: AccountId) -> Result<Vec<EmergencyContact>, StoreError> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM emergency_contacts WHERE account = $1 ORDER BY created_at_us, id"
    ))
    .bind(account.0)
    .fetch_all(&store.pool)
    .await
    .map_err(|e| from_sqlx(e, &format!("reading the emergency contacts of account {account}")))?;
    rows.iter().map(contact).collect()
}

pub(crate) async fn delete(store: &PostgresStore, account: AccountId, id: ContactId) -> Result<(), StoreError> {
    let what = format!("deleting emergency contact {id} of account {account}");
    let done = sqlx::query("DELETE FROM emergency_contacts WHERE id = $1 AND account = $2")
        .bind(id.0)
        .bind(account.0)
        .execute(&store.pool)
        .await
        .map_err(|e| from_sqlx(e, &what))?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound(format!(
            "{what}: no such contact for this account"
        )));
    }
    Ok(())
}

pub(crate) async fn mark_detained(
    store: &PostgresStore,
    encounter: EncounterId,
    at_us: i64,
) -> Result<bool, StoreError> {
    let done =
        sqlx::query("INSERT INTO encounter_detentions (encounter, at_us) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(encounter.0)
            .bind(at_us)
            .execute(&store.pool)
            .await
            .map_err(|e| from_sqlx(e, &format!("marking encounter {encounter} as a detention")))?;
    Ok(done.rows_affected() == 1)
}

pub(crate) async fn detained_at(store: &PostgresStore, encounter: EncounterId) -> Result<Option<i64>, StoreError> {
    sqlx::query_scalar("SELECT at_us FROM encounter_detentions WHERE encounter = $1")
        .bind(encounter.0)
        .fetch_optional(&store.pool)
        .await
        .map_err(|e| from_sqlx(e, &format!("reading whether encounter {encounter} is a detention")))
}
