//! `amparo migrate-store`: a single node's SQLite database and local media, copied into
//! PostgreSQL and S3-compatible storage, so that the same deployment can run on several nodes.
//!
//! Module map:
//! - [`source`]: the SQLite database, locked against any other user (a node still serving is
//!   refused) and at this binary's schema.
//! - [`tables`]: which tables are copied and in which order; each table's columns paired by
//!   name, with their PostgreSQL types; a table or column with no place is refused.
//! - [`values`]: a SQLite value as its PostgreSQL type, and an order-free digest of a table.
//! - [`media`]: every object of `<data_dir>/media` into the bucket, under the same key; skips
//!   what an earlier run already sent.
//! - [`rows`]: every row, in one PostgreSQL transaction, in batches.
//! - [`checks`]: the copy read back: rows, the log against its signed checkpoint, every chunk's
//!   SHA-256, every photo.
//! - [`progress`]: the lines it prints while it works.
//!
//! Why rows are copied table by table with SQL rather than through the `Store` trait: the trait
//! has no way to list everything, and writing through it would give new times, new sequence
//! numbers and a re-appended log, when the point is that ids, times, bytes and the log's tree stay
//! exactly as they were, so that receipts and checkpoints already handed out still verify.
//!
//! After a crash: the rows are one transaction, so the target is either empty (run again: the
//! media already sent is skipped) or a complete copy (run again: it is recognised as this node's
//! copy, the media is completed and everything checked).

mod checks;
mod media;
mod progress;
mod rows;
mod source;
mod tables;
mod values;

use crate::config::Settings;
use crate::run::redact;
use amparo_server::blobs::{self, BlobLocation};
use amparo_store_postgres::PostgresStore;
use anyhow::{Context, bail};
use object_store::ObjectStore;
use source::Source;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Objects sent or read back at once. Each S3 request waits mostly on the network, so many overlap
/// (measured against s3s-fs on loopback: 8 at once read 5,000 chunks back in 9.2 s, 32 in 3.9 s);
/// each holds one object in memory, at most `limits.max_chunk_bytes` (16 MiB by default).
const AT_ONCE: usize = 16;

/// The files that stay with the operator: they are not in the database or the bucket, and the new
/// nodes need them in their own data directories.
const KEY_FILES: [(&str, &str); 3] = [
    (
        "log.key",
        "signs the log: without it the new nodes start a different log",
    ),
    ("messages.key", "opens the emergency contacts' prepared messages"),
    (
        "push.key",
        "the Web Push (VAPID) key every browser's alert subscription is bound to",
    ),
];

pub async fn run(settings: Settings, sqlite: Option<PathBuf>) -> anyhow::Result<()> {
    let database_url = target_database(&settings.database_url)?;
    require_s3(&settings.blob_url)?;
    let data_dir = settings.data_dir.as_path();
    let database = sqlite.unwrap_or_else(|| data_dir.join("amparo.db"));
    println!(
        "Copying {} and {} into {} and {}",
        database.display(),
        data_dir.join("media").display(),
        redact(database_url),
        settings.blob_url
    );

    println!("1/5 Locking the SQLite database");
    let mut source = Source::open(&database).await?;
    println!("2/5 Preparing the PostgreSQL database");
    let (pool, store) = connect_target(database_url).await?;
    let plans = tables::plan(&mut source.connection, &pool).await?;
    let copied_before = earlier_copy(&mut source, &pool, &plans).await?;

    println!("3/5 Copying the media");
    let bucket = blobs::open(&settings.blob_url, &settings.s3, data_dir).context("opening the target bucket")?;
    copy_media(&settings, &bucket).await?;

    println!("4/5 Copying the rows (one transaction)");
    if copied_before {
        println!("  already done");
    } else {
        rows::copy_all(&mut source, &pool, &plans).await?;
    }

    println!("5/5 Checking the copy");
    checks::rows(&mut source, &pool, &plans).await?;
    checks::log(Arc::new(store), data_dir).await?;
    checks::chunks(&pool, bucket.as_ref()).await?;
    checks::photos(&pool, bucket.as_ref()).await?;
    source.close().await?;
    pool.close().await;
    print_next_steps(data_dir);
    Ok(())
}

/// The target must be PostgreSQL: that is what the copy is for.
fn target_database(url: &str) -> anyhow::Result<&str> {
    let url = url.trim();
    match url.split_once("://").map(|(scheme, _)| scheme) {
        Some("postgres" | "postgresql") => Ok(url),
        _ => bail!(
            "migrate-store copies into PostgreSQL: give --database-url postgres://user@host/database (an empty \
             database); the SQLite source is read from the data directory"
        ),
    }
}

fn require_s3(blob_url: &str) -> anyhow::Result<()> {
    match BlobLocation::parse(blob_url)? {
        BlobLocation::S3 { .. } => Ok(()),
        BlobLocation::Local => bail!(
            "migrate-store copies the media into S3-compatible storage: give --blob-url s3://bucket/prefix (and the \
             [s3] settings or AWS_* variables `amparo serve` will use)"
        ),
    }
}

/// The target database, its schema brought up to date as a node's first start would.
async fn connect_target(url: &str) -> anyhow::Result<(PgPool, PostgresStore)> {
    let pool = PgPoolOptions::new()
        .max_connections(4)
        .connect(url)
        .await
        .with_context(|| format!("connecting to {}: check --database-url", redact(url)))?;
    let store = PostgresStore::with_pool(pool.clone())
        .await
        .context("bringing the target database's schema up to date")?;
    Ok((pool, store))
}

/// Whether the target already holds this node's complete copy (a run that committed the rows
/// and stopped later); any other data in it is refused.
async fn earlier_copy(source: &mut Source, pool: &PgPool, plans: &[tables::TablePlan]) -> anyhow::Result<bool> {
    if !target_has_rows(pool, plans).await? {
        return Ok(false);
    }
    let compared = checks::compare_rows(source, pool, plans).await?;
    if let Some(difference) = compared.differences.first() {
        bail!(
            "the target database already holds data, and it is not a copy of this node ({difference}): \
             migrate-store writes only into an empty database. Create a new one (CREATE DATABASE) and give its URL"
        );
    }
    println!("  the rows were copied by an earlier run: finishing the media and checking");
    Ok(true)
}

async fn copy_media(settings: &Settings, bucket: &Arc<dyn ObjectStore>) -> anyhow::Result<()> {
    let media = settings.data_dir.join("media");
    if !media.is_dir() {
        println!("  no media directory at {}: nothing to copy", media.display());
        return Ok(());
    }
    let from = blobs::open("", &settings.s3, &settings.data_dir).context("opening the node's media directory")?;
    let total = media::count(from.as_ref()).await?;
    println!("  {total} objects in {}", media.display());
    let copied = media::copy_all(from.as_ref(), bucket, total).await?;
    println!(
        "  {} objects: {} sent ({} bytes), {} already in the bucket",
        copied.objects,
        copied.objects - copied.already_there,
        copied.bytes,
        copied.already_there
    );
    Ok(())
}

async fn target_has_rows(pool: &PgPool, plans: &[tables::TablePlan]) -> anyhow::Result<bool> {
    for plan in plans {
        let query = format!("SELECT EXISTS (SELECT 1 FROM {})", tables::quoted(plan.name));
        let any: bool = sqlx::query_scalar(sqlx::AssertSqlSafe(query))
            .fetch_one(pool)
            .await
            .with_context(|| format!("reading {} in the target", plan.name))?;
        if any {
            return Ok(true);
        }
    }
    Ok(false)
}

fn print_next_steps(data_dir: &Path) {
    println!("Done: the copy matches the source.");
    println!(
        "Carry these files from {} to every new node's data directory:",
        data_dir.display()
    );
    for (file, why) in KEY_FILES {
        let path = data_dir.join(file);
        let found = if path.exists() { "" } else { " (not found here)" };
        println!("  {file}{found}: {why}");
    }
    println!(
        "Then start the nodes with the same database_url, blob_url and [s3] settings, and the same log.origin. Keep \
         this data directory until the new deployment has served for a while: nothing was deleted from it."
    );
}
