//! What members and responders send, parsed once into the domain's types, each refusal naming
//! the field and saying what to send instead.

use crate::error::ApiError;
use amparo_core::geo::{Cell, GeoError, Precision};
use amparo_core::plate::Plate;
use amparo_core::rapid::{MAX_DESCRIPTION_CHARS, MAX_NOTE_CHARS, MAX_VEHICLES_PER_REPORT, ReportedVehicle};
use serde::Deserialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use utoipa::ToSchema;

/// Where something was seen: a point (kept only as its cell) or a cell.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlaceInput {
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// An H3 cell, 15 hexadecimal digits (a finer one is kept as the cell holding it).
    pub cell: Option<String>,
}

impl PlaceInput {
    /// The cell at the network's precision. The point itself is dropped here.
    pub fn cell(&self, precision: Precision, field: &str) -> Result<Cell, ApiError> {
        let geo = |e: GeoError| ApiError::invalid_field(field, format!("{field}: {e}."));
        match (self.latitude, self.longitude, &self.cell) {
            (Some(lat), Some(lon), None) => precision.cell_of(lat, lon).map_err(geo),
            (None, None, Some(cell)) => precision.place(cell.parse().map_err(geo)?).map_err(geo),
            _ => Err(ApiError::invalid_field(
                field,
                format!("{field}: send either latitude and longitude, or an H3 cell."),
            )),
        }
    }
}

/// A vehicle as the reporter saw it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VehicleInput {
    pub plate: Option<String>,
    /// The plate's state or country.
    pub region: Option<String>,
    pub make: Option<String>,
    pub model: Option<String>,
    pub colour: Option<String>,
    pub markings: Option<String>,
}

/// Longest make, model, colour or region, in characters.
const MAX_VEHICLE_FIELD: usize = 100;

pub fn vehicles(input: Vec<VehicleInput>) -> Result<Vec<ReportedVehicle>, ApiError> {
    if input.len() > MAX_VEHICLES_PER_REPORT {
        return Err(ApiError::invalid_field(
            "vehicles",
            format!("A report lists at most {MAX_VEHICLES_PER_REPORT} vehicles."),
        ));
    }
    input
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            let field = |name: &str| format!("vehicles[{i}].{name}");
            let short = |name: &str, value: Option<String>| -> Result<Option<String>, ApiError> {
                let value = value.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
                if value.as_ref().is_some_and(|s| s.chars().count() > MAX_VEHICLE_FIELD) {
                    return Err(ApiError::invalid_field(
                        &field(name),
                        format!("{}: at most {MAX_VEHICLE_FIELD} characters.", field(name)),
                    ));
                }
                Ok(value)
            };
            let plate = match v.plate.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
                Some(p) => Some(
                    Plate::parse(p)
                        .map_err(|e| ApiError::invalid_field(&field("plate"), format!("{}: {e}.", field("plate"))))?
                        .to_string(),
                ),
                None => None,
            };
            Ok(ReportedVehicle {
                plate,
                region: short("region", v.region)?.map(|r| r.to_uppercase()),
                make: short("make", v.make)?,
                model: short("model", v.model)?,
                colour: short("colour", v.colour)?,
                markings: short("markings", v.markings)?,
            })
        })
        .collect()
}

/// Text a person wrote, trimmed, not empty, at most `max` characters.
pub fn text(field: &str, value: &str, max: usize) -> Result<String, ApiError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(ApiError::invalid_field(
            field,
            format!("{field} is empty: say it in a few words."),
        ));
    }
    if value.chars().count() > max {
        return Err(ApiError::invalid_field(
            field,
            format!("{field} is too long: at most {max} characters."),
        ));
    }
    Ok(value.to_owned())
}

pub fn description(value: &str) -> Result<String, ApiError> {
    text("description", value, MAX_DESCRIPTION_CHARS)
}

pub fn note(field: &str, value: &str) -> Result<String, ApiError> {
    text(field, value, MAX_NOTE_CHARS)
}

/// When something was seen: RFC 3339, not in the future (a few minutes of clock skew allowed)
/// and not older than a report can stay open. `None`: now.
pub fn observed_at(value: Option<&str>, now_us: i64, oldest_us: i64) -> Result<i64, ApiError> {
    let Some(value) = value else { return Ok(now_us) };
    let parsed = OffsetDateTime::parse(value, &Rfc3339).map_err(|_| {
        ApiError::invalid_field(
            "observed_at",
            "observed_at: use RFC 3339 time, like 2025-06-01T14:05:00Z.",
        )
    })?;
    let us = i64::try_from(parsed.unix_timestamp_nanos() / 1_000).unwrap_or(i64::MAX);
    const SKEW_US: i64 = 5 * 60 * 1_000_000;
    if us > now_us + SKEW_US {
        return Err(ApiError::invalid_field("observed_at", "observed_at is in the future."));
    }
    if us < oldest_us {
        return Err(ApiError::invalid_field(
            "observed_at",
            "observed_at is too long ago for a rapid-response report: report what is happening now.",
        ));
    }
    Ok(us)
}

/// An id the app chose for something it creates (a UUID), so that sending it again after a
/// lost answer finds what the first send stored instead of making a second.
pub fn chosen_id<T: std::str::FromStr>(text: Option<&str>, field: &str) -> Result<Option<T>, ApiError> {
    text.map(|text| {
        text.parse().map_err(|_| {
            ApiError::invalid_field(
                field,
                format!("{field}: not an id the app can choose: send a random UUID, or leave it out."),
            )
        })
    })
    .transpose()
}

/// An id in a path.
pub fn id<T: std::str::FromStr>(text: &str, what: &str) -> Result<T, ApiError> {
    text.parse()
        .map_err(|_| ApiError::not_found(format!("No such {what}.")))
}
