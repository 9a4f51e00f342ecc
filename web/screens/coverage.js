// An organization's coverage over the last weeks, for its admins: by hour of the week (UTC),
// language and state, how many attorneys were on duty on average, how many people asked, and how
// long they waited (median and 95th percentile). Hours with nobody on duty are gaps: marked in
// words as well as colour, and they can be shown alone.

import { h, mount } from "../lib/dom.js";
import { t } from "../lib/i18n.js";
import { api, ApiError } from "../lib/api.js";
import { languageName } from "./ring.js";

const WEEKS = 4;
const MONDAY = Date.UTC(2024, 0, 1); // a Monday: hour 0 of the week is Monday 00:00 UTC

export async function render({ params }) {
  const org = decodeURIComponent(params[0] ?? "");
  const failure = h("p", { class: "alert", role: "alert", id: "coverage-error" });
  let rows = [];
  try {
    const answer = await api(`/api/v1/organizations/${encodeURIComponent(org)}/attorney-coverage?weeks=${WEEKS}`);
    rows = (answer?.rows ?? []).map(normalize);
  } catch (error) {
    failure.textContent = error instanceof ApiError ? error.detail : t("org.offline");
  }
  rows.sort((a, b) => a.hour - b.hour || a.language.localeCompare(b.language) || a.state.localeCompare(b.state));
  const gaps = rows.filter((r) => r.gap).length;
  const body = h("tbody", {});
  const onlyGaps = h("input", { type: "checkbox", class: "big", id: "coverage-gaps-only" });
  const paint = () => mount(body, rows.filter((r) => !onlyGaps.checked || r.gap).map(row));
  onlyGaps.addEventListener("change", paint);
  paint();
  return h(
    "section",
    { class: "screen coverage" },
    h("h1", {}, t("coverage.title")),
    h("a", { class: "back", href: `#/org/${encodeURIComponent(org)}` }, t("coverage.back")),
    h("p", { class: "lead" }, t("coverage.lead", { weeks: WEEKS })),
    failure,
    h("p", { class: gaps ? "notice" : "hint", id: "coverage-summary", role: "status" }, gaps ? t("coverage.gaps", { count: gaps }) : t("coverage.no_gaps")),
    h("div", { class: "field check" }, onlyGaps, h("label", { for: "coverage-gaps-only" }, t("coverage.only_gaps"))),
    rows.length === 0
      ? h("p", { class: "hint", id: "coverage-empty" }, t("coverage.empty"))
      : h(
          "div",
          { class: "table-scroll", role: "region", "aria-labelledby": "coverage-caption", tabindex: "0" },
          h(
            "table",
            { class: "coverage-table", id: "coverage-table" },
            h("caption", { id: "coverage-caption" }, t("coverage.caption")),
            h(
              "thead",
              {},
              h(
                "tr",
                {},
                ["hour", "language", "state", "on_duty", "requests", "wait_p50", "wait_p95"].map((c) => h("th", { scope: "col" }, t(`coverage.col_${c}`))),
              ),
            ),
            body,
          ),
        ),
  );
}

/** One row of the server's table (crates/server/src/attorney/coverage.rs). */
function normalize(r) {
  return {
    hour: Number(r.hour_of_week),
    language: String(r.language ?? ""),
    state: String(r.us_state ?? ""),
    onDuty: Number(r.attorneys_on_duty ?? 0),
    requests: Number(r.requests ?? 0),
    unanswered: Number(r.unanswered ?? 0),
    p50: r.wait_p50_secs ?? null,
    p95: r.wait_p95_secs ?? null,
    // The server's judgement (people asked and nobody could answer, or some went unanswered), and
    // hours nobody covered on average.
    gap: Boolean(r.gap) || Number(r.attorneys_on_duty ?? 0) < 1,
  };
}

function row(r) {
  return h(
    "tr",
    { class: r.gap ? "gap" : "", dataset: { hour: String(r.hour), language: r.language, state: r.state } },
    h("th", { scope: "row" }, hourName(r.hour), r.gap ? h("span", { class: "gap-flag" }, ` · ${t("coverage.gap")}`) : null),
    h("td", {}, languageName(r.language) || "—"),
    h("td", {}, r.state || "—"),
    h("td", {}, r.onDuty.toFixed(1)),
    h("td", {}, r.unanswered ? t("coverage.requests_unanswered", { requests: r.requests, unanswered: r.unanswered }) : String(r.requests)),
    h("td", {}, seconds(r.p50)),
    h("td", {}, seconds(r.p95)),
  );
}

/** "Mon 14:00" (UTC), in the person's language. */
function hourName(hour) {
  const at = new Date(MONDAY + hour * 3_600_000);
  const lang = document.documentElement.lang || undefined;
  const day = at.toLocaleDateString(lang, { weekday: "short", timeZone: "UTC" });
  return `${day} ${String(at.getUTCHours()).padStart(2, "0")}:00`;
}

function seconds(value) {
  return value === null || value === undefined ? "—" : t("coverage.seconds", { seconds: Math.round(Number(value)) });
}
