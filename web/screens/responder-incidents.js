// The incidents a responder manages (issue 6): those near them (when they shared their location
// on the triage screen), else those in their watch areas, and any they verified on this page. Each
// can be updated (what subscribers read now, and why it changed) or withdrawn; either tells its
// subscribers again. Each active one has its observers section (screens/observers-section.js).

import { h, mount } from "../lib/dom.js";
import { t } from "../lib/i18n.js";
import { api } from "../lib/api.js";
import { kindLabel, howLabel, problemText, when } from "../lib/rapid.js";
import { photoGallery } from "../lib/photos.js";
import { observersSection } from "./observers-section.js";

/** `ctx.near`: the responder's cell, if they shared it. */
export function responderIncidents(ctx, error) {
  const verifiedHere = new Map(); // incident id -> incident, verified on this page
  const list = h("ul", { class: "encounter-list", id: "responder-incidents" });
  const empty = h("p", { class: "hint", id: "responder-incidents-empty" }, t("triage.incidents_empty"));
  const load = async () => {
    let found = [];
    try {
      found = await api(ctx.near ? `/api/v1/incidents?near=${encodeURIComponent(ctx.near)}&rings=10` : "/api/v1/incidents");
      for (const id of verifiedHere.keys()) {
        if (!found.some((i) => i.id === id)) found.push(await api(`/api/v1/incidents/${encodeURIComponent(id)}`));
      }
    } catch (failure) {
      error.textContent = problemText(failure);
      return;
    }
    const old = new Map([...list.children].map((li) => [li.dataset.id, li]));
    const items = found.map((incident) => {
      const kept = old.get(incident.id);
      return kept && kept.dataset.updated === incident.updated_at ? kept : item(incident, load, error);
    });
    // An item redrawn or gone stops listening for its observers' changes.
    for (const li of old.values()) if (!items.includes(li)) li.stopObservers?.();
    mount(list, items);
    empty.hidden = found.length > 0;
  };
  const element = h(
    "section",
    { "aria-labelledby": "responder-incidents-title" },
    h("h2", { id: "responder-incidents-title" }, t("triage.incidents")),
    empty,
    list,
  );
  const stop = () => [...list.children].forEach((li) => li.stopObservers?.());
  return { element, load, stop, remember: (incident) => verifiedHere.set(incident.id, incident) };
}

function item(incident, reload, error) {
  const id = incident.id;
  const withdrawn = Boolean(incident.withdrawn_at);
  const note = h("textarea", { id: `incident-note-${id}`, maxlength: 1000 });
  const text = h("textarea", { id: `incident-text-${id}`, maxlength: 2000 });
  text.value = incident.description;
  const send = async (button, withdraw) => {
    button.disabled = true;
    error.textContent = "";
    try {
      const json = { note: note.value, withdrawn: withdraw };
      if (!withdraw && text.value !== incident.description) json.description = text.value;
      await api(`/api/v1/incidents/${encodeURIComponent(id)}`, { method: "PATCH", json });
      await reload();
    } catch (failure) {
      error.textContent = problemText(failure);
      button.disabled = false;
    }
  };
  const update = h("button", { type: "button", class: "secondary", id: `incident-update-${id}` }, t("triage.incident_update"));
  update.addEventListener("click", () => send(update, false));
  const withdraw = h("button", { type: "button", class: "danger", id: `incident-withdraw-${id}` }, t("triage.incident_withdraw"));
  withdraw.addEventListener("click", () => send(withdraw, true));
  const observers = withdrawn ? null : observersSection(id);
  const li = h(
    "li",
    { class: `encounter incident ${withdrawn ? "withdrawn" : "active"}`, dataset: { id, updated: incident.updated_at, state: withdrawn ? "withdrawn" : "active" } },
    h("p", { class: "when" }, kindLabel(incident.kind), " · ", t("incidents.verified", { how: howLabel(incident.verified_how), time: when(incident.verified_at) })),
    h("p", {}, incident.description),
    incident.note ? h("p", { class: "hint" }, t("incidents.note", { note: incident.note })) : null,
    // Every photo of its reports; the switch on each shows it to subscribers (off by default).
    photoGallery(`/api/v1/incidents/${encodeURIComponent(id)}/photos`, { id: `incident-photos-${id}`, share: true }),
    observers?.element,
    withdrawn
      ? h("p", { class: "report-state" }, t("incidents.withdrawn", { time: when(incident.withdrawn_at) }))
      : h(
          "details",
          { class: "action manage" },
          h("summary", { id: `incident-manage-${id}` }, t("triage.incident_manage")),
          h(
            "div",
            { class: "action-body" },
            h("label", { for: text.id }, t("triage.incident_text")),
            text,
            h("label", { for: note.id }, t("triage.incident_note")),
            note,
            h("div", { class: "row" }, update, withdraw),
          ),
        ),
  );
  li.stopObservers = observers?.stop;
  return li;
}
