//! Photos attached to reports (issue 6). The row holds what the server needs to serve and show a
//! photo and nothing about where it came from: no file name, no device, no time the camera
//! wrote, no place. The bytes are the server's own re-encoding of the upload, in object storage
//! at [`photo_blob_key`]; the original is never written anywhere.

use amparo_core::ids::{PhotoId, ReportId};

/// One photo of a report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportPhoto {
    pub id: PhotoId,
    pub report: ReportId,
    /// The stored (re-encoded, perhaps scaled down) image's size in pixels.
    pub width: u32,
    pub height: u32,
    /// The stored object's length.
    pub size_bytes: u64,
    pub created_at_us: i64,
    /// A responder's choice: subscribers see it with the verified incident. Off until then.
    pub shareable: bool,
}

/// The most photos one report may have.
pub const MAX_PHOTOS_PER_REPORT: usize = 6;

/// Where a photo's bytes are in object storage (always JPEG: the server re-encodes every upload).
pub fn photo_blob_key(report: ReportId, photo: PhotoId) -> String {
    format!("reports/{report}/{photo}.jpg")
}

impl ReportPhoto {
    pub fn blob_key(&self) -> String {
        photo_blob_key(self.report, self.id)
    }
}
