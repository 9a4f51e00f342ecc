// Know-your-rights cards: plain text files under /rights/<language>/<situation>.txt that a lawyer
// can review in the repository (format: web/rights/README.md). Parsed here into blocks that the
// screen renders as text only.

export const SITUATIONS = ["home", "car", "street", "work"];

/** Parses a card: header lines (`key: value`) up to the first blank line, then blocks. */
export function parseCard(text) {
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  const meta = {};
  let index = 0;
  for (; index < lines.length && lines[index].trim() !== ""; index += 1) {
    const match = /^([a-z-]+):\s*(.*)$/i.exec(lines[index]);
    if (match) meta[match[1].toLowerCase()] = match[2].trim();
  }
  const blocks = [];
  for (const chunk of lines.slice(index).join("\n").split(/\n\s*\n/)) {
    const blockLines = chunk.split("\n").map((l) => l.trim()).filter(Boolean);
    if (blockLines.length === 0) continue;
    if (blockLines[0].startsWith("## ")) {
      blocks.push({ kind: "heading", text: blockLines[0].slice(3).trim() });
      if (blockLines.length > 1) blocks.push(paragraphOrList(blockLines.slice(1)));
    } else {
      blocks.push(paragraphOrList(blockLines));
    }
  }
  return { meta, blocks };
}

function paragraphOrList(lines) {
  if (lines.every((l) => l.startsWith("- "))) return { kind: "list", items: lines.map((l) => l.slice(2).trim()) };
  return { kind: "paragraph", text: lines.join(" ") };
}

/** The card for `situation` in `language`, else in English with `fallback: true`. */
export async function loadCard(situation, language) {
  for (const code of language === "en" ? ["en"] : [language, "en"]) {
    try {
      const response = await fetch(`/rights/${encodeURIComponent(code)}/${encodeURIComponent(situation)}.txt`);
      if (response.ok) return { ...parseCard(await response.text()), language: code, fallback: code !== language };
    } catch {
      // Offline and not cached: try the next language, then give up below.
    }
  }
  return null;
}
