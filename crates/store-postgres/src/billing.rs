//! Billing events (issue 5): each applied exactly once, by its id, in the transaction that makes
//! its change.
//!
//! The event's id is inserted first. A second delivery of the same id, concurrent with the first,
//! waits on the first's uncommitted key and then finds it (`ON CONFLICT DO NOTHING` inserts
//! nothing); if the first rolled back, the second goes ahead. Either way the change is made once.

use crate::PostgresStore;
use crate::convert::from_sqlx;
use crate::{households, organizations};
use amparo_store::{BillingChange, BillingEvent, BillingOutcome, StoreError};

pub(crate) async fn apply(store: &PostgresStore, event: &BillingEvent) -> Result<BillingOutcome, StoreError> {
    let what = || format!("applying billing event {:?}", event.id);
    let kind = match event.change {
        BillingChange::HouseholdPeriod { .. } => "household.period",
        BillingChange::OrganizationPlan { .. } => "organization.plan",
    };
    let mut tx = store.pool.begin().await.map_err(|e| from_sqlx(e, &what()))?;
    let recorded = sqlx::query(
        "INSERT INTO billing_events (id, kind, received_at_us) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING",
    )
    .bind(&event.id)
    .bind(kind)
    .bind(event.received_at_us)
    .execute(&mut *tx)
    .await
    .map_err(|e| from_sqlx(e, &what()))?;
    if recorded.rows_affected() == 0 {
        return Ok(BillingOutcome::AlreadyApplied);
    }
    let outcome = match &event.change {
        BillingChange::HouseholdPeriod { household, period } => {
            sqlx::query("UPDATE households SET starts_at_us = $2, ends_at_us = $3, grace_days = $4 WHERE id = $1")
                .bind(household.0)
                .bind(period.starts_at_us)
                .bind(period.ends_at_us)
                .bind(i64::from(period.grace_days))
                .execute(&mut *tx)
                .await
                .map_err(|e| from_sqlx(e, &what()))?;
            let updated = households::load(&mut tx, *household)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("household {household}")))?;
            BillingOutcome::Household(updated)
        }
        BillingChange::OrganizationPlan { org, period, seats } => {
            BillingOutcome::Organization(organizations::update_plan(&mut tx, *org, period, *seats).await?)
        }
    };
    tx.commit().await.map_err(|e| from_sqlx(e, &what()))?;
    Ok(outcome)
}
