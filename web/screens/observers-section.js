// The "Observers" part of an incident a responder manages: where the request for legal
// observers stands (asking, nobody near yet, on the way), who is on the way (a display name and
// when they accepted, arrived, were done or were let go for marking nothing in time: nothing else), a button to ask (or ask for one more),
// and, for the observer themselves, "I've arrived" and "I'm done". It redraws when the server
// says the incident's observers changed.

import { h, mount } from "../lib/dom.js";
import { t } from "../lib/i18n.js";
import { api } from "../lib/api.js";
import { feed } from "../lib/live.js";
import { problemText, when } from "../lib/rapid.js";

/** The section for incident `id`; `stop()` when its screen leaves. */
export function observersSection(id) {
  const path = `/api/v1/incidents/${encodeURIComponent(id)}/observers`;
  const error = h("p", { class: "alert", role: "alert", id: `observers-error-${id}` });
  const status = h("p", { class: "notice", role: "status", "aria-live": "polite", id: `observers-status-${id}` });
  const list = h("ul", { class: "observer-list", id: `observers-${id}` });
  const ask = h("button", { type: "button", class: "secondary", id: `observers-ask-${id}` }, t("observers.ask"));
  let current = null;
  const act = async (button, run) => {
    button.disabled = true;
    error.textContent = "";
    try {
      await run();
      await load();
    } catch (failure) {
      error.textContent = problemText(failure);
    } finally {
      button.disabled = false;
    }
  };
  ask.addEventListener("click", () =>
    act(ask, async () => {
      const asked = await api(path, { method: "POST", json: { observers: (current?.request.sent ?? 0) + 1 } });
      status.textContent = asked.detail;
    }),
  );
  const row = (observer) => {
    const times = [t("observers.accepted", { time: when(observer.accepted_at) })];
    if (observer.arrived_at) times.push(t("observers.arrived_at", { time: when(observer.arrived_at) }));
    if (observer.done_at) times.push(t("observers.done_at", { time: when(observer.done_at) }));
    if (observer.lapsed_at) times.push(t("observers.lapsed_at", { time: when(observer.lapsed_at) }));
    const mine = [];
    if (observer.you && !observer.done_at && !observer.lapsed_at) {
      if (!observer.arrived_at) {
        const arrived = h("button", { type: "button", class: "primary", id: `observer-arrived-${id}` }, t("observers.arrived"));
        arrived.addEventListener("click", () => act(arrived, () => api(`${path}/arrived`, { method: "POST", json: {} })));
        mine.push(arrived);
      }
      const done = h("button", { type: "button", class: "secondary", id: `observer-done-${id}` }, t("observers.done"));
      done.addEventListener("click", () => act(done, () => api(`${path}/done`, { method: "POST", json: {} })));
      mine.push(done);
    }
    return h(
      "li",
      { class: "observer", dataset: { you: observer.you ? "true" : "false", state: observer.done_at ? "done" : observer.lapsed_at ? "lapsed" : observer.arrived_at ? "arrived" : "on_the_way" } },
      h("p", {}, h("strong", {}, observer.display_name), " · ", times.join(" · ")),
      mine.length ? h("div", { class: "row" }, mine) : null,
    );
  };
  async function load() {
    try {
      current = await api(path);
    } catch (failure) {
      error.textContent = problemText(failure);
      return;
    }
    status.dataset.state = current.request.status;
    status.textContent = current.request.status === "none" && current.observers.length === 0 ? t("observers.none") : current.request.detail;
    mount(list, current.observers.map(row));
    ask.textContent = current.observers.length ? t("observers.ask_more") : t("observers.ask");
  }
  const onChange = (event) => event.detail.incident === id && load();
  feed.addEventListener("observers", onChange);
  load();
  const element = h(
    "div",
    { class: "observers-section", dataset: { incident: id } },
    h("h3", {}, t("observers.title")),
    status,
    list,
    error,
    ask,
  );
  return { element, stop: () => feed.removeEventListener("observers", onChange) };
}
