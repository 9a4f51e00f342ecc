// Translations: one flat JSON file per language under /i18n/, English the reference.
// A string missing from the chosen language falls back to English, never a blank, and is listed
// for translators (screens/translations.js, beside the server's /i18n/report.json). A new
// language is a new file: the server lists what exists.

import { settings } from "./settings.js";

const REFERENCE = "en";
let reference = {};
let chosen = {};
let chosenCode = REFERENCE;
const missing = new Set();

/** The languages the server offers, from the files it holds. */
export async function availableLanguages() {
  try {
    const response = await fetch("/i18n/index.json");
    if (response.ok) return (await response.json()).languages;
  } catch {
    // Offline and not cached yet: the two languages that ship complete.
  }
  return [
    { code: "en", name: "English" },
    { code: "es", name: "Español" },
  ];
}

/** Loads the person's language (their choice, else the browser's, else English). */
export async function loadLanguage(code) {
  const wanted = code ?? settings.language ?? (await browserLanguage());
  reference = await fetchStrings(REFERENCE);
  chosen = wanted === REFERENCE ? reference : await fetchStrings(wanted);
  chosenCode = Object.keys(chosen).length > 0 ? wanted : REFERENCE;
  missing.clear();
  document.documentElement.lang = chosenCode;
  return chosenCode;
}

async function browserLanguage() {
  const offered = (await availableLanguages()).map((l) => l.code);
  for (const tag of navigator.languages ?? [navigator.language]) {
    const primary = String(tag).toLowerCase().split("-")[0];
    if (offered.includes(tag)) return tag;
    if (offered.includes(primary)) return primary;
  }
  return REFERENCE;
}

async function fetchStrings(code) {
  try {
    const response = await fetch(`/i18n/${encodeURIComponent(code)}.json`);
    if (response.ok) return await response.json();
  } catch {
    // Falls through: an empty table means every string comes from English, visibly.
  }
  return {};
}

export function currentLanguage() {
  return chosenCode;
}

/** The string for `key`, each `{placeholder}` in it replaced by `params[placeholder]`. */
export function t(key, params = {}) {
  let text = chosen[key];
  if (typeof text !== "string" || text.trim() === "") {
    if (chosenCode !== REFERENCE) missing.add(key);
    text = reference[key];
  }
  if (typeof text !== "string") {
    // A key even English lacks is a bug: show the key itself so it is reported, not hidden.
    missing.add(key);
    return key;
  }
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in params ? String(params[name]) : `{${name}}`));
}

/** Whether English (the reference) has `key`: for messages named by a server's code. */
export function has(key) {
  return typeof reference[key] === "string";
}

/** The keys this session fell back to English for, for the translators' report. */
export function missingThisSession() {
  return [...missing].sort();
}
