// Camera and microphone to the queue: MediaRecorder hands over a chunk about every second, each
// is written to IndexedDB in order and the uploader is woken. Recording never waits for the
// network; the network only decides how soon each second is safe on the server.

import * as queue from "./queue.js";
import { kick } from "./uploader.js";
import { session } from "./api.js";
import { settings } from "./settings.js";
import { currentLanguage } from "./i18n.js";

export const TIMESLICE_MS = 1000;

/** Why the camera or microphone could not start, as a key of the translation file. */
export class CaptureError extends Error {
  constructor(key, cause) {
    super(key);
    this.key = key;
    this.cause = cause;
  }
}

/** The formats this browser can record, preferred first (Chromium: WebM; iPhone: MP4). */
export function recordableFormats() {
  if (typeof MediaRecorder === "undefined") return [];
  const formats = [
    { id: "webm", type: "video/webm;codecs=vp8,opus" },
    { id: "webm", type: "video/webm" },
    { id: "mp4", type: "video/mp4;codecs=avc1,mp4a.40.2" },
    { id: "mp4", type: "video/mp4" },
  ];
  return formats.filter((f) => MediaRecorder.isTypeSupported(f.type));
}

function chooseFormat() {
  const formats = recordableFormats();
  return (formats.find((f) => f.id === settings.format) ?? formats[0])?.type ?? "";
}

async function openCamera() {
  if (!navigator.mediaDevices?.getUserMedia) throw new CaptureError("error.capture_unsupported");
  const video = { facingMode: { ideal: settings.facingMode }, width: { ideal: 1280 }, height: { ideal: 720 } };
  try {
    return { stream: await navigator.mediaDevices.getUserMedia({ video, audio: true }), audioOnly: false };
  } catch (error) {
    if (error?.name === "NotAllowedError" || error?.name === "SecurityError") {
      throw new CaptureError("error.camera_blocked", error);
    }
    // No camera, or one another app holds: sound alone is still evidence.
    try {
      return { stream: await navigator.mediaDevices.getUserMedia({ audio: true }), audioOnly: true };
    } catch (second) {
      const key = second?.name === "NotAllowedError" ? "error.camera_blocked" : "error.no_camera";
      throw new CaptureError(key, second);
    }
  }
}

function currentPosition() {
  if (!settings.shareLocation || !navigator.geolocation) return Promise.resolve(null);
  return new Promise((resolve) => {
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({ latitude: p.coords.latitude, longitude: p.coords.longitude, accuracy_m: p.coords.accuracy }),
      () => resolve(null),
      { enableHighAccuracy: false, timeout: 1500, maximumAge: 60_000 },
    );
  });
}

/** A live recording: `stop()` ends it; `secondsRecorded()` for the screen. */
export class LiveRecording extends EventTarget {
  constructor(encounter, recording, stream, mediaRecorder, audioOnly) {
    super();
    Object.assign(this, { encounter, recording, stream, mediaRecorder, audioOnly });
    this.startedAt = performance.now();
    this.written = Promise.resolve();
    this.stopped = false;
  }

  secondsRecorded() {
    return this.stopped ? this.finalSeconds : (performance.now() - this.startedAt) / 1000;
  }

  /** Stops recording; resolves when the last chunk is queued. The encounter stays open. */
  async stop() {
    if (this.stopped) return;
    this.finalSeconds = this.secondsRecorded();
    this.stopped = true;
    if (this.mediaRecorder.state !== "inactive") {
      // The last chunk arrives (dataavailable) before "stop"; a recorder that never says stop
      // must not keep the person from ending the encounter.
      const flushed = new Promise((resolve) => this.mediaRecorder.addEventListener("stop", resolve, { once: true }));
      this.mediaRecorder.stop();
      await Promise.race([flushed, new Promise((resolve) => setTimeout(resolve, 3000))]);
    }
    await this.written;
    for (const track of this.stream.getTracks()) track.stop();
    await queue.update("recordings", this.recording.localId, { state: "stopped" });
    this.releaseLock?.();
    this.dispatchEvent(new Event("stopped"));
    kick();
  }
}

/** Starts the camera and a new encounter (or a new recording of `existing`, after a reload). */
export async function startRecording({ situation, existing = null }) {
  const [{ stream, audioOnly }, location] = await Promise.all([openCamera(), existing ? null : currentPosition()]);
  const mediaType = chooseFormat();
  let mediaRecorder;
  try {
    mediaRecorder = new MediaRecorder(stream, {
      mimeType: mediaType || undefined,
      // Modest bitrates: each second must reach the server over a weak phone connection.
      videoBitsPerSecond: 1_000_000,
      audioBitsPerSecond: 64_000,
    });
  } catch (error) {
    for (const track of stream.getTracks()) track.stop();
    throw new CaptureError("error.capture_unsupported", error);
  }
  const encounter =
    existing ??
    (await queue.createEncounter({
      owner: session()?.account?.id,
      startedAt: Date.now(),
      situation,
      start: {
        language: currentLanguage(),
        us_state: settings.usState || undefined,
        location: location ?? undefined,
        wants_attorney: Boolean(settings.askAttorney && settings.attorneyLine),
      },
    }));
  const recording = await queue.createRecording(encounter.localId, mediaRecorder.mimeType || mediaType || "video/webm");
  const live = new LiveRecording(encounter, recording, stream, mediaRecorder, audioOnly);
  holdLock(live);
  mediaRecorder.addEventListener("dataavailable", (event) => {
    if (!event.data || event.data.size === 0) return;
    const endSecond = (performance.now() - live.startedAt) / 1000;
    live.written = live.written
      .then(() => queue.appendChunk(recording.localId, event.data, endSecond))
      .then(() => {
        live.dispatchEvent(new CustomEvent("chunk", { detail: { endSecond, size: event.data.size } }));
        kick();
      })
      .catch((error) => live.dispatchEvent(new CustomEvent("failure", { detail: { key: "error.storage", error } })));
  });
  mediaRecorder.addEventListener("error", (event) => {
    live.dispatchEvent(new CustomEvent("failure", { detail: { key: "error.recorder", error: event.error } }));
    live.stop();
  });
  for (const track of stream.getTracks()) {
    // The system took the camera or microphone away (a call came in, permission revoked).
    track.addEventListener("ended", () => {
      if (live.stopped) return;
      live.dispatchEvent(new CustomEvent("failure", { detail: { key: "error.track_ended" } }));
      live.stop();
    });
  }
  mediaRecorder.start(TIMESLICE_MS);
  keepScreenOn(live);
  kick(); // creates the encounter and the upload while the first second records
  return live;
}

/** A phone whose screen locks stops the camera: keep it on while recording (discreet mode only
 * paints it black). The system drops the lock when the page is hidden; take it again on return. */
function keepScreenOn(live) {
  if (!navigator.wakeLock) return;
  let sentinel = null;
  const acquire = async () => {
    if (live.stopped || document.visibilityState !== "visible") return;
    try {
      sentinel = await navigator.wakeLock.request("screen");
    } catch {
      // Battery saver may refuse; recording goes on regardless.
    }
  };
  document.addEventListener("visibilitychange", acquire);
  live.addEventListener("stopped", () => {
    document.removeEventListener("visibilitychange", acquire);
    sentinel?.release().catch(() => {});
  });
  acquire();
}

/** A Web Lock held while this tab records, so a reload in another tab knows it is still live. */
function holdLock(live) {
  if (!navigator.locks) return;
  navigator.locks.request(`amparo-recording-${live.recording.localId}`, () => new Promise((resolve) => (live.releaseLock = resolve)));
}

/** After a reload or a crashed tab: recordings no tab is recording any more are marked stopped,
 * so the uploader finishes them. Resolves to the encounters still open on this device. */
export async function recoverInterrupted() {
  const held = new Set();
  if (navigator.locks?.query) {
    for (const lock of (await navigator.locks.query()).held ?? []) held.add(lock.name);
  }
  for (const recording of await queue.all("recordings")) {
    if (recording.state === "recording" && !held.has(`amparo-recording-${recording.localId}`)) {
      await queue.update("recordings", recording.localId, { state: "stopped", interrupted: true });
    }
  }
  const me = session()?.account?.id;
  return (await queue.all("encounters")).filter((e) => e.owner === me && !e.endRequested);
}

/** Asks to end an encounter (`outcome` "detained" if it ended in detention): the server is told
 * as soon as the network allows. */
export async function endEncounter(encounterLocalId, outcome = null) {
  await queue.update("encounters", encounterLocalId, { endRequested: true, endedAt: Date.now(), endOutcome: outcome });
  kick();
}

/** "I'm being detained": kept on the phone first, so it reaches the server (and the prepared
 * messages go out) even if the network is down right now. */
export async function markDetained(encounterLocalId) {
  await queue.update("encounters", encounterLocalId, { detainRequested: true, detainedAt: Date.now() });
  kick();
}
