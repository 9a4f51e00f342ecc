// Following someone's encounter: is the phone still recording (or silent: it may have been
// taken), how much is safe on the server, is an attorney on the line, where, detained or ended;
// and the recording itself, playing a few seconds behind as it arrives.
//
// The WebSocket brings each chunk's arrival and each change of state; a slow poll of the same
// view covers a socket that is down, so the screen never shows a stale "recording".

import { h, clock, mount } from "../lib/dom.js";
import { t } from "../lib/i18n.js";
import { api, ApiError } from "../lib/api.js";
import { feed, follow, unfollow } from "../lib/live.js";
import { LivePlayer } from "../lib/player.js";
import { whereView, fromLocation, timeOf } from "./where.js";

const POLL_MS = 3000;

let stop = null;

export function leave() {
  stop?.();
  stop = null;
}

export async function render({ params }) {
  const id = decodeURIComponent(params[0] ?? "");
  const failure = h("p", { class: "alert", role: "alert", id: "follow-error" });
  let view;
  try {
    view = await api(`/api/v1/encounters/${encodeURIComponent(id)}/live`);
  } catch (error) {
    failure.textContent = error instanceof ApiError ? error.detail : t("follow.offline");
    return h("section", { class: "screen follow" }, h("h1", {}, t("nav.follow")), failure, h("a", { class: "button secondary", href: "#/" }, t("nav.home")));
  }

  const title = h("h1", { class: "recording-title" }, h("span", { class: "dot", "aria-hidden": "true" }), h("span", { id: "follow-who" }));
  const state = h("p", { class: "follow-state", id: "follow-state", role: "status" });
  const facts = h("dl", { class: "facts" });
  const video = h("video", { class: "preview follow-video", id: "follow-video", muted: true, playsinline: true, "aria-label": t("follow.video") });
  video.muted = true;
  const sound = h("button", { type: "button", class: "secondary", id: "follow-sound", "aria-pressed": "false" }, t("follow.sound_on"));
  sound.addEventListener("click", () => {
    video.muted = !video.muted;
    if (!video.muted) video.play().catch(() => {});
    sound.setAttribute("aria-pressed", String(!video.muted));
    sound.textContent = t(video.muted ? "follow.sound_on" : "follow.sound_off");
  });
  const playback = h("p", { class: "hint", id: "follow-playback" }, t("follow.waiting_video"));
  const playButton = h("button", { type: "button", class: "primary", id: "follow-play", hidden: true }, t("follow.play"));
  playButton.addEventListener("click", () => {
    playButton.hidden = true;
    video.play().catch(() => (playButton.hidden = false));
  });

  let player = null;
  let silentSince = null; // local time the silence began, from the server's silent_secs
  const play = (recording) => {
    if (player?.recording.id === recording.id) return;
    player?.close();
    player = new LivePlayer(video, id, recording);
    video.dataset.recording = recording.id;
    playback.textContent = player.unsupported ? t("follow.cannot_play") : t("follow.behind");
    player.addEventListener("blocked", () => (playButton.hidden = false));
    player.addEventListener("failure", (event) => {
      playback.textContent = event.detail instanceof ApiError ? event.detail.detail : t("follow.offline");
    });
    player.more(recording.bytes_received);
  };
  const update = (next) => {
    view = next;
    silentSince = view.silent_secs ? Date.now() - view.silent_secs * 1000 : null;
    paint();
    const newest = view.recordings.at(-1);
    if (newest) play(newest);
    if (view.ended_at) player?.finish();
  };
  const paint = () => {
    title.querySelector("#follow-who").textContent = t("follow.title", { who: view.who });
    const silent = silentSince ? Math.round((Date.now() - silentSince) / 1000) : null;
    const phase = view.ended_at ? "ended" : view.detained_at ? "detained" : view.recording ? "recording" : silent ? "silent" : "waiting";
    const section = title.closest(".follow");
    if (section) section.className = `screen follow ${phase}${view.detained_at ? " is-detained" : ""}`;
    state.dataset.phase = phase;
    state.textContent = [
      view.detained_at ? t("follow.detained", { time: timeOf(view.detained_at) }) : null,
      view.ended_at ? t("follow.ended", { time: timeOf(view.ended_at) }) : view.recording ? t("follow.recording") : silent ? t("follow.silent", { seconds: silent }) : t("follow.not_yet"),
    ]
      .filter(Boolean)
      .join(" ");
    mount(
      facts,
      fact("follow-started", t("follow.started"), timeOf(view.started_at)),
      fact("follow-safe", t("follow.safe"), clock(view.seconds_safe ?? 0), { seconds: String(view.seconds_safe ?? 0) }),
      fact("follow-attorney", t("follow.attorney"), t(view.attorney_on_line ? "follow.attorney_yes" : "follow.attorney_no"), null, "wide"),
      fact("follow-where", t("follow.where"), whereView(fromLocation(view.location)), null, "wide"),
    );
  };

  const onLive = (event) => event.detail.id === id && update(event.detail);
  const onProgress = (event) => {
    const message = event.detail;
    if (message.encounter !== id) return;
    silentSince = null;
    if (!view.recording && !view.ended_at) {
      view.recording = true;
      paint();
    }
    if (player?.recording.id === message.recording) return player.more(message.bytes_received);
    // A new recording in the same encounter (the phone restarted the camera): switch to it.
    if (!view.recordings.some((r) => r.id === message.recording)) {
      view.recordings.push({ id: message.recording, media_type: message.media_type, bytes_received: message.bytes_received });
    }
    play(view.recordings.find((r) => r.id === message.recording));
  };
  const onError = (event) => {
    if (event.detail.encounter === id) failure.textContent = event.detail.detail ?? "";
  };
  feed.addEventListener("live", onLive);
  feed.addEventListener("progress", onProgress);
  feed.addEventListener("error", onError);
  follow(id);
  const poll = setInterval(async () => {
    try {
      update(await api(`/api/v1/encounters/${encodeURIComponent(id)}/live`));
      player?.more(view.recordings.find((r) => r.id === player.recording.id)?.bytes_received);
    } catch {
      // Offline for a moment: the last state stays on screen; the next poll tries again.
    }
  }, POLL_MS);
  const tick = setInterval(paint, 1000);
  stop = () => {
    clearInterval(poll);
    clearInterval(tick);
    feed.removeEventListener("live", onLive);
    feed.removeEventListener("progress", onProgress);
    feed.removeEventListener("error", onError);
    unfollow(id);
    player?.close();
  };

  const section = h(
    "section",
    { class: "screen follow" },
    title,
    state,
    failure,
    video,
    h("div", { class: "row" }, playButton, sound),
    playback,
    facts,
  );
  update(view);
  paint();
  return section;
}

function fact(id, label, value, dataset, wide) {
  return h("div", { class: wide ? "fact wide" : "fact" }, h("dt", {}, label), h("dd", { id, dataset }, value));
}
