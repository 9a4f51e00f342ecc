// Reporting enforcement activity (issue 6): what (the type), where (the phone's location, or a
// cell picked on the map around it or around one's watch area), when, what they saw, and any
// vehicles and photos. It says plainly that trained responders check every report before anyone is alerted,
// and that only the area (a few blocks) is kept. The server's refusal is shown as it wrote it.
// Every report goes through this phone's outbox (lib/outbox.js): with no connection it waits
// there, shown as "waiting to send", and goes when the connection returns. Offline, the map
// cannot be drawn: the phone's location is sent as a point, which the server turns into its
// cell and drops.

import { h, mount } from "../lib/dom.js";
import { t } from "../lib/i18n.js";
import { api, NetworkError } from "../lib/api.js";
import { KINDS, MAX_VEHICLES, kindLabel, problemText, cellsAround, locateButton } from "../lib/rapid.js";
import { cellMap } from "../lib/cellmap.js";
import { choice } from "./choice.js";
import { photoPicker, MAX_PHOTOS } from "../lib/photos.js";
import { keep, flush } from "../lib/outbox.js";
import { outboxList } from "./outbox-list.js";

let stopList = null;

export function leave() {
  stopList?.();
  stopList = null;
}

const VEHICLE_FIELDS = ["plate", "region", "make", "model", "colour", "markings"];

export async function render({ app }) {
  const form = { kind: "checkpoint", cell: null, point: null };
  const list = outboxList();
  stopList = list.stop;
  const error = h("p", { class: "alert", role: "alert", id: "report-error" });
  const done = h("p", { class: "notice", role: "status", id: "report-done", hidden: true });
  const where = placePicker(form, error);
  // Left as it is, the time is "now" as the server sees it when the report arrives.
  const observed = h("input", { type: "datetime-local", id: "report-when", value: localNow(), max: localNow(5), oninput: (e) => (e.target.dataset.changed = "true") });
  const description = h("textarea", { id: "report-description", maxlength: 2000, required: true, "aria-describedby": "report-description-hint" });
  const vehicles = vehicleList();
  const photos = photoPicker("report-photos");
  const submit = h("button", { type: "submit", class: "primary", id: "report-submit" }, t("report.submit"));
  const element = h(
    "form",
    {
      class: "report-form",
      novalidate: true,
      onsubmit: async (event) => {
        event.preventDefault();
        error.textContent = "";
        done.hidden = true;
        const place = form.cell ? { cell: form.cell } : form.point;
        if (!place) return (error.textContent = t("report.where_missing"));
        submit.disabled = true;
        try {
          const body = {
            kind: form.kind,
            place,
            // Left unchanged, "when" is when the report was made, even if it is sent later.
            observed_at: new Date(observed.dataset.changed && observed.value ? observed.value : Date.now()).toISOString(),
            description: description.value,
            vehicles: vehicles.values(),
          };
          const entry = await keep(body, photos.files().slice(0, MAX_PHOTOS));
          let results = await flush();
          // A send already under way started before this report was kept: send again.
          if (!results.some((r) => r.id === entry.id)) results = await flush();
          const result = results.find((r) => r.id === entry.id) ?? { state: "waiting" };
          if (result.state === "refused") return (error.textContent = result.detail);
          done.hidden = false;
          if (result.state === "waiting") {
            mount(done, h("span", { id: "report-waiting" }, t("report.waiting")));
          } else {
            const refused = result.photoRefusals;
            mount(
              done,
              t("report.sent"),
              result.photosSent ? ` ${t("photos.sent", { n: result.photosSent })}` : "",
              " ",
              h("a", { href: "#/my-reports", id: "report-mine-link", dataset: { report: entry.id } }, t("report.see_mine")),
            );
            if (refused.length) error.textContent = refused.map((reason) => t("photos.refused", { reason })).join(" ");
          }
          description.value = "";
          vehicles.clear();
          photos.clear();
          observed.value = localNow();
          delete observed.dataset.changed;
        } catch (failure) {
          error.textContent = failure.key ? t(failure.key) : problemText(failure);
        } finally {
          submit.disabled = false;
        }
      },
    },
    choice("report-kind", "report.kind", KINDS.map((k) => [k, kindLabel(k)]), form.kind, (value) => (form.kind = value)),
    where.element,
    h("label", { for: "report-when" }, t("report.when")),
    observed,
    h("label", { for: "report-description" }, t("report.description")),
    h("p", { class: "hint", id: "report-description-hint" }, t("report.description_hint")),
    description,
    vehicles.element,
    photos.element,
    error,
    submit,
  );
  return h(
    "section",
    { class: "screen report" },
    h("h1", {}, t("report.title")),
    h("p", { class: "notice", id: "report-checked" }, t("report.checked_first")),
    element,
    done,
    list.element,
    h("a", { class: "button secondary wide", href: "#/my-reports", id: "my-reports-link" }, t("report.mine")),
  );
}

/** "2025-06-01T14:05" for a datetime-local input, `minutes` from now. */
function localNow(minutes = 0) {
  const now = new Date(Date.now() + minutes * 60_000);
  now.setMinutes(now.getMinutes() - now.getTimezoneOffset());
  return now.toISOString().slice(0, 16);
}

/** Where: the phone's location, then a cell on the map around it (or around a watch area). */
function placePicker(form, error) {
  const status = h("p", { class: "hint", id: "report-where-status", role: "status" }, t("report.where_hint"));
  const holder = h("div", { id: "report-map-holder" });
  const show = async (place) => {
    // Two rings: five hexagons across, each large enough for a thumb on a small phone.
    const around = await cellsAround(place, 2);
    form.cell = around.centre.cell;
    const selected = new Set([form.cell]);
    const centre = [around.centre.latitude, around.centre.longitude];
    mount(
      holder,
      cellMap({
        id: "report-map",
        label: t("report.map_label"),
        layers: [{ name: "pickable", cells: around.cells }],
        pick: {
          layer: "pickable",
          selected,
          multiple: false,
          onchange: (cells) => {
            form.cell = [...cells][0] ?? null;
            form.point = null;
            status.textContent = t("report.where_picked");
          },
        },
        centre,
      }),
    );
  };
  const locate = locateButton("report-locate", status, error, async (place) => {
    try {
      await show(place);
      form.point = null;
      return t("report.where_located");
    } catch (failure) {
      if (!(failure instanceof NetworkError)) throw failure;
      // No connection, so no map: the point itself is sent, and the server keeps its cell.
      form.cell = null;
      form.point = place;
      mount(holder);
      return t("report.where_offline");
    }
  });
  const onArea = h("button", { type: "button", class: "secondary", id: "report-on-area" }, t("report.pick_in_area"));
  onArea.addEventListener("click", async () => {
    error.textContent = "";
    try {
      const areas = await api("/api/v1/watch-areas");
      const first = areas[0];
      if (!first) return (error.textContent = t("report.no_area"));
      // The area's middle cell: its cells are listed in H3 order, not by place; any of them
      // centres the map inside the area.
      await show({ cell: first.cells[Math.floor(first.cells.length / 2)] });
      status.textContent = t("report.where_area");
    } catch (failure) {
      error.textContent = problemText(failure);
    }
  });
  const element = h(
    "fieldset",
    { class: "where", id: "report-where" },
    h("legend", {}, t("report.where")),
    h("div", { class: "row" }, locate, onArea),
    status,
    holder,
  );
  return { element };
}

/** Vehicles: none at first; "Add a vehicle" adds one set of fields (all optional). */
function vehicleList() {
  const list = h("div", { id: "report-vehicles" });
  const entries = [];
  const add = h("button", { type: "button", class: "secondary", id: "report-add-vehicle" }, t("report.add_vehicle"));
  const addOne = () => {
    const n = entries.length;
    const inputs = Object.fromEntries(
      VEHICLE_FIELDS.map((field) => [field, h("input", { id: `vehicle-${n}-${field}`, autocomplete: "off", autocapitalize: field === "plate" || field === "region" ? "characters" : "sentences", maxlength: 100 })]),
    );
    const remove = h("button", { type: "button", class: "secondary", "aria-label": t("report.remove_vehicle_n", { n: n + 1 }) }, t("report.remove_vehicle"));
    const box = h(
      "fieldset",
      { class: "vehicle" },
      h("legend", {}, t("report.vehicle_n", { n: n + 1 })),
      VEHICLE_FIELDS.map((field) => h("div", { class: "field" }, h("label", { for: inputs[field].id }, t(`vehicle.${field}`)), inputs[field])),
      remove,
    );
    const entry = { box, inputs };
    remove.addEventListener("click", () => {
      entries.splice(entries.indexOf(entry), 1);
      box.remove();
      add.hidden = false;
    });
    entries.push(entry);
    list.append(box);
    add.hidden = entries.length >= MAX_VEHICLES;
    inputs.plate.focus();
  };
  add.addEventListener("click", addOne);
  return {
    element: h("div", { class: "vehicles" }, h("p", { class: "hint" }, t("report.vehicles_hint")), list, add),
    values: () =>
      entries
        .map(({ inputs }) => Object.fromEntries(VEHICLE_FIELDS.map((f) => [f, inputs[f].value.trim() || null])))
        .filter((v) => VEHICLE_FIELDS.some((f) => v[f])),
    clear() {
      entries.splice(0).forEach(({ box }) => box.remove());
      add.hidden = false;
    },
  };
}
