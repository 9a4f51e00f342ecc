// The tus 1.0.0 calls the uploader makes (creation with deferred length, PATCH with a sha256
// checksum, HEAD to resume, the final length). Written here rather than vendoring tus-js-client:
// its model is one file of known content, ours is a growing queue of chunks where each PATCH's
// `Amparo-Receipt` must be read and each chunk's fate recorded in IndexedDB before the next.

import { authHeaders, problemOf, NetworkError } from "./api.js";

const TUS = { "Tus-Resumable": "1.0.0" };

/** The server's offset differs from ours (a lost response, a second tab): HEAD and resume. */
export class OffsetConflict extends Error {}
/** The upload is gone (expired or closed): what remains needs a new upload. */
export class UploadGone extends Error {}

async function send(url, init) {
  try {
    return await fetch(url, { ...init, headers: { ...TUS, ...authHeaders(), ...init.headers } });
  } catch (error) {
    throw new NetworkError(error?.message ?? "network error");
  }
}

function base64(text) {
  return btoa(String.fromCharCode(...new TextEncoder().encode(text)));
}

/** Creates an upload of unknown length for a recording of `encounterId`; resolves to its URL. */
export async function createUpload(encounterId, mediaType, continues) {
  const metadata = [`encounter_id ${base64(encounterId)}`, `filetype ${base64(mediaType)}`];
  if (continues) metadata.push(`continues ${base64(continues)}`);
  const response = await send("/api/v1/uploads", {
    method: "POST",
    headers: { "Upload-Defer-Length": "1", "Upload-Metadata": metadata.join(",") },
  });
  if (response.status !== 201) throw await problemOf(response);
  return new URL(response.headers.get("Location"), location.href).pathname;
}

/** How many bytes the server holds for the upload. */
export async function serverOffset(url) {
  const response = await send(url, { method: "HEAD", cache: "no-store" });
  if (response.status === 404 || response.status === 410) throw new UploadGone(url);
  if (!response.ok) throw await problemOf(response);
  return Number(response.headers.get("Upload-Offset"));
}

async function sha256Base64(bytes) {
  // crypto.subtle exists only in secure contexts (HTTPS, localhost); without it the server still
  // hashes and logs every chunk, we only lose the check against corruption in transit.
  if (!globalThis.crypto?.subtle) return null;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return btoa(String.fromCharCode(...digest));
}

/** Sends `blob` at `offset`; resolves to the new offset and the chunk's signed receipt. */
export async function sendChunk(url, offset, blob) {
  const bytes = await blob.arrayBuffer();
  const headers = { "Upload-Offset": String(offset), "Content-Type": "application/offset+octet-stream" };
  const checksum = await sha256Base64(bytes);
  if (checksum) headers["Upload-Checksum"] = `sha256 ${checksum}`;
  const response = await send(url, { method: "PATCH", headers, body: bytes });
  if (response.status === 409) throw new OffsetConflict(url);
  if (response.status === 404 || response.status === 410) throw new UploadGone(url);
  if (response.status !== 204) throw await problemOf(response);
  return { offset: Number(response.headers.get("Upload-Offset")), receipt: response.headers.get("Amparo-Receipt") };
}

/** Declares the recording complete at `length` bytes. */
export async function finishUpload(url, length) {
  const response = await send(url, {
    method: "PATCH",
    headers: { "Upload-Offset": String(length), "Upload-Length": String(length), "Content-Type": "application/offset+octet-stream" },
  });
  if (response.status === 404 || response.status === 410) throw new UploadGone(url);
  if (response.status === 409) throw new OffsetConflict(url);
  if (response.status !== 204) throw await problemOf(response);
}
