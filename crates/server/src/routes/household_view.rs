//! What the household routes send and take: views of a household, the plan's period as JSON.

use crate::clock::rfc3339;
use crate::error::ApiError;
use amparo_core::ids::AccountId;
use amparo_store::{HOUSEHOLD_SEATS, Household, PlanPeriod};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use utoipa::ToSchema;

/// A year of grace is already generous; more is a typo.
const MAX_GRACE_DAYS: u32 = 366;

#[derive(Debug, Serialize, ToSchema)]
pub struct HouseholdView {
    pub id: String,
    pub owner_id: String,
    /// `owner` or `member`; `admin` when an admin who is not in it set its period.
    pub your_role: &'static str,
    /// Everyone, the owner first, in the order they joined.
    pub members: Vec<MemberView>,
    /// Six: the owner and five others.
    pub seats: usize,
    pub seats_left: usize,
    pub period: PeriodView,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberView {
    pub account_id: String,
    pub username: String,
    /// `owner` or `member`.
    pub role: &'static str,
    pub joined_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PeriodView {
    pub starts_at: String,
    /// `null`: open-ended.
    pub ends_at: Option<String>,
    pub grace_days: u32,
    /// Whether the plan covers now (its grace included). Recording and evidence export never
    /// depend on it.
    pub active: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationView {
    /// Shown this once: give it to the person you invite. It works once.
    pub code: String,
    pub expires_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LeftView {
    /// True when the owner left as the last person, which closes the household.
    pub household_closed: bool,
}

/// A plan's period as an admin sets it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PeriodInput {
    /// RFC 3339, e.g. `2025-06-01T00:00:00Z`.
    pub starts_at: String,
    /// RFC 3339, after `starts_at`; `null` or absent for open-ended.
    pub ends_at: Option<String>,
    /// Days after `ends_at` the plan still covers, 0 to 366.
    #[serde(default)]
    pub grace_days: u32,
}

impl PeriodInput {
    pub fn parse(&self) -> Result<PlanPeriod, ApiError> {
        let starts_at_us = instant("starts_at", &self.starts_at)?;
        let ends_at_us = self.ends_at.as_deref().map(|t| instant("ends_at", t)).transpose()?;
        if ends_at_us.is_some_and(|end| end <= starts_at_us) {
            return Err(ApiError::invalid_field("ends_at", "ends_at must be after starts_at."));
        }
        if self.grace_days > MAX_GRACE_DAYS {
            return Err(ApiError::invalid_field(
                "grace_days",
                format!("grace_days is at most {MAX_GRACE_DAYS}."),
            ));
        }
        Ok(PlanPeriod {
            starts_at_us,
            ends_at_us,
            grace_days: self.grace_days,
        })
    }
}

/// RFC 3339 text as microseconds since the epoch.
fn instant(field: &str, text: &str) -> Result<i64, ApiError> {
    let invalid = || {
        ApiError::invalid_field(
            field,
            format!("{field} must be a date and time like 2025-06-01T00:00:00Z."),
        )
    };
    if text.len() > 64 {
        return Err(invalid());
    }
    let at = OffsetDateTime::parse(text, &Rfc3339).map_err(|_| invalid())?;
    i64::try_from(at.unix_timestamp_nanos() / 1_000).map_err(|_| invalid())
}

/// Whether `period` covers `now_us`, grace included.
pub fn covers(period: &PlanPeriod, now_us: i64) -> bool {
    crate::plans::phase(period, now_us).covers()
}

/// A plan's period as JSON.
pub fn view_period(period: &PlanPeriod, now_us: i64) -> PeriodView {
    PeriodView {
        starts_at: rfc3339(period.starts_at_us),
        ends_at: period.ends_at_us.map(rfc3339),
        grace_days: period.grace_days,
        active: covers(period, now_us),
    }
}

/// The household as `viewer` sees it.
pub fn view(household: &Household, viewer: AccountId, now_us: i64) -> HouseholdView {
    let role = |account: AccountId| if account == household.owner { "owner" } else { "member" };
    HouseholdView {
        id: household.id.to_string(),
        owner_id: household.owner.to_string(),
        your_role: if household.has_member(viewer) {
            role(viewer)
        } else {
            "admin"
        },
        members: household
            .members
            .iter()
            .map(|m| MemberView {
                account_id: m.account.to_string(),
                username: m.username.clone(),
                role: role(m.account),
                joined_at: rfc3339(m.joined_at_us),
            })
            .collect(),
        seats: HOUSEHOLD_SEATS,
        seats_left: household.seats_left(),
        period: view_period(&household.period, now_us),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY_US: i64 = 86_400_000_000;

    #[test]
    fn periods_cover_their_grace_and_no_more() {
        let period = PlanPeriod {
            starts_at_us: 10 * DAY_US,
            ends_at_us: Some(20 * DAY_US),
            grace_days: 3,
        };
        assert!(!covers(&period, 10 * DAY_US - 1));
        assert!(covers(&period, 10 * DAY_US));
        assert!(covers(&period, 23 * DAY_US - 1), "in the grace");
        assert!(!covers(&period, 23 * DAY_US));
        let open = PlanPeriod {
            ends_at_us: None,
            ..period
        };
        assert!(covers(&open, i64::MAX));
    }

    #[test]
    fn period_input_is_checked() {
        let input = |starts: &str, ends: Option<&str>, grace| PeriodInput {
            starts_at: starts.into(),
            ends_at: ends.map(Into::into),
            grace_days: grace,
        };
        let ok = input("2025-06-01T00:00:00Z", Some("2026-06-01T00:00:00+02:00"), 7).parse();
        assert_eq!(ok.ok().map(|p| p.starts_at_us), Some(1_748_736_000_000_000));
        assert!(input("June", None, 0).parse().is_err());
        assert!(
            input("2025-06-01T00:00:00Z", Some("2025-06-01T00:00:00Z"), 0)
                .parse()
                .is_err()
        );
        assert!(input("2025-06-01T00:00:00Z", None, 367).parse().is_err());
    }
}
