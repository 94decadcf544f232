// Who is logged in, asked of the server once per page, and the one logout every page uses.

import { forgetHouseholds } from "/static/js/field/db.js";
import { api, setToken, token } from "/static/js/lib/api.js";

let me = null;

// The logged-in user (GET /auth/me, once), or null without a token. Throws ApiError.
export function currentUser() {
  if (!token()) return Promise.resolve(null);
  me ??= api("/api/v1/auth/me").catch((err) => {
    me = null;
    throw err;
  });
  return me;
}

// Logout on a shared phone or office PC: the token, the field app's households and every
// cached API answer go; the outboxes stay, their records waiting for their own account.
export async function logout() {
  setToken(null);
  me = null;
  await forgetHouseholds().catch(() => {});
  if ("caches" in window) {
    for (const key of await caches.keys()) {
      if (key.startsWith("shouwang-data-")) await caches.delete(key);
    }
  }
}

export function forgetCurrentUser() {
  me = null;
}
