// 红黑榜: units, people and areas with overdue or returned problems (黑榜), and those that
// closed on time at the first review (红榜).

import { api } from "/static/js/lib/api.js";
import { html } from "/static/js/lib/html.js";
import { tabs } from "/static/js/rectification/common.js";

const WARNING = [
  ["overdue", "逾期"],
  ["returned", "被退回"],
  ["review_due", "复核逾期"],
  ["total", "问题数"],
];
const HONOR = [
  ["closed_on_time_first_review", "按期一次销号"],
  ["total", "问题数"],
];

function table(entries, columns) {
  if (!entries.length) return html`<p class="muted">暂无</p>`;
  return html`<table class="board"><tr><th>名次</th><th>名称</th>
    ${columns.map(([, label]) => html`<th>${label}</th>`)}</tr>
    ${entries.map(
      (e, i) => html`<tr><td>${i + 1}</td><td>${e.name}
        ${e.unit && html`<br><span class="muted">${e.unit}</span>`}</td>
        ${columns.map(([key]) => html`<td>${e[key]}</td>`)}</tr>`,
    )}</table>`;
}

function section(board, columns) {
  return html`<h4>单位</h4>${table(board.units, columns)}
    <h4>责任人</h4>${table(board.people, columns)}
    ${board.areas.length > 0 && html`<h4>下辖地区</h4>${table(board.areas, columns)}`}`;
}

export async function show(ctx) {
  ctx.draw(html`${tabs("boards")}<p>正在读取……</p>`);
  try {
    const b = await api("/api/v1/problems/boards");
    ctx.draw(html`${tabs("boards")}<div id="boards-view">
      <h2>${b.area_name}红黑榜 <span class="muted">截至 ${b.as_of}</span></h2>
      ${b.review_due > 0 && html`<p class="error">长期坚持问题中有${b.review_due}个复核已逾期</p>`}
      <section class="board-black"><h3>黑榜（逾期、被退回、复核逾期）</h3>
        ${section(b.warning_board, WARNING)}</section>
      <section class="board-red"><h3>红榜（按期整改、一次审核通过）</h3>
        ${section(b.honor_board, HONOR)}</section>
      </div>`);
  } catch (err) {
    ctx.draw(html`${tabs("boards")}<p class="error">${err.message}</p>`);
  }
}
