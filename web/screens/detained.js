// "I'm being detained" on the recording screen: two taps (a pocket must not send it), then the
// server sends each emergency contact their prepared message and alerts the household. The
// request is kept on the phone first (lib/recorder.js markDetained), so no signal only delays it.

import { h } from "../lib/dom.js";
import { t } from "../lib/i18n.js";
import { markDetained } from "../lib/recorder.js";
import { uploads } from "../lib/uploader.js";
import { timeOf } from "./where.js";

const ARMED_MS = 5000;

/** The button and the line that says what happened; `listen` registers a listener that the
 * recording screen removes when it is left. */
export function detainedControl(live, listen) {
  const line = h("p", { class: "notice", role: "status", id: "detained-status", hidden: true });
  const button = h("button", { type: "button", class: "warning", id: "detained" }, t("detained.button"));
  const show = (text) => {
    line.hidden = false;
    line.textContent = text;
  };
  const done = (encounter) => {
    button.disabled = true;
    button.textContent = t("detained.done");
    if (encounter?.detainedResult) {
      const { detained_at: at, messages_sent: sent } = encounter.detainedResult;
      show(t("detained.sent", { time: timeOf(at), count: sent }));
    } else {
      show(t("detained.queued"));
    }
  };
  if (live.encounter.detainRequested) done(live.encounter);
  let armed = null;
  button.addEventListener("click", async () => {
    if (!armed) {
      button.textContent = t("detained.confirm");
      armed = setTimeout(() => {
        armed = null;
        button.textContent = t("detained.button");
      }, ARMED_MS);
      return;
    }
    clearTimeout(armed);
    live.encounter.detainRequested = true;
    done(null);
    await markDetained(live.encounter.localId);
  });
  listen(uploads, "detained", (event) => {
    const { encounterLocalId, result, error } = event.detail;
    if (encounterLocalId !== live.encounter.localId) return;
    if (result) done({ detainedResult: result });
    else show(error?.detail || t("detained.failed"));
  });
  return { button, line };
}
