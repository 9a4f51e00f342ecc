//! The rapid-response network's rows (issue 6): reports, incidents, responders' questions and
//! audit log, watch areas, the vehicle registry.
//!
//! What these rows leave out is as deliberate as what they hold. A report keeps the reporter's
//! account id and nothing else about them, and its place only as an H3 cell at the network's
//! precision (no coordinates). A watch area keeps its cells, not the point and radius it was
//! drawn with (often someone's home). A vehicle is facts about a vehicle: there is no field for
//! an officer's name, face or address, nor for anyone's location over time.

use crate::StoreError;
use amparo_core::geo::Cell;
use amparo_core::ids::{AccountId, IncidentId, QuestionId, ReportId, VehicleId, WatchAreaId};
use amparo_core::plate::{Plate, Status};
use amparo_core::rapid::{ReportKind, ReportState, ReportedVehicle, VerifiedHow};

/// A member's report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    pub id: ReportId,
    pub reporter: AccountId,
    pub kind: ReportKind,
    pub cell: Cell,
    /// When it was seen (as the reporter says).
    pub observed_at_us: i64,
    pub created_at_us: i64,
    /// Unverified past this moment, it expires without alerting anyone.
    pub expires_at_us: i64,
    pub description: String,
    pub vehicles: Vec<ReportedVehicle>,
    pub state: ReportState,
    /// The incident it became or was merged into.
    pub incident: Option<IncidentId>,
    /// The responder who decided (none for an expiry).
    pub decided_by: Option<AccountId>,
    pub decided_at_us: Option<i64>,
    /// Why it was rejected.
    pub reason: Option<String>,
}

/// A verified incident: what subscribers are alerted to. Serializable: the legal observers'
/// dispatcher may run on another node.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Incident {
    pub id: IncidentId,
    pub kind: ReportKind,
    pub cell: Cell,
    pub observed_at_us: i64,
    /// What the responder verified, in words subscribers read.
    pub description: String,
    pub how: VerifiedHow,
    pub verified_by: AccountId,
    pub verified_at_us: i64,
    /// Last change (the verification itself at first).
    pub updated_at_us: i64,
    /// Withdrawn incidents stay, marked, so an alert already sent can be corrected.
    pub withdrawn_at_us: Option<i64>,
    /// Why it was last updated or withdrawn.
    pub note: Option<String>,
}

/// A responder's question to a reporter, and the answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    pub id: QuestionId,
    pub report: ReportId,
    pub asked_by: AccountId,
    pub asked_at_us: i64,
    pub text: String,
    pub answer: Option<String>,
    pub answered_at_us: Option<i64>,
}

/// One responder action, for the audit log (written in the transaction that does it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResponderAction {
    pub at_us: i64,
    pub responder: AccountId,
    /// `verify`, `merge`, `reject`, `ask`, `update`, `withdraw`, `vehicle_status`.
    pub action: String,
    pub report: Option<ReportId>,
    pub incident: Option<IncidentId>,
    pub vehicle: Option<VehicleId>,
    /// What they said (reason, question, method), as they said it.
    pub note: String,
}

/// A subscriber's watch area, as cells at the network's precision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WatchArea {
    pub id: WatchAreaId,
    pub account: AccountId,
    /// The subscriber's own name for it ("school", "work").
    pub label: String,
    /// Sorted, each once.
    pub cells: Vec<Cell>,
    pub created_at_us: i64,
}

/// A registry vehicle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vehicle {
    pub id: VehicleId,
    pub plate: Plate,
    /// The plate's state or country; empty when unknown. A plate is one vehicle per region.
    pub region: String,
    pub make: Option<String>,
    pub model: Option<String>,
    pub colour: Option<String>,
    pub markings: Option<String>,
    pub status: Status,
    /// Who set the status last, and why (`None` when a sighting set it).
    pub status_by: Option<AccountId>,
    pub status_reason: Option<String>,
    pub status_at_us: i64,
    pub last_confirmed_at_us: i64,
    pub created_at_us: i64,
}

/// A vehicle seen at a verified incident.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sighting {
    pub vehicle: VehicleId,
    pub incident: IncidentId,
    pub cell: Cell,
    pub seen_at_us: i64,
}

/// A sighting to record: the vehicle is found by plate and region (or added), its description
/// filled in where the registry has none, its status set to confirmed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSighting {
    /// The id a vehicle gets if it is new.
    pub new_id: VehicleId,
    pub plate: Plate,
    pub region: String,
    pub make: Option<String>,
    pub model: Option<String>,
    pub colour: Option<String>,
    pub markings: Option<String>,
    pub incident: IncidentId,
    pub cell: Cell,
    pub seen_at_us: i64,
}

/// A responder's decision about a vehicle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VehicleStatusChange {
    pub status: Status,
    pub reason: String,
    pub by: AccountId,
    pub at_us: i64,
}

/// The most watch areas one account may have.
pub const MAX_WATCH_AREAS_PER_ACCOUNT: usize = 10;

/// Report vehicles as the JSON column both backends keep them in.
pub fn vehicles_to_json(vehicles: &[ReportedVehicle]) -> String {
    serde_json::to_string(vehicles).unwrap_or_else(|_| "[]".to_owned())
}

pub fn vehicles_from_json(text: &str) -> Result<Vec<ReportedVehicle>, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Backend(format!("a report's vehicles do not parse: {e}")))
}

/// Text stored for an enum back to the enum.
pub fn parse_stored<T: std::str::FromStr<Err = String>>(text: &str) -> Result<T, StoreError> {
    text.parse().map_err(StoreError::Backend)
}

pub fn cell(raw: i64) -> Result<Cell, StoreError> {
    Cell::from_i64(raw).map_err(|e| StoreError::Backend(format!("a stored cell: {e}")))
}

pub fn plate(text: &str) -> Result<Plate, StoreError> {
    Plate::parse(text).map_err(|e| StoreError::Backend(format!("a stored plate: {e}")))
}

/// Search candidates read by several index reads, each vehicle once, in the order first read.
pub fn each_once(vehicles: impl IntoIterator<Item = Vehicle>) -> Vec<Vehicle> {
    let mut seen = std::collections::HashSet::new();
    vehicles.into_iter().filter(|v| seen.insert(v.id)).collect()
}

pub fn status_name(status: Status) -> &'static str {
    match status {
        Status::Confirmed => "confirmed",
        Status::Suspected => "suspected",
        Status::Cleared => "cleared",
    }
}

pub fn status(text: &str) -> Result<Status, StoreError> {
    match text {
        "confirmed" => Ok(Status::Confirmed),
        "suspected" => Ok(Status::Suspected),
        "cleared" => Ok(Status::Cleared),
        other => Err(StoreError::Backend(format!("unknown vehicle status {other:?}"))),
    }
}

impl Report {
    /// The refusal for a report that is not (or no longer) unverified.
    pub fn not_open(id: ReportId) -> StoreError {
        StoreError::Conflict(format!(
            "report {id} was already verified, merged, rejected or has expired: only an open report can be decided"
        ))
    }
}
