// Shouwang's service worker. Read top to bottom:
// 0. SHELL (above this file, written by the server): the public pages and the files they
//    need (`files`), each other section's pages and files (`sections`: the staff shell, the
//    field app), and a version that is a hash of their content: any changed file makes a
//    new worker;
// 1. install: precache the public pages, plus every section a window has open or the
//    previous version held, revalidated with the server (awaited, so a
//    half-cached shell never serves), then take over at once. A farmer's first visit pays
//    for the farmer's pages only; a section opened later is precached when its page asks
//    (the "precache" message from lib/pwa.js);
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

function sectionOf(path) {
  return SHELL.sections.find((s) => s.pages.includes(path));
}

// The sections to bring along: those of the open windows (a first visit to /field works
// offline as soon as the worker controls it) and those an older version had cached (an
// update keeps an installed field app whole, whether or not it is open).
async function sectionsWanted() {
  const paths = new Set();
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  for (const w of windows) paths.add(new URL(w.url).pathname);
  for (const key of await caches.keys()) {
    if (!key.startsWith("shouwang-shell-") || key === SHELL_CACHE) continue;
    const old = await caches.open(key);
    for (const s of SHELL.sections) if (await old.match(s.pages[0])) paths.add(s.pages[0]);
  }
  return SHELL.sections.filter((s) => s.pages.some((p) => paths.has(p)));
}

// A section's pages are one template, the same bytes at each address (/staff, /dashboard,
// /coverage, /rectification): fetched once, then kept under each other address too, as a
// new response (one read from another address's entry would carry that address).
async function precache(cache, urls) {
  const fetched = [];
  const copies = [];
  for (const url of urls) {
    const first = sectionOf(url)?.pages.find((p) => urls.includes(p));
    if (first && first !== url) copies.push([url, first]);
    else fetched.push(url);
  }
  // Revalidated, never taken from the HTTP cache unchecked: a file the page has just loaded
  // comes back as a 304 rather than a second copy (a first visit paid for the staff shell
  // twice), and a changed one in full.
  await cache.addAll(fetched.map((url) => new Request(url, { cache: "no-cache" })));
  for (const [url, first] of copies) {
    const page = await cache.match(first);
    await cache.put(url, new Response(await page.blob(), { headers: page.headers }));
  }
}

self.addEventListener("install", (event) => {
  // Pages load every module up front, so a page open under the old worker keeps working
  // when the new one takes over: nothing waits for every tab to close.
  event.waitUntil(
    (async () => {
      const cache = await caches.open(SHELL_CACHE);
      const files = new Set(SHELL.files);
      for (const s of await sectionsWanted()) for (const f of s.files) files.add(f);
      await precache(cache, [...files]);
      await self.skipWaiting();
    })(),
  );
});

// A page of a section this worker has not cached yet (the staff shell opened on a phone that
// first saw the farmer's form): cache that section now, so it opens offline next time.
async function precacheSection(path) {
  const section = sectionOf(path);
  if (!section) return;
  const cache = await caches.open(SHELL_CACHE);
  const missing = [];
  for (const f of section.files) if (!(await cache.match(f))) missing.push(f);
  if (missing.length) await precache(cache, missing);
}

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
  if (event.data?.type === "precache") event.waitUntil(precacheSection(event.data.path));
});

// Only public answers are kept; a request that carries a login is never cached.
const CACHEABLE_API = ["/api/v1/areas"];

function offline() {
  return new Response(JSON.stringify({ error: "offline", message: "当前离线，无法读取" }), {
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
