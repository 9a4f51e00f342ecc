// Alerts on this device, end to end in a real browser: Debian's Firefox (headless, driven by
// puppeteer-core over WebDriver BiDi) pointed at a local push service (push-service.mjs).
//
//   node push.mjs BASE PUSHPORT OUT
//
// Signs up through the API, opens the app's Settings, turns on "Alerts on this device" there,
// and prints {"ready":true,"token":...}. Then waits for the service worker to show a
// notification (which needs the browser to have decrypted the server's message) and prints
// {"notifications":[...],"messages":[...]}: what registration.getNotifications() holds and what
// the worker posted to the page. Exits non-zero, saying why, on any failure or after 90 s.

import puppeteer from "puppeteer-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

const [base, pushPort, out] = process.argv.slice(2);
if (!base || !pushPort || !out) {
  console.error("usage: node push.mjs BASE PUSHPORT OUT");
  process.exit(2);
}
const firefox = process.env.AMPARO_FIREFOX ?? "/usr/bin/firefox-esr";
const step = (what) => console.error(`push.mjs: ${what}`);
setTimeout(() => {
  console.error("push.mjs: gave up after 90 s");
  process.exit(3);
}, 90_000).unref();

mkdirSync(out, { recursive: true });
const browser = await puppeteer.launch({
  browser: "firefox",
  executablePath: firefox,
  headless: true,
  extraPrefsFirefox: {
    "dom.push.enabled": true,
    "dom.push.connection.enabled": true,
    "dom.push.serverURL": `ws://127.0.0.1:${pushPort}/`,
    "dom.push.testing.allowInsecureServerURL": true,
    // Notifications allowed without a prompt; shown by Firefox itself, since a headless browser
    // has no desktop notification service.
    "permissions.default.desktop-notification": 1,
    "alerts.useSystemBackend": false,
  },
});
let page;
try {
  const credentials = { username: `push${Date.now()}${Math.floor(Math.random() * 1e6)}`, password: "a long test password" };
  const post = async (path, body) => {
    const response = await fetch(`${base}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status} ${await response.text()}`);
    return response.json();
  };
  step("signing up");
  await post("/api/v1/accounts", credentials);
  const session = await post("/api/v1/sessions", credentials);

  page = await browser.newPage();
  page.on("console", (message) => console.error(`page: ${message.text()}`));
  page.on("pageerror", (error) => console.error(`page error: ${error.message}`));
  await page.goto(`${base}/#/settings`);
  await page.evaluate((value) => {
    localStorage.setItem("amparo.session", JSON.stringify(value));
    localStorage.setItem("amparo.settings", JSON.stringify({ language: "en" }));
  }, session);
  await page.reload();
  step("waiting for the service worker");
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
  await page.evaluate(() => {
    window.pushed = [];
    navigator.serviceWorker.addEventListener("message", (event) => {
      if (event.data?.type === "amparo:push") window.pushed.push(event.data);
    });
  });

  step("turning on alerts in Settings");
  await page.waitForSelector("#push-alerts", { timeout: 15_000 });
  await page.click("#push-alerts");
  await page
    .waitForFunction(() => document.querySelector("#push-alerts")?.checked && !document.querySelector("#push-alerts")?.disabled, { timeout: 30_000 })
    .catch(async () => {
      const status = await page.$eval("#push-status", (e) => e.textContent).catch(() => "(no status)");
      throw new Error(`alerts did not turn on: ${status}`);
    });
  const status = await page.$eval("#push-status", (e) => e.textContent);
  const endpoint = await page.evaluate(async () => (await (await navigator.serviceWorker.ready).pushManager.getSubscription())?.endpoint);
  if (!endpoint) throw new Error(`no subscription after turning alerts on (status: ${status})`);
  await page.screenshot({ path: join(out, "settings-alerts-on.png") });
  console.log(JSON.stringify({ ready: true, token: session.token, account: session.account.id, endpoint, status }));

  step("waiting for a notification");
  const shown = await page.waitForFunction(
    async () => {
      const registration = await navigator.serviceWorker.ready;
      const notifications = await registration.getNotifications();
      return notifications.length > 0 && notifications.map((n) => ({ title: n.title, body: n.body, tag: n.tag, data: n.data }));
    },
    { timeout: 60_000, polling: 200 },
  );
  const notifications = await shown.jsonValue();
  // The worker posts to the page after showing; give the message a moment to arrive.
  await page.waitForFunction(() => window.pushed.length > 0, { timeout: 5_000 }).catch(() => {});
  const messages = await page.evaluate(() => window.pushed);
  console.log(JSON.stringify({ notifications, messages }));
} catch (error) {
  console.error(`push.mjs: ${error.stack ?? error}`);
  if (page) await page.screenshot({ path: join(out, "failure.png") }).catch(() => {});
  process.exitCode = 1;
} finally {
  await browser.close().catch(() => {});
}
