// 遍访 for those who watch an area: who was visited this month, who was not (a page at a
// time), and the records that look pasted or copied.

import { api } from "/static/js/lib/api.js";
import { html, render } from "/static/js/lib/html.js";

const $ = (id) => document.getElementById(id);
const PAGE = 200;
const day = (iso) =>
  iso ? new Date(iso).toLocaleDateString("zh-CN", { timeZone: "Asia/Shanghai" }) : "从未走访";
const none = html`<tr><td colspan="6" class="muted">无</td></tr>`;

function table(id, heads) {
  return html`<table id="${id}"><thead><tr>${heads.map((h) => html`<th>${h}</th>`)}</tr></thead>
    <tbody></tbody></table>`;
}

function fill(id, rows) {
  render($(id).querySelector("tbody"), rows.length ? html`${rows}` : none);
}

// The writers named, and how many more there were (the answer names a few of each text's).
const writers = (p) =>
  p.visitor_names.join("、") +
  (p.visitor_count > p.visitor_names.length ? `等${p.visitor_count}人` : "");

function flags(c) {
  const rest = c.pasted_notes_total - c.pasted_notes.length;
  const villages = c.pasted_by_village
    .slice(0, 10)
    .map((v) => `${v.area_name || v.area_code} ${v.households}户`)
    .join("、");
  const items = [
    ...c.pasted_notes.map(
      (
        p,
      ) => html`<li><span class="flag">走访记录雷同</span>：${p.households}户的走访情况文字完全相同
        （${writers(p)}）：“${p.excerpt}”</li>`,
    ),
    ...(rest > 0
      ? [html`<li class="muted">另有${rest}段雷同文字未列出；涉及农户最多的村：${villages}</li>`]
      : []),
    ...c.copied_ledgers.map(
      (l) => html`<li><span class="flag">收入疑似照抄</span>：户 ${l.reference} ${l.month}
        的分项收入与去年同月完全一样</li>`,
    ),
  ];
  return items.length ? html`${items}` : html`<li class="muted">本月没有发现雷同或照抄</li>`;
}

export async function show(ctx) {
  const month = new Date().toLocaleDateString("sv-SE", { timeZone: "Asia/Shanghai" }).slice(0, 7);
  const me = ctx.me;
  ctx.draw(html`<h2>遍访情况</h2>
    <form id="coverage-filter" class="filters">
      <label>月份 <input name="month" type="month" required value="${month}"></label>
      <select name="area" aria-label="地区" id="area-select">
        <option value="">${me.area_name || "全部"}（全辖区）</option></select>
      <button type="submit">查看</button>
    </form>
    <p class="message" id="coverage-message" role="status" aria-live="polite"></p>
    <div id="coverage" hidden>
      <h3>按村</h3>${table("villages", ["村", "应访户", "已访", "未访"])}
      <h3>按帮扶责任人（脱贫户、监测户）</h3>${table("helpers", ["帮扶责任人", "单位", "应访", "已访", "未访"])}
      <h3 id="not-visited-title">本月未走访的农户</h3>
      ${table("not-visited", ["户主", "村", "状态", "帮扶责任人", "上次走访"])}
      <p><button type="button" class="big-button" id="more-not-visited" hidden>
        再列出${PAGE}户</button></p>
      <h3>需要核实</h3><ul class="list" id="flags"></ul>
    </div>`);
  const form = $("coverage-filter");
  const say = (text, kind = "ok") => {
    $("coverage-message").className = `message ${kind}`;
    $("coverage-message").textContent = text;
  };
  let shown = [];

  async function load(offset = 0) {
    const data = new FormData(form);
    const params = new URLSearchParams({ month: data.get("month"), limit: PAGE, offset });
    if (data.get("area")) params.set("area", data.get("area"));
    say("正在读取……");
    try {
      const c = await api(`/api/v1/visits/coverage?${params}`);
      if (!ctx.current()) return;
      $("coverage").hidden = false;
      fill(
        "villages",
        c.villages.map(
          (
            v,
          ) => html`<tr><td>${v.area_name || v.area_code}</td><td>${v.due}</td><td>${v.visited}</td>
            <td class="${v.not_visited > 0 && "flag"}">${v.not_visited}</td></tr>`,
        ),
      );
      fill(
        "helpers",
        c.helpers.map(
          (h) => html`<tr><td>${h.full_name}</td><td>${h.unit}</td><td>${h.due}</td>
            <td>${h.visited}</td>
            <td class="${h.not_visited > 0 && "flag"}">${h.not_visited}</td></tr>`,
        ),
      );
      shown = offset ? shown.concat(c.not_visited) : c.not_visited;
      $("not-visited-title").textContent =
        c.not_visited_total > shown.length
          ? `${c.month} 未走访的农户（共${c.not_visited_total}户，已列出${shown.length}户）`
          : `${c.month} 未走访的农户（${c.not_visited_total}户）`;
      fill(
        "not-visited",
        shown.map(
          (
            n,
          ) => html`<tr><td>${n.head_name || n.reference}</td><td>${n.area_name || n.area_code}</td>
            <td>${n.monitoring_status_name}</td><td>${n.helper_name || "未指定"}</td>
            <td>${day(n.last_visited_at)}</td></tr>`,
        ),
      );
      $("more-not-visited").hidden = c.not_visited_total <= shown.length;
      render($("flags"), flags(c));
      const due = c.villages.reduce((n, v) => n + v.due, 0);
      say(`${c.month}：共${due}户，未走访${c.not_visited_total}户`);
    } catch (err) {
      if (!ctx.current()) return;
      $("coverage").hidden = true;
      say(err.message, "error");
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    load();
  });
  $("more-not-visited").addEventListener("click", () => load(shown.length));
  if (me.area_code) {
    api(`/api/v1/areas/${me.area_code}/children`)
      .then((children) => {
        for (const a of children.data || []) $("area-select")?.append(new Option(a.name, a.code));
      })
      .catch(() => {});
  }
  return load();
}
