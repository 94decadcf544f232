// 部门预警: the warnings other departments (医保、民政、教育、残联、人社) sent about people of my
// area, filtered by source and status (待分拣 by default). Each says what the sender said
// (amounts, period, text) and whose household it matched, with two taps for a pending one:
// 代报 (a report opened on the household's behalf, its receipt shown at once) or 不予处理 with a
// reason the sender reads. An unmatched one can only be dismissed with a reason.

import { api } from "/static/js/lib/api.js";
import { append, html, render } from "/static/js/lib/html.js";
import { choices } from "/static/js/lib/vocabulary.js";

const $ = (id) => document.getElementById(id);
const PAGE = 20;
const day = (iso) =>
  iso && new Date(iso).toLocaleDateString("sv-SE", { timeZone: "Asia/Shanghai" });

// The figures departments send, by name; a figure not named here is shown under its key.
const FIGURES = {
  self_paid_yuan: ["自付医疗费用", "元"],
  threshold_yuan: ["预警线", "元"],
  loan_yuan: ["助学贷款", "元"],
  fee_yuan: ["减免学费", "元"],
  relief_yuan: ["临时救助金额", "元"],
  disability_grade: ["残疾等级", "级"],
  months_unemployed: ["失业时长", "个月"],
};

function period(p) {
  const [year, rest] = p.split("-");
  if (!rest) return `${year}年`;
  if (rest.startsWith("Q")) return `${year}年第${rest.slice(1)}季度`;
  return `${year}年${Number(rest)}月`;
}

function facts(w) {
  const rows = [html`<dt>预警期间</dt><dd>${period(w.period)}</dd>`];
  for (const [key, value] of Object.entries(w.figures || {})) {
    const [label, unit] = FIGURES[key] || [key, ""];
    rows.push(html`<dt>${label}</dt><dd>${value.toLocaleString("zh-CN")}${unit}</dd>`);
  }
  rows.push(html`<dt>身份证号</dt><dd>${w.id_number}</dd>`);
  return html`<dl class="facts">${rows}</dl>`;
}

function household(w) {
  if (!w.household_id)
    return html`<p class="warn">未匹配：本辖区没有登记这个人，无法代报，核实后可不予处理。</p>`;
  return html`<p><a class="household-link" href="#household/${w.household_id}">查看这户的台账</a>
    <span class="muted">（${w.area_name || w.area_code}）</span></p>`;
}

function outcome(w) {
  if (w.status === "reported" && w.report_id) {
    const status = choices("report_status")[w.report_status] || w.report_status || "";
    return html`<p class="outcome">已代报，回执码 <strong class="receipt">${w.report_receipt_code}</strong>
      ${status && html`· ${status}`} · <a href="#report/${w.report_id}">查看报告</a></p>`;
  }
  if (w.status === "dismissed")
    return html`<p class="outcome">不予处理，理由：${w.dismiss_reason}（已告知${w.source_name}部门）</p>`;
  return "";
}

function actions(w) {
  const open = w.status === "pending" || w.status === "unmatched";
  if (!open) return "";
  return html`<div class="actions">
      ${w.status === "pending" && html`<button type="button" class="big-button primary" data-do="report">代报（替这户报贫）</button>`}
      <button type="button" class="big-button" data-do="open-dismiss">不予处理</button>
    </div>
    <form class="form dismiss-form" hidden novalidate>
      <label>不予处理的理由（会发回${w.source_name}部门）
        <textarea name="reason" rows="2"></textarea></label>
      <p class="message field-message" role="alert"></p>
      <button type="submit" class="big-button">确认不予处理</button>
    </form>`;
}

function card(w) {
  return html`<li class="warning-item" data-id="${w.id}" data-status="${w.status}">
    <span class="tag">${w.source_name}</span> <span class="tag status">${w.status_name}</span>
    <strong>${w.area_name || w.area_code}</strong>
    <p class="warning-summary">${w.summary || "（部门没有写说明）"}</p>
    ${facts(w)}
    <p class="muted">${day(w.created_at)} 收到${w.triaged_at ? ` · ${day(w.triaged_at)} 分拣` : ""}</p>
    ${household(w)}${outcome(w)}${actions(w)}
    <p class="message said" role="status"></p></li>`;
}

const options = (names, chosen, all) =>
  html`<option value="">${all}</option>${Object.entries(names).map(
    ([k, v]) => html`<option value="${k}" ${k === chosen && "selected"}>${v}</option>`,
  )}`;

export async function show(ctx, query = "") {
  const fixed = new URLSearchParams(query);
  const chosen = {
    source: fixed.get("source") || "",
    status: fixed.has("status") ? fixed.get("status") : "pending",
  };
  const sources = choices("warning_source");
  const drawn = ctx.draw(html`<div id="warnings-view">
    <h2>部门预警 <span class="muted">${ctx.me.area_name || ""}</span></h2>
    <p>医保、民政、教育、残联、人社等部门发来的预警。核实后替农户代报，或写明理由不予处理，理由会发回部门。</p>
    <nav class="source-tabs actions" aria-label="预警来源">
      ${Object.entries({ "": "全部来源", ...sources }).map(
        ([k, v]) =>
          html`<a class="big-button ${k === chosen.source && "primary"}" href="#warnings/${new URLSearchParams({ status: chosen.status, ...(k && { source: k }) })}">${v}</a>`,
      )}
    </nav>
    <form id="warning-filter" class="filters">
      <select name="status" aria-label="状态">${options(choices("warning_status"), chosen.status, "全部状态")}</select>
      <button type="submit">筛选</button>
    </form>
    <p class="count" id="warning-count">正在读取……</p>
    <ul class="list" id="warning-list"></ul>
    <div class="pager"><button type="button" id="warning-more" class="big-button" hidden>更多</button></div>
  </div>`);
  if (!drawn) return;
  const form = $("warning-filter");
  const list = $("warning-list");

  // The form's choice becomes the route, so 返回 and a shared link keep the filter.
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const params = new URLSearchParams({ status: form.status.value });
    if (chosen.source) params.set("source", chosen.source);
    ctx.go(`warnings/${params}`);
  });
  form.status.addEventListener("change", () => form.requestSubmit());

  async function load(more = false) {
    const params = new URLSearchParams({
      offset: more ? list.querySelectorAll(".warning-item").length : 0,
      limit: PAGE,
    });
    if (chosen.source) params.set("source", chosen.source);
    if (chosen.status) params.set("status", chosen.status);
    try {
      const page = await api(`/api/v1/warnings?${params}`);
      if (!ctx.current()) return;
      const what = [sources[chosen.source], choices("warning_status")[chosen.status]]
        .filter(Boolean)
        .join("、");
      $("warning-count").textContent = `共${page.count}条${what && `（${what}）`}`;
      const rows = page.data.length
        ? html`${page.data.map(card)}`
        : html`<li class="muted">没有这样的预警</li>`;
      (more ? append : render)(list, rows);
      $("warning-more").hidden = list.querySelectorAll(".warning-item").length >= page.count;
    } catch (err) {
      if (ctx.current()) $("warning-count").textContent = `没有读到：${err.message}`;
    }
  }

  $("warning-more").addEventListener("click", () => load(true));

  list.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-do]");
    if (!button) return;
    const item = button.closest(".warning-item");
    if (button.dataset.do === "open-dismiss") {
      const dismissForm = item.querySelector(".dismiss-form");
      dismissForm.hidden = false;
      dismissForm.querySelector("textarea").focus();
      say(item, "写明理由后点“确认不予处理”。", "");
      return;
    }
    act(item, "report", {});
  });
  list.addEventListener("submit", (event) => {
    event.preventDefault();
    const item = event.target.closest(".warning-item");
    act(item, "dismiss", { reason: event.target.reason.value.trim() });
  });

  function say(item, text, kind) {
    const message = item.querySelector(".said");
    message.className = `message said ${kind}`;
    message.textContent = text;
  }

  const SAID = {
    report: (w) =>
      html`已代报：回执码 <strong class="receipt">${w.report_receipt_code}</strong>，报告进入“入户核实”，核实人是您。<a href="#report/${w.report_id}">去核实这份报告</a>`,
    dismiss: (w) => html`已不予处理，理由已发回${w.source_name}部门。`,
  };

  async function act(item, action, body) {
    const field = item.querySelector(".field-message");
    const box = item.querySelector("textarea");
    for (const b of item.querySelectorAll("button")) b.disabled = true;
    say(item, "正在提交……", "");
    try {
      const w = await api(`/api/v1/warnings/${item.dataset.id}/${action}`, {
        method: "POST",
        body,
      });
      if (!ctx.current()) return;
      const fresh = document.createElement("ul");
      render(fresh, html`${card(w)}`);
      const replaced = fresh.firstElementChild;
      item.replaceWith(replaced);
      const said = replaced.querySelector(".said");
      said.className = "message said ok";
      render(said, SAID[action](w));
    } catch (err) {
      for (const b of item.querySelectorAll("button")) b.disabled = false;
      if (action === "dismiss" && err.status === 422) {
        // The refusal beside the box it is about.
        field.className = "message field-message error";
        field.textContent = `没有办成：${err.message}。请写明为什么不予处理（至少2个字）。`;
        box.setAttribute("aria-invalid", "true");
        box.focus();
        say(item, "", "");
        return;
      }
      say(item, `没有办成：${err.message}`, "error");
    }
  }

  await load();
}
