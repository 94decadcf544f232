// The field app's IndexedDB: `outbox` (visits waiting to be sent, keyed by the UUID made on
// the phone, photos as Blobs inside the item), `households` (the user's own households for
// offline work) and `meta` (who is logged in, when the households were fetched).

import { openDb } from "/static/js/lib/idb.js";

export const fieldDb = openDb("shouwang-field", 1, (db) => {
  db.createObjectStore("outbox", { keyPath: "id" });
  db.createObjectStore("households", { keyPath: "id" });
  db.createObjectStore("meta", { keyPath: "key" });
});

// Logout on a shared phone: the households and who was logged in go; the outbox stays (its
// items carry their user_id and wait for that user to log in again).
export const forgetHouseholds = () => fieldDb.clear("households", "meta");
