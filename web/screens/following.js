// On the home screen: the household's encounters happening now, so a person who opens the app
// after the alert (or missed it) still finds them. Nothing shows when there are none.

import { h } from "../lib/dom.js";
import { t } from "../lib/i18n.js";
import { api, session } from "../lib/api.js";
import { headline } from "./alerts.js";
import { timeOf } from "./where.js";

export async function following() {
  let encounters = [];
  try {
    encounters = await api("/api/v1/following");
  } catch {
    return null; // offline: the alert banner still brings news when the connection returns
  }
  const me = session()?.account?.username;
  encounters = encounters.filter((e) => e.who !== me); // one's own is on the recording screen
  if (encounters.length === 0) return null;
  return h(
    "div",
    { class: "banner following", role: "region", "aria-labelledby": "following-title" },
    h("h2", { id: "following-title" }, t("home.following_title")),
    h(
      "ul",
      { class: "encounter-list", id: "following" },
      encounters.map((e) =>
        h(
          "li",
          { class: "encounter open", dataset: { id: e.id } },
          h("p", { class: "when" }, headline({ type: e.detained_at ? "detained" : "encounter_started" }, e.who)),
          h("p", { class: "status" }, t("home.following_since", { time: timeOf(e.started_at) })),
          h("a", { class: "button primary", href: `#/follow/${encodeURIComponent(e.id)}` }, t("alert.follow")),
        ),
      ),
    ),
  );
}
