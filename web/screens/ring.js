// An incoming call for an attorney on duty, above every screen: who needs help (language, state,
// when it started, their note), accept or decline, and the seconds left before it goes to someone
// else. Each ring is role="alert": a screen reader announces it the moment it arrives. Accepting
// opens the console, where the call happens.

import { h, mount } from "../lib/dom.js";
import { t, has } from "../lib/i18n.js";
import { desk, deskState, accept, decline } from "../lib/desk.js";
import { timeOf } from "./where.js";

let ticker = null;

/** Starts showing rings in `root`; `app` navigates to the console when a call connects. */
export function startRing(root, app) {
  desk.addEventListener("change", (event) => {
    if (event.detail === "call" && deskState.current && !location.hash.startsWith("#/console")) app.navigate("console");
    if (["offer", "duty", "call"].includes(event.detail)) paint(root);
  });
}

function paint(root) {
  clearInterval(ticker);
  const offers = [...deskState.offers.values()];
  const notice = deskState.notice;
  mount(
    root,
    offers.map(ring),
    notice && offers.length === 0
      ? h(
          "div",
          { class: "ring notice-only", role: "status", id: "ring-notice", dataset: { reason: notice.reason ?? "" } },
          h("p", {}, reasonText(notice)),
          h("button", { type: "button", class: "secondary", onclick: () => ((deskState.notice = null), paint(root)) }, t("alert.dismiss")),
        )
      : null,
  );
  if (offers.length) ticker = setInterval(() => countdowns(root), 1000);
}

function ring(offer) {
  const accepting = h("button", { type: "button", class: "primary ring-accept", id: "ring-accept", dataset: { encounter: offer.encounter } }, t("ring.accept"));
  accepting.addEventListener("click", () => {
    accepting.disabled = true;
    accepting.textContent = t("ring.connecting");
    accept(offer.encounter);
  });
  const declining = h("button", { type: "button", class: "secondary ring-decline", id: "ring-decline", onclick: () => decline(offer.encounter) }, t("ring.decline"));
  return h(
    "div",
    { class: "ring", role: "alert", "aria-live": "assertive", dataset: { encounter: offer.encounter } },
    h("p", { class: "ring-title" }, t("ring.title")),
    h("p", {}, facts(offer)),
    offer.note ? h("p", { class: "ring-note" }, t("ring.note", { note: offer.note })) : null,
    h("p", { class: "ring-countdown", role: "timer", "aria-live": "off", dataset: { expires: offer.expires_at ?? "" } }, countdownText(offer.expires_at)),
    h("div", { class: "row" }, accepting, declining),
  );
}

/** "Spanish · California · started 14:05": what decides whether this attorney can help. */
export function facts(offer) {
  const language = languageName(offer.language);
  const parts = [language, offer.us_state || t("ring.state_unknown"), offer.started_at ? t("ring.started", { time: timeOf(offer.started_at) }) : null];
  return parts.filter(Boolean).join(" · ");
}

/** A language code as a name in the person's own language ("es" -> "español"). */
export function languageName(code) {
  if (!code) return "";
  try {
    return new Intl.DisplayNames([document.documentElement.lang || "en"], { type: "language" }).of(code) ?? code;
  } catch {
    return code;
  }
}

function countdownText(expiresAt) {
  const left = Math.max(0, Math.round((Date.parse(expiresAt) - Date.now()) / 1000));
  return Number.isFinite(left) ? t("ring.countdown", { seconds: left }) : "";
}

function countdowns(root) {
  for (const element of root.querySelectorAll(".ring-countdown")) element.textContent = countdownText(element.dataset.expires);
}

/** Why a ring stopped or an accept was refused, from the server's code. */
function reasonText(notice) {
  const key = `ring.${notice.kind}_${notice.reason}`;
  return has(key) ? t(key) : t(`ring.${notice.kind}`);
}
