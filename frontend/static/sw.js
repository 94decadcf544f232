// Shouwang's service worker. Read top to bottom:
// 1. install: precache the versioned app shell (awaited, so a half-cached shell never serves);
// 2. activate: delete caches of older versions;
// 3. fetch: public reference data (the area tree) goes network-first with the last copy kept
//    for offline; every other API call goes to the network only, so nobody's personal data
//    is left in a cache that outlives a logout; pages and static files come from the shell
//    cache, refreshed from the network when it answers.
// Offline writes are never the worker's business: pages keep them in an IndexedDB outbox
// and send them when open (the report page tells the farmer to open it again once online).

const VERSION = "v9";
const SHELL = `shouwang-shell-${VERSION}`;
const DATA = `shouwang-data-${VERSION}`;

const SHELL_FILES = [
  "/",
  "/staff",
  "/report",
  "/report/status",
  "/manifest.webmanifest",
  "/static/css/app.css",
  "/static/js/api.js",
  "/static/js/register-sw.js",
  "/static/js/staff.js",
  "/static/js/report.js",
  "/static/js/report-outbox.js",
  "/static/js/report-status.js",
  "/static/js/staff-reports.js",
  "/field",
  "/coverage",
  "/static/js/field.js",
  "/static/js/outbox.js",
  "/static/js/coverage.js",
  "/rectification",
  "/static/js/rectification.js",
  "/static/icons/icon-192.png",
  "/static/icons/icon-512.png",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL).then((cache) => cache.addAll(SHELL_FILES)));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(
        keys.filter((k) => k.startsWith("shouwang-") && k !== SHELL && k !== DATA)
          .map((k) => caches.delete(k)),
      ))
      .then(() => self.clients.claim()),
  );
});

// Background Sync: the field app's outbox lives in IndexedDB and needs the page's login, so
// the worker wakes the open pages and they flush.
self.addEventListener("sync", (event) => {
  if (event.tag !== "shouwang-outbox") return;
  event.waitUntil(self.clients.matchAll({ type: "window" })
    .then((clients) => clients.forEach((c) => c.postMessage("flush-outbox"))));
});

self.addEventListener("message", (event) => {
  if (event.data === "skip-waiting") self.skipWaiting();
});

// Only public answers are kept; a request that carries a login is never cached.
const CACHEABLE_API = ["/api/v1/areas"];

function offline() {
  return new Response(JSON.stringify({ error: "offline", message: "当前离线,无法读取" }), {
    status: 503,
    headers: { "Content-Type": "application/json" },
  });
}

async function networkFirst(request) {
  const cache = await caches.open(DATA);
  try {
    const response = await fetch(request);
    if (response.ok) cache.put(request, response.clone());
    return response;
  } catch (err) {
    return (await cache.match(request)) || offline();
  }
}

async function networkOnly(request) {
  try {
    return await fetch(request);
  } catch (err) {
    return offline();
  }
}

async function shellFirst(request) {
  const cache = await caches.open(SHELL);
  const cached = await cache.match(request, { ignoreSearch: request.mode === "navigate" });
  const refresh = fetch(request)
    .then((response) => {
      if (response.ok && response.type === "basic") cache.put(request, response.clone());
      return response;
    })
    .catch(() => null);
  if (cached) return cached;
  const response = await refresh;
  if (response) return response;
  if (request.mode === "navigate") return (await cache.match("/")) || Response.error();
  return Response.error();
}

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/api/")) {
    // Writes (and personal data in answers to them) go straight to the network.
    if (event.request.method !== "GET") return;
    const shared = CACHEABLE_API.some((p) => url.pathname.startsWith(p))
      && !event.request.headers.has("Authorization");
    event.respondWith(shared ? networkFirst(event.request) : networkOnly(event.request));
    return;
  }
  if (event.request.method !== "GET" || url.pathname === "/docs") return;
  event.respondWith(shellFirst(event.request));
});
