//! Organizations (issue 5): seat pools, their admins, the seats given, and the facts coverage is
//! judged by.
//!
//! Giving a seat first locks the organization's row (`SELECT ... FOR UPDATE`), so concurrent
//! assignments for one pool take turns, and each counts the seats after the one before it
//! committed: the last seat is given exactly once. An account's single seat is the primary key of
//! `org_seats`: a race between two pools for one account ends in a unique violation for the
//! second, reported as `AlreadySeated`.

use crate::PostgresStore;
use crate::convert::from_sqlx;
use amparo_core::ids::{AccountId, OrgId};
use amparo_store::{
    HouseholdId, HouseholdPlan, LapsePolicy, NewOrganization, OrgPlan, OrgPolicy, Organization, PlanFacts, PlanPeriod,
    Seat, SeatRefusal, StoreError,
};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Postgres, Row, Transaction};
use uuid::Uuid;

/// The columns [`organization`] reads, for an `organizations` table aliased `o`.
macro_rules! org_columns {
    () => {
        "o.id, o.name, o.seats, o.seat_covers_household, o.backup_line, o.lapsed_alerts, \
         o.lapsed_attorney_line, o.starts_at_us, o.ends_at_us, o.grace_days, o.created_at_us, \
         (SELECT count(*) FROM org_seats s WHERE s.org = o.id) AS used"
    };
}

async fn begin(store: &PostgresStore, what: &str) -> Result<Transaction<'static, Postgres>, StoreError> {
    store.pool.begin().await.map_err(|e| from_sqlx(e, what))
}

fn count(row: &PgRow, column: &str) -> Result<u32, StoreError> {
    let value: i64 = row
        .try_get(column)
        .map_err(|e| from_sqlx(e, "reading an organization"))?;
    u32::try_from(value).map_err(|_| StoreError::Backend(format!("corrupt row: {column} is {value}")))
}

fn period(row: &PgRow) -> Result<PlanPeriod, StoreError> {
    let get = |e| from_sqlx(e, "reading a plan period");
    let grace: i64 = row.try_get("grace_days").map_err(get)?;
    Ok(PlanPeriod {
        starts_at_us: row.try_get("starts_at_us").map_err(get)?,
        ends_at_us: row.try_get("ends_at_us").map_err(get)?,
        grace_days: u32::try_from(grace)
            .map_err(|_| StoreError::Backend(format!("corrupt row: grace_days {grace}")))?,
    })
}

fn policy(row: &PgRow) -> Result<OrgPolicy, StoreError> {
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

fn organization(row: &PgRow) -> Result<Organization, StoreError> {
    let get = |e| from_sqlx(e, "reading an organization");
    Ok(Organization {
        id: OrgId(row.try_get("id").map_err(get)?),
        name: row.try_get("name").map_err(get)?,
        seats: count(row, "seats")?,
        used: count(row, "used")?,
        policy: policy(row)?,
        period: period(row)?,
        created_at_us: row.try_get("created_at_us").map_err(get)?,
    })
}

pub(crate) async fn load(conn: &mut PgConnection, id: OrgId) -> Result<Option<Organization>, StoreError> {
    let row = sqlx::query(concat!(
        "SELECT ",
        org_columns!(),
        " FROM organizations o WHERE o.id = $1"
    ))
    .bind(id.0)
    .fetch_optional(conn)
    .await
    .map_err(|e| from_sqlx(e, &format!("reading organization {id}")))?;
    row.as_ref().map(organization).transpose()
}

fn missing(id: OrgId) -> StoreError {
    StoreError::NotFound(format!("organization {id}"))
}

pub(crate) async fn create(store: &PostgresStore, new: &NewOrganization) -> Result<Organization, StoreError> {
    let mut tx = begin(store, "creating an organization").await?;
    sqlx::query(
        "INSERT INTO organizations (id, name, seats, seat_covers_household, backup_line, lapsed_alerts, \
         lapsed_attorney_line, starts_at_us, ends_at_us, grace_days, created_at_us) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(new.id.0)
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

pub(crate) async fn get(store: &PostgresStore, id: OrgId) -> Result<Option<Organization>, StoreError> {
    let mut conn = store
        .pool
        .acquire()
        .await
        .map_err(|e| from_sqlx(e, "reading an organization"))?;
    load(&mut conn, id).await
}

pub(crate) async fn add_admin(store: &PostgresStore, org: OrgId, account: AccountId) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO org_admins (org, account) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(org.0)
        .bind(account.0)
        .execute(&store.pool)
        .await
        .map_err(|e| from_sqlx(e, &format!("naming account {account} an admin of organization {org}")))?;
    Ok(())
}

pub(crate) async fn remove_admin(store: &PostgresStore, org: OrgId, account: AccountId) -> Result<(), StoreError> {
    let mut tx = begin(store, "removing an admin").await?;
    if !lock(&mut tx, org).await? {
        return Err(missing(org));
    }
    sqlx::query("DELETE FROM org_admins WHERE org = $1 AND account = $2")
        .bind(org.0)
        .bind(account.0)
        .execute(&mut *tx)
        .await
        .map_err(|e| from_sqlx(e, &format!("removing an admin of organization {org}")))?;
    tx.commit().await.map_err(|e| from_sqlx(e, "removing an admin"))
}

pub(crate) async fn administered_by(
    store: &PostgresStore,
    account: AccountId,
) -> Result<Vec<Organization>, StoreError> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        org_columns!(),
        " FROM organizations o JOIN org_admins a ON a.org = o.id WHERE a.account = $1 \
         ORDER BY o.created_at_us, o.id"
    ))
    .bind(account.0)
    .fetch_all(&store.pool)
    .await
    .map_err(|e| from_sqlx(e, &format!("listing the organizations of admin {account}")))?;
    rows.iter().map(organization).collect()
}

/// Locks the organization's row until the transaction ends; `false` if there is none.
async fn lock(conn: &mut PgConnection, org: OrgId) -> Result<bool, StoreError> {
    let found: Option<Uuid> = sqlx::query_scalar("SELECT id FROM organizations WHERE id = $1 FOR UPDATE")
        .bind(org.0)
        .fetch_optional(&mut *conn)
        .await
        .map_err(|e| from_sqlx(e, &format!("locking organization {org}")))?;
    Ok(found.is_some())
}

async fn seat_of(conn: &mut PgConnection, account: AccountId) -> Result<Option<Seat>, StoreError> {
    let get = |e| from_sqlx(e, &format!("reading the seat of account {account}"));
    let row = sqlx::query(
        "SELECT s.org, a.username, s.assigned_at_us FROM org_seats s JOIN accounts a ON a.id = s.account \
         WHERE s.account = $1",
    )
    .bind(account.0)
    .fetch_optional(conn)
    .await
    .map_err(get)?;
    row.map(|row| {
        Ok(Seat {
            org: OrgId(row.try_get("org").map_err(get)?),
            account,
            username: row.try_get("username").map_err(get)?,
            assigned_at_us: row.try_get("assigned_at_us").map_err(get)?,
        })
    })
    .transpose()
}

pub(crate) async fn assign_seat(
    store: &PostgresStore,
    org: OrgId,
    account: AccountId,
    now_us: i64,
) -> Result<Result<Seat, SeatRefusal>, StoreError> {
    let what = || format!("giving account {account} a seat of organization {org}");
    let mut tx = begin(store, &what()).await?;
    if !lock(&mut tx, org).await? {
        return Err(missing(org));
    }
    let known: Option<i32> = sqlx::query_scalar("SELECT 1 FROM accounts WHERE id = $1")
        .bind(account.0)
        .fetch_optional(&mut *tx)
        .await
        .map_err(|e| from_sqlx(e, &what()))?;
    if known.is_none() {
        return Err(StoreError::NotFound(format!("account {account}")));
    }
    if seat_of(&mut tx, account).await?.is_some() {
        return Ok(Err(SeatRefusal::AlreadySeated));
    }
    let pool = load(&mut tx, org).await?.ok_or_else(|| missing(org))?;
    if pool.used >= pool.seats {
        return Ok(Err(SeatRefusal::Full));
    }
    let inserted = sqlx::query("INSERT INTO org_seats (account, org, assigned_at_us) VALUES ($1, $2, $3)")
        .bind(account.0)
        .bind(org.0)
        .bind(now_us)
        .execute(&mut *tx)
        .await;
    match inserted.map_err(|e| from_sqlx(e, &what())) {
        Ok(_) => {}
        // Seated by another pool in a transaction that committed while this one ran.
        Err(StoreError::Conflict(_)) => return Ok(Err(SeatRefusal::AlreadySeated)),
        Err(StoreError::NotFound(_)) => return Err(StoreError::NotFound(format!("account {account}"))),
        Err(other) => return Err(other),
    }
    let seat = seat_of(&mut tx, account)
        .await?
        .ok_or_else(|| StoreError::Backend(format!("{}: the seat vanished inside its transaction", what())))?;
    tx.commit().await.map_err(|e| from_sqlx(e, &what()))?;
    Ok(Ok(seat))
}

pub(crate) async fn reclaim_seat(store: &PostgresStore, org: OrgId, account: AccountId) -> Result<(), StoreError> {
    let done = sqlx::query("DELETE FROM org_seats WHERE org = $1 AND account = $2")
        .bind(org.0)
        .bind(account.0)
        .execute(&store.pool)
        .await
        .map_err(|e| from_sqlx(e, &format!("reclaiming the seat of account {account}")))?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound(format!(
            "a seat of organization {org} held by account {account}"
        )));
    }
    Ok(())
}

pub(crate) async fn seats(store: &PostgresStore, org: OrgId) -> Result<Vec<Seat>, StoreError> {
    let get = |e| from_sqlx(e, &format!("listing the seats of organization {org}"));
    let rows = sqlx::query(
        "SELECT s.account, a.username, s.assigned_at_us FROM org_seats s JOIN accounts a ON a.id = s.account \
         WHERE s.org = $1 ORDER BY s.seq",
    )
    .bind(org.0)
    .fetch_all(&store.pool)
    .await
    .map_err(get)?;
    rows.iter()
        .map(|row| {
            Ok(Seat {
                org,
                account: AccountId(row.try_get("account").map_err(get)?),
                username: row.try_get("username").map_err(get)?,
                assigned_at_us: row.try_get("assigned_at_us").map_err(get)?,
            })
        })
        .collect()
}

pub(crate) async fn set_policy(
    store: &PostgresStore,
    org: OrgId,
    policy: &OrgPolicy,
) -> Result<Organization, StoreError> {
    let mut tx = begin(store, "setting a policy").await?;
    sqlx::query(
        "UPDATE organizations SET seat_covers_household = $2, backup_line = $3, lapsed_alerts = $4, \
         lapsed_attorney_line = $5 WHERE id = $1",
    )
    .bind(org.0)
    .bind(policy.seat_covers_household)
    .bind(&policy.backup_line)
    .bind(policy.lapse.alerts)
    .bind(policy.lapse.attorney_line)
    .execute(&mut *tx)
    .await
    .map_err(|e| from_sqlx(e, &format!("setting the policy of organization {org}")))?;
    let updated = load(&mut tx, org).await?.ok_or_else(|| missing(org))?;
    tx.commit().await.map_err(|e| from_sqlx(e, "setting a policy"))?;
    Ok(updated)
}

/// Sets the plan's period and size on `conn` (inside the caller's transaction).
pub(crate) async fn update_plan(
    conn: &mut PgConnection,
    org: OrgId,
    period: &PlanPeriod,
    seats: u32,
) -> Result<Organization, StoreError> {
    sqlx::query(
        "UPDATE organizations SET starts_at_us = $2, ends_at_us = $3, grace_days = $4, seats = $5 WHERE id = $1",
    )
    .bind(org.0)
    .bind(period.starts_at_us)
    .bind(period.ends_at_us)
    .bind(i64::from(period.grace_days))
    .bind(i64::from(seats))
    .execute(&mut *conn)
    .await
    .map_err(|e| from_sqlx(e, &format!("setting the plan of organization {org}")))?;
    load(conn, org).await?.ok_or_else(|| missing(org))
}

pub(crate) async fn set_plan(
    store: &PostgresStore,
    org: OrgId,
    period: &PlanPeriod,
    seats: u32,
) -> Result<Organization, StoreError> {
    let mut tx = begin(store, "setting a plan").await?;
    let updated = update_plan(&mut tx, org, period, seats).await?;
    tx.commit().await.map_err(|e| from_sqlx(e, "setting a plan"))?;
    Ok(updated)
}

/// The plan columns of an organization `o`, named as [`policy`] and [`period`] read them.
macro_rules! org_plan_columns {
    () => {
        "o.id AS org, NULL::uuid AS household, o.seat_covers_household, o.backup_line, \
         o.lapsed_alerts, o.lapsed_attorney_line, o.starts_at_us, o.ends_at_us, o.grace_days"
    };
}

/// Every plan that may cover `account`, in one statement: one statement is one snapshot, with no
/// transaction to open and close around it (coverage is read before every attorney request and
/// every alert). Up to three rows: the account's seat (`plan = 0`), its household (`1`), and the
/// household owner's seat (`2`).
pub(crate) async fn plan_facts(store: &PostgresStore, account: AccountId) -> Result<PlanFacts, StoreError> {
    let get = |e| from_sqlx(e, &format!("reading the plans of account {account}"));
    let rows = sqlx::query(concat!(
        "SELECT 0 AS plan, ",
        org_plan_columns!(),
        " FROM org_seats seat JOIN organizations o ON o.id = seat.org WHERE seat.account = $1 \
         UNION ALL SELECT 1, NULL, h.id, NULL, NULL, NULL, NULL, h.starts_at_us, h.ends_at_us, \
           h.grace_days FROM household_members m JOIN households h ON h.id = m.household WHERE m.account = $1 \
         UNION ALL SELECT 2, ",
        org_plan_columns!(),
        " FROM household_members m JOIN households h ON h.id = m.household \
           JOIN org_seats seat ON seat.account = h.owner JOIN organizations o ON o.id = seat.org \
           WHERE m.account = $1"
    ))
    .bind(account.0)
    .fetch_all(&store.pool)
    .await
    .map_err(get)?;
    let mut facts = PlanFacts {
        seat: None,
        household: None,
    };
    let mut owner_seat = None;
    for row in &rows {
        let plan: i32 = row.try_get("plan").map_err(get)?;
        if plan == 1 {
            facts.household = Some(HouseholdPlan {
                household: HouseholdId(row.try_get("household").map_err(get)?),
                period: period(row)?,
                owner_seat: None,
            });
            continue;
        }
        let seat = Some(OrgPlan {
            org: OrgId(row.try_get("org").map_err(get)?),
            period: period(row)?,
            policy: policy(row)?,
        });
        if plan == 0 {
            facts.seat = seat;
        } else {
            owner_seat = seat;
        }
    }
    if let Some(household) = &mut facts.household {
        household.owner_seat = owner_seat;
    }
    Ok(facts)
}
