//! tus uploads: each recording streams in as chunks, and each acknowledged chunk is durable and
//! has its place in the log before the response (with its signed receipt) goes out.

use super::tus::{self, AMPARO_RECEIPT, UPLOAD_EXPIRES, UPLOAD_OFFSET};
use crate::auth::CurrentAccount;
use crate::clock::{http_date, now_us};
use crate::error::ApiError;
use crate::log::AppendError;
use crate::routes::encounters::owned_encounter;
use crate::state::AppState;
use amparo_core::ids::{EncounterId, RecordingId};
use amparo_core::leaf::{CHAIN_START, EvidenceLeaf, chain_next, sha256};
use amparo_core::receipt::Receipt;
use amparo_store::{StoreError, Upload};
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use bytes::{Bytes, BytesMut};
use futures::StreamExt;

/// Chunks above this are hashed on a blocking thread.
const LARGE_CHUNK: usize = 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/uploads", post(create).options(options))
        .route(
            "/api/v1/uploads/{id}",
            axum::routing::head(status)
                .patch(append)
                .delete(terminate)
                .options(options),
        )
        .layer(axum::middleware::from_fn(tus::version_check))
}

/// tus discovery: versions, extensions, limits.
#[utoipa::path(options, path = "/api/v1/uploads", tag = "uploads", responses((status = 204, description = "tus capabilities in headers")))]
pub async fn options(State(state): State<AppState>) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(tus::TUS_VERSION_H.clone(), HeaderValue::from_static(tus::TUS_VERSION));
    headers.insert(tus::TUS_EXTENSION.clone(), HeaderValue::from_static(tus::EXTENSIONS));
    headers.insert(
        tus::TUS_MAX_SIZE.clone(),
        HeaderValue::from(state.limits.max_upload_bytes),
    );
    headers.insert(tus::TUS_CHECKSUM_ALGORITHM.clone(), HeaderValue::from_static("sha256"));
    (StatusCode::NO_CONTENT, headers).into_response()
}

/// Creates an upload for one recording of an encounter (tus creation, creation-with-upload,
/// creation-defer-length). `Upload-Metadata` must name `encounter_id`; `filetype` is kept.
#[utoipa::path(post, path = "/api/v1/uploads", tag = "uploads", security(("bearer" = [])),
    responses((status = 201, description = "Created; Location names the upload"), (status = 400), (status = 401), (status = 403), (status = 413)))]
pub async fn create(
    State(state): State<AppState>,
    account: CurrentAccount,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let length = tus::declared_length(&headers)?;
    if length.is_some_and(|n| n > state.limits.max_upload_bytes) {
        return Err(ApiError::too_large(format!(
            "A recording may be at most {} bytes.",
            state.limits.max_upload_bytes
        )));
    }
    let metadata = tus::metadata(&headers)?;
    let value = |key: &str| metadata.iter().find(|(k, _)| k == key).and_then(|(_, v)| v.clone());
    let encounter_id: EncounterId = value("encounter_id")
        .ok_or_else(|| ApiError::bad_request("Upload-Metadata must name the encounter: encounter_id <base64 id>."))?
        .parse()
        .map_err(|_| ApiError::bad_request("encounter_id in Upload-Metadata is not an encounter id."))?;
    owned_encounter(&state, &account, encounter_id).await?;
    let media_type = value("filetype")
        .or_else(|| value("mimetype"))
        .filter(|t| valid_media_type(t));

    let now = now_us();
    let upload = Upload {
        id: RecordingId::new(),
        encounter: encounter_id,
        owner: account.0.id,
        length,
        offset: 0,
        chain: CHAIN_START,
        media_type,
        metadata: headers
            .get(&tus::UPLOAD_METADATA)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned(),
        created_at_us: now,
        expires_at_us: now + expiry_us(&state),
        terminated_at_us: None,
    };
    state.store.create_upload(&upload).await?;
    let location = format!("/api/v1/uploads/{}", upload.id);

    let mut response = if tus::is_offset_stream(&headers) {
        // creation-with-upload: the first chunk rides on the POST.
        let _guard = state.upload_locks.lock(upload.id).await;
        accept_chunk(&state, upload, &headers, body).await?
    } else {
        upload_headers(StatusCode::CREATED, &upload, None)
    };
    *response.status_mut() = StatusCode::CREATED;
    response.headers_mut().insert(
        header::LOCATION,
        HeaderValue::try_from(location).map_err(ApiError::internal)?,
    );
    Ok(response)
}

/// The upload's offset: where a client resumes.
#[utoipa::path(head, path = "/api/v1/uploads/{id}", tag = "uploads", security(("bearer" = [])),
    params(("id" = String, Path, description = "Upload id")), responses((status = 200), (status = 404), (status = 410)))]
pub async fn status(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let upload = writable_upload(&state, &account, parse_id(&id)?).await?;
    let mut response = upload_headers(StatusCode::OK, &upload, None);
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    match upload.length {
        Some(length) => headers.insert(tus::UPLOAD_LENGTH.clone(), HeaderValue::from(length)),
        None => headers.insert(tus::UPLOAD_DEFER_LENGTH.clone(), HeaderValue::from_static("1")),
    };
    if let Ok(metadata) = HeaderValue::try_from(upload.metadata.as_str())
        && !upload.metadata.is_empty()
    {
        headers.insert(tus::UPLOAD_METADATA.clone(), metadata);
    }
    Ok(response)
}

/// Appends one chunk. The response (204) comes only once the chunk is durable and logged, and
/// carries its signed receipt in `Amparo-Receipt`.
#[utoipa::path(patch, path = "/api/v1/uploads/{id}", tag = "uploads", security(("bearer" = [])),
    params(("id" = String, Path, description = "Upload id")),
    responses((status = 204, description = "Stored; Upload-Offset and Amparo-Receipt in headers"), (status = 409, description = "Wrong Upload-Offset"),
        (status = 410), (status = 413), (status = 415), (status = 460, description = "Checksum mismatch")))]
pub async fn append(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    if !tus::is_offset_stream(&headers) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported media type",
            format!("Send chunks with Content-Type: {}.", tus::OFFSET_OCTET_STREAM),
        ));
    }
    let claimed_offset = tus::u64_header(&headers, &UPLOAD_OFFSET)?
        .ok_or_else(|| ApiError::bad_request("Send Upload-Offset: the offset this chunk starts at."))?;
    let id = parse_id(&id)?;
    let _guard = state.upload_locks.lock(id).await;
    // Read after taking the lock: the offset cannot move under us now.
    let upload = writable_upload(&state, &account, id).await?;
    if claimed_offset != upload.offset {
        return Err(ApiError::conflict(format!(
            "Upload-Offset is {claimed_offset}, but the server holds {} bytes of this recording: resume from there.",
            upload.offset
        )));
    }
    accept_chunk(&state, upload, &headers, body).await
}

/// Ends an upload (tus termination): no more chunks are accepted. What was received stays stored
/// and logged; evidence is never erased by a request a seized phone could send.
#[utoipa::path(delete, path = "/api/v1/uploads/{id}", tag = "uploads", security(("bearer" = [])),
    params(("id" = String, Path, description = "Upload id")), responses((status = 204), (status = 404), (status = 410)))]
pub async fn terminate(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let _guard = state.upload_locks.lock(id).await;
    let upload = writable_upload(&state, &account, id).await?;
    state.store.terminate_upload(upload.id, now_us()).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Reads, checks, stores and logs one chunk; the caller holds the upload's lock.
async fn accept_chunk(
    state: &AppState,
    mut upload: Upload,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    if let Some(length) = tus::u64_header(headers, &tus::UPLOAD_LENGTH)? {
        upload = declare_length(state, upload, length).await?;
    }
    let expected = tus::checksum(headers)?;
    let room = upload
        .length
        .unwrap_or(state.limits.max_upload_bytes)
        .saturating_sub(upload.offset);
    let limit = room.min(state.limits.max_chunk_bytes);
    if tus::u64_header(headers, &header::CONTENT_LENGTH)?.is_some_and(|n| n > limit) {
        return Err(chunk_too_large(limit, room));
    }
    let (bytes, cut_short) = read_body(body, limit).await.map_err(|_| chunk_too_large(limit, room))?;
    let received_at_us = now_us();
    if bytes.is_empty() {
        return Ok(upload_headers(StatusCode::NO_CONTENT, &upload, None));
    }
    let chunk_sha256 = if bytes.len() > LARGE_CHUNK {
        // Hashing 16 MiB holds a core for ~15 ms: off the async workers, which serve everyone.
        let shared = bytes.clone();
        tokio::task::spawn_blocking(move || sha256(&shared))
            .await
            .map_err(ApiError::internal)?
    } else {
        sha256(&bytes)
    };
    if expected.is_some() && cut_short {
        // A cut-off chunk cannot match its checksum; the client will resend it whole.
        return Err(ApiError::bad_request(
            "The connection closed before the chunk was complete.",
        ));
    }
    if expected.is_some_and(|expected| expected != chunk_sha256) {
        return Err(tus::checksum_mismatch());
    }
    // Without a checksum, the bytes that did arrive from a cut connection are kept: on a seized
    // phone they may be the last seconds there are.

    let length = bytes.len() as u64;
    // Durable before logged: the blob store fsyncs the chunk (see `blobs::open`). Its key names
    // the bytes' SHA-256, so a node racing us on this offset cannot overwrite them.
    crate::blobs::put_chunk(&state.blobs, upload.id, upload.offset, &chunk_sha256, bytes)
        .await
        .map_err(ApiError::internal)?;

    let leaf = EvidenceLeaf {
        encounter_id: upload.encounter,
        recording_id: upload.id,
        offset: upload.offset,
        length,
        chunk_sha256,
        chain_sha256: chain_next(&upload.chain, &chunk_sha256),
        received_at_us,
    };
    let expires_at_us = received_at_us + expiry_us(state);
    let appended = state
        .log
        .append(leaf.clone(), expires_at_us)
        .await
        .map_err(append_refused)?;
    let receipt = Receipt::sign(state.log.key(), appended.index, appended.leaf_hash, received_at_us);
    upload.offset += length;
    upload.chain = leaf.chain_sha256;
    upload.expires_at_us = expires_at_us;
    if crate::alerts::silence_shared::chunk(state, upload.encounter, received_at_us) {
        // It had been reported silent: followers should see it recording again.
        let state = state.clone();
        tokio::spawn(async move { crate::live::publish_state(&state, upload.encounter).await });
    }
    crate::live::publish_progress(state, &upload, received_at_us);
    Ok(upload_headers(StatusCode::NO_CONTENT, &upload, Some(&receipt)))
}

/// Why the log did not take a chunk, for the person's uploader.
fn append_refused(error: AppendError) -> ApiError {
    match error {
        AppendError::Closed => ApiError::unavailable("The server is restarting: send this chunk again."),
        AppendError::NotSequencer | AppendError::Unavailable(_) => {
            ApiError::unavailable("The log is changing hands between servers: send this chunk again in a moment.")
        }
        // Another request (on another server) stored a chunk at this offset first.
        AppendError::Store(StoreError::Conflict(_)) => ApiError::conflict(
            "Another request stored a chunk at this offset first: ask for the upload's offset (HEAD) and resume from there.",
        ),
        AppendError::Store(error) => error.into(),
    }
}

async fn declare_length(state: &AppState, upload: Upload, length: u64) -> Result<Upload, ApiError> {
    match upload.length {
        Some(known) if known == length => Ok(upload),
        Some(known) => Err(ApiError::bad_request(format!(
            "This upload's length is already {known}; it cannot change."
        ))),
        None if length > state.limits.max_upload_bytes => Err(ApiError::too_large(format!(
            "A recording may be at most {} bytes.",
            state.limits.max_upload_bytes
        ))),
        None if length < upload.offset => Err(ApiError::bad_request(format!(
            "Upload-Length {length} is less than the {} bytes already received.",
            upload.offset
        ))),
        None => Ok(state.store.set_upload_length(upload.id, length).await?),
    }
}

/// Reads at most `limit` bytes. `Err(())` if the body is longer; `Ok((bytes, true))` if the
/// connection broke first (what arrived is returned).
async fn read_body(body: Body, limit: u64) -> Result<(Bytes, bool), ()> {
    let mut stream = body.into_data_stream();
    let mut buffer = BytesMut::new();
    while let Some(frame) = stream.next().await {
        match frame {
            Ok(data) => {
                if (buffer.len() + data.len()) as u64 > limit {
                    return Err(());
                }
                buffer.extend_from_slice(&data);
            }
            Err(_) => return Ok((buffer.freeze(), true)),
        }
    }
    Ok((buffer.freeze(), false))
}

fn chunk_too_large(limit: u64, room: u64) -> ApiError {
    if limit < room {
        ApiError::too_large(format!("A chunk may be at most {limit} bytes: send smaller chunks."))
    } else {
        ApiError::too_large(format!(
            "This chunk goes past the recording's declared length: only {room} more bytes fit."
        ))
    }
}

fn upload_headers(status: StatusCode, upload: &Upload, receipt: Option<&Receipt>) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(UPLOAD_OFFSET.clone(), HeaderValue::from(upload.offset));
    if let Ok(expires) = HeaderValue::try_from(http_date(upload.expires_at_us)) {
        headers.insert(UPLOAD_EXPIRES.clone(), expires);
    }
    if let Some(value) = receipt.and_then(|r| HeaderValue::try_from(r.to_header()).ok()) {
        headers.insert(AMPARO_RECEIPT.clone(), value);
    }
    (status, headers).into_response()
}

/// The upload, if the caller owns it and it still takes chunks.
async fn writable_upload(state: &AppState, account: &CurrentAccount, id: RecordingId) -> Result<Upload, ApiError> {
    let upload = state
        .store
        .upload(id)
        .await?
        .ok_or_else(|| ApiError::not_found("No such upload."))?;
    if upload.owner != account.0.id {
        return Err(ApiError::forbidden("This upload belongs to another account."));
    }
    if upload.terminated_at_us.is_some() {
        return Err(ApiError::gone(
            "This upload was ended; what it received is kept. Start a new upload to record more.",
        ));
    }
    if upload.expires_at_us < now_us() {
        return Err(ApiError::gone(
            "This upload expired after a long pause; what it received is kept. Start a new upload.",
        ));
    }
    Ok(upload)
}

fn parse_id(id: &str) -> Result<RecordingId, ApiError> {
    id.parse().map_err(|_| ApiError::not_found("No such upload."))
}

fn expiry_us(state: &AppState) -> i64 {
    i64::try_from(state.limits.upload_expiry_secs.saturating_mul(1_000_000)).unwrap_or(i64::MAX / 2)
}

/// `type/subtype[;params]` of token characters: what we will later put in a Content-Type.
fn valid_media_type(text: &str) -> bool {
    let essence = text.split(';').next().unwrap_or_default();
    let token = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&b))
    };
    text.len() <= 127
        && text.bytes().all(|b| (0x20..0x7f).contains(&b))
        && essence.split_once('/').is_some_and(|(t, s)| token(t) && token(s))
}
