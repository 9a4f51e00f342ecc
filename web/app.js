// Amparo's web app: starts the translations and the uploader, finishes any upload a reload or a
// crashed tab left behind, and routes between screens (hash routes, so the server serves one
// page and the service worker can serve it offline).
//
// Module map:
// - lib/dom.js: building elements without HTML parsing; lib/i18n.js: translations;
//   lib/settings.js: choices kept on this device; lib/api.js: the JSON API and its problems.
// - lib/queue.js: the IndexedDB queue of chunks; lib/tus.js: the tus calls;
//   lib/uploader.js: queue -> server; lib/recorder.js: camera -> queue.
// - lib/rights.js: know-your-rights cards; screens/*.js: one file per screen.
// - lib/live.js: the WebSocket that brings alerts and followed encounters' progress;
//   lib/player.js: a recording played as it arrives (Media Source Extensions).
// - screens/alerts.js: the alert banner above every screen; screens/following.js: the
//   household's open encounters on the home screen; screens/follow.js: one encounter, live;
//   screens/contacts.js: emergency contacts and prepared messages; screens/detained.js: the
//   "I'm being detained" button; screens/where.js: a place as text and a map link;
//   screens/status.js: the page an emergency contact's link opens (no account, no recording).
// - The attorney line: lib/call.js: one WebRTC call signaled over the live channel;
//   lib/line.js: the person's request and call (sharing the recorder's camera);
//   screens/attorney-panel.js: that on the recording screen; lib/desk.js: an attorney's duty,
//   rings and call; screens/ring.js: a ring above every screen; screens/console.js (+
//   console-call.js): the attorney console; screens/org.js (+ vet.js), screens/coverage.js:
//   an organization's attorneys, state policy and coverage, for its admins.
// - The rapid-response network: lib/rapid.js (types, location, cells), lib/cellmap.js (a map drawn
//   from H3 cells as SVG, no tiles); screens/report.js and my-reports.js (a member reports and
//   follows their reports), triage.js (+ triage-actions.js, responder-incidents.js: responders),
//   incidents.js (alerts near me, live) with incident-banner.js above other screens, watch.js
//   (watch areas), vehicles.js (the registry, typed or spoken plates); lib/photos.js (report
//   photos: picked, sent after the report, shown from the token-fetched bytes, shared by responders,
//   deleted by their reporter); lib/outbox.js (every report kept on the phone first and sent when
//   it can, once, with ids chosen on the phone) with screens/outbox-list.js ("waiting to send");
//   screens/audit.js (`#/audit`: the responders' audit log, for admins, linked from home).
// - Legal observers: lib/observers.js (availability, offers, answers); screens/observer-switch.js
//   ("available near here" on triage), observer-offer.js (an offer above every screen),
//   observers-section.js (who is on the way, on each incident a responder manages).

import { h, mount } from "./lib/dom.js";
import { loadLanguage, t } from "./lib/i18n.js";
import { api, session, saveSession } from "./lib/api.js";
import { startUploader, uploads, status } from "./lib/uploader.js";
import { recoverInterrupted } from "./lib/recorder.js";
import { ensureConnected, feed } from "./lib/live.js";
import { startAlertBanner } from "./screens/alerts.js";
import { startLine } from "./lib/line.js";
import { startDesk } from "./lib/desk.js";
import { startRing } from "./screens/ring.js";
import * as home from "./screens/home.js";
import * as login from "./screens/login.js";
import * as recording from "./screens/recording.js";
import * as history from "./screens/history.js";
import * as rights from "./screens/rights.js";
import * as settingsScreen from "./screens/settings.js";
import * as translations from "./screens/translations.js";
import * as followScreen from "./screens/follow.js";
import * as contacts from "./screens/contacts.js";
import * as statusScreen from "./screens/status.js";
import * as consoleScreen from "./screens/console.js";
import * as org from "./screens/org.js";
import * as coverage from "./screens/coverage.js";
import * as reportScreen from "./screens/report.js";
import * as myReports from "./screens/my-reports.js";
import * as triage from "./screens/triage.js";
import * as incidentsScreen from "./screens/incidents.js";
import * as watch from "./screens/watch.js";
import * as vehicles from "./screens/vehicles.js";
import * as audit from "./screens/audit.js";
import { startIncidentBanner } from "./screens/incident-banner.js";
import { startObserverOffers } from "./screens/observer-offer.js";
import { startOutbox } from "./lib/outbox.js";

const ROUTES = {
  "": { screen: home, private: true },
  login: { screen: login },
  signup: { screen: login },
  record: { screen: recording, private: true },
  history: { screen: history, private: true },
  rights: { screen: rights },
  settings: { screen: settingsScreen },
  translations: { screen: translations },
  follow: { screen: followScreen, private: true },
  contacts: { screen: contacts, private: true },
  status: { screen: statusScreen },
  console: { screen: consoleScreen, private: true },
  org: { screen: org, private: true },
  coverage: { screen: coverage, private: true },
  report: { screen: reportScreen, private: true },
  "my-reports": { screen: myReports, private: true },
  triage: { screen: triage, private: true },
  incidents: { screen: incidentsScreen, private: true },
  watch: { screen: watch, private: true },
  vehicles: { screen: vehicles, private: true },
  audit: { screen: audit, private: true },
};

/** What screens share: the live recording (it outlives any one screen) and navigation. */
export const app = {
  live: null,
  openEncounters: [],
  // What navigation offers this account: the console to attorneys, the organization screens to
  // an organization's admins. Read from the server after each log-in (roles change).
  account: { token: null, roles: [], orgAdmin: false },
  navigate(path) {
    if (location.hash === `#/${path}`) route();
    else location.hash = `#/${path}`;
  },
  rerender() {
    route();
  },
};

let leaving = null;
// Screens render asynchronously (some fetch first). Each route() call takes a number; a render that
// finishes after a newer one started is dropped, so a quick second tap never loses to a slow first.
let routeGeneration = 0;
let routedEntry = null;

async function route() {
  const [name, ...params] = location.hash.replace(/^#\/?/, "").split("/");
  const generation = ++routeGeneration;
  const entry = ROUTES[name] ?? ROUTES[""];
  routedEntry = entry;
  ensureConnected(); // the live channel follows the session: opened on log-in, closed on log-out
  if (entry.private && !session()) return app.navigate("login");
  refreshAccount();
  leaving?.();
  leaving = null;
  renderChrome(name);
  const main = document.getElementById("main");
  const view = await entry.screen.render({ app, name, params });
  if (generation !== routeGeneration) {
    // Dropped: let a screen other than the one now coming stop what its render started.
    if (entry !== routedEntry) entry.screen.leave?.();
    return;
  }
  mount(main, view);
  main.dataset.screen = name || "home"; // which screen is mounted: for styling and for the browser tests
  window.scrollTo(0, 0); // a new screen starts at its top, not where the last one was scrolled
  leaving = entry.screen.leave ?? null;
  document.title = `${t("app.name")} · ${t(`nav.${name || "home"}`)}`;
  if (document.activeElement === document.body) main.focus({ preventScroll: true });
}

function renderChrome(current) {
  const connection = h("span", { class: `connection ${status.state}`, role: "status", id: "connection" }, t(`connection.${status.state}`));
  mount(document.getElementById("topbar"), h("span", { class: "brand" }, t("app.name")), connection);
  const item = (name, icon) =>
    h(
      "a",
      { href: `#/${name}`, class: "tab", "aria-current": (current || "") === name ? "page" : false },
      h("span", { class: "tab-icon", "aria-hidden": "true" }, icon),
      h("span", {}, t(`nav.${name || "home"}`)),
    );
  const roles = app.account.roles;
  mount(
    document.getElementById("tabbar"),
    h(
      "div",
      { class: "tabs", role: "navigation", "aria-label": t("nav.label") },
      item("", "●"),
      roles.includes("attorney") ? item("console", "☎") : null,
      roles.includes("responder") ? item("triage", "✓") : null,
      item("incidents", "⚠"),
      app.account.orgAdmin ? item("org", "⚖") : null,
      item("rights", "§"),
      item("history", "≡"),
      item("settings", "⚙"),
    ),
  );
  document.querySelector(".skip-link").textContent = t("nav.skip");
}

/** Roles and organizations administered, asked once per session (and again on each log-in). */
async function refreshAccount() {
  const current = session();
  const token = current?.token ?? null;
  if (app.account.token === token) return;
  app.account = { token, roles: current?.account?.roles ?? [], orgAdmin: false };
  if (!token) return;
  try {
    const [me, orgs] = await Promise.all([api("/api/v1/accounts/me"), api("/api/v1/organizations/mine")]);
    if (app.account.token !== token) return;
    app.account = { token, roles: me.roles ?? [], orgAdmin: orgs.length > 0 };
    const name = location.hash.replace(/^#\/?/, "").split("/")[0];
    renderChrome(name);
  } catch {
    // Offline: the roles the log-in gave stay; asked again on the next log-in.
    app.account.token = null;
  }
}

function updateConnection() {
  const element = document.getElementById("connection");
  if (!element) return;
  element.className = `connection ${status.state}`;
  element.textContent = t(`connection.${status.state}`);
}

async function start() {
  await loadLanguage();
  window.addEventListener("hashchange", route);
  window.addEventListener("amparo:unauthorized", () => {
    if (!app.live) {
      saveSession(null);
      app.navigate("login");
    }
  });
  // The live channel's state on the page, for styling and for the browser tests to wait on.
  feed.addEventListener("state", (event) => (document.body.dataset.live = event.detail.state));
  uploads.addEventListener("state", updateConnection);
  startAlertBanner(document.getElementById("alerts"));
  startLine(() => app.live);
  startDesk();
  startRing(document.getElementById("ring"), app);
  startObserverOffers(document.getElementById("observer-offers"), app);
  startIncidentBanner(document.getElementById("incident-alerts"));
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {
      // Without the worker the app still works online; only offline start is lost.
    });
  }
  app.openEncounters = await recoverInterrupted();
  startUploader();
  startOutbox();
  await route();
}

start().catch((error) => {
  mount(document.getElementById("main"), h("p", { role: "alert" }, String(error?.message ?? error)));
});
