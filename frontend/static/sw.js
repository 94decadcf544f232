// Shouwang's service worker. Read top to bottom:
// 0. SHELL (above this file, written by the server): every page and static file, and a
//    version that is a hash of their content: any changed file makes a new worker;
// 1. install: precache the shell from the network, past the HTTP cache (awaited, so a
//    half-cached shell never serves), then take over at once;
// 2. activate: delete caches of older versions;
// 3. fetch: public reference data (the area tree) goes network-first with the last copy kept
//    for offline; every other API call goes to the network only, so nobody's personal data
//    is left in a cache that outlives a logout; pages and static files come from the shell
//    cache (the network only for what the shell does not hold).
// Offline writes are never the worker's business: pages keep them in IndexedDB outboxes and
// send them when open (lib/queue.js); the `sync` event only wakes the open pages.

const VERSION = SHELL.version;
const SHELL_CACHE = `shouwang-shell-${VERSION}`;
const DATA_CACHE = `shouwang-data-${VERSION}`;

self.addEventListener("install", (event) => {
  // Pages load every module up front, so a page open under the old worker keeps working
  // when the new one takes over: nothing waits for every tab to close.
  event.waitUntil(
    caches
      .open(SHELL_CACHE)
      .then((cache) =>
        cache.addAll(SHELL.files.map((url) => new Request(url, { cache: "reload" }))),
      )
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) =>
        Promise.all(
          keys
            .filter((k) => k.startsWith("shouwang-") && k !== SHELL_CACHE && k !== DATA_CACHE)
            .map((k) => caches.delete(k)),
        ),
      )
      .then(() => self.clients.claim()),
  );
});

// Background Sync: the outboxes live in IndexedDB and need the page (its login, its
// screen), so the worker wakes the open pages and they flush.
self.addEventListener("sync", (event) => {
  if (!event.tag.startsWith("shouwang-")) return;
  event.waitUntil(
    self.clients.matchAll({ type: "window" }).then((clients) => {
      for (const c of clients) c.postMessage({ type: "flush-outbox", tag: event.tag });
    }),
  );
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
  const cache = await caches.open(DATA_CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) cache.put(request, response.clone());
    return response;
  } catch {
    return (await cache.match(request)) || offline();
  }
}

async function networkOnly(request) {
  try {
    return await fetch(request);
  } catch {
    return offline();
  }
}

// The shell is versioned by its content, so a cached file is the current one until a new
// worker brings the next: nothing is fetched again in the background on a slow network.
async function shellFirst(request) {
  const cache = await caches.open(SHELL_CACHE);
  const cached = await cache.match(request, { ignoreSearch: request.mode === "navigate" });
  if (cached) return cached;
  try {
    return await fetch(request);
  } catch {
    if (request.mode === "navigate") return (await cache.match("/")) || Response.error();
    return Response.error();
  }
}

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/api/")) {
    // Writes (and personal data in answers to them) go straight to the network.
    if (event.request.method !== "GET") return;
    const shared =
      CACHEABLE_API.some((p) => url.pathname.startsWith(p)) &&
      !event.request.headers.has("Authorization");
    event.respondWith(shared ? networkFirst(event.request) : networkOnly(event.request));
    return;
  }
  if (event.request.method !== "GET" || url.pathname === "/docs") return;
  event.respondWith(shellFirst(event.request));
});
