// Problem lists and reports: issue a list, add a problem, import a spreadsheet, and the
// township's rectification report and ledger.

import { api, apiBlob } from "/static/js/lib/api.js";
import { html, render } from "/static/js/lib/html.js";
import { choices } from "/static/js/lib/vocabulary.js";
import { childAreas, tabs } from "/static/js/rectification/common.js";

const ISSUERS = ["inspector", "county_officer", "township_officer"];
const options = (names) =>
  Object.entries(names).map(([k, v]) => html`<option value="${k}">${v}</option>`);

function newBatchForm() {
  return html`<details class="issue-box"><summary>下发新的问题清单</summary>
    <form id="batch-form" class="form">
      <label>清单名称<input name="title" required placeholder="如:巩固拓展脱贫攻坚成果调研督查发现问题"></label>
      <label>来源<select name="source">${options(choices("problem_source"))}</select></label>
      <label>下发单位<input name="issuing_body"></label>
      <label>通报名称<input name="notice_title"></label>
      <label>文号<input name="document_number" placeholder="如:市农领办发〔2023〕38号"></label>
      <label>下发日期<input type="date" name="issued_on" required></label>
      <label>整改时限<input type="date" name="deadline" required></label>
      <label>报送对象<input name="report_to" placeholder="如:县委农村工作领导小组办公室"></label>
      <label>报告单位<input name="reporting_unit" placeholder="如:会师镇党委、政府"></label>
      <button type="submit" class="big-button primary">下发清单</button>
    </form></details>`;
}

function newProblemForm(b, areas) {
  return html`<details class="issue-box"><summary>新增一个问题</summary>
    <form class="form" data-new-problem="${b.id}">
      <label>问题标题<input name="title" required></label>
      <label>问题描述<textarea name="description" rows="3"></textarea></label>
      <label>类别<select name="category">${options(choices("problem_category"))}</select></label>
      <label>地区<select name="area_code">${areas}</select></label>
      <label>责任单位<input name="responsible_unit"></label>
      <label>责任人<input name="responsible_person"></label>
      <label>整改时限(不晚于 ${b.deadline})<input type="date" name="deadline" max="${b.deadline}"></label>
      <button type="submit" class="big-button primary">下发问题</button>
    </form></details>`;
}

function importForm(b) {
  return html`<form class="inline-form" data-import="${b.id}">
    <input type="file" name="file" accept=".xlsx" aria-label="导入问题清单" required>
    <label class="check"><input type="checkbox" name="partial"> 只导入正确的行</label>
    <button type="submit">导入问题清单</button></form>`;
}

function batchItem(b, me, areas) {
  const c = b.counts;
  const mayAdd = ISSUERS.includes(me.role) && b.area_code.startsWith(me.area_code);
  return html`<li><strong>${b.title}</strong><br>
    <span class="muted">${b.issuing_body} ${b.document_number} · 下发 ${b.issued_on} ·
      时限 ${b.deadline} · ${b.area_name}</span><br>
    共 ${c.total} 个,已销号 ${c.closed},待审核 ${c.submitted_for_closure},未认领 ${c.issued}
    ${c.overdue > 0 && html`<span class="tag overdue">逾期 ${c.overdue}</span>`}
    ${c.review_due > 0 && html`<span class="tag overdue">复核已逾期 ${c.review_due}</span>`}
    <div class="actions">
      <button type="button" data-report="${b.id}">看整改报告</button>
      <button type="button" data-docx="${b.id}">下载报告(Word)</button>
      <button type="button" data-ledger="${b.id}">下载整改台账(Excel)</button>
    </div>
    ${mayAdd && html`${importForm(b)}${newProblemForm(b, areas)}`}</li>`;
}

function rowAccount(rows) {
  const bad = rows.filter((r) => !r.ok);
  if (!bad.length) return "";
  return html`<h3>有误的行</h3><ul class="list">${bad.map(
    (r) =>
      html`<li>第 ${r.row} 行:${r.errors.map((e) => `${e.column} ${e.message}`).join(";")}</li>`,
  )}</ul>`;
}

async function download(ctx, path, name) {
  try {
    ctx.flash("正在生成……", "");
    const url = URL.createObjectURL(await apiBlob(path));
    const a = document.createElement("a");
    a.href = url;
    a.download = name;
    document.body.append(a);
    a.click();
    a.remove();
    ctx.flash(`已下载:${name}`);
  } catch (err) {
    ctx.flash(err.message, "error");
  }
}

export async function show(ctx) {
  const me = ctx.me;
  ctx.draw(html`${tabs("batches")}<p>正在读取……</p>`);
  let page;
  let children;
  try {
    [page, children] = await Promise.all([api("/api/v1/problem-batches?limit=50"), childAreas(me)]);
  } catch (err) {
    ctx.draw(html`${tabs("batches")}<p class="error">${err.message}</p>`);
    return;
  }
  const areas = html`<option value="${me.area_code}">${me.area_name || me.area_code}(本级)</option>
    ${children.map((a) => html`<option value="${a.code}">${a.name}</option>`)}`;
  const drawn = ctx.draw(html`${tabs("batches")}<div id="batches-view"><h2>问题清单与整改报告</h2>
    ${ISSUERS.includes(me.role) && newBatchForm()}
    <ul class="list">${
      page.data.length
        ? page.data.map((b) => batchItem(b, me, areas))
        : html`<li class="muted">还没有问题清单</li>`
    }</ul><div id="import-result"></div></div>`);
  if (drawn) wire(ctx);
}

function wire(ctx) {
  const view = ctx.view;
  const me = ctx.me;
  view.querySelector("#batch-form")?.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = Object.fromEntries(new FormData(event.target));
    body.area_code = me.area_code;
    try {
      await api("/api/v1/problem-batches", { method: "POST", body });
      await show(ctx);
      ctx.flash("问题清单已下发");
    } catch (err) {
      ctx.flash(err.message, "error");
    }
  });
  for (const form of view.querySelectorAll("[data-new-problem]")) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = Object.fromEntries(new FormData(form));
      if (!body.deadline) delete body.deadline;
      try {
        const path = `/api/v1/problem-batches/${form.dataset.newProblem}/problems`;
        const p = await api(path, { method: "POST", body });
        ctx.flash(`已下发问题${p.number}`);
        form.reset();
      } catch (err) {
        ctx.flash(err.message, "error");
      }
    });
  }
  for (const b of view.querySelectorAll("[data-report]")) {
    b.addEventListener("click", async () => {
      try {
        const path = `/api/v1/problem-batches/${b.dataset.report}/report?format=html`;
        window.open(URL.createObjectURL(await apiBlob(path)), "_blank");
      } catch (err) {
        ctx.flash(err.message, "error");
      }
    });
  }
  for (const b of view.querySelectorAll("[data-docx]")) {
    const path = `/api/v1/problem-batches/${b.dataset.docx}/report?format=docx`;
    b.addEventListener("click", () => download(ctx, path, "整改情况报告.docx"));
  }
  for (const b of view.querySelectorAll("[data-ledger]")) {
    const path = `/api/v1/problem-batches/${b.dataset.ledger}/ledger`;
    b.addEventListener("click", () => download(ctx, path, "整改台账.xlsx"));
  }
  for (const form of view.querySelectorAll("[data-import]")) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const data = new FormData(form);
      const body = new FormData();
      body.append("file", data.get("file"));
      body.append("mode", data.get("partial") ? "partial" : "all_or_nothing");
      const out = view.querySelector("#import-result");
      try {
        const path = `/api/v1/problem-batches/${form.dataset.import}/import`;
        const result = await api(path, { method: "POST", form: body });
        const rejected = result.rejected ? `,${result.rejected} 行有误未导入` : "";
        ctx.flash(`已导入 ${result.imported} 个问题${rejected}`);
        render(out, rowAccount(result.rows));
      } catch (err) {
        ctx.flash(err.message, "error");
        const rows = err.body?.detail;
        render(out, Array.isArray(rows) && rows[0] && "row" in rows[0] ? rowAccount(rows) : "");
      }
    });
  }
}
