// The phone app's speed, in a real browser: `node bench.mjs BASE_URL RUNS SECONDS`.
// Run by `cargo run --release -p amparo-bench -- phone-app`, which starts the server and reads
// the JSON line this prints. For each run: a new phone signs up, presses the button and records
// SECONDS online. Instrumentation (installed before the app loads, not part of the app) notes
// when the button was pressed, when MediaRecorder produced each chunk, and when each chunk's
// receipt arrived. From those:
// - button -> first receipt, against the floor button -> first chunk produced (no upload at all);
// - footage at risk (recorded but not receipted), sampled every 50 ms from the event times,
//   against the same with instant receipts (what the 1 s timeslice alone leaves at risk).

import * as phone from "./lib/phone.mjs";

const [base, runsText = "10", secondsText = "20"] = process.argv.slice(2);
const runs = Number(runsText);
const seconds = Number(secondsText);

const INSTRUMENT = `(() => {
  const events = (window.__bench = { pressed: null, started: null, chunks: [], receipts: [] });
  document.addEventListener("click", (e) => {
    if (e.target.closest?.("#record-button") && events.pressed === null) events.pressed = performance.now();
  }, true);
  const start = MediaRecorder.prototype.start;
  MediaRecorder.prototype.start = function (...args) {
    events.started = performance.now();
    this.addEventListener("dataavailable", () => events.chunks.push(performance.now()));
    return start.apply(this, args);
  };
  const original = window.fetch;
  window.fetch = async (...args) => {
    const response = await original(...args);
    if (response.headers.get("Amparo-Receipt")) events.receipts.push(performance.now());
    return response;
  };
})();`;

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Footage at risk at each 50 ms from the first chunk to the last receipt: now - the production
 * time of the newest chunk whose receipt had arrived (or the recorder start if none). */
function risk(events, receiptTimes) {
  const samples = [];
  const end = Math.min(events.chunks.at(-1), receiptTimes.at(-1));
  for (let t = events.chunks[0]; t <= end; t += 50) {
    let safeUpTo = events.started;
    for (let k = 0; k < events.chunks.length && k < receiptTimes.length; k += 1) {
      if (receiptTimes[k] <= t) safeUpTo = events.chunks[k];
    }
    samples.push((t - safeUpTo) / 1000);
  }
  return samples;
}

async function main() {
  const browser = await phone.launchBrowser();
  const firstReceipt = [];
  const firstChunk = [];
  const atRisk = [];
  const floorAtRisk = [];
  try {
    for (let run = 0; run < runs; run += 1) {
      const { context, page } = await phone.newPhone(browser, base);
      await context.addInitScript(INSTRUMENT);
      await phone.signUp(page);
      await page.reload(); // the instrumentation is installed from this load on
      await page.waitForSelector("#record-button");
      await page.click("#record-button");
      await phone.waitForRecorded(page, seconds);
      const events = await page.evaluate(() => window.__bench);
      await phone.endEncounter(page);
      await context.close();
      if (events.receipts.length === 0) throw new Error(`run ${run}: no receipt arrived`);
      firstReceipt.push((events.receipts[0] - events.pressed) / 1000);
      firstChunk.push((events.chunks[0] - events.pressed) / 1000);
      atRisk.push(...risk(events, events.receipts));
      floorAtRisk.push(...risk(events, events.chunks));
    }
  } finally {
    await browser.close();
  }
  const summary = (values) => ({ p50: percentile(values, 50), p95: percentile(values, 95), max: Math.max(...values), n: values.length });
  console.log(
    JSON.stringify({
      runs,
      seconds,
      first_receipt_s: summary(firstReceipt),
      first_chunk_s: summary(firstChunk),
      at_risk_s: summary(atRisk),
      floor_at_risk_s: summary(floorAtRisk),
    }),
  );
}

main().catch((error) => {
  console.error(error?.stack ?? String(error));
  process.exit(1);
});
