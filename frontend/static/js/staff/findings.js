// 排查: run every check over my area and follow the run; the findings grouped by check with
// their counts under the filters (check, severity, status, village); each finding says whom
// it is about and what triggered it, with one tap to a report on the household's behalf
// (代报), to a rectification problem, or to 排除 with a reason; a county officer reads and
// changes a check's parameters. The server says which buttons each finding has (`can`).

import { api } from "/static/js/lib/api.js";
import { append, html, render } from "/static/js/lib/html.js";
import { choices } from "/static/js/lib/vocabulary.js";

const $ = (id) => document.getElementById(id);
const PAGE = 20;
const POLL_MS = 1000;
const STATUSES = { open: "待处理", resolved: "已自动消除", dismissed: "已排除", "": "全部状态" };
const options = (names, chosen) =>
  Object.entries(names).map(
    ([k, v]) => html`<option value="${k}" ${k === chosen && "selected"}>${v}</option>`,
  );
const day = (iso) =>
  iso && new Date(iso).toLocaleDateString("sv-SE", { timeZone: "Asia/Shanghai" });

// What the values behind a finding are called on screen; ids and keys not named here stay
// off it (the summary above them already says the rest in words).
const VALUE_LABELS = {
  year: "年度",
  line: "监测收入标准（元/人·年）",
  per_capita_net_income: "人均纯收入（元）",
  previous_per_capita_net_income: "上年人均纯收入（元）",
  net_income: "纯收入（元）",
  year_before_net_income: "上年同期纯收入（元）",
  household_size: "家庭人口（人）",
  income_source: "收入依据",
  months: "月份",
  ledger_months: "登记月数",
  first_month: "最早的月份",
  spending: "医疗和教育支出（元）",
  share_percent: "设定比例（%）",
  medical: "自付医疗费用（元）",
  medical_amount: "设定金额（元）",
  unfollowed_visit_month: "发现风险的走访月份",
  risk_types: "风险类型",
  reasons: "原因",
  risk_cleared_on: "标注消除日期",
  enrolled_on: "纳入监测日期",
  annualised_per_capita: "近6个月折合年人均（元）",
  measures: "帮扶措施（项）",
  kinds: "措施类别",
  unanswered: "没有措施应对的风险",
  covered: "低保覆盖（人）",
  active_members: "家庭人口（人）",
  seriously_ill: "大病患者（人）",
  households: "涉及户数",
  excerpt: "雷同的记录",
  reports: "农户自主申报（次）",
  county_average: "全县村均（次）",
  problem: "问题",
  id_number: "身份证号",
  sex: "登记性别",
  id_sex: "身份证号上的性别",
  birth_date: "登记出生日期",
  id_birth_date: "身份证号上的出生日期",
  age: "年龄（岁）",
  schooling: "在读",
  died_on: "去世日期",
  ledger_per_capita: "收支登记折合人均（元）",
  declared_per_capita: "申报人均纯收入（元）",
};
const VALUE_WORDS = {
  income_record: "年度收入登记",
  ledger: "收支登记",
  male: "男",
  female: "女",
};

function word(value) {
  const risks = choices("risk_type");
  if (Array.isArray(value)) return value.map(word).join("、") || "无";
  if (value && typeof value === "object") return "";
  return VALUE_WORDS[value] || risks[value] || String(value);
}

// The values as label/value rows; a nested group (income_drop's yearly and ledger parts) is
// flattened into its own rows.
function facts(values) {
  const rows = [];
  for (const [key, value] of Object.entries(values || {})) {
    if (key === "household_ids" && Array.isArray(value)) {
      const links = value.map(
        (id, i) => html`${i > 0 && "、"}<a href="#household/${id}">第${i + 1}户</a>`,
      );
      rows.push(html`<dt>涉及的户</dt><dd>${links}</dd>`);
    } else if (value && typeof value === "object" && !Array.isArray(value)) {
      rows.push(...facts(value));
    } else if (VALUE_LABELS[key] && value !== null && value !== "") {
      rows.push(html`<dt>${VALUE_LABELS[key]}</dt><dd>${word(value)}</dd>`);
    }
  }
  return rows;
}

// Whom the finding is about, in words.
function subject(f) {
  const home = f.household_head ? `${f.household_head} 户` : "农户";
  switch (f.subject_kind) {
    case "member":
      return `${f.subject_name || "成员"}（${home}的成员）`;
    case "helper":
      return `帮扶干部 ${f.subject_name || ""}`;
    case "village":
      return f.subject_name || f.area_name || f.area_code;
    default:
      return home;
  }
}

function outcome(f) {
  const done = [];
  if (f.report_id)
    done.push(html`<a class="to-report" href="#report/${f.report_id}">已转为代报，查看报告</a>`);
  if (f.problem_id)
    done.push(
      html`<a class="to-problem" href="#problem/${f.problem_id}">已转为整改问题，查看问题</a>`,
    );
  if (f.status === "dismissed") done.push(html`<span>排除理由：${f.dismiss_reason}</span>`);
  return done.length ? html`<p>${done.map((d, i) => html`${i > 0 && " · "}${d}`)}</p>` : "";
}

function buttons(f) {
  const can = new Set(f.can);
  return html`<div class="actions">
    ${can.has("report") && html`<button type="button" data-do="report">转为代报（报贫）</button>`}
    ${can.has("problem") && html`<button type="button" data-do="problem">转为整改问题</button>`}
    ${can.has("dismiss") && html`<button type="button" data-do="open-dismiss">排除</button>`}
  </div>
  ${
    can.has("dismiss") &&
    html`<form class="form dismiss-form" hidden>
      <label>排除理由（写明为什么不是问题，会留痕）<textarea name="reason"></textarea></label>
      <button type="submit">确认排除</button></form>`
  }`;
}

function card(f) {
  const home = f.household_id
    ? html` · <a href="#household/${f.household_id}">户编号 ${f.household_reference}</a>`
    : "";
  const rows = facts(f.values);
  return html`<li class="finding" data-id="${f.id}">
    <strong class="finding-subject">${subject(f)}</strong> · ${f.area_name || f.area_code}
    <span class="tag">${f.status_name}</span>
    <p class="finding-summary">${f.summary}</p>
    ${rows.length > 0 && html`<dl class="facts">${rows}</dl>`}
    <p class="muted">首次发现 ${day(f.first_seen_at)}${f.resolved_at && ` · 已于 ${day(f.resolved_at)} 自动消除`}${home}</p>
    ${outcome(f)}${buttons(f)}
    <p class="message" role="status"></p></li>`;
}

function parameters(check, catalogue) {
  if (!check.parameters.length) return "";
  const mayChange = catalogue.can.includes("set_parameters");
  if (!mayChange) {
    return html`<p class="muted">参数：${check.parameters.map(
      (p, i) => html`${i > 0 && "；"}${p.label} ${p.value}`,
    )}</p>`;
  }
  return html`<details class="params"><summary>规则参数（本县）</summary>
    <form class="form params-form" data-check="${check.code}">
      ${check.parameters.map(
        (p) => html`<label>${p.label}<input type="number" name="${p.name}" value="${p.value}"
          min="${p.minimum}" max="${p.maximum}" required>
          <small class="muted">默认 ${p.default}，可设 ${p.minimum}–${p.maximum}</small></label>`,
      )}
      <button type="submit">保存参数</button>
      <p class="message" role="status"></p></form></details>`;
}

function group(check, count, catalogue, opened) {
  return html`<details class="check-group" data-check="${check.code}" ${opened && "open"}>
    <summary><strong>${check.title}</strong>
      <span class="tag ${check.severity === "critical" && "overdue"}">${choices("severity")[check.severity] || check.severity}</span>
      <b class="check-count">${count}条</b></summary>
    <p class="muted">规则：${check.rule}</p>
    ${parameters(check, catalogue)}
    <ul class="list findings-list"></ul>
    <div class="pager"><button type="button" class="more" hidden>更多</button></div>
  </details>`;
}

function filterForm(catalogue, chosen) {
  const checks = Object.fromEntries(catalogue.data.map((c) => [c.code, c.title]));
  return html`<form id="finding-filter" class="filters">
    <select name="check" aria-label="排查规则"><option value="">全部规则</option>
      ${options(checks, chosen.check)}</select>
    <select name="severity" aria-label="严重程度"><option value="">全部程度</option>
      ${options(choices("severity"), chosen.severity)}</select>
    <select name="status" aria-label="处理状态">${options(STATUSES, chosen.status)}</select>
    <select name="village" id="village-filter" aria-label="村"><option value="">全部村</option></select>
    <button type="submit">筛选</button>
  </form>`;
}

export async function show(ctx, query = "") {
  const fixed = new URLSearchParams(query);
  ctx.draw(html`<p>正在读取……</p>`);
  let catalogue;
  try {
    catalogue = await api("/api/v1/checks");
  } catch (err) {
    ctx.draw(html`<p class="error">${err.message}</p>`);
    return;
  }
  const chosen = {
    check: fixed.get("check") || "",
    severity: fixed.get("severity") || "",
    status: fixed.has("status") ? fixed.get("status") : "open",
  };
  // A dashboard figure may narrow to a township or the county; the village box narrows more.
  const base = fixed.get("area") || "";
  const canRun = catalogue.can.includes("run") && catalogue.area_code;
  const drawn = ctx.draw(html`<div id="findings-view">
    <h2>排查 <span class="muted">${catalogue.area_name || ""}</span></h2>
    <p>系统按${catalogue.data.length}条规则查找应纳未纳、风险消除不精准、收入低于标准等问题。
      每条发现都可以一键转为代报或整改问题；核实不是问题的，写明理由后排除。</p>
    ${
      canRun &&
      html`<p><button type="button" class="big-button primary" id="run-checks">运行排查（${catalogue.area_name || catalogue.area_code}）</button></p>`
    }
    <p class="message" id="run-message" role="status" aria-live="polite"></p>
    ${base && html`<p class="muted">按统计数字筛选 · <a href="#findings">看本辖区全部</a></p>`}
    ${filterForm(catalogue, chosen)}
    <p class="count" id="finding-count"></p>
    <div id="finding-groups"></div></div>`);
  if (!drawn) return;
  const form = $("finding-filter");

  function filters(extra = {}) {
    const params = new URLSearchParams();
    const data = Object.fromEntries(new FormData(form));
    const area = data.village || base;
    if (area) params.set("area", area);
    if (data.severity) params.set("severity", data.severity);
    if (data.status) params.set("status", data.status);
    for (const [k, v] of Object.entries(extra)) params.set(k, v);
    return params;
  }

  async function loadGroup(details, more = false) {
    const list = details.querySelector(".findings-list");
    const moreButton = details.querySelector(".more");
    details.dataset.loaded = "yes";
    const offset = more ? list.querySelectorAll(".finding").length : 0;
    const params = filters({ check: details.dataset.check, offset, limit: PAGE });
    try {
      const page = await api(`/api/v1/findings?${params}`);
      if (!ctx.current()) return;
      const rows = page.data.length
        ? html`${page.data.map(card)}`
        : html`<li class="muted">没有这样的发现</li>`;
      (more ? append : render)(list, rows);
      moreButton.hidden = list.querySelectorAll(".finding").length >= page.count;
    } catch (err) {
      if (ctx.current()) render(list, html`<li class="error">${err.message}</li>`);
    }
  }

  async function loadAll() {
    const chosenCheck = new FormData(form).get("check");
    $("finding-count").textContent = "正在统计……";
    let summary;
    try {
      summary = await api(`/api/v1/findings/summary?${filters()}`);
    } catch (err) {
      if (ctx.current()) $("finding-count").textContent = err.message;
      return;
    }
    if (!ctx.current()) return;
    const village = $("village-filter");
    const picked = village.value;
    render(
      village,
      html`<option value="">全部村</option>${summary.by_village.map(
        (v) =>
          html`<option value="${v.area_code}" ${v.area_code === picked && "selected"}>${v.area_name || v.area_code}（${v.count}）</option>`,
      )}`,
    );
    const shown = catalogue.data.filter((c) => !chosenCheck || c.code === chosenCheck);
    const total = shown.reduce((n, c) => n + (summary.by_check[c.code] || 0), 0);
    const withAny = shown.filter((c) => summary.by_check[c.code] > 0).length;
    $("finding-count").textContent =
      `共${total}条发现，涉及${withAny}条规则（${STATUSES[new FormData(form).get("status")]}）。点开一条规则看它的发现。`;
    render(
      $("finding-groups"),
      html`${shown.map((c) =>
        group(c, summary.by_check[c.code] || 0, catalogue, chosenCheck === c.code),
      )}`,
    );
    for (const details of ctx.view.querySelectorAll(".check-group[open]")) loadGroup(details);
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    loadAll();
  });

  // One listener for every group: open → load, 更多, the finding's buttons, the forms.
  const groups = $("finding-groups");
  groups.addEventListener(
    "toggle",
    (event) => {
      const details = event.target;
      if (details.classList?.contains("check-group") && details.open) {
        if (!details.dataset.loaded) loadGroup(details);
      }
    },
    true,
  );
  groups.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button) return;
    if (button.classList.contains("more")) {
      loadGroup(button.closest(".check-group"), true);
      return;
    }
    const item = button.closest(".finding");
    if (!item || !button.dataset.do) return;
    if (button.dataset.do === "open-dismiss") {
      const dismissForm = item.querySelector(".dismiss-form");
      dismissForm.hidden = false;
      dismissForm.querySelector("textarea").focus();
      return;
    }
    act(item, button.dataset.do, {});
  });
  groups.addEventListener("submit", (event) => {
    event.preventDefault();
    const target = event.target;
    if (target.classList.contains("dismiss-form")) {
      act(target.closest(".finding"), "dismiss", { reason: target.reason.value.trim() });
    } else if (target.classList.contains("params-form")) {
      saveParameters(target);
    }
  });

  const SAID = {
    report: (f) =>
      html`已转为代报：报告进入“入户核实”，核实人是您。<a href="#report/${f.report_id}">去核实这份报告</a>`,
    problem: (f) =>
      html`已下发整改问题（整改期限30天），放入本月“系统核查发现问题”清单。<a href="#problem/${f.problem_id}">查看这个问题</a>`,
    dismiss: () => html`已排除。这条发现不再提醒，除非它的数据发生变化。`,
  };
  const BODY = { report: { note: "" }, problem: { deadline_days: 30 } };

  async function act(item, action, body) {
    const message = item.querySelector(".message:last-child");
    for (const b of item.querySelectorAll("button")) b.disabled = true;
    message.className = "message";
    message.textContent = "正在提交……";
    try {
      const f = await api(`/api/v1/findings/${item.dataset.id}/${action}`, {
        method: "POST",
        body: { ...BODY[action], ...body },
      });
      if (!ctx.current()) return;
      const fresh = document.createElement("ul");
      render(fresh, html`${card(f)}`);
      const replaced = fresh.firstElementChild;
      item.replaceWith(replaced);
      const said = replaced.querySelector(".message:last-child");
      said.className = "message ok";
      render(said, SAID[action](f));
      if (action === "dismiss") recount(replaced.closest(".check-group"), -1);
    } catch (err) {
      for (const b of item.querySelectorAll("button")) b.disabled = false;
      message.className = "message error";
      const hint = action === "dismiss" ? "。请写明为什么不是问题（至少2个字）" : "";
      message.textContent = `没有办成：${err.message}${hint}`;
    }
  }

  function recount(details, delta) {
    if (!details || new FormData(form).get("status") !== "open") return;
    const count = details.querySelector(".check-count");
    count.textContent = `${Math.max(0, Number.parseInt(count.textContent, 10) + delta)}条`;
  }

  async function saveParameters(paramsForm) {
    const message = paramsForm.querySelector(".message");
    const values = {};
    for (const [k, v] of new FormData(paramsForm)) values[k] = Number(v);
    try {
      const code = paramsForm.dataset.check;
      catalogue = await api(
        `/api/v1/checks/${code}/parameters?area=${encodeURIComponent(catalogue.area_code)}`,
        { method: "PUT", body: { values } },
      );
      message.className = "message ok";
      message.textContent = "已保存。下次运行排查时按新参数查找（本县及以下都适用）。";
    } catch (err) {
      message.className = "message error";
      message.textContent = `没有保存：${err.message}`;
    }
  }

  $("run-checks")?.addEventListener("click", async (event) => {
    const button = event.target;
    const say = (text, kind = "") => {
      $("run-message").className = `message ${kind}`;
      $("run-message").textContent = text;
    };
    button.disabled = true;
    say("已开始排查，请稍候……");
    try {
      let run = await api("/api/v1/checks/runs", {
        method: "POST",
        body: { area_code: catalogue.area_code },
      });
      while (run.status === "queued" || run.status === "running") {
        say(`正在排查（${run.status_name}）……`);
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        if (!ctx.current()) return;
        run = await api(`/api/v1/checks/runs/${run.id}`);
      }
      if (run.status === "failed") {
        say(`排查没有完成：${run.error || "请稍后再试"}`, "error");
      } else {
        const open = Object.values(run.counts).reduce((a, b) => a + b, 0);
        const seconds = ((run.duration_ms || 0) / 1000).toFixed(1);
        say(
          `排查完成：用时${seconds}秒，新发现${run.opened}条，自动消除${run.resolved}条，现有待处理${open}条。`,
          "ok",
        );
        await loadAll();
      }
    } catch (err) {
      say(`排查没有开始：${err.message}`, "error");
    }
    button.disabled = false;
  });

  await loadAll();
}

// The desk's tile says how many findings wait.
export async function badge() {
  try {
    const page = await api("/api/v1/findings?status=open&limit=1");
    $("findings-badge").textContent = page.count ? String(page.count) : "";
    $("findings-badge").hidden = !page.count;
  } catch {
    // The tile works without its count.
  }
}
