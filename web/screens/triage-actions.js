// What a responder does with one report (issue 6), each behind its own disclosure so the queue
// stays short: verify (how: seen in person, photo, a second independent report; what subscribers
// will read), merge into an incident nearby, ask the reporter a question, reject (why). Only
// verifying alerts anyone.

import { h, mount } from "../lib/dom.js";
import { t } from "../lib/i18n.js";
import { api } from "../lib/api.js";
import { HOWS, howLabel, kindLabel, problemText, when } from "../lib/rapid.js";
import { choice } from "./choice.js";

/** The four actions for `report`; `tools`: { say, error, reload, incidents }. */
export function actions(report, tools) {
  const id = report.id;
  const act = async (button, path, json, done) => {
    button.disabled = true;
    tools.error.textContent = "";
    try {
      const answer = await api(`/api/v1/reports/${encodeURIComponent(id)}/${path}`, { method: "POST", json });
      tools.say(done(answer));
      await tools.reload();
    } catch (failure) {
      tools.error.textContent = problemText(failure);
      button.disabled = false;
    }
  };
  return h("div", { class: "triage-actions" }, verify(report, act, tools), merge(report, act), ask(report, act), reject(report, act));
}

const panel = (name, id, ...children) =>
  h("details", { class: `action ${name}`, dataset: { action: name } }, h("summary", { id: `${name}-open-${id}` }, t(`triage.${name}`)), h("div", { class: "action-body" }, ...children));

function verify(report, act, tools) {
  const id = report.id;
  let how = "in_person";
  const text = h("textarea", { id: `verify-text-${id}`, maxlength: 2000 });
  text.value = report.description;
  const button = h("button", { type: "button", class: "primary", id: `verify-${id}` }, t("triage.verify_send"));
  button.addEventListener("click", () =>
    act(button, "verify", { how, description: text.value }, (incident) => {
      tools.incidents.remember(incident);
      return t("triage.verified", { how: howLabel(incident.verified_how) });
    }),
  );
  return panel(
    "verify",
    id,
    choice(`verify-how-${id}`, "triage.how", HOWS.map((value) => [value, howLabel(value)]), how, (value) => (how = value)),
    h("label", { for: text.id }, t("triage.verify_text")),
    h("p", { class: "hint" }, t("triage.verify_text_hint")),
    text,
    button,
  );
}

function merge(report, act) {
  const id = report.id;
  const select = h("select", { id: `merge-into-${id}` });
  const button = h("button", { type: "button", class: "secondary", id: `merge-${id}`, disabled: true }, t("triage.merge_send"));
  const hint = h("p", { class: "hint" }, t("triage.merge_loading"));
  const details = panel("merge", id, hint, h("label", { for: select.id }, t("triage.merge_into")), select, button);
  details.addEventListener("toggle", async () => {
    if (!details.open) return;
    try {
      const near = await api(`/api/v1/incidents?near=${encodeURIComponent(report.place.cell)}&rings=2`);
      const open = near.filter((incident) => !incident.withdrawn_at);
      mount(select, open.map((incident) => h("option", { value: incident.id }, `${kindLabel(incident.kind)} · ${when(incident.verified_at)} · ${incident.description.slice(0, 60)}`)));
      hint.textContent = open.length ? t("triage.merge_hint") : t("triage.merge_none");
      button.disabled = open.length === 0;
    } catch (failure) {
      hint.textContent = problemText(failure);
    }
  });
  button.addEventListener("click", () => act(button, "merge", { incident: select.value }, () => t("triage.merged")));
  return details;
}

function ask(report, act) {
  const id = report.id;
  const text = h("textarea", { id: `ask-text-${id}`, maxlength: 1000 });
  const button = h("button", { type: "button", class: "secondary", id: `ask-${id}` }, t("triage.ask_send"));
  button.addEventListener("click", () => act(button, "questions", { question: text.value }, () => t("triage.asked")));
  return panel("ask", id, h("label", { for: text.id }, t("triage.ask_text")), text, button);
}

function reject(report, act) {
  const id = report.id;
  const text = h("textarea", { id: `reject-text-${id}`, maxlength: 1000 });
  const button = h("button", { type: "button", class: "danger", id: `reject-${id}` }, t("triage.reject_send"));
  button.addEventListener("click", () => act(button, "reject", { reason: text.value }, () => t("triage.rejected")));
  return panel("reject", id, h("label", { for: text.id }, t("triage.reject_text")), h("p", { class: "hint" }, t("triage.reject_hint")), text, button);
}
