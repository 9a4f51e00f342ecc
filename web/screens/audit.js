// The responders' audit log (issue 6), for the server's admins (`#/audit`): every responder
// action, newest first, a page at a time, narrowed to one responder, report or incident by
// pasting its id. Read only: nothing here changes the log.

import { h, mount } from "../lib/dom.js";
import { t } from "../lib/i18n.js";
import { api } from "../lib/api.js";
import { problemText, when } from "../lib/rapid.js";

const FILTERS = ["responder", "report", "incident"];

export async function render() {
  const error = h("p", { class: "alert", role: "alert", id: "audit-error" });
  const list = h("ul", { class: "encounter-list", id: "audit-entries" });
  const empty = h("p", { class: "hint", id: "audit-empty", hidden: true }, t("audit.empty"));
  const older = h("button", { type: "button", class: "secondary wide", id: "audit-older", hidden: true }, t("audit.older"));
  const inputs = Object.fromEntries(FILTERS.map((name) => [name, h("input", { id: `audit-${name}`, autocomplete: "off", spellcheck: "false" })]));
  let next = null;
  const load = async (more) => {
    error.textContent = "";
    const query = new URLSearchParams();
    for (const name of FILTERS) if (inputs[name].value.trim()) query.set(name, inputs[name].value.trim());
    if (more && next) query.set("before", next);
    try {
      const page = await api(`/api/v1/audit-log?${query}`);
      const items = page.entries.map(entry);
      if (more) list.append(...items);
      else mount(list, items);
      next = page.next ?? null;
      older.hidden = !next;
      empty.hidden = list.children.length > 0;
    } catch (failure) {
      error.textContent = problemText(failure);
    }
  };
  older.addEventListener("click", () => load(true));
  const form = h(
    "form",
    {
      class: "audit-filters",
      onsubmit: (event) => {
        event.preventDefault();
        load(false);
      },
    },
    FILTERS.map((name) => h("div", { class: "field" }, h("label", { for: inputs[name].id }, t(`audit.by_${name}`)), inputs[name])),
    h("button", { type: "submit", class: "secondary", id: "audit-filter" }, t("audit.filter")),
  );
  await load(false);
  return h("section", { class: "screen audit" }, h("h1", {}, t("audit.title")), h("p", { class: "hint" }, t("audit.lead")), form, error, empty, list, older);
}

function entry(e) {
  const about = [
    e.report ? t("audit.report", { id: e.report }) : null,
    e.incident ? t("audit.incident", { id: e.incident }) : null,
    e.vehicle ? t("audit.vehicle", { id: e.vehicle }) : null,
  ].filter(Boolean);
  return h(
    "li",
    { class: "encounter audit-entry", dataset: { action: e.action } },
    h("p", { class: "when" }, when(e.at), " · ", e.responder.username ?? e.responder.id),
    h("p", {}, t(`audit.action_${e.action}`)),
    about.length ? h("p", { class: "hint" }, about.join(" · ")) : null,
    e.note ? h("p", { class: "report-description" }, e.note) : null,
  );
}
