//! Responders' questions to reporters, and reporters' accuracy (issue 6).

use crate::SqliteStore;
use crate::convert::{from_sqlx, uuid};
use crate::rapid::log_action;
use amparo_core::ids::{AccountId, QuestionId, ReportId};
use amparo_core::rapid::Accuracy;
use amparo_store::{Question, ResponderAction, StoreError};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

macro_rules! question_columns {
    () => {
        "id, report, asked_by, asked_at_us, text, answer, answered_at_us"
    };
}

pub(crate) async fn ask(store: &SqliteStore, q: &Question, audit: &ResponderAction) -> Result<(), StoreError> {
    let what = || format!("asking about report {}", q.report);
    let mut tx = store.write().await?;
    let found: Option<i64> = sqlx::query_scalar("SELECT 1 FROM reports WHERE id = ?")
        .bind(q.report.as_bytes().as_slice())
        .fetch_optional(&mut *tx)
        .await
        .map_err(|e| from_sqlx(e, &what()))?;
    if found.is_none() {
        return Err(StoreError::NotFound(format!("report {}", q.report)));
    }
    sqlx::query(concat!(
        "INSERT INTO report_questions (",
        question_columns!(),
        ") VALUES (?, ?, ?, ?, ?, ?, ?)"
    ))
    .bind(q.id.as_bytes().as_slice())
    .bind(q.report.as_bytes().as_slice())
    .bind(q.asked_by.as_bytes().as_slice())
    .bind(q.asked_at_us)
    .bind(&q.text)
    .bind(&q.answer)
    .bind(q.answered_at_us)
    .execute(&mut *tx)
    .await
    .map_err(|e| from_sqlx(e, &what()))?;
    log_action(&mut tx, audit).await?;
    tx.commit().await.map_err(|e| from_sqlx(e, &what()))
}

pub(crate) async fn answer(
    store: &SqliteStore,
    id: QuestionId,
    reporter: AccountId,
    answer: &str,
    at_us: i64,
) -> Result<Question, StoreError> {
    let what = || format!("answering question {id}");
    let mut tx = store.write().await?;
    let done = sqlx::query(
        "UPDATE report_questions SET answer = ?, answered_at_us = ? WHERE id = ? \
         AND report IN (SELECT id FROM reports WHERE reporter = ?)",
    )
    .bind(answer)
    .bind(at_us)
    .bind(id.as_bytes().as_slice())
    .bind(reporter.as_bytes().as_slice())
    .execute(&mut *tx)
    .await
    .map_err(|e| from_sqlx(e, &what()))?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound(format!("question {id} to you")));
    }
    let row = sqlx::query(concat!(
        "SELECT ",
        question_columns!(),
        " FROM report_questions WHERE id = ?"
    ))
    .bind(id.as_bytes().as_slice())
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| from_sqlx(e, &what()))?;
    let question = question(&row)?;
    tx.commit().await.map_err(|e| from_sqlx(e, &what()))?;
    Ok(question)
}

pub(crate) async fn questions(store: &SqliteStore, report: ReportId) -> Result<Vec<Question>, StoreError> {
    let mut conn = store.read().await?;
    let rows = sqlx::query(concat!(
        "SELECT ",
        question_columns!(),
        " FROM report_questions WHERE report = ? ORDER BY asked_at_us, id"
    ))
    .bind(report.as_bytes().as_slice())
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| from_sqlx(e, &format!("reading the questions about report {report}")))?;
    rows.iter().map(question).collect()
}

fn question(row: &SqliteRow) -> Result<Question, StoreError> {
    let get = |e| from_sqlx(e, "reading a question");
    let id: Vec<u8> = row.try_get("id").map_err(get)?;
    let report: Vec<u8> = row.try_get("report").map_err(get)?;
    let by: Vec<u8> = row.try_get("asked_by").map_err(get)?;
    Ok(Question {
        id: QuestionId(uuid(&id, "question id")?),
        report: ReportId(uuid(&report, "question report")?),
        asked_by: AccountId(uuid(&by, "question asker")?),
        asked_at_us: row.try_get("asked_at_us").map_err(get)?,
        text: row.try_get("text").map_err(get)?,
        answer: row.try_get("answer").map_err(get)?,
        answered_at_us: row.try_get("answered_at_us").map_err(get)?,
    })
}

pub(crate) async fn accuracy(store: &SqliteStore, reporter: AccountId) -> Result<Accuracy, StoreError> {
    let mut conn = store.read().await?;
    let (verified, total): (i64, i64) = sqlx::query_as(
        "SELECT COALESCE(SUM(state IN ('verified', 'merged')), 0), COUNT(*) FROM reports \
         WHERE reporter = ? AND state <> 'unverified'",
    )
    .bind(reporter.as_bytes().as_slice())
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| from_sqlx(e, &format!("counting the reports of account {reporter}")))?;
    Ok(Accuracy {
        verified: u64::try_from(verified).unwrap_or(0),
        total: u64::try_from(total).unwrap_or(0),
    })
}
