// An offer to go and observe, above every screen: what was verified, how far, the seconds left,
// accept or decline (large buttons, one hand). role="alert": a screen reader says it at once.
// After an answer, a short notice says how it went (on the way, someone else went first, it ran
// out, it was called off).

import { h, mount } from "../lib/dom.js";
import { t } from "../lib/i18n.js";
import { observerDesk, observerState, accept, decline } from "../lib/observers.js";
import { kindLabel } from "../lib/rapid.js";

let ticker = null;

export function startObserverOffers(root, app) {
  observerDesk.addEventListener("change", (event) => {
    if (event.detail === "offer") paint(root, app);
  });
}

function paint(root, app) {
  clearInterval(ticker);
  const offers = [...observerState.offers.values()];
  const notice = observerState.notice;
  mount(
    root,
    offers.map((offer) => card(offer, root, app)),
    notice && offers.length === 0
      ? h(
          "div",
          { class: "ring notice-only", role: "status", id: "observer-notice", dataset: { reason: notice.reason } },
          h("p", {}, notice.detail ?? t(`observers.notice.${notice.reason}`)),
          h("button", { type: "button", class: "secondary", onclick: () => ((observerState.notice = null), paint(root, app)) }, t("alert.dismiss")),
        )
      : null,
  );
  if (offers.length) ticker = setInterval(() => countdowns(root), 1000);
}

function card(offer, root, app) {
  const yes = h("button", { type: "button", class: "primary", id: "observer-accept", dataset: { incident: offer.incident } }, t("observers.accept"));
  yes.addEventListener("click", async () => {
    yes.disabled = true;
    if (await accept(offer.incident)) app.navigate("triage");
  });
  const no = h("button", { type: "button", class: "secondary", id: "observer-decline", onclick: () => decline(offer.incident) }, t("observers.decline"));
  return h(
    "div",
    { class: "ring observer-offer", role: "alert", "aria-live": "assertive", dataset: { incident: offer.incident } },
    h("p", { class: "ring-title" }, t("observers.offer_title", { kind: kindLabel(offer.kind) })),
    h("p", {}, offer.description),
    h("p", { class: "hint" }, t("observers.distance", { n: offer.distance_cells })),
    h("p", { class: "ring-countdown", role: "timer", "aria-live": "off", dataset: { expires: offer.expires_at } }, left(offer.expires_at)),
    h("div", { class: "row" }, yes, no),
  );
}

function left(expiresAt) {
  const seconds = Math.max(0, Math.round((Date.parse(expiresAt) - Date.now()) / 1000));
  return t("observers.countdown", { seconds });
}

function countdowns(root) {
  for (const element of root.querySelectorAll(".observer-offer .ring-countdown")) element.textContent = left(element.dataset.expires);
}
