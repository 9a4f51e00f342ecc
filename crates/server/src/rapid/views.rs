//! The JSON of the rapid-response network. Places go out as H3 cells with their centre (to
//! place a marker) and their corners (to draw the cell); watch areas as their cells and each
//! cell's corners. The app's map is drawn from these polygons alone, with no map tiles.

use crate::clock::{now_us, rfc3339};
use amparo_core::geo::Cell;
use amparo_core::plate::Ranked;
use amparo_core::rapid::{Accuracy, ReportState, ReportedVehicle};
use amparo_store::{Incident, Question, Report, Sighting, Vehicle, WatchArea};
use serde::Serialize;
use utoipa::ToSchema;

/// A cell, its centre and its corners, in degrees.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlaceView {
    /// The H3 cell, 15 hexadecimal digits.
    pub cell: String,
    pub latitude: f64,
    pub longitude: f64,
    /// The cell's corners as `[latitude, longitude]`, in order around it: a map draws the
    /// polygon.
    pub boundary: Vec<[f64; 2]>,
}

impl From<Cell> for PlaceView {
    fn from(cell: Cell) -> Self {
        let (latitude, longitude) = cell.centre();
        PlaceView {
            cell: cell.to_string(),
            latitude,
            longitude,
            boundary: corners(cell),
        }
    }
}

/// A cell's corners as `[latitude, longitude]` pairs, rounded to about a centimetre (the
/// digits beyond only lengthen the JSON).
pub fn corners(cell: Cell) -> Vec<[f64; 2]> {
    let round = |degrees: f64| (degrees * 1e7).round() / 1e7;
    cell.boundary()
        .into_iter()
        .map(|(lat, lon)| [round(lat), round(lon)])
        .collect()
}

/// A report, as responders see it in the queue, and reporters see their own.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportView {
    pub id: String,
    pub kind: String,
    pub place: PlaceView,
    pub observed_at: String,
    pub created_at: String,
    pub expires_at: String,
    pub description: String,
    #[schema(value_type = Vec<Object>)]
    pub vehicles: Vec<ReportedVehicle>,
    /// unverified, verified, merged, rejected or expired (an unverified report is expired from
    /// the moment its time is up, before the sweep records it).
    pub state: String,
    pub incident: Option<String>,
    /// Why it was rejected.
    pub reason: Option<String>,
    pub questions: Vec<QuestionView>,
    /// Responders only: the reporter's account and record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reporter: Option<ReporterView>,
    /// Responders only, in the queue: steps from the cell they asked about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_cells: Option<u32>,
}

/// What responders know of a reporter: an account and how often it was right, nothing else.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReporterView {
    pub account: String,
    /// Reports verified or merged into an incident.
    pub verified: u64,
    /// Reports decided or expired.
    pub total: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QuestionView {
    pub id: String,
    pub text: String,
    pub asked_at: String,
    pub answer: Option<String>,
    pub answered_at: Option<String>,
}

impl From<&Question> for QuestionView {
    fn from(q: &Question) -> Self {
        QuestionView {
            id: q.id.to_string(),
            text: q.text.clone(),
            asked_at: rfc3339(q.asked_at_us),
            answer: q.answer.clone(),
            answered_at: q.answered_at_us.map(rfc3339),
        }
    }
}

impl ReportView {
    pub fn new(report: &Report, questions: &[Question], reporter: Option<Accuracy>) -> Self {
        ReportView {
            id: report.id.to_string(),
            kind: report.kind.to_string(),
            place: report.cell.into(),
            observed_at: rfc3339(report.observed_at_us),
            created_at: rfc3339(report.created_at_us),
            expires_at: rfc3339(report.expires_at_us),
            description: report.description.clone(),
            vehicles: report.vehicles.clone(),
            state: state_now(report, now_us()).to_string(),
            incident: report.incident.map(|i| i.to_string()),
            reason: report.reason.clone(),
            questions: questions.iter().map(QuestionView::from).collect(),
            reporter: reporter.map(|a| ReporterView {
                account: report.reporter.to_string(),
                verified: a.verified,
                total: a.total,
            }),
            distance_cells: None,
        }
    }
}

/// A report's state as of `now_us`: an unverified report whose time is up is expired.
pub fn state_now(report: &Report, now_us: i64) -> ReportState {
    match report.state {
        ReportState::Unverified if report.expires_at_us <= now_us => ReportState::Expired,
        state => state,
    }
}

/// A verified incident: what was verified, by which means, when; updated or withdrawn.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentView {
    pub id: String,
    pub kind: String,
    pub place: PlaceView,
    pub observed_at: String,
    pub description: String,
    /// How it was verified: in_person, photo or second_report.
    pub verified_how: String,
    pub verified_at: String,
    pub updated_at: String,
    pub withdrawn_at: Option<String>,
    /// Why it was last updated or withdrawn.
    pub note: Option<String>,
    /// Responders only: who verified it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified_by: Option<String>,
}

impl IncidentView {
    /// As subscribers see it: never who verified it.
    pub fn public(i: &Incident) -> Self {
        IncidentView {
            id: i.id.to_string(),
            kind: i.kind.to_string(),
            place: i.cell.into(),
            observed_at: rfc3339(i.observed_at_us),
            description: i.description.clone(),
            verified_how: i.how.to_string(),
            verified_at: rfc3339(i.verified_at_us),
            updated_at: rfc3339(i.updated_at_us),
            withdrawn_at: i.withdrawn_at_us.map(rfc3339),
            note: i.note.clone(),
            verified_by: None,
        }
    }

    pub fn for_responders(i: &Incident) -> Self {
        IncidentView {
            verified_by: Some(i.verified_by.to_string()),
            ..Self::public(i)
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WatchAreaView {
    pub id: String,
    pub label: String,
    /// The H3 cells the area covers, at the network's precision.
    pub cells: Vec<String>,
    /// Each cell's corners (`[latitude, longitude]`), in the order of `cells`: to draw the area.
    pub boundaries: Vec<Vec<[f64; 2]>>,
    pub created_at: String,
}

impl From<&WatchArea> for WatchAreaView {
    fn from(a: &WatchArea) -> Self {
        WatchAreaView {
            id: a.id.to_string(),
            label: a.label.clone(),
            cells: a.cells.iter().map(Cell::to_string).collect(),
            boundaries: a.cells.iter().copied().map(corners).collect(),
            created_at: rfc3339(a.created_at_us),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VehicleView {
    pub id: String,
    pub plate: String,
    pub region: String,
    pub make: Option<String>,
    pub model: Option<String>,
    pub colour: Option<String>,
    pub markings: Option<String>,
    /// confirmed, suspected or cleared.
    pub status: String,
    pub status_reason: Option<String>,
    pub status_at: String,
    pub last_confirmed_at: String,
    /// In a search: how close the plate is to what was asked (1 = exactly), after fading
    /// with the time since the vehicle was last confirmed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sightings: Option<Vec<SightingView>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SightingView {
    pub incident: String,
    pub place: PlaceView,
    pub seen_at: String,
}

impl VehicleView {
    pub fn new(v: &Vehicle) -> Self {
        VehicleView {
            id: v.id.to_string(),
            plate: v.plate.to_string(),
            region: v.region.clone(),
            make: v.make.clone(),
            model: v.model.clone(),
            colour: v.colour.clone(),
            markings: v.markings.clone(),
            status: amparo_store::rapid::status_name(v.status).to_owned(),
            status_reason: v.status_reason.clone(),
            status_at: rfc3339(v.status_at_us),
            last_confirmed_at: rfc3339(v.last_confirmed_at_us),
            score: None,
            sightings: None,
        }
    }

    pub fn ranked(v: &Vehicle, ranked: &Ranked) -> Self {
        VehicleView {
            score: Some((ranked.score * 1_000.0).round() / 1_000.0),
            ..Self::new(v)
        }
    }

    pub fn with_sightings(v: &Vehicle, sightings: &[Sighting]) -> Self {
        VehicleView {
            sightings: Some(
                sightings
                    .iter()
                    .map(|s| SightingView {
                        incident: s.incident.to_string(),
                        place: s.cell.into(),
                        seen_at: rfc3339(s.seen_at_us),
                    })
                    .collect(),
            ),
            ..Self::new(v)
        }
    }
}
