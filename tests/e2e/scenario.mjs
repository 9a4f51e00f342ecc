// One browser scenario against a running Amparo: `node scenario.mjs NAME BASE_URL OUT_DIR`.
// Writes what the browser recorded to OUT_DIR/captured-<n>.webm and prints one JSON line for
// the Rust test (crates/amparo/tests/browser.rs), which checks the server and the bundle.

import { mkdir, writeFile } from "node:fs/promises";
import * as phone from "./lib/phone.mjs";
import { screenshots } from "./lib/screens.mjs";

const [name, base, outDir] = process.argv.slice(2);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const SCENARIOS = {
  /** Sign up, press the button, record 10 s, end. */
  async record(page) {
    await phone.signUp(page);
    const pressed = Date.now();
    await page.click("#record-button");
    await page.waitForSelector(".recording.live");
    await page.waitForFunction(() => Number(document.querySelector("#seconds-safe")?.dataset.seconds) > 0, null, { timeout: 15_000 });
    const firstReceiptMs = Date.now() - pressed;
    const risk = [];
    const sample = async (until) => {
      while ((await phone.secondsOf(page, "seconds-recorded")) < until) {
        risk.push(await page.evaluate(() => Number(document.querySelector("#seconds-waiting").dataset.seconds)));
        await sleep(200);
      }
    };
    await sample(4);
    // Discreet mode: a black screen while recording and receipts go on; two taps bring it back.
    await page.click("#discreet");
    await page.waitForSelector("#discreet-overlay");
    const safeBefore = await phone.secondsOf(page, "seconds-safe");
    await sleep(2500);
    const safeDuring = await phone.secondsOf(page, "seconds-safe");
    await page.dblclick("#discreet-overlay", { position: { x: 100, y: 300 } });
    await page.waitForSelector("#discreet-overlay", { state: "detached" });
    await sample(10.5);
    await phone.endEncounter(page);
    return { firstReceiptMs, maxWaitingSeconds: Math.max(...risk), discreet: { safeBefore, safeDuring } };
  },

  /** The same in fragmented MP4, the format iPhones record: accepted and recorded as such. */
  async mp4(page) {
    await phone.signUp(page);
    await page.evaluate(() => {
      const settings = JSON.parse(localStorage.getItem("amparo.settings") ?? "{}");
      localStorage.setItem("amparo.settings", JSON.stringify({ ...settings, format: "mp4" }));
    });
    await page.reload();
    await page.click("#record-button");
    await phone.waitForRecorded(page, 4);
    await phone.endEncounter(page);
    return {};
  },

  /** Record, lose the network for 5 s, get it back, keep recording, end. */
  async offline(page, context) {
    await phone.signUp(page);
    await page.click("#record-button");
    await phone.waitForRecorded(page, 3);
    await context.setOffline(true);
    await page.waitForSelector("#recording-connection.offline", { timeout: 10_000 });
    const safeAtCut = await phone.secondsOf(page, "seconds-safe");
    await sleep(5000);
    const waitingOffline = await phone.secondsOf(page, "seconds-waiting");
    const queued = await phone.queuedOnDevice(page);
    await context.setOffline(false);
    await phone.waitForRecorded(page, (await phone.secondsOf(page, "seconds-recorded")) + 3);
    await phone.endEncounter(page);
    return { safeAtCut, waitingOffline, chunksQueuedOffline: queued.chunks };
  },

  /** Reload the page in the middle of an offline stretch: the queue still reaches the server. */
  async reload(page, context) {
    await phone.signUp(page);
    await phone.waitForOfflineReady(page);
    await page.click("#record-button");
    await phone.waitForRecorded(page, 3);
    await context.setOffline(true);
    await page.waitForSelector("#recording-connection.offline", { timeout: 10_000 });
    await sleep(4000);
    const before = await phone.queuedOnDevice(page);
    await page.reload();
    // The service worker serves the app with no network; the open encounter is offered.
    await page.waitForSelector("#resume-recording", { timeout: 15_000 });
    const afterReload = await phone.queuedOnDevice(page);
    // The rights cards read with no network too.
    await page.goto("/#/rights/home");
    const offlineCard = await page.textContent(".rights-card h1", { timeout: 10_000 });
    await page.goto("/#/");
    await page.waitForSelector("#end-open");
    await sleep(1000);
    await context.setOffline(false);
    await page.click("#end-open");
    return { queuedBeforeReload: before, queuedAfterReload: afterReload, offlineCard };
  },

  /** The screens at phone sizes in English and Spanish, checked for touch targets, labels
   * and contrast. */
  async screens(_page, _context, browser) {
    return screenshots(browser, base, outDir);
  },
};

async function main() {
  const scenario = SCENARIOS[name];
  if (!scenario) throw new Error(`no scenario ${name}: one of ${Object.keys(SCENARIOS).join(", ")}`);
  await mkdir(outDir, { recursive: true });
  const browser = await phone.launchBrowser();
  try {
    const { context, page, captured } = await phone.newPhone(browser, base);
    const details = await scenario(page, context, browser);
    let server = null;
    if (name !== "screens") {
      server = await phone.waitForSettled(page);
      const recordings = phone.capturedRecordings(captured);
      for (const [index, recording] of recordings.entries()) {
        await writeFile(`${outDir}/captured-${index}.webm`, recording.bytes);
      }
      details.captured = recordings.map((r) => ({ chunks: r.chunks, bytes: r.bytes.length }));
      details.leftOnDevice = await phone.queuedOnDevice(page);
      details.downloaded = await phone.downloadFromHistory(page, `${outDir}/downloaded.zip`);
    }
    console.log(JSON.stringify({ scenario: name, token: server?.token, encounter: server?.encounter, details }));
  } finally {
    await browser.close();
  }
}

main().catch((error) => {
  console.error(error?.stack ?? String(error));
  process.exit(1);
});
