//! The bundle writer, called by the server at export.
//!
//! It checks everything it can before writing a byte (the same checks the verifier makes, minus
//! the files), streams each recording's media into the archive while hashing it, and refuses to
//! finish if the media differs from what the log recorded: an export either verifies or fails
//! loudly. `manifest.json` is written last, once every other file's digest is known, then its
//! signature.

use crate::evidence::{self, Evidence};
use crate::form::{MEDIA_DIR, hex32};
use crate::report::{Finding, Report};
use crate::stream::{self, StreamError};
use amparo_core::ids::RecordingId;
use amparo_core::keys::LogKey;
use amparo_core::manifest::{
    BUNDLE_FORMAT, CHECKPOINT_PATH, CUSTODY_PATH, ChunkEntry, CustodyEntry, EncounterFacts, FileDigest, KEY_PATH,
    LogInfo, MANIFEST_PATH, MANIFEST_SIGNATURE_PATH, Manifest, NOTES_PATH, NoteEntry, PROOFS_PATH, Proofs, REPORT_PATH,
    RecordingEntry, sign_manifest,
};
use std::fmt;
use std::io::{self, Read, Seek, Write};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

/// Everything a bundle is made from.
pub struct BundleInput<'a> {
    /// The log's key: it signs the manifest, and its public half is the bundle's `log/key`.
    pub key: &'a LogKey,
    /// RFC 3339, UTC.
    pub exported_at: String,
    /// The account exporting.
    pub exported_by: String,
    pub encounter: EncounterFacts,
    pub recordings: Vec<RecordingInput>,
    /// The signed checkpoint note every chunk's inclusion proof leads to.
    pub checkpoint: String,
    pub proofs: Proofs,
    pub custody: Vec<CustodyEntry>,
    /// The attorneys' notes, oldest first (`notes.json`).
    pub notes: Vec<NoteEntry>,
}

/// One recording: its chunks as the log recorded them, and its bytes.
pub struct RecordingInput {
    pub id: RecordingId,
    pub media_type: Option<String>,
    /// Whether the upload reached its declared length.
    pub complete: bool,
    /// In order, from offset 0.
    pub chunks: Vec<ChunkEntry>,
    /// The chunks' bytes, concatenated, streamed (from object storage, say): never held whole.
    pub media: Box<dyn Read + Send>,
}

impl fmt::Debug for BundleInput<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BundleInput")
            .field("encounter", &self.encounter.id)
            .field("recordings", &self.recordings)
            .field("checkpoint", &self.checkpoint)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for RecordingInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordingInput")
            .field("id", &self.id)
            .field("chunks", &self.chunks.len())
            .finish_non_exhaustive()
    }
}

/// Why a bundle was not written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The inputs contradict each other or the log: the bundle would not verify.
    #[error("the bundle would not verify: {}", describe(.0))]
    Inconsistent(Vec<Finding>),
    #[error("recording {recording}: the media holds {read} bytes, its chunks add up to {expected}")]
    MediaLength {
        recording: String,
        expected: u64,
        read: u64,
    },
    #[error(
        "recording {recording}, chunk {index} (offset {offset}): the stored bytes do not match the chunk's SHA-256"
    )]
    ChunkDigest {
        recording: String,
        index: usize,
        offset: u64,
    },
    #[error("recording {recording}: reading the media failed: {source}")]
    Media { recording: String, source: io::Error },
    #[error("writing the bundle failed: {0}")]
    Zip(#[from] zip::result::ZipError),
    #[error("writing the bundle failed: {0}")]
    Io(#[from] io::Error),
    #[error("encoding JSON failed: {0}")]
    Json(#[from] serde_json::Error),
}

fn describe(findings: &[Finding]) -> String {
    match findings {
        [] => "no reason given".to_owned(),
        [one] => one.to_string(),
        [first, rest @ ..] => format!("{first} (and {} more problems)", rest.len()),
    }
}

/// Writes a bundle to `out` and returns it.
pub fn write_bundle<W: Write + Seek>(out: W, input: BundleInput<'_>) -> Result<W, WriteError> {
    let BundleInput {
        key,
        exported_at,
        exported_by,
        encounter,
        recordings,
        checkpoint,
        proofs,
        custody,
        notes,
    } = input;
    let mut media = Vec::with_capacity(recordings.len());
    let mut entries = Vec::with_capacity(recordings.len());
    for recording in recordings {
        let extension = extension(recording.media_type.as_deref());
        entries.push(RecordingEntry {
            file: format!("{MEDIA_DIR}{}.{extension}", recording.id),
            id: recording.id.to_string(),
            media_type: recording.media_type,
            length: recording
                .chunks
                .iter()
                .fold(0u64, |sum, c| sum.saturating_add(c.length)),
            sha256: String::new(), // Known once the media has been streamed.
            complete: recording.complete,
            chunks: recording.chunks,
        });
        media.push(recording.media);
    }
    let verifier_key = key.verifier_key();
    let mut manifest = Manifest {
        format: BUNDLE_FORMAT.to_owned(),
        exported_at,
        exported_by,
        log: LogInfo {
            origin: key.name().to_owned(),
            verifier_key: verifier_key.clone(),
        },
        encounter,
        recordings: entries,
        files: Vec::new(),
    };

    let public = key.public();
    let mut report = Report::default();
    let evidence = Evidence {
        manifest: &manifest,
        key: Some(&public),
        checkpoint: Some(&checkpoint),
        proofs: Some(&proofs),
    };
    let signed = evidence::check_evidence(&evidence, &mut report);
    let findings = report.into_findings();
    let signed = match signed {
        Some(signed) if findings.is_empty() => signed,
        _ => return Err(WriteError::Inconsistent(findings)),
    };

    let mut zip = ZipWriter::new(out);
    let mut files = Vec::new();
    for (recording, media) in manifest.recordings.iter_mut().zip(media) {
        let options = stored().large_file(recording.length >= u64::from(u32::MAX));
        zip.start_file(recording.file.as_str(), options)?;
        recording.sha256 = copy_media(recording, media, &mut zip)?;
        files.push(FileDigest {
            path: recording.file.clone(),
            sha256: recording.sha256.clone(),
        });
    }
    add(&mut zip, CHECKPOINT_PATH, checkpoint.as_bytes(), Some(&mut files))?;
    add(
        &mut zip,
        KEY_PATH,
        format!("{verifier_key}\n").as_bytes(),
        Some(&mut files),
    )?;
    add(&mut zip, PROOFS_PATH, &json(&proofs)?, Some(&mut files))?;
    add(&mut zip, CUSTODY_PATH, &json(&custody)?, Some(&mut files))?;
    add(&mut zip, NOTES_PATH, &json(&notes)?, Some(&mut files))?;
    let html = crate::html::render(&manifest, &signed, &proofs, &custody, &notes);
    add(&mut zip, REPORT_PATH, html.as_bytes(), Some(&mut files))?;
    manifest.files = files;
    let manifest_json = json(&manifest)?;
    add(&mut zip, MANIFEST_PATH, &manifest_json, None)?;
    let signature = sign_manifest(key, &manifest_json) + "\n";
    add(&mut zip, MANIFEST_SIGNATURE_PATH, signature.as_bytes(), None)?;
    Ok(zip.finish()?)
}

/// Streams one recording into the open archive entry, checking it against its chunks. Returns the
/// whole file's SHA-256 (hex).
fn copy_media<W: Write + Seek>(
    recording: &RecordingEntry,
    media: Box<dyn Read + Send>,
    zip: &mut ZipWriter<W>,
) -> Result<String, WriteError> {
    let lengths: Vec<u64> = recording.chunks.iter().map(|c| c.length).collect();
    let hashed = stream::hash_chunks(media, &lengths, zip).map_err(|e| match e {
        StreamError::Read(source) => WriteError::Media {
            recording: recording.id.clone(),
            source,
        },
        StreamError::Write(e) => WriteError::Io(e),
    })?;
    if hashed.total != recording.length {
        let (expected, read) = (recording.length, hashed.total);
        return Err(WriteError::MediaLength {
            recording: recording.id.clone(),
            expected,
            read,
        });
    }
    for (index, (chunk, digest)) in recording.chunks.iter().zip(hashed.chunks).enumerate() {
        if digest.is_none() || digest != hex32(&chunk.sha256) {
            let offset = chunk.offset;
            return Err(WriteError::ChunkDigest {
                recording: recording.id.clone(),
                index,
                offset,
            });
        }
    }
    Ok(hex::encode(hashed.whole))
}

/// Adds a small file, listing its digest in `files` when given.
fn add<W: Write + Seek>(
    zip: &mut ZipWriter<W>,
    path: &str,
    bytes: &[u8],
    files: Option<&mut Vec<FileDigest>>,
) -> Result<(), WriteError> {
    zip.start_file(path, stored())?;
    zip.write_all(bytes)?;
    if let Some(files) = files {
        files.push(FileDigest {
            path: path.to_owned(),
            sha256: hex::encode(amparo_core::leaf::sha256(bytes)),
        });
    }
    Ok(())
}

/// Media is already compressed, and stored entries are the file's exact bytes at a known place in
/// the archive, which both the verifier and `unzip` read fastest.
fn stored() -> SimpleFileOptions {
    SimpleFileOptions::default().compression_method(CompressionMethod::Stored)
}

fn json<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, serde_json::Error> {
    let mut bytes = serde_json::to_vec_pretty(value)?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// The media file's extension, from the type the client declared.
fn extension(media_type: Option<&str>) -> &'static str {
    let essence = media_type
        .and_then(|t| t.split(';').next())
        .map(str::trim)
        .unwrap_or_default();
    match essence
        .rsplit_once('/')
        .map(|(_, subtype)| subtype.to_ascii_lowercase())
        .as_deref()
    {
        Some("webm") => "webm",
        Some("mp4") => "mp4",
        _ => "bin",
    }
}

#[cfg(test)]
mod tests {
    use super::extension;

    #[test]
    fn extensions_follow_the_media_type() {
        assert_eq!(extension(Some("video/webm")), "webm");
        assert_eq!(extension(Some("audio/webm;codecs=opus")), "webm");
        assert_eq!(extension(Some("video/MP4")), "mp4");
        assert_eq!(extension(Some("video/quicktime")), "bin");
        assert_eq!(extension(None), "bin");
    }
}
