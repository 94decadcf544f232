// The staff side of 一键报贫: the list (overdue first, flagged), one report with the forms
// for the steps the server says the viewer may take (`actions`), and the numbers per
// village and township.

import { api, apiBlob } from "/static/js/lib/api.js";
import { html, render } from "/static/js/lib/html.js";
import { choices } from "/static/js/lib/vocabulary.js";

const $ = (id) => document.getElementById(id);
const tags = (names = []) => names.map((n) => html`<span class="tag">${n}</span>`);
const today = () => new Date().toLocaleDateString("sv-SE", { timeZone: "Asia/Shanghai" });
const options = (names) =>
  Object.entries(names).map(([k, v]) => html`<option value="${k}">${v}</option>`);

function overdueTag(r) {
  if (r.closed_overdue) return html`<span class="tag overdue">逾期后撤回</span>`;
  return r.overdue && html`<span class="tag overdue">逾期${r.overdue_days}天</span>`;
}

// The desk's tile says how many reports are overdue.
export async function badge() {
  try {
    const page = await api("/api/v1/self-reports?overdue=true&limit=1");
    $("reports-badge").textContent = page.count ? `${page.count}件逾期` : "";
    $("reports-badge").hidden = !page.count;
  } catch {
    // The tile works without its count.
  }
}

function row(r) {
  const due = r.step_due_on && ` · 时限 ${r.step_due_on}`;
  const who = r.assignee && ` · 核实人 ${r.assignee.full_name}`;
  return html`<li class="${r.overdue && "overdue"}"><a href="#report/${r.id}">
    <strong>${r.name}</strong> · ${r.area_name || r.area_code} ${overdueTag(r)}
    <br><span class="tag">${r.status_name}</span>${tags(r.risk_names)}
    <span class="muted">${r.receipt_code}${due}${who}</span></a></li>`;
}

// `query` ("area=…&submitted_in=…&stage=…") narrows the list the way a dashboard figure
// was counted.
export function list(ctx, query = "") {
  const fixed = new URLSearchParams(query);
  ctx.draw(html`<h2>一键报贫</h2>
    ${query && html`<p class="muted">按统计数字筛选 · <a href="#reports">看全部报告</a></p>`}
    <form id="report-filter" class="filters">
      <input name="q" placeholder="受理编号、姓名或手机号" aria-label="查找报告">
      <select name="status" aria-label="状态"><option value="">全部状态</option>
        ${options(choices("report_status"))}</select>
      <label class="check"><input type="checkbox" name="overdue" value="true"> 只看逾期</label>
      <button type="submit">查找</button>
    </form>
    <p class="count" id="report-count"></p><ul class="list" id="report-list"></ul>`);
  const form = $("report-filter");

  async function load() {
    const params = new URLSearchParams(fixed);
    params.set("limit", 100);
    for (const [k, v] of new FormData(form)) if (v) params.set(k, v);
    try {
      const page = await api(`/api/v1/self-reports?${params}`);
      if (!ctx.current()) return;
      $("report-count").textContent = `共${page.count}件，其中逾期${page.overdue_count}件`;
      render(
        $("report-list"),
        page.data.length ? html`${page.data.map(row)}` : html`<li class="muted">没有报告</li>`,
      );
    } catch (err) {
      if (ctx.current()) render($("report-list"), html`<li class="error">${err.message}</li>`);
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    load();
  });
  return load();
}

// --- one report -------------------------------------------------------------------------

function headFields(r) {
  return (
    !r.id_number &&
    html`<label>户主出生日期<input type="date" name="head_birth_date"></label>
    <label>户主性别<select name="head_sex"><option value="female">女</option>
      <option value="male">男</option></select></label>`
  );
}

// The form of each step: its title and its boxes.
function stepForms(r, people) {
  const types = options(choices("monitoring_type"));
  return {
    assign: [
      "安排入户核实",
      html`<label>核实人<select name="assignee_id">${people.map(
        (p) => html`<option value="${p.id}">${p.full_name}（${p.role_name}）</option>`,
      )}</select></label>`,
    ],
    verify: [
      "记录核实结果",
      html`<label>风险是否属实<select name="risk_confirmed"><option value="true">属实</option>
        <option value="false">不属实</option></select></label>
      <label>人均年纯收入估算（元）<input type="number" name="income_estimate" min="0"></label>
      <label>核实情况<textarea name="findings" required></textarea></label>`,
    ],
    community_review: [
      "记录民主评议",
      html`<label>评议日期<input type="date" name="held_on" value="${today()}"></label>
      <label>评议记录<textarea name="minutes"></textarea></label>`,
    ],
    public_notice: [
      "记录村内公示",
      html`<label>公示开始<input type="date" name="start_on" value="${today()}"></label>
      <label>公示天数<input type="number" name="days" value="5" min="1"></label>
      <label>异议情况<textarea name="objections"></textarea></label>`,
    ],
    forward: ["乡镇审核通过，报县审定", html`<label>审核意见<input name="note"></label>`],
    enroll: [
      "审定纳入监测",
      html`<label>监测类型<select name="monitoring_type">${types}</select></label>${headFields(r)}`,
    ],
    fast_track: [
      "绿色通道先行纳入",
      html`<label>监测类型<select name="monitoring_type">${types}</select></label>${headFields(r)}`,
    ],
    reject: [
      r.kind === "clearance_proposal" ? "不予标注风险消除" : "不予纳入",
      html`<label>理由（农户能看到）<textarea name="reason" required></textarea></label>`,
    ],
    refer: [
      "转介其他帮扶",
      html`<label>转介到<input name="referred_to" required></label>
      <label>说明<textarea name="reason" required></textarea></label>`,
    ],
    withdraw: ["撤回", html`<label>原因<input name="reason" required></label>`],
    clear: [
      "审定风险消除",
      html`<p class="muted">收入按近6个月收支登记折算（不足6个月按年度收入），低于监测收入标准的不能消除。</p>
      <label>审定意见<input name="note"></label>`,
    ],
    announce: [
      "记录公告",
      html`<label>公告日期<input type="date" name="announced_on" value="${today()}"></label>
      <label>公告天数<input type="number" name="days" value="5" min="1"></label>`,
    ],
  };
}

function actionForms(r, people) {
  const forms = stepForms(r, people);
  return r.actions
    .filter((a) => forms[a])
    .map(
      (a) => html`<form class="form" data-action="${a}"><h4>${forms[a][0]}</h4>${forms[a][1]}
        <button type="submit">${forms[a][0]}</button></form>`,
    );
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

function facts(r) {
  const behalf = r.on_behalf && `· 代报人 ${r.reporter_name || ""} ${r.reporter_phone || ""}`;
  const notice = r.public_notice_start
    ? `${r.public_notice_start} 起${r.public_notice_days}天`
    : "未记录";
  return html`<p><span class="tag" id="report-status">${r.status_name}</span> ${overdueTag(r)}
      ${r.step_due_on && `本步时限 ${r.step_due_on}`}
      ${r.fast_track && html`<span class="tag">绿色通道</span>`}</p>
    <p>${r.area_name} · 电话 <span id="report-phone">${r.phone || "无"}</span>
      ${
        r.id_number &&
        html`· 身份证 <span id="report-id-number">${r.id_number}</span>
        <button type="button" id="reveal-id-number">显示完整身份证号（留痕）</button>`
      }
      <span id="report-behalf">${behalf}</span>
      ${r.may_call && r.phone && html`<button type="button" id="reveal-phone">显示完整号码（留痕）</button>`}</p>
    <p>${tags(r.risk_names)} ${r.note}</p>
    ${r.photo_ids.map((p) => html`<a href="/api/v1/files/${p}" target="_blank">照片</a> `)}
    ${
      r.verified_at &&
      html`<p>核实：${r.risk_confirmed ? "风险属实" : "风险不属实"} · 人均收入估算
        ${r.income_estimate ?? "—"}元 · ${r.findings}</p>`
    }
    <p>民主评议：${r.community_review_on || "未记录"} · 村内公示：${notice}</p>
    <p class="muted">入户核实时限 ${r.village_due_on} · 办结时限 ${r.decision_due_on}
      ${r.backfill_due_on && ` · 补录时限 ${r.backfill_due_on}`}</p>
    ${r.decision_reason && html`<p>决定理由：${r.decision_reason}</p>`}
    ${
      r.decision_income != null &&
      html`<p>审定依据：人均年纯收入${r.decision_income}元（${
        r.decision_income_basis === "ledger" ? "近6个月收支登记折算" : "年度收入登记"
      }），监测收入标准${r.decision_line_amount ?? "—"}元</p>`
    }
    ${r.announced_on && html`<p>公告：${r.announced_on} 起${r.announcement_days}天</p>`}`;
}

// The village's 公示 and 公告 as Word documents to print, once their step is recorded.
function noticeButtons(r) {
  const staged = [
    ["public_notice", "公示", r.public_notice_start],
    ["announcement", "公告", r.announced_on],
  ].filter(([, , on]) => on);
  return staged.map(
    ([stage, name]) =>
      html`<button type="button" data-notice="${stage}">下载${name}（Word，打印张贴）</button> `,
  );
}

function events(r) {
  return r.events.map(
    (e) => html`<li>${new Date(e.at).toLocaleString("zh-CN")} ${e.actor_name}：
      ${e.to_status_name || e.action} ${e.note}</li>`,
  );
}

export async function show(ctx, id) {
  ctx.draw(html`<p>正在读取……</p>`);
  let r;
  let people = [];
  try {
    r = await api(`/api/v1/self-reports/${encodeURIComponent(id)}`);
    if (r.actions.includes("assign")) {
      const users = await api("/api/v1/users?limit=200");
      people = users.data.filter(
        (u) =>
          ["village_cadre", "helper", "grid_worker"].includes(u.role) &&
          u.area_code &&
          r.area_code.startsWith(u.area_code),
      );
    }
  } catch (err) {
    ctx.draw(html`<p class="error">${err.message}</p><p><a href="#reports">← 返回列表</a></p>`);
    return;
  }
  const drawn = ctx.draw(html`<div id="report-view"><p><a href="#reports">← 返回列表</a></p>
    <h2>${r.name} <span class="muted">${r.receipt_code}</span>
      ${r.kind !== "self_report" && html`<span class="tag">${r.kind_name}</span>`}</h2>
    ${facts(r)}
    <p class="downloads">${noticeButtons(r)}</p>
    <div class="actions">${actionForms(r, people)}</div>
    <p class="message" id="action-message" role="alert"></p>
    <h3>办理经过</h3><ul>${events(r)}</ul></div>`);
  if (!drawn) return;
  // The full numbers only for the one handling the report, on request: the view is audited.
  $("reveal-phone")?.addEventListener("click", async (event) => {
    try {
      const c = await api(`/api/v1/self-reports/${r.id}/contact`, { method: "POST" });
      render($("report-phone"), html`<a href="tel:${c.phone}">${c.phone}</a>`);
      if (c.reporter_phone)
        $("report-behalf").textContent = `· 代报人 ${c.reporter_name} ${c.reporter_phone}`;
      event.target.remove();
    } catch (err) {
      $("action-message").className = "message error";
      $("action-message").textContent = err.message;
    }
  });
  // A full ID number likewise only on request (village, township and county), audited.
  $("reveal-id-number")?.addEventListener("click", async (event) => {
    try {
      const shown = await api(`/api/v1/self-reports/${r.id}/id-number`, { method: "POST" });
      $("report-id-number").textContent = shown.id_number;
      event.target.remove();
    } catch (err) {
      $("action-message").className = "message error";
      $("action-message").textContent = err.message;
    }
  });
  for (const button of ctx.view.querySelectorAll("button[data-notice]")) {
    button.addEventListener("click", async () => {
      const stage = button.dataset.notice;
      try {
        const blob = await apiBlob(
          `/api/v1/self-reports/${r.id}/notice?stage=${stage}&format=docx`,
        );
        const link = document.createElement("a");
        link.href = URL.createObjectURL(blob);
        link.download = `${r.receipt_code}-${stage === "announcement" ? "公告" : "公示"}.docx`;
        link.click();
        setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
        $("action-message").className = "message ok";
        $("action-message").textContent = "已下载，打印后张贴在村务公开栏。";
      } catch (err) {
        $("action-message").className = "message error";
        $("action-message").textContent = err.message;
      }
    });
  }
  for (const form of ctx.view.querySelectorAll("form[data-action]")) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const path = form.dataset.action.replace("_", "-");
      try {
        await api(`/api/v1/self-reports/${r.id}/${path}`, { method: "POST", body: bodyOf(form) });
        await show(ctx, id);
      } catch (err) {
        $("action-message").className = "message error";
        $("action-message").textContent = err.message;
      }
    });
  }
}

// --- numbers ----------------------------------------------------------------------------

function numbersRow(a, village) {
  return html`<tr><td>${a.area_name}</td>
    <td>${a.received}
      ${a.opened_by_staff > 0 && html`<br><small>干部代报 ${a.opened_by_staff}</small>`}</td>
    <td>${a.in_progress}</td>
    <td>${a.overdue ? html`<span class="tag overdue">${a.overdue}</span>` : 0}
      ${a.withdrawn_overdue > 0 && html`<br><small>逾期后撤回 ${a.withdrawn_overdue}</small>`}</td>
    <td>${a.enrolled}</td><td>${a.rejected}</td><td>${a.median_days_to_decision ?? "—"}</td>
    ${village && html`<td>${a.uptake == null ? "—" : `${a.uptake}倍`}</td>`}</tr>`;
}

function numbersHead(village) {
  return html`<tr><th>${village ? "村（社区）" : "乡镇"}</th><th>受理（件）</th><th>办理中（件）</th>
    <th>逾期（件）</th><th>纳入（件）</th><th>不予纳入（件）</th><th>办结用时中位数（天）</th>
    ${village && html`<th>农户自报（县村均 = 1）</th>`}</tr>`;
}

// Each township's villages folded under it: a county's few hundred villages are not one
// table a phone scrolls through.
function villagesOf(n, town) {
  const rows = n.villages.filter((v) => v.area_code.startsWith(town.area_code));
  return html`<details><summary>${town.area_name}：${rows.length}个村（社区），受理${town.received}件</summary>
    <div class="table-scroll"><table>${numbersHead(true)}${rows.map((a) => numbersRow(a, true))}</table></div></details>`;
}

export async function numbers(ctx) {
  ctx.draw(html`<p>正在统计……</p>`);
  try {
    const n = await api("/api/v1/self-reports/numbers");
    ctx.draw(html`<div id="report-numbers-view"><h2>报贫统计</h2>
      ${
        n.county_average_per_village != null &&
        html`<p>全县村均农户自报${n.county_average_per_village}件（不含干部代报）。哪些村在全县排在最后，见<a href="#dashboard">统计概览</a>的标记。</p>`
      }
      <h3>乡镇</h3><div class="table-scroll"><table>${numbersHead(false)}${n.townships.map((a) => numbersRow(a, false))}</table></div>
      <h3>村（社区）</h3><p class="muted">点开一个镇，看它的村。</p>${n.townships.map((t) => villagesOf(n, t))}</div>`);
  } catch (err) {
    ctx.draw(html`<p class="error">${err.message}</p>`);
  }
}
