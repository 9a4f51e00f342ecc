// The vehicle registry (issue 6): vehicles seen at verified incidents, searched by plate, typed
// (whole or part; ? one unknown character, * several; the characters people and cameras confuse
// find each other) or spoken. Speech is the browser's own recognizer where it has one (the mic
// button is not shown where it has none); the transcript goes to the server, which reads plates
// spoken in English or Spanish, spelling alphabets included. Responders set a vehicle's status
// (confirmed, suspected, cleared) with why: a rental returned to the public, a wrong plate.

import { h, mount } from "../lib/dom.js";
import { t, currentLanguage } from "../lib/i18n.js";
import { api } from "../lib/api.js";
import { problemText, when } from "../lib/rapid.js";
import { choice } from "./choice.js";

const STATUSES = ["confirmed", "suspected", "cleared"];

const Recognition = () => window.SpeechRecognition ?? window.webkitSpeechRecognition ?? null;

export async function render({ app }) {
  const responder = (app.account.roles ?? []).includes("responder");
  const error = h("p", { class: "alert", role: "alert", id: "vehicles-error" });
  const heard = h("p", { class: "hint", id: "vehicles-heard", role: "status" });
  const results = h("ul", { class: "encounter-list", id: "vehicle-results", "aria-live": "polite" });
  const query = h("input", { id: "plate-query", autocomplete: "off", autocapitalize: "characters", spellcheck: "false", maxlength: 16, "aria-describedby": "plate-hint" });
  const show = (found) => {
    mount(results, found.map((vehicle) => item(vehicle, error, responder)));
    if (found.length === 0) mount(results, h("li", { class: "hint", id: "vehicle-none" }, t("vehicles.none")));
  };
  const search = h("button", { type: "submit", class: "primary", id: "plate-search" }, t("vehicles.search"));
  const form = h(
    "form",
    {
      role: "search",
      novalidate: true,
      onsubmit: async (event) => {
        event.preventDefault();
        error.textContent = "";
        heard.textContent = "";
        try {
          const answer = await api(`/api/v1/vehicles?plate=${encodeURIComponent(query.value.trim())}`);
          show(answer.results);
        } catch (failure) {
          error.textContent = problemText(failure);
        }
      },
    },
    h("label", { for: "plate-query" }, t("vehicles.plate")),
    h("p", { class: "hint", id: "plate-hint" }, t("vehicles.plate_hint")),
    h("div", { class: "search-row" }, query, microphone(heard, error, show)),
    search,
  );
  return h("section", { class: "screen vehicles" }, h("h1", {}, t("vehicles.title")), h("p", { class: "hint" }, t("vehicles.lead")), form, error, heard, results);
}

/** The mic button, or nothing where the browser cannot recognize speech. */
function microphone(heard, error, show) {
  const Speech = Recognition();
  if (!Speech) return null;
  const button = h("button", { type: "button", class: "secondary", id: "plate-mic", "aria-label": t("vehicles.speak") }, "🎤");
  button.addEventListener("click", () => {
    error.textContent = "";
    const recognition = new Speech();
    recognition.lang = currentLanguage() === "es" ? "es-US" : "en-US";
    recognition.interimResults = false;
    recognition.maxAlternatives = 1;
    button.disabled = true;
    heard.textContent = t("vehicles.listening");
    recognition.onresult = async (event) => {
      const transcript = event.results?.[0]?.[0]?.transcript ?? "";
      heard.textContent = t("vehicles.heard", { text: transcript });
      try {
        const answer = await api("/api/v1/vehicles/spoken", { method: "POST", json: { transcript } });
        const readings = answer.readings.map((r) => r.plate).join(", ");
        if (readings) heard.textContent = `${t("vehicles.heard", { text: transcript })} ${t("vehicles.readings", { plates: readings })}`;
        show(answer.results);
      } catch (failure) {
        error.textContent = problemText(failure);
      }
    };
    recognition.onerror = (event) => {
      heard.textContent = "";
      error.textContent = t("vehicles.speech_failed", { reason: event.error ?? "" });
    };
    recognition.onend = () => (button.disabled = false);
    try {
      recognition.start();
    } catch (failure) {
      button.disabled = false;
      error.textContent = t("vehicles.speech_failed", { reason: failure?.message ?? "" });
    }
  });
  return button;
}

function item(vehicle, error, responder) {
  const facts = [vehicle.region, vehicle.colour, vehicle.make, vehicle.model].filter(Boolean).join(" · ");
  const sightings = h("ul", { class: "sightings" });
  const more = h("button", { type: "button", class: "secondary", "aria-expanded": "false" }, t("vehicles.sightings"));
  more.addEventListener("click", async () => {
    try {
      const full = await api(`/api/v1/vehicles/${encodeURIComponent(vehicle.id)}`);
      mount(sightings, (full.sightings ?? []).map((s) => h("li", {}, t("vehicles.seen", { time: when(s.seen_at) }))));
      more.setAttribute("aria-expanded", "true");
      more.hidden = true;
    } catch (failure) {
      error.textContent = problemText(failure);
    }
  });
  return h(
    "li",
    { class: `encounter vehicle-result ${vehicle.status}`, dataset: { id: vehicle.id, plate: vehicle.plate, status: vehicle.status } },
    h("p", { class: "when plate" }, vehicle.plate),
    facts ? h("p", {}, facts) : null,
    vehicle.markings ? h("p", { class: "hint" }, vehicle.markings) : null,
    h("p", { class: `vehicle-status ${vehicle.status}` }, t(`vehicles.status.${vehicle.status}`), vehicle.status_reason ? ` · ${vehicle.status_reason}` : ""),
    h("p", { class: "hint" }, t("vehicles.last_confirmed", { time: when(vehicle.last_confirmed_at) })),
    more,
    sightings,
    responder ? statusForm(vehicle, error) : null,
  );
}

/** Responders: a new status and why; the answer replaces the result. */
function statusForm(vehicle, error) {
  const id = vehicle.id;
  let status = vehicle.status;
  const reason = h("textarea", { id: `status-reason-${id}`, maxlength: 1000 });
  const save = h("button", { type: "button", class: "secondary", id: `status-save-${id}` }, t("vehicles.status_save"));
  save.addEventListener("click", async () => {
    save.disabled = true;
    error.textContent = "";
    try {
      const updated = await api(`/api/v1/vehicles/${encodeURIComponent(id)}/status`, { method: "POST", json: { status, reason: reason.value } });
      save.closest("li").replaceWith(item({ ...vehicle, ...updated }, error, true));
    } catch (failure) {
      error.textContent = problemText(failure);
      save.disabled = false;
    }
  });
  return h(
    "details",
    { class: "action status" },
    h("summary", { id: `status-open-${id}` }, t("vehicles.status_set")),
    h(
      "div",
      { class: "action-body" },
      choice(`status-${id}`, "vehicles.status_new", STATUSES.map((s) => [s, t(`vehicles.status.${s}`)]), status, (value) => (status = value)),
      h("label", { for: reason.id }, t("vehicles.status_reason")),
      reason,
      save,
    ),
  );
}
