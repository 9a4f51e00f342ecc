// An organization's admin screens: the organizations this account administers, and for one of
// them its attorneys (who is on duty now), vetting an attorney, and its rule for states. The
// coverage by hour of the week is on its own screen (screens/coverage.js).

import { h, mount } from "../lib/dom.js";
import { t } from "../lib/i18n.js";
import { api, ApiError } from "../lib/api.js";
import { choice } from "./choice.js";
import { vetForm } from "./vet.js";
import { languageName } from "./ring.js";

export async function render({ params }) {
  const id = params[0] ? decodeURIComponent(params[0]) : null;
  const failure = h("p", { class: "alert", role: "alert", id: "org-error" });
  let orgs = [];
  try {
    orgs = await api("/api/v1/organizations/mine");
  } catch (error) {
    failure.textContent = error instanceof ApiError ? error.detail : t("org.offline");
  }
  const org = id ? orgs.find((o) => o.id === id) : orgs.length === 1 ? orgs[0] : null;
  if (!org) {
    return h(
      "section",
      { class: "screen org" },
      h("h1", {}, t("nav.org")),
      failure,
      orgs.length === 0 ? h("p", { class: "hint" }, t("org.none")) : null,
      h("ul", { class: "card-list", id: "orgs" }, orgs.map((o) => h("li", {}, h("a", { class: "card-link", href: `#/org/${encodeURIComponent(o.id)}` }, h("span", { class: "card-title" }, o.name))))),
    );
  }
  const roster = h("div", { id: "roster-holder" });
  const loadRoster = async () => mount(roster, await rosterView(org.id));
  await loadRoster();
  return h(
    "section",
    { class: "screen org", dataset: { org: org.id } },
    h("h1", {}, org.name),
    failure,
    orgs.length > 1 ? h("a", { class: "back", href: "#/org" }, t("org.all")) : null,
    h("a", { class: "button secondary wide", href: `#/coverage/${encodeURIComponent(org.id)}`, id: "coverage-link" }, t("org.coverage")),
    h("h2", {}, t("org.roster")),
    roster,
    h("h2", {}, t("org.vet_title")),
    vetForm(org.id, loadRoster),
    h("h2", {}, t("org.policy_title")),
    await statePolicy(org),
  );
}

/** The attorneys the organization vetted, who is on duty now first. */
async function rosterView(org) {
  let attorneys;
  try {
    const answer = await api(`/api/v1/organizations/${encodeURIComponent(org)}/attorneys`);
    attorneys = answer ?? [];
  } catch (error) {
    return h("p", { class: "alert", role: "alert" }, error instanceof ApiError ? error.detail : t("org.offline"));
  }
  if (attorneys.length === 0) return h("p", { class: "hint", id: "roster-empty" }, t("org.roster_empty"));
  const sorted = [...attorneys].sort((a, b) => Number(Boolean(b.on_duty)) - Number(Boolean(a.on_duty)));
  return h(
    "ul",
    { class: "encounter-list", id: "roster" },
    sorted.map((a) =>
      h(
        "li",
        { class: `encounter ${a.on_duty ? "on-duty" : "off-duty"}`, dataset: { account: a.account } },
        h("p", { class: "when" }, a.display_name ?? a.username ?? ""),
        h("p", { class: a.on_duty ? "duty-flag on" : "duty-flag" }, t(a.on_duty ? "org.on_duty" : "org.off_duty"), a.vetted === false ? ` · ${t("org.not_vetted")}` : ""),
        h(
          "p",
          { class: "hint" },
          t("org.attorney_facts", {
            languages: (a.languages ?? []).map(languageName).join(", "),
            states: (a.bar_admissions ?? []).join(", "),
            capacity: a.capacity ?? 1,
          }),
        ),
      ),
    ),
  );
}

/** Which attorneys may take a state's calls: admitted in that state, or admitted anywhere in the US. */
async function statePolicy(org) {
  const status = h("p", { class: "hint", role: "status", id: "policy-status" });
  let current = "admitted_in_state";
  try {
    current = (await api(`/api/v1/organizations/${encodeURIComponent(org.id)}/dispatch-policy`)).state_policy ?? current;
  } catch {
    // Offline: the default is shown; saving still says what the server holds.
  }
  const options = [
    ["admitted_in_state", t("org.policy_admitted_in_state")],
    ["any_us_admission", t("org.policy_any_us_admission")],
  ];
  const save = async (value) => {
    status.textContent = t("org.saving");
    try {
      await api(`/api/v1/organizations/${encodeURIComponent(org.id)}/dispatch-policy`, { method: "PUT", json: { state_policy: value } });
      status.textContent = t("org.saved");
    } catch (error) {
      status.textContent = error instanceof ApiError ? error.detail : t("org.offline");
    }
  };
  return h("div", {}, choice("state-policy", "org.policy_legend", options, current, save, { chips: false }), status);
}
