//! A report photo in JSON: where to fetch it and its size. Subscribers are not told which
//! report it came from (reports are for responders and their reporters).

use crate::clock::rfc3339;
use amparo_store::ReportPhoto;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct PhotoView {
    pub id: String,
    /// The JPEG, for a request with the same bearer token.
    pub url: String,
    pub width: u32,
    pub height: u32,
    pub size_bytes: u64,
    pub created_at: String,
    /// Reporter and responders only: the report it belongs to, and whether subscribers see it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shareable: Option<bool>,
}

impl PhotoView {
    /// `full`: for the reporter and responders (with the report and the sharing choice).
    pub fn new(photo: &ReportPhoto, full: bool) -> Self {
        Self {
            id: photo.id.to_string(),
            url: format!("/api/v1/photos/{}", photo.id),
            width: photo.width,
            height: photo.height,
            size_bytes: photo.size_bytes,
            created_at: rfc3339(photo.created_at_us),
            report: full.then(|| photo.report.to_string()),
            shareable: full.then_some(photo.shareable),
        }
    }
}
