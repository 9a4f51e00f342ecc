// The reports on this phone that are not on the server yet (lib/outbox.js): each "waiting to
// send" (with its photos), or not accepted by the server with its reason and a button to
// dismiss it. Redrawn whenever the outbox changes; shown on the report screen and on "my
// reports". Nothing here when nothing waits.

import { h, mount } from "../lib/dom.js";
import { t } from "../lib/i18n.js";
import { kindLabel } from "../lib/rapid.js";
import { outbox, waiting, discard, flush } from "../lib/outbox.js";

/** The list, kept current until `stop()`; `onChange` is also called on every change (a report
 * sent in the background is then on the server). */
export function outboxList({ onChange: also } = {}) {
  const holder = h("section", { class: "outbox", id: "outbox", "aria-labelledby": "outbox-title", hidden: true });
  const draw = async () => {
    const entries = await waiting();
    holder.hidden = entries.length === 0;
    if (!entries.length) return mount(holder);
    const again = h("button", { type: "button", class: "secondary", id: "outbox-send" }, t("outbox.send_now"));
    again.addEventListener("click", () => flush().catch(() => {}));
    mount(
      holder,
      h("h2", { id: "outbox-title" }, t("outbox.title")),
      h("p", { class: "hint" }, t("outbox.lead")),
      h("ul", { class: "encounter-list" }, entries.map(item)),
      entries.some((e) => !e.refused) ? again : null,
    );
  };
  const onChange = () => {
    draw().catch(() => {});
    also?.();
  };
  outbox.addEventListener("change", onChange);
  draw().catch(() => {});
  return { element: holder, stop: () => outbox.removeEventListener("change", onChange) };
}

function item(entry) {
  const dismiss = h("button", { type: "button", class: "secondary", dataset: { discard: entry.id } }, t(entry.refused ? "outbox.dismiss" : "outbox.discard"));
  dismiss.addEventListener("click", () => discard(entry.id).catch(() => {}));
  return h(
    "li",
    { class: `encounter report-item ${entry.refused ? "refused" : "waiting"}`, dataset: { outbox: entry.id } },
    h("p", { class: "when" }, kindLabel(entry.body.kind), " · ", new Date(entry.queuedAt).toLocaleTimeString()),
    h("p", { class: "report-state", role: "status" }, entry.refused ? t("outbox.refused", { reason: entry.refused }) : t("outbox.waiting")),
    entry.photos ? h("p", { class: "hint" }, t("outbox.photos", { n: entry.photos })) : null,
    h("p", { class: "report-description" }, entry.body.description),
    dismiss,
  );
}
