// Reports made without a connection (issue 6): every report is first written to this phone's
// outbox (IndexedDB, with its photos), then sent; what could not be sent waits here, shown as
// "waiting to send", and goes when the connection returns. Each report and photo carries an id
// chosen here, so a send that reached the server but lost its answer is answered, when tried
// again, with what the first send stored: a retry never makes two. Bounded: a full outbox
// refuses new reports rather than fill the phone. What was sent is deleted from the phone at
// once; a report the server refused keeps only its words and the server's reason, until the
// person reads it and dismisses it.

import { api, authHeaders, problemOf, session, ApiError, NetworkError } from "./api.js";

const DB_NAME = "amparo-outbox";
/** The most reports waiting at once, and the most bytes of photos waiting in all. */
export const MAX_WAITING = 20;
export const MAX_PHOTO_BYTES = 40 * 1024 * 1024;
/** Refusals that may pass (rate limit, timeouts, a server restarting): tried again later. */
const TRY_AGAIN = new Set([408, 429, 500, 502, 503, 504]);

/** Fires "change" whenever the outbox changes. */
export const outbox = new EventTarget();

let opened = null;
function db() {
  opened ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => {
      request.result.createObjectStore("reports", { keyPath: "id" });
      request.result.createObjectStore("photos", { keyPath: "id" }).createIndex("byReport", "report");
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  return opened;
}

async function run(stores, mode, body) {
  const transaction = (await db()).transaction(stores, mode);
  const result = body(transaction);
  await new Promise((resolve, reject) => {
    transaction.oncomplete = resolve;
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error ?? new Error("IndexedDB transaction aborted"));
  });
  return result;
}

const all = (store, query) =>
  run([store], "readonly", (tx) => {
    const request = query ? tx.objectStore(store).index("byReport").getAll(query) : tx.objectStore(store).getAll();
    return new Promise((resolve) => (request.onsuccess = () => resolve(request.result)));
  });

/** A random UUID (v4), also where `crypto.randomUUID` is missing. */
export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The reports of this account waiting to be sent, oldest first, each with its photo count. */
export async function waiting() {
  const me = session()?.account?.id;
  const reports = (await all("reports")).filter((r) => r.owner === me).sort((a, b) => a.queuedAt - b.queuedAt);
  const photos = await all("photos");
  return reports.map((r) => ({ ...r, photos: photos.filter((p) => p.report === r.id).length }));
}

/** Keeps a report (the JSON the API takes, without `id`) and its photos on this phone. Throws
 * an Error with `key` (a translation key) when the outbox is full. */
export async function keep(body, files) {
  const reports = await all("reports");
  if (reports.length >= MAX_WAITING) throw Object.assign(new Error("outbox full"), { key: "outbox.full" });
  const used = (await all("photos")).reduce((sum, p) => sum + p.blob.size, 0);
  const room = MAX_PHOTO_BYTES - used;
  let total = 0;
  const photos = [];
  for (const file of files) {
    total += file.size;
    if (total > room) throw Object.assign(new Error("outbox full"), { key: "outbox.photos_full" });
    photos.push(file);
  }
  const entry = { id: uuid(), owner: session()?.account?.id ?? null, queuedAt: Date.now(), body, photosSent: 0, photoRefusals: [] };
  await run(["reports", "photos"], "readwrite", (tx) => {
    tx.objectStore("reports").put(entry);
    for (const [i, blob] of photos.entries()) tx.objectStore("photos").put({ id: uuid(), report: entry.id, order: i, blob, type: blob.type });
  });
  outbox.dispatchEvent(new Event("change"));
  return entry;
}

/** Deletes a waiting (or refused) report and its photos from this phone. */
export async function discard(id) {
  const photos = await all("photos", id);
  await run(["reports", "photos"], "readwrite", (tx) => {
    tx.objectStore("reports").delete(id);
    for (const p of photos) tx.objectStore("photos").delete(p.id);
  });
  outbox.dispatchEvent(new Event("change"));
}

async function sendPhoto(report, photo) {
  let response;
  try {
    response = await fetch(`/api/v1/reports/${encodeURIComponent(report)}/photos?id=${encodeURIComponent(photo.id)}`, {
      method: "POST",
      headers: { ...authHeaders(), "Content-Type": photo.type || "application/octet-stream" },
      body: photo.blob,
    });
  } catch (error) {
    throw new NetworkError(error?.message ?? "network error");
  }
  if (!response.ok) throw await problemOf(response);
}

/** Sends one report, then its photos one by one. Resolves to what happened to it: "sent" (with
 * the photos sent and the server's refusals of some), "refused" (with the server's words), or
 * "waiting" (no connection, or the server asked to wait). */
async function send(entry) {
  try {
    await api("/api/v1/reports", { method: "POST", json: { ...entry.body, id: entry.id } });
  } catch (failure) {
    if (failure instanceof ApiError && !TRY_AGAIN.has(failure.status)) {
      // Kept to be read (with the reason), never sent again; its photos go now.
      const photos = await all("photos", entry.id);
      const refused = { ...entry, refused: failure.detail || failure.message };
      await run(["reports", "photos"], "readwrite", (tx) => {
        tx.objectStore("reports").put(refused);
        for (const p of photos) tx.objectStore("photos").delete(p.id);
      });
      return { id: entry.id, state: "refused", detail: refused.refused };
    }
    return { id: entry.id, state: "waiting" };
  }
  const photos = (await all("photos", entry.id)).sort((a, b) => a.order - b.order);
  for (const photo of photos) {
    try {
      await sendPhoto(entry.id, photo);
      entry.photosSent += 1;
    } catch (failure) {
      if (!(failure instanceof ApiError) || TRY_AGAIN.has(failure.status)) {
        await run(["reports"], "readwrite", (tx) => tx.objectStore("reports").put(entry));
        return { id: entry.id, state: "waiting" };
      }
      entry.photoRefusals.push(failure.detail || failure.message);
    }
    await run(["reports", "photos"], "readwrite", (tx) => {
      tx.objectStore("photos").delete(photo.id);
      tx.objectStore("reports").put(entry);
    });
  }
  await discard(entry.id);
  return { id: entry.id, state: "sent", photosSent: entry.photosSent, photoRefusals: entry.photoRefusals };
}

let sending = null;
/** Sends every waiting report of this account, oldest first (one tab at a time); stops at the
 * first that must wait. Resolves to what happened to each report tried. */
export function flush() {
  sending ??= (async () => {
    const results = [];
    const work = async () => {
      for (const entry of (await waiting()).filter((e) => !e.refused)) {
        const result = await send(entry);
        results.push(result);
        if (result.state === "waiting") break;
      }
    };
    try {
      if (navigator.locks) await navigator.locks.request("amparo-outbox", work);
      else await work();
    } finally {
      sending = null;
      outbox.dispatchEvent(new Event("change"));
    }
    return results;
  })();
  return sending;
}

/** Sends what waits when the connection returns, at start, and every half minute. */
export function startOutbox() {
  const kick = () => flush().catch(() => {});
  window.addEventListener("online", kick);
  setInterval(kick, 30_000);
  kick();
}
