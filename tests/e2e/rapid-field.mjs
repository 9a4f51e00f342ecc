// The rapid-response network in the field, in four browsers: `node rapid-field.mjs BASE OUT SETUP.json`.
//
// SETUP (written by crates/amparo/tests/rapid_field.rs) names a member, two responders, a server
// admin, and where their phones are. In the pages: the admin's home links to the audit log, the
// member's does not. The second responder switches "available to observe" on. The member reports
// a checkpoint with a photo straight from a phone camera (Exif with GPS and the phone's make and
// model); the first responder sees the photo in triage, and the bytes the server serves have no
// Exif, no GPS and no make or model. The responder verifies it and asks for an observer; the
// available responder's page gets the offer and accepts; the incident page shows who is on the
// way, then arrived. With the member's phone offline, a report (with a photo) is kept on the
// phone and shown as "waiting to send"; back online, its first send reaches the server but its
// answer is lost (the test drops it), and the retry is answered with the report already stored:
// one report, one photo. The member deletes a photo, then the verified report: the incident stays
// on the responder's page, without the photo. Prints one JSON line for the Rust test.

import { mkdir, readFile } from "node:fs/promises";
import * as phone from "./lib/phone.mjs";
import { auditScreen } from "./lib/screens.mjs";

const [base, outDir, setupPath] = process.argv.slice(2);
const CHECKPOINT = "Checkpoint at Ashland and 18th, officers checking papers";
const OFFLINE = "Second checkpoint at Blue Island, seen while my phone had no signal";

/** A big-endian TIFF (Exif) with the camera's make and model, an orientation, and GPS: what a
 * phone writes into every photo. The server must keep none of it. */
function exifTiff() {
  const entries = (list) => {
    const out = [];
    const u16 = (n) => out.push((n >> 8) & 255, n & 255);
    const u32 = (n) => out.push((n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
    u16(list.length);
    for (const [tag, kind, count, value] of list) {
      u16(tag);
      u16(kind);
      u32(count);
      out.push(...value);
    }
    u32(0);
    return out;
  };
  const be32 = (n) => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
  const gpsAt = 8 + 54;
  const dataAt = gpsAt + 54;
  const make = [..."Google\0"].map((c) => c.charCodeAt(0));
  const model = [..."Pixel 7\0"].map((c) => c.charCodeAt(0));
  const modelAt = dataAt + make.length;
  const latAt = modelAt + model.length;
  const lonAt = latAt + 24;
  const out = [0x4d, 0x4d, 0, 0x2a, 0, 0, 0, 8];
  out.push(...entries([[0x010f, 2, make.length, be32(dataAt)], [0x0110, 2, model.length, be32(modelAt)], [0x0112, 3, 1, [0, 6, 0, 0]], [0x8825, 4, 1, be32(gpsAt)]]));
  out.push(...entries([[1, 2, 2, [78, 0, 0, 0]], [2, 5, 3, be32(latAt)], [3, 2, 2, [87, 0, 0, 0]], [4, 5, 3, be32(lonAt)]]));
  out.push(...make, ...model);
  for (const [n, d] of [[41, 1], [51, 1], [256, 10], [87, 1], [39, 1], [227, 10]]) out.push(...be32(n), ...be32(d));
  return Buffer.from(out);
}

/** A JPEG drawn in the page, with the phone's Exif segment put in after its start marker. */
async function phoneJpeg(page) {
  const base64 = await page.evaluate(() => {
    const canvas = document.createElement("canvas");
    canvas.width = 64;
    canvas.height = 48;
    const g = canvas.getContext("2d");
    g.fillStyle = "#c04020";
    g.fillRect(0, 0, 64, 48);
    g.fillStyle = "#2040c0";
    g.fillRect(8, 8, 24, 16);
    return canvas.toDataURL("image/jpeg", 0.9).split(",")[1];
  });
  const jpeg = Buffer.from(base64, "base64");
  const tiff = exifTiff();
  const header = Buffer.from([0xff, 0xe1, ((tiff.length + 8) >> 8) & 255, (tiff.length + 8) & 255, ...Buffer.from("Exif\0\0")]);
  return Buffer.concat([jpeg.subarray(0, 2), header, tiff, jpeg.subarray(2)]);
}

/** The photo's bytes as the server serves them to this page's account. */
const servedPhoto = (page, url) =>
  page.evaluate(async (url) => {
    const { token } = JSON.parse(localStorage.getItem("amparo.session"));
    const response = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
    const bytes = new Uint8Array(await response.arrayBuffer());
    let text = "";
    for (const b of bytes) text += String.fromCharCode(b);
    return { status: response.status, base64: btoa(text) };
  }, url);

/** A tap on `selector`. The list on "my reports" is redrawn whenever the outbox changes (every
 * send, and its retries every half minute), and on a loaded machine Playwright's wait for a
 * still element can outlast that; then the tap goes to the element itself. What it does is
 * checked by what follows. */
async function tap(page, selector) {
  const element = page.locator(selector);
  await element.scrollIntoViewIfNeeded();
  await element.click({ timeout: 5_000 }).catch(() => element.dispatchEvent("click"));
}

async function main() {
  const setup = JSON.parse(await readFile(setupPath, "utf8"));
  await mkdir(`${outDir}/screenshots`, { recursive: true });
  const browser = await phone.launchBrowser();
  const problems = [];
  const shots = [];
  const audit = (page, name) => auditScreen(page, outDir, name, problems, shots);
  try {
    const place = { latitude: setup.place.latitude, longitude: setup.place.longitude };
    const memberPhone = await phone.newPhone(browser, base, { geolocation: place });
    const member = memberPhone.page;
    const asker = (await phone.newPhone(browser, base, { geolocation: place })).page;
    const observer = (await phone.newPhone(browser, base, { locale: "es-MX", geolocation: place })).page;
    const admin = (await phone.newPhone(browser, base, { geolocation: place })).page;
    await phone.logIn(member, setup.member);
    await phone.logIn(asker, setup.asker);
    await phone.logIn(observer, setup.observer);
    await phone.logIn(admin, setup.admin);

    // The audit log is linked for server admins only.
    await admin.waitForSelector("#audit-link", { timeout: 10_000 });
    await admin.click("#audit-link");
    await admin.waitForSelector("#main[data-screen=audit]");
    await audit(admin, "audit-en");
    const nav = { adminAuditLink: 1, memberAuditLink: await member.locator("#audit-link").count() };

    // The second responder is available to observe, where their phone is.
    await observer.goto("/#/triage");
    await observer.waitForSelector("#main[data-screen=triage] #observer-switch");
    await observer.click('label[for="observer-switch"]');
    await observer.waitForSelector("#observer-status[data-state=on]", { timeout: 15_000 });

    // The member reports a checkpoint with a photo from the phone's camera.
    const jpeg = await phoneJpeg(member);
    await member.goto("/#/report");
    await member.waitForSelector("#main[data-screen=report] #report-checked");
    await member.click('#report-kind label:has(input[value="checkpoint"])');
    await member.click("#report-locate");
    await member.waitForSelector("#report-map polygon.picked");
    await member.fill("#report-description", CHECKPOINT);
    await member.setInputFiles("#report-photos", { name: "IMG_20250601_140512.jpg", mimeType: "image/jpeg", buffer: jpeg });
    await member.click("#report-submit");
    await member.waitForSelector("#report-done:not([hidden]) #report-mine-link", { timeout: 15_000 });
    const reportId = await member.getAttribute("#report-mine-link", "data-report");

    // The responder sees the photo in triage; what the server serves has nothing of the phone's.
    await asker.goto("/#/triage");
    await asker.waitForSelector(`#report-photos-${reportId} img[src^="blob:"]`, { timeout: 15_000 });
    const triagePhotoLoaded = await asker.evaluate((id) => document.querySelector(`#report-photos-${id} img`).naturalWidth > 0, reportId);
    const photos = await asker.evaluate(async (id) => {
      const { token } = JSON.parse(localStorage.getItem("amparo.session"));
      return (await fetch(`/api/v1/reports/${id}/photos`, { headers: { Authorization: `Bearer ${token}` } })).json();
    }, reportId);
    const served = Buffer.from((await servedPhoto(asker, photos[0].url)).base64, "base64");
    const photoFacts = {
      jpeg: served[0] === 0xff && served[1] === 0xd8,
      exif: served.includes(Buffer.from("Exif\0\0")),
      make: served.includes(Buffer.from("Google")) || served.includes(Buffer.from("Pixel 7")),
      sameBytes: served.equals(jpeg),
    };
    await audit(asker, "triage-photo-en");

    // Verified in person, then an observer asked for.
    await asker.click(`#verify-open-${reportId}`);
    await asker.click(`#verify-how-${reportId} label:has(input[value="in_person"])`);
    await asker.click(`#verify-${reportId}`);
    await asker.waitForSelector(".observers-section [id^=observers-ask-]", { timeout: 15_000 });
    const incidentId = await asker.getAttribute(".observers-section", "data-incident");
    await asker.click(`#observers-ask-${incidentId}`);

    // The available responder's page gets the offer, and accepts.
    await observer.waitForSelector(`.observer-offer[data-incident="${incidentId}"] #observer-accept`, { timeout: 15_000 });
    await audit(observer, "observer-offer-es");
    await observer.click("#observer-accept");
    // The incident page shows who is on the way, live.
    await asker.waitForSelector(`#observers-${incidentId} li.observer[data-state=on_the_way]`, { timeout: 15_000 });
    const onTheWay = (await asker.textContent(`#observers-${incidentId} li.observer strong`)).trim();
    const requestState = await asker.getAttribute(`#observers-status-${incidentId}`, "data-state");
    await audit(asker, "observers-on-the-way-en");
    // The observer marks arriving from the incidents near them; the asker's page follows.
    await observer.click("#triage-locate");
    await observer.waitForSelector("#triage-locate[data-near]");
    await observer.waitForSelector(`#observer-arrived-${incidentId}`, { timeout: 15_000 });
    await observer.click(`#observer-arrived-${incidentId}`);
    await asker.waitForSelector(`#observers-${incidentId} li.observer[data-state=arrived]`, { timeout: 15_000 });

    // Offline: the report is kept on the phone, shown as waiting. (A fresh report screen.)
    await member.goto("/#/my-reports");
    await member.waitForSelector("#main[data-screen=my-reports]");
    await member.goto("/#/report");
    await member.waitForSelector("#main[data-screen=report] #report-checked");
    await memberPhone.context.setOffline(true);
    await member.click('#report-kind label:has(input[value="checkpoint"])');
    await member.click("#report-locate");
    await member.waitForSelector("#report-where-status[data-located=true]");
    const offlineWhere = (await member.textContent("#report-where-status")).trim();
    await member.fill("#report-description", OFFLINE);
    await member.setInputFiles("#report-photos", { name: "IMG_2.jpg", mimeType: "image/jpeg", buffer: jpeg });
    await member.click("#report-submit");
    await member.waitForSelector("#report-done:not([hidden]) #report-waiting", { timeout: 15_000 });
    await member.waitForSelector("#outbox li.waiting");
    const waitingText = (await member.textContent("#outbox li.waiting .report-state")).trim();
    await audit(member, "report-waiting-en");

    // Back online. The first send reaches the server, but its answer is lost on the way back.
    let lost = 0;
    let posts = 0;
    await member.route("**/api/v1/reports", async (route) => {
      if (route.request().method() !== "POST") return route.continue();
      posts += 1;
      if (lost === 0) {
        lost += 1;
        await route.fetch(); // the server stores it...
        return route.abort("connectionreset"); // ...and the phone never hears so
      }
      return route.continue();
    });
    await memberPhone.context.setOffline(false);
    const outboxEmpty = (timeout) =>
      member
        .waitForFunction(() => document.querySelector("#outbox")?.hidden ?? true, null, { timeout, polling: 250 })
        .then(() => true)
        .catch(() => false);
    // The send the "online" event started was the one whose answer was lost: it still waits, and
    // goes again on the app's next try (every half minute), or now, from the button.
    for (let waited = 0; lost === 0; waited += 100) {
      if (waited > 30_000) throw new Error("the app did not send the waiting report when back online");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    let sent = await outboxEmpty(1_000);
    for (let tries = 0; !sent && tries < 10; tries += 1) {
      await member.click("#outbox-send").catch(() => {});
      sent = await outboxEmpty(3_000);
    }
    if (!sent) throw new Error("the waiting report was never sent");
    await member.unroute("**/api/v1/reports");

    // The member's reports: one offline report, with its photo; they delete that photo.
    await member.goto("/#/my-reports");
    await member.waitForSelector("#main[data-screen=my-reports] #my-reports li");
    const offlineId = await member.evaluate((text) => [...document.querySelectorAll("#my-reports li")].filter((li) => li.querySelector(".report-description")?.textContent === text).map((li) => li.dataset.id), OFFLINE);
    await member.waitForSelector(`#mine-photos-${offlineId[0]} .photo-delete`);
    await audit(member, "my-reports-delete-en");
    await member.click(`#mine-photos-${offlineId[0]} .photo-delete`);
    await member.waitForFunction((id) => !document.querySelector(`#mine-photos-${id} .photo-delete`), offlineId[0]);

    // Then the verified report: asked twice, then gone; the incident stays, without the photo.
    await tap(member, `[data-delete-report="${reportId}"]`);
    await member.waitForSelector(`[data-confirm-delete="${reportId}"]`);
    const deleteWarning = (await member.textContent(`#my-reports li[data-id="${reportId}"] .report-delete .hint`)).trim();
    await tap(member, `[data-confirm-delete="${reportId}"]`);
    await member.waitForFunction((id) => !document.querySelector(`#my-reports li[data-id="${id}"]`), reportId);
    await asker.reload();
    await asker.waitForSelector("#main[data-screen=triage] #triage-locate");
    await asker.click("#triage-locate");
    await asker.waitForSelector(`.observers-section[data-incident="${incidentId}"]`, { timeout: 15_000 });
    // The gallery asks the server on its own: give it the time it took before, then count.
    await asker.waitForTimeout(1_000);
    const incidentPhotosAfter = await asker.locator(`#incident-photos-${incidentId} img`).count();

    const token = (page) => page.evaluate(() => JSON.parse(localStorage.getItem("amparo.session")).token);
    console.log(
      JSON.stringify({
        scenario: "rapid-field",
        reportId,
        incidentId,
        offlineIds: offlineId,
        tokens: { member: await token(member), asker: await token(asker), observer: await token(observer), admin: await token(admin) },
        details: {
          nav,
          triagePhotoLoaded,
          photoFacts,
          onTheWay,
          requestState,
          offlineWhere,
          waitingText,
          posts,
          lost,
          deleteWarning,
          incidentPhotosAfter,
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
