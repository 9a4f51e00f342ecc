// The live channel: one WebSocket to the server that brings alerts (someone in the household was
// stopped, an attorney joined, the recording went silent, they were detained) and, for the
// encounters this page follows, every chunk's arrival and every change of state. It also carries
// the attorney line (docs/attorney-line.md): an attorney's duty and its heartbeat, offers, and a
// call's signaling, for either side.
//
// Browsers cannot set headers on a WebSocket, so the session token is the first message. The
// server pings; when the socket closes we reconnect with a growing, jittered delay, except on
// 4401 (the session is no longer valid: the person has to log in again).

import { api, session, ApiError } from "./api.js";

/** Fires each server message by its type, with the message as `detail` (see MESSAGES), "state"
 * ({ state: "connecting" | "ready" | "closed" }) and "unauthorized". */
export const feed = new EventTarget();
export const liveStatus = { state: "closed" };

const UNAUTHORIZED = 4401;
const MAX_DELAY_MS = 15_000;
/** An attorney on duty says so every 3 s; the server stops offering calls after 10 s of silence. */
const HEARTBEAT_MS = 3000;
const MESSAGES = [
  "alert",
  "progress",
  "live",
  "error",
  // The attorney line: the attorney's side, the member's side, and an organization's admins.
  "duty",
  "offer",
  "offer_withdrawn",
  "accept_refused",
  "call",
  "attorney_status",
  "signal",
  "hangup",
  "coverage_gap",
  // The rapid-response network: a verified incident in one's watch areas, updated or withdrawn.
  "incident",
  // Legal observers, responders only (docs/legal-observers.md).
  "observer_offer",
  "observer_offer_withdrawn",
  "observer_accept_refused",
  "observers",
  "observer_cancelled",
  "observer_availability",
];

let socket = null;
let token = null;
let attempts = 0;
let reconnect = null;
const followed = new Map(); // encounter id -> how many screens follow it
let onDuty = false; // this attorney asked to be on duty: said again after every reconnect
let heartbeat = null;

/** Connects with the current session (or reconnects if the session changed); disconnects when
 * there is none. Safe to call on every navigation. */
export function ensureConnected() {
  const current = session()?.token ?? null;
  if (current === token && (socket || reconnect)) return;
  disconnect();
  token = current;
  if (token) open();
}

export function disconnect() {
  if (onDuty) setDuty(false); // off duty with the session that was on it
  clearTimeout(reconnect);
  reconnect = null;
  token = null;
  if (socket) {
    const old = socket;
    socket = null;
    old.onclose = null;
    old.close(1000);
  }
  setState("closed");
}

/** Asks for `progress` and `live` messages about an encounter (sent again after a reconnect). */
export function follow(encounterId) {
  followed.set(encounterId, (followed.get(encounterId) ?? 0) + 1);
  send({ type: "follow", encounter: encounterId });
}

/** An attorney goes on duty (or off): sent now if connected and again after every reconnect, with
 * a heartbeat every 3 s while on duty. The server's answer comes as a "duty" message. */
export function setDuty(on) {
  onDuty = Boolean(on);
  clearInterval(heartbeat);
  heartbeat = null;
  if (onDuty) heartbeat = setInterval(() => send({ type: "heartbeat" }), HEARTBEAT_MS);
  send({ type: "duty", on: onDuty });
}

export function dutyWanted() {
  return onDuty;
}

/** Sends a message now; false when the channel is not ready (the caller decides what to do). */
export function send(message) {
  // Before "ready" the follow list and duty are sent in full when the server answers the auth.
  if (socket?.readyState !== WebSocket.OPEN || liveStatus.state !== "ready") return false;
  socket.send(JSON.stringify(message));
  return true;
}

export function unfollow(encounterId) {
  const count = (followed.get(encounterId) ?? 0) - 1;
  if (count > 0) return followed.set(encounterId, count);
  followed.delete(encounterId);
  send({ type: "unfollow", encounter: encounterId });
}

function open() {
  const url = `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/api/v1/live`;
  setState("connecting");
  let ws;
  try {
    ws = new WebSocket(url);
  } catch {
    return scheduleReconnect();
  }
  socket = ws;
  ws.onopen = () => ws.send(JSON.stringify({ type: "auth", token }));
  ws.onmessage = (event) => receive(ws, event);
  ws.onclose = (event) => {
    if (socket !== ws) return;
    socket = null;
    if (event.code === UNAUTHORIZED) return checkSession();
    scheduleReconnect();
  };
}

/** 4401 says "log in again" (a busy server closes with 1013 instead). Logging someone out in the
 * middle of a stop is costly, so the API confirms first: a 401 there logs the person out
 * (lib/api.js announces it); anything else, retry. */
async function checkSession() {
  setState("closed");
  const asked = token;
  try {
    await api("/api/v1/following");
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      if (token === asked) token = null;
      feed.dispatchEvent(new Event("unauthorized"));
      return;
    }
  }
  attempts = Math.max(attempts, 4); // not at once: whatever refused us needs a moment
  if (token === asked) scheduleReconnect();
}

function receive(ws, event) {
  let message;
  try {
    message = JSON.parse(event.data);
  } catch {
    return; // not ours to understand; the next message will be
  }
  if (message.type === "ready") {
    attempts = 0;
    setState("ready");
    for (const id of followed.keys()) ws.send(JSON.stringify({ type: "follow", encounter: id }));
    if (onDuty) ws.send(JSON.stringify({ type: "duty", on: true }));
    return;
  }
  if (MESSAGES.includes(message.type)) {
    feed.dispatchEvent(new CustomEvent(message.type, { detail: message }));
  }
}

function scheduleReconnect() {
  setState("closed");
  if (!token) return;
  attempts += 1;
  const base = Math.min(500 * 2 ** (attempts - 1), MAX_DELAY_MS);
  const delay = base / 2 + Math.random() * (base / 2); // jitter: a restarted server is not stampeded
  clearTimeout(reconnect);
  reconnect = setTimeout(() => {
    reconnect = null;
    if (token) open();
  }, delay);
}

function setState(state) {
  if (liveStatus.state === state) return;
  liveStatus.state = state;
  feed.dispatchEvent(new CustomEvent("state", { detail: { state } }));
}

// A phone that comes back online should not wait out the backoff.
window.addEventListener("online", () => {
  if (token && !socket) {
    clearTimeout(reconnect);
    reconnect = null;
    attempts = 0;
    open();
  }
});
