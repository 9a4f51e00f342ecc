//! What the attorney routes take and return, and the checks on an admin's input.

use crate::clock::rfc3339;
use crate::error::ApiError;
use amparo_core::dispatch::{AttorneyProfile, Specialty, StatePolicy};
use amparo_core::ids::OrgId;
use amparo_store::{CallRecord, StoredAttorney};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The most calls one attorney may be given at once: more than a few is not advice.
const MAX_CAPACITY: u32 = 10;
const MAX_NAME_CHARS: usize = 100;

/// An admin's vetting of an attorney.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VetAttorney {
    /// What the person on the call sees, 1 to 100 characters.
    pub display_name: String,
    /// USPS codes of the bars they are admitted to.
    pub bar_admissions: Vec<String>,
    /// Languages they advise in (BCP 47; the primary subtag counts).
    pub languages: Vec<String>,
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub specialties: Vec<Specialty>,
    /// Calls at once, 0 to 10 (default 1; 0 means on duty but taking none).
    pub capacity: Option<u32>,
    /// Whether their bar membership was checked. Until then they get no calls.
    pub vetted: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AttorneyView {
    pub account: String,
    pub username: String,
    pub display_name: String,
    pub org: String,
    pub bar_admissions: Vec<String>,
    pub languages: Vec<String>,
    #[schema(value_type = Vec<String>)]
    pub specialties: Vec<Specialty>,
    pub capacity: u32,
    pub vetted: bool,
    pub on_duty: bool,
    pub updated_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CallView {
    pub encounter: String,
    pub language: String,
    pub us_state: String,
    pub requested_at: String,
    pub connected_at: Option<String>,
    pub closed_at: Option<String>,
    pub outcome: Option<String>,
    /// The encounter's evidence bundle (the attorney stays assigned to it).
    pub bundle_url: String,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DispatchPolicyInput {
    /// `admitted_in_state` or `any_us_admission`.
    #[schema(value_type = String)]
    pub state_policy: StatePolicy,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CoverageView {
    pub since: String,
    pub until: String,
    pub weeks: u32,
    #[schema(value_type = String)]
    pub state_policy: StatePolicy,
    pub rows: Vec<crate::attorney::coverage::CoverageRow>,
}

/// Checks an admin's input and builds the profile it describes.
pub fn vetted_profile(org: OrgId, input: VetAttorney) -> Result<(String, AttorneyProfile), ApiError> {
    let name = input.display_name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(ApiError::invalid_field(
            "display_name",
            "display_name must be 1 to 100 characters, without control characters.",
        ));
    }
    let mut profile = AttorneyProfile::new(org);
    for state in &input.bar_admissions {
        let parsed = state
            .parse()
            .map_err(|e| ApiError::invalid_field("bar_admissions", format!("{e}")))?;
        profile.bar_admissions.insert(parsed);
    }
    for language in &input.languages {
        let parsed = language
            .parse()
            .map_err(|e| ApiError::invalid_field("languages", format!("{e}")))?;
        profile.languages.insert(parsed);
    }
    if input.vetted && (profile.languages.is_empty() || profile.bar_admissions.is_empty()) {
        return Err(ApiError::invalid_field(
            "languages",
            "A vetted attorney needs at least one language and one bar admission: nobody could be matched to them.",
        ));
    }
    profile.specialties = input.specialties.into_iter().collect();
    profile.capacity = input
        .capacity
        .unwrap_or(amparo_core::dispatch::profile::DEFAULT_CAPACITY);
    if profile.capacity > MAX_CAPACITY {
        return Err(ApiError::invalid_field(
            "capacity",
            "capacity must be between 0 and 10 calls at once.",
        ));
    }
    profile.vetted = input.vetted;
    Ok((name.to_owned(), profile))
}

pub fn attorney_view(stored: &StoredAttorney, username: &str, on_duty: bool) -> AttorneyView {
    let p = &stored.profile;
    AttorneyView {
        account: stored.account.to_string(),
        username: username.to_owned(),
        display_name: stored.display_name.clone(),
        org: p.org.to_string(),
        bar_admissions: p.bar_admissions.iter().map(ToString::to_string).collect(),
        languages: p.languages.iter().map(ToString::to_string).collect(),
        specialties: p.specialties.iter().copied().collect(),
        capacity: p.capacity,
        vetted: p.vetted,
        on_duty,
        updated_at: rfc3339(stored.updated_at_us),
    }
}

pub fn call_view(call: &CallRecord) -> CallView {
    CallView {
        encounter: call.encounter.to_string(),
        language: call.language.clone(),
        us_state: call.us_state.clone(),
        requested_at: rfc3339(call.requested_at_us),
        connected_at: call.connected_at_us.map(rfc3339),
        closed_at: call.closed_at_us.map(rfc3339),
        outcome: call.outcome.map(|o| o.as_str().to_owned()),
        bundle_url: format!("/api/v1/encounters/{}/bundle", call.encounter),
    }
}
