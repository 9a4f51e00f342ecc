// Plays a recording while it is still arriving, a few seconds behind: Media Source Extensions fed
// with the bytes the server holds (`media?from=N`), fetched again whenever a chunk arrives.
// Bytes are appended strictly in order, one append at a time; when the browser's buffer is full
// (QuotaExceededError) what was already played is dropped and the append retried.

import { authHeaders, problemOf } from "./api.js";

const BEHIND_S = 3; // how far behind the newest second playback starts
const START_S = 1.5; // buffered before playback starts
const TOO_FAR_S = 12; // further behind than this (a stall, a slow phone): jump forward
const KEEP_S = 30; // seconds already played that stay buffered (for a glance back)

/** The MSE type to ask for: the recording's own, or what its container alone allows. */
export function playableType(mediaType) {
  if (typeof MediaSource === "undefined" || !mediaType) return null;
  const container = mediaType.split(";")[0].trim();
  const candidates = [mediaType, container];
  if (container === "video/webm") candidates.push("video/webm;codecs=vp8,opus", "video/webm;codecs=vp9,opus");
  if (container === "audio/webm") candidates.push("audio/webm;codecs=opus");
  return candidates.find((type) => MediaSource.isTypeSupported(type)) ?? null;
}

/** One recording into one <video>. `more()` after each progress event; `close()` when done. */
export class LivePlayer extends EventTarget {
  constructor(video, encounterId, recording) {
    super();
    Object.assign(this, { video, encounterId, recording });
    this.offset = 0;
    this.pending = []; // fetched, not yet appended
    this.fetching = false;
    this.wanted = false;
    this.closed = false;
    this.type = playableType(recording.media_type);
    if (!this.type) {
      this.unsupported = true;
      return;
    }
    this.source = new MediaSource();
    this.url = URL.createObjectURL(this.source);
    this.ready = new Promise((resolve) => this.source.addEventListener("sourceopen", resolve, { once: true }));
    video.src = this.url;
    this.ready.then(() => {
      if (this.closed) return;
      this.buffer = this.source.addSourceBuffer(this.type);
      this.buffer.addEventListener("updateend", () => this.pump());
      this.pump();
    });
  }

  /** Fetches what arrived since the last fetch, up to `known` bytes if a progress message said
   * so (one request at a time; an answer is capped, so it asks again until it has caught up). */
  async more(known = 0) {
    if (this.unsupported || this.closed) return;
    this.known = Math.max(this.known ?? 0, known);
    this.wanted = true;
    if (this.fetching) return;
    this.fetching = true;
    try {
      while ((this.wanted || this.offset < this.known) && !this.closed) {
        this.wanted = false;
        const before = this.offset;
        const path = `/api/v1/encounters/${this.encounterId}/recordings/${this.recording.id}/media?from=${this.offset}`;
        const response = await fetch(path, { headers: authHeaders() });
        if (!response.ok) throw await problemOf(response);
        const bytes = await response.arrayBuffer();
        const next = Number(response.headers.get("Amparo-Next-Offset"));
        this.offset = Number.isFinite(next) && next >= this.offset ? next : this.offset + bytes.byteLength;
        if (bytes.byteLength > 0) {
          this.pending.push(bytes);
          this.pump();
        }
        if (this.offset === before) break; // nothing more yet, whatever a message said
      }
    } catch (error) {
      this.dispatchEvent(new CustomEvent("failure", { detail: error }));
    } finally {
      this.fetching = false;
    }
  }

  /** Appends the next piece if the buffer is free; called again on every updateend. */
  pump() {
    const buffer = this.buffer;
    if (!buffer || this.closed || buffer.updating || this.source.readyState !== "open") return;
    this.keepUp();
    if (this.trimIfOld()) return;
    const next = this.pending[0];
    if (!next) return;
    try {
      buffer.appendBuffer(next);
      this.pending.shift();
    } catch (error) {
      if (error.name !== "QuotaExceededError") {
        this.dispatchEvent(new CustomEvent("failure", { detail: error }));
        return;
      }
      // Full: drop what was played and try again; if nothing can go yet, wait for playback.
      const played = this.video.currentTime - 1;
      if (buffer.buffered.length && played > buffer.buffered.start(0)) buffer.remove(0, played);
      else setTimeout(() => this.pump(), 1000);
    }
  }

  /** Removes what was played long ago, so a long encounter does not fill the phone's memory.
   * Returns true if a removal started (its updateend pumps again). */
  trimIfOld() {
    const ranges = this.buffer.buffered;
    const cut = this.video.currentTime - KEEP_S;
    if (ranges.length === 0 || cut <= ranges.start(0) + 5) return false;
    this.buffer.remove(0, cut);
    return true;
  }

  /** Starts playback once a second and a half has arrived (so it does not stall at the edge
   * waiting for each chunk), a few seconds behind the newest; jumps forward over a gap or a long
   * stall rather than falling ever further behind; never jumps back. */
  keepUp() {
    const ranges = this.buffer.buffered;
    if (ranges.length === 0) return;
    const last = ranges.length - 1;
    const end = ranges.end(last);
    const now = this.video.currentTime;
    const target = Math.max(ranges.start(last), end - BEHIND_S);
    if (!this.started) {
      if (end - ranges.start(last) < START_S && !this.complete) return;
      this.started = true;
      this.video.currentTime = target;
      this.video.play().catch(() => {
        // Autoplay refused even muted (a power-saving mode): the screen offers a play button.
        this.dispatchEvent(new Event("blocked"));
      });
      return;
    }
    const inGap = ![...Array(ranges.length).keys()].some((i) => now >= ranges.start(i) - 0.1 && now <= ranges.end(i) + 0.1);
    if ((inGap && now < ranges.start(last)) || end - now > TOO_FAR_S) this.video.currentTime = target;
  }

  /** No more bytes will come (the encounter ended, or a newer recording started): play what
   * there is even if it is short. */
  finish() {
    this.complete = true;
    this.pump();
  }

  close() {
    this.closed = true;
    if (this.url) URL.revokeObjectURL(this.url);
    if (this.video.src === this.url) this.video.removeAttribute("src");
  }
}
