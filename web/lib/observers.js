// Legal observers (docs/legal-observers.md), the responder's side: "available near here" (the
// phone's location, sent as a point the server turns into one H3 cell and keeps only in memory),
// refreshed every few minutes while on; the offers that arrive over the live channel; accept and
// decline. Screens listen to `observerDesk` ("change") and read `observerState`.

import { api } from "./api.js";
import { feed } from "./live.js";
import { here } from "./rapid.js";

/** Fires "change" with what changed: "availability", "offer", "notice". */
export const observerDesk = new EventTarget();
/** available: bool; until: ISO time; offers: incident id -> offer; notice: { reason, incident } */
export const observerState = { available: false, until: null, place: null, offers: new Map(), notice: null };

/** The server forgets availability after half an hour without a refresh: say it every 5 min. */
const REFRESH_MS = 5 * 60 * 1000;
let refresher = null;

const changed = (what) => observerDesk.dispatchEvent(new CustomEvent("change", { detail: what }));

function held(view) {
  observerState.available = view.available;
  observerState.until = view.until ?? null;
  observerState.place = view.place ?? null;
  changed("availability");
}

/** Switches availability on (from the phone's location) or off. Rejects with a message for the
 * person (location refused, a problem from the server). */
export async function setAvailable(on) {
  clearInterval(refresher);
  refresher = null;
  if (!on) {
    held(await api("/api/v1/observers/availability", { method: "PUT", json: { available: false } }));
    return;
  }
  const say = async () => held(await api("/api/v1/observers/availability", { method: "PUT", json: { available: true, place: await here() } }));
  await say();
  refresher = setInterval(() => say().catch(() => {}), REFRESH_MS);
}

/** What the server holds now (after a reload: the switch shows the truth). */
export async function loadAvailability() {
  held(await api("/api/v1/observers/availability"));
}

export async function accept(incident) {
  try {
    const observer = await api(`/api/v1/incidents/${encodeURIComponent(incident)}/observers/accept`, { method: "POST", json: {} });
    observerState.offers.delete(incident);
    observerState.notice = { reason: "accepted", incident };
    changed("offer");
    return observer;
  } catch (failure) {
    observerState.offers.delete(incident);
    observerState.notice = { reason: "refused", detail: failure.detail ?? failure.message, incident };
    changed("offer");
    return null;
  }
}

export async function decline(incident) {
  observerState.offers.delete(incident);
  changed("offer");
  await api(`/api/v1/incidents/${encodeURIComponent(incident)}/observers/decline`, { method: "POST", json: {} }).catch(() => {});
}

feed.addEventListener("observer_offer", (event) => {
  observerState.offers.set(event.detail.incident, event.detail);
  changed("offer");
});
feed.addEventListener("observer_offer_withdrawn", (event) => {
  const { incident, reason } = event.detail;
  if (!observerState.offers.delete(incident)) return;
  if (reason !== "declined") observerState.notice = { reason, incident };
  changed("offer");
});
feed.addEventListener("observer_cancelled", (event) => {
  observerState.notice = { reason: "cancelled", incident: event.detail.incident };
  changed("offer");
});
feed.addEventListener("observer_availability", () => {
  clearInterval(refresher);
  refresher = null;
  held({ available: false });
});
