// Settings kept on this device: language, camera, recording format, state, location sharing,
// alerts on this device (Web Push); the account and logging out.

import { h } from "../lib/dom.js";
import { t, availableLanguages, loadLanguage, currentLanguage } from "../lib/i18n.js";
import { settings, saveSetting } from "../lib/settings.js";
import { api, session, saveSession } from "../lib/api.js";
import { recordableFormats } from "../lib/recorder.js";
import { pending } from "../lib/uploader.js";
import { choice, cameraOptions } from "./choice.js";
import { pushSupported, currentSubscription, subscribe, unsubscribe, sendTest, PushDenied } from "../lib/push.js";

const US_STATES = (
  "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK OR " +
  "PA RI SC SD TN TX UT VT VA WA WV WI WY PR GU VI AS MP"
).split(" ");

/** The language select, shared with the log-in screen. */
export async function languagePicker(app) {
  const select = h(
    "select",
    {
      id: "language",
      onchange: async (event) => {
        saveSetting("language", event.target.value);
        await loadLanguage(event.target.value);
        app.rerender();
      },
    },
    (await availableLanguages()).map((l) => h("option", { value: l.code, selected: l.code === currentLanguage() }, l.name)),
  );
  return h("div", { class: "field" }, h("label", { for: "language" }, t("settings.language")), select);
}

export async function render({ app }) {
  const formats = [...new Map(recordableFormats().map((f) => [f.id, f])).keys()];
  const me = session();
  const stateSelect = h(
    "select",
    { id: "us-state", onchange: (e) => saveSetting("usState", e.target.value) },
    h("option", { value: "" }, t("settings.state_none")),
    US_STATES.map((code) => h("option", { value: code, selected: code === settings.usState }, code)),
  );
  const location = h("input", {
    type: "checkbox",
    id: "share-location",
    checked: settings.shareLocation,
    onchange: (e) => saveSetting("shareLocation", e.target.checked),
  });
  return h(
    "section",
    { class: "screen settings" },
    h("h1", {}, t("nav.settings")),
    await languagePicker(app),
    choice("camera", "settings.camera", cameraOptions(), settings.facingMode, (v) => saveSetting("facingMode", v)),
    formats.length > 1
      ? choice("format", "settings.format", formats.map((f) => [f, t(`settings.format_${f}`)]), settings.format, (v) => saveSetting("format", v))
      : null,
    h("div", { class: "field" }, h("label", { for: "us-state" }, t("settings.state")), stateSelect, h("p", { class: "hint" }, t("settings.state_hint"))),
    h("div", { class: "field check" }, location, h("label", { for: "share-location" }, t("settings.location")), h("p", { class: "hint" }, t("settings.location_hint"))),
    h(
      "div",
      { class: "field check" },
      h("input", { type: "checkbox", class: "big", id: "calls-relay-only", checked: settings.callsRelayOnly, onchange: (e) => saveSetting("callsRelayOnly", e.target.checked) }),
      h("label", { for: "calls-relay-only" }, t("settings.relay_only")),
      h("p", { class: "hint" }, t("settings.relay_only_hint")),
    ),
    me ? await alertsHere() : null,
    me ? await account(app, me) : h("a", { class: "button primary", href: "#/login" }, t("login.submit")),
    h("p", {}, h("a", { href: "#/translations" }, t("settings.translations"))),
  );
}

/** "Alerts on this device": a switch for this browser's Web Push subscription, and a test. */
async function alertsHere() {
  if (!pushSupported()) {
    return h("div", { class: "field" }, h("p", { class: "hint", id: "push-status" }, t("settings.push_unsupported")));
  }
  const status = h("p", { class: "hint", id: "push-status", role: "status", "aria-live": "polite" });
  const test = h("button", { type: "button", class: "secondary", id: "push-test" }, t("settings.push_test"));
  const toggle = h("input", { type: "checkbox", id: "push-alerts", checked: Boolean(await currentSubscription()) });
  const show = (text) => {
    status.textContent = text;
    test.style.display = toggle.checked ? "" : "none"; // not `hidden`: buttons set their own display
  };
  toggle.onchange = async () => {
    const on = toggle.checked;
    toggle.disabled = true;
    show(t("settings.push_working"));
    try {
      if (on) await subscribe();
      else await unsubscribe();
      show(on ? t("settings.push_on") : t("settings.push_hint"));
    } catch (error) {
      toggle.checked = !on;
      show(error instanceof PushDenied ? t("settings.push_denied") : t("settings.push_failed", { detail: error.message }));
    } finally {
      toggle.disabled = false;
    }
  };
  test.onclick = async () => {
    test.disabled = true;
    try {
      const sent = await sendTest();
      show(t("settings.push_test_sent", { delivered: sent.delivered, devices: sent.devices }));
    } catch (error) {
      show(error.message);
    } finally {
      test.disabled = false;
    }
  };
  show(toggle.checked ? t("settings.push_on") : t("settings.push_hint"));
  return h("div", { class: "field check" }, toggle, h("label", { for: "push-alerts" }, t("settings.push")), status, test);
}

async function account(app, me) {
  const alert = h("p", { class: "alert", role: "alert" });
  const logOut = async () => {
    const waiting = (await pending()).some((p) => p.waitingBytes > 0 || !p.encounter.endedOnServer);
    if (waiting && !confirm(t("settings.logout_pending"))) return;
    try {
      await api("/api/v1/sessions/current", { method: "DELETE" });
    } catch {
      // Logged out on this device either way; the token expires on its own.
    }
    saveSession(null);
    app.navigate("login");
  };
  return h(
    "div",
    { class: "field" },
    h("p", {}, t("settings.signed_in_as", { name: me.account.username })),
    alert,
    h("button", { type: "button", class: "secondary", onclick: logOut }, t("settings.logout")),
  );
}
