// What the rapid-response screens share (issue 6): the report types and verification means,
// the phone's location, the cells around a place (the server turns points into H3 cells and
// gives their corners: the app holds no map tiles and no H3 code), and the text of a problem.

import { api, ApiError, NetworkError } from "./api.js";
import { t, currentLanguage } from "./i18n.js";
import { h } from "./dom.js";

export const KINDS = ["checkpoint", "raid_home", "raid_workplace", "arrest", "vehicle", "other"];
export const HOWS = ["in_person", "photo", "second_report"];
/** The most vehicles one report lists (the server's MAX_VEHICLES_PER_REPORT). */
export const MAX_VEHICLES = 10;

export const kindLabel = (kind) => t(`rapid.kind.${kind}`);
export const howLabel = (how) => t(`rapid.how.${how}`);
export const stateLabel = (state) => t(`rapid.state.${state}`);

/** The server's words for a refusal (RFC 9457 `detail`), why there was no answer, or what went
 * wrong on the phone (the location, already in the person's words). */
export function problemText(error) {
  if (error instanceof ApiError) return error.detail || error.message;
  if (error instanceof NetworkError || !(error instanceof Error)) return t("rapid.offline");
  return error.message;
}

/** "Tue 14:05" in the person's language. */
export function when(iso) {
  if (!iso) return "";
  return new Date(iso).toLocaleString(currentLanguage(), { weekday: "short", hour: "numeric", minute: "2-digit" });
}

/** The phone's location, once: { latitude, longitude }. Rejects with a message for the person. */
export function here() {
  return new Promise((resolve, reject) => {
    if (!("geolocation" in navigator)) return reject(new Error(t("rapid.location_missing")));
    navigator.geolocation.getCurrentPosition(
      (position) => resolve({ latitude: position.coords.latitude, longitude: position.coords.longitude }),
      (error) => reject(new Error(t(error.code === 1 ? "rapid.location_denied" : "rapid.location_failed"))),
      { enableHighAccuracy: false, timeout: 15_000, maximumAge: 60_000 },
    );
  });
}

/** "Use my location": asks the phone, says so in `status`, hands the place to `use` (which
 * returns what `status` says next); a refusal goes to `error` in the person's words. */
export function locateButton(id, status, error, use) {
  const button = h("button", { type: "button", class: "secondary", id }, t("report.use_location"));
  button.addEventListener("click", async () => {
    button.disabled = true;
    error.textContent = "";
    status.textContent = t("report.locating");
    try {
      status.textContent = await use(await here());
      status.dataset.located = "true";
    } catch (failure) {
      status.textContent = "";
      error.textContent = problemText(failure);
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

/** The network's cells around a point or a cell: { centre, cells } with corners. */
export function cellsAround(place, rings = 3) {
  const query = new URLSearchParams({ rings: String(rings) });
  if (place.cell) query.set("cell", place.cell);
  else {
    query.set("latitude", String(place.latitude));
    query.set("longitude", String(place.longitude));
  }
  return api(`/api/v1/cells?${query}`);
}

/** Calls `load` again at each `times` (ISO) that passes, and every `everyMs`; returns a stop. */
export function refresher(load, everyMs, nextTimes = () => []) {
  let timer = null;
  let stopped = false;
  const plan = () => {
    clearTimeout(timer);
    if (stopped) return;
    const now = Date.now();
    const next = nextTimes()
      .map((iso) => Date.parse(iso) - now)
      .filter((ms) => Number.isFinite(ms) && ms > -1000);
    // Just after the earliest expiry (the server decides), else at the regular interval.
    const wait = Math.min(everyMs, ...next.map((ms) => Math.max(ms + 300, 300)));
    timer = setTimeout(async () => {
      await load().catch(() => {});
      plan();
    }, wait);
  };
  plan();
  return {
    replan: plan,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
