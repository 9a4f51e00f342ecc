// Where an encounter is, as the member allowed: a coordinate a person can read aloud or copy,
// and a link that opens it in a map (this server holds no map tiles of its own).

import { h } from "../lib/dom.js";
import { t } from "../lib/i18n.js";

/** `place` is { lat, lon, accuracy_m }, { text }, or null (not shared). */
export function whereView(place, id) {
  if (!place) return h("span", { id }, t("follow.where_none"));
  if (typeof place.text === "string") return h("span", { id }, place.text);
  const lat = Number(place.lat).toFixed(5);
  const lon = Number(place.lon).toFixed(5);
  const accuracy = Number.isFinite(place.accuracy_m) ? ` ${t("follow.accuracy", { meters: Math.round(place.accuracy_m) })}` : "";
  return h(
    "span",
    { id },
    `${lat}, ${lon}${accuracy} `,
    h("a", { href: `https://www.openstreetmap.org/?mlat=${lat}&mlon=${lon}#map=17/${lat}/${lon}`, target: "_blank", rel: "noopener noreferrer" }, t("follow.open_map")),
  );
}

/** The encounter's location as LiveView gives it, in the shape whereView takes. */
export function fromLocation(location) {
  return location ? { lat: location.latitude, lon: location.longitude, accuracy_m: location.accuracy_m } : null;
}

/** "14:05" in the person's language. */
export function timeOf(iso) {
  return iso ? new Date(iso).toLocaleTimeString(document.documentElement.lang || undefined, { hour: "numeric", minute: "2-digit" }) : "";
}
