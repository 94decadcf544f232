// 统计概览: where an area stands (GET /api/v1/stats/overview and /trend), a chart per part,
// and each child area as a row to drill into: county → township → village → the households
// (or reports) behind a figure, the list filtered the way the figure was counted.

import { api, apiBlob } from "/static/js/lib/api.js";
import { bars, columns } from "/static/js/lib/chart.js";
import { html } from "/static/js/lib/html.js";

const percent = (r) => (r == null ? "—" : `${Math.round(r * 1000) / 10}%`);
const query = (params) => new URLSearchParams(params).toString();
const householdsOf = (area, filters = {}) => `#households/${query({ area, ...filters })}`;
const reportsOf = (area, filters = {}) => `#reports/${query({ area, ...filters })}`;
const findingsOf = (area, filters = {}) =>
  `#findings/${query({ area, status: "open", ...filters })}`;
const sum = (counts) => Object.values(counts || {}).reduce((a, b) => a + b, 0);
// Department warnings still waiting for the township's triage, all sources together.
const untriaged = (f) => Object.values(f.warnings || {}).reduce((n, y) => n + y.open, 0);

function markTags(f, names) {
  return f.marks.map((m) => html`<span class="tag overdue">${names.mark[m] || m}</span>`);
}

function figure(value, label, href, note) {
  const inner = html`<strong>${value}</strong><span>${label}</span>${note && html`<small>${note}</small>`}`;
  return href
    ? html`<a class="figure" href="${href}">${inner}</a>`
    : html`<div class="figure">${inner}</div>`;
}

function headline(o) {
  const a = o.area;
  const code = a.area_code;
  return html`<div class="figures">
    ${figure(a.households, "户数（户）", householdsOf(code))}
    ${figure(a.monitored, "监测中（户）", householdsOf(code, { monitoring_status: "monitored" }))}
    ${figure(
      a.risk_cleared,
      "风险已消除（户）",
      householdsOf(code, { monitoring_status: "risk_cleared" }),
      `消除率 ${percent(a.clearance_rate)}`,
    )}
    ${figure(a.enrolled_this_year, `${o.year}年新纳入（户）`, householdsOf(code, { enrolled_in: o.year }))}
    ${figure(a.cleared_this_year, `${o.year}年风险消除（户）`, householdsOf(code, { cleared_in: o.year }))}
    ${figure(
      a.reports.received,
      `${o.year}年一键报贫（件）`,
      reportsOf(code, { submitted_in: o.year, stage: "received" }),
      a.overdue_reports ? `逾期${a.overdue_reports}件` : "无逾期",
    )}
    ${figure(percent(a.coverage.rate), "本月遍访率", "#coverage", `${a.coverage.visited}/${a.coverage.due}户`)}
    ${figure(a.problems.open, "未销号问题（个）", "#problems", `逾期${a.problems.overdue}个`)}
    ${figure(sum(a.findings), "待处理排查发现（条）", findingsOf(code))}
  </div>`;
}

function households(o) {
  const a = o.area;
  const code = a.area_code;
  const n = o.names;
  const kinds = [
    ...Object.entries(n.category).map(([k, label]) => ({
      label,
      value: a.by_category[k] || 0,
      href: householdsOf(code, { category: k }),
    })),
    ...Object.entries(n.monitoring_type).map(([k, label]) => ({
      label: `监测·${label}`,
      value: a.by_monitoring_type[k] || 0,
      href: householdsOf(code, { monitoring_status: "monitored", monitoring_type: k }),
    })),
  ];
  const risks = Object.entries(n.risk_type)
    .map(([k, label]) => ({
      label,
      value: a.by_risk_type[k] || 0,
      href: householdsOf(code, { monitoring_status: "monitored", risk_type: k }),
    }))
    .filter((r) => r.value > 0)
    .sort((x, y) => y.value - x.value);
  return html`<section class="part"><h3>户类与监测类型（户）</h3>${bars(kinds, { unit: "户" })}
    <h3>监测户风险类型（户，一户可有多项）</h3>
    ${risks.length ? bars(risks, { unit: "户" }) : html`<p class="muted">没有监测户</p>`}</section>`;
}

function reports(o) {
  const a = o.area;
  const r = a.reports;
  const code = a.area_code;
  const stage = (s) => reportsOf(code, { submitted_in: o.year, stage: s });
  const days = (d) => (d == null ? "—" : `${d}天`);
  return html`<section class="part"><h3>${o.year}年一键报贫：受理 → 核实 → 办结（件）</h3>
    ${bars(
      [
        { label: "受理", value: r.received, href: stage("received") },
        { label: "已入户核实", value: r.verified, href: stage("verified") },
        { label: "已办结", value: r.decided, href: stage("decided") },
      ],
      { unit: "件" },
    )}
    <p>从受理到核实用时中位数 ${days(r.median_days_to_verify)}，到办结 ${days(r.median_days_to_decide)}；
      <a href="${reportsOf(code, { overdue: "true" })}">当前逾期${a.overdue_reports}件</a>。</p></section>`;
}

function work(o) {
  const a = o.area;
  return html`<section class="part"><h3>${o.month} 遍访（户）</h3>
    ${bars([{ label: "已走访", value: a.coverage.visited, text: `${a.coverage.visited}/${a.coverage.due}户`, href: "#coverage" }], { max: a.coverage.due })}
    <h3>整改销号（个）</h3>
    ${bars(
      [
        { label: "未销号", value: a.problems.open, href: "#problems" },
        { label: "其中逾期", value: a.problems.overdue, hot: a.problems.overdue > 0 },
        { label: "已销号", value: a.problems.closed },
      ],
      { unit: "个" },
    )}
    <h3>待处理的排查发现（条，点开看是哪些）</h3>
    ${
      sum(a.findings) > 0
        ? bars(
            Object.entries(a.findings)
              .sort((x, y) => y[1] - x[1])
              .map(([k, v]) => ({
                label: o.names.check?.[k] || k,
                value: v,
                href: findingsOf(a.area_code, { check: k }),
              })),
            { unit: "条" },
          )
        : html`<p class="muted">没有待处理的排查发现。<a href="#findings">去运行排查</a></p>`
    }</section>`;
}

// 部门预警 per source: what came in, what the townships made of it, and how many reports
// ended in enrolment (the yield), as the warnings list counts them.
function warnings(o) {
  const w = o.area.warnings || {};
  const sources = Object.entries(o.names.warning_source || {});
  const received = sources.reduce((n, [k]) => n + (w[k]?.received || 0), 0);
  if (!received) {
    return html`<section class="part"><h3>部门预警（医保、民政、教育、残联、人社）</h3>
      <p class="muted">暂未收到部门预警。</p></section>`;
  }
  const rows = sources.filter(([k]) => w[k]?.received);
  return html`<section class="part"><h3>部门预警：收到 → 纳入监测（条）</h3>
    ${bars(
      rows.map(([k, label]) => ({
        label,
        value: w[k].received,
        text: `${w[k].received} → ${w[k].enrolled}`,
      })),
    )}
    <ul class="list warning-yield">${rows.map(([k, label]) => {
      const y = w[k];
      return html`<li><strong>${label}</strong> 收到${y.received}条，促成纳入监测${y.enrolled}条（${percent(y.received ? y.enrolled / y.received : null)}）
        <br><span class="muted">匹配到农户 ${y.matched} · 已代报 ${y.reported} · 已排除 ${y.dismissed}
          · 待分拣 ${y.open} · 未匹配 ${y.unmatched}</span></li>`;
    })}</ul></section>`;
}

function trend(t) {
  const months = t.area.months;
  const labels = months.map((m) => m.month);
  const series = [
    ["monitored", "月末监测户", "户"],
    ["enrolled", "新纳入", "户"],
    ["cleared", "风险消除", "户"],
    ["reports", "一键报贫", "件"],
    ["visits", "走访", "次"],
  ];
  return html`<section class="part"><h3>逐月趋势</h3><div class="trend">${series.map(
    ([k, title, unit]) =>
      columns(
        months.map((m) => m[k]),
        labels,
        { title, unit },
      ),
  )}</div></section>`;
}

function childRow(c, names) {
  const hot = c.marks.length > 0;
  return html`<li class="${hot && "hot"}"><a href="#dashboard/${c.area_code}">
    <strong>${c.area_name || c.area_code}</strong> ${markTags(c, names)}
    <br><span>${c.households}户 · 监测 ${c.monitored} · 消除率 ${percent(c.clearance_rate)}</span>
    <br><span class="muted">遍访 ${percent(c.coverage.rate)} · 报告${c.reports.received}件（逾期 ${c.overdue_reports}）
      · 问题${c.problems.open}个（逾期 ${c.problems.overdue}）${
        untriaged(c) > 0 && ` · 预警待分拣${untriaged(c)}条`
      }</span></a></li>`;
}

function children(o) {
  if (!o.children.length) {
    const code = o.area.area_code;
    return html`<section class="part"><h3>本村农户</h3>
      <p><a class="big-button" href="${householdsOf(code)}">查看${o.area.households}户农户</a></p></section>`;
  }
  const level =
    { township: "乡镇", village: "村（社区）", county: "县" }[o.children[0].level] || "下级地区";
  // Areas with nothing on record are named in one line, not drawn as rows of zeros.
  const empty = (c) => !c.households && !c.reports.received && !c.problems.open && !c.marks.length;
  const rows = o.children.filter((c) => !empty(c));
  const idle = o.children.filter(empty);
  const uptake = rows
    .filter((c) => c.villages > 0)
    .map((c) => ({
      label: c.area_name || c.area_code,
      value: c.uptake ?? 0,
      text: c.uptake == null ? "—" : `${c.uptake}倍`,
      href: `#dashboard/${c.area_code}`,
      hot: c.marks.includes("silent"),
    }));
  return html`<section class="part"><h3>各${level}（点开看下一级）</h3>
    <p class="muted">标红的是在全县同级中排在最差一成的数字。</p>
    <ul class="list area-rows">${rows.map((c) => childRow(c, o.names))}</ul>
    ${
      idle.length > 0 &&
      html`<details class="idle"><summary>另有${idle.length}个${level}暂无农户记录</summary>
        <p>${idle.map((c, i) => html`${i > 0 && "、"}<a href="#dashboard/${c.area_code}">${c.area_name}</a>`)}</p></details>`
    }
    ${
      o.county_average_per_village != null &&
      html`<h3>农户自报使用率（村均，全县平均 = 1）</h3>
      <p class="muted">全县村均${o.county_average_per_village}件（不含干部代报）。</p>
      ${bars(uptake, { mark: 1, markLabel: "全县平均" })}`
    }</section>`;
}

function crumbs(o) {
  if (o.path.length < 2) return "";
  return html`<nav class="crumbs" aria-label="地区">${o.path.map(
    (a, i) =>
      html`${i > 0 && " › "}${
        i === o.path.length - 1
          ? html`<strong>${a.name}</strong>`
          : html`<a href="#dashboard/${a.code}">${a.name}</a>`
      }`,
  )}</nav>`;
}

async function download(path, name, ctx) {
  try {
    const blob = await apiBlob(path);
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = name;
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  } catch (err) {
    ctx.flash(err.message, "error");
  }
}

export async function show(ctx, code) {
  ctx.draw(html`<p>正在统计……</p>`);
  const area = code ? `area=${encodeURIComponent(code)}&` : "";
  let o;
  let t;
  try {
    [o, t] = await Promise.all([
      api(`/api/v1/stats/overview?${area}`),
      api(`/api/v1/stats/trend?${area}months=12`),
    ]);
  } catch (err) {
    ctx.draw(html`<p class="error">${err.message}</p><p><a href="#dashboard">← 回到本辖区</a></p>`);
    return;
  }
  const name = o.area.area_name || "全部地区";
  const drawn = ctx.draw(html`<div id="dashboard-view">${crumbs(o)}
    <h2>${name} <span class="muted">截至 ${o.today}</span> ${markTags(o.area, o.names)}</h2>
    ${headline(o)}${children(o)}${households(o)}${reports(o)}${work(o)}${warnings(o)}${trend(t)}
    <p class="downloads"><button type="button" id="overview-xlsx">导出概览表格</button>
      <button type="button" id="trend-xlsx">导出逐月表格</button></p></div>`);
  if (!drawn) return;
  const here = o.area.area_code;
  document
    .getElementById("overview-xlsx")
    .addEventListener("click", () =>
      download(`/api/v1/stats/overview?${area}format=xlsx`, `统计概览${here}.xlsx`, ctx),
    );
  document
    .getElementById("trend-xlsx")
    .addEventListener("click", () =>
      download(`/api/v1/stats/trend?${area}months=12&format=xlsx`, `逐月趋势${here}.xlsx`, ctx),
    );
}
