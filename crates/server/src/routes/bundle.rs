//! Evidence bundle export: everything a court needs to check an encounter offline, in one zip.
//!
//! The export is itself recorded in the access log before the bundle is built, so the bundle's
//! chain of custody includes the export that produced it.

use crate::auth::CurrentAccount;
use crate::clock::{now_us, rfc3339};
use crate::error::ApiError;
use crate::log::proofs;
use crate::routes::encounters::readable_encounter;
use crate::state::AppState;
use amparo_core::leaf::EvidenceLeaf;
use amparo_core::manifest::{
    ChunkEntry, CustodyEntry, EncounterFacts, InclusionProof, Location, NoteEntry, Proofs, SealingCheckpoint,
};
use amparo_core::receipt::Receipt;
use amparo_store::{AccessRecord, Chunk, Encounter, Upload};
use amparo_verify::{BundleInput, RecordingInput};
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use object_store::ObjectStore;
use std::collections::VecDeque;
use std::io::{Read, Seek};
use std::sync::Arc;
use std::time::Duration;
use tokio::runtime::Handle;

/// Exports the encounter's evidence bundle (owner, assigned attorney, or admin).
#[utoipa::path(get, path = "/api/v1/encounters/{id}/bundle", tag = "encounters", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, content_type = "application/zip", description = "The bundle; check it with `amparo verify`"),
        (status = 403), (status = 404), (status = 409), (status = 503)))]
pub async fn export(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (encounter, access) = readable_encounter(&state, &account, &id).await?;
    let access_record = AccessRecord {
        encounter: encounter.id,
        account: account.0.id,
        role: access.as_str().to_owned(),
        action: "export bundle".to_owned(),
        at_us: now_us(),
    };
    state.store.record_access(&access_record).await?;

    let mut recordings = Vec::new();
    for upload in state.store.uploads_of(encounter.id).await? {
        let chunks = state.store.chunks_of(upload.id).await?;
        recordings.push((upload, chunks));
    }
    let last_index = recordings
        .iter()
        .flat_map(|(_, chunks)| chunks.iter().map(|c| c.leaf_index))
        .max();
    let checkpoint = match last_index {
        // Receipts promise a checkpoint within a second; wait a little longer than that.
        Some(index) => state
            .log
            .checkpoint_covering(index, Duration::from_secs(3))
            .await
            .ok_or_else(|| {
                ApiError::unavailable("The last chunks are still being sealed into the log: try again in a second.")
            })?,
        None => state
            .log
            .latest_checkpoint()
            .ok_or_else(|| ApiError::conflict("Nothing has been recorded yet."))?,
    };
    let proofs = build_proofs(&state, &recordings, checkpoint.size, last_index).await?;
    let custody = state
        .store
        .access_log(encounter.id)
        .await?
        .into_iter()
        .map(|a| CustodyEntry {
            at: rfc3339(a.at_us),
            account: a.account.to_string(),
            role: a.role,
            action: a.action,
        })
        .collect();
    let notes = state
        .store
        .notes_of(encounter.id)
        .await?
        .into_iter()
        .map(|n| NoteEntry {
            id: n.id.to_string(),
            at: rfc3339(n.at_us),
            author: n.author.to_string(),
            text: n.text,
        })
        .collect();

    let exported_by = account.0.username.clone();
    let note = checkpoint.note.clone();
    let file = tokio::task::spawn_blocking(move || -> Result<std::fs::File, ApiError> {
        let runtime = Handle::current();
        let inputs = recordings
            .into_iter()
            .map(|(upload, chunks)| recording_input(&state, &encounter, upload, chunks, runtime.clone()))
            .collect();
        let input = BundleInput {
            key: state.log.key(),
            exported_at: rfc3339(now_us()),
            exported_by,
            encounter: facts(&encounter),
            recordings: inputs,
            checkpoint: note,
            proofs,
            custody,
            notes,
        };
        let file = tempfile::tempfile_in(&state.scratch_dir).map_err(ApiError::internal)?;
        let mut file = amparo_verify::write_bundle(file, input).map_err(ApiError::internal)?;
        file.rewind().map_err(ApiError::internal)?;
        Ok(file)
    })
    .await
    .map_err(ApiError::internal)??;

    let body = Body::from_stream(tokio_util::io::ReaderStream::new(tokio::fs::File::from_std(file)));
    let disposition = format!("attachment; filename=\"amparo-encounter-{id}.zip\"");
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/zip"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::try_from(disposition).map_err(ApiError::internal)?,
    );
    Ok(response)
}

async fn build_proofs(
    state: &AppState,
    recordings: &[(Upload, Vec<Chunk>)],
    tree_size: u64,
    last_index: Option<u64>,
) -> Result<Proofs, ApiError> {
    let indexes: Vec<u64> = recordings
        .iter()
        .flat_map(|(_, chunks)| chunks.iter().map(|c| c.leaf_index))
        .collect();
    let paths = proofs::inclusions(&state.store, indexes.clone(), tree_size).await?;
    let inclusion = indexes
        .into_iter()
        .zip(paths)
        .map(|(leaf_index, hashes)| InclusionProof {
            leaf_index,
            hashes: hashes.iter().map(|h| hex::encode(h.0)).collect(),
        })
        .collect();
    let sealing = match last_index {
        Some(index) => match state.store.first_checkpoint_covering(index).await? {
            Some(first) if first.size < tree_size => {
                let consistency = proofs::consistency(&state.store, first.size, tree_size).await?;
                Some(SealingCheckpoint {
                    checkpoint: first.note,
                    consistency: consistency.iter().map(|h| hex::encode(h.0)).collect(),
                })
            }
            _ => None,
        },
        None => None,
    };
    Ok(Proofs {
        tree_size,
        inclusion,
        sealing,
    })
}

fn recording_input(
    state: &AppState,
    encounter: &Encounter,
    upload: Upload,
    chunks: Vec<Chunk>,
    runtime: Handle,
) -> RecordingInput {
    let entries = chunks
        .iter()
        .map(|chunk| {
            let leaf = EvidenceLeaf {
                encounter_id: encounter.id,
                recording_id: upload.id,
                offset: chunk.offset,
                length: chunk.length,
                chunk_sha256: chunk.sha256,
                chain_sha256: chunk.chain,
                received_at_us: chunk.received_at_us,
            };
            // Ed25519 is deterministic: this is byte for byte the receipt the uploader was given.
            let receipt = Receipt::sign(
                state.log.key(),
                chunk.leaf_index,
                leaf.leaf_hash(),
                chunk.received_at_us,
            );
            ChunkEntry {
                offset: chunk.offset,
                length: chunk.length,
                sha256: hex::encode(chunk.sha256),
                chain: hex::encode(chunk.chain),
                received_at_us: chunk.received_at_us,
                leaf_index: chunk.leaf_index,
                receipt: receipt.to_header(),
            }
        })
        .collect();
    RecordingInput {
        id: upload.id,
        media_type: upload.media_type.clone(),
        complete: upload.length == Some(upload.offset),
        chunks: entries,
        media: Box::new(ChunkReader {
            blobs: state.blobs.clone(),
            chunks: chunks.into(),
            current: bytes::Bytes::new(),
            runtime,
        }),
    }
}

fn facts(encounter: &Encounter) -> EncounterFacts {
    let location = match (encounter.latitude, encounter.longitude) {
        (Some(latitude), Some(longitude)) => Some(Location {
            latitude,
            longitude,
            accuracy_m: encounter.accuracy_m,
        }),
        _ => None,
    };
    EncounterFacts {
        id: encounter.id.to_string(),
        owner: encounter.owner.to_string(),
        started_at: rfc3339(encounter.started_at_us),
        ended_at: encounter.ended_at_us.map(rfc3339),
        location,
        us_state: encounter.us_state.clone(),
        language: encounter.language.clone(),
        wants_attorney: encounter.wants_attorney,
        note: encounter.note.clone(),
    }
}

/// Reads a recording's chunks from object storage, in order, as one byte stream. Runs on a
/// blocking thread (the zip writer is synchronous) and waits on the async store there.
struct ChunkReader {
    blobs: Arc<dyn ObjectStore>,
    chunks: VecDeque<Chunk>,
    current: bytes::Bytes,
    runtime: Handle,
}

impl Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            let Some(chunk) = self.chunks.pop_front() else {
                return Ok(0);
            };
            let blobs = self.blobs.clone();
            self.current = self
                .runtime
                .block_on(async move { crate::blobs::read_chunk(blobs.as_ref(), &chunk).await })
                .map_err(std::io::Error::other)?;
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}
