//! Billing events (issue 5): each applied exactly once, by its id, in the transaction that makes
//! its change.

use crate::SqliteStore;
use crate::convert::from_sqlx;
use crate::{households, organizations};
use amparo_store::{BillingChange, BillingEvent, BillingOutcome, StoreError};

pub(crate) async fn apply(store: &SqliteStore, event: &BillingEvent) -> Result<BillingOutcome, StoreError> {
    let what = || format!("applying billing event {:?}", event.id);
    // The single writer orders events: a second delivery of one id waits, then finds it.
    let mut tx = store.write().await?;
    let seen: Option<i64> = sqlx::query_scalar("SELECT 1 FROM billing_events WHERE id = ?")
        .bind(&event.id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(|e| from_sqlx(e, &what()))?;
    if seen.is_some() {
        return Ok(BillingOutcome::AlreadyApplied);
    }
    let (kind, outcome) = match &event.change {
        BillingChange::HouseholdPeriod { household, period } => {
            sqlx::query("UPDATE households SET starts_at_us = ?, ends_at_us = ?, grace_days = ? WHERE id = ?")
                .bind(period.starts_at_us)
                .bind(period.ends_at_us)
                .bind(i64::from(period.grace_days))
                .bind(household.0.as_bytes().as_slice())
                .execute(&mut *tx)
                .await
                .map_err(|e| from_sqlx(e, &what()))?;
            let updated = households::load(&mut tx, *household)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("household {household}")))?;
            ("household.period", BillingOutcome::Household(updated))
        }
        BillingChange::OrganizationPlan { org, period, seats } => {
            let updated = organizations::update_plan(&mut tx, *org, period, *seats).await?;
            ("organization.plan", BillingOutcome::Organization(updated))
        }
    };
    sqlx::query("INSERT INTO billing_events (id, kind, received_at_us) VALUES (?, ?, ?)")
        .bind(&event.id)
        .bind(kind)
        .bind(event.received_at_us)
        .execute(&mut *tx)
        .await
        .map_err(|e| from_sqlx(e, &what()))?;
    tx.commit().await.map_err(|e| from_sqlx(e, &what()))?;
    Ok(outcome)
}
