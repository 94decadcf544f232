// 遍访 for township and county officers: who was visited this month, who was not, and the
// records that look pasted or copied.

import { api, esc, NAMES, token } from "/static/js/api.js";

const $ = (id) => document.getElementById(id);
const day = (iso) => (iso ? new Date(iso).toLocaleDateString("zh-CN", { timeZone: "Asia/Shanghai" }) : "从未走访");

function say(text, kind = "ok") {
  $("message").className = `message ${kind}`;
  $("message").textContent = text;
}

function rows(table, html) {
  $(table).querySelector("tbody").innerHTML = html || `<tr><td colspan="6" class="muted">无</td></tr>`;
}

// The server pages the households not visited; the page asks for more on a tap.
const PAGE = 200;
let shown = [];

function listNotVisited(c) {
  $("not-visited-title").textContent = c.not_visited_total > shown.length
    ? `${c.month} 未走访的农户(共 ${c.not_visited_total} 户,已列出 ${shown.length} 户)`
    : `${c.month} 未走访的农户(${c.not_visited_total} 户)`;
  rows("not-visited", shown.map((n) => `<tr><td>${esc(n.head_name || n.reference)}</td>
      <td>${esc(n.area_name || n.area_code)}</td><td>${esc(NAMES.monitoring_status[n.monitoring_status])}</td>
      <td>${esc(n.helper_name || "未指定")}</td><td>${day(n.last_visited_at)}</td></tr>`).join(""));
  $("more-not-visited").hidden = c.not_visited_total <= shown.length;
}

async function load(offset = 0) {
  const form = new FormData($("coverage-filter"));
  const params = new URLSearchParams({ month: form.get("month"), limit: PAGE, offset });
  if (form.get("area")) params.set("area", form.get("area"));
  say("正在读取……");
  try {
    const c = await api(`/api/v1/visits/coverage?${params}`);
    $("coverage").hidden = false;
    rows("villages", c.villages.map((v) => `<tr><td>${esc(v.area_name || v.area_code)}</td><td>${v.due}</td>
      <td>${v.visited}</td><td class="${v.not_visited ? "flag" : ""}">${v.not_visited}</td></tr>`).join(""));
    rows("helpers", c.helpers.map((h) => `<tr><td>${esc(h.full_name)}</td><td>${esc(h.unit || "")}</td><td>${h.due}</td>
      <td>${h.visited}</td><td class="${h.not_visited ? "flag" : ""}">${h.not_visited}</td></tr>`).join(""));
    shown = offset ? shown.concat(c.not_visited) : c.not_visited;
    listNotVisited(c);
    const flags = [
      ...c.pasted_notes.map((p) => `<li><span class="flag">走访记录雷同</span>:${p.households} 户的走访情况文字完全相同
        (${esc(p.visitor_names.join("、"))}):“${esc(p.excerpt)}”</li>`),
      ...c.copied_ledgers.map((l) => `<li><span class="flag">收入疑似照抄</span>:户 ${esc(l.reference)} ${esc(l.month)}
        的分项收入与去年同月完全一样</li>`),
    ];
    $("flags").innerHTML = flags.join("") || `<li class="muted">本月没有发现雷同或照抄</li>`;
    say(`${c.month}:共 ${c.villages.reduce((n, v) => n + v.due, 0)} 户,未走访 ${c.not_visited_total} 户`);
  } catch (err) {
    $("coverage").hidden = true;
    say(err.status === 401 ? "请先在工作台登录" : err.message, "error");
  }
}

async function start() {
  if (!token()) {
    say("请先登录", "error");
    $("message").insertAdjacentHTML("afterend", `<p><a class="big-button" href="/staff">去登录</a></p>`);
    return;
  }
  const now = new Date().toLocaleDateString("sv-SE", { timeZone: "Asia/Shanghai" });
  $("coverage-filter").elements.month.value = now.slice(0, 7);
  try {
    const me = await api("/api/v1/auth/me");
    $("who").textContent = `${me.full_name} · ${me.role_name}`;
    const select = $("area-select");
    select.innerHTML = `<option value="">${esc(me.area_name || "全部")}(全辖区)</option>`;
    if (me.area_code) {
      const children = await api(`/api/v1/areas/${me.area_code}/children`).catch(() => ({ data: [] }));
      for (const a of children.data || []) {
        select.insertAdjacentHTML("beforeend", `<option value="${esc(a.code)}">${esc(a.name)}</option>`);
      }
    }
  } catch (err) {
    say(err.message, "error");
    return;
  }
  load();
}

$("more-not-visited").addEventListener("click", () => load(shown.length));
$("coverage-filter").addEventListener("submit", (event) => {
  event.preventDefault();
  load();
});
start();
