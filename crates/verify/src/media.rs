//! One pass over each recording's media file: every chunk's SHA-256, the whole file's SHA-256 and
//! its size, checked against the manifest.

use crate::archive::Archive;
use crate::files::check_digest;
use crate::form::hex32;
use crate::report::{Check, Place, Report};
use crate::stream;
use amparo_core::manifest::RecordingEntry;
use std::collections::BTreeMap;
use std::io::{self, Read, Seek};

/// Checks one recording's media against its manifest entry. `listed` is the manifest's file list.
pub(crate) fn check_media<R: Read + Seek>(
    archive: &mut Archive<R>,
    recording: &RecordingEntry,
    listed: &BTreeMap<String, Option<[u8; 32]>>,
    report: &mut Report,
) {
    let here = || Place::Recording(recording.id.clone());
    let Some(media) = archive.open_entry(&recording.file, Check::ChunkDigest, report) else {
        return; // Missing: reported by the file-list check.
    };
    let lengths: Vec<u64> = recording.chunks.iter().map(|c| c.length).collect();
    let hashed = match stream::hash_chunks(media, &lengths, io::sink()) {
        Ok(hashed) => hashed,
        Err(_) => {
            report.fail(Check::ChunkDigest, here(), "the media file cannot be read");
            return;
        }
    };
    report.ran(Check::ChunkDigest, recording.chunks.len() as u64);
    for (index, (chunk, digest)) in recording.chunks.iter().zip(&hashed.chunks).enumerate() {
        let place = || Place::Chunk {
            recording: recording.id.clone(),
            index,
            offset: chunk.offset,
        };
        match (digest, hex32(&chunk.sha256)) {
            (None, _) => report.fail(
                Check::ChunkDigest,
                place(),
                format!(
                    "the media file ends before this chunk's {} bytes: the media was cut short",
                    chunk.length
                ),
            ),
            (Some(actual), Some(expected)) if *actual != expected => report.fail(
                Check::ChunkDigest,
                place(),
                "the media bytes do not match the SHA-256 recorded when they were received: the media was \
                 altered after receipt",
            ),
            // A malformed recorded digest is reported by the manifest checks.
            _ => {}
        }
    }
    if hashed.total != recording.length {
        report.fail(
            Check::ChunkLayout,
            here(),
            format!(
                "the media file holds {} bytes, but the manifest gives the recording's length as {} bytes",
                hashed.total, recording.length
            ),
        );
    }
    report.ran(Check::RecordingDigest, 1);
    if hex32(&recording.sha256) != Some(hashed.whole) {
        report.fail(
            Check::RecordingDigest,
            here(),
            "the SHA-256 of the whole media file does not match the manifest's: the media was altered",
        );
    }
    if let Some(expected) = listed.get(&recording.file) {
        check_digest(&recording.file, *expected, hashed.whole, report);
    }
}
