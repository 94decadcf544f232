// The farmer's outbox: the core (lib/queue.js) configured for 一键报贫. One report and its
// photos travel in one request, so they arrive together or not at all; the answer is the
// receipt, remembered on the phone for the status page (report/receipts.js).

import { openDb } from "/static/js/lib/idb.js";
import { createQueue, request } from "/static/js/lib/queue.js";
import { remember } from "/static/js/report/receipts.js";

// Version 2 gave the reports the core's fields; reports kept by version 1 are carried over,
// never dropped: `failed` (a message) and `next_try_at` become the core's state and times.
const reportDb = openDb("shouwang-report", 2, (db, oldVersion, tx) => {
  if (oldVersion < 1) db.createObjectStore("outbox", { keyPath: "id" });
  if (oldVersion === 1) {
    const store = tx.objectStore("outbox");
    store.openCursor().onsuccess = (event) => {
      const cursor = event.target.result;
      if (!cursor) return;
      const old = cursor.value;
      cursor.update({
        id: old.id,
        record: old.record,
        photos: old.photos || [],
        created_at: old.saved_at || new Date().toISOString(),
        state: old.failed ? "failed" : "waiting",
        attempts: old.attempts || 0,
        next_try: old.next_try_at || 0,
        not_before: old.next_try_at || 0,
        error: old.failed ? { status: null, code: null, message: old.failed, detail: null } : null,
      });
      cursor.continue();
    };
  }
});

function receiptOf(item, body) {
  return remember({
    receipt_code: body.receipt_code,
    phone: item.record.reporter_phone || item.record.phone,
    status: body.status,
    village_due_on: body.village_due_on,
    village_check_days: body.village_check_days,
    at: new Date().toISOString(),
  });
}

async function send([item], { request }) {
  const form = new FormData();
  form.append("report", JSON.stringify(item.record));
  (item.photos || []).forEach((blob, i) => {
    form.append("photos", blob, `photo-${i + 1}.jpg`);
  });
  const answer = await request(
    "/api/v1/self-reports",
    { method: "POST", body: form },
    (b) => typeof b?.receipt_code === "string",
  );
  if (answer.kind === "sent") answer.receipt = receiptOf(item, answer.body);
  return [answer];
}

export function reportQueue({ onChange, onSent, onFlushed }) {
  return createQueue({
    name: "report",
    db: reportDb,
    send,
    batchSize: 1,
    // A farmer's phone on a weak network: start at 15 seconds, never more than 30 minutes.
    backoff: { first: 15_000, max: 30 * 60_000 },
    onChange,
    onSent,
    onFlushed,
  });
}

// Without IndexedDB (private mode, storage full, an old browser) a report is sent directly,
// answered with the same classification; nothing is kept.
export async function sendDirectly(item) {
  const [outcome] = await send([item], { request });
  return outcome;
}
