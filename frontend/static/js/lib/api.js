// One way to call the API: the stored token, JSON in and out, errors as Chinese text, and
// the one login form binding every page uses.

const TOKEN_KEY = "shouwang.token";

export function token() {
  return localStorage.getItem(TOKEN_KEY);
}

export function setToken(value) {
  if (value) localStorage.setItem(TOKEN_KEY, value);
  else localStorage.removeItem(TOKEN_KEY);
}

// The user id a token was issued to (the JWT payload's `sub`), or null. Read on the phone
// only to keep one account's records apart from another's; the server checks it.
export function subjectOf(jwt) {
  try {
    const part = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const padded = part.padEnd(part.length + ((4 - (part.length % 4)) % 4), "=");
    return JSON.parse(atob(padded)).sub || null;
  } catch {
    return null;
  }
}

// The field a refusal is about: "report.photos.0" → "photos".
export function fieldOf(body) {
  const first = Array.isArray(body?.detail) ? body.detail[0] : null;
  if (!first?.field) return null;
  return (
    String(first.field)
      .split(".")
      .filter((p) => !/^\d+$/.test(p))
      .pop() || null
  );
}

// The server's message as a person should read it: the box's name from `labels` (or the
// server's own label), never an internal field path such as "photos.0" or "(visited_at)"
// (or "（visited_at）：", as the server writes it once its Chinese is set full-width too).
export function readable(body, labels = {}) {
  const message = String(body?.message || "");
  const first = Array.isArray(body?.detail) ? body.detail[0] : null;
  const field = fieldOf(body);
  if (field && first?.message) {
    const own = message.match(/^([^(（:：]+)[(（][\w.]+[)）][:：]/)?.[1];
    const label = labels[field] || own;
    return label ? `${label}：${first.message}` : first.message;
  }
  return message.replace(/\s*[(（][A-Za-z_][\w.]*[)）]/g, "");
}

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message ? readable(body) : `请求失败（${status}）`);
    this.status = status;
    this.body = body;
  }
}

// The version (ETag) of each household and problem as last answered. A change sent with
// `guard: true` carries it back as If-Match: if someone else changed the record meanwhile,
// the server answers 412 instead of letting this change overwrite theirs.
const VERSIONED = /^\/api\/v1\/(?:households|problems)\/[0-9a-f-]{36}/;
const versions = new Map();

export async function api(path, { method = "GET", body, form, headers = {}, guard = false } = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers } };
  const t = token();
  if (t) init.headers.Authorization = `Bearer ${t}`;
  const record = path.match(VERSIONED)?.[0];
  if (guard && record && versions.has(record)) init.headers["If-Match"] = versions.get(record);
  if (form) {
    init.body = form;
  } else if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, { message: "网络不通，请稍后再试" });
  }
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (record) {
    const tag = response.ok ? response.headers.get("ETag") : null;
    if (tag) versions.set(record, tag);
    // Changed without a new version in hand, or stale: the next change goes unguarded
    // until the record is read again.
    else if (guard) versions.delete(record);
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

// Fetches with the login and answers a Blob (photos, downloads).
export async function apiBlob(path) {
  const response = await fetch(path, { headers: { Authorization: `Bearer ${token()}` } });
  if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null));
  return response.blob();
}

export async function login(username, password) {
  const form = new URLSearchParams({ username, password });
  const response = await fetch("/api/v1/auth/token", {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: form,
  }).catch(() => null);
  if (!response) throw new ApiError(0, { message: "网络不通，请稍后再试" });
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data);
  setToken(data.access_token);
  return data;
}

// The staff login form of a page: says what is happening, then calls onLoggedIn.
export function bindLoginForm(form, message, onLoggedIn) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    message.className = "message";
    message.textContent = "正在登录……";
    try {
      await login(data.get("username"), data.get("password"));
      message.textContent = "";
      form.reset();
      await onLoggedIn();
    } catch (err) {
      message.className = "message error";
      message.textContent = err.message;
    }
  });
}
