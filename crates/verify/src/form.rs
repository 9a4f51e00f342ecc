//! The manifest's own form: its format, its identifiers, and each recording's chunk layout.

use crate::report::{Check, Place, Report};
use amparo_core::ids::{EncounterId, RecordingId};
use amparo_core::manifest::{BUNDLE_FORMAT, Manifest, RecordingEntry};
use std::collections::{BTreeMap, BTreeSet};

/// Where recordings' media files live in a bundle.
pub(crate) const MEDIA_DIR: &str = "media/";

/// The identifiers every log entry is rebuilt from, where they parsed.
pub(crate) struct Ids {
    pub encounter: Option<EncounterId>,
    /// One per recording, in manifest order.
    pub recordings: Vec<Option<RecordingId>>,
}

/// Checks the format and identifiers.
pub(crate) fn check_form(manifest: &Manifest, report: &mut Report) -> Ids {
    report.ran(Check::Manifest, 1);
    let here = || Place::File(amparo_core::manifest::MANIFEST_PATH.to_owned());
    if manifest.format != BUNDLE_FORMAT {
        report.fail(
            Check::Manifest,
            here(),
            format!(
                "the format is {:?}; this verifier reads {BUNDLE_FORMAT:?}",
                manifest.format
            ),
        );
    }
    let encounter = manifest.encounter.id.parse::<EncounterId>().ok();
    if encounter.is_none() {
        report.fail(
            Check::Manifest,
            here(),
            format!(
                "the encounter id {:?} is not a UUID, so no log entry can be rebuilt",
                manifest.encounter.id
            ),
        );
    }
    let mut ids = BTreeSet::new();
    let mut files = BTreeSet::new();
    let recordings = manifest
        .recordings
        .iter()
        .map(|recording| {
            let place = || Place::Recording(recording.id.clone());
            let id = recording.id.parse::<RecordingId>().ok();
            if id.is_none() {
                report.fail(
                    Check::Manifest,
                    place(),
                    "the recording id is not a UUID, so its log entries cannot be rebuilt",
                );
            }
            if !ids.insert(recording.id.as_str()) {
                report.fail(Check::Manifest, place(), "two recordings have this id");
            }
            if !recording.file.starts_with(MEDIA_DIR) || recording.file.len() == MEDIA_DIR.len() {
                let file = &recording.file;
                report.fail(
                    Check::Manifest,
                    place(),
                    format!("its media file {file:?} is not under {MEDIA_DIR}"),
                );
            } else if !files.insert(recording.file.as_str()) {
                report.fail(Check::Manifest, place(), "another recording names the same media file");
            }
            id
        })
        .collect();
    Ids { encounter, recordings }
}

/// Checks that a recording's chunks tile it: from offset 0, each starting where the one before
/// ended, ending at the recording's length.
pub(crate) fn check_layout(recording: &RecordingEntry, report: &mut Report) {
    let mut end = 0u64;
    let mut first_at: BTreeMap<u64, usize> = BTreeMap::new();
    for (index, chunk) in recording.chunks.iter().enumerate() {
        let place = Place::Chunk {
            recording: recording.id.clone(),
            index,
            offset: chunk.offset,
        };
        if let Some(first) = first_at.get(&chunk.offset) {
            report.fail(
                Check::ChunkLayout,
                place,
                format!("the chunk repeats the offset of chunk {first}: a chunk appears twice"),
            );
        } else if chunk.offset > end {
            report.fail(
                Check::ChunkLayout,
                place,
                format!(
                    "bytes {end} to {} are covered by no chunk: a chunk is missing before this one",
                    chunk.offset - 1
                ),
            );
        } else if chunk.offset < end {
            report.fail(
                Check::ChunkLayout,
                place,
                format!("the chunk starts inside bytes the chunks before it already cover (up to byte {end})"),
            );
        }
        first_at.entry(chunk.offset).or_insert(index);
        let Some(next) = chunk.offset.checked_add(chunk.length) else {
            report.fail(
                Check::ChunkLayout,
                Place::Recording(recording.id.clone()),
                "a chunk's end overflows",
            );
            return;
        };
        end = next;
    }
    if end != recording.length {
        report.fail(
            Check::ChunkLayout,
            Place::Recording(recording.id.clone()),
            format!(
                "the chunks end at byte {end}, but the manifest gives the recording's length as {} bytes",
                recording.length
            ),
        );
    }
    report.ran(Check::ChunkLayout, recording.chunks.len() as u64);
}

/// A 32-byte value from 64 hex digits.
pub(crate) fn hex32(text: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(text, &mut out).ok()?;
    Some(out)
}
