//! The attorney line's history (issue 4): attorneys' time on duty, each request for an attorney
//! and how it went, and the notes attorneys keep with an encounter.
//!
//! Starting a duty span closes the attorney's open one in the same `BEGIN IMMEDIATE`
//! transaction, and a partial unique index allows one open span per attorney, so no ordering of
//! nodes can leave two.

use crate::SqliteStore;
use crate::convert::{from_sqlx, uuid};
use amparo_core::ids::{AccountId, EncounterId, NoteId, OrgId};
use amparo_store::convert::call_outcome;
use amparo_store::{CallRecord, DutySpan, Note, StoreError};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

/// Closes the attorney's open span at `at_us`, or at its start if that is later: a node whose
/// clock is behind the one that opened it must not end a span before it began.
async fn close_open_span(conn: &mut SqliteConnection, attorney: AccountId, at_us: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE duty_spans SET until_us = max(since_us, ?) WHERE attorney = ? AND until_us IS NULL")
        .bind(at_us)
        .bind(attorney.as_bytes().as_slice())
        .execute(conn)
        .await
        .map_err(|e| from_sqlx(e, &format!("ending the duty of attorney {attorney}")))?;
    Ok(())
}

pub(crate) async fn start_duty(
    store: &SqliteStore,
    attorney: AccountId,
    org: OrgId,
    at_us: i64,
) -> Result<(), StoreError> {
    // Both statements in the write's own savepoint of a `BEGIN IMMEDIATE` batch: atomic together.
    store
        .grouped(move |conn| {
            Box::pin(async move {
                close_open_span(conn, attorney, at_us).await?;
                sqlx::query("INSERT INTO duty_spans (attorney, org, since_us, until_us) VALUES (?, ?, ?, NULL)")
                    .bind(attorney.as_bytes().as_slice())
                    .bind(org.as_bytes().as_slice())
                    .bind(at_us)
                    .execute(conn)
                    .await
                    .map_err(|e| {
                        from_sqlx(
                            e,
                            &format!("putting attorney {attorney} on duty for organization {org}"),
                        )
                    })?;
                Ok(())
            })
        })
        .await
}

pub(crate) async fn end_duty(store: &SqliteStore, attorney: AccountId, at_us: i64) -> Result<(), StoreError> {
    store
        .grouped(move |conn| Box::pin(close_open_span(conn, attorney, at_us)))
        .await
}

/// One statement over the open spans only (the partial index `duty_spans_open` holds just
/// them), whatever the years of closed spans behind them.
pub(crate) async fn end_all_duty(store: &SqliteStore, at_us: i64) -> Result<u64, StoreError> {
    store
        .grouped(move |conn| {
            Box::pin(async move {
                let ended = sqlx::query(
                    "UPDATE duty_spans INDEXED BY duty_spans_open SET until_us = max(since_us, ?) \
                     WHERE until_us IS NULL",
                )
                .bind(at_us)
                .execute(conn)
                .await
                .map_err(|e| from_sqlx(e, "ending every open duty span"))?;
                Ok(ended.rows_affected())
            })
        })
        .await
}

pub(crate) async fn duty_spans(
    store: &SqliteStore,
    org: OrgId,
    since_us: i64,
    until_us: i64,
) -> Result<Vec<DutySpan>, StoreError> {
    let get = |e| from_sqlx(e, &format!("listing the duty spans of organization {org}"));
    let mut conn = store.read().await?;
    let rows = sqlx::query(
        "SELECT attorney, since_us, until_us FROM duty_spans \
         WHERE org = ? AND since_us < ? AND (until_us IS NULL OR until_us > ?) \
         ORDER BY since_us, attorney, rowid",
    )
    .bind(org.as_bytes().as_slice())
    .bind(until_us)
    .bind(since_us)
    .fetch_all(&mut *conn)
    .await
    .map_err(get)?;
    rows.iter()
        .map(|row| {
            Ok(DutySpan {
                attorney: AccountId(uuid(row.try_get("attorney").map_err(get)?, "duty span attorney")?),
                org,
                since_us: row.try_get("since_us").map_err(get)?,
                until_us: row.try_get("until_us").map_err(get)?,
            })
        })
        .collect()
}

/// The columns every call query reads and the insert writes, in this order.
macro_rules! call_columns {
    () => {
        "encounter, requested_at_us, org, language, us_state, offered_at_us, connected_at_us, attorney, \
         closed_at_us, outcome"
    };
}

fn call(row: &SqliteRow) -> Result<CallRecord, StoreError> {
    let get = |e| from_sqlx(e, "reading a call");
    let attorney: Option<&[u8]> = row.try_get("attorney").map_err(get)?;
    Ok(CallRecord {
        encounter: EncounterId(uuid(row.try_get("encounter").map_err(get)?, "call encounter")?),
        org: OrgId(uuid(row.try_get("org").map_err(get)?, "call organization")?),
        language: row.try_get("language").map_err(get)?,
        us_state: row.try_get("us_state").map_err(get)?,
        requested_at_us: row.try_get("requested_at_us").map_err(get)?,
        offered_at_us: row.try_get("offered_at_us").map_err(get)?,
        connected_at_us: row.try_get("connected_at_us").map_err(get)?,
        attorney: attorney
            .map(|id| uuid(id, "call attorney").map(AccountId))
            .transpose()?,
        closed_at_us: row.try_get("closed_at_us").map_err(get)?,
        outcome: call_outcome(row.try_get("outcome").map_err(get)?)?,
    })
}

pub(crate) async fn save_call(store: &SqliteStore, call: &CallRecord) -> Result<(), StoreError> {
    let call = call.clone();
    store.grouped(move |conn| Box::pin(upsert_call(conn, call))).await
}

async fn upsert_call(conn: &mut SqliteConnection, call: CallRecord) -> Result<(), StoreError> {
    sqlx::query(concat!(
        "INSERT INTO attorney_calls (",
        call_columns!(),
        ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (encounter, requested_at_us) DO UPDATE SET org = excluded.org, \
         language = excluded.language, us_state = excluded.us_state, offered_at_us = excluded.offered_at_us, \
         connected_at_us = excluded.connected_at_us, attorney = excluded.attorney, \
         closed_at_us = excluded.closed_at_us, outcome = excluded.outcome"
    ))
    .bind(call.encounter.as_bytes().as_slice())
    .bind(call.requested_at_us)
    .bind(call.org.as_bytes().as_slice())
    .bind(&call.language)
    .bind(&call.us_state)
    .bind(call.offered_at_us)
    .bind(call.connected_at_us)
    .bind(call.attorney.as_ref().map(|a| a.as_bytes().as_slice()))
    .bind(call.closed_at_us)
    .bind(call.outcome.map(|o| o.as_str()))
    .execute(conn)
    .await
    .map_err(|e| {
        from_sqlx(
            e,
            &format!(
                "saving the call of encounter {} asked at {}",
                call.encounter, call.requested_at_us
            ),
        )
    })?;
    Ok(())
}

pub(crate) async fn calls_of_org(
    store: &SqliteStore,
    org: OrgId,
    since_us: i64,
    until_us: i64,
) -> Result<Vec<CallRecord>, StoreError> {
    let mut conn = store.read().await?;
    let rows = sqlx::query(concat!(
        "SELECT ",
        call_columns!(),
        " FROM attorney_calls WHERE org = ? AND requested_at_us >= ? AND requested_at_us < ? \
         ORDER BY requested_at_us, encounter"
    ))
    .bind(org.as_bytes().as_slice())
    .bind(since_us)
    .bind(until_us)
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| from_sqlx(e, &format!("listing the calls of organization {org}")))?;
    rows.iter().map(call).collect()
}

pub(crate) async fn calls_of_attorney(
    store: &SqliteStore,
    attorney: AccountId,
    limit: u32,
) -> Result<Vec<CallRecord>, StoreError> {
    let mut conn = store.read().await?;
    let rows = sqlx::query(concat!(
        "SELECT ",
        call_columns!(),
        " FROM attorney_calls WHERE attorney = ? ORDER BY requested_at_us DESC, encounter DESC LIMIT ?"
    ))
    .bind(attorney.as_bytes().as_slice())
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| from_sqlx(e, &format!("listing the calls of attorney {attorney}")))?;
    rows.iter().map(call).collect()
}

pub(crate) async fn open_calls(store: &SqliteStore) -> Result<Vec<CallRecord>, StoreError> {
    let mut conn = store.read().await?;
    let rows = sqlx::query(concat!(
        "SELECT ",
        call_columns!(),
        " FROM attorney_calls WHERE closed_at_us IS NULL ORDER BY requested_at_us, encounter"
    ))
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| from_sqlx(e, "listing the open calls"))?;
    rows.iter().map(call).collect()
}

pub(crate) async fn add_note(store: &SqliteStore, note: &Note) -> Result<(), StoreError> {
    let mut conn = store.write_conn().await?;
    // The primary key answers for a taken id (`Conflict`), the foreign keys for an unknown
    // encounter or author (`NotFound`).
    sqlx::query("INSERT INTO attorney_notes (id, encounter, author, text, at_us) VALUES (?, ?, ?, ?, ?)")
        .bind(note.id.as_bytes().as_slice())
        .bind(note.encounter.as_bytes().as_slice())
        .bind(note.author.as_bytes().as_slice())
        .bind(&note.text)
        .bind(note.at_us)
        .execute(&mut *conn)
        .await
        .map_err(|e| from_sqlx(e, &format!("adding note {} to encounter {}", note.id, note.encounter)))?;
    Ok(())
}

pub(crate) async fn notes_of(store: &SqliteStore, encounter: EncounterId) -> Result<Vec<Note>, StoreError> {
    let get = |e| from_sqlx(e, &format!("reading the notes of encounter {encounter}"));
    let mut conn = store.read().await?;
    let rows = sqlx::query("SELECT id, author, text, at_us FROM attorney_notes WHERE encounter = ? ORDER BY at_us, id")
        .bind(encounter.as_bytes().as_slice())
        .fetch_all(&mut *conn)
        .await
        .map_err(get)?;
    rows.iter()
        .map(|row| {
            Ok(Note {
                id: NoteId(uuid(row.try_get("id").map_err(get)?, "note id")?),
                encounter,
                author: AccountId(uuid(row.try_get("author").map_err(get)?, "note author")?),
                text: row.try_get("text").map_err(get)?,
                at_us: row.try_get("at_us").map_err(get)?,
            })
        })
        .collect()
}
