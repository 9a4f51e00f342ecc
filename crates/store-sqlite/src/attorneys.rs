//! The attorney line (issue 4): who an organization vetted, who it tells about coverage gaps, and
//! its rule for bar admissions. Time on duty, calls and notes are in `calls`.
//!
//! A profile's lists are comma-separated codes (`convert::list`), parsed back with the dispatch
//! types: a row that does not parse is a `Backend` error naming the column.

use crate::SqliteStore;
use crate::convert::{from_sqlx, items, list, uuid};
use crate::organizations;
use amparo_core::dispatch::StatePolicy;
use amparo_core::ids::{AccountId, OrgId};
use amparo_store::convert::{attorney_profile, state_policy};
use amparo_store::{OrgDispatchPolicy, StoreError, StoredAttorney};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

/// The columns every query reads and the insert writes, in this order (a macro so that the SQL
/// stays one static string, as sqlx requires).
macro_rules! columns {
    () => {
        "account, org, display_name, vetted, bar_admissions, languages, specialties, capacity, \
         updated_by, updated_at_us"
    };
}

fn attorney(row: &SqliteRow) -> Result<StoredAttorney, StoreError> {
    let get = |e| from_sqlx(e, "reading an attorney");
    let text = |column: &'static str| row.try_get::<&str, _>(column).map_err(get);
    let profile = attorney_profile(
        OrgId(uuid(row.try_get("org").map_err(get)?, "attorney organization")?),
        row.try_get("vetted").map_err(get)?,
        items(text("bar_admissions")?),
        items(text("languages")?),
        items(text("specialties")?),
        row.try_get("capacity").map_err(get)?,
    )?;
    Ok(StoredAttorney {
        account: AccountId(uuid(row.try_get("account").map_err(get)?, "attorney account")?),
        display_name: row.try_get("display_name").map_err(get)?,
        profile,
        updated_by: AccountId(uuid(row.try_get("updated_by").map_err(get)?, "attorney updated_by")?),
        updated_at_us: row.try_get("updated_at_us").map_err(get)?,
    })
}

/// The organization's admins, oldest account first; `NotFound` if there is no such organization.
pub(crate) async fn org_admins(store: &SqliteStore, org: OrgId) -> Result<Vec<AccountId>, StoreError> {
    let what = format!("listing the admins of organization {org}");
    // Two reads need no snapshot: organizations are never deleted.
    let mut conn = store.read().await?;
    if organizations::load(&mut conn, org).await?.is_none() {
        return Err(StoreError::NotFound(format!("organization {org}")));
    }
    let admins: Vec<Vec<u8>> = sqlx::query_scalar(
        "SELECT a.id FROM org_admins ad JOIN accounts a ON a.id = ad.account WHERE ad.org = ? \
         ORDER BY a.created_at_us, a.id",
    )
    .bind(org.as_bytes().as_slice())
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| from_sqlx(e, &what))?;
    admins
        .iter()
        .map(|id| uuid(id, "admin account").map(AccountId))
        .collect()
}

pub(crate) async fn save(store: &SqliteStore, new: &StoredAttorney) -> Result<StoredAttorney, StoreError> {
    let profile = &new.profile;
    let mut conn = store.write_conn().await?;
    // One statement: the foreign keys answer for the account and the organization.
    let row = sqlx::query(concat!(
        "INSERT INTO attorneys (",
        columns!(),
        ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (account) DO UPDATE SET org = excluded.org, display_name = excluded.display_name, \
         vetted = excluded.vetted, bar_admissions = excluded.bar_admissions, languages = excluded.languages, \
         specialties = excluded.specialties, capacity = excluded.capacity, updated_by = excluded.updated_by, \
         updated_at_us = excluded.updated_at_us RETURNING ",
        columns!()
    ))
    .bind(new.account.as_bytes().as_slice())
    .bind(profile.org.as_bytes().as_slice())
    .bind(&new.display_name)
    .bind(profile.vetted)
    .bind(list(&profile.bar_admissions))
    .bind(list(&profile.languages))
    .bind(list(&profile.specialties))
    .bind(i64::from(profile.capacity))
    .bind(new.updated_by.as_bytes().as_slice())
    .bind(new.updated_at_us)
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| from_sqlx(e, &format!("saving the profile of attorney {}", new.account)))?;
    attorney(&row)
}

pub(crate) async fn get(store: &SqliteStore, account: AccountId) -> Result<Option<StoredAttorney>, StoreError> {
    let mut conn = store.read().await?;
    let row = sqlx::query(concat!("SELECT ", columns!(), " FROM attorneys WHERE account = ?"))
        .bind(account.as_bytes().as_slice())
        .fetch_optional(&mut *conn)
        .await
        .map_err(|e| from_sqlx(e, &format!("reading the profile of attorney {account}")))?;
    row.as_ref().map(attorney).transpose()
}

pub(crate) async fn of_org(store: &SqliteStore, org: OrgId) -> Result<Vec<StoredAttorney>, StoreError> {
    // Byte order (SQLite's default collation); PostgreSQL says `COLLATE "C"` to match.
    let mut conn = store.read().await?;
    let rows = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM attorneys WHERE org = ? ORDER BY display_name, account"
    ))
    .bind(org.as_bytes().as_slice())
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| from_sqlx(e, &format!("listing the attorneys of organization {org}")))?;
    rows.iter().map(attorney).collect()
}

pub(crate) async fn set_policy(store: &SqliteStore, org: OrgId, policy: StatePolicy) -> Result<(), StoreError> {
    let mut conn = store.write_conn().await?;
    sqlx::query(
        "INSERT INTO org_dispatch_policies (org, state_policy) VALUES (?, ?) \
         ON CONFLICT (org) DO UPDATE SET state_policy = excluded.state_policy",
    )
    .bind(org.as_bytes().as_slice())
    .bind(policy.as_str())
    .execute(&mut *conn)
    .await
    .map_err(|e| from_sqlx(e, &format!("setting the state policy of organization {org}")))?;
    Ok(())
}

pub(crate) async fn policies(store: &SqliteStore) -> Result<Vec<OrgDispatchPolicy>, StoreError> {
    let get = |e| from_sqlx(e, "reading the organizations' state policies");
    let mut conn = store.read().await?;
    let rows = sqlx::query("SELECT org, state_policy FROM org_dispatch_policies ORDER BY org")
        .fetch_all(&mut *conn)
        .await
        .map_err(get)?;
    rows.iter()
        .map(|row| {
            Ok(OrgDispatchPolicy {
                org: OrgId(uuid(row.try_get("org").map_err(get)?, "policy organization")?),
                state_policy: state_policy(row.try_get("state_policy").map_err(get)?)?,
            })
        })
        .collect()
}
