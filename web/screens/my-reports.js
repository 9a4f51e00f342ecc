// A member's own reports (issue 6): each with its state (waiting for a responder, verified,
// merged, rejected and why, expired), its photos (each can be deleted), the responders'
// questions with a box to answer, and a button that deletes the report (asked twice: it cannot
// be undone). The list asks the server again now and then, and just after a waiting report's
// time is up.

import { h, mount } from "../lib/dom.js";
import { t } from "../lib/i18n.js";
import { api } from "../lib/api.js";
import { kindLabel, stateLabel, problemText, when, refresher } from "../lib/rapid.js";
import { photoGallery } from "../lib/photos.js";
import { outboxList } from "./outbox-list.js";

const EVERY_MS = 15_000;
let stop = null;

export function leave() {
  stop?.();
  stop = null;
}

export async function render() {
  const error = h("p", { class: "alert", role: "alert", id: "my-reports-error" });
  const list = h("ul", { class: "encounter-list", id: "my-reports" });
  let reports = [];
  const load = async () => {
    try {
      reports = (await api("/api/v1/reports/mine")) ?? [];
      error.textContent = "";
    } catch (failure) {
      error.textContent = problemText(failure);
      return;
    }
    // Keep a half-written answer: only reports whose state or questions changed are redrawn.
    const old = new Map([...list.children].map((li) => [li.dataset.id, li]));
    const items = reports.map((report) => {
      const key = `${report.state}|${report.questions.map((q) => q.answer ?? "").join("|")}|${report.questions.length}`;
      const kept = old.get(report.id);
      return kept && kept.dataset.key === key ? kept : item(report, key, load, error);
    });
    mount(list, items);
    empty.hidden = reports.length > 0;
  };
  const empty = h("p", { class: "hint", id: "my-reports-empty", hidden: true }, t("mine.empty"));
  await load();
  const timer = refresher(load, EVERY_MS, () => reports.filter((r) => r.state === "unverified").map((r) => r.expires_at));
  const waiting = outboxList({ onChange: () => load().catch(() => {}) });
  stop = () => {
    timer.stop();
    waiting.stop();
  };
  return h(
    "section",
    { class: "screen my-reports" },
    h("h1", {}, t("mine.title")),
    h("p", { class: "hint" }, t("mine.lead")),
    error,
    waiting.element,
    empty,
    list,
    h("a", { class: "button primary wide", href: "#/report", id: "new-report-link" }, t("mine.new")),
  );
}

function item(report, key, reload, error) {
  return h(
    "li",
    { class: `encounter report-item ${report.state}`, dataset: { id: report.id, state: report.state, expires: report.expires_at, key } },
    h("p", { class: "when" }, kindLabel(report.kind), " · ", when(report.observed_at)),
    h("p", { class: "report-state" }, stateLabel(report.state)),
    report.state === "unverified" ? h("p", { class: "hint" }, t("mine.expires", { time: when(report.expires_at) })) : null,
    report.reason ? h("p", { class: "hint" }, t("mine.reason", { reason: report.reason })) : null,
    h("p", { class: "report-description" }, report.description),
    photoGallery(`/api/v1/reports/${encodeURIComponent(report.id)}/photos`, { id: `mine-photos-${report.id}`, remove: true }),
    report.questions.map((q) => question(q, reload, error)),
    deleteControl(report, reload, error),
  );
}

/** "Delete this report", then "Delete for good" (or "Keep it"): one tap never deletes. */
function deleteControl(report, reload, error) {
  const holder = h("div", { class: "row report-delete" });
  const ask = h("button", { type: "button", class: "secondary", dataset: { deleteReport: report.id } }, t("mine.delete"));
  const warning = h("p", { class: "hint" }, t(report.incident ? "mine.delete_incident_stays" : "mine.delete_warning"));
  const confirm = h("button", { type: "button", class: "warning", dataset: { confirmDelete: report.id } }, t("mine.delete_confirm"));
  const keep = h("button", { type: "button", class: "secondary" }, t("mine.delete_keep"));
  ask.addEventListener("click", () => {
    mount(holder, warning, confirm, keep);
    confirm.focus();
  });
  keep.addEventListener("click", () => {
    mount(holder, ask);
    ask.focus();
  });
  confirm.addEventListener("click", async () => {
    confirm.disabled = true;
    try {
      await api(`/api/v1/reports/${encodeURIComponent(report.id)}`, { method: "DELETE" });
      await reload();
    } catch (failure) {
      error.textContent = problemText(failure);
      confirm.disabled = false;
    }
  });
  mount(holder, ask);
  return holder;
}

function question(q, reload, error) {
  if (q.answer) {
    return h("div", { class: "question answered" }, h("p", {}, t("mine.question", { text: q.text })), h("p", { class: "hint" }, t("mine.answered", { text: q.answer })));
  }
  const id = `answer-${q.id}`;
  const box = h("textarea", { id, maxlength: 1000 });
  const send = h("button", { type: "button", class: "primary", dataset: { question: q.id } }, t("mine.answer_send"));
  send.addEventListener("click", async () => {
    send.disabled = true;
    try {
      await api(`/api/v1/questions/${encodeURIComponent(q.id)}/answer`, { method: "POST", json: { answer: box.value } });
      await reload();
    } catch (failure) {
      error.textContent = problemText(failure);
      send.disabled = false;
    }
  });
  return h("div", { class: "question" }, h("p", {}, t("mine.question", { text: q.text })), h("label", { for: id }, t("mine.answer")), box, send);
}
