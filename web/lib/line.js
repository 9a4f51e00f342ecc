// The person's side of the attorney line: where their request stands (`attorney_status`), asking
// for an attorney during a recording or cancelling, and the call itself once an attorney accepts
// (`call`), which sends the camera and microphone the recorder already captures.

import { api } from "./api.js";
import { feed, liveStatus } from "./live.js";
import { settings } from "./settings.js";
import { Call } from "./call.js";

/** Fires "change" whenever a status or the call changes (detail: the encounter id). */
export const line = new EventTarget();

const statuses = new Map(); // encounter id -> the latest attorney_status message
let current = null; // { encounter, call, peer }
let recordingOf = () => null; // the live recording, whose stream the call shares

/** Starts listening; `liveRecording()` returns the recording in progress (or null). */
export function startLine(liveRecording) {
  recordingOf = liveRecording;
  feed.addEventListener("attorney_status", (event) => setStatus(event.detail));
  feed.addEventListener("call", (event) => {
    if (event.detail.role === "member") connect(event.detail);
  });
  feed.addEventListener("signal", (event) => {
    if (current?.encounter === event.detail.encounter && event.detail.from !== "member") current.call.receive(event.detail.data);
  });
  feed.addEventListener("hangup", (event) => {
    if (current?.encounter === event.detail.encounter) current.call.hangUp(false, "peer");
  });
}

/** The latest status of the request for this encounter, or null if none was made. */
export function statusOf(encounter) {
  return statuses.get(encounter) ?? null;
}

/** The call in progress for this encounter, or null. */
export function callOf(encounter) {
  return current?.encounter === encounter ? current : null;
}

function setStatus(message) {
  if (!message?.encounter) return;
  statuses.set(message.encounter, message);
  line.dispatchEvent(new CustomEvent("change", { detail: message.encounter }));
}

/** Where the request stands on the server (after a reload, or a socket that was down). */
export async function refresh(encounter) {
  try {
    const status = await api(`/api/v1/encounters/${encodeURIComponent(encounter)}/attorney-request`);
    if (status) setStatus({ ...status, encounter });
  } catch {
    // None made yet (404) or offline: what the socket said last stays.
  }
}

/** Asks for an attorney now (the button was pressed without asking). */
export async function request(encounter) {
  const status = await api(`/api/v1/encounters/${encodeURIComponent(encounter)}/attorney-request`, { method: "POST" });
  if (status?.status) setStatus({ ...status, encounter });
}

/** Cancels the request, or hangs up a connected call. */
export async function cancel(encounter) {
  if (current?.encounter === encounter) current.call.hangUp(true);
  await api(`/api/v1/encounters/${encodeURIComponent(encounter)}/attorney-request`, { method: "DELETE" });
  await refresh(encounter);
}

/** Hangs up the call: the recording goes on. */
export function hangUp(encounter) {
  if (current?.encounter !== encounter) return;
  const connected = liveStatus.state === "ready";
  current.call.hangUp(true);
  // Without the socket the hangup could not be sent: the API ends it too.
  if (!connected) cancel(encounter).catch(() => {});
}

function connect(message) {
  current?.call.hangUp(true);
  const live = recordingOf();
  // The recorder's own stream, shared: the call never stops or restarts it.
  const stream = live && !live.stopped ? live.stream : null;
  const call = new Call({
    encounter: message.encounter,
    role: "member",
    stream,
    iceTransportPolicy: settings.callsRelayOnly ? "relay" : "all",
  });
  current = { encounter: message.encounter, call, peer: message.peer ?? null };
  call.addEventListener("remote", () => line.dispatchEvent(new CustomEvent("change", { detail: message.encounter })));
  call.addEventListener("ended", () => {
    if (current?.call === call) current = null;
    // Ended here: do not show "connected" until the server says how the request stands.
    if (statusOf(message.encounter)?.status === "connected") statuses.set(message.encounter, { encounter: message.encounter, status: "closed" });
    line.dispatchEvent(new CustomEvent("change", { detail: message.encounter }));
  });
  line.dispatchEvent(new CustomEvent("change", { detail: message.encounter }));
}
