//! The attorney line (issue 4): who an organization vetted, who it tells about coverage gaps, and
//! its rule for bar admissions. Time on duty, calls and notes are in `calls`.
//!
//! A profile's lists are `TEXT[]` of codes, parsed back with the dispatch types: a row that does
//! not parse is a `Backend` error naming the column.

use crate::PostgresStore;
use crate::convert::from_sqlx;
use crate::organizations;
use amparo_core::dispatch::StatePolicy;
use amparo_core::ids::{AccountId, OrgId};
use amparo_store::convert::{attorney_profile, code_names, state_policy};
use amparo_store::{OrgDispatchPolicy, StoreError, StoredAttorney};
use sqlx::Row;
use sqlx::postgres::PgRow;
use uuid::Uuid;

/// The columns every query reads and the insert writes, in this order (a macro so that the SQL
/// stays one static string, as sqlx requires).
macro_rules! columns {
    () => {
        "account, org, display_name, vetted, bar_admissions, languages, specialties, capacity, \
         updated_by, updated_at_us"
    };
}

fn attorney(row: &PgRow) -> Result<StoredAttorney, StoreError> {
    let get = |e| from_sqlx(e, "reading an attorney");
    let codes = |column: &'static str| row.try_get::<Vec<String>, _>(column).map_err(get);
    let profile = attorney_profile(
        OrgId(row.try_get("org").map_err(get)?),
        row.try_get("vetted").map_err(get)?,
        codes("bar_admissions")?,
        codes("languages")?,
        codes("specialties")?,
        row.try_get("capacity").map_err(get)?,
    )?;
    Ok(StoredAttorney {
        account: AccountId(row.try_get("account").map_err(get)?),
        display_name: row.try_get("display_name").map_err(get)?,
        profile,
        updated_by: AccountId(row.try_get("updated_by").map_err(get)?),
        updated_at_us: row.try_get("updated_at_us").map_err(get)?,
    })
}

/// The organization's admins, oldest account first; `NotFound` if there is no such organization.
pub(crate) async fn org_admins(store: &PostgresStore, org: OrgId) -> Result<Vec<AccountId>, StoreError> {
    let what = format!("listing the admins of organization {org}");
    // Two reads need no snapshot: organizations are never deleted.
    let mut conn = store.pool.acquire().await.map_err(|e| from_sqlx(e, &what))?;
    if organizations::load(&mut conn, org).await?.is_none() {
        return Err(StoreError::NotFound(format!("organization {org}")));
    }
    let admins: Vec<Uuid> = sqlx::query_scalar(
        "SELECT a.id FROM org_admins ad JOIN accounts a ON a.id = ad.account WHERE ad.org = $1 \
         ORDER BY a.created_at_us, a.id",
    )
    .bind(org.0)
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| from_sqlx(e, &what))?;
    Ok(admins.into_iter().map(AccountId).collect())
}

pub(crate) async fn save(store: &PostgresStore, new: &StoredAttorney) -> Result<StoredAttorney, StoreError> {
    let profile = &new.profile;
    // One statement: the foreign keys answer for the account and the organization.
    let row = sqlx::query(concat!(
        "INSERT INTO attorneys (",
        columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         ON CONFLICT (account) DO UPDATE SET org = excluded.org, display_name = excluded.display_name, \
         vetted = excluded.vetted, bar_admissions = excluded.bar_admissions, languages = excluded.languages, \
         specialties = excluded.specialties, capacity = excluded.capacity, updated_by = excluded.updated_by, \
         updated_at_us = excluded.updated_at_us RETURNING ",
        columns!()
    ))
    .bind(new.account.0)
    .bind(profile.org.0)
    .bind(&new.display_name)
    .bind(profile.vetted)
    .bind(code_names(&profile.bar_admissions))
    .bind(code_names(&profile.languages))
    .bind(code_names(&profile.specialties))
    .bind(i64::from(profile.capacity))
    .bind(new.updated_by.0)
    .bind(new.updated_at_us)
    .fetch_one(&store.pool)
    .await
    .map_err(|e| from_sqlx(e, &format!("saving the profile of attorney {}", new.account)))?;
    attorney(&row)
}

pub(crate) async fn get(store: &PostgresStore, account: AccountId) -> Result<Option<StoredAttorney>, StoreError> {
    let row = sqlx::query(concat!("SELECT ", columns!(), " FROM attorneys WHERE account = $1"))
        .bind(account.0)
        .fetch_optional(&store.pool)
        .await
        .map_err(|e| from_sqlx(e, &format!("reading the profile of attorney {account}")))?;
    row.as_ref().map(attorney).transpose()
}

pub(crate) async fn of_org(store: &PostgresStore, org: OrgId) -> Result<Vec<StoredAttorney>, StoreError> {
    // Byte order (`COLLATE "C"`), as SQLite sorts, whatever the database's locale.
    let rows = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM attorneys WHERE org = $1 ORDER BY display_name COLLATE \"C\", account"
    ))
    .bind(org.0)
    .fetch_all(&store.pool)
    .await
    .map_err(|e| from_sqlx(e, &format!("listing the attorneys of organization {org}")))?;
    rows.iter().map(attorney).collect()
}

pub(crate) async fn set_policy(store: &PostgresStore, org: OrgId, policy: StatePolicy) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO org_dispatch_policies (org, state_policy) VALUES ($1, $2) \
         ON CONFLICT (org) DO UPDATE SET state_policy = excluded.state_policy",
    )
    .bind(org.0)
    .bind(policy.as_str())
    .execute(&store.pool)
    .await
    .map_err(|e| from_sqlx(e, &format!("setting the state policy of organization {org}")))?;
    Ok(())
}

pub(crate) async fn policies(store: &PostgresStore) -> Result<Vec<OrgDispatchPolicy>, StoreError> {
    let get = |e| from_sqlx(e, "reading the organizations' state policies");
    let rows = sqlx::query("SELECT org, state_policy FROM org_dispatch_policies ORDER BY org")
        .fetch_all(&store.pool)
        .await
        .map_err(get)?;
    rows.iter()
        .map(|row| {
            Ok(OrgDispatchPolicy {
                org: OrgId(row.try_get("org").map_err(get)?),
                state_policy: state_policy(row.try_get("state_policy").map_err(get)?)?,
            })
        })
        .collect()
}
