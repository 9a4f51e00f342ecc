// The recording screen: what is recorded, what is safe on the server, what is waiting, the
// connection, the rights card for the situation, and the officer card, discreet mode and "end".

import { h, clock, mount } from "../lib/dom.js";
import { t, currentLanguage } from "../lib/i18n.js";
import { settings, saveSetting } from "../lib/settings.js";
import * as queue from "../lib/queue.js";
import { uploads, status } from "../lib/uploader.js";
import { endEncounter } from "../lib/recorder.js";
import { SITUATIONS, loadCard } from "../lib/rights.js";
import { cardView } from "./rights.js";
import { choice, situationOptions } from "./choice.js";
import { officerCard, discreetMode } from "./overlays.js";
import { detainedControl } from "./detained.js";
import { attorneyPanel } from "./attorney-panel.js";

let timer = null;
let listeners = [];

export function leave() {
  clearInterval(timer);
  for (const [target, type, fn] of listeners) target.removeEventListener(type, fn);
  listeners = [];
}

function listen(target, type, fn) {
  target.addEventListener(type, fn);
  listeners.push([target, type, fn]);
}

export async function render({ app }) {
  const live = app.live;
  if (!live) {
    queueMicrotask(() => app.navigate(""));
    return h("p", {}, "");
  }
  const stat = (id, key) =>
    h("div", { class: `stat ${id}` }, h("span", { class: "stat-label", id: `${id}-label` }, t(key)), h("output", { id, "aria-labelledby": `${id}-label` }, "00:00"));
  const recorded = stat("seconds-recorded", "recording.recorded");
  const safe = stat("seconds-safe", "recording.safe");
  const waiting = stat("seconds-waiting", "recording.waiting");
  const connection = h("p", { class: "connection-line", id: "recording-connection", role: "status" });
  const receiptLine = h("p", { class: "hint", id: "last-receipt" });
  const failure = h("p", { class: "alert", role: "alert", id: "recording-error" });
  const elapsed = h("span", { class: "elapsed", role: "timer", "aria-label": t("recording.recorded") }, "00:00");
  const heading = h(
    "h1",
    { class: "recording-title" },
    h("span", { class: "dot", "aria-hidden": "true" }),
    h("span", {}, t(live.stopped ? "recording.ended_title" : "recording.title")),
    elapsed,
  );
  const preview = live.audioOnly ? h("p", { class: "hint" }, t("recording.audio_only")) : h("video", { class: "preview", muted: true, playsinline: true, autoplay: true, "aria-label": t("recording.preview") });
  if (!live.audioOnly && !live.stopped) {
    preview.muted = true;
    preview.srcObject = live.stream;
  }
  let safeSeconds = 0;
  let safeBytes = 0;

  const refresh = async () => {
    const stored = await queue.get("recordings", live.recording.localId);
    if (stored) {
      safeSeconds = Math.max(safeSeconds, stored.secondsSafe);
      safeBytes = Math.max(safeBytes, stored.bytesSafe);
    }
  };
  const paint = () => {
    const seconds = live.secondsRecorded();
    elapsed.textContent = clock(seconds);
    setStat(recorded, seconds);
    setStat(safe, Math.min(safeSeconds, seconds));
    setStat(waiting, Math.max(0, seconds - safeSeconds));
    safe.querySelector("output").dataset.bytes = String(safeBytes);
    connection.className = `connection-line ${status.state}`;
    connection.textContent = t(`recording.connection_${status.state}`, { message: status.error?.detail || status.error?.message || "" });
    if (status.lastReceipt) {
      const index = /index=(\d+)/.exec(status.lastReceipt)?.[1];
      if (index) receiptLine.textContent = t("recording.last_receipt", { index });
    }
  };
  listen(uploads, "progress", async (event) => {
    if (event.detail.recordingLocalId !== live.recording.localId) return;
    if (event.detail.secondsSafe !== undefined) safeSeconds = Math.max(safeSeconds, event.detail.secondsSafe);
    await refresh();
    paint();
  });
  listen(uploads, "state", paint);
  listen(live, "failure", (event) => {
    failure.textContent = t(event.detail.key);
  });
  await refresh();
  clearInterval(timer);
  timer = setInterval(paint, 250);
  paint();

  // Ending takes two taps; the first also offers ending it as a detention (which sends the
  // prepared messages to the emergency contacts).
  const endButton = h("button", { type: "button", class: "danger", id: "end-encounter" }, t("recording.end"));
  const endDetained = h("button", { type: "button", class: "warning", id: "end-detained", hidden: true }, t("recording.end_detained"));
  let armed = null;
  const disarm = () => {
    armed = null;
    endButton.textContent = t("recording.end");
    endDetained.hidden = true;
  };
  const finish = async (outcome) => {
    clearTimeout(armed);
    endButton.disabled = true;
    endDetained.disabled = true;
    await live.stop();
    await endEncounter(live.encounter.localId, outcome);
    app.rerender();
  };
  endButton.addEventListener("click", async () => {
    if (!armed) {
      endButton.textContent = t("recording.end_confirm");
      endDetained.hidden = false;
      armed = setTimeout(disarm, 6000);
      return;
    }
    await finish(null);
  });
  endDetained.addEventListener("click", () => finish("detained"));
  const detained = detainedControl(live, listen);

  const cardHolder = h("div", { class: "card-holder" });
  const showCard = async (situation) => {
    saveSetting("situation", situation);
    const card = await loadCard(situation, currentLanguage());
    mount(cardHolder, card ? cardView(card) : h("p", { class: "hint" }, t("rights.unavailable")));
  };
  const tabs = choice("rec-situation", "home.where", situationOptions(SITUATIONS), settings.situation, showCard);
  showCard(settings.situation);

  const actions = live.stopped
    ? h("div", { class: "actions" }, h("a", { class: "button primary", href: "#/history" }, t("nav.history")), h("a", { class: "button secondary", href: "#/" }, t("nav.home")))
    : h(
        "div",
        { class: "actions" },
        h("button", { type: "button", class: "primary", id: "show-officer", onclick: () => officerCard() }, t("recording.officer")),
        h("button", { type: "button", class: "secondary", id: "discreet", onclick: () => discreetMode() }, t("recording.discreet")),
        detained.button,
        endButton,
        endDetained,
      );

  return h(
    "section",
    { class: `screen recording ${live.stopped ? "ended" : "live"}` },
    heading,
    h("div", { class: "stats" }, recorded, safe, waiting),
    connection,
    failure,
    live.stopped ? null : detained.line,
    actions,
    live.stopped ? null : attorneyPanel(live, listen),
    live.stopped ? h("p", { class: "hint" }, t("recording.ended_text")) : preview,
    receiptLine,
    h("h2", {}, t("recording.rights")),
    tabs,
    cardHolder,
  );
}

function setStat(element, seconds) {
  const output = element.querySelector("output");
  output.textContent = clock(seconds);
  output.dataset.seconds = seconds.toFixed(3);
}
