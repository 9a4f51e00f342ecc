// Full-screen overlays over the recording: the card to show an officer, and discreet mode.

import { h } from "../lib/dom.js";
import { t, currentLanguage } from "../lib/i18n.js";

/** The words a person may not manage to say, shown large, always in English (the officer's). */
export function officerCard() {
  const root = document.getElementById("overlay-root");
  const close = h("button", { type: "button", class: "secondary", id: "close-officer" }, t("officer.close"));
  const dialog = h(
    "div",
    { class: "overlay officer", role: "dialog", "aria-modal": "true", "aria-labelledby": "officer-text" },
    h("p", { class: "officer-text", id: "officer-text", lang: "en" }, t("officer.text_en")),
    currentLanguage() === "en" ? null : h("p", { class: "officer-translation" }, t("officer.translation_label"), " ", t("officer.text_translated")),
    close,
  );
  const dismiss = () => dialog.remove();
  close.addEventListener("click", dismiss);
  dialog.addEventListener("keydown", (e) => e.key === "Escape" && dismiss());
  root.append(dialog);
  close.focus();
}

/** A black screen; recording goes on. Two quick taps (or Escape) bring the app back. */
export function discreetMode() {
  const root = document.getElementById("overlay-root");
  const leave = h("button", { type: "button", class: "visually-hidden", id: "leave-discreet" }, t("discreet.leave"));
  const overlay = h("div", { class: "overlay discreet", id: "discreet-overlay", role: "dialog", "aria-modal": "true", "aria-label": t("discreet.label") }, leave);
  let lastTap = 0;
  const dismiss = () => {
    overlay.remove();
    document.getElementById("discreet")?.focus();
  };
  overlay.addEventListener("pointerup", (event) => {
    if (event.timeStamp - lastTap < 450) dismiss();
    lastTap = event.timeStamp;
  });
  overlay.addEventListener("keydown", (e) => e.key === "Escape" && dismiss());
  leave.addEventListener("click", (event) => event.detail === 0 && dismiss()); // keyboard or screen reader, not a tap
  root.append(overlay);
  leave.focus();
}
