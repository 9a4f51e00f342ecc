// One live call between a person at a stop and an attorney: a WebRTC peer connection whose
// signaling travels on the live WebSocket (docs/attorney-line.md). The attorney, who accepted the
// call, makes the offer; the person answers. Each side sends `{description}` and `{candidate}` as
// `signal` messages and either side may send `hangup`.
//
// The person's side adds the tracks of the stream the recorder is already capturing: the same
// camera and microphone, shared, so the recording to the evidence log goes on during the call and
// nothing here ever stops those tracks. The attorney's side owns its own camera.

import { api } from "./api.js";
import { send } from "./live.js";

/** ICE servers from the server (`GET /api/v1/turn`): short-lived TURN credentials and STUN. */
export async function iceServers() {
  try {
    const answer = await api("/api/v1/turn");
    return (answer?.ice_servers ?? []).map(({ urls, username, credential }) => ({ urls, username, credential }));
  } catch {
    // No TURN configured or no answer: direct paths may still work (same network, open NAT).
    return [];
  }
}

/** Fires "remote" (detail: the remote MediaStream), "state" (detail: connectionState) and
 * "ended" (detail: { by: "me" | "peer" | "failure" }). */
export class Call extends EventTarget {
  /**
   * @param {object} options
   * @param {string} options.encounter the encounter the call is about
   * @param {"attorney"|"member"} options.role this side; the attorney makes the offer
   * @param {MediaStream|null} options.stream what this side sends (not stopped by the call)
   * @param {RTCIceTransportPolicy} [options.iceTransportPolicy] "relay" to hide one's address
   */
  constructor({ encounter, role, stream, iceTransportPolicy = "all" }) {
    super();
    Object.assign(this, { encounter, role, stream, iceTransportPolicy });
    this.pc = null;
    this.remoteStream = new MediaStream();
    this.ended = false;
    this.pendingCandidates = [];
    // Signaling is applied strictly in order: the offer before its candidates, whatever the timing
    // of the TURN fetch that comes first.
    this.work = this.setUp().catch((error) => this.fail(error));
    window.amparoCall = this; // for the browser tests' getStats, and for a debugging person
  }

  async setUp() {
    const servers = await iceServers();
    if (this.ended) return;
    const pc = new RTCPeerConnection({ iceServers: servers, iceTransportPolicy: this.iceTransportPolicy });
    this.pc = pc;
    for (const track of this.stream?.getTracks() ?? []) pc.addTrack(track, this.stream);
    if (!this.stream?.getAudioTracks().length) pc.addTransceiver("audio", { direction: "recvonly" });
    if (!this.stream?.getVideoTracks().length) pc.addTransceiver("video", { direction: "recvonly" });
    pc.onicecandidate = (event) => {
      if (event.candidate) this.signal({ candidate: event.candidate.toJSON() });
    };
    pc.ontrack = (event) => {
      // The other side sends its tracks in one stream: show that stream as it is.
      if (event.streams[0]) this.remoteStream = event.streams[0];
      else if (!this.remoteStream.getTracks().includes(event.track)) this.remoteStream.addTrack(event.track);
      this.dispatchEvent(new CustomEvent("remote", { detail: this.remoteStream }));
    };
    pc.onconnectionstatechange = () => {
      this.dispatchEvent(new CustomEvent("state", { detail: pc.connectionState }));
      if (pc.connectionState === "failed") this.fail(new Error("the connection failed"));
    };
    if (this.role === "attorney") {
      await pc.setLocalDescription(await pc.createOffer());
      this.signal({ description: pc.localDescription.toJSON() });
    }
  }

  /** A `signal` message from the other side. */
  receive(data) {
    this.work = this.work.then(() => this.apply(data)).catch((error) => this.fail(error));
    return this.work;
  }

  async apply(data) {
    const pc = this.pc;
    if (this.ended || !pc) return;
    if (data?.description) {
      await pc.setRemoteDescription(data.description);
      if (data.description.type === "offer") {
        await pc.setLocalDescription(await pc.createAnswer());
        this.signal({ description: pc.localDescription.toJSON() });
      }
      for (const candidate of this.pendingCandidates.splice(0)) await pc.addIceCandidate(candidate);
    } else if (data?.candidate) {
      if (pc.remoteDescription) await pc.addIceCandidate(data.candidate);
      else this.pendingCandidates.push(data.candidate);
    }
  }

  signal(data) {
    send({ type: "signal", encounter: this.encounter, data });
  }

  /** Ends the call; `tell` sends `hangup` to the other side (not when they hung up). */
  hangUp(tell = true, by = "me") {
    if (this.ended) return;
    this.ended = true;
    if (tell) send({ type: "hangup", encounter: this.encounter });
    this.pc?.close(); // closes the connection only: the shared tracks keep recording
    for (const track of this.remoteStream.getTracks()) track.stop();
    this.dispatchEvent(new CustomEvent("ended", { detail: { by } }));
  }

  fail(error) {
    console.error("call:", error);
    this.hangUp(true, "failure");
  }
}
