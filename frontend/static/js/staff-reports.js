// The staff side of 一键报贫: the list (overdue first, flagged), one report with the
// buttons for the steps the viewer may take, and the numbers per village and township.

import { api, esc, NAMES, token } from "/static/js/api.js";

const $ = (id) => document.getElementById(id);
const VIEWS = ["reports-view", "report-view", "report-numbers-view"];
const STATUS = {
  submitted: "已受理", verifying: "入户核实中", township_review: "乡镇审核中",
  county_approval: "县级审定中", enrolled: "已纳入监测", rejected: "不予纳入",
  referred: "已转介", merged: "已合并", withdrawn: "已撤回",
};
let me = null;

function overdueTag(r) {
  if (r.closed_overdue) return '<span class="tag overdue">逾期后撤回</span>';
  return r.overdue ? `<span class="tag overdue">逾期 ${r.overdue_days} 天</span>` : "";
}

async function badge() {
  try {
    const page = await api("/api/v1/self-reports?overdue=true&limit=1");
    $("reports-badge").textContent = page.count ? `${page.count} 件逾期` : "";
    $("reports-badge").hidden = !page.count;
  } catch { /* the tile still works */ }
}

async function route() {
  const hash = location.hash.slice(1);
  const mine = hash === "reports" || hash.startsWith("report/") || hash === "report-numbers";
  for (const id of VIEWS) $(id).hidden = true;
  if (!token()) return;
  if (!me) me = await api("/api/v1/auth/me").catch(() => null);
  badge();
  if (!mine) return;
  $("households-view").hidden = true;
  $("household-view").hidden = true;
  if (hash === "reports") return listReports();
  if (hash === "report-numbers") return showNumbers();
  return openReport(hash.split("/")[1]);
}

async function listReports() {
  const view = $("reports-view");
  view.hidden = false;
  if (!view.dataset.ready) {
    view.innerHTML = `<h2>一键报贫</h2>
      <form id="report-filter" class="filters">
        <input name="q" placeholder="受理编号、姓名或手机号">
        <select name="status"><option value="">全部状态</option>${Object.entries(STATUS)
          .map(([k, v]) => `<option value="${k}">${v}</option>`).join("")}</select>
        <label><input type="checkbox" name="overdue" value="true"> 只看逾期</label>
        <button type="submit">查找</button>
      </form>
      <p class="count" id="report-count"></p><ul class="list" id="report-list"></ul>`;
    view.dataset.ready = "1";
    $("report-filter").addEventListener("submit", (e) => { e.preventDefault(); loadList(); });
  }
  loadList();
}

async function loadList() {
  const params = new URLSearchParams({ limit: 100 });
  for (const [k, v] of new FormData($("report-filter"))) if (v) params.set(k, v);
  const list = $("report-list");
  try {
    const page = await api(`/api/v1/self-reports?${params}`);
    $("report-count").textContent = `共 ${page.count} 件,其中逾期 ${page.overdue_count} 件`;
    list.innerHTML = page.data.map((r) => `<li${r.overdue ? ' class="overdue"' : ""}><a href="#report/${r.id}">
      <strong>${esc(r.name)}</strong> · ${esc(r.area_name || r.area_code)} ${overdueTag(r)}
      <br><span class="tag">${esc(r.status_name)}</span>${r.risk_types.map((x) => `<span class="tag">${esc(NAMES.risk[x])}</span>`).join("")}
      <span class="muted">${esc(r.receipt_code)}${r.step_due_on ? " · 时限 " + r.step_due_on : ""}${r.assignee ? " · 核实人 " + esc(r.assignee.full_name) : ""}</span></a></li>`).join("")
      || "<li class=\"muted\">没有报告</li>";
  } catch (err) {
    list.innerHTML = `<li class="error">${esc(err.message)}</li>`;
  }
}

const today = () => new Date().toISOString().slice(0, 10);
const TYPES = Object.entries(NAMES.monitoring_type).map(([k, v]) => `<option value="${k}">${v}</option>`).join("");

function forms(r, people) {
  const headFields = r.id_number ? "" : `<label>户主出生日期<input type="date" name="head_birth_date"></label>
    <label>户主性别<select name="head_sex"><option value="female">女</option><option value="male">男</option></select></label>`;
  const F = {
    assign: ["安排入户核实", `<label>核实人<select name="assignee_id">${people.map((p) =>
      `<option value="${p.id}">${esc(p.full_name)}(${esc(p.role_name)})</option>`).join("")}</select></label>`],
    verify: ["记录核实结果", `<label>风险是否属实<select name="risk_confirmed"><option value="true">属实</option><option value="false">不属实</option></select></label>
      <label>人均年纯收入估算(元)<input type="number" name="income_estimate" min="0"></label>
      <label>核实情况<textarea name="findings" required></textarea></label>`],
    community_review: ["记录民主评议", `<label>评议日期<input type="date" name="held_on" value="${today()}"></label>
      <label>评议记录<textarea name="minutes"></textarea></label>`],
    public_notice: ["记录村内公示", `<label>公示开始<input type="date" name="start_on" value="${today()}"></label>
      <label>公示天数<input type="number" name="days" value="5" min="1"></label><label>异议情况<textarea name="objections"></textarea></label>`],
    forward: ["乡镇审核通过,报县审定", `<label>审核意见<input name="note"></label>`],
    enroll: ["审定纳入监测", `<label>监测类型<select name="monitoring_type">${TYPES}</select></label>${headFields}`],
    fast_track: ["绿色通道先行纳入", `<label>监测类型<select name="monitoring_type">${TYPES}</select></label>${headFields}`],
    reject: ["不予纳入", `<label>理由(农户能看到)<textarea name="reason" required></textarea></label>`],
    refer: ["转介其他帮扶", `<label>转介到<input name="referred_to" required></label><label>说明<textarea name="reason" required></textarea></label>`],
    withdraw: ["撤回", `<label>原因<input name="reason" required></label>`],
  };
  return r.actions.filter((a) => F[a]).map((a) => `<form class="form" data-action="${a}">
    <h4>${F[a][0]}</h4>${F[a][1]}<button type="submit" data-action="${a}">${F[a][0]}</button></form>`).join("");
}

function bodyOf(form) {
  const out = {};
  for (const [k, v] of new FormData(form)) {
    if (v === "") continue;
    if (k === "risk_confirmed") out[k] = v === "true";
    else if (k === "income_estimate" || k === "days") out[k] = Number(v);
    else out[k] = v;
  }
  return out;
}

async function openReport(id) {
  const view = $("report-view");
  view.hidden = false;
  view.innerHTML = "<p>正在读取……</p>";
  try {
    const r = await api(`/api/v1/self-reports/${id}`);
    let people = [];
    if (r.actions.includes("assign")) {
      const users = await api("/api/v1/users?limit=200");
      people = users.data.filter((u) => ["village_cadre", "helper", "grid_worker"].includes(u.role)
        && u.area_code && r.area_code.startsWith(u.area_code));
    }
    const events = r.events.map((e) => `<li>${new Date(e.at).toLocaleString("zh-CN")} ${esc(e.actor_name)}:
      ${e.to_status ? esc(STATUS[e.to_status]) : esc(e.action)} ${esc(e.note)}</li>`).join("");
    view.innerHTML = `<p><a href="#reports">← 返回列表</a></p>
      <h2>${esc(r.name)} <span class="muted">${esc(r.receipt_code)}</span></h2>
      <p><span class="tag" id="report-status">${esc(r.status_name)}</span> ${overdueTag(r)}
        ${r.step_due_on ? `本步时限 ${r.step_due_on}` : ""} ${r.fast_track ? '<span class="tag">绿色通道</span>' : ""}</p>
      <p>${esc(r.area_name || "")} · 电话 ${esc(r.phone || "无")} ${r.id_number ? "· 身份证 " + esc(r.id_number) : ""}
        ${r.on_behalf ? `· 代报人 ${esc(r.reporter_name || "")} ${esc(r.reporter_phone || "")}` : ""}</p>
      <p>${r.risk_types.map((x) => `<span class="tag">${esc(NAMES.risk[x])}</span>`).join("")} ${esc(r.note)}</p>
      ${r.photo_ids.map((p) => `<a href="/api/v1/files/${p}" target="_blank">照片</a>`).join(" ")}
      ${r.verified_at ? `<p>核实:${r.risk_confirmed ? "风险属实" : "风险不属实"} · 人均收入估算 ${r.income_estimate ?? "—"} 元 · ${esc(r.findings)}</p>` : ""}
      <p>民主评议:${r.community_review_on || "未记录"} · 村内公示:${r.public_notice_start ? `${r.public_notice_start} 起 ${r.public_notice_days} 天` : "未记录"}</p>
      <p class="muted">入户核实时限 ${r.village_due_on} · 办结时限 ${r.decision_due_on}${r.backfill_due_on ? " · 补录时限 " + r.backfill_due_on : ""}</p>
      ${r.decision_reason ? `<p>决定理由:${esc(r.decision_reason)}</p>` : ""}
      <div class="actions">${forms(r, people)}</div>
      <p class="message" id="action-message" role="alert"></p>
      <h3>办理经过</h3><ul>${events}</ul>`;
    for (const form of view.querySelectorAll("form[data-action]")) {
      form.addEventListener("submit", async (e) => {
        e.preventDefault();
        const path = form.dataset.action.replace("_", "-");
        try {
          await api(`/api/v1/self-reports/${id}/${path}`, { method: "POST", body: bodyOf(form) });
          openReport(id);
        } catch (err) {
          $("action-message").className = "message error";
          $("action-message").textContent = err.message;
        }
      });
    }
  } catch (err) {
    view.innerHTML = `<p class="error">${esc(err.message)}</p><p><a href="#reports">← 返回列表</a></p>`;
  }
}

async function showNumbers() {
  const view = $("report-numbers-view");
  view.hidden = false;
  view.innerHTML = "<p>正在统计……</p>";
  try {
    const n = await api("/api/v1/self-reports/numbers");
    const row = (a, village) => `<tr${a.silent ? ' class="silent"' : ""}><td>${esc(a.area_name)}</td><td>${a.received}${a.opened_by_staff ? `<br><small>干部代报 ${a.opened_by_staff}</small>` : ""}</td>
      <td>${a.in_progress}</td><td>${a.overdue ? `<span class="tag overdue">${a.overdue}</span>` : 0}${a.withdrawn_overdue ? `<br><small>逾期后撤回 ${a.withdrawn_overdue}</small>` : ""}</td><td>${a.enrolled}</td>
      <td>${a.rejected}</td><td>${a.median_days_to_decision ?? "—"}</td>${village ? `<td>${a.uptake ?? "—"}${a.silent ? " 沉默" : ""}</td>` : ""}</tr>`;
    const head = (village) => `<tr><th>地区</th><th>受理</th><th>办理中</th><th>逾期</th><th>纳入</th><th>不予纳入</th><th>办结中位天数</th>${village ? "<th>相对县村均</th>" : ""}</tr>`;
    view.innerHTML = `<h2>报贫统计</h2>
      ${n.county_average_per_village != null ? `<p>全县村均农户自报 ${n.county_average_per_village} 件(不含干部代报);低于一半的村标为“沉默”。</p>` : ""}
      <h3>乡镇</h3><table>${head(false)}${n.townships.map((a) => row(a, false)).join("")}</table>
      <h3>村</h3><table>${head(true)}${n.villages.map((a) => row(a, true)).join("")}</table>`;
  } catch (err) {
    view.innerHTML = `<p class="error">${esc(err.message)}</p>`;
  }
}

window.addEventListener("hashchange", route);
route();
