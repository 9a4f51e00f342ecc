// The service worker: keeps the app and the know-your-rights cards on the phone so Amparo opens
// and the cards read with no network, and a reload in the middle of an offline stretch still
// brings the app back (its queue then finishes uploading). The API is never cached: evidence and
// receipts only ever come from the server. It also shows alerts that arrive by Web Push (the
// browser has already decrypted them) and opens the encounter they are about when tapped.

const CACHE = "amparo-shell-v1";
const SHELL = [
  "/",
  "/index.html",
  "/app.js",
  "/style.css",
  "/manifest.webmanifest",
  "/icon.svg",
  "/icon-192.png",
  "/icon-512.png",
  "/lib/api.js",
  "/lib/call.js",
  "/lib/desk.js",
  "/lib/line.js",
  "/lib/dom.js",
  "/lib/i18n.js",
  "/lib/push.js",
  "/lib/live.js",
  "/lib/player.js",
  "/lib/queue.js",
  "/lib/recorder.js",
  "/lib/rights.js",
  "/lib/settings.js",
  "/lib/tus.js",
  "/lib/uploader.js",
  "/screens/alerts.js",
  "/screens/attorney-panel.js",
  "/screens/console.js",
  "/screens/console-call.js",
  "/screens/coverage.js",
  "/screens/org.js",
  "/screens/ring.js",
  "/screens/vet.js",
  "/screens/choice.js",
  "/screens/contacts.js",
  "/screens/status.js",
  "/screens/detained.js",
  "/screens/follow.js",
  "/screens/following.js",
  "/screens/history.js",
  "/screens/home.js",
  "/screens/login.js",
  "/screens/overlays.js",
  "/screens/recording.js",
  "/screens/rights.js",
  "/screens/settings.js",
  "/screens/translations.js",
  "/screens/where.js",
  "/lib/rapid.js",
  "/lib/cellmap.js",
  "/lib/photos.js",
  "/lib/outbox.js",
  "/screens/outbox-list.js",
  "/screens/audit.js",
  "/screens/report.js",
  "/screens/my-reports.js",
  "/screens/triage.js",
  "/screens/triage-actions.js",
  "/screens/responder-incidents.js",
  "/screens/incidents.js",
  "/screens/incident-banner.js",
  "/screens/watch.js",
  "/screens/vehicles.js",
  "/lib/observers.js",
  "/screens/observer-switch.js",
  "/screens/observer-offer.js",
  "/screens/observers-section.js",
  "/i18n/index.json",
  "/rights/index.json",
];

/** Every translation and every rights card the server has: listed by the server, so adding a
 * language needs no change here. */
async function contentFiles() {
  const files = [];
  try {
    const languages = (await (await fetch("/i18n/index.json")).json()).languages ?? [];
    for (const { code } of languages) files.push(`/i18n/${code}.json`);
    const rights = await (await fetch("/rights/index.json")).json();
    for (const [code, situations] of Object.entries(rights.languages ?? {})) {
      for (const situation of situations) files.push(`/rights/${code}/${situation}.txt`);
    }
  } catch {
    files.push("/i18n/en.json", "/i18n/es.json");
  }
  return files;
}

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      await cache.addAll(SHELL);
      await cache.addAll(await contentFiles());
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) if (name !== CACHE) await caches.delete(name);
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin || url.pathname.startsWith("/api/")) return;
  event.respondWith(staleWhileRevalidate(request, event));
});

/** The cached copy at once (the worst minute is no time to wait on a weak signal), refreshed
 * from the network in the background for the next start. */
async function staleWhileRevalidate(request, event) {
  const cache = await caches.open(CACHE);
  const key = request.mode === "navigate" ? "/" : request;
  const cached = await cache.match(key, { ignoreSearch: request.mode === "navigate" });
  const fresh = fetch(request)
    .then(async (response) => {
      if (response.ok && response.type === "basic") await cache.put(key, response.clone());
      return response;
    })
    .catch(() => null);
  if (cached) {
    event.waitUntil(fresh);
    return cached;
  }
  return (await fresh) ?? new Response("Offline: open Amparo once with a connection.", { status: 503, headers: { "Content-Type": "text/plain; charset=utf-8" } });
}

// --- Alerts (Web Push) ---

/** An alert from the server: show it, and tell open pages (which may want to refresh). */
self.addEventListener("push", (event) => {
  event.waitUntil(
    (async () => {
      let message = {};
      try {
        message = event.data?.json() ?? {};
      } catch {
        // Not ours, or damaged: still show something, so the person knows to look.
      }
      const text = (value, fallback) => (typeof value === "string" && value ? value : fallback);
      const title = text(message.title, "Amparo");
      await self.registration.showNotification(title, {
        body: text(message.body, ""),
        tag: text(message.tag, "amparo"),
        renotify: true,
        lang: text(message.language, ""),
        icon: "/icon-192.png",
        data: { url: ownUrl(message.url) },
      });
      for (const client of await self.clients.matchAll({ type: "window", includeUncontrolled: true })) {
        client.postMessage({ type: "amparo:push", title, message });
      }
    })(),
  );
});

/** Tapping an alert: focus Amparo if it is open and go where the alert points, else open it. */
self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = ownUrl(event.notification.data?.url);
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
      const open = windows.find((client) => new URL(client.url).origin === self.location.origin);
      if (!open) return self.clients.openWindow(url);
      await open.focus();
      if (open.url !== url && "navigate" in open) await open.navigate(url).catch(() => {});
    })(),
  );
});

/** Only ever opens our own origin, whatever a message says. */
function ownUrl(value) {
  try {
    const url = new URL(value, self.location.origin);
    if (url.origin === self.location.origin) return url.href;
  } catch {
    // Not a URL: the app's start.
  }
  return new URL("/", self.location.origin).href;
}
