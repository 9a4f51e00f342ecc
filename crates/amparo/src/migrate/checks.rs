//! After the copy, the new deployment is checked against the old one, reading both back:
//!
//! - every table: the same number of rows, and the same values (an order-free digest of each
//!   row's values, see `values::TableDigest`), read from SQLite and from PostgreSQL;
//! - the log, read through the PostgreSQL store as a node reads it: the stored tree's root at the
//!   last checkpoint's size is the checkpoint's root, and the checkpoint's signature verifies
//!   with the node's `log.key`;
//! - every chunk row: its object in the bucket has the row's length and SHA-256;
//! - every report photo row: its object is in the bucket, of the row's size.

use super::AT_ONCE;
use super::progress::Progress;
use super::source::Source;
use super::tables::TablePlan;
use super::values::{self, TableDigest};
use amparo_core::keys::LogKey;
use amparo_server::log::proofs::check_checkpoint_against_tree;
use amparo_server::log::sequencer::load_frontier;
use amparo_store::{Chunk, Store, photo_blob_key};
use anyhow::{Context, bail};
use futures::{StreamExt, TryStreamExt};
use object_store::{ObjectStore, ObjectStoreExt};
use sha2::{Digest, Sha256};
use sqlx::{AssertSqlSafe, PgPool, Row};
use std::path::Path;
use std::sync::Arc;
use uuid::Uuid;

/// Chunk rows read at once.
const CHUNK_PAGE: i64 = 10_000;
/// Problems listed before the rest are only counted.
const LISTED: usize = 10;

/// Every table's rows, equal on both sides.
pub async fn rows(source: &mut Source, target: &PgPool, plans: &[TablePlan]) -> anyhow::Result<()> {
    let compared = compare_rows(source, target, plans).await?;
    if !compared.differences.is_empty() {
        bail!(
            "the copied rows differ from the source:\n  {}",
            compared.differences.join("\n  ")
        );
    }
    println!(
        "  rows: {} tables, {} rows, each table's values equal on both sides",
        plans.len(),
        compared.rows
    );
    Ok(())
}

/// What reading every table on both sides found.
#[derive(Debug)]
pub struct Compared {
    /// Rows in the target.
    pub rows: u64,
    /// One line per table that differs.
    pub differences: Vec<String>,
}

pub async fn compare_rows(source: &mut Source, target: &PgPool, plans: &[TablePlan]) -> anyhow::Result<Compared> {
    let mut differences = Vec::new();
    let mut rows = 0;
    for plan in plans {
        let from = sqlite_digest(source, plan).await?;
        let to = postgres_digest(target, plan).await?;
        rows += to.rows;
        if from.rows != to.rows {
            differences.push(format!(
                "{}: {} rows in SQLite, {} in PostgreSQL",
                plan.name, from.rows, to.rows
            ));
        } else if from != to {
            differences.push(format!(
                "{}: {} rows on each side, but their values differ",
                plan.name, from.rows
            ));
        }
    }
    Ok(Compared { rows, differences })
}

async fn sqlite_digest(source: &mut Source, plan: &TablePlan) -> anyhow::Result<TableDigest> {
    let rows = sqlx::query(AssertSqlSafe(plan.source_select())).fetch(&mut source.connection);
    digest(rows, plan, values::from_sqlite, "SQLite").await
}

async fn postgres_digest(target: &PgPool, plan: &TablePlan) -> anyhow::Result<TableDigest> {
    let rows = sqlx::query(AssertSqlSafe(plan.target_select())).fetch(target);
    digest(rows, plan, values::from_postgres, "PostgreSQL").await
}

/// The digest of the rows a query streams, each value read as its column's kind by `read`.
async fn digest<R, E>(
    mut rows: impl futures::Stream<Item = Result<R, sqlx::Error>> + Unpin,
    plan: &TablePlan,
    read: fn(&R, usize, values::Kind) -> Result<values::Value, E>,
    side: &str,
) -> anyhow::Result<TableDigest>
where
    E: std::error::Error + Send + Sync + 'static,
{
    let reading = || format!("reading {} from {side}", plan.name);
    let mut digest = TableDigest::default();
    while let Some(row) = rows.try_next().await.with_context(reading)? {
        let values = plan
            .columns
            .iter()
            .enumerate()
            .map(|(index, column)| read(&row, index, column.kind))
            .collect::<Result<Vec<_>, _>>()
            .with_context(reading)?;
        digest.add(&values);
    }
    Ok(digest)
}

/// The log as a node on the new deployment will load it.
pub async fn log(store: Arc<dyn Store>, data_dir: &Path) -> anyhow::Result<()> {
    let frontier = load_frontier(store.as_ref()).await.context("loading the copied log")?;
    let Some(checkpoint) = store.latest_checkpoint().await? else {
        println!(
            "  log: {} entries and no checkpoint yet (the new node signs one when it starts)",
            frontier.size()
        );
        return Ok(());
    };
    check_checkpoint_against_tree(&store, &checkpoint, frontier.size())
        .await
        .context("the copied log does not match its last checkpoint")?;
    let key_path = data_dir.join("log.key");
    let signed_by = match std::fs::read_to_string(&key_path) {
        Ok(text) => {
            let key = LogKey::from_private_string(&text)
                .with_context(|| format!("{} is not a log key", key_path.display()))?;
            let signed = amparo_core::checkpoint::verify(&key.public(), &checkpoint.note).with_context(|| {
                format!(
                    "the last checkpoint is not signed by {}: is this the node's own key?",
                    key_path.display()
                )
            })?;
            anyhow::ensure!(
                signed.size == checkpoint.size && signed.root == checkpoint.root,
                "the last checkpoint's signed note names another tree than its row"
            );
            format!("signed by {}'s key", key.name())
        }
        Err(_) => format!("signature not checked: no {}", key_path.display()),
    };
    println!(
        "  log: {} entries, root {}; the last checkpoint ({} entries, {signed_by}) matches the copied tree{}",
        frontier.size(),
        hex::encode(frontier.root().0),
        checkpoint.size,
        if frontier.size() > checkpoint.size {
            " (the entries after it are signed when the new node starts)"
        } else {
            ""
        }
    );
    Ok(())
}

/// Every chunk's bytes, read back from the bucket and hashed, a page of rows at a time.
pub async fn chunks(target: &PgPool, blobs: &dyn ObjectStore) -> anyhow::Result<()> {
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM chunks")
        .fetch_one(target)
        .await
        .context("counting the copied chunk rows")?;
    let mut progress = Progress::start("chunks read back and hashed", u64::try_from(total).unwrap_or_default());
    let mut problems = Problems::default();
    let mut next_index = 0i64;
    loop {
        let rows = sqlx::query(
            "SELECT recording, byte_offset, length, sha256, chain, received_at_us, leaf_index FROM chunks \
             WHERE leaf_index >= $1 ORDER BY leaf_index LIMIT $2",
        )
        .bind(next_index)
        .bind(CHUNK_PAGE)
        .fetch_all(target)
        .await
        .context("reading the copied chunk rows")?;
        let chunks = rows.iter().map(chunk_of).collect::<anyhow::Result<Vec<Chunk>>>()?;
        let Some(last) = chunks.last() else { break };
        next_index = i64::try_from(last.leaf_index)? + 1;
        let mut checked = futures::stream::iter(&chunks)
            .map(|chunk| check_chunk(blobs, chunk))
            .buffer_unordered(AT_ONCE);
        while let Some(problem) = checked.next().await {
            problems.note(problem);
            progress.advance(1);
        }
    }
    progress.finish();
    problems.refuse("chunks")
}

fn chunk_of(row: &sqlx::postgres::PgRow) -> anyhow::Result<Chunk> {
    let hash = |column: &str| -> anyhow::Result<[u8; 32]> {
        let bytes: Vec<u8> = row.try_get(column)?;
        bytes
            .try_into()
            .map_err(|_| anyhow::anyhow!("a chunk's {column} is not 32 bytes"))
    };
    let unsigned = |column: &str| -> anyhow::Result<u64> { Ok(u64::try_from(row.try_get::<i64, _>(column)?)?) };
    Ok(Chunk {
        recording: amparo_core::ids::RecordingId(row.try_get::<Uuid, _>("recording")?),
        offset: unsigned("byte_offset")?,
        length: unsigned("length")?,
        sha256: hash("sha256")?,
        chain: hash("chain")?,
        received_at_us: row.try_get("received_at_us")?,
        leaf_index: unsigned("leaf_index")?,
    })
}

async fn check_chunk(blobs: &dyn ObjectStore, chunk: &Chunk) -> Option<String> {
    let place = format!(
        "recording {} at offset {} (log entry {})",
        chunk.recording, chunk.offset, chunk.leaf_index
    );
    match amparo_server::blobs::read_chunk(blobs, chunk).await {
        Err(error) => Some(format!("{place}: cannot be read from the bucket: {error}")),
        Ok(bytes) if bytes.len() as u64 != chunk.length => {
            Some(format!("{place}: {} bytes, the row says {}", bytes.len(), chunk.length))
        }
        Ok(bytes) if Sha256::digest(&bytes).as_slice() != chunk.sha256 => {
            Some(format!("{place}: its bytes do not hash to the SHA-256 in the log"))
        }
        Ok(_) => None,
    }
}

/// Every report photo's object, present and of its row's size.
pub async fn photos(target: &PgPool, blobs: &dyn ObjectStore) -> anyhow::Result<()> {
    let rows = sqlx::query("SELECT report, id, size_bytes FROM report_photos")
        .fetch_all(target)
        .await
        .context("reading the copied photo rows")?;
    let mut problems = Problems::default();
    for row in &rows {
        let (report, id, size): (Uuid, Uuid, i64) = (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
        let key = photo_blob_key(amparo_core::ids::ReportId(report), amparo_core::ids::PhotoId(id));
        match blobs.head(&key.as_str().into()).await {
            Ok(meta) if i64::try_from(meta.size).ok() == Some(size) => {}
            Ok(meta) => problems.note(Some(format!("{key}: {} bytes, the row says {size}", meta.size))),
            Err(error) => problems.note(Some(format!("{key}: {error}"))),
        }
    }
    problems.refuse("report photos")?;
    println!("  report photos: {} in the bucket, each of its row's size", rows.len());
    Ok(())
}

/// What failed a check: the first few in words, the rest counted.
#[derive(Debug, Default)]
struct Problems {
    count: u64,
    listed: Vec<String>,
}

impl Problems {
    fn note(&mut self, problem: Option<String>) {
        let Some(problem) = problem else { return };
        self.count += 1;
        if self.listed.len() < LISTED {
            self.listed.push(problem);
        }
    }

    fn refuse(self, what: &str) -> anyhow::Result<()> {
        if self.count == 0 {
            return Ok(());
        }
        bail!(
            "{} {what} in the target do not match (delete those objects from the bucket and run migrate-store again, \
             which sends what is missing; if they are wrong in the node's media directory too, it is damaged):\n  {}{}",
            self.count,
            self.listed.join("\n  "),
            if self.count > LISTED as u64 { "\n  ..." } else { "" }
        )
    }
}
