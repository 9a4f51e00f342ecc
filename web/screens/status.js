// What an emergency contact's link opens: the state of one encounter (recording or stopped,
// time safe on the server, attorney, where, detained, ended), without an account and without
// the recording. The link's last three parts are the credential; the page polls, since a contact
// has no live connection.

import { h, clock, mount } from "../lib/dom.js";
import { t } from "../lib/i18n.js";
import { ApiError, NetworkError, problemOf } from "../lib/api.js";
import { whereView, fromLocation, timeOf } from "./where.js";

const POLL_MS = 5000;

let stop = null;

export function leave() {
  stop?.();
  stop = null;
}

/** The shared view, without the session's token: this page is the contact's, not the app user's. */
async function fetchShared(parts) {
  let response;
  try {
    response = await fetch(`/api/v1/shared/${parts.map(encodeURIComponent).join("/")}`, { cache: "no-store" });
  } catch (error) {
    throw new NetworkError(String(error));
  }
  if (!response.ok) throw await problemOf(response);
  return response.json();
}

export async function render({ params }) {
  const parts = params.slice(0, 3).map((p) => decodeURIComponent(p));
  const heading = h("h1", { id: "status-who" }, t("nav.status"));
  const state = h("p", { class: "follow-state", id: "status-state", role: "status" });
  const failure = h("p", { class: "alert", role: "alert", id: "status-error" });
  const facts = h("dl", { class: "facts" });
  const note = h("p", { class: "hint" });
  const paint = (view) => {
    heading.textContent = t("follow.title", { who: view.who });
    note.textContent = t("status.note", { who: view.who });
    const phase = view.ended_at ? "ended" : view.detained_at ? "detained" : view.recording ? "recording" : view.silent_secs ? "silent" : "waiting";
    state.dataset.phase = phase;
    state.textContent = [
      view.detained_at ? t("follow.detained", { time: timeOf(view.detained_at) }) : null,
      view.ended_at ? t("follow.ended", { time: timeOf(view.ended_at) }) : view.recording ? t("follow.recording") : view.silent_secs ? t("follow.silent", { seconds: view.silent_secs }) : t("follow.not_yet"),
    ]
      .filter(Boolean)
      .join(" ");
    mount(
      facts,
      fact(t("follow.started"), timeOf(view.started_at)),
      fact(t("follow.safe"), clock(view.seconds_safe ?? 0)),
      fact(t("follow.attorney"), t(view.attorney_on_line ? "follow.attorney_yes" : "follow.attorney_no")),
      fact(t("follow.where"), whereView(fromLocation(view.location))),
    );
  };
  const refresh = async () => {
    try {
      paint(await fetchShared(parts));
      failure.textContent = "";
    } catch (error) {
      failure.textContent = error instanceof ApiError ? error.detail : t("follow.offline");
    }
  };
  await refresh();
  const poll = setInterval(refresh, POLL_MS);
  stop = () => clearInterval(poll);
  return h("section", { class: "screen follow" }, heading, state, failure, facts, note);
}

function fact(label, value) {
  return h("div", { class: "fact wide" }, h("dt", {}, label), h("dd", {}, value));
}
