// A phone for the tests: Debian's Chromium with a fake camera and microphone, a phone-sized
// viewport, and a tap on every chunk MediaRecorder produces so a test can compare what the
// browser recorded with what the server holds, byte for byte.

import { chromium } from "playwright-core";

export const PHONE = { width: 390, height: 844 };
export const SMALL_PHONE = { width: 360, height: 740 };

/** `args`: more Chromium flags (the calls add loopback ICE candidates). */
export async function launchBrowser({ args = [] } = {}) {
  return chromium.launch({
    executablePath: process.env.AMPARO_CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--use-fake-device-for-media-stream",
      "--use-fake-ui-for-media-stream",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--autoplay-policy=no-user-gesture-required",
      ...args,
    ],
  });
}

// Runs in the page before the app: every MediaRecorder's chunks are copied, in order, to Node.
const CAPTURE = `(() => {
  const add = MediaRecorder.prototype.addEventListener;
  let chain = Promise.resolve();
  const base64 = (bytes) => {
    let text = "";
    for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(text);
  };
  MediaRecorder.prototype.addEventListener = function (type, listener, options) {
    if (type === "dataavailable" && !this.__tapped) {
      this.__tapped = true;
      const id = Math.random().toString(36).slice(2);
      add.call(this, "dataavailable", (event) => {
        const blob = event.data;
        chain = chain.then(async () => window.__amparoCapture(id, base64(new Uint8Array(await blob.arrayBuffer()))));
      });
    }
    return add.call(this, type, listener, options);
  };
})();`;

/** A new phone (browser context) on `base`, with the chunk tap installed. */
export async function newPhone(browser, base, { viewport = PHONE, locale = "en-US", geolocation = null } = {}) {
  const context = await browser.newContext({
    baseURL: base,
    viewport,
    locale,
    hasTouch: true,
    isMobile: true,
    deviceScaleFactor: 2,
    // `geolocation` ({ latitude, longitude }): where the phone says it is, asked or not.
    ...(geolocation ? { geolocation } : {}),
    permissions: ["camera", "microphone", ...(geolocation ? ["geolocation"] : [])],
  });
  const captured = new Map(); // recorder id -> Buffer[]
  await context.exposeBinding("__amparoCapture", (_source, id, data) => {
    if (!captured.has(id)) captured.set(id, []);
    captured.get(id).push(Buffer.from(data, "base64"));
  });
  await context.addInitScript(CAPTURE);
  const page = await context.newPage();
  page.on("pageerror", (error) => console.error(`page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") console.error(`console: ${message.text()}`);
  });
  return { context, page, captured };
}

export async function signUp(page, username = `member${Date.now().toString(36)}${Math.floor(Math.random() * 1e6)}`) {
  await page.goto("/#/signup");
  // Wait for the sign-up screen itself: the log-in screen has a #username too, and the router
  // replaces it only once the new screen has rendered.
  await page.waitForSelector("#main[data-screen=signup] #username");
  await page.fill("#username", username);
  await page.fill("#password", "correct horse battery staple");
  await page.click("form button[type=submit]");
  await page.waitForSelector("#record-button");
  return username;
}

/** Runs a scenario's `main`: on failure, its stack on stderr and exit status 1 (the Rust test
 * prints it). */
export function runScenario(main) {
  main().catch((error) => {
    console.error(error?.stack ?? String(error));
    process.exit(1);
  });
}

/** Logs in on the log-in screen and waits for the home screen and the live channel. */
export async function logIn(page, { username, password }) {
  await page.goto("/#/login");
  await page.waitForSelector("#main[data-screen=login] #username");
  await page.fill("#username", username);
  await page.fill("#password", password);
  await page.click("form button[type=submit]");
  await page.waitForSelector("#record-button");
  await page.waitForSelector("body[data-live=ready]", { timeout: 15_000 });
}

/** Waits until the service worker controls the page and has cached the app. */
export async function waitForOfflineReady(page) {
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) {
      await new Promise((resolve) => navigator.serviceWorker.addEventListener("controllerchange", resolve, { once: true }));
    }
  });
}

export async function secondsOf(page, id) {
  return Number(await page.getAttribute(`#${id}`, "data-seconds"));
}

export async function waitForRecorded(page, seconds) {
  await page.waitForFunction((s) => Number(document.querySelector("#seconds-recorded")?.dataset.seconds) >= s, seconds, { timeout: (seconds + 30) * 1000 });
}

/** Ends the encounter from the recording screen (two taps: the first arms the button). */
export async function endEncounter(page) {
  await page.click("#end-encounter");
  await page.click("#end-encounter");
  await page.waitForSelector(".recording.ended");
}

/** The signed-in person's token and their encounters, as the server lists them. */
export async function serverEncounters(page) {
  return page.evaluate(async () => {
    const { token } = JSON.parse(localStorage.getItem("amparo.session"));
    const response = await fetch("/api/v1/encounters", { headers: { Authorization: `Bearer ${token}` } });
    return { token, encounters: await response.json() };
  });
}

/** Waits until every recording of the newest encounter is complete (its length declared and
 * received) and the encounter has ended on the server. */
export async function waitForSettled(page, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { token, encounters } = await serverEncounters(page);
    const newest = encounters[0];
    const settled =
      newest?.ended_at &&
      newest.recordings.length > 0 &&
      newest.recordings.every((r) => r.length !== null && r.length === r.bytes_received);
    if (settled) return { token, encounter: newest };
    if (Date.now() > deadline) throw new Error(`recordings did not settle: ${JSON.stringify(newest)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** What this device still holds in the IndexedDB queue. */
export async function queuedOnDevice(page) {
  return page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open("amparo");
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const tx = open.result.transaction(["recordings", "chunks"], "readonly");
          const recordings = tx.objectStore("recordings").getAll();
          const chunks = tx.objectStore("chunks").count();
          tx.oncomplete = () => {
            resolve({ recordings: recordings.result.map(({ bytesQueued, bytesSafe, state }) => ({ bytesQueued, bytesSafe, state })), chunks: chunks.result });
            open.result.close();
          };
        };
      }),
  );
}

/** Concatenates what each recorder produced, in recording order. */
export function capturedRecordings(captured) {
  return [...captured.values()].map((chunks) => ({ chunks: chunks.length, bytes: Buffer.concat(chunks) }));
}

/** Downloads the newest encounter's bundle the way a person does: History, then the button. */
export async function downloadFromHistory(page, path) {
  await page.goto("/#/history");
  await page.waitForSelector("#encounters li button");
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#encounters li:first-child button")]);
  await download.saveAs(path);
  return path;
}

/** Notes in the page, as `window[name]` on this machine's clock, when `selector` first appears
 * inside the element `rootId`. */
export async function timeAppearance(page, rootId, selector, name) {
  await page.evaluate(
    ({ rootId, selector, name }) => {
      new MutationObserver((_, observer) => {
        if (document.querySelector(selector)) {
          window[name] = Date.now();
          observer.disconnect();
        }
      }).observe(document.getElementById(rootId), { childList: true, subtree: true });
    },
    { rootId, selector, name },
  );
}

/** Notes in the page, as `window[name]`, when the element `id` is clicked (before the app acts). */
export async function timePress(page, id, name) {
  await page.evaluate(({ id, name }) => document.getElementById(id).addEventListener("click", () => (window[name] = Date.now()), { capture: true }), { id, name });
}
