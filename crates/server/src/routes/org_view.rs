//! What the organization routes send and take: an organization with its usage, its seats, its
//! policy as JSON, and what an account's plan covers.

use super::household_view::{PeriodInput, PeriodView, view_period};
use crate::clock::rfc3339;
use crate::error::ApiError;
use crate::plans::{Coverage, PlanSource, phase};
use amparo_store::{LapsePolicy, MAX_ORG_SEATS, OrgPolicy, Organization, PlanPeriod, Seat};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct OrganizationView {
    pub id: String,
    pub name: String,
    pub seats: UsageView,
    pub policy: PolicyView,
    pub period: PeriodView,
    /// `upcoming`, `active`, `grace` or `lapsed`.
    pub phase: &'static str,
    pub created_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UsageView {
    pub total: u32,
    pub used: u32,
    pub free: u32,
    /// Seats held beyond the pool's size (billing shrank it): none is taken away, and none given
    /// until enough are reclaimed.
    pub over_allocated: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyView {
    pub seat_covers_household: bool,
    pub backup_line: Option<String>,
    pub lapsed_alerts: bool,
    pub lapsed_attorney_line: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SeatView {
    pub account_id: String,
    pub username: String,
    pub assigned_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SeatsView {
    pub usage: UsageView,
    /// In the order they were given.
    pub seats: Vec<SeatView>,
}

/// What an account's plan covers now.
#[derive(Debug, Serialize, ToSchema)]
pub struct CoverageView {
    /// `none`, `household`, `organization` (a seat) or `organization_household` (the household's
    /// owner holds a seat that covers it).
    pub plan: &'static str,
    pub organization_id: Option<String>,
    pub household_id: Option<String>,
    /// `upcoming`, `active`, `grace` or `lapsed` (`lapsed` with no plan).
    pub phase: &'static str,
    pub alerts: bool,
    pub attorney_line: bool,
    pub backup_line: Option<String>,
    /// Always true: recording and evidence export never depend on a plan.
    pub recording: bool,
}

/// An organization's policy as its admins set it. Every switch is required: a PUT that forgot
/// one must not turn it off.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyInput {
    /// Whether a person holding a seat may own a household covered by the organization's plan.
    pub seat_covers_household: bool,
    /// A phone number people are given when no attorney is free, like `+1 555 010 0100`; `null`
    /// or absent for none.
    pub backup_line: Option<String>,
    /// Whether alerts keep going out once the plan has lapsed (after its grace days).
    pub lapsed_alerts: bool,
    /// Whether the attorney line keeps answering once the plan has lapsed.
    pub lapsed_attorney_line: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrganizationInput {
    /// 1 to 120 characters.
    pub name: String,
    /// The pool's size, 0 to 1,000,000.
    pub seats: u32,
    /// Absent: no household under a seat, no backup line, nothing kept once lapsed.
    pub policy: Option<PolicyInput>,
    /// Absent: open-ended from now.
    pub period: Option<PeriodInput>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanInput {
    pub period: PeriodInput,
    /// The pool's size, 0 to 1,000,000. Below the seats in use is accepted and reported.
    pub seats: u32,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UsernameInput {
    pub username: String,
}

impl PolicyInput {
    pub fn parse(&self) -> Result<OrgPolicy, ApiError> {
        Ok(OrgPolicy {
            seat_covers_household: self.seat_covers_household,
            backup_line: self.backup_line.as_deref().map(phone_line).transpose()?.flatten(),
            lapse: LapsePolicy {
                alerts: self.lapsed_alerts,
                attorney_line: self.lapsed_attorney_line,
            },
        })
    }
}

/// A phone number as people dial it: digits with spaces, dashes, dots, brackets and a leading
/// `+`, 7 to 15 digits (E.164's most). Empty: none.
fn phone_line(text: &str) -> Result<Option<String>, ApiError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let digits = text.bytes().filter(u8::is_ascii_digit).count();
    let allowed = text.len() <= 32
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || b" -.()".contains(&b) || b == b'+')
        && !text[1..].contains('+')
        && (7..=15).contains(&digits);
    if !allowed {
        return Err(ApiError::invalid_field(
            "backup_line",
            "The backup line is a phone number of 7 to 15 digits, like +1 555 010 0100.",
        ));
    }
    Ok(Some(text.to_owned()))
}

/// 1 to 120 characters, no control characters.
pub fn org_name(text: &str) -> Result<String, ApiError> {
    let name = text.trim();
    let length = name.chars().count();
    if !(1..=120).contains(&length) || name.chars().any(char::is_control) {
        return Err(ApiError::invalid_field(
            "name",
            "An organization's name is 1 to 120 characters, on one line.",
        ));
    }
    Ok(name.to_owned())
}

pub fn seat_count(seats: u32) -> Result<u32, ApiError> {
    if seats > MAX_ORG_SEATS {
        return Err(ApiError::invalid_field("seats", "seats is 0 to 1,000,000."));
    }
    Ok(seats)
}

pub fn phase_name(period: &PlanPeriod, now_us: i64) -> &'static str {
    phase_text(phase(period, now_us))
}

fn phase_text(phase: crate::plans::Phase) -> &'static str {
    use crate::plans::Phase;
    match phase {
        Phase::Upcoming => "upcoming",
        Phase::Active => "active",
        Phase::Grace => "grace",
        Phase::Lapsed => "lapsed",
    }
}

pub fn usage(org: &Organization) -> UsageView {
    UsageView {
        total: org.seats,
        used: org.used,
        free: org.free(),
        over_allocated: org.over_allocated(),
    }
}

pub fn view(org: &Organization, now_us: i64) -> OrganizationView {
    OrganizationView {
        id: org.id.to_string(),
        name: org.name.clone(),
        seats: usage(org),
        policy: PolicyView {
            seat_covers_household: org.policy.seat_covers_household,
            backup_line: org.policy.backup_line.clone(),
            lapsed_alerts: org.policy.lapse.alerts,
            lapsed_attorney_line: org.policy.lapse.attorney_line,
        },
        period: view_period(&org.period, now_us),
        phase: phase_name(&org.period, now_us),
        created_at: rfc3339(org.created_at_us),
    }
}

pub fn seat_view(seat: &Seat) -> SeatView {
    SeatView {
        account_id: seat.account.to_string(),
        username: seat.username.clone(),
        assigned_at: rfc3339(seat.assigned_at_us),
    }
}

pub fn coverage_view(coverage: &Coverage) -> CoverageView {
    let (plan, org, household) = match coverage.plan {
        PlanSource::None => ("none", None, None),
        PlanSource::Household { household } => ("household", None, Some(household)),
        PlanSource::Organization { org } => ("organization", Some(org), None),
        PlanSource::OrganizationHousehold { org, household } => ("organization_household", Some(org), Some(household)),
    };
    CoverageView {
        plan,
        organization_id: org.map(|o| o.to_string()),
        household_id: household.map(|h| h.to_string()),
        phase: phase_text(coverage.phase),
        alerts: coverage.alerts,
        attorney_line: coverage.attorney_line,
        backup_line: coverage.backup_line.clone(),
        recording: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backup_lines_are_phone_numbers() {
        for good in ["+1 555 010 0100", "(555) 010-0100", "5550100", "+52.55.1234.5678"] {
            assert!(phone_line(good).is_ok_and(|l| l.is_some()), "{good}");
        }
        assert_eq!(phone_line("  ").ok(), Some(None), "blank: no line");
        for bad in [
            "call Ana",
            "123",
            "+1 555 010 0100 0000 0",
            "1+555",
            "５５５０１００",
            "555\n0100",
        ] {
            assert!(phone_line(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn names_and_seat_counts_are_checked() {
        assert_eq!(org_name("  Legal Aid  ").ok().as_deref(), Some("Legal Aid"));
        for bad in ["", "   ", "a\u{0}b", "line\nbreak", &"x".repeat(121)] {
            assert!(org_name(bad).is_err(), "{bad:?}");
        }
        assert!(seat_count(MAX_ORG_SEATS).is_ok());
        assert!(seat_count(MAX_ORG_SEATS + 1).is_err());
    }
}
