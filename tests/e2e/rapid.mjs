// The rapid-response network in three browsers at once: `node rapid.mjs BASE OUT SETUP.json`.
//
// SETUP (written by crates/amparo/tests/rapid.rs) names a member, a responder (the responder role)
// and a subscriber, where their phones say they are, and how long an unverified report lives on
// this server (set short through its config). In the pages: the subscriber (Spanish) draws a watch
// area around their location and opens "alerts near me"; the member reports a checkpoint in the
// hexagon next to theirs, with a vehicle, and a raid nobody will verify; the responder sorts the
// queue nearest first, sees each reporter's record, verifies the checkpoint in person, and asks
// about the raid (the member answers on their reports page, the queue shows it). The
// subscriber's page shows the alert, then its update and its withdrawal, live, never reloaded; the
// raid reaches nobody, and when its time is up it leaves the responder's queue and shows as
// expired to the member, both without a reload. The plate is found typed with a wildcard and
// confusable characters, and spoken (a stand-in for the browser's recognizer, which needs Google's
// servers; the transcript goes to the real server); where the browser has no recognizer the mic
// is not shown. Every new screen is screenshot and audited in English and Spanish. Prints one JSON
// line for the Rust test.

import { mkdir, readFile } from "node:fs/promises";
import * as phone from "./lib/phone.mjs";
import { auditScreen } from "./lib/screens.mjs";

const [base, outDir, setupPath] = process.argv.slice(2);
const SPOKEN = "siete a de adam be de burro ce de casa uno dos tres";
const CHECKPOINT = "Checkpoint on 18th Street, two white vans, officers stopping every car";
const RAID = "Unverified raid at the bakery: nobody should hear of this";
const UPDATE = "Moved two blocks north, still stopping cars";
const WITHDRAW = "They left at 3 pm";
const QUESTION = "Which entrance of the bakery?";
const ANSWER = "The loading dock on Cermak";
const CLEARED = "A rental, returned to the public";
const DUPLICATE = "Same checkpoint on 18th, vans still there";
const FALSE_ALARM = "Men in vests at the park";
const REJECTED = "A film crew with a permit, not enforcement";

/** Runs in the subscriber's page before the app: every incident message the live socket brings. */
const TAP_INCIDENTS = () => {
  const Native = window.WebSocket;
  window.__incidents = [];
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (event) => {
        try {
          const message = JSON.parse(event.data);
          if (message.type === "incident") window.__incidents.push({ event: message.event, id: message.incident.id, description: message.incident.description, how: message.incident.verified_how });
        } catch {
          // not JSON: not an incident
        }
      });
    }
  };
};

/** Stands in for the browser's speech recognizer: "hears" window.__speechSays. */
const FAKE_RECOGNIZER = () => {
  class Recognizer {
    start() {
      window.__speechLang = this.lang;
      setTimeout(() => {
        this.onresult?.({ results: [[{ transcript: window.__speechSays ?? "" }]] });
        this.onend?.();
      }, 50);
    }
    stop() {}
    abort() {}
  }
  window.SpeechRecognition = Recognizer;
  window.webkitSpeechRecognition = Recognizer;
};

const NO_RECOGNIZER = () => {
  delete window.SpeechRecognition;
  delete window.webkitSpeechRecognition;
};

async function setLanguage(page, code) {
  await page.evaluate((code) => {
    const settings = JSON.parse(localStorage.getItem("amparo.settings") ?? "{}");
    settings.language = code;
    localStorage.setItem("amparo.settings", JSON.stringify(settings));
  }, code);
}

async function main() {
  const setup = JSON.parse(await readFile(setupPath, "utf8"));
  await mkdir(`${outDir}/screenshots`, { recursive: true });
  const browser = await phone.launchBrowser();
  const problems = [];
  const shots = [];
  /** The shared audit, and nothing wider than the phone (no sideways scrolling). */
  const audit = async (page, name) => {
    await auditScreen(page, outDir, name, problems, shots);
    const widths = await page.evaluate(() => ({ page: document.documentElement.scrollWidth, phone: window.innerWidth }));
    if (widths.page > widths.phone) problems.push(`${name}: ${widths.page} px wide on a ${widths.phone} px phone`);
    // Hexagons to tap are touch targets too (the shared audit looks at HTML controls only).
    const small = await page.evaluate(() =>
      [...document.querySelectorAll("svg polygon[role=button]")].map((p) => p.getBoundingClientRect()).filter((box) => Math.min(box.width, box.height) < 44).length,
    );
    if (small) problems.push(`${name}: ${small} hexagons to tap are under 44 px`);
  };
  /** Screenshot and audit of `route` in English and Spanish (reloaded in each), back to `back`. */
  const auditBoth = async (page, name, route, ready, back) => {
    for (const code of ["en", "es"]) {
      await setLanguage(page, code);
      await page.goto(`/#/${route}`);
      await page.reload();
      await page.waitForSelector(`#main[data-screen=${route.split("/")[0] || "home"}] ${ready}`);
      await audit(page, `${name}-${code}`);
    }
    await setLanguage(page, back);
    await page.reload();
  };
  try {
    const place = { latitude: setup.place.latitude, longitude: setup.place.longitude };
    const member = (await phone.newPhone(browser, base, { geolocation: place })).page;
    const responder = (await phone.newPhone(browser, base, { geolocation: place })).page;
    // The subscriber's phone is the small one (360 x 740).
    const subscriber = (await phone.newPhone(browser, base, { locale: "es-MX", geolocation: place, viewport: phone.SMALL_PHONE })).page;
    await member.context().addInitScript(FAKE_RECOGNIZER);
    await responder.context().addInitScript(NO_RECOGNIZER);
    await subscriber.context().addInitScript(TAP_INCIDENTS);

    await phone.logIn(member, setup.member);
    await phone.logIn(responder, setup.responder);
    await phone.logIn(subscriber, setup.subscriber);

    // Navigation by role: the triage tab for the responder only; alerts and reporting for all.
    await responder.waitForSelector('#tabbar a[href="#/triage"]', { timeout: 10_000 });
    await member.waitForSelector('#tabbar a[href="#/incidents"]');
    const nav = {
      responderTriageTab: await responder.locator('#tabbar a[href="#/triage"]').count(),
      memberTriageTab: await member.locator('#tabbar a[href="#/triage"]').count(),
      memberReportLink: await member.locator("#report-link").count(),
    };
    await auditBoth(member, "home-community", "", "#report-link", "en");

    // The subscriber: a watch area around where the phone is, 1 km.
    await subscriber.click('#tabbar a[href="#/incidents"]');
    await subscriber.waitForSelector("#main[data-screen=incidents] #incidents-no-area");
    await subscriber.click("#watch-link");
    await subscriber.waitForSelector("#main[data-screen=watch] #watch-form");
    await subscriber.fill("#watch-label", "Casa");
    await subscriber.click("#watch-locate");
    await subscriber.waitForSelector("#watch-where-status[data-located=true]");
    await subscriber.click('#watch-radius label:has(input[value="1000"])');
    await subscriber.click("#watch-save");
    await subscriber.waitForSelector("#watch-areas li");
    await subscriber.waitForSelector("#watch-map polygon.area");
    const watchCells = await subscriber.locator("#watch-map polygon.area").count();
    await auditBoth(subscriber, "watch", "watch", "#watch-map", "es");
    // The picker: hexagons picked on the map, drawn and named for screen readers.
    await subscriber.click('#watch-mode label:has(input[value="cells"])');
    await subscriber.click("#watch-locate");
    await subscriber.waitForSelector("#watch-pick-map polygon.pickable");
    await subscriber.click("#watch-pick-map polygon.pickable >> nth=0");
    await subscriber.waitForSelector("#watch-pick-map polygon.picked");
    await audit(subscriber, "watch-pick-es");
    const pickName = await subscriber.getAttribute("#watch-pick-map polygon.picked", "aria-label");
    await subscriber.goto("/#/incidents");
    await subscriber.waitForSelector("#main[data-screen=incidents] #incidents-map polygon.area");

    // The member reports a checkpoint in the hexagon next to theirs, with a vehicle.
    await member.goto("/#/");
    await member.click("#report-link");
    await member.waitForSelector("#main[data-screen=report] #report-checked");
    const checkedFirst = (await member.textContent("#report-checked")).trim();
    await auditBoth(member, "report", "report", "#report-checked", "en");
    await member.click('#report-kind label:has(input[value="checkpoint"])');
    await member.click("#report-locate");
    await member.waitForSelector("#report-map polygon.picked");
    const hereCell = await member.getAttribute("#report-map polygon.picked", "data-cell");
    const next = member.locator(`#report-map polygon.pickable:not([data-cell="${hereCell}"])`).first();
    const nextCell = await next.getAttribute("data-cell");
    await next.click();
    await member.waitForSelector(`#report-map polygon.picked[data-cell="${nextCell}"]`);
    await member.fill("#report-description", CHECKPOINT);
    await member.click("#report-add-vehicle");
    await member.fill("#vehicle-0-plate", "7ABC123");
    await member.fill("#vehicle-0-region", "IL");
    await member.fill("#vehicle-0-make", "Ford");
    await member.fill("#vehicle-0-model", "Transit");
    await member.fill("#vehicle-0-colour", "white");
    await member.fill("#vehicle-0-markings", "none");
    await audit(member, "report-filled-en");
    await member.click("#report-submit");
    await member.waitForSelector("#report-done:not([hidden]) #report-mine-link");
    const reportA = await member.getAttribute("#report-mine-link", "data-report");
    const reportedAt = Date.now();

    // And a raid nobody will verify, where they are.
    await member.click('#report-kind label:has(input[value="raid_workplace"])');
    await member.click(`#report-map polygon[data-cell="${hereCell}"]`);
    await member.fill("#report-description", RAID);
    await member.click("#report-submit");
    await member.waitForFunction((a) => document.querySelector("#report-mine-link")?.dataset.report !== a, reportA);
    const reportB = await member.getAttribute("#report-mine-link", "data-report");
    // A refusal is shown as the server wrote it (RFC 9457 detail): an empty description.
    await member.click("#report-submit");
    await member.waitForFunction(() => document.querySelector("#report-error")?.textContent.trim());
    const refusal = (await member.textContent("#report-error")).trim();
    // A duplicate of the checkpoint, and a false alarm.
    const send = async (kind, cell, text) => {
      const before = await member.getAttribute("#report-mine-link", "data-report");
      await member.click(`#report-kind label:has(input[value="${kind}"])`);
      await member.click(`#report-map polygon[data-cell="${cell}"]`);
      await member.fill("#report-description", text);
      await member.click("#report-submit");
      await member.waitForFunction((a) => document.querySelector("#report-mine-link")?.dataset.report !== a, before);
      return member.getAttribute("#report-mine-link", "data-report");
    };
    const reportC = await send("checkpoint", nextCell, DUPLICATE);
    const reportD = await send("other", hereCell, FALSE_ALARM);

    // The responder: nearest first, each reporter's record; the raid (here) before the checkpoint
    // (one hexagon away), though the checkpoint came first.
    await responder.click('#tabbar a[href="#/triage"]');
    await responder.waitForSelector(`#main[data-screen=triage] #triage-queue li[data-id="${reportB}"]`);
    await auditBoth(responder, "triage", "triage", `#triage-queue li[data-id="${reportB}"]`, "en");
    await responder.goto("/#/vehicles"); // no recognizer in this browser: no mic
    await responder.waitForSelector("#main[data-screen=vehicles] #plate-query");
    const micWithout = await responder.locator("#plate-mic").count();
    await responder.goto("/#/triage");
    await responder.click("#triage-locate");
    await responder.waitForSelector("#triage-locate[data-near]");
    await responder.waitForFunction(([a, b]) => {
      const ids = [...document.querySelectorAll("#triage-queue > li")].map((li) => li.dataset.id);
      return ids.indexOf(b) >= 0 && ids.indexOf(b) < ids.indexOf(a) && document.querySelector(`#triage-queue li[data-id="${a}"] .distance`)?.textContent;
    }, [reportA, reportB]);
    const queue = await responder.evaluate(() =>
      [...document.querySelectorAll("#triage-queue > li")].map((li) => ({
        id: li.dataset.id,
        distance: li.querySelector(".distance").textContent,
        reporter: li.querySelector(".reporter").textContent,
        total: li.querySelector(".reporter").dataset.total,
      })),
    );
    await responder.evaluate(() => (window.__noReload = true));

    // Two reports made, none verified: the subscriber heard nothing.
    const beforeVerify = await subscriber.evaluate(() => window.__incidents.length);
    await subscriber.evaluate(() => (window.__noReload = true));

    // Verified in person: the subscriber's page shows it, live.
    await responder.click(`#verify-open-${reportA}`);
    await responder.click(`#verify-how-${reportA} label:has(input[value="in_person"])`);
    await audit(responder, "triage-verify-en");
    await phone.timePress(responder, `verify-${reportA}`, "__pressedAt");
    await phone.timeAppearance(subscriber, "incidents", "#incidents li.incident", "__alertAt");
    await responder.click(`#verify-${reportA}`);
    await subscriber.waitForSelector("#incidents li.incident[data-state=active]", { timeout: 15_000 });
    const verifiedAfterMs = Date.now() - reportedAt; // must stay well under the expiry
    const latencyMs = (await subscriber.evaluate(() => window.__alertAt)) - (await responder.evaluate(() => window.__pressedAt));
    const incidentId = await subscriber.getAttribute("#incidents li.incident", "data-id");
    const shown = {
      verified: (await subscriber.textContent("#incidents li.incident .incident-verified")).trim(),
      what: (await subscriber.textContent("#incidents li.incident .incident-what")).trim(),
      mapped: await subscriber.locator(`#incidents-map polygon.incident.active`).count(),
      announced: (await subscriber.textContent("#incidents-announce")).trim(),
    };
    await responder.waitForSelector(`#triage-queue li[data-id="${reportA}"]`, { state: "detached" });
    const triageSaid = (await responder.textContent("#triage-status")).trim();

    // The duplicate merged into the incident (nobody is alerted again); the false alarm rejected
    // with why (the member reads it).
    await responder.click(`#merge-open-${reportC}`);
    await responder.waitForSelector(`#merge-into-${reportC} option[value="${incidentId}"]`, { state: "attached" });
    await responder.selectOption(`#merge-into-${reportC}`, incidentId);
    await responder.click(`#merge-${reportC}`);
    await responder.waitForSelector(`#triage-queue li[data-id="${reportC}"]`, { state: "detached" });
    await responder.click(`#reject-open-${reportD}`);
    await responder.fill(`#reject-text-${reportD}`, REJECTED);
    await responder.click(`#reject-${reportD}`);
    await responder.waitForSelector(`#triage-queue li[data-id="${reportD}"]`, { state: "detached" });

    // Updated while the subscriber is on another screen: a banner says so above it, and its link
    // opens the incident with the responders' note (still no reload).
    await subscriber.click('#tabbar a[href="#/"]');
    await subscriber.waitForSelector("#main[data-screen=home] #record-button");
    await responder.waitForSelector(`#responder-incidents li[data-id="${incidentId}"]`);
    await responder.click(`#incident-manage-${incidentId}`);
    await responder.fill(`#incident-note-${incidentId}`, UPDATE);
    await responder.click(`#incident-update-${incidentId}`);
    const banner = await subscriber.waitForSelector(`#incident-alerts .alert-banner[data-incident="${incidentId}"][data-event=updated]`, { timeout: 15_000 });
    const bannerFacts = { role: await banner.getAttribute("role"), text: (await banner.textContent()).trim() };
    await audit(subscriber, "incident-banner-es");
    await subscriber.click(`#incident-alerts .alert-banner[data-incident="${incidentId}"] a`);
    await subscriber.waitForSelector(`#main[data-screen=incidents] #incidents li[data-id="${incidentId}"]`);
    await subscriber.waitForFunction(
      ([id, note]) => document.querySelector(`#incidents li[data-id="${id}"] .incident-note`)?.textContent.includes(note),
      [incidentId, UPDATE],
      { timeout: 15_000 },
    );

    // The responder asks the raid's reporter a question (the member answers it below).
    await responder.click(`#ask-open-${reportB}`);
    await responder.fill(`#ask-text-${reportB}`, QUESTION);
    await responder.click(`#ask-${reportB}`);
    await responder.waitForSelector(`#triage-queue li[data-id="${reportB}"] .question`);

    // The member's reports: the checkpoint verified, the raid waiting.
    await member.goto("/#/my-reports");
    await member.waitForSelector(`#main[data-screen=my-reports] #my-reports li[data-id="${reportA}"][data-state=verified]`);
    await member.waitForSelector(`#my-reports li[data-id="${reportB}"][data-state=unverified]`);
    await member.waitForSelector(`#my-reports li[data-id="${reportC}"][data-state=merged]`);
    const rejectedShown = (await member.textContent(`#my-reports li[data-id="${reportD}"][data-state=rejected]`)).trim();
    await auditBoth(member, "my-reports", "my-reports", `#my-reports li[data-id="${reportB}"]`, "en");
    await member.evaluate(() => (window.__noReload = true));
    const asked = (await member.textContent(`#my-reports li[data-id="${reportB}"] .question p`)).trim();
    await member.fill(`#my-reports li[data-id="${reportB}"] .question textarea`, ANSWER);
    await member.click(`#my-reports li[data-id="${reportB}"] .question button`);
    await member.waitForSelector(`#my-reports li[data-id="${reportB}"] .question.answered`);
    await responder.waitForFunction(
      ([id, answer]) => document.querySelector(`#triage-queue li[data-id="${id}"] .question`)?.textContent.includes(answer),
      [reportB, ANSWER],
      { timeout: 20_000 },
    );
    const answered = (await responder.textContent(`#triage-queue li[data-id="${reportB}"] .question`)).trim();
    const answeredAfterMs = Date.now() - reportedAt; // the raid must still be open: under the expiry

    // The raid's time runs out: it leaves the responder's queue and shows as expired to the
    // member, neither page reloaded; nobody was ever told of it.
    const expiresAt = Date.parse(await member.getAttribute(`#my-reports li[data-id="${reportB}"]`, "data-expires"));
    const waitMs = Math.max(0, expiresAt - Date.now()) + 15_000;
    await responder.waitForSelector(`#triage-queue li[data-id="${reportB}"]`, { state: "detached", timeout: waitMs });
    const goneAfterMs = Date.now() - expiresAt;
    await member.waitForSelector(`#my-reports li[data-id="${reportB}"][data-state=expired]`, { timeout: 20_000 });
    const noReload = {
      responder: await responder.evaluate(() => window.__noReload === true),
      member: await member.evaluate(() => window.__noReload === true),
    };
    await auditBoth(responder, "triage-after", "triage", "#responder-incidents-title", "en");

    // Withdrawn: the subscriber's page says so, live. (The reload above forgot where the
    // responder is: nearest first again, which lists the incidents near them.)
    await responder.click("#triage-locate");
    await responder.waitForSelector(`#responder-incidents li[data-id="${incidentId}"] summary`);
    await responder.click(`#incident-manage-${incidentId}`);
    await responder.fill(`#incident-note-${incidentId}`, WITHDRAW);
    await responder.click(`#incident-withdraw-${incidentId}`);
    await subscriber.waitForSelector(`#incidents li[data-id="${incidentId}"][data-state=withdrawn]`, { timeout: 15_000 });
    await subscriber.waitForSelector(`#incidents-map polygon.incident.withdrawn`);
    const withdrawnText = (await subscriber.textContent(`#incidents li[data-id="${incidentId}"]`)).trim();
    noReload.subscriber = await subscriber.evaluate(() => window.__noReload === true);
    const messages = await subscriber.evaluate(() => window.__incidents);
    const listed = await subscriber.locator("#incidents li.incident").count();
    await auditBoth(subscriber, "incidents", "incidents", "#incidents li.incident", "es");

    // The registry: typed, with a wildcard and an 8 for the B; spoken, in Spanish.
    await member.goto("/#/vehicles");
    await member.waitForSelector("#main[data-screen=vehicles] #plate-query");
    await member.fill("#plate-query", "7A8C*");
    await member.click("#plate-search");
    await member.waitForSelector('#vehicle-results li[data-plate="7ABC123"]');
    const typed = await member.evaluate(() => [...document.querySelectorAll("#vehicle-results li[data-plate]")].map((li) => li.dataset.plate));
    await audit(member, "vehicles-results-en");
    const micWith = await member.locator("#plate-mic").count();
    await member.fill("#plate-query", "");
    await member.evaluate(() => document.querySelector("#vehicle-results").replaceChildren());
    await member.evaluate((words) => (window.__speechSays = words), SPOKEN);
    await member.click("#plate-mic");
    await member.waitForSelector('#vehicle-results li[data-plate="7ABC123"]');
    const spoken = {
      heard: (await member.textContent("#vehicles-heard")).trim(),
      results: await member.evaluate(() => [...document.querySelectorAll("#vehicle-results li[data-plate]")].map((li) => li.dataset.plate)),
    };
    await auditBoth(member, "vehicles", "vehicles", "#plate-query", "en");

    // A responder clears it, saying why; members then find it cleared.
    await responder.goto("/#/vehicles");
    await responder.waitForSelector("#main[data-screen=vehicles] #plate-query");
    await responder.fill("#plate-query", "7ABC123");
    await responder.click("#plate-search");
    const vehicleId = await (await responder.waitForSelector('#vehicle-results li[data-plate="7ABC123"]')).getAttribute("data-id");
    await responder.click(`#status-open-${vehicleId}`);
    await responder.click(`#status-${vehicleId} label:has(input[value="cleared"])`);
    await responder.fill(`#status-reason-${vehicleId}`, CLEARED);
    await audit(responder, "vehicles-status-en");
    await responder.click(`#status-save-${vehicleId}`);
    await responder.waitForSelector(`#vehicle-results li[data-id="${vehicleId}"][data-status=cleared]`);
    await member.fill("#plate-query", "7ABC123");
    await member.click("#plate-search");
    await member.waitForSelector(`#vehicle-results li[data-id="${vehicleId}"][data-status=cleared]`);
    const cleared = (await member.textContent(`#vehicle-results li[data-id="${vehicleId}"] .vehicle-status`)).trim();
    const memberStatusForm = await member.locator(`#status-open-${vehicleId}`).count();

    const token = (page) => page.evaluate(() => JSON.parse(localStorage.getItem("amparo.session")).token);
    console.log(
      JSON.stringify({
        scenario: "rapid",
        reportA,
        reportB,
        reportC,
        reportD,
        incidentId,
        tokens: { member: await token(member), responder: await token(responder), subscriber: await token(subscriber) },
        details: {
          nav,
          watchCells,
          pickName,
          checkedFirst,
          hereCell,
          nextCell,
          refusal,
          queue,
          beforeVerify,
          latencyMs,
          verifiedAfterMs,
          answeredAfterMs,
          shown,
          triageSaid,
          typed,
          spoken,
          micWith,
          micWithout,
          cleared,
          memberStatusForm,
          goneAfterMs,
          withdrawnText,
          rejectedShown,
          bannerFacts,
          noReload,
          messages,
          listed,
          conversation: { asked, answered },
          texts: { checkpoint: CHECKPOINT, raid: RAID, update: UPDATE, withdraw: WITHDRAW, question: QUESTION, answer: ANSWER, cleared: CLEARED, rejected: REJECTED },
          problems,
          shots,
        },
      }),
    );
  } finally {
    await browser.close();
  }
}

phone.runScenario(main);
