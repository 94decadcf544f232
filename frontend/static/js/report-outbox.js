// The farmer's outbox: a report goes into IndexedDB first, keyed by the UUID made on the
// phone, and leaves only when the server has it (2xx). No network or a server error: it
// stays and is sent again later. Refused (4xx): it is marked failed and shown, never dropped.
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

// Send one item. Answers {state: "sent", receipt} | {state: "queued"} | {state: "failed", message}.
export async function send(item) {
  const form = new FormData();
  form.append("report", JSON.stringify(item.record));
  (item.photos || []).forEach((blob, i) => form.append("photos", blob, `photo-${i + 1}.jpg`));
  let response;
  try {
    response = await fetch("/api/v1/self-reports", { method: "POST", body: form });
  } catch (err) {
    return { state: "queued" };
  }
  const body = await response.json().catch(() => null);
  if (response.ok) {
    const receipt = {
      receipt_code: body.receipt_code,
      phone: item.record.reporter_phone || item.record.phone,
      status: body.status,
      at: new Date().toISOString(),
    };
    remember(receipt);
    await remove(item.id);
    return { state: "sent", receipt };
  }
  if (response.status >= 500 || response.status === 429 || response.status === 408) {
    return { state: "queued", message: body && body.message };
  }
  const message = (body && body.message) || `发送失败(${response.status})`;
  await put({ ...item, failed: message });
  return { state: "failed", message };
}

let flushing = null;

// Send everything waiting (not the failed ones). Calls onSent for each that arrived.
export function flush(onSent) {
  if (flushing) return flushing;
  flushing = (async () => {
    try {
      for (const item of await all()) {
        if (item.failed) continue;
        const result = await send(item);
        if (result.state === "sent" && onSent) onSent(result.receipt, item);
        if (result.state === "queued") break; // still offline: try again later
      }
    } finally {
      flushing = null;
    }
  })();
  return flushing;
}
