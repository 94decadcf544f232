// The one outbox core (STYLE rules 15 and 23), in the manner of Workbox's background-sync
// Queue: the field app and the farmer's page are two configurations of it.
// - A record goes into IndexedDB first, keyed by the UUID made on the phone, and leaves
//   only when the server has it.
// - One flush at a time (in this page, and across tabs where the browser has Web Locks).
// - One classification of answers: sent; later (no network, 408, 429, 5xx, a Wi-Fi login
//   page answering 200 with something that is not ours), waiting for Retry-After when the
//   server gives one, else a doubling back-off; login (401: kept, the page asks); failed
//   (any other 4xx: kept with the server's reason in a visible list, never dropped).
// - Any page that opens schedules every waiting item's retry itself, so a record never waits
//   for a tap: on open, `online`, `visibilitychange`, the worker's `sync` wake-up and a timer
//   set to the soonest item's time.
// No fetch is ever awaited inside an IndexedDB transaction: each store call is its own.

const OFFLINE_RECHECK = 15_000; // some phones never fire `online`

export function newId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// Seconds the server asks us to wait (Retry-After: seconds or an HTTP date), or null.
function retryAfter(response) {
  const header = response.headers.get("Retry-After");
  if (!header) return null;
  const seconds = /^\d+$/.test(header.trim())
    ? Number(header)
    : (Date.parse(header) - Date.now()) / 1000;
  return seconds > 0 ? Math.ceil(seconds) : null;
}

// What a status means for a record. `whole`: the answer is about the request, so every item
// in it (and every other item waiting behind it) shares it.
export function classifyStatus(status, body = null, { whole = false, wait = null } = {}) {
  const base = { status, body, whole, wait };
  if (status >= 200 && status < 300) return { ...base, kind: "sent" };
  if (status === 401) return { ...base, kind: "login" };
  if (status === 0) return { ...base, kind: "later", reason: "offline" };
  if (status === 408 || status === 429 || status >= 500) {
    return { ...base, kind: "later", reason: status === 429 ? "busy" : "server" };
  }
  return { ...base, kind: "failed" };
}

// Send one request and classify its answer. `expected(body)` says whether a 2xx answer is
// really ours: a captive portal answers 200 with its own page, which is no network at all.
export async function request(path, init, expected) {
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    return classifyStatus(0, null, { whole: true });
  }
  const body = await response.json().catch(() => null);
  if (response.ok && !expected(body)) {
    return { status: response.status, body: null, whole: true, kind: "later", reason: "portal" };
  }
  return classifyStatus(response.status, body, { whole: true, wait: retryAfter(response) });
}

// name: the queue's name (its Background Sync tag is `shouwang-<name>`).
// db: an openDb() handle whose "outbox" store is keyed by id.
// send(items, tools): sends a batch; answers one outcome per item, in order, made with
//   tools.request / classifyStatus; tools.save(item) stores progress (a photo's file id).
// mine(item): whether this page may send the item now (the field app: the logged-in
//   user's own records); others wait, counted apart.
export function createQueue({
  name,
  db,
  send,
  batchSize = 1,
  backoff = { first: 5_000, max: 300_000 },
  mine = () => true,
  onChange = () => {},
  onLogin = () => {},
  onSent = () => {},
  onFlushed = () => {},
}) {
  let running = null;
  let again = null;
  let timer = null;
  let nextAt = null;
  let loginNeeded = false;

  const all = () => db.all("outbox");
  const save = (item) => db.put("outbox", item);
  const dueAt = (i) => Math.max(i.next_try || 0, i.not_before || 0);

  async function enqueue(item) {
    const now = new Date().toISOString();
    await save({
      state: "waiting",
      attempts: 0,
      next_try: 0,
      not_before: 0,
      error: null,
      created_at: now,
      ...item,
    });
    // Ask the browser to wake the pages when the network is back, where it can. Not awaited:
    // `ready` waits for an active worker, which a first visit may not have yet.
    navigator.serviceWorker?.ready
      .then((reg) => reg.sync?.register(`shouwang-${name}`))
      .catch(() => {
        // No Background Sync: opening, `online`, visibility and the timer still flush.
      });
    onChange();
  }

  function later(item, outcome, now) {
    item.attempts = (item.attempts || 0) + 1;
    const doubled = Math.min(backoff.first * 2 ** (item.attempts - 1), backoff.max);
    // The server's word wins, even over 「立即同步」; our own back-off only until a tap.
    if (outcome.wait) item.not_before = now + outcome.wait * 1000;
    item.next_try = now + (outcome.wait ? outcome.wait * 1000 : doubled);
    item.last_reason = outcome.reason || null;
  }

  function failed(item, outcome) {
    const body = outcome.body || {};
    item.state = "failed";
    item.error = {
      status: outcome.status,
      code: body.error || null,
      message: outcome.message || body.message || `服务器拒绝（${outcome.status}）`,
      detail: body.detail ?? null,
    };
  }

  async function apply(item, outcome, result, now) {
    result.outcomes.set(item.id, outcome);
    if (outcome.kind === "sent") {
      await db.remove("outbox", item.id);
      result.sent += 1;
      onSent(item, outcome);
    } else if (outcome.kind === "failed") {
      failed(item, outcome);
      await save(item);
      result.failed += 1;
    } else if (outcome.kind === "later") {
      later(item, outcome, now);
      await save(item);
      result.later += 1;
    } else {
      result.login = true;
    }
  }

  async function run(force) {
    const result = { sent: 0, failed: 0, later: 0, login: false, offline: false };
    result.outcomes = new Map();
    if (!navigator.onLine) {
      result.offline = true;
      return result;
    }
    const now = Date.now();
    const due = (await all())
      .filter(
        (i) =>
          i.state === "waiting" &&
          mine(i) &&
          (i.not_before || 0) <= now &&
          (force || (i.next_try || 0) <= now),
      )
      .sort((a, b) => (a.created_at < b.created_at ? -1 : 1));
    for (let start = 0; start < due.length; start += batchSize) {
      const chunk = due.slice(start, start + batchSize);
      let outcomes;
      try {
        outcomes = await send(chunk, { request, classifyStatus, save });
      } catch {
        // A fault of ours (storage, a bug): the items stay and are tried again later.
        outcomes = chunk.map(() => ({ kind: "later", reason: "server", whole: true }));
      }
      for (const [k, item] of chunk.entries()) await apply(item, outcomes[k], result, now);
      const stop = outcomes.find((o) => o.whole && (o.kind === "later" || o.kind === "login"));
      if (stop) {
        // The same wall stands before everything behind it: it waits as long.
        if (stop.kind === "later") {
          for (const item of due.slice(start + batchSize)) await apply(item, stop, result, now);
        }
        break;
      }
    }
    if (result.login) {
      loginNeeded = true;
      onLogin();
    }
    return result;
  }

  // The soonest time any waiting item of ours may go, and a timer for it.
  async function schedule() {
    clearTimeout(timer);
    timer = null;
    nextAt = null;
    if (loginNeeded) return;
    const waiting = (await all()).filter((i) => i.state === "waiting" && mine(i));
    if (!waiting.length) return;
    const at = Math.min(...waiting.map(dueAt));
    const floor = navigator.onLine ? 0 : OFFLINE_RECHECK;
    const delay = Math.min(Math.max(at - Date.now(), floor), 2 ** 31 - 1);
    nextAt = Date.now() + delay;
    timer = setTimeout(() => flush(), delay);
  }

  function locked(fn) {
    if (navigator.locks?.request) return navigator.locks.request(`shouwang-outbox-${name}`, fn);
    return fn();
  }

  // One flush at a time: a call while one runs gets the next one, which starts after it
  // and sends only what is due (what the running one just tried is not sent twice).
  // force: also items backing off (a tap on 「立即同步」), never before the server's time.
  function flush({ force = false } = {}) {
    if (running) {
      again ??= running.then(() => {
        again = null;
        return flush();
      });
      return again;
    }
    loginNeeded = false;
    running = locked(() => run(force))
      .catch(() => ({ sent: 0, failed: 0, later: 0, login: false, offline: false }))
      .then(async (result) => {
        await schedule().catch(() => {});
        result.next_at = nextAt;
        onChange();
        await Promise.resolve(onFlushed(result)).catch(() => {});
        return result;
      })
      .finally(() => {
        running = null;
      });
    return running;
  }

  // Counts for the screen: this page's own waiting and failed items, and the others.
  async function status() {
    const items = await all();
    const own = items.filter(mine);
    return {
      waiting: own.filter((i) => i.state === "waiting").length,
      failed: own.filter((i) => i.state === "failed").length,
      others: items.length - own.length,
      next_at: nextAt,
      items: own,
    };
  }

  async function retry(id) {
    const item = await db.get("outbox", id);
    if (!item) return;
    Object.assign(item, { state: "waiting", attempts: 0, next_try: 0, error: null });
    await save(item);
    onChange();
  }

  async function remove(id) {
    await db.remove("outbox", id);
    onChange();
  }

  // On open: send what is due, and schedule everything else that waits.
  function start() {
    navigator.storage?.persist?.().catch(() => {});
    window.addEventListener("online", () => flush());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") flush();
    });
    navigator.serviceWorker?.addEventListener("message", (event) => {
      if (event.data?.type === "flush-outbox") flush();
    });
    return flush();
  }

  return { enqueue, flush, start, status, retry, remove, get: (id) => db.get("outbox", id) };
}
