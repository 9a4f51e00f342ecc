// Following a household member's encounter, in two phones at once: `node follow.mjs BASE OUT`.
//
// Ana (the owner) and Ben (a member of her household) each have the app open. Ana writes an
// emergency contact with a prepared message, then presses the button. Measured: how long after
// her press Ben's page shows the alert (in the pages themselves: a click listener on Ana's button
// and a MutationObserver on Ben's banner, both on this machine's clock), and how soon Ben's
// <video> plays her recording as it arrives. A third account, outside the household, is refused
// the live view, the media and the WebSocket follow; no token at all gets 401. Ana's tab reloads
// and she keeps recording: Ben's screen switches to the new recording. Then Ana presses "I'm being
// detained" and Ben sees it; she ends it as a detention and Ben sees it ended. Prints one JSON line for crates/amparo/tests/browser.rs.

import { mkdir } from "node:fs/promises";
import * as phone from "./lib/phone.mjs";
import { auditScreen } from "./lib/screens.mjs";

const [base, outDir] = process.argv.slice(2);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const MESSAGE = "I have been detained. Call Ana's sister at +1 312 555 0199. The children are with Rosa.";

/** A call to the API from inside a page, with that page's session (or none). */
async function call(page, method, path, { json, auth = true } = {}) {
  return page.evaluate(
    async ({ method, path, json, auth }) => {
      const headers = {};
      const session = JSON.parse(localStorage.getItem("amparo.session") ?? "null");
      if (auth && session) headers.Authorization = `Bearer ${session.token}`;
      if (json !== undefined) headers["Content-Type"] = "application/json";
      const response = await fetch(path, { method, headers, body: json === undefined ? undefined : JSON.stringify(json) });
      const text = await response.text();
      let body = null;
      try {
        body = JSON.parse(text);
      } catch {
        body = text.length;
      }
      return { status: response.status, body };
    },
    { method, path, json, auth },
  );
}

function expectStatus(result, status, what) {
  if (result.status !== status) throw new Error(`${what}: expected ${status}, got ${result.status} ${JSON.stringify(result.body)}`);
  return result.body;
}

/** Screenshot and accessibility audit of what a page shows now. */
const audit = (page, name, problems, shots) => auditScreen(page, outDir, name, problems, shots);

/** Ana's household, with Ben in it, made through the API as the owner and the invitee would. */
async function household(owner, member) {
  expectStatus(await call(owner, "POST", "/api/v1/households", { json: {} }), 201, "create household");
  const { code } = expectStatus(await call(owner, "POST", "/api/v1/households/current/invitations", { json: {} }), 201, "invite");
  const joined = await call(member, "POST", "/api/v1/households/join", { json: { code } });
  if (joined.status >= 300) throw new Error(`join: ${joined.status} ${JSON.stringify(joined.body)}`);
}

/** Ana writes her emergency contact and its prepared message on the contacts screen. */
async function writeContact(page) {
  await page.click("#contacts-link");
  await page.click("#add-contact");
  await page.fill("#contact-name", "Rosa");
  await page.fill("#contact-email", "rosa@example.org");
  await page.fill("#contact-phone", "+1 312 555 0100");
  await page.fill("#contact-message", MESSAGE);
  await page.click("#save-contact");
  await page.waitForSelector("#contacts li .message-state.saved");
}

/** Samples Ben's <video> until it has played `seconds` of Ana's recording. */
async function watchVideo(page, seconds, timeoutMs) {
  const samples = [];
  const started = Date.now();
  for (;;) {
    const sample = await page.evaluate(() => {
      const video = document.querySelector("#follow-video");
      const b = video?.buffered;
      return {
        at: Date.now(),
        currentTime: video?.currentTime ?? 0,
        paused: video?.paused ?? true,
        readyState: video?.readyState ?? 0,
        bufferedEnd: b && b.length ? b.end(b.length - 1) : 0,
        bufferedStart: b && b.length ? b.start(0) : 0,
        width: video?.videoWidth ?? 0,
        error: video?.error?.message ?? null,
      };
    });
    samples.push(sample);
    if (sample.error) throw new Error(`the video failed: ${sample.error}`);
    const first = samples.find((s) => s.currentTime > 0 && !s.paused);
    if (first && sample.currentTime - first.currentTime >= seconds) return { samples, playingAfterMs: first.at - started };
    if (Date.now() - started > timeoutMs) throw new Error(`the video did not play: ${JSON.stringify(samples.slice(-5))}`);
    await sleep(250);
  }
}

async function main() {
  await mkdir(`${outDir}/screenshots`, { recursive: true });
  const browser = await phone.launchBrowser();
  const problems = [];
  const shots = [];
  try {
    const ana = (await phone.newPhone(browser, base)).page;
    const ben = (await phone.newPhone(browser, base, { viewport: phone.SMALL_PHONE })).page;
    const stranger = (await phone.newPhone(browser, base)).page;
    const anaName = await phone.signUp(ana);
    await phone.signUp(ben);
    await phone.signUp(stranger);
    await household(ana, ben);

    await writeContact(ana);
    await audit(ana, "contacts", problems, shots);
    const contacts = expectStatus(await call(ana, "GET", "/api/v1/contacts"), 200, "list contacts");

    // Ben has the app open, its live channel ready; the clocks are this machine's.
    await ben.goto("/#/");
    await ben.waitForSelector("body[data-live=ready]", { timeout: 15_000 });
    await phone.timeAppearance(ben, "alerts", ".alert-banner[data-kind=encounter_started]", "__alertShownAt");
    await ana.goto("/#/");
    await ana.waitForSelector("#record-button");
    await phone.timePress(ana, "record-button", "__pressedAt");
    await ana.click("#record-button");
    const banner = await ben.waitForSelector(".alert-banner[data-kind=encounter_started]", { timeout: 10_000 });
    const pressedAt = await ana.evaluate(() => window.__pressedAt);
    const alertShownAt = await ben.evaluate(() => window.__alertShownAt);
    const alertLatencyMs = alertShownAt - pressedAt;
    // Where the time went: the camera starting before the encounter is created, then the server.
    const created = await ana.evaluate(() => {
      const entry = performance.getEntriesByType("resource").find((e) => new URL(e.name).pathname === "/api/v1/encounters");
      return entry ? { sentAt: performance.timeOrigin + entry.startTime, answeredAt: performance.timeOrigin + entry.responseEnd } : null;
    });
    const alertBreakdown = created && {
      pressToRequestMs: Math.round(created.sentAt - pressedAt),
      requestToAnswerMs: Math.round(created.answeredAt - created.sentAt),
      requestToBannerMs: Math.round(alertShownAt - created.sentAt),
    };
    const alertText = (await banner.textContent()).trim();
    const bannerRole = await banner.getAttribute("role");
    await audit(ben, "alert-banner", problems, shots);

    // Ben follows: the live state and Ana's recording, a few seconds behind.
    const followedAt = Date.now();
    await ben.click(".alert-banner .follow-link");
    await ben.waitForSelector("#follow-state");
    const encounter = decodeURIComponent(/#\/follow\/([^/]+)/.exec(ben.url())[1]);
    const video = await watchVideo(ben, 2, 20_000);
    await ben.waitForSelector("#follow-state[data-phase=recording]", { timeout: 10_000 });
    const safeShown = Number(await ben.getAttribute("#follow-safe", "data-seconds"));
    await audit(ben, "follow", problems, shots);
    await audit(ana, "recording-detained-button", problems, shots);

    // Outside the household: refused. No token: not even asked who.
    const view = expectStatus(await call(ben, "GET", `/api/v1/encounters/${encounter}/live`), 200, "Ben's live view");
    const recording = view.recordings[0].id;
    const media = `/api/v1/encounters/${encounter}/recordings/${recording}/media?from=0`;
    const benMedia = await call(ben, "GET", media);
    const refusals = {
      strangerLive: (await call(stranger, "GET", `/api/v1/encounters/${encounter}/live`)).status,
      strangerMedia: (await call(stranger, "GET", media)).status,
      anonymousLive: (await call(stranger, "GET", `/api/v1/encounters/${encounter}/live`, { auth: false })).status,
      anonymousMedia: (await call(stranger, "GET", media, { auth: false })).status,
      strangerFollowing: expectStatus(await call(stranger, "GET", "/api/v1/following"), 200, "stranger's following").length,
      strangerSocket: await socketFollow(stranger, encounter),
    };
    const benFollowing = expectStatus(await call(ben, "GET", "/api/v1/following"), 200, "Ben's following");

    // Ana's tab reloads mid-encounter and she keeps recording: a new recording in the same
    // encounter, which Ben's screen switches to and plays.
    const firstRecording = await ben.getAttribute("#follow-video", "data-recording");
    await ana.reload();
    await ana.click("#resume-recording");
    await ana.waitForSelector(".recording.live");
    await ben.waitForFunction((first) => {
      const video = document.querySelector("#follow-video");
      return video?.dataset.recording && video.dataset.recording !== first;
    }, firstRecording, { timeout: 15_000 });
    const secondRecording = await ben.getAttribute("#follow-video", "data-recording");
    const afterSwitch = await watchVideo(ben, 1, 20_000);

    // Ana: "I'm being detained" (two taps); Ben sees it.
    await ana.click("#detained");
    const detainedPressedAt = Date.now();
    await ana.click("#detained");
    await ben.waitForSelector("#follow-state[data-phase=detained]", { timeout: 10_000 });
    const detainedSeenMs = Date.now() - detainedPressedAt;
    await ben.waitForSelector(".alert-banner[data-kind=detained]", { timeout: 10_000 }).catch(() => null);
    const detainedBanner = await ben.$(".alert-banner[data-kind=detained]").then((b) => b?.textContent() ?? null);
    await ana.waitForFunction(() => /\d/.test(document.getElementById("detained-status")?.textContent ?? "") && document.querySelector("#detained")?.disabled, null, { timeout: 10_000 });
    const detainedStatus = (await ana.textContent("#detained-status")).trim();
    await audit(ben, "follow-detained", problems, shots);

    // Ana ends it as a detention; Ben's screen says it ended.
    await ana.click("#end-encounter");
    await ana.click("#end-detained");
    await ana.waitForSelector(".recording.ended");
    await ben.waitForSelector("#follow-state[data-phase=ended]", { timeout: 15_000 });
    const settled = await phone.waitForSettled(ana);
    const finalView = expectStatus(await call(ben, "GET", `/api/v1/encounters/${encounter}/live`), 200, "Ben's final view");

    console.log(
      JSON.stringify({
        scenario: "follow",
        token: settled.token,
        encounter: settled.encounter,
        details: {
          who: anaName,
          alertLatencyMs,
          alertBreakdown,
          alertText,
          bannerRole,
          followToPlayingMs: video.playingAfterMs + (video.samples[0].at - followedAt),
          video: video.samples,
          safeShown,
          benMediaBytes: benMedia.status === 200 ? benMedia.body : null,
          benMediaStatus: benMedia.status,
          benFollowing: benFollowing.map((e) => e.id),
          refusals,
          switched: { firstRecording, secondRecording, playingAfterMs: afterSwitch.playingAfterMs, video: afterSwitch.samples },
          detainedSeenMs,
          detainedBanner,
          detainedStatus,
          finalView,
          contacts,
          message: MESSAGE,
          problems,
          shots,
        },
      }),
    );
  } finally {
    await browser.close();
  }
}

/** The stranger's own WebSocket, authenticated, asking to follow: the server's answer. */
async function socketFollow(page, encounter) {
  return page.evaluate(
    (encounter) =>
      new Promise((resolve) => {
        const { token } = JSON.parse(localStorage.getItem("amparo.session"));
        const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/api/v1/live`);
        const timer = setTimeout(() => resolve({ timeout: true }), 5000);
        ws.onopen = () => ws.send(JSON.stringify({ type: "auth", token }));
        ws.onmessage = (event) => {
          const message = JSON.parse(event.data);
          if (message.type === "ready") ws.send(JSON.stringify({ type: "follow", encounter }));
          else if (message.type === "error" || (message.type === "live" && message.id === encounter) || message.type === "progress") {
            clearTimeout(timer);
            ws.close();
            resolve(message.type === "error" ? { error: message.status, detail: message.detail } : { leaked: message.type });
          }
        };
        ws.onclose = (event) => {
          clearTimeout(timer);
          resolve({ closed: event.code });
        };
      }),
    encounter,
  );
}

main().catch((error) => {
  console.error(error?.stack ?? String(error));
  process.exit(1);
});
