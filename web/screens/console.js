// The attorney console: the attorney's profile as their organization vetted it, the on-duty switch
// (calls ring only while it is on and this page is connected), the call in progress, and past
// calls with their evidence bundles. Rings show above every screen (screens/ring.js).

import { h, mount } from "../lib/dom.js";
import { t } from "../lib/i18n.js";
import { api, session, ApiError } from "../lib/api.js";
import { desk, deskState, goOnDuty, dutyWanted } from "../lib/desk.js";
import { callView } from "./console-call.js";
import { downloadBundle } from "./history.js";
import { languageName } from "./ring.js";
import { timeOf } from "./where.js";

let stop = null;

export function leave() {
  stop?.();
  stop = null;
}

export async function render() {
  const failure = h("p", { class: "alert", role: "alert", id: "console-error" });
  let profile = null;
  try {
    profile = await api("/api/v1/attorney/me");
  } catch (error) {
    if (!(error instanceof ApiError && [403, 404].includes(error.status))) failure.textContent = error instanceof ApiError ? error.detail : t("console.offline");
  }
  const callHolder = h("div", { id: "console-call-holder" });
  let showing = null; // { current, stop } of the call view on screen
  const paintCall = () => {
    const current = deskState.current;
    if (showing && showing.current === current) return showing.update();
    showing?.stop();
    showing = null;
    if (!current) return mount(callHolder);
    const view = callView(current);
    showing = { current, stop: view.stop, update: view.update };
    mount(callHolder, view.element);
  };
  const duty = dutySwitch(profile);
  const calls = h("div", { id: "past-calls-holder" });
  const loadCalls = async () => mount(calls, await pastCalls());
  const onChange = (event) => {
    if (event.detail === "call") {
      paintCall();
      if (!deskState.current) loadCalls(); // the call that just ended is listed
    }
    if (event.detail === "duty") duty.paint();
  };
  desk.addEventListener("change", onChange);
  stop = () => {
    desk.removeEventListener("change", onChange);
    showing?.stop();
  };
  paintCall();
  await loadCalls();
  return h(
    "section",
    { class: "screen console" },
    h("h1", {}, t("console.title")),
    failure,
    profileView(profile),
    profile ? duty.element : null,
    callHolder,
    calls,
  );
}

function profileView(profile) {
  if (!profile) {
    const me = session()?.account ?? {};
    return h("p", { class: "notice", id: "console-unvetted" }, t("console.unvetted", { username: me.username ?? "", id: me.id ?? "" }));
  }
  const p = profile;
  return h(
    "p",
    { class: "hint", id: "console-profile" },
    t("console.profile", {
      name: p.display_name ?? "",
      languages: (p.languages ?? []).map(languageName).join(", "),
      states: (p.bar_admissions ?? []).join(", "),
    }),
    p.vetted === false ? ` ${t("console.not_vetted_yet")}` : "",
  );
}

/** On duty while this page is connected; the server's answer confirms it. */
function dutySwitch(profile) {
  const input = h("input", { type: "checkbox", role: "switch", class: "big", id: "duty-switch", checked: dutyWanted(), "aria-describedby": "duty-status" });
  const status = h("p", { class: "duty-status", id: "duty-status", role: "status", "aria-live": "polite" });
  input.addEventListener("change", () => goOnDuty(input.checked));
  const paint = () => {
    const wanted = dutyWanted();
    const answer = deskState.duty;
    input.checked = wanted;
    const state = !wanted ? "off" : answer?.on ? "on" : deskState.dutyError !== null ? "refused" : "pending";
    status.dataset.state = state;
    status.textContent = state === "refused" ? t("console.duty_refused", { detail: deskState.dutyError }) : t(`console.duty_${state}`);
  };
  paint();
  if (profile?.on_duty && !dutyWanted()) status.textContent = t("console.duty_elsewhere");
  const element = h("div", { class: "field check duty" }, input, h("label", { for: "duty-switch" }, t("console.duty")), status);
  return { element, paint };
}

async function pastCalls() {
  const alert = h("p", { class: "alert", role: "alert", id: "calls-error" });
  let calls = [];
  try {
    const answer = await api("/api/v1/attorney/calls");
    calls = answer ?? [];
  } catch (error) {
    alert.textContent = error instanceof ApiError ? error.detail : t("console.offline");
  }
  return h(
    "section",
    { "aria-labelledby": "calls-title" },
    h("h2", { id: "calls-title" }, t("console.past_calls")),
    alert,
    calls.length === 0 ? h("p", { class: "hint" }, t("console.no_calls")) : null,
    h("ul", { class: "encounter-list", id: "past-calls" }, calls.map((call) => pastCall(call, alert))),
  );
}

function pastCall(call, alert) {
  const encounter = call.encounter;
  const download = h("button", { type: "button", class: "secondary", dataset: { encounter } }, t("history.download"));
  download.addEventListener("click", () => downloadBundle(encounter, download, alert));
  const when = call.connected_at ?? call.requested_at;
  const facts = [languageName(call.language), call.us_state].filter(Boolean).join(" · ");
  return h(
    "li",
    { class: "encounter ended", dataset: { id: encounter } },
    h("p", { class: "when" }, when ? new Date(when).toLocaleString() : ""),
    h("p", { class: "hint" }, facts, call.closed_at ? ` · ${t("console.ended_at", { time: timeOf(call.closed_at) })}` : ""),
    download,
  );
}
