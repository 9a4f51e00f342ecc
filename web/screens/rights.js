// Know-your-rights: readable without an account and offline (the service worker caches every
// card). A card missing in the person's language is shown in English with a notice saying so.

import { h } from "../lib/dom.js";
import { t, currentLanguage } from "../lib/i18n.js";
import { SITUATIONS, loadCard } from "../lib/rights.js";

export async function render({ params }) {
  const situation = params[0];
  if (SITUATIONS.includes(situation)) {
    const card = await loadCard(situation, currentLanguage());
    return h(
      "section",
      { class: "screen rights" },
      h("p", {}, h("a", { href: "#/rights", class: "back" }, t("rights.all"))),
      card ? cardView(card, true) : h("p", { class: "alert", role: "alert" }, t("rights.unavailable")),
    );
  }
  const cards = await Promise.all(SITUATIONS.map(async (s) => [s, await loadCard(s, currentLanguage())]));
  return h(
    "section",
    { class: "screen rights" },
    h("h1", {}, t("rights.title")),
    h("p", { class: "lead" }, t("rights.lead")),
    h(
      "ul",
      { class: "card-list" },
      cards.map(([s, card]) =>
        h(
          "li",
          {},
          h(
            "a",
            { href: `#/rights/${s}`, class: "card-link" },
            h("span", { class: "card-title" }, card?.meta.title ?? t(`situation.${s}`)),
            card?.meta.summary ? h("span", { class: "card-summary" }, card.meta.summary) : null,
          ),
        ),
      ),
    ),
  );
}

/** A parsed card as elements: headings, paragraphs and lists, text only. */
export function cardView(card, isPage = false) {
  const Title = isPage ? "h1" : "h3";
  const Heading = isPage ? "h2" : "h4";
  return h(
    "article",
    { class: "rights-card", lang: card.language },
    card.fallback ? h("p", { class: "notice", lang: currentLanguage() }, t("rights.fallback_notice")) : null,
    h(Title, {}, card.meta.title ?? ""),
    card.blocks.map((block) => {
      if (block.kind === "heading") return h(Heading, {}, block.text);
      if (block.kind === "list") return h("ul", {}, block.items.map((item) => h("li", {}, item)));
      return h("p", {}, block.text);
    }),
    h("p", { class: "reviewed", lang: currentLanguage() }, t("rights.reviewed", { who: card.meta["reviewed-by"] ?? "—", date: card.meta.updated ?? "—" })),
  );
}
