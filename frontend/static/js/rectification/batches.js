// Problem lists and reports: issue a list, add a problem, import a spreadsheet, and the
// township's rectification report and ledger.

import { api, apiBlob } from "/static/js/lib/api.js";
import { clearRefusals, showRefusals } from "/static/js/lib/forms.js";
import { html, render } from "/static/js/lib/html.js";
import { choices } from "/static/js/lib/vocabulary.js";
import { areasUnder, tabs } from "/static/js/rectification/common.js";

const ISSUERS = ["inspector", "county_officer", "township_officer"];
const options = (names) =>
  Object.entries(names).map(([k, v]) => html`<option value="${k}">${v}</option>`);

// The areas a list or a problem may lie in: `area` itself (本级) first, then its children.
const areaOptions = (area, children) =>
  html`<option value="${area.code}" selected>${area.name || area.code}（本级）</option>
    ${children.map((a) => html`<option value="${a.code}">${a.name}</option>`)}`;

const NEXT_STEPS_HINT = "如：我镇将按照“抓重点、补短板”的工作主线……（可分段，每行一段）";

function newBatchForm(me, children) {
  return html`<details class="issue-box"><summary>下发新的问题清单</summary>
    <form id="batch-form" class="form">
      <label>清单名称<input name="title" required placeholder="如：巩固拓展脱贫攻坚成果调研督查发现问题"></label>
      <label>下发到（整改的地区）<select name="area_code">${areaOptions(
        { code: me.area_code, name: me.area_name },
        children,
      )}</select></label>
      <label>来源<select name="source">${options(choices("problem_source"))}</select></label>
      <label>下发单位<input name="issuing_body"></label>
      <label>通报名称<input name="notice_title"></label>
      <label>文号<input name="document_number" placeholder="如：市农领办发〔2023〕38号"></label>
      <label>下发日期<input type="date" name="issued_on" required></label>
      <label>整改时限<input type="date" name="deadline" required></label>
      ${reportFields({
        report_to: "",
        reporting_unit: "",
        next_steps: "",
        issuer_mark: "",
        report_number: "",
        copy_to: "",
        printing_office: "",
        signer: "",
      })}
      <button type="submit" class="big-button primary">下发清单</button>
    </form></details>`;
}

// Who the report goes to, who sends it and what comes next: typed when the list is issued,
// corrected before the report is printed.
function reportFields(b) {
  return html`<label>报送对象（主送机关）<input name="report_to" value="${b.report_to}"
      placeholder="如：县委农村工作领导小组办公室"></label>
    <label>报告单位<input name="reporting_unit" value="${b.reporting_unit}"
      placeholder="如：会师镇党委、政府"></label>
    <label>下一步工作打算<textarea name="next_steps" rows="4"
      placeholder="${NEXT_STEPS_HINT}">${b.next_steps}</textarea></label>
    <fieldset><legend>公文版头和版记（Word 报告用）</legend>
      <label>发文机关标志<input name="issuer_mark" value="${b.issuer_mark}" maxlength="40"
        placeholder="不填则用“报告单位 + 文件”，如：会宁县乡村振兴局文件"></label>
      <label>发文字号<input name="report_number" value="${b.report_number}" maxlength="40"
        placeholder="本单位发文登记的字号，如：会乡振发〔2026〕12号"></label>
      <label>签发人（向上级报送时填，版头改为上行文格式）<input name="signer" value="${b.signer}"
        maxlength="40" placeholder="签发的负责人姓名，如：张明"></label>
      <label>抄送机关<input name="copy_to" value="${b.copy_to}" maxlength="200"
        placeholder="多个用顿号隔开，如：县纪委监委、县委组织部"></label>
      <label>印发机关<input name="printing_office" value="${b.printing_office}" maxlength="80"
        placeholder="不填则用报告单位，如：会宁县乡村振兴局办公室"></label>
    </fieldset>`;
}

function reportForm(b) {
  return html`<details class="issue-box"><summary>报告信息（报送对象、报告单位、下一步工作打算、发文字号、抄送）</summary>
    <form class="form" data-report-info="${b.id}">${reportFields(b)}
      <button type="submit" class="big-button">保存报告信息</button></form></details>`;
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
      <label>整改时限（不晚于 ${b.deadline}）<input type="date" name="deadline" max="${b.deadline}"></label>
      <button type="submit" class="big-button primary">下发问题</button>
    </form></details>`;
}

function importForm(b) {
  return html`<form class="inline-form" data-import="${b.id}">
    <input type="file" name="file" accept=".xlsx" aria-label="导入问题清单" required>
    <label class="check"><input type="checkbox" name="partial"> 只导入正确的行</label>
    <button type="submit">导入问题清单</button></form>`;
}

function batchItem(b, me, under) {
  const c = b.counts;
  const mayAdd = ISSUERS.includes(me.role) && b.area_code.startsWith(me.area_code);
  // A new problem lies in the list's own area unless another is picked.
  const areas = mayAdd && areaOptions({ code: b.area_code, name: b.area_name }, under[b.area_code]);
  return html`<li><strong>${b.title}</strong><br>
    <span class="muted">${b.issuing_body} ${b.document_number} · 下发 ${b.issued_on} ·
      时限 ${b.deadline} · ${b.area_name}</span><br>
    共${c.total}个，已销号 ${c.closed}，待审核 ${c.submitted_for_closure}，未认领 ${c.issued}
    ${c.overdue > 0 && html`<span class="tag overdue">逾期 ${c.overdue}</span>`}
    ${c.review_due > 0 && html`<span class="tag overdue">复核已逾期 ${c.review_due}</span>`}
    ${b.report_to && html`<br><span class="muted">报送 ${b.report_to} · ${b.reporting_unit}</span>`}
    <div class="actions">
      <button type="button" data-report="${b.id}">看整改报告</button>
      <button type="button" data-docx="${b.id}">下载报告（Word）</button>
      <button type="button" data-ledger="${b.id}">下载整改台账（Excel）</button>
    </div>
    ${mayAdd && html`${reportForm(b)}${importForm(b)}${newProblemForm(b, areas)}`}</li>`;
}

function rowAccount(rows) {
  const bad = rows.filter((r) => !r.ok);
  if (!bad.length) return "";
  return html`<h3>有误的行</h3><ul class="list">${bad.map(
    (r) =>
      html`<li>第${r.row}行：${r.errors.map((e) => `${e.column} ${e.message}`).join("；")}</li>`,
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
    ctx.flash(`已下载：${name}`);
  } catch (err) {
    ctx.flash(err.message, "error");
  }
}

export async function show(ctx) {
  const me = ctx.me;
  ctx.draw(html`${tabs("batches")}<p>正在读取……</p>`);
  let page;
  const under = {};
  try {
    page = await api("/api/v1/problem-batches?limit=50");
    const codes = new Set([me.area_code, ...page.data.map((b) => b.area_code)]);
    await Promise.all(
      [...codes].map(async (code) => {
        under[code] = await areasUnder(code);
      }),
    );
  } catch (err) {
    ctx.draw(html`${tabs("batches")}<p class="error">${err.message}</p>`);
    return;
  }
  const drawn = ctx.draw(html`${tabs("batches")}<div id="batches-view"><h2>问题清单与整改报告</h2>
    ${ISSUERS.includes(me.role) && newBatchForm(me, under[me.area_code] || [])}
    <ul class="list">${
      page.data.length
        ? page.data.map((b) => batchItem(b, me, under))
        : html`<li class="muted">还没有问题清单</li>`
    }</ul><div id="import-result"></div></div>`);
  if (drawn) wire(ctx);
}

function wire(ctx) {
  const view = ctx.view;
  const me = ctx.me;
  view.querySelector("#batch-form")?.addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const body = Object.fromEntries(new FormData(form));
    body.area_code ||= me.area_code;
    try {
      const b = await api("/api/v1/problem-batches", { method: "POST", body });
      await show(ctx);
      ctx.flash(`问题清单已下发到${b.area_name || b.area_code}`);
    } catch (err) {
      showRefusals(form, err);
      ctx.flash(err.message, "error");
    }
  });
  for (const form of view.querySelectorAll("[data-report-info]")) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = Object.fromEntries(new FormData(form));
      try {
        const path = `/api/v1/problem-batches/${form.dataset.reportInfo}`;
        await api(path, { method: "PATCH", body });
        clearRefusals(form);
        ctx.flash("报告信息已保存，下载的报告会用新的内容");
      } catch (err) {
        showRefusals(form, err);
        ctx.flash(err.message, "error");
      }
    });
  }
  for (const form of view.querySelectorAll("[data-new-problem]")) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = Object.fromEntries(new FormData(form));
      if (!body.deadline) delete body.deadline;
      try {
        const path = `/api/v1/problem-batches/${form.dataset.newProblem}/problems`;
        const p = await api(path, { method: "POST", body });
        ctx.flash(`已下发问题${p.number}（${p.area_name || p.area_code}）`);
        clearRefusals(form);
        // Ready for the next problem: same area (the list's, or the one just picked).
        const area = form.elements.area_code.value;
        form.reset();
        form.elements.area_code.value = area;
      } catch (err) {
        showRefusals(form, err);
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
        const rejected = result.rejected ? `，${result.rejected}行有误未导入` : "";
        ctx.flash(`已导入${result.imported}个问题${rejected}`);
        render(out, rowAccount(result.rows));
      } catch (err) {
        ctx.flash(err.message, "error");
        const rows = err.body?.detail;
        render(out, Array.isArray(rows) && rows[0] && "row" in rows[0] ? rowAccount(rows) : "");
      }
    });
  }
}
