// The staff desk: log in, then the household ledger (list, filter, one household's card).

import { api, ApiError, bindLoginForm, esc, NAMES, setToken, token } from "/static/js/api.js";
import { forgetHouseholds } from "/static/js/outbox.js";

const $ = (id) => document.getElementById(id);
const PAGE = 30;
let offset = 0;

function show(view) {
  $("login-view").hidden = view !== "login";
  $("home-view").hidden = view === "login";
}

async function start() {
  if (!token()) return show("login");
  try {
    const me = await api("/api/v1/auth/me");
    $("who").textContent = `${me.full_name} · ${me.role_name}${me.area_name ? " · " + me.area_name : ""}`;
    $("logout").hidden = false;
    document.body.dataset.role = me.role;
    show("home");
    route();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      setToken(null);
      return show("login");
    }
    $("who").textContent = err.message;
  }
}

function route() {
  const hash = location.hash.slice(1);
  $("households-view").hidden = true;
  $("household-view").hidden = true;
  if (hash.startsWith("household/")) return openHousehold(hash.split("/")[1]);
  if (hash === "households" || hash === "") {
    $("households-view").hidden = false;
    offset = 0;
    loadHouseholds();
  }
}

async function loadHouseholds(append = false) {
  const form = new FormData($("household-filter"));
  const params = new URLSearchParams({ offset, limit: PAGE });
  for (const [key, value] of form) if (value) params.set(key, value);
  const list = $("household-list");
  try {
    const page = await api(`/api/v1/households?${params}`);
    if (!append) list.innerHTML = "";
    $("household-count").textContent = `共 ${page.count} 户`;
    for (const h of page.data) {
      const li = document.createElement("li");
      const risks = h.risk_types.map((r) => `<span class="tag">${esc(NAMES.risk[r])}</span>`).join("");
      li.innerHTML = `<a href="#household/${h.id}">
        <strong>${esc(h.head_name || "(无户主)")}</strong> · ${h.member_count} 人 · ${esc(h.area_name || h.area_code)}
        <br><span class="tag ${h.monitoring_status}">${esc(NAMES.monitoring_status[h.monitoring_status])}</span>
        <span class="tag">${esc(NAMES.category[h.category])}</span>${risks}
        <span class="muted">${esc(h.reference)}${h.helper ? " · 帮扶人 " + esc(h.helper.full_name) : ""}</span></a>`;
      list.append(li);
    }
    offset += page.data.length;
    $("more").hidden = offset >= page.count;
  } catch (err) {
    list.innerHTML = `<li class="error">${esc(err.message)}</li>`;
  }
}

async function openHousehold(id) {
  const view = $("household-view");
  view.hidden = false;
  view.innerHTML = "<p>正在读取……</p>";
  try {
    const h = await api(`/api/v1/households/${id}`);
    const members = h.members.map((m) => `<tr${m.active ? "" : ' class="muted"'}>
      <td>${esc(m.name)}</td><td>${esc(NAMES.relation[m.relation])}</td><td>${m.age}</td>
      <td>${esc(m.id_number || "")}</td><td>${esc(NAMES.health[m.health])}</td>
      <td>${esc(NAMES.schooling[m.schooling])}</td></tr>`).join("");
    const incomes = h.incomes.map((i) => `<tr><td>${i.year}</td><td>${i.net_income}</td>
      <td>${i.household_size}</td><td>${i.per_capita_net_income}</td></tr>`).join("");
    const needs = Object.entries(h.basic_needs).map(([k, ok]) =>
      `<span class="tag ${ok ? "risk_cleared" : "monitored"}">${esc(NAMES.basic_needs[k])}${ok ? "✓" : "✗"}</span>`).join("");
    const measures = h.plan ? h.plan.measures.map((m) =>
      `<li>${esc(NAMES.measure[m.kind])}:${esc(m.description)}(${m.start_on},${m.amount} 元)</li>`).join("") : "";
    view.innerHTML = `<p><a href="#households">← 返回列表</a></p>
      <h2>${esc(h.head_name || "")} 户 <span class="muted">${esc(h.reference)}</span></h2>
      <p>${esc(h.area_name || "")} ${esc(h.address)} · ${esc(NAMES.category[h.category])} ·
        <span class="tag ${h.monitoring_status}">${esc(NAMES.monitoring_status[h.monitoring_status])}</span>
        ${h.monitoring_type ? esc(NAMES.monitoring_type[h.monitoring_type]) : ""}
        ${h.risk_types.map((r) => `<span class="tag">${esc(NAMES.risk[r])}</span>`).join("")}</p>
      <p>帮扶责任人:${h.helper ? esc(h.helper.full_name) : "未指定"}</p>
      <p>${needs}</p>
      <h3>家庭成员</h3>
      <table><tr><th>姓名</th><th>关系</th><th>年龄</th><th>身份证号</th><th>健康</th><th>在校</th></tr>${members}</table>
      <h3>年度收入(元)</h3>
      <table><tr><th>年度</th><th>家庭纯收入</th><th>人口</th><th>人均纯收入</th></tr>${incomes}</table>
      ${h.plan ? `<h3>一户一策</h3><p>${esc(h.plan.summary)}</p><ul>${measures}</ul>` : ""}`;
  } catch (err) {
    view.innerHTML = `<p class="error">${esc(err.message)}</p><p><a href="#households">← 返回列表</a></p>`;
  }
}

bindLoginForm($("login-form"), $("login-message"), start);

$("logout").addEventListener("click", async () => {
  setToken(null);
  // Nothing a logged-in user read may stay behind on a shared phone or office PC: the
  // field app's households go too (its outbox stays, waiting for its own account).
  await forgetHouseholds().catch(() => {});
  if ("caches" in window) {
    for (const key of await caches.keys()) if (key.startsWith("shouwang-data-")) await caches.delete(key);
  }
  location.hash = "";
  location.reload();
});

$("household-filter").addEventListener("submit", (event) => {
  event.preventDefault();
  offset = 0;
  loadHouseholds();
});
$("more").addEventListener("click", () => loadHouseholds(true));
window.addEventListener("hashchange", route);
start();
