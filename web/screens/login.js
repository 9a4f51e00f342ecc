// Log in and sign up: a username and a password, nothing else (no email, no phone number: what
// we do not store cannot be seized). The language picker is here too, before anything else.

import { h } from "../lib/dom.js";
import { t } from "../lib/i18n.js";
import { api, saveSession, ApiError } from "../lib/api.js";
import { languagePicker } from "./settings.js";

export async function render({ app, name }) {
  const signingUp = name === "signup";
  const alert = h("p", { class: "alert", role: "alert", id: "form-error" });
  const username = h("input", {
    id: "username",
    name: "username",
    autocomplete: "username",
    autocapitalize: "none",
    spellcheck: "false",
    required: true,
    minlength: 3,
    maxlength: 64,
    "aria-describedby": signingUp ? "username-hint" : false,
  });
  const password = h("input", {
    id: "password",
    name: "password",
    type: "password",
    autocomplete: signingUp ? "new-password" : "current-password",
    required: true,
    minlength: signingUp ? 10 : false,
    "aria-describedby": signingUp ? "password-hint" : false,
  });
  const submit = h("button", { type: "submit", class: "primary" }, t(signingUp ? "login.create" : "login.submit"));

  async function onsubmit(event) {
    event.preventDefault();
    alert.textContent = "";
    submit.disabled = true;
    const credentials = { username: username.value.trim(), password: password.value };
    try {
      if (signingUp) await api("/api/v1/accounts", { method: "POST", json: credentials });
      saveSession(await api("/api/v1/sessions", { method: "POST", json: credentials }));
      app.navigate("");
    } catch (error) {
      alert.textContent = error instanceof ApiError ? error.detail || error.title : t("error.offline_login");
      submit.disabled = false;
    }
  }

  return h(
    "section",
    { class: "screen login" },
    h("h1", {}, t(signingUp ? "login.signup_title" : "login.title")),
    h("p", { class: "lead" }, t("login.lead")),
    await languagePicker(app),
    h(
      "form",
      { onsubmit, novalidate: true },
      h("label", { for: "username" }, t("login.username")),
      username,
      signingUp ? h("p", { class: "hint", id: "username-hint" }, t("login.username_hint")) : null,
      h("label", { for: "password" }, t("login.password")),
      password,
      signingUp ? h("p", { class: "hint", id: "password-hint" }, t("login.password_hint")) : null,
      alert,
      submit,
    ),
    h(
      "p",
      { class: "switch" },
      h("a", { href: signingUp ? "#/login" : "#/signup", class: "button secondary" }, t(signingUp ? "login.have_account" : "login.no_account")),
    ),
    h("p", {}, h("a", { href: "#/rights", class: "button secondary" }, t("home.rights_link"))),
  );
}
