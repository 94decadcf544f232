// My households: fetched when the network answers and kept on the phone for offline work
// (only the logged-in user's own), listed most urgent first in one fixed order, and one
// household's card.

import { fieldDb } from "/static/js/field/db.js";
import { api } from "/static/js/lib/api.js";
import { chinaDay, chinaMonth, chinaTime } from "/static/js/lib/format.js";
import { html, render } from "/static/js/lib/html.js";
import { needTags } from "/static/js/lib/vocabulary.js";

const $ = (id) => document.getElementById(id);
const STATE = {
  overdue: ["已逾期（上月也未走访）", "overdue"],
  due: ["本月待走访", "due"],
  visited: ["本月已走访", "visited"],
  pending: ["本月已记录，待发送", "pending"],
};
const URGENCY = { overdue: 0, due: 1, visited: 2 };

// Most urgent first, then a fixed key: the same order online and from the phone's copy
// (IndexedDB hands rows back by id), and the same as the server's.
export function byUrgency(a, b) {
  const key = (h) => [
    URGENCY[h.state] ?? 3,
    h.monitoring_status === "monitored" ? 0 : 1,
    h.last_visited_at ? Date.parse(h.last_visited_at) : 0,
  ];
  const [x, y] = [key(a), key(b)];
  for (let i = 0; i < x.length; i += 1) if (x[i] !== y[i]) return x[i] - y[i];
  return a.reference < b.reference ? -1 : a.reference > b.reference ? 1 : 0;
}

// The phone keeps at most a few thousand households; say so when the list was cut.
function cutNote({ count, total }) {
  return total > count ? `名单太长，手机上只保存了${count}户（共${total}户）；其余请联网查看` : "";
}

export async function loadHouseholds(app) {
  let note = "";
  try {
    const page = await api("/api/v1/visits/my-households");
    if (page.user_id !== app.me.id) throw new Error("not mine");
    await fieldDb.replaceAll("households", page.data);
    await fieldDb.put("meta", {
      key: "households",
      user_id: app.me.id,
      month: page.month,
      at: new Date().toISOString(),
      count: page.count,
      total: page.total,
    });
    app.households = page.data;
    app.month = page.month;
    note = cutNote(page);
  } catch (err) {
    if (err.status === 403) {
      app.households = [];
      note = err.message;
    } else {
      const meta = await fieldDb.get("meta", "households");
      if (meta && meta.user_id === app.me.id) {
        app.households = await fieldDb.all("households");
        app.month = meta.month;
        note = `离线：显示 ${chinaTime(meta.at)} 保存在手机上的名单 ${cutNote(meta)}`;
      } else {
        app.households = [];
        note = "离线，手机上还没有保存走访户名单；联网后打开一次即可保存";
      }
    }
  }
  app.households.sort(byUrgency);
  app.month ||= chinaMonth(new Date().toISOString());
  $("cache-note").textContent = note;
  $("month-label").textContent = app.month;
}

async function pendingByHousehold(app) {
  const { items } = await app.queue.status();
  const out = {};
  for (const i of items) {
    if (chinaMonth(i.payload.visited_at) === app.month) out[i.payload.household_id] = i.state;
  }
  return out;
}

const tags = (names = []) => names.map((n) => html`<span class="tag">${n}</span>`);

export async function renderList(app) {
  // Helpers watch their own households; the others may look at the whole area's coverage.
  $("coverage-link").hidden = app.me.role === "helper";
  const pending = await pendingByHousehold(app);
  const list = $("household-list");
  if (!app.households.length) {
    render(list, html`<li class="muted">没有需要您走访的农户</li>`);
    return;
  }
  render(
    list,
    html`${app.households.map((h) => {
      const [label, kind] = STATE[pending[h.id] ? "pending" : h.state] || STATE.due;
      const last = h.last_visited_at ? `上次走访 ${chinaDay(h.last_visited_at)}` : "本人未走访过";
      return html`<li><a href="#household/${h.id}" class="household-row">
        <strong>${h.head_name || "（无户主）"}</strong> · ${h.member_count}人 · ${h.area_name}
        <span class="tag state ${kind}">${label}</span><br>
        <span class="tag ${h.monitoring_status}">${h.monitoring_status_name}</span>
        <span class="tag">${h.category_name}</span>${tags(h.risk_names)}
        <span class="muted">${last}</span></a></li>`;
    })}`,
  );
}

export function renderHousehold(app, id) {
  const h = app.households.find((x) => x.id === id);
  const view = $("household-view");
  if (!h) {
    render(view, html`<p class="error">手机上没有这户的资料</p><p><a href="#">← 返回</a></p>`);
    return;
  }
  const income = h.last_year_income;
  render(
    view,
    html`<p><a href="#">← 返回名单</a></p>
    <h1>${h.head_name} 户</h1>
    <p>${h.area_name} ${h.address} · ${h.category_name} ·
      <span class="tag ${h.monitoring_status}">${h.monitoring_status_name}</span>
      ${h.monitoring_type_name} ${tags(h.risk_names)}</p>
    <p>${h.phone ? `电话 ${h.phone}` : ""}</p>
    <a class="big-button primary" href="#visit/${h.id}">记录走访</a>
    <p>${needTags(h.basic_needs)}</p>
    <h2>家庭成员</h2>
    <table><tr><th>姓名</th><th>关系</th><th>年龄</th><th>健康</th><th>在校</th></tr>
      ${h.members.map(
        (m) => html`<tr><td>${m.name}</td><td>${m.relation_name}</td><td>${m.age}</td>
          <td>${m.health_name}</td><td>${m.schooling_name}</td></tr>`,
      )}</table>
    <h2>去年收入</h2>
    <p>${
      income
        ? `${income.year}年家庭纯收入${income.net_income}元，` +
          `人均${income.per_capita_net_income}元（${income.household_size}人）`
        : "去年收入未登记"
    }</p>
    <h2>今年收支登记</h2>
    <p>已登记${h.ledger_months}个月${
      h.ledger_per_capita_net_income !== null
        ? `，按登记累计人均纯收入${h.ledger_per_capita_net_income}元`
        : ""
    }</p>
    ${
      h.copied_months.length > 0 &&
      html`<p class="flag">${h.copied_months.join("、")} 的分项收入与去年同月完全一样，请核实</p>`
    }
    <h2>一户一策</h2><p>${h.plan_summary || "无"}</p>
    <ul>${h.measures.map((m) => html`<li>${m.kind_name}：${m.description}</li>`)}</ul>
    <h2>最近走访</h2>
    <ul class="list">${
      h.last_visits.length
        ? h.last_visits.map(
            (v) => html`<li>${chinaTime(v.visited_at)} · ${v.visitor_name}
              ${v.pasted_notes && html`<span class="flag">与多户走访记录雷同</span>`}
              <br><span class="muted">${v.notes}</span></li>`,
          )
        : html`<li class="muted">暂无走访记录</li>`
    }</ul>`,
  );
}
