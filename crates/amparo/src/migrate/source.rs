//! The single node's SQLite database, opened so that nothing else can use it while it is copied.
//!
//! A running node keeps its database open, and in WAL mode every open connection holds a shared
//! lock on the file. Taking the exclusive lock therefore fails while a node (or `amparo admin`)
//! has it open, which is how a node still serving is detected; and once taken, the lock is held
//! until the copy is checked, so no node can start on the file and change it meanwhile.

use anyhow::{Context, bail};
use sqlx::sqlite::{SqliteConnectOptions, SqliteLockingMode};
use sqlx::{Connection, SqliteConnection};
use std::path::Path;

/// An open source database, locked and inside one read transaction: everything read from it is
/// one consistent state.
#[derive(Debug)]
pub struct Source {
    pub connection: SqliteConnection,
}

impl Source {
    pub async fn open(path: &Path) -> anyhow::Result<Self> {
        if !path.is_file() {
            bail!(
                "there is no SQLite database at {}: give the single node's data directory with --data-dir \
                 (or its database file with --sqlite)",
                path.display()
            );
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(false)
            .locking_mode(SqliteLockingMode::Exclusive)
            // Fail at once rather than wait: a lock held by another process means a node is using it.
            .busy_timeout(std::time::Duration::ZERO);
        let mut connection = SqliteConnection::connect_with(&options)
            .await
            .with_context(|| format!("opening {}", path.display()))?;
        if let Err(error) = sqlx::query("BEGIN EXCLUSIVE").execute(&mut connection).await {
            let busy = error.as_database_error().is_some_and(|e| {
                let message = e.message();
                message.contains("locked") || message.contains("busy")
            });
            if busy {
                bail!(
                    "{} is in use by another process, most likely the node itself: stop `amparo serve` (and any \
                     `amparo admin` command) on this data directory, then run migrate-store again",
                    path.display()
                );
            }
            return Err(error).with_context(|| format!("locking {}", path.display()));
        }
        let mut source = Self { connection };
        source.check_schema_version(path).await?;
        Ok(source)
    }

    /// The source must have exactly the migrations this binary knows: an older schema lacks
    /// columns the target expects, a newer one may have tables this copy does not know.
    async fn check_schema_version(&mut self, path: &Path) -> anyhow::Result<()> {
        let applied: Vec<i64> =
            sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
                .fetch_all(&mut self.connection)
                .await
                .with_context(|| format!("{} is not an Amparo database (no migrations table)", path.display()))?;
        let known: Vec<i64> = amparo_store_sqlite::MIGRATOR.iter().map(|m| m.version).collect();
        if let Some(missing) = known.iter().find(|v| !applied.contains(v)) {
            bail!(
                "{} was last used by an older amparo (migration {missing} not applied): start this version's \
                 `amparo serve` on it once, which upgrades it, stop it, then run migrate-store again",
                path.display()
            );
        }
        if let Some(newer) = applied.iter().find(|v| !known.contains(v)) {
            bail!(
                "{} was written by a newer amparo (migration {newer}): run that version's migrate-store",
                path.display()
            );
        }
        Ok(())
    }

    /// Lets go of the lock (the copy only ever read).
    pub async fn close(mut self) -> anyhow::Result<()> {
        sqlx::query("ROLLBACK").execute(&mut self.connection).await?;
        self.connection.close().await?;
        Ok(())
    }
}
