// 农户台账: the households in the caller's reach (filter, page), and one household's card —
// edited on screen by those who may (the server's `can`), proposals started from it, every
// refusal shown beside its box.

import { api } from "/static/js/lib/api.js";
import { clearRefusals, showRefusals } from "/static/js/lib/forms.js";
import { append, html, render } from "/static/js/lib/html.js";
import { choices, needTags } from "/static/js/lib/vocabulary.js";

const PAGE = 30;
const tags = (names = []) => names.map((n) => html`<span class="tag">${n}</span>`);

function row(h) {
  return html`<li><a href="#household/${h.id}">
    <strong>${h.head_name || "（无户主）"}</strong> · ${h.member_count}人 · ${h.area_name || h.area_code}
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
      document.getElementById("household-count").textContent = `共${page.count}户`;
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

// --- one household's card: what it says, and (for those who may) changing it ----------------

const PROPOSAL_TITLES = {
  enrolment_proposal: "申请纳入监测",
  clearance_proposal: "申请风险消除",
  revert_proposal: "申请回退（重新纳入监测）",
};
const INCOME_PARTS = [
  ["wage", "工资性收入"],
  ["business", "经营性收入"],
  ["property", "财产性收入"],
  ["transfer", "转移性收入"],
  ["business_cost", "生产经营支出"],
];

const select = (name, kind, value, label) =>
  html`<label>${label}<select name="${name}">${Object.entries(choices(kind)).map(
    ([k, v]) => html`<option value="${k}" ${k === value && "selected"}>${v}</option>`,
  )}</select></label>`;
const named = (kind, value) => choices(kind)[value] || value;

function householdForm(h) {
  const needs = choices("basic_needs");
  return html`<details class="issue-box"><summary>修改户信息</summary>
    <form class="form" data-edit="household">
      <label>住址<input name="address" value="${h.address}" maxlength="120"></label>
      <label>手机号（不改则留空）<input name="phone" inputmode="tel" placeholder="${h.phone || ""}"></label>
      ${select("category", "category", h.category, "类别")}
      <fieldset><legend>两不愁三保障及饮水安全（勾选表示有保障）</legend>
        ${Object.entries(needs).map(
          ([k, v]) => html`<label class="check"><input type="checkbox" name="need_${k}"
            ${h.basic_needs[k] !== false && "checked"}> ${v}</label>`,
        )}</fieldset>
      <button type="submit" class="big-button primary">保存户信息</button></form></details>`;
}

function memberFields(m = {}) {
  return html`<label>姓名<input name="name" value="${m.name || ""}" required></label>
    ${select("relation", "relation", m.relation, "与户主关系")}
    ${select("health", "health", m.health, "健康状况")}
    ${select("schooling", "schooling", m.schooling, "在校情况")}
    ${select("labour", "labour", m.labour, "劳动能力")}
    ${select("employment", "employment", m.employment, "务工就业")}`;
}

function memberRow(m, canEdit) {
  return html`<li class="${!m.active && "muted"}"><strong>${m.name}</strong>
    ${m.relation_name} · ${m.age}岁 · <span>${m.id_number || "无身份证号"}${
      m.id_number &&
      html` <button type="button" class="reveal-id" data-member="${m.id}">显示</button>`
    }</span><br>
    ${m.health_name} · ${m.schooling_name} · ${named("labour", m.labour)} ·
    ${named("employment", m.employment)}${!m.active && ` · 已迁出 ${m.left_on || ""}`}
    ${
      canEdit &&
      html`<details><summary>修改 ${m.name}</summary>
      <form class="form" data-member="${m.id}">${memberFields(m)}
        <label class="check"><input type="checkbox" name="left" ${!m.active && "checked"}> 已迁出或去世（不再是本户成员）</label>
        <button type="submit" class="big-button primary">保存成员</button></form></details>`
    }</li>`;
}

function addMemberForm() {
  return html`<details class="issue-box"><summary>添加家庭成员</summary>
    <form class="form" data-edit="add-member">${memberFields()}
      <label>身份证号<input name="id_number" maxlength="18" autocomplete="off"></label>
      <label>出生日期（无身份证号时必填）<input type="date" name="birth_date"></label>
      <label>性别（无身份证号时必填）<select name="sex"><option value="">按身份证号</option>
        <option value="male">男</option><option value="female">女</option></select></label>
      <button type="submit" class="big-button primary">添加成员</button></form></details>`;
}

function incomeForm(h) {
  const year = new Date().getFullYear() - 1;
  return html`<details class="issue-box"><summary>登记年度收入</summary>
    <form class="form" data-edit="income">
      <label>年度<input type="number" name="year" value="${year}" min="2014" max="2100" required></label>
      <label>家庭人口<input type="number" name="household_size"
        value="${h.members.filter((m) => m.active).length || 1}" min="1" max="30" required></label>
      ${INCOME_PARTS.map(
        ([k, v]) =>
          html`<label>${v}（元）<input type="number" name="${k}" value="0" min="0" step="1"></label>`,
      )}
      <button type="submit" class="big-button primary">保存收入</button></form></details>`;
}

function measureItem(m, canEdit) {
  return html`<li>${m.kind_name}：${m.description}（${m.start_on} 起，${m.amount}元，
    ${named("measure_status", m.status)}）
    ${
      canEdit &&
      html`<form class="inline-form" data-measure="${m.id}">
      <select name="status" aria-label="${m.description} 的落实情况">${Object.entries(
        choices("measure_status"),
      ).map(
        ([k, v]) => html`<option value="${k}" ${k === m.status && "selected"}>${v}</option>`,
      )}</select>
      <input type="number" name="amount" value="${m.amount}" min="0" aria-label="${m.description} 的金额">
      <button type="submit">更新措施</button></form>`
    }</li>`;
}

function addMeasureForm() {
  return html`<details class="issue-box"><summary>添加帮扶措施</summary>
    <form class="form" data-edit="add-measure">
      ${select("kind", "measure_kind", "industry", "措施类别")}
      <label>措施内容<input name="description" required maxlength="500"></label>
      <label>开始日期<input type="date" name="start_on" required></label>
      ${select("status", "measure_status", "planned", "落实情况")}
      <label>金额（元）<input type="number" name="amount" value="0" min="0"></label>
      <label>落实单位<input name="carried_out_by" maxlength="80"></label>
      <button type="submit" class="big-button primary">添加措施</button></form></details>`;
}

function proposalForm(kind, visits) {
  const home = visits.filter((v) => v.kind === "home");
  const risks = choices("risk_type");
  return html`<section class="issue-box" id="proposal-box"><h3>${PROPOSAL_TITLES[kind]}</h3>
    <p class="muted">提出后经民主评议和公示、乡镇审核、县级审定。须以30天内的入户走访核实。</p>
    <form class="form" data-edit="proposal" data-kind="${kind}">
      <label>核实的入户走访<select name="visit_id">${
        home.length
          ? home.map(
              (v) =>
                html`<option value="${v.id}">${new Date(v.visited_at).toLocaleDateString(
                  "zh-CN",
                )} ${v.visitor_name || ""}</option>`,
            )
          : html`<option value="">（没有入户走访记录，请先入户走访）</option>`
      }</select></label>
      ${
        kind !== "clearance_proposal" &&
        html`<fieldset><legend>风险类型</legend><input type="hidden" name="risk_types">${Object.entries(
          risks,
        ).map(
          ([k, v]) =>
            html`<label class="check"><input type="checkbox" name="risk_${k}"> ${v}</label>`,
        )}</fieldset>`
      }
      <label>申请理由（走访看到的情况）<textarea name="reason" rows="3" required></textarea></label>
      <button type="submit" class="big-button primary">${PROPOSAL_TITLES[kind]}</button>
    </form></section>`;
}

const ACTIONS = {
  create: "建档",
  update: "修改户信息",
  add_member: "添加成员",
  update_member: "修改成员",
  income: "登记收入",
  plan: "修改一户一策",
  add_measure: "添加帮扶措施",
  update_measure: "更新帮扶措施",
  enroll: "纳入监测",
  add_risk_types: "增加风险类型",
  clear_risk: "风险消除",
  revert: "回退",
};

// What an audit row changed, as a person reads it: 健康状况:健康 → 慢性病.
function changed(changes) {
  const labels = choices("field");
  const shown = (k, v) => {
    if (v === null || v === undefined) return "无";
    if (typeof v === "object") return "…";
    return choices(k)[v] || v; // a code in the server's words: healthy → 健康
  };
  return Object.entries(changes)
    .filter(([k]) => k !== "member_id")
    .map(([k, v]) =>
      Array.isArray(v) && v.length === 2
        ? `${labels[k] || k}：${shown(k, v[0])} → ${shown(k, v[1])}`
        : labels[k] || k,
    )
    .join("；");
}

function auditList(entries) {
  if (!entries) return "";
  return html`<h3>修改记录</h3><ul class="list" id="household-audit">${
    entries.length
      ? entries.map(
          (
            e,
          ) => html`<li>${new Date(e.at).toLocaleString("zh-CN")} ${e.actor_name}：${ACTIONS[e.action] || e.action}
          <span class="muted">${changed(e.changes)}</span></li>`,
        )
      : html`<li class="muted">还没有修改记录</li>`
  }</ul>`;
}

function card(h, extra) {
  const canEdit = h.can.includes("edit");
  const proposal = h.can.find((c) => c in PROPOSAL_TITLES);
  return html`<p><a href="#households">← 返回列表</a></p>
    <h2>${h.head_name} 户 <span class="muted">${h.reference}</span></h2>
    <p>${h.area_name} ${h.address} · ${h.category_name} ·
      <span class="tag ${h.monitoring_status}">${h.monitoring_status_name}</span>
      ${h.monitoring_type_name} ${tags(h.risk_names)}</p>
    <p>帮扶责任人：${h.helper ? h.helper.full_name : "未指定"}</p>
    <p>${needTags(h.basic_needs)}</p>
    ${canEdit && householdForm(h)}
    <h3>家庭成员</h3>
    <ul class="list" id="members">${h.members.map((m) => memberRow(m, canEdit))}</ul>
    ${canEdit && addMemberForm()}
    <h3>年度收入（元）</h3>
    <table><tr><th>年度</th><th>家庭纯收入</th><th>人口</th><th>人均纯收入</th></tr>
      ${h.incomes.map(
        (i) => html`<tr><td>${i.year}</td><td>${i.net_income}</td><td>${i.household_size}</td>
          <td>${i.per_capita_net_income}</td></tr>`,
      )}</table>
    ${canEdit && incomeForm(h)}
    ${
      h.plan &&
      html`<h3>一户一策</h3><p>${h.plan.summary}</p>
      <ul class="list">${h.plan.measures.map((m) => measureItem(m, canEdit))}</ul>`
    }
    ${canEdit && h.monitoring_status === "monitored" && addMeasureForm()}
    ${proposal && proposalForm(proposal, extra.visits)}
    ${auditList(extra.audit)}`;
}

// The visits a proposal can name, and the card's audit trail (for those who may read it).
async function extras(h) {
  const visits = h.can.some((c) => c in PROPOSAL_TITLES)
    ? api(`/api/v1/visits?household_id=${h.id}&limit=10`).then((r) => r.data)
    : [];
  const audit = api(`/api/v1/audit?entity=household&entity_id=${h.id}&limit=10`)
    .then((r) => r.data)
    .catch(() => null); // not an audit reader: no trail on the card
  return { visits: await Promise.resolve(visits).catch(() => []), audit: await audit };
}

async function draw(ctx, h) {
  const extra = await extras(h);
  if (!ctx.draw(card(h, extra))) return;
  wire(ctx, h);
}

export async function show(ctx, id) {
  ctx.draw(html`<p>正在读取……</p>`);
  try {
    await draw(ctx, await api(`/api/v1/households/${encodeURIComponent(id)}`));
  } catch (err) {
    ctx.draw(html`<p class="error">${err.message}</p><p><a href="#households">← 返回列表</a></p>`);
  }
}

const numbers = (data, keys) => {
  for (const k of keys) data[k] = Number(data[k] || 0);
  return data;
};

// What each form sends, and what the screen says after it worked.
const SUBMITS = {
  household: (h, data) => {
    const body = { address: data.address, category: data.category, basic_needs: {} };
    for (const k of Object.keys(choices("basic_needs")))
      body.basic_needs[k] = data[`need_${k}`] === "on";
    if (data.phone) body.phone = data.phone;
    return [`/api/v1/households/${h.id}`, "PATCH", body, "户信息已保存"];
  },
  "add-member": (h, data) => {
    const body = { ...data };
    for (const k of ["id_number", "birth_date", "sex"]) if (!body[k]) delete body[k];
    return [`/api/v1/households/${h.id}/members`, "POST", body, `已添加成员 ${data.name}`];
  },
  income: (h, data) => {
    const body = numbers({ ...data }, ["household_size", ...INCOME_PARTS.map(([k]) => k)]);
    delete body.year;
    return [
      `/api/v1/households/${h.id}/incomes/${Number(data.year)}`,
      "PUT",
      body,
      `${data.year}年收入已保存`,
    ];
  },
  "add-measure": (h, data) => {
    const body = numbers({ ...data }, ["amount"]);
    return [`/api/v1/households/${h.id}/plan/measures`, "POST", body, "帮扶措施已添加"];
  },
};

async function send(ctx, form, [path, method, body, done]) {
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  ctx.flash("正在保存……", "");
  try {
    // If-Match with the version this form was drawn from: 412 if someone changed it since.
    const h = await api(path, { method, body, guard: true });
    await draw(ctx, h);
    ctx.flash(done);
  } catch (err) {
    showRefusals(form, err);
    ctx.flash(`没有保存：${err.message}`, "error");
    button.disabled = false;
  }
}

function wire(ctx, h) {
  const view = ctx.view;
  // A full ID number only on request, for the roles that may see one: the view is audited.
  for (const button of view.querySelectorAll("button.reveal-id")) {
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
  const data = (form) => Object.fromEntries(new FormData(form));
  for (const form of view.querySelectorAll("form[data-edit]")) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const kind = form.dataset.edit;
      if (kind === "proposal") propose(ctx, h, form);
      else send(ctx, form, SUBMITS[kind](h, data(form)));
    });
  }
  for (const form of view.querySelectorAll("form[data-member]")) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const { left, ...body } = data(form);
      body.active = left !== "on";
      const path = `/api/v1/households/${h.id}/members/${form.dataset.member}`;
      send(ctx, form, [path, "PATCH", body, `成员 ${body.name} 已保存`]);
    });
  }
  for (const form of view.querySelectorAll("form[data-measure]")) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const body = numbers(data(form), ["amount"]);
      const path = `/api/v1/households/${h.id}/plan/measures/${form.dataset.measure}`;
      send(ctx, form, [path, "PATCH", body, "帮扶措施已更新"]);
    });
  }
}

// A proposal opens a case in the reports' chain: say so, and where it goes next.
async function propose(ctx, h, form) {
  const fields = Object.fromEntries(new FormData(form));
  const body = {
    kind: form.dataset.kind,
    visit_id: fields.visit_id || null,
    reason: fields.reason,
  };
  if (form.dataset.kind !== "clearance_proposal") {
    body.risk_types = Object.keys(choices("risk_type")).filter((k) => fields[`risk_${k}`] === "on");
  }
  ctx.flash("正在提交申请……", "");
  try {
    const report = await api(`/api/v1/households/${h.id}/proposals`, { method: "POST", body });
    clearRefusals(form);
    await draw(ctx, await api(`/api/v1/households/${h.id}`));
    ctx.flash(
      `已提出${PROPOSAL_TITLES[body.kind].replace("申请", "")}申请，受理编号 ${report.receipt_code}；` +
        "下一步：村里民主评议并公示，再报乡镇审核",
    );
  } catch (err) {
    showRefusals(form, err);
    ctx.flash(`申请没有提交：${err.message}`, "error");
  }
}
