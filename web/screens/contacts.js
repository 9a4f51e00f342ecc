// Emergency contacts (up to five) and the message prepared for each, sent only when the person
// presses "I'm being detained" or ends an encounter as a detention. Once saved, a message is never
// shown again (the server keeps it encrypted and will not return it): it can be replaced or
// removed, not read back, so a seized phone does not reveal it.

import { h, mount } from "../lib/dom.js";
import { t } from "../lib/i18n.js";
import { api, ApiError } from "../lib/api.js";

const MAX_CONTACTS = 5;

export async function render({ app }) {
  const alert = h("p", { class: "alert", role: "alert", id: "contacts-error" });
  const status = h("p", { class: "hint", role: "status", id: "contacts-status" });
  let contacts = [];
  try {
    contacts = await api("/api/v1/contacts");
  } catch (error) {
    alert.textContent = error instanceof ApiError ? error.detail : t("contacts.offline");
  }
  const holder = h("div", { id: "contact-form-holder" });
  const done = (message) => {
    app.rerender();
    // The new screen is built after this; say what happened once it is there.
    setTimeout(() => {
      const line = document.getElementById("contacts-status");
      if (line) line.textContent = message;
    }, 0);
  };
  const openForm = (contact) => {
    mount(holder, contactForm(contact, done));
    holder.querySelector("input")?.focus();
  };
  const add = h("button", { type: "button", class: "primary", id: "add-contact", onclick: () => openForm(null) }, t("contacts.add"));
  return h(
    "section",
    { class: "screen contacts" },
    h("h1", {}, t("contacts.title")),
    h("p", { class: "lead" }, t("contacts.lead")),
    h("p", { class: "notice" }, t("contacts.when_sent")),
    alert,
    status,
    contacts.length === 0 ? h("p", { class: "hint" }, t("contacts.empty")) : null,
    h("ul", { class: "contact-list", id: "contacts" }, contacts.map((c) => row(c, openForm, done, alert))),
    contacts.length < MAX_CONTACTS ? add : h("p", { class: "hint" }, t("contacts.full", { max: MAX_CONTACTS })),
    holder,
  );
}

function row(contact, openForm, done, alert) {
  const remove = confirmButton("contacts.delete", "contacts.delete_confirm", async () => {
    try {
      await api(`/api/v1/contacts/${contact.id}`, { method: "DELETE" });
      done(t("contacts.deleted", { name: contact.name }));
    } catch (error) {
      alert.textContent = error instanceof ApiError ? error.detail : t("contacts.offline");
    }
  });
  return h(
    "li",
    { class: "contact", dataset: { id: contact.id } },
    h("p", { class: "contact-name" }, contact.name),
    h("p", {}, [contact.phone, contact.email].filter(Boolean).join(" · ")),
    h("p", { class: "hint" }, t("contacts.language_is", { language: t(`contacts.language_${contact.language}`) })),
    h("p", { class: contact.has_prepared_message ? "message-state saved" : "message-state" }, messageState(contact)),
    // The server says which of its channels reach this contact: none means they would not be told.
    contact.reachable_by?.length === 0 ? h("p", { class: "notice unreachable" }, t("contacts.unreachable")) : null,
    h("div", { class: "row" }, h("button", { type: "button", class: "secondary", onclick: () => openForm(contact) }, t("contacts.edit")), remove),
  );
}

function messageState(contact) {
  if (!contact.has_prepared_message) return t("contacts.no_message");
  const saved = contact.prepared_message_saved_at ? new Date(contact.prepared_message_saved_at).toLocaleString(document.documentElement.lang || undefined, { dateStyle: "medium", timeStyle: "short" }) : "";
  return t("contacts.message_saved", { date: saved });
}

/** The add / edit form. For a contact whose message is saved: Replace (write a new one) or
 * Remove; never the old text. */
function contactForm(contact, done) {
  const alert = h("p", { class: "alert", role: "alert", id: "contact-form-error" });
  const field = (id, key, input, hintKey) =>
    h("div", { class: "field" }, h("label", { for: id }, t(key)), input, hintKey ? h("p", { class: "hint", id: `${id}-hint` }, t(hintKey)) : null);
  const name = h("input", { id: "contact-name", name: "name", required: true, maxlength: 100, autocomplete: "off", value: contact?.name ?? "" });
  const phone = h("input", { id: "contact-phone", name: "phone", type: "tel", autocomplete: "off", value: contact?.phone ?? "", "aria-describedby": "contact-phone-hint" });
  const email = h("input", { id: "contact-email", name: "email", type: "email", autocomplete: "off", value: contact?.email ?? "" });
  const language = h(
    "select",
    { id: "contact-language", name: "language" },
    ["en", "es"].map((code) => h("option", { value: code, selected: (contact?.language ?? document.documentElement.lang) === code }, t(`contacts.language_${code}`))),
  );
  const message = h("textarea", { id: "contact-message", name: "message", rows: 5, maxlength: 2000, placeholder: t("contacts.message_example"), "aria-describedby": "contact-message-hint" });
  // What happens to the message on save: undefined keeps it, null removes it, text replaces it.
  let messageChange = contact?.has_prepared_message ? undefined : "";
  const messageArea = h("div", { class: "message-area" });
  const writeMessage = () => {
    messageChange = "";
    mount(messageArea, field("contact-message", "contacts.message", message, "contacts.message_hint"));
  };
  if (contact?.has_prepared_message) {
    const replace = h("button", { type: "button", class: "secondary", id: "replace-message", onclick: () => (writeMessage(), message.focus()) }, t("contacts.replace"));
    const remove = h("button", { type: "button", class: "secondary", id: "remove-message" }, t("contacts.remove_message"));
    remove.addEventListener("click", () => {
      messageChange = null;
      mount(messageArea, h("p", { class: "notice", role: "status" }, t("contacts.message_will_be_removed")));
    });
    mount(messageArea, h("p", { class: "message-state saved" }, messageState(contact)), h("div", { class: "row" }, replace, remove));
  } else {
    writeMessage();
  }

  const form = h(
    "form",
    { id: "contact-form", "aria-labelledby": "contact-form-title", novalidate: true },
    h("h2", { id: "contact-form-title" }, t(contact ? "contacts.edit_title" : "contacts.add_title", { name: contact?.name ?? "" })),
    field("contact-name", "contacts.name", name),
    field("contact-phone", "contacts.phone", phone, "contacts.phone_hint"),
    field("contact-email", "contacts.email", email),
    field("contact-language", "contacts.language", language),
    messageArea,
    alert,
    h("button", { type: "submit", class: "primary", id: "save-contact" }, t("contacts.save")),
    h("button", { type: "button", class: "secondary", onclick: () => form.remove() }, t("contacts.cancel")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    alert.textContent = "";
    const body = {
      name: name.value.trim(),
      phone: phone.value.replace(/[\s().-]/g, "") || null,
      email: email.value.trim() || null,
      language: language.value,
    };
    if (!body.name) return (alert.textContent = t("contacts.need_name"));
    if (!body.phone && !body.email) return (alert.textContent = t("contacts.need_reach"));
    if (messageChange === null) body.prepared_message = null;
    else if (messageChange !== undefined && message.value.trim()) body.prepared_message = message.value.trim();
    try {
      if (contact) await api(`/api/v1/contacts/${contact.id}`, { method: "PUT", json: body });
      else await api("/api/v1/contacts", { method: "POST", json: body });
      done(t("contacts.saved", { name: body.name }));
    } catch (error) {
      alert.textContent = error instanceof ApiError ? error.detail : t("contacts.offline");
    }
  });
  return form;
}

/** A button that needs a second tap within a few seconds, for what cannot be undone. */
export function confirmButton(key, confirmKey, action, attributes = {}) {
  const button = h("button", { type: "button", class: "secondary", ...attributes }, t(key));
  let armed = null;
  button.addEventListener("click", async () => {
    if (!armed) {
      button.textContent = t(confirmKey);
      armed = setTimeout(() => {
        armed = null;
        button.textContent = t(key);
      }, 5000);
      return;
    }
    clearTimeout(armed);
    armed = null;
    button.disabled = true;
    await action();
    button.disabled = false;
    button.textContent = t(key);
  });
  return button;
}
