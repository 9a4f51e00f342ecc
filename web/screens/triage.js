// The responders' triage queue (issue 6): open reports, nearest to the responder first (when
// they share their location) and newest, each with the reporter's record (how many of their past
// reports were verified), what they saw, their vehicles, and the actions (screens/triage-actions.js).
// Above, the "available to observe near here" switch (screens/observer-switch.js). Below, the incidents near them to update or withdraw (screens/responder-incidents.js). The
// queue asks the server again every few seconds and just after a report's time is up, keeping
// any form a responder is filling in.

import { h, mount } from "../lib/dom.js";
import { t } from "../lib/i18n.js";
import { api, ApiError } from "../lib/api.js";
import { kindLabel, problemText, when, here, cellsAround, refresher } from "../lib/rapid.js";
import { actions } from "./triage-actions.js";
import { responderIncidents } from "./responder-incidents.js";
import { photoGallery } from "../lib/photos.js";
import { observerSwitch } from "./observer-switch.js";

const EVERY_MS = 10_000;
let stop = null;

export function leave() {
  stop?.();
  stop = null;
}

export async function render() {
  const error = h("p", { class: "alert", role: "alert", id: "triage-error" });
  const status = h("p", { class: "notice", role: "status", id: "triage-status", hidden: true });
  const list = h("ul", { class: "encounter-list", id: "triage-queue" });
  const empty = h("p", { class: "hint", id: "triage-empty", hidden: true }, t("triage.empty"));
  const ctx = { near: null, reports: [] };
  const incidents = responderIncidents(ctx, error);
  const observing = observerSwitch(error);
  const say = (text) => {
    status.hidden = !text;
    status.textContent = text ?? "";
  };
  const load = async () => {
    try {
      const query = ctx.near ? `?near=${encodeURIComponent(ctx.near)}` : "";
      ctx.reports = (await api(`/api/v1/reports${query}`)) ?? [];
    } catch (failure) {
      error.textContent = problemText(failure);
      if (failure instanceof ApiError && failure.status === 403) error.textContent = `${t("triage.not_responder")} ${failure.detail}`;
      return;
    }
    const old = new Map([...list.children].map((li) => [li.dataset.id, li]));
    mount(
      list,
      ctx.reports.map((report) => {
        const kept = old.get(report.id);
        return kept && kept.dataset.key === keyOf(report) ? kept : item(report, { ctx, say, error, reload, incidents });
      }),
    );
    for (const report of ctx.reports) old.get(report.id)?.querySelector(".distance")?.replaceChildren(distance(report));
    empty.hidden = ctx.reports.length > 0;
  };
  const reload = async () => {
    await load();
    timer.replan();
    await incidents.load();
  };
  const locate = h("button", { type: "button", class: "secondary", id: "triage-locate" }, t("triage.nearest"));
  locate.addEventListener("click", async () => {
    locate.disabled = true;
    error.textContent = "";
    try {
      const around = await cellsAround(await here(), 0);
      ctx.near = around.centre.cell;
      locate.dataset.near = ctx.near;
      locate.textContent = t("triage.sorted_nearest");
      await reload();
    } catch (failure) {
      error.textContent = problemText(failure);
    } finally {
      locate.disabled = false;
    }
  });
  await load();
  const timer = refresher(load, EVERY_MS, () => ctx.reports.map((r) => r.expires_at));
  stop = () => {
    timer.stop();
    observing.stop();
    incidents.stop();
  };
  await incidents.load();
  return h(
    "section",
    { class: "screen triage" },
    h("h1", {}, t("triage.title")),
    h("p", { class: "hint" }, t("triage.lead")),
    observing.element,
    locate,
    error,
    status,
    empty,
    list,
    incidents.element,
  );
}

/** What a redraw must show anew: the questions and their answers. */
const keyOf = (report) => (report.questions ?? []).map((q) => `${q.id}:${q.answer ?? ""}`).join("|");

function distance(report) {
  if (report.distance_cells === undefined || report.distance_cells === null) return "";
  if (report.distance_cells === 0) return t("triage.here");
  return report.distance_cells === 1 ? t("triage.next_cell") : t("triage.cells_away", { n: report.distance_cells });
}

function accuracy(reporter) {
  if (!reporter) return "";
  if (!reporter.total) return t("triage.reporter_new");
  return t("triage.reporter_record", { verified: reporter.verified, total: reporter.total });
}

function item(report, tools) {
  const vehicles = report.vehicles ?? [];
  return h(
    "li",
    { class: "encounter report-item", dataset: { id: report.id, cell: report.place.cell, key: keyOf(report) } },
    h("p", { class: "when" }, kindLabel(report.kind), " · ", when(report.observed_at)),
    h("p", { class: "hint" }, h("span", { class: "distance" }, distance(report)), " ", t("triage.expires", { time: when(report.expires_at) })),
    h("p", { class: "reporter", dataset: { verified: report.reporter?.verified ?? 0, total: report.reporter?.total ?? 0 } }, accuracy(report.reporter)),
    h("p", { class: "report-description" }, report.description),
    vehicles.length
      ? h(
          "ul",
          { class: "vehicle-facts" },
          vehicles.map((v) => h("li", {}, [v.plate, v.region, v.colour, v.make, v.model, v.markings].filter(Boolean).join(" · "))),
        )
      : null,
    photoGallery(`/api/v1/reports/${encodeURIComponent(report.id)}/photos`, { id: `report-photos-${report.id}` }),
    (report.questions ?? []).map((q) => h("p", { class: "hint question" }, t("mine.question", { text: q.text }), " ", q.answer ? t("mine.answered", { text: q.answer }) : t("triage.unanswered"))),
    actions(report, tools),
  );
}
