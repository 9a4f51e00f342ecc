//! Responders' questions to reporters, and reporters' accuracy (issue 6).

use crate::PostgresStore;
use crate::convert::from_sqlx;
use crate::rapid::log_action;
use amparo_core::ids::{AccountId, QuestionId, ReportId};
use amparo_core::rapid::Accuracy;
use amparo_store::{Question, ResponderAction, StoreError};
use sqlx::Row;
use sqlx::postgres::PgRow;
use uuid::Uuid;

macro_rules! question_columns {
    () => {
        "id, report, asked_by, asked_at_us, text, answer, answered_at_us"
    };
}

pub(crate) async fn ask(store: &PostgresStore, q: &Question, audit: &ResponderAction) -> Result<(), StoreError> {
    let what = || format!("asking about report {}", q.report);
    let mut tx = store.pool.begin().await.map_err(|e| from_sqlx(e, "starting a write"))?;
    let found: Option<i64> = sqlx::query_scalar("SELECT 1::BIGINT FROM reports WHERE id = $1")
        .bind(q.report.0)
        .fetch_optional(&mut *tx)
        .await
        .map_err(|e| from_sqlx(e, &what()))?;
    if found.is_none() {
        return Err(StoreError::NotFound(format!("report {}", q.report)));
    }
    sqlx::query(concat!(
        "INSERT INTO report_questions (",
        question_columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7)"
    ))
    .bind(q.id.0)
    .bind(q.report.0)
    .bind(q.asked_by.0)
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
    store: &PostgresStore,
    id: QuestionId,
    reporter: AccountId,
    answer: &str,
    at_us: i64,
) -> Result<Question, StoreError> {
    let what = || format!("answering question {id}");
    let mut tx = store.pool.begin().await.map_err(|e| from_sqlx(e, "starting a write"))?;
    let done = sqlx::query(
        "UPDATE report_questions SET answer = $1, answered_at_us = $2 WHERE id = $3 \
         AND report IN (SELECT id FROM reports WHERE reporter = $4)",
    )
    .bind(answer)
    .bind(at_us)
    .bind(id.0)
    .bind(reporter.0)
    .execute(&mut *tx)
    .await
    .map_err(|e| from_sqlx(e, &what()))?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound(format!("question {id} to you")));
    }
    let row = sqlx::query(concat!(
        "SELECT ",
        question_columns!(),
        " FROM report_questions WHERE id = $1"
    ))
    .bind(id.0)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| from_sqlx(e, &what()))?;
    let question = question(&row)?;
    tx.commit().await.map_err(|e| from_sqlx(e, &what()))?;
    Ok(question)
}

pub(crate) async fn questions(store: &PostgresStore, report: ReportId) -> Result<Vec<Question>, StoreError> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        question_columns!(),
        " FROM report_questions WHERE report = $1 ORDER BY asked_at_us, id"
    ))
    .bind(report.0)
    .fetch_all(&store.pool)
    .await
    .map_err(|e| from_sqlx(e, &format!("reading the questions about report {report}")))?;
    rows.iter().map(question).collect()
}

fn question(row: &PgRow) -> Result<Question, StoreError> {
    let get = |e| from_sqlx(e, "reading a question");
    let id: Uuid = row.try_get("id").map_err(get)?;
    let report: Uuid = row.try_get("report").map_err(get)?;
    let by: Uuid = row.try_get("asked_by").map_err(get)?;
    Ok(Question {
        id: QuestionId(id),
        report: ReportId(report),
        asked_by: AccountId(by),
        asked_at_us: row.try_get("asked_at_us").map_err(get)?,
        text: row.try_get("text").map_err(get)?,
        answer: row.try_get("answer").map_err(get)?,
        answered_at_us: row.try_get("answered_at_us").map_err(get)?,
    })
}

pub(crate) async fn accuracy(store: &PostgresStore, reporter: AccountId) -> Result<Accuracy, StoreError> {
    let (verified, total): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*) FILTER (WHERE state IN ('verified', 'merged')), COUNT(*) FROM reports \
         WHERE reporter = $1 AND state <> 'unverified'",
    )
    .bind(reporter.0)
    .fetch_one(&store.pool)
    .await
    .map_err(|e| from_sqlx(e, &format!("counting the reports of account {reporter}")))?;
    Ok(Accuracy {
        verified: u64::try_from(verified).unwrap_or(0),
        total: u64::try_from(total).unwrap_or(0),
    })
}
