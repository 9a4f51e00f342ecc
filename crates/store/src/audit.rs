//! Reading the responders' audit log (issue 6): a page of it, newest first, optionally only one
//! responder's actions or only those about one report or incident. Entries are written by the
//! decisions themselves (see [`crate::ResponderAction`]); nothing here changes them.

use crate::ResponderAction;
use amparo_core::ids::{AccountId, IncidentId, ReportId};

/// Which entries, and how many.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only entries older than this one (its [`AuditEntry::seq`]): the cursor of the next page.
    pub before: Option<i64>,
    pub responder: Option<AccountId>,
    pub report: Option<ReportId>,
    pub incident: Option<IncidentId>,
    pub limit: u32,
}

/// One entry and its place in the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    /// Increases with every entry written; what [`AuditQuery::before`] takes.
    pub seq: i64,
    pub action: ResponderAction,
}
