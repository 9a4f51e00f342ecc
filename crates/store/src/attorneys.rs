//! The attorney line's rows: who an organization vetted, when they were on duty, each request
//! for an attorney and how it went, and the notes attorneys keep with an encounter.
//!
//! Nothing here describes the person who asked beyond what dispatch needs (language, state): the
//! coverage page is built from these rows, and it must not become a list of who called.

use amparo_core::dispatch::{AttorneyProfile, StatePolicy};
use amparo_core::ids::{AccountId, EncounterId, NoteId, OrgId};

/// An attorney as their organization's admin vetted them. One per account: an attorney answers
/// for one organization.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredAttorney {
    pub account: AccountId,
    /// What the person on the call sees ("Ana Ruiz"), 1 to 100 characters.
    pub display_name: String,
    pub profile: AttorneyProfile,
    /// The admin who last changed the profile, and when.
    pub updated_by: AccountId,
    pub updated_at_us: i64,
}

/// A stretch of time an attorney was on duty and connected. `until_us` is `None` while it lasts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DutySpan {
    pub attorney: AccountId,
    pub org: OrgId,
    pub since_us: i64,
    pub until_us: Option<i64>,
}

/// How a request for an attorney ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CallOutcome {
    /// An attorney took it; the call ended (or the encounter did).
    Ended,
    /// The person cancelled (or the encounter ended) before anyone took it.
    Cancelled,
}

impl CallOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ended => "ended",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ended" => Some(Self::Ended),
            "cancelled" => Some(Self::Cancelled),
            _ => None,
        }
    }
}

/// One request for an attorney: when it was asked, first offered, taken and over. An encounter
/// has at most one open request; asking again after a cancel makes a new row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallRecord {
    pub encounter: EncounterId,
    pub org: OrgId,
    /// Primary language subtag ("es").
    pub language: String,
    /// Two-letter USPS code.
    pub us_state: String,
    pub requested_at_us: i64,
    /// When the first attorney was rung.
    pub offered_at_us: Option<i64>,
    /// When an attorney accepted, and who.
    pub connected_at_us: Option<i64>,
    pub attorney: Option<AccountId>,
    pub closed_at_us: Option<i64>,
    pub outcome: Option<CallOutcome>,
}

/// A note an attorney wrote about an encounter. Notes are only ever added: a correction is a new
/// note, so what was written at a time stays what it was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    pub id: NoteId,
    pub encounter: EncounterId,
    pub author: AccountId,
    /// 1 to 10,000 characters.
    pub text: String,
    pub at_us: i64,
}

/// An organization's dispatch rule for bar admissions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrgDispatchPolicy {
    pub org: OrgId,
    pub state_policy: StatePolicy,
}
