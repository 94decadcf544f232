// 待办: what waits for the logged-in person (GET /api/v1/todo), most urgent first, and the
// counts on the desk's tiles.

import { api } from "/static/js/lib/api.js";
import { html } from "/static/js/lib/html.js";

const $ = (id) => document.getElementById(id);

function setBadge(id, n) {
  const badge = $(id);
  if (!badge) return;
  badge.textContent = n ? String(n) : "";
  badge.hidden = !n;
}

// The tiles say how much waits: 待办 in all, and the problems tile its part.
export async function badges() {
  try {
    const t = await api("/api/v1/todo");
    setBadge("todo-badge", t.count);
    setBadge("problems-badge", t.counts.problems || 0);
    setBadge("warnings-badge", t.counts.warnings || 0);
  } catch {
    // The tiles work without their counts.
  }
}

function row(i) {
  const due = i.due_on && html` · ${i.kind === "notice_ending" ? "公示结束" : "时限"} ${i.due_on}`;
  return html`<li class="${i.overdue && "overdue"}"><a href="#${i.route}">
    <span class="tag">${i.kind_name}</span>${i.overdue && html`<span class="tag overdue">逾期</span>`}
    <strong>${i.title}</strong><br><span class="muted">${i.area_name || i.area_code}${due}</span></a></li>`;
}

const SEVERITY = { critical: "严重", serious: "较重", general: "一般" };

// The open 排查 findings of my area by check, each a tap from the findings list filtered
// the same way (the count is that list's).
function findings(groups) {
  if (!groups?.length) return "";
  const total = groups.reduce((n, g) => n + g.count, 0);
  return html`<h3>待处理的排查发现（${total}条）</h3>
    <ul class="list" id="todo-findings">${groups.map(
      (g) => html`<li class="${g.severity === "critical" && "overdue"}"><a href="#${g.route}">
        <span class="tag">${SEVERITY[g.severity] || g.severity}</span>
        <strong>${g.check_title}</strong><br><span class="muted">${g.count}条，点开逐条处理</span></a></li>`,
    )}</ul>`;
}

// 部门预警 of my area waiting for triage, by source, the longest waiting first (the count is
// the warnings list's). Each opens the warnings screen filtered to its source's 待分拣.
function warnings(groups) {
  if (!groups?.length) return "";
  const total = groups.reduce((n, g) => n + g.count, 0);
  return html`<h3>待分拣的部门预警（${total}条）</h3>
    <ul class="list" id="todo-warnings">${groups.map(
      (g) => html`<li><a href="#${g.route}">
        <span class="tag">${g.source_name}</span>
        <strong>${g.count}条待分拣</strong><br><span class="muted">最早 ${g.oldest_received_on} 收到，点开逐条分拣</span></a></li>`,
    )}</ul>`;
}

// Texts about the 待办: on by default, at most a few a day, each person may turn them down.
function smsSetting(n) {
  if (!n) return "";
  const why = n.has_phone
    ? `新到的事项和2个工作日内到期、已逾期的事项，每天最多${n.max_per_day}条`
    : "您的账号没有登记手机号，收不到短信";
  return html`<form id="sms-setting" class="inline-form"><label class="check">
    <input type="checkbox" name="sms" ${n.sms && "checked"} ${!n.has_phone && "disabled"}> 短信提醒待办</label>
    <span class="muted">${why}</span></form>`;
}

function wireSms(ctx) {
  const box = $("sms-setting")?.elements.sms;
  box?.addEventListener("change", async () => {
    try {
      const n = await api("/api/v1/me/notices", { method: "PUT", body: { sms: box.checked } });
      ctx.flash(n.sms ? "已开启待办短信提醒" : "已关闭待办短信提醒，不会再收到提醒短信");
    } catch (err) {
      box.checked = !box.checked;
      ctx.flash(`没有改成：${err.message}`, "error");
    }
  });
}

export async function list(ctx) {
  ctx.draw(html`<p>正在读取……</p>`);
  try {
    const [t, n] = await Promise.all([
      api("/api/v1/todo"),
      api("/api/v1/me/notices").catch(() => null),
    ]);
    setBadge("todo-badge", t.count);
    setBadge("problems-badge", t.counts.problems || 0);
    setBadge("warnings-badge", t.counts.warnings || 0);
    const late = Object.values(t.overdue_counts).reduce((a, b) => a + b, 0);
    ctx.draw(html`<h2>待办</h2>
      <p class="count">共${t.count}件${late > 0 && `，其中逾期${late}件`}${
        t.count > t.data.length && `（先列最急的${t.data.length}件）`
      }</p>
      ${t.count ? html`<ul class="list" id="todo-list">${t.data.map(row)}</ul>` : html`<p>没有等您办理的事项。</p>`}
      ${findings(t.findings)}
      ${warnings(t.warnings)}
      ${smsSetting(n)}`);
    if (ctx.current()) wireSms(ctx);
  } catch (err) {
    ctx.draw(html`<p class="error">${err.message}</p>`);
  }
}
