//! Every row of every table, from SQLite into PostgreSQL, in one PostgreSQL transaction: a crash
//! or an error part way leaves the target as empty as it was, so the copy can simply be run
//! again. Rows go in batches of multi-row inserts with their ids, times and counters as they
//! are; identity columns take the source's values (`OVERRIDING SYSTEM VALUE`) and their sequences
//! are moved past them, so the new deployment's next row does not collide.

use super::progress::Progress;
use super::source::Source;
use super::tables::{TablePlan, quoted};
use super::values::{self, Value};
use anyhow::Context;
use futures::TryStreamExt;
use sqlx::{AssertSqlSafe, PgConnection, PgPool, Postgres, QueryBuilder};

/// PostgreSQL takes at most 65,535 parameters in one statement.
const MAX_PARAMETERS: usize = 65_535;
/// Rows per insert: enough to make the round trips cheap, small enough to report progress.
const MAX_BATCH_ROWS: usize = 1_000;

/// Copies every planned table and commits.
pub async fn copy_all(source: &mut Source, target: &PgPool, plans: &[TablePlan]) -> anyhow::Result<()> {
    let mut tx = target.begin().await.context("starting the target's transaction")?;
    for plan in plans {
        copy_table(source, &mut tx, plan).await?;
    }
    for plan in plans {
        move_sequences_past_copied(&mut tx, plan).await?;
    }
    // `log_size` is PostgreSQL's own: the appenders' lock row, holding the log's size.
    sqlx::query("UPDATE log_size SET size = (SELECT count(*) FROM log_entries)")
        .execute(&mut *tx)
        .await
        .context("setting the log's size")?;
    tx.commit().await.context("committing the copied rows")?;
    Ok(())
}

async fn copy_table(source: &mut Source, tx: &mut PgConnection, plan: &TablePlan) -> anyhow::Result<()> {
    let name = plan.name;
    let total: i64 = sqlx::query_scalar(AssertSqlSafe(format!("SELECT count(*) FROM {}", quoted(name))))
        .fetch_one(&mut source.connection)
        .await
        .with_context(|| format!("counting {name} in SQLite"))?;
    let mut progress = Progress::start(name, u64::try_from(total).unwrap_or_default());
    let batch_rows = (MAX_PARAMETERS / plan.columns.len().max(1)).clamp(1, MAX_BATCH_ROWS);
    let insert = format!(
        "INSERT INTO {} ({}) OVERRIDING SYSTEM VALUE ",
        quoted(name),
        plan.target_columns()
    );
    let mut copied: u64 = 0;
    let mut batch: Vec<Vec<Value>> = Vec::with_capacity(batch_rows);
    let mut rows = sqlx::query(AssertSqlSafe(plan.source_select())).fetch(&mut source.connection);
    while let Some(row) = rows
        .try_next()
        .await
        .with_context(|| format!("reading {name} from SQLite"))?
    {
        let mut values = Vec::with_capacity(plan.columns.len());
        for (index, column) in plan.columns.iter().enumerate() {
            let value = values::from_sqlite(&row, index, column.kind).with_context(|| {
                format!(
                    "{name}.{} in row {} of SQLite cannot be copied to PostgreSQL",
                    column.source,
                    copied + 1
                )
            })?;
            values.push(value);
        }
        copied += 1;
        batch.push(values);
        if batch.len() == batch_rows {
            insert_batch(tx, &insert, name, std::mem::take(&mut batch)).await?;
            progress.advance(batch_rows as u64);
        }
    }
    drop(rows);
    let last = batch.len() as u64;
    if !batch.is_empty() {
        insert_batch(tx, &insert, name, batch).await?;
    }
    progress.advance(last);
    progress.finish();
    Ok(())
}

async fn insert_batch(tx: &mut PgConnection, insert: &str, name: &str, batch: Vec<Vec<Value>>) -> anyhow::Result<()> {
    let mut query = QueryBuilder::<Postgres>::new(insert);
    query.push_values(batch, |mut row, values| {
        for value in values {
            values::bind(&mut row, value);
        }
    });
    query
        .build()
        .execute(&mut *tx)
        .await
        .with_context(|| format!("inserting into {name} in PostgreSQL"))?;
    Ok(())
}

/// Identity and serial columns were given the source's numbers; their sequences would otherwise
/// hand out those numbers again.
async fn move_sequences_past_copied(tx: &mut PgConnection, plan: &TablePlan) -> anyhow::Result<()> {
    for column in &plan.columns {
        let sequence: Option<String> = sqlx::query_scalar("SELECT pg_get_serial_sequence($1, $2)")
            .bind(quoted(plan.name))
            .bind(&column.target)
            .fetch_one(&mut *tx)
            .await
            .with_context(|| format!("finding the sequence of {}.{}", plan.name, column.target))?;
        let Some(sequence) = sequence else { continue };
        let next = format!(
            "SELECT setval($1::regclass, COALESCE((SELECT max({}) FROM {}), 0) + 1, false)",
            quoted(&column.target),
            quoted(plan.name)
        );
        sqlx::query(AssertSqlSafe(next))
            .bind(&sequence)
            .execute(&mut *tx)
            .await
            .with_context(|| format!("moving {sequence} past the copied rows"))?;
    }
    Ok(())
}
