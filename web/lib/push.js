// Alerts on this device (Web Push): subscribes this browser with the server's key and tells the
// server, which then sends this account's alerts here; or stops. The service worker (sw.js)
// decrypts nothing itself: the browser does, and the worker shows what arrives.

import { api } from "./api.js";
import { currentLanguage } from "./i18n.js";

/** The person refused notifications, or the browser blocks them for this site. */
export class PushDenied extends Error {}

export function pushSupported() {
  return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
}

/** This browser's subscription, or null. Never waits for a service worker that is not there. */
export async function currentSubscription() {
  if (!pushSupported()) return null;
  const registration = await navigator.serviceWorker.getRegistration("/");
  return registration ? registration.pushManager.getSubscription() : null;
}

/** Turns alerts on here: permission, subscription with the server's key, saved on the server. */
export async function subscribe() {
  const permission = await Notification.requestPermission();
  if (permission !== "granted") throw new PushDenied(permission);
  const { public_key: key } = await api("/api/v1/push/key");
  const registration = await navigator.serviceWorker.ready;
  let subscription = await registration.pushManager.getSubscription();
  // A subscription made with another server key (a new server, a restored backup) cannot carry
  // this server's alerts: replace it.
  if (subscription && base64url(subscription.options.applicationServerKey) !== key) {
    await subscription.unsubscribe();
    subscription = null;
  }
  subscription ??= await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
  await api("/api/v1/push/subscriptions", {
    method: "POST",
    json: { ...subscription.toJSON(), language: currentLanguage() },
  });
  return subscription;
}

/** Turns alerts off here. The browser stops first, so they stop even if the server is out of
 * reach (its next alert here is then refused by the push service and the server forgets it). */
export async function unsubscribe() {
  const subscription = await currentSubscription();
  if (!subscription) return;
  await subscription.unsubscribe();
  try {
    await api("/api/v1/push/subscriptions", { method: "DELETE", json: { endpoint: subscription.endpoint } });
  } catch {
    // Already gone on the server, or offline: see above.
  }
}

/** Asks the server to send a test alert to this account's devices; resolves to the counts. */
export function sendTest() {
  return api("/api/v1/push/test", { method: "POST" });
}

function base64url(buffer) {
  if (!buffer) return "";
  const text = String.fromCharCode(...new Uint8Array(buffer));
  return btoa(text).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}
