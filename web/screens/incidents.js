// Alerts near me (issue 6): the verified incidents in the person's watch areas, on a map drawn
// from the cells themselves and as a list. Each says what was verified, by which means and when;
// an update or a withdrawal arrives over the live connection and changes the page in place,
// without a reload. Unverified reports never reach this page: the server sends only verified
// incidents. `#/incidents/ID` (a push alert's link) brings that incident to the top.

import { h, mount } from "../lib/dom.js";
import { t } from "../lib/i18n.js";
import { api } from "../lib/api.js";
import { feed } from "../lib/live.js";
import { kindLabel, howLabel, problemText, when } from "../lib/rapid.js";
import { cellMap } from "../lib/cellmap.js";
import { photoGallery } from "../lib/photos.js";

let stop = null;

export function leave() {
  stop?.();
  stop = null;
}

export async function render({ params }) {
  const error = h("p", { class: "alert", role: "alert", id: "incidents-error" });
  const announce = h("p", { class: "visually-hidden", role: "status", "aria-live": "assertive", id: "incidents-announce" });
  const mapHolder = h("div", { id: "incidents-map-holder" });
  const list = h("ul", { class: "encounter-list", id: "incidents" });
  const empty = h("p", { class: "hint", id: "incidents-empty" }, t("incidents.empty"));
  const incidents = new Map();
  let areas = [];
  try {
    [areas] = await Promise.all([api("/api/v1/watch-areas"), api("/api/v1/incidents").then((found) => found.forEach((i) => incidents.set(i.id, i)))]);
  } catch (failure) {
    error.textContent = problemText(failure);
  }
  const focus = params[0] ? decodeURIComponent(params[0]) : null;
  const paint = () => {
    const ordered = [...incidents.values()].sort((a, b) => (a.id === focus ? -1 : b.id === focus ? 1 : Date.parse(b.updated_at) - Date.parse(a.updated_at)));
    mount(list, ordered.map(item));
    empty.hidden = ordered.length > 0;
    const areaCells = areas.flatMap((area) => area.cells.map((cell, i) => ({ cell, boundary: area.boundaries[i] })));
    const incidentCells = ordered.map((i) => ({ ...i.place, className: i.withdrawn_at ? "withdrawn" : "active" }));
    mount(mapHolder, areaCells.length || incidentCells.length ? cellMap({ id: "incidents-map", label: t("incidents.map_label", { n: ordered.filter((i) => !i.withdrawn_at).length }), layers: [{ name: "area", cells: areaCells }, { name: "incident", cells: incidentCells }] }) : null);
  };
  const onIncident = (event) => {
    const { event: change, incident } = event.detail;
    incidents.set(incident.id, incident);
    paint();
    announce.textContent = t(`incidents.live_${change}`, { kind: kindLabel(incident.kind) });
  };
  feed.addEventListener("incident", onIncident);
  stop = () => feed.removeEventListener("incident", onIncident);
  paint();
  return h(
    "section",
    { class: "screen incidents" },
    h("h1", {}, t("incidents.title")),
    h("p", { class: "hint" }, t("incidents.lead")),
    areas.length === 0 ? h("p", { class: "notice", id: "incidents-no-area" }, t("incidents.no_area"), " ", h("a", { href: "#/watch" }, t("incidents.add_area"))) : null,
    error,
    announce,
    mapHolder,
    empty,
    list,
    h("div", { class: "row" }, h("a", { class: "button secondary", href: "#/watch", id: "watch-link" }, t("nav.watch")), h("a", { class: "button secondary", href: "#/report", id: "incidents-report-link" }, t("home.report"))),
  );
}

function item(incident) {
  const withdrawn = Boolean(incident.withdrawn_at);
  const updated = incident.updated_at !== incident.verified_at;
  return h(
    "li",
    { class: `encounter incident ${withdrawn ? "withdrawn" : "active"}`, dataset: { id: incident.id, state: withdrawn ? "withdrawn" : "active", how: incident.verified_how } },
    h("p", { class: "when" }, kindLabel(incident.kind)),
    withdrawn ? h("p", { class: "report-state withdrawn-flag" }, t("incidents.withdrawn", { time: when(incident.withdrawn_at) })) : null,
    h("p", { class: "incident-what" }, incident.description),
    h("p", { class: "incident-verified" }, t("incidents.verified", { how: howLabel(incident.verified_how), time: when(incident.verified_at) })),
    h("p", { class: "hint" }, t("incidents.seen", { time: when(incident.observed_at) })),
    // Only the photos a responder chose to share; none while it is withdrawn.
    withdrawn ? null : photoGallery(`/api/v1/incidents/${encodeURIComponent(incident.id)}/photos`, { id: `incident-photos-${incident.id}` }),
    incident.note ? h("p", { class: "incident-note" }, updated && !withdrawn ? t("incidents.updated", { time: when(incident.updated_at) }) + " " : "", t("incidents.note", { note: incident.note })) : null,
  );
}
