// Report photos (issue 6): picking them on the report screen (lib/outbox.js keeps and sends
// them after their report), showing them to whoever the server lets see them. The server re-encodes every
// photo and keeps none of its metadata (no place, time or phone); the app sends the file as it
// is and never reads or shows that metadata itself. Images are fetched with the session token
// and shown from blob: URLs, since an <img> cannot carry the token.

import { h, mount } from "./dom.js";
import { t } from "./i18n.js";
import { api, authHeaders, problemOf } from "./api.js";
import { problemText } from "./rapid.js";

/** The most photos the server takes per report (its `limits.max_photos_per_report` default). */
export const MAX_PHOTOS = 6;

/** A file input that opens the back camera on phones, and says how many photos are chosen. */
export function photoPicker(id) {
  const input = h("input", { type: "file", id, accept: "image/*", capture: "environment", multiple: true, "aria-describedby": `${id}-hint` });
  const count = h("p", { class: "hint", id: `${id}-count`, role: "status" });
  input.addEventListener("change", () => {
    const n = input.files.length;
    count.textContent = n ? t("photos.chosen", { n: Math.min(n, MAX_PHOTOS) }) : "";
  });
  const element = h(
    "div",
    { class: "field photos-pick" },
    h("label", { for: id }, t("photos.add")),
    h("p", { class: "hint", id: `${id}-hint` }, t("photos.hint")),
    input,
    count,
  );
  return {
    element,
    files: () => [...input.files].slice(0, MAX_PHOTOS),
    clear() {
      input.value = "";
      count.textContent = "";
    },
  };
}

/**
 * The photos listed at `listPath`, as images. `share`: a responder's switch on each photo,
 * showing it to the incident's subscribers or not. `remove`: the reporter's button on each
 * photo that deletes it from the server (bytes and all).
 */
export function photoGallery(listPath, { id, share = false, remove = false } = {}) {
  const holder = h("div", { class: "photos", id, hidden: true });
  const error = h("p", { class: "alert", role: "alert" });
  (async () => {
    let photos = [];
    try {
      photos = (await api(listPath)) ?? [];
    } catch (failure) {
      error.textContent = problemText(failure);
      mount(holder, error);
      holder.hidden = false;
      return;
    }
    if (!photos.length) return;
    mount(
      holder,
      h("p", { class: "hint" }, t("photos.count", { n: photos.length })),
      h("ul", { class: "photo-list" }, photos.map((photo, i) => h("li", {}, figure(photo, i, { share, remove }, error)))),
      error,
    );
    holder.hidden = false;
  })();
  return holder;
}

function figure(photo, i, { share, remove }, error) {
  const img = h("img", { alt: t("photos.alt", { n: i + 1 }), width: photo.width, height: photo.height, loading: "lazy", decoding: "async" });
  load(photo.url, img);
  const parts = [img];
  if (share) {
    const boxId = `photo-share-${photo.id}`;
    const box = h("input", { type: "checkbox", class: "big", id: boxId, checked: Boolean(photo.shareable) });
    box.addEventListener("change", async () => {
      box.disabled = true;
      error.textContent = "";
      try {
        await api(`/api/v1/photos/${encodeURIComponent(photo.id)}/shareable`, { method: "PUT", json: { shareable: box.checked } });
      } catch (failure) {
        box.checked = !box.checked;
        error.textContent = problemText(failure);
      } finally {
        box.disabled = false;
      }
    });
    parts.push(h("div", { class: "field check" }, box, h("label", { for: boxId }, t("photos.share"))));
  }
  if (remove) parts.push(removeButton(photo, i, error));
  return h("figure", { class: "photo", dataset: { id: photo.id } }, parts);
}

/** Deletes the photo on the server, then takes it off the screen. */
function removeButton(photo, i, error) {
  const button = h("button", { type: "button", class: "secondary photo-delete", dataset: { photo: photo.id } }, t("photos.delete", { n: i + 1 }));
  button.addEventListener("click", async () => {
    button.disabled = true;
    error.textContent = "";
    try {
      await api(`/api/v1/photos/${encodeURIComponent(photo.id)}`, { method: "DELETE" });
      button.closest("li")?.remove();
    } catch (failure) {
      error.textContent = problemText(failure);
      button.disabled = false;
    }
  });
  return button;
}

async function load(url, img) {
  try {
    const response = await fetch(url, { headers: authHeaders() });
    if (!response.ok) throw await problemOf(response);
    const src = URL.createObjectURL(await response.blob());
    img.addEventListener("load", () => URL.revokeObjectURL(src), { once: true });
    img.src = src;
  } catch {
    img.alt = t("photos.unavailable");
  }
}
