// The translators' report: which strings each language lacks (they show in English meanwhile),
// from the server's comparison of every translation file with English.

import { h } from "../lib/dom.js";
import { t, missingThisSession, currentLanguage } from "../lib/i18n.js";

export async function render() {
  let report = null;
  try {
    const response = await fetch("/i18n/report.json");
    if (response.ok) report = await response.json();
  } catch {
    // Offline: the session's own list below still helps.
  }
  const seen = missingThisSession();
  return h(
    "section",
    { class: "screen translations" },
    h("h1", {}, t("translations.title")),
    h("p", { class: "lead" }, t("translations.lead")),
    report
      ? h(
          "ul",
          { class: "report", id: "translation-report" },
          (report.languages ?? []).map((l) =>
            h(
              "li",
              { dataset: { code: l.code } },
              h("h2", {}, `${l.name ?? l.code} (${l.code})`),
              l.error ? h("p", { class: "alert" }, l.error) : null,
              h("p", {}, t("translations.counts", { missing: (l.missing ?? []).length, empty: (l.empty ?? []).length, unused: (l.unused ?? []).length })),
              [...(l.missing ?? []), ...(l.empty ?? [])].length
                ? h("ul", { class: "keys" }, [...(l.missing ?? []), ...(l.empty ?? [])].map((key) => h("li", {}, h("code", {}, key))))
                : null,
            ),
          ),
        )
      : h("p", { class: "hint" }, t("translations.unavailable")),
    h("h2", {}, t("translations.session", { language: currentLanguage() })),
    seen.length ? h("ul", { class: "keys" }, seen.map((key) => h("li", {}, h("code", {}, key)))) : h("p", {}, t("translations.none")),
  );
}
