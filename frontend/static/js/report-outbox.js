// The farmer's outbox: a report goes into IndexedDB first, keyed by the UUID made on the
// phone, and leaves only when the server has it (2xx). No network: it stays and is sent when
// the page is open and online. 429 or a server error: it stays and waits (Retry-After, or a
// doubling back-off). Refused (other 4xx): marked failed and shown, never dropped.
// The page flushes it; the service worker does not (it is a classic worker and this is a
// module), so the farmer is told to open the page again once online.
// Each IndexedDB call is its own transaction; no fetch is awaited inside one.

const DB = "shouwang-report";
const STORE = "outbox";
const RECEIPTS = "shouwang.receipts";

function open() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: "id" });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function run(mode, fn) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, mode);
    const result = fn(tx.objectStore(STORE));
    tx.oncomplete = () => { db.close(); resolve(result && "result" in result ? result.result : undefined); };
    tx.onerror = () => { db.close(); reject(tx.error); };
  });
}

export const put = (item) => run("readwrite", (s) => s.put(item));
export const remove = (id) => run("readwrite", (s) => s.delete(id));
export const all = () => run("readonly", (s) => s.getAll());

export function newId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function receipts() {
  try { return JSON.parse(localStorage.getItem(RECEIPTS) || "[]"); } catch { return []; }
}

export function remember(receipt) {
  const list = receipts().filter((r) => r.receipt_code !== receipt.receipt_code);
  list.unshift(receipt);
  localStorage.setItem(RECEIPTS, JSON.stringify(list.slice(0, 10)));
}

// How long to wait before trying again: the server's Retry-After (seconds or a date) if it
// gave one, else a back-off that doubles from 15 seconds up to 30 minutes.
function waitSeconds(response, attempts) {
  const header = response.headers.get("Retry-After");
  if (header) {
    const seconds = /^\d+$/.test(header) ? Number(header) : (Date.parse(header) - Date.now()) / 1000;
    if (seconds > 0) return Math.ceil(seconds);
  }
  return Math.min(15 * 2 ** Math.max(0, attempts - 1), 1800);
}

async function keep(item, stored) {
  if (!stored) return;
  try { await put(item); } catch { /* storage failed: the page says what to do */ }
}

// Send one item. `stored`: whether it is in the outbox (false when IndexedDB failed and the
// page sends directly). Answers
//   {state: "sent", receipt}
//   {state: "queued", reason: "offline"}                       no network: try when online
//   {state: "queued", reason: "busy" | "server", message, wait}  429 / 5xx: not before `wait` s
//   {state: "failed", message}                                   refused (other 4xx)
export async function send(item, { stored = true } = {}) {
  const form = new FormData();
  form.append("report", JSON.stringify(item.record));
  (item.photos || []).forEach((blob, i) => form.append("photos", blob, `photo-${i + 1}.jpg`));
  let response;
  try {
    response = await fetch("/api/v1/self-reports", { method: "POST", body: form });
  } catch (err) {
    return { state: "queued", reason: "offline" };
  }
  const body = await response.json().catch(() => null);
  if (response.ok) {
    const receipt = {
      receipt_code: body.receipt_code,
      phone: item.record.reporter_phone || item.record.phone,
      status: body.status,
      at: new Date().toISOString(),
    };
    try { remember(receipt); } catch { /* the receipt is on the screen all the same */ }
    if (stored) await remove(item.id).catch(() => {});
    return { state: "sent", receipt };
  }
  if (response.status === 429 || response.status >= 500 || response.status === 408) {
    const attempts = (item.attempts || 0) + 1;
    const wait = waitSeconds(response, attempts);
    await keep({ ...item, attempts, next_try_at: Date.now() + wait * 1000 }, stored);
    const busy = response.status === 429;
    const message = (busy && body && body.message) || "服务器暂时出了问题";
    return { state: "queued", reason: busy ? "busy" : "server", message, wait };
  }
  const message = (body && body.message) || `发送失败(${response.status})`;
  await keep({ ...item, failed: message }, stored);
  return { state: "failed", message };
}

export function readableWait(seconds) {
  if (seconds < 60) return `${seconds} 秒`;
  if (seconds < 3600) return `${Math.ceil(seconds / 60)} 分钟`;
  return `${Math.ceil(seconds / 3600)} 小时`;
}

let flushing = null;

// Send everything waiting and due (not the failed ones, not those told to wait).
// Calls onSent for each that arrived.
export function flush(onSent) {
  if (flushing) return flushing;
  flushing = (async () => {
    try {
      for (const item of await all()) {
        if (item.failed || (item.next_try_at && item.next_try_at > Date.now())) continue;
        const result = await send(item);
        if (result.state === "sent" && onSent) onSent(result.receipt, item);
        if (result.state === "queued") break; // offline or the server asks to wait: later
      }
    } finally {
      flushing = null;
    }
  })();
  return flushing;
}
