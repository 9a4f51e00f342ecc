//! The attorney line's history (issue 4): attorneys' time on duty, each request for an attorney
//! and how it went, and the notes attorneys keep with an encounter.
//!
//! Starting a duty span locks the attorney's account row first (`SELECT ... FOR UPDATE`), then
//! closes their open span and opens the new one, so concurrent starts take turns; a partial
//! unique index allows one open span per attorney, so no ordering of nodes can leave two.

use crate::PostgresStore;
use crate::convert::from_sqlx;
use amparo_core::ids::{AccountId, EncounterId, NoteId, OrgId};
use amparo_store::convert::call_outcome;
use amparo_store::{CallRecord, DutySpan, Note, StoreError};
use sqlx::postgres::PgRow;
use sqlx::{PgExecutor, Row};
use uuid::Uuid;

/// Closes the attorney's open span at `at_us`, or at its start if that is later: a node whose
/// clock is behind the one that opened it must not end a span before it began.
async fn close_open_span<'c>(conn: impl PgExecutor<'c>, attorney: AccountId, at_us: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE duty_spans SET until_us = GREATEST(since_us, $1) WHERE attorney = $2 AND until_us IS NULL")
        .bind(at_us)
        .bind(attorney.0)
        .execute(conn)
        .await
        .map_err(|e| from_sqlx(e, &format!("ending the duty of attorney {attorney}")))?;
    Ok(())
}

pub(crate) async fn start_duty(
    store: &PostgresStore,
    attorney: AccountId,
    org: OrgId,
    at_us: i64,
) -> Result<(), StoreError> {
    let what = format!("putting attorney {attorney} on duty for organization {org}");
    let mut tx = store.pool.begin().await.map_err(|e| from_sqlx(e, &what))?;
    let account: Option<Uuid> = sqlx::query_scalar("SELECT id FROM accounts WHERE id = $1 FOR UPDATE")
        .bind(attorney.0)
        .fetch_optional(&mut *tx)
        .await
        .map_err(|e| from_sqlx(e, &what))?;
    if account.is_none() {
        return Err(StoreError::NotFound(format!("{what}: no such account")));
    }
    close_open_span(&mut *tx, attorney, at_us).await?;
    sqlx::query("INSERT INTO duty_spans (attorney, org, since_us, until_us) VALUES ($1, $2, $3, NULL)")
        .bind(attorney.0)
        .bind(org.0)
        .bind(at_us)
        .execute(&mut *tx)
        .await
        .map_err(|e| from_sqlx(e, &what))?;
    tx.commit().await.map_err(|e| from_sqlx(e, &what))
}

pub(crate) async fn end_duty(store: &PostgresStore, attorney: AccountId, at_us: i64) -> Result<(), StoreError> {
    close_open_span(&store.pool, attorney, at_us).await
}

/// One statement; the planner reads the open spans through the partial index `duty_spans_open`
/// (it holds only them), whatever the years of closed spans behind them.
pub(crate) async fn end_all_duty(store: &PostgresStore, at_us: i64) -> Result<u64, StoreError> {
    let ended = sqlx::query("UPDATE duty_spans SET until_us = GREATEST(since_us, $1) WHERE until_us IS NULL")
        .bind(at_us)
        .execute(&store.pool)
        .await
        .map_err(|e| from_sqlx(e, "ending every open duty span"))?;
    Ok(ended.rows_affected())
}

pub(crate) async fn duty_spans(
    store: &PostgresStore,
    org: OrgId,
    since_us: i64,
    until_us: i64,
) -> Result<Vec<DutySpan>, StoreError> {
    let get = |e| from_sqlx(e, &format!("listing the duty spans of organization {org}"));
    let rows = sqlx::query(
        "SELECT attorney, since_us, until_us FROM duty_spans \
         WHERE org = $1 AND since_us < $2 AND (until_us IS NULL OR until_us > $3) \
         ORDER BY since_us, attorney, id",
    )
    .bind(org.0)
    .bind(until_us)
    .bind(since_us)
    .fetch_all(&store.pool)
    .await
    .map_err(get)?;
    rows.iter()
        .map(|row| {
            Ok(DutySpan {
                attorney: AccountId(row.try_get("attorney").map_err(get)?),
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

fn call(row: &PgRow) -> Result<CallRecord, StoreError> {
    let get = |e| from_sqlx(e, "reading a call");
    let attorney: Option<Uuid> = row.try_get("attorney").map_err(get)?;
    Ok(CallRecord {
        encounter: EncounterId(row.try_get("encounter").map_err(get)?),
        org: OrgId(row.try_get("org").map_err(get)?),
        language: row.try_get("language").map_err(get)?,
        us_state: row.try_get("us_state").map_err(get)?,
        requested_at_us: row.try_get("requested_at_us").map_err(get)?,
        offered_at_us: row.try_get("offered_at_us").map_err(get)?,
        connected_at_us: row.try_get("connected_at_us").map_err(get)?,
        attorney: attorney.map(AccountId),
        closed_at_us: row.try_get("closed_at_us").map_err(get)?,
        outcome: call_outcome(row.try_get("outcome").map_err(get)?)?,
    })
}

pub(crate) async fn save_call(store: &PostgresStore, call: &CallRecord) -> Result<(), StoreError> {
    sqlx::query(concat!(
        "INSERT INTO attorney_calls (",
        call_columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         ON CONFLICT (encounter, requested_at_us) DO UPDATE SET org = excluded.org, \
         language = excluded.language, us_state = excluded.us_state, offered_at_us = excluded.offered_at_us, \
         connected_at_us = excluded.connected_at_us, attorney = excluded.attorney, \
         closed_at_us = excluded.closed_at_us, outcome = excluded.outcome"
    ))
    .bind(call.encounter.0)
    .bind(call.requested_at_us)
    .bind(call.org.0)
    .bind(&call.language)
    .bind(&call.us_state)
    .bind(call.offered_at_us)
    .bind(call.connected_at_us)
    .bind(call.attorney.map(|a| a.0))
    .bind(call.closed_at_us)
    .bind(call.outcome.map(|o| o.as_str()))
    .execute(&store.pool)
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
    store: &PostgresStore,
    org: OrgId,
    since_us: i64,
    until_us: i64,
) -> Result<Vec<CallRecord>, StoreError> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        call_columns!(),
        " FROM attorney_calls WHERE org = $1 AND requested_at_us >= $2 AND requested_at_us < $3 \
         ORDER BY requested_at_us, encounter"
    ))
    .bind(org.0)
    .bind(since_us)
    .bind(until_us)
    .fetch_all(&store.pool)
    .await
    .map_err(|e| from_sqlx(e, &format!("listing the calls of organization {org}")))?;
    rows.iter().map(call).collect()
}

pub(crate) async fn calls_of_attorney(
    store: &PostgresStore,
    attorney: AccountId,
    limit: u32,
) -> Result<Vec<CallRecord>, StoreError> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        call_columns!(),
        " FROM attorney_calls WHERE attorney = $1 ORDER BY requested_at_us DESC, encounter DESC LIMIT $2"
    ))
    .bind(attorney.0)
    .bind(i64::from(limit))
    .fetch_all(&store.pool)
    .await
    .map_err(|e| from_sqlx(e, &format!("listing the calls of attorney {attorney}")))?;
    rows.iter().map(call).collect()
}

pub(crate) async fn open_calls(store: &PostgresStore) -> Result<Vec<CallRecord>, StoreError> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        call_columns!(),
        " FROM attorney_calls WHERE closed_at_us IS NULL ORDER BY requested_at_us, encounter"
    ))
    .fetch_all(&store.pool)
    .await
    .map_err(|e| from_sqlx(e, "listing the open calls"))?;
    rows.iter().map(call).collect()
}

pub(crate) async fn add_note(store: &PostgresStore, note: &Note) -> Result<(), StoreError> {
    // The primary key answers for a taken id (`Conflict`), the foreign keys for an unknown
    // encounter or author (`NotFound`).
    sqlx::query("INSERT INTO attorney_notes (id, encounter, author, text, at_us) VALUES ($1, $2, $3, $4, $5)")
        .bind(note.id.0)
        .bind(note.encounter.0)
        .bind(note.author.0)
        .bind(&note.text)
        .bind(note.at_us)
        .execute(&store.pool)
        .await
        .map_err(|e| from_sqlx(e, &format!("adding note {} to encounter {}", note.id, note.encounter)))?;
    Ok(())
}

pub(crate) async fn notes_of(store: &PostgresStore, encounter: EncounterId) -> Result<Vec<Note>, StoreError> {
    let get = |e| from_sqlx(e, &format!("reading the notes of encounter {encounter}"));
    let rows =
        sqlx::query("SELECT id, author, text, at_us FROM attorney_notes WHERE encounter = $1 ORDER BY at_us, id")
            .bind(encounter.0)
            .fetch_all(&store.pool)
            .await
            .map_err(get)?;
    rows.iter()
        .map(|row| {
            Ok(Note {
                id: NoteId(row.try_get("id").map_err(get)?),
                encounter,
                author: AccountId(row.try_get("author").map_err(get)?),
                text: row.try_get("text").map_err(get)?,
                at_us: row.try_get("at_us").map_err(get)?,
            })
        })
        .collect()
}
