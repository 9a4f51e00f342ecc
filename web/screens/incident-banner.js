// A verified incident in one's watch areas, announced above every screen but the alerts page
// (which shows it in place): what, how it was verified and when, and a link to the page. Only
// verified incidents ever arrive (the server sends nothing about unverified reports).

import { h, mount } from "../lib/dom.js";
import { t } from "../lib/i18n.js";
import { feed } from "../lib/live.js";
import { kindLabel, howLabel, when } from "../lib/rapid.js";

const shown = new Map(); // incident id -> { event, incident }

export function startIncidentBanner(root) {
  const paint = () => mount(root, [...shown.values()].reverse().map(({ event, incident }) => banner(incident, event, paint)));
  feed.addEventListener("incident", (message) => {
    const { event, incident } = message.detail;
    if (location.hash.startsWith("#/incidents")) return; // the page itself changes in place
    shown.delete(incident.id);
    shown.set(incident.id, { event, incident });
    paint();
    if (event === "verified") navigator.vibrate?.([200, 100, 200]);
  });
  window.addEventListener("hashchange", () => {
    if (location.hash.startsWith("#/incidents") && shown.size) {
      shown.clear();
      paint();
    }
  });
}

function banner(incident, event, paint) {
  const dismiss = () => {
    shown.delete(incident.id);
    paint();
  };
  return h(
    "div",
    { class: `alert-banner incident-${event}`, role: "alert", dataset: { incident: incident.id, event } },
    h("p", { class: "alert-title" }, t(`incidents.live_${event}`, { kind: kindLabel(incident.kind) })),
    h("p", {}, incident.description),
    incident.note ? h("p", {}, t("incidents.note", { note: incident.note })) : null,
    h("p", { class: "hint" }, t("incidents.verified", { how: howLabel(incident.verified_how), time: when(incident.verified_at) })),
    h(
      "div",
      { class: "row" },
      h("a", { class: "button primary", href: `#/incidents/${encodeURIComponent(incident.id)}` }, t("incidents.open")),
      h("button", { type: "button", class: "secondary", onclick: dismiss }, t("alert.dismiss")),
    ),
  );
}
