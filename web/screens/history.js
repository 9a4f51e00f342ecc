// The person's encounters: status, what the server holds, and the evidence bundle to download.
// Encounters still waiting on this device are listed first, so nothing looks lost.

import { h, clock } from "../lib/dom.js";
import { t } from "../lib/i18n.js";
import { api, authHeaders, problemOf, ApiError } from "../lib/api.js";
import { pending } from "../lib/uploader.js";

export async function render() {
  const alert = h("p", { class: "alert", role: "alert", id: "history-error" });
  let encounters = [];
  try {
    encounters = await api("/api/v1/encounters");
  } catch (error) {
    alert.textContent = error instanceof ApiError ? error.detail : t("history.offline");
  }
  const local = (await pending()).filter((p) => p.waitingBytes > 0 || !p.encounter.encounterId);
  return h(
    "section",
    { class: "screen history" },
    h("h1", {}, t("history.title")),
    alert,
    local.length
      ? h(
          "ul",
          { class: "encounter-list local" },
          local.map((p) =>
            h(
              "li",
              { class: "encounter waiting" },
              h("p", { class: "when" }, new Date(p.encounter.startedAt).toLocaleString()),
              h("p", { class: "status" }, t("history.waiting", { waiting: clock(p.waitingSeconds) })),
            ),
          ),
        )
      : null,
    encounters.length === 0 && local.length === 0 ? h("p", { class: "hint" }, t("history.empty")) : null,
    h("ul", { class: "encounter-list", id: "encounters" }, encounters.map((e) => row(e, alert))),
  );
}

function row(encounter, alert) {
  const bytes = encounter.recordings.reduce((sum, r) => sum + r.bytes_received, 0);
  const types = [...new Set(encounter.recordings.map((r) => r.media_type).filter(Boolean))];
  const download = h("button", { type: "button", class: "secondary", dataset: { encounter: encounter.id } }, t("history.download"));
  download.addEventListener("click", () => downloadBundle(encounter.id, download, alert));
  return h(
    "li",
    { class: `encounter ${encounter.ended_at ? "ended" : "open"}`, dataset: { id: encounter.id } },
    h("p", { class: "when" }, new Date(encounter.started_at).toLocaleString()),
    h("p", { class: "status" }, t(encounter.ended_at ? "history.ended" : "history.open")),
    h("p", { class: "hint" }, t("history.held", { size: megabytes(bytes), count: encounter.recordings.length, types: types.join(", ") || "—" })),
    download,
  );
}

function megabytes(bytes) {
  return (bytes / 1_000_000).toFixed(bytes < 10_000_000 ? 1 : 0);
}

/** Fetches the bundle with the session token (a plain link cannot send it) and saves it. */
export async function downloadBundle(id, button, alert) {
  button.disabled = true;
  alert.textContent = "";
  button.textContent = t("history.preparing");
  try {
    const response = await fetch(`/api/v1/encounters/${id}/bundle`, { headers: authHeaders() });
    if (!response.ok) throw await problemOf(response);
    const url = URL.createObjectURL(await response.blob());
    const link = h("a", { href: url, download: `amparo-${id}.zip` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  } catch (error) {
    alert.textContent = error instanceof ApiError ? error.detail : t("history.offline");
  } finally {
    button.disabled = false;
    button.textContent = t("history.download");
  }
}
