// The field app's offline store and outbox (STYLE.md rule 15).
// IndexedDB holds: `outbox` (visits waiting to be sent, keyed by the UUID made on the phone,
// photos as Blobs inside the item), `households` (the user's own households for offline
// work) and `meta` (who is logged in, when the households were fetched).
// Every IndexedDB call below is one complete transaction; network calls happen between
// them, never inside one (a transaction closes itself when a task awaits a fetch).

import { token } from "/static/js/api.js";

const DB_NAME = "shouwang-field";
const BATCH = 50;
const MAX_DELAY = 5 * 60 * 1000;

let dbPromise = null;

function db() {
  if (!dbPromise) {
    dbPromise = new Promise((resolve, reject) => {
      const req = indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = () => {
        const d = req.result;
        d.createObjectStore("outbox", { keyPath: "id" });
        d.createObjectStore("households", { keyPath: "id" });
        d.createObjectStore("meta", { keyPath: "key" });
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }
  return dbPromise;
}

async function run(store, mode, fn) {
  const d = await db();
  return new Promise((resolve, reject) => {
    const t = d.transaction(store, mode);
    const req = fn(t.objectStore(store));
    t.oncomplete = () => resolve(req ? req.result : undefined);
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error || new Error("IndexedDB transaction aborted"));
  });
}

export const all = (store) => run(store, "readonly", (s) => s.getAll());
export const get = (store, key) => run(store, "readonly", (s) => s.get(key));
export const put = (store, value) => run(store, "readwrite", (s) => s.put(value));
export const remove = (store, key) => run(store, "readwrite", (s) => s.delete(key));
export const replaceAll = (store, values) => run(store, "readwrite", (s) => {
  s.clear();
  for (const v of values) s.put(v);
});

// Logout on a shared phone: the households and who was logged in go; the outbox stays (its
// items carry their user_id and wait for that user to log in again).
export async function forgetHouseholds() {
  const d = await db();
  return new Promise((resolve, reject) => {
    const t = d.transaction(["households", "meta"], "readwrite");
    t.objectStore("households").clear();
    t.objectStore("meta").clear();
    t.oncomplete = () => resolve();
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error || new Error("IndexedDB transaction aborted"));
  });
}

// The user id a token was issued to (the JWT payload's `sub`), or null. Read on the phone
// only to keep one account's records and cache apart from another's; the server checks it.
export function subjectOf(jwt) {
  try {
    const part = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), "="))).sub || null;
  } catch (err) {
    return null;
  }
}

export function newId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// --- queueing ---------------------------------------------------------------------------

export async function enqueue(item) {
  await put("outbox", { state: "waiting", attempts: 0, next_try: 0, error: null, ...item });
  // Ask the browser to wake us when the network is back (where it has Background Sync).
  try {
    const reg = await navigator.serviceWorker?.ready;
    await reg?.sync?.register("shouwang-outbox");
  } catch (err) { /* not supported: online/visibilitychange/open still flush */ }
}

export async function counts(userId) {
  const items = await all("outbox");
  // Logged out (no userId), every queued item is another account's.
  const mine = items.filter((i) => userId && i.user_id === userId);
  return {
    waiting: mine.filter((i) => i.state === "waiting").length,
    failed: mine.filter((i) => i.state === "failed").length,
    others: items.length - mine.length,
  };
}

// --- sending ----------------------------------------------------------------------------

let flushing = null;
let timer = null;

function schedule(delay, hooks) {
  clearTimeout(timer);
  timer = setTimeout(() => flush({ ...hooks, force: false }), delay);
}

async function backOff(items, hooks) {
  let soonest = MAX_DELAY;
  for (const item of items) {
    item.attempts = (item.attempts || 0) + 1;
    const delay = Math.min(5000 * 2 ** (item.attempts - 1), MAX_DELAY);
    item.next_try = Date.now() + delay;
    soonest = Math.min(soonest, delay);
    await put("outbox", item);
  }
  schedule(soonest, hooks);
}

async function fail(item, status, body, prefix = "") {
  item.state = "failed";
  item.error = {
    status,
    code: body?.error || null,
    message: prefix + (body?.message || `服务器拒绝(${status})`),
    detail: body?.detail ?? null,
  };
  await put("outbox", item);
}

// No network, the server busy (429) or failing (5xx): try again later, never refuse.
const transient = (status) => status === 0 || status === 408 || status === 429 || status >= 500;

// A 2xx without the answer we expect is not our server (a hotel or village Wi-Fi login page
// answers 200 with HTML): treated like no network, so the item is neither dropped as sent
// nor refused as 「同步失败」.
async function send(path, init, expected) {
  try {
    const response = await fetch(path, init);
    const body = await response.json().catch(() => null);
    if (response.ok && !expected(body)) return { status: 0, body: null };
    return { status: response.status, body };
  } catch (err) {
    return { status: 0, body: null };
  }
}

// The current token's header, only if it belongs to the user whose items are being sent:
// another account's token must never carry them (that would credit the visit to the wrong
// person). null means "log in as that user first".
function authFor(userId) {
  const t = token();
  return t && subjectOf(t) === userId ? { Authorization: `Bearer ${t}` } : null;
}

// Photos go up first (the files domain checks, cleans and dedupes them); the visit then
// names them by id. The same photo uploaded twice answers the same id.
async function uploadPhotos(item) {
  for (const photo of item.photos || []) {
    if (photo.file_id) continue;
    const headers = authFor(item.user_id);
    if (!headers) return "login";
    const form = new FormData();
    form.append("file", photo.blob, photo.name || "photo.jpg");
    form.append("area_code", item.area_code);
    const { status, body } = await send("/api/v1/files", {
      method: "POST", headers, body: form,
    }, (b) => typeof b?.id === "string");
    if (status === 401) return "login";
    if (transient(status)) return "retry";
    if (status >= 400) {
      await fail(item, status, body, "照片:");
      return "failed";
    }
    photo.file_id = body.id;
    await put("outbox", item);
  }
  item.payload.photo_ids = (item.photos || []).map((p) => p.file_id);
  return "ok";
}

async function doFlush({ userId, force, onNeedLogin, onProgress }) {
  const result = { sent: 0, failed: 0, retry: 0, login: false, offline: false };
  if (!navigator.onLine) {
    result.offline = true;
    return result;
  }
  const now = Date.now();
  // Only the logged-in user's own items, and only under their own token (see authFor).
  const items = (await all("outbox")).filter((i) =>
    userId && i.state === "waiting" && i.user_id === userId && (force || !i.next_try || i.next_try <= now));
  items.sort((a, b) => (a.created_at < b.created_at ? -1 : 1));
  const ready = [];
  for (const item of items) {
    const r = await uploadPhotos(item);
    if (r === "login") {
      result.login = true;
      onNeedLogin?.();
      return result;
    }
    if (r === "retry") {
      result.retry += items.length - ready.length;
      await backOff(items.filter((i) => !ready.includes(i) && i.state === "waiting"), { userId, onNeedLogin, onProgress });
      return result;
    }
    if (r === "failed") result.failed += 1;
    else ready.push(item);
  }
  for (let i = 0; i < ready.length; i += BATCH) {
    const chunk = ready.slice(i, i + BATCH);
    const headers = authFor(userId);
    if (!headers) {
      result.login = true;
      onNeedLogin?.();
      return result;
    }
    const { status, body } = await send("/api/v1/visits/batch", {
      method: "POST",
      headers: { "Content-Type": "application/json", ...headers },
      body: JSON.stringify({ items: chunk.map((c) => c.payload) }),
    }, (b) => Array.isArray(b?.results) && b.results.length === chunk.length);
    if (status === 401) {
      result.login = true;
      onNeedLogin?.();
      return result;
    }
    if (transient(status)) {
      result.retry += ready.length - i;
      await backOff(ready.slice(i), { userId, onNeedLogin, onProgress });
      return result;
    }
    if (status >= 400) {
      for (const item of chunk) await fail(item, status, body);
      result.failed += chunk.length;
      continue;
    }
    const again = [];
    for (const [k, r] of body.results.entries()) {
      const item = chunk[k];
      if (r.status === 200 || r.status === 201) {
        await remove("outbox", item.id);
        result.sent += 1;
      } else if (transient(r.status)) {
        again.push(item);
        result.retry += 1;
      } else {
        await fail(item, r.status, r);
        result.failed += 1;
      }
    }
    if (again.length) await backOff(again, { userId, onNeedLogin, onProgress });
    onProgress?.(result);
  }
  return result;
}

// One flush at a time; a second call while one runs waits for it.
export function flush(options) {
  if (flushing) return flushing;
  clearTimeout(timer);
  flushing = doFlush(options).finally(() => { flushing = null; });
  return flushing;
}

export async function retry(item) {
  item.state = "waiting";
  item.attempts = 0;
  item.next_try = 0;
  item.error = null;
  await put("outbox", item);
}
