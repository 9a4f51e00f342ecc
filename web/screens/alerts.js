// The alert banner, above every screen: when someone in the household is stopped (or their
// recording goes silent, an attorney joins, they are detained, it ends), who, what, when, where,
// whether an attorney is on the line, and a button to follow it. Each banner is role="alert", so
// a screen reader announces it the moment it arrives.

import { h, mount } from "../lib/dom.js";
import { t } from "../lib/i18n.js";
import { feed } from "../lib/live.js";
import { whereView, timeOf } from "./where.js";

const shown = new Map(); // encounter id -> the latest alert about it

/** Starts listening for alerts; `root` is the container above the screens. */
export function startAlertBanner(root) {
  feed.addEventListener("alert", (event) => {
    const { encounter, alert } = event.detail;
    shown.delete(encounter); // the newest alert about an encounter replaces the older one
    shown.set(encounter, alert);
    paint(root);
    navigator.vibrate?.([200, 100, 200]);
  });
  // Following an encounter answers its alert: the banner has done its job.
  window.addEventListener("hashchange", () => {
    const id = /^#\/follow\/([^/]+)/.exec(location.hash)?.[1];
    if (id && shown.delete(decodeURIComponent(id))) paint(root);
  });
}

function paint(root) {
  const banners = [...shown.entries()].reverse().map(([encounter, alert]) => banner(root, encounter, alert));
  mount(root, banners);
}

/** What happened, in one line: "Ana is being stopped". */
export function headline(kind, who) {
  const type = kind?.type ?? "encounter_started";
  return t(`alert.${type}`, { who, seconds: kind?.silent_secs ?? "" });
}

function banner(root, encounter, alert) {
  const dismiss = () => {
    shown.delete(encounter);
    paint(root);
  };
  const kind = alert.kind?.type ?? "encounter_started";
  return h(
    "div",
    { class: `alert-banner ${kind}`, role: "alert", dataset: { encounter, kind } },
    h("p", { class: "alert-title" }, headline(alert.kind, alert.who)),
    h("p", {}, t("alert.when", { time: timeOf(alert.when) }), " · ", t("alert.where"), " ", whereView(alert.place)),
    h("p", {}, t(alert.attorney_on_line ? "follow.attorney_yes" : "follow.attorney_no")),
    h(
      "div",
      { class: "row" },
      kind === "encounter_ended" ? null : h("a", { class: "button primary follow-link", href: `#/follow/${encodeURIComponent(encounter)}` }, t("alert.follow")),
      h("button", { type: "button", class: "secondary", onclick: dismiss }, t("alert.dismiss")),
    ),
  );
}
