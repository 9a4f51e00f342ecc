// The home screen: one large button. Pressing it starts the camera, the encounter and the
// upload; everything else here is secondary and out of the way of a shaking thumb.

import { h, clock } from "../lib/dom.js";
import { t } from "../lib/i18n.js";
import { settings, saveSetting } from "../lib/settings.js";
import { startRecording, endEncounter, CaptureError } from "../lib/recorder.js";
import { pending } from "../lib/uploader.js";
import { SITUATIONS } from "../lib/rights.js";
import { choice, situationOptions, cameraOptions } from "./choice.js";
import { following } from "./following.js";
import { api } from "../lib/api.js";

export async function render({ app }) {
  const alert = h("p", { class: "alert", role: "alert", id: "home-error" });
  const button = h(
    "button",
    { type: "button", class: "stop-button", id: "record-button", "aria-describedby": "record-hint" },
    h("span", { class: "stop-button-label" }, t("home.button")),
  );
  button.addEventListener("click", () => begin(app, button, alert, null));

  if (app.live && !app.live.stopped) {
    return h(
      "section",
      { class: "screen home" },
      h("a", { href: "#/record", class: "button primary banner-live" }, t("home.back_to_recording")),
    );
  }
  return h(
    "section",
    { class: "screen home" },
    await following(),
    await openBanner(app, alert),
    button,
    h("p", { class: "hint center", id: "record-hint" }, t("home.button_hint")),
    alert,
    attorneyChoice(),
    situationPicker(),
    cameraPicker(),
    h("a", { class: "button secondary wide", href: "#/contacts", id: "contacts-link" }, t("home.contacts")),
    community(app),
  );
}

/** The rapid-response network: report what you see, alerts near you, watch areas, plates; the
 * triage queue for responders; the responders' audit log for server admins (the server asks
 * too: the link only spares others a screen that would refuse them). */
function community(app) {
  const link = (route, key, id) => h("a", { class: "button secondary", href: `#/${route}`, id }, t(key));
  const roles = app.account.roles ?? [];
  return h(
    "nav",
    { class: "community", "aria-labelledby": "community-title" },
    h("h2", { id: "community-title" }, t("home.community")),
    h("a", { class: "button primary wide", href: "#/report", id: "report-link" }, t("home.report")),
    h(
      "div",
      { class: "actions" },
      roles.includes("responder") ? link("triage", "nav.triage", "triage-link") : null,
      link("incidents", "nav.incidents", "incidents-link"),
      link("watch", "nav.watch", "watch-areas-link"),
      link("vehicles", "nav.vehicles", "vehicles-link"),
      link("my-reports", "nav.my-reports", "my-reports-home-link"),
      roles.includes("admin") ? link("audit", "nav.audit", "audit-link") : null,
    ),
  );
}

async function begin(app, button, alert, existing) {
  button.disabled = true;
  alert.textContent = "";
  try {
    app.live = await startRecording({ situation: settings.situation, existing });
    app.navigate("record");
  } catch (error) {
    alert.textContent = error instanceof CaptureError ? t(error.key) : t("error.unexpected", { message: error?.message ?? String(error) });
    button.disabled = false;
  }
}

/** An encounter still open on this device (the tab was reloaded or crashed while recording). */
async function openBanner(app, alert) {
  const open = (await pending()).filter((p) => !p.encounter.endRequested);
  if (open.length === 0) return null;
  const { encounter, waitingSeconds } = open[0];
  const resume = h("button", { type: "button", class: "primary", id: "resume-recording" }, t("home.resume"));
  resume.addEventListener("click", () => begin(app, resume, alert, encounter));
  const end = h(
    "button",
    {
      type: "button",
      class: "secondary",
      id: "end-open",
      onclick: async () => {
        await endEncounter(encounter.localId);
        app.rerender();
      },
    },
    t("home.end_open"),
  );
  const endDetained = h(
    "button",
    {
      type: "button",
      class: "warning",
      id: "end-open-detained",
      onclick: async () => {
        await endEncounter(encounter.localId, "detained");
        app.rerender();
      },
    },
    t("recording.end_detained"),
  );
  return h(
    "div",
    { class: "banner", role: "region", "aria-label": t("home.open_title") },
    h("h2", {}, t("home.open_title")),
    h("p", {}, t("home.open_text", { started: new Date(encounter.startedAt).toLocaleTimeString(), waiting: clock(waitingSeconds) })),
    h("div", { class: "row" }, resume, end, endDetained),
  );
}

/** "Call an attorney too": offered when the person's plan has an attorney line (asked of the
 * server each time, remembered for a start with no network). */
function attorneyChoice() {
  const box = h("input", { type: "checkbox", class: "big", id: "ask-attorney", checked: settings.askAttorney, onchange: (e) => saveSetting("askAttorney", e.target.checked) });
  const field = h("div", { class: "field check", id: "ask-attorney-field", hidden: !settings.attorneyLine }, box, h("label", { for: "ask-attorney" }, t("home.ask_attorney")));
  api("/api/v1/coverage")
    .then((coverage) => {
      saveSetting("attorneyLine", Boolean(coverage?.attorney_line));
      field.hidden = !settings.attorneyLine;
    })
    .catch(() => {
      // Offline: what the server said last time stands.
    });
  return field;
}

function situationPicker() {
  return choice("situation", "home.where", situationOptions(SITUATIONS), settings.situation, (v) => saveSetting("situation", v));
}

function cameraPicker() {
  return choice("camera", "settings.camera", cameraOptions(), settings.facingMode, (v) => saveSetting("facingMode", v));
}
