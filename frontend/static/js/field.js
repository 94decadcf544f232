// The field app: my households, a household's card, recording a visit — all of it works
// offline. Visits go to the IndexedDB outbox first and are sent by outbox.js.

import { api, esc, login, NAMES, setToken, token } from "/static/js/api.js";
import * as store from "/static/js/outbox.js";

const $ = (id) => document.getElementById(id);
const CHINA = new Intl.DateTimeFormat("sv-SE", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
const STATE = {
  overdue: ["已逾期(上月也未走访)", "overdue"],
  due: ["本月待走访", "due"],
  visited: ["本月已走访", "visited"],
  pending: ["本月已记录,待发送", "pending"],
};
const COVERAGE_ROLES = ["township_officer", "county_officer", "village_cadre", "grid_worker"];
const MONEY = ["wage", "business", "property", "transfer", "business_cost", "medical_spending", "schooling_spending", "other_spending"];

let me = null;
let month = null;
let households = [];
let editing = null;
let photos = [];
let position = null;

function say(text, kind = "ok") {
  $("message").className = `message ${kind}`;
  $("message").textContent = text;
}

const chinaTime = (iso) => CHINA.format(new Date(iso));
const chinaMonth = (iso) => chinaTime(iso).slice(0, 7);

function show(view) {
  for (const id of ["login-view", "list-view", "household-view", "visit-view", "failed-view"]) {
    $(id).hidden = id !== view;
  }
  window.scrollTo(0, 0);
}

function showLogin(reason = "") {
  $("login-reason").textContent = reason;
  show("login-view");
}

async function refreshCounts() {
  const c = await store.counts(me?.id);
  $("queue-count").textContent = `待发送 ${c.waiting} 条`;
  $("failed-link").hidden = c.failed === 0;
  $("failed-link").textContent = `同步失败 ${c.failed} 条`;
  // Records another account made on this phone wait for that account to log in again.
  $("others-count").hidden = c.others === 0;
  $("others-count").textContent = `其他账号的待发送记录 ${c.others} 条(该账号登录后才会发送)`;
  return c;
}

// --- who and what --------------------------------------------------------------------------

async function loadMe() {
  try {
    const fresh = await api("/api/v1/auth/me");
    await store.put("meta", { key: "me", value: fresh });
    return fresh;
  } catch (err) {
    if (err.status === 401) return null;
    // Offline: the saved account is trusted only if the token was issued to it. After a
    // user switch it is someone else, and their visits must not be recorded as ours.
    const cached = (await store.get("meta", "me"))?.value;
    return cached && cached.id === store.subjectOf(token()) ? cached : null;
  }
}

async function loadHouseholds() {
  try {
    const page = await api("/api/v1/visits/my-households");
    if (page.user_id !== me.id) throw new Error("not mine");
    await store.replaceAll("households", page.data);
    await store.put("meta", { key: "households", user_id: me.id, month: page.month, at: new Date().toISOString(), count: page.count, total: page.total });
    households = page.data;
    month = page.month;
    $("cache-note").textContent = cutNote(page) || (navigator.onLine ? "" : "离线:显示保存在手机上的名单");
  } catch (err) {
    if (err.status === 403) {
      households = [];
      $("cache-note").textContent = err.message;
      return;
    }
    const meta = await store.get("meta", "households");
    if (meta && meta.user_id === me.id) {
      households = await store.all("households");
      month = meta.month;
      $("cache-note").textContent = `离线:显示 ${chinaTime(meta.at)} 保存在手机上的名单 ${cutNote(meta)}`;
    } else {
      households = [];
      $("cache-note").textContent = "离线,手机上还没有保存走访户名单;联网后打开一次即可保存";
    }
  }
  month = month || chinaMonth(new Date().toISOString());
  $("month-label").textContent = month;
}

// The phone keeps at most a few thousand households; say so when the list was cut.
function cutNote({ count, total }) {
  return total > count ? `名单太长,手机上只保存了 ${count} 户(共 ${total} 户);其余请联网查看` : "";
}

async function pendingByHousehold() {
  const items = await store.all("outbox");
  const out = {};
  for (const i of items) {
    if (i.user_id !== me.id) continue;
    if (chinaMonth(i.payload.visited_at) === month) out[i.payload.household_id] = i.state;
  }
  return out;
}

// --- screens -------------------------------------------------------------------------------

async function renderList() {
  show("list-view");
  $("coverage-link").hidden = !COVERAGE_ROLES.includes(me.role);
  const pending = await pendingByHousehold();
  const list = $("household-list");
  if (!households.length) {
    list.innerHTML = `<li class="muted">没有需要您走访的农户</li>`;
    return;
  }
  list.innerHTML = households.map((h) => {
    const state = STATE[pending[h.id] ? "pending" : h.state];
    const risks = h.risk_types.map((r) => `<span class="tag">${esc(NAMES.risk[r])}</span>`).join("");
    return `<li><a href="#household/${h.id}" class="household-row">
      <strong>${esc(h.head_name || "(无户主)")}</strong> · ${h.member_count} 人 · ${esc(h.area_name || "")}
      <span class="tag state ${state[1]}">${state[0]}</span><br>
      <span class="tag ${h.monitoring_status}">${esc(NAMES.monitoring_status[h.monitoring_status])}</span>
      <span class="tag">${esc(NAMES.category[h.category])}</span>${risks}
      <span class="muted">${h.last_visited_at ? "上次走访 " + chinaTime(h.last_visited_at).slice(0, 10) : "本人未走访过"}</span></a></li>`;
  }).join("");
}

function renderHousehold(id) {
  const h = households.find((x) => x.id === id);
  const view = $("household-view");
  show("household-view");
  if (!h) {
    view.innerHTML = `<p class="error">手机上没有这户的资料</p><p><a href="#">← 返回</a></p>`;
    return;
  }
  const members = h.members.map((m) => `<tr><td>${esc(m.name)}</td><td>${esc(NAMES.relation[m.relation])}</td>
    <td>${m.age}</td><td>${esc(NAMES.health[m.health])}</td><td>${esc(NAMES.schooling[m.schooling])}</td></tr>`).join("");
  const needs = Object.entries(h.basic_needs).map(([k, ok]) =>
    `<span class="tag ${ok ? "risk_cleared" : "monitored"}">${esc(NAMES.basic_needs[k])}${ok ? "✓" : "✗"}</span>`).join("");
  const measures = h.measures.map((m) => `<li>${esc(NAMES.measure[m.kind] || m.kind)}:${esc(m.description)}</li>`).join("");
  const visits = h.last_visits.map((v) => `<li>${chinaTime(v.visited_at)} · ${esc(v.visitor_name || "")}
    ${v.pasted_notes ? '<span class="flag">与多户走访记录雷同</span>' : ""}
    <br><span class="muted">${esc(v.notes)}</span></li>`).join("") || "<li class=\"muted\">暂无走访记录</li>";
  const income = h.last_year_income
    ? `${h.last_year_income.year} 年家庭纯收入 ${h.last_year_income.net_income} 元,人均 ${h.last_year_income.per_capita_net_income} 元(${h.last_year_income.household_size} 人)`
    : "去年收入未登记";
  view.innerHTML = `<p><a href="#">← 返回名单</a></p>
    <h1>${esc(h.head_name || "")} 户</h1>
    <p>${esc(h.area_name || "")} ${esc(h.address)} · ${esc(NAMES.category[h.category])} ·
      <span class="tag ${h.monitoring_status}">${esc(NAMES.monitoring_status[h.monitoring_status])}</span>
      ${h.monitoring_type ? esc(NAMES.monitoring_type[h.monitoring_type]) : ""}
      ${h.risk_types.map((r) => `<span class="tag">${esc(NAMES.risk[r])}</span>`).join("")}</p>
    <p>${h.phone ? "电话 " + esc(h.phone) : ""}</p>
    <a class="big-button primary" href="#visit/${h.id}">记录走访</a>
    <p>${needs}</p>
    <h2>家庭成员</h2>
    <table><tr><th>姓名</th><th>关系</th><th>年龄</th><th>健康</th><th>在校</th></tr>${members}</table>
    <h2>去年收入</h2><p>${income}</p>
    <h2>今年收支登记</h2><p>已登记 ${h.ledger_months} 个月${h.ledger_per_capita_net_income !== null
      ? `,按登记累计人均纯收入 ${h.ledger_per_capita_net_income} 元` : ""}</p>
    ${h.copied_months.length ? `<p class="flag">${esc(h.copied_months.join("、"))} 的分项收入与去年同月完全一样,请核实</p>` : ""}
    <h2>一户一策</h2><p>${esc(h.plan_summary || "无")}</p><ul>${measures}</ul>
    <h2>最近走访</h2><ul class="list">${visits}</ul>`;
}

function showPhotos(note = "") {
  $("photo-state").textContent = note || (photos.length ? `已选 ${photos.length} 张照片(已压缩)` : "");
  $("clear-photos").hidden = photos.length === 0;
}

function localInputValue(date) {
  const d = new Date(date.getTime() - date.getTimezoneOffset() * 60000);
  return d.toISOString().slice(0, 16);
}

function buildChecklist(values = {}) {
  $("checklist").innerHTML = Object.entries(NAMES.basic_needs).map(([k, label]) => {
    const v = values[k];
    const bad = v && v.ok === false;
    return `<div class="need"><label class="inline"><input type="checkbox" name="problem_${k}" ${bad ? "checked" : ""}>
      ${esc(label)} 有问题</label>
      <input name="note_${k}" placeholder="什么问题" aria-label="${esc(label)}问题说明" value="${esc(v?.note || "")}" ${bad ? "" : "hidden"}></div>`;
  }).join("");
  for (const box of $("checklist").querySelectorAll("input[type=checkbox]")) {
    box.addEventListener("change", () => {
      $("visit-form").elements[box.name.replace("problem_", "note_")].hidden = !box.checked;
    });
  }
}

function buildRisks(selected = []) {
  $("risks").innerHTML = Object.entries(NAMES.risk).map(([k, label]) =>
    `<label class="chip"><input type="checkbox" name="risk" value="${k}" ${selected.includes(k) ? "checked" : ""}><span>${esc(label)}</span></label>`).join("");
}

function openForm(householdId, item = null) {
  const h = households.find((x) => x.id === householdId);
  editing = item;
  photos = item ? [...(item.photos || [])] : [];
  position = item?.payload.position || null;
  const form = $("visit-form");
  form.reset();
  const p = item?.payload;
  $("visit-title").textContent = `${item ? "修改" : "记录"}走访:${h ? h.head_name + " 户" : item?.label || ""}`;
  $("visit-back").href = item ? "#failed" : `#household/${householdId}`;
  form.elements.visited_at.value = localInputValue(p ? new Date(p.visited_at) : new Date());
  form.elements.kind.value = p?.kind || "home";
  form.elements.reached.value = p?.reached || "";
  for (const k of MONEY) form.elements[k].value = p?.ledger?.[k] ?? "";
  form.elements.help_given.value = p?.help_given || "";
  form.elements.notes.value = p?.notes || "";
  form.elements.family_agrees.value = p && !p.family_agrees ? "no" : "yes";
  form.elements.agreed_by.value = p?.agreed_by || "";
  buildChecklist(p?.checklist);
  buildRisks(p?.new_risks);
  $("reached-label").hidden = form.elements.kind.value !== "phone";
  $("gps-state").textContent = position ? `已记录位置(±${Math.round(position.accuracy_m || 0)} 米)` : "未记录位置";
  showPhotos();
  $("form-message").textContent = item?.error ? `上次被拒绝:${item.error.message}` : "";
  form.dataset.household = householdId;
  show("visit-view");
}

function amount(form, name) {
  const raw = form.elements[name].value.trim();
  if (raw === "") return null;
  if (!/^\d+$/.test(raw)) throw new Error(`${form.elements[name].parentElement.firstChild.textContent.trim()}应为不小于 0 的整数(元)`);
  return Number(raw);
}

function collect(form) {
  const kind = form.elements.kind.value;
  const checklist = {};
  for (const k of Object.keys(NAMES.basic_needs)) {
    const bad = form.elements[`problem_${k}`].checked;
    const note = form.elements[`note_${k}`].value.trim();
    if (bad && !note) throw new Error(`${NAMES.basic_needs[k]}:有问题时请写明是什么问题`);
    checklist[k] = bad ? { ok: false, note } : { ok: true };
  }
  const ledger = {};
  let anyMoney = false;
  for (const k of MONEY) {
    const v = amount(form, k);
    if (v !== null) anyMoney = true;
    ledger[k] = v ?? 0;
  }
  if (!form.elements.visited_at.value) throw new Error("请填写走访时间");
  const visitedAt = new Date(form.elements.visited_at.value);
  if (visitedAt.getTime() > Date.now() + 10 * 60000) throw new Error("走访时间不能晚于现在");
  const reached = form.elements.reached.value.trim();
  if (kind === "phone" && !reached) throw new Error("电话走访请写明接电话的人");
  const agrees = form.elements.family_agrees.value === "yes";
  const agreedBy = form.elements.agreed_by.value.trim();
  if (agrees && !agreedBy) throw new Error("请写明是谁认可了走访记录");
  const payload = {
    id: editing && editing.error?.code !== "visit_id_conflict" ? editing.id : store.newId(),
    household_id: form.dataset.household,
    kind,
    visited_at: visitedAt.toISOString(),
    checklist,
    new_risks: [...form.querySelectorAll("input[name=risk]:checked")].map((x) => x.value),
    help_given: form.elements.help_given.value.trim(),
    notes: form.elements.notes.value.trim(),
    photo_ids: [],
    family_agrees: agrees,
  };
  if (kind === "phone") payload.reached = reached;
  if (agreedBy) payload.agreed_by = agreedBy;
  if (anyMoney) payload.ledger = ledger;
  if (position) payload.position = position;
  if (editing?.payload.corrects_id) payload.corrects_id = editing.payload.corrects_id;
  return payload;
}

// Photos are shrunk on the phone (long side 1280 px, JPEG) before they are stored.
async function shrink(file) {
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, 1280 / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.8));
  return { blob, name: file.name.replace(/\.\w+$/, "") + ".jpg", file_id: null };
}

async function renderFailed() {
  show("failed-view");
  const items = (await store.all("outbox")).filter((i) => i.user_id === me.id && i.state === "failed");
  $("failed-list").innerHTML = items.map((i) => `<li data-id="${i.id}">
      <strong>${esc(i.label)}</strong> · ${chinaTime(i.payload.visited_at)}
      <p class="error">原因:${esc(i.error?.message || "")}</p>
      <button type="button" data-act="edit">修改</button>
      <button type="button" data-act="resend">重新发送</button>
      <button type="button" data-act="drop">放弃这条</button></li>`).join("")
    || `<li class="muted">没有同步失败的记录</li>`;
}

// --- sending -------------------------------------------------------------------------------

async function syncNow(force = false) {
  if (!me) return;
  const before = await refreshCounts();
  if (!navigator.onLine) {
    if (force) say(`当前离线:${before.waiting} 条记录保存在手机上,联网后会自动发送`, "warn");
    return;
  }
  if (before.waiting === 0) {
    if (force) say(before.failed ? `没有等待发送的记录;${before.failed} 条同步失败,请查看` : "没有等待发送的记录,全部已发送");
    return;
  }
  say(`正在发送 ${before.waiting} 条记录……`);
  const r = await store.flush({
    userId: me.id,
    force,
    onNeedLogin: () => showLogin("登录已过期,请重新登录;记录仍保存在手机上,登录后会发送"),
    onProgress: refreshCounts,
  });
  const after = await refreshCounts();
  const parts = [];
  if (r.sent) parts.push(`已发送 ${r.sent} 条`);
  if (r.failed) parts.push(`${r.failed} 条被拒绝,请在「同步失败」中查看原因`);
  if (r.retry) parts.push(`${r.retry} 条暂时发不出去,稍后自动重试`);
  if (r.login) parts.push("需要重新登录");
  if (r.offline) parts.push(`当前离线,${after.waiting} 条保存在手机上`);
  say(parts.join(";") || "没有需要发送的记录", r.failed || r.retry || r.login ? "warn" : "ok");
  if (r.sent) {
    await loadHouseholds();
    if (!$("list-view").hidden) renderList();
  }
}

// --- wiring --------------------------------------------------------------------------------

async function route() {
  if (!me) return;
  const [view, arg] = location.hash.slice(1).split("/");
  if (view === "household") return renderHousehold(arg);
  if (view === "visit") return openForm(arg);
  if (view === "edit") {
    const item = await store.get("outbox", arg);
    if (item) return openForm(item.payload.household_id, item);
  }
  if (view === "failed") return renderFailed();
  return renderList();
}

async function start() {
  // Ask the browser not to evict the outbox when the phone runs short of space.
  navigator.storage?.persist?.().catch(() => {});
  $("logout").hidden = true;
  if (!token()) {
    await refreshCounts();
    return showLogin();
  }
  me = await loadMe();
  if (!me) {
    await refreshCounts();
    return showLogin("请登录");
  }
  $("who").textContent = `${me.full_name} · ${me.role_name}`;
  $("logout").hidden = false;
  await loadHouseholds();
  await route();
  await syncNow(false);
}

$("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  say("正在登录……");
  try {
    await login(form.get("username"), form.get("password"));
    // Whoever was logged in before is forgotten; the new account is read from the server.
    await store.remove("meta", "me");
    say("已登录");
    await start();
  } catch (err) {
    say(err.message, "error");
  }
});

$("visit-form").addEventListener("change", (event) => {
  if (event.target.name === "kind") $("reached-label").hidden = event.target.value !== "phone";
});

$("visit-form").elements.photos.addEventListener("change", async (event) => {
  const files = [...event.target.files];
  const notes = [];
  if (photos.length + files.length > 6) notes.push("最多 6 张照片,多出的没有加入");
  for (const file of files.slice(0, 6 - photos.length)) {
    try {
      photos.push(await shrink(file));
    } catch (err) {
      notes.push(`${file.name} 不是可用的图片`);
    }
  }
  event.target.value = "";
  showPhotos(notes.length ? `已选 ${photos.length} 张照片(已压缩);${notes.join(";")}` : "");
});

$("clear-photos").addEventListener("click", () => {
  photos = [];
  showPhotos("已清除照片");
});

$("gps").addEventListener("click", () => {
  if (!navigator.geolocation) return ($("gps-state").textContent = "这部手机不能定位");
  $("gps-state").textContent = "正在定位……";
  navigator.geolocation.getCurrentPosition(
    (pos) => {
      position = { latitude: pos.coords.latitude, longitude: pos.coords.longitude, accuracy_m: pos.coords.accuracy };
      $("gps-state").textContent = `已记录位置(±${Math.round(pos.coords.accuracy)} 米)`;
    },
    () => { $("gps-state").textContent = "没有记录位置(未同意或定位失败)"; },
    { enableHighAccuracy: true, timeout: 15000 },
  );
});

let saving = false;

$("visit-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  if (saving) return; // a second tap must not make a second record
  const form = event.target;
  let payload;
  try {
    payload = collect(form);
  } catch (err) {
    $("form-message").className = "message error";
    $("form-message").textContent = err.message;
    return;
  }
  const h = households.find((x) => x.id === payload.household_id);
  saving = true;
  try {
    await save(payload, h);
  } finally {
    saving = false;
  }
});

async function save(payload, h) {
  const replaced = editing && editing.id !== payload.id ? editing.id : null;
  await store.enqueue({
    id: payload.id,
    user_id: me.id,
    area_code: h?.area_code || editing?.area_code,
    label: h ? `${h.head_name} 户` : editing?.label || "",
    payload,
    photos,
    created_at: editing?.created_at || new Date().toISOString(),
  });
  // Only once the corrected copy is stored is the refused one let go.
  if (replaced) await store.remove("outbox", replaced);
  editing = null;
  location.hash = "";
  say(navigator.onLine ? "已保存在手机上,正在发送……" : "已保存在手机上(离线),联网后会自动发送", navigator.onLine ? "ok" : "warn");
  await refreshCounts();
  if (navigator.onLine) await syncNow(true);
}

$("failed-list").addEventListener("click", async (event) => {
  const button = event.target.closest("button");
  if (!button) return;
  const id = button.closest("li").dataset.id;
  const item = await store.get("outbox", id);
  if (!item) return;
  if (button.dataset.act === "edit") location.hash = `edit/${id}`;
  if (button.dataset.act === "resend") {
    await store.retry(item);
    say("已放回待发送");
    await syncNow(true);
    renderFailed();
  }
  if (button.dataset.act === "drop" && confirm("确定放弃这条走访记录?放弃后不能恢复。")) {
    await store.remove("outbox", id);
    say("已放弃这条记录");
    await refreshCounts();
    renderFailed();
  }
});

// Logout on a shared phone: the token, the households and the cached API answers go; the
// outbox stays, its records waiting for their own account to log in again.
$("logout").addEventListener("click", async () => {
  setToken(null);
  me = null;
  households = [];
  $("household-list").innerHTML = "";
  $("household-view").innerHTML = "";
  $("who").textContent = "";
  await store.forgetHouseholds();
  if ("caches" in window) {
    for (const key of await caches.keys()) if (key.startsWith("shouwang-data-")) await caches.delete(key);
  }
  history.replaceState(null, "", location.pathname);
  const c = await refreshCounts();
  say(c.others ? `已退出;本机还有 ${c.others} 条待发送记录,原账号登录后会发送` : "已退出,本机上的走访户资料已清除");
  showLogin();
});

$("sync-now").addEventListener("click", () => syncNow(true));
window.addEventListener("online", () => syncNow(true));
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") syncNow(false);
});
navigator.serviceWorker?.addEventListener("message", (event) => {
  if (event.data === "flush-outbox") syncNow(false);
});
window.addEventListener("hashchange", route);
start();
