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

export async function list(ctx) {
  ctx.draw(html`<p>正在读取……</p>`);
  try {
    const t = await api("/api/v1/todo");
    setBadge("todo-badge", t.count);
    setBadge("problems-badge", t.counts.problems || 0);
    const late = Object.values(t.overdue_counts).reduce((a, b) => a + b, 0);
    ctx.draw(html`<h2>待办</h2>
      <p class="count">共 ${t.count} 件${late > 0 && `,其中逾期 ${late} 件`}${
        t.count > t.data.length && `(先列最急的 ${t.data.length} 件)`
      }</p>
      ${t.count ? html`<ul class="list" id="todo-list">${t.data.map(row)}</ul>` : html`<p>没有等您办理的事项。</p>`}`);
  } catch (err) {
    ctx.draw(html`<p class="error">${err.message}</p>`);
  }
}
