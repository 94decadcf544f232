// A small IndexedDB helper. Each call is one whole transaction that resolves once it has
// committed; network calls happen between calls, never inside one (a transaction closes
// itself as soon as a task awaits anything else).

export function openDb(name, version, upgrade) {
  let opening = null;

  function connect() {
    if (!opening) {
      opening = new Promise((resolve, reject) => {
        const req = indexedDB.open(name, version);
        req.onupgradeneeded = (event) => upgrade(req.result, event.oldVersion, req.transaction);
        req.onsuccess = () => {
          const db = req.result;
          // Another tab opens a newer version: step aside, and connect again next time.
          db.onversionchange = () => {
            db.close();
            opening = null;
          };
          db.onclose = () => {
            opening = null;
          };
          resolve(db);
        };
        req.onerror = () => {
          opening = null;
          reject(req.error);
        };
      });
    }
    return opening;
  }

  // fn gets the object stores named and may return a request; its result is the answer.
  async function tx(stores, mode, fn) {
    const db = await connect();
    const names = [stores].flat();
    return new Promise((resolve, reject) => {
      const t = db.transaction(names, mode);
      const request = fn(...names.map((s) => t.objectStore(s)));
      t.oncomplete = () => resolve(request instanceof IDBRequest ? request.result : undefined);
      t.onerror = () => reject(t.error);
      t.onabort = () => reject(t.error || new Error("IndexedDB transaction aborted"));
    });
  }

  return {
    tx,
    get: (store, key) => tx(store, "readonly", (s) => s.get(key)),
    all: (store) => tx(store, "readonly", (s) => s.getAll()),
    put: (store, value) => tx(store, "readwrite", (s) => void s.put(value)),
    remove: (store, key) => tx(store, "readwrite", (s) => void s.delete(key)),
    clear: (...stores) =>
      tx(stores, "readwrite", (...open) => {
        for (const s of open) s.clear();
      }),
    replaceAll: (store, values) =>
      tx(store, "readwrite", (s) => {
        s.clear();
        for (const v of values) s.put(v);
      }),
  };
}
