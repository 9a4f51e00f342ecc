// Drains the on-device queue to the server, oldest encounter first, each recording's chunks in
// order: creates the encounter and the tus upload when the network allows, sends each chunk,
// records its receipt, and resumes from the server's offset after any doubt (a cut connection,
// a reload). One tab at a time holds the Web Lock, so two tabs never send the same bytes.

import * as queue from "./queue.js";
import * as tus from "./tus.js";
import { api, session, ApiError, NetworkError } from "./api.js";

/** Fires "progress" (a chunk is safe), "state" (online, uploading, offline, error), "encounter"
 * (created on the server) and "detained" (the server was told, or refused). */
export const uploads = new EventTarget();
export const status = { state: navigator.onLine ? "idle" : "offline", error: null, lastReceipt: null };

let running = false;
let again = false;
let retry = null;
let failures = 0;

/** Asks the uploader to look at the queue now (a chunk was queued, the network came back). */
export function kick() {
  if (running) {
    again = true;
    return;
  }
  running = true;
  const work = async () => {
    try {
      do {
        again = false;
        await drainAll();
      } while (again);
      failures = 0;
      setState(navigator.onLine ? "idle" : "offline", null);
    } catch (error) {
      failures += 1;
      if (error instanceof NetworkError) setState("offline", null);
      else setState("error", error);
      clearTimeout(retry);
      retry = setTimeout(kick, Math.min(250 * 2 ** failures, 3000));
    } finally {
      running = false;
    }
  };
  if (navigator.locks) {
    navigator.locks.request("amparo-uploads", { ifAvailable: true }, async (lock) => {
      if (lock) return work();
      running = false; // another tab is uploading; look again shortly in case it closes
      clearTimeout(retry);
      retry = setTimeout(kick, 2000);
    });
  } else {
    work();
  }
}

/** Starts the uploader's background triggers; call once at start. */
export function startUploader() {
  window.addEventListener("online", kick);
  window.addEventListener("offline", () => setState("offline", null));
  setInterval(kick, 3000);
  kick();
}

function setState(state, error) {
  status.state = state;
  status.error = error;
  uploads.dispatchEvent(new CustomEvent("state", { detail: { ...status } }));
}

async function drainAll() {
  const me = session()?.account?.id;
  if (!me) return;
  const encounters = (await queue.all("encounters")).filter((e) => e.owner === me);
  for (const encounter of encounters.sort((a, b) => a.startedAt - b.startedAt)) {
    await drainEncounter(encounter);
  }
}

async function drainEncounter(encounter) {
  if (!encounter.encounterId) {
    setState("uploading", null);
    const created = await api("/api/v1/encounters", { method: "POST", json: encounter.start });
    encounter = await queue.update("encounters", encounter.localId, { encounterId: created.id });
    uploads.dispatchEvent(new CustomEvent("encounter", { detail: encounter }));
  }
  // Detention first: the prepared messages must not wait behind the footage still queued.
  if (encounter.detainRequested && !encounter.detainedOnServer) encounter = await sendDetained(encounter);
  const recordings = await queue.recordingsOf(encounter.localId);
  for (const recording of recordings) await drainRecording(encounter, recording);
  if (encounter.endRequested && !encounter.endedOnServer) {
    try {
      const json = encounter.endOutcome ? { outcome: encounter.endOutcome } : undefined;
      await api(`/api/v1/encounters/${encounter.encounterId}/end`, { method: "POST", json });
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 409)) throw error; // 409: already ended
    }
    encounter = await queue.update("encounters", encounter.localId, { endedOnServer: true });
  }
  const finished = (await queue.recordingsOf(encounter.localId)).every((r) => r.finalized);
  if (encounter.endedOnServer && finished) await queue.forgetEncounter(encounter.localId);
}

/** Tells the server the person is being detained (it sends their prepared messages). Never
 * holds up the footage: a server error is retried on the next pass, a refusal is reported. */
async function sendDetained(encounter) {
  const report = (detail) => uploads.dispatchEvent(new CustomEvent("detained", { detail: { encounterLocalId: encounter.localId, ...detail } }));
  let result = null;
  try {
    result = await api(`/api/v1/encounters/${encounter.encounterId}/detained`, { method: "POST" });
  } catch (error) {
    if (error instanceof NetworkError) throw error;
    report({ error });
    if (error.status >= 500) return encounter;
  }
  if (result) report({ result });
  return queue.update("encounters", encounter.localId, { detainedOnServer: true, detainedResult: result });
}

async function drainRecording(encounter, recording) {
  if (recording.finalized) return;
  if (!recording.uploadUrl) {
    setState("uploading", null);
    const url = await tus.createUpload(encounter.encounterId, recording.mediaType, recording.continues);
    recording = await queue.update("recordings", recording.localId, {
      uploadUrl: url,
      uploadBase: recording.bytesSafe,
      needsHead: false,
    });
  }
  const base = recording.uploadBase ?? 0;
  let chunks = await queue.chunksOf(recording.localId);
  let safe = recording.bytesSafe;
  if (recording.needsHead) {
    safe = await reconcile(recording, chunks);
    if (safe === null) return;
  }
  for (const chunk of chunks) {
    if (chunk.offset + chunk.size <= safe) continue;
    setState("uploading", null);
    const rest = safe > chunk.offset ? chunk.blob.slice(safe - chunk.offset) : chunk.blob;
    let sent;
    try {
      sent = await tus.sendChunk(recording.uploadUrl, safe - base, rest);
    } catch (error) {
      if (error instanceof tus.UploadGone) return restartUpload(recording);
      // After a broken connection or an offset conflict only the server knows what it holds.
      await queue.update("recordings", recording.localId, { needsHead: true });
      if (error instanceof tus.OffsetConflict) {
        again = true;
        return;
      }
      throw error;
    }
    safe = base + sent.offset;
    await queue.markSafe(recording.localId, safe, chunk.endSecond);
    status.lastReceipt = sent.receipt;
    const detail = { recordingLocalId: recording.localId, bytesSafe: safe, secondsSafe: chunk.endSecond, receipt: sent.receipt };
    uploads.dispatchEvent(new CustomEvent("progress", { detail }));
  }
  const fresh = await queue.get("recordings", recording.localId);
  if (fresh.state === "stopped" && fresh.bytesSafe === fresh.bytesQueued) {
    try {
      await tus.finishUpload(fresh.uploadUrl, fresh.bytesQueued - base);
    } catch (error) {
      if (error instanceof tus.UploadGone) return restartUpload(fresh);
      throw error;
    }
    await queue.update("recordings", recording.localId, { finalized: true });
  }
}

/** Asks the server how much it holds, drops the chunks it covers; null if the upload is gone. */
async function reconcile(recording, chunks) {
  let held;
  try {
    held = await tus.serverOffset(recording.uploadUrl);
  } catch (error) {
    if (error instanceof tus.UploadGone) {
      await restartUpload(recording);
      return null;
    }
    throw error;
  }
  const safe = (recording.uploadBase ?? 0) + held;
  const covered = chunks.filter((c) => c.offset + c.size <= safe).map((c) => c.endSecond);
  await queue.markSafe(recording.localId, safe, Math.max(recording.secondsSafe, ...covered));
  await queue.update("recordings", recording.localId, { needsHead: false });
  uploads.dispatchEvent(new CustomEvent("progress", { detail: { recordingLocalId: recording.localId, bytesSafe: safe } }));
  return safe;
}

/** The upload expired or was closed while we were offline: the rest goes to a new upload that
 * names the one it continues, so nothing recorded is dropped. */
async function restartUpload(recording) {
  await queue.update("recordings", recording.localId, { uploadUrl: null, continues: recording.uploadUrl, needsHead: false });
  again = true;
}

/** What this device still holds for the signed-in person, for the home screen's banner. */
export async function pending() {
  const me = session()?.account?.id;
  const encounters = (await queue.all("encounters")).filter((e) => e.owner === me);
  const result = [];
  for (const encounter of encounters) {
    const recordings = await queue.recordingsOf(encounter.localId);
    const waitingBytes = recordings.reduce((sum, r) => sum + (r.bytesQueued - r.bytesSafe), 0);
    const waitingSeconds = recordings.reduce((sum, r) => sum + Math.max(0, r.secondsRecorded - r.secondsSafe), 0);
    result.push({ encounter, recordings, waitingBytes, waitingSeconds });
  }
  return result;
}
