// The attorney's side of the attorney line: on duty or not (lib/live.js says it again after every
// reconnect, with a heartbeat every 3 s), the calls ringing now (`offer`, until accepted, declined,
// withdrawn or expired), and the call in progress with the attorney's own camera.

import { feed, send, setDuty, dutyWanted } from "./live.js";
import { settings } from "./settings.js";
import { Call } from "./call.js";

/** Fires "change" on anything the console or the ring shows (detail: what changed). */
export const desk = new EventTarget();

/** What the console shows: the server's answer to `duty`, offers ringing, why one was withdrawn or
 * refused, and the call in progress ({ encounter, peer, call, localStream }). */
export const deskState = { duty: null, dutyError: null, offers: new Map(), notice: null, current: null };

export function startDesk() {
  feed.addEventListener("duty", (event) => {
    deskState.duty = event.detail;
    deskState.dutyError = null;
    changed("duty");
  });
  feed.addEventListener("error", (event) => {
    // Refused duty (no vetted profile, say) comes as an error about no encounter.
    if (event.detail.encounter || !dutyWanted() || deskState.duty?.on) return;
    deskState.dutyError = event.detail.detail ?? "";
    changed("duty");
  });
  feed.addEventListener("offer", (event) => {
    deskState.offers.set(event.detail.encounter, event.detail);
    deskState.notice = null;
    changed("offer");
    navigator.vibrate?.([400, 200, 400, 200, 400]);
  });
  feed.addEventListener("offer_withdrawn", (event) => {
    if (deskState.offers.delete(event.detail.encounter)) deskState.notice = { kind: "withdrawn", reason: event.detail.reason };
    changed("offer");
  });
  feed.addEventListener("accept_refused", (event) => {
    deskState.offers.delete(event.detail.encounter);
    deskState.notice = { kind: "refused", reason: event.detail.reason };
    changed("offer");
  });
  feed.addEventListener("call", (event) => {
    if (event.detail.role === "attorney") connect(event.detail);
  });
  feed.addEventListener("signal", (event) => {
    const current = deskState.current;
    if (current?.encounter === event.detail.encounter && event.detail.from !== "attorney") current.call?.receive(event.detail.data);
  });
  feed.addEventListener("hangup", (event) => {
    const current = deskState.current;
    if (current?.encounter !== event.detail.encounter) return;
    if (current.call) current.call.hangUp(false, "peer");
    else current.hungUp = true; // before our camera opened: connect() sees it
  });
  feed.addEventListener("state", (event) => {
    // A dropped connection may have cost the server our duty: the console shows it unconfirmed
    // until the server answers the `duty` sent again on reconnect.
    if (event.detail.state !== "ready" && deskState.duty) {
      deskState.duty = null;
      changed("duty");
    }
  });
}

export function goOnDuty(on) {
  deskState.duty = null;
  deskState.dutyError = null;
  setDuty(on);
  if (!on) deskState.offers.clear();
  changed("duty");
}

export { dutyWanted };

export function accept(encounter) {
  deskState.notice = null;
  send({ type: "accept", encounter });
  changed("offer");
}

export function decline(encounter) {
  deskState.offers.delete(encounter);
  send({ type: "decline", encounter });
  changed("offer");
}

export function hangUp() {
  const current = deskState.current;
  if (current?.call) return current.call.hangUp(true);
  if (current) {
    send({ type: "hangup", encounter: current.encounter });
    current.hungUp = true;
  }
}

async function connect(message) {
  if (deskState.current) hangUp();
  deskState.offers.delete(message.encounter);
  // The encounter's facts come with the peer (as in `offer`); read them wherever they are.
  const peer = { ...message, ...(message.peer ?? {}) };
  const current = { encounter: message.encounter, peer, call: null, localStream: null };
  deskState.current = current;
  changed("call");
  current.localStream = await camera();
  if (current.hungUp || deskState.current !== current) {
    for (const track of current.localStream?.getTracks() ?? []) track.stop();
    if (deskState.current === current) deskState.current = null;
    return changed("call");
  }
  current.call = new Call({
    encounter: message.encounter,
    role: "attorney",
    stream: current.localStream,
    iceTransportPolicy: settings.callsRelayOnly ? "relay" : "all",
  });
  current.call.addEventListener("ended", () => {
    for (const track of current.localStream?.getTracks() ?? []) track.stop();
    if (deskState.current === current) deskState.current = null;
    changed("call");
  });
  changed("call");
}

/** The attorney's camera and microphone; the microphone alone, or nothing, still takes the call. */
async function camera() {
  for (const constraints of [{ video: true, audio: true }, { audio: true }]) {
    try {
      return await navigator.mediaDevices.getUserMedia(constraints);
    } catch {
      // Try with less.
    }
  }
  return null;
}

function changed(what) {
  desk.dispatchEvent(new CustomEvent("change", { detail: what }));
}
