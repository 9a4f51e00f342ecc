// Screenshots of the main screens at phone sizes in English and Spanish, and the checks a
// person notices: touch targets of at least 48 px, a name for every control, WCAG AA contrast.

import * as phone from "./phone.mjs";

const SIZES = [
  ["390x844", phone.PHONE],
  ["360x740", phone.SMALL_PHONE],
];
const LANGUAGES = [
  ["en", "en-US", "I'm being stopped"],
  ["es", "es-MX", "Me están deteniendo"],
];

// Runs in the page: every visible control and text node, measured.
export const AUDIT = () => {
  const visible = (el) => {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    return box.width > 0 && box.height > 0 && style.visibility !== "hidden" && style.display !== "none" && !el.closest(".visually-hidden");
  };
  const parse = (color) => {
    const m = color.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const [r, g, b, a = 1] = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return { r, g, b, a };
  };
  const luminance = ({ r, g, b }) => {
    const channel = (c) => {
      const s = c / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  };
  const background = (el) => {
    for (let node = el; node; node = node.parentElement) {
      const color = parse(getComputedStyle(node).backgroundColor);
      if (color && color.a > 0.5) return color;
    }
    return parse(getComputedStyle(document.body).backgroundColor) ?? { r: 255, g: 255, b: 255 };
  };
  const problems = [];
  const describe = (el) => `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}.${[...el.classList].join(".")} "${(el.textContent ?? "").trim().slice(0, 40)}"`;
  const controls = document.querySelectorAll("button, a, input, select, .option span");
  for (const el of controls) {
    if (!visible(el) || el.closest(".skip-link") || el.matches(".option input")) continue;
    const box = el.getBoundingClientRect();
    const inline = el.tagName === "A" && !el.classList.contains("button") && getComputedStyle(el).display === "inline";
    if (!inline && (box.height < 47.5 || box.width < 47.5)) problems.push(`touch target ${Math.round(box.width)}x${Math.round(box.height)}: ${describe(el)}`);
    const name = el.getAttribute("aria-label") || el.textContent.trim() || (el.id && document.querySelector(`label[for="${el.id}"]`)?.textContent.trim()) || el.closest("label")?.textContent.trim();
    if (!name && !el.matches(".option span")) problems.push(`no accessible name: ${describe(el)}`);
  }
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const checked = new Set();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!node.textContent.trim() || checked.has(el) || !visible(el)) continue;
    checked.add(el);
    const style = getComputedStyle(el);
    const fg = parse(style.color);
    if (!fg) continue;
    const [l1, l2] = [luminance(fg), luminance(background(el))].sort((a, b) => b - a);
    const ratio = (l1 + 0.05) / (l2 + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) problems.push(`contrast ${ratio.toFixed(2)}: ${describe(el)}`);
  }
  return problems;
};

/** A screenshot of what a page shows now, as `<dir>/screenshots/<name>.png`, and the audit's
 * problems on it. */
export async function auditScreen(page, dir, name, problems, shots) {
  await page.waitForTimeout(300); // fonts and layout settle
  const path = `${dir}/screenshots/${name}.png`;
  await page.screenshot({ path });
  shots.push(path);
  for (const problem of await page.evaluate(AUDIT)) problems.push(`${name}: ${problem}`);
}

export async function screenshots(browser, base, outDir) {
  const shots = [];
  const problems = [await missingStringFallsBackToEnglish(browser, base)].filter(Boolean);
  for (const [code, locale, buttonText] of LANGUAGES) {
    for (const [sizeName, viewport] of SIZES) {
      const { context, page } = await phone.newPhone(browser, base, { viewport, locale });
      const shoot = async (screen) => {
        await page.waitForTimeout(300); // fonts and layout settle
        const path = `${outDir}/screenshots/${screen}-${code}-${sizeName}.png`;
        await page.screenshot({ path, fullPage: false });
        shots.push(path);
        for (const problem of await page.evaluate(AUDIT)) problems.push(`${screen} ${code} ${sizeName}: ${problem}`);
      };
      await page.goto("/#/login");
      await page.waitForSelector("#main[data-screen=login] #username");
      if (shots.length === 0) {
        await auditCatchesFaults(page);
        problems.push(...(await installability(page)));
      }
      await shoot("login");
      await phone.signUp(page);
      const label = (await page.textContent("#record-button")).trim();
      if (label !== buttonText) problems.push(`${code}: the button says ${JSON.stringify(label)}, expected ${JSON.stringify(buttonText)}`);
      await shoot("home");
      await page.click("#contacts-link");
      await page.click("#add-contact");
      await page.fill("#contact-name", "Rosa");
      await page.fill("#contact-phone", "+13125550100");
      await page.fill("#contact-message", "I have been detained. Call Ana.");
      await page.click("#save-contact");
      await page.waitForSelector("#contacts li .message-state.saved");
      await page.click("#contacts li button >> nth=0"); // edit: the saved message is not shown, only Replace and Remove
      await page.waitForSelector("#replace-message");
      await shoot("contacts");
      await page.goto("/#/rights");
      await page.waitForSelector(".card-link");
      await shoot("rights");
      await page.click(".card-link >> nth=0");
      await page.waitForSelector(".rights-card");
      await shoot("rights-card");
      await page.goto("/#/");
      await page.click("#record-button");
      await phone.waitForRecorded(page, 2);
      await page.waitForSelector(".rights-card");
      await shoot("recording");
      // Following one's own encounter (the owner may): the live state and the recording playing behind.
      const { encounters } = await phone.serverEncounters(page);
      await page.goto(`/#/follow/${encounters[0].id}`);
      await page.waitForSelector("#follow-state[data-phase=recording]", { timeout: 15_000 });
      await shoot("follow");
      await page.goto("/#/record");
      await page.waitForSelector(".recording.live");
      await page.click("#show-officer");
      await shoot("officer");
      await page.click("#close-officer");
      await phone.endEncounter(page);
      await context.close();
    }
  }
  return { shots, problems };
}

/** The audit must be able to fail: planted faults (a small unnamed button, grey on grey text)
 * must each be reported, or the audit's clean bill on the real screens means nothing. */
async function auditCatchesFaults(page) {
  await page.evaluate(() => {
    const planted = document.createElement("div");
    planted.id = "planted";
    planted.style.cssText = "background:#777;color:#888;padding:4px";
    const button = document.createElement("button");
    button.style.cssText = "width:20px;height:20px;min-width:0;min-height:0;padding:0";
    planted.append("faint text", button);
    document.querySelector("main").prepend(planted);
  });
  const found = await page.evaluate(AUDIT);
  await page.evaluate(() => document.getElementById("planted").remove());
  const expected = ["touch target 20x20", "no accessible name", "contrast"];
  for (const fault of expected) {
    if (!found.some((problem) => problem.includes(fault))) throw new Error(`the audit missed a planted fault (${fault}): ${JSON.stringify(found)}`);
  }
}

/** Chromium's own verdict on whether the app installs to a home screen (manifest, icons,
 * service worker); an empty list means installable. */
async function installability(page) {
  await phone.waitForOfflineReady(page);
  const cdp = await page.context().newCDPSession(page);
  const { installabilityErrors } = await cdp.send("Page.getInstallabilityErrors");
  await cdp.detach();
  // A test browser context is incognito, which Chromium reports too; that one is the harness's.
  return installabilityErrors
    .filter((e) => e.errorId !== "in-incognito")
    .map((e) => `not installable: ${e.errorId} ${JSON.stringify(e.errorArguments ?? [])}`);
}

/** A Spanish file that lacks the button's string: the button says it in English (never blank),
 * and the translation report lists the key. Returns a problem, or null. */
async function missingStringFallsBackToEnglish(browser, base) {
  // Blocking the service worker lets the route below see every request for es.json.
  const context = await browser.newContext({ baseURL: base, locale: "es-MX", serviceWorkers: "block", permissions: ["camera", "microphone"] });
  await context.route("**/i18n/es.json", async (route) => {
    const strings = await (await route.fetch()).json();
    delete strings["home.button"];
    await route.fulfill({ json: strings });
  });
  const page = await context.newPage();
  try {
    await phone.signUp(page);
    const label = (await page.textContent("#record-button")).trim();
    if (label !== "I'm being stopped") return `a missing Spanish string showed ${JSON.stringify(label)}, not the English text`;
    await page.goto("/#/translations");
    const listed = await page
      .locator("code", { hasText: "home.button" })
      .first()
      .waitFor({ timeout: 10_000 })
      .then(() => true, () => false);
    if (!listed) return "the translation report did not list the missing key home.button";
    return null;
  } finally {
    await context.close();
  }
}
