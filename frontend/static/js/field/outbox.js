// The field app's outbox: the core (lib/queue.js) configured for visits. Photos go up first
// (the files domain checks, cleans and dedupes them; the same photo answers the same id),
// then the visits in batches of 50 with one answer per visit. Items carry the user_id of
// the account that made them and go out only under that account's own token.

import { fieldDb } from "/static/js/field/db.js";
import { readable, subjectOf, token } from "/static/js/lib/api.js";
import { createQueue } from "/static/js/lib/queue.js";

const LABELS = { photo_ids: "照片", file: "照片", visited_at: "走访时间" };

// The current token's header, only if it belongs to the user whose items are sent: another
// account's token must never carry them (the visit would be credited to the wrong person).
function authFor(userId) {
  const t = token();
  return t && subjectOf(t) === userId ? { Authorization: `Bearer ${t}` } : null;
}

const LOGIN = { kind: "login", whole: true };

// null when every photo is up; else the outcome that stopped it.
async function uploadPhotos(item, { request, save }) {
  for (const photo of item.photos || []) {
    if (photo.file_id) continue;
    const headers = authFor(item.user_id);
    if (!headers) return LOGIN;
    const form = new FormData();
    form.append("file", photo.blob, photo.name || "photo.jpg");
    form.append("area_code", item.area_code);
    const answer = await request(
      "/api/v1/files",
      { method: "POST", headers, body: form },
      (b) => typeof b?.id === "string",
    );
    if (answer.kind === "failed") {
      return { ...answer, whole: false, message: `照片：${readable(answer.body, LABELS)}` };
    }
    if (answer.kind !== "sent") return answer;
    photo.file_id = answer.body.id;
    await save(item);
  }
  item.payload.photo_ids = (item.photos || []).map((p) => p.file_id);
  return null;
}

async function send(items, tools) {
  const { request, classifyStatus } = tools;
  const outcomes = new Map();
  const ready = [];
  for (const item of items) {
    const stopped = await uploadPhotos(item, tools);
    if (stopped?.whole) return items.map((i) => outcomes.get(i.id) || stopped);
    if (stopped) outcomes.set(item.id, stopped);
    else ready.push(item);
  }
  if (ready.length) {
    const headers = authFor(ready[0].user_id);
    const answer = headers
      ? await request(
          "/api/v1/visits/batch",
          {
            method: "POST",
            headers: { "Content-Type": "application/json", ...headers },
            body: JSON.stringify({ items: ready.map((i) => i.payload) }),
          },
          (b) => Array.isArray(b?.results) && b.results.length === ready.length,
        )
      : LOGIN;
    for (const [k, item] of ready.entries()) {
      let outcome = answer;
      if (answer.kind === "sent") outcome = classifyStatus(answer.body.results[k].status);
      if (outcome.kind === "failed") {
        const body = answer.kind === "sent" ? answer.body.results[k] : answer.body;
        outcome = { ...outcome, body, message: readable(body, LABELS) };
      }
      outcomes.set(item.id, outcome);
    }
  }
  return items.map((i) => outcomes.get(i.id));
}

// userId(): the logged-in user's id (null when nobody is).
export function fieldQueue({ userId, onChange, onLogin, onFlushed }) {
  return createQueue({
    name: "field",
    db: fieldDb,
    send,
    batchSize: 50,
    backoff: { first: 5_000, max: 5 * 60_000 },
    mine: (item) => Boolean(userId()) && item.user_id === userId(),
    onChange,
    onLogin,
    onFlushed,
  });
}
