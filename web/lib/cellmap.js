// A map drawn from H3 cells alone (issue 6): each cell's corners, as the server gives them,
// become an SVG polygon. No tiles, no outside requests: the policy allows only our origin, and a
// map service would learn where people are looking. North is up; the scale is in the caption.
// Cells that can be picked are buttons a screen reader names by direction and distance from the
// centre ("about 600 m north-east").

import { h } from "./dom.js";
import { t } from "./i18n.js";

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 360;
const DIRECTIONS = ["n", "ne", "e", "se", "s", "sw", "w", "nw"];

function s(tag, attributes = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on") && typeof value === "function") element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, String(value));
  }
  for (const child of children.flat()) if (child) element.append(child);
  return element;
}

/** Metres and compass direction from `a` to `b`, both [lat, lon]. */
function offset(a, b) {
  const metresPerDegree = 111_320;
  const north = (b[0] - a[0]) * metresPerDegree;
  const east = (b[1] - a[1]) * metresPerDegree * Math.cos((a[0] * Math.PI) / 180);
  const distance = Math.hypot(north, east);
  const bearing = (Math.atan2(east, north) * 180) / Math.PI;
  return { distance, direction: DIRECTIONS[Math.round(((bearing + 360) % 360) / 45) % 8] };
}

/**
 * `layers`: [{ name, cells: [{ cell, boundary, latitude, longitude }] }], drawn in order (later on
 * top); a cell's class is its layer's name. `pick`: { layer, selected: Set of cells, multiple,
 * onchange(selected) } makes that layer's cells buttons. `centre`: [lat, lon] for the names.
 */
export function cellMap({ id, label, layers, pick = null, centre = null, marks = [] }) {
  const corners = layers.flatMap((layer) => layer.cells.flatMap((c) => c.boundary));
  if (corners.length === 0) return h("p", { class: "hint", id }, t("map.empty"));
  const lat0 = corners.reduce((sum, [lat]) => sum + lat, 0) / corners.length;
  const cos = Math.cos((lat0 * Math.PI) / 180);
  const xs = corners.map(([, lon]) => lon * cos);
  const ys = corners.map(([lat]) => -lat);
  const [minX, maxX, minY, maxY] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const span = Math.max(maxX - minX, maxY - minY, 1e-6);
  const scale = (WIDTH - 16) / span;
  const height = Math.max(120, Math.min(WIDTH, (maxY - minY) * scale + 16));
  const dx = (WIDTH - (maxX - minX) * scale) / 2;
  const dy = (height - (maxY - minY) * scale) / 2;
  const point = ([lat, lon]) => `${((lon * cos - minX) * scale + dx).toFixed(1)},${((-lat - minY) * scale + dy).toFixed(1)}`;
  const origin = centre ?? [lat0, corners.reduce((sum, [, lon]) => sum + lon, 0) / corners.length];
  const selected = pick?.selected ?? new Set();
  const polygons = new Map();

  const nameOf = (cell) => {
    const { distance, direction } = offset(origin, [cell.latitude, cell.longitude]);
    if (distance < 150) return t("map.cell_here");
    return t("map.cell_at", { metres: Math.round(distance / 50) * 50, direction: t(`map.dir.${direction}`) });
  };
  const paint = (cell) => {
    const polygon = polygons.get(cell);
    const on = selected.has(cell);
    polygon.classList.toggle("picked", on);
    polygon.setAttribute("aria-pressed", String(on));
  };
  const toggle = (cell) => {
    if (!pick.multiple) {
      for (const other of [...selected]) {
        if (other === cell) continue;
        selected.delete(other);
        paint(other);
      }
    }
    if (selected.has(cell) && pick.multiple) selected.delete(cell);
    else selected.add(cell);
    paint(cell);
    pick.onchange?.(selected);
  };

  const groups = layers.map((layer) =>
    s(
      "g",
      { class: `layer ${layer.name}` },
      layer.cells.map((cell) => {
        const pickable = pick && pick.layer === layer.name;
        const polygon = s("polygon", {
          points: cell.boundary.map(point).join(" "),
          class: `cell ${layer.name}${cell.className ? ` ${cell.className}` : ""}`,
          "data-cell": cell.cell,
          role: pickable ? "button" : null,
          tabindex: pickable ? 0 : null,
          "aria-label": pickable ? nameOf(cell) : null,
          onclick: pickable ? () => toggle(cell.cell) : null,
          onkeydown: pickable
            ? (event) => {
                if (event.key === "Enter" || event.key === " ") {
                  event.preventDefault();
                  toggle(cell.cell);
                }
              }
            : null,
        });
        if (pickable) polygons.set(cell.cell, polygon);
        return polygon;
      }),
    ),
  );
  const markers = marks.map(([lat, lon, name]) => {
    const [x, y] = point([lat, lon]).split(",").map(Number);
    return s("circle", { cx: x, cy: y, r: 6, class: `mark ${name}` });
  });
  const svg = s(
    "svg",
    { viewBox: `0 0 ${WIDTH} ${height.toFixed(0)}`, class: "cell-map", role: pick ? "group" : "img", "aria-label": label, id },
    s("rect", { x: 0, y: 0, width: WIDTH, height: height.toFixed(0), class: "map-ground" }),
    groups,
    markers,
    s("text", { x: WIDTH - 10, y: 22, class: "map-north", "text-anchor": "end", "aria-hidden": "true" }, document.createTextNode(`${t("map.north")} ↑`)),
  );
  for (const cell of polygons.keys()) paint(cell);
  const across = Math.round(offsetAcross(layers) / 10) * 10;
  return h("figure", { class: "map-figure" }, svg, h("figcaption", { class: "hint" }, t("map.caption", { metres: across })));
}

/** How wide one cell is, in metres: the caption's scale. */
function offsetAcross(layers) {
  const cell = layers.find((layer) => layer.cells.length > 0)?.cells[0];
  if (!cell) return 0;
  const [a, , , b] = cell.boundary;
  return b ? offset(a, b).distance : 0;
}
