// Vetting an attorney for an organization: the account (its id, which the attorney's console
// shows them, or its username), the name people see, where they are admitted to the bar, the
// languages they take calls in, specialties, how many calls at once, and whether they are vetted
// (until then they are never offered a call).

import { h } from "../lib/dom.js";
import { t } from "../lib/i18n.js";
import { api, ApiError } from "../lib/api.js";

const SPECIALTIES = ["immigration", "criminal"];

/** The form; `saved()` runs after the server accepted it (the roster reloads). */
export function vetForm(org, saved) {
  const field = (id, key, input, hintKey) =>
    h("div", { class: "field" }, h("label", { for: id }, t(key)), input, hintKey ? h("p", { class: "hint", id: `${id}-hint` }, t(hintKey)) : null);
  const account = h("input", { id: "vet-account", required: true, autocapitalize: "none", spellcheck: "false", "aria-describedby": "vet-account-hint" });
  const name = h("input", { id: "vet-name", required: true, maxlength: 100 });
  const states = h("input", { id: "vet-states", autocapitalize: "characters", placeholder: "CA, NV", "aria-describedby": "vet-states-hint" });
  const languages = h("input", { id: "vet-languages", autocapitalize: "none", placeholder: "es, en", "aria-describedby": "vet-languages-hint" });
  const capacity = h("input", { id: "vet-capacity", type: "number", min: 0, max: 10, value: 1, inputmode: "numeric" });
  const vetted = h("input", { id: "vet-vetted", type: "checkbox", class: "big", checked: true });
  const specialties = SPECIALTIES.map((s) => h("input", { type: "checkbox", class: "big", id: `vet-specialty-${s}`, value: s, checked: s === "immigration" }));
  const status = h("p", { class: "hint", role: "status", id: "vet-status" });
  const failure = h("p", { class: "alert", role: "alert", id: "vet-error" });
  const save = h("button", { type: "submit", class: "primary", id: "vet-save" }, t("org.vet_save"));
  const onsubmit = async (event) => {
    event.preventDefault();
    failure.textContent = "";
    status.textContent = "";
    save.disabled = true;
    const profile = {
      display_name: name.value.trim(),
      bar_admissions: codes(states.value).map((c) => c.toUpperCase()),
      languages: codes(languages.value).map((c) => c.toLowerCase()),
      specialties: specialties.filter((s) => s.checked).map((s) => s.value),
      capacity: Number.isFinite(capacity.valueAsNumber) ? capacity.valueAsNumber : 1,
      vetted: vetted.checked,
    };
    try {
      await api(`/api/v1/organizations/${encodeURIComponent(org)}/attorneys/${encodeURIComponent(account.value.trim())}`, { method: "PUT", json: profile });
      status.textContent = t("org.vet_saved", { name: profile.display_name });
      await saved();
    } catch (error) {
      failure.textContent = error instanceof ApiError ? error.detail : t("org.offline");
    } finally {
      save.disabled = false;
    }
  };
  return h(
    "form",
    { id: "vet-form", class: "vet-form", onsubmit, novalidate: true },
    field("vet-account", "org.vet_account", account, "org.vet_account_hint"),
    field("vet-name", "org.vet_name", name),
    field("vet-states", "org.vet_states", states, "org.vet_states_hint"),
    field("vet-languages", "org.vet_languages", languages, "org.vet_languages_hint"),
    h(
      "fieldset",
      { class: "choice" },
      h("legend", {}, t("org.vet_specialties")),
      SPECIALTIES.map((s, i) => h("div", { class: "field check" }, specialties[i], h("label", { for: `vet-specialty-${s}` }, t(`org.specialty_${s}`)))),
    ),
    field("vet-capacity", "org.vet_capacity", capacity),
    h("div", { class: "field check" }, vetted, h("label", { for: "vet-vetted" }, t("org.vet_vetted"))),
    failure,
    status,
    save,
  );
}

/** "CA, nv ca" -> ["CA", "nv", "ca"]: separated by commas or spaces, none empty. */
function codes(text) {
  return text.split(/[\s,;]+/).filter(Boolean);
}
