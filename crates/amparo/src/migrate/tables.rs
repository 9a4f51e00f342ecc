//! Which tables are copied, in which order, and the plan for each: its columns and their types.
//!
//! The list is written out, in the order foreign keys need (a row's parents first), so that a new
//! table is copied only once someone has decided where it goes. A table the list does not name is
//! never skipped in silence: [`plan`] refuses to start when either schema has one, and a unit test
//! fails when the SQLite migrations add one. The columns are not written out: they are read from
//! both databases, and every source column must have a place in the target.

use super::values::Kind;
use anyhow::{Context, bail};
use sqlx::{PgPool, Row, SqliteConnection};

/// One table to copy.
#[derive(Clone, Copy, Debug)]
pub struct Table {
    pub name: &'static str,
    /// A target column with no source column, filled from SQLite's implicit `rowid` (which
    /// orders rows that have no key of their own).
    pub rowid_as: Option<&'static str>,
}

const fn table(name: &'static str) -> Table {
    Table { name, rowid_as: None }
}

/// Every table of the schema, parents before children. Add a migration's new table here.
pub const TABLES: &[Table] = &[
    table("accounts"),
    table("account_roles"),
    table("sessions"),
    table("encounters"),
    table("encounter_attorneys"),
    table("uploads"),
    table("chunks"),
    table("log_entries"),
    table("stored_hashes"),
    table("checkpoints"),
    table("access_log"),
    table("households"),
    table("household_members"),
    table("household_invitations"),
    table("emergency_contacts"),
    table("encounter_detentions"),
    table("push_subscriptions"),
    table("organizations"),
    table("org_admins"),
    table("org_seats"),
    table("billing_events"),
    table("attorneys"),
    Table {
        name: "duty_spans",
        rowid_as: Some("id"),
    },
    table("attorney_calls"),
    table("attorney_notes"),
    table("org_dispatch_policies"),
    table("incidents"),
    table("reports"),
    table("report_questions"),
    table("responder_actions"),
    table("watch_areas"),
    table("watch_cells"),
    table("vehicles"),
    table("vehicle_grams"),
    table("vehicle_sightings"),
    table("report_photos"),
    table("observer_requests"),
    table("observer_dispatches"),
    table("deployment_keys"),
];

/// PostgreSQL tables with no SQLite counterpart, not copied: `log_size` is derived from the log's
/// entries (see `rows`); `leases` names the node holding each cluster-wide job, which a new
/// deployment's nodes take for themselves. A PostgreSQL-only migration's table that a new
/// deployment starts with empty (or as its migration fills it) goes here.
pub const POSTGRES_ONLY: &[&str] = &["log_size", "leases"];

/// Tables each database keeps for itself.
pub fn is_internal(name: &str) -> bool {
    name == "_sqlx_migrations" || name.starts_with("sqlite_")
}

/// A column to copy: its name in both databases (or `rowid` in SQLite), and its target type.
#[derive(Clone, Debug)]
pub struct Column {
    pub source: String,
    pub target: String,
    pub kind: Kind,
}

/// A table ready to copy.
#[derive(Clone, Debug)]
pub struct TablePlan {
    pub name: &'static str,
    pub columns: Vec<Column>,
}

impl TablePlan {
    pub fn source_select(&self) -> String {
        let columns: Vec<String> = self.columns.iter().map(|c| quoted(&c.source)).collect();
        format!("SELECT {} FROM {}", columns.join(", "), quoted(self.name))
    }

    pub fn target_select(&self) -> String {
        let columns: Vec<String> = self.columns.iter().map(|c| quoted(&c.target)).collect();
        format!("SELECT {} FROM {}", columns.join(", "), quoted(self.name))
    }

    pub fn target_columns(&self) -> String {
        let columns: Vec<String> = self.columns.iter().map(|c| quoted(&c.target)).collect();
        columns.join(", ")
    }
}

/// Names come from our own list and the databases' catalogs; quoting them is still cheaper than
/// trusting that, and a name that would need escaping is refused.
pub fn quoted(name: &str) -> String {
    format!("\"{name}\"")
}

fn plain(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Reads both schemas and pairs every table's columns, or says what does not match.
pub async fn plan(source: &mut SqliteConnection, target: &PgPool) -> anyhow::Result<Vec<TablePlan>> {
    let known = |name: &str| TABLES.iter().any(|t| t.name == name);
    let source_tables = sqlite_tables(source).await?;
    let target_tables: Vec<String> =
        sqlx::query_scalar("SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'")
            .fetch_all(target)
            .await
            .context("reading the target's tables")?;
    for name in &source_tables {
        if !known(name) {
            bail!(
                "the SQLite database has a table {name:?} that this version of migrate-store does not copy: \
                 use the amparo release that created it (its migrate-store knows the table)"
            );
        }
    }
    for name in &target_tables {
        if !known(name) && !POSTGRES_ONLY.contains(&name.as_str()) && !is_internal(name) {
            bail!(
                "the PostgreSQL database has a table {name:?} that migrate-store does not know: is it the database \
                 of another application? Give an empty database made for Amparo. (A new Amparo table: add it to \
                 migrate::tables::TABLES or POSTGRES_ONLY.)"
            );
        }
    }
    let mut plans = Vec::new();
    for table in TABLES {
        if !source_tables.iter().any(|n| n == table.name) {
            bail!(
                "the SQLite database has no table {:?}: is it an Amparo database?",
                table.name
            );
        }
        let source_columns = sqlite_columns(source, table.name).await?;
        let target_columns = postgres_columns(target, table.name).await?;
        plans.push(pair(table, &source_columns, &target_columns)?);
    }
    Ok(plans)
}

struct TargetColumn {
    name: String,
    udt: String,
    /// Nullable, defaulted or generated: it may be left out of an insert.
    optional: bool,
}

fn pair(table: &Table, source: &[String], target: &[TargetColumn]) -> anyhow::Result<TablePlan> {
    let name = table.name;
    let mut columns = Vec::new();
    for column in source {
        let Some(to) = target.iter().find(|t| &t.name == column) else {
            bail!("column {name}.{column} of the SQLite database has no column in PostgreSQL: its data would be lost");
        };
        columns.push(column_of(name, column, to)?);
    }
    for to in target {
        if source.contains(&to.name) {
            continue;
        }
        if table.rowid_as == Some(to.name.as_str()) {
            columns.push(column_of(name, "rowid", to)?);
        } else if !to.optional {
            bail!(
                "column {name}.{} of PostgreSQL needs a value the SQLite database does not have",
                to.name
            );
        }
    }
    Ok(TablePlan { name, columns })
}

fn column_of(table: &str, source: &str, to: &TargetColumn) -> anyhow::Result<Column> {
    anyhow::ensure!(
        plain(source) && plain(&to.name),
        "column {table}.{source} has an unusual name"
    );
    let kind = Kind::of_postgres(&to.udt).with_context(|| {
        format!(
            "column {table}.{} has the PostgreSQL type {}, which migrate-store cannot fill yet (migrate/values.rs)",
            to.name, to.udt
        )
    })?;
    Ok(Column {
        source: source.to_owned(),
        target: to.name.clone(),
        kind,
    })
}

pub async fn sqlite_tables(source: &mut SqliteConnection) -> anyhow::Result<Vec<String>> {
    let names: Vec<String> = sqlx::query_scalar("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        .fetch_all(&mut *source)
        .await
        .context("reading the SQLite database's tables")?;
    Ok(names.into_iter().filter(|n| !is_internal(n)).collect())
}

async fn sqlite_columns(source: &mut SqliteConnection, table: &str) -> anyhow::Result<Vec<String>> {
    let rows = sqlx::query("SELECT name FROM pragma_table_info(?1) ORDER BY cid")
        .bind(table)
        .fetch_all(&mut *source)
        .await
        .with_context(|| format!("reading the columns of {table} in SQLite"))?;
    let names = rows
        .iter()
        .map(|row| row.try_get::<String, _>(0))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(names)
}

async fn postgres_columns(target: &PgPool, table: &str) -> anyhow::Result<Vec<TargetColumn>> {
    let rows = sqlx::query(
        "SELECT column_name::text, udt_name::text, \
         (is_nullable = 'YES' OR column_default IS NOT NULL OR is_identity = 'YES') \
         FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
    )
    .bind(table)
    .fetch_all(target)
    .await
    .with_context(|| format!("reading the columns of {table} in PostgreSQL"))?;
    anyhow::ensure!(!rows.is_empty(), "the PostgreSQL database has no table {table:?}");
    rows.iter()
        .map(|row| -> anyhow::Result<TargetColumn> {
            Ok(TargetColumn {
                name: row.try_get(0)?,
                udt: row.try_get(1)?,
                optional: row.try_get(2)?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::Connection;

    /// A database with this binary's SQLite schema and no rows (kept while the folder lives).
    async fn fresh_schema() -> (tempfile::TempDir, SqliteConnection) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("amparo.db");
        amparo_store_sqlite::SqliteStore::open(&path)
            .await
            .expect("a fresh database")
            .close()
            .await;
        let url = format!("sqlite://{}", path.display());
        let connection = SqliteConnection::connect(&url).await.expect("open");
        (dir, connection)
    }

    /// The check that fails when a SQLite migration adds a table and nobody adds it to [`TABLES`].
    #[tokio::test]
    async fn every_table_of_the_sqlite_schema_is_copied() {
        let (_dir, mut connection) = fresh_schema().await;
        let tables = sqlite_tables(&mut connection).await.expect("tables");
        let forgotten: Vec<&String> = tables
            .iter()
            .filter(|name| !TABLES.iter().any(|t| t.name == name.as_str()))
            .collect();
        assert!(
            forgotten.is_empty(),
            "tables migrate-store does not copy (add them to migrate::tables::TABLES, parents first): {forgotten:?}"
        );
        let gone: Vec<&str> = TABLES
            .iter()
            .map(|t| t.name)
            .filter(|name| !tables.iter().any(|t| t == name))
            .collect();
        assert!(gone.is_empty(), "listed but not in the schema: {gone:?}");
    }

    /// Rows are inserted in list order with the target's foreign keys checked: a parent listed
    /// after its child fails the copy as soon as the child has rows.
    #[tokio::test]
    async fn parents_are_listed_before_their_children() {
        let (_dir, mut connection) = fresh_schema().await;
        let position = |name: &str| TABLES.iter().position(|t| t.name == name);
        for (index, table) in TABLES.iter().enumerate() {
            let parents: Vec<String> = sqlx::query_scalar("SELECT DISTINCT \"table\" FROM pragma_foreign_key_list(?1)")
                .bind(table.name)
                .fetch_all(&mut connection)
                .await
                .expect("foreign keys");
            for parent in parents {
                let at = position(&parent).unwrap_or_else(|| panic!("{parent} is not listed"));
                assert!(
                    at <= index,
                    "{} refers to {parent}, which is listed after it in migrate::tables::TABLES",
                    table.name
                );
            }
        }
    }

    #[test]
    fn a_column_without_a_place_is_refused() {
        let target = [TargetColumn {
            name: "id".into(),
            udt: "uuid".into(),
            optional: false,
        }];
        let refused = pair(&table("t"), &["id".into(), "extra".into()], &target).expect_err("extra column");
        assert!(refused.to_string().contains("t.extra"), "{refused}");
        let refused = pair(&table("t"), &[], &target).expect_err("a required column");
        assert!(refused.to_string().contains("t.id"), "{refused}");
    }
}
