// A set of options as large radio "chips": one tap, one-handed, and a real radio group for
// screen readers (the input stays focusable; only its dot is hidden).

import { h } from "../lib/dom.js";
import { t } from "../lib/i18n.js";

/** `options` are [value, label] pairs; `onchange(value)` runs when one is picked. */
export function choice(name, legendKey, options, current, onchange, { chips = true } = {}) {
  return h(
    "fieldset",
    { class: chips ? "choice chips" : "choice", id: name },
    h("legend", {}, t(legendKey)),
    options.map(([value, label]) =>
      h(
        "label",
        { class: "option" },
        h("input", { type: "radio", name, value, checked: value === current, onchange: () => onchange(value) }),
        h("span", {}, label),
      ),
    ),
  );
}

/** The four situations a rights card exists for. */
export function situationOptions(situations) {
  return situations.map((situation) => [situation, t(`situation.${situation}`)]);
}

/** Back or front camera. */
export function cameraOptions() {
  return [
    ["environment", t("settings.camera_back")],
    ["user", t("settings.camera_front")],
  ];
}
