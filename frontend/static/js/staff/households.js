// 农户台账: the households in the caller's reach (filter, page), and one household's card.

import { api } from "/static/js/lib/api.js";
import { append, html, render } from "/static/js/lib/html.js";
import { choices, needTags } from "/static/js/lib/vocabulary.js";

const PAGE = 30;
const tags = (names = []) => names.map((n) => html`<span class="tag">${n}</span>`);

function row(h) {
  return html`<li><a href="#household/${h.id}">
    <strong>${h.head_name || "(无户主)"}</strong> · ${h.member_count} 人 · ${h.area_name || h.area_code}
    <br><span class="tag ${h.monitoring_status}">${h.monitoring_status_name}</span>
    <span class="tag">${h.category_name}</span>${tags(h.risk_names)}
    <span class="muted">${h.reference}${h.helper && ` · 帮扶人 ${h.helper.full_name}`}</span>
    </a></li>`;
}

// `query` ("area=…&monitoring_status=…") narrows the list the way a dashboard figure was
// counted, so the count shown equals the figure tapped.
export function list(ctx, query = "") {
  const statuses = Object.entries(choices("monitoring_status"));
  const fixed = new URLSearchParams(query);
  ctx.draw(html`<h2>农户台账</h2>
    ${
      query &&
      html`<p class="muted" id="household-scope">按统计数字筛选 · <a href="#households">看全部农户</a></p>`
    }
    <form id="household-filter" class="filters">
      <input name="q" placeholder="姓名、身份证号或户编号" aria-label="查找农户">
      <select name="monitoring_status" aria-label="监测状态">
        <option value="">全部状态</option>
        ${statuses.map(([k, v]) => html`<option value="${k}">${v}</option>`)}
      </select>
      <button type="submit">查找</button>
    </form>
    <p class="count" id="household-count"></p>
    <ul class="list" id="household-list"></ul>
    <div class="pager"><button type="button" id="more" hidden>更多</button></div>`);
  const form = document.getElementById("household-filter");
  if (fixed.get("monitoring_status")) form.monitoring_status.value = fixed.get("monitoring_status");
  const moreButton = document.getElementById("more");
  let offset = 0;

  async function load(more) {
    const params = new URLSearchParams(fixed);
    params.set("offset", offset);
    params.set("limit", PAGE);
    for (const [key, value] of new FormData(form)) if (value) params.set(key, value);
    const target = document.getElementById("household-list");
    try {
      const page = await api(`/api/v1/households?${params}`);
      if (!ctx.current()) return;
      document.getElementById("household-count").textContent = `共 ${page.count} 户`;
      const rows = html`${page.data.map(row)}`;
      if (more) append(target, rows);
      else render(target, rows);
      offset += page.data.length;
      moreButton.hidden = offset >= page.count;
    } catch (err) {
      if (ctx.current()) render(target, html`<li class="error">${err.message}</li>`);
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    offset = 0;
    load(false);
  });
  moreButton.addEventListener("click", () => load(true));
  return load(false);
}

function card(h) {
  return html`<p><a href="#households">← 返回列表</a></p>
    <h2>${h.head_name} 户 <span class="muted">${h.reference}</span></h2>
    <p>${h.area_name} ${h.address} · ${h.category_name} ·
      <span class="tag ${h.monitoring_status}">${h.monitoring_status_name}</span>
      ${h.monitoring_type_name} ${tags(h.risk_names)}</p>
    <p>帮扶责任人:${h.helper ? h.helper.full_name : "未指定"}</p>
    <p>${needTags(h.basic_needs)}</p>
    <h3>家庭成员</h3>
    <table><tr><th>姓名</th><th>关系</th><th>年龄</th><th>身份证号</th><th>健康</th><th>在校</th></tr>
      ${h.members.map(
        (
          m,
        ) => html`<tr class="${!m.active && "muted"}"><td>${m.name}</td><td>${m.relation_name}</td>
          <td>${m.age}</td><td>${m.id_number}${
            m.id_number &&
            html` <button type="button" class="reveal-id" data-member="${m.id}">显示</button>`
          }</td><td>${m.health_name}</td>
          <td>${m.schooling_name}</td></tr>`,
      )}</table>
    <h3>年度收入(元)</h3>
    <table><tr><th>年度</th><th>家庭纯收入</th><th>人口</th><th>人均纯收入</th></tr>
      ${h.incomes.map(
        (i) => html`<tr><td>${i.year}</td><td>${i.net_income}</td><td>${i.household_size}</td>
          <td>${i.per_capita_net_income}</td></tr>`,
      )}</table>
    ${
      h.plan &&
      html`<h3>一户一策</h3><p>${h.plan.summary}</p>
      <ul>${h.plan.measures.map(
        (m) => html`<li>${m.kind_name}:${m.description}(${m.start_on},${m.amount} 元)</li>`,
      )}</ul>`
    }`;
}

export async function show(ctx, id) {
  ctx.draw(html`<p>正在读取……</p>`);
  try {
    const h = await api(`/api/v1/households/${encodeURIComponent(id)}`);
    if (!ctx.draw(card(h))) return;
    // A full ID number only on request, for the roles that may see one: the view is audited.
    for (const button of ctx.view.querySelectorAll("button.reveal-id")) {
      button.addEventListener("click", async () => {
        const cell = button.parentElement;
        try {
          const path = `/api/v1/households/${h.id}/members/${button.dataset.member}/id-number`;
          cell.textContent = (await api(path, { method: "POST" })).id_number;
        } catch (err) {
          cell.textContent = err.message;
        }
      });
    }
  } catch (err) {
    ctx.draw(html`<p class="error">${err.message}</p><p><a href="#households">← 返回列表</a></p>`);
  }
}
