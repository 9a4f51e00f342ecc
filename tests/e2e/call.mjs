// The attorney line end to end, in three browsers at once: `node call.mjs BASE OUT SETUP.json`.
//
// SETUP (written by crates/amparo/tests/call.rs) names three accounts the test made through the
// API and `amparo admin`: an organization's admin, an attorney (the attorney role, no profile yet)
// and a member holding one of the organization's seats; and whether calls must go through the
// TURN relay. In the pages: the admin vets the attorney on the organization screen; the attorney
// goes on duty in the console; the member (in Spanish, state CA) presses the button with
// "call an attorney too"; the attorney's ring sounds, they accept, and the call connects. Measured
// in the pages: WebRTC getStats on both sides (bytes received grow; the selected candidate pair),
// and the member's recording still receipted by the server during the call. The attorney writes a
// note and hangs up; the recording goes on; the member ends the encounter; the attorney downloads
// its bundle from past calls. Prints one JSON line for the Rust test.

import { mkdir, readFile } from "node:fs/promises";
import * as phone from "./lib/phone.mjs";
import { auditScreen } from "./lib/screens.mjs";

const [base, outDir, setupPath] = process.argv.slice(2);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const NOTE = "Advised to remain silent and not to sign anything. Officer badge 4411.";
const ATTORNEY_NAME = "Lic. Rosa Díaz";

const logIn = phone.logIn;

/** Screenshot and accessibility audit of what a page shows now. */
const audit = (page, name, problems, shots) => auditScreen(page, outDir, name, problems, shots);

/** Runs in a page: the call's WebRTC stats that the test asserts on. */
const STATS = async () => {
  const pc = window.amparoCall?.pc;
  if (!pc) return null;
  const stats = await pc.getStats();
  const inbound = { audio: 0, video: 0 };
  let selected = null;
  stats.forEach((s) => {
    if (s.type === "inbound-rtp") inbound[s.kind] += s.bytesReceived ?? 0;
    if (s.type === "transport" && s.selectedCandidatePairId) selected = stats.get(s.selectedCandidatePairId);
  });
  if (!selected) stats.forEach((s) => s.type === "candidate-pair" && s.nominated && s.state === "succeeded" && (selected = s));
  const candidate = (id) => {
    const c = id && stats.get(id);
    return c ? { candidateType: c.candidateType, address: c.address, port: c.port, protocol: c.protocol, relayProtocol: c.relayProtocol ?? null } : null;
  };
  return {
    at: Date.now(),
    connectionState: pc.connectionState,
    iceTransportPolicy: pc.getConfiguration().iceTransportPolicy,
    inbound,
    bytesReceived: inbound.audio + inbound.video,
    pair: selected ? { state: selected.state, nominated: selected.nominated, local: candidate(selected.localCandidateId), remote: candidate(selected.remoteCandidateId) } : null,
  };
};

async function waitConnected(page, who) {
  try {
    await page.waitForFunction(() => window.amparoCall?.pc?.connectionState === "connected", null, { timeout: 30_000 });
  } catch (error) {
    throw new Error(`${who}'s call did not connect: ${JSON.stringify(await page.evaluate(STATS))}\n${error.message}`);
  }
}

const safeSeconds = (page) => phone.secondsOf(page, "seconds-safe");

/** The organization's admin vets the attorney on the organization screen. */
async function vet(admin, attorney) {
  await admin.click('a[href="#/org"]');
  await admin.waitForSelector("#vet-form");
  await admin.fill("#vet-account", attorney.id);
  await admin.fill("#vet-name", ATTORNEY_NAME);
  await admin.fill("#vet-states", "CA");
  await admin.fill("#vet-languages", "es, en");
  await admin.click("#vet-save");
  await admin.waitForFunction(() => document.querySelector("#vet-status")?.textContent || document.querySelector("#vet-error")?.textContent);
  const error = await admin.textContent("#vet-error");
  if (error) throw new Error(`vetting refused: ${error}`);
  await admin.waitForSelector(`#roster li[data-account="${attorney.id}"]`);
}

async function relayOnly(page) {
  await page.goto("/#/settings");
  await page.check("#calls-relay-only");
}

async function main() {
  const setup = JSON.parse(await readFile(setupPath, "utf8"));
  await mkdir(`${outDir}/screenshots`, { recursive: true });
  // Loopback addresses are ICE candidates too: the test's only network is loopback.
  const browser = await phone.launchBrowser({ args: ["--allow-loopback-in-peer-connection"] });
  const problems = [];
  const shots = [];
  try {
    const admin = (await phone.newPhone(browser, base)).page;
    const attorney = (await phone.newPhone(browser, base, { viewport: { width: 412, height: 915 } })).page;
    const member = (await phone.newPhone(browser, base, { locale: "es-MX" })).page;

    await logIn(admin, setup.orgAdmin);
    await vet(admin, setup.attorney);
    await audit(admin, "org", problems, shots);

    // The attorney: the console is in the navigation (the attorney role), on duty.
    // Every WebSocket the attorney's page opens, so the test can cut one.
    await attorney.context().addInitScript(() => {
      const Native = window.WebSocket;
      window.__sockets = [];
      window.WebSocket = class extends Native {
        constructor(...args) {
          super(...args);
          window.__sockets.push(this);
        }
      };
    });
    await logIn(attorney, setup.attorney);
    if (setup.relay) await relayOnly(attorney);
    await attorney.goto("/#/");
    await attorney.click('a[href="#/console"]');
    await attorney.waitForSelector("#duty-switch");
    await attorney.check("#duty-switch");
    await attorney.waitForSelector("#duty-status[data-state=on]", { timeout: 10_000 });
    await audit(attorney, "console-on-duty", problems, shots);

    // The connection drops: the app reconnects and says it is on duty again, unasked.
    const socketsBefore = await attorney.evaluate(() => window.__sockets.length);
    await attorney.evaluate(() => window.__sockets.at(-1).close());
    await attorney.waitForFunction((before) => window.__sockets.length > before && document.body.dataset.live === "ready", socketsBefore, { timeout: 15_000 });
    await attorney.waitForSelector("#duty-status[data-state=on]", { timeout: 10_000 });
    const dutyAfterReconnect = { sockets: await attorney.evaluate(() => window.__sockets.length), state: await attorney.getAttribute("#duty-status", "data-state") };

    // The roster shows them on duty; the coverage page draws its table.
    await admin.reload();
    await admin.waitForSelector(`#roster li.on-duty[data-account="${setup.attorney.id}"]`, { timeout: 10_000 });
    await admin.click("#coverage-link");
    await admin.waitForSelector("#coverage-summary");
    await audit(admin, "coverage", problems, shots);

    // The member: Spanish, in California, "call an attorney too" (their seat's plan has the line).
    await logIn(member, setup.member);
    if (setup.relay) await relayOnly(member);
    await member.goto("/#/settings");
    await member.selectOption("#us-state", "CA");
    await member.goto("/#/");
    await member.waitForSelector("#ask-attorney-field:not([hidden])", { timeout: 10_000 });
    const askChecked = await member.isChecked("#ask-attorney");
    await audit(member, "home-with-attorney", problems, shots);
    await phone.timePress(member, "record-button", "__pressedAt");
    await phone.timeAppearance(attorney, "ring", ".ring[data-encounter]", "__ringAt");
    await member.click("#record-button");
    await member.waitForSelector(".recording.live");

    const ring = await attorney.waitForSelector(".ring[data-encounter]", { timeout: 20_000 });
    const ringLatencyMs = (await attorney.evaluate(() => window.__ringAt)) - (await member.evaluate(() => window.__pressedAt));
    const ringFacts = { role: await ring.getAttribute("role"), text: (await ring.textContent()).trim(), encounter: await ring.getAttribute("data-encounter") };
    await audit(attorney, "ring", problems, shots);
    await attorney.click("#ring-accept");
    await attorney.waitForSelector("#console-call", { timeout: 15_000 });
    await waitConnected(attorney, "the attorney");
    await waitConnected(member, "the member");
    await member.waitForSelector("#attorney-panel[data-status=connected]", { timeout: 10_000 });
    const memberStatus = (await member.textContent("#attorney-status")).trim();

    // Media both ways, and the recording still receipted while the call goes on.
    const safeBefore = await safeSeconds(member);
    const before = { member: await member.evaluate(STATS), attorney: await attorney.evaluate(STATS) };
    await sleep(3000);
    const after = { member: await member.evaluate(STATS), attorney: await attorney.evaluate(STATS) };
    const safeDuring = await safeSeconds(member);
    const recordingState = await member.evaluate(() => window.amparoCall && document.querySelector(".recording.live") !== null);
    await attorney.waitForSelector("#console-recording[data-phase=recording]", { timeout: 10_000 });
    await audit(attorney, "console-call", problems, shots);
    await audit(member, "recording-with-attorney", problems, shots);

    // A note for the record, then the attorney hangs up; the recording goes on.
    await attorney.fill("#note-text", NOTE);
    await attorney.click("#note-save");
    await attorney.waitForSelector("#notes li", { timeout: 10_000 });
    await attorney.click("#console-hang-up");
    await member.waitForFunction(() => document.querySelector("#attorney-panel")?.dataset.status !== "connected", null, { timeout: 10_000 });
    const memberAfterHangup = await member.getAttribute("#attorney-panel", "data-status");
    const safeAtHangup = await safeSeconds(member);
    await sleep(2500);
    const safeAfterHangup = await safeSeconds(member);
    await phone.endEncounter(member);
    const settled = await phone.waitForSettled(member);

    // The attorney's past calls list the encounter; its bundle downloads with their token.
    await attorney.goto("/#/history"); // the console lists past calls when it opens
    await attorney.goto("/#/console");
    await attorney.waitForSelector(`#past-calls li[data-id="${settled.encounter.id}"]`, { timeout: 10_000 });
    await audit(attorney, "console-past-calls", problems, shots);
    const [download] = await Promise.all([attorney.waitForEvent("download"), attorney.click(`#past-calls li[data-id="${settled.encounter.id}"] button`)]);
    const attorneyBundle = `${outDir}/attorney-bundle.zip`;
    await download.saveAs(attorneyBundle);
    const attorneyToken = await attorney.evaluate(() => JSON.parse(localStorage.getItem("amparo.session")).token);

    console.log(
      JSON.stringify({
        scenario: "call",
        token: settled.token,
        encounter: settled.encounter,
        attorneyToken,
        attorneyBundle,
        details: {
          relay: Boolean(setup.relay),
          askChecked,
          dutyAfterReconnect,
          ringLatencyMs,
          ring: ringFacts,
          memberStatus,
          before,
          after,
          safe: { before: safeBefore, during: safeDuring, atHangup: safeAtHangup, afterHangup: safeAfterHangup },
          recordingState,
          memberAfterHangup,
          note: NOTE,
          attorneyName: ATTORNEY_NAME,
          problems,
          shots,
        },
      }),
    );
  } finally {
    await browser.close();
  }
}

main().catch((error) => {
  console.error(error?.stack ?? String(error));
  process.exit(1);
});
