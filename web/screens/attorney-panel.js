// The attorney panel on the recording screen: where the request stands (attorneys being rung; in
// line, with the organization's backup phone line; connected, with the attorney's name and
// languages; unavailable, with why and the backup line), the attorney's video, hanging up, and
// asking for an attorney now if the button was pressed without asking. The recording goes on
// whatever happens here.

import { h, mount } from "../lib/dom.js";
import { t, has } from "../lib/i18n.js";
import { ApiError } from "../lib/api.js";
import { uploads } from "../lib/uploader.js";
import { line, statusOf, callOf, refresh, request, cancel, hangUp } from "../lib/line.js";
import { languageName } from "./ring.js";

/** The panel for a live recording; `listen` registers listeners the recording screen removes. */
export function attorneyPanel(live, listen) {
  const status = h("p", { class: "attorney-status", id: "attorney-status", role: "status", "aria-live": "polite" });
  const backup = h("p", { class: "backup-line", id: "attorney-backup", hidden: true });
  const failure = h("p", { class: "alert", role: "alert", id: "attorney-error" });
  const video = h("video", { class: "preview attorney-video", id: "attorney-video", playsinline: true, autoplay: true, hidden: true, "aria-label": t("attorney.video") });
  const buttons = h("div", { class: "row" });
  const panel = h(
    "section",
    { class: "attorney-panel", id: "attorney-panel", "aria-labelledby": "attorney-heading" },
    h("h2", { id: "attorney-heading" }, t("attorney.title")),
    status,
    backup,
    failure,
    video,
    buttons,
  );
  const encounter = () => live.encounter.encounterId ?? null;

  const act = (key, id, kind, action) =>
    h(
      "button",
      {
        type: "button",
        class: kind,
        id,
        onclick: async (event) => {
          event.currentTarget.disabled = true;
          failure.textContent = "";
          try {
            await action(encounter());
          } catch (error) {
            failure.textContent = error instanceof ApiError ? error.detail : t("attorney.offline");
          }
          paint();
        },
      },
      t(key),
    );

  const paint = () => {
    const id = encounter();
    const message = id ? statusOf(id) : null;
    const call = id ? callOf(id) : null;
    const phase = call ? "connected" : message?.status ?? (live.encounter.start?.wants_attorney ? "asking" : "none");
    panel.dataset.status = phase;
    status.textContent = statusText(phase, message, call);
    const line = message?.backup_line;
    backup.hidden = !(line && ["queued", "unavailable"].includes(phase));
    if (line) mount(backup, t("attorney.backup"), " ", h("a", { href: `tel:${line.replace(/[^+\d]/g, "")}`, class: "button secondary", id: "attorney-backup-call" }, line));
    if (call) {
      video.hidden = false;
      if (video.srcObject !== call.call.remoteStream) video.srcObject = call.call.remoteStream;
    } else {
      video.hidden = true;
      video.srcObject = null;
    }
    if (live.stopped || !id) return mount(buttons);
    if (call) return mount(buttons, act("attorney.hang_up", "attorney-hang-up", "danger", hangUp));
    if (phase === "connected") return mount(buttons, act("attorney.hang_up", "attorney-hang-up", "danger", cancel));
    if (["offering", "queued", "asking"].includes(phase)) return mount(buttons, act("attorney.cancel", "attorney-cancel", "secondary", cancel));
    mount(buttons, act(phase === "none" ? "attorney.ask" : "attorney.ask_again", "attorney-request", "primary", request));
  };

  listen(line, "change", (event) => {
    if (event.detail === encounter()) paint();
  });
  listen(uploads, "encounter", (event) => {
    if (event.detail.localId !== live.encounter.localId) return;
    live.encounter.encounterId = event.detail.encounterId;
    refresh(event.detail.encounterId);
    paint();
  });
  // The call connects on its own: the attorney's video and voice start without a tap.
  listen(line, "change", () => video.play?.().catch(() => {}));
  if (encounter()) refresh(encounter());
  paint();
  return panel;
}

function statusText(phase, message, call) {
  switch (phase) {
    case "connected": {
      const attorney = call?.peer ?? message?.attorney ?? {};
      const languages = (attorney.languages ?? []).map(languageName).join(", ");
      return t("attorney.connected", { name: attorney.display_name ?? "", languages });
    }
    case "queued":
      return t("attorney.queued", { position: message?.position ?? "?" });
    case "unavailable": {
      const key = `attorney.unavailable_${message?.reason}`;
      // The server's words (English) for a reason this app has no translation of.
      return has(key) ? t(key) : message?.detail || t("attorney.unavailable");
    }
    default:
      return t(`attorney.${phase}`);
  }
}
