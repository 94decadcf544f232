// What the 整改销号 screens share: their tabs, the status and overdue marks, and the areas
// one level below the caller's (for filters and forms).

import { api } from "/static/js/lib/api.js";
import { html } from "/static/js/lib/html.js";

const TABS = [
  ["problems", "问题清单"],
  ["mine", "我认领的"],
  ["review", "待审核"],
  ["boards", "红黑榜"],
  ["batches", "清单与报告"],
];

export function tabs(current) {
  return html`<nav class="tiles rect-tabs" aria-label="整改销号">${TABS.map(
    ([hash, label]) =>
      html`<a class="tile ${hash === current && "current"}" href="#${hash}">${label}</a>`,
  )}</nav>`;
}

export function statusTag(p) {
  return html`<span class="tag status-${p.status}">${p.status_name}</span>`;
}

export function overdueTag(p) {
  if (p.overdue) return html`<span class="tag overdue">逾期${p.overdue_days}个工作日</span>`;
  if (p.overdue_days) return html`<span class="tag late">逾期完成</span>`;
  if (p.review_due) return html`<span class="tag overdue">复核已逾期</span>`;
  return "";
}

const children = new Map();

// The villages of a township, the townships of a county; [] for a village or no area.
export function areasUnder(code) {
  if (!code || code.length >= 12) return Promise.resolve([]);
  if (!children.has(code)) {
    children.set(
      code,
      api(`/api/v1/areas/${code}/children`)
        .then((r) => r.data)
        .catch(() => {
          children.delete(code);
          return [];
        }),
    );
  }
  return children.get(code);
}

export const childAreas = (me) => areasUnder(me.area_code);

export const chinaDateTime = (iso) =>
  new Date(iso).toLocaleString("zh-CN", { timeZone: "Asia/Shanghai" });
