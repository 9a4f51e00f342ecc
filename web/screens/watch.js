// Watch areas (issue 6): the places a person wants to hear about, as a point with a radius (the
// phone's location: only the cells around it are kept, never the point) or as cells picked on the
// map. Each area is drawn from its cells; removing one stops its alerts.

import { h, mount } from "../lib/dom.js";
import { t } from "../lib/i18n.js";
import { api } from "../lib/api.js";
import { problemText, cellsAround, locateButton } from "../lib/rapid.js";
import { cellMap } from "../lib/cellmap.js";
import { choice } from "./choice.js";

const RADII = [500, 1000, 2000, 5000];

export async function render({ app }) {
  const error = h("p", { class: "alert", role: "alert", id: "watch-error" });
  let areas = [];
  try {
    areas = await api("/api/v1/watch-areas");
  } catch (failure) {
    error.textContent = problemText(failure);
  }
  const shapes = areas.flatMap((area) => area.cells.map((cell, i) => ({ cell, boundary: area.boundaries[i] })));
  return h(
    "section",
    { class: "screen watch" },
    h("h1", {}, t("watch.title")),
    h("p", { class: "hint" }, t("watch.lead")),
    error,
    shapes.length ? cellMap({ id: "watch-map", label: t("watch.map_label", { n: areas.length }), layers: [{ name: "area", cells: shapes }] }) : null,
    h("ul", { class: "encounter-list", id: "watch-areas" }, areas.map((area) => item(area, app, error))),
    areas.length === 0 ? h("p", { class: "hint", id: "watch-empty" }, t("watch.empty")) : null,
    form(app, error),
  );
}

function item(area, app, error) {
  const remove = h("button", { type: "button", class: "secondary", "aria-label": t("watch.remove_named", { label: area.label }) }, t("watch.remove"));
  remove.addEventListener("click", async () => {
    remove.disabled = true;
    try {
      await api(`/api/v1/watch-areas/${encodeURIComponent(area.id)}`, { method: "DELETE" });
      app.rerender();
    } catch (failure) {
      error.textContent = problemText(failure);
      remove.disabled = false;
    }
  });
  return h("li", { class: "encounter", dataset: { id: area.id } }, h("p", { class: "when" }, area.label), h("p", { class: "hint" }, t("watch.cells", { n: area.cells.length })), remove);
}

/** A new area: its name, then around my location (a radius) or cells picked on the map. */
function form(app, error) {
  const state = { mode: "circle", radius: 1000, point: null, cells: new Set() };
  const label = h("input", { id: "watch-label", maxlength: 60, autocomplete: "off" });
  const status = h("p", { class: "hint", id: "watch-where-status", role: "status" }, t("watch.where_hint"));
  const holder = h("div", { id: "watch-map-holder" });
  const radius = choice("watch-radius", "watch.radius", RADII.map((m) => [String(m), t("watch.metres", { n: m })]), String(state.radius), (v) => (state.radius = Number(v)));
  const drawPicker = async () => {
    if (state.mode !== "cells" || !state.point) return mount(holder);
    // Two rings: five hexagons across, each large enough for a thumb on a small phone.
    const around = await cellsAround(state.point, 2);
    mount(
      holder,
      cellMap({
        id: "watch-pick-map",
        label: t("watch.pick_label"),
        layers: [{ name: "pickable", cells: around.cells }],
        pick: { layer: "pickable", selected: state.cells, multiple: true, onchange: (cells) => (status.textContent = cells.size === 1 ? t("watch.picked_one") : t("watch.picked", { n: cells.size })) },
        centre: [around.centre.latitude, around.centre.longitude],
      }),
    );
  };
  const mode = choice("watch-mode", "watch.how", [["circle", t("watch.mode_circle")], ["cells", t("watch.mode_cells")]], state.mode, (v) => {
    state.mode = v;
    radius.hidden = v !== "circle";
    drawPicker().catch((failure) => (error.textContent = problemText(failure)));
  });
  const locate = locateButton("watch-locate", status, error, async (place) => {
    state.point = place;
    await drawPicker();
    return t("watch.located");
  });
  const save = h("button", { type: "submit", class: "primary", id: "watch-save" }, t("watch.save"));
  return h(
    "form",
    {
      id: "watch-form",
      class: "notes-form",
      novalidate: true,
      onsubmit: async (event) => {
        event.preventDefault();
        error.textContent = "";
        if (!state.point) return (error.textContent = t("watch.where_missing"));
        const body = { label: label.value };
        if (state.mode === "circle") body.circle = { latitude: state.point.latitude, longitude: state.point.longitude, radius_m: state.radius };
        else body.cells = [...state.cells];
        save.disabled = true;
        try {
          await api("/api/v1/watch-areas", { method: "POST", json: body });
          app.rerender();
        } catch (failure) {
          error.textContent = problemText(failure);
          save.disabled = false;
        }
      },
    },
    h("h2", {}, t("watch.add")),
    h("label", { for: "watch-label" }, t("watch.label")),
    h("p", { class: "hint" }, t("watch.label_hint")),
    label,
    mode,
    locate,
    status,
    radius,
    holder,
    save,
  );
}
