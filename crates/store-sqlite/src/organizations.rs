//! Organizations (issue 5): seat pools, their admins, the seats given, and the facts coverage is
//! judged by.
//!
//! Giving a seat is one `BEGIN IMMEDIATE` transaction on the single writer, so the seats counted
//! cannot change before the new one is inserted: concurrent assignments for the last seat are
//! ordered, and only the first finds it free.

use crate::SqliteStore;
use crate::convert::{from_sqlx, uuid};
use amparo_core::ids::{AccountId, OrgId};
use amparo_store::{
    HouseholdId, HouseholdPlan, LapsePolicy, NewOrganization, OrgPlan, OrgPolicy, Organization, PlanFacts, PlanPeriod,
    Seat, SeatRefusal, StoreError,
};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

/// The columns [`organization`] reads, for an `organizations` table aliased `o`.
macro_rules! org_columns {
    () => {
        "o.id, o.name, o.seats, o.seat_covers_household, o.backup_line, o.lapsed_alerts, \
         o.lapsed_attorney_line, o.starts_at_us, o.ends_at_us, o.grace_days, o.created_at_us, \
         (SELECT count(*) FROM org_seats s WHERE s.org = o.id) AS used"
    };
}

fn org_bytes(id: &OrgId) -> &[u8] {
    id.as_bytes().as_slice()
}

fn count(row: &SqliteRow, column: &str) -> Result<u32, StoreError> {
    let value: i64 = row
        .try_get(column)
        .map_err(|e| from_sqlx(e, "reading an organization"))?;
    u32::try_from(value).map_err(|_| StoreError::Backend(format!("corrupt row: {column} is {value}")))
}

fn period(row: &SqliteRow) -> Result<PlanPeriod, StoreError> {
    let get = |e| from_sqlx(e, "reading a plan period");
    let grace: i64 = row.try_get("grace_days").map_err(get)?;
    Ok(PlanPeriod {
        starts_at_us: row.try_get("starts_at_us").map_err(get)?,
        ends_at_us: row.try_get("ends_at_us").map_err(get)?,
        grace_days: u32::try_from(grace)
            .map_err(|_| StoreError::Backend(format!("corrupt row: grace_days {grace}")))?,
    })
}

fn policy(row: &SqliteRow) -> Result<OrgPolicy, StoreError> {
    let get = |e| from_sqlx(e, "reading an organization's policy");
    Ok(OrgPolicy {
        seat_covers_household: row.try_get("seat_covers_household").map_err(get)?,
        backup_line: row.try_get("backup_line").map_err(get)?,
        lapse: LapsePolicy {
            alerts: row.try_get("lapsed_alerts").map_err(get)?,
            attorney_line: row.try_get("lapsed_attorney_line").map_err(get)?,
        },
    })
}

fn organization(row: &SqliteRow) -> Result<Organization, StoreError> {
    let get = |e| from_sqlx(e, "reading an organization");
    Ok(Organization {
        id: OrgId(uuid(row.try_get("id").map_err(get)?, "organization id")?),
        name: row.try_get("name").map_err(get)?,
        seats: count(row, "seats")?,
        used: count(row, "used")?,
        policy: policy(row)?,
        period: period(row)?,
        created_at_us: row.try_get("created_at_us").map_err(get)?,
    })
}

pub(crate) async fn load(conn: &mut SqliteConnection, id: OrgId) -> Result<Option<Organization>, StoreError> {
    let row = sqlx::query(concat!(
        "SELECT ",
        org_columns!(),
        " FROM organizations o WHERE o.id = ?"
    ))
    .bind(org_bytes(&id))
    .fetch_optional(conn)
    .await
    .map_err(|e| from_sqlx(e, &format!("reading organization {id}")))?;
    row.as_ref().map(organization).transpose()
}

fn missing(id: OrgId) -> StoreError {
    StoreError::NotFound(format!("organization {id}"))
}

pub(crate) async fn create(store: &SqliteStore, new: &NewOrganization) -> Result<Organization, StoreError> {
    let mut tx = store.write().await?;
    sqlx::query(
        "INSERT INTO organizations (id, name, seats, seat_covers_household, backup_line, lapsed_alerts, \
         lapsed_attorney_line, starts_at_us, ends_at_us, grace_days, created_at_us) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(org_bytes(&new.id))
    .bind(&new.name)
    .bind(i64::from(new.seats))
    .bind(new.policy.seat_covers_household)
    .bind(&new.policy.backup_line)
    .bind(new.policy.lapse.alerts)
    .bind(new.policy.lapse.attorney_line)
    .bind(new.period.starts_at_us)
    .bind(new.period.ends_at_us)
    .bind(i64::from(new.period.grace_days))
    .bind(new.created_at_us)
    .execute(&mut *tx)
    .await
    .map_err(|e| from_sqlx(e, &format!("creating organization {}", new.id)))?;
    let created = load(&mut tx, new.id).await?.ok_or_else(|| missing(new.id))?;
    tx.commit()
        .await
        .map_err(|e| from_sqlx(e, "creating an organization"))?;
    Ok(created)
}

pub(crate) async fn get(store: &SqliteStore, id: OrgId) -> Result<Option<Organization>, StoreError> {
    let mut conn = store.read().await?;
    load(&mut conn, id).await
}

pub(crate) async fn add_admin(store: &SqliteStore, org: OrgId, account: AccountId) -> Result<(), StoreError> {
    let mut conn = store.write_conn().await?;
    sqlx::query("INSERT INTO org_admins (org, account) VALUES (?, ?) ON CONFLICT DO NOTHING")
        .bind(org_bytes(&org))
        .bind(account.as_bytes().as_slice())
        .execute(&mut *conn)
        .await
        .map_err(|e| from_sqlx(e, &format!("naming account {account} an admin of organization {org}")))?;
    Ok(())
}

pub(crate) async fn remove_admin(store: &SqliteStore, org: OrgId, account: AccountId) -> Result<(), StoreError> {
    let mut tx = store.write().await?;
    if load(&mut tx, org).await?.is_none() {
        return Err(missing(org));
    }
    sqlx::query("DELETE FROM org_admins WHERE org = ? AND account = ?")
        .bind(org_bytes(&org))
        .bind(account.as_bytes().as_slice())
        .execute(&mut *tx)
        .await
        .map_err(|e| from_sqlx(e, &format!("removing an admin of organization {org}")))?;
    tx.commit().await.map_err(|e| from_sqlx(e, "removing an admin"))
}

pub(crate) async fn administered_by(store: &SqliteStore, account: AccountId) -> Result<Vec<Organization>, StoreError> {
    let mut conn = store.read().await?;
    let rows = sqlx::query(concat!(
        "SELECT ",
        org_columns!(),
        " FROM organizations o JOIN org_admins a ON a.org = o.id WHERE a.account = ? \
         ORDER BY o.created_at_us, o.id"
    ))
    .bind(account.as_bytes().as_slice())
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| from_sqlx(e, &format!("listing the organizations of admin {account}")))?;
    rows.iter().map(organization).collect()
}

async fn seat_of(conn: &mut SqliteConnection, account: AccountId) -> Result<Option<Seat>, StoreError> {
    let get = |e| from_sqlx(e, &format!("reading the seat of account {account}"));
    let row = sqlx::query(
        "SELECT s.org, a.username, s.assigned_at_us FROM org_seats s JOIN accounts a ON a.id = s.account \
         WHERE s.account = ?",
    )
    .bind(account.as_bytes().as_slice())
    .fetch_optional(conn)
    .await
    .map_err(get)?;
    row.map(|row| {
        Ok(Seat {
            org: OrgId(uuid(row.try_get("org").map_err(get)?, "seat organization")?),
            account,
            username: row.try_get("username").map_err(get)?,
            assigned_at_us: row.try_get("assigned_at_us").map_err(get)?,
        })
    })
    .transpose()
}

pub(crate) async fn assign_seat(
    store: &SqliteStore,
    org: OrgId,
    account: AccountId,
    now_us: i64,
) -> Result<Result<Seat, SeatRefusal>, StoreError> {
    let what = || format!("giving account {account} a seat of organization {org}");
    let mut tx = store.write().await?;
    let pool = load(&mut tx, org).await?.ok_or_else(|| missing(org))?;
    let known: Option<i64> = sqlx::query_scalar("SELECT 1 FROM accounts WHERE id = ?")
        .bind(account.as_bytes().as_slice())
        .fetch_optional(&mut *tx)
        .await
        .map_err(|e| from_sqlx(e, &what()))?;
    if known.is_none() {
        return Err(StoreError::NotFound(format!("account {account}")));
    }
    if seat_of(&mut tx, account).await?.is_some() {
        return Ok(Err(SeatRefusal::AlreadySeated));
    }
    if pool.used >= pool.seats {
        return Ok(Err(SeatRefusal::Full));
    }
    sqlx::query(
        "INSERT INTO org_seats (account, org, assigned_at_us, seq) VALUES (?, ?, ?, \
         (SELECT coalesce(max(seq), 0) + 1 FROM org_seats WHERE org = ?))",
    )
    .bind(account.as_bytes().as_slice())
    .bind(org_bytes(&org))
    .bind(now_us)
    .bind(org_bytes(&org))
    .execute(&mut *tx)
    .await
    .map_err(|e| from_sqlx(e, &what()))?;
    let seat = seat_of(&mut tx, account)
        .await?
        .ok_or_else(|| StoreError::Backend(format!("{}: the seat vanished inside its transaction", what())))?;
    tx.commit().await.map_err(|e| from_sqlx(e, &what()))?;
    Ok(Ok(seat))
}

pub(crate) async fn reclaim_seat(store: &SqliteStore, org: OrgId, account: AccountId) -> Result<(), StoreError> {
    let mut conn = store.write_conn().await?;
    let done = sqlx::query("DELETE FROM org_seats WHERE org = ? AND account = ?")
        .bind(org_bytes(&org))
        .bind(account.as_bytes().as_slice())
        .execute(&mut *conn)
        .await
        .map_err(|e| from_sqlx(e, &format!("reclaiming the seat of account {account}")))?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound(format!(
            "a seat of organization {org} held by account {account}"
        )));
    }
    Ok(())
}

pub(crate) async fn seats(store: &SqliteStore, org: OrgId) -> Result<Vec<Seat>, StoreError> {
    let get = |e| from_sqlx(e, &format!("listing the seats of organization {org}"));
    let mut conn = store.read().await?;
    let rows = sqlx::query(
        "SELECT s.account, a.username, s.assigned_at_us FROM org_seats s JOIN accounts a ON a.id = s.account \
         WHERE s.org = ? ORDER BY s.seq",
    )
    .bind(org_bytes(&org))
    .fetch_all(&mut *conn)
    .await
    .map_err(get)?;
    rows.iter()
        .map(|row| {
            Ok(Seat {
                org,
                account: AccountId(uuid(row.try_get("account").map_err(get)?, "seat account")?),
                username: row.try_get("username").map_err(get)?,
                assigned_at_us: row.try_get("assigned_at_us").map_err(get)?,
            })
        })
        .collect()
}

pub(crate) async fn set_policy(
    store: &SqliteStore,
    org: OrgId,
    policy: &OrgPolicy,
) -> Result<Organization, StoreError> {
    let mut tx = store.write().await?;
    sqlx::query(
        "UPDATE organizations SET seat_covers_household = ?, backup_line = ?, lapsed_alerts = ?, \
         lapsed_attorney_line = ? WHERE id = ?",
    )
    .bind(policy.seat_covers_household)
    .bind(&policy.backup_line)
    .bind(policy.lapse.alerts)
    .bind(policy.lapse.attorney_line)
    .bind(org_bytes(&org))
    .execute(&mut *tx)
    .await
    .map_err(|e| from_sqlx(e, &format!("setting the policy of organization {org}")))?;
    let updated = load(&mut tx, org).await?.ok_or_else(|| missing(org))?;
    tx.commit().await.map_err(|e| from_sqlx(e, "setting a policy"))?;
    Ok(updated)
}

/// Sets the plan's period and size on `conn` (inside the caller's transaction).
pub(crate) async fn update_plan(
    conn: &mut SqliteConnection,
    org: OrgId,
    period: &PlanPeriod,
    seats: u32,
) -> Result<Organization, StoreError> {
    sqlx::query("UPDATE organizations SET starts_at_us = ?, ends_at_us = ?, grace_days = ?, seats = ? WHERE id = ?")
        .bind(period.starts_at_us)
        .bind(period.ends_at_us)
        .bind(i64::from(period.grace_days))
        .bind(i64::from(seats))
        .bind(org_bytes(&org))
        .execute(&mut *conn)
        .await
        .map_err(|e| from_sqlx(e, &format!("setting the plan of organization {org}")))?;
    load(conn, org).await?.ok_or_else(|| missing(org))
}

pub(crate) async fn set_plan(
    store: &SqliteStore,
    org: OrgId,
    period: &PlanPeriod,
    seats: u32,
) -> Result<Organization, StoreError> {
    let mut tx = store.write().await?;
    let updated = update_plan(&mut tx, org, period, seats).await?;
    tx.commit().await.map_err(|e| from_sqlx(e, "setting a plan"))?;
    Ok(updated)
}

/// The plan columns of an organization `o`, named as [`policy`] and [`period`] read them.
macro_rules! org_plan_columns {
    () => {
        "o.id AS org, NULL AS household, o.seat_covers_household, o.backup_line, \
         o.lapsed_alerts, o.lapsed_attorney_line, o.starts_at_us, o.ends_at_us, o.grace_days"
    };
}

/// Every plan that may cover `account`, in one statement: one statement is one snapshot, and
/// one trip to the reader's thread. Coverage is read before every attorney request and every
/// alert, so at 500 encounter starts a second a read transaction of three statements (each a
/// wake-up of that thread) was what made requests wait for a reader. Up to three rows: the
/// account's seat (`plan = 0`), its household (`1`), and the household owner's seat (`2`).
pub(crate) async fn plan_facts(store: &SqliteStore, account: AccountId) -> Result<PlanFacts, StoreError> {
    let get = |e| from_sqlx(e, &format!("reading the plans of account {account}"));
    let rows = sqlx::query(concat!(
        "SELECT 0 AS plan, ",
        org_plan_columns!(),
        " FROM org_seats seat JOIN organizations o ON o.id = seat.org WHERE seat.account = ?1 \
         UNION ALL SELECT 1, NULL, h.id, NULL, NULL, NULL, NULL, h.starts_at_us, h.ends_at_us, \
           h.grace_days FROM household_members m JOIN households h ON h.id = m.household WHERE m.account = ?1 \
         UNION ALL SELECT 2, ",
        org_plan_columns!(),
        " FROM household_members m JOIN households h ON h.id = m.household \
           JOIN org_seats seat ON seat.account = h.owner JOIN organizations o ON o.id = seat.org \
           WHERE m.account = ?1"
    ))
    .bind(account.as_bytes().as_slice())
    .fetch_all(&mut *store.read().await?)
    .await
    .map_err(get)?;
    let mut facts = PlanFacts {
        seat: None,
        household: None,
    };
    let mut owner_seat = None;
    for row in &rows {
        let plan: i64 = row.try_get("plan").map_err(get)?;
        match plan {
            0 | 2 => {
                let seat = Some(OrgPlan {
                    org: OrgId(uuid(row.try_get("org").map_err(get)?, "organization id")?),
                    period: period(row)?,
                    policy: policy(row)?,
                });
                if plan == 0 {
                    facts.seat = seat
                } else {
                    owner_seat = seat
                }
            }
            _ => {
                facts.household = Some(HouseholdPlan {
                    household: HouseholdId(uuid(row.try_get("household").map_err(get)?, "household id")?),
                    period: period(row)?,
                    owner_seat: None,
                });
            }
        }
    }
    if let Some(household) = &mut facts.household {
        household.owner_seat = owner_seat;
    }
    Ok(facts)
}
