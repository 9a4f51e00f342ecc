//! What an account's plan covers at a moment: the one place that decides it.
//!
//! **Recording and evidence export never depend on this module, and must never call it.** A
//! person whose plan lapsed still records, streams, and exports their evidence; a lapsed plan
//! must not take evidence hostage. What follows the plan is what costs an organization money or
//! a volunteer's time: alerts to family and emergency contacts, and the attorney line. The alert
//! fan-out and attorney dispatch ask [`AppState::coverage`] (or [`coverage`]) before acting.
//!
//! How it is decided, purely from the [`PlanFacts`] the store reads in one call:
//! - a plan's [`Phase`] at `now`: before its start it is `Upcoming`; from its start to its end
//!   `Active`; for its grace days after the end `Grace`; then `Lapsed`. Active and grace cover
//!   everything; upcoming and lapsed keep what the plan's [`LapsePolicy`] says;
//! - the plans that may cover an account: the seat it holds (the organization's plan and
//!   policy); its household's owner's seat, when that organization lets a seat cover a household;
//!   its household's own plan (the server's `[plans]` lapse policy);
//! - the one that covers most is named (the attorney line, then alerts, then phase, then that
//!   order), and alerts go out if any of them keeps alerts: being covered twice never covers less
//!   than once. Having no plan is always a candidate, covered as a lapsed
//!   personal plan: leaving a lapsed household, or giving back a lapsed seat, never covers more
//!   than staying.

use crate::state::AppState;
use amparo_core::ids::{AccountId, OrgId};
use amparo_store::{HouseholdId, LapsePolicy, OrgPlan, PlanFacts, PlanPeriod, Store, StoreError};
use serde::{Deserialize, Serialize};

const DAY_US: i64 = 86_400_000_000;

/// The `[plans]` settings: what a personal plan keeps once lapsed (and what an account with no
/// plan gets). Organizations set their own. Default: alerts to family and contacts keep going out
/// (a lapsed payment must never leave someone's family in the dark during a stop); the attorney
/// line, which costs attorneys' hours, stops after the grace days.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PlanSettings {
    /// Alerts keep going out after a personal plan's grace days.
    pub lapsed_alerts: bool,
    /// The attorney line keeps answering after a personal plan's grace days.
    pub lapsed_attorney_line: bool,
}

impl Default for PlanSettings {
    fn default() -> Self {
        Self {
            lapsed_alerts: true,
            lapsed_attorney_line: false,
        }
    }
}

impl PlanSettings {
    pub fn personal_lapse(&self) -> LapsePolicy {
        LapsePolicy {
            alerts: self.lapsed_alerts,
            attorney_line: self.lapsed_attorney_line,
        }
    }
}

/// Where a plan is in its period.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Past its end and its grace days.
    Lapsed,
    /// Not started yet.
    Upcoming,
    /// Past its end, within its grace days: still covers everything.
    Grace,
    Active,
}

impl Phase {
    /// Whether the plan covers everything it offers.
    pub fn covers(self) -> bool {
        matches!(self, Self::Active | Self::Grace)
    }
}

/// Where `period` is at `now_us`.
pub fn phase(period: &PlanPeriod, now_us: i64) -> Phase {
    let grace_us = i64::from(period.grace_days).saturating_mul(DAY_US);
    match period.ends_at_us {
        _ if now_us < period.starts_at_us => Phase::Upcoming,
        Some(end) if now_us >= end.saturating_add(grace_us) => Phase::Lapsed,
        Some(end) if now_us >= end => Phase::Grace,
        _ => Phase::Active,
    }
}

/// Which plan covers an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanSource {
    /// No plan: the server's personal lapse policy applies.
    None,
    /// The household's own plan.
    Household { household: HouseholdId },
    /// A seat the account holds.
    Organization { org: OrgId },
    /// The household's owner holds a seat whose organization lets it cover a household.
    OrganizationHousehold { org: OrgId, household: HouseholdId },
}

/// What an account's plan covers at a moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Coverage {
    pub plan: PlanSource,
    /// The plan's phase (`lapsed` when there is no plan).
    pub phase: Phase,
    /// Alerts to family and emergency contacts go out.
    pub alerts: bool,
    /// The attorney line answers.
    pub attorney_line: bool,
    /// The covering organization's backup phone line, for when no attorney is free.
    pub backup_line: Option<String>,
}

impl Coverage {
    fn of(plan: PlanSource, period: &PlanPeriod, lapse: LapsePolicy, backup: Option<&String>, now_us: i64) -> Self {
        let phase = phase(period, now_us);
        let covers = phase.covers();
        Self {
            plan,
            phase,
            alerts: covers || lapse.alerts,
            attorney_line: covers || lapse.attorney_line,
            backup_line: backup.cloned(),
        }
    }

    fn of_org(plan: PlanSource, org: &OrgPlan, now_us: i64) -> Self {
        Self::of(
            plan,
            &org.period,
            org.policy.lapse,
            org.policy.backup_line.as_ref(),
            now_us,
        )
    }

    /// How much it covers, for choosing between plans: the attorney line first (the plan that
    /// gives it names the organization whose attorneys answer), then alerts, then the phase.
    fn rank(&self) -> (bool, bool, Phase) {
        (self.attorney_line, self.alerts, self.phase)
    }
}

/// What the facts cover at `now_us`, personal plans following `personal`. Pure.
pub fn judge(facts: &PlanFacts, personal: LapsePolicy, now_us: i64) -> Coverage {
    let mut candidates = Vec::with_capacity(3);
    if let Some(seat) = &facts.seat {
        candidates.push(Coverage::of_org(
            PlanSource::Organization { org: seat.org },
            seat,
            now_us,
        ));
    }
    if let Some(household) = &facts.household {
        let id = household.household;
        if let Some(owner_seat) = household.owner_seat.as_ref().filter(|s| s.policy.seat_covers_household) {
            let plan = PlanSource::OrganizationHousehold {
                org: owner_seat.org,
                household: id,
            };
            candidates.push(Coverage::of_org(plan, owner_seat, now_us));
        }
        let plan = PlanSource::Household { household: id };
        candidates.push(Coverage::of(plan, &household.period, personal, None, now_us));
    }
    // Having no plan is always a candidate, the last: a plan never covers less than none.
    let none = Coverage {
        plan: PlanSource::None,
        phase: Phase::Lapsed,
        alerts: personal.alerts,
        attorney_line: personal.attorney_line,
        backup_line: None,
    };
    // Alerts need no organization: they go out if any plan keeps them.
    let alerts = none.alerts || candidates.iter().any(|c| c.alerts);
    // The first of the best: walking back from `none`, a candidate replaces one it equals.
    let best = candidates
        .into_iter()
        .rev()
        .fold(none, |best, next| if next.rank() >= best.rank() { next } else { best });
    Coverage { alerts, ..best }
}

/// What `account`'s plan covers at `now_us`: one store read, then [`judge`].
pub async fn coverage(
    store: &dyn Store,
    personal: LapsePolicy,
    account: AccountId,
    now_us: i64,
) -> Result<Coverage, StoreError> {
    Ok(judge(&store.plan_facts(account).await?, personal, now_us))
}

impl AppState {
    /// What `account`'s plan covers now, with this server's settings. Never ask it before
    /// recording or exporting evidence: those do not depend on a plan.
    pub async fn coverage(&self, account: AccountId) -> Result<Coverage, StoreError> {
        coverage(
            &*self.store,
            self.plans.personal_lapse(),
            account,
            crate::clock::now_us(),
        )
        .await
    }
}

#[cfg(test)]
mod tests;
