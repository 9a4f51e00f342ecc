// The on-device queue (IndexedDB): every chunk MediaRecorder hands us is written here first, in
// order, before any upload is tried. A dropped network, a reload or a crashed tab leaves the
// chunks here; the uploader finishes them when it can. Each chunk is deleted once the server
// has receipted it: footage that is safe on the server need not stay on a phone that can be seized.

const DB_NAME = "amparo";
const VERSION = 1;
let opened = null;

function db() {
  opened ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, VERSION);
    request.onupgradeneeded = () => {
      const database = request.result;
      database.createObjectStore("encounters", { keyPath: "localId" });
      const recordings = database.createObjectStore("recordings", { keyPath: "localId" });
      recordings.createIndex("byEncounter", "encounterLocalId");
      database.createObjectStore("chunks", { keyPath: ["recordingLocalId", "seq"] });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
    request.onblocked = () => reject(new Error("Close Amparo's other tabs, then reload."));
  });
  return opened;
}

function done(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function committed(transaction) {
  return new Promise((resolve, reject) => {
    transaction.oncomplete = () => resolve();
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error ?? new Error("IndexedDB transaction aborted"));
  });
}

function newId() {
  return crypto.randomUUID?.() ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

async function run(stores, mode, body) {
  const transaction = (await db()).transaction(stores, mode);
  const result = body(transaction);
  await committed(transaction);
  return result instanceof Promise ? await result : result;
}

/** Starts a local encounter (created on the server when the network allows). */
export async function createEncounter(fields) {
  const encounter = { localId: newId(), encounterId: null, endRequested: false, endedOnServer: false, ...fields };
  await run(["encounters"], "readwrite", (tx) => tx.objectStore("encounters").put(encounter));
  return encounter;
}

/** Starts a local recording of an encounter: one tus upload once online. */
export async function createRecording(encounterLocalId, mediaType) {
  const recording = {
    localId: newId(),
    encounterLocalId,
    mediaType,
    uploadUrl: null,
    startedAt: Date.now(),
    state: "recording",
    bytesQueued: 0,
    bytesSafe: 0,
    secondsRecorded: 0,
    secondsSafe: 0,
    nextSeq: 0,
    finalized: false,
  };
  await run(["recordings"], "readwrite", (tx) => tx.objectStore("recordings").put(recording));
  return recording;
}

/** Queues one chunk at the recording's next offset, in one transaction so offsets never skip. */
export async function appendChunk(recordingLocalId, blob, endSecond) {
  let chunk = null;
  await run(["recordings", "chunks"], "readwrite", (tx) => {
    const recordings = tx.objectStore("recordings");
    recordings.get(recordingLocalId).onsuccess = (event) => {
      const recording = event.target.result;
      if (!recording) return tx.abort();
      chunk = { recordingLocalId, seq: recording.nextSeq, offset: recording.bytesQueued, size: blob.size, blob, endSecond };
      tx.objectStore("chunks").put(chunk);
      recording.nextSeq += 1;
      recording.bytesQueued += blob.size;
      recording.secondsRecorded = Math.max(recording.secondsRecorded, endSecond);
      recordings.put(recording);
    };
  });
  return chunk;
}

/** The recording's queued chunks, oldest first. */
export async function chunksOf(recordingLocalId) {
  const range = IDBKeyRange.bound([recordingLocalId, 0], [recordingLocalId, Number.MAX_SAFE_INTEGER]);
  return run(["chunks"], "readonly", (tx) => done(tx.objectStore("chunks").getAll(range)));
}

/** The server holds the recording up to `safeOffset`: drop the chunks it covers. */
export async function markSafe(recordingLocalId, safeOffset, safeSeconds) {
  await run(["recordings", "chunks"], "readwrite", (tx) => {
    const chunks = tx.objectStore("chunks");
    const range = IDBKeyRange.bound([recordingLocalId, 0], [recordingLocalId, Number.MAX_SAFE_INTEGER]);
    chunks.getAll(range).onsuccess = (event) => {
      for (const chunk of event.target.result) {
        if (chunk.offset + chunk.size <= safeOffset) chunks.delete([recordingLocalId, chunk.seq]);
      }
    };
    const recordings = tx.objectStore("recordings");
    recordings.get(recordingLocalId).onsuccess = (event) => {
      const recording = event.target.result;
      if (!recording) return;
      recording.bytesSafe = Math.max(recording.bytesSafe, safeOffset);
      recording.secondsSafe = Math.max(recording.secondsSafe, safeSeconds);
      recordings.put(recording);
    };
  });
}

/** Merges `patch` into a stored record. */
export async function update(store, localId, patch) {
  let merged = null;
  await run([store], "readwrite", (tx) => {
    const objects = tx.objectStore(store);
    objects.get(localId).onsuccess = (event) => {
      if (!event.target.result) return;
      merged = { ...event.target.result, ...patch };
      objects.put(merged);
    };
  });
  return merged;
}

export async function get(store, localId) {
  return run([store], "readonly", (tx) => done(tx.objectStore(store).get(localId)));
}

export async function all(store) {
  return run([store], "readonly", (tx) => done(tx.objectStore(store).getAll()));
}

export async function recordingsOf(encounterLocalId) {
  const recordings = await run(["recordings"], "readonly", (tx) =>
    done(tx.objectStore("recordings").index("byEncounter").getAll(encounterLocalId)),
  );
  return recordings.sort((a, b) => a.startedAt - b.startedAt);
}

/** Forgets an encounter whose every byte the server holds and which the server has ended. */
export async function forgetEncounter(encounterLocalId) {
  const recordings = await recordingsOf(encounterLocalId);
  await run(["encounters", "recordings", "chunks"], "readwrite", (tx) => {
    tx.objectStore("encounters").delete(encounterLocalId);
    for (const recording of recordings) {
      tx.objectStore("recordings").delete(recording.localId);
      const range = IDBKeyRange.bound([recording.localId, 0], [recording.localId, Number.MAX_SAFE_INTEGER]);
      tx.objectStore("chunks").delete(range);
    }
  });
}
