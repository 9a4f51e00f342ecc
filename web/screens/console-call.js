// The call in progress, in the attorney console: the person's video and the attorney's own, the
// encounter's facts (where, when, language, state, the person's note), whether their phone is
// still recording to the evidence log (followed as the follow screen does), hanging up, and notes
// written during the call, which are kept with the encounter's evidence.

import { h, clock, mount } from "../lib/dom.js";
import { t } from "../lib/i18n.js";
import { api, ApiError } from "../lib/api.js";
import { feed, follow, unfollow } from "../lib/live.js";
import { hangUp } from "../lib/desk.js";
import { whereView, fromLocation, timeOf } from "./where.js";
import { languageName } from "./ring.js";

const POLL_MS = 3000;

/** The call's section; returns { element, update, stop }: update when the call's media is ready
 * (the attorney's camera opens after the call connects), stop when the console is left or it ends. */
export function callView(current) {
  const { encounter, peer } = current;
  const remote = h("video", { class: "preview console-remote", id: "console-remote-video", playsinline: true, autoplay: true, "aria-label": t("console.remote_video") });
  const local = h("video", { class: "console-local", id: "console-local-video", playsinline: true, autoplay: true, muted: true, "aria-label": t("console.local_video") });
  local.muted = true;
  const attach = () => {
    if (current.call && remote.srcObject !== current.call.remoteStream) remote.srcObject = current.call.remoteStream;
    if (current.localStream && local.srcObject !== current.localStream) local.srcObject = current.localStream;
    remote.play?.().catch(() => {});
  };
  let listening = null;
  const update = () => {
    if (current.call && listening !== current.call) {
      current.call.addEventListener("remote", attach);
      listening = current.call;
    }
    attach();
  };
  update();

  const recording = h("p", { class: "follow-state", id: "console-recording", role: "status" }, t("console.recording_unknown"));
  const showLive = (view) => {
    const phase = view.ended_at ? "ended" : view.recording ? "recording" : view.silent_secs ? "silent" : "waiting";
    recording.dataset.phase = phase;
    recording.dataset.seconds = String(view.seconds_safe ?? 0);
    recording.textContent = t(`console.recording_${phase}`, { safe: clock(view.seconds_safe ?? 0), seconds: view.silent_secs ?? 0 });
  };
  const load = async () => {
    try {
      showLive(await api(`/api/v1/encounters/${encodeURIComponent(encounter)}/live`));
    } catch {
      // Offline for a moment: the last state stays; the next poll tries again.
    }
  };
  const onLive = (event) => event.detail.id === encounter && showLive(event.detail);
  const onProgress = (event) => event.detail.encounter === encounter && load();
  feed.addEventListener("live", onLive);
  feed.addEventListener("progress", onProgress);
  follow(encounter);
  const poll = setInterval(load, POLL_MS);
  load();

  const notes = notesView(encounter);
  const element = h(
    "section",
    { class: "console-call", id: "console-call", dataset: { encounter }, "aria-labelledby": "console-call-title" },
    h("h2", { id: "console-call-title" }, peer.username ? t("console.call_title", { who: peer.username }) : t("console.call_title_plain")),
    h("div", { class: "videos" }, remote, local),
    h("div", { class: "actions" }, h("button", { type: "button", class: "danger", id: "console-hang-up", onclick: () => hangUp() }, t("console.hang_up"))),
    recording,
    h(
      "dl",
      { class: "facts" },
      fact("call-where", t("follow.where"), whereView(fromLocation(peer.location)), true),
      fact("call-started", t("follow.started"), timeOf(peer.started_at)),
      fact("call-language", t("console.language"), languageName(peer.language)),
      fact("call-state", t("console.state"), peer.us_state || t("ring.state_unknown")),
      peer.note ? fact("call-note", t("console.note"), peer.note, true) : null,
    ),
    notes.element,
  );
  const stop = () => {
    clearInterval(poll);
    feed.removeEventListener("live", onLive);
    feed.removeEventListener("progress", onProgress);
    listening?.removeEventListener("remote", attach);
    unfollow(encounter);
  };
  return { element, update, stop };
}

function fact(id, label, value, wide = false) {
  return h("div", { class: wide ? "fact wide" : "fact" }, h("dt", {}, label), h("dd", { id }, value));
}

/** Notes during the call: only ever added, kept with the encounter's evidence (notes.json). */
function notesView(encounter) {
  const path = `/api/v1/encounters/${encodeURIComponent(encounter)}/notes`;
  const list = h("ol", { class: "notes", id: "notes" });
  const failure = h("p", { class: "alert", role: "alert", id: "note-error" });
  const text = h("textarea", { id: "note-text", maxlength: 10000, "aria-describedby": "note-hint" });
  const save = h("button", { type: "submit", class: "primary", id: "note-save" }, t("console.note_save"));
  const show = (notes) => mount(list, (notes ?? []).map((note) => h("li", { class: "note" }, h("p", { class: "hint" }, timeOf(note.at)), h("p", {}, note.text))));
  const reload = async () => {
    try {
      show(await api(path));
    } catch {
      // Listed again after the next save.
    }
  };
  const onsubmit = async (event) => {
    event.preventDefault();
    const value = text.value.trim();
    if (!value) return;
    save.disabled = true;
    failure.textContent = "";
    try {
      await api(path, { method: "POST", json: { text: value } });
      text.value = "";
      await reload();
    } catch (error) {
      failure.textContent = error instanceof ApiError ? error.detail : t("console.offline");
    } finally {
      save.disabled = false;
    }
  };
  reload();
  const element = h(
    "form",
    { class: "notes-form", onsubmit },
    h("h3", {}, t("console.notes")),
    h("label", { for: "note-text" }, t("console.note_label")),
    text,
    h("p", { class: "hint", id: "note-hint" }, t("console.note_hint")),
    failure,
    save,
    list,
  );
  return { element };
}
