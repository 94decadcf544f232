// Shouwang's service worker. Read top to bottom:
// 1. install: precache the versioned app shell (awaited, so a half-cached shell never serves);
// 2. activate: delete caches of older versions;
// 3. fetch: API calls go network-first (GETs fall back to the last copy offline); pages and
//    static files come from the shell cache, refreshed from the network when it answers.
// Offline writes are never the worker's business: pages keep them in an IndexedDB outbox.

const VERSION = "v2";
const SHELL = `shouwang-shell-${VERSION}`;
const DATA = `shouwang-data-${VERSION}`;

const SHELL_FILES = [
  "/",
  "/staff",
  "/manifest.webmanifest",
  "/static/css/app.css",
  "/static/js/api.js",
  "/static/js/register-sw.js",
  "/static/js/staff.js",
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

self.addEventListener("message", (event) => {
  if (event.data === "skip-waiting") self.skipWaiting();
});

async function networkFirst(request) {
  const cache = await caches.open(DATA);
  try {
    const response = await fetch(request);
    if (response.ok) cache.put(request, response.clone());
    return response;
  } catch (err) {
    const cached = await cache.match(request);
    if (cached) return cached;
    return new Response(JSON.stringify({ error: "offline", message: "当前离线,无法读取" }), {
      status: 503,
      headers: { "Content-Type": "application/json" },
    });
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
    if (event.request.method !== "GET" || url.pathname.startsWith("/api/v1/auth/")) return;
    event.respondWith(networkFirst(event.request));
    return;
  }
  if (event.request.method !== "GET" || url.pathname === "/docs") return;
  event.respondWith(shellFirst(event.request));
});
