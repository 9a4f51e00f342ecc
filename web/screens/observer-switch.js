// "Available to observe near here": a responder's switch on the triage screen. On, the phone's
// location goes to the server, which keeps only the H3 cell it falls in, in memory, and forgets
// it when the switch goes off or no refresh comes for half an hour (lib/observers.js refreshes
// every 5 minutes while this page's app is open). The status line says what the server holds.

import { h } from "../lib/dom.js";
import { t } from "../lib/i18n.js";
import { observerDesk, observerState, setAvailable, loadAvailability } from "../lib/observers.js";
import { problemText, when } from "../lib/rapid.js";

/** The switch, and a function to stop listening when the screen leaves. */
export function observerSwitch(error) {
  const input = h("input", { type: "checkbox", role: "switch", class: "big", id: "observer-switch", "aria-describedby": "observer-status" });
  const status = h("p", { class: "duty-status", id: "observer-status", role: "status", "aria-live": "polite" });
  const paint = () => {
    input.checked = observerState.available;
    status.dataset.state = observerState.available ? "on" : "off";
    status.textContent = observerState.available ? t("observers.available_until", { time: when(observerState.until) }) : t("observers.unavailable");
  };
  input.addEventListener("change", async () => {
    input.disabled = true;
    error.textContent = "";
    status.textContent = input.checked ? t("report.locating") : "";
    try {
      await setAvailable(input.checked);
    } catch (failure) {
      error.textContent = problemText(failure);
    } finally {
      input.disabled = false;
      paint();
    }
  });
  const onChange = (event) => event.detail === "availability" && paint();
  observerDesk.addEventListener("change", onChange);
  loadAvailability().catch(() => {}).finally(paint);
  const element = h(
    "div",
    { class: "field check duty observer-switch" },
    input,
    h("label", { for: "observer-switch" }, t("observers.switch")),
    h("p", { class: "hint" }, t("observers.switch_hint")),
    status,
  );
  return { element, stop: () => observerDesk.removeEventListener("change", onChange) };
}
